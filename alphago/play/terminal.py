"""Play a game against the engine in a terminal: `alphago play`.

Moves are GTP vertices ("D4", "pass"); also `undo` (takes back the engine's reply and your
last move), `hint`, `resign`, `help` and `quit`. Bad input gets a message and a new prompt.
The game ends after two passes in a row (or the move cap), or a resignation; it is scored
by Tromp-Taylor area counting with komi and saved as SGF.

Input comes from any text stream (tests drive it with a StringIO); end of input quits.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from ..go import BLACK, GoState, IllegalMoveError, Rules, to_diagram, to_gtp
from ..go.coords import from_gtp
from ..go.rules import DEFAULT_KOMI
from ..go.sgf import SgfGame, to_sgf
from ..go.state import DEFAULT_HISTORY

HELP = """Commands:
  D4, q16, ...  play a stone (columns A-T without I, rows from 1 at the bottom)
  pass          pass (two passes in a row end the game)
  undo          take back the engine's reply and your last move
  hint          show the engine's top suggestions for you
  resign        give up the game
  help          this list
  quit          stop now (the game so far is saved)"""

_NAMES = {BLACK: "Black", -BLACK: "White"}
_STONES = {BLACK: "X", -BLACK: "O"}


def area_counts(state: GoState) -> tuple[int, int]:
    """(black, white) Tromp-Taylor area of the board as it stands: the engine's own count
    (GoState.ownership), so the terminal says exactly what the score is made of."""
    own = state.ownership()
    return int((own == 1).sum()), int((own == -1).sum())


class TerminalGame:
    """One human-vs-engine game. `player` needs `decide(state, seconds=, allow_resign=)`
    returning a play.player.Decision, and a `name` (SearchPlayer has both)."""

    def __init__(self, player, human: int = BLACK, size: int = 9, komi: float = DEFAULT_KOMI,
                 ko: str = "positional", sgf_path: str | Path | None = None,
                 inp: TextIO = sys.stdin, out: TextIO = sys.stdout, hints: int = 5):
        self.player, self.human, self.inp, self.out, self.hints = player, human, inp, out, hints
        history = max(DEFAULT_HISTORY, getattr(getattr(player, "features", None), "history", 0))
        self.state = GoState(size, Rules(ko=ko, komi=komi), history=history)
        self.sgf_path = Path(sgf_path) if sgf_path else None
        self.result = ""  # "B+3.5", "W+R", ... ("" while playing or after quit)

    # ------------------------------------------------------------------ output
    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show_board(self) -> None:
        st = self.state
        self.say(to_diagram(st.board, last=st.actions[-1] if st.actions else None))
        if st.actions and st.actions[-1] == st.n * st.n:
            self.say(f"{_NAMES[st.colors[-1]]} passed.")

    # ------------------------------------------------------------------ game
    def run(self) -> int:
        st = self.state
        engine = -self.human
        self.say(f"You are {_NAMES[self.human]} ({_STONES[self.human]}) against {self.player.name} "
                 f"on {st.n}x{st.n}, komi {st.rules.komi:g}. Type 'help' for commands.")
        quit_ = False
        while not st.is_over and not self.result and not quit_:
            if st.to_play == engine:
                self.engine_move()
            else:
                quit_ = self.human_turn()
        self.finish()
        return 0

    def engine_move(self) -> None:
        st = self.state
        self.say(f"{self.player.name} is thinking...")
        d = self.player.decide(st, allow_resign=True)
        if d.resign:
            self.result = f"{'B' if self.human == BLACK else 'W'}+R"
            self.say(f"{self.player.name} resigns (its winrate {d.winrate:.0%}).")
            return
        st.play(d.action)
        self.say(f"{self.player.name} plays {to_gtp(d.action, st.n)} (its winrate {d.winrate:.0%}).")

    def human_turn(self) -> bool:
        """Read commands until the human moves; True if they quit (or input ended)."""
        st = self.state
        self.show_board()
        while True:
            self.out.write(f"{_NAMES[self.human]} ({_STONES[self.human]}), move {st.move_number + 1}> ")
            self.out.flush()
            line = self.inp.readline()
            if not line:  # end of input
                self.say()
                return True
            cmd = line.strip().lower()
            if not cmd:
                continue
            if cmd in ("quit", "exit", "q"):
                return True
            if cmd in ("help", "?", "h"):
                self.say(HELP)
            elif cmd == "resign":
                self.result = f"{'W' if self.human == BLACK else 'B'}+R"
                self.say("You resign.")
                return False
            elif cmd == "undo":
                if self.undo():
                    self.show_board()
            elif cmd == "hint":
                self.hint()
            elif self.try_move(cmd):
                return False

    def try_move(self, text: str) -> bool:
        st = self.state
        try:
            a = from_gtp(text, st.n)
        except ValueError:
            last = "ABCDEFGHJKLMNOPQRST"[st.n - 1]
            self.say(f"'{text}' is not a move or command (points A1..{last}{st.n}, no I; try 'help').")
            return False
        try:
            st.play(a)
        except IllegalMoveError as exc:
            self.say(f"Illegal move {to_gtp(a, st.n)}: {exc.reason}. Try again.")
            return False
        return True

    def undo(self) -> bool:
        """Take back moves until one of the human's is gone (the engine's reply first)."""
        st = self.state
        if self.human not in st.colors:
            self.say("Nothing to undo.")
            return False
        replies = 0
        while st.colors[-1] != self.human:
            st.undo()
            replies += 1
        st.undo()
        self.say("Took back your last move" + (" and the engine's reply." if replies else "."))
        return True

    def hint(self) -> None:
        st = self.state
        d = self.player.decide(st, allow_resign=False)
        self.say(f"Suggestions ({sum(c.visits for c in d.candidates)} visits):")
        for c in d.candidates[: self.hints]:
            self.say(f"  {to_gtp(c.action, st.n):>4}  visits {c.visits:5d}  winrate {c.winrate:6.1%}  "
                     f"prior {c.prior:6.1%}")

    def finish(self) -> None:
        st = self.state
        self.show_board()
        if self.result:
            self.say(f"Game over: {self.result}.")
        elif st.is_over:
            black, white = area_counts(st)
            self.result = st.result_string()
            why = "both passed" if st.consecutive_passes >= 2 else "move limit reached"
            self.say(f"Game over ({why}). Tromp-Taylor area: Black {black}, White {white} + komi "
                     f"{st.rules.komi:g}. Result: {self.result}.")
        else:
            self.say("Game stopped.")
        self.save_and_say()

    def save_and_say(self) -> None:
        if not self.state.actions:
            return
        try:
            self.say(f"Saved the game to {self.save()}")
        except OSError as exc:
            self.say(f"Could not save the game: {exc}")

    def save(self) -> Path:
        st = self.state
        names = ("You", self.player.name) if self.human == BLACK else (self.player.name, "You")
        game = SgfGame(st.n, st.rules.komi, list(st.actions), list(st.colors), self.result, players=names)
        path = self.sgf_path or Path(f"alphago-{time.strftime('%Y%m%d-%H%M%S')}.sgf")
        if path.is_dir():
            path = path / f"alphago-{time.strftime('%Y%m%d-%H%M%S')}.sgf"
        path.write_bytes(to_sgf(game))
        return path


def play(player, color: str = "black", size: int | None = None, komi: float = DEFAULT_KOMI,
         sgf_path: str | Path | None = None, inp: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    """`alphago play`: one game in the terminal; the board size is the net's if it has one."""
    size = getattr(player, "board_size", None) or size or 9
    game = TerminalGame(player, human=BLACK if color == "black" else -BLACK, size=size, komi=komi,
                        sgf_path=sgf_path, inp=inp, out=out)
    try:
        return game.run()
    except KeyboardInterrupt:
        game.say("\nInterrupted.")
        game.save_and_say()
        return 130
