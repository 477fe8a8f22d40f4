"""The ladder: Bradley-Terry fit against known ratings, the store, the scheduler end to end against GNU Go."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import require

from alphago.eval.ladder_fit import fit_ladder
from alphago.eval.ladder_store import LadderGame, Player, append_games, player, read_games
from alphago.play.engines import gnugo_binary

ROOT = Path(__file__).resolve().parents[1]
CK5 = ROOT / "checkpoints" / "5x5.pt"


def synthetic(true: dict[str, float], n: int, seed: int, draw: float = 0.0) -> list[LadderGame]:
    """n games between random pairs, results drawn from the Elo model (a draw with probability draw)."""
    rng = np.random.default_rng(seed)
    P = {k: Player(k, k, k) for k in true}
    keys = list(true)
    out = []
    for _ in range(n):
        i, j = rng.choice(len(keys), 2, replace=False)
        a, b = keys[i], keys[j]
        pa = 1 / (1 + 10 ** ((true[b] - true[a]) / 400))
        u = rng.random()
        res = "0" if u < draw else ("B" if rng.random() < pa else "W")
        out.append(LadderGame(P[a], P[b], res, 7, 9.0))
    return out


def test_fit_recovers_known_ratings():
    true = {"anchor": 0.0, "a": -400.0, "b": -150.0, "c": 100.0, "d": 250.0, "e": 600.0}
    fit = fit_ladder(synthetic(true, 4000, seed=1), "anchor", bootstrap=300, seed=0)
    assert fit.rating("anchor") == 0.0
    inside = 0
    for k, r in true.items():
        i = fit.keys.index(k)
        assert abs(fit.elo[i] - r) < 60, (k, fit.elo[i], r)
        inside += fit.ci_low[i] <= r <= fit.ci_high[i]
        if k != "anchor":
            assert 20 < fit.ci_high[i] - fit.ci_low[i] < 200   # an interval, not a point
    assert inside >= 5   # 95% intervals: at most one of the five free players may miss


def test_fit_draws_count_half_and_order_is_kept():
    true = {"x": 0.0, "y": 200.0}
    games = synthetic(true, 2000, seed=2, draw=0.3)
    fit = fit_ladder(games, "x", bootstrap=50)
    # draws pull the estimate towards 0 (half a win each): it stays positive and below the truth's 2x
    assert 50 < fit.rating("y") < 300
    d = fit.to_dict()
    assert set(d["ratings"]) == {"x", "y"} and d["ratings"]["y"]["games"] == 2000
    assert d["ratings"]["x"]["elo"] == 0.0 and d["ratings"]["y"]["ci_low"] < d["ratings"]["y"]["elo"]


def test_fit_refuses_a_missing_anchor_and_disconnected_players():
    P = {k: Player(k, k, k) for k in "abcd"}
    games = [LadderGame(P["a"], P["b"], "B", 5, 0.5), LadderGame(P["b"], P["a"], "B", 5, 0.5),
             LadderGame(P["c"], P["d"], "W", 5, 0.5)]
    with pytest.raises(ValueError, match="anchor 'z' has no games"):
        fit_ladder(games, "z")
    with pytest.raises(ValueError, match="no path of games to the anchor"):
        fit_ladder(games, "a")


def test_store_skips_a_cut_line_and_appends_after_it(tmp_path):
    P = {k: Player(k, k, k) for k in "ab"}
    store = tmp_path / "games.jsonl"
    append_games(store, [LadderGame(P["a"], P["b"], "B", 5, 0.5, ("C3",), 0, 7)])
    with open(store, "a") as f:
        f.write('{"black": {"key": "a"}, "wh')   # a crash mid-line
    seen = []
    assert len(read_games(store, log=seen.append)) == 1 and "line 2 skipped" in seen[0]
    append_games(store, [LadderGame(P["b"], P["a"], "0", 5, 0.5)])
    games = read_games(store)
    assert [g.result for g in games] == ["B", "0"] and games[0].opening == ("C3",) and games[0].bank_seed == 7
    with pytest.raises(ValueError, match="result must be one of"):
        LadderGame(P["a"], P["b"], "X", 5, 0.5)
    with pytest.raises(ValueError, match="cannot play itself"):
        LadderGame(P["a"], P["a"], "B", 5, 0.5)


def test_sync_appends_the_sources_new_whole_lines_and_refuses_a_copy_that_diverged(tmp_path, capsys):
    """`alphago ladder sync SRC DST`: a running study's store copied into the checkout that commits it.
    New whole lines are appended (a cut last line is left for the next sync); a copy that is not a
    prefix of the source is refused in one line, and left byte for byte as it was."""
    from alphago.cli import main
    src, dst = tmp_path / "study" / "games.jsonl", tmp_path / "main" / "games.jsonl"
    games = synthetic({"a": 0.0, "b": 100.0}, 5, seed=4)
    append_games(src, games[:3])
    assert main(["ladder", "sync", str(src), str(dst)]) == 0
    assert dst.read_bytes() == src.read_bytes() and "0 games, 3 added" in capsys.readouterr().out
    append_games(src, games[3:])
    with open(src, "a") as f:
        f.write('{"black": {"key": "a"}, "wh')                 # a game being written
    assert main(["ladder", "sync", str(src), str(dst)]) == 0
    said = capsys.readouterr().out
    assert "3 games, 2 added" in said and "now 5" in said and "still being written" in said
    assert len(read_games(dst)) == 5 and dst.read_bytes().endswith(b"\n")
    assert main(["ladder", "sync", str(src), str(dst)]) == 0 and "0 added" in capsys.readouterr().out
    # the next append closes the cut line; it is copied as it is (read_games skips it) and said so
    append_games(src, synthetic({"a": 0.0, "b": 100.0}, 1, seed=5))
    assert main(["ladder", "sync", str(src), str(dst)]) == 0
    assert "line(s) are not games" in capsys.readouterr().out and len(read_games(dst)) == 6
    # diverged: a line of the copy differs, or the copy is longer than the source; nothing is written
    for broken in (dst.read_bytes().replace(b'"B"', b'"W"', 1), dst.read_bytes() + dst.read_bytes()[:120] + b"\n"):
        dst.write_bytes(broken)
        assert main(["ladder", "sync", str(src), str(dst)]) == 2
        err = capsys.readouterr().err
        assert "is not a prefix of" in err and "nothing written" in err and "Traceback" not in err
        assert dst.read_bytes() == broken
    assert main(["ladder", "sync", str(tmp_path / "none.jsonl"), str(dst)]) == 2


def test_player_keys_are_content_hashes(tmp_path):
    copy = tmp_path / "renamed.pt"
    shutil.copyfile(CK5, copy)
    a, b = player(f"{CK5}@8"), player(f"{copy}@8")
    assert a.key == b.key and a.key.endswith("@8") and a.spec != b.spec and a.sims == 8
    assert player(f"{CK5}@16").key != a.key          # the same net searched differently is another player
    assert player("gnugo:3").key == "gnugo:3" and player("gnugo").key == "gnugo:10"
    for bad in ("gnugo:11", "gnugo:x", str(tmp_path / "none.pt"), "rollout@8"):
        with pytest.raises(ValueError):
            player(bad)


def cli(*args, timeout=900):
    return subprocess.run([sys.executable, "-m", "alphago.cli", "ladder", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def test_fit_command_json(tmp_path):
    store = tmp_path / "g.jsonl"
    append_games(store, synthetic({"gnugo:10": 0.0, "p": 300.0}, 200, seed=3))
    p = cli("fit", str(store), "--json", "--bootstrap", "50")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    r = d["ratings"]["p"]
    assert d["ratings"]["gnugo:10"]["elo"] == 0 and r["ci_low"] < r["elo"] < r["ci_high"] and r["games"] == 200
    p = cli("fit", str(store), "--anchor", "nobody")
    assert p.returncode == 2 and "has no games" in p.stderr and "Traceback" not in p.stderr


def test_ladder_plays_resumes_and_refits(tmp_path):
    """Anchors (GNU Go 1 and 10 on 5x5 at komi 24.5), then a net rated against them; a rerun plays nothing."""
    require(gnugo_binary() is not None, "GNU Go", "apt-get install gnugo")
    store = tmp_path / "games.jsonl"
    args = ["play", str(store), "--anchors", "gnugo:1", "gnugo:10", "--rate", f"{CK5}@4", "--label", "net5",
            "--size", "5", "--komi", "24.5", "--anchor-games", "4", "--max-anchor-games", "4", "--block", "4",
            "--per-player", "8", "--parallel", "2"]
    p = cli(*args)
    assert p.returncode == 0, p.stderr[-2000:]
    games = read_games(store)
    anchors = [g for g in games if {g.black.key, g.white.key} == {"gnugo:1", "gnugo:10"}]
    mine = [g for g in games if "net5" in (g.black.label, g.white.label)]
    assert len(anchors) == 4 and len(mine) == 8
    # both colours, from the shared bank: each opening twice, once with each colour
    assert sum(g.black.label == "net5" for g in mine) == 4
    by_opening: dict = {}
    for g in anchors:
        by_opening.setdefault(g.opening_index, []).append(g.black.key)
    assert sorted(by_opening) == [0, 1] and all(sorted(v) == ["gnugo:1", "gnugo:10"] for v in by_opening.values())
    assert all(len(g.opening) == 2 for g in games)
    # the net met both anchors (a new opponent each block), and its pairs continue through the bank
    assert {g.white.key if g.black.label == "net5" else g.black.key for g in mine} == {"gnugo:1", "gnugo:10"}
    assert "net5" in p.stdout and "Elo" in p.stdout
    p2 = cli(*args)
    assert p2.returncode == 0 and len(read_games(store)) == len(games)   # resumed: nothing left to play
    p3 = cli("fit", str(store), "--anchor", "gnugo:10", "--bootstrap", "20")
    assert p3.returncode == 0 and "net5" in p3.stdout and "gnugo:1" in p3.stdout


def test_widest_gap_picks_the_close_pair_with_the_least_evidence():
    """The anchors' information phase: among pairs within 400 Elo, the gap with the widest interval (one
    involving c, the player with least evidence), and nothing once every such gap is narrower than max_ci."""
    from alphago.eval.ladder_play import widest_gap
    P = {k: Player(k, k, k) for k in "abc"}

    def games(x, y, n, x_wins):
        return [LadderGame(P[x], P[y], "B" if i < x_wins else "W", 7, 9.0) for i in range(n)]
    # a-b met 200 times, b-c 12 times, both near even: b-c is the wide one
    store = games("a", "b", 200, 100) + games("b", "c", 12, 6)
    (i, j), width = widest_gap(store, ["a", "b", "c"], max_ci=150.0)
    assert (i, j) in ((1, 2), (0, 2)) and width > 150
    assert widest_gap(store, ["a", "b", "c"], max_ci=10_000.0) is None


def test_anchor_labels_close_in_elo_share_one_label():
    """The Elo plot's anchor lines: labels a few Elo apart would print over each other, so anchors
    closer than 30 Elo to the previous one share one label at the group's lowest line."""
    from alphago.experiments.ladder_report import _label_groups
    anchors = [{"elo": 5.0, "label": "gnugo:7"}, {"elo": -97.0, "label": "gnugo:1"}, {"elo": 0.0, "label": "gnugo:10"},
               {"elo": -16.0, "label": "gnugo:3"}, {"elo": 341.0, "label": "7x7@64"}]
    assert _label_groups(anchors) == [(-97.0, "gnugo:1"), (-16.0, "gnugo:3, gnugo:10, gnugo:7"), (341.0, "7x7@64")]
    assert _label_groups([]) == []


