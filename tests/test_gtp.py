"""GTP v2 protocol tests against GtpEngine.handle() (in-process, no net: a uniform-prior
search with 8 simulations), plus the streaming run() loop over a pipe and `alphago gtp`
as a subprocess.

Board sizes are kept to 9 and 5 so a cold numba cache compiles few record layouts.
"""
from __future__ import annotations

import io
import os
import random
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from alphago.go import GoState, from_diagram, to_diagram
from alphago.go.coords import GTP_LETTERS, from_gtp, to_gtp
from alphago.go.invariants import check_invariants
from alphago.play.gtp import GtpEngine, GtpError, free_handicap_points, handicap_points
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


# ---------------------------------------------------------------- protocol basics

def test_ids_are_echoed_and_basic_commands(engine):
    assert engine.handle("5 protocol_version") == ("=5 2\n\n", False)
    assert engine.handle("name")[0] == "= alphago\n\n"
    assert engine.handle("  12\tversion  # a comment")[0].startswith("=12 ")
    assert engine.handle("7 no_such_command")[0] == "?7 unknown command\n\n"
    assert engine.handle("# only a comment") == (None, False)
    assert engine.handle("   ") == (None, False)
    assert engine.handle("\x01\x02") == (None, False)  # control characters are discarded
    assert engine.handle("PROTOCOL_VERSION")[0] == "= 2\n\n"
    assert engine.handle("3 quit") == ("=3\n\n", True)


def test_every_listed_command_is_known_and_answers(engine):
    listed = ok(engine, "list_commands").split("\n")
    required = {"protocol_version", "name", "version", "known_command", "list_commands", "quit", "boardsize",
                "clear_board", "komi", "play", "genmove", "undo", "showboard", "final_score",
                "fixed_handicap", "place_free_handicap", "set_free_handicap", "time_settings", "time_left",
                "set_random_seed", "lz-analyze", "kata-analyze"}
    assert required <= set(listed)
    for cmd in listed:
        assert ok(engine, f"known_command {cmd}") == "true"
    assert ok(engine, "known_command frobnicate") == "false"
    for cmd in listed:  # no arguments: a well-formed answer, never an internal error
        _, text = gtp(engine, f"9 {cmd}")
        assert not text.startswith("internal error"), (cmd, text)
        check_invariants(engine.state.batch, 0)


# ---------------------------------------------------------------- board commands

def test_boardsize_and_clear_board(engine):
    ok(engine, "play b e5")
    ok(engine, "boardsize 5")
    assert engine.state.n == 5 and not engine.state.board.any() and engine.state.actions == []
    ok(engine, "play b c3")
    for bad in ("boardsize 0", "boardsize 1", "boardsize 20", "boardsize 99999999999999999999999"):
        assert refused(engine, bad) == "unacceptable size"
    for bad in ("boardsize", "boardsize x", "boardsize 9 9", "boardsize -5", "boardsize 9.0", "boardsize ²"):
        refused(engine, bad)
    ok(engine, "clear_board")
    assert engine.state.n == 5 and not engine.state.board.any() and engine.state.to_play == 1
    ok(engine, "boardsize 9")
    assert engine.state.n == 9


def test_komi(engine):
    assert ok(engine, "final_score") == "W+7.5"
    ok(engine, "play b e5")
    ok(engine, "komi 0.5")
    assert engine.state.rules.komi == 0.5 and engine.state.actions == [from_gtp("E5", 9)]
    assert ok(engine, "final_score") == "B+80.5"  # one black stone owns the empty board
    ok(engine, "komi -3")
    assert ok(engine, "final_score") == "B+84"
    for bad in ("komi", "komi x", "komi nan", "komi inf", "komi 1e300", "komi 1,5"):
        assert refused(engine, bad) == "syntax error"


def test_play_captures_and_colors(engine):
    ok(engine, "boardsize 5")
    for line in ("play b b1", "play w a1", "play b a2"):  # white A1 is captured
        ok(engine, line)
    assert engine.state.board[0, 0] == 0
    ok(engine, "play b c3")  # out of turn: GTP allows it
    assert engine.state.colors[-1] == 1 and engine.state.to_play == -1
    ok(engine, "PLAY W PASS")
    assert engine.state.actions[-1] == 25


