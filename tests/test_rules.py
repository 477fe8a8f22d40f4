"""Rules tests as ASCII boards (DESIGN.md section 2; minigo / KataGo style).

Diagrams: X black, O white, . empty; the top line is the top row; the letter line and row
numbers are only for the reader (from_diagram ignores them). Moves are GTP vertices (column
letters skip I, row 1 at the bottom) or action indices a = row * N + col with row 0 the
bottom row; pass = N * N. Every expected board and score below was counted by hand.

Scoring is Tromp-Taylor area: a player's points are their stones plus the empty regions that
reach only their colour; score = black - white - komi (positive: Black wins).
"""
from __future__ import annotations

import numpy as np
import pytest

from alphago.go import BLACK, WHITE, GoState
from alphago.go.board import LEGAL, SUICIDE, SUPERKO

from rules_kit import KO_RULES, setup, at, assert_board, refuse, play


# ============================================================================ coordinates

def test_diagram_orientation_and_coordinates():
    """Row 0 of `board` is the bottom line of a diagram (GTP row 1); a = row * N + col.

          A B C D E
        5 . . . . O      E5: row 4, col 4, action 24
        4 . . . . .
        3 . . . . .
        2 . . . . .
        1 X . . . .      A1: row 0, col 0, action 0
    """
    st = setup("""
          A B C D E
        5 . . . . O
        4 . . . . .
        3 . . . . .
        2 . . . . .
        1 X . . . .
    """)
    assert st.board[0, 0] == BLACK and st.board[4, 4] == WHITE and np.abs(st.board).sum() == 2
    assert (st.action("A1"), st.action("E5"), st.action("pass")) == (0, 24, 25)
    nine = GoState(9)
    assert (nine.action("H1"), nine.action("J1"), nine.action("J9"), nine.action("pass")) == (7, 8, 80, 81)
    play(nine, "J1", "pass", 10)  # 10 = row 1, col 1 = B2
    assert nine.board[0, 8] == BLACK and nine.board[1, 1] == BLACK and nine.actions == [8, 81, 10]
    assert nine.to_play == WHITE


# ============================================================================ captures

def test_single_stone_capture_in_the_centre():
    st = setup("""
          A B C D E F G
        7 . . . . . . .
        6 . . . . . . .
        5 . . . X . . .
        4 . . X O . . .
        3 . . . X . . .
        2 . . . . . . .
        1 . . . . . . .
    """)
    play(st, "E4")
    assert_board(st, """
          A B C D E F G
        7 . . . . . . .
        6 . . . . . . .
        5 . . . X . . .
        4 . . X . X . .
        3 . . . X . . .
        2 . . . . . . .
        1 . . . . . . .
    """)
    assert st.to_play == WHITE
    refuse(st, "D4", SUICIDE)  # White cannot play back into the hole
    assert st.score() == 49 - 7.5  # 4 stones + 45 empty points that reach only black


def test_multi_stone_capture():
    """The four white stones have one liberty, D3."""
    st = setup("""
          A B C D E F G
        7 . . . . . . .
        6 . . X X X . .
        5 . X O O O X .
        4 . . X O X . .
        3 . . . . . . .
        2 . . . . . . .
        1 . . . . . . .
    """)
    play(st, "D3")
    assert_board(st, """
          A B C D E F G
        7 . . . . . . .
        6 . . X X X . .
        5 . X . . . X .
        4 . . X . X . .
        3 . . . X . . .
        2 . . . . . . .
        1 . . . . . . .
    """)


def test_one_move_captures_two_chains():
    """B5 is the last liberty of both white chains {A5, A4} and {C5, C4}."""
    st = setup("""
          A B C D E
        5 O . O X .
        4 O X O X .
        3 X . X . .
        2 . . . . .
        1 . . . . .
    """)
    play(st, "B5")
    assert_board(st, """
          A B C D E
        5 . X . X .
        4 . X . X .
        3 X . X . .
        2 . . . . .
        1 . . . . .
    """)
    assert st.score() == 25 - 7.5


def test_capture_on_the_edge():
    st = setup("""
          A B C D E
        5 . . . . .
        4 . . . . .
        3 . . . . .
        2 . . X X .
        1 . X O O .
    """)
    play(st, "E1")
    assert_board(st, """
          A B C D E
        5 . . . . .
        4 . . . . .
        3 . . . . .
        2 . . X X .
        1 . X . . X
    """)


