"""`alphago train`: self-play training on Ray (run/train.py); argument builder and handler. Heavy modules
load only when the command runs."""
from __future__ import annotations

import argparse
import os


def _train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..config import ConfigError, load_config, load_run_config
    from ..data.lock import RunDirLocked
    from ..net.io import CheckpointError
    from ..train.trainer import Diverged
    from .schedule import RunStopped
    from .train import train
    if args.resume:
        run_dir = Path(args.resume)
        config_path = Path(args.config) if args.config else run_dir / "config.yaml"
        if args.init:
            raise SystemExit("alphago train: --init starts a new run; it does not go with --resume")
    else:
        if not args.config and not args.init:
            raise SystemExit("alphago train: --config is required (or --resume RUN_DIR, or --init CHECKPOINT)")
        config_path = Path(args.config) if args.config else None
        stem = config_path.stem if config_path else Path(args.init).stem + "-continued"
        run_dir = Path(args.run_dir) if args.run_dir else Path("runs") / stem
        if (run_dir / "checkpoints" / "latest.pt").exists():
            raise SystemExit(f"{run_dir} already holds a run; use --resume {run_dir} or another --run-dir")
    try:
        if config_path is None:  # --init without --config: the net's own run config
            cfg = load_run_config(None, args.init)
        else:
            cfg = load_config(config_path)
    except ConfigError as exc:
        if config_path is None:
            raise SystemExit(f"alphago train --init {args.init}: {exc}")
        raise SystemExit(f"bad config {config_path}: {exc}")
    if args.init:  # a net that cannot start this config is refused here, before Ray starts
        from ..net.io import CheckpointError, check_warm_start, read_meta
        try:  # auxiliary heads the net lacks may be added (they start fresh)
            check_warm_start(read_meta(args.init),
                             {"board_size": cfg.size, "in_planes": cfg.features.num_planes,
                              "net": cfg.net.__dict__}, args.init)
        except CheckpointError as exc:
            raise SystemExit(f"alphago train --init: {exc}")
    address = args.address or os.environ.get("RAY_ADDRESS")
    try:
        s = train(cfg, run_dir, address=address, resume=bool(args.resume), progress=not args.no_progress,
                  init=args.init)
    except (ConfigError, ConnectionError, Diverged, CheckpointError, RunStopped, RunDirLocked) as exc:
        raise SystemExit(f"alphago train: {exc}")
    print(f"done: {s.games} games, {s.positions} positions, {s.steps} steps, weight version "
          f"{s.weight_version}, {s.seconds:.0f} s; checkpoints in {run_dir / 'checkpoints'}")
    print(f"workers on {len(set(s.worker_nodes))} node(s); worker restarts: {s.worker_restarts}")
    return 0


def add_parser(sub) -> None:
    t = sub.add_parser("train", help="self-play training on Ray (embedded local Ray unless --address)")
    t.add_argument("--config", help="YAML config (configs/tiny.yaml, 5x5.yaml, ...)")
    t.add_argument("--run-dir", help="output directory (default runs/CONFIG_NAME)")
    t.add_argument("--address", help="Ray cluster: auto or HOST:PORT (RAY_ADDRESS is honoured too)")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its latest checkpoint and shards")
    t.add_argument("--init", metavar="CHECKPOINT",
                   help="start a new run from a net's weights (its step, FLOP ledger and wall time go on); "
                        "config from --config or the net's own")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=_train)
