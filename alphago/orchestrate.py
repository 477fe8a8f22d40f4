"""Self-play training on Ray: the ONLY module that imports ray.

Actors: N self-play workers (each a selfplay.worker.Worker: batched search + its own CPU
evaluator) and one learner (train.learner.Learner), which also persists every game to a
shard before acknowledging it. Weights travel by version: the learner's state_dict is put
in the object store once per version and workers install it between searches.

Schedules: "alternating" (self-play phase on all workers, then the training steps the
replay ratio allows: uses a small machine fully) and "async" (workers keep playing while
the learner trains; for clusters).

Faults: a worker that dies mid-run is replaced by the driver (each replacement counted as it
happens, after a back-off that doubles per consecutive failure of that worker); after
WORKER_RESTARTS consecutive failures the run stops, checkpointed, with one line. The games a
dead worker had in flight are lost, acknowledged games never are. A learner that dies stops the
run with one line: everything it acknowledged is on disk (shards and checkpoints are atomic),
so `--resume` goes on.
"""
from __future__ import annotations

import math
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from .config import Config, ConfigError

WORKER_RESTARTS = 5          # consecutive failures of one worker before the run stops
RESTART_BACKOFF_S = (1.0, 30.0)  # first back-off, cap: doubles per consecutive failure


class RunStopped(RuntimeError):
    """The run cannot go on (the learner died, a worker cannot be restarted, a resource is
    missing); the message is one line saying what happened and what is safe."""


def _one_line(exc: BaseException) -> str:
    """The last meaningful line of a Ray error (its message ends with the cause's `Type: message`)."""
    lines = [x.strip() for x in str(exc).splitlines() if x.strip() and not x.strip().startswith("File ")]
    return lines[-1] if lines else type(exc).__name__


def _init_local_ray(ray, num_cpus: int, log_to_driver: bool = True) -> None:
    """A fresh embedded Ray (address="local": never a `ray start` cluster that happens to run on
    this machine), dashboard off. Its gRPC servers (GCS, raylet, workers) listen on every
    interface and Ray 2.60 offers no option to bind them to loopback (ray.init even rewrites a
    127.0.0.1 node address to the routable one): what guards them is Ray's token authentication,
    on by default since 2.5x. Never run with RAY_AUTH_MODE=disabled on a shared network."""
    ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=log_to_driver,
             configure_logging=False)


@dataclass
class TrainSummary:
    games: int
    positions: int
    steps: int
    weight_version: int
    seconds: float
    worker_restarts: int
    worker_nodes: list[str]     # Ray node id of each self-play worker (distinct ids = spread over nodes)
    learner_busy_s: float = 0.0  # driver time spent inside learner calls (ingest + train + checkpoint)
    interrupted: bool = False    # stopped by SIGTERM / Ctrl-C (checkpoint written, resumable)


def check_resources(cfg: Config, address: str | None) -> None:
    """Fail before Ray starts when a local run asks for more CPUs than the machine has."""
    if address:
        return
    cpus = os.cpu_count() or 1
    r = cfg.run
    if r.workers == "auto":  # sized from the cluster once Ray is up (train)
        return
    need = r.workers * r.worker_cpus + (r.learner_cpus if r.schedule == "async" else 0.0)
    if need > cpus + 1e-9:
        what = "run.workers * run.worker_cpus" + (" + run.learner_cpus" if r.schedule == "async" else "")
        raise ConfigError(f"{what} = {need:g} CPUs, but this machine has {cpus}; lower run.workers or "
                          f"run.worker_cpus (or pass --address to use a cluster)")


def check_address(address: str, timeout: float = 5.0) -> None:
    """An explicit HOST:PORT that nothing listens on fails within seconds, not minutes."""
    if address in ("auto", "local") or address.startswith("ray://"):
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as exc:
        raise ConnectionError(f"cannot reach a Ray cluster at {address}: {exc}") from None


