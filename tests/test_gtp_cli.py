"""`alphago gtp` as a program: size and komi from the checkpoint, a subprocess over pipes, the clock,
final_status_list and kata-analyze with the ownership and score heads."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from alphago.go import from_diagram
from alphago.go.coords import from_gtp
from alphago.play.gtp import GtpEngine

from gtp_kit import gtp, ok


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
