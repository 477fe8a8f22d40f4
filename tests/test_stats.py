"""Seed-level statistics and the FLOP multiplier, by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

from alphago.experiments.flop_multiplier import flop_multiplier, reach_x
from alphago.experiments.stats import cluster_bootstrap, paired_by_seed, sign_flip_p


def test_paired_by_seed_by_hand():
    arm = {0: 0.7, 1: 0.8, 2: 0.6, 3: float("nan")}
    base = {0: 0.5, 1: 0.5, 2: 0.5, 4: 0.1}
    p = paired_by_seed(arm, base)
    d = np.array([0.2, 0.3, 0.1])
    assert p.n == 3 and p.mean == pytest.approx(0.2) and p.diffs == pytest.approx(tuple(d))
    half = 4.303 * d.std(ddof=1) / math.sqrt(3)
    assert (p.lo, p.hi) == pytest.approx((0.2 - half, 0.2 + half))
    assert p.p == pytest.approx(2 / 8)   # all positive: only the all-same-sign flips are as extreme
    assert not p.resolved and "paired over 3 seeds" in p.describe() and "not resolved" in p.describe()  # 3 seeds: wide
    assert "p = 0.25, the smallest 3 seeds allow (not resolved)" in p.describe()   # all of one sign: 2/8, the floor
    one = paired_by_seed({0: 1.0}, {0: 0.0})
    assert one.n == 1 and not one.resolved and "1 seed" in one.describe()
    assert paired_by_seed({0: 1.0}, {1: 0.0}) is None


def test_the_sign_flip_floor_is_said_while_few_seeds_cannot_reach_005():
    from alphago.experiments.stats import sign_flip_floor_note
    assert sign_flip_floor_note(0.125, 4) == ", the smallest 4 seeds allow"
    assert sign_flip_floor_note(0.375, 4) == " (4 seeds allow no less than 0.125)"
    assert sign_flip_floor_note(0.0625, 5) == ", the smallest 5 seeds allow"
    assert sign_flip_floor_note(0.03125, 6) == "" and sign_flip_floor_note(1.0, 1) == ""   # 6 seeds can reach 0.05
    four = paired_by_seed({s: 0.6 + 0.01 * s for s in range(4)}, {s: 0.5 for s in range(4)})
    assert four.resolved and four.p == pytest.approx(2 / 16) and "p = 0.125, the smallest 4 seeds allow" in four.describe()


def test_sign_flip_p_counts_ties_and_goes_monte_carlo():
    assert sign_flip_p(np.array([1.0, -1.0])) == 1.0
    assert sign_flip_p(np.array([1.0, 1.0, 1.0, 1.0])) == pytest.approx(2 / 16)
    p = sign_flip_p(np.ones(20), max_exact=16)
    assert 0 <= p < 0.001


def test_cluster_bootstrap_resamples_whole_seeds():
    # each seed is a cluster of values: the statistic sees whole seeds, so with identical seeds the
    # interval has no width, and with one outlying seed it spans what that seed's share can move
    same = {"a": [[1.0, 1.0]] * 4}
    lo, hi, _ = cluster_bootstrap(same, lambda s: float(np.mean([np.mean(x) for x in s["a"]])), replicates=200)
    assert lo == hi == 1.0
    odd = {"a": [[0.0]] * 3 + [[4.0]]}
    lo, hi, vals = cluster_bootstrap(odd, lambda s: float(np.mean([x[0] for x in s["a"]])), replicates=2000)
    assert lo == 0.0 and hi >= 2.0 and set(np.unique(vals)) <= {0.0, 1.0, 2.0, 3.0, 4.0}


def test_flop_multiplier_recovers_a_known_shift():
    flops = [2.0 ** k for k in range(10, 18)]
    x = np.log2(flops)
    soft = 100 * (x - 10)                  # Elo grows 100 per doubling
    hard = 100 * (x - 10 - 1.5)            # the same curve, 1.5 doublings later: 2^1.5 = 2.83x
    m = flop_multiplier(flops, list(soft), list(hard))
    assert m.estimate == pytest.approx(2 ** 1.5) and m.overlap == 6 and m.censored_above == 2
    # the other way round: soft needs fewer FLOPs (M < 1)
    assert flop_multiplier(flops, list(hard), list(soft)).estimate == pytest.approx(2 ** -1.5)
    # a dip in the hard curve does not make a level reachable earlier than it first was
    assert reach_x(np.array([0.0, 1.0, 2.0]), np.array([0.0, 100.0, 50.0]), 75.0) == pytest.approx(0.75)


def test_flop_multiplier_censored():
    flops = [1e12, 2e12, 4e12]
    m = flop_multiplier(flops, [500.0, 600.0, 700.0], [0.0, 10.0, 20.0])
    assert math.isnan(m.estimate) and m.censored_above == 3 and "never reaches" in m.bound
    m = flop_multiplier(flops, [0.0, 10.0, 20.0], [500.0, 600.0, 700.0])
    assert math.isnan(m.estimate) and m.censored_below == 3 and "starts stronger" in m.bound


def test_parallel_shift_recovers_a_known_shift_and_refuses_flat_curves():
    from alphago.experiments.flop_multiplier import parallel_shift
    flops = [2.0 ** k for k in np.arange(40, 44, 0.5)]
    x = np.log2(flops)
    soft, hard = 60 * (x - 40), 60 * (x - 40 - 1.5)
    assert parallel_shift(flops, list(soft), list(hard)) == pytest.approx(2 ** 1.5)
    hard[2] = math.nan   # a point missing in one arm is left out of both
    assert parallel_shift(flops, list(soft), list(hard)) == pytest.approx(2 ** 1.5)
    assert math.isnan(parallel_shift(flops, [0.0] * 8, [0.0] * 8))   # no learning: no shift defined


def test_elo_slope_is_elo_per_doubling_over_finite_points():
    from alphago.experiments.flop_multiplier import elo_slope
    flops = [1e12 * 2 ** (k / 2) for k in range(8)]          # a sqrt(2) grid, as the studies use
    elo = [100 + 80 * k / 2 for k in range(8)]               # 80 Elo per doubling
    assert elo_slope(flops, elo) == pytest.approx(80.0)
    elo[3] = math.nan                                        # a point without a rating is left out
    assert elo_slope(flops, elo) == pytest.approx(80.0)
    assert math.isnan(elo_slope(flops, [math.nan] * 7 + [5.0]))


def test_multiplier_sim_without_noise_is_exact_and_with_noise_reports_its_characteristics():
    """alphago multiplier-sim: with no rating error and no seed effect every simulated study gives the
    true multiplier and an interval that is that point, for both estimators; with the ladder's rating
    error the figures are shares and factors in range."""
    from alphago.experiments.multiplier_sim import Setting, simulate, study_grid
    grid = study_grid()
    assert grid[-1] == pytest.approx(8e13) and grid[0] == pytest.approx(8e13 / 2 ** 3.5)
    for exact in simulate(Setting(2.0, 60.0, point_sd=0.0), grid, trials=3, replicates=20):
        assert exact.median_ratio == pytest.approx(1.0) and abs(exact.bias_doublings) < 1e-9
        assert exact.coverage == 1.0 and exact.excludes_one == 1.0 and exact.median_width == pytest.approx(1.0)
    for noisy in simulate(Setting(1.5, 60.0, seed_sd=50.0, seeds_ref=4, seeds_other=4), grid, trials=20, replicates=100):
        assert 0 <= noisy.coverage <= 1 and 0 <= noisy.excludes_one <= 1 and noisy.median_width > 1
        assert noisy.coverage + noisy.no_estimate <= 1 + 1e-9
    # neither arm learns (flat curves, no noise): the primary estimator's flat curve "reaches" every level
    # at its first point, so it says 2^-(mean distance of the points from the first), 0.30 here, not 1;
    # the parallel-lines estimator gives no estimate
    primary, parallel = simulate(Setting(1.0, 0.0, point_sd=0.0), grid, trials=2, replicates=10)
    assert primary.median_ratio == pytest.approx(2 ** -np.mean(np.log2(grid) - np.log2(grid[0])))
    assert parallel.no_estimate == 1.0
