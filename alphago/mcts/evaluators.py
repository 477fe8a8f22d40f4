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


class CachedEvaluator:
    """Wraps an evaluator with a bounded LRU cache keyed by the exact input planes (a
    digest of the row's bytes, so the key covers the position, its history planes and
    the symmetry the planes were drawn in). KataGo's NN cache idea: on a CPU the network
    is almost all of the cost, and transpositions and re-searched positions are common.
    Only rows not in the cache reach the wrapped evaluator, in one batched call.
    """

    def __init__(self, inner, max_entries: int = 100_000):
        if getattr(inner, "full_batch", False):
            raise ValueError("cannot cache an evaluator that reads the environment (full_batch)")
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        from collections import OrderedDict
        self.inner = inner
        self.max_entries = max_entries
        self.cache: "OrderedDict[bytes, tuple[np.ndarray, float]]" = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __call__(self, features: np.ndarray, legal: np.ndarray):
        import hashlib
        b, a = legal.shape
        logits = np.empty((b, a), np.float32)
        values = np.empty(b, np.float32)
        keys = [hashlib.blake2b(np.ascontiguousarray(features[i]).tobytes(), digest_size=16).digest()
                for i in range(b)]
        missing = []
        for i, key in enumerate(keys):
            hit = self.cache.get(key)
            if hit is None:
                missing.append(i)
            else:
                self.cache.move_to_end(key)
                logits[i], values[i] = hit
        self.hits += b - len(missing)
        self.misses += len(missing)
        if missing:
            idx = np.array(missing)
            lg, v = self.inner(features[idx], legal[idx])
            lg = np.asarray(lg, np.float32)
            v = np.asarray(v, np.float32).reshape(-1)
            for j, i in enumerate(missing):
                logits[i], values[i] = lg[j], v[j]
                self.cache[keys[i]] = (lg[j].copy(), float(v[j]))
            while len(self.cache) > self.max_entries:
                self.cache.popitem(last=False)
        return logits, values
