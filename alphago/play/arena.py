"""Matches between GTP engines: ours, GNU Go, or any GTP program; SGFs, a table and Elo.

Every player is a subprocess spoken to in GTP by `GtpClient`; our own players are
`python -m alphago.cli gtp ...`, so a checkpoint, a net-free search and an external engine
are driven the same way. Player specs (`--a`, `--b`):

    PATH[@SIMS]        a checkpoint, searched with SIMS simulations per move (default --sims)
    rollout[@SIMS]     our search without a net: random-rollout values
    uniform[@SIMS]     our search without a net: uniform prior, value 0
    gnugo[:LEVEL]      gnugo --mode gtp --chinese-rules --capture-all-dead --positional-superko
                       --level LEVEL (default 10); the binary from PATH or /usr/games/gnugo
    gtp:COMMAND        any GTP engine, COMMAND split like a shell would (no shell is run)

The arena is the referee. It keeps the authoritative game, an alphago.go.GoState with
Rules(komi=K) (area scoring, positional superko, no suicide) and a move cap (default 4 N^2):

- each `genmove` answer is parsed and checked; a move that is not a vertex, or that our
  rules refuse (occupied, suicide, superko), loses the game ("illegal");
  `resign` loses it ("resign");
- a legal move is sent with `play` to the other engine; if that engine refuses it (a
  rules mismatch), the refusing engine cannot go on and loses ("refused");
- an engine that dies, stops answering within --move-timeout, answers "?" to genmove or
  answers garbage loses the game ("died", "timeout", "gtp-error", "protocol"); the arena
  restarts it for the next game;
- two consecutive passes end the game ("passes") and so does the move cap ("move-cap");
  either way the board is counted as it stands, Tromp-Taylor (GoState.score()).

GNU Go with --capture-all-dead keeps playing until every dead stone is off the board before
it passes, so its own count (recorded from `final_score` at the end of every counted game,
together with its `final_status_list dead`) should agree with the Tromp-Taylor count. Where
the opponent passed early and left dead stones, GNU Go removes them and we do not; the
record keeps both so the difference is visible and explainable (tests check it).

Colours alternate (A is black in even-numbered games). --opening-moves K starts every game
with K random legal moves chosen by the arena and sent to both engines (the same opening for
games 2k and 2k+1, once with each colour), so deterministic engines play different games.

Randomness (issue 9: a hundred games that are a few games repeated prove nothing). Our search
is deterministic for a given seed and GNU Go nearly so, so with randomize (the default) every
game gets its own seeds, derived from (--seed, game index) only, and each engine is sent
`set_random_seed SEED` after clear_board (GNU Go and our engine know it; an engine that
answers "?" simply keeps its own randomness); our checkpoints also get --root-noise (a small
fraction of Dirichlet noise in the root prior, play/player.py) so a net's close calls go
either way. The table reports how many games were distinct (different move sequences).

Board size and komi: a checkpoint's net fixes the board size and, unless --komi is given,
the komi of its training rules (match_board); two checkpoints for different sizes cannot meet.
Games run in worker threads, up to
--parallel at a time; each worker keeps one process per player and reuses it across games
(clear_board), so a net is loaded once per worker. Every game is written as SGF with RE,
PB and PW; the table counts wins per colour and gives Elo(A - B) with a 95% interval
(alphago.play.elo).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import queue
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..go import GoState, IllegalMoveError, Rules
from ..go.coords import CoordinateError, from_gtp, to_gtp
from ..go.sgf import SgfGame, to_sgf
from .elo import MatchElo, match_elo

# ---------------------------------------------------------------------------------------------
# GTP client


class GtpClientError(Exception):
    """The engine did not give a usable answer to a command."""


class GtpRefused(GtpClientError):
    """The engine answered '? message' (it is still usable)."""


class GtpDied(GtpClientError):
    """The engine's process ended or closed its pipes."""


class GtpTimeout(GtpClientError):
    """No complete answer in time; the engine is killed (its output would be out of step)."""


class GtpGarbage(GtpClientError):
    """An answer that is not GTP ('=' or '?', the command's id, ..., a blank line); the
    engine is killed (its output would be out of step)."""


class EngineStartError(GtpClientError):
    """The engine's program could not be started at all (not found, not executable)."""


