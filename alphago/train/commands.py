"""`alphago train-offline` (training on stored shards, no Ray): argument builder and handler; heavy
modules load only when the command runs. `alphago train` (self-play + training) is run/commands.py."""
from __future__ import annotations

import argparse

from ..cli_common import int_in, run_config_or_exit


def _train_offline(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from ..config import ConfigError
    from ..data.lock import RunDirLocked, lock_dir
    from ..data.records import read_shard
    from ..data.store import ShardStore
    from ..train.learner import Learner, check_start
    from .trainer import Diverged
    cfg = run_config_or_exit(args.config, None)
    data = Path(args.data)
    if not data.is_dir():  # never created: a mistyped path is an error, not an empty store
        raise SystemExit(f"alphago train-offline: --data {data} is not a directory")
    shards = ShardStore(data).shards()
    if not shards:
        raise SystemExit(f"alphago train-offline: no shards (shard_*.npz) in {data}")
    games = []
    for p in shards:  # every shard read before anything is written: a bad one stops the run cleanly
        try:
            games.append(read_shard(p))
        except ValueError as exc:
            raise SystemExit(f"alphago train-offline: {exc}")
    run_dir = Path(args.run_dir or Path("runs") / f"offline_{Path(args.config).stem}")
    if (run_dir / "metrics.jsonl").exists() or any((run_dir / "checkpoints").glob("*.pt")):
        raise SystemExit(f"alphago train-offline: {run_dir} already holds a run (its step files and metrics "
                         f"would be overwritten); use another --run-dir")
    try:
        check_start(cfg, run_dir)
        lock = lock_dir(run_dir)
    except (ConfigError, RunDirLocked) as exc:
        raise SystemExit(f"alphago train-offline: {exc}")
    hooks = None
    if cfg.train.reanalyse_ratio > 0:   # this command is the runner here: it gives the learner Reanalyse's searches
        from ..selfplay.reanalyse import position_refs, reanalyser_for
        from .learner import ReanalyseHooks
        hooks = ReanalyseHooks(position_refs, reanalyser_for)
    learner = Learner(cfg, run_dir, resume=False, threads=args.threads, reanalyse=hooks)
    try:
        for part in games:
            learner.ingest(part)
        steps = args.steps if args.steps else learner.steps_due()
        bar = tqdm(total=steps, unit="step", disable=args.no_progress)
        learner.train(steps, on_step=lambda m: (bar.update(1), bar.set_postfix(loss=f"{m['loss']:.3f}")))
        bar.close()
        path = learner.checkpoint()
    except Diverged as exc:
        raise SystemExit(f"alphago train-offline: {exc}")
    finally:
        learner.close()
        lock.close()
    print(f"{steps} steps on {learner.games} games; checkpoint {path}")
    return 0


def add_parser(sub) -> None:
    to = sub.add_parser("train-offline", help="train on stored games, no Ray")
    to.add_argument("--data", required=True, help="directory of shard_*.npz")
    to.add_argument("--config", required=True)
    to.add_argument("--run-dir")
    to.add_argument("--steps", type=int_in(0), default=0, help="training steps (default: replay ratio x positions)")
    to.add_argument("--threads", type=int_in(1, 1024), default=2)
    to.add_argument("--no-progress", action="store_true")
    to.set_defaults(func=_train_offline)