def workers_for(r, cluster_cpus: float) -> int:
    """run.workers, or for "auto" the cluster's CPUs less the learner's (async schedule: it runs beside
    self-play) divided by run.worker_cpus, at least 1."""
    if r.workers != "auto":
        return int(r.workers)
    spare = cluster_cpus - (r.learner_cpus if r.schedule == "async" else 0.0)
    return max(1, int(math.floor(spare / r.worker_cpus + 1e-9)))


def _threads(cpus: float) -> int:
    return max(1, int(math.floor(cpus)))


def train(cfg: Config, run_dir: str | Path, address: str | None = None, resume: bool = False,
          progress: bool = True, init: str | None = None) -> TrainSummary:
    """Self-play training until run.total_games or run.max_steps. resume: go on from run_dir's
    latest checkpoint and shards; init: start a new run from a checkpoint's weights. Raises
    RunDirLocked at once when another process writes run_dir, RunStopped / Diverged (one line)
    when the run cannot go on."""
    from .data.lock import lock_dir
    from .train.learner import check_start
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


def _train(cfg: Config, run_dir: Path, address: str | None, resume: bool, progress: bool,
           init: str | None) -> TrainSummary:
    import ray
    from tqdm import tqdm

    from .play.engines import NetPlayer
    from .play.evaluation import evaluate_checkpoint
    from .selfplay.health import game_health, health_warnings, progress_summary
    from .selfplay.worker import Worker
    from .train.learner import Learner
    from .train.trainer import Diverged

    run_dir = Path(run_dir)
    r = cfg.run
    total_cpus = os.cpu_count() or 1
    learner_threads = _threads(r.learner_cpus if r.schedule == "async" else total_cpus)
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=True)
        else:
            _init_local_ray(ray, total_cpus)
    # a learner asking for GPUs the cluster does not have would wait for them for ever
    have_gpus = ray.cluster_resources().get("GPU", 0.0)
    if r.learner_gpus > have_gpus + 1e-9:
        raise ConfigError(f"run.learner_gpus is {r.learner_gpus:g} but the Ray cluster has {have_gpus:g} GPU(s); "
                          f"set run.learner_gpus: 0 (or pass --address to use a cluster with GPUs)")

    n_workers = workers_for(r, ray.cluster_resources().get("CPU", 0.0))
    # No restarts by Ray: the driver replaces a dead worker itself (bounded, with back-off, counted)
    WorkerActor = ray.remote(max_restarts=0, max_task_retries=0)(Worker)
    # In the alternating schedule the learner never runs beside self-play: it reserves no CPU.
    LearnerActor = ray.remote(Learner)
    # The learner owns the run directory (shards, checkpoints, metrics), which lives on the machine the
    # command runs on: it is pinned to the driver's node (hard affinity), so on a cluster nothing is
    # written to another node's disk and the in-run evaluation finds the checkpoints it is told about.
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
    driver_node = ray.get_runtime_context().get_node_id()
    learner = LearnerActor.options(
        num_cpus=r.learner_cpus if r.schedule == "async" else 0, num_gpus=r.learner_gpus,
        scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=driver_node, soft=False),
    ).remote(cfg, str(run_dir), resume, learner_threads, init,
             reanalyse_inline=r.schedule == "async")   # alternating: the workers reanalyse (below)
    try:
        games, positions, steps, version = ray.get(learner.counters.remote())
    except ray.exceptions.RayActorError as exc:
        raise RunStopped(f"the learner could not start: {_one_line(exc)}") from None

    def node_of(actor) -> str:
        return ray.get(actor.__ray_call__.remote(lambda self: ray.get_runtime_context().get_node_id()))

    failures = [0] * n_workers   # consecutive failures of each worker slot
    restarts = 0                 # replacement workers started, counted as each one starts

    def give_up(i: int, why: str) -> None:
        failures[i] += 1
        if failures[i] >= WORKER_RESTARTS:
            raise RunStopped(f"self-play worker {i} failed {failures[i]} times in a row (last: {why})")

    def start_worker(i: int):
        """A new worker in slot i, running (its node id known). After a failure: a back-off,
        then the restart is counted and said. RunStopped after WORKER_RESTARTS consecutive failures."""
        nonlocal restarts
        while True:
            if failures[i]:
                time.sleep(min(RESTART_BACKOFF_S[0] * 2 ** (failures[i] - 1), RESTART_BACKOFF_S[1]))
                restarts += 1
                tqdm.write(f"warning: starting self-play worker {i} again (restart {restarts})")
            w = WorkerActor.options(num_cpus=r.worker_cpus).remote(cfg, i, _threads(r.worker_cpus))
            try:
                return w, node_of(w)
            except ray.exceptions.RayActorError as exc:
                give_up(i, f"could not start: {_one_line(exc)}")

    def replace_worker(i: int, exc: BaseException) -> None:
        """Worker i died: start another in its slot (or stop the run)."""
        why = _one_line(exc)
        tqdm.write(f"warning: self-play worker {i} died ({why})")
        give_up(i, f"died: {why}")
        try:
            ray.kill(workers[i])
        except Exception:  # already gone
            pass
        workers[i], nodes[i] = start_worker(i)

    workers, nodes = [], []
    try:
        for i in range(n_workers):
            w, node = start_worker(i)
            workers.append(w)
            nodes.append(node)
    except RunStopped:
        for w in workers:
            ray.kill(w)
        ray.get(learner.close.remote())
        raise
    learner_node = node_of(learner)
    placement = {"event": "placement", "driver_node": driver_node, "learner_node": learner_node,
                 "worker_nodes": list(nodes), "nodes": len(set(nodes) | {learner_node}), "run_dir": str(run_dir.resolve())}
    ray.get(learner.log.remote(placement))
    tqdm.write(f"{len(workers)} self-play workers on {len(set(nodes))} node(s); the learner and the run directory "
               f"on the driver's node ({driver_node[:8]})")
    start = time.time()
    busy = 0.0
    previous_eval: NetPlayer | None = None  # the checkpoint evaluated before, as it played
    last_eval_step = steps
    bar = tqdm(total=r.total_games, initial=min(games, r.total_games), unit="game", disable=not progress,
               dynamic_ncols=True, desc=f"train {run_dir.name}")
    last = {"loss": float("nan"), "bits_per_flop": float("nan")}
    recent: list = []        # games since the last health report
    health_text = ""
    warned: set[str] = set()
    interrupted = False
    diverged: Diverged | None = None
    stopped: RunStopped | None = None
    learner_alive = True
    # SIGTERM (kill, timeout, cluster schedulers) and Ctrl-C stop the run the same clean way:
    # the training already sent finishes, a checkpoint is written, workers stop, exit 0.
    import signal

    def _stop(signum, frame):
        raise KeyboardInterrupt
    old_term = signal.signal(signal.SIGTERM, _stop)
    try:
        # the learner's return value already lives in the object store: workers fetch it by ref
        weights = learner.state_dict.remote()
        per_worker = max(1, math.ceil(r.games_per_phase / n_workers))
        pending = {w.play_with.remote(weights, version, per_worker): i for i, w in enumerate(workers)}
        while games < r.total_games and (r.max_steps is None or steps < r.max_steps):
            done, _ = ray.wait(list(pending), num_returns=1)
            ref = done[0]
            i = pending.pop(ref)
            try:
                batch = ray.get(ref)
                records = batch.records
                failures[i] = 0
            except ray.exceptions.RayActorError as exc:
                replace_worker(i, exc)  # its in-flight games are gone
                batch, records = None, []
            except ray.exceptions.RayTaskError as exc:  # an error in self-play itself: not a crash to retry
                raise RunStopped(f"self-play worker {i} failed: {_one_line(exc)}") from None
            if records:
                t_in = time.time()
                ray.get(learner.ingest.remote(records, batch.network_rows))  # persisted before we count them
                busy += time.time() - t_in
                games += len(records)
                positions += sum(g.num_moves for g in records)
                recent.extend(records)
                bar.update(min(len(records), r.total_games - bar.n))
            phase_over = r.schedule == "async" or not pending
            if len(recent) >= r.games_per_phase and (phase_over or r.schedule == "async"):
                h = game_health(recent)
                ray.get(learner.log.remote({"event": "selfplay", "games": games, **h}))
                health_text = progress_summary(h)
                for w in health_warnings(h, cfg.size, version):
                    kind = w.split(":")[0][:24]
                    if kind not in warned:  # each kind of warning once per run, in plain words
                        warned.add(kind)
                        bar.write(f"warning: {w}")
                recent = []
            if phase_over and r.schedule == "alternating" and cfg.train.reanalyse_ratio > 0:
                t_in = time.time()
                for j, exc in _reanalyse_on_workers(ray, learner, workers, weights, version):
                    replace_worker(j, exc)
                busy += time.time() - t_in
            if phase_over:
                due = ray.get(learner.steps_due.remote())
                if r.max_steps is not None:
                    due = min(due, r.max_steps - steps)
                if due > 0:
                    t_in = time.time()
                    metrics = _get(ray, learner.train.remote(due))
                    busy += time.time() - t_in
                    if metrics:
                        last = metrics[-1]
                        steps = last["step"]
                    version = _get(ray, learner.bump_version.remote())
                    weights = learner.state_dict.remote()
                    if r.eval_every and steps // r.eval_every > last_eval_step // r.eval_every:
                        current = NetPlayer.own(ray.get(learner.checkpoint_path.remote()), r.eval_sims)
                        ray.get(learner.log.remote(evaluate_checkpoint(
                            current, r.eval_reference, r.eval_games, cfg.size, cfg.rules.komi,
                            previous=previous_eval, seed=r.seed * 1_000_003 + steps)))
                        previous_eval, last_eval_step = current, steps
            elapsed = time.time() - start
            bar.set_postfix_str(f"pos {positions} steps {steps} v{version} {positions / elapsed:.0f} pos/s "
                                f"loss {last['loss']:.3f} bits/FLOP {last['bits_per_flop']:.2e} {health_text}")
            if games >= r.total_games or (r.max_steps is not None and steps >= r.max_steps):
                break
            if r.schedule == "async":
                pending[workers[i].play_with.remote(weights, version, per_worker)] = i
            elif not pending:
                pending = {w.play_with.remote(weights, version, per_worker): j for j, w in enumerate(workers)}
    except KeyboardInterrupt:
        interrupted = True
    except Diverged as exc:
        diverged = exc
    except RunStopped as exc:
        stopped = exc
    except ray.exceptions.RayActorError as exc:  # only the learner's calls get here
        learner_alive = False
        stopped = _learner_died(exc, run_dir)
    except ray.exceptions.RayTaskError as exc:  # the learner raised (a full disk, ...): it is still up
        stopped = RunStopped(f"the learner failed: {_one_line(exc)}")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one stop at a time while we save
        try:
            for w in workers:  # first: no worker plays on for a learner that is gone
                ray.kill(w)
            # actor tasks run in order: this checkpoint comes after any training already sent.
            # A diverged net is not saved: its last good checkpoint stays the newest
            if learner_alive:
                if diverged is None:
                    ray.get(learner.checkpoint.remote())
                games, positions, steps, version = ray.get(learner.counters.remote())
        except ray.exceptions.RayActorError as exc:
            learner_alive = False
            stopped = _learner_died(exc, run_dir)
        except ray.exceptions.RayTaskError as exc:  # e.g. the disk that failed the run is still full
            note = f"the final checkpoint failed: {_one_line(exc)}; the previous checkpoint stays the newest"
            stopped = RunStopped(f"{stopped}; {note}" if stopped is not None else note)
            learner_alive = False  # its counters are not on disk: report the failure alone
        finally:
            bar.close()
            try:
                ray.get(learner.close.remote())
            except (ray.exceptions.RayActorError, ray.exceptions.RayTaskError):
                pass
            signal.signal(signal.SIGTERM, old_term)
    if diverged is not None:
        raise diverged
    if stopped is not None:
        if learner_alive:
            raise RunStopped(f"{stopped}; checkpoint written at step {steps} ({games} games); go on with: "
                             f"alphago train --resume {run_dir}")
        raise stopped
    if interrupted:
        print(f"stopped: checkpoint written at step {steps} ({games} games); go on with: "
              f"alphago train --resume {run_dir}", flush=True)
    return TrainSummary(games, positions, steps, version, time.time() - start, restarts, nodes, busy,
                        interrupted)


