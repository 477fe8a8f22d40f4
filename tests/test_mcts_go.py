"""The search on the real Go engine: random-rollout values on small tactical positions (the capture that
decides, the save from atari), and the cached evaluator. The conventions are in test_mcts.py."""
from __future__ import annotations

import numpy as np
import pytest

from alphago.go import BLACK, WHITE, GoBatch, Rules, from_diagram, from_gtp
from alphago.go import seed as go_seed
from alphago.goenv import GoEnv
from alphago.go.features import FeatureConfig
from alphago.mcts.evaluators import RolloutEvaluator
from alphago.mcts.search import Search

from mcts_toy import go_config


# ============================================================================ Go tactics
#
# The real engine, 5x5, with random-rollout values (RolloutEvaluator: uniform priors, value =
# mean result of 32 light playouts). Komi 0.5: on 5x5 light playouts mostly end with one side
# owning the board, and with komi <= 2.5 the capture below decides the game. Measured with
# 2000 playouts per move (win - loss rate for the mover): CAPTURE_DECIDES: D5 +.81, the next
# best move -.34; SAVE_IN_ATARI: C4 +.42, the next best -.06. Both searches chose the right
# move on 60 of 60 seeds each in this configuration; a few are checked here.

# White to play. Black's E5 E4 E3 D3 and White's D4 both have one liberty left, the same one:
# D5. White D5 takes four stones and wins; any other move and Black takes D4 instead.
CAPTURE_DECIDES = """
   A B C D E
 5 . X X . X 5
 4 . X X O X 4
 3 X X O X X 3
 2 O O . O O 2
 1 . . O O . 1
   A B C D E
"""

# Black to play. Black's D5 E5 D4 is in atari (its last liberty is C4); C4 joins it to
# B3 C3 with liberties to spare and puts White's C5 in atari. Anything else loses the group.
SAVE_IN_ATARI = """
   A B C D E
 5 O . O X X 5
 4 O O . X O 4
 3 O X X O O 3
 2 O . . . . 2
 1 . X X . X 1
   A B C D E
"""

GO_SIMULATIONS = 200


def tactics_batch() -> GoBatch:
    roots = GoBatch(5, 2, Rules(komi=0.5), history=1)
    roots.set_position(0, from_diagram(CAPTURE_DECIDES), WHITE)
    roots.set_position(1, from_diagram(SAVE_IN_ATARI), BLACK)
    return roots


def test_go_tactics_positions_are_as_described():
    roots = tactics_batch()
    d5, c4 = from_gtp("D5", 5), from_gtp("C4", 5)
    before = roots.boards().copy()
    roots.step(np.array([d5, c4], np.int32))
    after = roots.boards()
    captured = (before != 0) & (after == 0)
    assert captured[0].sum() == 4 and (before[0][captured[0]] == BLACK).all()  # D5 takes four
    assert captured[1].sum() == 0
    # and had the other side moved first at the same point, it would have captured
    other = tactics_batch()
    other.set_position(0, from_diagram(CAPTURE_DECIDES), BLACK)
    other.set_position(1, from_diagram(SAVE_IN_ATARI), WHITE)
    before = other.boards().copy()
    other.step(np.array([d5, c4], np.int32))
    captured = (before != 0) & (other.boards() == 0)
    assert captured[0].sum() == 1 and captured[1].sum() == 3


@pytest.mark.parametrize("kind", ["puct", "gumbel"])
@pytest.mark.parametrize("seed", [0, 1])
def test_go_search_finds_capture_and_save(kind, seed):
    roots = tactics_batch()
    env = GoEnv(roots, FeatureConfig(history=1))
    go_seed(seed)
    search = Search(go_config(kind, GO_SIMULATIONS), 2, roots.num_actions, seed=seed)
    r = search.run(env, RolloutEvaluator(env, rollouts=32), add_noise=False)
    d5, c4 = from_gtp("D5", 5), from_gtp("C4", 5)
    np.testing.assert_array_equal(r.action, [d5, c4])
    np.testing.assert_array_equal(r.visits.sum(1), GO_SIMULATIONS)
    legal = roots.legal_mask()
    assert (r.visits[~legal] == 0).all()
    for b, a in [(0, d5), (1, c4)]:
        assert r.visits[b, a] == r.visits[b].max()
        assert r.q[b, a] > 0.2  # a likely win for the player to move (White in game 0, Black in game 1)
        others = (r.visits[b] >= 10) & (np.arange(roots.num_actions) != a)
        assert (r.q[b, others] < r.q[b, a] - 0.1).all()  # and beats every well-explored alternative
    if kind == "puct":
        assert (r.visits[[0, 1], [d5, c4]] > GO_SIMULATIONS // 2).all()


def test_cached_evaluator_returns_what_the_net_says_and_skips_repeats():
    """The cache answers repeated rows itself (same values as the wrapped evaluator) and
    sends only unseen rows on, in one call; it evicts least recently used entries."""
    from alphago.mcts.evaluators import CachedEvaluator

    calls = []

    def inner(features, legal):
        calls.append(len(features))
        s = features.reshape(len(features), -1).sum(1)
        return np.tile(s[:, None], (1, legal.shape[1])).astype(np.float32), (s / 100).astype(np.float32)

    ev = CachedEvaluator(inner, max_entries=3)
    rng = np.random.default_rng(0)
    f = rng.integers(0, 2, size=(4, 2, 3, 3)).astype(np.float32)
    f[3] = f[0]
    legal = np.ones((4, 5), bool)
    lg, v = ev(f, legal)
    want_lg, want_v = inner(f, legal)
    np.testing.assert_array_equal(lg, want_lg)
    np.testing.assert_array_equal(v, want_v)
    assert calls[0] == 4  # a duplicate inside one batch is a miss too (looked up before the call)
    calls.clear()
    lg2, v2 = ev(f[:1], legal[:1])  # row 0 was seen: no call
    assert calls == [] and ev.hits >= 1
    np.testing.assert_array_equal(lg2[0], want_lg[0])
    assert len(ev.cache) <= 3
