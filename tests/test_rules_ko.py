"""Ko as ASCII boards: simple ko, a ban that lasts one move, snapback, a triple-ko cycle, positional and
situational superko. Conventions in test_rules.py's docstring; helpers in rules_kit.py."""
from __future__ import annotations

import pytest

from alphago.go import BLACK, WHITE
from alphago.go.board import KO, LEGAL, SUPERKO

from rules_kit import KO_POSITION, KO_RULES, setup, at, assert_board, refuse, play


# ============================================================================ ko

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