@pytest.mark.parametrize("line", [
    "play b e5",          # occupied (set up below)
    "play w e5",
    "play b z9",          # not a column
    "play b i5",          # GTP skips the letter I
    "play b a10",         # off the board
    "play b j0",
    "play b e",
    "play b 55",
    "play b D²",          # a digit int() refuses
    "play x c3",          # bad colour
    "play black",         # missing vertex
    "play",
    "play b c3 c4",       # too many arguments
    "genmove",
    "genmove purple",
    "genmove b w",
    "boardsize 4 4",
    "fixed_handicap 2",   # board not empty
    "set_free_handicap c3 d4",
    "time_settings 1 2",
    "time_settings -1 0 0",
    "time_settings a b c",
    "time_left b 10",
    "time_left q 10 0",
    "time_left b x 0",
    "komi",
    "known_commandx",
])
def test_errors_leave_state_unchanged(engine, line):
    ok(engine, "play b e5")
    ok(engine, "time_settings 60 5 1")
    refused(engine, line)
    check_invariants(engine.state.batch, 0)


def test_ko_suicide_and_undo_on_empty_are_refused(engine):
    ok(engine, "boardsize 5")
    refused(engine, "undo")
    ok(engine, "play b d5")
    ok(engine, "play b e4")
    assert "suicide" in refused(engine, "play w e5")  # into black's corner eye, capturing nothing
    for line in ("play b b1", "play w c1", "play b a2", "play w d2", "play b b3", "play w c3",
                 "play b c2", "play w b2"):  # white B2 captures black C2
        ok(engine, line)
    assert engine.state.board[1, 2] == 0 and engine.state.board[1, 1] == -1
    assert "ko" in refused(engine, "play b c2")  # immediate recapture


def test_moves_after_two_passes_are_accepted(engine):
    ok(engine, "play b pass")
    ok(engine, "play w pass")
    assert engine.state.is_over
    refused(engine, "play b z1")
    assert engine.state.is_over
    ok(engine, "play b c3")
    assert engine.state.board[2, 2] == 1 and not engine.state.is_over
    ok(engine, "play w pass")
    ok(engine, "play b pass")
    v = ok(engine, "genmove w")
    assert v == "pass" or engine.state.board.reshape(-1)[from_gtp(v, 9)] == -1


def test_undo(engine):
    ok(engine, "play b c3")
    before = position(engine.state), list(engine.state.actions), list(engine.state.colors)
    ok(engine, "play w d4")
    ok(engine, "play b pass")
    ok(engine, "undo")
    ok(engine, "undo")
    assert (position(engine.state), engine.state.actions, engine.state.colors) == before
    ok(engine, "undo")
    assert engine.state.actions == [] and not engine.state.board.any()
    refused(engine, "undo")


def test_showboard(engine):
    ok(engine, "play b c3")
    ok(engine, "play w d4")
    text = ok(engine, "showboard")
    assert text.strip("\n") == to_diagram(engine.state.board, last=engine.state.actions[-1])
    assert (from_diagram(text.replace("(", " ").replace(")", " ")) == engine.state.board).all()


def test_final_score_counted_by_hand(engine):
    ok(engine, "boardsize 5")
    ok(engine, "komi 0.5")
    for r in range(1, 6):
        ok(engine, f"play b c{r}")
        ok(engine, f"play w d{r}")
    # Black: 5 stones + A, B columns (10) = 15; White: 5 stones + E column (5) = 10.
    assert ok(engine, "final_score") == "B+4.5"
    ok(engine, "komi 7.5")
    assert ok(engine, "final_score") == "W+2.5"
    ok(engine, "komi 0.5")
    ok(engine, "play w a3")  # a white stone in black's area: A-B is now no one's
    # Black: 5; White: 6 stones + E column (5) = 11; 5 - 11 - 0.5
    assert ok(engine, "final_score") == "W+6.5"
    ok(engine, "komi 5")
    ok(engine, "undo")
    assert ok(engine, "final_score") == "0"  # 15 - 10 - 5: a draw


