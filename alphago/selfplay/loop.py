"""Self-play without Ray: B games searched together, finished games recorded and restarted.

The search decides moves; this loop owns everything about games: temperature schedule,
resignation (with a fraction of no-resign games that measures false resignations),
recording. Evaluator in, GameRecords out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.records import PER_MOVE, GameRecord, stack_moves
from ..go import GoBatch, Rules
from ..goenv import GoEnv
from ..go.features import FeatureConfig
from ..mcts.config import SearchConfig
from ..mcts.search import Search
from .config import SelfPlayConfig  # noqa: F401  (re-exported)


@dataclass
class ResignStats:
    """Games that would have resigned but were played out: how often the resigner won."""
    would_resign: int = 0
    false_resign: int = 0

    @property
    def false_rate(self) -> float:
        return self.false_resign / self.would_resign if self.would_resign else 0.0


class _Trace:
    """Per-slot accumulation of one game's moves: a row per move of every per-move field of the
    schema (data/records.py, PER_MOVE), copied from the SearchResult."""

    def __init__(self):
        self.rows: dict[str, list] = {name: [] for name, _ in PER_MOVE}
        self.evaluations = 0
        self.would_resign_color = 0  # colour that would have resigned in a no-resign game

    def append(self, r, b: int) -> None:
        for name, f in PER_MOVE:
            v = getattr(r, f.source)
            if v is not None:
                self.rows[name].append(v[b])
        self.evaluations += int(r.evaluations[b])


class SelfPlay:
    def __init__(self, size: int, rules: Rules, features: FeatureConfig, search: SearchConfig,
                 config: SelfPlayConfig, seed: int = 0):
        self.size, self.rules, self.features, self.config = size, rules, features, config
        B = config.batch_games
        self.games = GoBatch(size, B, rules, history=features.history)
        self.env = GoEnv(self.games, features, config.pass_rule)
        self.search = Search(search, B, self.games.num_actions, seed=seed)
        self.rng = np.random.default_rng([seed, 7])
        self.traces = [_Trace() for _ in range(B)]
        self.no_resign = self.rng.random(B) < config.resign_disabled_frac
        self.komi_offset = np.zeros(B, np.int64)  # this game's komi - rules.komi (selfplay.komi_spread)
        self._spread_komi(np.ones(B, bool))
        self.resign_stats = ResignStats()
        self.weight_version = 0

    def play(self, evaluator, num_games: int, on_game=None) -> list[GameRecord]:
        """Play until `num_games` games have finished (slots keep going afterwards
        when called again). on_game(record) is called as each game ends."""
        finished: list[GameRecord] = []
        B, cfg = self.games.batch_size, self.config
        while len(finished) < num_games:
            moves = self.games.move_count
            temperature = np.where(moves < cfg.temperature_moves, 1.0, 0.0)
            r = self.search.run(self.env, evaluator, temperature=temperature)
            to_play = self.games.to_play.copy()
            for b in range(B):
                self.traces[b].append(r, b)
            resign = (r.search_value < cfg.resign_threshold) & (cfg.resign_threshold > -1.0)
            self.games.step(r.action, validate=False)
            self.search.advance(r.action)
            ended = self.games.over.copy()
            for b in np.flatnonzero(resign & ~ended):
                if self.no_resign[b]:
                    if self.traces[b].would_resign_color == 0:
                        self.traces[b].would_resign_color = int(to_play[b])
                else:
                    ended[b] = True
            if ended.any():
                scores = self.games.scores()
                owners = self.games.ownership()
                for b in np.flatnonzero(ended):
                    rec = self._finish(b, float(scores[b]), resigned_by=int(to_play[b]) if not self.games.over[b] else 0,
                                       ownership=owners[b])
                    finished.append(rec)
                    if on_game is not None:
                        on_game(rec)
                self.games.reset(ended)
                self.search.reset(ended)
                self.no_resign[ended] = self.rng.random(int(ended.sum())) < cfg.resign_disabled_frac
                self._spread_komi(ended)
        return finished

    def _spread_komi(self, which: np.ndarray) -> None:
        """New games' komi: rules.komi + U{-spread..spread} (selfplay.komi_spread; 0 = rules.komi)."""
        k = self.config.komi_spread
        if k > 0:
            self.komi_offset[which] = self.rng.integers(-k, k + 1, int(which.sum()))
            self.games.set_komi(which, self.rules.komi + self.komi_offset[which])

    def _finish(self, b: int, score: float, resigned_by: int, ownership: np.ndarray | None = None) -> GameRecord:
        tr = self.traces[b]
        if resigned_by:
            winner, score = -resigned_by, float("nan")
        else:
            winner = int(np.sign(score))
        if tr.would_resign_color:
            self.resign_stats.would_resign += 1
            self.resign_stats.false_resign += int(winner == tr.would_resign_color)
        A = self.games.num_actions
        rec = GameRecord(
            size=self.size, komi=self.rules.komi + int(self.komi_offset[b]), ko_rule=self.rules.ko, **stack_moves(tr.rows, A),
            winner=winner, score=score, resigned=bool(resigned_by), evaluations=tr.evaluations,
            ownership=None if resigned_by or ownership is None else ownership.copy(),
            weight_version=self.weight_version, would_resign=tr.would_resign_color)
        self.traces[b] = _Trace()
        return rec
