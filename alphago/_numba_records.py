"""Name numba Record types by their layout, not by a per-process counter.

numba mangles a record-typed kernel's symbol with `Record._code`, a counter assigned in
the order a process first meets each record layout. With cache=True, two processes that
compiled different layouts (board size, move cap, history; tree capacity) can store
kernels under the same symbol; a third process loading both from __pycache__ then runs
one layout's code on the other's memory (heap corruption, SIGSEGV). Seen here with GTP
`boardsize` changes and the test suite. Same family as numba issues
https://github.com/numba/numba/issues/10128 and https://github.com/numba/numba/issues/10486.
Hashing the layout key makes the name a function of the layout alone.

Imported (for its side effect) by every module that compiles record kernels.
"""
from __future__ import annotations

import hashlib

from numba.core import types


def _mangling_args(self):
    return "Record", (hashlib.sha1(repr(self.key).encode()).hexdigest()[:16],)


types.Record.mangling_args = property(_mangling_args)
