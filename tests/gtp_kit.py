"""Helpers of the GTP tests (test_gtp*.py): the engine fixtures (a uniform-prior search with 8 simulations,
no net), the expected response of any line written from GTP 2.2-2.5 independently of the engine's parser,
snapshots of the engine's state, and the analysis-line parser. tests/conftest.py loads this module as a
plugin, so `player` and `engine` are fixtures of every test module."""
from __future__ import annotations

import re

import numpy as np
import pytest

from alphago.go import GoState
from alphago.go.coords import from_gtp
from alphago.play.gtp import GtpEngine
from alphago.play.player import SearchPlayer


@pytest.fixture(scope="module")
def player() -> SearchPlayer:
    return SearchPlayer(None, sims=8, evaluator="uniform")


@pytest.fixture
def engine(player) -> GtpEngine:
    return GtpEngine(player, size=9, komi=7.5)


# ---------------------------------------------------------------- helpers

def _expected(raw: str) -> tuple[bool, str]:
    """(does the line need a response, the id it must carry) -- GTP 2.2-2.5, written
    independently of the engine's parser."""
    clean = "".join(c for c in raw if c == "\t" or (c >= " " and c != "\x7f"))
    clean = clean.split("#", 1)[0].replace("\t", " ").strip()
    m = re.match(r"[0-9]+", clean)
    return bool(clean), m.group(0) if m else ""


def check_response(resp: str | None, raw: str) -> tuple[bool, str]:
    """Assert `resp` is a well-formed response to `raw`; return (success, result text)."""
    needed, ident = _expected(raw)
    if not needed:
        assert resp is None, f"{raw!r} is empty/comment but got {resp!r}"
        return True, ""
    assert resp is not None, f"no response to {raw!r}"
    assert resp.endswith("\n\n") and "\n\n" not in resp[:-2], f"bad termination for {raw!r}: {resp!r}"
    body = resp[:-2]
    assert body[0] in "=?", resp
    head = body[0] + ident
    assert body == head or body.startswith(head + " "), f"id {ident!r} not echoed for {raw!r}: {resp!r}"
    return body[0] == "=", body[len(head) + 1:]


def gtp(e: GtpEngine, line: str) -> tuple[bool, str]:
    resp, _ = e.handle(line)
    return check_response(resp, line)


def ok(e: GtpEngine, line: str) -> str:
    success, text = gtp(e, line)
    assert success, f"{line!r} failed: {text}"
    return text


def record_fields(st: GoState) -> tuple:
    """Every field of the game record (not raw bytes: the aligned record has padding)."""
    g = st.batch.games[0]
    return tuple(np.asarray(g[f]).tobytes() for f in g.dtype.names)


def snapshot(e: GtpEngine):
    st = e.state
    setup = None if st._setup is None else (st._setup[0].tobytes(), st._setup[1])
    return (st.n, record_fields(st), tuple(st.actions), tuple(st.colors), st.rules, setup,
            e.komi, e.time_settings, dict(e.time_left))


def position(st: GoState) -> dict:
    """What a game record means: chain fields where they are defined (stones; heads for the
    per-chain sums), the empty-point list, superko table, counters, and the net's input planes.
    Fields of empty points are left as they were by the kernels and carry no meaning."""
    from alphago.go.features import FeatureConfig, compute_features
    g = st.batch.games[0]
    color = g["color"]
    stone = (color == 1) | (color == -1)
    head = stone & (g["head"] == np.arange(color.size))
    out = {f: g[f].tobytes() for f in ("color", "seen", "hash", "ko", "passes", "moves", "last", "nhist",
                                       "to_play", "over", "nempty")}
    out.update({f: np.where(stone, g[f], 0).tobytes() for f in ("head", "nxt")})
    out.update({f: np.where(head, g[f], 0).tobytes() for f in ("size", "nlib", "lsum", "lsq", "chash")})
    out["empties"] = g["empties"][: g["nempty"]].tobytes()
    out["features"] = compute_features(st.batch, FeatureConfig()).tobytes()
    out["legal"] = st.legal_mask().tobytes()
    return out


def refused(e: GtpEngine, line: str) -> str:
    """The command fails and changes nothing."""
    before = snapshot(e)
    success, text = gtp(e, line)
    assert not success, f"{line!r} should fail, got '= {text}'"
    assert snapshot(e) == before, f"{line!r} failed but changed the state"
    return text


def parse_info(line: str, n: int, style: str) -> list[dict]:
    """Check one lz-analyze / kata-analyze report line; return its candidates."""
    assert line.startswith("info move "), line
    cands = []
    for order, seg in enumerate(line.split("info ")[1:]):
        toks = seg.split()
        assert toks[0] == "move", seg
        move = toks[1]
        from_gtp(move, n)
        pv_at = toks.index("pv")
        fields = dict(zip(toks[2:pv_at:2], toks[3:pv_at:2]))
        assert len(toks[2:pv_at]) % 2 == 0, seg
        pv = toks[pv_at + 1:]
        assert pv and pv[0] == move and all(from_gtp(v, n) >= 0 for v in pv), seg
        assert int(fields["order"]) == order
        visits = int(fields["visits"])
        assert visits >= 1
        if style == "lz":
            for k in ("winrate", "prior", "lcb"):
                assert fields[k].isdigit() and 0 <= int(fields[k]) <= 10000, seg
        else:
            for k in ("winrate", "prior"):
                assert 0.0 <= float(fields[k]) <= 1.0, seg
        cands.append({"move": move, "visits": visits})
    assert [c["visits"] for c in cands] == sorted((c["visits"] for c in cands), reverse=True)
    assert len({c["move"] for c in cands}) == len(cands)
    return cands


