"""`alphago` command line: one subcommand per job; each lives in its own module.

Subcommands import their modules lazily so `alphago --help` is instant and a command
never pays for another's dependencies (e.g. `gtp` does not import ray).
"""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="alphago", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    # each subcommand's arguments sit beside its module; none of these imports torch, ray or numba
    from .bench.commands import add_parser as add_bench
    from .experiments.ablate import add_parser as add_ablate
    from .experiments.distill import add_parser as add_distill
    from .experiments.horizon import add_parser as add_horizon
    from .experiments.multiplier_sim import add_parser as add_multiplier_sim
    from .run.plot import add_parser as add_plot
    from .experiments.probe import add_parser as add_probe
    from .experiments.toy_bits import add_parser as add_toy
    from .play.commands import add_parsers as add_play
    from .play.evaluation import add_parser as add_evaluate
    from .run.commands import add_parser as add_train
    from .selfplay.commands import add_parser as add_selfplay
    from .train.commands import add_parser as add_train_offline
    from .train.supervised import add_parser as add_pretrain
    add_train(sub)
    add_train_offline(sub)
    add_plot(sub)
    add_evaluate(sub)
    add_pretrain(sub)
    add_toy(sub)
    add_probe(sub)
    add_ablate(sub)
    add_horizon(sub)
    add_multiplier_sim(sub)
    add_distill(sub)
    add_selfplay(sub)
    add_play(sub)           # gtp, play, serve, arena, ladder
    add_bench(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
