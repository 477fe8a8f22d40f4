"""Game records and their on-disk shards; the one declaration of the per-move schema.

A GameRecord keeps, per move, what the search produced (visit counts, root prior,
improved policy, full-search flag, values) and the action played; per game the result.

PER-MOVE SCHEMA. Every per-move field is declared once, below, as a GameRecord field made with
per_move(SOURCE, ...): self-play copies it from SearchResult.SOURCE at every move
(selfplay/loop.py, MoveTrace), shards store it under its name (write_shard / read_shard) and
the replay buffer keeps it per position (data/replay.py). Adding a per-move output is one
field here plus its tests. A shard without a required field is refused with a message naming
the field; an optional field (default None) missing from a shard loads as None.
Features are not stored: they are rebuilt exactly by replaying the actions through the
engine (replay.py), which keeps shards ~50x smaller. Soft and hard targets are derived
from the same record (mcts/targets.py), so both kinds of training read the same games.
"""
from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

SHARD_VERSION = 1


@dataclass(frozen=True)
class MoveField:
    """How a per-move field is made and stored."""
    source: str          # the SearchResult attribute it is copied from, one row per game per move
    dtype: str           # numpy dtype in records, shards and the replay buffer
    per_action: bool     # True: [T, A] (a value per action); False: [T]
    optional: bool = False  # may be absent for a game (None): e.g. pruned visits without forced playouts


def per_move(source: str, dtype: str, per_action: bool, optional: bool = False):
    md = {"per_move": MoveField(source, dtype, per_action, optional)}
    return field(default=None, metadata=md) if optional else field(metadata=md)


@dataclass
class GameRecord:
    """One self-play game of T moves on an N x N board, A = N*N + 1 actions."""
    size: int
    komi: float
    ko_rule: str
    actions: np.ndarray = per_move("action", "int16", False)        # int16[T] moves played, Black first
    visits: np.ndarray = per_move("visits", "int32", True)          # int32[T, A] root visit counts
    prior: np.ndarray = per_move("prior", "float32", True)          # float32[T, A] root prior before noise
    improved: np.ndarray = per_move("improved_policy", "float32", True)  # float32[T, A] Gumbel improved
    #                                                                 policy, or normalised visits (PUCT)
    full_search: np.ndarray = per_move("full_search", "bool", False)  # bool[T] full search (policy
    #                                                                 target) or fast (playout cap)
    root_value: np.ndarray = per_move("root_value", "float32", False)   # float32[T] evaluator value at
    #                                                                 the root, for the player to move
    search_value: np.ndarray = per_move("search_value", "float32", False)  # float32[T] search value at
    #                                                                 the root, for the player to move
    winner: int                 # 1 black won, -1 white won, 0 draw
    score: float                # final area score black - white - komi (nan if resigned)
    resigned: bool = False
    pruned: np.ndarray | None = per_move("pruned_visits", "int32", True, optional=True)  # int32[T, A]
    #                                                                 pruned visits (forced playouts)
    # int8[N*N] (action order) Tromp-Taylor owner of every point at the end, from Black's side
    # (1 black, -1 white, 0 dame): the ownership target. None for resigned games (the board was
    # not played out) and for games from shards written before it existed.
    ownership: np.ndarray | None = None
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


# (name, MoveField) of every per-move field, in declaration order
PER_MOVE: tuple[tuple[str, MoveField], ...] = tuple(
    (f.name, f.metadata["per_move"]) for f in fields(GameRecord) if "per_move" in f.metadata)


def stack_moves(rows: dict[str, list], num_actions: int) -> dict[str, np.ndarray | None]:
    """Per-move rows collected during a game (name -> one row per move) as GameRecord arrays;
    an optional field with no rows is None."""
    out: dict[str, np.ndarray | None] = {}
    for name, f in PER_MOVE:
        r = rows.get(name, [])
        if not r and f.optional:
            out[name] = None
            continue
        a = np.array(r, f.dtype)
        out[name] = a.reshape(-1, num_actions) if f.per_action else a.reshape(-1)
    lengths = {k: len(v) for k, v in out.items() if v is not None}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"per-move fields of one game differ in length: {lengths}")
    return out
_PER_GAME = ("size", "komi", "winner", "score", "resigned", "evaluations", "weight_version", "would_resign")
_PER_GAME_DEFAULTS = {"would_resign": 0}  # fields newer than some shards: older shards load with these


def _file_mode() -> int:
    """The mode open() gives a new file (0666 less the umask): mkstemp's temp files are 0600,
    and every artifact of a run (shards, checkpoints, latest.pt) should read the same way."""
    try:  # Linux: read it without changing it (os.umask would race with other threads)
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable (a crash after os.replace may otherwise undo it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # a platform without directory handles: nothing more to do
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temp file in the same directory, fsync, rename, fsync the directory, so
    readers never see half a file and a crash leaves the old file or the new one. On failure
    (a full disk) the temp file is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), _file_mode())
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def remove_partial_writes(directory: Path) -> list[Path]:
    """Remove the temp files atomic_write_bytes left in `directory` when its writer was killed
    mid-write (SIGKILL cannot be caught, so its own clean-up never ran). Only for a directory
    whose writers are known to be gone (its lock held, its learner dead): a live writer's temp
    file would vanish under it. Returns what was removed; no directory, nothing removed."""
    removed = []
    for p in sorted(Path(directory).glob(".*.tmp")):  # mkstemp's names: "." + target + random + ".tmp"
        try:
            p.unlink()
            removed.append(p)
        except FileNotFoundError:
            pass
    return removed


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
    for key, f in PER_MOVE:
        if f.optional and any(getattr(g, key) is None for g in games):
            continue  # stored only when every game of the shard has it
        arrays[key] = np.concatenate([np.asarray(getattr(g, key), f.dtype) for g in games])
    for key in _PER_GAME:
        arrays["game_" + key] = np.array([getattr(g, key) for g in games])
    has_own = np.array([g.ownership is not None for g in games])
    if has_own.any():  # per game; zeros where a game has none (has_ownership says which)
        P = games[0].size ** 2
        arrays["game_has_ownership"] = has_own
        arrays["game_ownership"] = np.stack([np.zeros(P, np.int8) if g.ownership is None
                                             else np.asarray(g.ownership, np.int8) for g in games])
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
    missing = [k for k, f in PER_MOVE if not f.optional and k not in data]
    missing += [k for k in ("lengths", "ko_rule") if k not in data]
    missing += ["game_" + k for k in _PER_GAME if "game_" + k not in data and k not in _PER_GAME_DEFAULTS]
    if missing:
        raise ValueError(f"shard {path} lacks {', '.join(missing)}: written by another version of alphago?")
    bounds = np.concatenate([[0], np.cumsum(data["lengths"])])
    games = []
    for i in range(len(data["lengths"])):
        sl = slice(bounds[i], bounds[i + 1])
        kw = {key: data[key][sl] if key in data else None for key, _ in PER_MOVE}
        kw.update({key: data["game_" + key][i].item() if "game_" + key in data else _PER_GAME_DEFAULTS[key]
                   for key in _PER_GAME})
        kw["ko_rule"] = str(data["ko_rule"][i])
        if "game_ownership" in data and data["game_has_ownership"][i]:
            kw["ownership"] = data["game_ownership"][i]
        games.append(GameRecord(**kw))
    return games
