"""Python-facing Go API: GoBatch (B games as struct of arrays) and GoState (one game).

All work happens in the numba kernels of board.py / batch_ops.py; these classes hold
the arrays, validate input and raise clear errors. A refused move leaves the state
exactly as it was (moves are checked before anything is written).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import batch_ops as ops
from .board import BLACK, LEGAL, REASONS, WHITE, game_dtype, seen_capacity
from .coords import CoordinateError, from_gtp, to_gtp
from .rules import Rules
from .settled import settled_masks

DEFAULT_HISTORY = 8  # boards kept per game for history feature planes (AlphaGo Zero used 8)


class IllegalMoveError(ValueError):
    """A move the rules refuse. `reason` is one of board.REASONS; `code` its index."""

    def __init__(self, code: int, action: int, n: int, color: int, game: int | None = None):
        self.code = int(code)
        self.reason = REASONS[self.code]
        self.action = int(action)
        where = f" in game {game}" if game is not None else ""
        who = "black" if color == BLACK else "white"
        try:
            vertex = to_gtp(int(action), n)
        except CoordinateError:
            vertex = f"action {action}"
        super().__init__(f"illegal move {vertex} for {who}{where}: {self.reason}")


@lru_cache(maxsize=None)
def _const(n: int, rules: Rules) -> np.ndarray:
    k = rules.const(n)
    k.flags.writeable = False
    return k


def _entry(dispatcher, *args):
    """The compiled entry point of numba kernel `dispatcher` for these arguments' types. Calling it
    skips the dispatcher's type resolution, which costs about a microsecond per call on record
    arrays (no fast type fingerprint for structured dtypes): the per-move Python path pays it on
    every move (measured in the like-for-like benchmark, docs/benchmarks.md)."""
    import numba
    return dispatcher.compile(tuple(numba.typeof(a) for a in args))


class GoBatch:
    """B games of one board size, stepped together.

    Arrays in: actions int[B] (action index, or -1 = leave this game alone).
    Arrays out: legal_mask bool[B, A], scores float32[B], over bool[B], to_play int8[B]
    (1 = black, -1 = white), boards int8[B, N, N] (row 0 = bottom). A = N*N + 1.
    """

    def __init__(self, size: int, batch: int, rules: Rules | None = None,
                 history: int = DEFAULT_HISTORY):
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        if history < 0:
            raise ValueError(f"history must be >= 0, got {history}")
        self.n = size
        self.rules = rules or Rules()
        self.K = _const(size, self.rules)  # constants record for the kernels
        self.history = history
        cap = self.rules.move_cap(size)
        # games[b]: one record per game (board.game_dtype documents every field)
        self.games = np.zeros(batch, game_dtype(size, seen_capacity(cap), history))
        # per-game komi (float32[B]; starts at rules.komi): scores() and the komi input plane read
        # it, so one batch can hold games at several komis (selfplay.komi_spread). Random rollouts
        # (rollout_values) count with rules.komi.
        self.komi = np.full(batch, self.rules.komi, np.float32)
        self._legal = self._apply = None  # entry points of legal_actions / apply_moves, bound on first use
        self.reset()

    # --- shape facts
    @property
    def batch_size(self) -> int:
        return self.games.shape[0]

    @property
    def num_actions(self) -> int:
        return self.n * self.n + 1

    @property
    def pass_action(self) -> int:
        return self.n * self.n

    # --- views (read-only by convention)
    @property
    def over(self) -> np.ndarray:
        return self.games["over"]

    @property
    def to_play(self) -> np.ndarray:
        return self.games["to_play"]

    @property
    def move_count(self) -> np.ndarray:
        return self.games["moves"]

    @property
    def hashes(self) -> np.ndarray:
        return self.games["hash"]

    def boards(self) -> np.ndarray:
        """int8[B, N, N] stone colours, row 0 = bottom (GTP row 1)."""
        return self.games["color"][:, self.K["a2p"][0]].reshape(-1, self.n, self.n)

    # --- dynamics
    def reset(self, which: np.ndarray | None = None) -> None:
        """Reset all games, or those flagged in bool[B] `which`."""
        if which is None:
            which = np.ones(self.batch_size, np.bool_)
        ops.reset_games(self.games, self.K, np.asarray(which, np.bool_), self.history)

    def legal_mask(self, out: np.ndarray | None = None) -> np.ndarray:
        if out is None:
            out = np.empty((self.batch_size, self.num_actions), np.bool_)
        ops.legal_masks(self.games, self.K, out)
        return out

    def legal_actions(self, b: int = 0) -> np.ndarray:
        """int32[n] the legal actions of game b in increasing order, pass (N*N) last; empty when
        the game is over. One compiled call: the per-move path for Python drivers."""
        if self._legal is None:
            self._bind()
        n = self._legal(self.games, self.K, int(b), self._legal_out)
        return self._legal_out[:n].copy()

    def _bind(self) -> None:
        self._legal_out = np.empty(self.num_actions + 1, np.int32)
        self._legal = _entry(ops.legal_actions, self.games, self.K, 0, self._legal_out)
        self._apply = _entry(ops.apply_moves, self.games, self.K, np.zeros(self.batch_size, np.int32))

    def settled_mask(self, out: np.ndarray | None = None) -> np.ndarray:
        """bool[B, A]: legal moves minus own-eye fills, with pass only when every other
        legal move is a self-atari (go/settled.py: how self-play finishes games)."""
        if out is None:
            out = np.empty((self.batch_size, self.num_actions), np.bool_)
        settled_masks(self.games, self.K, out)
        return out

    def check(self, actions) -> np.ndarray:
        """int32[B] refusal codes (0 = legal; see board.REASONS) without playing."""
        actions = self._actions(actions)
        out = np.empty(self.batch_size, np.int32)
        ops.check_moves(self.games, self.K, actions, out)
        return out

    def step(self, actions, validate: bool = True) -> None:
        """Play actions[b] in each game (-1 skips a game). With validate (the default) every
        move is checked first and, if any is refused, IllegalMoveError names the first one
        and no game changes. validate=False is for callers that drew from the legal mask."""
        actions = self._actions(actions)
        if validate:
            codes = self.check(actions)
            bad = np.flatnonzero(codes != LEGAL)
            if bad.size:
                b = int(bad[0])
                raise IllegalMoveError(codes[b], actions[b], self.n, int(self.to_play[b]), game=b)
        if self._apply is None:
            self._bind()
        self._apply(self.games, self.K, actions)

    def random_actions(self, light: bool = False) -> np.ndarray:
        """int32[B]: a random legal action per running game, -1 for finished games.
        light=False: uniform over legal actions incl. pass; light=True: never fills an own
        eye and passes only when nothing else is legal. Seed with alphago.go.seed()."""
        out = np.empty(self.batch_size, np.int32)
        ops.random_moves(self.games, self.K, light, out)
        return out

    def play_out(self, light: bool = True) -> int:
        """Finish every game with random moves; returns moves played."""
        return int(ops.play_out(self.games, self.K, light))

    def scores(self) -> np.ndarray:
        """float32[B] Tromp-Taylor area scores of the boards as they stand: black - white - komi."""
        out = np.empty(self.batch_size, np.float32)
        ops.scores(self.games, self.K, np.float32(0.0), out)
        out -= self.komi  # black - white is an integer: exact in float32, as the kernel's own subtraction
        return out

    def ownership(self) -> np.ndarray:
        """int8[B, N*N] (action order) the Tromp-Taylor owner of every point of the boards as they
        stand: 1 black, -1 white, 0 dame (stones count for their colour, as in scores())."""
        out = np.empty((self.batch_size, self.n * self.n), np.int8)
        ops.ownerships(self.games, self.K, out)
        return out

    def winners(self) -> np.ndarray:
        """int8[B]: 1 black wins, -1 white wins, 0 draw (integer komi), by the current score."""
        return np.sign(self.scores()).astype(np.int8)

    def copy(self) -> "GoBatch":
        new = object.__new__(GoBatch)
        new.n, new.rules, new.K, new.history = self.n, self.rules, self.K, self.history
        new.games = self.games.copy()
        new.komi = self.komi.copy()
        new._legal = new._apply = None
        return new

    def copy_games_from(self, src: "GoBatch", src_idx, dst_idx) -> None:
        """Overwrite games dst_idx[i] of this batch with games src_idx[i] of `src`."""
        if src.games.dtype != self.games.dtype or src.rules != self.rules:
            raise ValueError("copy_games_from needs batches of the same size, rules and history")
        self.games[np.asarray(dst_idx)] = src.games[np.asarray(src_idx)]
        self.komi[np.asarray(dst_idx)] = src.komi[np.asarray(src_idx)]

    def set_komi(self, which, komi) -> None:
        """Komi of the games `which` (an index, indices or a bool mask); scores and features follow."""
        self.komi[which] = komi

    def set_over(self, b: int, over: bool) -> None:
        """Mark game b ended or not: GTP engines accept moves after two passes or the move cap,
        and a search may be asked about such a position."""
        self.games["over"][b] = bool(over)

    def set_to_play(self, b: int, color: int) -> None:
        """Make `color` (1 black, -1 white) the player to move in game b (GTP lets either
        colour move: genmove w after a black move, set-up, analysis for either side)."""
        if color not in (BLACK, WHITE):
            raise ValueError(f"color must be 1 (black) or -1 (white), got {color!r}")
        self.games["to_play"][b] = color

    def set_position(self, b: int, stones: np.ndarray, to_play: int = BLACK) -> None:
        """Game b := the position int8[N, N] (row 0 = bottom; 1 black, -1 white), `to_play`
        to move, with no history. Used for tests, handicap and set-up positions."""
        stones = np.asarray(stones, np.int8).reshape(self.n * self.n)
        if not np.isin(stones, (BLACK, WHITE, 0)).all():
            raise ValueError("stones must be 1 (black), -1 (white) or 0 (empty)")
        if to_play not in (BLACK, WHITE):
            raise ValueError(f"to_play must be 1 (black) or -1 (white), got {to_play}")
        ops.setup_game(self.games, self.K, b, stones, np.int8(to_play))

    def _actions(self, actions) -> np.ndarray:
        a = actions if type(actions) is np.ndarray else np.asarray(actions)
        if a.shape != (self.batch_size,):
            raise ValueError(f"actions must have shape ({self.batch_size},), got {a.shape}")
        f = a.flags
        if a.dtype == np.int32 and f.c_contiguous and f.writeable:  # the common case, checked first: ~1 us
            return a                               # less per Python-level move (the kernels take C order)
        if a.dtype.kind not in "iu":
            raise ValueError(f"actions must be integers, got dtype {a.dtype}")
        return np.array(a, np.int32, order="C")  # a writeable C-ordered copy: what the bound kernels take


class GoState:
    """One game: a GoBatch of one plus the list of actions played (for undo and SGF).

    Moves are action indices or GTP vertices ("D4", "pass").
    """

    def __init__(self, size: int = 9, rules: Rules | None = None, history: int = DEFAULT_HISTORY):
        self.batch = GoBatch(size, 1, rules, history)
        self.actions: list[int] = []
        self.colors: list[int] = []  # who played each action (1 black, -1 white)
        self._setup: tuple[np.ndarray, int] | None = None

    # --- facts
    @property
    def n(self) -> int:
        return self.batch.n

    @property
    def rules(self) -> Rules:
        return self.batch.rules

    @property
    def to_play(self) -> int:
        return int(self.batch.to_play[0])

    @property
    def is_over(self) -> bool:
        return bool(self.batch.over[0])

    @property
    def move_number(self) -> int:
        return int(self.batch.move_count[0])

    @property
    def board(self) -> np.ndarray:
        """int8[N, N], row 0 = bottom; 1 black, -1 white, 0 empty."""
        return self.batch.boards()[0]

    @property
    def hash(self) -> int:
        return int(self.batch.hashes[0])

    @property
    def consecutive_passes(self) -> int:
        return int(self.batch.games["passes"][0])

    # --- moves
    def action(self, move) -> int:
        if isinstance(move, str):
            return from_gtp(move, self.n)
        if isinstance(move, (int, np.integer)):
            a = int(move)
            if not 0 <= a <= self.n * self.n:
                raise IllegalMoveError(5, a, self.n, self.to_play)
            return a
        raise TypeError(f"a move is an action index or a GTP vertex, got {move!r}")

    def check(self, move) -> int:
        """Refusal code of a move (0 = legal; an index off the board gives OFF_BOARD)."""
        try:
            a = self.action(move)
        except IllegalMoveError as exc:
            return exc.code
        return int(self.batch.check(np.array([a], np.int32))[0])

    def is_legal(self, move) -> bool:
        try:
            return self.check(move) == LEGAL
        except (CoordinateError, TypeError):
            return False

    def play(self, move, color: int | None = None) -> "GoState":
        """Play a move; raises IllegalMoveError and leaves the state unchanged.

        color: who plays (1 black, -1 white); default the player to move. Playing out of
        turn (GTP allows it, e.g. for set-up) makes `color` the player to move first.
        """
        a = self.action(move)
        previous = self.to_play
        if color is not None and color != previous:
            self.batch.set_to_play(0, color)
        code = self.check(a)
        if code != LEGAL:
            self.batch.set_to_play(0, previous)
            raise IllegalMoveError(code, a, self.n, self.to_play if color is None else color)
        mover = self.to_play
        self.batch.step(np.array([a], np.int32), validate=False)
        self.actions.append(a)
        self.colors.append(mover)
        return self

    def continue_game(self) -> None:
        """Let play go on after the game ended by two passes or the move cap (GTP engines
        accept moves then); the next move is checked by the usual rules."""
        self.batch.set_over(0, False)

    def end_game(self) -> None:
        """Mark the game ended (undoes continue_game when the move that followed was refused)."""
        self.batch.set_over(0, True)

    def set_to_play(self, color: int) -> "GoState":
        """Make `color` (1 black, -1 white) the player to move."""
        self.batch.set_to_play(0, color)
        return self

    def legal_mask(self) -> np.ndarray:
        return self.batch.legal_mask()[0]

    def settled_mask(self) -> np.ndarray:
        """bool[A]: the legal moves a settled-pass player considers (go/settled.py)."""
        return self.batch.settled_mask()[0]

    def legal_actions(self) -> list[int]:
        return self.batch.legal_actions(0).tolist()

    def undo(self) -> int:
        """Take back the last move (replays the game, so it is exact); returns it."""
        if not self.actions:
            raise ValueError("nothing to undo")
        last = self.actions[-1]
        self.replay(self.actions[:-1], self.colors[:-1])
        return last

    def replay(self, actions: list[int], colors: list[int] | None = None) -> None:
        """Restart from the initial (or set-up) position and play `actions` (by `colors`)."""
        if self._setup is None:
            self.batch.reset()
        else:
            self.batch.set_position(0, *self._setup)
        self.actions, self.colors = [], []
        for i, a in enumerate(actions):
            if self.is_over:
                self.continue_game()
            self.play(a, None if colors is None else colors[i])

    # --- scoring
    def score(self) -> float:
        """Tromp-Taylor area score as the board stands: black - white - komi."""
        return float(self.batch.scores()[0])

    def ownership(self) -> np.ndarray:
        """int8[N*N] Tromp-Taylor owner of every point (GoBatch.ownership)."""
        return self.batch.ownership()[0]

    def winner(self) -> int:
        """1 black, -1 white, 0 draw."""
        return int(np.sign(self.score()))

    def result_string(self) -> str:
        """SGF/GTP style: "B+3.5", "W+0.5", "0"."""
        s = self.score()
        if s == 0:
            return "0"
        return f"{'B' if s > 0 else 'W'}+{abs(s):g}"

    # --- set-up and copies
    def set_position(self, stones: np.ndarray, to_play: int = BLACK) -> "GoState":
        stones = np.asarray(stones, np.int8)
        self.batch.set_position(0, stones, to_play)
        self._setup = (stones.copy(), to_play)
        self.actions, self.colors = [], []
        return self

    def copy(self) -> "GoState":
        new = object.__new__(GoState)
        new.batch = self.batch.copy()
        new.actions = list(self.actions)
        new.colors = list(self.colors)
        new._setup = self._setup
        return new

    def __str__(self) -> str:
        from .diagram import to_diagram
        return to_diagram(self.board, last=self.actions[-1] if self.actions else None)
