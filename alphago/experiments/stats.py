"""Seed-level statistics: the unit of replication of a claim about training is the run (DESIGN.md,
Evidence), so a difference between arms is tested over seeds, not over the games they played.

paired_by_seed     mean of per-seed differences, t-interval (n - 1 degrees of freedom) and the exact
                   sign-flip permutation p-value (two-sided) over the 2^n flips of the differences
cluster_bootstrap  percentile interval of a statistic when the seeds of each arm are resampled with
                   replacement (the runs are the clusters; every game or checkpoint of a seed moves with it)

and the game-level figures reported beside them (every report uses these, none its own):

wilson             Wilson interval of a score over n games
score_stats        a score (wins + draws/2) / games with its draw-aware standard error and Wilson interval
pooled             score_stats of a group's rows (one per seed) against one reference, with per-seed scores
difference         a difference of two pooled scores with its normal-approximation 95% half-width
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
                f"p = {self.p:.3g}{sign_flip_floor_note(self.p, self.n)}{'' if self.resolved else ' (not resolved)'}")


def sign_flip_floor_note(p: float, n: int) -> str:
    """What the exact sign-flip test can say with n seeds: its p is at least 2 / 2^n (all differences of one
    sign), 0.125 with 4 seeds, so with 5 or fewer it cannot reach 0.05 however large the effect. Said beside the
    p-value, so that a t-interval that excludes 0 next to p = 0.125 reads as the few seeds' limit, not as
    disagreement."""
    floor = 2.0 / 2 ** n
    if n < 2 or floor <= 0.05:
        return ""
    return f", the smallest {n} seeds allow" if p <= floor * (1 + 1e-9) else f" ({n} seeds allow no less than {floor:.3g})"


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
    return (*percentile_interval(vals), vals)


def percentile_interval(vals: np.ndarray) -> tuple[float, float]:
    """The 95% percentile interval of the finite replicate values (NaN, NaN when there are none):
    replicates without a value (a resample that misses a point, a censored estimate) are left out."""
    ok = vals[np.isfinite(vals)]
    if ok.size == 0:
        return math.nan, math.nan
    return float(np.percentile(ok, 2.5)), float(np.percentile(ok, 97.5))


# Scores against a reference, pooled over a group's rows (one row per seed, eval_REF_* counts)

def wilson(p: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion p over n games (draws count 1/2): unlike mean +- z se
    it does not collapse to a point when every game is won or lost."""
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def score_stats(wins: float, draws: float, games: int) -> dict:
    """Score s = (wins + draws/2) / games with its standard error from the games' own spread (a draw
    is 1/2: sd of the per-game points, not of a Bernoulli), never below the Wilson interval's width
    (a perfect score has sd 0), the Wilson interval, and the Elo of s (clipped half a game from 0 and 1)."""
    losses = games - wins - draws
    s = (wins + 0.5 * draws) / games
    var = (wins * (1 - s) ** 2 + draws * (0.5 - s) ** 2 + losses * s ** 2) / max(games - 1, 1)
    lo, hi = wilson(s, games)
    se = max(math.sqrt(var / games), (hi - lo) / (2 * 1.96))
    clip = 0.5 / games
    sc = min(max(s, clip), 1 - clip)
    return {"games": games, "wins": wins, "draws": draws, "losses": losses, "score": s, "se": se,
            "lo": lo, "hi": hi, "elo": 400 * math.log10(sc / (1 - sc))}


def seed_score(row: dict, ref: str) -> float:
    """One row's (one seed's) score against `ref`: (wins + draws / 2) / games."""
    return (row.get(f"eval_{ref}_wins", 0) + 0.5 * row.get(f"eval_{ref}_draws", 0)) / max(row.get(f"eval_{ref}_games", 1), 1)


def pooled(rows: list[dict], ref: str) -> dict:
    """Pooled score of rows (one per seed) against `ref`, with its interval and Elo; rows that did not
    play `ref` (an extra reference whose checkpoint was not on disk) are left out, not counted as 0."""
    rows = [r for r in rows if r.get(f"eval_{ref}_games")]
    wins = sum(r.get(f"eval_{ref}_wins", 0) for r in rows)
    draws = sum(r.get(f"eval_{ref}_draws", 0) for r in rows)
    games = sum(r.get(f"eval_{ref}_games", 0) for r in rows)
    if games == 0:
        return {"games": 0}
    return {**score_stats(wins, draws, games),
            "per_seed": [round(seed_score(r, ref), 3) for r in rows],
            "by_seed": {str(r["seed"]): seed_score(r, ref) for r in rows if "seed" in r}}


def difference(a: dict, b: dict) -> tuple[float, float, str]:
    """(score a - score b, half-width of its 95% interval sqrt(se_a^2 + se_b^2) x 1.96, and
    "significant" or "not significant": whether the interval excludes 0)."""
    d = a["score"] - b["score"]
    half = 1.96 * math.hypot(a["se"], b["se"])
    return d, half, "significant" if abs(d) > half else "not significant"


def seed_level(a: dict, b: dict) -> str:
    """The seed-level comparison of two pooled scores (pooled's by_seed): the difference paired by
    seed with its t-interval and sign-flip p (experiments/stats.py); the unit of replication is the run."""
    p = paired_by_seed({int(k): v for k, v in a.get("by_seed", {}).items()},
                       {int(k): v for k, v in b.get("by_seed", {}).items()})
    return "no seed in common" if p is None else p.describe()


def mean_sd(values: list[float]) -> tuple[float, float]:
    v = [x for x in values if isinstance(x, (int, float)) and math.isfinite(x)]
    if not v:
        return math.nan, math.nan
    return float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0
