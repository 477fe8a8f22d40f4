"""Game records and their on-disk shards.

A GameRecord keeps, per move, what the search produced (visit counts, root prior,
improved policy, full-search flag, values) and the action played; per game the result.
Features are not stored: they are rebuilt exactly by replaying the actions through the
engine (replay.py), which keeps shards ~50x smaller. Soft and hard targets are derived
from the same record (mcts/targets.py), so both kinds of training read the same games.
"""
from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SHARD_VERSION = 1


@dataclass
class GameRecord:
    """One self-play game of T moves on an N x N board, A = N*N + 1 actions."""
    size: int
    komi: float
    ko_rule: str
    actions: np.ndarray         # int16[T]   moves played, in order (Black first)
    visits: np.ndarray          # int32[T, A] root visit counts
    prior: np.ndarray           # float32[T, A] root prior before noise
    improved: np.ndarray        # float32[T, A] improved policy (Gumbel) or normalised visits (PUCT)
    full_search: np.ndarray     # bool[T]    full search (policy target) or fast (playout cap)
    root_value: np.ndarray      # float32[T] evaluator value at the root, for the player to move
    search_value: np.ndarray    # float32[T] search value at the root, for the player to move
    winner: int                 # 1 black won, -1 white won, 0 draw
    score: float                # final area score black - white - komi (nan if resigned)
    resigned: bool = False
    pruned: np.ndarray | None = None    # int32[T, A] pruned visits (forced playouts), if any
    evaluations: int = 0        # evaluator rows spent on the game (self-play FLOPs)
    weight_version: int = 0     # network version that played it
    would_resign: int = 0       # no-resign games: colour that would have resigned (1 black, -1 white), 0 none
    meta: dict = field(default_factory=dict)

    @property
    def num_moves(self) -> int:
        return int(len(self.actions))

    def outcomes(self) -> np.ndarray:
        """float32[T]: the result for the player to move at each position (Black moves at even t)."""
        to_play = np.where(np.arange(self.num_moves) % 2 == 0, 1.0, -1.0)
        return (self.winner * to_play).astype(np.float32)

    def to_sgf(self) -> bytes:
        from ..go.sgf import SgfGame, to_sgf
        colors = [1 if t % 2 == 0 else -1 for t in range(self.num_moves)]
        if self.resigned:
            result = ("B" if self.winner > 0 else "W") + "+R"
        elif self.winner == 0:
            result = "0"
        else:
            result = f"{'B' if self.score > 0 else 'W'}+{abs(self.score):g}"
        return to_sgf(SgfGame(self.size, self.komi, [int(a) for a in self.actions], colors, result,
                              players=(f"alphago v{self.weight_version}",) * 2))


_PER_MOVE = ("actions", "visits", "prior", "improved", "full_search", "root_value", "search_value")
_PER_GAME = ("size", "komi", "winner", "score", "resigned", "evaluations", "weight_version", "would_resign")
_PER_GAME_DEFAULTS = {"would_resign": 0}  # fields newer than some shards: older shards load with these


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temp file in the same directory + rename, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_shard(path: Path, games: list[GameRecord]) -> None:
    """Games of one board size into one compressed .npz, written atomically."""
    if not games:
        raise ValueError("a shard needs at least one game")
    sizes = {g.size for g in games}
    if len(sizes) != 1:
        raise ValueError(f"a shard holds one board size, got {sorted(sizes)}")
    lengths = np.array([g.num_moves for g in games], np.int64)
    arrays = {"version": np.array(SHARD_VERSION), "lengths": lengths,
              "ko_rule": np.array([g.ko_rule for g in games])}
    for key in _PER_MOVE:
        arrays[key] = np.concatenate([np.asarray(getattr(g, key)) for g in games])
    for key in _PER_GAME:
        arrays["game_" + key] = np.array([getattr(g, key) for g in games])
    has_pruned = all(g.pruned is not None for g in games)
    if has_pruned:
        arrays["pruned"] = np.concatenate([g.pruned for g in games])
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


def read_shard(path: Path) -> list[GameRecord]:
    """Games of a shard. Raises ValueError naming the file if it is corrupt or foreign."""
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except Exception as exc:  # zipfile.BadZipFile, OSError, ValueError, EOFError ...
        raise ValueError(f"cannot read shard {path}: {exc}") from None
    if int(data.get("version", -1)) != SHARD_VERSION:
        raise ValueError(f"shard {path} has version {data.get('version')}, expected {SHARD_VERSION}")
    bounds = np.concatenate([[0], np.cumsum(data["lengths"])])
    games = []
    for i in range(len(data["lengths"])):
        sl = slice(bounds[i], bounds[i + 1])
        kw = {key: data[key][sl] for key in _PER_MOVE}
        kw.update({key: data["game_" + key][i].item() if "game_" + key in data else _PER_GAME_DEFAULTS[key]
                   for key in _PER_GAME})
        kw["ko_rule"] = str(data["ko_rule"][i])
        kw["pruned"] = data["pruned"][sl] if "pruned" in data else None
        games.append(GameRecord(**kw))
    return games
