"""One browser game of `alphago serve`: the server's copy of the game, and what the page is shown.

The page only sends intents (protocol.py); this object decides what they do, with the engine's
rules (go/state.py), so no page can put a game into a position the rules refuse. It knows nothing
of sockets: searches are plain blocking calls that server.py runs off the event loop, one at a
time per session. Reviewing (goto, a loaded SGF) keeps the whole game and moves a cursor; playing
or resuming from a viewed position drops the moves after it.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ...go import BLACK, GoState, IllegalMoveError, Rules
from ...go.coords import CoordinateError, from_gtp, to_gtp
from ...go.rules import DEFAULT_KOMI, move_cap_for
from ...go.sgf import SgfGame, from_sgf, to_sgf
from ...go.state import DEFAULT_HISTORY
from ..gtp import GtpError, free_handicap_points
from ..player import Decision, SearchPlayer
from ..terminal import area_counts
from .analysis import Analysis, Evaluation, analysis_of, search_steps
from .protocol import Limits, NewGame

COLORS = {BLACK: "black", -BLACK: "white"}


class SessionError(ValueError):
    """An intent the game refuses (illegal move, not your turn, ...): the page shows the message."""


@dataclass(frozen=True)
class Engine:
    """A net the page can play against (checkpoint None: random-rollout search, no net)."""
    name: str
    checkpoint: str | None
    size: int
    komi: float       # the komi the net was trained with: the page's default
    ownership: bool   # the net has an ownership head (the page shades the board)
    score: bool       # the net has a score head (the page shows score leads)


def load_engines(checkpoints: list[str], size: int = 9) -> list[Engine]:
    """Engines for the checkpoints given, read with the safe loader (net/io.py) only for their
    metadata; none: one rollout engine on a `size` board. Names are the files' stems, made unique."""
    if not checkpoints:
        return [Engine("rollout", None, size, DEFAULT_KOMI, False, False)]
    from ...net.io import read_meta
    from ..player import checkpoint_board
    engines: list[Engine] = []
    for path in checkpoints:
        meta = read_meta(path)
        n, komi = checkpoint_board(meta, name=path)
        net = meta.net
        name, k = Path(path).stem, 2
        while any(e.name == name for e in engines):
            name, k = f"{Path(path).stem}-{k}", k + 1
        engines.append(Engine(name, str(path), n, komi, bool(net.get("ownership_head")), bool(net.get("score_head"))))
    return engines


@dataclass(frozen=True)
class Settings:
    """One game's settings, checked (GameSession.new_game)."""
    engine: Engine
    human: int                # 1 black, -1 white
    komi: float
    handicap: int             # black stones set up before White's first move (0: none)
    sims: int                 # simulations per move (the bound, under a time limit)
    seconds: float | None     # time per move, or None to play by simulations


