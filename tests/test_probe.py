"""The shared probe set (alphago probe build / eval, train.probe)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from alphago.config import load_config
from alphago.experiments.probe import build_probe
from alphago.train.probe import SOURCES, ProbeSet, score
from alphago.go.features import FeatureConfig
from alphago.net.io import load_model

ROOT = Path(__file__).resolve().parents[1]
NET = ROOT / "checkpoints" / "5x5.pt"


@pytest.fixture(scope="module")
def small_probe(tmp_path_factory) -> Path:
    # the shipped net twice: a second "other net" exercises the several-nets path cheaply
    probe = build_probe(5, str(NET), positions=30, sims=8, gnugo_games=2, net_games=4, random_games=4, seed=1,
                        other_nets=(str(NET),))
    path = tmp_path_factory.mktemp("probe") / "p.npz"
    probe.save(path)
    return path


def test_probe_round_trip_labels_and_sources(small_probe):
    p = ProbeSet.load(small_probe)
    assert 20 <= len(p) <= 30 and p.size == 5 and p.komi == 24.5
    assert np.allclose(p.policy.sum(axis=1), 1.0)                 # visit distributions
    assert set(np.unique(p.value)) <= {-1.0, 0.0, 1.0}
    assert {SOURCES[i] for i in np.unique(p.source)} >= {"net", "random"}
    keys = {tuple(a[:n]) for a, n in zip(p.actions, p.lengths)}
    assert len(keys) == len(p), "positions are distinct"
    # any feature configuration can be computed from the stored move sequences
    assert p.planes(FeatureConfig(history=1, liberties=False)).shape == (len(p), 4, 5, 5)
    with pytest.raises(ValueError, match="cannot read probe set"):
        ProbeSet.load(small_probe.parent / "missing.npz")


def test_score_is_better_for_the_labelling_net_than_for_an_untrained_one(small_probe):
    import torch

    from alphago.net.model import PolicyValueNet
    p = ProbeSet.load(small_probe)
    model, meta = load_model(NET)
    feats = meta.feature_config
    good = score(model, p, feats)
    torch.manual_seed(0)
    fresh = PolicyValueNet(5, feats.num_planes, model.config)
    bad = score(fresh, p, feats)
    assert good["probe_top1"] > bad["probe_top1"] and good["probe_policy_ce_bits"] < bad["probe_policy_ce_bits"]
    assert 0 <= good["probe_value_ece"] <= 1 and good["probe_positions"] == len(p)


def test_runs_naming_the_probe_score_every_checkpoint_on_it(small_probe, tmp_path):
    from alphago.run.local import run_local
    cfg = load_config(ROOT / "configs" / "tiny.yaml", {"train": {"probe": str(small_probe)},
                                                       "run": {"total_games": 32}})
    run_local(cfg, tmp_path / "run", threads=1)
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    ck = [r for r in rows if r.get("event") == "checkpoint"]
    assert ck and all(r["probe_positions"] == len(ProbeSet.load(small_probe)) and "probe_top1" in r for r in ck)
    assert any("realized_bits_per_flop" in r for r in ck)
    bad = load_config(ROOT / "configs" / "tiny.yaml", {"train": {"probe": str(tmp_path / "nope.npz")}})
    with pytest.raises(ValueError, match="train.probe"):
        run_local(bad, tmp_path / "run2", threads=1)


def test_cli_eval(small_probe):
    out = subprocess.run([sys.executable, "-m", "alphago.cli", "probe", "eval", "--probe", str(small_probe), str(NET)],
                         capture_output=True, text=True, cwd=str(ROOT), timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    row = json.loads(out.stdout.splitlines()[0])
    assert row["step"] == 4588 and 0 <= row["probe_top1"] <= 1