def _learner_died(exc: BaseException, run_dir: Path) -> RunStopped:
    return RunStopped(f"the learner died ({_one_line(exc)}); self-play stopped. Every game it acknowledged and "
                      f"every checkpoint is on disk: go on with: alphago train --resume {run_dir}")


def _get(ray, ref):
    """ray.get, but a learner error the driver handles (Diverged) comes back as itself rather
    than wrapped in Ray's RayTaskError with the actor's traceback."""
    from .train.trainer import Diverged
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, Diverged):
            raise Diverged(cause.step, cause.what, cause.last_good) from None
        raise


def _reanalyse_on_workers(ray, learner, workers: list, weights, version: int) -> list:
    """Reanalyse as Ray tasks: the positions the learner owes are split over the self-play workers
    (idle between phases of the alternating schedule), searched with the current weights, and the
    results handed back. Returns [(worker index, error)] of the workers that died (their share of
    targets is skipped this phase)."""
    import numpy as np

    from .selfplay.reanalyse import Reanalysed
    idx, refs = ray.get(learner.reanalyse_pick.remote())
    if not refs:
        return []
    shares = [s for s in np.array_split(np.arange(len(refs)), len(workers)) if len(s)]
    futures = [w.reanalyse_with.remote(weights, version, [refs[j] for j in share])
               for w, share in zip(workers, shares)]
    results, kept, dead = [], [], []
    for j, (share, fut) in enumerate(zip(shares, futures)):
        try:
            results.append(ray.get(fut))
            kept.append(share)
        except ray.exceptions.RayActorError as exc:
            dead.append((j, exc))
    if results:
        ray.get(learner.reanalyse_apply.remote(idx[np.concatenate(kept)], Reanalysed.concat(results)))
    return dead


