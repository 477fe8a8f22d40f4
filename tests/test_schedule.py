"""The run's schedule (alphago/run/schedule.py) against fake handles: no net, no Ray, no games played.

What it promises: in the alternating schedule training waits for every worker's share and every worker
of a phase plays the same version; the replay ratio's due steps are clamped to run.max_steps; async
resubmits a worker at once with the newest version; games a dead worker had in flight count for nothing;
the first budget reached stops the run."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from alphago.run import schedule as schedule_module
from alphago.run.schedule import Budget, Schedule


class FakeLearner:
    """One training step due per position ingested; a new version per bump."""

    def __init__(self):
        self.games = self.positions = self.steps = self.version = 0
        self.pending = 0
        self.calls: list[tuple] = []

    def counters(self):
        return self.games, self.positions, self.steps, self.version

    def ingest(self, records, network_rows):
        self.calls.append(("ingest", len(records)))
        self.games += len(records)
        moves = sum(g.num_moves for g in records)
        self.positions += moves
        self.pending += moves

    def log(self, record):
        self.calls.append(("log", record["event"]))

    def steps_due(self):
        return self.pending

    def train(self, steps):
        self.calls.append(("train", steps))
        rows = []
        for _ in range(steps):
            self.steps += 1
            rows.append({"step": self.steps})
        self.pending -= steps
        return rows

    def bump_version(self):
        self.version += 1
        self.calls.append(("bump", self.version))
        return self.version

    def weights(self):
        return {"version": self.version}

    def flops(self):
        return 10.0 * self.steps


class FakePool:
    """Workers that finish in the order they were started; `lost` = calls (by number) whose games are lost."""

    def __init__(self, size: int, moves: int = 2, lost: tuple[int, ...] = ()):
        self.size, self.moves, self.lost = size, moves, set(lost)
        self.queue: list[tuple] = []
        self.played: list[tuple[int, int]] = []   # (worker, version) per finished call
        self.n = 0

    def play(self, i, games, weights=None, version=None):
        assert weights == {"version": version}
        self.queue.append((i, games, version))

    def next_batch(self):
        i, games, version = self.queue.pop(0)
        self.played.append((i, version))
        self.n += 1
        if self.n in self.lost:
            return i, None
        return i, SimpleNamespace(records=[SimpleNamespace(num_moves=self.moves)] * games, network_rows=0)

    def idle(self):
        return not self.queue

    def reanalyse(self, learner, weights, version):
        learner.calls.append(("reanalyse", version))

    def grow(self):
        return 0


class GrowingPool(FakePool):
    """A cluster that gains nodes: at the `at`-th phase boundary the pool grows by `by` workers."""

    def __init__(self, size: int, at: int, by: int):
        super().__init__(size)
        self.at, self.by, self.boundaries = at, by, 0

    def grow(self):
        self.boundaries += 1
        if self.boundaries != self.at:
            return 0
        self.size += self.by
        return self.by


@pytest.fixture(autouse=True)
def _no_health(monkeypatch):
    monkeypatch.setattr(schedule_module, "game_health", lambda records: {"health_games": len(records)})


def test_alternating_trains_after_every_share_and_clamps_to_max_steps():
    learner, pool = FakeLearner(), FakePool(2)
    s = Schedule(learner, pool, Budget(total_games=100, max_steps=10), games_per_phase=4,
                 reanalyse_on_workers=True)
    assert s.run() == "steps"
    # each phase: two shares of 2 games (4 positions each), then health, Reanalyse, 8 steps, a version
    assert learner.calls[:6] == [("ingest", 2), ("ingest", 2), ("log", "selfplay"), ("reanalyse", 0),
                                 ("train", 8), ("bump", 1)]
    assert ("train", 2) in learner.calls and learner.steps == 10   # the second phase is clamped
    assert pool.played == [(0, 0), (1, 0), (0, 1), (1, 1)]         # a phase plays one version
    assert s.counters.steps == 10 and s.counters.games == 8 and s.counters.version == 2


def test_async_resubmits_at_once_with_the_newest_version():
    learner, pool = FakeLearner(), FakePool(2)
    s = Schedule(learner, pool, Budget(total_games=8), games_per_phase=2, schedule="async",
                 reanalyse_on_workers=True)
    assert s.run() == "games"
    assert pool.played[:3] == [(0, 0), (1, 0), (0, 1)]   # worker 0 went on while worker 1 still played v0
    assert ("reanalyse", 0) not in learner.calls         # async: the learner reanalyses itself
    assert [c for c in learner.calls if c[0] == "train"] == [("train", 2)] * 8   # one game of 2 moves per batch


def test_lost_games_count_for_nothing_and_the_phase_still_ends():
    learner, pool = FakeLearner(), FakePool(2, lost=(2,))
    s = Schedule(learner, pool, Budget(total_games=4), games_per_phase=4)
    assert s.run() == "games"
    assert learner.calls[:3] == [("ingest", 2), ("train", 4), ("bump", 1)]  # one share lost: 2 games trained on
    assert s.counters.games == 4


def test_budgets_stop_in_order_and_before_any_play():
    learner = FakeLearner()
    learner.games = 5
    pool = FakePool(1)
    assert Schedule(learner, pool, Budget(total_games=5), games_per_phase=1).run() == "games"
    assert pool.played == [] and pool.idle()
    learner, pool = FakeLearner(), FakePool(1)
    assert Schedule(learner, pool, Budget(total_games=100, max_flops=25.0), games_per_phase=1).run() == "flops"
    assert learner.flops() >= 25.0
    phases = []
    learner, pool = FakeLearner(), FakePool(1)
    Schedule(learner, pool, Budget(total_games=3), games_per_phase=1, on_phase=phases.append).run()
    assert [len(p) for p in phases] == [1, 1, 1]


def test_workers_added_when_nodes_join_play_from_the_next_phase_on():
    """alternating: the grown pool plays the next phase, each worker a share of games_per_phase."""
    learner, pool = FakeLearner(), GrowingPool(1, at=1, by=2)
    s = Schedule(learner, pool, Budget(total_games=12), games_per_phase=6)
    assert s.run() == "games"
    assert pool.played[:4] == [(0, 0), (0, 1), (1, 1), (2, 1)]   # phase 1: worker 0 alone; phase 2: all three
    assert [c[1] for c in learner.calls if c[0] == "ingest"][:4] == [6, 2, 2, 2]


def test_async_starts_workers_added_at_once():
    learner, pool = FakeLearner(), GrowingPool(1, at=2, by=1)
    s = Schedule(learner, pool, Budget(total_games=6), games_per_phase=1, schedule="async")
    assert s.run() == "games"
    assert pool.played[:4] == [(0, 0), (0, 1), (0, 2), (1, 2)]   # worker 1 joins after the second batch


class ShrinkingPool(FakePool):
    """Call `gone` (by number) finds its worker dead and the cluster without the CPUs to replace it:
    the pool retires that slot (the worker after it moves down) and answers (None, None)."""

    def __init__(self, size: int, gone: int):
        super().__init__(size)
        self.gone = gone

    def next_batch(self):
        if self.n + 1 == self.gone:
            self.n += 1
            i, _, _ = self.queue.pop(0)
            self.size -= 1
            self.queue = [(j - 1 if j > i else j, g, v) for j, g, v in self.queue]
            return None, None
        return super().next_batch()


def test_a_retired_worker_is_not_played_again_and_the_run_goes_on():
    learner, pool = FakeLearner(), ShrinkingPool(2, gone=2)
    s = Schedule(learner, pool, Budget(total_games=4), games_per_phase=1, schedule="async")
    assert s.run() == "games"
    assert {w for w, _ in pool.played} == {0} and pool.size == 1   # worker 1 died for good: only worker 0 plays
    learner, pool = FakeLearner(), ShrinkingPool(2, gone=1)
    s = Schedule(learner, pool, Budget(total_games=4), games_per_phase=4)   # alternating: the next phase's
    assert s.run() == "games"                                                # shares fit the smaller pool
    assert pool.played == [(0, 0), (0, 1)] and [c for c in learner.calls if c[0] == "ingest"] == [("ingest", 2),
                                                                                                 ("ingest", 4)]
