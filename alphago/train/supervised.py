"""Supervised training on SGF games: `alphago pretrain --sgf DIR`.

Any SGF collection of one board size (here: GNU Go games generated through GTP by the
arena) becomes positions with a hard policy target (the move played) and the game's outcome
as value target, trained with the same Trainer, net and symmetry augmentation as self-play.
It is a warm start for self-play runs (`alphago train --init OUT`) and a pipeline check: a
bug in features, targets, perspectives or augmentation shows as a net that cannot agree
with GNU Go on held-out positions (tests/test_sanity.py).

Held-out games (not positions: positions of one game are correlated) measure top-1
agreement, policy cross-entropy and value calibration (predicted vs actual win rate of the
player to move, in bins).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine (numba) loads when a command runs, not with the CLI parser
    from ..go.features import FeatureConfig


@dataclass(frozen=True)
class SgfPositions:
    """T positions from G games. C planes, N x N board."""
    planes: np.ndarray    # uint8[T, C, N, N] features before each move
    actions: np.ndarray   # int64[T] move played (N*N = pass)
    outcome: np.ndarray   # float32[T] game result for the player to move (+1 win, -1 loss, 0 draw)
    game: np.ndarray      # int32[T] index of the game each position comes from
    games: int
    komi: np.ndarray | None = None  # float32[T] the komi plane's value (features.komi; planes are uint8)
    features: FeatureConfig | None = None

    def inputs(self, idx: np.ndarray) -> np.ndarray:
        """float32[len(idx), C, N, N] the net's input planes of positions idx."""
        from ..go.features import restore_komi
        x = self.planes[idx].astype(np.float32)
        return x if self.features is None else restore_komi(x, self.features, self.komi[idx])


def outcome_of(result: str) -> int | None:
    """SGF RE -> winner (1 black, -1 white, 0 draw) or None when unknown ("", "?", "Void")."""
    r = result.strip().upper()
    if r in ("0", "DRAW", "JIGO") or r.startswith("0"):
        return 0
    if r.startswith("B+"):
        return 1
    if r.startswith("W+"):
        return -1
    return None


def read_sgf_dir(sgf_dir: str | Path, size: int, features: FeatureConfig) -> SgfPositions:
    """Every *.sgf under sgf_dir (recursively) with this board size, no set-up stones, a known
    result and alternating colours, replayed under positional superko. Others are skipped; a
    directory with no usable game is a ValueError naming it."""
    from ..go import GoState, Rules
    from ..go.rules import move_cap_for
    from ..go.features import compute_features, komi_plane_value
    from ..go.sgf import from_sgf
    files = sorted(Path(sgf_dir).rglob("*.sgf"))
    planes, actions, outcome, game, komi = [], [], [], [], []
    g_index = 0
    for f in files:
        try:
            g = from_sgf(f.read_bytes())
        except ValueError:
            continue
        winner = outcome_of(g.result)
        if g.size != size or g.setup is not None or winner is None or not g.actions:
            continue
        if any(c != (1 if t % 2 == 0 else -1) for t, c in enumerate(g.colors)):
            continue
        st = GoState(size, Rules(komi=g.komi, max_moves=move_cap_for("referee", size, len(g.actions) + 1)),
                     history=features.history)
        rows = []
        try:
            for t, a in enumerate(g.actions):
                rows.append(compute_features(st.batch, features)[0].astype(np.uint8))
                st.play(int(a))
        except Exception:  # an illegal move under our rules: skip the game
            continue
        T = len(rows)
        planes += rows
        actions += [int(a) for a in g.actions]
        sign = np.where(np.arange(T) % 2 == 0, 1.0, -1.0)
        outcome += list((winner * sign).astype(np.float32))
        game += [g_index] * T
        komi += list(komi_plane_value(g.komi, np.where(np.arange(T) % 2 == 0, 1, -1), size))
        g_index += 1
    if not planes:
        raise ValueError(f"no usable {size}x{size} SGF game (known result, no set-up stones) under {sgf_dir}")
    return SgfPositions(np.stack(planes), np.array(actions, np.int64), np.array(outcome, np.float32),
                        np.array(game, np.int32), g_index, np.array(komi, np.float32), features)


