"""Information accounting (DESIGN.md section 4): bits offered per sample and FLOPs per position,
checked against numbers worked out by hand."""
from __future__ import annotations

from pathlib import Path
import math

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from alphago.net.model import NetConfig, PolicyValueNet, count_flops
from alphago.train import bits as B


def _log_q_with(num_actions: int, index: int, q_index: float) -> torch.Tensor:
    """Natural-log probabilities [1, A]: q(index) = q_index, the rest spread evenly."""
    q = torch.full((1, num_actions), (1.0 - q_index) / (num_actions - 1), dtype=torch.float64)
    q[0, index] = q_index
    return torch.log(q)


# ------------------------------------------------------------------ policy bits and entropy

def test_one_hot_label_on_a_1_in_100k_word_gives_16_61_bits():
    """The "sky is ___" example: a 100k vocabulary, the net gives the right word 1/100000."""
    A = 100_000
    target = torch.zeros(1, A, dtype=torch.float64)
    target[0, 7] = 1.0
    got = float(B.policy_bits(target, _log_q_with(A, 7, 1.0 / A))[0])
    assert got == pytest.approx(math.log2(100_000), abs=1e-9)
    assert round(got, 2) == 16.61


def test_one_hot_bits_are_minus_log2_q_of_the_label():
    target = torch.zeros(1, 82)
    target[0, 3] = 1.0
    assert float(B.policy_bits(target, _log_q_with(82, 3, 0.25))[0]) == pytest.approx(2.0, abs=1e-6)
    # an untrained 9x9 net (uniform over 82 actions) learns log2(82) = 6.36 bits from a one-hot label
    uniform = torch.log(torch.full((1, 82), 1.0 / 82))
    assert float(B.policy_bits(target, uniform)[0]) == pytest.approx(math.log2(82), abs=1e-5)


def test_identical_distributions_give_zero_kl():
    torch.manual_seed(0)
    logits = torch.randn(16, 82, dtype=torch.float64)
    log_q = torch.log_softmax(logits, dim=-1)
    t = log_q.exp()
    kl = B.policy_bits(t, log_q)
    assert torch.allclose(kl, torch.zeros(16, dtype=torch.float64), atol=1e-12)
    # and any other prediction is strictly worse (Gibbs' inequality)
    other = torch.log_softmax(torch.randn(16, 82, dtype=torch.float64), dim=-1)
    assert (B.policy_bits(t, other) > 0).all()


def test_kl_ignores_actions_the_target_never_chose():
    """Zero-probability target entries contribute 0, not nan, even where q is tiny."""
    target = torch.tensor([[0.5, 0.5, 0.0, 0.0]])
    log_q = torch.log(torch.tensor([[0.25, 0.25, 0.5 - 1e-30, 1e-30]], dtype=torch.float64)).float()
    got = float(B.policy_bits(target, log_q)[0])
    assert got == pytest.approx(1.0, abs=1e-5)  # sum 0.5 * log2(0.5 / 0.25) * 2


def test_target_entropy_uniform_and_one_hot():
    uniform = torch.full((1, 82), 1.0 / 82)
    h = float(B.target_entropy(uniform)[0])
    assert h == pytest.approx(math.log2(82), abs=1e-5)
    assert round(h, 2) == 6.36
    one_hot = torch.zeros(1, 82)
    one_hot[0, 40] = 1.0
    assert float(B.target_entropy(one_hot)[0]) == 0.0


# ------------------------------------------------------------------ value bits

@pytest.mark.parametrize("z", [1.0, -1.0, 0.0])
def test_value_zero_costs_exactly_one_bit(z):
    """v = 0 means p(win) = 1/2: a win, a loss (or a draw, half each) costs exactly 1 bit."""
    got = float(B.value_bits(torch.tensor([z]), torch.tensor([0.0]))[0])
    assert got == 1.0


def test_value_bits_of_confident_predictions():
    # p(win) = (0.5 + 1) / 2 = 3/4: a win costs log2(4/3), a loss log2(4) = 2
    v = torch.tensor([0.5, 0.5], dtype=torch.float64)
    got = B.value_bits(torch.tensor([1.0, -1.0], dtype=torch.float64), v)
    assert got[0].item() == pytest.approx(math.log2(4 / 3), abs=1e-12)
    assert got[1].item() == pytest.approx(2.0, abs=1e-12)


