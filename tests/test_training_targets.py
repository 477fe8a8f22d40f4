"""The targets beyond policy and value: the final ownership and score (they move with the board under
symmetries), the tempered soft policy, the score utility, auxiliary heads learning and counted, and
Reanalyse (stored positions rebuilt, targets renewed, its FLOPs counted)."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import yaml

from alphago.data.records import read_shard, write_shard
from alphago.data.replay import ReplayBuffer
from alphago.net.io import read_checkpoint
from alphago.net.model import PolicyValueNet, count_flops, score_half_range

from training_kit import TINY_PATH, TINY, _assert_same_records

pytestmark = pytest.mark.usefixtures("one_torch_thread")



# ============================================================== ownership target

def test_records_carry_the_final_ownership(net_games, tmp_path):
    for g in net_games:
        if g.resigned:
            assert g.ownership is None
            continue
        assert g.ownership.dtype == np.int8 and g.ownership.shape == (g.size ** 2,)
        assert float(g.ownership.sum()) == pytest.approx(g.score + g.komi)  # owners sum to the area count
    path = tmp_path / "s.npz"
    write_shard(path, net_games)
    _assert_same_records(read_shard(path), net_games)


def test_ownership_targets_move_with_the_board_under_symmetries(net_games):
    """A sample drawn in a random symmetry: some board symmetry maps its unrotated planes AND its
    unrotated ownership target onto the drawn ones (a target that moved differently would not)."""
    from alphago.go.symmetry import NUM_SYMMETRIES, apply_planes
    # random-net games end with one colour owning the whole board (symmetric): give them
    # asymmetric owner maps, since this checks how targets move, not what they are
    rng = np.random.default_rng(0)
    games = [dataclasses.replace(g, ownership=rng.integers(-1, 2, TINY.size ** 2).astype(np.int8))
             for g in net_games]
    rb = ReplayBuffer(TINY.size, TINY.features, window=10_000, seed=5)
    for g in games:
        rb.add_game(g)
    idx = np.arange(0, len(rb), 3)
    plain = rb.batch(idx, "visits", symmetries=False)
    drawn = rb.batch(idx, "visits", symmetries=True)
    n = TINY.size
    moved = 0
    for r in range(len(idx)):
        own0 = plain.ownership[r].reshape(1, 1, n, n)
        ok = [t for t in range(NUM_SYMMETRIES)
              if np.array_equal(apply_planes(plain.features[r:r + 1], t), drawn.features[r:r + 1])
              and np.array_equal(apply_planes(own0, t).reshape(-1), drawn.ownership[r])]
        assert ok, r
        moved += not np.array_equal(plain.ownership[r], drawn.ownership[r])
    assert moved > len(idx) // 2  # the symmetries did move the targets
    assert (drawn.ownership_weight == 1).all()


def test_soft_policy_target_is_the_tempered_visits_moved_with_the_policy(net_games):
    rb = ReplayBuffer(TINY.size, TINY.features, window=10_000, seed=7)
    for g in net_games:
        rb.add_game(g)
    idx = np.flatnonzero(rb.moves["full_search"][:len(rb)])
    b = rb.batch(idx, "visits", symmetries=True, soft_temperature=4.0)
    # policy = visits / sum; soft = visits^(1/4) / sum: in every drawn symmetry, row by row
    expect = b.policy.astype(np.float64) ** 0.25
    expect /= expect.sum(-1, keepdims=True)
    assert np.allclose(b.soft_policy, expect, atol=1e-6)
    assert (b.soft_policy > 0).sum() == (b.policy > 0).sum()
    # tempering spreads the mass: higher entropy than the visit distribution
    ent = lambda p: -(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1)), 0)).sum(-1)
    assert (ent(b.soft_policy) >= ent(b.policy) - 1e-9).all() and (ent(b.soft_policy) > ent(b.policy)).any()
    assert rb.batch(idx, "visits").soft_policy is None   # only when asked for


def test_score_targets_are_the_final_margin_for_the_mover(net_games):
    """Black's final margin (komi included) for Black to move, minus it for White; resigned games
    carry no score (weight 0); the two-hot target puts an integer margin on one bin and x.5 half
    on each neighbour, and its mean is the margin."""
    import torch

    from alphago.train.trainer import score_two_hot
    rb = ReplayBuffer(TINY.size, TINY.features, window=10_000, seed=3)
    for g in net_games:
        rb.add_game(g)
    b = rb.batch(np.arange(len(rb)), "visits")
    i = 0
    for g in net_games:
        for t in range(g.num_moves):
            if g.resigned:
                assert b.score_weight[i] == 0 and b.score[i] == 0
            else:
                assert b.score_weight[i] == 1 and b.score[i] == pytest.approx(g.score if t % 2 == 0 else -g.score)
            i += 1
    bins = 2 * score_half_range(5) + 1
    t = score_two_hot(torch.tensor([3.0, -2.5, 1e6]), bins)
    m = (bins - 1) // 2
    assert t[0, m + 3] == 1 and t[0].sum() == 1
    assert t[1, m - 3] == 0.5 and t[1, m - 2] == 0.5
    assert t[2, -1] == 1   # clamped to the support
    support = torch.arange(-m, m + 1, dtype=torch.float32)
    assert float((t[1] * support).sum()) == -2.5


def test_score_utility_mixes_the_score_lead_into_the_value():
    """(1 - u) v + u tanh(lead / N), with lead the score head's expected margin."""
    import torch

    from alphago.net.evaluator import TorchEvaluator
    from alphago.net.model import NetConfig
    torch.manual_seed(0)
    net = PolicyValueNet(5, TINY.features.num_planes, NetConfig(blocks=1, channels=8, value_hidden=8, score_head=True))
    with torch.no_grad():  # the score head says: a margin of exactly +4 for the mover
        net.score_fc[-1].weight.zero_()
        net.score_fc[-1].bias.fill_(-50.0)
        net.score_fc[-1].bias[score_half_range(5) + 4] = 50.0
    x = np.random.default_rng(0).random((3, TINY.features.num_planes, 5, 5)).astype(np.float32)
    legal = np.ones((3, 26), bool)
    _, v0 = TorchEvaluator(net)(x, legal)
    _, v = TorchEvaluator(net, score_utility=0.25)(x, legal)
    assert np.allclose(v, 0.75 * v0 + 0.25 * np.tanh(4 / 5), atol=1e-5)
    with pytest.raises(ValueError, match="score head"):
        TorchEvaluator(PolicyValueNet(5, TINY.features.num_planes, NetConfig(blocks=1, channels=8)), score_utility=0.1)


