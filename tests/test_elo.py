"""Elo from game results: hand-computed cases, checked against formulas derived here, a
finite-difference Fisher information and an independent MM (Hunter 2004) fit."""
from __future__ import annotations

import math

import numpy as np
import pytest

from alphago.play.elo import expected_score, fit_elo, fit_results, match_elo

S = 400 / math.log(10)  # Elo per unit of natural log-odds
Z = 1.959963984540054


def elo_of(p: float) -> float:
    return 400 * math.log10(p / (1 - p))


def delta_method_se(p: float, n: float) -> float:
    """SE of 400 log10(p/(1-p)) when p is a proportion of n games: d elo / dp = S / (p (1-p))."""
    return S / (p * (1 - p)) * math.sqrt(p * (1 - p) / n)


def two_player(points: float, games: float):
    return fit_elo([[0, points], [games - points, 0]], [[0, games], [games, 0]], ("A", "B"), anchor="B")


def test_75_percent_is_plus_190_8():
    fit = two_player(75, 100)
    assert fit.rating("A") == pytest.approx(400 * math.log10(3), abs=1e-6)
    assert fit.rating("A") == pytest.approx(190.85, abs=0.01)
    assert not fit.regularized
    se = delta_method_se(0.75, 100)  # 40.11
    assert fit.stderr[0] == pytest.approx(se, rel=1e-6)
    lo, hi = fit.ci("A")
    assert lo == pytest.approx(190.8485 - Z * se, abs=1e-3) and hi == pytest.approx(190.8485 + Z * se, abs=1e-3)
    assert hi - fit.rating("A") == pytest.approx(fit.rating("A") - lo)  # symmetric Wald interval
    m = match_elo(75, 0, 25)
    assert (m.elo, m.lower, m.upper) == pytest.approx((fit.rating("A"), lo, hi))


def test_stderr_is_the_observed_fisher_information():
    """Second derivative of the log-likelihood by finite differences, computed here."""
    wins, n = 75, 100

    def ll(d):
        p = 1 / (1 + 10 ** (-d / 400))
        return wins * math.log(p) + (n - wins) * math.log(1 - p)

    d, h = 400 * math.log10(3), 1e-2
    info = -(ll(d + h) - 2 * ll(d) + ll(d - h)) / h ** 2
    assert two_player(wins, n).stderr[0] == pytest.approx(1 / math.sqrt(info), rel=1e-4)


def test_even_score_is_zero_with_symmetric_interval():
    fit = two_player(50, 100)
    assert fit.rating("A") == pytest.approx(0, abs=1e-9)
    lo, hi = fit.ci("A")
    assert lo == pytest.approx(-hi)
    assert hi == pytest.approx(Z * S / math.sqrt(100 * 0.25))  # 68.1 Elo
    m = match_elo(40, 20, 40)  # draws count half: the same 50 points out of 100
    assert m.elo == pytest.approx(0, abs=1e-9) and m.upper == pytest.approx(hi)


def test_mirror_and_draws_as_half_wins():
    a = match_elo(25, 0, 75)
    b = match_elo(75, 0, 25)
    assert a.elo == pytest.approx(-b.elo) and a.lower == pytest.approx(-b.upper)
    c = match_elo(50, 50, 0)  # 75 points out of 100
    assert c.elo == pytest.approx(b.elo) and c.upper == pytest.approx(b.upper)


