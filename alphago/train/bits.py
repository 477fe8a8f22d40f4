"""Information accounting in bits (DESIGN.md section 4).

policy bits   KL(t || q) = sum_a t(a) log2(t(a) / q(a)): what the label tells the net that it
              did not know (a one-hot label on a: -log2 q(a)).
target entropy H(t): the "dark knowledge" a soft label carries (0 for one-hot).
value bits    -log2 p(z) with p = (v + 1) / 2 the predicted win probability and z the outcome
              (a draw counts half win, half loss); never more than 1 bit of entropy per game.
bits/FLOP     = samples/FLOP x bits/sample; FLOPs = self-play (evaluations x forward FLOPs)
              + training (samples x forward+backward FLOPs).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

LN2 = float(np.log(2.0))
EPS = 1e-12


def policy_bits(target: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """[B] KL(target || q) in bits; log_q is the net's log-softmax (natural log)."""
    t = target.clamp_min(0)
    log_t = torch.where(t > 0, torch.log(t.clamp_min(EPS)), torch.zeros_like(t))
    return (t * (log_t - log_q)).sum(-1) / LN2


def target_entropy(target: torch.Tensor) -> torch.Tensor:
    """[B] H(target) in bits."""
    t = target.clamp_min(0)
    return -(t * torch.where(t > 0, torch.log2(t.clamp_min(EPS)), torch.zeros_like(t))).sum(-1)


def value_bits(z: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """[B] -log2 p(z): z in {-1, 0, 1} (draw = half each), v in [-1, 1] the predicted value."""
    p = ((v + 1) / 2).clamp(1e-6, 1 - 1e-6)
    w = (z + 1) / 2  # probability mass on "win"
    return -(w * torch.log2(p) + (1 - w) * torch.log2(1 - p))


def binary_entropy(p: float) -> float:
    """Bits of a binary outcome with probability p: at most 1."""
    if p <= 0 or p >= 1:
        return 0.0
    return float(-(p * np.log2(p) + (1 - p) * np.log2(1 - p)))


@dataclass
class BitsLedger:
    """Cumulative FLOPs, samples and bits offered, for the *_per_flop series."""
    selfplay_flops: float = 0.0
    train_flops: float = 0.0
    samples: int = 0
    policy_bits: float = 0.0
    value_bits: float = 0.0

    @property
    def flops(self) -> float:
        return self.selfplay_flops + self.train_flops

    def add_selfplay(self, evaluations: int, forward_flops: int) -> None:
        self.selfplay_flops += float(evaluations) * forward_flops

    def add_batch(self, samples: int, train_flops: float, policy_bits_sum: float, value_bits_sum: float) -> dict:
        """Record one training batch; returns the series for it (cumulative x axis)."""
        self.samples += samples
        self.train_flops += train_flops
        self.policy_bits += policy_bits_sum
        self.value_bits += value_bits_sum
        bits = policy_bits_sum + value_bits_sum
        flops = max(self.flops, 1.0)
        return {
            "flops": self.flops,
            "samples": self.samples,
            "samples_per_flop": self.samples / flops,
            "bits_per_sample": bits / max(samples, 1),
            "policy_bits_per_sample": policy_bits_sum / max(samples, 1),
            "value_bits_per_sample": value_bits_sum / max(samples, 1),
            "bits_per_flop": (self.policy_bits + self.value_bits) / flops,
        }

    def state(self) -> dict:
        return dict(self.__dict__)
