"""Pipeline sanity checks: bugs in features, targets, perspectives or augmentation
show here in seconds, where self-play would hide them for hours.

- the net can overfit a small fixed set of real positions to near-zero loss (features carry
  what the targets need, the loss and optimizer work);
- the shipped nets, trained with symmetry augmentation, answer consistently under the 8
  board symmetries (features, policy indexing and augmentation agree with each other).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from alphago.data.replay import TrainBatch
from alphago.go import GoBatch, Rules, seed
from alphago.go.features import FeatureConfig, compute_features
from alphago.go.symmetry import apply_planes, apply_policy, inverse
from alphago.net.io import load_model
from alphago.net.model import NetConfig, PolicyValueNet, count_flops
from alphago.train.trainer import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "checkpoints").glob("*.pt"))


def random_positions(size: int, count: int, feats: FeatureConfig, rng) -> np.ndarray:
    """float32[count, C, N, N] planes from light random games at random depths."""
    seed(int(rng.integers(1 << 30)))
    b = GoBatch(size, count, Rules(komi=0.5), history=feats.history)
    depth = rng.integers(size, size * size, count)  # past the opening: positions differ
    for t in range(int(depth.max())):
        acts = b.random_actions(light=True)
        acts[depth <= t] = -1
        b.step(acts, validate=False)
    return compute_features(b, feats).astype(np.float32)


def test_net_overfits_a_fixed_small_set():
    rng = np.random.default_rng(0)
    feats = FeatureConfig(history=2)
    n, count = 5, 64
    x = random_positions(n, count, feats, rng)
    assert len(np.unique(x.reshape(count, -1), axis=0)) == count, "memorising needs distinct positions"
    A = n * n + 1
    labels = rng.integers(0, A, count)
    policy = np.eye(A, dtype=np.float32)[labels]
    value = rng.choice([-1.0, 1.0], count).astype(np.float32)
    batch = TrainBatch(x, policy, np.ones(count, np.float32), value, labels.astype(np.int64))
    torch.manual_seed(0)
    net = PolicyValueNet(n, feats.num_planes, NetConfig(blocks=2, channels=32, value_hidden=32))
    trainer = Trainer(net, TrainConfig(optimizer="adamw", lr=3e-3, weight_decay=0.0, batch_size=count),
                      count_flops(net, feats.num_planes, n, backward=True))
    first = trainer.step(batch)
    for _ in range(600):
        last = trainer.step(batch)
    # random labels: nothing to generalise, only to memorise. Start: ~log(26) + 1 = 4.3
    assert first["policy_loss"] > 3.0
    assert last["policy_loss"] < 0.05 and last["value_loss"] < 0.02, last


def test_reinforce_avoid_signal_is_bounded():
    """A losing move's weight -1 pushes log q(a) down only while q(a) >= 1/(10 A): the exact gradient
    on the logits is e_a - q above that floor and zero below it (train/trainer.py, losses)."""
    from alphago.train.trainer import losses
    A = 6
    logits = torch.tensor([[0.0, 0.0, 0.0, 0.0, 0.0, 0.0],      # q(0) = 1/6: above the floor
                           [-9.0, 0.0, 0.0, 0.0, 0.0, 0.0]],    # q(0) ~ 2.5e-5 < 1/60: below it
                          requires_grad=True)
    batch = {"policy": torch.eye(A)[[0, 0]], "policy_weight": torch.tensor([-1.0, -1.0]),
             "value": torch.zeros(2)}
    out = losses(logits, torch.zeros(2), batch, "reinforce", value_weight=0.0)
    out["loss"].backward()
    q = torch.softmax(logits.detach(), -1)
    expect0 = (torch.eye(A)[0] - q[0]) / 2          # w (q - e_a) / sum |w|, w = -1
    assert torch.allclose(logits.grad[0], expect0, atol=1e-6)
    assert torch.count_nonzero(logits.grad[1]) == 0


def test_reinforce_with_losing_games_stays_finite():
    """Measured before the bound: policy loss -1e35 then NaN within ~900 steps of a 5x5 run."""
    rng = np.random.default_rng(1)
    feats = FeatureConfig(history=2)
    n, count = 5, 64
    x = random_positions(n, count, feats, rng)
    A = n * n + 1
    labels = rng.integers(0, A, count)
    batch = TrainBatch(x, np.eye(A, dtype=np.float32)[labels], -np.ones(count, np.float32),
                       -np.ones(count, np.float32), labels.astype(np.int64))
    torch.manual_seed(0)
    net = PolicyValueNet(n, feats.num_planes, NetConfig(blocks=1, channels=16, value_hidden=16))
    trainer = Trainer(net, TrainConfig(target="reinforce", lr=0.05, batch_size=count),
                      count_flops(net, feats.num_planes, n, backward=True))
    for _ in range(300):
        m = trainer.step(batch)
    assert np.isfinite(m["loss"]) and m["policy_loss"] >= -np.log(10 * A) - 1e-4, m
    with torch.no_grad():
        logits, _ = net.eval()(torch.from_numpy(x))
    assert torch.isfinite(logits).all()


@pytest.mark.skipif(not SHIPPED, reason="no shipped net in checkpoints/")
@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_net_is_consistent_under_board_symmetries(path):
    model, meta = load_model(path)
    feats = meta.feature_config
    n = meta.board_size
    x = random_positions(n, 32, feats, np.random.default_rng(1))
    pols, vals = [], []
    with torch.no_grad():
        for t in range(8):
            logits, v = model(torch.from_numpy(apply_planes(x, t)))
            p = torch.softmax(logits, -1).numpy()
            pols.append(apply_policy(p, inverse(t)))  # back to the original orientation
            vals.append(v.numpy())
    pols, vals = np.stack(pols), np.stack(vals)
    mean_p = pols.mean(axis=0)
    tv = 0.5 * np.abs(pols - mean_p).sum(axis=-1)          # total variation to the symmetric mean
    # a policy mapped back with a wrong inverse (what a bug in symmetry.py or the augmentation
    # would do) is the scale to compare with
    wrong = np.stack([apply_policy(pols[t], t) for t in range(1, 4)])
    tv_wrong = (0.5 * np.abs(wrong - mean_p).sum(axis=-1)).mean()
    print(f"{path.name}: mean TV {tv.mean():.3f} (wrong inverse {tv_wrong:.3f}), "
          f"value spread {np.abs(vals - vals.mean(axis=0)).mean():.3f}")
    # the bug detector holds for every net; the absolute bar is for the playing nets (a warm start,
    # 1,500 supervised steps on 300 games, is less settled on random positions: 0.27 for 7x7_warm)
    assert tv.mean() < 0.5 * tv_wrong, f"policy differs under symmetries: mean TV {tv.mean():.3f}"
    assert path.stem.endswith("_warm") or tv.mean() < 0.2, f"policy differs under symmetries: mean TV {tv.mean():.3f}"
    # value: its spread over the 8 views of a position is small next to its spread over positions
    spread, between = np.abs(vals - vals.mean(axis=0)).mean(), vals.mean(axis=0).std()
    assert spread < 0.2 and spread < 0.5 * between, (spread, between)


def test_supervised_on_gnugo_games_agrees_with_gnugo_and_is_calibrated(tmp_path):
    """GNU Go self-play games through GTP (the arena, seeds per game so they differ), then
    supervised training (alphago pretrain's code): held-out top-1 agreement far above chance
    and a value whose predicted win rates match the actual ones."""
    from alphago.play.arena import gnugo_binary, parse_spec, run_match
    from alphago.train.supervised import pretrain, read_sgf_dir
    from conftest import require
    require(gnugo_binary() is not None, "GNU Go", "apt-get install gnugo")
    n, komi = 5, 24.5
    a, b = parse_spec("gnugo:1", n, komi), parse_spec("gnugo:3", n, komi)
    res = run_match(a, b, 100, n, komi, parallel=2, opening_moves=2, seed=5, sgf_dir=tmp_path / "sgf")
    assert res.distinct_games() >= 70
    feats = FeatureConfig(history=2)
    data = read_sgf_dir(tmp_path / "sgf", n, feats)
    assert data.games >= 95
    _, _, report = pretrain(NetConfig(blocks=2, channels=32, value_hidden=32), feats, n, data, steps=400,
                            holdout=0.25, seed=0)
    print({k: v for k, v in report.items() if k != "test_calibration"})
    # chance is 1/26; GNU Go's own moves are mostly predictable from the position
    assert report["test_top1"] > 0.4, report  # measured 0.476 (train 0.617)
    assert report["test_value_ece"] < 0.2, report  # measured 0.137 (train 0.070) on 2026-12-03