def test_binary_outcome_carries_at_most_one_bit():
    grid = np.linspace(0.0, 1.0, 1001)
    hs = np.array([B.binary_entropy(float(p)) for p in grid])
    assert (hs <= 1.0 + 1e-12).all() and (hs >= 0.0).all()
    assert B.binary_entropy(0.5) == 1.0
    assert B.binary_entropy(0.0) == 0.0 and B.binary_entropy(1.0) == 0.0
    assert B.binary_entropy(0.25) == pytest.approx(0.8112781244591328, abs=1e-12)


# ------------------------------------------------------------------ the ledger

def test_bits_ledger_arithmetic():
    led = B.BitsLedger()
    led.add_selfplay(evaluations=1000, forward_flops=2_000_000)            # 2e9 self-play FLOPs
    s1 = led.add_batch(samples=64, train_flops=64 * 6_000_000.0,            # 3.84e8 training FLOPs
                       policy_bits_sum=128.0, value_bits_sum=32.0)
    total1 = 2e9 + 3.84e8
    assert s1["flops"] == total1
    assert s1["samples"] == 64
    assert s1["samples_per_flop"] == pytest.approx(64 / total1, rel=1e-12)
    assert s1["bits_per_sample"] == pytest.approx(160 / 64, rel=1e-12)
    assert s1["policy_bits_per_sample"] == pytest.approx(2.0, rel=1e-12)
    assert s1["value_bits_per_sample"] == pytest.approx(0.5, rel=1e-12)
    assert s1["bits_per_flop"] == pytest.approx(160 / total1, rel=1e-12)
    # a second batch: every series is cumulative and they multiply out; the batch's own are batch_*
    s2 = led.add_batch(samples=32, train_flops=32 * 6_000_000.0, policy_bits_sum=16.0, value_bits_sum=16.0)
    total2 = total1 + 1.92e8
    assert s2["flops"] == pytest.approx(total2, rel=1e-12)
    assert s2["samples_per_flop"] == pytest.approx(96 / total2, rel=1e-12)
    assert s2["bits_per_sample"] == pytest.approx(192 / 96, rel=1e-12)
    assert s2["batch_bits_per_sample"] == pytest.approx(1.0, rel=1e-12)
    assert s2["bits_per_flop"] == pytest.approx(192 / total2, rel=1e-12)
    for s in (s1, s2):
        assert s["samples_per_flop"] * s["bits_per_sample"] == pytest.approx(s["bits_per_flop"], rel=1e-12)
    st = led.state()
    assert {k: st[k] for k in ("selfplay_flops", "samples", "policy_bits", "value_bits")} == {
        "selfplay_flops": 2e9, "samples": 96, "policy_bits": 144.0, "value_bits": 48.0}
    assert st["train_flops"] == pytest.approx(5.76e8)


# ------------------------------------------------------------------ bits in the data (counted once per label)

def test_outcome_bits_are_at_most_one_per_game():
    assert B.outcome_entropy(1, 1, 0) == 1.0                          # a fair coin
    assert B.outcome_entropy(3, 1, 0) == pytest.approx(0.8112781244591328)  # H(3/4)
    assert B.outcome_entropy(1, 1, 1) == 1.0                          # log2 3 = 1.58, capped: one event
    assert B.outcome_entropy(0, 0, 5) == 0.0                          # certain draws teach nothing
    assert B.outcome_entropy(99, 1, 0) == pytest.approx(B.binary_entropy(0.99))


def test_data_policy_bits_by_target_kind():
    visits = np.array([[2, 2, 0], [1, 3, 0], [4, 0, 0]])
    prior = np.array([[0.5, 0.25, 0.25], [0.5, 0.25, 0.25], [0.5, 0.25, 0.25]])
    action = np.array([1, 2, 0])
    full = np.array([True, True, False])                              # the fast search is not a label
    # visits: KL([.5,.5,0] || prior) = .5 log2(.5/.5) + .5 log2(.5/.25) = 0.5;
    #         KL([.25,.75,0] || prior) = .25 log2(.5) + .75 log2(3) = -0.25 + 1.18872 = 0.93872
    bits, labels = B.data_policy_bits("visits", visits, prior, action, full)
    assert labels == 2 and bits == pytest.approx(0.5 + 0.75 * np.log2(3) - 0.25)
    # action: -log2 q(a) of the moves played: -log2 .25 twice
    assert B.data_policy_bits("action", visits, prior, action, full) == (pytest.approx(4.0), 2)
    # argmax: the most visited moves (0 with ties to the first, then 1): -log2 .5 - log2 .25 = 3
    assert B.data_policy_bits("argmax", visits, prior, action, full) == (pytest.approx(3.0), 2)
    assert B.data_policy_bits("reinforce", visits, prior, action, full) == (0.0, 2)


