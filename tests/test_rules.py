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

from alphago.go import (BLACK, WHITE, CoordinateError, GoBatch, GoState, IllegalMoveError, Rules,
                        from_diagram, seed)
from alphago.go.board import GAME_OVER, KO, LEGAL, OCCUPIED, OFF_BOARD, SUICIDE, SUPERKO

KO_RULES = ("positional", "situational", "simple")


# ============================================================================ helpers

def setup(diagram: str, to_play: int = BLACK, **rules) -> GoState:
    stones = from_diagram(diagram)
    st = GoState(stones.shape[0], Rules(**rules))
    st.set_position(stones, to_play)
    return st


def at(st: GoState, vertex: str) -> int:
    """Colour on a GTP vertex: 1 black, -1 white, 0 empty."""
    r, c = divmod(st.action(vertex), st.n)
    return int(st.board[r, c])


def assert_board(st: GoState, diagram: str) -> None:
    """The board is the diagram, and the incremental hash is the hash of that board set up fresh."""
    expected = from_diagram(diagram)
    assert st.board.tolist() == expected.tolist(), f"board is\n{st}"
    fresh = GoState(st.n, st.rules)
    fresh.set_position(expected)
    assert st.hash == fresh.hash


def snapshot(st: GoState, exact: bool = True) -> dict:
    """What a move may change. exact=True: the game record byte for byte (a refused move must
    not write anything); exact=False: every field that has a meaning (the per-chain fields
    only at chain heads, `nxt` only at stones, the empty list only up to `nempty`), which is
    what undo, by replaying the game, restores (stale values at empty points may differ)."""
    g = st.batch.games[0]
    if exact:
        record = g.tobytes()
    else:
        stones = np.flatnonzero(g["head"])
        heads = stones[g["head"][stones] == stones]
        empties = g["empties"][: g["nempty"]]
        record = {f: g[f].tolist() for f in ("color", "head", "seen", "recent", "hash", "nempty", "ko",
                                              "passes", "moves", "last", "nhist", "to_play", "over")}
        record["nxt"] = g["nxt"][stones].tolist()
        record.update({f: g[f][heads].tolist() for f in ("size", "nlib", "lsum", "lsq", "chash")})
        record["empties"], record["epos"] = empties.tolist(), g["epos"][empties].tolist()
    return {"record": record, "board": st.board.tolist(), "hash": st.hash,
            "to_play": st.to_play, "mask": st.legal_mask().tolist(), "moves": st.move_number,
            "over": st.is_over, "actions": list(st.actions)}


def refuse(st: GoState, move, code: int) -> None:
    """`move` is refused with `code`, and the refusal changes nothing."""
    before = snapshot(st)
    assert st.check(move) == code
    assert not st.is_legal(move)
    with pytest.raises(IllegalMoveError) as err:
        st.play(move)
    assert err.value.code == code
    assert snapshot(st) == before
    if code != GAME_OVER:
        assert not st.legal_mask()[st.action(move)]


def play(st: GoState, *moves) -> GoState:
    for m in moves:
        assert st.check(m) == LEGAL, f"{m} refused: code {st.check(m)}\n{st}"
        st.play(m)
    return st


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


# ============================================================================ ko

KO_POSITION = """
      A B C D E F G
    7 . . . . . . .
    6 . . . . . . .
    5 . . X O . . .
    4 . X O . O . .
    3 . . X O . . .
    2 . . . . . . .
    1 . . . . . . .
"""


@pytest.mark.parametrize("ko", KO_RULES)
def test_simple_ko(ko):
    """Black D4 takes C4. White may not retake at C4 at once (KO, under every ko rule);
    after a ko threat and its answer (W G1, B G7) the retake is legal, and then Black may
    not retake at D4 at once."""
    st = setup(KO_POSITION, ko=ko)
    play(st, "D4")
    after_take = """
          A B C D E F G
        7 . . . . . . .
        6 . . . . . . .
        5 . . X O . . .
        4 . X . X O . .
        3 . . X O . . .
        2 . . . . . . .
        1 . . . . . . .
    """
    assert_board(st, after_take)
    refuse(st, "C4", KO)
    assert st.legal_mask().sum() == 49 - 7 - 1 + 1  # empty points, minus the ko point, plus pass
    play(st, "G1", "G7")
    play(st, "C4")
    assert_board(st, """
          A B C D E F G
        7 . . . . . . X
        6 . . . . . . .
        5 . . X O . . .
        4 . X O . O . .
        3 . . X O . . .
        2 . . . . . . .
        1 . . . . . . O
    """)
    refuse(st, "D4", KO)


@pytest.mark.parametrize("ko", KO_RULES)
def test_ko_ban_lasts_one_move_only(ko):
    """After Black takes the ko, White passes and Black plays elsewhere; White's retake is then
    legal under every rule (under superko the board differs by Black's new stone at G7)."""
    st = setup(KO_POSITION, ko=ko)
    play(st, "D4", "pass", "G7", "C4")
    assert at(st, "C4") == WHITE and at(st, "D4") == 0 and at(st, "G7") == BLACK


