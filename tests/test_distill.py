"""`alphago distill`: the spec is checked before compute, labels are what they claim, and a tiny run
produces a report with finite numbers (the soft-vs-hard study's distillation arm)."""
from __future__ import annotations

import dataclasses
import json
import re
import math
from pathlib import Path

import numpy as np
import pytest

from alphago.config import ConfigError
from alphago.experiments.distill_spec import load_distill

ROOT = Path(__file__).resolve().parents[1]


def _spec(tmp_path, **over) -> Path:
    data = {"name": "t", "teacher": "x.pt", "positions": [10, 40], "labels": ["hard", "soft:1"]}
    data.update(over)
    p = tmp_path / "spec.yaml"
    p.write_text(json.dumps(data))
    return p


@pytest.mark.parametrize("over, key", [({"labels": ["soft"]}, "labels"), ({"labels": ["soft:0"]}, "labels"),
                                       ({"labels": ["hard", "hard"]}, "labels"), ({"positions": [40, 10]}, "positions"),
                                       ({"steps": 0}, "steps"), ({"eval": {"games": -1}}, "eval.games"),
                                       ({"colour": 1}, "colour")])
def test_bad_specs_name_the_key(tmp_path, over, key):
    with pytest.raises(ConfigError, match=key.split(".")[-1]):
        load_distill(_spec(tmp_path, **over))


def test_shipped_spec_loads():
    spec = load_distill(ROOT / "configs/ablation/distill_5x5.yaml")
    assert "hard" in spec.labels and len(spec.cells()) == len(spec.labels) * len(spec.positions) * len(spec.seeds)