def test_data_ledger_counts_each_game_once_and_reinforce_by_its_outcome():
    led = B.BitsLedger()
    assert led.add_game(1, policy_bits=5.0, labels=10, kind="visits") == 1.0   # first result: a fair coin
    # after a Black win (weights .99 * (1, 1) + (1, 0)): p(black) = 1.99 / 2.98
    expect = B.binary_entropy(1.99 / 2.98)
    assert led.add_game(-1, policy_bits=0.0, labels=10, kind="reinforce") == pytest.approx(expect)
    assert led.data_value_bits == pytest.approx(1.0 + expect)
    assert led.data_policy_bits == pytest.approx(5.0 + expect)     # REINFORCE: the outcome's bits, no more
    # ... and that outcome is one event: data_bits counts it once (value ledger), not again as policy
    assert led.data_bits == pytest.approx(1.0 + expect + 5.0)
    assert led.data_series()["data_bits"] == pytest.approx(led.data_value_bits + 5.0)
    assert led.data_labels == 20 and led.data_games == 2
    # a 40-move game replayed 4 times is still one outcome: training samples do not touch the data ledger
    led.add_batch(samples=160, train_flops=1.0, policy_bits_sum=100.0, value_bits_sum=160.0)
    assert led.data_value_bits == pytest.approx(1.0 + expect)


def _h(p):
    p = np.asarray(p, float) / np.sum(p)
    return float(-(p[p > 0] * np.log2(p[p > 0])).sum())


def test_ownership_bits_given_the_outcome_by_hand():
    """A final board is priced under the recent boards of games with the same result; the marginal
    (all games' boards) is kept as a diagnostic and left out of data_bits (chain rule)."""
    led = B.BitsLedger()
    # game 1, Black wins, owns point 0: both tables fresh, each point a fair coin
    assert led.add_ownership(np.array([1, -1]), winner=1) == pytest.approx(2.0)
    assert led.data_ownership_bits == pytest.approx(2.0)
    # game 2, Black wins again: both tables have seen game 1 (decayed by 0.99)
    h1 = 2 * _h([1.99, 0.99])
    assert led.add_ownership(np.array([1, 1]), winner=1) == pytest.approx(h1)
    assert led.data_ownership_bits == pytest.approx(2.0 + h1)
    # game 3, White wins: the white-win table has seen nothing (2 bits); the marginal has seen two games
    marginal = _h([1.99 * 0.99 + 1, 0.99 * 0.99]) + _h([0.99 * 0.99 + 1, 1.99 * 0.99])
    assert led.add_ownership(np.array([-1, 0]), winner=-1) == pytest.approx(2.0)
    assert led.data_ownership_bits == pytest.approx(2.0 + h1 + marginal)
    assert led.data_ownership_bits_given_outcome == pytest.approx(4.0 + h1)
    assert led.data_bits == pytest.approx(4.0 + h1)   # policy, outcome: nothing counted yet
    s = led.data_series()
    assert s["data_ownership_bits_given_outcome_per_game"] == pytest.approx((4.0 + h1) / 3)
    assert s["data_ownership_bits_per_game"] == pytest.approx((2.0 + h1 + marginal) / 3)
    # a checkpoint from before the by-result tables (empty list) starts them fresh
    old = B.BitsLedger(recent_owner=list(led.recent_owner))
    assert old.add_ownership(np.array([1, 1]), winner=1) == pytest.approx(2.0)


def test_score_bits_given_the_outcome_by_hand():
    led = B.BitsLedger()
    bins = 5                                   # margins -2..2
    assert led.add_score(1.5, bins, winner=1) == pytest.approx(np.log2(5))  # fresh: uniform
    after = [0.2 * 0.99] * 3 + [0.2 * 0.99 + 0.5] * 2   # 1.5 split between bins 1 and 2
    assert led.add_score(2.0, bins, winner=1) == pytest.approx(_h(after))
    # a White win is priced under the white-win margins (none yet: uniform); the marginal under all
    assert led.add_score(-2.0, bins, winner=-1) == pytest.approx(np.log2(5))
    both = [c * 0.99 for c in after]
    both[4] += 1.0
    assert led.data_score_bits == pytest.approx(np.log2(5) + _h(after) + _h(both))
    assert led.data_score_bits_given_outcome == pytest.approx(2 * np.log2(5) + _h(after))
    assert led.data_bits == pytest.approx(led.data_score_bits_given_outcome)


