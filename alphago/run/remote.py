"""Ray: the ONLY module that imports ray. Remote handles for the schedule (run/schedule.py), and Ray tasks.

Actors: N self-play workers (each a selfplay.worker.Worker: batched search + its own CPU evaluator)
in a RayWorkerPool, and one learner (train.learner.Learner) behind a RemoteLearner, which also
persists every game to a shard before acknowledging it. Weights travel by version: the learner's
state_dict is put in the object store once per version and workers install it between searches.

Placement: the learner owns the run directory (shards, checkpoints, metrics), which lives on the
machine the command runs on: it is pinned to the driver's node (hard affinity), so on a cluster nothing
is written to another node's disk and the in-run evaluation finds the checkpoints it is told about.

Faults: a worker that dies mid-run is replaced by the pool (each replacement counted as it happens,
after a back-off that doubles per consecutive failure of that worker); after WORKER_RESTARTS
consecutive failures the run stops (RunStopped) with one line; a worker that cannot be placed within
START_TIMEOUT_S counts as a failure. With run.workers: auto the pool follows the cluster: nodes that
join get workers (grow, checked every GROW_CHECK_S), and a dead worker is not replaced when the
cluster has lost the CPUs for it (its slot is retired). The games a dead worker had in flight
are lost, acknowledged games never are. The learner's errors come out of RemoteLearner as Ray-free
exceptions: LearnerDied (its process is gone), LearnerFailed (it raised), Diverged (training diverged).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

from ..config import Config, ConfigError
from .local import reanalyse_hooks
from .resources import threads, workers_for
from .schedule import LearnerDied, LearnerFailed, RunStopped

WORKER_RESTARTS = 5          # consecutive failures of one worker before the run stops
RESTART_BACKOFF_S = (1.0, 30.0)  # first back-off, cap: doubles per consecutive failure
GROW_CHECK_S = 10.0          # run.workers: auto: how often the pool looks for CPUs that joined
START_TIMEOUT_S = 300.0      # a worker not running by then could not be placed (no node with its CPUs free)
AUTO_START_TIMEOUT_S = 60.0  # the same for a replacement or an added worker under run.workers: auto: the slot
#                              is retired instead (grow() adds it back if the CPUs turn out to be there)


def one_line(exc: BaseException) -> str:
    """The last meaningful line of a Ray error (its message ends with the cause's `Type: message`)."""
    lines = [x.strip() for x in str(exc).splitlines() if x.strip() and not x.strip().startswith("File ")]
    return lines[-1] if lines else type(exc).__name__


def init_ray(address: str | None = None) -> None:
    """Connect to the cluster at `address`, or start a fresh embedded Ray (address="local": never a
    `ray start` cluster that happens to run on this machine), dashboard off; nothing when Ray is up.
    The embedded Ray's gRPC servers (GCS, raylet, workers) listen on every interface and Ray 2.60
    offers no option to bind them to loopback (ray.init even rewrites a 127.0.0.1 node address to the
    routable one): what guards them is Ray's token authentication, on by default since 2.5x. Never
    run with RAY_AUTH_MODE=disabled on a shared network."""
    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, log_to_driver=True)
    else:
        ray.init(address="local", num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=True,
                 configure_logging=False)


def shutdown() -> None:
    """Stop this process's Ray (the next init_ray starts a fresh one)."""
    ray.shutdown()


def cluster_resource(name: str) -> float:
    return ray.cluster_resources().get(name, 0.0)


def _node_of(actor, timeout: float | None = None) -> str:
    """The node an actor runs on, once it runs (GetTimeoutError after `timeout` seconds)."""
    return ray.get(actor.__ray_call__.remote(lambda self: ray.get_runtime_context().get_node_id()), timeout=timeout)


