"""The FLOP multiplier at matched strength: how many times the FLOPs one arm needs to reach the
strength another arm has (a horizontal shift between log-FLOPs-to-Elo curves; the primary endpoint
of docs/results/soft_vs_hard_7x7_v2/PROTOCOL.md).

For the reference arm's curve R(x_i) and the other arm's curve H(x) at the same matched points
x_i = log2 FLOPs: H is made monotone (running maximum: a level once reached counts as reached) and
interpolated linearly in x; for every point i with R(x_i) inside H's range, x_H(i) is the smallest x
where H reaches R(x_i), and log2 M = mean over those i of x_H(i) - x_i. M > 1: the other arm needs M
times the reference arm's FLOPs. Points outside H's range are censored; with fewer than
`min_overlap` points left there is no estimate (NaN), and `bound` says which way it is censored.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Multiplier:
    """estimate: M (NaN when censored); overlap: points used; censored_above / censored_below: the
    reference arm's points stronger than anything H reached / weaker than H's first point."""
    estimate: float
    overlap: int
    censored_above: int
    censored_below: int

    @property
    def bound(self) -> str:
        if math.isfinite(self.estimate):
            return ""
        if self.censored_above > self.censored_below:
            return "above the grid: the other arm never reaches the reference arm's strength within the budget"
        return "below the grid: the other arm starts stronger than the reference arm ever gets"


def reach_x(xs: np.ndarray, h: np.ndarray, level: float) -> float:
    """Smallest x where the running maximum of h (linearly interpolated) reaches `level`; NaN outside its range."""
    hm = np.maximum.accumulate(h)
    if not hm[0] <= level <= hm[-1]:
        return math.nan
    j = int(np.argmax(hm >= level))
    if j == 0:
        return float(xs[0])
    lo, hi = hm[j - 1], hm[j]
    return float(xs[j - 1] + (level - lo) / (hi - lo) * (xs[j] - xs[j - 1]))


def flop_multiplier(flops: list[float], reference: list[float], other: list[float], min_overlap: int = 2) -> Multiplier:
    """M for curves given at the same matched points (flops ascending; NaN values are skipped)."""
    xs = np.log2(np.asarray(flops, float))
    r, h = np.asarray(reference, float), np.asarray(other, float)
    ok = np.isfinite(h)
    if ok.sum() < 2:
        return Multiplier(math.nan, 0, 0, 0)
    xh, hh = xs[ok], h[ok]
    hm = np.maximum.accumulate(hh)
    shifts, above, below = [], 0, 0
    for x, level in zip(xs, r):
        if not math.isfinite(level):
            continue
        if level > hm[-1]:
            above += 1
        elif level < hm[0]:
            below += 1
        else:
            shifts.append(reach_x(xh, hh, level) - x)
    if len(shifts) < min_overlap:
        return Multiplier(math.nan, len(shifts), above, below)
    return Multiplier(float(2.0 ** np.mean(shifts)), len(shifts), above, below)


def parallel_shift(flops: list[float], reference: list[float], other: list[float]) -> float:
    """A second estimator of M (not the pre-registered one): both curves fitted by least squares as
    straight lines in x = log2 FLOPs with one common slope b and their own intercepts, over the points
    where both are finite; log2 M = (intercept_ref - intercept_other) / b. No running maximum, so a noisy
    point does not pull the other arm's curve up; it assumes parallel lines, and gives NaN when the
    common slope is not positive (neither arm learns: no shift is defined)."""
    xs = np.log2(np.asarray(flops, float))
    r, h = np.asarray(reference, float), np.asarray(other, float)
    ok = np.isfinite(r) & np.isfinite(h)
    if ok.sum() < 2:
        return math.nan
    x, r, h = xs[ok], r[ok], h[ok]
    b = (_slope(x, r) + _slope(x, h)) / 2   # over the same x: the common least-squares slope
    if not b > 0:
        return math.nan
    return float(2.0 ** ((r.mean() - h.mean()) / b))


def elo_slope(flops: list[float], elo: list[float]) -> float:
    """Elo per doubling of FLOPs: the least-squares slope of a curve in x = log2 FLOPs over its finite
    points (NaN with fewer than two). How steep a curve is decides how much a multiplier's estimate can
    be trusted (`alphago multiplier-sim` simulates slopes of 30, 60 and 120), so reports print it."""
    x, y = np.log2(np.asarray(flops, float)), np.asarray(elo, float)
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return math.nan
    return _slope(x[ok], y[ok])


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    """The least-squares slope of y on x (both finite, at least two distinct x)."""
    xc = x - x.mean()
    return float(xc @ (y - y.mean()) / (xc @ xc))
