"""Self-play and training in one process, without Ray, stopping on a budget.

The alternating schedule (run/schedule.py) on one in-process worker: play `run.games_per_phase`
games with the current weights, persist them, train the steps the replay ratio allows, checkpoint
a new weight version, repeat. It stops at the first budget reached: games (run.total_games),
training steps (run.max_steps), wall seconds or cumulative FLOPs (self-play + training, from the
ledger). Reanalyse runs inside the learner as games come in; there is no in-run evaluation (the
experiments evaluate a run's checkpoints afterwards). Tests and experiments use it where Ray's
start-up and processes would cost more than the run; `alphago train` is the Ray path (run/train.py).
A seeded run gives the same games, steps and metrics every time.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from .schedule import Budget, Schedule


@dataclass(frozen=True)
class LocalRunSummary:
    games: int
    positions: int
    steps: int
    weight_version: int
    flops: float       # cumulative FLOPs (self-play evaluations + training)
    seconds: float
    stopped_by: str    # "games" | "steps" | "seconds" | "flops"


class LocalLearner:
    """A train.learner.Learner as the schedule's LearnerHandle."""

    def __init__(self, learner):
        self.learner = learner

    def counters(self) -> tuple[int, int, int, int]:
        return self.learner.counters()

    def ingest(self, records: list, network_rows: int) -> None:
        self.learner.ingest(records, network_rows)

    def log(self, record: dict) -> None:
        self.learner.log(record)

    def steps_due(self) -> int:
        return self.learner.steps_due()

    def train(self, steps: int) -> list[dict]:
        return self.learner.train(steps)

    def bump_version(self) -> int:
        return self.learner.bump_version()

    def weights(self) -> dict:
        return self.learner.state_dict()

    def flops(self) -> float:
        return self.learner.trainer.ledger.flops


class LocalPool:
    """In-process self-play workers: a call runs when its result is asked for (next_batch), in order."""

    def __init__(self, workers: list):
        self.workers = workers
        self.size = len(workers)
        self._calls: list[tuple] = []

    def play(self, i: int, games: int, weights=None, version: int | None = None) -> None:
        self._calls.append((i, games, weights, version))

    def next_batch(self):
        i, games, weights, version = self._calls.pop(0)
        w = self.workers[i]
        return i, (w.play_batch(games) if weights is None else w.play_with(weights, version, games))

    def idle(self) -> bool:
        return not self._calls

    def reanalyse(self, learner, weights, version: int) -> None:
        raise NotImplementedError("in one process the learner reanalyses as games come in")

    def grow(self) -> int:
        return 0   # one process: one worker


def reanalyse_hooks():
    """Reanalyse's searches for the learner (train.learner.ReanalyseHooks): selfplay/reanalyse.py's."""
    from ..selfplay.reanalyse import position_refs, reanalyser_for
    from ..train.learner import ReanalyseHooks
    return ReanalyseHooks(position_refs, reanalyser_for)


def run_local(cfg: Config, run_dir: str | Path, resume: bool = False, init: str | None = None,
              max_seconds: float | None = None, max_flops: float | None = None, threads: int | None = None,
              on_phase=None) -> LocalRunSummary:
    """Run until a budget is reached (module docstring). on_phase(learner, records) is called
    after every self-play phase has been ingested and trained on, e.g. to log health."""
    from ..selfplay.worker import Worker
    from ..train.learner import Learner

    r = cfg.run
    learner = Learner(cfg, run_dir, resume=resume, threads=threads, init=init, reanalyse=reanalyse_hooks())
    worker = Worker(cfg, 0, threads=threads or 1)
    start = time.time()
    try:
        schedule = Schedule(LocalLearner(learner), LocalPool([worker]),
                            Budget(r.total_games, r.max_steps, max_seconds, max_flops), r.games_per_phase,
                            on_phase=None if on_phase is None else (lambda records: on_phase(learner, records)))
        stopped_by = schedule.run()
        learner.checkpoint()
        return LocalRunSummary(learner.games, learner.positions, learner.trainer.step_count,
                               learner.weight_version, float(learner.trainer.ledger.flops),
                               time.time() - start, stopped_by)
    finally:
        learner.close()
