"""What every experiment's cells share: fingerprints, done rows, restoring committed results.

An experiment (ablate, horizon, distill) is a grid of cells, each a seeded run to a budget. A
finished cell leaves a done row (ablate, horizon: RUN/done.json; distill: a line of cells.jsonl)
carrying its `fingerprint`, a hash of everything its figures depend on. The rows are committed
with the report (REPORT_DIR/cells.json or cells.jsonl), and on a fresh clone (or after the output
directory was lost) a cell whose committed fingerprint matches what the file now asks for is
restored from its row instead of run again; a cell whose settings changed runs again.

What goes into a fingerprint is each experiment's own business (its module says); how it is
hashed, how a row is marked as restored and how a committed copy is cleaned of that mark are
the same everywhere and live here.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from ..data.jsonl import read_json, write_json

RESTORED_FROM = "restored_from"  # a restored row: the report directory it was restored from (a path here)


def fingerprint(blob: dict) -> str:
    """sha256 of the blob's JSON with sorted keys: the hash every experiment's fingerprint uses."""
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


# Config keys added after cells were committed, with the value that means "as before the key
# existed": a cell with that value hashes as it did, so committed results still restore (a key added
# without an entry here makes every committed cell of every experiment run again)
CONFIG_KEYS_ADDED = (("train", "label_smoothing", 0.0),)


def config_blob(config: dict) -> dict:
    """A run config (Config.to_json() parsed) as fingerprints hash it: keys added since cells were
    committed are left out while they hold their neutral value (CONFIG_KEYS_ADDED)."""
    config = {k: dict(v) if isinstance(v, dict) else v for k, v in config.items()}
    for section, key, neutral in CONFIG_KEYS_ADDED:
        if config.get(section, {}).get(key) == neutral:
            del config[section][key]
    return config


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def committed(row: dict) -> dict:
    """A result row as a committed file holds it: without `restored_from`, which says where this
    machine's copy came from (a path here), not what was measured; restoring and regenerating a
    report then leaves the committed files byte-identical."""
    return {k: v for k, v in row.items() if k != RESTORED_FROM}


def read_done(path: str | Path) -> dict | None:
    """A cell's done row (done.json), or None when the cell has not finished."""
    return read_json(path)


def write_done(path: str | Path, row: dict) -> None:
    """Write a cell's done row atomically (the marker that it finished: never half written)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_json(path, row)


def restorable(committed_rows: Mapping[str, dict], wanted: Iterable[tuple[str, str]], report_dir: str | Path,
               is_done: Callable[[str], bool],
               check: Callable[[str, dict], str | None] | None = None,
               log: Callable[[str], None] | None = None) -> list[tuple[str, dict]]:
    """(key, row marked restored_from) for every wanted (key, fingerprint) that is not done here
    and whose committed row has that fingerprint. `check(key, row)` may refuse a matching row with
    a reason (e.g. its evaluation rows are incomplete); refusals and fingerprint mismatches are
    reported through `log` (that cell runs again)."""
    out = []
    for key, fp in wanted:
        row = committed_rows.get(key)
        if is_done(key) or not row or "fingerprint" not in row:
            continue
        if row["fingerprint"] != fp:
            if log is not None:
                log(f"restore: {key} in {report_dir} was run with other settings; run again")
            continue
        why = check(key, row) if check is not None else None
        if why is not None:
            if log is not None:
                log(f"restore: {key} {why}; run again")
            continue
        out.append((key, {**row, RESTORED_FROM: str(report_dir)}))
    return out
