"""One Elo scale from a ladder store: Bradley-Terry maximum likelihood with bootstrap intervals.

The model: P(i beats j) = 1 / (1 + 10^((r_j - r_i) / 400)); a draw counts as half a win for each side
(the usual Elo convention; Davidson's draw model would need a draw parameter that these engines'
rare draws cannot pin down). The fit itself is play/elo.fit_elo (Newton's method; BayesElo's 2
virtual draws per pair that met only when a perfect record makes the plain estimate infinite).
The anchor is rated 0 (DESIGN.md: GNU Go level 10).

Intervals: the games are resampled with replacement (`bootstrap` times) and refitted; the 2.5% and
97.5% percentiles of each player's rating are its interval. A replicate in which a player has no
game, or no path of games to the anchor, has no rating for it (NaN in the replicate matrix) and does
not count towards its interval; `replicates` says how many did. The replicate matrix is kept
(LadderFit.samples) so that an analysis can carry the games' noise into its own bootstrap (a study's
seed-clustered intervals).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..play.elo import fit_elo
from .ladder_store import LadderGame


@dataclass
class LadderFit:
    """Ratings of P players. keys: str[P]; elo, ci_low, ci_high: float64[P] (Elo, anchor 0);
    games: int[P] games played; samples: float64[B, P] bootstrap ratings (NaN: not rated in that
    replicate); labels: key -> name for people."""
    anchor: str
    keys: tuple[str, ...]
    elo: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    games: np.ndarray
    samples: np.ndarray
    virtual_draws: float
    labels: dict = field(default_factory=dict)

    def rating(self, key: str) -> float:
        return float(self.elo[self.keys.index(key)])

    def to_dict(self) -> dict:
        return {"anchor": self.anchor, "games": int(self.games.sum() // 2), "bootstrap": int(self.samples.shape[0]),
                "virtual_draws": self.virtual_draws,
                "method": "Bradley-Terry maximum likelihood (draws half a win), Elo scale, anchor at 0; "
                          "95% percentile intervals from bootstrap resamples of the games",
                "ratings": {k: {"elo": _num(self.elo[i]), "ci_low": _num(self.ci_low[i]),
                                "ci_high": _num(self.ci_high[i]), "games": int(self.games[i]),
                                "label": self.labels.get(k, k),
                                "replicates": int(np.isfinite(self.samples[:, i]).sum())}
                            for i, k in enumerate(self.keys)}}


def _num(x: float) -> float | None:
    return round(float(x), 2) if np.isfinite(x) else None


def _matrices(black: np.ndarray, white: np.ndarray, bpts: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """points[i, j] (i's points against j) and games[i, j] from per-game player indices and Black's points."""
    w = np.zeros((p, p))
    n = np.zeros((p, p))
    np.add.at(w, (black, white), bpts)
    np.add.at(w, (white, black), 1.0 - bpts)
    np.add.at(n, (black, white), 1.0)
    np.add.at(n, (white, black), 1.0)
    return w, n


def _component(n: np.ndarray, start: int) -> np.ndarray:
    """bool[P]: the players joined to `start` by a path of games."""
    seen = np.zeros(n.shape[0], bool)
    seen[start] = True
    frontier = [start]
    while frontier:
        nxt = np.flatnonzero((n[frontier] > 0).any(axis=0) & ~seen)
        seen[nxt] = True
        frontier = list(nxt)
    return seen


def _fit(w: np.ndarray, n: np.ndarray, anchor: int) -> np.ndarray:
    """float64[P] ratings of the anchor's component (NaN elsewhere)."""
    out = np.full(w.shape[0], np.nan)
    comp = np.flatnonzero(_component(n, anchor))
    if comp.size < 2:
        return out
    sub = np.ix_(comp, comp)
    f = fit_elo(w[sub], n[sub], anchor=int(np.flatnonzero(comp == anchor)[0]))
    out[comp] = f.ratings
    return out


def fit_ladder(games: list[LadderGame], anchor: str, bootstrap: int = 1000, seed: int = 0) -> LadderFit:
    """Ratings of every player of `games` relative to `anchor` (a player key). ValueError when the
    anchor has not played or some players have no path of games to it."""
    if not games:
        raise ValueError("no games to fit")
    keys: list[str] = []
    labels: dict[str, str] = {}
    for g in games:
        for pl in (g.black, g.white):
            if pl.key not in labels:
                keys.append(pl.key)
                labels[pl.key] = pl.label
    if anchor not in labels:
        raise ValueError(f"the anchor {anchor!r} has no games in the store (players: {', '.join(keys[:8])}"
                         f"{' ...' if len(keys) > 8 else ''})")
    index = {k: i for i, k in enumerate(keys)}
    black = np.array([index[g.black.key] for g in games])
    white = np.array([index[g.white.key] for g in games])
    bpts = np.array([g.black_points() for g in games])
    p, a = len(keys), index[anchor]
    w, n = _matrices(black, white, bpts, p)
    lost = ~_component(n, a)
    if lost.any():
        names = [keys[i] for i in np.flatnonzero(lost)]
        raise ValueError(f"{len(names)} players have no path of games to the anchor {anchor}: "
                         f"{', '.join(names[:6])}{' ...' if len(names) > 6 else ''}")
    full = fit_elo(w, n, keys, anchor=a)
    rng = np.random.default_rng(seed)
    samples = np.full((bootstrap, p), np.nan)
    for b in range(bootstrap):
        idx = rng.integers(0, len(games), size=len(games))
        wb, nb = _matrices(black[idx], white[idx], bpts[idx], p)
        samples[b] = _fit(wb, nb, a)
    with np.errstate(all="ignore"):
        lo = np.nanpercentile(samples, 2.5, axis=0) if bootstrap else np.full(p, np.nan)
        hi = np.nanpercentile(samples, 97.5, axis=0) if bootstrap else np.full(p, np.nan)
    return LadderFit(anchor, tuple(keys), full.ratings.copy(), lo, hi, n.sum(axis=1).astype(int), samples,
                     full.virtual_draws, labels)
