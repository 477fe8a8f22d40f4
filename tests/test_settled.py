"""The settled mask (go/settled.py) as ASCII boards: no own-eye fills, pass only when every
other legal move is a self-atari that captures nothing. Expected masks counted by hand.

Diagrams: X black, O white, . empty; top line = top row; row 0 of the arrays is the bottom.
"""
from __future__ import annotations

import numpy as np

from alphago.go import BLACK, WHITE, GoBatch, GoState, Rules, from_diagram
from alphago.goenv import GoEnv
from alphago.go.features import FeatureConfig


def setup(diagram: str, to_play: int = BLACK) -> GoState:
    stones = from_diagram(diagram)
    st = GoState(stones.shape[0], Rules(komi=0.5))
    st.set_position(stones, to_play)
    return st


def points(st: GoState, mask: np.ndarray) -> set[str]:
    from alphago.go import to_gtp
    return {to_gtp(int(a), st.n) for a in np.flatnonzero(mask)}


def test_empty_board_offers_every_point_and_no_pass():
    st = GoState(5)
    m = st.settled_mask()
    assert m[:25].all() and not m[25]


def test_own_eyes_are_never_offered_and_pass_is_when_only_eyes_are_left():
    # Black owns the board with two eyes (A1, C1 area); White has nothing.
    st = setup("""
        X X X X X
        X X X X X
        X X X X X
        X X X X X
        . X . X X
    """)
    m = st.settled_mask()
    assert points(st, m) == {"pass"}
    # White to move: A1 and C1 are suicide for White, so only pass
    st2 = setup("""
        X X X X X
        X X X X X
        X X X X X
        X X X X X
        . X . X X
    """, WHITE)
    assert points(st2, st2.settled_mask()) == {"pass"}


def test_unsettled_territory_forbids_pass():
    # Black's area has a 3-point hole at A1-C1: filling B1 makes two eyes, A1 / C1 are not eye-like
    # (they touch an empty point), so Black must play on (not pass) under the settled rule.
    st = setup("""
        X X X X X
        X X X X X
        X X X X X
        X X X X X
        . . . X X
    """)
    m = st.settled_mask()
    assert not m[25]
    assert points(st, m) == {"A1", "B1", "C1"}


def test_self_atari_does_not_forbid_pass_but_stays_playable():
    # A two-point hole in Black's area. White at A1 or B1 has one liberty and captures
    # nothing: self-ataris, offered but pass is offered too. For Black, A1 and B1 are not
    # eye-like (each touches an empty point) and each would leave Black one liberty: also pass.
    diagram = """
        X X X X X
        X X X X X
        X X X X X
        X X X X X
        . . X X X
    """
    for colour in (WHITE, BLACK):
        st = setup(diagram, colour)
        assert points(st, st.settled_mask()) == {"A1", "B1", "pass"}


def test_a_move_with_two_liberties_forbids_pass():
    # White B1 would have A1 and B2: two liberties, so White is not settled; A1 and B2 are
    # self-ataris (one liberty each), still offered.
    st = setup("""
        X X X X X
        X X X X X
        X X X X X
        X . X X X
        . . X X X
    """, WHITE)
    assert points(st, st.settled_mask()) == {"A1", "B1", "B2"}


def test_capture_is_useful_even_if_it_looks_like_self_atari():
    # White's stone at A1 has one liberty, A2. Black A2 touches no empty point, yet it captures
    # A1: a capture is never a self-atari, so it is useful and Black may not pass.
    st = setup("""
        X X X X X
        X X X X X
        X X X X X
        . X X X X
        O X X X X
    """)
    m = st.settled_mask()
    assert points(st, m) == {"A2"}


def test_mask_is_a_subset_of_legal_on_random_positions():
    from alphago.go import seed
    seed(3)
    b = GoBatch(7, 64, Rules())
    for _ in range(60):
        legal = b.legal_mask()
        settled = b.settled_mask()
        assert not (settled & ~legal).any()
        running = ~b.over
        assert (settled[running].any(axis=1)).all(), "a running game always has a move (pass at least)"
        b.step(b.random_actions(light=True), validate=False)


def test_env_uses_the_rule_it_is_given():
    st = setup("""
        X X X X X
        X X X X X
        X X X X X
        X X X X X
        . X . X X
    """)
    feats = FeatureConfig(history=1)
    settled = GoEnv(st.batch.copy(), feats, "settled").observe_roots().legal[0]
    anyrule = GoEnv(st.batch.copy(), feats, "any").observe_roots().legal[0]
    assert settled.sum() == 1 and settled[25]
    assert anyrule[25] and anyrule[0] and anyrule[2]  # own-eye fills are legal moves


class PassLovingEvaluator:
    """A collapsed net: most prior mass on pass, value 0 (an early 7x7 net put pass first)."""

    def __call__(self, features, legal):
        logits = np.zeros(legal.shape, np.float32)
        logits[:, -1] = 4.0
        return logits, np.zeros(len(legal), np.float32)


def _selfplay_health(rule: str) -> dict:
    from alphago.mcts.config import SearchConfig
    from alphago.selfplay.health import game_health
    from alphago.selfplay.loop import SelfPlay, SelfPlayConfig
    sp = SelfPlay(5, Rules(komi=24.5, max_moves=75), FeatureConfig(history=1),
                  SearchConfig(num_simulations=16, full_search_prob=1.0),
                  SelfPlayConfig(batch_games=16, temperature_moves=0, pass_rule=rule, resign_threshold=-1.0,
                                 resign_disabled_frac=0.0))
    return game_health(sp.play(PassLovingEvaluator(), 16))


def test_selfplay_with_a_pass_loving_net_collapses_only_without_the_settled_rule():
    collapsed, settled = _selfplay_health("any"), _selfplay_health("settled")
    # "any": the prior's pass wins the search; games end by two passes on a near-empty board
    assert collapsed["health_game_length"] < 8 and collapsed["health_pass_rate"] >= 0.4
    # "settled": pass is not offered until only self-ataris are left; boards are played out
    assert settled["health_game_length"] >= 20 and settled["health_first_pass"] >= 15
    assert settled["health_pass_rate"] < 0.2
