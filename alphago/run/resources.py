"""What a Ray run needs, checked before Ray starts: CPUs on this machine, a reachable cluster, and how
many self-play workers run.workers: auto gives on a cluster of a given size. No Ray here."""
from __future__ import annotations

import math
import os
import socket

from ..config import Config, ConfigError


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


def threads(cpus: float) -> int:
    """Torch threads for an actor of `cpus` CPUs."""
    return max(1, int(math.floor(cpus)))
