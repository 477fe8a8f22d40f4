"""`alphago` command line: one subcommand per job; each lives in its own module.

Subcommands import their modules lazily so `alphago --help` is instant and a command
never pays for another's dependencies (e.g. `gtp` does not import ray).
"""
from __future__ import annotations

import argparse
import sys


def _bench(args: argparse.Namespace) -> int:
    if args.what == "engine":
        from .bench.engine import main as bench_engine
        return bench_engine(args)
    if args.what == "mcts":
        from .bench.mcts import main as bench_mcts
        return bench_mcts(args)
    raise SystemExit(f"unknown benchmark {args.what!r}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="alphago", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

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
