"""Policy targets from a finished search, by kind. Arrays in, arrays out; any leading shape.

  visits   N(a) / sum N                      soft: the search's visit distribution (AlphaGo Zero)
  pruned   pruned N(a) / sum                 soft: after KataGo's policy-target pruning
  gumbel   improved policy softmax(logits + sigma(q))   soft (Danihelka et al. 2022)
  action   one-hot of the move played         hard
  argmax   one-hot of the most visited move   hard
  reinforce  one-hot of the move played; the trainer weights it by the game outcome
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TargetKind:
    """What a policy target is, how the trainer weights it and which search output it needs.

    The config checks every target against the search it will get (`check`), so an impossible
    pairing (the improved policy of a PUCT search, pruned visits without forced playouts) is an
    error when the config loads, not a different target trained on in silence."""
    name: str
    soft: bool                        # a distribution (True) or a one-hot label (False)
    source: str                       # search output read: visits | pruned | improved | action
    weighting: str                    # "full_search": weight 1 on full searches, 0 on fast ones;
    #                                   "outcome": also times the game's outcome z (REINFORCE)
    search_kind: str | None = None    # the search.kind it requires (None: any)
    needs_forced_playouts: bool = False
    reanalysable: bool = False        # a fresh search of a stored position renews it (Reanalyse,
    #                                   train.reanalyse_ratio): not the move played (action, reinforce:
    #                                   the game's own move, not a search's) nor pruned visits (a
    #                                   Reanalyse search records none)

    def check(self, search_kind: str, forced_playouts: bool) -> None:
        """ValueError naming both keys when this target cannot come out of that search."""
        if self.search_kind is not None and search_kind != self.search_kind:
            raise ValueError(f"train.target: {self.name} needs search.kind: {self.search_kind} "
                             f"(the {self.source} policy only that search computes); got search.kind: "
                             f"{search_kind}")
        if self.needs_forced_playouts and not forced_playouts:
            raise ValueError(f"train.target: {self.name} needs search.forced_playouts: true "
                             f"(pruned visits exist only with forced playouts); got false")


TARGETS: dict[str, TargetKind] = {t.name: t for t in (
    TargetKind("visits", True, "visits", "full_search", reanalysable=True),
    TargetKind("pruned", True, "pruned", "full_search", needs_forced_playouts=True),
    TargetKind("gumbel", True, "improved", "full_search", search_kind="gumbel", reanalysable=True),
    TargetKind("action", False, "action", "full_search"),
    TargetKind("argmax", False, "visits", "full_search", reanalysable=True),
    TargetKind("reinforce", False, "action", "outcome"),
)}
TARGET_KINDS = tuple(TARGETS)
SOFT_KINDS = tuple(k for k, t in TARGETS.items() if t.soft)


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