class RemoteLearner:
    """The learner actor as the schedule's LearnerHandle: each call waits for its answer, and its
    errors come back Ray-free (module docstring)."""

    def __init__(self, cfg: Config, run_dir: Path, resume: bool, init: str | None):
        r = cfg.run
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from ..train.learner import Learner
        self.driver_node = ray.get_runtime_context().get_node_id()
        learner_threads = threads(r.learner_cpus if r.schedule == "async" else (os.cpu_count() or 1))
        # In the alternating schedule the learner never runs beside self-play: it reserves no CPU.
        self.actor = ray.remote(Learner).options(
            num_cpus=r.learner_cpus if r.schedule == "async" else 0, num_gpus=r.learner_gpus,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=self.driver_node, soft=False),
        ).remote(cfg, str(run_dir), resume, learner_threads, init, reanalyse=reanalyse_hooks(),
                 reanalyse_inline=r.schedule == "async")   # alternating: the workers reanalyse (RayWorkerPool)

    def _call(self, name: str, *args, diverges: bool = False):
        return self._get(getattr(self.actor, name).remote(*args), diverges)

    @staticmethod
    def _get(ref, diverges: bool = False):
        from ..train.trainer import Diverged
        try:
            return ray.get(ref)
        except RayActorError as exc:
            raise LearnerDied(one_line(exc)) from None
        except RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if diverges and isinstance(cause, Diverged):  # as itself, not wrapped with the actor's traceback
                raise Diverged(cause.step, cause.what, cause.last_good) from None
            raise LearnerFailed(one_line(exc)) from None

    def node(self) -> str:
        return self._get(self.actor.__ray_call__.remote(lambda _: ray.get_runtime_context().get_node_id()))

    def counters(self) -> tuple[int, int, int, int]:
        return self._call("counters")

    def ingest(self, records: list, network_rows: int) -> None:
        self._call("ingest", records, network_rows)

    def log(self, record: dict) -> None:
        self._call("log", record)

    def steps_due(self) -> int:
        return self._call("steps_due")

    def train(self, steps: int) -> list[dict]:
        return self._call("train", steps, diverges=True)

    def bump_version(self) -> int:
        return self._call("bump_version", diverges=True)

    def weights(self):
        """A reference to the learner's state_dict in the object store: workers fetch it by ref."""
        return self.actor.state_dict.remote()

    def flops(self) -> float:
        return float(self._get(self.actor.__ray_call__.remote(lambda learner: learner.trainer.ledger.flops)))

    def checkpoint(self):
        return self._call("checkpoint")

    def checkpoint_path(self) -> str:
        return self._call("checkpoint_path")

    def reanalyse_pick(self):
        return self._call("reanalyse_pick")

    def reanalyse_apply(self, idx, result) -> int:
        return self._call("reanalyse_apply", idx, result)

    def close(self) -> None:
        """Close the run directory's files and lock; nothing if the learner is already gone."""
        try:
            ray.get(self.actor.close.remote())
        except (RayActorError, RayTaskError):
            pass