def test_anchor_labels_closer_than_a_label_are_pushed_apart():
    from alphago.experiments.ladder_report import _spread
    assert _spread([-183.0, -133.0, -76.0, -32.0, 0.0], 40.0) == [-183.0, -133.0, -76.0, -32.0, 8.0]
    assert _spread([0.0, 10.0, 15.0, 200.0], 20.0) == [0.0, 20.0, 40.0, 200.0] and _spread([], 5.0) == []


def test_verdict_reads_a_multiplier_by_the_protocol_rule():
    """Interval above 1: the arm needs more FLOPs; below 1: fewer; containing 1: not resolved, with what
    it excludes; either arm of the pair short of its planned seeds: provisional, whatever the interval."""
    from alphago.experiments.ladder_report import verdict
    planned = {"visits": 8, "action": 8, "argmax": 4, "a": 8, "b": 8}
    full = dict(planned)
    above = verdict("action", "visits", {"ci_low": 1.2, "ci_high": 3.0}, full, planned)
    assert above == "`action` vs `visits`: `action` needs more FLOPs than `visits` to the same Elo (1.20x to 3.00x)."
    below = verdict("action", "visits", {"ci_low": 0.25, "ci_high": 0.8}, full, planned)
    assert "`action` needs fewer FLOPs" in below and "(1.25x to 4.00x fewer)" in below
    both = verdict("argmax", "visits", {"ci_low": 0.48, "ci_high": 3.0}, {**full, "argmax": 2}, planned)
    assert both == ("`argmax` vs `visits`: not resolved; the interval [0.48, 3.00] contains 1 and excludes multipliers "
                    "above 3.00x and below 0.48x (provisional: `argmax` 2 of 4 seeds rated at every point).")
    # the 4-seed arm complete, its 8-seed base not: still provisional (the comparison moves with the base's seeds)
    base_short = verdict("argmax", "visits", {"ci_low": 0.48, "ci_high": 3.0}, {**full, "visits": 4}, planned)
    assert base_short.endswith("(provisional: `visits` 4 of 8 seeds rated at every point).")
    assert "no interval" in verdict("a", "b", {"ci_low": float("nan"), "ci_high": 2.0}, full, planned)


def test_opponents_counts_whom_the_checkpoints_played():
    """Each game counts once per checkpoint side: a checkpoint-vs-checkpoint game twice, a game against
    an anchor once (against GNU Go: counted in both shares), anchor-vs-anchor games not at all."""
    from alphago.experiments.ladder_report import _opponents
    a, b = Player("a@64", "a.pt@64", "visits/seed0/p0"), Player("b@64", "b.pt@64", "action/seed0/p0")
    g1, net = Player("gnugo:1", "gnugo:1", "gnugo:1"), Player("n@8", "7x7.pt@8", "7x7@8")
    games = [LadderGame(a, b, "B", 7, 9.0), LadderGame(a, g1, "W", 7, 9.0), LadderGame(net, b, "B", 7, 9.0),
             LadderGame(g1, net, "B", 7, 9.0)]
    assert _opponents(games, {"a@64", "b@64"}) == {"games": 4, "vs_anchors": 2, "vs_gnugo": 1}
