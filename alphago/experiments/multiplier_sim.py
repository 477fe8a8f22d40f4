"""`alphago multiplier-sim`: how the FLOP-multiplier estimator behaves when the truth is known.

The pre-registered primary endpoint (experiments/flop_multiplier.py, docs/results/soft_vs_hard_7x7_v2/
PROTOCOL.md) averages each arm's per-seed Elo curves, makes the other arm's mean curve monotone by its
running maximum, and reads the horizontal shift; its interval resamples seeds (clustered bootstrap) and
takes each replicate's checkpoint ratings from a bootstrap fit of the games (ladder_report.analyse). A
running maximum of noisy points is biased upward, and the interval carries the games' noise twice (once
in the per-seed values, once in the replicate's fit): this command measures both effects by simulation,
with no data of the study, so that its interval can be read for what it is.

The model (Elo on the ladder's scale, x = log2 FLOPs at the study's matched points):
  reference arm   E(x) = slope * (x - x_0)                    (linear in log FLOPs: a simplification), or
                  slope * H * (1 - exp(-(x - x_0) / H)), H = 2   (saturating: the parallel-lines estimator's
                                                              assumption broken on purpose)
  other arm       E(x - log2 M): it needs M times the FLOPs for every level
  a run (seed)    its arm's curve + an offset ~ N(0, seed_sd)
  a rated point   + N(0, point_sd): the rating error of one checkpoint. From the ladder's design: 24 games
                  against near-equal opponents give a logit standard error of 1 / sqrt(24 * 0.25), i.e.
                  400 / ln 10 * 0.408 = 71 Elo, before the opponents' own rating errors
Each trial draws every seed's curve, computes the estimate and its interval exactly as the report does
(the replicate's fit: each resampled checkpoint's rating + a fresh N(0, point_sd)); a setting's row
gives the estimate's median ratio to the truth, its bias in doublings, the interval's coverage of the
true M, how often the interval excludes 1 (power when M > 1, false positives when M = 1), and how often
there is no estimate (censored).
"""
from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from .flop_multiplier import flop_multiplier, parallel_shift
from .stats import percentile_interval

SATURATION = 2.0   # doublings: the saturating curve's scale (Setting.shape)
POINT_SD = 400 / math.log(10) / math.sqrt(24 * 0.25)   # 70.9 Elo: 24 games near 50:50 (module doc)


@dataclass(frozen=True)
class Setting:
    """One simulated study: the true multiplier M, the curves' slope (Elo per doubling of FLOPs), the
    rating error of a checkpoint and the seed effect (Elo sd), and the seeds per arm."""
    multiplier: float
    slope: float
    point_sd: float = POINT_SD
    seed_sd: float = 0.0
    seeds_ref: int = 8
    seeds_other: int = 8
    shape: str = "linear"      # "linear" | "saturating": slope * H * (1 - exp(-(x - x_0) / H)), H = 2 doublings
                               # (the slope at x_0, a sixth of it at the budget: a curve that flattens)

    def curve(self, x: np.ndarray) -> np.ndarray:
        """The reference arm's true Elo at x = log2 FLOPs - x_0."""
        if self.shape == "linear":
            return self.slope * x
        if self.shape == "saturating":
            return self.slope * SATURATION * (1 - np.exp(-x / SATURATION))
        raise ValueError(f"shape must be linear or saturating, got {self.shape!r}")


@dataclass(frozen=True)
class Characteristics:
    """One estimator's operating characteristics on a setting over `trials` simulated studies."""
    setting: Setting
    estimator: str             # "primary" (flop_multiplier, pre-registered) | "parallel" (parallel_shift)
    trials: int
    median_ratio: float        # median of estimate / true M over trials with an estimate
    bias_doublings: float      # mean of log2(estimate) - log2(M) over those trials
    coverage: float            # share of trials whose 95% interval contains the true M (no estimate: not covered)
    excludes_one: float        # share of trials whose interval lies wholly above or below 1
    median_width: float        # median of ci_high / ci_low (a factor)
    no_estimate: float         # share of trials with no estimate (censored)


ESTIMATORS = {"primary": lambda g, r, o: flop_multiplier(g, r, o).estimate, "parallel": parallel_shift}


