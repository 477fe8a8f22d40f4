"""Policy targets from a finished search, by kind. Arrays in, arrays out; any leading shape.

  visits   N(a) / sum N                      soft: the search's visit distribution (AlphaGo Zero)
  pruned   pruned N(a) / sum                 soft: after KataGo's policy-target pruning
  gumbel   improved policy softmax(logits + sigma(q))   soft (Danihelka et al. 2022)
  action   one-hot of the move played         hard
  argmax   one-hot of the most visited move   hard
  reinforce  one-hot of the move played; the trainer weights it by the game outcome
"""
from __future__ import annotations

import numpy as np

TARGET_KINDS = ("visits", "pruned", "gumbel", "action", "argmax", "reinforce")
SOFT_KINDS = ("visits", "pruned", "gumbel")


def _normalise(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)
    s = x.sum(axis=-1, keepdims=True)
    return np.divide(x, s, out=np.zeros_like(x), where=s > 0)


def _one_hot(index: np.ndarray, num_actions: int) -> np.ndarray:
    index = np.asarray(index)
    out = np.zeros(index.shape + (num_actions,), np.float32)
    np.put_along_axis(out, index[..., None].astype(np.int64), 1.0, axis=-1)
    return out


def policy_target(kind: str, visits: np.ndarray, action: np.ndarray, improved: np.ndarray | None = None,
                  pruned: np.ndarray | None = None) -> np.ndarray:
    """float32[..., A] target of `kind`; visits int[..., A], action int[...]."""
    if kind not in TARGET_KINDS:
        raise ValueError(f"target kind must be one of {TARGET_KINDS}, got {kind!r}")
    A = visits.shape[-1]
    if kind == "visits":
        return _normalise(visits)
    if kind == "pruned":
        if pruned is None:
            raise ValueError("target 'pruned' needs pruned visits (search.forced_playouts: true)")
        return _normalise(pruned)
    if kind == "gumbel":
        if improved is None:
            raise ValueError("target 'gumbel' needs the improved policy (search.kind: gumbel)")
        return _normalise(improved)
    if kind == "argmax":
        return _one_hot(np.argmax(visits, axis=-1), A)
    return _one_hot(action, A)  # action, reinforce
