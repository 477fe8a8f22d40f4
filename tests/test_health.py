"""Training-health numbers and warnings (selfplay/health.py) on hand-made games."""
from __future__ import annotations

import math

import numpy as np

from alphago.data.records import GameRecord, read_shard, write_shard
from alphago.selfplay.health import game_health, health_warnings

N = 3
A = N * N + 1
PASS = N * N


def game(actions, winner, root_value, visits=None, prior=None, full=None, resigned=False, would_resign=0):
    T = len(actions)
    if visits is None:
        visits = np.zeros((T, A), np.int32)
        visits[np.arange(T), actions] = 4
    if prior is None:
        prior = np.full((T, A), 1.0 / A, np.float32)
    return GameRecord(size=N, komi=0.5, ko_rule="positional", actions=np.array(actions, np.int16),
                      visits=np.asarray(visits, np.int32), prior=np.asarray(prior, np.float32),
                      improved=np.zeros((T, A), np.float32),
                      full_search=np.ones(T, bool) if full is None else np.array(full, bool),
                      root_value=np.array(root_value, np.float32), search_value=np.zeros(T, np.float32),
                      winner=winner, score=float(winner), resigned=resigned, would_resign=would_resign)


def test_hand_computed_health():
    g1 = game([4, 0, PASS, PASS], 1, [0.5, -0.5, 0.5, -0.5])          # Black wins, values exact-ish
    g2 = game([4, PASS], -1, [0.0, 0.0], resigned=True)                 # White wins by resignation at move 2
    h = game_health([g1, g2])
    assert h["health_games"] == 2
    assert h["health_game_length"] == 3.0
    assert math.isclose(h["health_pass_rate"], 3 / 6)
    assert h["health_first_pass"] == 1.5                                # median of 2 and 1
    assert h["health_resign_rate"] == 0.5 and h["health_early_resign_rate"] == 0.5  # 2 moves < N = 3
    assert h["health_black_win_rate"] == 0.5 and h["health_draw_rate"] == 0.0
    # outcomes for the player to move: g1 (+1,-1,+1,-1), g2 (-1,+1); values (.5,-.5,.5,-.5), (0, 0)
    assert math.isclose(h["health_value_mse"], (4 * 0.25 + 1 + 1) / 6, rel_tol=1e-6)
    assert math.isclose(h["health_value_black"], ((0.5 + 1) / 2 + 0.5) / 2)
    # uniform prior: argmax prior = action 0; visits argmax = the move played -> differs except at a=0
    assert math.isclose(h["health_search_changes_move"], 5 / 6)
    assert h["health_target_entropy"] == 0.0                            # one-hot visit distributions
    assert math.isnan(h["health_false_resign_rate"])


def test_false_resignations_and_entropy():
    v = np.zeros((2, A), np.int32)
    v[:, 0] = v[:, 1] = 2                                               # two moves split evenly: 1 bit
    g1 = game([0, 1], 1, [0, 0], visits=v, would_resign=1)              # Black would have resigned, won
    g2 = game([0, 1], -1, [0, 0], visits=v, would_resign=1)             # ... and lost
    h = game_health([g1, g2])
    assert h["health_false_resign_rate"] == 0.5
    assert math.isclose(h["health_target_entropy"], 1.0)


def test_warnings_name_the_failure():
    passes = [game([PASS, PASS], 0, [0.0, 0.0]) for _ in range(20)]
    w = health_warnings(game_health(passes), N, weight_version=10)
    text = " ".join(w)
    assert "pass collapse" in text and "value head is stuck" in text and "short" in text
    # too few games: no warnings
    assert health_warnings(game_health(passes[:3]), N, weight_version=10) == []
    early = [game([4, PASS], -1, [0.0, 0.0], resigned=True) for _ in range(20)]
    assert any("resignation cascade" in x for x in health_warnings(game_health(early), N, 0))
    black = [game([4, 0, 1, 2, 3, 5], 1, np.linspace(-0.5, 0.5, 6)) for _ in range(20)]
    assert any("komi decides" in x for x in health_warnings(game_health(black), N, 0))


def test_would_resign_persists_and_old_shards_load(tmp_path):
    g = game([4, PASS], 1, [0.0, 0.0], would_resign=-1)
    write_shard(tmp_path / "a.npz", [g])
    assert read_shard(tmp_path / "a.npz")[0].would_resign == -1
    # a shard written before the field existed
    with np.load(tmp_path / "a.npz") as z:
        data = {k: z[k] for k in z.files if k != "game_would_resign"}
    np.savez(tmp_path / "old.npz", **data)
    assert read_shard(tmp_path / "old.npz")[0].would_resign == 0
