"""The ladder's store of rated games: one JSON line per game, appended whole.

    {"black": PLAYER, "white": PLAYER, "result": "B" | "W" | "0",   # "0": a draw
     "size": 7, "komi": 9.0, "opening": ["C3", "E5"],               # the bank's opening, GTP vertices
     "opening_index": 12, "bank_seed": 2026,                        # which opening of which bank
     "reason": "passes", "moves": 61, "score": -3.0,                # how it ended; Tromp-Taylor score
     "sgf": "sgf/....sgf" | null, "time": "2026-12-05T08:00:00Z"}
    PLAYER = {"key": "3f2a9c0d1e4b5a6c@64", "spec": "runs/.../step_0002611.pt@64",
              "label": "visits/seed0/p7", "sha256": "3f2a...", "sims": 64}

A player's `key` is its identity on the scale: `gnugo:LEVEL` for GNU Go, the first 16 hex digits of
a checkpoint's SHA-256 and its simulations (`HASH@SIMS`) for a net, so the same bytes searched the
same way are one player wherever the file lives; `spec` is how to start it here and `label` a name
for people. A store is read tolerantly: a line cut short by a crash is skipped (and reported), not
an error, so a ladder killed mid-write resumes.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..data.jsonl import append_jsonl, read_jsonl
from ..data.records import atomic_write_bytes

RESULTS = ("B", "W", "0")   # Black won, White won, a draw


@dataclass(frozen=True)
class Player:
    """One rated player. key: its identity on the scale (module doc); spec: an arena spec that
    starts it (play/engines.parse_spec); sims: simulations of a net (None: not ours)."""
    key: str
    spec: str
    label: str
    sha256: str | None = None
    sims: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "Player":
        return Player(str(d["key"]), str(d.get("spec", d["key"])), str(d.get("label", d["key"])),
                      d.get("sha256"), d.get("sims"))


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def player(spec: str, label: str | None = None, sims: int = 64) -> Player:
    """The Player an arena spec names: `gnugo[:LEVEL]`, or `CHECKPOINT[@SIMS]` (SIMS default `sims`),
    keyed by the file's content hash. ValueError for anything else (the ladder rates GNU Go and our
    nets; other engines have no stable identity here)."""
    s = spec.strip()
    if s == "gnugo" or s.startswith("gnugo:"):
        level = s.partition(":")[2] or "10"
        if not level.isdigit() or not 1 <= int(level) <= 10:
            raise ValueError(f"{spec!r}: GNU Go levels are gnugo:1 .. gnugo:10")
        key = f"gnugo:{int(level)}"
        return Player(key, key, label or key)
    base, at, tail = s.rpartition("@")
    path, n = (base, int(tail)) if at and tail.isdigit() and base else (s, sims)
    if n < 1:
        raise ValueError(f"{spec!r}: simulations must be >= 1")
    if not Path(path).is_file():
        raise ValueError(f"{spec!r}: not a checkpoint file nor gnugo[:LEVEL] (the ladder rates GNU Go and our nets)")
    sha = file_sha256(path)
    return Player(f"{sha[:16]}@{n}", f"{path}@{n}", label or f"{Path(path).stem}@{n}", sha, n)


@dataclass(frozen=True)
class LadderGame:
    """One rated game (the store's line, module doc)."""
    black: Player
    white: Player
    result: str
    size: int
    komi: float
    opening: tuple[str, ...] = ()
    opening_index: int = -1
    bank_seed: int = 0
    reason: str = ""
    moves: int = 0
    score: float | None = None
    sgf: str | None = None
    time: str = ""

    def __post_init__(self) -> None:
        if self.result not in RESULTS:
            raise ValueError(f"result must be one of {RESULTS}, got {self.result!r}")
        if self.black.key == self.white.key:
            raise ValueError(f"a player cannot play itself ({self.black.key})")

    def black_points(self) -> float:
        """Black's points: 1 a win, 1/2 a draw, 0 a loss."""
        return {"B": 1.0, "W": 0.0, "0": 0.5}[self.result]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["black"], d["white"], d["opening"] = self.black.to_dict(), self.white.to_dict(), list(self.opening)
        return d

    @staticmethod
    def from_dict(d: dict) -> "LadderGame":
        return LadderGame(Player.from_dict(d["black"]), Player.from_dict(d["white"]), str(d["result"]),
                          int(d["size"]), float(d["komi"]), tuple(d.get("opening", ())),
                          int(d.get("opening_index", -1)), int(d.get("bank_seed", 0)), str(d.get("reason", "")),
                          int(d.get("moves", 0)), d.get("score"), d.get("sgf"), str(d.get("time", "")))


def read_games(path: str | Path, log=None) -> list[LadderGame]:
    """Every whole, valid line of a store (none if it does not exist); a cut or bad line is skipped
    and, with `log`, reported with its line number."""
    out = []
    for n, row in enumerate(read_jsonl(path, log=None if log is None else (lambda m: log(f"ladder store {m}")))):
        try:
            out.append(LadderGame.from_dict(row))
        except (ValueError, KeyError, TypeError) as exc:
            if log is not None:
                log(f"ladder store {path}: game {n + 1} skipped ({exc.__class__.__name__}: {str(exc)[:80]})")
    return out


def append_games(path: str | Path, games: list[LadderGame]) -> None:
    """Append whole lines and fsync, so a crash loses at most the line being written (which
    read_games then skips). A store that ends without a newline (a cut line) gets one first."""
    append_jsonl(path, [g.to_dict() for g in games], fsync=True, sort_keys=True)


@dataclass(frozen=True)
class SyncResult:
    """What sync_store did: had/added: games in the destination before / games appended from the
    source (lines); cut: the source ended in a line being written (left out; the next sync takes it);
    unreadable: line numbers among the added that are not games (a line cut by a crash, then closed by
    append_games' newline): copied as they are, so the copy stays a prefix; read_games skips them."""
    had: int
    added: int
    cut: bool
    unreadable: tuple[int, ...] = ()


class StoreMismatch(ValueError):
    """The destination is not a prefix of the source: the stores diverged (nothing was written)."""


def sync_store(src: str | Path, dst: str | Path) -> SyncResult:
    """Bring `dst` up to `src`, a store something is still appending to (a study's ladder, copied into
    the checkout that commits it): `dst`'s lines must be the first lines of `src`, byte for byte; the
    whole lines after them are appended, and the file is replaced atomically. A cut last line of `src`
    is left out. A destination that is not a prefix (a line that differs, a source shorter than it, a
    destination ending in a cut line) raises StoreMismatch and is left as it was: a copy by hand could
    commit half a line or drop games the destination has and the source never had."""
    data = Path(src).read_bytes()
    end = data.rfind(b"\n") + 1
    whole, cut = data[:end], end < len(data) and bool(data[end:].strip())
    old = Path(dst).read_bytes() if Path(dst).exists() else b""
    if old and not old.endswith(b"\n"):
        raise StoreMismatch(f"{dst} ends in a cut line; restore it from git before syncing")
    if not whole.startswith(old):
        a, b = old.splitlines(), whole.splitlines()
        n = next(i for i in range(len(a)) if i >= len(b) or a[i] != b[i])
        why = f"its line {n + 1} differs from {src}'s" if n < len(b) else f"it has {len(a)} lines, {src} only {len(b)}"
        raise StoreMismatch(f"{dst} is not a prefix of {src} ({why}): the stores diverged; nothing written")
    new = whole[len(old):]
    had = old.count(b"\n")
    bad = []
    for i, line in enumerate(new.splitlines()):
        try:
            LadderGame.from_dict(json.loads(line))
        except (ValueError, KeyError, TypeError):
            bad.append(had + i + 1)
    if new:
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(Path(dst), whole)
    return SyncResult(had, new.count(b"\n"), cut, tuple(bad))
