"""GTP version 2 engine (Go Text Protocol), for GUIs (Sabaki, GoGui, Lizzie) and other engines.

Every line gets an answer: "= result" or "? message" followed by a blank line (with the
command's id when one was given). Malformed input, unknown commands, illegal moves and
bad sizes are refused with "?" and change nothing; the engine never dies on input.
Rules: the engine's (positional superko unless --ko says otherwise); moves after two
passes are accepted, as GTP engines do; final_score is the Tromp-Taylor area count of
the board as it stands, with komi. set_random_seed N (as GNU Go has it) reseeds the player:
the same seed gives the same moves, another seed may not (play/player.py).
"""
from __future__ import annotations

import queue
import re
import sys
import threading
from typing import Callable, TextIO

import numpy as np

from .. import __version__
from ..go import GoState, IllegalMoveError, Rules
from ..go.coords import from_gtp, to_gtp
from ..go.rules import DEFAULT_KOMI, move_cap_for
from ..go.state import DEFAULT_HISTORY
from .gtp_analysis import analyze, parse_analyze_args
from .gtp_clock import GtpClock
from .player import SearchPlayer

# Standard handicap points on 9x9 .. 19x19 (GTP spec 4.1.1), as (col, row) from the edge.
# Indices into the points of handicap_points(); 6 and 7 stones add the left and right sides (D10 Q10 on 19x19).
_HANDICAP_ORDER = {2: [0, 1], 3: [0, 1, 2], 4: [0, 1, 2, 3], 5: [0, 1, 2, 3, 8], 6: [0, 1, 2, 3, 6, 7],
                   7: [0, 1, 2, 3, 6, 7, 8], 8: [0, 1, 2, 3, 4, 5, 6, 7], 9: [0, 1, 2, 3, 4, 5, 6, 7, 8]}


class GtpError(Exception):
    """Becomes a '? message' response."""


def handicap_points(n: int, count: int) -> list[int]:
    if n < 7 or count < 2 or count > 9 or (n % 2 == 0 and count > 4) or (n == 7 and count > 4):
        raise GtpError("invalid number of handicap stones")
    e = 2 if n < 13 else 3  # distance from the edge
    lo, mid, hi = e, n // 2, n - 1 - e
    pts = [(hi, hi), (lo, lo), (lo, hi), (hi, lo), (mid, lo), (mid, hi), (lo, mid), (hi, mid), (mid, mid)]
    return [pts[i][1] * n + pts[i][0] for i in _HANDICAP_ORDER[count]]


# The longest command line read (GTP sets no limit; real commands are far shorter): a longer
# line is answered "? line too long" and skipped, never held in memory whole.
MAX_LINE = 64 * 1024
_MAX_DIGITS = 18  # an integer argument with more digits is out of every range here (and of int64)


def _uint(arg: str, hi: int | None = None, error: str = "syntax error") -> int:
    """A non-negative integer argument; `error` when it exceeds hi (huge digit strings included:
    int() of 5,000 digits is refused by Python itself)."""
    if not (arg.isascii() and arg.isdigit()):
        raise GtpError("syntax error")
    digits = arg.lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS or (hi is not None and int(digits) > hi):
        raise GtpError(error)
    return int(digits)


def _seconds(arg: str) -> float:
    """A finite, non-negative number of seconds (inf, nan and negatives are refused)."""
    try:
        t = float(arg)
    except ValueError:
        raise GtpError("syntax error") from None
    if not (t == t and 0.0 <= t < 1e9):
        raise GtpError(f"invalid time {arg!r}: seconds must be finite and >= 0")
    return t


