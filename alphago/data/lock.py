"""Exclusive locks on the directories a process writes (a run directory, a shard directory).

Two writers in one directory overwrite each other's step files and shards and interleave
their metrics, so every command that writes one takes its lock first and refuses at once,
naming the directory, when another process holds it. The OS drops a lock when its holder
dies (flock), so a crashed run never leaves a stale one behind.
"""
from __future__ import annotations

import time
from pathlib import Path


class RunDirLocked(RuntimeError):
    """Another process holds the lock of a directory this process wants to write."""


def lock_dir(directory: str | Path, name: str = ".lock", wait: float = 0.0, what: str = "a run") -> object:
    """Hold an exclusive lock on `directory` (created if missing) until the returned file is
    closed or the process ends. wait: seconds to keep trying (0: refuse at once)."""
    import fcntl
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    f = open(directory / name, "w")
    end = time.time() + wait
    while True:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return f
        except BlockingIOError:
            if time.time() >= end:
                f.close()
                raise RunDirLocked(f"{directory} is in use by another process ({what} is still writing there; "
                                   f"lock {directory / name}): wait for it to finish or use another directory")
            time.sleep(0.5)
