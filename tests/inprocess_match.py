"""In-process batched matches for the tests: two players, B games searched together, colours
alternating (test_learning.py, test_evaluation.py; the batched searcher is named BatchSearchPlayer
so it is not taken for alphago.play.player.SearchPlayer, the one-game player of GTP and the arena).

The arena (alphago/play/arena.py) referees GTP subprocesses, which is what an external engine needs and
what a published result should use. For our own players (a net, an untrained net, a
uniform-random player) a match in one process is ~10x cheaper: every ply the player to
move searches all of its games in one batched call.

Players implement `choose(games, active) -> int32[B]` (an action for every active game;
other rows are ignored). Games 2k and 2k+1 share a random opening of `opening_moves` plies
(uniform over the settled mask, go/settled.py) with colours swapped, so a deterministic
pair of players still plays distinct games and colour advantage cancels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alphago.go import GoBatch, Rules
from alphago.goenv import GoEnv
from alphago.go.features import FeatureConfig
from alphago.mcts.config import SearchConfig
from alphago.mcts.search import Search
from alphago.play.elo import MatchElo, match_elo


class RandomPlayer:
    """Uniform over the settled mask (legal moves minus own-eye fills; pass only when settled),
    so it finishes games like the other players do."""

    history = 1

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng([seed, 11])

    def choose(self, games: GoBatch, active: np.ndarray) -> np.ndarray:
        mask = games.settled_mask()
        out = np.full(games.batch_size, -1, np.int32)
        for b in np.flatnonzero(active):
            out[b] = int(self.rng.choice(np.flatnonzero(mask[b])))
        return out


class BatchSearchPlayer:
    """A batched search with an evaluator (a TorchEvaluator over a net, or a net-free one),
    no root noise, a fresh tree each move (the opponent's move comes in between)."""

    def __init__(self, evaluator, features: FeatureConfig, sims: int, batch: int, num_actions: int,
                 kind: str = "puct", pass_rule: str = "settled", seed: int = 0):
        self.evaluator, self.features, self.pass_rule = evaluator, features, pass_rule
        self.history = features.history
        self.config = SearchConfig(kind=kind, num_simulations=sims, reuse_tree=False, gumbel_scale=0.0)
        self.search = Search(self.config, batch, num_actions, seed=seed)
        self._env: GoEnv | None = None

    def choose(self, games: GoBatch, active: np.ndarray) -> np.ndarray:
        if self._env is None or self._env.roots is not games:
            self._env = GoEnv(games, self.features, self.pass_rule)
        self.search.reset()
        return self.search.run(self._env, self.evaluator, active=active, add_noise=False).action


@dataclass(frozen=True)
class MatchOutcome:
    """Results from A's point of view over `games` games (A is Black in even-numbered games)."""
    a_wins: int
    b_wins: int
    draws: int
    a_black_wins: int       # A's wins with Black (the rest of a_wins are with White)
    distinct: int           # distinct move sequences among the games

    @property
    def games(self) -> int:
        return self.a_wins + self.b_wins + self.draws

    @property
    def score(self) -> float:
        return (self.a_wins + 0.5 * self.draws) / max(self.games, 1)

    def elo(self) -> MatchElo:
        return match_elo(self.a_wins, self.draws, self.b_wins)

    def describe(self) -> str:
        return (f"A {self.a_wins} - {self.b_wins} B, {self.draws} draws in {self.games} games "
                f"({self.distinct} distinct); A score {self.score:.3f}; Elo(A-B) {self.elo().describe()}")


def play_match(a, b, games: int, size: int, rules: Rules, opening_moves: int = 2, seed: int = 0,
               max_plies: int | None = None) -> MatchOutcome:
    """Play `games` games (rounded up to even) between players a and b; see the module docstring."""
    B = games + games % 2
    batch = GoBatch(size, B, rules, history=max(a.history, b.history, 1))
    a_black = np.arange(B) % 2 == 0
    rngs = [np.random.default_rng([seed, k]) for k in range(B // 2)]
    moves: list[list[int]] = [[] for _ in range(B)]
    limit = max_plies if max_plies is not None else rules.move_cap(size) + 1
    for ply in range(limit):
        running = ~batch.over
        if not running.any():
            break
        actions = np.full(B, -1, np.int32)
        if ply < opening_moves:
            mask = batch.settled_mask()
            for k in range(B // 2):  # one draw per pair: both games are in the same position
                if running[2 * k]:
                    actions[2 * k] = actions[2 * k + 1] = int(rngs[k].choice(np.flatnonzero(mask[2 * k])))
        else:
            a_turn = running & ((batch.to_play == 1) == a_black)
            b_turn = running & ~a_turn
            if a_turn.any():
                actions[a_turn] = a.choose(batch, a_turn)[a_turn]
            if b_turn.any():
                actions[b_turn] = b.choose(batch, b_turn)[b_turn]
        for i in np.flatnonzero(running):
            moves[i].append(int(actions[i]))
        batch.step(actions)
    winners = batch.winners()  # 1 black, -1 white, 0 draw, by the count of the final boards
    a_color = np.where(a_black, 1, -1)
    a_wins = int((winners == a_color).sum())
    draws = int((winners == 0).sum())
    return MatchOutcome(a_wins=a_wins, b_wins=B - a_wins - draws, draws=draws,
                        a_black_wins=int(((winners == 1) & a_black).sum()),
                        distinct=len({tuple(m) for m in moves}))
