"""`alphago ablate FILE --status`: where a long ablation stands, read from its output directory only
(nothing is trained, evaluated or written; safe beside the running study).

Per cell: trained (done.json), training (its run directory's newest checkpoint row: FLOPs so far and
the share of the budget) or waiting; and how many of its matched points have an evaluation row (and,
with eval.ladder, a rating). Then the ladder store's size and an estimate of the training time left:
the FLOPs still to train over the speed the running cells show now (the median FLOPs per second over
their last few checkpoint intervals, i.e. as fast as this machine trains under its present load),
cells at a time as given by --jobs; and the rated ladder games still to play at the pace of the last
100 games, pauses left out (ladder_pace; the two share the cores, so the times are not added).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.jsonl import read_jsonl_tail
from .ablation_results import cell_dir, read_eval_rows

TAIL_BYTES = 1 << 16   # the first window of a metrics.jsonl's tail that is searched for checkpoint rows
RATE_INTERVALS = 5     # checkpoint intervals the present speed is the median of
PAUSE_S = 600          # a gap between two ladder games longer than this is a pause, not play (ladder_pace)


@dataclass(frozen=True)
class CellStatus:
    """state: "trained" | "training" | "waiting"; flops: the ledger's FLOPs (trained: at the end,
    training: at its newest checkpoint, waiting: 0); rate: FLOPs per second now (_present_rate;
    training cells only, else None); points: matched points with an evaluation row;
    rated: those with a ladder rating."""
    arm: str
    seed: int
    state: str
    flops: float
    rate: float | None
    points: int
    rated: int


def _checkpoint_rows(metrics: Path) -> list[dict]:
    """The newest checkpoint rows of a metrics.jsonl, at least RATE_INTERVALS + 1 of them when the file
    has that many: its tail is read in windows that grow 16x from TAIL_BYTES (training rows sit between
    checkpoint rows, so how far back they go depends on the run's settings)."""
    window = TAIL_BYTES
    while True:
        rows = [r for r in read_jsonl_tail(metrics, window)
                if r.get("event") == "checkpoint" and "flops" in r and "wall_s" in r]
        if len(rows) > RATE_INTERVALS or not metrics.exists() or window >= metrics.stat().st_size:
            return rows
        window *= 16


def cell_status(out: Path, arm: str, seed: int, rows: list[dict]) -> CellStatus:
    run = cell_dir(out, arm, seed)
    mine = [r for r in rows if r.get("arm") == arm and r.get("seed") == seed]
    points, rated = len({r["point"] for r in mine}), len({r["point"] for r in mine if r.get("ladder_key")})
    if (run / "done.json").exists():
        done = json.loads((run / "done.json").read_text())
        return CellStatus(arm, seed, "trained", float(done.get("flops", 0.0)), None, points, rated)
    ck = _checkpoint_rows(run / "metrics.jsonl")
    if not ck:
        return CellStatus(arm, seed, "waiting", 0.0, None, points, rated)
    return CellStatus(arm, seed, "training", float(ck[-1]["flops"]), _present_rate(ck), points, rated)


def _present_rate(ck: list[dict]) -> float | None:
    """FLOPs per second now: the median over the last RATE_INTERVALS intervals between checkpoint rows
    of one run (wall_s carries on across resumes; an interval whose clock or FLOPs did not advance is
    skipped). The median, because one interval that spans a pause (a SIGSTOP for a CI run, a suspended
    laptop) would otherwise set the estimate alone."""
    rates = [(b["flops"] - a["flops"]) / (b["wall_s"] - a["wall_s"])
             for a, b in zip(ck, ck[1:]) if b["wall_s"] > a["wall_s"] and b["flops"] > a["flops"]]
    rates = rates[-RATE_INTERVALS:]
    return float(np.median(rates)) if rates else None


def ladder_pace(times: list[str], last: int = 100) -> tuple[float, int, int] | None:
    """(games per hour, games counted, pauses left out) over the newest `last` games of the store, from
    their ISO times; None when fewer than two games have a time or no time passed between them.

    A gap between consecutive games longer than PAUSE_S is a pause (the study stopped between sessions,
    or was SIGSTOPped for a CI run; a match's games arrive every minute or so): it is left out of the
    time, as _present_rate's median leaves such an interval out of the training speed. Counting it gave
    "63 per hour, ~24 h left" right after a restart, for a ladder that plays several hundred an hour."""
    from datetime import datetime
    stamps = sorted(datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times)[-(last + 1):]
    gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])]
    played = sum(g for g in gaps if g <= PAUSE_S)
    if played <= 0:
        return None
    return 3600 * len(gaps) / played, len(gaps), sum(g > PAUSE_S for g in gaps)


