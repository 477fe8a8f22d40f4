"""lz-analyze / kata-analyze for GUIs (Lizzie, Sabaki, KaTrain): 'info' lines, streamed.

Each report is a fresh search (no tree reuse); later ones get more simulations, up to the
player's own budget: a search's tree (and its compiled layout) is sized by its simulation
count, so going past it would cost memory and a new JIT compile per report.
"""
from __future__ import annotations

import queue
import time
from typing import Callable

import numpy as np

from ..go import GoState
from ..go.coords import to_gtp
from .player import Decision, SearchPlayer

STYLES = ("lz", "kata")


def parse_analyze_args(args: list[str], to_play: int,
                       parse_color: Callable[[str], int]) -> tuple[int, float, bool]:
    """[color] [interval] CENTISECONDS [KEY VALUE ...] (KataGo's key-value form too) -> (colour,
    interval in s, ownership wanted). An unreadable interval keeps the default of 1 s; it is
    clamped to [0.05, 3600] s. Keys other than interval and ownership are ignored, as KataGo
    ignores the ones it does not implement."""
    color, interval, rest = to_play, 1.0, list(args)
    if rest and rest[0].lower() in ("b", "w", "black", "white"):
        color = parse_color(rest.pop(0))
    if rest and rest[0].lower() == "interval":
        rest.pop(0)
    if rest and rest[0].isascii():
        try:
            interval = min(3600.0, max(0.05, float(rest[0]) / 100))  # NaN -> 0.05
        except ValueError:
            pass
    ownership = any(k.lower() == "ownership" and v.lower() == "true" for k, v in zip(rest, rest[1:]))
    return color, interval, ownership


def ownership_words(own: np.ndarray, n: int) -> str:
    """KataGo's `ownership` field: N*N floats in [-1, 1] for the player to move, row-major from the
    top-left point (A19 on 19x19) to the bottom-right; `own` is in action order (row 0 at the bottom)."""
    return "ownership " + " ".join(f"{x:.4f}" for x in np.asarray(own).reshape(n, n)[::-1].reshape(-1))


def info_line(d: Decision, n: int, style: str, leads: np.ndarray | None = None) -> str:
    """One report: every candidate with visits, win rate, prior, order and its principal variation
    as `pv` (the search's line from it, MoveInfo.pv) (Leela Zero's integer
    units x 10^4 for "lz", KataGo's fractions for "kata"); with `leads` (kata only, one per
    candidate, from the score head), KataGo's scoreLead for the player to move."""
    parts = []
    for i, c in enumerate(d.candidates):
        v = to_gtp(c.action, n)
        pv = " ".join(to_gtp(a, n) for a in (c.pv or [c.action]))  # the whole line, as Lizzie draws it
        if style == "kata":
            lead = f"scoreLead {float(leads[i]):.2f} " if leads is not None else ""
            parts.append(f"info move {v} visits {c.visits} winrate {c.winrate:.4f} {lead}prior {c.prior:.4f} "
                         f"order {i} pv {pv}")
        else:
            parts.append(f"info move {v} visits {c.visits} winrate {int(round(c.winrate * 10000))} "
                         f"prior {int(round(c.prior * 10000))} lcb {int(round(c.winrate * 10000))} "
                         f"order {i} pv {pv}")
    return " ".join(parts)


def analyze(player: SearchPlayer, state: GoState, interval: float, style: str,
            out: Callable[[str], None] | None, pending: "queue.Queue[str] | None",
            ownership: bool = False) -> list[str]:
    """Search `state` (not changed) and report. With `out`, stream a report per interval until a
    line arrives on `pending` (the next command) and return []; without, return one report.
    ownership (kata-analyze ... ownership true): each report ends with the net's ownership of every
    point (one evaluation of its ownership head at the root), when the net has that head; with a
    score head, every kata candidate carries its scoreLead."""
    own = player.ownership(state) if ownership and style == "kata" else None
    own_text = "" if own is None else " " + ownership_words(own, state.n)
    full = player.search_config.num_simulations
    sims = min(full, max(8, full // 4))
    while True:
        saved = player.search_config
        player.set_sims(sims)
        started = time.perf_counter()
        try:
            d = player.decide(state, seconds=interval, allow_resign=False)
        finally:
            player.search_config = saved
        leads = player.score_leads(state, [c.action for c in d.candidates]) if style == "kata" else None
        line = info_line(d, state.n, style, leads) + own_text
        if out is None:
            return [line]
        out(line)
        while pending is not None and pending.empty() and time.perf_counter() < started + interval:
            time.sleep(0.01)  # one report per interval, however quick the search
        if pending is None or not pending.empty():
            return []
        sims = min(sims * 2, full)
