"""Information accounting (DESIGN.md section 4): bits offered per sample and FLOPs per position,
checked against numbers worked out by hand."""
from __future__ import annotations

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
    # a second batch: the per-sample figures are the batch's, the per-FLOP ones cumulative
    s2 = led.add_batch(samples=32, train_flops=32 * 6_000_000.0, policy_bits_sum=16.0, value_bits_sum=16.0)
    total2 = total1 + 1.92e8
    assert s2["flops"] == pytest.approx(total2, rel=1e-12)
    assert s2["samples_per_flop"] == pytest.approx(96 / total2, rel=1e-12)
    assert s2["bits_per_sample"] == pytest.approx(1.0, rel=1e-12)
    assert s2["bits_per_flop"] == pytest.approx(192 / total2, rel=1e-12)
    assert led.state() == {"selfplay_flops": 2e9, "train_flops": pytest.approx(5.76e8), "samples": 96,
                           "policy_bits": 144.0, "value_bits": 48.0}


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
