"""Re-derive a game's chains, liberties, hash and empty list from the colours alone,
and compare with what the incremental kernels keep (KataGo's checkRules idea).

Slow and plain Python on purpose: it shares no code with the kernels it checks.
"""
from __future__ import annotations

import numpy as np

from .board import BLACK, EMPTY, WHITE
from .state import GoBatch


def check_invariants(batch: GoBatch, b: int) -> None:
    """Raise AssertionError describing the first mismatch in game b."""
    s, g = batch.games[b], batch.K[0]
    color = s["color"]
    h = np.uint64(g["base"])
    seen_pts: set[int] = set()
    for p in map(int, g["a2p"]):
        c = int(color[p])
        assert c in (EMPTY, BLACK, WHITE), f"point {p}: bad colour {c}"
        if c != EMPTY:
            h ^= g["zob"][0 if c == BLACK else 1, p]
        if c == EMPTY or p in seen_pts:
            continue
        # flood fill the chain
        chain, libs, stack = {p}, set(), [p]
        while stack:
            q = stack.pop()
            for d in g["nbr"]:
                m = q + int(d)
                if color[m] == c and m not in chain:
                    chain.add(m)
                    stack.append(m)
                elif color[m] == EMPTY:
                    libs.add(m)
        seen_pts |= chain
        heads = {int(s["head"][q]) for q in chain}
        assert len(heads) == 1, f"chain at {p} has several heads {heads}"
        hd = heads.pop()
        assert hd in chain, f"chain at {p}: head {hd} is not one of its stones"
        # linked list visits exactly the chain
        walk, q = set(), hd
        for _ in range(len(chain) + 1):
            walk.add(q)
            q = int(s["nxt"][q])
            if q == hd:
                break
        assert walk == chain and q == hd, f"chain at {p}: linked list covers {sorted(walk)} not {sorted(chain)}"
        assert s["size"][hd] == len(chain), f"chain at {p}: size {s['size'][hd]} != {len(chain)}"
        assert libs, f"chain at {p} has no liberty but is on the board"
        pseudo = [m for q in chain for m in (q + int(d) for d in g["nbr"]) if color[m] == EMPTY]
        assert s["nlib"][hd] == len(pseudo), f"chain at {p}: pseudo-libs {s['nlib'][hd]} != {len(pseudo)}"
        assert s["lsum"][hd] == sum(pseudo), f"chain at {p}: liberty sum mismatch"
        assert s["lsq"][hd] == sum(m * m for m in pseudo), f"chain at {p}: liberty square sum mismatch"
        ch = np.uint64(0)
        for q in chain:
            ch ^= g["zob"][0 if c == BLACK else 1, q]
        assert s["chash"][hd] == ch, f"chain at {p}: chain hash mismatch"
    assert s["hash"] == h, f"board hash {s['hash']} != recomputed {h}"
    empties = {int(p) for p in g["a2p"] if color[p] == EMPTY}
    listed = [int(p) for p in s["empties"][: s["nempty"]]]
    assert len(listed) == len(empties) and set(listed) == empties, "empty-point list is wrong"
    for i, p in enumerate(listed):
        assert s["epos"][p] == i, f"epos of {p} is {s['epos'][p]}, should be {i}"
    ko = int(s["ko"])
    if ko:
        assert color[ko] == EMPTY, f"ko point {ko} is not empty"
