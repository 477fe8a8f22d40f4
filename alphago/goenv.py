"""The Go engine seen as the search's batched environment: the adapter above both (the engine
knows nothing of search, the search nothing of Go); it implements mcts.types.Environment and
RolloutEnvironment.

B root games (the games being played) and B scratch leaf games: for each simulation the
search asks for leaf[b] = root[b] after a path of actions, then for observations of the
leaves. Values are for the player to move in the observed position.
"""
from __future__ import annotations

import numpy as np

from .go import batch_ops as ops
from .go.features import FeatureConfig, compute_features
from .go.state import GoBatch
from .mcts.types import Observation
from .selfplay.config import PASS_RULES  # "settled": go/settled.py; "any": every legal move incl. pass


class GoEnv:
    """pass_rule "settled" offers the search the settled mask (no own-eye fills, pass only
    when nothing but self-ataris is left) so games end with the board settled; "any" offers
    every legal move. "any" let untrained nets end games by passing on half-empty boards
    (pass collapse: go/settled.py)."""

    def __init__(self, roots: GoBatch, features: FeatureConfig, pass_rule: str = "any"):
        if pass_rule not in PASS_RULES:
            raise ValueError(f"pass_rule must be one of {PASS_RULES}, got {pass_rule!r}")
        self.pass_rule = pass_rule
        self.roots = roots
        self.leaves = roots.copy()
        self.features = features
        self._scratch = np.zeros(1, roots.games.dtype)
        self._last = roots

    @property
    def batch_size(self) -> int:
        return self.roots.batch_size

    @property
    def num_actions(self) -> int:
        return self.roots.num_actions

    def observe_roots(self) -> Observation:
        return self._observe(self.roots)

    def set_leaves(self, paths: np.ndarray, lengths: np.ndarray) -> None:
        """leaf[b] := root[b] followed by paths[b, :lengths[b]] (games with lengths[b] < 0 untouched)."""
        ops.replay_paths(self.roots.games, self.leaves.games, self.roots.K, paths,
                         lengths.astype(np.int32))
        self.leaves.komi[:] = self.roots.komi  # per-game komi (GoBatch.komi) follows the game

    def observe_leaves(self) -> Observation:
        return self._observe(self.leaves)

    def rollout_values(self, rollouts: int) -> np.ndarray:
        """float32[B]: mean result of light random playouts from each position of the last
        observation (roots or leaves), for the player to move there."""
        g = self._last
        return ops.rollout_values(g.games, g.K, self._scratch, rollouts, np.float32(g.rules.komi))

    def _observe(self, games: GoBatch) -> Observation:
        self._last = games
        legal = games.settled_mask() if self.pass_rule == "settled" else games.legal_mask()
        terminal = games.over.copy()
        value = np.zeros(games.batch_size, np.float32)
        if terminal.any():
            value = np.where(terminal, games.winners() * games.to_play, 0).astype(np.float32)
        return Observation(compute_features(games, self.features), legal, terminal, value)