def test_learner_counts_network_rows_not_cached_requests(tmp_path):
    """Self-play FLOPs = rows the net actually ran (cache hits cost nothing) x forward FLOPs."""
    from alphago.config import load_config
    from alphago.selfplay.worker import Worker
    from alphago.train.learner import Learner
    from pathlib import Path
    cfg = load_config(Path(__file__).resolve().parents[1] / "configs" / "tiny.yaml",
                      {"selfplay": {"eval_cache": 100_000}})
    w = Worker(cfg, 0)
    batch = w.play_batch(4)
    requested = sum(g.evaluations for g in batch.records)
    assert w.evaluator.hits > 0 and 0 < batch.network_rows
    learner = Learner(cfg, tmp_path / "run")
    try:
        learner.ingest(batch.records, batch.network_rows)
        assert learner.trainer.ledger.selfplay_flops == batch.network_rows * learner.forward_flops
        assert learner.trainer.ledger.data_games == len(batch.records)
    finally:
        learner.close()
    assert requested != batch.network_rows  # hits were asked for but not run (and games in flight ran rows too)


# ------------------------------------------------------------------ FLOPs

def test_flop_counter_counts_a_conv_as_2_cin_cout_k2_hw():
    cin, cout, k, n = 3, 5, 3, 7
    conv = torch.nn.Conv2d(cin, cout, k, padding=1, bias=False)
    with FlopCounterMode(display=False) as counter:
        conv(torch.zeros(1, cin, n, n))
    assert counter.get_total_flops() == 2 * cin * cout * k * k * n * n


def _hand_forward_flops(n: int, planes: int, c: int, hidden: int, blocks: int) -> tuple[int, int]:
    """(forward FLOPs per position, the stem conv's share) of PolicyValueNet, from its layers.
    Matmuls and convs only (2 FLOPs per multiply-add); BN, ReLU, tanh, biases are not counted."""
    nn_ = n * n
    stem = 2 * planes * c * 9 * nn_
    tower = blocks * 2 * (2 * c * c * 9 * nn_)
    policy = 2 * c * 2 * nn_ + 2 * (2 * nn_) * (nn_ + 1)      # 1x1 conv to 2 planes, fc to A
    value = 2 * c * 1 * nn_ + 2 * nn_ * hidden + 2 * hidden     # 1x1 conv to 1 plane, fc, fc to 1
    return stem + tower + policy + value, stem


@pytest.mark.parametrize("n,planes,c,hidden,blocks", [(5, 9, 8, 4, 1), (9, 21, 64, 64, 6)])
def test_count_flops_matches_the_layers(n, planes, c, hidden, blocks):
    model = PolicyValueNet(n, planes, NetConfig(blocks=blocks, channels=c, value_hidden=hidden))
    forward, stem = _hand_forward_flops(n, planes, c, hidden, blocks)
    assert count_flops(model, planes, n) == forward


@pytest.mark.parametrize("n,planes,c,hidden,blocks", [(5, 9, 8, 4, 1), (9, 21, 64, 64, 6)])
def test_training_flops_are_about_three_forwards(n, planes, c, hidden, blocks):
    """Backward of every matmul/conv costs two forwards (gradient w.r.t. the input and w.r.t.
    the weights), so forward + backward = 3 x forward, except that the stem conv needs no
    input gradient (the planes are data): exactly 3F - stem. The stem's share is what keeps
    the ratio below 3: 2.66 for a 1x8 toy net, 2.97 for the 6x64 9x9 net. So we accept
    [2.5, 3.0] for any net and require > 2.9 for the 6x64 one."""
    model = PolicyValueNet(n, planes, NetConfig(blocks=blocks, channels=c, value_hidden=hidden))
    forward, stem = _hand_forward_flops(n, planes, c, hidden, blocks)
    train = count_flops(model, planes, n, backward=True)
    assert train == 3 * forward - stem
    ratio = train / forward
    assert 2.5 <= ratio <= 3.0
    if blocks == 6:
        assert ratio > 2.9
    # counting leaves no gradients and no mode change behind
    assert all(p.grad is None for p in model.parameters())
    assert model.training


# ------------------------------------------------------------------ realized bits on a fixed probe

