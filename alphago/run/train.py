"""`alphago train`'s run: self-play training on Ray until run.total_games or run.max_steps.

Checks first (resources, the cluster's address, what would stop the learner, the run directory's
lock), each in one line before anything is written; then Ray's handles (run/remote.py: the learner on
the driver's node, the self-play workers), the schedule of run.schedule (run/schedule.py: alternating
on a small machine, async on a cluster) with the progress bar (run/progress.py) and in-run evaluation
(run/evaluation.py), and the way every run ends:

  budget reached    a checkpoint, workers stopped, a TrainSummary
  SIGTERM, Ctrl-C   the same (the training already sent finishes first), with a line saying how to go on
  divergence        workers stopped, nothing saved after the last good checkpoint; Diverged is raised
  learner died      workers stopped, its cut-short writes removed; RunStopped says everything
                    acknowledged is on disk (--resume)
  anything else     a checkpoint when the learner can still write one; RunStopped in one line
"""
from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from .resources import check_address, check_resources
from .schedule import Budget, LearnerDied, LearnerFailed, RunStopped, Schedule


@dataclass
class TrainSummary:
    games: int
    positions: int
    steps: int
    weight_version: int
    seconds: float
    worker_restarts: int
    worker_nodes: list[str]     # Ray node id of each self-play worker (distinct ids = spread over nodes)
    learner_busy_s: float = 0.0  # driver time spent inside learner calls (ingest + Reanalyse + train)
    interrupted: bool = False    # stopped by SIGTERM / Ctrl-C (checkpoint written, resumable)


def train(cfg: Config, run_dir: str | Path, address: str | None = None, resume: bool = False,
          progress: bool = True, init: str | None = None) -> TrainSummary:
    """Self-play training until run.total_games or run.max_steps. resume: go on from run_dir's
    latest checkpoint and shards; init: start a new run from a checkpoint's weights. Raises
    RunDirLocked at once when another process writes run_dir, RunStopped / Diverged (one line)
    when the run cannot go on."""
    from ..data.lock import lock_dir
    from ..train.learner import check_start
    check_resources(cfg, address)
    if address:
        check_address(address)
    # what would stop the learner is checked here, in one line, before anything is written
    # (and not as a Ray traceback from inside its actor later)
    check_start(cfg, run_dir, resume, local=not address)
    lock = lock_dir(run_dir)
    try:
        return _train(cfg, Path(run_dir), address, resume, progress, init)
    finally:
        lock.close()


def _learner_died(cause: LearnerDied, run_dir: Path) -> RunStopped:
    return RunStopped(f"the learner died ({cause}); self-play stopped. Every game it acknowledged and "
                      f"every checkpoint is on disk: go on with: alphago train --resume {run_dir}")


def _train(cfg: Config, run_dir: Path, address: str | None, resume: bool, progress: bool,
           init: str | None) -> TrainSummary:
    from tqdm import tqdm

    from ..train.trainer import Diverged
    from . import remote
    from .evaluation import InRunEvaluation
    from .progress import TrainProgress

    r = cfg.run
    session = remote.start(cfg, run_dir, address, resume, init, say=tqdm.write)
    learner, pool = session.learner, session.pool
    games, positions, steps, version = session.counters
    tqdm.write(f"{pool.size} self-play workers on {len(set(pool.nodes))} node(s); the learner and the run "
               f"directory on the driver's node ({session.placement['driver_node'][:8]})")
    start = time.time()
    bar = TrainProgress(run_dir, r.total_games, games, cfg.size, enabled=progress)
    schedule = Schedule(learner, pool, Budget(r.total_games, r.max_steps), r.games_per_phase, r.schedule,
                        reanalyse_on_workers=cfg.train.reanalyse_ratio > 0,
                        after_version=InRunEvaluation(cfg, learner, steps), reporter=bar)
    interrupted = False
    diverged: Diverged | None = None
    stopped: RunStopped | None = None
    learner_alive = True
    # SIGTERM (kill, timeout, cluster schedulers) and Ctrl-C stop the run the same clean way:
    # the training already sent finishes, a checkpoint is written, workers stop, exit 0.

    def _stop(signum, frame):
        raise KeyboardInterrupt
    old_term = signal.signal(signal.SIGTERM, _stop)
    try:
        schedule.run()
    except KeyboardInterrupt:
        interrupted = True
    except Diverged as exc:
        diverged = exc
    except LearnerDied as exc:
        learner_alive = False
        stopped = _learner_died(exc, run_dir)
    except RunStopped as exc:  # a worker that cannot go on, or the learner raised (it is still up)
        stopped = exc
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one stop at a time while we save
        try:
            pool.stop()  # first: no worker plays on for a learner that is gone
            # actor tasks run in order: this checkpoint comes after any training already sent.
            # A diverged net is not saved: its last good checkpoint stays the newest
            if learner_alive:
                if diverged is None:
                    learner.checkpoint()
                games, positions, steps, version = learner.counters()
        except LearnerDied as exc:
            learner_alive = False
            stopped = _learner_died(exc, run_dir)
        except LearnerFailed as exc:  # e.g. the disk that failed the run is still full
            note = f"the final checkpoint failed: {exc.cause}; the previous checkpoint stays the newest"
            stopped = RunStopped(f"{stopped}; {note}" if stopped is not None else note)
            learner_alive = False  # its counters are not on disk: report the failure alone
        finally:
            bar.close()
            learner.close()
            signal.signal(signal.SIGTERM, old_term)
    if diverged is not None:
        raise diverged
    if not learner_alive:
        # the learner (the run directory's only writer) was killed, perhaps mid-write, and the
        # workers are stopped: what it was writing is litter, its previous file stays whole (a new
        # learner removes such files too, when it takes the directory's lock)
        from ..train.learner import remove_cut_short_writes
        remove_cut_short_writes(run_dir)
    if stopped is not None:
        if learner_alive:
            raise RunStopped(f"{stopped}; checkpoint written at step {steps} ({games} games); go on with: "
                             f"alphago train --resume {run_dir}")
        raise stopped
    if interrupted:
        print(f"stopped: checkpoint written at step {steps} ({games} games); go on with: "
              f"alphago train --resume {run_dir}", flush=True)
    return TrainSummary(games, positions, steps, version, time.time() - start, pool.restarts, pool.nodes,
                        schedule.busy_s, interrupted)