def test_rank_correlation_by_hand():
    from alphago.experiments.distill_report import rank_correlation
    assert rank_correlation([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert rank_correlation([1, 2, 3], [0.3, 0.2, 0.1]) == pytest.approx(-1.0)
    # ties share their mean rank: ranks (0.5, 0.5, 2) against (0, 1, 2): 1.5 / sqrt(1.5 * 2)
    assert rank_correlation([1, 1, 2], [1, 2, 3]) == pytest.approx(1.5 / math.sqrt(3.0))
    assert math.isnan(rank_correlation([1, 1, 1], [1, 2, 3]))


def test_labels_are_powers_of_the_visits_and_argmax():
    from alphago.data.replay import TrainBatch
    from alphago.experiments.distill import entropy_bits, labels
    v = np.array([[0.64, 0.36, 0.0]], np.float32)
    b = TrainBatch(np.zeros((1, 1, 1, 1), np.float32), v.copy(), np.ones(1, np.float32), np.zeros(1, np.float32),
                   np.zeros(1, np.int64))
    np.testing.assert_allclose(labels(b, "soft:2")[0], [0.8 / 1.4, 0.6 / 1.4, 0.0], rtol=1e-6)
    np.testing.assert_allclose(labels(b, "soft:0.5")[0], [0.4096 / 0.5392, 0.1296 / 0.5392, 0.0], rtol=1e-5)
    assert labels(b, "soft:1") is b.policy
    np.testing.assert_allclose(entropy_bits(np.array([[0.5, 0.5, 0.0]])), [1.0])


def _teacher(path: Path) -> Path:
    import torch

    from alphago.config import load_config
    from alphago.net.model import PolicyValueNet
    from alphago.train.checkpoint import save_checkpoint
    cfg = load_config(ROOT / "configs/tiny.yaml")
    torch.manual_seed(0)
    model = PolicyValueNet(cfg.size, cfg.features.num_planes, cfg.net)
    meta = {"board_size": cfg.size, "in_planes": cfg.features.num_planes, "net": dict(cfg.net.__dict__),
            "features": dict(cfg.features.__dict__), "rules": dict(cfg.rules.__dict__), "step": 0,
            "weight_version": 0, "config_json": cfg.to_json()}
    return save_checkpoint(path, model, meta)


def read_rows(out):
    return [json.loads(x) for x in (out / "cells.jsonl").read_text().splitlines()]


def test_tiny_distillation_end_to_end_and_resume(tmp_path):
    from alphago.experiments.distill import run
    teacher = _teacher(tmp_path / "teacher.pt")
    p = _spec(tmp_path, teacher=str(teacher), games=4, test_games=2, teacher_sims=8, temperature_moves=2,
              positions=[20, 60], steps=6, batch_size=16, seeds=[0],
              eval={"references": ["uniform@1"], "games": 2, "sims": 4})
    spec = load_distill(p)
    out, rep = tmp_path / "out", tmp_path / "report"
    path = run(spec, out, rep, threads=1, parallel=1, command="alphago distill spec.yaml", log=lambda *_: None)
    rows = [json.loads(x) for x in (out / "cells.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and {(r["label"], r["positions"]) for r in rows} == {
        ("hard", 20), ("soft:1", 20), ("hard", 60), ("soft:1", 60)}
    for r in rows:
        for k in ("test_policy_kl_bits", "test_top1", "test_value_ce_bits", "offered_bits_first", "realized_bits"):
            assert math.isfinite(r[k]), (k, r)
        assert r["eval_uniform1_games"] == 2
        assert (r["label_entropy_bits"] == 0.0) == (r["label"] == "hard")   # a hard label carries no dark knowledge
        assert r["test_policy_kl_bits"] >= -1e-9
    assert len({r["train_flops"] for r in rows}) == 1   # matched training FLOPs in every cell
    text = path.read_text()
    assert "| hard | 20 |" in text and "nan" not in text and (rep / "distill.png").stat().st_size > 1000
    info = json.loads((out / "teacher.json").read_text())
    assert info["games"] == 4 and info["labelling_flops"] > 0
    # strength against hard with an interval per pool size, and positions needed by KL and by score
    assert re.search(r"\| soft:1 \| [+-]\d\.\d\d \[[+-]\d\.\d\d, [+-]\d\.\d\d\]", text)
    assert "| label | by held-out KL | by score vs uniform1 |" in text
    assert re.search(r"\| 20 \| \d+ \| ([+-]\d\.\d\d|n/a) \| ([+-]\d\.\d\d|n/a) \| \d+ \| \d+ \| \d+ \|", text)
    # a rerun reuses the teacher's games and every finished cell, and keeps a reading written by hand
    before = (out / "cells.jsonl").read_text()
    (rep / "reading.md").write_text("## Reading\n\nwritten by hand")
    run(spec, out, rep, threads=1, parallel=1, command="x", log=lambda *_: None)
    assert (out / "cells.jsonl").read_text() == before
    assert path.read_text().rstrip().endswith("written by hand")
    # a fresh clone: the committed rows (fingerprinted) are restored; no teacher games, no training
    fresh = tmp_path / "fresh"
    committed = (rep / "cells.jsonl").read_bytes()
    run(spec, fresh, rep, threads=1, parallel=1, command="x", log=lambda *_: None)
    assert (rep / "cells.jsonl").read_bytes() == committed  # no machine paths, rows in the file's order
    assert not (fresh / "teacher").exists() and not (fresh / "students").exists()
    key = lambda r: (r["label"], r["positions"], r["seed"])  # noqa: E731
    assert sorted(map(key, read_rows(fresh))) == sorted(map(key, rows))
    assert "| hard | 20 |" in path.read_text()
    # ... but not when the settings changed (another number of steps): those cells train again
    from alphago.experiments.distill import restore_committed
    changed = dataclasses.replace(spec, steps=7)
    (tmp_path / "fresh2").mkdir()
    assert restore_committed(changed, rows[0]["teacher_sha256"], tmp_path / "fresh2", rep, log=lambda *_: None) == 0
    assert json.loads((out / "teacher.json").read_text())["network_rows"] == info["network_rows"]
