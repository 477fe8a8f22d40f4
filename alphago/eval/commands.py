"""`alphago ladder fit | play | sync`: one Elo scale per board from a store of rated games (eval/ladder_*.py).

    alphago ladder play GAMES.jsonl --anchors gnugo:1 gnugo:5 gnugo:10 --rate runs/x/checkpoints/step_0004000.pt@64
    alphago ladder fit GAMES.jsonl --anchor gnugo:10 --json
    alphago ladder sync ../study/docs/results/NAME/ladder/games.jsonl docs/results/NAME/ladder/games.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys


def _fit(args: argparse.Namespace) -> int:
    from .ladder_fit import fit_ladder
    from .ladder_store import read_games
    games = read_games(args.games, log=lambda m: print(m, file=sys.stderr))
    if not games:
        print(f"alphago ladder fit: no games in {args.games}", file=sys.stderr)
        return 2
    try:
        fit = fit_ladder(games, args.anchor, bootstrap=args.bootstrap, seed=args.seed)
    except ValueError as exc:
        print(f"alphago ladder fit: {exc}", file=sys.stderr)
        return 2
    d = fit.to_dict()
    if args.json:
        print(json.dumps(d, indent=1))
        return 0
    print(f"{d['games']} games, {len(fit.keys)} players, {fit.anchor} = 0; {d['method']} ({args.bootstrap} resamples)")
    rows = sorted(d["ratings"].items(), key=lambda kv: -(kv[1]["elo"] if kv[1]["elo"] is not None else -1e9))
    w = max(len(r["label"]) for _, r in rows)
    for key, r in rows:
        ci = ("" if r["ci_low"] is None else f"[{r['ci_low']:+7.0f}, {r['ci_high']:+7.0f}]")
        print(f"{r['label']:<{w}}  {r['elo']:+7.0f} {ci:>20}  {r['games']:5d} games  {key}")
    return 0


def _play(args: argparse.Namespace) -> int:
    from ..play.arena import ArenaError, EngineStartError
    from ..play.engine_pool import EnginePool
    from .ladder_play import LadderSettings, play_anchors, rate_player
    from .ladder_store import player
    try:
        st = LadderSettings(args.size, args.komi, sims=args.sims, opening_moves=args.opening_moves,
                            bank_seed=args.bank_seed, block=args.block, parallel=args.parallel,
                            sgf_dir=args.sgf_dir)
        anchors = [player(s) for s in args.anchors]
        to_rate = [player(s, label=lab) for s, lab in zip(args.rate, (args.label or []) + [None] * len(args.rate))]
        anchor = player(args.anchor).key if args.anchor else anchors[-1].key
        if anchor not in [a.key for a in anchors]:
            raise ValueError(f"--anchor {args.anchor} must be one of --anchors")
        log = lambda m: print(m, flush=True)  # noqa: E731
        with EnginePool(args.keep_engines) as engines:   # an engine starts once per run, not once per block
            play_anchors(args.games, anchors, st, games_per_pair=args.anchor_games, max_ci=args.max_ci,
                         max_games=args.max_anchor_games, log=log, engines=engines)
            pool = list(anchors)
            for me in to_rate:
                r = rate_player(args.games, me, pool, st, anchor, games=args.per_player, log=log, engines=engines)
                print(f"{me.label}: {r:+.0f} Elo (point estimate; `alphago ladder fit` for intervals)"
                      if r is not None else f"{me.label}: not rated", flush=True)
                pool.append(me)
    except (ValueError, ArenaError, EngineStartError) as exc:
        print(f"alphago ladder play: {exc}", file=sys.stderr)
        return 2
    return 0


def _sync(args: argparse.Namespace) -> int:
    from .ladder_store import sync_store
    try:
        r = sync_store(args.src, args.dst)
    except (OSError, ValueError) as exc:
        print(f"alphago ladder sync: {exc}", file=sys.stderr)
        return 2
    print(f"{args.dst}: {r.had} games, {r.added} added from {args.src}, now {r.had + r.added}"
          + ("; its last line is still being written (left out)" if r.cut else "")
          + (f"; {len(r.unreadable)} added line(s) are not games (copied as they are; fit skips them): "
             f"{', '.join(map(str, r.unreadable[:5]))}" if r.unreadable else ""))
    return 0


def add_parser(sub) -> None:
    from ..play.engine_pool import MAX_IDLE
    from .ladder_play import ANCHOR_GAMES, GAMES_PER_PLAYER, MAX_ANCHOR_GAMES, MAX_CI, LadderSettings
    la = sub.add_parser("ladder", help="one Elo scale: play rated games into a store, fit Bradley-Terry ratings")
    lsub = la.add_subparsers(dest="ladder_command", required=True)
    f = lsub.add_parser("fit", help="Bradley-Terry Elo with bootstrap intervals from a store of rated games")
    f.add_argument("games", help="the store: one JSON line per game")
    f.add_argument("--anchor", default="gnugo:10", help="the player key rated 0 (default gnugo:10)")
    f.add_argument("--bootstrap", type=int, default=1000, help="resamples of the games for the intervals")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--json", action="store_true", help='print {"ratings": {KEY: {"elo", "ci_low", "ci_high", "games"}}}')
    f.set_defaults(func=_fit)
    p = lsub.add_parser("play", help="anchor games, then rate players against their nearest rated opponents")
    p.add_argument("games", help="the store (appended; a rerun resumes)")
    p.add_argument("--anchors", nargs="+", required=True,
                   help="fixed players, weakest first: gnugo:LEVEL or CHECKPOINT@SIMS")
    p.add_argument("--anchor", help="the player rated 0 (default: the last of --anchors)")
    p.add_argument("--rate", nargs="*", default=[], help="players to rate (CHECKPOINT@SIMS), in this order")
    p.add_argument("--label", nargs="*", help="names for the --rate players, in the same order")
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--komi", type=float, required=True)
    p.add_argument("--sims", type=int, default=64, help="simulations of a net whose spec has no @SIMS")
    p.add_argument("--per-player", type=int, default=GAMES_PER_PLAYER, help="rated games for each --rate player")
    p.add_argument("--anchor-games", type=int, default=ANCHOR_GAMES, help="games between anchors adjacent in --anchors")
    p.add_argument("--max-ci", type=float, default=MAX_CI,
                   help="more anchor games while a gap between close anchors has a wider 95%% interval (Elo)")
    p.add_argument("--max-anchor-games", type=int, default=MAX_ANCHOR_GAMES)
    p.add_argument("--block", type=int, default=LadderSettings.block, help="games per pairing at a time (even)")
    p.add_argument("--opening-moves", type=int, default=LadderSettings.opening_moves)
    p.add_argument("--bank-seed", type=int, default=LadderSettings.bank_seed, help="the opening bank every pairing shares")
    p.add_argument("--parallel", type=int, default=1, help="games at a time")
    p.add_argument("--sgf-dir", help="keep every game as SGF here")
    p.add_argument("--keep-engines", type=int, default=MAX_IDLE,
                   help="idle engines kept between blocks (each of ours ~360 MB; 0: start every block's afresh)")
    p.set_defaults(func=_play)
    y = lsub.add_parser("sync", help="append a growing store's new games to a copy of it (the copy must be its prefix)")
    y.add_argument("src", help="the store something appends to (e.g. a running study's)")
    y.add_argument("dst", help="its copy (e.g. the one a checkout commits); replaced atomically")
    y.set_defaults(func=_sync)