def calibration(pred_win: np.ndarray, won: np.ndarray, bins: int = 5) -> tuple[float, list[dict]]:
    """Expected calibration error (weighted mean |predicted - actual| over equal-width bins of the
    predicted win probability) and the bins. pred_win in [0, 1]; won in {0, 0.5, 1}."""
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(pred_win, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        sel = idx == b
        if not sel.any():
            continue
        p, a = float(pred_win[sel].mean()), float(won[sel].mean())
        rows.append({"lo": float(edges[b]), "hi": float(edges[b + 1]), "n": int(sel.sum()), "predicted": p,
                     "actual": a})
        ece += sel.mean() * abs(p - a)
    return float(ece), rows


def pretrain(net_cfg, features: FeatureConfig, size: int, data: SgfPositions, steps: int, batch_size: int = 128,
             lr: float = 2e-3, holdout: float = 0.15, seed: int = 0, threads: int | None = None):
    """Train a fresh net on `data` (hard targets: the move played; value: the outcome) with random
    symmetries. Returns (model, trainer, report) where report holds held-out top-1 agreement,
    policy cross-entropy (bits), value MSE and calibration error, and the training-set top-1."""
    import torch

    from ..data.replay import TrainBatch
    from ..go.symmetry import action_permutation, apply_planes
    from ..net.model import PolicyValueNet, count_flops
    from .trainer import TrainConfig, Trainer
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    held = rng.permutation(data.games)[: max(1, int(round(holdout * data.games)))]
    test = np.isin(data.game, held)
    train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
    if len(train_idx) == 0:
        raise ValueError("no training positions left after the held-out games")
    A = size * size + 1
    perms = [action_permutation(size, t) for t in range(8)]
    model = PolicyValueNet(size, features.num_planes, net_cfg)
    trainer = Trainer(model, TrainConfig(optimizer="adamw", lr=lr, weight_decay=1e-4, batch_size=batch_size,
                                         target="action"),
                      count_flops(model, features.num_planes, size, backward=True))
    for _ in range(steps):
        idx = rng.choice(train_idx, batch_size)
        t = int(rng.integers(8))
        x = apply_planes(data.inputs(idx), t)
        a = perms[t][data.actions[idx]]
        batch = TrainBatch(x, np.eye(A, dtype=np.float32)[a], np.ones(len(idx), np.float32),
                           data.outcome[idx], a.astype(np.int64))
        trainer.step(batch)
    report = {"train_positions": int(len(train_idx)), "test_positions": int(len(test_idx)),
              "games": data.games, "test_games": int(len(held)), "steps": steps}
    model.eval()
    with torch.no_grad():
        for name, sel in (("test", test_idx), ("train", train_idx)):
            if len(sel) == 0:
                continue
            logits, v = model(torch.from_numpy(data.inputs(sel)))
            logp = torch.log_softmax(logits, -1).numpy()
            v = v.numpy()
            report[f"{name}_top1"] = float((logp.argmax(-1) == data.actions[sel]).mean())
            report[f"{name}_policy_ce_bits"] = float(-logp[np.arange(len(sel)), data.actions[sel]].mean() / np.log(2))
            report[f"{name}_value_mse"] = float(((v - data.outcome[sel]) ** 2).mean())
            ece, bins = calibration((v + 1) / 2, (data.outcome[sel] + 1) / 2)
            report[f"{name}_value_ece"] = ece
            if name == "test":
                report["test_calibration"] = bins
    return model, trainer, report


def main(args: argparse.Namespace) -> int:
    import json

    from ..config import ConfigError, load_config
    from ..net.io import CheckpointMeta
    from .checkpoint import save_checkpoint
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        raise SystemExit(f"bad config {args.config}: {exc}")
    data = read_sgf_dir(args.sgf, cfg.size, cfg.features)
    model, trainer, report = pretrain(cfg.net, cfg.features, cfg.size, data, args.steps, lr=args.lr,
                                      threads=args.threads, seed=args.seed)
    meta = CheckpointMeta(board_size=cfg.size, in_planes=cfg.features.num_planes, net=cfg.net.__dict__,
                          step=trainer.step_count, weight_version=0, games=0, positions=0,
                          ledger=trainer.ledger.state(), features=cfg.features.__dict__, rules=cfg.rules.__dict__,
                          config_json=cfg.to_json(), pretrained_on=str(args.sgf), pretrain_report=json.dumps(report))
    save_checkpoint(args.out, model, meta)
    print(json.dumps(report, indent=1))
    print(f"wrote {args.out}; start self-play from it with: alphago train --config {args.config} --init {args.out}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("pretrain", help="supervised training on an SGF collection (hard targets + outcomes)")
    p.add_argument("--sgf", required=True, help="directory of .sgf files (searched recursively)")
    p.add_argument("--config", required=True, help="YAML config: board size, features and net")
    p.add_argument("--out", required=True, help="checkpoint to write")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=main)
