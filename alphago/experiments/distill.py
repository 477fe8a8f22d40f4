"""`alphago distill SPEC`: how much a soft label teaches compared with a hard one, at equal
positions and equal FLOPs (the soft-vs-hard study's distillation arm, docs/results/distill_5x5; the spec: experiments/distill_spec.py).

1. The teacher plays `games` self-play games (+ `test_games` held out) with a noise-free search of
   `teacher_sims` simulations on every move (sampling its first `temperature_moves` moves from the
   visits, so games differ); every position keeps the teacher's visit distribution. Cached as
   shards under OUT/teacher/ and OUT/teacher_test/, so a rerun or a crash reuses them.
2. For each (label, n positions, seed) a student starts from zero and trains `steps` SGD steps of
   `batch_size` samples (cosine learning rate, 8 symmetries) on the first n positions of the pool,
   with that label as policy target and the game outcome as value target. Every cell costs the
   same training FLOPs; only the label and the number of distinct positions differ.
3. Each student is measured on the held-out positions (policy cross-entropy against the teacher's
   visit distribution and KL from it, in bits; top-1 agreement with the teacher's most visited
   move; value cross-entropy) and, with eval.games > 0, in games against the references (arena,
   alternating colours, per-game seeds). Bits: the label's entropy (the "dark knowledge" a soft
   label carries, 0 for a hard one) and the bits it offers per gradient sample (KL(label || student),
   from the trainer's ledger), at the first step and over the run.

Results go to OUT/cells.jsonl one row per cell (a finished cell is never rerun) and the report
(experiments/distill_report.py) to docs/results/NAME/, with cells.jsonl and teacher.json beside it.
Every row carries a fingerprint (the spec's settings but its lists of labels, pools and seeds, the
cell, and the teacher checkpoint's bytes): on a fresh clone the committed rows whose fingerprint
still matches are restored instead of trained again, and when every cell is restored the teacher's
games are not replayed either.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..data.jsonl import append_jsonl, read_json, write_json
from .cells import file_sha256, fingerprint, restorable
from .distill_spec import DistillSpec, cell_name, finished_cells, label_temperature, load_distill

if TYPE_CHECKING:
    from ..net.io import CheckpointMeta

CHUNK_GAMES = 64  # teacher games per shard: a crash loses at most one chunk


def teacher_config(spec: DistillSpec, cfg, games: int | None = None):
    """The teacher's run config for labelling: full noise-free searches on every move, no resignation
    (and no more game slots than the games wanted: slots still playing when enough games have ended
    cost network rows for nothing)."""
    search = dataclasses.replace(cfg.search, num_simulations=spec.teacher_sims, full_search_prob=1.0,
                                 dirichlet_fraction=0.0, gumbel_scale=0.0, forced_playouts=False)
    selfplay = dataclasses.replace(cfg.selfplay, resign_threshold=-1.0, resign_disabled_frac=0.0,
                                   temperature_moves=spec.temperature_moves,
                                   batch_games=min(cfg.selfplay.batch_games, games or cfg.selfplay.batch_games))
    return dataclasses.replace(cfg, search=search, selfplay=selfplay)


def teacher_games(spec: DistillSpec, cfg, weights: dict, out: Path, split: str, games: int,
                  threads: int, log=print) -> tuple[list, int]:
    """(games, network rows evaluated by this call) for one split, reading what is cached."""
    from ..data.store import ShardStore
    from ..selfplay.worker import Worker
    store = ShardStore(out / split)
    have = [g for _, gs in store.read_readable(log) for g in gs]
    rows = 0
    chunk = len(store.shards())
    while len(have) < games:
        # a fresh worker per chunk, seeded by split and chunk: a resumed run does not replay the same games
        n = min(CHUNK_GAMES, games - len(have))
        w = Worker(teacher_config(spec, cfg, n), worker_id=(1 if split == "teacher" else 2) * 1000 + chunk,
                   threads=threads)
        w.set_weights(weights, 0)
        new = w.play(n)[:n]
        rows += w.take_network_rows()
        store.write(new)
        have += new
        chunk += 1
        log(f"{split}: {len(have)}/{games} games")
    return have[:games], rows


def pool_buffer(games: list, size: int, features):
    from ..data.replay import ReplayBuffer
    buf = ReplayBuffer(size, features, window=max(1, sum(g.num_moves for g in games)))
    for g in games:
        buf.add_game(g)
    return buf


def labels(batch, label: str) -> np.ndarray:
    """float32[B, A] the label's policy target from a batch built with target "visits" (normalised
    visits) or "argmax" (for hard)."""
    T = label_temperature(label)
    if T is None or T == 1.0:
        return batch.policy
    p = batch.policy.astype(np.float64) ** (1.0 / T)
    return (p / np.maximum(p.sum(-1, keepdims=True), 1e-300)).astype(np.float32)


def entropy_bits(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0).sum(-1)


def measure(model, test, teacher_policy: np.ndarray) -> dict:
    """Held-out accuracy of a student against the teacher (bits per position)."""
    import torch
    from ..train.supervised import calibration
    model.eval()
    with torch.no_grad():
        logits, v = model(torch.from_numpy(test.features))
        logq = torch.log_softmax(logits.float(), -1).numpy().astype(np.float64)
        v = v.float().numpy().astype(np.float64)
    t = teacher_policy.astype(np.float64)
    ce = -(t * logq).sum(-1) / np.log(2)
    pw = np.clip((v + 1) / 2, 1e-6, 1 - 1e-6)
    z = (test.value.astype(np.float64) + 1) / 2
    return {"test_policy_ce_bits": float(ce.mean()), "test_policy_kl_bits": float((ce - entropy_bits(t)).mean()),
            "test_top1": float((logq.argmax(-1) == t.argmax(-1)).mean()),
            "test_value_ce_bits": float(-(z * np.log2(pw) + (1 - z) * np.log2(1 - pw)).mean()),
            "test_value_ece": calibration(pw, z)[0]}


def student_config(spec: DistillSpec, cfg):
    from ..config import _merge, build
    from ..net.config import NetConfig
    return build(NetConfig, _merge(dataclasses.asdict(cfg.net), spec.student), "student")


def train_cell(spec: DistillSpec, cfg, pool, test, teacher_policy: np.ndarray, label: str, n: int,
               seed: int, threads: int) -> tuple[object, dict]:
    """Train one student from zero; (model, metrics row)."""
    import torch
    from ..net.model import PolicyValueNet, count_flops
    from ..train.trainer import Trainer
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    net = student_config(spec, cfg)
    model = PolicyValueNet(cfg.size, cfg.features.num_planes, net)
    fwd = count_flops(model, cfg.features.num_planes, cfg.size)
    train_flops = count_flops(model, cfg.features.num_planes, cfg.size, backward=True)
    tcfg = dataclasses.replace(cfg.train, target="argmax" if label == "hard" else "visits",
                               batch_size=spec.batch_size, lr=spec.lr, lr_schedule="cosine", total_steps=spec.steps,
                               ownership_weight=0.0, soft_policy_weight=0.0, reanalyse_ratio=0.0, device="cpu")
    trainer = Trainer(model, tcfg, train_flops)
    used = min(n, pool.count)
    rng = np.random.default_rng([seed, n])
    pool.rng = np.random.default_rng([seed, n, 1])  # symmetries of this cell, independent of other cells
    before = measure(model, test, teacher_policy)
    ent = []
    first_bits = None
    offered = []
    for _ in range(spec.steps):
        batch = pool.batch(rng.integers(0, used, size=spec.batch_size), tcfg.target, symmetries=True)
        batch.policy = labels(batch, label)
        ent.append(float(entropy_bits(batch.policy.astype(np.float64)).mean()))
        m = trainer.step(batch)
        offered.append(m["policy_bits"])
        first_bits = m["policy_bits"] if first_bits is None else first_bits
    after = measure(model, test, teacher_policy)
    row = {"label": label, "positions": n, "positions_used": used, "seed": seed, "steps": spec.steps,
           "batch_size": spec.batch_size, "samples": spec.steps * spec.batch_size,
           "train_flops": float(spec.steps * spec.batch_size * train_flops), "forward_flops": fwd,
           "label_entropy_bits": float(np.mean(ent)), "offered_bits_first": float(first_bits),
           "offered_bits_mean": float(np.mean(offered)), "offered_bits_last100": float(np.mean(offered[-100:])),
           "init_test_policy_ce_bits": before["test_policy_ce_bits"], **after,
           "realized_bits": before["test_policy_ce_bits"] - after["test_policy_ce_bits"],
           "student_net": dataclasses.asdict(net)}
    return model, row


def cell_fingerprint(spec: DistillSpec, label: str, n: int, seed: int, teacher_sha: str) -> str:
    """What a cell's row depends on (module doc), hashed."""
    settings = {k: v for k, v in dataclasses.asdict(spec).items() if k not in ("labels", "positions", "seeds")}
    return fingerprint({"settings": settings, "cell": [label, n, seed], "teacher_sha256": teacher_sha})


