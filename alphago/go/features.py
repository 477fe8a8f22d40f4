"""Network input planes: GoBatch -> float32[B, C, N, N], computed in one compiled pass.

Planes are from the point of view of the player to move ("own" = to move), in this order:
  [2t], [2t+1]    own / opponent stones t moves ago, t = 0 .. history-1 (zeros before the game)
  color           1 everywhere if Black is to move, else 0 (komi favours White)
  ones            1 everywhere (lets convolutions see the board edge through zero padding)
  libs1/2/3       stones (either colour) whose chain has exactly 1, exactly 2, 3+ liberties
  legal           legal moves of the player to move (pass not represented)
  komi            (optional, last) the komi for the player to move / N^2 everywhere: +komi/N^2 when White
                  moves (komi is White's), -komi/N^2 when Black does; lets one net play at several komis
                  (KataGo's komi input). Not 0/1: stores that keep planes as uint8 (replay, pretraining)
                  keep this value per position and put it back with restore_komi().
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .board import LEGAL, check_move


@dataclass(frozen=True)
class FeatureConfig:
    history: int = 8          # positions of stone planes; AlphaGo Zero used 8
    color: bool = True
    ones: bool = True
    liberties: bool = True
    legal: bool = False
    komi: bool = False        # komi plane (see the module docstring)

    def __post_init__(self) -> None:
        if not isinstance(self.history, int) or self.history < 1:
            raise ValueError(f"features.history must be an integer >= 1, got {self.history!r}")

    @property
    def num_planes(self) -> int:
        return (2 * self.history + int(self.color) + int(self.ones) + 3 * int(self.liberties) + int(self.legal)
                + int(self.komi))

    def plane_names(self) -> list[str]:
        names = []
        for t in range(self.history):
            names += [f"own_t-{t}", f"opp_t-{t}"]
        names += ["black_to_play"] * self.color + ["ones"] * self.ones
        names += ["libs1", "libs2", "libs3+"] * self.liberties + ["legal"] * self.legal + ["komi"] * self.komi
        return names


@njit(cache=True)
def _features(games, K, history, color, ones, liberties, legal, out):
    k = K[0]
    n = k.n
    mark = np.zeros(k.npts, np.int32)
    nlibs = np.zeros(k.npts, np.int32)
    for b in range(games.shape[0]):
        s = games[b]
        me = s.to_play
        out[b] = 0.0
        # stone planes: t = 0 from the live board; older ones from the ring buffer
        for i in range(k.nn):
            c = s.color[k.a2p[i]]
            r = i // n
            q = i % n
            if c == me:
                out[b, 0, r, q] = 1.0
            elif c == -me:
                out[b, 1, r, q] = 1.0
        for t in range(1, history):
            m = s.moves - t
            if m < 0:
                break
            slot = m % s.nhist
            for i in range(k.nn):
                c = s.recent[slot, i]
                if c == me:
                    out[b, 2 * t, i // n, i % n] = 1.0
                elif c == -me:
                    out[b, 2 * t + 1, i // n, i % n] = 1.0
        ch = 2 * history
        if color:
            if me == 1:
                out[b, ch] = 1.0
            ch += 1
        if ones:
            out[b, ch] = 1.0
            ch += 1
        if liberties:
            for i in range(k.nn):
                mark[k.a2p[i]] = 0
                nlibs[k.a2p[i]] = -1
            for i in range(k.nn):
                p = k.a2p[i]
                if s.color[p] != 1 and s.color[p] != -1:
                    continue
                h = s.head[p]
                if nlibs[h] < 0:  # count distinct liberties of this chain once
                    cnt = 0
                    x = h
                    while True:
                        for d in range(4):
                            y = x + k.nbr[d]
                            if s.color[y] == 0 and mark[y] != h:
                                mark[y] = h
                                cnt += 1
                        x = s.nxt[x]
                        if x == h:
                            break
                    nlibs[h] = cnt
                L = nlibs[h]
                plane = ch if L == 1 else (ch + 1 if L == 2 else ch + 2)
                out[b, plane, i // n, i % n] = 1.0
            ch += 3
        if legal and not s.over:
            for j in range(s.nempty):
                a = k.p2a[s.empties[j]]
                if check_move(s, k, a) == LEGAL:
                    out[b, ch, a // n, a % n] = 1.0


def compute_features(batch, cfg: FeatureConfig, out: np.ndarray | None = None) -> np.ndarray:
    """float32[B, C, N, N] input planes for every game of `batch` (see module docstring)."""
    if cfg.history > 1 and batch.history < cfg.history:
        raise ValueError(f"features need {cfg.history} positions of history but the batch keeps "
                         f"{batch.history}; make the GoBatch with history >= {cfg.history}")
    shape = (batch.batch_size, cfg.num_planes, batch.n, batch.n)
    if out is None:
        out = np.empty(shape, np.float32)
    elif out.shape != shape or out.dtype != np.float32:
        raise ValueError(f"out must be float32{list(shape)}, got {out.dtype}{list(out.shape)}")
    _features(batch.games, batch.K, cfg.history, cfg.color, cfg.ones, cfg.liberties, cfg.legal, out)
    if cfg.komi:
        restore_komi(out, cfg, komi_plane_value(batch.komi, batch.to_play, batch.n))
    return out


def komi_plane_value(komi, to_play, n: int) -> np.ndarray:
    """float32[...] the komi plane's value: the komi for the player to move (White: +komi, Black:
    -komi) over N^2."""
    komi = np.asarray(komi, np.float32)
    return (np.where(np.asarray(to_play) == -1, komi, -komi) / np.float32(n * n)).astype(np.float32)


def restore_komi(planes: np.ndarray, cfg: FeatureConfig, values: np.ndarray) -> np.ndarray:
    """Write the komi plane (the last) of float32[B, C, N, N] `planes` from float32[B] values (a
    no-op without the feature): for planes that went through uint8 storage."""
    if cfg.komi:
        planes[:, cfg.num_planes - 1] = np.asarray(values, np.float32)[:, None, None]
    return planes


__all__ = ["FeatureConfig", "compute_features", "komi_plane_value", "restore_komi"]
