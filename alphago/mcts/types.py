"""The search's boundary types: what it is given (an environment, an evaluator) and what it returns.

B games are searched together; A actions per game (for Go A = N*N + 1, pass last, but the search
does not know that). The search never looks inside `features`: it hands them to the evaluator.

VALUE CONVENTION: every value is for the player to move in the position it belongs to
(mcts/search.py's module docstring).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np


class Observation(NamedTuple):
    """What the environment shows of B positions (roots or leaves)."""
    features: np.ndarray  # float32[B, ...] evaluator input (for Go: [B, C, N, N] planes)
    legal: np.ndarray     # bool[B, A] actions the search may take (pass included while the game runs)
    terminal: np.ndarray  # bool[B] game over in this position
    value: np.ndarray     # float32[B] result for the player to move where terminal (+1/-1/0), else 0


@runtime_checkable
class Environment(Protocol):
    """B root games (being played) and B scratch leaf games. For each simulation the search sets
    leaf[b] = root[b] followed by a path of actions, then observes the leaves."""
    batch_size: int   # B
    num_actions: int  # A

    def observe_roots(self) -> Observation: ...

    def set_leaves(self, paths: np.ndarray, lengths: np.ndarray) -> None:
        """paths int32[B, D], lengths int32[B]: leaf[b] := root[b] + paths[b, :lengths[b]];
        rows with lengths[b] < 0 are left untouched."""

    def observe_leaves(self) -> Observation: ...


@runtime_checkable
class RolloutEnvironment(Protocol):
    """An environment that can also play light random playouts (for evaluators without a net)."""

    def rollout_values(self, rollouts: int) -> np.ndarray:
        """float32[B]: mean playout result from each position of the last observation, for the
        player to move there."""


class Evaluator(Protocol):
    """(features float32[B', ...], legal bool[B', A]) -> (logits float32[B', A], value float32[B']),
    value for the player to move, called once per simulation step on the leaves that need it
    (B' <= B), never one game at a time.

    An evaluator may set the class attribute `full_batch = True`: it is then called with all B rows
    in environment order, because it reads the environment's positions itself (RolloutEvaluator)."""

    def __call__(self, features: np.ndarray, legal: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


def is_full_batch(evaluator: Evaluator) -> bool:
    """Whether `evaluator` must see all B rows (the optional `full_batch` attribute above)."""
    return bool(getattr(evaluator, "full_batch", False))


@dataclass
class SearchResult:
    """One search per game. B games, A actions. Rows of inactive games are zeros / -1."""
    action: np.ndarray           # int32[B]    action chosen to play (-1 = game not searched)
    visits: np.ndarray           # int32[B, A] root visit counts N(a), reused visits included
    prior: np.ndarray            # float32[B, A] root prior from the evaluator, before noise
    improved_policy: np.ndarray  # float32[B, A] Gumbel: softmax(logits + sigma(q)); PUCT: N / sum N
    q: np.ndarray                # float32[B, A] root Q(a) for the player to move (0 where N(a) = 0)
    root_value: np.ndarray       # float32[B]  evaluator value of the root position
    search_value: np.ndarray     # float32[B]  mean of all values backed up into the root
    full_search: np.ndarray      # bool[B]     a full search (policy-target worthy) vs a fast one
    simulations: np.ndarray      # int32[B]    simulations run in this search
    evaluations: np.ndarray      # int32[B]    evaluator rows spent on this game in this search
    reused_visits: np.ndarray    # int32[B]    root visits carried over from the previous move
    pruned_visits: np.ndarray | None = None  # int32[B, A] KataGo policy-target pruning (forced playouts)
