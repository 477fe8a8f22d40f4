"""Helpers of the rules tests (test_rules*.py): a position from an ASCII diagram, the colour on a vertex,
the board checked against a diagram (and its hash against a fresh set-up), a refusal that must change
nothing, moves that must be legal. The diagram conventions are in test_rules.py's docstring."""
from __future__ import annotations

import numpy as np
import pytest

from alphago.go import BLACK, GoState, IllegalMoveError, Rules, from_diagram
from alphago.go.board import GAME_OVER, LEGAL


KO_RULES = ("positional", "situational", "simple")

# Black to play; D4 takes White's C4 and makes a ko (the ko tests, and the refusal and undo tests).
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