def simulate(setting: Setting, grid: list[float], trials: int = 200, replicates: int = 1000,
             seed: int = 0) -> list[Characteristics]:
    """`trials` simulated studies of `setting` on the matched points `grid` (FLOPs, ascending); the
    characteristics of each estimator of ESTIMATORS, computed on the same simulated data."""
    rng = np.random.default_rng(seed)
    xs = np.log2(np.asarray(grid, float))
    shift = math.log2(setting.multiplier)
    truth_ref = setting.curve(xs - xs[0])
    truth_other = setting.curve(xs - shift - xs[0])
    got: dict[str, list[tuple[float, float, float]]] = {name: [] for name in ESTIMATORS}   # (estimate, lo, hi)

    def runs(truth: np.ndarray, n: int) -> np.ndarray:
        return (truth[None, :] + rng.normal(0, setting.seed_sd, (n, 1))
                + rng.normal(0, setting.point_sd, (n, len(xs))))

    for _ in range(trials):
        ref, other = runs(truth_ref, setting.seeds_ref), runs(truth_other, setting.seeds_other)
        est = {name: f(grid, list(ref.mean(0)), list(other.mean(0))) for name, f in ESTIMATORS.items()}
        vals = {name: np.empty(replicates) for name in ESTIMATORS}
        for b in range(replicates):
            rb = ref[rng.integers(0, len(ref), len(ref))] + rng.normal(0, setting.point_sd, ref.shape)
            ob = other[rng.integers(0, len(other), len(other))] + rng.normal(0, setting.point_sd, other.shape)
            rm, om = list(rb.mean(0)), list(ob.mean(0))
            for name, f in ESTIMATORS.items():
                vals[name][b] = f(grid, rm, om)
        for name in ESTIMATORS:
            lo, hi = percentile_interval(vals[name])
            got[name].append((est[name], lo, hi) if math.isfinite(est[name]) and math.isfinite(lo)
                             else (math.nan, math.nan, math.nan))
    out = []
    for name, rows in got.items():
        a = np.array(rows)
        fine = a[np.isfinite(a[:, 0])]
        m = setting.multiplier
        nan = math.nan
        out.append(Characteristics(
            setting, name, trials,
            float(np.median(fine[:, 0] / m)) if len(fine) else nan,
            float(np.mean(np.log2(fine[:, 0]) - shift)) if len(fine) else nan,
            float(np.sum((fine[:, 1] <= m) & (m <= fine[:, 2])) / trials),
            float(np.sum((fine[:, 1] > 1) | (fine[:, 2] < 1)) / trials),
            float(np.median(fine[:, 2] / fine[:, 1])) if len(fine) else nan,
            1 - len(fine) / trials))
    return out


def study_grid(budget: float = 8e13, points: int = 8, ratio: float = math.sqrt(2)) -> list[float]:
    """The 7x7 v2 study's matched points by default (ablation_spec.matched_grid)."""
    from .ablation_spec import matched_grid   # here, not at the top: `alphago --help` imports this module
    return matched_grid(budget, points, ratio)


