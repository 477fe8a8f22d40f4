"""Faults in `alphago train` (issues 5 and 25): a self-play worker killed with SIGKILL (once:
replaced; every time: the run stops in one line), the learner killed (one line, then --resume),
the whole driver killed and resumed, and a run over three Ray nodes started on loopback.

Each test runs the real CLI in a subprocess on a tiny 5x5 config (an embedded Ray per run,
or a two-node cluster made with `ray start`), so they take a minute or two each. Every process
group a test starts is ended in a `finally`; timeouts only guard against hangs, no test asserts
how long something took (a loaded machine is not a failure).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from training_kit import ENV, ROOT, finish, games_on_disk

TINY = yaml.safe_load((ROOT / "configs" / "tiny.yaml").read_text())
# `ray start` nodes joining a cluster (and drivers connecting to one) assume no authentication
# unless told: the head's token (~/.ray/auth_token, made by `ray start --head`) is used with this
# a killed node is declared dead after ~1.5 s instead of Ray's default ~15 s (health checks every 3 s,
# 5 misses): the run then sees the cluster without its CPUs before it tries to replace the node's worker,
# instead of waiting out AUTO_START_TIMEOUT_S for a replacement that cannot be placed (the three-node
# test: 136 s -> 84 s here under the same load). A live node fails a check only if it does not answer
# within RAY_health_check_timeout_ms (10 s, unchanged), so a busy machine does not lose nodes.
CLUSTER_ENV = {**ENV, "RAY_AUTH_MODE": "token", "RAY_health_check_period_ms": "500",
               "RAY_health_check_failure_threshold": "3"}
RAY_CLI = Path(sys.executable).parent / "ray"     # the `ray` of this interpreter, not whatever PATH finds


def _config(tmp: Path, **run) -> Path:
    cfg = json.loads(json.dumps(TINY))
    cfg["run"].update(run)
    path = tmp / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


_STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _end_process_groups():
    """Every `alphago train` a test starts runs in its own session; whatever happens in the test,
    its whole process group (driver, embedded Ray, actors) is ended afterwards."""
    yield
    while _STARTED:
        proc = _STARTED.pop()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def _train(*args: str, env: dict | None = None) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "alphago.cli", "train", "--no-progress", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env or ENV,
                            start_new_session=True)
    _STARTED.append(proc)
    return proc


def _wait_for(cond, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"process ended (rc {proc.returncode}) before {what}:\n{out[-3000:]}")
        time.sleep(0.5)
    out = ""
    if proc is not None:  # what the run said, so a hang can be read
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out = proc.communicate()[0] or ""
    raise AssertionError(f"timed out waiting for {what}:\n{out[-3000:]}")


def _finish(proc: subprocess.Popen, timeout: float = 400) -> str:
    return finish(proc, timeout, "train")


def _unlocked(run: Path) -> bool:
    """True once no process holds the run directory's locks: the driver's (.lock) and the
    learner's (.learner.lock; a dead driver's learner can outlive it by seconds)."""
    import fcntl
    for name in (".lock", ".learner.lock"):
        with open(run / name, "a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(f, fcntl.LOCK_UN)
    return True


def _children() -> dict[int, list[int]]:
    """parent pid -> child pids, from /proc."""
    out: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            out.setdefault(ppid, []).append(int(d))
    return out


def _descendants(root: int) -> list[int]:
    kids, out, stack = _children(), [], [root]
    while stack:
        for c in kids.get(stack.pop(), []):
            out.append(c)
            stack.append(c)
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _worker_pids(proc: subprocess.Popen, actor: str = "Worker") -> list[int]:
    """Self-play worker (or learner) processes of the run this test started (its embedded Ray's
    raylet is the driver's child): never another Ray instance's workers on a shared machine (issue 14)."""
    return [p for p in _descendants(proc.pid) if f"ray::{actor}" in _cmdline(p)]


def _no_traceback(out: str) -> None:
    assert "Traceback" not in out, out[-3000:]


def _no_temp_files(run: Path) -> None:
    left = [p for d in (run / "checkpoints", run / "games") for p in d.iterdir() if p.name.endswith(".tmp")]
    assert not left, f"half-written files left behind: {left}"


def _stop_cluster(port: int) -> None:
    """End the processes of the loopback cluster this test started: those whose command line names
    its GCS port (gcs_server, raylets, ...) and their descendants. `ray stop --force` would end
    every Ray process of the machine, other people's too."""
    mine = [int(d) for d in os.listdir("/proc") if d.isdigit() and int(d) != os.getpid()
            and (f":{port}" in _cmdline(int(d)) or f"={port}" in _cmdline(int(d)))
            and "pytest" not in _cmdline(int(d))]
    pids = set(mine)
    for p in mine:
        pids.update(_descendants(p))
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except ProcessLookupError:
            pass
    end = time.time() + 30
    while time.time() < end and any(os.path.exists(f"/proc/{p}") and _cmdline(p) for p in pids):
        time.sleep(0.5)
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_driver_sigkill_then_resume_and_a_worker_sigkill_is_survived(tmp_path):
    """SIGKILL of the whole driver; --resume continues steps, games and metrics. In the resumed run a
    worker is killed mid-run: Ray restarts it and every acknowledged game stays on disk. (One test for
    both: each alone started a run of its own, ~20 s of the suite.)"""
    run = tmp_path / "run"
    cfg = _config(tmp_path, workers=2, worker_cpus=1, games_per_phase=16, total_games=96, checkpoint_every=5)
    proc = _train("--config", str(cfg), "--run-dir", str(run))
    ckpts = run / "checkpoints"
    _wait_for(lambda: len(list(ckpts.glob("step_*.pt"))) >= 2 and games_on_disk(run) >= 32, 300,
              "two checkpoints", proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and everything it started
    proc.wait()
    _wait_for(lambda: _unlocked(run), 120, "the dead run's learner to exit")
    before = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    games_before = games_on_disk(run)
    shards_before = set((run / "games").glob("shard_*.npz"))
    from alphago.net.io import read_checkpoint
    ckpt_step = read_checkpoint(ckpts / "latest.pt")["meta"]["step"]
    max_step = max(m["step"] for m in before)
    assert max_step - ckpt_step <= 5, "lost more than one checkpoint interval"

    proc = _train("--resume", str(run))
    _wait_for(lambda: set((run / "games").glob("shard_*.npz")) - shards_before and _worker_pids(proc), 300,
              "the resumed run's first shard", proc)
    time.sleep(1.0)
    pids = _worker_pids(proc)
    assert pids, "no self-play worker process found"
    acknowledged = games_on_disk(run)
    os.kill(pids[0], signal.SIGKILL)
    out = _finish(proc)
    assert "done: " in out and "worker restarts: " in out
    assert int(out.rsplit("worker restarts: ", 1)[1].split()[0]) >= 1, out[-2000:]
    after = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    assert after[: len(before)] == before, "resumed run must append to metrics.jsonl"
    new = [m for m in after[len(before):] if "loss" in m]
    assert new and new[0]["step"] == ckpt_step + 1, "steps continue from the latest checkpoint"
    assert all(b["step"] > a["step"] for a, b in zip(new, new[1:]))
    assert new[0]["flops"] > max(m["flops"] for m in before if m.get("step", 0) <= ckpt_step)
    assert games_on_disk(run) >= 96 and games_on_disk(run) >= max(games_before, acknowledged)
    assert (ckpts / "latest.pt").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not RAY_CLI.exists(), reason=f"no `ray` command beside {sys.executable}")
def test_three_nodes_on_loopback(tmp_path):
    """A head at 127.0.0.1 and a node at 127.0.0.2, then a third node (127.0.0.3) joining mid-run, each
    with its own temp dir: the learner runs on the driver's node (the placement row says so), the
    workers (run.workers: auto) spread, the node that joins gets a worker of its own (a second placement
    row), a worker node killed mid-run is survived (its worker is replaced on another node), and no
    shard or checkpoint is written anywhere but the run directory."""
    port = _free_port()
    ray_cmd = str(RAY_CLI)
    import shutil
    import tempfile
    # short paths: Ray's unix sockets live under the temp dir (107 bytes at most)
    temps = {ip: Path(tempfile.mkdtemp(prefix=f"ag{ip.rsplit('.', 1)[1]}_")) for ip in ("127.0.0.1", "127.0.0.2", "127.0.0.3")}
    head = subprocess.run([ray_cmd, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
                           "--num-cpus=2", f"--temp-dir={temps['127.0.0.1']}", "--include-dashboard=false",
                           "--disable-usage-stats"], capture_output=True, text=True, env=CLUSTER_ENV, timeout=120)
    assert head.returncode == 0, head.stderr[-2000:]
    def join(ip: str) -> None:
        node = subprocess.run([ray_cmd, "start", f"--address=127.0.0.1:{port}", f"--node-ip-address={ip}",
                               "--num-cpus=1", f"--temp-dir={temps[ip]}"],
                              capture_output=True, text=True, env=CLUSTER_ENV, timeout=120)
        assert node.returncode == 0, node.stderr[-2000:]
    try:
        join("127.0.0.2")
        run = tmp_path / "run"
        # a run with no end in sight (idle, 96 games take seconds): the test stops it with SIGTERM
        cfg = _config(tmp_path, workers="auto", worker_cpus=1, games_per_phase=12, total_games=10 ** 6,
                      checkpoint_every=5)
        proc = _train("--config", str(cfg), "--run-dir", str(run), "--address", f"127.0.0.1:{port}", env=CLUSTER_ENV)
        _wait_for(lambda: _placement(run) is not None and list((run / "checkpoints").glob("step_*.pt")), 900,
                  "the placement row and a first checkpoint", proc)
        place = _placement(run)
        assert place["learner_node"] == place["driver_node"] and place["run_dir"] == str(run.resolve())
        assert len(place["worker_nodes"]) == 3 and len(set(place["worker_nodes"])) == 2, place   # auto: 2 + 1 CPUs
        join("127.0.0.3")   # a node joins: run.workers auto is read again (run/remote.py, RayWorkerPool.grow)
        _wait_for(lambda: len(_placements(run)) >= 2, 600, "a placement row with the new node's worker", proc)
        grown = _placements(run)[-1]
        assert len(grown["worker_nodes"]) == 4 and grown["nodes"] == 3, grown
        # kill the raylet (and with it the workers) of a node that is not the driver's
        victim = next(ip for ip in ("127.0.0.2", "127.0.0.3")
                      if any(str(temps[ip]) in _cmdline(p) for p in _raylets()))
        for p in _raylets():
            if str(temps[victim]) in _cmdline(p):
                for q in [p, *_descendants(p)]:
                    try:
                        os.kill(q, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        # the run goes on without that node's worker(s): 48 more games on disk, then a clean stop
        after = games_on_disk(run)
        _wait_for(lambda: games_on_disk(run) >= after + 48, 900, "48 games after the node was killed", proc)
        os.kill(proc.pid, signal.SIGTERM)
        out = _finish(proc, timeout=600)
        assert "stopped: checkpoint written" in out and "self-play worker" in out and " died " in out, out[-3000:]
        assert "not replaced" in out or "again (restart" in out, out[-3000:]
        # nothing the run wrote lives outside its directory: no shard or checkpoint in any node's temp dir
        strays = [p for t in temps.values() for p in t.rglob("*") if p.suffix in (".pt", ".npz")]
        assert not strays, strays
    finally:
        _stop_cluster(port)
        for t in temps.values():
            shutil.rmtree(t, ignore_errors=True)


def _placements(run: Path) -> list[dict]:
    """The run's placement rows (run/remote.py: driver, learner and worker nodes; one more each time
    the pool grew), in order."""
    from alphago.data.jsonl import read_jsonl
    return [r for r in read_jsonl(run / "metrics.jsonl") if r.get("event") == "placement"]


def _placement(run: Path) -> dict | None:
    """The run's first placement row, or None yet."""
    rows = _placements(run)
    return rows[0] if rows else None


def _raylets() -> list[int]:
    return [int(d) for d in os.listdir("/proc") if d.isdigit() and "raylet" in _cmdline(int(d)).split(" ")[0]]


def test_unreachable_address_fails_fast(tmp_path):
    """Refused before Ray starts (check_address), in one line."""
    cfg = _config(tmp_path)
    proc = _train("--config", str(cfg), "--run-dir", str(tmp_path / "run"), "--address", "127.0.0.1:1")
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode != 0
    assert "cannot reach a Ray cluster at 127.0.0.1:1" in out
    _no_traceback(out)


def test_learner_death_stops_the_run_and_resume_continues(tmp_path):
    """SIGKILL of the learner actor: one line naming what happened, the workers stopped, nothing
    half-written, and --resume goes on from the last checkpoint with every acknowledged game."""
    run = tmp_path / "run"
    cfg = _config(tmp_path, games_per_phase=16, total_games=64, checkpoint_every=5)
    proc = _train("--config", str(cfg), "--run-dir", str(run))
    _wait_for(lambda: list((run / "checkpoints").glob("step_*.pt")) and _worker_pids(proc, "Learner"), 300,
              "the first checkpoint", proc)
    acknowledged = games_on_disk(run)
    os.kill(_worker_pids(proc, "Learner")[0], signal.SIGKILL)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode != 0, out[-3000:]
    _no_traceback(out)
    assert "the learner died" in out and f"alphago train --resume {run}" in out, out[-3000:]
    _no_temp_files(run)
    assert games_on_disk(run) >= acknowledged
    from alphago.net.io import read_checkpoint
    step = read_checkpoint(run / "checkpoints" / "latest.pt")["meta"]["step"]
    _wait_for(lambda: _unlocked(run), 120, "the dead run's processes to exit")
    out = _finish(_train("--resume", str(run)))
    assert "done: " in out and games_on_disk(run) >= 64
    assert read_checkpoint(run / "checkpoints" / "latest.pt")["meta"]["step"] > step


def test_a_worker_that_keeps_dying_stops_the_run(tmp_path):
    """Every replacement of the only worker killed as soon as it runs: after WORKER_RESTARTS
    consecutive failures (with back-off between them) the run stops in one line, checkpointed,
    and each restart was counted as it happened."""
    from alphago.run.remote import WORKER_RESTARTS
    run = tmp_path / "run"
    cfg = _config(tmp_path, games_per_phase=16, total_games=10_000)
    proc = _train("--config", str(cfg), "--run-dir", str(run))
    _wait_for(lambda: list((run / "games").glob("shard_*.npz")), 300, "the first shard", proc)
    killed: set[int] = set()
    while proc.poll() is None:
        for pid in set(_worker_pids(proc)) - killed:
            killed.add(pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    out = proc.stdout.read()
    assert proc.returncode != 0, out[-3000:]
    _no_traceback(out)
    assert f"self-play worker 0 failed {WORKER_RESTARTS} times in a row" in out, out[-3000:]
    assert "checkpoint written at step" in out and f"alphago train --resume {run}" in out
    for k in range(1, WORKER_RESTARTS):   # the last failure stops the run instead
        assert f"starting self-play worker 0 again (restart {k})" in out, out[-3000:]
    assert f"(restart {WORKER_RESTARTS})" not in out
    _no_temp_files(run)
    assert (run / "checkpoints" / "latest.pt").exists()


def test_a_learner_that_cannot_write_stops_the_run_in_one_line_and_resume_continues(tmp_path):
    """The learner raises mid-run (its checkpoint write fails, as on a full disk: here latest.pt is
    made a directory, so the rename onto it fails): one line naming the failure, the workers
    stopped, no half-written file, the step files intact; once the disk is fixed, --resume goes on
    from the newest intact step file."""
    import shutil
    run = tmp_path / "run"
    cfg = _config(tmp_path, games_per_phase=16, total_games=64, checkpoint_every=5)
    proc = _train("--config", str(cfg), "--run-dir", str(run))
    latest = run / "checkpoints" / "latest.pt"
    _wait_for(lambda: list((run / "checkpoints").glob("step_*.pt")) and latest.is_file(), 300,
              "the first checkpoint", proc)
    latest.unlink()
    latest.mkdir()
    (latest / "in_the_way").write_text("x")   # a rename onto a non-empty directory fails
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode != 0, out[-3000:]
    _no_traceback(out)
    assert "the learner failed: " in out and "latest.pt" in out, out[-3000:]
    assert "the final checkpoint failed" in out and not _worker_pids(proc), out[-3000:]
    _no_temp_files(run)
    from alphago.net.io import read_checkpoint
    steps = sorted((run / "checkpoints").glob("step_*.pt"))
    for p in steps:
        read_checkpoint(p)   # every step file intact
    _wait_for(lambda: _unlocked(run), 120, "the failed run's processes to exit")
    shutil.rmtree(latest)   # the disk is fixed
    out = _finish(_train("--resume", str(run)))
    assert "done: " in out and games_on_disk(run) >= 64, out[-3000:]
    assert read_checkpoint(latest)["meta"]["step"] > read_checkpoint(steps[-1])["meta"]["step"]
