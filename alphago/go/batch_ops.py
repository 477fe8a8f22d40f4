"""Batch loops over the single-game kernels of board.py, all in compiled code.

`games` is the structured array of game records, `K` the constants array of one
record. A Python call costs microseconds; these take whole batches (and, for
benchmarks and rollouts, whole games) so that cost is paid once per batch.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .board import (KO_SIMPLE, LEGAL, apply_move, check_move, is_eyelike,
                    place_stone, position_key, reset_game, seen_insert)
from .scoring import area_ownership, area_score

NO_MOVE = -1  # in an actions array: leave this game as it is


@njit(cache=True)
def seed_kernels(seed):
    """Seed numba's own generator (used by the random-move kernels), for reproducible runs."""
    np.random.seed(seed)


@njit(cache=True)
def reset_games(games, K, which, nhist):
    """Reset the games whose flag in bool[B] `which` is set."""
    k = K[0]
    for b in range(which.shape[0]):
        if which[b]:
            s = games[b]
            s.nhist = nhist
            reset_game(s, k)


@njit(cache=True)
def legal_masks(games, K, out):
    """out: bool[B, N*N + 1]. A finished game has no legal move."""
    k = K[0]
    for b in range(out.shape[0]):
        s = games[b]
        out[b, :] = False
        if s.over:
            continue
        for i in range(s.nempty):
            a = k.p2a[s.empties[i]]
            out[b, a] = check_move(s, k, a) == LEGAL
        out[b, k.nn] = True


@njit(cache=True)
def legal_actions(games, K, b, out):
    """out[:n] = the legal actions of game b in increasing order (pass last); returns n (0 when
    the game is over). One call per move for Python drivers: no mask, no flatnonzero."""
    k = K[0]
    s = games[b]
    if s.over:
        return 0
    n = 0
    for a in range(k.nn):  # action order (the empties list is in insertion order)
        if s.color[k.a2p[a]] == 0 and check_move(s, k, a) == LEGAL:
            out[n] = a
            n += 1
    out[n] = k.nn
    return n + 1


@njit(cache=True)
def check_moves(games, K, actions, out):
    """out[b] = refusal code for actions[b] (LEGAL for NO_MOVE)."""
    k = K[0]
    for b in range(actions.shape[0]):
        a = actions[b]
        out[b] = LEGAL if a == -1 else check_move(games[b], k, a)


@njit(cache=True)
def apply_moves(games, K, actions):
    """Play actions[b] in every game where it is not NO_MOVE; the caller has checked them."""
    k = K[0]
    for b in range(actions.shape[0]):
        if actions[b] != -1:
            apply_move(games[b], k, actions[b])


@njit(cache=True)
def scores(games, K, komi, out):
    """out: float32[B] Tromp-Taylor area scores, black - white - komi."""
    k = K[0]
    mark = np.zeros(k.npts, np.int32)
    for b in range(out.shape[0]):
        out[b] = area_score(games[b], k, komi, mark)


@njit(cache=True)
def ownerships(games, K, out):
    """out: int8[B, N*N] Tromp-Taylor owner of every point (1 black, -1 white, 0 dame)."""
    k = K[0]
    mark = np.zeros(k.npts, np.int32)
    for b in range(out.shape[0]):
        area_ownership(games[b], k, mark, out[b])


@njit(cache=True)
def random_move(s, k, light):
    """A random legal action for game record s (the game must not be over).

    light=False: uniform over all legal actions, pass included.
    light=True:  uniform over legal moves that do not fill one's own eye-like point;
                 pass only when there is none (the playout policy of Go programs).
    Sampling without replacement from the empty points: draw one, and if it is
    refused, swap it out of the candidate range; the order of `empties` carries no
    meaning, so reordering it is free. Exactly uniform, and no legal mask is built.
    """
    m = s.nempty
    c = s.to_play
    extra = 0 if light else 1  # the pass slot
    while True:
        n = m + extra
        if n == 0:
            return k.nn
        i = np.random.randint(0, n)
        if i == m:
            return k.nn
        p = s.empties[i]
        a = k.p2a[p]
        # the eye test first: it is cheaper and, late in a playout, refuses most draws
        if not (light and is_eyelike(s, k, p, c)) and check_move(s, k, a) == LEGAL:
            return a
        m -= 1
        q = s.empties[m]
        s.empties[i] = q
        s.epos[q] = i
        s.empties[m] = p
        s.epos[p] = m


@njit(cache=True)
def random_moves(games, K, light, out):
    """out[b] = a random legal action in every running game, NO_MOVE in finished ones."""
    k = K[0]
    for b in range(out.shape[0]):
        s = games[b]
        out[b] = -1 if s.over else random_move(s, k, light)