_RESPONSE = re.compile(r"^([=?])(\d*)(?:\s+(.*))?$")


class GtpClient:
    """One GTP engine in a subprocess. send() writes "ID command" and reads the answer up to
    the blank line that ends it, checking the id; stderr is drained and its last lines are
    kept for error messages. Never raises anything but GtpClientError subclasses."""

    def __init__(self, argv, name: str = "engine", timeout: float = 120.0, cwd: str | None = None):
        self.argv = [str(x) for x in argv]
        self.name = name
        self.timeout = timeout
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                         errors="replace", bufsize=1, cwd=cwd)
        except OSError as exc:
            raise EngineStartError(f"{name}: cannot start {self.argv[0]!r}: {exc}") from None
        self.alive = True
        self._id = 0
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        threading.Thread(target=self._pump, args=(self.proc.stdout, self._lines.put, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self._stderr.append, False),
                         daemon=True).start()

    @staticmethod
    def _pump(stream, put, mark_end: bool) -> None:
        try:
            for line in stream:
                put(line)
        except (OSError, ValueError):
            pass
        finally:
            if mark_end:  # stdout: None marks the end of the engine's output
                put(None)

    def stderr_tail(self, lines: int = 5) -> str:
        tail = [s.rstrip() for s in list(self._stderr)[-lines:] if s.strip()]
        return (" | stderr: " + " / ".join(tail)) if tail else ""

    def send(self, command: str, timeout: float | None = None) -> str:
        """The answer's text (without '= '); raises GtpRefused on '?', GtpDied, GtpTimeout,
        GtpGarbage."""
        if not self.alive:
            raise GtpDied(f"{self.name} is not running")
        self._id += 1
        ident = self._id
        try:
            self.proc.stdin.write(f"{ident} {command}\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            self._raise_died(f"{self.name} closed its input before {command!r}")
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        head: re.Match | None = None
        body: list[str] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise GtpTimeout(f"{self.name} gave no answer to {command!r} within "
                                 f"{self.timeout if timeout is None else timeout:g} s")
            try:
                line = self._lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if line is None:
                self._raise_died(f"{self.name} died during {command!r}")
            line = line.rstrip("\r\n").replace("\r", "")
            if head is None:
                if not line.strip():
                    continue  # stray blank lines between answers are harmless
                head = _RESPONSE.match(line)
                if head is None or (head.group(2) and int(head.group(2)) != ident):
                    self.kill()
                    raise GtpGarbage(f"{self.name} answered {line[:80]!r} to {command!r}")
                body.append(head.group(3) or "")
            elif not line.strip():
                break
            else:
                body.append(line)
        text = "\n".join(body).strip()
        if head.group(1) == "?":
            raise GtpRefused(text or "?")
        return text

    def _raise_died(self, what: str) -> None:
        self.alive = False
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        time.sleep(0.05)  # let the stderr pump catch the last words
        raise GtpDied(f"{what} (exit code {code}){self.stderr_tail()}")

    def kill(self) -> None:
        self.alive = False
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        """quit politely, then kill if need be."""
        if self.alive:
            try:
                self.send("quit", timeout=10)
            except GtpClientError:
                pass
        self.alive = False
        try:
            self.proc.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


# ---------------------------------------------------------------------------------------------
# player specs


@dataclass(frozen=True)
class EngineSpec:
    label: str               # name in tables, SGF PB/PW and JSON
    argv: tuple[str, ...]    # command line of the GTP engine


def gnugo_binary() -> str | None:
    found = shutil.which("gnugo")
    if found:
        return found
    return "/usr/games/gnugo" if os.access("/usr/games/gnugo", os.X_OK) else None


def gnugo_argv(level: int = 10, never_resign: bool = False) -> list[str]:
    """GNU Go with the arena's rules: area scoring, dead stones captured before passing, and
    positional superko (GNU Go's default is simple ko; ours is positional superko)."""
    binary = gnugo_binary()
    if binary is None:
        raise ValueError("GNU Go not found (install it: apt-get install gnugo)")
    argv = [binary, "--mode", "gtp", "--chinese-rules", "--capture-all-dead", "--positional-superko",
            "--level", str(level)]
    return argv + (["--never-resign"] if never_resign else [])


def ours_argv(size: int, komi: float, sims: int, checkpoint: str | None = None, evaluator: str = "rollout",
              resign: bool = True, threads: int = 1, root_noise: float = 0.0) -> list[str]:
    argv = [sys.executable, "-m", "alphago.cli", "gtp", "--sims", str(sims), "--threads", str(threads),
            "--size", str(size), "--komi", str(komi)]
    argv += ["--checkpoint", checkpoint] if checkpoint else ["--evaluator", evaluator]
    if not 0.0 <= root_noise <= 1.0:
        raise ValueError(f"root noise must be a fraction in [0, 1], got {root_noise:g}")
    argv += ["--root-noise", f"{root_noise:g}"] if root_noise > 0 else []
    return argv + ([] if resign else ["--no-resign"])


def _split_sims(s: str) -> tuple[str, int | None]:
    """"X@SIMS" -> ("X", SIMS); anything else -> (s, None)."""
    base, at, tail = s.rpartition("@")
    return (base, int(tail)) if at and tail.isdigit() and base else (s, None)


def spec_checkpoint(spec: str) -> Path | None:
    """The checkpoint file a player spec names, or None (rollout, gnugo, gtp:, not a file)."""
    s = spec.strip()
    if s.startswith("gtp:") or s == "gnugo" or s.startswith("gnugo:"):
        return None
    base, _ = _split_sims(s)
    return Path(base) if base not in ("rollout", "uniform") and Path(base).is_file() else None


def match_board(specs: list[str], size: int | None = None, komi: float | None = None) -> tuple[int, float]:
    """(board size, komi) for a match between these player specs: a checkpoint's net fixes the
    size (a `size` that contradicts it, or two checkpoints for different sizes, is a ValueError
    naming both) and gives the komi of its training rules when `komi` is None; without
    checkpoints 9x9 and komi 7.5."""
    paths = [p for p in map(spec_checkpoint, specs) if p is not None]
    if not paths:
        return size or 9, 7.5 if komi is None else komi
    from ..net.io import read_checkpoint  # torch: only when there is a net
    from .player import checkpoint_board
    metas = [(p, read_checkpoint(p)["meta"]) for p in paths]
    sizes = {int(m["board_size"]) for _, m in metas}
    if len(sizes) > 1:
        nets = " and ".join(f"{p} is a {m['board_size']}x{m['board_size']} net" for p, m in metas)
        raise ValueError(f"the checkpoints are for different board sizes ({nets}): they cannot play each other")
    return checkpoint_board(metas[0][1], size, komi, name=str(metas[0][0]))


def parse_spec(spec: str, size: int, komi: float, sims: int = 200, resign: bool = True,
               threads: int = 1, root_noise: float = 0.0) -> EngineSpec:
    """A player spec (see the module doc) -> label and command line. ValueError if bad.
    root_noise: passed to our checkpoints (--root-noise), not to rollout/uniform players (their
    random rollouts and tie-breaks already follow the seed) nor to other engines."""
    s = spec.strip()
    if s.startswith("gtp:"):
        argv = shlex.split(s[4:])
        if not argv:
            raise ValueError(f"{spec!r}: gtp: needs a command")
        label = " ".join([os.path.basename(argv[0])] + argv[1:])
        if len(label) > 40:  # keep the program and the end of its options (often the level)
            label = f"{os.path.basename(argv[0])} ...{' '.join(argv[1:])[-28:]}"
        return EngineSpec(label, tuple(argv))
    if s == "gnugo" or s.startswith("gnugo:"):
        level = s.partition(":")[2] or "10"
        if not level.isdigit():
            raise ValueError(f"{spec!r}: the GNU Go level must be a number (gnugo:1 .. gnugo:10)")
        return EngineSpec(f"gnugo:{int(level)}", tuple(gnugo_argv(int(level))))
    s, at_sims = _split_sims(s)
    sims = sims if at_sims is None else at_sims
    if sims < 1:
        raise ValueError(f"{spec!r}: simulations must be positive")
    if s in ("rollout", "uniform"):
        return EngineSpec(f"{s}@{sims}", tuple(ours_argv(size, komi, sims, evaluator=s, resign=resign,
                                                          threads=threads)))
    path = Path(s)
    if not path.is_file():
        raise ValueError(f"{spec!r} is not a checkpoint file, nor rollout[@SIMS], uniform[@SIMS], "
                         f"gnugo[:LEVEL] or gtp:COMMAND")
    return EngineSpec(f"{path.stem}@{sims}", tuple(ours_argv(size, komi, sims, checkpoint=str(path),
                                                              resign=resign, threads=threads,
                                                              root_noise=root_noise)))


# ---------------------------------------------------------------------------------------------
# games


class ArenaError(RuntimeError):
    """The match cannot be played (an engine that never starts, or refuses the board size)."""


@dataclass
class GameRecord:
    """One finished game. winner: 1 black, -1 white, 0 draw. reason: "passes" or
    "move-cap" (counted), "resign", or a forfeit: "illegal", "refused", "died", "timeout",
    "gtp-error", "protocol". score: our Tromp-Taylor count (black - white - komi) of counted
    games, else None. engine_scores / dead_stones: each engine's final_score and
    final_status_list dead at the end of counted games (where the engine answers). seeds:
    the set_random_seed value each engine (by label) was sent, empty without randomize."""
    index: int
    black: str
    white: str
    a_color: int
    winner: int
    reason: str
    result: str
    score: float | None
    moves: list[str]
    detail: str = ""
    move_cap: int | None = None
    opening: int = 0  # moves of the arena's random opening at the start of `moves`
    seeds: dict[str, int] = field(default_factory=dict)
    engine_scores: dict[str, str] = field(default_factory=dict)
    dead_stones: dict[str, list[str]] = field(default_factory=dict)
    sgf: str | None = None
    seconds: float = 0.0

    @property
    def winner_label(self) -> str | None:
        return {1: self.black, -1: self.white}.get(self.winner)

    @property
    def a_score(self) -> float:
        """A's points: 1 win, 1/2 draw, 0 loss."""
        return 0.5 if self.winner == 0 else float(self.winner == self.a_color)


def parse_score(text: str) -> float | None:
    """GTP final_score ("B+3.5", "W+7", "0") -> black - white; None if unreadable."""
    t = text.strip().upper()
    if t in ("0", "DRAW", "JIGO", "B+0", "W+0"):
        return 0.0
    m = re.match(r"^([BW])\+(\d+(?:\.\d*)?)$", t)
    if not m:
        return None
    v = float(m.group(2))
    return v if m.group(1) == "B" else -v


_FORFEIT = {GtpDied: "died", GtpTimeout: "timeout", GtpGarbage: "protocol", GtpRefused: "gtp-error"}


def _forfeit_reason(exc: GtpClientError) -> str:
    for cls, reason in _FORFEIT.items():
        if isinstance(exc, cls):
            return reason
    return "gtp-error"


class _Forfeit(Exception):
    def __init__(self, loser: int, reason: str, detail: str):
        super().__init__(detail)
        self.loser, self.reason, self.detail = loser, reason, detail


def play_game(index: int, black: GtpClient, white: GtpClient, black_label: str, white_label: str,
              size: int, komi: float, a_color: int = 1, move_cap: int | None = None,
              move_timeout: float = 120.0, sgf_dir: str | Path | None = None,
              query_scores: bool = True, opening: list[int] | None = None,
              seeds: dict[int, int] | None = None) -> GameRecord:
    """Referee one game between two set-up engines (boardsize/komi/clear_board are sent here).
    opening: moves (actions) the arena plays for both sides first, sent to both engines with
    `play`. seeds: colour (1 black, -1 white) -> value sent with set_random_seed after
    clear_board; an engine that refuses that command ("?") plays on unseeded. Raises
    GtpRefused only if an engine refuses the board size or komi (a match-level problem)."""
    t0 = time.perf_counter()
    n = size
    rules = arena_rules(n, komi, move_cap)
    state = GoState(n, rules)
    clients = {1: black, -1: white}
    letters = {1: "b", -1: "w"}
    moves: list[str] = []
    winner, reason, detail, score = 0, "", "", None
    try:
        for color in (1, -1):
            c = clients[color]
            try:
                c.send(f"boardsize {n}")
                c.send("clear_board")
                c.send(f"komi {komi:g}")
            except GtpRefused:
                raise
            except GtpClientError as exc:
                raise _Forfeit(color, _forfeit_reason(exc), f"set-up: {exc}") from None
            if seeds is not None:
                try:
                    c.send(f"set_random_seed {seeds[color]}")
                except GtpRefused:
                    pass  # an engine without set_random_seed keeps its own randomness
                except GtpClientError as exc:
                    raise _Forfeit(color, _forfeit_reason(exc), f"set-up: {exc}") from None
        for a in opening or ():
            color = state.to_play
            state.play(a, color)
            vertex = to_gtp(a, n)
            moves.append(vertex)
            for who in (1, -1):
                try:
                    clients[who].send(f"play {letters[color]} {vertex}", timeout=move_timeout)
                except GtpClientError as exc:
                    why = "refused" if isinstance(exc, GtpRefused) else _forfeit_reason(exc)
                    raise _Forfeit(who, why, f"opening move {len(moves)} {vertex}: {exc}") from None
        while not state.is_over:
            color = state.to_play
            me, other = clients[color], clients[-color]
            try:
                answer = me.send(f"genmove {letters[color]}", timeout=move_timeout)
            except GtpClientError as exc:
                raise _Forfeit(color, _forfeit_reason(exc), f"genmove {letters[color]}: {exc}") from None
            words = answer.split()
            if len(words) == 1 and words[0].lower() == "resign":
                raise _Forfeit(color, "resign", "")
            try:
                if len(words) != 1:
                    raise CoordinateError(answer)
                a = from_gtp(words[0], n)
                state.play(a, color)
            except (CoordinateError, IllegalMoveError) as exc:
                what = str(exc) if isinstance(exc, IllegalMoveError) else f"{answer[:40]!r} is not a move"
                raise _Forfeit(color, "illegal", f"move {len(moves) + 1}: {what}") from None
            vertex = to_gtp(a, n)
            moves.append(vertex)
            try:
                other.send(f"play {letters[color]} {vertex}", timeout=move_timeout)
            except GtpRefused as exc:
                raise _Forfeit(-color, "refused", f"refused legal move {len(moves)} "
                                                  f"{letters[color].upper()} {vertex}: {exc}") from None
            except GtpClientError as exc:
                raise _Forfeit(-color, _forfeit_reason(exc), f"play {vertex}: {exc}") from None
        score = state.score()
        winner = int((score > 0) - (score < 0))
        reason = "passes" if state.consecutive_passes >= 2 else "move-cap"
        result = state.result_string()
    except _Forfeit as f:
        winner, reason, detail = -f.loser, f.reason, f.detail
        result = f"{'B' if winner == 1 else 'W'}+{'R' if reason == 'resign' else ('T' if reason == 'timeout' else 'F')}"
    rec = GameRecord(index, black_label, white_label, a_color, winner, reason, result, score, moves, detail,
                     move_cap=rules.move_cap(n), opening=len(opening or ()),
                     seeds={} if seeds is None else {black_label: seeds[1], white_label: seeds[-1]})
    if score is not None and query_scores:
        for color, label in ((1, black_label), (-1, white_label)):
            c = clients[color]
            if not c.alive:
                continue
            try:
                rec.engine_scores[label] = c.send("final_score", timeout=move_timeout)
                dead = c.send("final_status_list dead", timeout=move_timeout)
                rec.dead_stones[label] = dead.split()
            except GtpRefused:
                pass  # our engine has no final_status_list; that is fine
            except GtpClientError:
                pass
    rec.seconds = time.perf_counter() - t0
    if sgf_dir is not None:
        rec.sgf = str(write_sgf(rec, state, komi, Path(sgf_dir)))
    return rec


def arena_rules(size: int, komi: float, move_cap: int | None = None) -> Rules:
    """The referee's rules. Every GoState in the arena uses exactly these, so the process uses
    one numba game-record layout per board size: the move cap sets the size of the superko
    table in the record, numba names a record type by a process-local counter, and kernels for
    two layouts that were compiled and cached by different processes can then share a symbol
    name and crash when both are loaded into one process (numba issue #10486)."""
    return Rules(komi=komi, max_moves=move_cap if move_cap is not None else 4 * size * size)


def game_seeds(match_seed: int, index: int) -> tuple[int, int]:
    """(A's seed, B's seed) for game `index` of a match: from (match seed, game index) only, so
    a game can be replayed alone; below 2**31, as GNU Go reads the seed as a C int."""
    a, b = np.random.SeedSequence([match_seed, index]).generate_state(2, np.uint32) >> 1
    return int(a), int(b)


def random_opening(size: int, komi: float, moves: int, seed, move_cap: int | None = None) -> list[int]:
    """`moves` random legal points (never a pass) from the empty board; the same seed gives the
    same opening."""
    rng = np.random.default_rng(seed)
    state = GoState(size, arena_rules(size, komi, move_cap))
    out: list[int] = []
    for _ in range(moves):
        legal = [a for a in state.legal_actions() if a != size * size]
        if not legal:
            break
        a = int(rng.choice(legal))
        state.play(a)
        out.append(a)
    return out


def replay_moves(moves: list[str], size: int, komi: float, move_cap: int | None = None) -> GoState:
    """The game's position after the GTP moves, under the arena's rules (raises if illegal)."""
    state = GoState(size, arena_rules(size, komi, move_cap))
    for v in moves:
        state.play(v)
    return state


def count_without(state: GoState, dead: list[str], komi: float) -> float:
    """Tromp-Taylor count (black - white - komi) of the board with the `dead` vertices emptied:
    what an engine that removes dead stones before counting area should report."""
    board = state.board.copy()
    for v in dead:
        a = from_gtp(v, state.n)
        if a < state.n * state.n:
            board[a // state.n, a % state.n] = 0
    s = GoState(state.n, state.rules)  # the same rules, hence the same kernels (see replay_moves)
    s.set_position(board)
    return s.score()


def reconcile(rec: GameRecord, size: int, komi: float) -> dict[str, str]:
    """For each engine's final_score of a counted game: "agrees" (same count as ours),
    "agrees after removing K dead stones" (its final_status_list dead explains the gap),
    "same winner" or "differs"."""
    out: dict[str, str] = {}
    if rec.score is None:
        return out
    state = None
    for label, text in rec.engine_scores.items():
        theirs = parse_score(text)
        if theirs is None:
            out[label] = f"unreadable final_score {text!r}"
        elif abs(theirs - rec.score) < 1e-6:
            out[label] = "agrees"
        else:
            state = state or replay_moves(rec.moves, size, komi, move_cap=rec.move_cap)
            dead = rec.dead_stones.get(label, [])
            if dead and abs(count_without(state, dead, komi) - theirs) < 1e-6:
                out[label] = f"agrees after removing {len(dead)} dead stones"
            elif (theirs > 0) == (rec.score > 0) and theirs != 0 and rec.score != 0:
                out[label] = "same winner"
            else:
                out[label] = "differs"
    return out


def write_sgf(rec: GameRecord, state: GoState, komi: float, sgf_dir: Path) -> Path:
    sgf_dir.mkdir(parents=True, exist_ok=True)
    comment = f"alphago arena game {rec.index}: {rec.reason}"
    if rec.opening:
        comment += f"; the first {rec.opening} moves were a random opening chosen by the arena"
    for label, seed in rec.seeds.items():
        comment += f"; {label} set_random_seed {seed}"
    if rec.detail:
        comment += f"; {rec.detail}"
    if rec.score is not None:
        comment += f"; Tromp-Taylor count {state.result_string()}"
    for label, s in rec.engine_scores.items():
        comment += f"; {label} final_score {s}"
    game = SgfGame(state.n, komi, list(state.actions), list(state.colors), rec.result,
                   players=(rec.black, rec.white), properties={"C": comment})
    path = sgf_dir / f"game_{rec.index:04d}.sgf"
    tmp = path.with_suffix(".sgf.tmp")
    tmp.write_bytes(to_sgf(game))
    tmp.replace(path)
    return path


# ---------------------------------------------------------------------------------------------
# matches


@dataclass
class MatchResult:
    a: str
    b: str
    size: int
    komi: float
    games: list[GameRecord]
    seconds: float = 0.0

    def counts(self) -> dict:
        """A's wins / draws / losses as black, as white and in total; endings by reason."""
        out = {}
        for key, col in (("a_black", 1), ("a_white", -1), ("total", 0)):
            gs = [g for g in self.games if col == 0 or g.a_color == col]
            out[key] = {"games": len(gs), "a_wins": sum(g.a_score == 1.0 for g in gs),
                        "draws": sum(g.a_score == 0.5 for g in gs), "b_wins": sum(g.a_score == 0.0 for g in gs)}
        out["endings"] = dict(collections.Counter(g.reason for g in self.games))
        out["distinct_games"] = self.distinct_games()
        out["black_wins"] = sum(g.winner == 1 for g in self.games)
        out["white_wins"] = sum(g.winner == -1 for g in self.games)
        return out

    def distinct_games(self) -> int:
        """How many games differ: distinct full move sequences (random openings included).
        Repeats of one game add no evidence; issue 9."""
        return len({tuple(g.moves) for g in self.games})

    def elo(self) -> MatchElo | None:
        t = self.counts()["total"]
        return match_elo(t["a_wins"], t["draws"], t["b_wins"]) if t["games"] else None

    def table(self) -> str:
        c = self.counts()
        rows = [("", "A black", "A white", "total")]
        for name, key in ((f"A wins ({self.a})", "a_wins"), (f"B wins ({self.b})", "b_wins"), ("draws", "draws")):
            rows.append((name,) + tuple(f"{c[k][key]}/{c[k]['games']}" for k in ("a_black", "a_white", "total")))
        w0 = max(len(r[0]) for r in rows)
        lines = [(f"A = {self.a}, B = {self.b}: {len(self.games)} games on {self.size}x{self.size}, "
                  f"komi {self.komi:g}, Tromp-Taylor area scoring, positional superko")]
        lines += [f"{r[0]:<{w0}}  " + "  ".join(f"{x:>8}" for x in r[1:]) for r in rows]
        lines.append(f"black won {c['black_wins']}, white won {c['white_wins']}; endings: "
                     + ", ".join(f"{k} {v}" for k, v in sorted(c["endings"].items())))
        lines.append(f"distinct games: {c['distinct_games']} of {len(self.games)} (different move sequences)")
        e = self.elo()
        if e is not None:
            lines.append(f"Elo(A - B) = {e.describe()}; score {e.score:.3f}")
        verdicts: dict[str, collections.Counter] = {}
        for g in self.games:
            for label, v in reconcile(g, self.size, self.komi).items():
                verdicts.setdefault(label, collections.Counter())[v] += 1
        for label, cnt in verdicts.items():
            if label in (self.a, self.b):
                lines.append(f"{label}'s own final_score vs our count: "
                             + ", ".join(f"{v} {k}" for k, v in sorted(cnt.items())))
        forfeits = [g for g in self.games if g.reason not in ("passes", "move-cap", "resign")]
        for g in forfeits:
            loser = g.white if g.winner == 1 else g.black
            lines.append(f"  game {g.index}: {loser} lost by {g.reason}: {g.detail}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        e = self.elo()
        return {"a": self.a, "b": self.b, "size": self.size, "komi": self.komi, "seconds": self.seconds,
                "distinct_games": self.distinct_games(), "counts": self.counts(), "elo": asdict(e) if e else None,
                "games": [{**asdict(g), "engine_score_check": reconcile(g, self.size, self.komi)}
                          for g in self.games]}


def run_match(a: EngineSpec, b: EngineSpec, games: int, size: int, komi: float, parallel: int | None = None,
              sgf_dir: str | Path | None = None, move_cap: int | None = None, move_timeout: float = 120.0,
              on_game=None, opening_moves: int = 0, seed: int = 0, randomize: bool = True) -> MatchResult:
    """Play `games` games, A black in the even ones. on_game(record) is called as each ends.
    opening_moves: start every game with that many random legal moves (played by the arena for
    both sides), the same opening for games 2k and 2k+1 so each opening is played once with
    each colour; this makes deterministic engines (ours, at a fixed seed) play different games.
    randomize: send each engine `set_random_seed` with the game's seed (game_seeds(seed, i))
    after clear_board; False leaves every engine at its own seed.
    Raises ArenaError (after stopping every engine) if a player cannot start, refuses the
    board, or fails its very first set-up."""
    if games < 1:
        raise ValueError("games must be at least 1")
    la, lb = (a.label, b.label) if a.label != b.label else (f"{a.label} (A)", f"{b.label} (B)")
    specs = {"A": (a, la), "B": (b, lb)}
    parallel = max(1, min(games, parallel or os.cpu_count() or 1))
    todo: queue.Queue[int] = queue.Queue()
    for i in range(games):
        todo.put(i)
    results: list[GameRecord] = []
    lock = threading.Lock()
    clients: list[GtpClient] = []
    ever_ok: set[str] = set()
    fatal: list[BaseException] = []
    t0 = time.perf_counter()

    def start(key: str) -> GtpClient:
        spec, label = specs[key]
        c = GtpClient(spec.argv, name=label, timeout=max(move_timeout, 120.0))
        with lock:
            clients.append(c)
        return c

    def worker() -> None:
        seat: dict[str, GtpClient | None] = {"A": None, "B": None}
        try:
            while not fatal:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                for key, client in list(seat.items()):
                    if client is None or not client.alive:
                        seat[key] = start(key)
                a_black = i % 2 == 0
                bk, wk = ("A", "B") if a_black else ("B", "A")
                seed_a, seed_b = game_seeds(seed, i)
                seeds = {1: seed_a, -1: seed_b} if a_black else {1: seed_b, -1: seed_a}
                try:
                    rec = play_game(i, seat[bk], seat[wk], specs[bk][1], specs[wk][1], size, komi,
                                    a_color=1 if a_black else -1, move_cap=move_cap,
                                    move_timeout=move_timeout, sgf_dir=sgf_dir,
                                    opening=random_opening(size, komi, opening_moves, (seed, i // 2), move_cap),
                                    seeds=seeds if randomize else None)
                except GtpRefused as exc:
                    raise ArenaError(f"an engine refused the game settings ({size}x{size}, komi {komi:g}): "
                                     f"{exc}") from None
                if rec.reason in ("died", "timeout", "protocol") and rec.detail.startswith("set-up"):
                    loser = wk if rec.winner == 1 else bk
                    if specs[loser][1] not in ever_ok:
                        raise ArenaError(f"{specs[loser][1]} failed to start: {rec.detail}")
                with lock:
                    if not rec.detail.startswith("set-up"):
                        ever_ok.update((specs["A"][1], specs["B"][1]))
                    results.append(rec)
                if on_game is not None:
                    on_game(rec)
        except BaseException as exc:  # noqa: BLE001 - any failure: stop everybody: kill the engines so running games end fast
            with lock:
                fatal.append(exc)
                for c in clients:
                    c.kill()
        finally:
            for c in seat.values():
                if c is not None:
                    c.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if fatal:
        raise fatal[0]
    results.sort(key=lambda g: g.index)
    return MatchResult(la, lb, size, komi, results, time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# command line


def progress_line(rec: GameRecord) -> str:
    s = f"game {rec.index}: {rec.black} (B) vs {rec.white} (W): {rec.result} by {rec.reason}, " \
        f"{len(rec.moves)} moves, {rec.seconds:.1f} s"
    for label, sc in rec.engine_scores.items():
        s += f"; {label} counts {sc}"
    return s


def main(args: argparse.Namespace) -> int:
    try:
        size, komi = match_board([args.a, args.b], args.size, args.komi)
        noise = args.root_noise if args.randomize else 0.0
        a = parse_spec(args.a, size, komi, args.sims, resign=not args.no_resign, root_noise=noise)
        b = parse_spec(args.b, size, komi, args.sims, resign=not args.no_resign, root_noise=noise)
        result = run_match(a, b, args.games, size, komi, parallel=args.parallel or None,
                           sgf_dir=args.sgf_dir, move_cap=args.move_cap or None, move_timeout=args.move_timeout,
                           on_game=lambda r: print(progress_line(r), flush=True),
                           opening_moves=args.opening_moves, seed=args.seed, randomize=args.randomize)
    except (ValueError, ArenaError, EngineStartError) as exc:
        raise SystemExit(f"alphago arena: {exc}")
    print(result.table())
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=1))
    return 0