class GameSession:
    def __init__(self, engines: list[Engine], limits: Limits = Limits(), default_sims: int = 200):
        if not engines:
            raise ValueError("a session needs at least one engine")
        self.engines = {e.name: e for e in engines}
        self.limits = limits
        self.default_sims = min(default_sims, limits.max_sims)
        self._players: dict[str, SearchPlayer] = {}
        self._lock = threading.Lock()  # a search thread plays while the loop may take a snapshot
        self.new_game(NewGame())

    # ------------------------------------------------------------------ settings and players
    def player(self, engine: Engine) -> SearchPlayer:
        """This session's player for `engine`, built once: a player is not shared between sessions,
        because a search changes its settings (sims) while it runs."""
        if engine.name not in self._players:
            self._players[engine.name] = SearchPlayer(engine.checkpoint, sims=self.default_sims,
                                                      board_size=engine.size, threads=1)
        return self._players[engine.name]

    def new_game(self, req: NewGame) -> None:
        name = req.engine or next(iter(self.engines))
        if name not in self.engines:
            raise SessionError(f"no engine named {name!r} (have: {', '.join(self.engines)})")
        engine = self.engines[name]
        if req.handicap == 1:
            raise SessionError("handicap is 0 (none) or 2 stones or more")
        sims = self.default_sims if req.sims is None else req.sims
        if req.seconds is not None:
            sims = self.limits.max_sims  # the clock decides; the bound stays
        settings = Settings(engine, BLACK if req.color == "black" else -BLACK,
                            engine.komi if req.komi is None else req.komi, req.handicap, sims, req.seconds)
        player = self.player(engine)
        history = max(DEFAULT_HISTORY, player.features.history)
        rules = Rules(komi=settings.komi, max_moves=move_cap_for("default", engine.size))
        state = GoState(engine.size, rules, history=history)
        if settings.handicap:
            try:
                points = free_handicap_points(engine.size, settings.handicap)
            except GtpError as exc:
                raise SessionError(f"{settings.handicap} handicap stones on {engine.size}x{engine.size}: {exc}") from None
            stones = np.zeros((engine.size, engine.size), np.int8)
            for a in points:
                stones[a // engine.size, a % engine.size] = BLACK
            state.set_position(stones, to_play=-BLACK)
        with self._lock:
            self.settings, self.state = settings, state
            self.cursor = 0          # the position shown: moves played before it
            self.reviewing = False   # True: the engine waits (a loaded game, or a past position)
            self.resigned = ""       # "B+R" / "W+R"
            self.evaluations: dict[int, Evaluation] = {}  # position -> the last search's view of it

    # ------------------------------------------------------------------ facts
    @property
    def n(self) -> int:
        return self.state.n

    def view(self) -> GoState:
        """The position at the cursor (the whole game when not reviewing)."""
        if self.cursor == len(self.state.actions):
            return self.state
        v = self.state.copy()
        v.replay(self.state.actions[: self.cursor], self.state.colors[: self.cursor])
        return v

    @property
    def over(self) -> bool:
        return bool(self.resigned) or self.state.is_over

    @property
    def result(self) -> str:
        if self.resigned:
            return self.resigned
        return self.state.result_string() if self.state.is_over else ""

    def engine_to_move(self) -> bool:
        return (not self.over and not self.reviewing and self.cursor == len(self.state.actions)
                and self.state.to_play == -self.settings.human)

    # ------------------------------------------------------------------ the human's intents
    def _truncate(self) -> None:
        """Drop the moves after the cursor and leave review: play goes on from what is shown."""
        if self.cursor < len(self.state.actions):
            self.state.replay(self.state.actions[: self.cursor], self.state.colors[: self.cursor])
            self.evaluations = {k: e for k, e in self.evaluations.items() if k <= self.cursor}
            self.resigned = ""
        self.reviewing = False

    def play(self, vertex: str) -> None:
        try:
            a = from_gtp(vertex, self.n)
        except CoordinateError as exc:
            raise SessionError(str(exc)) from None
        view = self.view()
        if self.over and self.cursor == len(self.state.actions):
            raise SessionError(f"the game is over ({self.result}): start a new one, undo, or go back")
        if view.is_over:  # a past position after two passes: nothing to play there
            raise SessionError("the game had ended at this position")
        if view.to_play != self.settings.human:
            hint = ": press 'play from here' to let it" if self.reviewing else ""
            raise SessionError(f"{COLORS[view.to_play]} ({self.settings.engine.name}) is to move here{hint}")
        if not view.is_legal(a):
            raise SessionError(f"illegal move {to_gtp(a, self.n)}: {_reason(view, a)}")
        with self._lock:
            self._truncate()
            self.state.play(a)
            self.cursor = len(self.state.actions)

    def resign(self) -> None:
        if self.over:
            raise SessionError("the game is already over")
        with self._lock:
            self._truncate()
            self.resigned = f"{'W' if self.settings.human == BLACK else 'B'}+R"

    def undo(self) -> None:
        """Take back the human's last move (and the engine's reply after it), as the terminal does."""
        human = self.settings.human
        colors = self.state.colors[: self.cursor]
        if human not in colors:
            raise SessionError("nothing of yours to undo")
        keep = len(colors) - 1 - colors[::-1].index(human)
        with self._lock:
            self.cursor = keep
            self._truncate()
            self.cursor = len(self.state.actions)

    def goto(self, position: int) -> None:
        if not 0 <= position <= len(self.state.actions):
            raise SessionError(f"no position {position}: the game has {len(self.state.actions)} moves")
        with self._lock:
            self.cursor = position
            self.reviewing = True

    def resume(self) -> None:
        with self._lock:
            self._truncate()
            self.cursor = len(self.state.actions)

    # ------------------------------------------------------------------ searches (blocking)
    def search(self, report: Callable[[Analysis], None], stop: threading.Event, for_move: bool) -> Decision | None:
        """Search the shown position in steps (search_steps), reporting each. for_move: the engine's
        move, played (or its resignation) when the last step ends; else analysis only, cut short
        (within a simulation) when `stop` is set. Records the position's evaluation. None when stopped before any step."""
        s = self.settings
        if for_move and not self.engine_to_move():
            raise SessionError("it is not the engine's move")
        player = self.player(s.engine)
        view, position = self.view().copy(), self.cursor
        d = None
        steps = search_steps(s.sims, s.seconds)
        for i, (sims, seconds) in enumerate(steps):
            if stop.is_set() and not for_move:
                break
            last = i == len(steps) - 1
            player.set_sims(sims)
            # an analysis ends as soon as `stop` is set; the engine's move runs to its bound
            d = player.decide(view, seconds=seconds, allow_resign=for_move and last,
                              stop=None if for_move else stop)
            a = analysis_of(player, view, d, position, final=last)
            with self._lock:
                self.evaluations[position] = a.evaluation
            report(a)
        if for_move and d is not None:
            with self._lock:
                if self.cursor != position or len(self.state.actions) != position:
                    return d  # the game changed meanwhile (server.py prevents it): play nothing
                if d.resign:
                    self.resigned = f"{'B' if s.human == BLACK else 'W'}+R"
                else:
                    self.state.play(d.action)
                    self.cursor = len(self.state.actions)
        return d

    # ------------------------------------------------------------------ SGF
    def sgf(self) -> tuple[str, bytes]:
        """(file name, SGF bytes): the whole game, each evaluated position's view in its comment."""
        with self._lock:  # the engine's move may land meanwhile (save is allowed while it thinks)
            s, st = self.settings, self.state
            names = ("You", s.engine.name) if s.human == BLACK else (s.engine.name, "You")
            comments = {k: e.comment(self.n) for k, e in self.evaluations.items() if k <= len(st.actions)}
            setup = st._setup[0] if st._setup is not None else None
            game = SgfGame(st.n, st.rules.komi, list(st.actions), list(st.colors), self.result, setup,
                           players=names, comments=comments)
        return f"alphago-{time.strftime('%Y%m%d-%H%M%S')}.sgf", to_sgf(game)

    def load_sgf(self, text: str) -> None:
        """Review a game: same board size as the engine; the moves must be legal under our rules."""
        try:
            game = from_sgf(text)
        except ValueError as exc:
            raise SessionError(str(exc)) from None
        engine = self.settings.engine
        if game.size != engine.size:
            raise SessionError(f"the SGF is {game.size}x{game.size}, {engine.name} plays {engine.size}x{engine.size}")
        history = max(DEFAULT_HISTORY, self.player(engine).features.history)
        cap = move_cap_for("default", game.size, at_least=len(game.actions) + 1)
        state = GoState(game.size, Rules(komi=game.komi, max_moves=cap), history=history)
        if game.setup is not None:
            state.set_position(game.setup, to_play=-BLACK if game.actions and game.colors[0] == -BLACK else BLACK)
        try:
            state.replay(game.actions, game.colors)
        except IllegalMoveError as exc:
            raise SessionError(f"the SGF's move {len(state.actions) + 1} is refused by our rules: {exc}") from None
        handicap = int((game.setup == BLACK).sum()) if game.setup is not None else 0
        with self._lock:
            self.settings = Settings(engine, self.settings.human, game.komi, handicap,
                                     self.settings.sims, self.settings.seconds)
            self.state, self.cursor, self.reviewing = state, 0, True
            self.resigned = game.result if game.result.upper().endswith("+R") else ""
            self.evaluations = {}

    # ------------------------------------------------------------------ what the page shows
    def snapshot(self) -> dict:
        """The whole game as the page draws it (JSON-ready; vertices in GTP coordinates)."""
        with self._lock:
            s, st, n = self.settings, self.state, self.n
            view = self.view()
            board = view.board.reshape(-1)  # action order
            stones = [{"vertex": to_gtp(int(a), n), "color": COLORS[int(board[a])]} for a in np.flatnonzero(board)]
            moves = [{"color": COLORS[c], "vertex": to_gtp(a, n)} for a, c in zip(st.actions, st.colors)]
            territory = None
            if self.over and st.is_over and self.cursor == len(st.actions) and not self.resigned:
                own = st.ownership()
                black, white = area_counts(st)
                territory = {"black": [to_gtp(int(a), n) for a in np.flatnonzero((own == 1) & (board == 0))],
                             "white": [to_gtp(int(a), n) for a in np.flatnonzero((own == -1) & (board == 0))],
                             "black_area": black, "white_area": white,
                             "why": "both passed" if st.consecutive_passes >= 2 else "move limit reached"}
            return {"type": "state", "engine": s.engine.name, "size": n, "komi": st.rules.komi,
                    "handicap": s.handicap, "human": COLORS[s.human], "sims": s.sims, "seconds": s.seconds,
                    "moves": moves, "cursor": self.cursor, "reviewing": self.reviewing,
                    "stones": stones, "to_play": COLORS[view.to_play],
                    "last": moves[self.cursor - 1]["vertex"] if self.cursor else None,
                    "over": self.over, "result": self.result, "territory": territory,
                    "evaluations": [e.as_json(k, n) for k, e in sorted(self.evaluations.items())],
                    "heads": {"ownership": s.engine.ownership, "score": s.engine.score}}


def _reason(state: GoState, a: int) -> str:
    try:
        state.copy().play(a)
    except IllegalMoveError as exc:
        return exc.reason
    return "refused"
