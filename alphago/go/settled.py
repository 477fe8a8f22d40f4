"""Move masks for players that finish games the Tromp-Taylor way ("pass when settled").

Under area scoring (Tromp-Taylor counting, DESIGN.md section 2) stones are never removed
at the end: a dead stone left on the board counts for its owner and can turn the opponent's
territory into dame. A game that two passes end on a half-full board is scored on noise.
Untrained nets do exactly that: we measured a 7x7 run where 44% of all moves were
passes, the first pass came at median move 3 and 45% of games were draws at integer komi.

The settled mask is the legal mask minus two kinds of moves, and it lets a player pass
only when nothing useful is left:

* filling one's own eye-like point is never offered (it is never better than passing under
  area scoring, and it is how a group kills itself; libego's eye rule, `board.is_eyelike`);
* pass is offered only when every remaining legal point move is a self-atari that
  captures nothing (a move after which its chain has one liberty). Self-ataris stay
  playable (throw-ins, snapbacks), they just do not forbid a pass, so a seki can end.

Play that follows this mask fills the board until both sides' areas are settled, which is
what `gnugo --capture-all-dead` does. Used by self-play search (`selfplay.pass_rule`) and
by the search player; the engine's rules (GoBatch.legal_mask) do not change.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .. import _numba_records  # noqa: F401  (stable symbol names for cached record kernels)
from .board import EMPTY, LEGAL, check_move, in_atari, is_eyelike


@njit(cache=True)
def liberties_after(s, k, p, c, mark, stamp):
    """Distinct liberties (capped at 2) of the chain that stone c at empty point p would
    form; 2 if the move captures (a capture always leaves a liberty and is no self-atari).
    mark: int32[npts] scratch; stamp: a value not yet written into mark."""
    libs = 0
    for d in range(4):
        q = p + k.nbr[d]
        cq = s.color[q]
        if cq == -c and in_atari(s, s.head[q]):
            return 2
    for d in range(4):
        q = p + k.nbr[d]
        if s.color[q] == EMPTY and mark[q] != stamp:
            mark[q] = stamp
            libs += 1
            if libs >= 2:
                return 2
    for d in range(4):
        q = p + k.nbr[d]
        if s.color[q] == c:
            h = s.head[q]
            x = h
            while True:
                for d2 in range(4):
                    r = x + k.nbr[d2]
                    if r != p and s.color[r] == EMPTY and mark[r] != stamp:
                        mark[r] = stamp
                        libs += 1
                        if libs >= 2:
                            return 2
                x = s.nxt[x]
                if x == h:
                    break
    return libs


@njit(cache=True)
def settled_masks(games, K, out):
    """out: bool[B, N*N + 1], the settled mask of every game (module docstring). A finished
    game has no move; pass is always offered when no point move is."""
    k = K[0]
    mark = np.zeros(k.npts, np.int32)
    stamp = 0
    for b in range(out.shape[0]):
        s = games[b]
        out[b, :] = False
        if s.over:
            continue
        c = s.to_play
        useful = False
        for i in range(s.nempty):
            p = s.empties[i]
            a = k.p2a[p]
            if is_eyelike(s, k, p, c) or check_move(s, k, a) != LEGAL:
                continue
            out[b, a] = True
            if not useful:
                stamp += 1
                if liberties_after(s, k, p, c, mark, stamp) >= 2:
                    useful = True
        out[b, k.nn] = not useful
