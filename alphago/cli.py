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
    if args.what == "selfplay":
        from .bench.selfplay import main as bench_selfplay
        return bench_selfplay(args)
    if args.what == "mcts":
        from .bench.mcts import main as bench_mcts
        return bench_mcts(args)
    if args.what == "train":
        from .bench.train import main as bench_train
        return bench_train(args)
    raise SystemExit(f"unknown benchmark {args.what!r}")


def _train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .config import ConfigError, load_config
    from .orchestrate import train
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
            cfg = _load_cfg(None, args.init)
        else:
            cfg = load_config(config_path)
    except ConfigError as exc:
        raise SystemExit(f"bad config {config_path}: {exc}")
    if args.init:  # a net that cannot start this config is refused here, before Ray starts
        from .net.io import CheckpointError, check_compatible, read_checkpoint
        try:
            check_compatible(read_checkpoint(args.init)["meta"],
                             {"board_size": cfg.size, "in_planes": cfg.features.num_planes,
                              "net": cfg.net.__dict__}, args.init)
        except CheckpointError as exc:
            raise SystemExit(f"alphago train --init: {exc}")
    address = args.address or os.environ.get("RAY_ADDRESS")
    try:
        s = train(cfg, run_dir, address=address, resume=bool(args.resume), progress=not args.no_progress,
                  init=args.init)
    except (ConfigError, ConnectionError) as exc:
        raise SystemExit(f"alphago train: {exc}")
    print(f"done: {s.games} games, {s.positions} positions, {s.steps} steps, weight version "
          f"{s.weight_version}, {s.seconds:.0f} s; checkpoints in {run_dir / 'checkpoints'}")
    print(f"workers on {len(set(s.worker_nodes))} node(s); worker restarts: {s.worker_restarts}")
    return 0


def _load_cfg(config: str | None, checkpoint: str | None):
    """Config from --config, else the one stored in the checkpoint."""
    from .config import ConfigError, config_from_dict, load_config
    try:
        if config:
            return load_config(config)
        if checkpoint:
            import json

            from .net.io import read_checkpoint
            return config_from_dict(json.loads(read_checkpoint(checkpoint)["meta"]["config_json"]))
    except (ConfigError, ValueError) as exc:
        raise SystemExit(f"bad config: {exc}")
    raise SystemExit("give --config or --checkpoint")


def _selfplay(args: argparse.Namespace) -> int:
    import torch
    from tqdm import tqdm

    from .data.store import ShardStore
    from .net.io import CheckpointError, load_model
    from .selfplay.worker import Worker
    cfg = _load_cfg(args.config, args.checkpoint)
    worker = Worker(cfg, worker_id=args.seed, threads=args.threads)
    if args.checkpoint:
        try:
            model, meta = load_model(args.checkpoint, expect={"board_size": cfg.size,
                                                              "in_planes": cfg.features.num_planes})
        except CheckpointError as exc:
            raise SystemExit(str(exc))
        worker.set_weights(model.state_dict(), int(meta.get("weight_version", 0)))
    else:
        torch.manual_seed(args.seed)
    store = ShardStore(args.out)
    bar = tqdm(total=args.games, unit="game", disable=args.no_progress)
    done = 0
    while done < args.games:
        n = min(args.shard_games, args.games - done)
        games = worker.play(n)[:n]  # games ending on the same move can overshoot
        store.write(games)
        done += len(games)
        bar.update(len(games))
    bar.close()
    print(f"{done} games in {store.dir}")
    return 0