def test_captures_in_the_corners():
    """Black takes A1 with A2, then White takes E5 with E4."""
    st = setup("""
          A B C D E
        5 . . . O X
        4 . . . . .
        3 . . . . .
        2 . . . . .
        1 O X . . .
    """)
    play(st, "A2", "E4")
    assert_board(st, """
          A B C D E
        5 . . . O .
        4 . . . . O
        3 . . . . .
        2 X . . . .
        1 . X . . .
    """)


def test_captures_in_the_corners_of_19x19():
    """The far corner T19 is action 360 and pass is 361. Black T18 takes T19; White A2 takes A1."""
    st = setup("""
           A B C D E F G H J K L M N O P Q R S T
        19 . . . . . . . . . . . . . . . . . X O
        18 . . . . . . . . . . . . . . . . . . .
        17 . . . . . . . . . . . . . . . . . . .
        16 . . . . . . . . . . . . . . . . . . .
        15 . . . . . . . . . . . . . . . . . . .
        14 . . . . . . . . . . . . . . . . . . .
        13 . . . . . . . . . . . . . . . . . . .
        12 . . . . . . . . . . . . . . . . . . .
        11 . . . . . . . . . . . . . . . . . . .
        10 . . . . . . . . . . . . . . . . . . .
         9 . . . . . . . . . . . . . . . . . . .
         8 . . . . . . . . . . . . . . . . . . .
         7 . . . . . . . . . . . . . . . . . . .
         6 . . . . . . . . . . . . . . . . . . .
         5 . . . . . . . . . . . . . . . . . . .
         4 . . . . . . . . . . . . . . . . . . .
         3 . . . . . . . . . . . . . . . . . . .
         2 . . . . . . . . . . . . . . . . . . .
         1 X O . . . . . . . . . . . . . . . . .
    """)
    assert st.action("T19") == 360 and st.action("pass") == 361 and st.board[18, 18] == WHITE
    play(st, "T18", "A2")
    assert st.actions == [17 * 19 + 18, 19]
    assert (at(st, "T19"), at(st, "T18"), at(st, "S19"), at(st, "A1"), at(st, "A2"), at(st, "B1")) == \
           (0, BLACK, BLACK, 0, WHITE, WHITE)
    assert np.abs(st.board).sum() == 4
    # T19 (enclosed by S19 and T18) is Black's, A1 (enclosed by A2 and B1) is White's, and the
    # other 357 empty points form one region reaching both colours (dame): 3 - 3 - 7.5
    assert st.score() == -7.5


# ============================================================================ suicide

SUICIDE_CASES = {
    # a single stone with no liberty: White A5
    "single stone": ("""
          A B C D E
        5 . X . . .
        4 X . . . .
        3 . . . . .
        2 . . . . .
        1 . . . . .
    """, "A5"),
    # White A5 would leave {A5, B5, A4, B4} without a liberty and captures nothing
    "group": ("""
          A B C D E
        5 . O X . .
        4 O O X . .
        3 X X X . .
        2 . . . . .
        1 . . . . .
    """, "A5"),
    # White B5 would join {A5, A4} and {C5, C4} into a chain with no liberty
    "two chains joined": ("""
          A B C D E
        5 O . O X .
        4 O X O X .
        3 X . X . .
        2 . . . . .
        1 . . . . .
    """, "B5"),
}


@pytest.mark.parametrize("ko", KO_RULES)
@pytest.mark.parametrize("case", list(SUICIDE_CASES))
def test_suicide_is_illegal_by_default(case, ko):
    diagram, move = SUICIDE_CASES[case]
    st = setup(diagram, to_play=WHITE, ko=ko)
    refuse(st, move, SUICIDE)
    assert st.legal_mask()[st.n * st.n]  # pass is still legal
    # the same point is fine for Black (an eye fill, or a capture)
    assert setup(diagram, to_play=BLACK, ko=ko).check(move) == LEGAL


