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
    b.set_defaults(func=_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