def restore_committed(spec: DistillSpec, teacher_sha: str, out: Path, report_dir: Path, log=print) -> int:
    """Rows of REPORT_DIR/cells.jsonl (committed) whose fingerprint matches, for cells OUT has not
    finished, appended to OUT/cells.jsonl (and teacher.json copied when OUT has none)."""
    src = report_dir / "cells.jsonl"
    if not src.exists():
        return 0
    done = finished_cells(out / "cells.jsonl")
    wanted = [(cell_name(label, n, seed), cell_fingerprint(spec, label, n, seed, teacher_sha))
              for label, n, seed in spec.cells()]
    new = [row for _, row in restorable(finished_cells(src), wanted, report_dir, is_done=done.__contains__)]
    append_jsonl(out / "cells.jsonl", new)
    if new:
        log(f"restored {len(new)} finished cells from {src} (not trained again)")
    if not (out / "teacher.json").exists() and (report_dir / "teacher.json").exists():
        (out / "teacher.json").write_text((report_dir / "teacher.json").read_text())
    return len(new)


def save_student(path: Path, model, teacher_meta: CheckpointMeta, cfg, row: dict) -> None:
    """The teacher's meta (board, features, rules, run config), with the student's net and training;
    no ledger: the teacher's does not describe the student."""
    from ..train.checkpoint import save_checkpoint
    meta = dataclasses.replace(teacher_meta, net=row["student_net"], step=row["steps"], weight_version=0, games=0,
                               positions=row["positions_used"], distilled_from=row["teacher"],
                               distill_label=row["label"], ledger=None)
    save_checkpoint(path, model, meta)