def _train_offline(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from .data.records import read_shard
    from .data.store import ShardStore
    from .train.learner import Learner
    cfg = _load_cfg(args.config, None)
    run_dir = Path(args.run_dir or Path("runs") / f"offline_{Path(args.config).stem}")
    learner = Learner(cfg, run_dir, resume=False, threads=args.threads)
    shards = ShardStore(args.data).shards()
    if not shards:
        raise SystemExit(f"no shards (shard_*.npz) in {args.data}")
    for p in shards:
        learner.ingest(read_shard(p))
    steps = args.steps if args.steps else learner.steps_due()
    bar = tqdm(total=steps, unit="step", disable=args.no_progress)
    learner.train(steps, on_step=lambda m: (bar.update(1), bar.set_postfix(loss=f"{m['loss']:.3f}")))
    bar.close()
    path = learner.checkpoint()
    learner.close()
    print(f"{steps} steps on {learner.games} games; checkpoint {path}")
    return 0


def _player(args: argparse.Namespace):
    """(SearchPlayer, board size, komi): a checkpoint's net fixes the size (a --size that
    contradicts it is an error) and, without --komi, the komi of its training rules."""
    from .net.io import CheckpointError
    from .play.player import SearchPlayer, checkpoint_board
    try:
        player = SearchPlayer(args.checkpoint, sims=args.sims, kind=args.search, threads=args.threads,
                              evaluator=args.evaluator, resign_below=args.resign_below,
                              root_noise=getattr(args, "root_noise", 0.0))
        if args.checkpoint:
            size, komi = checkpoint_board(player.meta, args.size, args.komi, name=args.checkpoint)
        else:
            size, komi = args.size or 9, 7.5 if args.komi is None else args.komi
    except (CheckpointError, ValueError) as exc:
        raise SystemExit(f"alphago {args.command}: {exc}")
    return player, size, komi


def _gtp(args: argparse.Namespace) -> int:
    from .play.gtp import GtpEngine
    player, size, komi = _player(args)
    engine = GtpEngine(player, size=size, komi=komi, ko=args.ko, suicide=args.suicide, resign=not args.no_resign)
    engine.run()
    return 0


def _play(args: argparse.Namespace) -> int:
    from .play.terminal import play
    player, size, komi = _player(args)
    return play(player, color=args.color, size=size, komi=komi, sgf_path=args.sgf)


def _arena(args: argparse.Namespace) -> int:
    from .play.arena import main as arena_main
    return arena_main(args)


def _ladder(args: argparse.Namespace) -> int:
    from .play.ladder import main as ladder_main
    return ladder_main(args)


def _add_player_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", help="trained net (default: search with --evaluator, no net)")
    p.add_argument("--sims", type=int, default=200, help="simulations per move (upper bound under time control)")
    p.add_argument("--search", choices=("puct", "gumbel"), default="puct")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--evaluator", choices=("rollout", "uniform"), default="rollout",
                   help="without a checkpoint: random-rollout values or a uniform prior with value 0")
    p.add_argument("--resign-below", type=float, default=0.05, help="resign below this win probability")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="alphago", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

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
    from .experiments.plots import add_parser as add_plot_parser  # no matplotlib import until it runs
    add_plot_parser(sub)
    from .play.evaluation import add_parser as add_evaluate_parser
    add_evaluate_parser(sub)
    from .train.supervised import add_parser as add_pretrain_parser  # torch only when it runs
    add_pretrain_parser(sub)
    from .experiments.toy_bits import add_parser as add_toy_parser
    add_toy_parser(sub)
    from .experiments.probe import add_parser as add_probe_parser
    add_probe_parser(sub)
    from .experiments.ablate import add_parser as add_ablate_parser
    add_ablate_parser(sub)

    sp = sub.add_parser("selfplay", help="play self-play games to shards, no Ray")
    sp.add_argument("--checkpoint", help="net to play with (default: a randomly initialised net)")
    sp.add_argument("--config", help="YAML config (default: the checkpoint's)")
    sp.add_argument("--games", type=int, required=True)
    sp.add_argument("--out", required=True, help="directory for shard_*.npz")
    sp.add_argument("--shard-games", type=int, default=64, help="games per shard")
    sp.add_argument("--threads", type=int, default=1)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--no-progress", action="store_true")
    sp.set_defaults(func=_selfplay)

    to = sub.add_parser("train-offline", help="train on stored games, no Ray")
    to.add_argument("--data", required=True, help="directory of shard_*.npz")
    to.add_argument("--config", required=True)
    to.add_argument("--run-dir")
    to.add_argument("--steps", type=int, default=0, help="training steps (default: replay ratio x positions)")
    to.add_argument("--threads", type=int, default=2)
    to.add_argument("--no-progress", action="store_true")
    to.set_defaults(func=_train_offline)

    g = sub.add_parser("gtp", help="GTP v2 engine on stdin/stdout (Sabaki, GoGui, GNU Go, ...)")
    _add_player_args(g)
    g.add_argument("--size", type=int, help="initial board size (default: the net's, else 9)")
    g.add_argument("--komi", type=float, help="default: the komi the net was trained with, else 7.5")
    g.add_argument("--root-noise", type=float, default=0.0, metavar="FRACTION",
                   help="Dirichlet noise in the root prior, drawn from the set_random_seed seed (0 = none)")
    g.add_argument("--ko", choices=("positional", "situational", "simple"), default="positional")
    g.add_argument("--suicide", action="store_true", help="allow suicide")
    g.add_argument("--no-resign", action="store_true")
    g.set_defaults(func=_gtp)

    pl = sub.add_parser("play", help="play a game against the engine in the terminal")
    _add_player_args(pl)
    pl.add_argument("--color", choices=("black", "white"), default="black", help="your colour")
    pl.add_argument("--size", type=int, help="board size (default: the net's, else 9)")
    pl.add_argument("--komi", type=float, help="default: the komi the net was trained with, else 7.5")
    pl.add_argument("--sgf", help="where to save the game (default: alphago-DATE-TIME.sgf here)")
    pl.set_defaults(func=_play)

    ar = sub.add_parser("arena", help="matches between GTP engines (ours, GNU Go, any): SGFs, table, Elo")
    ar.add_argument("--a", required=True, metavar="SPEC", help="player A: CHECKPOINT[@SIMS], rollout[@SIMS], "
                    "uniform[@SIMS], gnugo[:LEVEL] or gtp:COMMAND")
    ar.add_argument("--b", required=True, metavar="SPEC", help="player B (same forms)")
    ar.add_argument("--games", type=int, default=10)
    ar.add_argument("--size", type=int, help="board size (default: the checkpoints' net's, else 9)")
    ar.add_argument("--komi", type=float, help="default: the komi the first checkpoint was trained with, else 7.5")
    ar.add_argument("--sims", type=int, default=200, help="simulations per move for our players without @SIMS")
    ar.add_argument("--sgf-dir", help="write every game here as game_NNNN.sgf")
    ar.add_argument("--parallel", type=int, default=0, help="games at a time (default: number of cores)")
    ar.add_argument("--move-cap", type=int, default=0, help="moves before the board is counted (default 4*N*N)")
    ar.add_argument("--move-timeout", type=float, default=120.0, help="seconds per GTP answer before forfeit")
    ar.add_argument("--no-resign", action="store_true", help="our players never resign")
    ar.add_argument("--json", help="also write the result (every game) as JSON here")
    ar.add_argument("--opening-moves", type=int, default=0,
                    help="random legal moves to start each game with (each opening played with both colours)")
    ar.add_argument("--seed", type=int, default=0, help="seed of the random openings and of every game's seeds")
    ar.add_argument("--randomize", action=argparse.BooleanOptionalAction, default=True,
                    help="give every game its own seeds (GTP set_random_seed) and our checkpoints --root-noise, "
                         "so that games differ (default: on)")
    ar.add_argument("--root-noise", type=float, default=0.1, metavar="FRACTION",
                    help="Dirichlet noise fraction in our checkpoints' root prior with --randomize")
    ar.set_defaults(func=_arena)

    la = sub.add_parser("ladder", help="rate a checkpoint against GNU Go levels and earlier checkpoints")
    la.add_argument("--checkpoint", required=True)
    la.add_argument("--levels", type=int, nargs="*", default=[1, 5, 10], help="GNU Go levels (none: skip GNU Go)")
    la.add_argument("--games", type=int, default=10, help="games per opponent")
    la.add_argument("--run-dir", help="run directory (default: the checkpoint's, RUN/checkpoints/..)")
    la.add_argument("--previous", type=int, default=2, help="earlier checkpoints of the run to play")
    la.add_argument("--sims", type=int, default=200, help="simulations per move for every checkpoint")
    la.add_argument("--komi", type=float, help="default: the checkpoint's rules")
    la.add_argument("--parallel", type=int, default=0, help="games at a time (default: number of cores)")
    la.add_argument("--move-timeout", type=float, default=120.0)
    la.add_argument("--out", help="directory for ladder_step_N.md / .json and SGFs (default: the run directory)")
    la.add_argument("--opening-moves", type=int, default=2,
                    help="random opening moves per game (each opening played with both colours), so that "
                         "deterministic players do not repeat one game")
    la.add_argument("--randomize", action=argparse.BooleanOptionalAction, default=True,
                    help="every game its own seeds (GTP set_random_seed) and --root-noise for the checkpoints")
    la.add_argument("--root-noise", type=float, default=0.1, metavar="FRACTION",
                    help="Dirichlet noise fraction in the checkpoints' root prior with --randomize")
    la.set_defaults(func=_ladder)

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
    b.set_defaults(func=_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
