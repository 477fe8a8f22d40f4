"""Shared by the failure-path tests (test_failure_paths*.py): the tiny config as a dict, 8 games searched
with a uniform evaluator (`uniform_games`, a fixture: tests/conftest.py loads this module as a plugin),
the command line in its own session, and the check that a failure ends in one clear line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from alphago.data.records import GameRecord

from training_kit import ENV, ROOT, TINY_PATH, selfplay_games


TINY_RAW = yaml.safe_load(TINY_PATH.read_text())


@pytest.fixture(scope="module")
def uniform_games() -> list[GameRecord]:
    """8 tiny games searched with a uniform evaluator (no net: fast and deterministic)."""
    from alphago.mcts.evaluators import UniformEvaluator
    return selfplay_games(lambda sp: UniformEvaluator(), games=8, batch_games=8, seed=0)


def _raw(**sections) -> dict:
    data = json.loads(json.dumps(TINY_RAW))
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    return data


def _cli(*args: str, timeout: float = 600, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m alphago.cli ARGS` in its own session; its process group is ended whatever happens."""
    import signal
    proc = subprocess.Popen([sys.executable, "-m", "alphago.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV, cwd=str(cwd or ROOT),
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _one_clear_line(r: subprocess.CompletedProcess, *needles: str) -> str:
    """A non-zero exit whose stderr says what is wrong without a traceback; returns stderr."""
    assert r.returncode != 0, (r.stdout[-2000:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr[-3000:]
    for n in needles:
        assert n in r.stderr, r.stderr[-3000:]
    return r.stderr


def _learner(cfg, run: Path, **kw):
    from alphago.train.learner import Learner
    return Learner(cfg, run, threads=1, **kw)
