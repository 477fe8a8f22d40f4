"""GTP time control (time_settings / time_left) and the seconds a move may take.

GTP 2 sends `time_settings MAIN BYO STONES` (seconds of main time, Canadian byo-yomi time per
period of STONES stones; 0 0 0 = no limit) and before each genmove `time_left COLOR T STONES`
(STONES > 0: in byo-yomi, T seconds left for that many stones; 0: main time left).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GtpClock:
    settings: tuple[float, float, int] | None = None  # (main s, byo-yomi s, stones per period); None = never set
    left: dict[int, tuple[float, int]] = field(default_factory=dict)  # colour (1/-1) -> (seconds, stones)

    def set_settings(self, main: float, byo: float, stones: int) -> None:
        if not (_finite(main) and _finite(byo)) or main < 0 or byo < 0 or stones < 0:
            raise ValueError("time_settings values must be finite and >= 0")
        self.settings = (main, byo, stones)

    def set_left(self, color: int, seconds: float, stones: int) -> None:
        if not _finite(seconds) or seconds < 0 or stones < 0:
            raise ValueError("time_left values must be finite and >= 0")
        if self.settings is None:  # time_left without time_settings: treat it as main time
            self.settings = (seconds, 0.0, 0)
        self.left[color] = (seconds, stones)

    def new_game(self) -> None:
        self.left = {}

    def seconds_for_move(self, color: int, board_points: int, move_number: int) -> float | None:
        """Seconds the next move of `color` may take, or None for no limit. Byo-yomi: 80% of the
        period's time over its stones, less a 50 ms margin; main time: 80% over the moves likely
        left (half the empty-board points still to play, at least 10)."""
        if color not in self.left or self.settings is None:
            return None
        t, stones = self.left[color]
        if self.settings == (0, 0, 0):
            return None  # no time limit
        if stones > 0:
            return max(0.05, 0.8 * t / stones - 0.05)
        moves_left = max(10, (board_points - move_number) // 2)
        return max(0.05, 0.8 * t / moves_left)


def _finite(x: float) -> bool:
    return x == x and abs(x) != float("inf")
