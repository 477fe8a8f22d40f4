"""Failure paths (issue 25): every fault is forced here and must end in one clear line, never a
NaN checkpoint, a hang, a traceback or lost data.

(1) divergence: non-finite config numbers are refused by key; a search stops on a non-finite
    evaluator; a diverging run stops naming the step and the last good checkpoint, which stays intact.
(2) checkpoints: latest.pt is written like the step files (same bytes, same mode, no temp left on a
    failed write, weight_version counted only once written); --resume falls back to the newest
    intact step file with a warning.

(3)-(6), the command line, are in test_failure_paths_cli.py.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from alphago.config import ConfigError, config_from_dict, load_config

from training_kit import TINY_PATH, TINY
from failure_kit import _raw, _cli, _one_clear_line, _learner

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ============================================================== (1) divergence

@pytest.mark.parametrize("section,key,value", [
    ("train", "lr", float("inf")), ("train", "lr", float("nan")), ("rules", "komi", float("nan")),
    ("rules", "komi", float("-inf")), ("search", "c_init", float("inf")), ("selfplay", "resign_threshold", float("nan")),
])
def test_config_refuses_non_finite_numbers_naming_the_key(section, key, value):
    with pytest.raises(ConfigError) as info:
        config_from_dict(_raw(**{section: {key: value}}))
    assert f"{section}.{key}" in str(info.value) and "finite" in str(info.value)


def test_config_file_with_yaml_inf_is_refused(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text(TINY_PATH.read_text().replace("lr: 0.02", "lr: .inf"))
    with pytest.raises(ConfigError, match=r"train\.lr must be a finite number"):
        load_config(path)


def test_rules_refuse_a_non_finite_komi():
    from alphago.go import Rules
    for komi in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="rules.komi must be a finite number"):
            Rules(komi=komi)


class _NaNEvaluator:
    def __init__(self, bad: str):
        self.bad = bad

    def __call__(self, features, legal):
        logits = np.zeros(legal.shape, np.float32)
        values = np.zeros(len(legal), np.float32)
        (values if self.bad == "values" else logits)[:] = np.nan
        return logits, values


@pytest.mark.parametrize("bad", ["values", "logits"])
@pytest.mark.parametrize("kind", ["puct", "gumbel"])
def test_search_ends_with_an_error_naming_a_non_finite_evaluator(bad, kind):
    from alphago.go import GoBatch
    from alphago.goenv import GoEnv
    from alphago.mcts.search import Search
    search_cfg = dataclasses.replace(TINY.search, kind=kind)
    roots = GoBatch(TINY.size, 2, TINY.rules, history=TINY.features.history)
    env = GoEnv(roots, TINY.features)
    search = Search(search_cfg, 2, env.num_actions)
    with pytest.raises(ValueError, match=f"evaluator _NaNEvaluator returned non-finite {bad}"):
        search.run(env, _NaNEvaluator(bad))


def test_divergence_stops_training_before_a_nan_checkpoint(uniform_games, tmp_path):
    """lr 1e12: the step that makes the loss or weights non-finite raises Diverged naming the
    step and the last good checkpoint; nothing non-finite is ever written, later checkpoints refuse."""
    from alphago.net.io import read_checkpoint
    from alphago.train.trainer import Diverged
    cfg = dataclasses.replace(TINY, train=dataclasses.replace(TINY.train, lr=1e12),
                              run=dataclasses.replace(TINY.run, checkpoint_every=1000))
    run = tmp_path / "run"
    learner = _learner(cfg, run)
    try:
        learner.ingest(uniform_games)
        good = learner.checkpoint()           # step 0: the initial weights
        with pytest.raises(Diverged) as info:
            learner.train(50)
        exc = info.value
        assert exc.step >= 1 and exc.last_good == str(good)
        assert f"training diverged at step {exc.step}" in str(exc) and str(good) in str(exc)
        version = learner.weight_version
        with pytest.raises(Diverged):
            learner.checkpoint()              # the run's final checkpoint too
        assert learner.weight_version == version
    finally:
        learner.close()
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["latest.pt", good.name]
    data = read_checkpoint(run / "checkpoints" / "latest.pt")
    assert all(torch.isfinite(v).all() for v in data["model"].values() if v.is_floating_point())
    events = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [e["message"] for e in events if e.get("event") == "diverged"] == [exc.line()]
    assert all(np.isfinite(e["loss"]) for e in events if "loss" in e)


def test_cli_run_that_diverges_stops_with_one_line(tmp_path):
    """`alphago train` with lr 1e12 (issue 25: NaN by step 21, then a worker spinning forever):
    now one line naming the step and the last good checkpoint, exit 1, and no NaN on disk."""
    from alphago.net.io import read_checkpoint
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(_raw(train={"lr": 1.0e12}, run={"total_games": 96})))
    run = tmp_path / "run"
    r = _cli("train", "--no-progress", "--config", str(cfg), "--run-dir", str(run))
    err = _one_clear_line(r, "training diverged at step ")
    line = [x for x in err.splitlines() if "training diverged" in x][-1]
    assert "last good checkpoint" in line or "no checkpoint was written" in line
    for p in (run / "checkpoints").glob("*.pt"):
        data = read_checkpoint(p)
        assert all(torch.isfinite(v).all() for v in data["model"].values() if v.is_floating_point()), p


# ============================================================== (2) checkpoints

def _mode(p: Path) -> int:
    return p.stat().st_mode & 0o777


def test_latest_is_the_step_file_with_the_same_mode_as_every_artifact(uniform_games, tmp_path):
    from alphago.data.records import _file_mode
    run = tmp_path / "run"
    learner = _learner(TINY, run)
    try:
        shard = learner.ingest(uniform_games)
        step = learner.checkpoint()
    finally:
        learner.close()
    latest = run / "checkpoints" / "latest.pt"
    assert latest.read_bytes() == step.read_bytes()
    assert _mode(latest) == _mode(step) == _mode(shard) == _file_mode()
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")]


def test_failed_latest_write_leaves_no_temp_and_no_new_version(uniform_games, tmp_path, monkeypatch):
    """A full disk while latest.pt is written: the error surfaces, no temp file stays, and the
    weight version is not counted (workers never get a version that is not on disk)."""
    from alphago.data import records
    run = tmp_path / "run"
    learner = _learner(TINY, run)
    try:
        learner.ingest(uniform_games)
        learner.checkpoint()
        before = learner.weight_version
        good = (run / "checkpoints" / "latest.pt").read_bytes()
        real = os.fsync

        def fsync(fd):
            if os.readlink(f"/proc/self/fd/{fd}").split("/")[-1].startswith(".latest.pt"):
                raise OSError(28, "No space left on device (simulated)")
            return real(fd)
        monkeypatch.setattr(records.os, "fsync", fsync)
        learner.train(3)
        with pytest.raises(OSError, match="simulated"):
            learner.checkpoint()
        monkeypatch.undo()
        assert learner.weight_version == before
        assert (run / "checkpoints" / "latest.pt").read_bytes() == good
        assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")]
    finally:
        learner.close()


def test_resume_falls_back_to_the_newest_intact_step_file(uniform_games, tmp_path, capsys):
    run = tmp_path / "run"
    learner = _learner(TINY, run)
    learner.ingest(uniform_games)
    learner.train(2)
    older = learner.checkpoint()
    learner.train(2)
    newest = learner.checkpoint()
    learner.close()
    latest = run / "checkpoints" / "latest.pt"
    latest.write_bytes(latest.read_bytes()[:1000])     # cut short (a full disk, a copy)
    newest.write_bytes(newest.read_bytes()[:1000])     # and the newest step file too
    resumed = _learner(TINY, run, resume=True)
    try:
        assert resumed.trainer.step_count == 2 and resumed.last_good == older
        assert resumed.games == len(uniform_games)
    finally:
        resumed.close()
    out = capsys.readouterr().out
    assert "warning: resume:" in out and "going on from step_0000002.pt" in out
    events = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert any(e.get("event") == "resume_fallback" and "latest.pt" in e["message"] for e in events)


def test_resume_refuses_when_no_checkpoint_is_intact(uniform_games, tmp_path):
    from alphago.net.io import CheckpointError
    run = tmp_path / "run"
    learner = _learner(TINY, run)
    learner.ingest(uniform_games)
    step = learner.checkpoint()
    learner.close()
    for p in (step, run / "checkpoints" / "latest.pt"):
        p.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="no intact checkpoint in"):
        _learner(TINY, run, resume=True)