def test_auxiliary_heads_learn_and_are_counted(tmp_path):
    """A short run with the ownership, soft-policy and score levers: the heads' losses fall, their bits are
    counted (ownership in both ledgers), and the FLOPs of training include the heads."""
    from alphago.config import config_from_dict
    from alphago.run.local import run_local
    raw = yaml.safe_load(TINY_PATH.read_text())
    raw["net"]["ownership_head"] = True
    raw["net"]["soft_policy_head"] = True
    raw["train"]["ownership_weight"] = 1.5
    raw["train"]["soft_policy_weight"] = 1.0
    raw["net"]["score_head"] = True
    raw["train"]["score_weight"] = 0.1
    raw["run"]["total_games"] = 64
    cfg = config_from_dict(raw)
    run_local(cfg, tmp_path / "run", threads=1)
    rows = [json.loads(l) for l in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in rows if "ownership_loss" in r]
    assert len(train) > 20
    first = np.mean([r["ownership_loss"] for r in train[:5]])
    last = np.mean([r["ownership_loss"] for r in train[-5:]])
    assert last < first, (first, last)
    assert train[-1]["ownership_bits_per_sample"] > 0 and train[-1]["data_ownership_bits"] > 0
    assert train[-1]["data_ownership_bits_per_game"] <= TINY.size ** 2 * np.log2(3)
    assert 0 < train[-1]["data_ownership_bits_given_outcome_per_game"] <= TINY.size ** 2 * np.log2(3)
    first_s = np.mean([r["soft_policy_loss"] for r in train[:5]])
    last_s = np.mean([r["soft_policy_loss"] for r in train[-5:]])
    assert last_s < first_s and train[-1]["soft_policy_bits_per_sample"] > 0, (first_s, last_s)
    first_c = np.mean([r["score_loss"] for r in train[:5]])
    last_c = np.mean([r["score_loss"] for r in train[-5:]])
    assert last_c < first_c and train[-1]["score_bits_per_sample"] > 0, (first_c, last_c)
    bins = 2 * score_half_range(TINY.size) + 1
    assert 0 < train[-1]["data_score_bits_per_game"] <= np.log2(bins)
    assert 0 < train[-1]["data_score_bits_given_outcome_per_game"] <= np.log2(bins)
    # data_bits counts the boards and margins given the outcome (chain rule), not marginally
    assert train[-1]["data_bits"] == pytest.approx(train[-1]["data_policy_bits"] + train[-1]["data_value_bits"]
                                                   + train[-1]["data_ownership_bits_given_outcome"]
                                                   + train[-1]["data_score_bits_given_outcome"], rel=1e-9)
    plain = PolicyValueNet(cfg.size, cfg.features.num_planes,
                           dataclasses.replace(cfg.net, ownership_head=False, soft_policy_head=False, score_head=False))
    with_head = PolicyValueNet(cfg.size, cfg.features.num_planes, cfg.net)
    n_planes = cfg.features.num_planes
    assert count_flops(with_head, n_planes, cfg.size, backward=True) > count_flops(plain, n_planes, cfg.size, backward=True)
    assert count_flops(with_head, n_planes, cfg.size) == count_flops(plain, n_planes, cfg.size)  # play: no head


