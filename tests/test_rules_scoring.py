"""Scoring (Tromp-Taylor area: stones plus empty regions that reach one colour only; score = black -
white - komi), the end of the game, refusals and undo, and ownership, as ASCII boards. Conventions in
test_rules.py's docstring; helpers in rules_kit.py."""
from __future__ import annotations

import numpy as np
import pytest

from alphago.go import (BLACK, WHITE, CoordinateError, GoBatch, GoState, IllegalMoveError, Rules, from_diagram, seed)
from alphago.go.board import GAME_OVER, KO, LEGAL, OCCUPIED, OFF_BOARD, SUICIDE

from rules_kit import KO_POSITION, setup, at, snapshot, refuse, play


# ============================================================================ scoring

def test_empty_board_scores_minus_komi():
    for komi in (7.5, 0.5, 0.0, 6.0):
        st = GoState(9, Rules(komi=komi))
        assert st.score() == -komi
    st = GoState(9, Rules(komi=0.0))
    assert (st.winner(), st.result_string()) == (0, "0")
    assert GoState(9).result_string() == "W+7.5"


@pytest.mark.parametrize("komi,score,result", [(7.5, -2.5, "W+2.5"), (0.5, 4.5, "B+4.5"), (5.0, 0.0, "0")])
def test_area_score_with_dame_eyes_and_komi(komi, score, result):
    """
          A B C D E F G
        7 . . X . O . X     black: 10 stones + {A7..B4, A3} (9) + {B2, B1, A1} (3) = 22
        6 . . X . O . .     white:  9 stones + {F4..G1} (8)                        = 17
        5 . . X . O O O     dame: column D (7, reaches both walls) and {F7, F6, G6}
        4 . . X . O . .           (3: the black stone G7 is not removed, Tromp-Taylor)
        3 . X X . O . .     22 - 17 = 5, minus komi
        2 X . X . O . .
        1 . . X . O . .
    """
    st = setup("""
          A B C D E F G
        7 . . X . O . X
        6 . . X . O . .
        5 . . X . O O O
        4 . . X . O . .
        3 . X X . O . .
        2 X . X . O . .
        1 . . X . O . .
    """, komi=komi)
    assert st.score() == score
    assert st.result_string() == result
    assert st.winner() == int(np.sign(score))


@pytest.mark.parametrize("komi,score,result", [(7.5, -4.5, "W+4.5"), (3.0, 0.0, "0")])
def test_seki_shared_liberties_are_dame(komi, score, result):
    """Seki without eyes: the black chain (13 stones) and the white chain (10) share their only
    liberties C5 and C3; whoever fills one is captured. C5 and C3 reach both colours, so they
    are nobody's: 13 - 10 - komi.

          A B C D E
        5 X X . O O
        4 X X X O O
        3 X X . O O
        2 X X X O O
        1 X X X O O
    """
    st = setup("""
          A B C D E
        5 X X . O O
        4 X X X O O
        3 X X . O O
        2 X X X O O
        1 X X X O O
    """, komi=komi)
    assert (st.score(), st.result_string()) == (score, result)
    # why it is seki: Black C5 is legal (self-atari, not suicide) but White C3 then takes 14 stones
    play(st, "C5", "C3")
    assert (st.board == BLACK).sum() == 0 and (st.board == WHITE).sum() == 11
    assert st.score() == -25 - komi


def test_seki_with_an_eye_each():
    """Seki with one eye each: the chains share the single liberty C3. The eyes A5 (black) and
    E5 (white) reach one colour and count as territory; C3 is dame: 12 - 12 - komi.

          A B C D E
        5 . X O O .
        4 X X O O O
        3 X X . O O
        2 X X X O O
        1 X X X O O
    """
    diagram = """
          A B C D E
        5 . X O O .
        4 X X O O O
        3 X X . O O
        2 X X X O O
        1 X X X O O
    """
    assert setup(diagram, komi=0.0).score() == 0.0
    assert setup(diagram, komi=7.5).score() == -7.5
    st = setup(diagram)
    assert st.check("C3") == LEGAL and st.check("A5") == LEGAL  # self-atari, not suicide
    white = setup(diagram, to_play=WHITE)
    assert white.check("C3") == LEGAL and white.check("E5") == LEGAL  # self-atari too
    assert white.check("A5") == SUICIDE  # Black keeps C3, so nothing is captured


# ============================================================================ the end of the game

def test_two_passes_end_the_game():
    st = GoState(5)
    play(st, "C3", "pass", "D4")
    assert st.consecutive_passes == 0 and not st.is_over  # a pass then a move: not two in a row
    play(st, "pass")
    assert st.consecutive_passes == 1 and not st.is_over
    play(st, "pass")
    assert st.consecutive_passes == 2 and st.is_over and st.move_number == 5
    assert st.legal_actions() == [] and not st.legal_mask().any()
    assert all(st.check(a) == GAME_OVER for a in range(26))
    for move in ("pass", "E5", "C3", 0):
        refuse(st, move, GAME_OVER)
    # scored as it stands: 2 black stones and 23 empty points reaching only black
    assert (st.score(), st.winner(), st.result_string()) == (25 - 7.5, BLACK, "B+17.5")


