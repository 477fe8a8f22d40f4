"""Evaluators that need no network: for tests, benchmarks and users without a net.

An evaluator maps (features float32[B, C, N, N], legal bool[B, A]) to
(logits float32[B, A], value float32[B]), value for the player to move.
"""
from __future__ import annotations

import numpy as np


class UniformEvaluator:
    """Equal priors, value 0: the search's own overhead, with a free 'network'."""

    def __call__(self, features: np.ndarray, legal: np.ndarray):
        b, a = legal.shape
        return np.zeros((b, a), np.float32), np.zeros(b, np.float32)


class RolloutEvaluator:
    """Equal priors; value = mean result of light random playouts from the position.

    It reads the positions from the environment (which must offer rollout_values(n) for
    its last observation), so it is called on the full batch (full_batch = True).
    """
    full_batch = True

    def __init__(self, env, rollouts: int = 8):
        if rollouts < 1:
            raise ValueError(f"rollouts must be >= 1, got {rollouts}")
        self.env = env
        self.rollouts = rollouts

    def __call__(self, features: np.ndarray, legal: np.ndarray):
        b, a = legal.shape
        return np.zeros((b, a), np.float32), np.asarray(self.env.rollout_values(self.rollouts), np.float32)
