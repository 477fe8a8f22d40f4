"""The 8 symmetries of the square board (dihedral group D4) for planes and policies.

Symmetry t in 0..7: rotate by 90 degrees t % 4 times (np.rot90 on the last two axes),
then, for t >= 4, flip left-right. Policies are vectors over A = N*N + 1 actions in
action order (row-major, row 0 = bottom); pass stays put. `inverse(t)` undoes t, so a
net's policy on transformed planes maps back with apply_policy(p, inverse(t)).
"""
from __future__ import annotations

import numpy as np

NUM_SYMMETRIES = 8


def apply_planes(x: np.ndarray, t: int) -> np.ndarray:
    """x: [..., N, N] -> the same shape, transformed by symmetry t."""
    if not 0 <= t < NUM_SYMMETRIES:
        raise ValueError(f"symmetry must be in 0..7, got {t}")
    y = np.rot90(x, k=t % 4, axes=(-2, -1))
    if t >= 4:
        y = np.flip(y, axis=-1)
    return np.ascontiguousarray(y)


def apply_policy(p: np.ndarray, t: int) -> np.ndarray:
    """p: [..., N*N + 1] -> transformed the same way as the planes (pass unchanged)."""
    nn = p.shape[-1] - 1
    n = int(round(nn ** 0.5))
    if n * n != nn:
        raise ValueError(f"policy length {p.shape[-1]} is not N*N + 1")
    board = apply_planes(p[..., :nn].reshape(*p.shape[:-1], n, n), t)
    return np.concatenate([board.reshape(*p.shape[:-1], nn), p[..., nn:]], axis=-1)


def action_permutation(n: int, t: int) -> np.ndarray:
    """int64[A]: perm[a] = the action a maps to under symmetry t."""
    ident = np.arange(n * n + 1)
    # apply_policy moves the value at a to perm[a]: transform a one-hot index grid
    moved = apply_policy(np.eye(n * n + 1)[None], t)[0]  # moved[a] = one-hot of a, transformed
    perm = moved.argmax(axis=1)
    assert sorted(perm.tolist()) == ident.tolist()
    return perm


def inverse(t: int) -> int:
    """The symmetry that undoes t: rotations invert to 4 - k; reflections are their own inverse."""
    return (4 - t) % 4 if t < 4 else t
