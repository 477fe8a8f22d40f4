"""Replay buffer: a window of the most recent positions, rebuilt from game records.

Each position keeps its input planes (uint8, rebuilt by replaying the game through the
engine), the search outputs and the game outcome for its player to move. Sampling is
uniform over the window with a random board symmetry (planes and policy targets move
together). Shards on disk are the source of truth: a restarted process rebuilds the
buffer with from_shards() and loses nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..go import GoBatch, Rules
from ..go.features import FeatureConfig, compute_features, komi_plane_value, restore_komi
from ..go.rules import move_cap_for
from ..go.symmetry import NUM_SYMMETRIES, apply_planes, action_permutation
from ..mcts.targets import TARGETS, policy_target
from .records import PER_MOVE, GameRecord, read_shard


@dataclass
class TrainBatch:
    """What the trainer consumes. B samples, C planes, A actions."""
    features: np.ndarray     # float32[B, C, N, N]
    policy: np.ndarray       # float32[B, A] policy target of the configured kind
    policy_weight: np.ndarray  # float32[B] 1 for full searches (0 = value-only sample); reinforce: outcome z
    value: np.ndarray        # float32[B] outcome z in {-1, 0, 1} for the player to move
    action: np.ndarray       # int64[B] move played
    ownership: np.ndarray | None = None       # float32[B, N*N] final owner of each point for the player
    #                                           to move: 1 the mover's, -1 the opponent's, 0 dame
    ownership_weight: np.ndarray | None = None  # float32[B] 1 where the game has an ownership target
    soft_policy: np.ndarray | None = None  # float32[B, A] visits^(1/T) normalised (auxiliary soft policy
    #                                        target, when asked for), weighted like the policy target
    score: np.ndarray | None = None        # float32[B] final margin for the player to move (their area - the
    #                                        opponent's, komi included); 0 where score_weight is 0
    score_weight: np.ndarray | None = None  # float32[B] 1 where the game was counted (0: resigned)


def game_features(game: GameRecord, features: FeatureConfig) -> np.ndarray:
    """uint8[T, C, N, N]: the planes before each move, by replaying the game."""
    # the record does not keep the run's move cap: replay under one at least as long as the game
    # (4 N^2 unless the game was longer, so nearly every replay shares one compiled layout)
    cap = move_cap_for("referee", game.size, game.num_moves)
    b = GoBatch(game.size, 1, Rules(ko=game.ko_rule, komi=game.komi, max_moves=cap), history=features.history)
    out = np.empty((game.num_moves, features.num_planes, game.size, game.size), np.uint8)
    for t, a in enumerate(game.actions):
        out[t] = compute_features(b, features)[0]
        b.step(np.array([a], np.int32))
    return out


class ReplayBuffer:
    def __init__(self, size: int, features: FeatureConfig, window: int, seed: int = 0):
        if window < 1:
            raise ValueError(f"replay window must be >= 1, got {window}")
        self.size, self.features, self.window = size, features, window
        A = size * size + 1
        C = features.num_planes
        self.planes = np.zeros((window, C, size, size), np.uint8)
        self.outcome = np.zeros(window, np.float32)   # z for the player to move
        # every per-move field of the schema (data/records.py, PER_MOVE), by name; `present`
        # says, per position, whether its game had an optional field
        self.moves = {name: np.zeros((window, A) if f.per_action else (window,), f.dtype) for name, f in PER_MOVE}
        self.present = {name: np.zeros(window, bool) for name, f in PER_MOVE if f.optional}
        self.ownership = np.zeros((window, size * size), np.int8)  # for the player to move
        self.has_ownership = np.zeros(window, bool)
        self.score = np.full(window, np.nan, np.float32)  # final margin for the player to move (nan: resigned)
        self.komi_plane = np.zeros(window, np.float32)  # features.komi's value (planes are uint8 here)
        # where each position came from, for Reanalyse: (game id, move index); the games whose
        # positions are still in the window are kept (a few hundred records on small boards)
        self.origin_game = np.full(window, -1, np.int64)
        self.origin_t = np.zeros(window, np.int32)
        self.games: dict[int, GameRecord] = {}
        self._live: dict[int, int] = {}   # game id -> its positions still in the window
        self.count = 0       # positions held (<= window)
        self.head = 0        # next slot to write
        self.total_added = 0  # positions ever added
        self.games_added = 0
        self.rng = np.random.default_rng(seed)
        self._perms = [action_permutation(size, t) for t in range(NUM_SYMMETRIES)]

    def __len__(self) -> int:
        return self.count

    def add_game(self, game: GameRecord) -> None:
        if game.size != self.size:
            raise ValueError(f"game of size {game.size} offered to a {self.size}x{self.size} buffer")
        planes = game_features(game, self.features)
        z = game.outcomes()
        gid = self.games_added
        self.games[gid] = game
        self._live[gid] = game.num_moves
        for t in range(game.num_moves):
            i = self.head
            old = int(self.origin_game[i])
            if old >= 0:  # overwriting a position of an older game
                self._live[old] -= 1
                if self._live[old] == 0:
                    del self._live[old], self.games[old]
            self.origin_game[i], self.origin_t[i] = gid, t
            self.planes[i] = planes[t]
            self.outcome[i] = z[t]
            self.has_ownership[i] = game.ownership is not None
            self.score[i] = game.score if t % 2 == 0 else -game.score  # Black's margin -> the mover's
            self.komi_plane[i] = komi_plane_value(game.komi, 1 if t % 2 == 0 else -1, game.size)
            if game.ownership is not None:  # Black's view -> the mover's (Black moves at even t)
                self.ownership[i] = game.ownership if t % 2 == 0 else -game.ownership
            for name, f in PER_MOVE:
                v = getattr(game, name)
                if f.optional:
                    self.present[name][i] = v is not None
                    if v is None:
                        continue
                self.moves[name][i] = v[t]
            self.head = (i + 1) % self.window
            self.count = min(self.count + 1, self.window)
        self.total_added += game.num_moves
        self.games_added += 1

    def add_shards(self, paths: list[Path]) -> int:
        """Add every game of the given shards in order; returns games added."""
        n = 0
        for p in paths:
            for g in read_shard(p):
                self.add_game(g)
                n += 1
        return n

    def positions(self, idx: np.ndarray) -> list[tuple[GameRecord, int]]:
        """(game, move index) of the positions idx: what Reanalyse rebuilds and searches."""
        return [(self.games[int(self.origin_game[i])], int(self.origin_t[i])) for i in idx]

    def set_targets(self, idx: np.ndarray, visits: np.ndarray, prior: np.ndarray, improved: np.ndarray) -> None:
        """New search targets for the positions idx (Reanalyse): full searches, no pruned visits."""
        self.moves["visits"][idx] = visits
        self.moves["prior"][idx] = prior
        self.moves["improved"][idx] = improved
        self.moves["full_search"][idx] = True
        if "pruned" in self.present:
            self.present["pruned"][idx] = False

    def sample(self, batch_size: int, target: str, symmetries: bool = True,
               soft_temperature: float | None = None, label_smoothing: float = 0.0) -> TrainBatch:
        """batch_size positions drawn uniformly from the window, each in a random symmetry."""
        if self.count == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        return self.batch(self.rng.integers(0, self.count, size=batch_size), target, symmetries, soft_temperature,
                          label_smoothing)

    def batch(self, idx: np.ndarray, target: str, symmetries: bool = False,
              soft_temperature: float | None = None, label_smoothing: float = 0.0) -> TrainBatch:
        """The positions idx (int[B]) as a training batch with policy targets of kind `target`
        (mcts/targets.py); weights 1 for full searches, 0 for fast ones; reinforce: the outcome.
        soft_temperature T: also the auxiliary soft policy target visits^(1/T), normalised.
        label_smoothing eps (one-hot targets, train.label_smoothing): (1 - eps) target + eps / A."""
        m = {name: a[idx] for name, a in self.moves.items()}
        feats = restore_komi(self.planes[idx].astype(np.float32), self.features, self.komi_plane[idx])
        pruned = m["pruned"] if self.present["pruned"][idx].all() else None
        action = m["actions"].astype(np.int64)
        policy = policy_target(target, m["visits"], action, m["improved"], pruned)
        if label_smoothing > 0:  # uniform over all A, so symmetries below leave the smoothing as it is
            policy = ((1.0 - label_smoothing) * policy + label_smoothing / policy.shape[-1]).astype(np.float32)
        own = self.ownership[idx].astype(np.float32)
        own_w = self.has_ownership[idx].astype(np.float32)
        soft = None
        if soft_temperature is not None:
            v = m["visits"].astype(np.float64) ** (1.0 / soft_temperature)
            soft = (v / np.maximum(v.sum(-1, keepdims=True), 1e-12)).astype(np.float32)
        weight = m["full_search"].astype(np.float32)
        if TARGETS[target].weighting == "outcome":  # reinforce
            weight = self.outcome[idx].copy()  # every move played is a sample; the sign says reinforce or avoid
        if symmetries:
            sym = self.rng.integers(0, NUM_SYMMETRIES, size=len(idx))
            for t in range(1, NUM_SYMMETRIES):
                sel = np.flatnonzero(sym == t)
                if sel.size == 0:
                    continue
                feats[sel] = apply_planes(feats[sel], t)
                perm = self._perms[t]
                moved = np.empty_like(policy[sel])
                moved[:, perm] = policy[sel]
                policy[sel] = moved
                action[sel] = perm[action[sel]]
                moved_own = np.empty_like(own[sel])
                moved_own[:, perm[:-1]] = own[sel]  # points move like actions (pass stays last)
                own[sel] = moved_own
                if soft is not None:
                    moved = np.empty_like(soft[sel])
                    moved[:, perm] = soft[sel]
                    soft[sel] = moved
        score = self.score[idx]
        score_w = np.isfinite(score).astype(np.float32)
        return TrainBatch(feats, policy, weight, self.outcome[idx].copy(), action, own, own_w, soft,
                          np.where(score_w > 0, score, 0.0).astype(np.float32), score_w)