def free_handicap_points(n: int, count: int) -> list[int]:
    """place_free_handicap: the fixed points where GTP defines them, else points spread from
    the centre outwards (any 2 <= count < n*n is a legal set-up: a lone chain always has a liberty)."""
    try:
        return handicap_points(n, count)
    except GtpError:
        if not 2 <= count < n * n:
            raise GtpError("invalid number of stones") from None
    c = (n - 1) / 2
    order = sorted(range(n * n), key=lambda a: (max(abs(a // n - c), abs(a % n - c)), a % 2, a))
    return order[:count]


def _one_line(msg: str) -> str:
    """An error message fit for a response: no newlines (a blank line would end it early)."""
    return " ".join(msg.split()) or "error"


def _color(arg: str) -> int:
    a = arg.lower()
    if a in ("b", "black"):
        return 1
    if a in ("w", "white"):
        return -1
    raise GtpError(f"invalid color {arg!r}")


class GtpEngine:
    def __init__(self, player: SearchPlayer, size: int = 9, komi: float = DEFAULT_KOMI, ko: str = "positional",
                 suicide: bool = False, resign: bool = True):
        self.player = player
        self.ko, self.suicide, self.komi = ko, suicide, komi
        self.allow_resign = resign
        self.clock = GtpClock()
        self.analysis_out: Callable[[str], None] | None = None
        self.pending: queue.Queue[str] | None = None
        size = player.board_size or size
        self._new_game(size)
        self.commands: dict[str, Callable[[list[str]], str]] = {
            "protocol_version": lambda a: "2",
            "name": lambda a: "alphago",
            "version": lambda a: __version__,
            "known_command": lambda a: "true" if a and a[0] in self.commands else "false",
            "list_commands": lambda a: "\n".join(sorted(self.commands)),
            "quit": lambda a: "",
            "boardsize": self.cmd_boardsize,
            "clear_board": lambda a: self._new_game(self.state.n) or "",
            "komi": self.cmd_komi,
            "play": self.cmd_play,
            "genmove": lambda a: self.cmd_genmove(a, cleanup=False),
            "kgs-genmove_cleanup": lambda a: self.cmd_genmove(a, cleanup=True),
            "undo": self.cmd_undo,
            "showboard": lambda a: "\n" + str(self.state),
            "final_score": lambda a: self.state.result_string(),
            "fixed_handicap": lambda a: self.cmd_handicap(a, free=False),
            "place_free_handicap": lambda a: self.cmd_handicap(a, free=True),
            "set_free_handicap": self.cmd_set_free_handicap,
            "time_settings": self.cmd_time_settings,
            "time_left": self.cmd_time_left,
            "set_random_seed": self.cmd_set_random_seed,
            "final_status_list": self.cmd_final_status_list,
            "lz-analyze": lambda a: self.cmd_analyze(a, style="lz"),
            "kata-analyze": lambda a: self.cmd_analyze(a, style="kata"),
        }

    # ------------------------------------------------------------------ state
    def _new_game(self, n: int) -> None:
        rules = Rules(ko=self.ko, suicide=self.suicide, komi=self.komi, max_moves=move_cap_for("gtp", n))
        history = max(DEFAULT_HISTORY, self.player.features.history)
        self.state = GoState(n, rules, history=history)
        self.clock.new_game()

    def _rebuild(self, stones=None, to_play=None) -> None:
        """Recreate the game with the current settings, keeping set-up stones and moves."""
        old, time_left = self.state, self.clock.left
        self._new_game(old.n)
        self.clock.left = time_left
        setup = old._setup if stones is None else (stones, to_play)
        if setup is not None:
            self.state.set_position(*setup)
        self.state.replay(old.actions, old.colors)

    # ------------------------------------------------------------------ commands
    def cmd_boardsize(self, args: list[str]) -> str:
        if len(args) != 1:
            raise GtpError("syntax error")
        n = _uint(args[0], hi=19, error="unacceptable size")
        if not 2 <= n <= 19 or (self.player.board_size and n != self.player.board_size):
            raise GtpError("unacceptable size")
        try:
            self.player.check_fits(n)
        except ValueError as exc:
            raise GtpError(f"unacceptable size: {exc}") from None
        self._new_game(n)
        return ""

    def cmd_komi(self, args: list[str]) -> str:
        try:
            komi = float(args[0])
        except (IndexError, ValueError):
            raise GtpError("syntax error") from None
        if komi != komi or abs(komi) > 1000:
            raise GtpError("syntax error")
        self.komi = komi
        self._rebuild()
        return ""

    def cmd_play(self, args: list[str]) -> str:
        if len(args) != 2:
            raise GtpError("syntax error")
        color = _color(args[0])
        try:
            a = from_gtp(args[1], self.state.n)
        except ValueError:  # CoordinateError, or int() refusing a non-ASCII digit
            raise GtpError("illegal move") from None
        self._play(a, color)
        return ""

    def _play(self, a: int, color: int) -> None:
        was_over = self.state.is_over
        if was_over:
            self.state.continue_game()
        try:
            self.state.play(a, color)
        except IllegalMoveError as exc:
            if was_over:
                self.state.end_game()
            raise GtpError(f"illegal move ({exc.reason})") from None

    def _seconds_for_move(self, color: int) -> float | None:
        return self.clock.seconds_for_move(color, self.state.n * self.state.n, self.state.move_number)

    @property
    def time_settings(self) -> tuple[float, float, int] | None:
        return self.clock.settings

    @property
    def time_left(self) -> dict[int, tuple[float, int]]:
        return self.clock.left

    def cmd_genmove(self, args: list[str], cleanup: bool) -> str:
        if len(args) != 1:
            raise GtpError("syntax error")
        color = _color(args[0])
        st = self.state.copy().set_to_play(color)
        d = self.player.decide(st, seconds=self._seconds_for_move(color),
                               allow_resign=self.allow_resign and not cleanup, allow_pass=not cleanup)
        if d.resign:
            return "resign"
        self._play(d.action, color)
        return to_gtp(d.action, self.state.n)

    def cmd_undo(self, args: list[str]) -> str:
        if not self.state.actions:
            raise GtpError("cannot undo")
        self.state.undo()
        return ""

    def cmd_handicap(self, args: list[str], free: bool) -> str:
        if len(args) != 1:
            raise GtpError("syntax error")
        count = _uint(args[0], hi=self.state.n ** 2, error="invalid number of stones")
        if self.state.actions or self.state.board.any():
            raise GtpError("board not empty")
        pts = (free_handicap_points if free else handicap_points)(self.state.n, count)
        self._set_stones(pts)
        return " ".join(to_gtp(a, self.state.n) for a in pts)

    def cmd_set_free_handicap(self, args: list[str]) -> str:
        if self.state.actions or self.state.board.any():
            raise GtpError("board not empty")
        if len(args) < 2:
            raise GtpError("invalid number of stones")
        try:
            pts = [from_gtp(v, self.state.n) for v in args]
        except ValueError:
            raise GtpError("syntax error") from None
        if len(set(pts)) != len(pts) or any(a == self.state.n ** 2 for a in pts) or len(pts) >= self.state.n ** 2:
            raise GtpError("bad vertex list")  # repeats, pass, or a full board (it would have no liberty)
        self._set_stones(pts)
        return ""

    def _set_stones(self, pts: list[int]) -> None:
        import numpy as np
        n = self.state.n
        stones = np.zeros((n, n), np.int8)
        for a in pts:
            stones[a // n, a % n] = 1
        self.state.set_position(stones, to_play=-1)

    def cmd_set_random_seed(self, args: list[str]) -> str:
        if len(args) != 1 or not re.fullmatch(r"[+-]?[0-9]{1,30}", args[0]):
            raise GtpError("invalid seed")
        self.player.seed = int(args[0])
        return ""

    def cmd_time_settings(self, args: list[str]) -> str:
        if len(args) != 3:
            raise GtpError("syntax error")
        main, byo = _seconds(args[0]), _seconds(args[1])
        stones = _uint(args[2], hi=100_000, error="invalid stone count")
        self.clock.set_settings(main, byo, stones)
        return ""

    def cmd_time_left(self, args: list[str]) -> str:
        if len(args) != 3:
            raise GtpError("syntax error")
        color, t = _color(args[0]), _seconds(args[1])
        stones = _uint(args[2], hi=100_000, error="invalid stone count")
        self.clock.set_left(color, t, stones)
        return ""

    def cmd_analyze(self, args: list[str], style: str) -> str:
        """lz-analyze / kata-analyze [color] [interval centiseconds]: stream 'info' lines
        until the next command arrives (needs run(); handle() alone emits one report)."""
        color, interval, ownership = parse_analyze_args(args, self.state.to_play, _color)
        st = self.state.copy().set_to_play(color)
        return "\n".join(analyze(self.player, st, interval, style, self.analysis_out, self.pending, ownership))

    def cmd_final_status_list(self, args: list[str]) -> str:
        """dead | alive | seki. The count (final_score) is Tromp-Taylor: every stone on the board
        counts. With an ownership head, "dead" lists the stones the net expects the opponent to own
        at the end (ownership < -0.5 from their side), "alive" the others; without one, every stone
        is alive. No seki detection: seki is always empty."""
        if len(args) != 1 or args[0].lower() not in ("dead", "alive", "seki"):
            raise GtpError("syntax error")
        status = args[0].lower()
        board = self.state.board.reshape(-1)  # action order
        stones = np.flatnonzero(board != 0)
        own = self.player.ownership(self.state)
        dead = np.zeros(board.size, bool)
        if own is not None:
            black_view = own * self.state.to_play  # the head speaks for the player to move
            dead = board * black_view < -0.5
        pick = {"dead": stones[dead[stones]], "alive": stones[~dead[stones]], "seki": stones[:0]}[status]
        return " ".join(to_gtp(int(a), self.state.n) for a in pick)

    # ------------------------------------------------------------------ protocol
    _ID = re.compile(r"^([0-9]+)\s*(.*)$")

    @classmethod
    def parse(cls, raw: str) -> tuple[str, list[str]] | None:
        """One input line -> (id or "", words), or None for an empty or comment line
        (GTP 2.2-2.5: control characters other than HT/LF are dropped, HT is a space,
        "#" starts a comment)."""
        line = "".join(ch for ch in raw if ch == "\t" or ch >= " " and ch != "\x7f")
        line = line.split("#", 1)[0].replace("\t", " ").strip()
        if not line:
            return None
        ident = ""
        m = cls._ID.match(line)
        if m:
            ident, line = m.group(1), m.group(2)
        return ident, line.split()

    def handle(self, raw: str) -> tuple[str | None, bool]:
        """One input line -> (response text or None for empty/comment lines, quit?)."""
        if len(raw.rstrip("\r\n")) > MAX_LINE:
            m = self._ID.match(raw[:32])
            return f"?{m.group(1) if m else ''} line too long (more than {MAX_LINE} characters)\n\n", False
        parsed = self.parse(raw)
        if parsed is None:
            return None, False
        ident, words = parsed
        if not words:
            return f"?{ident} syntax error\n\n", False
        cmd, args = words[0].lower(), words[1:]
        fn = self.commands.get(cmd)
        if fn is None:
            return f"?{ident} unknown command\n\n", False
        try:
            result = fn(args)
        except GtpError as exc:
            return f"?{ident} {_one_line(str(exc))}\n\n", False
        except Exception as exc:  # never die on input: report and go on
            return f"?{ident} internal error: {type(exc).__name__}: {_one_line(str(exc))}\n\n", False
        text = f"={ident} {result}".rstrip(" ") if result else f"={ident}"
        return text + "\n\n", cmd == "quit"

    def run(self, inp: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
        """Serve GTP until quit or end of input. A reader thread queues lines so analysis can
        stream until the next command arrives."""
        self.pending = queue.Queue()
        for stream in (inp, out):  # undecodable bytes become U+FFFD, never a dead reader
            try:
                stream.reconfigure(errors="replace")
            except (AttributeError, ValueError, OSError):
                pass

        def reader():
            try:
                while True:
                    raw = inp.readline(MAX_LINE + 1)
                    if not raw:
                        break
                    if len(raw) > MAX_LINE and not raw.endswith("\n"):
                        while True:  # skip the rest of an overlong line, a chunk at a time
                            rest = inp.readline(MAX_LINE)
                            if not rest or rest.endswith("\n"):
                                break
                    self.pending.put(raw)  # handle() answers a line this long with an error
            finally:
                self.pending.put(None)  # end of input, or a read error: stop serving

        threading.Thread(target=reader, daemon=True).start()

        def emit(s: str) -> None:
            out.write(s)
            out.flush()

        while True:
            raw = self.pending.get()
            if raw is None:
                return
            parsed = self.parse(raw)
            streaming = bool(parsed and parsed[1] and parsed[1][0].lower() in ("lz-analyze", "kata-analyze"))
            if streaming:
                ident = parsed[0]
                emit(f"={ident}\n")
                self.analysis_out = lambda s: emit(s + "\n")
                try:
                    self.handle(raw)
                finally:
                    self.analysis_out = None
                emit("\n")
                continue
            resp, quit_ = self.handle(raw)
            if resp is not None:
                emit(resp)
            if quit_:
                return