def _ladder_line(spec, cells: list[CellStatus], store: Path) -> str:
    """The store's games; the rated games still to play (eval.ladder.games for every matched point of
    every cell not yet rated there) and the anchor games the cap still allows; the store's recent pace."""
    from ..eval.ladder_store import player, read_games
    from .ablation_ladder import _spec_path
    from .ablation_results import ROOT
    lad = spec.eval.ladder
    games = read_games(store)
    rated_keys = {g.black.key for g in games} | {g.white.key for g in games}
    keys = {player(_spec_path(a, ROOT)).key for a in lad.anchors}   # as the ladder keys them (content hashes)
    anchors = [g for g in games if g.black.key in keys and g.white.key in keys]
    to_rate = sum(len(spec.grid()) - c.rated for c in cells) * lad.games
    line = (f"  ladder: {len(games)} games among {len(rated_keys)} players in {store}; about {to_rate} rated games "
            f"to play, and up to {max(0, lad.max_anchor_games - len(anchors))} more anchor games")
    pace = ladder_pace([g.time for g in games if g.time])
    if pace is not None:
        rate, n, pauses = pace
        line += (f"; the last {n} games came at {rate:.0f} per hour"
                 + (f" of play ({pauses} pause(s) of over {PAUSE_S // 60} min left out)" if pauses else "")
                 + f" (at that pace the rated games left take ~{to_rate / rate:.1f} h)")
    return line


def status(loaded, out: Path, store: Path | None, jobs: int) -> list[str]:
    """The lines `alphago ablate FILE --status` prints (module doc)."""
    spec = loaded.spec
    rows = read_eval_rows(out / "evaluations.jsonl") if (out / "evaluations.jsonl").exists() else []
    cells = [cell_status(out, arm, seed, rows) for arm, seed in spec.cells()]
    n_points, budget = len(spec.grid()), spec.budget_flops
    ladder = spec.eval.ladder is not None
    count = {s: sum(c.state == s for c in cells) for s in ("trained", "training", "waiting")}
    whole = sum(c.state == "trained" and (c.rated if ladder else c.points) == n_points for c in cells)
    L = [f"{spec.name}: {len(cells)} cells, {budget:.3g} FLOPs each, {n_points} matched points; output {out}",
         f"  {count['trained']} trained ({whole} {'rated' if ladder else 'evaluated'} at every point), "
         f"{count['training']} training, {count['waiting']} waiting"]
    for c in cells:
        if c.state == "waiting":
            continue
        what = (f"{c.flops:.3g} FLOPs" if c.state == "trained" else
                f"{c.flops:.3g} FLOPs ({c.flops / budget:.0%} of the budget"
                + (f", {c.rate:.3g} FLOPs/s now)" if c.rate else ")"))
        done = f"rated {c.rated}/{n_points}" if ladder else f"evaluated {c.points}/{n_points}"
        L.append(f"  {c.arm}/seed{c.seed}: {c.state}, {what}, {done}")
    if ladder and store is not None and store.exists():
        L.append(_ladder_line(spec, cells, store))
    rates = [c.rate for c in cells if c.rate]
    left = sum(max(0.0, budget - c.flops) for c in cells if c.state != "trained")
    if left <= 0:
        L.append("  training: none left")
    elif rates:
        per_cell = sum(rates) / len(rates)
        hours = left / per_cell / max(1, jobs) / 3600
        L.append(f"  training left: {left:.3g} FLOPs, ~{hours:.1f} h at {jobs} cell(s) at a time and "
                 f"{per_cell:.3g} FLOPs/s per cell (the running cells' present speed, with the ladder's games "
                 "beside them on the same cores)")
    else:
        L.append(f"  training left: {left:.3g} FLOPs (no running cell to time it by)")
    return L
