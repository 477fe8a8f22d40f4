"""alphago probe ownership: the shipped ownership net against the final owners of SGF games."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from alphago.go.sgf import SgfGame, to_sgf
from alphago.go.state import GoState

ROOT = Path(__file__).resolve().parents[1]
NET = ROOT / "checkpoints" / "7x7_ownership.pt"


def _check(args: list[str]) -> int:
    from alphago.cli import main
    return main(["probe", "ownership", *args])


def _game(moves: list[str], n: int = 7) -> SgfGame:
    st = GoState(n)
    for m in moves:
        st.play(m)
    return SgfGame(n, 9.0, list(st.actions), list(st.colors))


def test_figures_and_skips(tmp_path):
    """Black walls off columns A-C, White E-G, both pass: the final owners are known; counted at the
    end the board is its own answer, half-way it knows only its stones."""
    moves = []
    for r in range(1, 8):
        moves += [f"C{r}", f"E{r}"]
    d = tmp_path / "sgf"
    d.mkdir()
    (d / "a.sgf").write_bytes(to_sgf(_game(moves + ["pass", "pass"])))
    (d / "b.sgf").write_bytes(to_sgf(_game(moves[:6])))        # not ended by two passes: skipped
    out = tmp_path / "o.json"
    assert _check(["--net", str(NET), "--sgf-dir", str(d), "--fractions", "0.5", "1.0",
                           "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["skipped"] == 1
    half, end = res["rows"]
    assert (half["games"], end["games"]) == (1, 1)
    assert end["board_as_it_stands"] == 1.0          # the final board counted is the final owner
    # final: A-C black (21 points), E-G white (21), column D touches both: dame, left out (42 counted).
    # Half-way (8 of 16 moves): C1-C4 and E1-E4 stand, the empty region touches both colours, so only
    # the 8 stones count for their final owner
    assert half["board_as_it_stands"] == pytest.approx(8 / 42)
    assert 0.0 <= half["sign_agreement"] <= 1.0 and 0.0 <= end["mean_abs_error"] <= 2.0


def test_refuses_a_net_without_the_head(tmp_path, capsys):
    (tmp_path / "a.sgf").write_bytes(to_sgf(_game(["pass", "pass"])))
    assert _check(["--net", str(ROOT / "checkpoints" / "7x7.pt"), "--sgf-dir", str(tmp_path)]) == 2
    assert "no ownership head" in capsys.readouterr().err


@pytest.mark.parametrize("content", [None, "passless"])
def test_refuses_nothing_to_score(tmp_path, capsys, content):
    if content:
        (tmp_path / "a.sgf").write_bytes(to_sgf(_game(["D4"])))
    assert _check(["--net", str(NET), "--sgf-dir", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err