def run(spec: DistillSpec, out: Path, report_dir: Path | None, threads: int = 2, parallel: int = 2,
        command: str = "", log=print) -> Path | None:
    from ..config import ConfigError, load_run_config
    from ..net.io import CheckpointMeta, read_checkpoint
    from ..play.engines import NetPlayer
    from ..play.evaluation import evaluate_checkpoint
    out.mkdir(parents=True, exist_ok=True)
    try:
        cfg = load_run_config(None, spec.teacher)
    except ConfigError as exc:
        raise SystemExit(f"teacher {spec.teacher}: {exc}")
    data = read_checkpoint(spec.teacher)
    weights, teacher_meta = data["model"], CheckpointMeta.of(data, spec.teacher)
    (out / "spec.json").write_text(json.dumps(dataclasses.asdict(spec), indent=1))
    teacher_sha = file_sha256(spec.teacher)
    if report_dir is not None:
        restore_committed(spec, teacher_sha, out, report_dir, log)
    cells_path = out / "cells.jsonl"
    done = finished_cells(cells_path)
    if all(cell_name(*c) in done for c in spec.cells()) and (out / "teacher.json").exists():
        if report_dir is None:  # nothing to train, and no teacher games needed
            return None
        from .distill_report import write_report
        return write_report(spec, out, report_dir, command)
    pool_games, rows_a = teacher_games(spec, cfg, weights, out, "teacher", spec.games, threads, log)
    test_games, rows_b = teacher_games(spec, cfg, weights, out, "teacher_test", spec.test_games, threads, log)
    info_path = out / "teacher.json"
    info = read_json(info_path, {"network_rows": 0})
    info["network_rows"] += rows_a + rows_b  # rows of this call only (cached games were counted before)
    from ..net.io import build_model
    from ..net.model import count_flops
    fwd = count_flops(build_model(teacher_meta), cfg.features.num_planes, cfg.size)
    pool = pool_buffer(pool_games, cfg.size, cfg.features)
    test_buf = pool_buffer(test_games, cfg.size, cfg.features)
    test = test_buf.batch(np.arange(test_buf.count), "visits")
    teacher_policy = test.policy.copy()
    info.update(teacher=spec.teacher, teacher_sims=spec.teacher_sims, games=len(pool_games), positions=pool.count,
                test_games=len(test_games), test_positions=test_buf.count, forward_flops=fwd,
                labelling_flops=float(info["network_rows"] * fwd),
                mean_game_length=float(np.mean([g.num_moves for g in pool_games])),
                black_win_rate=float(np.mean([g.winner > 0 for g in pool_games])))
    write_json(info_path, info)
    from ..play.engine_pool import EnginePool
    from ..play.evaluation import evaluation_idle
    # the references' engines play every student: started once for all the cells
    with EnginePool(evaluation_idle(len(spec.eval.references), parallel)) as engines:
        for label, n, seed in spec.cells():
            name = cell_name(label, n, seed)
            if name in done:
                continue
            ts = time.time()
            model, row = train_cell(spec, cfg, pool, test, teacher_policy, label, n, seed, threads)
            row.update(teacher=spec.teacher, cell=name, teacher_sha256=teacher_sha,
                       fingerprint=cell_fingerprint(spec, label, n, seed, teacher_sha))
            ckpt = out / "students" / f"{name}.pt"
            ckpt.parent.mkdir(exist_ok=True)
            save_student(ckpt, model, teacher_meta, cfg, row)
            if spec.eval.games > 0 and spec.eval.references:
                # a fresh search (not the teacher's, which the student's meta carries): as the committed rows
                res = evaluate_checkpoint(NetPlayer.fresh(ckpt, spec.eval.sims), spec.eval.references, spec.eval.games,
                                          cfg.size, cfg.rules.komi, seed=seed, parallel=parallel,
                                          pool=engines)
                row.update({k: v for k, v in res.items() if k.startswith("eval_")})
            row["wall_s"] = time.time() - ts
            append_jsonl(cells_path, [row])
            log(f"{name}: test CE {row['test_policy_ce_bits']:.3f} bits, top-1 {row['test_top1']:.3f}"
                + "".join(f", {k} {row[k]:.2f}" for k in row if k.startswith("eval_") and k.endswith("_score")))
    if report_dir is None:
        return None
    from .distill_report import write_report
    return write_report(spec, out, report_dir, command)


