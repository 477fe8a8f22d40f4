"""Evaluation of checkpoints against fixed references, along the FLOP axis.

In-run (run/evaluation.py, run.eval_every) and after the fact (`alphago evaluate RUN_DIR`):
every evaluated checkpoint plays a match against each reference (GNU Go levels, a rollout
search, a fixed net) through the arena: GTP subprocesses, colours alternating, per-game seeds
for both engines (GNU Go's `set_random_seed`, our root noise and tie-breaks), so a match is
many distinct games, not one game repeated. Games start from the empty board (no random
opening: at a solved komi such as 5x5's 24.5 a random first move decides the game) and our
player never resigns (an imperfect opponent can still go wrong; measured on 5x5, our net at
komi 24.5 resigned as White after 3 moves while GNU Go resigned lost positions as Black).
The checkpoint searches as it was trained to (its CheckpointMeta.search: PUCT or Gumbel, its
constants), with run.eval_sims or --sims simulations; --fresh-search plays a fresh SearchConfig.

Results are metrics rows {"event": "evaluation", "step", "flops", "wall_s", "checkpoint",
eval_NAME_score, eval_NAME_elo, eval_NAME_elo_lo, eval_NAME_elo_hi, eval_NAME_games,
eval_NAME_distinct} with NAME = reference_name(spec) (gnugo:10 -> gnugo10), which
`alphago plot` draws as Elo vs cumulative FLOPs and wall time.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..net.io import CheckpointMeta
    from .engine_pool import EnginePool
    from .engines import NetPlayer

ROOT_NOISE = 0.1  # our checkpoints' root Dirichlet fraction in evaluation games: varies them, costs little


def reference_name(spec: str) -> str:
    """Metric-key name of an arena spec: lower case, letters and digits only (gnugo:10 -> gnugo10)."""
    return "".join(ch for ch in spec.lower() if ch.isalnum()) or "reference"


def evaluate_checkpoint(player: NetPlayer, references: list[str] | tuple[str, ...], games: int,
                        size: int, komi: float, previous: NetPlayer | None = None, seed: int = 0,
                        parallel: int = 1, sgf_dir: str | Path | None = None, opening_moves: int = 0,
                        pool: EnginePool | None = None) -> dict:
    """One match per reference (and against `previous`, logged as "previous"); see the module doc.
    `player` and `previous` play with their own SearchConfig (NetPlayer.own: the search the net was
    trained with; NetPlayer.fresh: a fresh one); references are arena specs, our nets among them
    searching with player.sims simulations (a fresh search, engines.parse_spec). pool: engines kept
    between this call's matches and the caller's next ones (the checkpoint's engine plays every
    reference, a reference every checkpoint; engine_pool: reuse does not change a game); None: each
    match starts and ends its own."""
    from .arena import parse_spec, run_match
    me = player.engine(size, komi, root_noise=ROOT_NOISE, resign=False)
    out: dict = {"event": "evaluation", "checkpoint": str(player.checkpoint), "eval_sims": player.sims}
    opponents = [(reference_name(ref), parse_spec(ref, size, komi, sims=player.sims, root_noise=ROOT_NOISE))
                 for ref in references]
    if previous:
        opponents.append(("previous", previous.engine(size, komi, root_noise=ROOT_NOISE)))
    for name, spec in opponents:
        sub = Path(sgf_dir) / name if sgf_dir else None
        res = run_match(me, spec, games, size, komi, parallel=parallel, opening_moves=opening_moves, seed=seed,
                        sgf_dir=sub, pool=pool)
        c = res.counts()
        t = c["total"]
        out[f"eval_{name}_score"] = (t["a_wins"] + 0.5 * t["draws"]) / max(t["games"], 1)
        out[f"eval_{name}_games"] = t["games"]
        out[f"eval_{name}_wins"], out[f"eval_{name}_draws"] = t["a_wins"], t["draws"]
        out[f"eval_{name}_distinct"] = c["distinct_games"]
        out[f"eval_{name}_black_wins"] = c["a_black"]["a_wins"]   # A's wins with Black (of games // 2 + games % 2)
        out[f"eval_{name}_white_wins"] = c["a_white"]["a_wins"]
        e = res.elo()
        if e is not None:
            out[f"eval_{name}_elo"], out[f"eval_{name}_elo_lo"], out[f"eval_{name}_elo_hi"] = e.elo, e.lower, e.upper
    return out


def pick_checkpoints(run_dir: Path, count: int) -> list[tuple[Path, CheckpointMeta]]:
    """Up to `count` step checkpoints of a run spread evenly on the log-FLOP axis (early learning
    is fast, late learning slow), the last one always included. (path, meta) pairs."""
    import math

    from ..net.io import read_meta
    paths = sorted((run_dir / "checkpoints").glob("step_*.pt"))
    if not paths:
        raise FileNotFoundError(f"no step checkpoints in {run_dir / 'checkpoints'}")
    metas = [(p, read_meta(p)) for p in paths]
    flops = [max(m.flops, 1.0) for _, m in metas]
    if len(metas) <= count:
        return metas
    lo, hi = math.log(flops[0]), math.log(flops[-1])
    chosen = []
    for i in range(count):
        target = lo + (hi - lo) * i / (count - 1)
        j = min(range(len(metas)), key=lambda k: abs(math.log(flops[k]) - target))
        if j not in chosen:
            chosen.append(j)
    return [metas[j] for j in sorted(chosen)]


def main(args: argparse.Namespace) -> int:
    """`alphago evaluate RUN_DIR`: evaluate checkpoints along the FLOP axis, append rows to metrics.jsonl."""
    from ..net.io import read_meta
    run_dir = Path(args.run_dir)
    metrics = run_dir / "metrics.jsonl"
    if not metrics.exists():
        raise SystemExit(f"alphago evaluate: {metrics} does not exist (is {run_dir} a run directory?)")
    if args.checkpoint:
        chosen = [(Path(c), read_meta(c)) for c in args.checkpoint]
    else:
        chosen = pick_checkpoints(run_dir, args.points)
    from .engine_pool import EnginePool
    with EnginePool(evaluation_idle(len(args.reference), args.parallel)) as engines:
        for path, meta in chosen:
            _evaluate_one(args, run_dir, metrics, path, meta, engines)
    return 0


def evaluation_idle(references: int, parallel: int) -> int:
    """Idle engines an evaluation pool keeps: every reference's and one checkpoint's, `parallel` of each
    (a checkpoint's engines are not met again once its references are played: the least recently used
    go first)."""
    return max(1, parallel) * (references + 1)


def _evaluate_one(args: argparse.Namespace, run_dir: Path, metrics: Path, path: Path, meta: CheckpointMeta,
                  engines: EnginePool) -> None:
    """One checkpoint of `alphago evaluate`: its matches, its row appended to metrics.jsonl, a line."""
    from .engines import NetPlayer
    size, komi = meta.board_size, float(args.komi if args.komi is not None else meta.komi)
    me = NetPlayer.fresh(path, args.sims or 64) if args.fresh_search else NetPlayer.own(path, args.sims)
    row = evaluate_checkpoint(me, args.reference, args.games, size, komi,
                              seed=args.seed + meta.step, parallel=args.parallel,
                              sgf_dir=run_dir / "evaluations" / path.stem if args.sgf else None, pool=engines)
    row = {"step": meta.step, "flops": meta.flops,
           "wall_s": meta.wall_s, "games_played": meta.games, "posthoc": True, "komi": komi,
           **row}
    with open(metrics, "a") as f:  # one line per checkpoint, appended whole
        f.write(json.dumps(row) + "\n")
    scores = ", ".join(f"{reference_name(r)} {row[f'eval_{reference_name(r)}_wins']}/"
                       f"{row[f'eval_{reference_name(r)}_games']} (+{row[f'eval_{reference_name(r)}_draws']} draws, "
                       f"{row[f'eval_{reference_name(r)}_distinct']} distinct)" for r in args.reference)
    print(f"{path.name}: step {row['step']}, {row['flops']:.3g} FLOPs: {scores}", flush=True)


def add_parser(sub) -> None:
    e = sub.add_parser("evaluate", help="play a run's checkpoints against fixed references (GNU Go levels); "
                                        "Elo vs FLOPs rows into its metrics.jsonl")
    e.add_argument("run_dir")
    e.add_argument("--reference", action="append", default=None,
                   help="arena spec, repeatable (default: gnugo:1 and gnugo:10)")
    e.add_argument("--checkpoint", action="append", help="evaluate these checkpoints (default: --points of the run)")
    e.add_argument("--points", type=int, default=6, help="checkpoints spread on the log-FLOP axis")
    e.add_argument("--games", type=int, default=20, help="games per match (colours alternate)")
    e.add_argument("--sims", type=int, help="our simulations per move (default: the checkpoint's own search's; "
                                            "with --fresh-search 64)")
    e.add_argument("--fresh-search", action="store_true",
                   help="search with a fresh SearchConfig (PUCT, AlphaZero constants) instead of the one the "
                        "checkpoint was trained with")
    e.add_argument("--komi", type=float, help="default: the net's training komi")
    e.add_argument("--parallel", type=int, default=1, help="games at a time")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--sgf", action="store_true", help="keep the games as SGF under RUN_DIR/evaluations/")

    def run(args):
        if not args.reference:
            args.reference = ["gnugo:1", "gnugo:10"]
        return main(args)
    e.set_defaults(func=run)
