"""Tromp-Taylor area counting on a game record: the score, and the owner of every point (the
ownership target and the terminal's area count). Not on the hot path of play: one flood fill of
the empty regions per call."""
from __future__ import annotations

import numpy as np
from numba import njit

from .. import _numba_records  # noqa: F401  (stable symbol names for cached record kernels)
from .board import BLACK, EMPTY, WHITE


@njit(cache=True)
def flood_empty_region(s, k, start, mark, stack, region):
    """Flood the empty region holding point `start` (not yet marked): marks its points in `mark`,
    writes them to region[:n]. Returns (n, reach): reach bit 1 = it borders a black stone,
    bit 2 = a white one. `stack` and `region` are int32[N*N] scratch."""
    mark[start] = 1
    stack[0] = start
    top = 1
    n = 0
    reach = 0
    while top > 0:
        top -= 1
        q = stack[top]
        region[n] = q
        n += 1
        for d in range(4):
            m = q + k.nbr[d]
            cm = s.color[m]
            if cm == EMPTY:
                if mark[m] == 0:
                    mark[m] = 1
                    stack[top] = m
                    top += 1
            elif cm == BLACK:
                reach |= 1
            elif cm == WHITE:
                reach |= 2
    return n, reach


@njit(cache=True)
def area_score(s, k, komi, mark):
    """Tromp-Taylor area score: black - white - komi (positive = Black wins).

    `mark` is int32[P] scratch (any contents). Empty regions that reach only one
    colour count for it; regions reaching both (or neither) are dame.
    """
    black = 0
    white = 0
    for i in range(k.nn):
        mark[k.a2p[i]] = 0
    stack = np.empty(k.nn, np.int32)
    region = np.empty(k.nn, np.int32)
    for i in range(k.nn):
        p = k.a2p[i]
        cp = s.color[p]
        if cp == BLACK:
            black += 1
        elif cp == WHITE:
            white += 1
        elif mark[p] == 0:
            n, reach = flood_empty_region(s, k, p, mark, stack, region)
            if reach == 1:
                black += n
            elif reach == 2:
                white += n
    return black - white - komi


@njit(cache=True)
def area_ownership(s, k, mark, out):
    """out: int8[N*N] (action order) the Tromp-Taylor owner of every point of the board as it
    stands: a stone's colour, an empty region's colour when it reaches only that colour, else 0
    (dame). The per-point version of area_score; `mark` is int32[P] scratch."""
    for i in range(k.nn):
        mark[k.a2p[i]] = 0
    stack = np.empty(k.nn, np.int32)
    region = np.empty(k.nn, np.int32)
    owner_of = np.zeros(k.npts, np.int8)
    for i in range(k.nn):
        p = k.a2p[i]
        cp = s.color[p]
        if cp == BLACK or cp == WHITE:
            owner_of[p] = cp
        elif mark[p] == 0:
            n, reach = flood_empty_region(s, k, p, mark, stack, region)
            own = BLACK if reach == 1 else (WHITE if reach == 2 else 0)
            for j in range(n):
                owner_of[region[j]] = own
    for i in range(k.nn):
        out[i] = owner_of[k.a2p[i]]