def main(args: argparse.Namespace) -> int:
    from ..config import ConfigError
    try:
        spec = load_distill(args.spec)
    except ConfigError as exc:
        raise SystemExit(str(exc))
    if not Path(spec.teacher).exists():
        raise SystemExit(f"{args.spec}: teacher checkpoint {spec.teacher} does not exist")
    out = Path(args.out or f"runs/distill/{spec.name}")
    report = None if args.no_report else Path(args.report_dir or f"docs/results/{spec.name}")
    command = "alphago distill " + " ".join(a for a in [args.spec] + (["--out", args.out] if args.out else []))
    path = run(spec, out, report, threads=args.threads, parallel=args.parallel, command=command)
    if path:
        print(f"report: {path}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("distill", help="students trained on a teacher's soft vs hard search labels, equal positions and FLOPs")
    p.add_argument("spec", help="distillation file (configs/ablation/distill_5x5.yaml)")
    p.add_argument("--out", help="working directory: teacher games, students, cells.jsonl (default runs/distill/NAME)")
    p.add_argument("--report-dir", help="where report.md and plots go (default docs/results/NAME)")
    p.add_argument("--no-report", action="store_true", help="run the cells only")
    p.add_argument("--threads", type=int, default=2, help="torch threads for the teacher and the students")
    p.add_argument("--parallel", type=int, default=2, help="evaluation games at a time")
    p.set_defaults(func=main)
