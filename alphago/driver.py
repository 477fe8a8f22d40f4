"""Self-play and training in one process, without Ray, stopping on a budget.

The alternating schedule of orchestrate.train on one worker: play `run.games_per_phase`
games with the current weights, persist them, train the steps the replay ratio allows,
checkpoint a new weight version, repeat. It stops at the first budget reached: games
(run.total_games), training steps (run.max_steps), wall seconds or cumulative FLOPs
(self-play + training, from the ledger). Tests and experiments use it where Ray's start-up
and processes would cost more than the run; `alphago train` stays the Ray path.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .config import Config


@dataclass(frozen=True)
class LocalRunSummary:
    games: int
    positions: int
    steps: int
    weight_version: int
    flops: float       # cumulative FLOPs (self-play evaluations + training)
    seconds: float
    stopped_by: str    # "games" | "steps" | "seconds" | "flops"


def run_local(cfg: Config, run_dir: str | Path, resume: bool = False, init: str | None = None,
              max_seconds: float | None = None, max_flops: float | None = None, threads: int | None = None,
              on_phase=None) -> LocalRunSummary:
    """Run until a budget is reached (module docstring). on_phase(learner, records) is called
    after every self-play phase has been ingested, e.g. to log health."""
    from .selfplay.health import game_health
    from .selfplay.worker import Worker
    from .train.learner import Learner

    r = cfg.run
    learner = Learner(cfg, run_dir, resume=resume, threads=threads, init=init)
    worker = Worker(cfg, 0, threads=threads or 1)
    start = time.time()
    stopped_by = "games"
    try:
        while True:
            if learner.games >= r.total_games:
                stopped_by = "games"
                break
            if r.max_steps is not None and learner.trainer.step_count >= r.max_steps:
                stopped_by = "steps"
                break
            if max_seconds is not None and time.time() - start >= max_seconds:
                stopped_by = "seconds"
                break
            if max_flops is not None and learner.trainer.ledger.flops >= max_flops:
                stopped_by = "flops"
                break
            worker.set_weights(learner.state_dict(), learner.weight_version)
            batch = worker.play_batch(r.games_per_phase)
            records = batch.records
            learner.ingest(records, batch.network_rows)
            learner.log({"event": "selfplay", "games": learner.games, **game_health(records)})
            due = learner.steps_due()
            if r.max_steps is not None:
                due = min(due, r.max_steps - learner.trainer.step_count)
            if due > 0:
                learner.train(due)
                learner.bump_version()
            if on_phase is not None:
                on_phase(learner, records)
        learner.checkpoint()
        return LocalRunSummary(learner.games, learner.positions, learner.trainer.step_count,
                               learner.weight_version, float(learner.trainer.ledger.flops),
                               time.time() - start, stopped_by)
    finally:
        learner.close()
