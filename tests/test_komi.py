"""Komi as an input: a per-game komi in the engine, a komi plane for the player to move,
komi randomisation in self-play, and stores that keep planes as uint8 putting the plane back."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from alphago.config import ConfigError, config_from_dict, load_config
from alphago.data.replay import ReplayBuffer
from alphago.go import GoBatch, GoState, Rules
from alphago.go import seed as seed_engine
from alphago.go.features import FeatureConfig, compute_features, komi_plane_value
from alphago.goenv import GoEnv
from alphago.net.evaluator import TorchEvaluator
from alphago.net.model import PolicyValueNet
from alphago.selfplay.loop import SelfPlay

ROOT = Path(__file__).resolve().parents[1]
TINY = load_config(ROOT / "configs" / "tiny.yaml")
KOMI_FEATURES = dataclasses.replace(TINY.features, komi=True)


def test_komi_plane_is_the_movers_komi_over_the_board_area():
    st = GoState(5, Rules(komi=7.5), history=2)
    f = FeatureConfig(history=2, komi=True)
    assert f.num_planes == FeatureConfig(history=2).num_planes + 1 and f.plane_names()[-1] == "komi"
    x = compute_features(st.batch, f)
    assert np.all(x[0, -1] == np.float32(-7.5 / 25))   # Black to move: the komi is against it
    st.play("C3")
    assert np.all(compute_features(st.batch, f)[0, -1] == np.float32(7.5 / 25))
    # the other planes are those of the features without komi
    assert np.array_equal(compute_features(st.batch, f)[:, :-1], compute_features(st.batch, FeatureConfig(history=2)))


def test_per_game_komi_moves_scores_winners_and_copies():
    """
    X X . O O
    X X . O O       Black 10 points, White 10, the middle column dame: black - white = 0
    X X . O O       at komi 0.5, -5 and 0: W+0.5, B+5 and a draw
    X X . O O
    X X . O O
    """
    b = GoBatch(5, 3, Rules(komi=0.5))
    stones = np.zeros((5, 5), np.int8)
    stones[:, :2] = 1
    stones[:, 3:] = -1
    for g in range(3):
        b.set_position(g, stones)
    b.set_komi([1, 2], [-5.0, 0.0])
    assert np.array_equal(b.scores(), np.array([-0.5, 5.0, 0.0], np.float32))
    assert np.array_equal(b.winners(), [-1, 1, 0])
    c = b.copy()
    assert np.array_equal(c.scores(), b.scores())
    d = GoBatch(5, 2, Rules(komi=0.5))
    d.copy_games_from(b, [1, 0], [0, 1])
    assert np.array_equal(d.scores(), np.array([5.0, -0.5], np.float32))
    # the search's leaves keep their game's komi: a terminal leaf's value uses it
    env = GoEnv(b, FeatureConfig(history=1, komi=True), "any")
    env.set_leaves(np.full((3, 1), 25, np.int32), np.zeros(3, np.int32))
    assert np.array_equal(env.leaves.komi, b.komi)


def test_komi_spread_needs_the_komi_plane():
    raw = {"size": 5, "selfplay": {"komi_spread": 3}}
    with pytest.raises(ConfigError, match="features.komi"):
        config_from_dict(raw)
    with pytest.raises(ConfigError, match="komi_spread"):
        config_from_dict({"size": 5, "selfplay": {"komi_spread": -1}, "features": {"komi": True}})
    assert config_from_dict({"size": 5, "selfplay": {"komi_spread": 3}, "features": {"komi": True}}).features.komi


@pytest.fixture(scope="module")
def spread_games():
    torch.set_num_threads(1)
    seed_engine(1)
    torch.manual_seed(0)
    net = PolicyValueNet(TINY.size, KOMI_FEATURES.num_planes, TINY.net)
    sp = SelfPlay(TINY.size, TINY.rules, KOMI_FEATURES, TINY.search,
                  dataclasses.replace(TINY.selfplay, batch_games=8, komi_spread=4), seed=1)
    return sp.play(TorchEvaluator(net, threads=1), 12)[:12]


def test_selfplay_spreads_komi_and_counts_each_game_at_its_own(spread_games):
    base = TINY.rules.komi
    komis = {g.komi for g in spread_games}
    assert len(komis) > 1 and all(abs(k - base) <= 4 and (k - base) == int(k - base) for k in komis)
    for g in spread_games:
        if not g.resigned:  # owners sum to the area difference: score = area difference - the game's komi
            assert float(g.ownership.sum()) - g.komi == pytest.approx(g.score)
            assert g.winner == int(np.sign(g.score))


def test_replay_puts_the_komi_plane_back(spread_games):
    rb = ReplayBuffer(TINY.size, KOMI_FEATURES, window=10_000, seed=0)
    for g in spread_games:
        rb.add_game(g)
    for symmetries in (False, True):
        b = rb.batch(np.arange(len(rb)), "visits", symmetries=symmetries)
        i = 0
        for g in spread_games:
            for t in range(g.num_moves):
                want = komi_plane_value(g.komi, 1 if t % 2 == 0 else -1, TINY.size)
                assert np.all(b.features[i, -1] == want), (g.komi, t)
                i += 1
    # and the planes equal what the engine computes for the position, komi included
    g = spread_games[0]
    st = GoState(TINY.size, Rules(komi=g.komi, max_moves=200), history=TINY.features.history)
    for a in g.actions[:3]:
        st.play(int(a))
    plain = rb.batch(np.array([3]), "visits").features[0]
    assert np.array_equal(plain, compute_features(st.batch, KOMI_FEATURES)[0])


def test_pretraining_data_keeps_the_komi_plane(tmp_path):
    from alphago.go.sgf import SgfGame, to_sgf
    from alphago.train.supervised import read_sgf_dir
    actions = [12, 7, 11, 8, 25, 25]   # C3 C2 B3 D2 pass pass
    for i, komi in enumerate((2.5, 9.0)):
        game = SgfGame(5, komi, actions, [1, -1] * 3, result="W+1")
        (tmp_path / f"g{i}.sgf").write_bytes(to_sgf(game))
    data = read_sgf_dir(tmp_path, 5, KOMI_FEATURES)
    x = data.inputs(np.arange(len(data.actions)))
    per_game = [x[data.game == g, -1, 0, 0] for g in range(2)]
    assert sorted({round(float(abs(v)) * 25, 3) for v in np.concatenate(per_game)}) == [2.5, 9.0]
    assert all(v[0] < 0 and v[1] > 0 for v in per_game)   # Black moves first: komi against it
