"""alphago ablate's file and statistics, before any compute: every shipped ablation file loads, a malformed one is
refused with the key named, the grid of matched points is log-spaced up to the budget, and the level-reaching and
pooled-score arithmetic is right by hand."""
from __future__ import annotations

import math

import pytest

from ablation_kit import GOOD, ROOT, _write
from alphago.config import ConfigError
from alphago.experiments.ablation_report import flops_to_level
from alphago.experiments.ablation_spec import load_ablation
from alphago.experiments.stats import pooled, wilson


def test_shipped_ablation_files_load():
    for p in (ROOT / "configs" / "ablation").glob("*.yaml"):
        if p.name.startswith("distill_"):  # alphago distill's files (tests/test_distill.py)
            continue
        loaded = load_ablation(p, ROOT)
        spec = loaded.spec
        assert len(spec.cells()) == sum(len(spec.seeds_of(a)) for a in spec.arms)
        assert len(set(spec.cells())) == len(spec.cells())


def test_arm_seeds_and_point_ratio(tmp_path):
    """arm_seeds gives an arm its own seeds (cells seed-major, each arm on its own); point_ratio spaces the
    matched points; both are refused with the key named when malformed."""
    spec = load_ablation(_write(tmp_path, GOOD.replace("seeds: [0]", "seeds: [0, 1, 2]\narm_seeds: {action: [0, 1]}")
                                .replace("points: 2}", "points: 3, point_ratio: 1.5}")), ROOT).spec
    assert spec.cells() == [("visits", 0), ("action", 0), ("visits", 1), ("action", 1), ("visits", 2)]
    assert spec.grid() == pytest.approx([6.0e9 / 2.25, 6.0e9 / 1.5, 6.0e9])
    for bad, key in (("arm_seeds: {action: [0, 0]}", "arm_seeds.action"), ("arm_seeds: {nope: [0]}", "arm_seeds"),
                     ("arm_seeds: {action: []}", "arm_seeds.action")):
        with pytest.raises(ConfigError, match=key):
            load_ablation(_write(tmp_path, GOOD + bad + "\n"), ROOT)
    with pytest.raises(ConfigError, match="eval.point_ratio"):
        load_ablation(_write(tmp_path, GOOD.replace("points: 2}", "points: 2, point_ratio: 1.0}")), ROOT)


@pytest.mark.parametrize("change, words", [
    (("target: action", "target: gumbel"), ("arm 'action'", "train.target: gumbel", "search.kind")),
    (("target: action", "targt: action"), ("arm 'action'", "targt")),
    (("budget_flops: 6.0e9", "budget_flops: lots"), ("budget_flops",)),
    (("seeds: [0]", "seeds: [0, 0]"), ("seeds",)),
    (("base: configs/tiny.yaml", "base: configs/nope.yaml"), ("configs/nope.yaml", "not found")),
    (("  action: {train: {target: action}}\n", ""), ("at least two",)),
    (("games: 2,", "games: 0,"), ("eval.games",)),
    (("points: 2}", "points: 2, opening_moves: -1}"), ("eval.opening_moves", "0 (the empty board) to 20")),
    (("points: 2}", "points: 2, opening_moves: two}"), ("eval.opening_moves",)),
    (("seeds: [0]", "seeds: [0]\ninit: {hard: x.pt}"), ("init", "hard")),
])
def test_bad_ablation_file_names_the_problem(tmp_path, change, words):
    old, new = change
    assert old in GOOD
    with pytest.raises(ConfigError) as e:
        load_ablation(_write(tmp_path, GOOD.replace(old, new)), ROOT)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_warm_start_per_arm(tmp_path):
    loaded = load_ablation(_write(tmp_path, GOOD.replace("seeds: [0]", "seeds: [0]\ninit: {action: nets/w.pt}")), ROOT)
    assert loaded.init("action", "/repo") == "/repo/nets/w.pt" and loaded.init("visits") is None


def test_grid_is_log_spaced_up_to_the_budget(tmp_path):
    spec = load_ablation(_write(tmp_path, GOOD.replace("points: 2", "points: 4")), ROOT).spec
    assert spec.grid() == [6.0e9 / 8, 6.0e9 / 4, 6.0e9 / 2, 6.0e9]


def test_flops_to_level_is_pooled_and_sustained():
    def pt(flops, score, lo):
        return {"flops": flops, "g": {"games": 60, "score": score, "lo": lo}}
    # crosses 0.5 at 1e12, falls back, crosses again at 4e12 and stays: the level is reached at 4e12
    pts = [pt(1e12, 0.55, 0.42), pt(2e12, 0.30, 0.2), pt(4e12, 0.6, 0.47), pt(8e12, 0.8, 0.68)]
    assert flops_to_level(pts, "g", 0.5) == {"point": 2, "flops": 4e12, "confirmed": False}
    assert flops_to_level(pts, "g", 0.25) == {"point": 0, "flops": 1e12, "confirmed": True}
    assert flops_to_level(pts, "g", 0.75) == {"point": 3, "flops": 8e12, "confirmed": False}
    # below the level at the budget: not reached, whatever happened before
    assert flops_to_level(pts[:2], "g", 0.5)["flops"] is None
    # a point with no games ends the run of points at or above the level
    pts[1] = {"flops": 2e12, "g": {"games": 0}}
    assert flops_to_level(pts, "g", 0.25)["point"] == 2


def test_pooled_score_and_wilson_by_hand():
    rows = [{"eval_g_wins": 3, "eval_g_draws": 1, "eval_g_games": 4},
            {"eval_g_wins": 0, "eval_g_draws": 0, "eval_g_games": 4}]
    p = pooled(rows, "g")
    assert p["games"] == 8 and p["score"] == pytest.approx(3.5 / 8)
    assert p["per_seed"] == [0.875, 0.0]
    assert p["elo"] == pytest.approx(400 * math.log10(3.5 / 4.5))
    # Wilson, z = 1.96, p = 0.5, n = 20: centre 0.5, half-width 1.96 sqrt(0.25/20 + 1.96^2/1600) / (1 + 1.96^2/20)
    lo, hi = wilson(0.5, 20)
    half = 1.96 * math.sqrt(0.25 / 20 + 1.96 ** 2 / 1600) / (1 + 1.96 ** 2 / 20)
    assert (lo, hi) == pytest.approx((0.5 - half, 0.5 + half))
    lo, hi = wilson(1.0, 4)  # every game won: the interval is not a point
    assert hi == 1.0 and 0.4 < lo < 0.6
