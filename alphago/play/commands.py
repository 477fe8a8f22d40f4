"""`alphago gtp`, `play`, `serve`, `arena`, `ladder`: argument builders and handlers; the engine, torch and
the players load only when a command runs."""
from __future__ import annotations

import argparse

from ..cli_common import finite_float, int_in


def _player(args: argparse.Namespace):
    """(SearchPlayer, board size, komi): a checkpoint's net fixes the size (a --size that
    contradicts it is an error) and, without --komi, the komi of its training rules."""
    from ..net.io import CheckpointError
    from ..play.player import SearchPlayer, checkpoint_board
    try:
        player = SearchPlayer(args.checkpoint, sims=args.sims, kind=args.search, threads=args.threads,
                              evaluator=args.evaluator, resign_below=args.resign_below,
                              root_noise=getattr(args, "root_noise", 0.0),
                              score_utility=getattr(args, "score_utility", 0.0),
                              search=_search_config(getattr(args, "search_config", None)))
        if args.checkpoint:
            size, komi = checkpoint_board(player.meta, args.size, args.komi, name=args.checkpoint)
        else:
            from ..go.rules import DEFAULT_KOMI
            size, komi = args.size or 9, DEFAULT_KOMI if args.komi is None else args.komi
        player.check_fits(size)
    except (CheckpointError, ValueError) as exc:
        raise SystemExit(f"alphago {args.command}: {exc}")
    return player, size, komi


def _search_config(text: str | None):
    """--search-config JSON -> SearchConfig (None without it); ValueError naming what is wrong."""
    if text is None:
        return None
    import json
    from dataclasses import fields

    from ..mcts.config import SearchConfig
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--search-config is not JSON: {exc}") from None
    known = {f.name for f in fields(SearchConfig)}
    if not isinstance(data, dict) or set(data) - known:
        raise ValueError(f"--search-config must be an object of SearchConfig fields ({', '.join(sorted(known))}), "
                         f"got {text!r}")
    return SearchConfig(**data)


def _gtp(args: argparse.Namespace) -> int:
    from ..play.gtp import GtpEngine
    player, size, komi = _player(args)
    engine = GtpEngine(player, size=size, komi=komi, ko=args.ko, suicide=args.suicide, resign=not args.no_resign)
    engine.run()
    return 0


def _play(args: argparse.Namespace) -> int:
    from ..play.terminal import play
    player, size, komi = _player(args)
    return play(player, color=args.color, size=size, komi=komi, sgf_path=args.sgf)


def _serve(args: argparse.Namespace) -> int:
    from ..net.io import CheckpointError
    from .web.protocol import Limits
    from .web.server import serve
    from .web.session import load_engines
    if not 1 <= args.sims <= args.max_sims:
        raise SystemExit(f"alphago serve: --sims must be between 1 and --max-sims ({args.max_sims})")
    try:
        engines = load_engines(args.checkpoint or [], size=args.size)
    except (CheckpointError, ValueError) as exc:
        raise SystemExit(f"alphago serve: {exc}")
    limits = Limits(max_sims=args.max_sims, max_seconds=args.max_seconds)
    return serve(engines, host=args.host, port=args.port, limits=limits, default_sims=args.sims, workers=args.workers)


def _arena(args: argparse.Namespace) -> int:
    from ..play.arena import main as arena_main
    return arena_main(args)


def _add_player_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", help="trained net (default: search with --evaluator, no net)")
    p.add_argument("--sims", type=int_in(1), default=200,
                   help="simulations per move (upper bound under time control; capped by the memory its tree needs)")
    p.add_argument("--search", choices=("puct", "gumbel"), default="puct")
    p.add_argument("--threads", type=int_in(1, 1024), default=1, help="torch threads")
    p.add_argument("--evaluator", choices=("rollout", "uniform"), default="rollout",
                   help="without a checkpoint: random-rollout values or a uniform prior with value 0")
    p.add_argument("--resign-below", type=float, default=0.05, help="resign below this win probability")
    p.add_argument("--score-utility", type=float, default=0.0, metavar="U",
                   help="nets with a score head: the search's value is (1-U) v + U tanh(lead/N) (0 = value only)")


def add_parsers(sub) -> None:
    g = sub.add_parser("gtp", help="GTP v2 engine on stdin/stdout (Sabaki, GoGui, GNU Go, ...)")
    _add_player_args(g)
    g.add_argument("--size", type=int_in(2, 19), help="initial board size (default: the net's, else 9)")
    g.add_argument("--komi", type=finite_float(-1000, 1000), help="default: the komi the net was trained with, else 7.5")
    g.add_argument("--root-noise", type=float, default=0.0, metavar="FRACTION",
                   help="Dirichlet noise in the root prior, drawn from the set_random_seed seed (0 = none)")
    g.add_argument("--search-config", metavar="JSON",
                   help="the whole search as JSON SearchConfig fields (mcts/config.py), instead of --sims and "
                        "--search: how matches play a checkpoint with its own search")
    g.add_argument("--ko", choices=("positional", "situational", "simple"), default="positional")
    g.add_argument("--suicide", action="store_true", help="allow suicide")
    g.add_argument("--no-resign", action="store_true")
    g.set_defaults(func=_gtp)

    pl = sub.add_parser("play", help="play a game against the engine in the terminal")
    _add_player_args(pl)
    pl.add_argument("--color", choices=("black", "white"), default="black", help="your colour")
    pl.add_argument("--size", type=int_in(2, 19), help="board size (default: the net's, else 9)")
    pl.add_argument("--komi", type=finite_float(-1000, 1000), help="default: the komi the net was trained with, else 7.5")
    pl.add_argument("--sgf", help="where to save the game (default: alphago-DATE-TIME.sgf here)")
    pl.set_defaults(func=_play)

    sv = sub.add_parser("serve", help="play the checkpoints in a browser: a local web server with analysis")
    sv.add_argument("--checkpoint", action="extend", nargs="+", metavar="C",
                    help="nets to play (a selector on the page when several; none: rollout search on --size)")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (other than loopback: a warning)")
    sv.add_argument("--sims", type=int, default=200, help="the page's default simulations per move")
    sv.add_argument("--max-sims", type=int, default=1600, help="the most simulations a page may ask for")
    sv.add_argument("--max-seconds", type=float, default=30.0, help="the most time per move a page may ask for")
    sv.add_argument("--size", type=int, default=9, help="board size without a checkpoint")
    sv.add_argument("--workers", type=int, help="searches at a time over all games (default: number of cores)")
    sv.set_defaults(func=_serve)

    ar = sub.add_parser("arena", help="matches between GTP engines (ours, GNU Go, any): SGFs, table, Elo")
    ar.add_argument("--a", required=True, metavar="SPEC", help="player A: CHECKPOINT[@SIMS], rollout[@SIMS], "
                    "uniform[@SIMS], gnugo[:LEVEL] or gtp:COMMAND")
    ar.add_argument("--b", required=True, metavar="SPEC", help="player B (same forms)")
    ar.add_argument("--games", type=int, default=10)
    ar.add_argument("--size", type=int_in(2, 19), help="board size (default: the checkpoints' net's, else 9)")
    ar.add_argument("--komi", type=finite_float(-1000, 1000),
                    help="default: the komi the first checkpoint was trained with, else 7.5")
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

    from ..eval.commands import add_parser as add_ladder
    add_ladder(sub)   # one Elo scale (eval/): ladder fit | play