class RayWorkerPool:
    """Self-play worker actors (the schedule's WorkerPool), replaced when they die (module docstring).
    say(line) reports each death and restart."""

    def __init__(self, cfg: Config, n: int, say: Callable[[str], None] = print):
        from ..selfplay.worker import Worker
        self.cfg, self.size, self.say = cfg, n, say
        # No restarts by Ray: the pool replaces a dead worker itself (bounded, with back-off, counted)
        self._actor = ray.remote(max_restarts=0, max_task_retries=0)(Worker)
        self.failures = [0] * n   # consecutive failures of each worker slot
        self.restarts = 0         # replacement workers started, counted as each one starts
        self.workers: list = []
        self.nodes: list[str] = []  # Ray node id of each worker
        self._pending: dict = {}
        self._grow_checked = time.time()
        self.on_grow: Callable[[RayWorkerPool], None] | None = None   # after workers were added (placement row)
        try:
            for i in range(n):
                w, node = self._start(i)
                self.workers.append(w)
                self.nodes.append(node)
        except RunStopped:
            self.stop()
            raise

    def _give_up(self, i: int, why: str) -> None:
        self.failures[i] += 1
        if self.failures[i] >= WORKER_RESTARTS:
            raise RunStopped(f"self-play worker {i} failed {self.failures[i]} times in a row (last: {why})")

    def _start(self, i: int, may_retire: bool = False):
        """A new worker in slot i, running (its node id known). After a failure: a back-off, then the
        restart is counted and said. RunStopped after WORKER_RESTARTS consecutive failures. may_retire
        (run.workers: auto only): None instead when the cluster no longer has the CPUs for slot i."""
        r = self.cfg.run
        may_retire = may_retire and r.workers == "auto"
        while True:
            if self.failures[i]:
                time.sleep(min(RESTART_BACKOFF_S[0] * 2 ** (self.failures[i] - 1), RESTART_BACKOFF_S[1]))
            if may_retire and i < self.size and workers_for(r, cluster_resource("CPU")) < self.size:
                return None   # the cluster lost CPUs: fewer workers, not a worker that cannot be placed
            if self.failures[i]:
                self.restarts += 1
                self.say(f"warning: starting self-play worker {i} again (restart {self.restarts})")
            w = self._actor.options(num_cpus=r.worker_cpus).remote(self.cfg, i, threads(r.worker_cpus))
            try:
                return w, _node_of(w, AUTO_START_TIMEOUT_S if may_retire else START_TIMEOUT_S)
            except GetTimeoutError:
                ray.kill(w)
                if may_retire:
                    return None
                self._give_up(i, f"could not be placed within {START_TIMEOUT_S:g} s (no node with "
                                 f"{r.worker_cpus:g} free CPUs: run.workers * run.worker_cpus exceeds the cluster?)")
            except RayActorError as exc:
                self._give_up(i, f"could not start: {one_line(exc)}")

    def _replace(self, i: int, exc: BaseException) -> bool:
        """Worker i died: start another in its slot (or stop the run); False when slot i was retired
        instead (run.workers: auto on a cluster that lost the CPUs for it)."""
        why = one_line(exc)
        self.say(f"warning: self-play worker {i} died ({why})")
        self._give_up(i, f"died: {why}")
        try:
            ray.kill(self.workers[i])
        except Exception:  # already gone
            pass
        started = self._start(i, may_retire=self.size > 1)
        if started is None:
            self._retire(i)
            return False
        self.workers[i], self.nodes[i] = started
        return True

    def _retire(self, i: int) -> None:
        """Slot i is given up: the pool shrinks by one and the slots after it move down."""
        for seq in (self.workers, self.nodes, self.failures):
            seq.pop(i)
        self._pending = {ref: (j - 1 if j > i else j) for ref, j in self._pending.items()}
        self.size -= 1
        self.say(f"warning: self-play worker {i} not replaced: the cluster has {cluster_resource('CPU'):g} CPUs "
                 f"now; {self.size} self-play worker(s) on {len(set(self.nodes))} node(s)")

    def play(self, i: int, games: int, weights=None, version: int | None = None) -> None:
        w = self.workers[i]
        ref = w.play_batch.remote(games) if weights is None else w.play_with.remote(weights, version, games)
        self._pending[ref] = i

    def next_batch(self):
        done, _ = ray.wait(list(self._pending), num_returns=1)
        i = self._pending.pop(done[0])
        try:
            batch = ray.get(done[0])
        except RayActorError as exc:
            kept = self._replace(i, exc)  # its in-flight games are gone
            return (i if kept else None), None
        except RayTaskError as exc:  # an error in self-play itself: not a crash to retry
            raise RunStopped(f"self-play worker {i} failed: {one_line(exc)}") from None
        self.failures[i] = 0
        return i, batch

    def idle(self) -> bool:
        return not self._pending

    def reanalyse(self, learner: RemoteLearner, weights, version: int) -> None:
        """Reanalyse as Ray tasks: the positions the learner owes are split over the workers (idle
        between phases of the alternating schedule), searched with the current weights, and the
        results handed back. A worker that died is replaced (its share of targets is skipped this phase)."""
        import numpy as np

        from ..selfplay.reanalyse import Reanalysed
        idx, refs = learner.reanalyse_pick()
        if not refs:
            return
        shares = [s for s in np.array_split(np.arange(len(refs)), self.size) if len(s)]
        futures = [w.reanalyse_with.remote(weights, version, [refs[j] for j in share])
                   for w, share in zip(self.workers, shares)]
        results, kept, dead = [], [], []
        for j, (share, fut) in enumerate(zip(shares, futures)):   # (shares: one per worker, in slot order)
            try:
                results.append(ray.get(fut))
                kept.append(share)
            except RayActorError as exc:
                dead.append((j, exc))
            except RayTaskError as exc:  # an error in the search itself: not a crash to retry
                raise RunStopped(f"self-play worker {j} failed: {one_line(exc)}") from None
        if results:
            learner.reanalyse_apply(idx[np.concatenate(kept)], Reanalysed.concat(results))
        for j, exc in reversed(dead):   # from the last: a retired slot moves only the slots after it
            self._replace(j, exc)

    def grow(self) -> int:
        """With run.workers: auto, the workers the cluster's CPUs now allow (workers_for), started when
        that is more than the pool has: nodes that joined since the run started get work. Looked up at
        most every GROW_CHECK_S; never shrinks (a node that left takes its workers with it, and they are
        replaced like any dead worker). Returns the workers added."""
        r = self.cfg.run
        if r.workers != "auto" or time.time() - self._grow_checked < GROW_CHECK_S:
            return 0
        self._grow_checked = time.time()
        cpus = cluster_resource("CPU")
        want = workers_for(r, cpus)
        added = 0
        while self.size < want:
            self.failures.append(0)
            try:
                started = self._start(self.size, may_retire=True)
            except RunStopped:   # a new node's worker cannot start: play on with the pool there is
                started = None
            if started is None:
                self.failures.pop()
                break
            w, node = started
            self.workers.append(w)
            self.nodes.append(node)
            self.size += 1
            added += 1
        if added:
            self.say(f"the cluster has {cpus:g} CPUs now: {added} more self-play worker(s), {self.size} on "
                     f"{len(set(self.nodes))} node(s)")
            if self.on_grow is not None:
                self.on_grow(self)
        return added

    def stop(self) -> None:
        """End every worker (first, when a run stops: none plays on for a learner that is gone)."""
        for w in self.workers:
            ray.kill(w)
        self._pending.clear()