@pytest.mark.parametrize("cap", [1, 3, 4])
def test_move_cap_ends_the_game(cap):
    """Rules(max_moves=k): the game ends after k moves, passes included, without two passes."""
    st = GoState(5, Rules(max_moves=cap))
    moves = ["C3", "pass", "D4", "B2"][:cap]
    for i, m in enumerate(moves):
        assert not st.is_over
        play(st, m)
    assert st.is_over and st.move_number == cap and st.consecutive_passes < 2
    refuse(st, "pass", GAME_OVER)
    refuse(st, "E5", GAME_OVER)
    expected = {1: 25 - 7.5, 3: 25 - 7.5, 4: 2 - 1 - 7.5}[cap]  # cap 4: W B2 makes all regions dame
    assert st.score() == expected


def test_default_move_cap_is_twice_the_points():
    assert Rules().move_cap(5) == 50 and Rules().move_cap(19) == 722 and Rules(max_moves=7).move_cap(19) == 7
    seed(5)
    gb = GoBatch(5, 64, Rules())
    gb.play_out(light=True)
    moves, passes = gb.move_count, gb.games["passes"]
    assert gb.over.all() and moves.max() == 50
    assert ((passes >= 2) | (moves == 50)).all()
    assert (passes < 2).any()  # some games did run into the cap


# ============================================================================ refusals and undo

def test_occupied_and_off_board_leave_the_state_unchanged():
    st = setup(KO_POSITION)
    play(st, "D4")  # Black takes the ko: White to move, C4 banned
    refuse(st, "D4", OCCUPIED)
    refuse(st, "D5", OCCUPIED)
    refuse(st, "C4", KO)
    before = snapshot(st)
    for a in (50, 51, -1, -50):  # 49 is pass on 7x7
        with pytest.raises(IllegalMoveError) as err:
            st.play(a)
        assert err.value.code == OFF_BOARD
        assert snapshot(st) == before
    for vertex in ("H1", "A8", "I3", "Z9", "D"):
        with pytest.raises(CoordinateError):
            st.play(vertex)
        assert not st.is_legal(vertex)
        assert snapshot(st) == before
    assert snapshot(st) == before and st.to_play == WHITE and st.actions == [st.action("D4")]


def test_batch_step_refuses_as_a_whole():
    """GoBatch.step checks every game first: one refused move (occupied, off the board) and no
    game changes; check() gives every game's code."""
    gb = GoBatch(5, 3, Rules())
    gb.step(np.array([12, 12, -1]))  # C3 in games 0 and 1, game 2 left alone
    before = gb.games.tobytes()
    np.testing.assert_array_equal(gb.check(np.array([12, 26, -2])), [OCCUPIED, OFF_BOARD, OFF_BOARD])
    np.testing.assert_array_equal(gb.check(np.array([13, 25, -1])), [LEGAL, LEGAL, LEGAL])
    for actions, game, code in (([13, 12, 0], 1, OCCUPIED), ([13, 13, 26], 2, OFF_BOARD)):
        with pytest.raises(IllegalMoveError) as err:
            gb.step(np.array(actions))
        assert err.value.code == code and f"in game {game}" in str(err.value)
        assert gb.games.tobytes() == before
    np.testing.assert_array_equal(gb.move_count, [1, 1, 0])
    np.testing.assert_array_equal(gb.to_play, [WHITE, WHITE, BLACK])


def test_undo_restores_the_exact_state():
    """Undo replays the game, so every meaningful field of the game record (board, chains,
    liberties, hash, ko point, pass count, superko table, history planes) is as it was."""
    st = setup(KO_POSITION, ko="positional")
    snaps = [snapshot(st, exact=False)]
    for m in ("D4", "G1", "G7", "C4"):
        play(st, m)
        snaps.append(snapshot(st, exact=False))
    refuse(st, "D4", KO)
    for m in ("pass", "pass"):
        play(st, m)
        snaps.append(snapshot(st, exact=False))
    assert st.is_over
    for i in range(6, 0, -1):
        assert snapshot(st, exact=False) == snaps[i]
        st.undo()
        assert snapshot(st, exact=False) == snaps[i - 1]
    with pytest.raises(ValueError):
        st.undo()
    # from the empty board, through a capture and the end of the game
    st = GoState(5)
    snaps = [snapshot(st, exact=False)]
    for m in ("A2", "A1", "B1", "pass", "pass"):  # B1 takes A1
        play(st, m)
        snaps.append(snapshot(st, exact=False))
    assert st.is_over and at(st, "A1") == 0
    for i in range(5, 0, -1):
        st.undo()
        assert snapshot(st, exact=False) == snaps[i - 1]
    assert not st.is_over and st.move_number == 0


# ============================================================================ ownership

def test_ownership_is_the_tromp_taylor_count_point_by_point():
    """Stones own their point; an empty region owns for the one colour it reaches; a region
    reaching both colours is dame (0); the owners sum to the area score plus komi."""
    st = setup("""
        . X O . .
        X X O . .
        . X O O O
        X X O . .
        . X O . .
    """, komi=0.5)
    own = st.ownership().reshape(5, 5)
    expect = from_diagram("""
        X X O O O
        X X O O O
        X X O O O
        X X O O O
        X X O O O
    """)
    assert np.array_equal(own, expect)
    assert own.sum() == st.score() + 0.5
    # a region touching both colours is dame (0)
    st = setup("""
        . . . . .
        . . . . .
        . X . O .
        . . . . .
        . . . . .
    """, komi=0.5)
    own = st.ownership().reshape(5, 5)
    assert own[2, 1] == 1 and own[2, 3] == -1
    assert np.count_nonzero(own) == 2


def test_ownership_sums_to_the_area_score_in_random_games():
    seed(11)
    b = GoBatch(7, 64, Rules(komi=0.0), history=1)
    b.play_out(light=True)
    assert np.array_equal(b.ownership().sum(axis=1).astype(np.float32), b.scores())
