"""The run's schedule, written once: self-play batches in, training steps and weight versions out.

alternating  every worker plays its share of run.games_per_phase games with the current weights; when
             the last share is in, the phase is over: its games' health is logged, Reanalyse runs (on
             the workers, when the runner asks for it), the steps the replay ratio allows are trained
             (clamped to run.max_steps), the weights become a new checkpointed version and every worker
             starts the next phase with them. Uses a small machine fully: self-play and training never
             run side by side.
async        every batch that comes in is a phase of its own: ingested, the due steps trained, and its
             worker plays on at once with the newest version while the others are still playing
             (clusters: the learner trains beside self-play). Health is logged per run.games_per_phase games.

The schedule stops at the first budget reached (Budget: games, training steps, wall seconds, FLOPs).
It talks to a LearnerHandle and a WorkerPool (the protocols below): run/local.py gives in-process
handles (one process, no Ray), run/remote.py gives Ray actors. It prints nothing itself: a Reporter
(run/progress.py) shows what a person should see, and faults are the handles' to raise (RunStopped,
LearnerDied, LearnerFailed, train.trainer.Diverged) and the runner's to turn into one line.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Protocol

from ..selfplay.health import game_health


class RunStopped(RuntimeError):
    """The run cannot go on (the learner died, a worker cannot be restarted, a resource is
    missing); the message is one line saying what happened and what is safe."""


class LearnerDied(RunStopped):
    """The learner's process is gone; the message is its cause in one line."""


class LearnerFailed(RunStopped):
    """The learner raised an error (a full disk, ...) and is still up; `cause` is that error in one line."""

    def __init__(self, cause: str):
        super().__init__(f"the learner failed: {cause}")
        self.cause = cause


@dataclass
class Counters:
    """What the run has done so far, as the learner acknowledged it."""
    games: int
    positions: int
    steps: int
    version: int   # weight version the workers play with


@dataclass(frozen=True)
class Budget:
    """Where a run stops: the first of these reached (None: no such budget)."""
    total_games: int
    max_steps: int | None = None
    max_seconds: float | None = None
    max_flops: float | None = None   # cumulative FLOPs of the learner's ledger (self-play + training)


class LearnerHandle(Protocol):
    """The learner as the schedule sees it (train.learner.Learner in-process, or its Ray actor)."""

    def counters(self) -> tuple[int, int, int, int]: ...       # (games, positions, steps, weight version)
    def ingest(self, records: list, network_rows: int) -> None: ...  # persisted before it returns
    def log(self, record: dict) -> None: ...
    def steps_due(self) -> int: ...
    def train(self, steps: int) -> list[dict]: ...             # one metrics row per step taken
    def bump_version(self) -> int: ...                         # checkpoint: the new weight version
    def weights(self): ...                                     # what workers install: weights, or a reference
    def flops(self) -> float: ...


class WorkerPool(Protocol):
    """Self-play workers, numbered 0..size-1, each with at most one call in flight."""
    size: int

    def play(self, i: int, games: int, weights=None, version: int | None = None) -> None: ...
    def next_batch(self) -> tuple[int | None, object]: ...  # (worker, SelfPlayBatch); (worker, None): its games were
    #                                                           lost; (None, None): lost, and the pool has one worker less
    def idle(self) -> bool: ...                       # no call in flight
    def reanalyse(self, learner, weights, version: int) -> None: ...   # the learner's owed Reanalyse, on the workers
    def grow(self) -> int: ...                        # workers added now (run.workers: auto, nodes joined); 0 else


class Reporter(Protocol):
    """What a person sees of the schedule (run/progress.py); Quiet shows nothing."""

    def games(self, n: int) -> None: ...
    def health(self, h: dict, version: int) -> None: ...
    def status(self, c: Counters, last: dict | None, elapsed: float) -> None: ...


class Quiet:
    def games(self, n: int) -> None:
        pass

    def health(self, h: dict, version: int) -> None:
        pass

    def status(self, c: Counters, last: dict | None, elapsed: float) -> None:
        pass


