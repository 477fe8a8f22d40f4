"""Engines kept alive between matches, so that a caller playing many short matches (the ladder:
blocks of 8 games, each against another opponent; an evaluation: each checkpoint against every
reference, each reference against every checkpoint) does not start every engine again for each.

Starting one of our engines costs ~2.5 CPU-seconds (importing torch, loading numba's cache, the
checkpoint); a ladder block of 8 games between 64-simulation nets on 7x7 starts 4 of them, about a
third of its compute. `alphago bench ladder` measures both ways on the same games (docs/benchmarks.md:
10-25% less CPU per game when opponents recur).

Reuse does not change a game: the referee sends boardsize, clear_board, komi and set_random_seed
before every game (play/referee.play_game), which an engine already meets between the games of one
match. An engine is keyed by its command line (argv): the same argv is the same engine whoever it
plays. Idle engines beyond `max_idle` are closed, the least recently used first; `close()` ends
them all (the pool is a context manager). Only engines that are alive and were handed back after a
game that ended normally come back to the pool; one that died, timed out or was killed is closed.
"""
from __future__ import annotations

import collections
import threading

from .gtp_client import GtpClient

MAX_IDLE = 12  # idle engines kept: five players' at 2 games a time and two spare (with 8, `alphago bench ladder`
               # closed opponents it met again a few blocks later); each of ours is a torch process of
               # ~360 MB resident on 7x7, so up to ~4.3 GB sleep here (GNU Go: ~30 MB)


def _running(c: GtpClient) -> bool:
    return c.alive and c.proc.poll() is None


class EnginePool:
    """acquire(argv, name, timeout) -> a running GtpClient (an idle one with that argv, or a new one);
    release(client) hands it back; close() ends every idle engine. Thread-safe."""

    def __init__(self, max_idle: int = MAX_IDLE):
        if max_idle < 0:
            raise ValueError(f"the idle engines to keep (--keep-engines) must be >= 0, got {max_idle}")
        self.max_idle = max_idle
        self._idle: collections.OrderedDict[int, GtpClient] = collections.OrderedDict()  # id -> client, LRU first
        self._lock = threading.Lock()
        self.started = 0   # engines this pool started
        self.reused = 0    # acquisitions served by an idle engine

    def acquire(self, argv, name: str, timeout: float) -> GtpClient:
        want = [str(x) for x in argv]
        found, dead = None, []
        with self._lock:
            for k in reversed(list(self._idle)):      # the most recently used first
                c = self._idle[k]
                if c.argv != want:
                    continue
                del self._idle[k]
                if _running(c):
                    found = c
                    self.reused += 1
                    break
                dead.append(c)                         # it exited while it waited
            else:
                self.started += 1
        for c in dead:
            c.close()
        if found is not None:
            found.name, found.timeout = name, timeout
            return found
        return GtpClient(want, name=name, timeout=timeout)

    def release(self, client: GtpClient) -> None:
        """Back to the pool if it is still running (else closed); the least recently used idle engine
        is closed when more than max_idle wait."""
        if not _running(client):
            client.close()
            return
        evicted = []
        with self._lock:
            self._idle[id(client)] = client
            while len(self._idle) > self.max_idle:
                evicted.append(self._idle.popitem(last=False)[1])
        for c in evicted:
            c.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = list(self._idle.values()), collections.OrderedDict()
        for c in idle:
            c.close()

    def __enter__(self) -> "EnginePool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