@pytest.mark.parametrize("ko", KO_RULES)
def test_snapback_is_not_ko(ko):
    """Black throws in at B1; White takes it with A1, but the white chain is then left with
    the single liberty B1, and Black retakes there at once capturing five stones. White's
    capture was made by a stone joined to a chain, so there is no ko ban.

          A B C D E        B B1         W A1         B B1
        5 . . . . .
        4 . . . . .
        3 X X X X .
        2 O O O X .     2 O O O X .  2 O O O X .  2 . . . X .
        1 . . O X .     1 . X O X .  1 O . O X .  1 . X . X .
    """
    st = setup("""
          A B C D E
        5 . . . . .
        4 . . . . .
        3 X X X X .
        2 O O O X .
        1 . . O X .
    """, ko=ko)
    play(st, "B1", "A1")
    assert (at(st, "A1"), at(st, "B1")) == (WHITE, 0)
    play(st, "B1")
    assert_board(st, """
          A B C D E
        5 . . . . .
        4 . . . . .
        3 X X X X .
        2 . . . X .
        1 . X . X .
    """)
    assert st.score() == 25 - 7.5


TRIPLE_KO = """
       A B C D E F G H J K L M N
    13 . . . . . . . . . . . . .
    12 . . X O . . . . . . . . .
    11 . X O . O . . . . . . . .
    10 . . X O . . . . . . . . .
     9 . . . . . . . . . . . . .
     8 . . O X . . . . . . . . .
     7 . O X . X . . . . . . . .
     6 . . O X . . . . . . . . .
     5 . . . . . . . . . . . . .
     4 . . X O . . . . . . . . .
     3 . X O . O . . . . . . . .
     2 . . X O . . . . . . . . .
     1 . . . . . . . . . . . . .
"""
TRIPLE_KO_CYCLE = ("D11", "D7", "D3", "C11", "C7", "C3")


@pytest.mark.parametrize("ko,code", [("positional", SUPERKO), ("situational", SUPERKO), ("simple", LEGAL)])
def test_triple_ko_cycle(ko, code):
    """Three kos (13x13). B D11 takes C11, W D7 takes C7, B D3 takes C3, W C11 takes D11,
    B C7 takes D7, and W C3 (taking D3) would restore the start with Black to move. No move
    is an immediate recapture, so simple ko lets the cycle go on for ever; positional and
    situational superko refuse the sixth move."""
    st = setup(TRIPLE_KO, ko=ko)
    start_hash = st.hash
    play(st, *TRIPLE_KO_CYCLE[:3])
    assert (at(st, "C11"), at(st, "D11"), at(st, "C7"), at(st, "D7"), at(st, "C3"), at(st, "D3")) == \
           (0, BLACK, 0, WHITE, 0, BLACK)
    play(st, *TRIPLE_KO_CYCLE[3:5])
    assert (at(st, "C11"), at(st, "D11"), at(st, "C7"), at(st, "D7"), at(st, "C3"), at(st, "D3")) == \
           (WHITE, 0, BLACK, 0, 0, BLACK)
    if code != LEGAL:
        refuse(st, "C3", code)
        # 148 empty points, minus C3 (superko) and D7 (ko: Black just took there), plus pass
        assert st.legal_mask().sum() == 169 - 21 - 2 + 1
        return
    play(st, "C3")
    assert_board(st, TRIPLE_KO)
    assert st.hash == start_hash and st.to_play == BLACK
    play(st, *TRIPLE_KO_CYCLE)  # and round again
    assert_board(st, TRIPLE_KO)
    assert st.move_number == 12


DOUBLE_KO = """
      A B C D E F G H J
    9 . . . . . . . . .
    8 . X O . . . . . .
    7 X O . O . . . . .
    6 . X O . . . . . .
    5 . . . . . . . . .
    4 . . . . . . O X .
    3 . . . . . O X . X
    2 . . . . . . O X .
    1 . . . . . . . . .
"""


@pytest.mark.parametrize("ko,code", [("positional", SUPERKO), ("situational", LEGAL), ("simple", LEGAL)])
def test_positional_and_situational_superko_differ(ko, code):
    """Two kos (9x9): Black can take B7 with C7, White can take G3 with H3.
    B C7, W H3, B pass, W B7 (retakes C7), and B G3 (retaking H3) would restore the start
    board, but with White to move where the start had Black to move. Positional superko
    refuses it (the board repeats); situational superko allows it (never this board with
    White to move); simple ko allows it (not an immediate recapture)."""
    st = setup(DOUBLE_KO, ko=ko)
    play(st, "C7", "H3", "pass", "B7")
    assert (at(st, "B7"), at(st, "C7"), at(st, "G3"), at(st, "H3")) == (WHITE, 0, 0, WHITE)
    if code != LEGAL:
        refuse(st, "G3", code)
        return
    play(st, "G3")
    assert_board(st, DOUBLE_KO)
    assert st.to_play == WHITE and not st.is_over


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