class Schedule:
    """The loop. After run() returns (or raises), `counters`, `stopped_by` and `busy_s` say how far it got."""

    def __init__(self, learner: LearnerHandle, pool: WorkerPool, budget: Budget, games_per_phase: int,
                 schedule: str = "alternating", reanalyse_on_workers: bool = False,
                 after_version: Callable[[int], None] | None = None,
                 on_phase: Callable[[list], None] | None = None, reporter: Reporter | None = None):
        """reanalyse_on_workers: at the end of each alternating phase the pool searches the positions
        Reanalyse owes (else the learner does them as games come in). after_version(steps): called once
        a new version is checkpointed (in-run evaluation). on_phase(records): after every phase, with
        its games."""
        if schedule not in ("alternating", "async"):
            raise ValueError(f"schedule must be alternating or async, got {schedule!r}")
        self.learner, self.pool, self.budget = learner, pool, budget
        self.games_per_phase, self.schedule = games_per_phase, schedule
        self.reanalyse_on_workers = reanalyse_on_workers and schedule == "alternating"
        self.after_version, self.on_phase = after_version, on_phase
        self.reporter = reporter or Quiet()
        self.counters: Counters | None = None
        self.stopped_by: str | None = None
        self.busy_s = 0.0   # time spent waiting on the learner's ingest, Reanalyse and training
        self.start = time.time()

    def reached(self) -> str | None:
        """The first budget reached: "games" | "steps" | "seconds" | "flops", or None."""
        b, c = self.budget, self.counters
        if c.games >= b.total_games:
            return "games"
        if b.max_steps is not None and c.steps >= b.max_steps:
            return "steps"
        if b.max_seconds is not None and time.time() - self.start >= b.max_seconds:
            return "seconds"
        if b.max_flops is not None and self.learner.flops() >= b.max_flops:
            return "flops"
        return None

    def _share(self) -> int:
        """Games each worker plays per request: the phase's games split over the pool as it is now."""
        return max(1, math.ceil(self.games_per_phase / self.pool.size))

    def _timed(self, fn, *args):
        t = time.time()
        try:
            return fn(*args)
        finally:
            self.busy_s += time.time() - t

    def run(self) -> str:
        """Play and train until a budget is reached; returns which (also in `stopped_by`)."""
        learner, pool = self.learner, self.pool
        self.counters = c = Counters(*learner.counters())
        self.start = time.time()
        self.stopped_by = self.reached()
        if self.stopped_by is not None:
            return self.stopped_by
        weights = learner.weights()
        per_worker = self._share()
        for i in range(pool.size):
            pool.play(i, per_worker, weights, c.version)
        grown = 0           # workers the pool added at the last phase boundary (they start playing at once)
        recent: list = []   # games since the last health row
        phase: list = []    # games of this phase
        last: dict | None = None
        while True:
            i, batch = pool.next_batch()
            records = batch.records if batch is not None else []
            if records:
                self._timed(learner.ingest, records, batch.network_rows)  # persisted before they are counted
                c.games += len(records)
                c.positions += sum(g.num_moves for g in records)
                recent.extend(records)
                phase.extend(records)
                self.reporter.games(len(records))
            phase_over = self.schedule == "async" or pool.idle()
            if phase_over and len(recent) >= self.games_per_phase:
                h = game_health(recent)
                learner.log({"event": "selfplay", "games": c.games, **h})
                self.reporter.health(h, c.version)
                recent = []
            if phase_over and self.reanalyse_on_workers:
                self._timed(pool.reanalyse, learner, weights, c.version)
            if phase_over:
                weights, last = self._train(weights, last)
                grown = pool.grow()   # a cluster that gained nodes: more workers (run.workers: auto)
                per_worker = self._share()   # the pool may have grown or lost workers
            self.reporter.status(c, last, time.time() - self.start)
            if phase_over:
                if self.on_phase is not None:
                    self.on_phase(phase)
                phase = []
            self.stopped_by = self.reached()
            if self.stopped_by is not None:
                return self.stopped_by
            if self.schedule == "async":
                if i is not None:
                    pool.play(i, per_worker, weights, c.version)
                for j in range(pool.size - grown, pool.size):
                    pool.play(j, per_worker, weights, c.version)
                grown = 0
            elif pool.idle():
                for j in range(pool.size):
                    pool.play(j, per_worker, weights, c.version)

    def _train(self, weights, last: dict | None):
        """The steps the replay ratio allows (never past max_steps), then a new version if any were
        due; returns the weights to play with next and the newest training row."""
        learner, c = self.learner, self.counters
        due = learner.steps_due()
        if self.budget.max_steps is not None:
            due = min(due, self.budget.max_steps - c.steps)
        if due <= 0:
            return weights, last
        metrics = self._timed(learner.train, due)
        if metrics:
            last = metrics[-1]
            c.steps = last["step"]
        c.version = learner.bump_version()
        weights = learner.weights()
        if self.after_version is not None:
            self.after_version(c.steps)
        return weights, last
