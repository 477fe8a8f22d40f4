"""GTP v2 protocol tests against GtpEngine.handle() (in-process, no net: a uniform-prior
search with 8 simulations; the fixtures and helpers are in gtp_kit.py), and the streaming
analysis loop over a pipe. Fuzzing is in test_gtp_fuzz.py, `alphago gtp` as a program in
test_gtp_cli.py.

Board sizes are kept to 9 and 5 so a cold numba cache compiles few record layouts.
"""
from __future__ import annotations

import io
import os
import threading
import time

import pytest

from alphago.go import from_diagram, to_diagram
from alphago.go.coords import from_gtp, to_gtp
from alphago.go.invariants import check_invariants
from alphago.play.gtp import GtpEngine, GtpError, free_handicap_points, handicap_points
from alphago.play.player import SearchPlayer

from gtp_kit import gtp, ok, snapshot, position, refused, parse_info


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