def test_capture_that_looks_like_suicide_is_legal():
    """Black A5 has no empty neighbour, but it takes the last liberty of the three white
    stones, which come off first: the move is a capture, not suicide."""
    st = setup(SUICIDE_CASES["group"][0], to_play=BLACK)
    play(st, "A5")
    assert_board(st, """
          A B C D E
        5 X . X . .
        4 . . X . .
        3 X X X . .
        2 . . . . .
        1 . . . . .
    """)
    assert st.score() == 25 - 7.5


@pytest.mark.parametrize("ko", KO_RULES)
def test_suicide_allowed_removes_the_chain(ko):
    """With Rules(suicide=True) White A5 is legal and {A5, B5, A4, B4} comes off; the
    corner then reaches only black, so the whole board is Black's.

          A B C D E             A B C D E
        5 . O X . .           5 . . X . .
        4 O O X . .    -->    4 . . X . .
        3 X X X . .           3 X X X . .
        2 . . . . .           2 . . . . .
        1 . . . . .           1 . . . . .
    """
    st = setup(SUICIDE_CASES["group"][0], to_play=WHITE, ko=ko, suicide=True)
    # before: black 5 stones + 16 empty, white 3 stones + A5
    assert st.score() == (5 + 16) - (3 + 1) - 7.5
    play(st, "A5")
    assert_board(st, """
          A B C D E
        5 . . X . .
        4 . . X . .
        3 X X X . .
        2 . . . . .
        1 . . . . .
    """)
    assert st.to_play == BLACK and st.move_number == 1
    assert st.score() == 25 - 7.5


@pytest.mark.parametrize("ko", KO_RULES)
def test_suicide_allowed_joining_two_chains(ko):
    st = setup(SUICIDE_CASES["two chains joined"][0], to_play=WHITE, ko=ko, suicide=True)
    play(st, "B5")
    assert_board(st, """
          A B C D E
        5 . . . X .
        4 . X . X .
        3 X . X . .
        2 . . . . .
        1 . . . . .
    """)
    assert st.score() == 25 - 7.5


@pytest.mark.parametrize("ko,code", [("positional", SUPERKO), ("situational", LEGAL), ("simple", LEGAL)])
def test_single_stone_suicide_when_allowed(ko, code):
    """A single-stone suicide leaves the board as it was, with the other player to move.
    Positional superko refuses it (the board repeats); situational superko allows it (this
    board has not been seen with Black to move); simple ko allows it.

          A B C D E
        5 . X . . .      White A5 (suicide=True)
        4 X . . . .
        3 . . . . .
        2 . . . . .
        1 . . . . .
    """
    st = setup(SUICIDE_CASES["single stone"][0], to_play=WHITE, ko=ko, suicide=True)
    h = st.hash
    if code != LEGAL:
        refuse(st, "A5", code)
        return
    play(st, "A5")
    assert_board(st, SUICIDE_CASES["single stone"][0])
    assert st.hash == h and st.to_play == BLACK and st.move_number == 1 and not st.is_over


@pytest.mark.parametrize("ko,code", [("positional", SUPERKO), ("situational", LEGAL), ("simple", LEGAL)])
def test_multi_stone_suicide_that_repeats_the_start(ko, code):
    """White builds {A5, A4} and {C5, C4} while Black passes, then B5 joins them with no
    liberty: with suicide allowed all five stones come off and the board is the start
    position again, now with Black to move. Positional superko refuses that; situational
    superko allows it (the start had White to move); simple ko allows it.

          A B C D E             A B C D E
        5 . . . X .           5 O . O X .
        4 . X . X .    -->    4 O X O X .    --> W B5
        3 X . X . .           3 X . X . .
        2 . . . . .           2 . . . . .
        1 . . . . .           1 . . . . .
       (start, W to play)   (after W A5, B pass, W A4, B pass, W C5, B pass, W C4, B pass)
    """
    start = """
          A B C D E
        5 . . . X .
        4 . X . X .
        3 X . X . .
        2 . . . . .
        1 . . . . .
    """
    st = setup(start, to_play=WHITE, ko=ko, suicide=True)
    play(st, "A5", "pass", "A4", "pass", "C5", "pass", "C4", "pass")
    assert_board(st, SUICIDE_CASES["two chains joined"][0])
    if code != LEGAL:
        refuse(st, "B5", code)
        return
    play(st, "B5")
    assert_board(st, start)
    assert st.to_play == BLACK and st.move_number == 9 and not st.is_over