# ---------------------------------------------------------------- handicap

SPEC_19 = {2: "D4 Q16", 3: "D4 Q16 D16", 4: "D4 Q16 D16 Q4", 5: "D4 Q16 D16 Q4 K10",
           6: "D4 Q16 D16 Q4 D10 Q10", 7: "D4 Q16 D16 Q4 D10 Q10 K10", 8: "D4 Q16 D16 Q4 D10 Q10 K4 K16",
           9: "D4 Q16 D16 Q4 D10 Q10 K4 K16 K10"}  # GTP v2 spec, section 4.1.1


@pytest.mark.parametrize("count", range(2, 10))
def test_fixed_handicap_points_follow_the_spec(count):
    got = {to_gtp(a, 19) for a in handicap_points(19, count)}
    assert got == set(SPEC_19[count].split())


def test_fixed_handicap_limits():
    assert {to_gtp(a, 9) for a in handicap_points(9, 9)} == {f"{c}{r}" for c in "CEG" for r in (3, 5, 7)}
    assert {to_gtp(a, 13) for a in handicap_points(13, 4)} == {"D4", "K4", "D10", "K10"}
    for n, count in ((9, 10), (9, 1), (8, 5), (7, 5), (6, 2), (5, 2)):
        with pytest.raises(GtpError, match="invalid number of handicap stones"):
            handicap_points(n, count)
    for n, count in ((5, 2), (5, 24), (2, 3), (8, 9)):
        pts = free_handicap_points(n, count)
        assert len(set(pts)) == count and all(0 <= a < n * n for a in pts)


def test_handicap_commands(engine):
    stones = ok(engine, "fixed_handicap 3").split()
    assert set(stones) == {"G7", "C3", "C7"}
    assert all(engine.state.board.reshape(-1)[from_gtp(v, 9)] == 1 for v in stones)
    assert engine.state.to_play == -1 and engine.state.board.sum() == 3
    refused(engine, "fixed_handicap 2")  # board not empty
    refused(engine, "undo")  # set-up stones are not moves
    ok(engine, "play w e5")
    ok(engine, "komi 0.5")  # rebuilding the game keeps the handicap and the move
    assert engine.state.board.sum() == 2 and engine.state.actions == [from_gtp("E5", 9)]
    ok(engine, "clear_board")
    for bad in ("fixed_handicap 1", "fixed_handicap 10", "fixed_handicap", "fixed_handicap x",
                "set_free_handicap", "set_free_handicap a1", "set_free_handicap a1 a1",
                "set_free_handicap a1 pass", "set_free_handicap a1 z9"):
        refused(engine, bad)
    ok(engine, "set_free_handicap a1 b2 j9")
    assert engine.state.board.sum() == 3 and engine.state.to_play == -1
    ok(engine, "boardsize 5")
    refused(engine, "set_free_handicap " + " ".join(f"{c}{r}" for c in "ABCDE" for r in range(1, 6)))
    pts = ok(engine, "place_free_handicap 2").split()  # no fixed points on 5x5: chosen freely
    assert len(set(pts)) == 2 and engine.state.board.sum() == 2
    ok(engine, "clear_board")
    refused(engine, "place_free_handicap 1")
    refused(engine, "place_free_handicap 25")


# ---------------------------------------------------------------- time and genmove

def test_time_commands(engine):
    ok(engine, "time_settings 300 10 5")
    assert engine.time_settings == (300.0, 10.0, 5)
    ok(engine, "time_left b 120 0")
    ok(engine, "time_left white 8 3")
    assert engine.time_left == {1: (120.0, 0), -1: (8.0, 3)}
    ok(engine, "komi 6.5")  # rebuilding the game keeps the clocks
    assert engine.time_left == {1: (120.0, 0), -1: (8.0, 3)}
    assert engine._seconds_for_move(-1) == pytest.approx(0.8 * 8 / 3 - 0.05)
    ok(engine, "time_settings 0 0 0")  # no time limit
    assert engine._seconds_for_move(1) is None


