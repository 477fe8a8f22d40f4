"""The learner without Ray: model, trainer, replay, probe set, checkpoints and metrics for a
run directory. The run's schedule drives it (alphago/run/); train-offline uses it directly.

Run directory layout:
  games/shard_XXXXXXXX.npz   every self-play game (source of truth for the replay buffer)
  checkpoints/step_XXXXXXX.pt, checkpoints/latest.pt
  probe.npz                  held-out positions for realized bits (fixed for the run)
  metrics.jsonl, tensorboard/, config.yaml
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import yaml

from ..config import Config
from ..data.records import GameRecord
from ..data.replay import ReplayBuffer, TrainBatch
from ..data.lock import lock_dir
from ..data.store import ShardStore
from ..mcts.targets import TARGETS
from ..net.io import CheckpointMeta
from ..net.model import PolicyValueNet, count_flops
from .checkpoint import load_training_state, resume_candidate, save_checkpoint
from .metrics import MetricsWriter
from .trainer import Diverged, Trainer, evaluate, weights_finite

PROBE_EVERY = 10        # every 10th game goes to the probe set instead of training
PROBE_POSITIONS = 512


def lock_run_dir(run_dir: Path, wait: float = 60.0):
    """The learner's own lock on the run directory (.learner.lock), held for this process's
    lifetime. The commands that start a learner take the directory's .lock first and refuse at
    once when it is taken (data/lock.py); this one waits, because the learner of a killed driver
    can outlive it by seconds (Ray reaps it) and a resumed run must not write beside it."""
    return lock_dir(run_dir, ".learner.lock", wait=wait, what="the learner of an earlier run")


def remove_cut_short_writes(run_dir: Path) -> list[Path]:
    """The temp files of atomic writes a killed learner left in the run directory and its checkpoints/
    and games/ (SIGKILL, a lost node: its own clean-up never ran); removed, and returned. Only by the
    holder of the learner's lock, or once the learner is known to be dead: a live writer's temp file
    would vanish under it."""
    from ..data.records import remove_partial_writes
    return [p for d in (run_dir, run_dir / "checkpoints", run_dir / "games") for p in remove_partial_writes(d)]


def check_device(device: str) -> None:
    """ConfigError unless train.device exists on this machine (a CUDA device asked of a CPU-only
    machine would otherwise fail deep inside the learner, or inside a Ray actor)."""
    from ..config import ConfigError
    d = torch.device(device)  # the syntax is TrainConfig's to check
    if d.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ConfigError(f"train.device is {device!r} but this machine has no CUDA device; use cpu")
        if d.index is not None and d.index >= count:
            raise ConfigError(f"train.device is {device!r} but this machine has {count} CUDA device(s)")
    elif d.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"train.device is {device!r} but MPS is not available here; use cpu")


def check_start(cfg: Config, run_dir: str | Path, resume: bool = False, local: bool = True) -> None:
    """What would stop a Learner from starting, checked by the caller first (before Ray starts,
    before anything is written), as ConfigError or CheckpointError with one line: the device
    (local runs: a cluster's learner may sit on another machine), the shared probe set, and on
    resume a checkpoint that reads and fits the config."""
    from ..config import ConfigError
    if local:
        check_device(cfg.train.device)
    if cfg.train.probe:
        _load_probe(cfg)
    if resume:
        run_dir = Path(run_dir)
        if not run_dir.is_dir():
            raise ConfigError(f"--resume {run_dir}: no such run directory")
        resume_candidate(run_dir / "checkpoints", _expect(cfg))  # the learner warns about a fallback


def _expect(cfg: Config) -> dict:
    return {"board_size": cfg.size, "in_planes": cfg.features.num_planes, "net": cfg.net.__dict__}


def _load_probe(cfg: Config):
    """The shared probe set of train.probe; ConfigError naming the key when it cannot serve this run."""
    from ..config import ConfigError
    from .probe import ProbeSet
    try:
        probe = ProbeSet.load(cfg.train.probe)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"train.probe: {exc}") from None
    if probe.size != cfg.size:
        raise ConfigError(f"train.probe: {cfg.train.probe} holds {probe.size}x{probe.size} positions, "
                          f"the run is {cfg.size}x{cfg.size}")
    return probe


@dataclass(frozen=True)
class ReanalyseHooks:
    """How stored positions are searched again (Reanalyse, train.reanalyse_ratio). The runner gives
    them (selfplay/reanalyse.py's functions; run/local.py, run/remote.py): the learner knows replay
    positions and targets, not how a search is set up, so train/ does not import selfplay/."""
    position_refs: Callable   # replay PositionArrays -> list of the search's position references
    reanalyser_for: Callable  # Config -> a searcher with .run(refs, evaluator) -> Reanalysed


class Learner:
    def __init__(self, cfg: Config, run_dir: str | Path, resume: bool = False, threads: int | None = None,
                 init: str | Path | None = None, reanalyse_inline: bool = True,
                 reanalyse: ReanalyseHooks | None = None):
        """init: a checkpoint whose weights (and step count, FLOP ledger and wall time, so the
        FLOP axis goes on) start a new run when its run directory is gone (`alphago train --init`).
        reanalyse_inline: Reanalyse runs here as games are ingested; False: the caller takes the
        due positions (reanalyse_pick), has them searched elsewhere (the self-play workers, as Ray
        tasks) and hands the results back (reanalyse_apply). reanalyse: the runner's ReanalyseHooks,
        required when train.reanalyse_ratio > 0."""
        if cfg.train.reanalyse_ratio > 0 and reanalyse is None:
            raise ValueError("train.reanalyse_ratio > 0: the learner needs the runner's ReanalyseHooks")
        self.reanalyse_inline = reanalyse_inline
        self.hooks = reanalyse
        if threads:
            torch.set_num_threads(threads)
        torch.manual_seed(cfg.run.seed)
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.ckpt_dir = self.run_dir / "checkpoints"
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        self._lock = lock_run_dir(self.run_dir)
        left = remove_cut_short_writes(self.run_dir)   # the lock held: nothing else writes here
        if left:
            print(f"removed {len(left)} half-written file(s) a killed run left: {', '.join(p.name for p in left)}",
                  flush=True)
        self.store = ShardStore(self.run_dir / "games")
        planes = cfg.features.num_planes
        self.model = PolicyValueNet(cfg.size, planes, cfg.net)
        self.forward_flops = count_flops(self.model, planes, cfg.size)
        self.train_flops = count_flops(self.model, planes, cfg.size, backward=True)
        self.trainer = Trainer(self.model, cfg.train, self.train_flops)
        self.replay = ReplayBuffer(cfg.size, cfg.features, cfg.train.window, seed=cfg.run.seed)
        self.probe = ReplayBuffer(cfg.size, cfg.features, PROBE_POSITIONS, seed=cfg.run.seed + 1)
        self.games = 0
        self.positions = 0
        self.weight_version = 0
        self.last_probe: dict | None = None
        self.pending_samples = 0.0
        self.reanalyse_due = 0.0  # fractional positions owed to Reanalyse (train.reanalyse_ratio)
        self.reanalysed = 0
        self._reanalyser = None
        self.wall_offset = 0.0   # seconds of training before this process (resume / init)
        self.resume_warnings: list[str] = []
        self.last_good: Path | None = None     # newest checkpoint written (or resumed from)
        self.diverged: Diverged | None = None  # set once training diverged: no checkpoint after it
        self._t0 = time.time()
        if resume:
            self._resume()
        elif init:
            self._init_from(Path(init))
        if not resume:
            (self.run_dir / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
        self.shared_probe = None
        if cfg.train.probe:
            self.shared_probe = _load_probe(cfg)
            self._shared_planes = self.shared_probe.planes(cfg.features)
        self.metrics = MetricsWriter(self.run_dir)
        if getattr(self, "init_record", None):
            self.log(self.init_record)
        for m in self.resume_warnings:
            self.log({"event": "resume_fallback", "message": m})
        for m in getattr(self, "lost_shards", []):
            self.log({"event": "shard_lost", "message": m})

    # ------------------------------------------------------------------ meta and resume
    def expect(self) -> dict:
        return _expect(self.cfg)

    def meta(self) -> CheckpointMeta:
        cfg = self.cfg
        return CheckpointMeta(board_size=cfg.size, in_planes=cfg.features.num_planes, net=cfg.net.__dict__,
                              step=self.trainer.step_count, weight_version=self.weight_version,
                              games=self.games, positions=self.positions, ledger=self.trainer.ledger.state(),
                              features=cfg.features.__dict__, rules=cfg.rules.__dict__,
                              forward_flops=self.forward_flops, config_json=cfg.to_json(),
                              pending_samples=self.pending_samples, wall_s=self.wall_s(),
                              next_shard=self.store.next_index, reanalysed=self.reanalysed)

    def wall_s(self) -> float:
        """Wall-clock seconds of this run, earlier processes included."""
        return self.wall_offset + time.time() - self._t0

    def _init_from(self, path: Path) -> None:
        from ..net.io import read_checkpoint, warm_start
        data = read_checkpoint(path)
        meta = CheckpointMeta.of(data, path)
        added = warm_start(self.model, data, self.expect(), path)  # auxiliary heads may be added
        self.trainer.step_count = int(meta.step)
        for k, v in (meta.ledger or {}).items():
            setattr(self.trainer.ledger, k, v)
        self.wall_offset = float(meta.wall_s or 0.0)
        self.init_record = {"event": "init", "init_from": str(path), "init_step": self.trainer.step_count,
                            "init_games": int(meta.games or 0), "added_heads": added}

    def _resume(self) -> None:
        known_games, next_shard = 0, None
        def warn(message: str) -> None:  # said now, and logged to metrics.jsonl once the writer exists
            self.resume_warnings.append(message)
            print(f"warning: resume: {message}", flush=True)
        found = resume_candidate(self.ckpt_dir, self.expect(), warn=warn)
        if found is not None:
            self.last_good = found[0]
            meta = load_training_state(found[0], self.model, self.trainer.optimizer, data=found[1])
            self.trainer.step_count = meta.step
            self.weight_version = meta.weight_version
            for k, v in (meta.ledger or {}).items():
                setattr(self.trainer.ledger, k, v)
            self.pending_samples = meta.pending_samples if meta.pending_samples is not None else 0.0
            self.wall_offset = float(meta.wall_s or 0.0)
            known_games = meta.games
            next_shard = meta.next_shard  # None: a checkpoint from before it was recorded
            # Reanalysed targets live in the buffer only: after a resume the buffer holds the
            # shards' original targets again, and Reanalyse renews them as the run goes on
            self.reanalysed = int(meta.reanalysed or 0)
        # every stored game is replayed into the buffers; counters follow the shards on disk.
        # Games stored after the checkpoint still owe their self-play FLOPs and training samples:
        # those of shards from next_shard on (older checkpoints: games past the checkpoint's count).
        # An unreadable shard is moved aside and reported (ShardStore.read_readable), not fatal.
        lost = []
        shards = self.store.read_readable(log=lambda m: (lost.append(m), print(f"resume: {m}", flush=True)))
        i = 0
        for path, games in shards:
            new = next_shard is not None and self.store.index(path) >= next_shard
            for g in games:
                self._add(g)
                if new or (next_shard is None and i >= known_games):
                    self._count_data(g)
                    self.trainer.ledger.add_selfplay(g.evaluations, self.forward_flops)
                    self.pending_samples += g.num_moves * self.cfg.train.replay_ratio
                i += 1
        self.lost_shards = lost  # logged to metrics.jsonl once the writer exists (__init__)

    def _add(self, g: GameRecord) -> None:
        self.games += 1
        if self.games % PROBE_EVERY == 0 and len(self.probe) < PROBE_POSITIONS:
            self.probe.add_game(g)
        else:
            self.replay.add_game(g)
        self.positions += g.num_moves

    # ------------------------------------------------------------------ data in
    def ingest(self, games: list[GameRecord], network_rows: int | None = None) -> Path | None:
        """Persist games to a shard first, then add them to the buffers and the data ledger.
        network_rows: rows the self-play net actually evaluated while making them (cache hits
        excluded, games still in flight included); None = the games' own evaluation counts."""
        if not games:
            return None
        path = self.store.write(games)
        for g in games:
            self._add(g)
            self._count_data(g)
            if network_rows is None:
                self.trainer.ledger.add_selfplay(g.evaluations, self.forward_flops)
            self.pending_samples += g.num_moves * self.cfg.train.replay_ratio
        if network_rows is not None:
            self.trainer.ledger.add_selfplay(network_rows, self.forward_flops)
        if self.cfg.train.reanalyse_ratio > 0:
            self.reanalyse_due += sum(g.num_moves for g in games) * self.cfg.train.reanalyse_ratio
            n = int(self.reanalyse_due)
            if n > 0 and self.reanalyse_inline:
                self.reanalyse_due -= n
                self.reanalyse(n)
        return path

    def reanalyse(self, n: int) -> int:
        """Re-search n positions drawn uniformly from the replay window with the current net
        (selfplay/reanalyse.py) and make their search outputs the new targets; the searches'
        network rows go on the FLOP axis, the new labels into the data ledger. Returns n done."""
        from ..net.evaluator import TorchEvaluator
        if len(self.replay) == 0 or n <= 0:
            return 0
        if self._reanalyser is None:
            self._reanalyser = self.hooks.reanalyser_for(self.cfg)
        idx = self.replay.rng.integers(0, len(self.replay), size=n)
        self.model.eval()
        r = self._reanalyser.run(self.hooks.position_refs(self.replay.positions(idx)),
                                 TorchEvaluator(self.model, device=str(self.trainer.device)))
        self.model.train()
        return self.reanalyse_apply(idx, r)

    def reanalyse_pick(self) -> tuple[np.ndarray, list]:
        """(idx, PositionRefs) of the positions Reanalyse owes (train.reanalyse_ratio x positions
        ingested so far), drawn uniformly from the window; the debt is cleared. For a caller that
        has them searched elsewhere and calls reanalyse_apply(idx, result) before more games come in."""
        n = int(self.reanalyse_due)
        if len(self.replay) == 0 or n <= 0:
            return np.zeros(0, np.int64), []
        self.reanalyse_due -= n
        idx = self.replay.rng.integers(0, len(self.replay), size=n)
        return idx, self.hooks.position_refs(self.replay.positions(idx))

    def reanalyse_apply(self, idx: np.ndarray, r) -> int:
        """Install the new targets of positions idx (a Reanalysed), count their searches' FLOPs and
        their labels' bits; returns how many."""
        from .bits import data_policy_bits
        c = self.cfg
        n = len(idx)
        self.replay.set_targets(idx, r.visits, r.prior, r.improved)
        led = self.trainer.ledger
        led.reanalyse_flops += float(r.evaluations) * self.forward_flops
        bits, labels = data_policy_bits(c.train.target, r.visits, r.prior, self.replay.moves["actions"][idx].astype(np.int64),
                                        np.ones(n, bool), r.improved)
        led.data_policy_bits += bits
        led.data_labels += labels
        self.reanalysed += n
        return n

    def _count_data(self, g: GameRecord) -> None:
        """Bits in the data (train/bits.py): once per game, when self-play makes it."""
        from .bits import data_policy_bits
        kind = self.cfg.train.target
        if TARGETS[kind].needs_forced_playouts and g.pruned is None:
            # A game recorded without pruned visits is counted as its visit distribution. Kept, not
            # refused: the pruned arm of the committed target_kinds_5x5 ablation
            # (docs/results/target_kinds_5x5) was counted under this rule, and its cells' fingerprint
            # hashes the run config, not the code, so a refusal could change what rerunning them gives.
            kind = "visits"
        bits, labels = data_policy_bits(kind, g.visits, g.prior, g.actions.astype(np.int64), g.full_search,
                                        g.improved, g.pruned)
        self.trainer.ledger.add_game(g.winner, bits, labels, kind)
        if self.cfg.train.ownership_weight > 0 and g.ownership is not None:  # a label only when trained on
            self.trainer.ledger.add_ownership(g.ownership, g.winner)
        if self.cfg.train.score_weight > 0 and np.isfinite(g.score):  # counted games carry a margin
            from ..net.model import score_half_range
            self.trainer.ledger.add_score(g.score, 2 * score_half_range(g.size) + 1, g.winner)

    # ------------------------------------------------------------------ training
    def steps_due(self) -> int:
        """Training steps the replay ratio allows for the positions ingested so far."""
        return int(self.pending_samples // self.cfg.train.batch_size)

    def train(self, steps: int, on_step=None) -> list[dict]:
        """Up to `steps` training steps (checkpoints every run.checkpoint_every). Raises Diverged
        (naming the last good checkpoint) at a non-finite loss or weights; nothing is saved then."""
        out = []
        for _ in range(steps):
            if len(self.replay) == 0:
                break
            t = self.cfg.train
            batch = self.replay.sample(t.batch_size, t.target,
                                       soft_temperature=t.soft_policy_temperature if t.soft_policy_weight > 0 else None,
                                       label_smoothing=t.label_smoothing)
            try:
                m = self.trainer.step(batch)
            except Diverged as exc:
                raise self._diverged(exc) from None
            self.pending_samples = max(0.0, self.pending_samples - self.cfg.train.batch_size)
            m.update(games=self.games, positions=self.positions, weight_version=self.weight_version, reanalysed=self.reanalysed,
                     wall_s=self.wall_s())
            self.metrics.write(m)
            out.append(m)
            if on_step:
                on_step(m)
            if self.trainer.step_count % self.cfg.run.checkpoint_every == 0:
                self.checkpoint()
        return out

    def probe_batch(self) -> TrainBatch | None:
        """The run's own held-out positions, in their own orientation (reinforce: the move played)."""
        n = len(self.probe)
        if n == 0:
            return None
        target = self.cfg.train.target
        if TARGETS[target].weighting == "outcome":  # reinforce: the move played, unweighted
            target = "action"
        return self.probe.batch(np.arange(n), target, symmetries=False)

    def _diverged(self, exc: Diverged) -> Diverged:
        """exc naming the last good checkpoint; from now on nothing is checkpointed."""
        self.diverged = Diverged(exc.step, exc.what, str(self.last_good) if self.last_good else None)
        self.log({"event": "diverged", "message": self.diverged.line()})
        return self.diverged

    def checkpoint(self) -> Path:
        """New weight version; step checkpoint + latest, atomically; realized bits on the probe.
        Non-finite weights are never written (Diverged). The version counts only once the files
        are on disk: a failed write leaves the previous version in force."""
        if self.diverged is not None:
            raise self.diverged
        if not weights_finite(self.model):
            raise self._diverged(Diverged(self.trainer.step_count, "the weights are non-finite"))
        version = self.weight_version + 1
        record = {"step": self.trainer.step_count, "flops": self.trainer.ledger.flops, "event": "checkpoint",
                  "weight_version": version, "wall_s": self.wall_s()}
        probe = self.probe_batch() if self.shared_probe is None else None
        ev = None
        if self.shared_probe is not None:  # the shared file: same positions for every run and arm
            from .probe import score
            ev = score(self.model, self.shared_probe, self.cfg.features, self._shared_planes)
            record.update(ev)
            ev = {"policy_ce_bits": ev["probe_policy_ce_bits"], "value_ce_bits": ev["probe_value_ce_bits"]}
        elif probe is not None:
            ev = evaluate(self.model, probe, str(self.trainer.device))
            record.update({f"probe_{k}": v for k, v in ev.items()})
        if ev is not None:
            if self.last_probe is not None:
                from .bits import realized_bits
                record.update(realized_bits(self.last_probe, ev, self.trainer.ledger.flops - self.last_probe["flops"]))
            self.last_probe = {**ev, "flops": self.trainer.ledger.flops}
        path = self.ckpt_dir / f"step_{self.trainer.step_count:07d}.pt"
        # latest.pt is written exactly like the step file (temp, fsync, rename, directory fsync)
        save_checkpoint(path, self.model, replace(self.meta(), weight_version=version), self.trainer.optimizer,
                        also=(self.ckpt_dir / "latest.pt",))
        self.weight_version = version
        self.last_good = path
        self.metrics.write(record)
        return path

    def counters(self) -> tuple[int, int, int, int]:
        """(games, positions, training steps, weight version)."""
        return self.games, self.positions, self.trainer.step_count, self.weight_version

    def bump_version(self) -> int:
        """Weights changed since the last version: checkpoint them as a new version."""
        self.checkpoint()
        return self.weight_version

    def log(self, record: dict) -> None:
        """Append a record (e.g. an evaluation match) to metrics.jsonl / TensorBoard."""
        self.metrics.write({"step": self.trainer.step_count, "flops": self.trainer.ledger.flops,
                            "wall_s": self.wall_s(), "weight_version": self.weight_version, **record})

    def checkpoint_path(self) -> str:
        """Path of the newest step checkpoint."""
        return str(self.ckpt_dir / f"step_{self.trainer.step_count:07d}.pt")

    def state_dict(self) -> dict:
        return {k: v.detach().cpu() for k, v in self.model.state_dict().items()}

    def close(self) -> None:
        self.metrics.close()
        self._lock.close()


