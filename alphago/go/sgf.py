"""SGF in and out through sgfmill: size, komi, result, set-up stones and the moves.

Coordinates: sgfmill's (row, col) has row 0 at the bottom, the same as our actions.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sgfmill import sgf

from .board import BLACK, WHITE


@dataclass
class SgfGame:
    """A game as SGF stores it. actions: action indices (N*N = pass) in play order;
    colors: 1 / -1 for who played each (normally alternating); setup: int8[N, N] or None."""
    size: int
    komi: float
    actions: list[int]
    colors: list[int]
    result: str = ""                      # "B+3.5", "W+R", "0", "" when unknown
    setup: np.ndarray | None = None
    players: tuple[str, str] = ("", "")  # black, white
    properties: dict[str, str] = field(default_factory=dict)  # extra root properties (e.g. "C")
    comments: dict[int, str] = field(default_factory=dict)  # node -> C[...]: 0 the root, k the k-th move


def to_sgf(game: SgfGame) -> bytes:
    n = game.size
    g = sgf.Sgf_game(size=n)
    root = g.get_root()
    root.set("KM", float(game.komi))
    root.set("RU", "Chinese")  # area scoring, the nearest standard name for Tromp-Taylor
    if game.result:
        root.set("RE", game.result)
    if game.players[0]:
        root.set("PB", game.players[0])
    if game.players[1]:
        root.set("PW", game.players[1])
    for key, value in game.properties.items():
        root.set(key, value)
    if game.setup is not None:
        stones = np.asarray(game.setup)
        black = {(int(r), int(c)) for r, c in zip(*np.nonzero(stones == BLACK))}
        white = {(int(r), int(c)) for r, c in zip(*np.nonzero(stones == WHITE))}
        root.set_setup_stones(black, white)
    if game.comments.get(0):
        root.set("C", game.comments[0])
    for k, (a, color) in enumerate(zip(game.actions, game.colors), start=1):
        node = g.extend_main_sequence()
        move = None if a == n * n else divmod(int(a), n)
        node.set_move("b" if color == BLACK else "w", move)
        if game.comments.get(k):
            node.set("C", game.comments[k])
    return g.serialise()


def from_sgf(data: bytes | str) -> SgfGame:
    """Parse an SGF game (main line only). Raises ValueError on malformed input."""
    if isinstance(data, str):
        data = data.encode()
    try:
        g = sgf.Sgf_game.from_bytes(data)
    except ValueError as exc:
        raise ValueError(f"malformed SGF: {exc}") from None
    n = g.get_size()
    root = g.get_root()
    komi = float(g.get_komi()) if root.has_property("KM") else 0.0
    result = root.get("RE") if root.has_property("RE") else ""
    black, white, _empty = root.get_setup_stones()
    setup = None
    if black or white:
        setup = np.zeros((n, n), np.int8)
        for r, c in black:
            setup[r, c] = BLACK
        for r, c in white:
            setup[r, c] = WHITE
    actions, colors = [], []
    comments = {0: root.get("C")} if root.has_property("C") else {}
    for node in g.get_main_sequence()[1:]:
        colour, move = node.get_move()
        if colour is None:
            continue
        actions.append(n * n if move is None else move[0] * n + move[1])
        colors.append(BLACK if colour == "b" else WHITE)
        if node.has_property("C"):
            comments[len(actions)] = node.get("C")
    players = (root.get("PB") if root.has_property("PB") else "",
               root.get("PW") if root.has_property("PW") else "")
    return SgfGame(n, komi, actions, colors, result, setup, players, comments=comments)
