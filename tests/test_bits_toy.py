"""The "sky is ___" bandit (alphago bits-toy): exact values worked out by hand."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from alphago.experiments import toy_bits as T

ROOT = Path(__file__).resolve().parents[1]


def test_uniform_start_and_teacher_at_t1():
    assert T.pass_rate(0.0, 100_000) == pytest.approx(1e-5)
    t, t_other = T.teacher(100, 0.9, 1.0)
    assert t == pytest.approx(0.9) and t_other == pytest.approx(0.1 / 99)
    # a one-hot "teacher" offers -log2 p bits: 16.61 for p = 1e-5
    assert T.kl_bits(1.0, 0.0, 1e-5, 100_000) == pytest.approx(math.log2(1e5))
    assert T.binary_entropy(0.5) == 1.0 and T.binary_entropy(1e-5) == pytest.approx(1.8052e-4, rel=1e-3)


def test_first_supervised_step_moves_the_margin_by_exactly_lr():
    """One-hot gradient: the answer's logit gains lr (1 - p), each other logit loses lr (1 - p) / (V - 1);
    the margin moves lr (1 - p) V / (V - 1) = lr at p = 1/V. V = 100: p goes 0.01 -> 1 / (1 + 99 / e)."""
    cfg = T.ToyConfig(vocab=100, lr=1.0)
    tr = T.run_soft(cfg, 1.0, 0.0)
    p1 = 1.0 / (1.0 + 99.0 / math.e)
    assert tr.pass_rate[0] == pytest.approx(p1, rel=1e-12)
    assert tr.realized[0] == pytest.approx(math.log2(p1 / 0.01), rel=1e-12)   # 1.418 bits
    assert tr.offered[0] == pytest.approx(math.log2(100))


def test_rl_failed_samples_teach_nothing_and_successes_match_supervision():
    """With a 0/1 reward a failure has zero gradient; a success is a one-hot step on the answer."""
    cfg = T.ToyConfig(vocab=100, lr=1.0, seeds=1)
    rl = T.run_rl(cfg, seed=0)
    sup = T.run_soft(cfg, 1.0, 0.0)
    k = min(len(rl.pass_rate), len(sup.pass_rate))
    assert rl.pass_rate[:k] == pytest.approx(sup.pass_rate[:k], rel=1e-12)  # same path, per success
    assert rl.samples[-1] > len(rl.samples)                                # but many samples per step


def test_default_toy_rl_is_orders_slower_and_below_the_entropy_bound():
    res = T.run_all(T.ToyConfig())
    s = res["summary"]
    # supervised: the margin gains ~1 per step while p is small; ln(99999) = 11.5 to go, slower near 1/2
    assert s["supervised_samples_to_half"] == 13
    assert s["rl_samples_to_half"] > 1000 * s["supervised_samples_to_half"]
    assert s["rl_below_entropy_bound"]
    assert s["arms"]["distill@T=2"]["reached"] == 0  # a teacher below 50% cannot lift the student above it


def test_cli_json_and_report(tmp_path):
    out = subprocess.run([sys.executable, "-m", "alphago.cli", "bits-toy", "--json", "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=str(ROOT), timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    s = json.loads(out.stdout)
    assert s["rl_samples_to_half"] > s["supervised_samples_to_half"] > 0
    for name in ("report.md", "pass_rate.png", "bits_per_sample.png", "summary.json"):
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "pass_rate.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
