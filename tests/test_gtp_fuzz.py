"""GTP fuzzing: random lines of junk, plausible and malformed commands each get exactly one well-formed
response (or none when GTP says so) with the right id, and undo equals replaying the prefix."""
from __future__ import annotations

import random

import numpy as np
import pytest

from alphago.go.coords import GTP_LETTERS, to_gtp
from alphago.go.invariants import check_invariants
from alphago.play.gtp import GtpEngine

from gtp_kit import check_response, ok, snapshot, position


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