def selfplay_throughput(cfg: Config, workers: int, seconds: float, games_per_call: int) -> dict:
    """Benchmark: `workers` self-play actors (cfg.run.worker_cpus each) playing in parallel for
    about `seconds` after a warm-up call; returns positions/s and games/s over the timed part."""
    import ray

    from .selfplay.worker import Worker
    if not ray.is_initialized():
        _init_local_ray(ray, os.cpu_count() or 1)
    actor = ray.remote(Worker)
    ws = [actor.options(num_cpus=cfg.run.worker_cpus).remote(cfg, i, _threads(cfg.run.worker_cpus))
          for i in range(workers)]
    ray.get([w.play.remote(2) for w in ws])  # compile + warm up
    positions = games = 0
    start = time.time()
    pending = {w.play.remote(games_per_call): w for w in ws}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        w = pending.pop(done[0])
        recs = ray.get(done[0])
        games += len(recs)
        positions += sum(g.num_moves for g in recs)
        if time.time() - start < seconds:
            pending[w.play.remote(games_per_call)] = w
    wall = time.time() - start
    for w in ws:
        ray.kill(w)
    return {"workers": workers, "positions_per_s": positions / wall, "games_per_s": games / wall,
            "positions": positions, "wall_s": wall}


def map_tasks(fn, calls: list[tuple], address: str | None, num_cpus: float = 1.0, on_result=None) -> list:
    """fn(*args) for every args in `calls` as Ray tasks of `num_cpus` CPUs each: on the embedded
    local Ray (address None: as many at a time as the machine has cores) or on a cluster (address
    "auto" or HOST:PORT: the scheduler spreads them over the nodes, e.g. one ablation cell per
    node). on_result(args, result) is called as each finishes; results come back in call order.
    A failed task raises here, naming nothing more than Ray does; finished ones have kept their
    outputs on disk (the callers are resumable)."""
    import ray
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=True)
        else:
            _init_local_ray(ray, os.cpu_count() or 1)
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
