"""JSON lines and JSON files, the one way every module reads and writes them.

Runs, experiments and the ladder keep their results as JSON lines appended as they happen
(metrics.jsonl, evaluations.jsonl, cells.jsonl, the ladder's games.jsonl), so a crash can leave
the last line cut short. Every reader here skips a line that does not parse to a JSON object
(that record is made again by whoever resumes) instead of failing the whole file; every writer
appends whole lines, and files that are replaced as a whole (done.json, summary.json, a rewritten
evaluations.jsonl) are written atomically (temp file, fsync, rename: records.atomic_write_bytes).
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from .records import atomic_write_bytes


def read_jsonl(path: str | Path, log: Callable[[str], None] | None = None) -> list[dict]:
    """The JSON objects of a JSON-lines file, one per whole line, in file order; [] when the file
    does not exist. A line that does not parse to an object (cut short by a crash, or empty) is
    skipped and, with `log`, reported with its line number."""
    p = Path(path)
    if not p.exists():
        return []
    rows = []
    with p.open(encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                row, why = None, f"{exc.__class__.__name__}: {str(exc)[:80]}"
            else:
                why = "not a JSON object"
            if isinstance(row, dict):
                rows.append(row)
            elif log is not None:
                log(f"{p}: line {n} skipped ({why})")
    return rows


def read_jsonl_tail(path: str | Path, max_bytes: int) -> list[dict]:
    """The JSON objects of the whole lines in the last `max_bytes` of a JSON-lines file (the first line
    of the window, likely cut by it, is dropped), in file order; [] when the file does not exist. For
    the newest rows of a long, growing file (a run's metrics.jsonl) without reading all of it."""
    p = Path(path)
    if not p.exists():
        return []
    with p.open("rb") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(max(0, size - max_bytes))
        lines = f.read().decode("utf-8", "replace").splitlines()[1 if size > max_bytes else 0:]
    rows = []
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def append_jsonl(path: str | Path, rows: Iterable[dict], fsync: bool = False, sort_keys: bool = False) -> int:
    """Append each row as one line (creating the file and its directory). A file that ends
    without a newline (its last line cut short) gets one first, so the new lines stay whole.
    fsync: flush to disk before returning (a store whose lines are results: the ladder's).
    Returns the rows written."""
    rows = list(rows)
    if not rows:
        return 0
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "ab+") as f:
        if f.tell() > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                f.write(b"\n")
        f.write("".join(json.dumps(r, sort_keys=sort_keys) + "\n" for r in rows).encode())
        if fsync:
            f.flush()
            os.fsync(f.fileno())
    return len(rows)


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> None:
    """Replace a JSON-lines file with these rows, atomically (a crash leaves the old file)."""
    atomic_write_bytes(Path(path), "".join(json.dumps(r) + "\n" for r in rows).encode())


def write_json(path: str | Path, obj, indent: int | None = 1) -> None:
    """One JSON document, atomically."""
    atomic_write_bytes(Path(path), json.dumps(obj, indent=indent).encode())


def read_json(path: str | Path, default=None):
    """A JSON document, or `default` when the file does not exist."""
    p = Path(path)
    return json.loads(p.read_text()) if p.exists() else default
