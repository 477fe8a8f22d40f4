"""eval.ladder: every evaluated checkpoint of an ablation rated on one Elo scale (eval/ladder_*.py).

The store is REPORT_DIR/ladder/games.jsonl, committed with the report (the games are the result; the
checkpoints are not committed, so a cell is rated in the session that trained it). First the anchors'
chain (each adjacent pair; resuming what the store holds); then each evaluation row whose checkpoint is
here and that has no `ladder_key` plays eval.ladder.games games against its nearest rated opponents: the
anchors and the already rated checkpoints of the other arms (a checkpoint never plays its own arm, so no
arm is rated on a chain of itself). Its first estimate is the rating of its cell's previous point (at
first the rating of the arm's warm start when that is an anchor). The row gains ladder_key, ladder_label
and ladder_spec (the checkpoint path and simulations that played). The anchors' extra games, chosen by
information, come last: checkpoints exist only while their cell's run directory does, the anchors for
ever. The ratings themselves come from one fit over the whole store when the report is made.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from ..play.engine_pool import EnginePool
    from .ablation_spec import LoadedAblation


def store_path(report_dir: Path) -> Path:
    return Path(report_dir) / "ladder" / "games.jsonl"


def _spec_path(spec: str, root: Path) -> str:
    """An anchor spec with a relative checkpoint path made absolute from the repo root."""
    base, at, tail = spec.rpartition("@")
    if at and tail.isdigit() and base and not Path(base).is_absolute() and (root / base).is_file():
        return f"{root / base}@{tail}"
    return spec


def ladder_rows(loaded: LoadedAblation, out: Path, report_dir: Path, parallel: int,
                log: Callable[[str], None] = print, *, engines: EnginePool) -> int:
    """Anchors, then every unrated evaluation row whose checkpoint is here (module doc). Returns
    the rows rated. engines: the caller's pool, kept between calls (anchors and rated checkpoints meet
    again and again: each starts once)."""
    from ..eval.ladder_fit import fit_ladder
    from ..eval.ladder_play import LadderSettings, play_anchors, rate_player
    from ..eval.ladder_store import Player, player, read_games
    from .ablation_results import ROOT, read_eval_rows, row_checkpoint, write_eval_rows
    spec = loaded.spec
    lad = spec.eval.ladder
    path = out / "evaluations.jsonl"
    if lad is None or not path.exists():
        return 0
    rows = read_eval_rows(path)
    cache: dict = {}
    todo = [r for r in rows if "ladder_key" not in r and r["arm"] not in spec.reuse
            and row_checkpoint(out, r, cache) is not None]
    if not todo:
        return 0
    meta = row_checkpoint(out, todo[0], cache)[1]
    st = LadderSettings(meta.board_size, meta.komi, sims=spec.eval.sims,
                        opening_moves=lad.opening_moves, bank_seed=lad.bank_seed, block=lad.block,
                        parallel=max(1, parallel))
    store = store_path(report_dir)
    anchors = [player(_spec_path(a, ROOT)) for a in lad.anchors]
    anchor = player(_spec_path(lad.anchor, ROOT)).key
    # the chain of adjacent anchors first (every rating needs it), the anchors' extra games by information
    # last: checkpoints exist only while their cell's run directory does, the anchors for ever
    chain = min(lad.max_anchor_games, lad.anchor_games * (len(anchors) - 1))
    play_anchors(store, anchors, st, games_per_pair=lad.anchor_games, max_ci=lad.max_ci, max_games=chain, log=log,
                 engines=engines)
    arm_order = list(spec.arms)
    n = 0
    for r in sorted(todo, key=lambda r: (r["seed"], arm_order.index(r["arm"]), r["point"])):
        ckpt, _ = row_checkpoint(out, r, cache)
        me = player(f"{ckpt}@{spec.eval.sims}", label=f"{r['arm']}/seed{r['seed']}/p{r['point']}")
        fit = fit_ladder(read_games(store), anchor, bootstrap=0)
        rated = {k: fit.rating(k) for k in fit.keys}
        prev = next((x.get("ladder_key") for x in rows if x["arm"] == r["arm"] and x["seed"] == r["seed"]
                     and x["point"] == r["point"] - 1), None)
        init = loaded.init(r["arm"], ROOT)
        hint = rated.get(prev) if prev else None
        if hint is None and init is not None:
            hint = rated.get(player(f"{init}@{spec.eval.sims}").key)
        others = [Player(x["ladder_key"], x["ladder_spec"], x["ladder_label"]) for x in rows
                  if "ladder_key" in x and x["arm"] != r["arm"] and Path(x["ladder_spec"].rpartition("@")[0]).is_file()]
        elo = rate_player(store, me, anchors + others, st, anchor, games=lad.games, hint=hint, log=log,
                          engines=engines)
        r.update(ladder_key=me.key, ladder_label=me.label, ladder_spec=me.spec)
        write_eval_rows(path, rows)
        n += 1
        log(f"ladder: {me.label} ({r['flops']:.3g} FLOPs): {elo:+.0f} Elo (point estimate)" if elo is not None
            else f"ladder: {me.label}: not rated")
    direct_rows(loaded, rows, store, st, log, engines)
    play_anchors(store, anchors, st, games_per_pair=lad.anchor_games, max_ci=lad.max_ci,
                 max_games=lad.max_anchor_games, log=log, engines=engines)
    return n


def direct_rows(loaded: LoadedAblation, rows: list[dict], store: Path, st, log: Callable[[str], None] = print,
                engines: EnginePool | None = None) -> int:
    """eval.ladder.direct: the two arms' rated checkpoints of the same seed at the point play
    eval.ladder.games games against each other (resuming what the store holds). Returns games played."""
    from ..eval.ladder_play import pair_games, play_block
    from ..eval.ladder_store import Player, read_games
    lad = loaded.spec.eval.ladder
    played = 0
    for a, b, point in lad.direct_matches():
        for seed in sorted(set(loaded.spec.seeds_of(a)) & set(loaded.spec.seeds_of(b))):
            ra, rb = (next((r for r in rows if r["arm"] == arm and r["seed"] == seed and r["point"] == point
                            and "ladder_key" in r and Path(r["ladder_spec"].rpartition("@")[0]).is_file()), None)
                      for arm in (a, b))
            if ra is None or rb is None:
                continue
            pa, pb = (Player(r["ladder_key"], r["ladder_spec"], r["ladder_label"]) for r in (ra, rb))
            while (have := pair_games(read_games(store), pa.key, pb.key)) < lad.games:
                n = min(st.block, lad.games - have)
                played += len(play_block(store, pa, pb, n + n % 2, st, log, engines))
    return played
