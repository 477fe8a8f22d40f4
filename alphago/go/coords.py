"""Coordinates: action index <-> (row, col) <-> GTP vertex <-> SGF point.

Action index a = row * N + col with row 0 the bottom row (GTP row 1) and col 0 the
left column (GTP "A"); PASS = N * N. GTP letters skip "I" (A..H, J..T). SGF points
are two letters, column then row, counted from the top-left corner ("aa").
"""
from __future__ import annotations

GTP_LETTERS = "ABCDEFGHJKLMNOPQRST"


class CoordinateError(ValueError):
    """A vertex or index that does not name a point (or pass) of this board."""


def pass_action(n: int) -> int:
    return n * n


def to_rc(a: int, n: int) -> tuple[int, int]:
    if not 0 <= a < n * n:
        raise CoordinateError(f"action {a} is not a point of a {n}x{n} board (pass is {n * n})")
    return divmod(a, n)


def from_rc(row: int, col: int, n: int) -> int:
    if not (0 <= row < n and 0 <= col < n):
        raise CoordinateError(f"(row {row}, col {col}) is off a {n}x{n} board")
    return row * n + col


def to_gtp(a: int, n: int) -> str:
    if a == n * n:
        return "pass"
    row, col = to_rc(a, n)
    return f"{GTP_LETTERS[col]}{row + 1}"


def from_gtp(vertex: str, n: int) -> int:
    """GTP vertex ("D4", "d4", "pass") -> action index. Raises CoordinateError."""
    v = vertex.strip().upper()
    if v == "PASS":
        return n * n
    if len(v) < 2 or v[0] not in GTP_LETTERS or not (v[1:].isascii() and v[1:].isdigit()):
        raise CoordinateError(f"{vertex!r} is not a GTP vertex (like D4 or pass)")
    col = GTP_LETTERS.index(v[0])
    row = int(v[1:]) - 1
    if not (0 <= row < n and 0 <= col < n):
        raise CoordinateError(f"{vertex!r} is off a {n}x{n} board")
    return row * n + col


def to_sgf(a: int, n: int) -> str:
    """Action -> SGF point ("" for pass, the FF[4] convention)."""
    if a == n * n:
        return ""
    row, col = to_rc(a, n)
    return chr(ord("a") + col) + chr(ord("a") + (n - 1 - row))


def from_sgf(point: str, n: int) -> int:
    """SGF point -> action ("" and, on boards up to 19, "tt" mean pass)."""
    if point == "" or (point == "tt" and n <= 19):
        return n * n
    if len(point) != 2:
        raise CoordinateError(f"{point!r} is not an SGF point")
    col = ord(point[0]) - ord("a")
    row = n - 1 - (ord(point[1]) - ord("a"))
    return from_rc(row, col, n)
