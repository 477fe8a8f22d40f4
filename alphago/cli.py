"""`alphago` command line: one subcommand per job; each lives in its own module.

Subcommands import their modules lazily so `alphago --help` is instant and a command
never pays for another's dependencies (e.g. `gtp` does not import ray).
"""
from __future__ import annotations

import argparse
import os
import sys


def _bench(args: argparse.Namespace) -> int:
    if args.what == "engine":
        from .bench.engine import main as bench_engine
        return bench_engine(args)
    if args.what == "mcts":
        from .bench.mcts import main as bench_mcts
        return bench_mcts(args)
    raise SystemExit(f"unknown benchmark {args.what!r}")


def _train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .config import ConfigError, load_config
    from .orchestrate import train
    if args.resume:
        run_dir = Path(args.resume)
        config_path = Path(args.config) if args.config else run_dir / "config.yaml"
    else:
        if not args.config:
            raise SystemExit("alphago train: --config is required (or --resume RUN_DIR)")
        config_path = Path(args.config)
        run_dir = Path(args.run_dir) if args.run_dir else Path("runs") / config_path.stem
        if (run_dir / "checkpoints" / "latest.pt").exists():
            raise SystemExit(f"{run_dir} already holds a run; use --resume {run_dir} or another --run-dir")
    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        raise SystemExit(f"bad config {config_path}: {exc}")
    address = args.address or os.environ.get("RAY_ADDRESS")
    try:
        s = train(cfg, run_dir, address=address, resume=bool(args.resume), progress=not args.no_progress)
    except (ConfigError, ConnectionError) as exc:
        raise SystemExit(f"alphago train: {exc}")
    print(f"done: {s.games} games, {s.positions} positions, {s.steps} steps, weight version "
          f"{s.weight_version}, {s.seconds:.0f} s; checkpoints in {run_dir / 'checkpoints'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="alphago", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="self-play training on Ray (embedded local Ray unless --address)")
    t.add_argument("--config", help="YAML config (configs/tiny.yaml, 5x5.yaml, ...)")
    t.add_argument("--run-dir", help="output directory (default runs/CONFIG_NAME)")
    t.add_argument("--address", help="Ray cluster: auto or HOST:PORT (RAY_ADDRESS is honoured too)")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue a run from its latest checkpoint and shards")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=_train)

    b = sub.add_parser("bench", help="benchmarks that print figures (and --json), with peers in the same run")
    bsub = b.add_subparsers(dest="what", required=True)
    be = bsub.add_parser("engine", help="random games and light playouts, vs OpenSpiel (and pgx) in the same run")
    be.add_argument("--size", type=int, default=9)
    be.add_argument("--seconds", type=float, default=3.0, help="time per measured workload")
    be.add_argument("--batch", type=int, default=256, help="games per batch for the batched path")
    be.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    be.add_argument("--no-peers", action="store_true", help="skip OpenSpiel / pgx")
    bm = bsub.add_parser("mcts", help="batched search: sims/s, positions/s, share of time outside the net")
    bm.add_argument("--size", type=int, default=9)
    bm.add_argument("--kind", choices=("puct", "gumbel"), default="puct")
    bm.add_argument("--sims", type=int, default=64, help="simulations per move with the uniform evaluator")
    bm.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64, 256])
    bm.add_argument("--net-batch", type=int, default=64)
    bm.add_argument("--net-sims", type=int, nargs="+", default=[16, 64])
    bm.add_argument("--history", type=int, default=8, help="stone-history planes of the features")
    bm.add_argument("--threads", type=int, default=2, help="torch threads for the net")
    bm.add_argument("--seconds", type=float, default=5.0, help="time per measured configuration")
    bm.add_argument("--no-net", action="store_true", help="skip the ResNet runs")
    bm.add_argument("--json", action="store_true")
    b.set_defaults(func=_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
