"""ASCII boards: X = black, O = white, . (or +) = empty; the top line is the top row.

from_diagram accepts optional row numbers and a line of column letters, so a printed
board can be pasted back in. Used by rules tests and the terminal UI.
"""
from __future__ import annotations

import numpy as np

from .coords import GTP_LETTERS

_CELLS = {"X": 1, "O": -1, ".": 0, "+": 0}


def from_diagram(text: str) -> np.ndarray:
    """int8[N, N] with row 0 = bottom (the last line of the diagram)."""
    rows = []
    for line in text.strip("\n").splitlines():
        body = line.strip()
        if not body:
            continue
        letters = body.replace(" ", "")
        if letters and letters == GTP_LETTERS[: len(letters)]:
            continue  # a coordinate header (A B C ...; a row of white stones "O O O" is not one)
        body = body.lstrip("0123456789").rstrip("0123456789")
        cells = [ch for ch in body if not ch.isspace()]
        bad = [ch for ch in cells if ch not in _CELLS]
        if bad:
            raise ValueError(f"unexpected character {bad[0]!r} in diagram line {line!r}")
        rows.append([_CELLS[ch] for ch in cells])
    n = len(rows)
    if n == 0 or any(len(r) != n for r in rows):
        raise ValueError(f"a diagram must be square; got rows of lengths {[len(r) for r in rows]}")
    return np.array(rows[::-1], dtype=np.int8)


def to_diagram(board: np.ndarray, last: int | None = None) -> str:
    """Board int8[N, N] (row 0 = bottom) -> text with coordinates; `last` action marked ( )."""
    n = board.shape[0]
    header = "   " + " ".join(GTP_LETTERS[:n])
    lines = [header]
    for r in range(n - 1, -1, -1):
        out = f"{r + 1:2d} "
        for c in range(n):
            ch = {1: "X", -1: "O", 0: "."}[int(board[r, c])]
            if last is not None and last == r * n + c:
                out = out[:-1] + "(" + ch + ")"
            else:
                out += ch + " "
        lines.append(out.rstrip() + f" {r + 1}")
    lines.append(header)
    return "\n".join(lines)
