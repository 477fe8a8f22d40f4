"""`alphago bench ladder`: what keeping engines between a ladder's blocks saves (play/engine_pool.py).

The workload is what the ladder plays when it rates checkpoints: each of `--rated` players plays one
block of `--block` games against each of `--opponents` (eval/ladder_play.play_block, `--parallel`
games at a time, the ablation's settings: 2-move openings from the bank, 10% root noise, no
resignation). It is played twice on the same openings and seeds: with fresh engines for every block
(the ladder before the pool; run_match without a pool uses one that keeps no idle engine, as
here, so both count their starts the same way) and with one EnginePool for the whole workload. Reported per
variant: engines started, wall seconds, CPU seconds of the engines and of this process (engines are
children: their CPU is read from RUSAGE_CHILDREN once every one has exited), CPU seconds per game;
the ratio of the two (--rounds rounds, alternating which variant goes first; medians); and whether
both played the same games (results, openings, lengths and scores
must agree: the pool must not change a game).

Players default to the board's shipped nets at 64 simulations, as every player of a study's ladder
searches (on 7x7: 7x7.pt, 7x7_ownership.pt, 7x7_score.pt, 7x7_warm.pt, then 7x7.pt at 32): no run
directory is needed. Cheaper players make the starts a larger share, so the ratio depends on them.
"""
from __future__ import annotations

import resource
import statistics
import tempfile
import time
from pathlib import Path

from .common import emit, machine_info

ROOT = Path(__file__).resolve().parents[2]


def _cpu() -> tuple[float, float]:
    """(this process, its exited children) CPU seconds, user + system."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _workload(rated, opponents, st, pooled: bool) -> dict:
    from ..eval.ladder_play import play_block
    from ..eval.ladder_store import read_games
    from ..play.engine_pool import EnginePool
    with tempfile.TemporaryDirectory(prefix="bench_ladder_") as tmp:
        store = Path(tmp) / "games.jsonl"
        # max_idle=0: what run_match uses without a pool (every engine closed when its match ends), counted
        pool = EnginePool() if pooled else EnginePool(max_idle=0)
        (me0, kids0), t0 = _cpu(), time.perf_counter()
        try:
            for me in rated:
                for opp in opponents:
                    play_block(store, me, opp, st.block, st, log=lambda m: None, engines=pool)
        finally:
            pool.close()
        wall = time.perf_counter() - t0
        me1, kids1 = _cpu()
        games = read_games(store)
    same = [(g.black.key, g.white.key, g.result, g.opening, g.moves, g.score) for g in games]
    return {"engines_started": pool.started, "games": len(games), "wall_s": wall, "engines_cpu_s": kids1 - kids0,
            "driver_cpu_s": me1 - me0, "cpu_s_per_game": (kids1 - kids0 + me1 - me0) / max(1, len(games)),
            "_games": same}


def default_players(size: int, n: int) -> list[str]:
    """The shipped nets for this board at 64 simulations (the studies' ladder setting: every player of
    a study's ladder searches that much), then the main net at fewer simulations until there are n."""
    nets = sorted((ROOT / "checkpoints").glob(f"{size}x{size}*.pt"))
    specs = [f"{ck}@64" for ck in nets][:n]
    main = ROOT / "checkpoints" / f"{size}x{size}.pt"
    sims = 32
    while len(specs) < n and main.exists() and sims >= 1:
        specs.append(f"{main}@{sims}")
        sims //= 2
    return specs


def _warm_up(players, st) -> None:
    """Not measured: this process's compiled rules (the referee's openings and counts) and one start of
    each engine, so that neither variant pays first-use costs (disk cache, numba's cache) for the other."""
    from ..play.engines import parse_spec
    from ..play.gtp_client import GtpClient
    from ..play.referee import random_opening
    random_opening(st.size, st.komi, st.opening_moves, (0, 0))
    for argv in dict.fromkeys(tuple(parse_spec(p.spec, st.size, st.komi, sims=p.sims or st.sims).argv)
                              for p in players):
        c = GtpClient(argv, name="warm-up")
        c.send("name")
        c.close()


def main(args) -> int:
    from ..eval.ladder_play import LadderSettings
    from ..eval.ladder_store import player
    need = args.rated + args.opponents
    specs = args.players or default_players(args.size, need)
    if len(specs) < need:
        raise SystemExit(f"alphago bench ladder: --players needs {need} specs (--rated + --opponents), got {len(specs)}")
    players = [player(s) for s in specs[:need]]
    rated, opponents = players[:args.rated], players[args.rated:]
    st = LadderSettings(args.size, args.komi, sims=64, opening_moves=2, bank_seed=2026, block=args.block,
                        parallel=args.parallel)
    _warm_up(players, st)
    rounds = {"fresh": [], "pooled": []}
    same = True
    for k in range(args.rounds):   # alternating which goes first, so a drift in the machine's load hits both
        order = ("fresh", "pooled") if k % 2 == 0 else ("pooled", "fresh")
        got = {name: _workload(rated, opponents, st, pooled=name == "pooled") for name in order}
        same &= got["fresh"].pop("_games") == got["pooled"].pop("_games")
        for name in rounds:
            rounds[name].append(got[name])
    med = {name: {key: statistics.median(r[key] for r in rs) for key in rs[0]} for name, rs in rounds.items()}
    ratios = [p["cpu_s_per_game"] / f["cpu_s_per_game"] for f, p in zip(rounds["fresh"], rounds["pooled"])]
    walls = [p["wall_s"] / f["wall_s"] for f, p in zip(rounds["fresh"], rounds["pooled"])]
    result = {"machine": machine_info(), "size": args.size, "komi": args.komi, "block": args.block,
              "parallel": args.parallel, "rated": [p.label for p in rated], "opponents": [p.label for p in opponents],
              "rounds": rounds, "fresh": med["fresh"], "pooled": med["pooled"], "same_games": same,
              "cpu_ratio": statistics.median(ratios), "cpu_ratios": ratios,
              "wall_ratio": statistics.median(walls), "wall_ratios": walls}
    table = [("workload", f"{len(rated)} rated x {len(opponents)} opponents, blocks of {args.block} games, "
                          f"{args.parallel} at a time, {args.size}x{args.size} komi {args.komi:g}; "
                          f"{args.rounds} round(s) each, medians")]
    for name, r in (("fresh engines per block", med["fresh"]), ("one engine pool", med["pooled"])):
        table.append((name, f"{r['engines_started']:.0f} engines started, {r['games']:.0f} games, {r['wall_s']:.1f} s wall, "
                            f"{r['engines_cpu_s']:.1f} + {r['driver_cpu_s']:.1f} CPU-s (engines + driver), "
                            f"{r['cpu_s_per_game']:.2f} CPU-s per game"))
    table += [("pool / fresh", f"CPU per game x{result['cpu_ratio']:.3f} (rounds: "
                               + ", ".join(f"{x:.3f}" for x in ratios) + f"), wall x{result['wall_ratio']:.3f}"),
              ("same games", "yes" if same else "NO: the pool changed a game")]
    emit(result, args.json, table)
    return 0 if same else 1
