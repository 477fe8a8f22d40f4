"""`alphago bench ...`: argument builders and dispatch (modules imported only when a benchmark runs)."""
from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    if args.what == "engine":
        from ..bench.engine import main as bench_engine
        return bench_engine(args)
    if args.what == "selfplay":
        from ..bench.selfplay import main as bench_selfplay
        return bench_selfplay(args)
    if args.what == "mcts":
        from ..bench.mcts import main as bench_mcts
        return bench_mcts(args)
    if args.what == "ladder":
        from ..bench.ladder import main as bench_ladder
        return bench_ladder(args)
    if args.what == "train":
        from ..bench.train import main as bench_train
        return bench_train(args)
    raise SystemExit(f"unknown benchmark {args.what!r}")



def add_parser(sub) -> None:
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
    bm.add_argument("--no-peers", action="store_true", help="skip the mctx/pgx peer (jax, pgx, mctx)")
    bm.add_argument("--json", action="store_true")
    bs = bsub.add_parser("selfplay", help="self-play positions/s with 1 and 2 Ray workers; learner wait share")
    bs.add_argument("--config", default="configs/5x5.yaml")
    bs.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    bs.add_argument("--seconds", type=float, default=20.0)
    bs.add_argument("--games-per-call", type=int, default=8)
    bs.add_argument("--learner-games", type=int, default=64, help="games of the short async run")
    bs.add_argument("--json", action="store_true")
    bt = bsub.add_parser("train", help="Trainer step samples/s and GFLOP/s vs plain torch forward+backward")
    bt.add_argument("--size", type=int, default=9)
    bt.add_argument("--blocks", type=int, default=6)
    bt.add_argument("--channels", type=int, default=64)
    bt.add_argument("--batch", type=int, default=256, help="training batch size")
    bt.add_argument("--threads", type=int, default=2, help="torch threads")
    bt.add_argument("--seconds", type=float, default=10.0, help="time per measured workload (at least 5 rounds)")
    bt.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    bl = bsub.add_parser("ladder", help="ladder blocks with fresh engines per block vs one engine pool: CPU per game")
    bl.add_argument("--size", type=int, default=7, help="board (its shipped nets are the default players)")
    bl.add_argument("--komi", type=float, default=9.0)
    bl.add_argument("--players", nargs="+", help="player specs, rated first (default: the size's shipped nets "
                                                 "at 64 simulations, then its main net at 32, 16, ...)")
    bl.add_argument("--rated", type=int, default=2, help="players rated, each against every opponent")
    bl.add_argument("--opponents", type=int, default=3)
    bl.add_argument("--block", type=int, default=8, help="games per block (the ablations' eval.ladder.block)")
    bl.add_argument("--parallel", type=int, default=2, help="games at a time")
    bl.add_argument("--rounds", type=int, default=3, help="rounds of each variant, alternating which goes first")
    bl.add_argument("--json", action="store_true")
    b.set_defaults(func=run)
