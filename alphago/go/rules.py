"""The rules in force for a game: typed, validated, and stated (DESIGN.md section 2)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .board import KO_POSITIONAL, KO_SIMPLE, KO_SITUATIONAL, make_const

KO_RULES = {"simple": KO_SIMPLE, "positional": KO_POSITIONAL, "situational": KO_SITUATIONAL}

# Move caps in multiples of N^2, one per use, declared here only (passes included):
MOVE_CAP_FACTORS = {
    "default": 2,   # self-play and Rules() without max_moves: real games end by passes far earlier
    "referee": 4,   # the arena, evaluations and replays of stored games: never cut a real game short
    "gtp": 10,      # GTP: GUIs and other engines may keep playing after passes or set up long games
}

# Komi, declared here only. DEFAULT_KOMI: points to White when nothing says otherwise (Rules(), a
# checkpoint that records no rules, a match without a net). FAIR_KOMI: board size N -> the komi the
# small-board studies play at, near the solved results (5x5: Black wins by 25, 7x7 by 9; DESIGN.md
# section 2); other sizes get DEFAULT_KOMI (fair_komi).
DEFAULT_KOMI = 7.5
FAIR_KOMI = {5: 24.5, 7: 9.0, 9: 7.0}


def fair_komi(n: int) -> float:
    """The fair komi of an N x N board (FAIR_KOMI), else DEFAULT_KOMI."""
    return FAIR_KOMI.get(n, DEFAULT_KOMI)


def move_cap_for(use: str, n: int, at_least: int = 0) -> int:
    """The move cap for `use` (MOVE_CAP_FACTORS) on an N x N board, raised to `at_least` (e.g. to
    replay a stored game that was longer)."""
    return max(MOVE_CAP_FACTORS[use] * n * n, at_least)


@dataclass(frozen=True)
class Rules:
    """Area (Tromp-Taylor) scoring; the game ends after two consecutive passes or the move cap.

    ko: "positional" (default: a move may not recreate any earlier whole-board position),
        "situational" (... an earlier position with the same player to move), or
        "simple" (only the immediate recapture of a single-stone ko is banned).
    suicide: False (default) makes suicide illegal; True lets it happen and removes the chain.
    komi: points given to White; scores are black - white - komi.
    max_moves: move cap, passes included; None means 2 * N * N.
    """
    ko: str = "positional"
    suicide: bool = False
    komi: float = DEFAULT_KOMI
    max_moves: int | None = None

    def __post_init__(self) -> None:
        if self.ko not in KO_RULES:
            raise ValueError(f"rules.ko must be one of {sorted(KO_RULES)}, got {self.ko!r}")
        if not isinstance(self.suicide, bool):
            raise ValueError(f"rules.suicide must be true or false, got {self.suicide!r}")
        if isinstance(self.komi, bool) or not isinstance(self.komi, (int, float)) or not math.isfinite(self.komi):
            raise ValueError(f"rules.komi must be a finite number, got {self.komi!r}")
        if self.max_moves is not None and (not isinstance(self.max_moves, int) or self.max_moves < 1):
            raise ValueError(f"rules.max_moves must be a positive integer or null, got {self.max_moves!r}")

    def move_cap(self, n: int) -> int:
        return self.max_moves if self.max_moves is not None else move_cap_for("default", n)

    def const(self, n: int) -> np.ndarray:
        """The kernels' constants record (tables for size n plus these rules)."""
        return make_const(n, KO_RULES[self.ko], self.suicide, self.move_cap(n))
