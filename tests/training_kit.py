"""Shared by the training tests (test_training*.py): the tiny config, the environment of CLI runs, one
torch thread per test module, games a randomly initialised tiny net plays, and a record-by-record
comparison. tests/conftest.py loads
this module as a plugin, so `net_games` and `one_torch_thread` are fixtures of every test module."""
from __future__ import annotations

import dataclasses
import math
import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from alphago.config import load_config
from alphago.data.records import GameRecord
from alphago.go import seed as seed_engine
from alphago.net.evaluator import TorchEvaluator
from alphago.net.model import PolicyValueNet
from alphago.selfplay.loop import SelfPlay


ROOT = Path(__file__).resolve().parents[1]
TINY_PATH = ROOT / "configs" / "tiny.yaml"
TINY = load_config(TINY_PATH)   # 5x5, history 2, a 2x16 net, 16 simulations, batch 64
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}   # Ray's defaults: token authentication stays on


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny nets gain nothing from threads, and on a shared machine spinning threads cost a lot (each
    training test module uses it: pytestmark)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def selfplay_games(evaluator_factory, games: int, batch_games: int, seed: int) -> list[GameRecord]:
    """`games` games of the tiny config, `batch_games` at a time, searched with evaluator_factory(selfplay)."""
    seed_engine(seed)
    sp = SelfPlay(TINY.size, TINY.rules, TINY.features, TINY.search,
                  dataclasses.replace(TINY.selfplay, batch_games=batch_games), seed=seed)
    return sp.play(evaluator_factory(sp), games)[:games]


@pytest.fixture(scope="module")
def net_games() -> list[GameRecord]:
    """8 games played by a randomly initialised tiny net, 16 simulations a move."""
    torch.manual_seed(0)
    net = PolicyValueNet(TINY.size, TINY.features.num_planes, TINY.net)
    return selfplay_games(lambda sp: TorchEvaluator(net, threads=1), games=8, batch_games=8, seed=0)


def _assert_same_records(a: list[GameRecord], b: list[GameRecord]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for f in dataclasses.fields(GameRecord):
            u, v = getattr(x, f.name), getattr(y, f.name)
            if f.name == "meta":
                continue  # not stored in shards
            if isinstance(u, np.ndarray):
                assert isinstance(v, np.ndarray) and u.dtype == v.dtype and np.array_equal(u, v), f.name
            elif isinstance(u, float) and math.isnan(u):
                assert isinstance(v, float) and math.isnan(v), f.name
            else:
                assert u == v and type(u) is type(v), (f.name, u, v)


def games_on_disk(run: Path) -> int:
    """Games in a run directory's shards."""
    from alphago.data.records import read_shard
    return sum(len(read_shard(p)) for p in sorted((run / "games").glob("shard_*.npz")))


def finish(proc: subprocess.Popen, timeout: float, what: str) -> str:
    """The output of `proc` (its own session, stdout with stderr), which must exit 0 within `timeout`
    seconds; on a timeout its process group is killed and the test fails with the output's tail."""
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError(f"{what} did not finish in {timeout} s:\n{out[-3000:]}")
    assert proc.returncode == 0, out[-3000:]
    return out
