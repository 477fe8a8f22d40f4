"""Numba kernels for one Go game, and the record layouts they work on.

A batch of B games is a numpy structured array of B records (`game_dtype`): every
kernel here takes one record `s` (a game) and the constants record `k` (board size,
tables, rules; `const_dtype`). Records reach compiled code as a pointer, so a kernel
call costs about a nanosecond; a tuple of arrays costs ~150 ns (reference counts),
which measured as most of the move time. The batch loops live in `batch_ops.py`, the
Python-facing API in `state.py`. The engine knows nothing of search, torch or ray.

Layout: a board of size N is stored flat with a one-point wall all round, so a
point has index p = (row + 1) * W + (col + 1) with W = N + 2, and its neighbours are
p - W, p - 1, p + 1, p + W. Row 0 is the bottom row (GTP row 1), so the action index
of a point is row * N + col and PASS = N * N, as in DESIGN.md and OpenSpiel.

Chains are circular linked lists (`nxt`) with a representative point (`head`).
Each head keeps *pseudo-liberties*: the number of (stone, adjacent empty point)
pairs, their sum and their sum of squares. A chain has no liberty iff its count is
0, and is in atari (exactly one distinct liberty) iff count * sumsq == sum ** 2
(all pseudo-liberties are the same point): the libego / Pachi trick, O(1) per
question, no flood fill on the hot path.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .. import _numba_records  # noqa: F401  (stable symbol names for cached record kernels)

# Colours, as stored in Board.color.
EMPTY = 0
BLACK = 1
WHITE = -1
WALL = 2

# Ko rules (Rules.ko_code).
KO_SIMPLE = 0       # only the immediate recapture of a single stone is banned
KO_POSITIONAL = 1   # no move may recreate an earlier whole-board position
KO_SITUATIONAL = 2  # ... an earlier position with the same player to move

# Reasons a move is refused (0 = legal). Kept in one table so messages match codes.
LEGAL = 0
OCCUPIED = 1
SUICIDE = 2
KO = 3
SUPERKO = 4
OFF_BOARD = 5
GAME_OVER = 6
REASONS = ("legal", "occupied point", "suicide", "ko (immediate recapture)",
           "superko (repeats an earlier position)", "off the board", "game is over")


def const_dtype(n: int) -> np.dtype:
    """One record of constants for a board size and rule set (passed to every kernel)."""
    w = n + 2
    npts, nn = w * w, n * n
    return np.dtype([
        ("n", np.int32), ("w", np.int32), ("npts", np.int32), ("nn", np.int32),
        ("a2p", np.int32, (nn,)),      # action index -> padded point
        ("p2a", np.int32, (npts,)),    # padded point -> action index, -1 on walls
        ("nbr", np.int32, (4,)),       # neighbour offsets
        ("diag", np.int32, (4,)),      # diagonal offsets
        ("zob", np.uint64, (2, npts)),  # Zobrist keys; row 0 black, row 1 white
        ("zwhite", np.uint64),         # xor-ed into position keys when White is to move (situational)
        ("base", np.uint64),           # hash of the empty board (non-zero: 0 marks a free seen-slot)
        ("empty_color", np.int8, (npts,)),  # a clear board: EMPTY inside, WALL outside
        ("ko_rule", np.int32),         # KO_SIMPLE | KO_POSITIONAL | KO_SITUATIONAL
        ("suicide", np.bool_),         # True = suicide is legal (the chain that played comes off)
        ("max_moves", np.int32),       # the game ends after this many moves, passes included
    ], align=True)


def game_dtype(n: int, seen: int, history: int) -> np.dtype:
    """One record per game. Per-point fields are indexed by padded point p."""
    npts, nn = (n + 2) ** 2, n * n
    return np.dtype([
        ("color", np.int8, (npts,)),    # 1 = black, -1 = white, 0 = empty, 2 = wall
        ("head", np.int16, (npts,)),    # chain representative of a stone (0 if empty)
        ("nxt", np.int16, (npts,)),     # next stone of the same chain (circular list)
        ("size", np.int16, (npts,)),    # at a head: stones in the chain
        ("nlib", np.int32, (npts,)),    # at a head: pseudo-liberty count
        ("lsum", np.int32, (npts,)),    # at a head: sum of pseudo-liberty points
        ("lsq", np.int64, (npts,)),     # at a head: sum of their squares
        ("chash", np.uint64, (npts,)),  # at a head: xor of the Zobrist keys of its stones
        ("empties", np.int16, (nn,)),   # the empty points (padded indices), first `nempty` valid
        ("epos", np.int16, (npts,)),    # where an empty point sits in `empties`
        ("seen", np.uint64, (seen,)),   # open-addressing set of position keys (superko); 0 = free
        ("recent", np.int8, (max(history, 1), nn)),  # board after move m in slot m % history
        ("hash", np.uint64),            # Zobrist hash of the stones (xor base)
        ("nempty", np.int32),
        ("ko", np.int32),               # point banned by the simple-ko rule, 0 = none
        ("passes", np.int32),           # consecutive passes just played
        ("moves", np.int32),            # moves played, passes included
        ("last", np.int32),             # last action, -1 = none
        ("nhist", np.int32),            # history slots in use (0 = keep no history)
        ("nseen", np.int32),            # keys in `seen`
        ("min_empty", np.int32),        # fewest empty points of any position in `seen` (> N*N: none):
        #                                 a move that captures nothing leaves nempty - 1 empties, and if
        #                                 that is below min_empty the position is new (no superko probe)
        ("to_play", np.int8),           # 1 = black, -1 = white
        ("over", np.bool_),             # two passes or the move cap
    ], align=True)


def make_const(n: int, ko_rule: int, suicide: bool, max_moves: int, seed: int = 20261125) -> np.ndarray:
    """The constants record (an array of one) for an N x N board under the given rules.
    The Zobrist seed is fixed so hashes are reproducible across runs and processes."""
    if not 2 <= n <= 19:
        raise ValueError(f"board size must be between 2 and 19, got {n}")
    w = n + 2
    k = np.zeros(1, const_dtype(n))
    a2p = np.array([(r + 1) * w + (c + 1) for r in range(n) for c in range(n)], dtype=np.int32)
    k["n"], k["w"], k["npts"], k["nn"] = n, w, w * w, n * n
    k["a2p"][0] = a2p
    k["p2a"][0] = -1
    k["p2a"][0, a2p] = np.arange(n * n)
    k["nbr"][0] = (-w, -1, 1, w)
    k["diag"][0] = (-w - 1, -w + 1, w - 1, w + 1)
    rng = np.random.default_rng(seed + n)
    k["zob"][0] = rng.integers(1, 2**64, size=(2, w * w), dtype=np.uint64)
    k["zwhite"], k["base"] = rng.integers(1, 2**64, size=2, dtype=np.uint64)
    k["empty_color"][0] = WALL
    k["empty_color"][0, a2p] = EMPTY
    k["ko_rule"], k["suicide"], k["max_moves"] = ko_rule, suicide, max_moves
    return k


def seen_capacity(max_moves: int) -> int:
    """Size of the superko table: a power of two at least 2x the positions a game can visit."""
    h = 16
    while h < 2 * (max_moves + 2):
        h *= 2
    return h


# ----------------------------------------------------------------------------- superko set

@njit(cache=True)
def seen_contains(s, key):
    mask = s.seen.shape[0] - 1
    i = key & mask
    for _ in range(s.seen.shape[0]):  # bounded: a full table cannot loop forever
        v = s.seen[i]
        if v == key:
            return True
        if v == 0:
            return False
        i = (i + 1) & mask
    return False


@njit(cache=True)
def seen_insert(s, key):
    """Add a position key. The table holds 2x the positions a game can reach under its move
    cap; a game continued past the cap (GTP) stops recording once it is 3/4 full, so superko
    then only looks at the earlier positions (stated, and never a hang)."""
    mask = s.seen.shape[0] - 1
    if 4 * s.nseen >= 3 * s.seen.shape[0]:
        return
    i = key & mask
    while True:
        v = s.seen[i]
        if v == key:
            return
        if v == 0:
            s.seen[i] = key
            s.nseen += 1
            if s.nempty < s.min_empty:
                s.min_empty = s.nempty
            return
        i = (i + 1) & mask


@njit(cache=True)
def position_key(k, board_hash, to_play):
    """The key the superko rule compares: the board alone, or board + player to move."""
    if k.ko_rule == KO_SITUATIONAL and to_play == WHITE:
        return board_hash ^ k.zwhite
    return board_hash


# ----------------------------------------------------------------------------- reset

@njit(cache=True)
def reset_game(s, k):
    s.color[:] = k.empty_color
    for i in range(k.nn):
        p = k.a2p[i]
        s.head[p] = 0
        s.empties[i] = p
        s.epos[p] = i
    s.nempty = k.nn
    s.to_play = BLACK
    s.ko = 0
    s.passes = 0
    s.moves = 0
    s.last = -1
    s.hash = k.base
    s.seen[:] = 0
    s.nseen = 0
    s.min_empty = k.nn + 1
    s.recent[:, :] = 0
    s.over = False
    if k.ko_rule != KO_SIMPLE:
        seen_insert(s, position_key(k, k.base, BLACK))


# ----------------------------------------------------------------------------- chain primitives

@njit(cache=True)
def in_atari(s, h):
    """True iff the chain headed by h has exactly one distinct liberty."""
    n = s.nlib[h]
    return n > 0 and n * s.lsq[h] == s.lsum[h] * s.lsum[h]


@njit(cache=True)
def _zi(c):
    return 0 if c == BLACK else 1


@njit(cache=True)
def _empty_remove(s, p):
    i = s.epos[p]
    last = s.empties[s.nempty - 1]
    s.empties[i] = last
    s.epos[last] = i
    s.nempty -= 1


@njit(cache=True)
def _empty_add(s, p):
    i = s.nempty
    s.empties[i] = p
    s.epos[p] = i
    s.nempty = i + 1


@njit(cache=True)
def _merge(s, h1, h2):
    """Merge two distinct chains; returns the surviving head (the larger chain's)."""
    if s.size[h1] < s.size[h2]:
        h1, h2 = h2, h1
    q = h2
    while True:
        s.head[q] = h1
        q = s.nxt[q]
        if q == h2:
            break
    t = s.nxt[h1]
    s.nxt[h1] = s.nxt[h2]
    s.nxt[h2] = t
    s.size[h1] += s.size[h2]
    s.nlib[h1] += s.nlib[h2]
    s.lsum[h1] += s.lsum[h2]
    s.lsq[h1] += s.lsq[h2]
    s.chash[h1] ^= s.chash[h2]
    return h1


@njit(cache=True)
def _remove_chain(s, k, h):
    """Take a chain off the board, giving its points back as liberties to adjacent chains."""
    c = s.color[h]
    s.hash ^= s.chash[h]
    q = h
    while True:
        t = s.nxt[q]
        s.color[q] = EMPTY
        s.head[q] = 0
        _empty_add(s, q)
        for d in range(4):
            m = q + k.nbr[d]
            if s.color[m] == -c:
                hm = s.head[m]
                s.nlib[hm] += 1
                s.lsum[hm] += q
                s.lsq[hm] += q * q
        q = t
        if q == h:
            break


@njit(cache=True)
def place_stone(s, k, p, c):
    """Put a stone of colour c on empty point p, merge, capture. Returns stones captured.

    Also sets the simple-ko point. Suicide (own chain left without liberties) is
    resolved by removing that chain; callers that forbid suicide never get here with one.
    """
    s.color[p] = c
    _empty_remove(s, p)
    key = k.zob[_zi(c), p]
    s.hash ^= key
    s.head[p] = p
    s.nxt[p] = p
    s.size[p] = 1
    s.chash[p] = key
    nl = 0
    ls = 0
    lq = 0
    for d in range(4):
        q = p + k.nbr[d]
        cq = s.color[q]
        if cq == EMPTY:
            nl += 1
            ls += q
            lq += q * q
        elif cq == BLACK or cq == WHITE:
            h = s.head[q]
            s.nlib[h] -= 1
            s.lsum[h] -= p
            s.lsq[h] -= p * p
    s.nlib[p] = nl
    s.lsum[p] = ls
    s.lsq[p] = lq
    hp = p
    for d in range(4):
        q = p + k.nbr[d]
        if s.color[q] == c:
            h = s.head[q]
            if h != hp:
                hp = _merge(s, hp, h)
    captured = 0
    ko_point = 0
    for d in range(4):
        q = p + k.nbr[d]
        if s.color[q] == -c:
            h = s.head[q]
            if s.nlib[h] == 0:
                captured += s.size[h]
                ko_point = h
                _remove_chain(s, k, h)
    if captured == 1 and s.size[hp] == 1 and s.nlib[hp] == 1:
        s.ko = ko_point
    else:
        s.ko = 0
    if s.nlib[hp] == 0:
        _remove_chain(s, k, hp)
    return captured


# ----------------------------------------------------------------------------- legality and play

@njit(cache=True)
def check_move(s, k, a):
    """Why action a is refused for the player to move (LEGAL = 0 if it is not)."""
    if s.over:
        return GAME_OVER
    if a == k.nn:
        return LEGAL
    if a < 0 or a > k.nn:
        return OFF_BOARD
    p = k.a2p[a]
    if s.color[p] != EMPTY:
        return OCCUPIED
    if p == s.ko:
        return KO
    c = s.to_play
    key = k.zob[_zi(c), p]
    newhash = s.hash ^ key
    own_hash = key  # what comes off if the move is suicide: the new stone and the chains it joins
    has_lib = False
    c0 = 0
    c1 = 0
    c2 = 0
    o0 = 0
    o1 = 0
    o2 = 0
    for d in range(4):
        q = p + k.nbr[d]
        cq = s.color[q]
        if cq == EMPTY:
            has_lib = True
        elif cq == c:
            h = s.head[q]
            if not in_atari(s, h):
                has_lib = True
            if h != o0 and h != o1 and h != o2:
                own_hash ^= s.chash[h]
                if o0 == 0:
                    o0 = h
                elif o1 == 0:
                    o1 = h
                else:
                    o2 = h
        elif cq == -c:
            h = s.head[q]
            if in_atari(s, h) and h != c0 and h != c1 and h != c2:
                has_lib = True
                newhash ^= s.chash[h]
                if c0 == 0:
                    c0 = h
                elif c1 == 0:
                    c1 = h
                else:
                    c2 = h
    if not has_lib:
        if not k.suicide:
            return SUICIDE
        newhash ^= own_hash  # the new stone and the chains it joins all come off
    if k.ko_rule == KO_SIMPLE:
        return LEGAL
    if c0 == 0 and has_lib and s.nempty - 1 < s.min_empty:
        return LEGAL  # more stones than any recorded position: a position never seen (see min_empty)
    if seen_contains(s, position_key(k, newhash, -c)):
        return SUPERKO
    return LEGAL


@njit(cache=True)
def apply_move(s, k, a):
    """Play action a (already checked legal) for the player to move."""
    c = s.to_play
    if a == k.nn:
        s.passes += 1
        s.ko = 0
    else:
        s.passes = 0
        place_stone(s, k, k.a2p[a], c)
    s.moves += 1
    s.last = a
    s.to_play = -c
    if k.ko_rule != KO_SIMPLE:
        seen_insert(s, position_key(k, s.hash, -c))
    if s.nhist > 0:
        slot = s.moves % s.nhist
        for i in range(k.nn):
            s.recent[slot, i] = s.color[k.a2p[i]]
    if s.passes >= 2 or s.moves >= k.max_moves:
        s.over = True


@njit(cache=True)
def is_eyelike(s, k, p, c):
    """p is an empty point whose neighbours are all c (or wall) and that the opponent
    cannot make false: at most one opposing diagonal, none on the edge (libego's rule)."""
    for d in range(4):
        cq = s.color[p + k.nbr[d]]
        if cq != c and cq != WALL:
            return False
    bad = 0
    edge = 0
    for d in range(4):
        cq = s.color[p + k.diag[d]]
        if cq == -c:
            bad += 1
        elif cq == WALL:
            edge = 1
    return bad + edge < 2