def test_three_players_chain_and_consistency():
    """A 75% over B, B 75% over C, A and C never met: A = 2 x 190.85 over C, and the variances
    add along the chain (independent matches)."""
    w = np.zeros((3, 3))
    n = np.zeros((3, 3))
    for i, j in ((0, 1), (1, 2)):
        w[i, j], w[j, i], n[i, j], n[j, i] = 75, 25, 100, 100
    fit = fit_elo(w, n, ("A", "B", "C"), anchor="C")
    d = 400 * math.log10(3)
    assert fit.rating("B") == pytest.approx(d, abs=1e-6)
    assert fit.rating("A") == pytest.approx(2 * d, abs=1e-6)
    se = delta_method_se(0.75, 100)
    assert fit.stderr[fit.index("A")] == pytest.approx(math.sqrt(2) * se, rel=1e-6)
    dab, _lo, hi = fit.diff("A", "B")
    assert dab == pytest.approx(d) and hi - dab == pytest.approx(Z * se, rel=1e-6)

    # add A-C games at exactly the rate the ratings predict: nothing moves
    p_ac = expected_score(2 * d)  # 0.9
    assert p_ac == pytest.approx(0.9)
    w2, n2 = w.copy(), n.copy()
    w2[0, 2], w2[2, 0], n2[0, 2], n2[2, 0] = 100 * p_ac, 100 * (1 - p_ac), 100, 100
    fit2 = fit_elo(w2, n2, ("A", "B", "C"), anchor="C")
    assert fit2.rating("A") == pytest.approx(2 * d, abs=1e-6)
    assert fit2.rating("B") == pytest.approx(d, abs=1e-6)
    assert fit2.stderr[0] < fit.stderr[0]  # more games, tighter

    # another anchor shifts every rating by the same amount; differences and their CIs stay
    fit3 = fit_elo(w2, n2, ("A", "B", "C"), anchor="A")
    assert fit3.rating("C") == pytest.approx(-2 * d, abs=1e-6)
    assert fit3.diff("A", "B") == pytest.approx(fit2.diff("A", "B"), abs=1e-6)


def _mm_bradley_terry(w: np.ndarray, n: np.ndarray, iters: int = 20000) -> np.ndarray:
    """Hunter's MM algorithm (an independent fit): gamma_i = W_i / sum_j n_ij / (gamma_i + gamma_j)."""
    g = np.ones(len(w))
    for _ in range(iters):
        denom = (n / (g[:, None] + g[None, :])).sum(axis=1)
        g = w.sum(axis=1) / denom
        g /= g[0]
    return 400 * np.log10(g)


def test_matches_independent_mm_fit():
    rng = np.random.default_rng(3)
    true = np.array([0.0, 150.0, -80.0, 300.0])
    results = []
    for i in range(4):
        for j in range(i + 1, 4):
            for _ in range(30):
                u = rng.random()
                p = expected_score(true[i] - true[j])
                s = 1.0 if u < p * 0.9 else (0.5 if u < p * 0.9 + 0.1 else 0.0)
                results.append((f"p{i}", f"p{j}", s))
    fit = fit_results(results, anchor="p0")
    assert not fit.regularized
    w = fit.points
    n = fit.games
    mm = _mm_bradley_terry(w, n)
    assert fit.ratings == pytest.approx(mm, abs=1e-3)


def test_cycle_gives_equal_ratings():
    fit = fit_results([("a", "b", 1), ("b", "c", 1), ("c", "a", 1)])
    assert fit.ratings == pytest.approx([0, 0, 0], abs=1e-9)


def test_perfect_score_uses_virtual_draws_and_an_exact_bound():
    m = match_elo(10, 0, 0)
    assert m.regularized
    # 2 virtual draws: 11 points out of 12 games -> 400 log10(11)
    assert m.elo == pytest.approx(400 * math.log10(11), abs=1e-6)
    assert math.isfinite(m.lower) and math.isfinite(m.upper) and m.lower < m.elo < m.upper
    # Clopper-Pearson one-sided: p^10 = 0.05
    assert m.bound == pytest.approx(elo_of(0.05 ** 0.1), abs=1e-6)
    z = match_elo(0, 0, 10)
    assert z.elo == pytest.approx(-m.elo) and z.bound == pytest.approx(-m.bound)
    # one of three players unbeaten: all finite, flagged
    fit = fit_results([("a", "b", 1), ("a", "b", 1), ("b", "c", 1), ("c", "b", 1)], anchor="b")
    assert fit.regularized and np.isfinite(fit.ratings).all() and fit.rating("a") > 0
    # forced plain MLE where it exists
    assert two_player(75, 100).virtual_draws == 0


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="never met"):
        fit_results([("a", "b", 1), ("b", "a", 0.5), ("c", "d", 0.5)])
    with pytest.raises(ValueError):
        fit_elo([[0, 3], [1, 0]], [[0, 5], [5, 0]])  # 3 + 1 points in 5 games
    with pytest.raises(ValueError):
        fit_results([("a", "a", 1)])