# ============================================================== Reanalyse

def test_reanalyse_rebuilds_the_stored_positions(net_games):
    """The positions Reanalyse searches are the stored ones: their planes equal the buffer's."""
    from alphago.go.features import compute_features
    from alphago.selfplay.reanalyse import Reanalyser, position_refs
    rb = ReplayBuffer(TINY.size, TINY.features, window=10_000, seed=2)
    for g in net_games:
        rb.add_game(g)
    idx = np.random.default_rng(0).integers(0, len(rb), 20)
    ra = Reanalyser(TINY.size, TINY.rules, TINY.features, TINY.search, TINY.selfplay.pass_rule, batch=32)
    roots = ra._roots(position_refs(rb.positions(idx)))
    assert np.array_equal(compute_features(roots, TINY.features)[:20].astype(np.uint8), rb.planes[idx])
    # a window that wrapped forgets the games it no longer holds
    small = ReplayBuffer(TINY.size, TINY.features, window=50, seed=2)
    for g in net_games:
        small.add_game(g)
    assert set(small.games) == {int(x) for x in small.origin_game[:len(small)]}


def test_reanalyse_renews_targets_and_counts_its_flops(tmp_path):
    from alphago.config import config_from_dict
    from alphago.run.local import run_local
    raw = yaml.safe_load(TINY_PATH.read_text())
    raw["train"]["reanalyse_ratio"] = 0.5
    raw["run"]["total_games"] = 48
    cfg = config_from_dict(raw)
    run_local(cfg, tmp_path / "run", threads=1)
    rows = [json.loads(l) for l in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in rows if "loss" in r]
    assert train[-1]["reanalysed"] > train[0]["reanalysed"] >= 0
    meta = read_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt")["meta"]
    led, positions, n = meta["ledger"], meta["positions"], meta["reanalysed"]
    # half a re-searched position per new position, in whole positions per ingest
    assert 0.5 * positions - 1 <= n <= 0.5 * positions
    # every re-search is a full search: its root plus at most num_simulations network rows
    rows_per_position = led["reanalyse_flops"] / meta["forward_flops"] / n
    assert 1 < rows_per_position <= TINY.search.num_simulations + 1
    from alphago.train.bits import BitsLedger, ledger_flops
    total = led["selfplay_flops"] + led["train_flops"] + led["reanalyse_flops"]
    assert ledger_flops(led) == pytest.approx(total)
    assert BitsLedger(**led).flops == pytest.approx(total)
    with pytest.raises(Exception, match="reanalyse_ratio"):
        raw["train"]["target"] = "action"
        config_from_dict(raw)
