"""Reanalyse (MuZero, Schrittwieser et al. 2021): fresh search targets for stored positions.

The learner picks positions from its replay window; each is rebuilt by replaying its game's
moves, searched with the latest net (full searches, no root noise: a target, not a move to
play), and the new root visits, prior and improved policy replace the stored ones. More
targets per FLOP of self-play: a position costs one search and no game.

Every network row of these searches is counted on the FLOP axis (BitsLedger.reanalyse_flops,
part of ledger.flops); the new labels enter the data ledger as soft labels do (KL of the new
target to the prior of the net that searched), since the search manufactured them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..data.records import GameRecord
from ..go import GoBatch, Rules
from ..go.features import FeatureConfig
from ..goenv import GoEnv
from ..mcts.config import SearchConfig
from ..mcts.search import Search


@dataclass(frozen=True)
class PositionRef:
    """A stored position as what rebuilds it: the moves from the empty board and the game's komi.
    Light enough to send to Ray workers (a GameRecord carries every move's search outputs)."""
    actions: np.ndarray   # int16[t] moves played before the position
    komi: float


def position_refs(positions: list[tuple[GameRecord, int]]) -> list[PositionRef]:
    """(game, move index) pairs (ReplayBuffer.positions) -> PositionRefs."""
    return [PositionRef(np.asarray(g.actions[:t], np.int16).copy(), float(g.komi)) for g, t in positions]


@dataclass
class Reanalysed:
    """New targets for n positions, A actions."""
    visits: np.ndarray       # int32[n, A]
    prior: np.ndarray        # float32[n, A] root prior of the searching net
    improved: np.ndarray     # float32[n, A]
    evaluations: int         # network rows spent

    @staticmethod
    def concat(parts: list["Reanalysed"]) -> "Reanalysed":
        """The results of consecutive slices of one request, in order (workers' shares)."""
        return Reanalysed(np.concatenate([p.visits for p in parts]), np.concatenate([p.prior for p in parts]),
                          np.concatenate([p.improved for p in parts]), sum(p.evaluations for p in parts))


class Reanalyser:
    def __init__(self, size: int, rules: Rules, features: FeatureConfig, search: SearchConfig,
                 pass_rule: str, batch: int = 32, seed: int = 0):
        self.size, self.rules, self.features, self.pass_rule = size, rules, features, pass_rule
        self.B = batch
        # a target search: full, no noise, no tree kept between calls, no forced playouts
        self.search_config = replace(search, full_search_prob=1.0, reuse_tree=False, forced_playouts=False)
        self.search = Search(self.search_config, batch, size * size + 1, seed=seed)
        self.scratch = GoBatch(size, 1, rules, history=features.history)

    def _roots(self, positions: list[PositionRef]) -> GoBatch:
        roots = GoBatch(self.size, self.B, self.rules, history=self.features.history)
        for j, pos in enumerate(positions):
            self.scratch.reset()
            for a in pos.actions:
                self.scratch.step(np.array([a], np.int32), validate=False)
            roots.copy_games_from(self.scratch, [0], [j])
            roots.set_komi(j, pos.komi)  # the game's own komi (self-play may spread komi per game)
        for j in range(len(positions), self.B):  # unused slots: not searched
            roots.set_over(j, True)
        return roots

    def run(self, positions: list[PositionRef], evaluator) -> Reanalysed:
        """Search each position with `evaluator`."""
        A = self.size * self.size + 1
        n = len(positions)
        out = Reanalysed(np.zeros((n, A), np.int32), np.zeros((n, A), np.float32),
                         np.zeros((n, A), np.float32), 0)
        for start in range(0, n, self.B):
            chunk = positions[start:start + self.B]
            roots = self._roots(chunk)
            active = np.zeros(self.B, bool)
            active[:len(chunk)] = ~roots.over[:len(chunk)]
            r = self.search.run(GoEnv(roots, self.features, self.pass_rule), evaluator, active=active,
                                add_noise=False)
            k = len(chunk)
            out.visits[start:start + k] = r.visits[:k]
            out.prior[start:start + k] = r.prior[:k]
            out.improved[start:start + k] = r.improved_policy[:k]
            out.evaluations += int(r.evaluations[:k].sum())
        return out


def reanalyser_for(cfg, seed: int | None = None) -> Reanalyser:
    """The Reanalyser of a run config: its search (as a target search), batched like self-play."""
    return Reanalyser(cfg.size, cfg.rules, cfg.features, cfg.search, cfg.selfplay.pass_rule,
                      batch=cfg.selfplay.batch_games, seed=cfg.run.seed if seed is None else seed)