class _ConstantNet(torch.nn.Module):
    """Answers every position with the same logits and value (a net whose outputs we know)."""

    def __init__(self, logits, value):
        super().__init__()
        self.logits, self.value = torch.tensor(logits, dtype=torch.float32), float(value)

    def forward(self, x):
        n = x.shape[0]
        return self.logits.expand(n, -1), torch.full((n,), self.value)


def test_probe_scores_and_realized_bits_by_hand():
    """Two probe positions on a 2x2 board (A = 5): reference policies one-hot on action 0 and
    uniform over actions 0 and 1; outcomes +1 and -1 for the player to move."""
    from alphago.train.probe import ProbeSet, score
    from alphago.go.features import FeatureConfig
    probe = ProbeSet(2, 0.5, np.array([[-1], [0]], np.int16), np.array([0, 1], np.int32),
                     np.array([[1, 0, 0, 0, 0], [0.5, 0.5, 0, 0, 0]], np.float32), np.array([1.0, -1.0], np.float32),
                     np.zeros(2, np.int8), "hand")
    feats = FeatureConfig(history=1, liberties=False)
    uniform = score(_ConstantNet([0.0] * 5, 0.0), probe, feats)
    assert uniform["probe_policy_ce_bits"] == pytest.approx(math.log2(5))      # -log2(1/5) for both
    assert uniform["probe_value_ce_bits"] == pytest.approx(1.0)                 # p = 1/2 either way
    assert uniform["probe_value_mse"] == pytest.approx(1.0)
    # a net that puts 1/2 on each of actions 0 and 1 (logits ln 1 vs -inf ~ -30) and value 0
    half = score(_ConstantNet([0.0, 0.0, -30.0, -30.0, -30.0], 0.0), probe, feats)
    assert half["probe_policy_ce_bits"] == pytest.approx(1.0, abs=1e-6)         # -log2(1/2) for both
    assert half["probe_top1"] == 1.0         # argmax 0 both; the tied reference also reads as 0 (first index)
    r = B.realized_bits({"policy_ce_bits": uniform["probe_policy_ce_bits"], "value_ce_bits": 1.0},
                        {"policy_ce_bits": half["probe_policy_ce_bits"], "value_ce_bits": 1.0}, 4e9)
    assert r["realized_bits_per_position"] == pytest.approx(math.log2(5) - 1.0, abs=1e-6)
    assert r["realized_bits_per_flop"] == pytest.approx((math.log2(5) - 1.0) / 4e9, rel=1e-6)
    # the same nets on the probe repeated 10 times: the same per-position figures (size-free)
    big = ProbeSet(2, 0.5, np.repeat(probe.actions, 10, 0), np.repeat(probe.lengths, 10), np.repeat(probe.policy, 10, 0),
                   np.repeat(probe.value, 10), np.zeros(20, np.int8), "hand")
    assert score(_ConstantNet([0.0] * 5, 0.0), big, feats)["probe_policy_ce_bits"] == pytest.approx(math.log2(5))


def test_soft_label_bits_split_into_noise_free_and_added():
    """probe soft-bits: the counted soft-label bits are KL(noisy visits || prior) of the games played,
    the noise-free part that of a fresh noise-free search of the same positions by the same net (its
    prior equals the stored pre-noise prior), and without root noise and tree reuse the two agree."""
    from dataclasses import replace

    import torch

    from alphago.config import load_config
    from alphago.experiments.soft_bits import measure
    from alphago.net.model import PolicyValueNet
    cfg = load_config(Path(__file__).resolve().parents[1] / "configs" / "tiny.yaml")
    cfg = replace(cfg, selfplay=replace(cfg.selfplay, resign_threshold=-1.0, batch_games=4),
                  search=replace(cfg.search, full_search_prob=1.0))
    torch.manual_seed(0)
    model = PolicyValueNet(cfg.size, cfg.features.num_planes, cfg.net)
    out = measure(cfg, model, games=4, max_positions=40, seed=1)
    assert out["positions"] == 40 and out["prior_matches"] < 1e-5
    assert out["counted_bits_per_label"] > 0 and out["noise_free_bits_per_label"] > 0
    assert out["added_bits_per_label"] == pytest.approx(out["counted_bits_per_label"] - out["noise_free_bits_per_label"])
    # the same search twice (no noise, no reused tree, same seed): nothing added
    quiet = replace(cfg, search=replace(cfg.search, dirichlet_fraction=0.0, reuse_tree=False))
    same = measure(quiet, model, games=4, max_positions=40, seed=1)
    assert same["tv"] < 0.05 and abs(same["added_bits_per_label"]) < 0.05 * same["counted_bits_per_label"]