@dataclass
class RaySession:
    """A Ray run's handles, placed: the learner on the driver's node, the workers where Ray put them."""
    learner: RemoteLearner
    pool: RayWorkerPool
    placement: dict   # the metrics.jsonl row {"event": "placement", ...}
    counters: tuple[int, int, int, int]   # the learner's at start


def start(cfg: Config, run_dir: Path, address: str | None, resume: bool, init: str | None,
          say: Callable[[str], None] = print) -> RaySession:
    """Ray up (init_ray), the learner started and pinned, the workers started (workers_for the cluster),
    the placement logged. ConfigError when the learner asks for GPUs the cluster lacks; RunStopped when
    the learner or a worker cannot start (what did start is stopped again)."""
    r = cfg.run
    init_ray(address)
    # a learner asking for GPUs the cluster does not have would wait for them for ever
    have_gpus = cluster_resource("GPU")
    if r.learner_gpus > have_gpus + 1e-9:
        raise ConfigError(f"run.learner_gpus is {r.learner_gpus:g} but the Ray cluster has {have_gpus:g} GPU(s); "
                          f"set run.learner_gpus: 0 (or pass --address to use a cluster with GPUs)")
    n_workers = workers_for(r, cluster_resource("CPU"))
    learner = RemoteLearner(cfg, run_dir, resume, init)
    try:
        counters = learner.counters()
    except LearnerDied as exc:
        raise RunStopped(f"the learner could not start: {exc}") from None
    pool = None
    try:
        pool = RayWorkerPool(cfg, n_workers, say)
        learner_node = learner.node()

        def placement_row(p: RayWorkerPool) -> dict:
            return {"event": "placement", "driver_node": learner.driver_node, "learner_node": learner_node,
                    "worker_nodes": list(p.nodes), "nodes": len(set(p.nodes) | {learner_node}),
                    "run_dir": str(run_dir.resolve())}
        placement = placement_row(pool)
        learner.log(placement)
        pool.on_grow = lambda p: learner.log(placement_row(p))   # a row again whenever nodes joined
    except RunStopped:
        if pool is not None:
            pool.stop()
        learner.close()
        raise
    return RaySession(learner, pool, placement, counters)


def map_tasks(fn, calls: list[tuple], address: str | None, num_cpus: float = 1.0, on_result=None) -> list:
    """fn(*args) for every args in `calls` as Ray tasks of `num_cpus` CPUs each: on the embedded
    local Ray (address None: as many at a time as the machine has cores) or on a cluster (address
    "auto" or HOST:PORT: the scheduler spreads them over the nodes, e.g. one ablation cell per
    node). on_result(args, result) is called as each finishes; results come back in call order.
    A failed task raises here, naming nothing more than Ray does; finished ones have kept their
    outputs on disk (the callers are resumable)."""
    init_ray(address)
    remote = ray.remote(num_cpus=num_cpus, max_retries=0)(fn)
    refs = {remote.remote(*args): i for i, args in enumerate(calls)}
    results: list = [None] * len(calls)
    pending = list(refs)
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        i = refs[done[0]]
        results[i] = ray.get(done[0])
        if on_result is not None:
            on_result(calls[i], results[i])
    return results
