"""Seed-level statistics: the unit of replication of a claim about training is the run (DESIGN.md,
Evidence), so a difference between arms is tested over seeds, not over the games they played.

paired_by_seed     mean of per-seed differences, t-interval (n - 1 degrees of freedom) and the exact
                   sign-flip permutation p-value (two-sided) over the 2^n flips of the differences
cluster_bootstrap  percentile interval of a statistic when the seeds of each arm are resampled with
                   replacement (the runs are the clusters; every game or checkpoint of a seed moves with it)
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

# two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (t_{0.975, df}); above 30 the
# normal 1.96 is within 4%
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
         2.045, 2.042)


def t975(df: int) -> float:
    if df < 1:
        return math.inf
    return _T975[df - 1] if df <= len(_T975) else 1.96


@dataclass(frozen=True)
class Paired:
    """Per-seed differences d[i] = arm[i] - base[i] (same seed). mean, its 95% t-interval (lo, hi;
    infinite with one seed), the exact sign-flip p-value, and n seeds."""
    mean: float
    lo: float
    hi: float
    p: float
    n: int
    diffs: tuple[float, ...]

    @property
    def resolved(self) -> bool:
        """True when the interval excludes 0."""
        return self.lo > 0 or self.hi < 0

    def describe(self, fmt: str = "+.3f") -> str:
        if self.n < 2:
            return f"{self.mean:{fmt}} (1 seed: no seed-level interval)"
        return (f"{self.mean:{fmt}} [{self.lo:{fmt}}, {self.hi:{fmt}}] paired over {self.n} seeds, sign-flip "
                f"p = {self.p:.3g}{'' if self.resolved else ' (not resolved)'}")


def paired_by_seed(arm: dict, base: dict) -> Paired | None:
    """Paired comparison over the seeds both have (seed -> value; NaN values are left out); None
    when no seed is shared."""
    seeds = sorted(s for s in set(arm) & set(base) if np.isfinite(arm[s]) and np.isfinite(base[s]))
    if not seeds:
        return None
    d = np.array([arm[s] - base[s] for s in seeds], float)
    n, m = len(d), float(d.mean())
    if n < 2:
        return Paired(m, -math.inf, math.inf, 1.0, n, tuple(d))
    half = t975(n - 1) * float(d.std(ddof=1)) / math.sqrt(n)
    return Paired(m, m - half, m + half, sign_flip_p(d), n, tuple(float(x) for x in d))


def sign_flip_p(d: np.ndarray, max_exact: int = 16, samples: int = 20000, seed: int = 0) -> float:
    """Two-sided p-value of mean(d) under the null that each difference's sign is a coin flip: exact
    over all 2^n flips for n <= max_exact, else Monte Carlo."""
    d = np.asarray(d, float)
    obs = abs(d.mean())
    if len(d) <= max_exact:
        flips = np.array(list(itertools.product((1.0, -1.0), repeat=len(d))))
    else:
        flips = np.random.default_rng(seed).choice((1.0, -1.0), size=(samples, len(d)))
    return float((np.abs((flips * d).mean(axis=1)) >= obs - 1e-12).mean())


def cluster_bootstrap(clusters: dict[str, list], statistic: Callable[[dict[str, list]], float],
                      replicates: int = 2000, seed: int = 0) -> tuple[float, float, np.ndarray]:
    """(2.5%, 97.5%) percentile interval and the replicate values of `statistic` when each arm's
    clusters (arm -> list of per-seed items) are resampled with replacement, each arm on its own;
    replicates where the statistic is not finite are left out of the interval."""
    rng = np.random.default_rng(seed)
    vals = np.empty(replicates)
    for b in range(replicates):
        sample = {arm: [items[i] for i in rng.integers(0, len(items), len(items))] for arm, items in clusters.items()}
        vals[b] = statistic(sample)
    ok = vals[np.isfinite(vals)]
    if ok.size == 0:
        return math.nan, math.nan, vals
    return float(np.percentile(ok, 2.5)), float(np.percentile(ok, 97.5)), vals