def test_genmove_plays_for_the_given_color(engine):
    v = ok(engine, "genmove w")  # out of turn
    assert engine.state.colors == [-1]
    assert v == "pass" or engine.state.board.reshape(-1)[from_gtp(v, 9)] == -1
    v = ok(engine, "kgs-genmove_cleanup b")
    assert v != "pass" and engine.state.colors == [-1, 1]
    check_invariants(engine.state.batch, 0)


def test_genmove_respects_time_left():
    """The clock sets a deadline that stops the search early; no limit runs the full budget.

    Asserted on what the search did (simulations run, the seconds it was given), not on
    wall-clock ratios, which depend on the machine (CI once ran 3,000 uniform simulations
    in 0.15 s and failed a ratio test)."""
    budget = 20_000  # ~1 s untimed on a fast machine (CI: 3,000 in 0.15 s); the deadline is 0.05 s
    slow = SearchPlayer(None, sims=budget, evaluator="uniform")
    calls = []
    decide = slow.decide

    def spy(state, seconds=None, **kw):
        d = decide(state, seconds=seconds, **kw)
        calls.append((seconds, int(d.result.visits.sum())))
        return d

    slow.decide = spy
    e = GtpEngine(slow, size=9)
    ok(e, "time_settings 10 0 0")
    ok(e, "time_left w 1 0")  # 1 s for the rest of the game: 0.8 s over the 40 moves left, floored at 0.05 s
    ok(e, "genmove w")
    seconds, sims = calls[-1]
    assert seconds == pytest.approx(max(0.05, 0.8 / max(10, 81 // 2)))  # floor: 0.05 s
    assert 0 < sims < budget  # the deadline stopped the search (no wall-clock bound: a loaded machine
    #                           compiling a cold numba cache took 43 s here)
    ok(e, "time_settings 0 0 0")  # no limit
    slow.set_sims(50)
    ok(e, "genmove b")
    assert calls[-1] == (None, 50)


# ---------------------------------------------------------------- seeds

def test_set_random_seed(engine, player):
    try:
        ok(engine, "set_random_seed 42")
        assert player.seed == 42
        ok(engine, "set_random_seed -7")
        assert player.seed == -7
        for bad in ("set_random_seed", "set_random_seed x", "set_random_seed 1 2", "set_random_seed 1.5",
                    "set_random_seed ²"):
            assert refused(engine, bad) == "invalid seed"
        assert player.seed == -7
    finally:
        player.seed = 0


def test_seeds_choose_among_moves_and_repeat_exactly():
    """A net-free rollout player on the empty 5x5 board: the same seed gives the same move
    (also after other seeds were used), different seeds give different moves -- through random
    tie-breaks and seeded rollouts without noise, and through Dirichlet root noise with it."""
    def first_move(e: GtpEngine, seed: int) -> str:
        ok(e, "clear_board")
        ok(e, f"set_random_seed {seed}")
        return ok(e, "genmove b")

    for noise in (0.0, 0.1):
        e = GtpEngine(SearchPlayer(None, sims=24, evaluator="rollout", root_noise=noise), size=5, komi=2.5)
        moves = [first_move(e, seed) for seed in range(6)]
        assert len(set(moves)) >= 2, (noise, moves)
        assert [first_move(e, seed) for seed in (3, 0)] == [moves[3], moves[0]], noise
        fresh = GtpEngine(SearchPlayer(None, sims=24, evaluator="rollout", root_noise=noise), size=5, komi=2.5)
        assert first_move(fresh, 3) == moves[3]  # a fresh player (or process) with the seed: the same move


def test_root_noise_is_validated():
    with pytest.raises(ValueError, match="root_noise"):
        SearchPlayer(None, sims=8, evaluator="uniform", root_noise=1.5)
    p = SearchPlayer(None, sims=8, evaluator="uniform", root_noise=0.25)
    assert p.search_config.dirichlet_fraction == 0.25 and p.search_config.full_search_prob == 1.0
    assert not p.search_config.forced_playouts


# ---------------------------------------------------------------- analysis

@pytest.mark.parametrize("style", ["lz", "kata"])
def test_analyze_single_report(engine, style):
    ok(engine, "play b e5")
    before = snapshot(engine)
    for line in (f"{style}-analyze", f"{style}-analyze 10", f"4 {style}-analyze b 5", f"{style}-analyze white 1"):
        success, text = gtp(engine, line)
        assert success and text, (line, text)
        assert "\n" not in text
        cands = parse_info(text, 9, style)
        assert "E5" not in {c["move"] for c in cands}
    assert snapshot(engine) == before


@pytest.mark.parametrize("style", ["lz", "kata"])
def test_analyze_streams_until_next_command(player, style):
    e = GtpEngine(player, size=9)
    r, w = os.pipe()
    inp, wr = os.fdopen(r, "r"), os.fdopen(w, "w")
    out = io.StringIO()
    t = threading.Thread(target=e.run, args=(inp, out), daemon=True)
    t.start()
    try:
        started = time.monotonic()
        wr.write(f"7 {style}-analyze 10\n")
        wr.flush()
        deadline = time.time() + 60
        while out.getvalue().count("info move") < 2 and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a quick search must still report only about every 0.1 s
        wr.write("8 name\nquit\n")
        wr.flush()
        streamed_s = time.monotonic() - started  # measured: a loaded machine oversleeps
        t.join(60)
        assert not t.is_alive(), "run() did not stop analysing / quit"
    finally:
        wr.close()
    text = out.getvalue()
    assert text.startswith("=7\n"), text[:200]
    stream, rest = text[3:].split("\n\n", 1)
    lines = stream.split("\n")
    assert 2 <= len(lines) <= 2 + streamed_s / 0.1 + 5, (len(lines), streamed_s)  # one report per interval
    for line in lines:
        parse_info(line, 9, style)
    assert rest == "=8 alphago\n\n=\n\n"


# ---------------------------------------------------------------- fuzz

_JUNK = ["", " ", "\t", "#", "# comment", "\x00", "\x1b[A", "\r", "\x7f", "é", "☃", "日本", "\u3000", "𝔇4",
         "²", "-1", "0", "+5", "1e309", "nan", "99999999999999999999999999", "3.5", "pass", "PASS", "b", "w",
         "black", "White", "B", "x", "resign", "A1", "j9", "T19", "Z0", "i5", "a0", "d4d4"]
_ARGS = {  # plausible values, good and bad, per command
    "boardsize": ["5", "9", "9", "0", "1", "20", "-9", "9.0", "x", "99999999999999999999"],
    "komi": ["6.5", "0", "-3", "7", "0.5", "1e5", "nan", "inf", "x"],
    "fixed_handicap": ["2", "3", "4", "5", "9", "0", "1", "10", "x"],
    "place_free_handicap": ["2", "3", "9", "24", "80", "1", "0", "x"],
    "time_settings": ["0", "1", "10", "300", "5", "-1", "x", "1e9", "0.5"],
    "time_left": ["0", "1", "0.01", "10", "300", "3", "-1", "x"],
    "lz-analyze": ["b", "w", "10", "1", "0", "interval", "50", "x", "nan"],
}
_WEIGHTS = {"play": 30, "genmove": 6, "kgs-genmove_cleanup": 2, "undo": 5, "clear_board": 1, "boardsize": 1,
            "quit": 0}


def _fuzz_lines(rng: random.Random, commands: list[str], count: int) -> list[str]:
    """Random and malformed lines, with enough plausible ones that games actually grow."""
    names = commands + ["playy", "genmov", "", "PLAY", "4", "=", "?"]
    weights = [_WEIGHTS.get(c, 1) for c in names]
    lines = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.05:  # random bytes, decoded leniently
            raw = bytes(rng.randrange(256) for _ in range(rng.randrange(20))).decode("utf-8", "replace")
        elif kind < 0.1:  # random printable / control / unicode characters
            raw = "".join(rng.choice(["\t", " ", "\x01", "\x0b", "#", "=", "?", "\u200b", "ß", "5", "a"])
                          for _ in range(rng.randrange(12)))
        else:
            cmd = rng.choices(names, weights)[0]
            color = rng.choice(["b", "w", "b", "w", "B", "white", "x", ""])
            def vertex() -> str:
                return f"{GTP_LETTERS[rng.randrange(11)]}{rng.randrange(11)}"
            if cmd in ("play", "PLAY"):
                args = [color, rng.choice([vertex(), vertex(), vertex(), "pass", rng.choice(_JUNK)])]
            elif cmd in ("genmove", "kgs-genmove_cleanup"):
                args = [color]
            elif cmd == "set_free_handicap":
                args = [vertex() for _ in range(rng.randrange(5))]
            elif cmd == "time_left":
                args = [color] + rng.choices(_ARGS["time_left"], k=2)
            elif cmd in _ARGS or cmd == "kata-analyze":
                pool = _ARGS.get(cmd, _ARGS["lz-analyze"])
                args = rng.choices(pool, k=3 if cmd == "time_settings" else rng.randrange(1, 3))
            else:
                args = [rng.choice(_JUNK) for _ in range(rng.randrange(4))]
            if rng.random() < 0.1:  # something odd in the arguments
                args.insert(rng.randrange(len(args) + 1), rng.choice(_JUNK))
            raw = " ".join([cmd] + args)
            if rng.random() < 0.3:
                raw = f"{rng.randrange(10 ** rng.randrange(1, 25))} {raw}"
            if rng.random() < 0.1:
                raw = raw.replace(" ", rng.choice(["\t", "  ", " \x01"]))
            if rng.random() < 0.05:
                raw += " # trailing comment"
        lines.append(raw)
    return lines


def test_fuzz_every_line_gets_one_wellformed_response(player):
    e = GtpEngine(player, size=9)
    commands = ok(e, "list_commands").split("\n")
    commands.remove("quit")
    rng = random.Random(20261125)
    lines = _fuzz_lines(rng, commands, 3000)
    answered = errors = 0
    for raw in lines:
        before = snapshot(e)
        resp, quit_ = e.handle(raw)
        success, _ = check_response(resp, raw)
        if resp is not None:
            answered += 1
            if not success:
                errors += 1
                assert snapshot(e) == before, f"refused {raw!r} changed the state"
        assert not quit_
        check_invariants(e.state.batch, 0)
        assert e.state.n in (5, 9)
        assert len(e.state.actions) == len(e.state.colors)
    assert answered > 2500 and 0 < errors < answered  # the fuzz exercises both paths
    assert e.handle("quit") == ("=\n\n", True)


# ---------------------------------------------------------------- undo / replay

@pytest.mark.parametrize("seed", range(3))
def test_undo_equals_replaying_the_prefix(player, seed):
    rng = np.random.default_rng(seed)
    e = GtpEngine(player, size=9)
    for _ in range(60):
        st = e.state
        probe = st.copy()
        probe.continue_game()  # after two passes GTP play goes on
        legal = np.flatnonzero(probe.legal_mask())
        a = int(rng.choice(legal)) if rng.random() > 0.1 else 81
        color = st.to_play if rng.random() > 0.1 else -st.to_play  # now and then out of turn
        if color != st.to_play and a != 81:
            color = st.to_play
        ok(e, f"play {'b' if color == 1 else 'w'} {to_gtp(a, 9)}")
    actions, colors = list(e.state.actions), list(e.state.colors)
    for k in (1, 2, 7, 25):
        while len(e.state.actions) > len(actions) - k:
            ok(e, "undo")
        fresh = GtpEngine(player, size=9)
        for a, c in zip(actions[:-k], colors[:-k]):
            ok(fresh, f"play {'b' if c == 1 else 'w'} {to_gtp(a, 9)}")
        s, f = e.state, fresh.state
        assert (s.board == f.board).all() and s.hash == f.hash and s.to_play == f.to_play
        assert s.actions == f.actions and s.colors == f.colors
        assert (s.legal_mask() == f.legal_mask()).all()  # superko history restored too
        assert position(s) == position(f)
        check_invariants(s.batch, 0)


# ---------------------------------------------------------------- the real program

def tiny_checkpoint(path, size: int = 5, komi: float = 2.5):
    """A randomly initialised small net saved as a training run would save it."""
    import torch

    from alphago.go import Rules
    from alphago.go.features import FeatureConfig
    from alphago.net.model import NetConfig, PolicyValueNet
    from alphago.train.checkpoint import save_checkpoint
    torch.manual_seed(0)
    features, net = FeatureConfig(), NetConfig(blocks=1, channels=8, value_hidden=8)
    meta = {"board_size": size, "in_planes": features.num_planes, "net": dict(net.__dict__),
            "features": dict(features.__dict__), "rules": dict(Rules(komi=komi).__dict__), "step": 0,
            "weight_version": 0}
    return save_checkpoint(path, PolicyValueNet(size, features.num_planes, net), meta)


def _gtp_cli(args: list[str], lines: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "alphago.cli", "gtp", *args], input=lines, capture_output=True,
                          text=True, timeout=300, check=False)


def test_alphago_gtp_takes_size_and_komi_from_the_checkpoint(tmp_path):
    ck = str(tiny_checkpoint(tmp_path / "latest.pt", size=5, komi=2.5))
    p = _gtp_cli(["--checkpoint", ck, "--sims", "4"],
                 "1 boardsize 9\n2 boardsize 5\n3 set_random_seed 5\n4 final_score\n5 genmove b\n6 quit\n")
    assert p.returncode == 0, p.stderr
    r = p.stdout.split("\n\n")
    assert r[0] == "?1 unacceptable size" and r[1] == "=2" and r[2] == "=3"
    assert r[3] == "=4 W+2.5"  # the komi the net was trained with
    assert r[4].startswith("=5 ") and from_gtp(r[4][3:], 5) >= 0
    p = _gtp_cli(["--checkpoint", ck, "--sims", "4", "--komi", "0.5"], "final_score\nquit\n")
    assert p.returncode == 0 and p.stdout.startswith("= W+0.5"), p.stderr
    p = _gtp_cli(["--checkpoint", ck, "--size", "9"], "quit\n")
    assert p.returncode != 0 and "9x9" in p.stderr and "5x5" in p.stderr and ck in p.stderr, p.stderr
    assert "Traceback" not in p.stderr


def test_alphago_gtp_subprocess():
    lines = b"1 protocol_version\n2 play b d4\n\xff\xfe garbage\n3 genmove w\n4 showboard\n5 quit\n"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}  # undecodable input must not kill it
    p = subprocess.run([sys.executable, "-m", "alphago.cli", "gtp", "--evaluator", "uniform", "--sims", "8"],
                       input=lines, capture_output=True, timeout=300, env=env, check=False)
    assert p.returncode == 0, p.stderr.decode()
    out = p.stdout.decode()
    responses = out.split("\n\n")
    assert responses[-1] == ""
    responses = responses[:-1]
    assert responses[0] == "=1 2" and responses[1] == "=2" and responses[2].startswith("? ")
    move = responses[3]
    assert move.startswith("=3 ") and from_gtp(move[3:], 9) >= 0 and move[3:] != "D4"
    board = from_diagram(responses[4][4:].replace("(", " ").replace(")", " "))
    assert board[3, 3] == 1 and (board == -1).sum() == (0 if move[3:] == "pass" else 1)
    assert responses[5] == "=5"


def test_clock_seconds_by_hand():
    from alphago.play.gtp_clock import GtpClock
    c = GtpClock()
    assert c.seconds_for_move(1, 81, 0) is None               # no time_left yet: no limit
    c.set_left(1, 60.0, 0)                                    # time_left without settings: main time
    assert c.settings == (60.0, 0.0, 0)
    assert c.seconds_for_move(1, 81, 1) == pytest.approx(0.8 * 60 / 40)   # (81 - 1) // 2 moves left
    assert c.seconds_for_move(1, 81, 70) == pytest.approx(0.8 * 60 / 10)  # at least 10 moves left
    c.set_left(-1, 10.0, 5)                                   # byo-yomi: 10 s for 5 stones
    assert c.seconds_for_move(-1, 81, 1) == pytest.approx(0.8 * 10 / 5 - 0.05)
    c.set_left(-1, 0.0, 5)
    assert c.seconds_for_move(-1, 81, 1) == 0.05              # never below 50 ms
    c.set_settings(0, 0, 0)
    assert c.seconds_for_move(1, 81, 1) is None               # 0 0 0: no limit
    with pytest.raises(ValueError):
        c.set_settings(-1, 0, 0)
    c.new_game()
    assert c.left == {}


def test_final_status_list_without_an_ownership_head_calls_every_stone_alive(engine):
    ok(engine, "boardsize 5")
    for line in ("play b c3", "play w c2", "play b b3"):
        ok(engine, line)
    assert ok(engine, "final_status_list dead") == ""
    assert set(ok(engine, "final_status_list alive").split()) == {"C3", "C2", "B3"}
    assert ok(engine, "final_status_list seki") == ""
    for bad in ("final_status_list", "final_status_list zombie", "final_status_list dead alive"):
        success, text = gtp(engine, bad)
        assert not success and text == "syntax error"


def test_ownership_head_feeds_kata_analyze_and_final_status_list(tmp_path):
    """A net whose ownership head says "the opponent owns everything" (bias -10): for Black to
    move, Black's stones are dead and White's alive; kata-analyze ... ownership true reports N*N
    values of -1 for the player analysed, after the move infos."""
    import torch

    from alphago.go import Rules
    from alphago.go.features import FeatureConfig
    from alphago.net.model import NetConfig, PolicyValueNet
    from alphago.play.player import SearchPlayer
    from alphago.train.checkpoint import save_checkpoint
    torch.manual_seed(0)
    features, cfg = FeatureConfig(), NetConfig(blocks=1, channels=8, value_hidden=8, ownership_head=True)
    net = PolicyValueNet(5, features.num_planes, cfg)
    with torch.no_grad():
        net.ownership_conv.weight.zero_()
        net.ownership_conv.bias.fill_(-10.0)
    meta = {"board_size": 5, "in_planes": features.num_planes, "net": dict(cfg.__dict__),
            "features": dict(features.__dict__), "rules": dict(Rules(komi=2.5).__dict__), "step": 0,
            "weight_version": 0}
    path = save_checkpoint(tmp_path / "own.pt", net, meta)
    e = GtpEngine(SearchPlayer(str(path), sims=4), size=5, komi=2.5)
    for line in ("play b c3", "play w c2", "play b b3", "play w d2"):
        ok(e, line)
    assert set(ok(e, "final_status_list dead").split()) == {"C3", "B3"}   # Black to move: Black's stones
    assert set(ok(e, "final_status_list alive").split()) == {"C2", "D2"}
    text = ok(e, "kata-analyze b 10 ownership true")
    assert text.startswith("info move ") and " ownership " in text
    values = [float(x) for x in text.split(" ownership ")[1].split()]
    assert len(values) == 25 and all(v == pytest.approx(-1.0, abs=1e-3) for v in values)
    assert " ownership " not in ok(e, "kata-analyze b 10")          # only when asked for
    assert "scoreLead" not in text                                   # no score head, no scoreLead
    assert " ownership " not in ok(e, "lz-analyze b 10 ownership true")  # a kata field only


def test_score_head_gives_kata_analyze_a_score_lead(tmp_path):
    """A net whose score head always says "the player to move wins by 3": after any candidate move
    the opponent is to move and 'wins by 3', so every candidate's scoreLead is -3 for the mover."""
    from score_net import score_net_checkpoint

    from alphago.play.player import SearchPlayer
    path = score_net_checkpoint(tmp_path)
    e = GtpEngine(SearchPlayer(str(path), sims=8), size=5, komi=2.5)
    ok(e, "play b c3")
    text = ok(e, "kata-analyze w 10")
    infos = text.split("info ")[1:]
    assert infos and all("scoreLead -3.00 " in i for i in infos), text
    assert "scoreLead" not in ok(e, "lz-analyze w 10")   # a kata field only