@njit(cache=True)
def play_out(games, K, light):
    """Play every game of the batch to its end with random moves; returns moves played."""
    k = K[0]
    total = 0
    for b in range(games.shape[0]):
        s = games[b]
        while not s.over:
            apply_move(s, k, random_move(s, k, light))
            total += 1
    return total


@njit(cache=True)
def run_random_games(games, K, n_games, light):
    """Benchmark kernel: play `n_games` complete random games one after another in slot 0.
    Each starts from the empty board and ends by two passes or the move cap, like the
    OpenSpiel workload it is compared with. Returns total moves."""
    k = K[0]
    s = games[0]
    total = 0
    for _ in range(n_games):
        reset_game(s, k)
        while not s.over:
            apply_move(s, k, random_move(s, k, light))
            total += 1
    return total


@njit(cache=True)
def run_light_playouts(games, K, n_games, komi):
    """Benchmark kernel: `n_games` light playouts (the rollout policy) from the empty board in
    slot 0, each scored (Tromp-Taylor) as a rollout evaluator does. Returns (moves, sum of the
    results for Black: +1 win, -1 loss, 0 draw)."""
    k = K[0]
    s = games[0]
    mark = np.zeros(k.npts, np.int32)
    total = 0
    result = 0
    for _ in range(n_games):
        reset_game(s, k)
        while not s.over:
            apply_move(s, k, random_move(s, k, True))
            total += 1
        sc = area_score(s, k, komi, mark)
        result += 1 if sc > 0 else (-1 if sc < 0 else 0)
    return total, result


@njit(cache=True)
def run_random_games_lockstep(games, K, n_games, light, actions):
    """Benchmark kernel for the batched path: every running game advances one move per
    sweep (as a batched search drives them: choose all, then apply all), and a finished
    slot restarts until `n_games` games have been completed. Returns total moves."""
    k = K[0]
    B = games.shape[0]
    total = 0
    started = 0
    for b in range(B):
        if started < n_games:
            reset_game(games[b], k)
            started += 1
        else:
            games[b].over = True  # idle slot: fewer games than slots
    finished = 0
    while finished < n_games:
        for b in range(B):
            s = games[b]
            actions[b] = -1 if s.over else random_move(s, k, light)
        for b in range(B):
            a = actions[b]
            if a != -1:
                s = games[b]
                apply_move(s, k, a)
                total += 1
                if s.over:
                    finished += 1
                    if started < n_games:
                        reset_game(s, k)
                        started += 1
    return total


@njit(cache=True)
def setup_position(s, k, stones, to_play):
    """Reset game s to the position `stones` (int8[N*N]: 1 black, -1 white, 0 empty) with
    `to_play` to move. Stones go down one by one, so chains and liberties are derived, not
    trusted; a chain left without liberties comes off as it would in play. The position
    becomes the first of the game's history (superko compares against it)."""
    reset_game(s, k)
    for i in range(k.nn):
        if stones[i] != 0 and s.color[k.a2p[i]] == 0:
            place_stone(s, k, k.a2p[i], stones[i])
    s.ko = 0
    s.to_play = to_play
    s.seen[:] = 0
    s.nseen = 0
    s.min_empty = k.nn + 1
    if k.ko_rule != KO_SIMPLE:
        seen_insert(s, position_key(k, s.hash, to_play))
    if s.nhist > 0:
        for i in range(k.nn):
            s.recent[0, i] = s.color[k.a2p[i]]


@njit(cache=True)
def setup_game(games, K, b, stones, to_play):
    setup_position(games[b], K[0], stones, to_play)


@njit(cache=True)
def replay_paths(roots, leaves, K, paths, lengths):
    """leaves[b] := roots[b] followed by paths[b, :lengths[b]], for every b with
    lengths[b] >= 0 (the moves were legal when the search stored them: not re-checked)."""
    k = K[0]
    for b in range(lengths.shape[0]):
        if lengths[b] < 0:
            continue
        leaves[b] = roots[b]
        s = leaves[b]
        for i in range(lengths[b]):
            apply_move(s, k, paths[b, i])


@njit(cache=True)
def rollout_values(games, K, scratch, rollouts, komi):
    """Mean result of `rollouts` light random playouts from each game, for the player to
    move there (+1 win, -1 loss, 0 draw). `scratch` is a game array of the same layout."""
    k = K[0]
    out = np.zeros(games.shape[0], np.float32)
    mark = np.zeros(k.npts, np.int32)
    for b in range(games.shape[0]):
        me = games[b].to_play
        total = 0.0
        for _ in range(rollouts):
            scratch[0] = games[b]
            s = scratch[0]
            while not s.over:
                apply_move(s, k, random_move(s, k, True))
            sc = area_score(s, k, komi, mark)
            total += me * (1.0 if sc > 0 else (-1.0 if sc < 0 else 0.0))
        out[b] = total / rollouts
    return out
