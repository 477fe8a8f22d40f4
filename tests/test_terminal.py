"""Terminal play (`alphago play`) driven by scripted input streams.

Most tests use a scripted engine (its moves fixed by move number) so games are exact;
one uses the real search player, one the real command line.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sgfmill import sgf

from alphago.go import GoState, Rules
from alphago.go.coords import from_gtp
from alphago.play.player import Decision, MoveInfo, SearchPlayer
from alphago.play.terminal import TerminalGame, area_counts, play


class ScriptedPlayer:
    """Plays script[move_number] (a GTP vertex or "resign"), else passes."""
    name = "scripted"
    board_size = None

    def __init__(self, script: dict[int, str] | None = None):
        self.script = script or {}
        self.calls = 0

    def decide(self, state, seconds=None, allow_resign=True, allow_pass=True) -> Decision:
        self.calls += 1
        v = self.script.get(state.move_number, "pass")
        if v == "resign" and allow_resign:
            return Decision(state.n * state.n, True, 0.01, [], None)
        a = from_gtp("pass" if v == "resign" else v, state.n)
        return Decision(a, False, 0.5, [MoveInfo(a, 7, 0.625, 0.25)], None)


def run_game(lines: list[str], script=None, size=5, komi=7.5, human="black", tmp_path=None, player=None):
    out = io.StringIO()
    sgf_path = tmp_path / "game.sgf" if tmp_path else None
    game = TerminalGame(player or ScriptedPlayer(script), human=1 if human == "black" else -1, size=size,
                        komi=komi, sgf_path=sgf_path, inp=io.StringIO("".join(f"{x}\n" for x in lines)), out=out)
    assert game.run() == 0
    return game, out.getvalue()


def test_illegal_input_reprompts(tmp_path):
    lines = ["", "   ", "zz", "Z9", "f6", "a0", "i3", "c3", "c3", "d4", "hello world", "b2", "quit"]
    game, text = run_game(lines, script={1: "d4", 3: "e5"}, tmp_path=tmp_path)
    assert "Traceback" not in text
    assert text.count("'zz' is not a move or command") == 1
    for bad in ("z9", "f6", "a0", "i3", "hello world"):
        assert f"'{bad}' is not a move or command" in text
    assert "Illegal move C3: occupied point" in text
    assert "Illegal move D4: occupied point" in text
    st = game.state
    assert [st.colors[i] for i in range(4)] == [1, -1, 1, -1]
    assert st.actions == [from_gtp(v, 5) for v in ("C3", "D4", "B2", "E5")]
    # one prompt per line read, all at move 1, 3 or 5
    assert text.count("Black (X), move ") == len(lines)
    assert "Game stopped." in text and game.result == ""
    assert (tmp_path / "game.sgf").exists()  # quitting still saves the game so far


def test_undo_takes_back_reply_and_move(tmp_path):
    game, text = run_game(["undo", "c3", "b2", "undo", "undo", "undo", "d2", "quit"],
                          script={1: "d4", 3: "e5"}, tmp_path=tmp_path)
    assert text.count("Nothing to undo.") == 2
    assert text.count("Took back your last move and the engine's reply.") == 2
    st = game.state
    assert st.actions == [from_gtp("D2", 5), from_gtp("D4", 5)]


def test_undo_as_white_keeps_the_engines_first_move(tmp_path):
    game, text = run_game(["undo", "c3", "undo", "b2", "quit"], script={0: "e5", 2: "a1"}, human="white",
                          tmp_path=tmp_path)
    assert "Nothing to undo." in text and "Took back your last move and the engine's reply." in text
    assert game.state.actions == [from_gtp(v, 5) for v in ("E5", "B2", "A1")]
    assert game.state.colors == [1, -1, 1]


def test_two_passes_end_the_game_with_score_and_sgf(tmp_path):
    # Black (you) builds column C, the engine column D; you pass, it passes.
    script = {2 * r - 1: f"d{r}" for r in range(1, 6)}  # engine replies D1..D5, then passes
    lines = ["help", "hint"] + [f"c{r}" for r in range(1, 6)] + ["pass"]
    game, text = run_game(lines, script=script, komi=0.5, tmp_path=tmp_path)
    st = game.state
    assert st.is_over and st.consecutive_passes == 2
    # by hand: Black 5 stones + columns A, B = 15; White 5 + column E = 10
    assert "Tromp-Taylor area: Black 15, White 10 + komi 0.5. Result: B+4.5." in text
    assert "both passed" in text
    assert "visits" in text and "winrate" in text and "62.5%" in text  # the hint
    assert "Commands:" in text
    path = tmp_path / "game.sgf"
    assert f"Saved the game to {path}" in text
    g = sgf.Sgf_game.from_bytes(path.read_bytes())
    root = g.get_root()
    assert g.get_size() == 5 and g.get_komi() == 0.5 and root.get("RE") == "B+4.5"
    assert root.get("PB") == "You" and root.get("PW") == "scripted"
    replay = GoState(5, Rules(komi=0.5))
    for node in g.get_main_sequence()[1:]:
        colour, move = node.get_move()
        replay.play(25 if move is None else move[0] * 5 + move[1], 1 if colour == "b" else -1)
    assert (replay.board == st.board).all() and replay.actions == st.actions
    assert replay.result_string() == "B+4.5" and replay.is_over


def test_resignations(tmp_path):
    game, text = run_game(["c3", "resign"], script={1: "d4"}, tmp_path=tmp_path)
    assert game.result == "W+R" and "You resign." in text and "Game over: W+R." in text
    assert sgf.Sgf_game.from_bytes((tmp_path / "game.sgf").read_bytes()).get_root().get("RE") == "W+R"
    game, text = run_game(["c3", "b2"], script={1: "d4", 3: "resign"}, tmp_path=tmp_path)
    assert game.result == "B+R" and "scripted resigns" in text
    assert len(game.state.actions) == 3


def test_end_of_input_quits_cleanly(tmp_path):
    game, text = run_game(["c3"], script={1: "d4"}, tmp_path=tmp_path)
    assert "Game stopped." in text and len(game.state.actions) == 2
    game, text = run_game([], tmp_path=tmp_path / "none")
    assert "Saved" not in text  # nothing played, nothing written


def test_unwritable_sgf_path_is_reported_not_raised(tmp_path):
    _, text = run_game(["c3", "quit"], tmp_path=tmp_path / "no" / "such" / "dir")
    assert "Could not save the game:" in text and "Traceback" not in text


def test_default_sgf_name_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, text = run_game(["c3", "quit"])
    files = list(tmp_path.glob("alphago-*.sgf"))
    assert len(files) == 1 and f"Saved the game to {files[0].name}" in text


def test_area_counts_match_the_engine_score():
    rng = np.random.default_rng(0)
    for n in (5, 9):
        for _ in range(20):
            st = GoState(n, Rules(komi=0.5))
            for _ in range(int(rng.integers(0, 3 * n * n))):
                if st.is_over:
                    break
                st.play(int(rng.choice(st.legal_actions())))
            black, white = area_counts(st)
            assert black - white - 0.5 == pytest.approx(st.score())


def test_with_the_search_player(tmp_path):
    player = SearchPlayer(None, sims=8, evaluator="uniform")
    game, text = run_game(["hint", "e5", "hint", "undo", "c3", "quit"], player=player, size=5, tmp_path=tmp_path)
    assert text.count("Suggestions (8 visits):") == 2
    assert "alphago-uniform plays" in text
    assert game.state.actions[0] == from_gtp("C3", 5) and len(game.state.actions) == 2


def test_play_function_and_board_display(tmp_path):
    out = io.StringIO()
    rc = play(ScriptedPlayer({1: "b2"}), color="black", size=5, sgf_path=tmp_path / "g.sgf",
              inp=io.StringIO("c3\nquit\n"), out=out)
    text = out.getvalue()
    assert rc == 0
    assert "   A B C D E" in text and " 3 . . X . . 3" in text
    assert " 2 .(O). . . 2" in text  # the engine's last move is marked


def test_alphago_play_command_line(tmp_path):
    path = tmp_path / "cli.sgf"
    p = subprocess.run([sys.executable, "-m", "alphago.cli", "play", "--size", "5", "--evaluator", "uniform",
                        "--sims", "8", "--komi", "0.5", "--sgf", str(path)],
                       input="zz\nc3\nundo\nc3\nquit\n", capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONIOENCODING": "utf-8"}, check=False)
    assert p.returncode == 0, p.stderr
    assert "'zz' is not a move or command" in p.stdout and "Traceback" not in p.stderr
    g = sgf.Sgf_game.from_bytes(Path(path).read_bytes())
    assert g.get_size() == 5 and g.get_komi() == 0.5 and len(g.get_main_sequence()) == 3


def test_alphago_play_takes_size_and_komi_from_the_checkpoint(tmp_path):
    import torch

    from alphago.go.features import FeatureConfig
    from alphago.net.model import NetConfig, PolicyValueNet
    from alphago.train.checkpoint import save_checkpoint
    features, net = FeatureConfig(), NetConfig(blocks=1, channels=8, value_hidden=8)
    torch.manual_seed(0)
    ck = save_checkpoint(tmp_path / "latest.pt", PolicyValueNet(5, features.num_planes, net),
                         {"board_size": 5, "in_planes": features.num_planes, "net": dict(net.__dict__),
                          "features": dict(features.__dict__), "rules": dict(Rules(komi=3.5).__dict__),
                          "step": 0, "weight_version": 0})

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "alphago.cli", "play", "--checkpoint", str(ck), "--sims", "4",
                               "--sgf", str(tmp_path / "g.sgf"), *args], input="c3\nquit\n", capture_output=True,
                              text=True, timeout=300, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, check=False)
    p = cli()
    assert p.returncode == 0, p.stderr
    assert "on 5x5, komi 3.5" in p.stdout
    p = cli("--size", "9")
    assert p.returncode != 0 and "9x9" in p.stderr and "5x5" in p.stderr and "Traceback" not in p.stderr