def report(rows: list[Characteristics], grid: list[float], trials: int, replicates: int, command: str) -> str:
    L = ["# The FLOP-multiplier estimator on simulated studies", "",
         f"Generated by `{command}`: {trials} simulated studies per row, {replicates} bootstrap replicates "
         f"each, on the matched points {', '.join(f'{g:.3g}' for g in grid)} (the module doc of "
         "`alphago/experiments/multiplier_sim.py` gives the model). No data of any study is used: the rows say "
         "how the pre-registered estimator and its interval behave when the true multiplier is known.", "",
         "`primary` is the pre-registered estimator (running maximum, experiments/flop_multiplier.py); `parallel` "
         "fits both arms' seed-mean curves as parallel lines in log FLOPs (flop_multiplier.parallel_shift), on "
         "the same simulated studies and bootstrap replicates. Slope 0: neither arm learns, no multiplier is "
         "defined, and only the share of intervals that exclude 1 (a false claim) means anything.", "",
         "| true M | curve | slope (Elo / doubling) | point sd | seed sd | seeds | estimator | median estimate / M "
         "| bias (doublings) | 95% coverage | interval excludes 1 (M = 1: a false claim; M > 1: power) | median hi / lo "
         "| no estimate |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in rows:
        s = c.setting
        L.append(f"| {s.multiplier:g} | {s.shape} | {s.slope:g} | {s.point_sd:.0f} | {s.seed_sd:g} | {s.seeds_ref}/{s.seeds_other} "
                 f"| {c.estimator} | {c.median_ratio:.2f} | {c.bias_doublings:+.2f} | {c.coverage:.2f} | {c.excludes_one:.2f} "
                 f"| {c.median_width:.3g} | {c.no_estimate:.2f} |")
    return "\n".join(L) + "\n"


# slope 0: neither arm learns (what the estimator says when there is nothing to find)
DEFAULT_SETTINGS = [Setting(1.0, 0.0, seed_sd=sd) for sd in (0.0, 50.0)] + [
    Setting(m, slope, seed_sd=sd) for slope in (30.0, 60.0, 120.0) for m in (1.0, 1.5, 2.0) for sd in (0.0, 50.0)] + [
    Setting(m, 60.0, seed_sd=50.0, seeds_other=4) for m in (1.0, 1.5, 2.0)] + [   # the 7x7 study's argmax, smoothed
    Setting(m, slope, seed_sd=50.0, shape="saturating") for slope in (60.0, 120.0) for m in (1.0, 1.5, 2.0)]


def main(args: argparse.Namespace) -> int:
    grid = study_grid(args.budget, args.points, args.ratio)
    settings = DEFAULT_SETTINGS if not args.multiplier else [
        Setting(m, s, point_sd=args.point_sd, seed_sd=sd, seeds_ref=args.seeds, seeds_other=args.seeds_other or args.seeds,
                shape=args.shape)
        for s in args.slope for m in args.multiplier for sd in args.seed_sd]
    if args.multiplier is None and args.seeds != 8:
        settings = [replace(s, seeds_ref=args.seeds, seeds_other=args.seeds) for s in settings]
    rows = []
    with warnings.catch_warnings():   # replicates whose curves never overlap: NaN, counted
        warnings.simplefilter("ignore", RuntimeWarning)
        for i, s in enumerate(settings):
            for c in simulate(s, grid, args.trials, args.replicates, seed=args.seed + i):
                rows.append(c)
                print(f"M {s.multiplier:g}, {s.shape}, slope {s.slope:g}, seed sd {s.seed_sd:g}, seeds {s.seeds_ref}/{s.seeds_other}, "
                      f"{c.estimator}: median ratio {c.median_ratio:.2f}, bias {c.bias_doublings:+.2f} doublings, "
                      f"coverage {c.coverage:.2f}, excludes 1 {c.excludes_one:.2f}", flush=True)
    argv = sys.argv[1:] if sys.argv[1:2] == ["multiplier-sim"] else ["multiplier-sim"]   # as it was called
    command = "alphago " + " ".join(shlex.quote(a) for a in argv)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / "multiplier_sim.json.tmp"
        tmp.write_text(json.dumps({"grid": grid, "trials": args.trials, "replicates": args.replicates,
                                   "rows": [asdict(r) for r in rows]}, indent=1) + "\n")
        tmp.replace(out / "multiplier_sim.json")
        tmp = out / "multiplier_sim.md.tmp"
        tmp.write_text(report(rows, grid, args.trials, args.replicates, command))
        tmp.replace(out / "multiplier_sim.md")
        print(f"report: {out / 'multiplier_sim.md'}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("multiplier-sim", help="the FLOP-multiplier estimator on simulated studies: bias, "
                       "interval coverage, power (no data)")
    p.add_argument("--trials", type=int, default=200, help="simulated studies per setting")
    p.add_argument("--replicates", type=int, default=1000, help="bootstrap replicates per study")
    p.add_argument("--multiplier", type=float, nargs="+",
                   help="true multipliers; with it --slope, --seed-sd, --point-sd, --shape, --seeds-other apply "
                   "(default: the grid of settings in multiplier_sim.md)")
    p.add_argument("--slope", type=float, nargs="+", default=[60.0], help="Elo per doubling of FLOPs")
    p.add_argument("--seed-sd", type=float, nargs="+", default=[0.0], help="the seed effect, Elo sd")
    p.add_argument("--seeds", type=int, default=8, help="seeds per arm")
    p.add_argument("--seeds-other", type=int, help="seeds of the other arm (default: --seeds)")
    p.add_argument("--point-sd", type=float, default=POINT_SD,
                   help=f"a rated checkpoint's Elo error (default {POINT_SD:.1f}: 24 games near 50:50)")
    p.add_argument("--shape", choices=["linear", "saturating"], default="linear")
    p.add_argument("--budget", type=float, default=8e13)
    p.add_argument("--points", type=int, default=8)
    p.add_argument("--ratio", type=float, default=math.sqrt(2))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="docs/results/soft_vs_hard_7x7_v2", help="multiplier_sim.md and .json here ('' = none)")
    p.set_defaults(func=main)
