"""The referee of one game between two GTP engines: it keeps the authoritative GoState, checks
every move, forfeits a misbehaving engine, counts the board, reconciles the engines' own counts
and writes the SGF (rules in play/arena.py's docstring)."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..go import GoState, IllegalMoveError, Rules
from ..go.coords import CoordinateError, from_gtp, to_gtp
from ..go.rules import move_cap_for
from ..go.sgf import SgfGame, to_sgf
from .gtp_client import GtpClient, GtpClientError, GtpDied, GtpGarbage, GtpRefused, GtpTimeout


class ArenaError(RuntimeError):
    """The match cannot be played (an engine that never starts, or refuses the board size)."""


@dataclass
class RefereeGame:
    """One finished refereed game (the arena's; data/records.py's GameRecord is a self-play game
    with its search outputs). winner: 1 black, -1 white, 0 draw. reason: "passes" or
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
              seeds: dict[int, int] | None = None) -> RefereeGame:
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
    rec = RefereeGame(index, black_label, white_label, a_color, winner, reason, result, score, moves, detail,
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
                pass  # an engine without final_status_list: its score alone is recorded
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
    name and crash when both are loaded into one process (https://github.com/numba/numba/issues/10486)."""
    return Rules(komi=komi, max_moves=move_cap if move_cap is not None else move_cap_for("referee", size))


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


def reconcile(rec: RefereeGame, size: int, komi: float) -> dict[str, str]:
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


def write_sgf(rec: RefereeGame, state: GoState, komi: float, sgf_dir: Path) -> Path:
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
