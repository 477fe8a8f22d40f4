"""Failure paths (issue 25): every fault is forced here and must end in one clear line, never a
NaN checkpoint, a hang, a traceback or lost data.

(1) divergence: non-finite config numbers are refused by key; a search stops on a non-finite
    evaluator; a diverging run stops naming the step and the last good checkpoint, which stays intact.
(2) checkpoints: latest.pt is written like the step files (same bytes, same mode, no temp left on a
    failed write, weight_version counted only once written); --resume falls back to the newest
    intact step file with a warning.
(3)-(6) the command line: GTP limits, bad input, commands stored in checkpoints, run-directory locks.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from alphago.config import ConfigError, config_from_dict, load_config
from alphago.data.records import GameRecord

ROOT = Path(__file__).resolve().parents[1]
TINY_PATH = ROOT / "configs" / "tiny.yaml"
TINY = load_config(TINY_PATH)
TINY_RAW = yaml.safe_load(TINY_PATH.read_text())
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def games() -> list[GameRecord]:
    """8 tiny games searched with a uniform evaluator (no net: fast and deterministic)."""
    from alphago.go import seed as seed_engine
    from alphago.mcts.evaluators import UniformEvaluator
    from alphago.selfplay.loop import SelfPlay
    seed_engine(0)
    sp = SelfPlay(TINY.size, TINY.rules, TINY.features, TINY.search,
                  dataclasses.replace(TINY.selfplay, batch_games=8), seed=0)
    return sp.play(UniformEvaluator(), 8)[:8]


def _raw(**sections) -> dict:
    data = json.loads(json.dumps(TINY_RAW))
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    return data


def _cli(*args: str, timeout: float = 600, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m alphago.cli ARGS` in its own session; its process group is ended whatever happens."""
    import signal
    proc = subprocess.Popen([sys.executable, "-m", "alphago.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV, cwd=str(cwd or ROOT),
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _one_clear_line(r: subprocess.CompletedProcess, *needles: str) -> str:
    """A non-zero exit whose stderr says what is wrong without a traceback; returns stderr."""
    assert r.returncode != 0, (r.stdout[-2000:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr[-3000:]
    for n in needles:
        assert n in r.stderr, r.stderr[-3000:]
    return r.stderr


# ============================================================== (1) divergence

@pytest.mark.parametrize("section,key,value", [
    ("train", "lr", float("inf")), ("train", "lr", float("nan")), ("rules", "komi", float("nan")),
    ("rules", "komi", float("-inf")), ("search", "c_init", float("inf")), ("selfplay", "resign_threshold", float("nan")),
])
def test_config_refuses_non_finite_numbers_naming_the_key(section, key, value):
    with pytest.raises(ConfigError) as info:
        config_from_dict(_raw(**{section: {key: value}}))
    assert f"{section}.{key}" in str(info.value) and "finite" in str(info.value)


def test_config_file_with_yaml_inf_is_refused(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text(TINY_PATH.read_text().replace("lr: 0.02", "lr: .inf"))
    with pytest.raises(ConfigError, match=r"train\.lr must be a finite number"):
        load_config(path)


def test_rules_refuse_a_non_finite_komi():
    from alphago.go import Rules
    for komi in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="rules.komi must be a finite number"):
            Rules(komi=komi)


class _NaNEvaluator:
    def __init__(self, bad: str):
        self.bad = bad

    def __call__(self, features, legal):
        logits = np.zeros(legal.shape, np.float32)
        values = np.zeros(len(legal), np.float32)
        (values if self.bad == "values" else logits)[:] = np.nan
        return logits, values


@pytest.mark.parametrize("bad", ["values", "logits"])
@pytest.mark.parametrize("kind", ["puct", "gumbel"])
def test_search_ends_with_an_error_naming_a_non_finite_evaluator(bad, kind):
    from alphago.go import GoBatch
    from alphago.goenv import GoEnv
    from alphago.mcts.search import Search
    search_cfg = dataclasses.replace(TINY.search, kind=kind)
    roots = GoBatch(TINY.size, 2, TINY.rules, history=TINY.features.history)
    env = GoEnv(roots, TINY.features)
    search = Search(search_cfg, 2, env.num_actions)
    with pytest.raises(ValueError, match=f"evaluator _NaNEvaluator returned non-finite {bad}"):
        search.run(env, _NaNEvaluator(bad))


def _learner(cfg, run: Path, **kw):
    from alphago.train.learner import Learner
    return Learner(cfg, run, threads=1, **kw)


def test_divergence_stops_training_before_a_nan_checkpoint(games, tmp_path):
    """lr 1e12: the step that makes the loss or weights non-finite raises Diverged naming the
    step and the last good checkpoint; nothing non-finite is ever written, later checkpoints refuse."""
    from alphago.net.io import read_checkpoint
    from alphago.train.trainer import Diverged
    cfg = dataclasses.replace(TINY, train=dataclasses.replace(TINY.train, lr=1e12),
                              run=dataclasses.replace(TINY.run, checkpoint_every=1000))
    run = tmp_path / "run"
    learner = _learner(cfg, run)
    try:
        learner.ingest(games)
        good = learner.checkpoint()           # step 0: the initial weights
        with pytest.raises(Diverged) as info:
            learner.train(50)
        exc = info.value
        assert exc.step >= 1 and exc.last_good == str(good)
        assert f"training diverged at step {exc.step}" in str(exc) and str(good) in str(exc)
        version = learner.weight_version
        with pytest.raises(Diverged):
            learner.checkpoint()              # the run's final checkpoint too
        assert learner.weight_version == version
    finally:
        learner.close()
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["latest.pt", good.name]
    data = read_checkpoint(run / "checkpoints" / "latest.pt")
    assert all(torch.isfinite(v).all() for v in data["model"].values() if v.is_floating_point())
    events = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [e["message"] for e in events if e.get("event") == "diverged"] == [exc.line()]
    assert all(np.isfinite(e["loss"]) for e in events if "loss" in e)


def test_cli_run_that_diverges_stops_with_one_line(tmp_path):
    """`alphago train` with lr 1e12 (issue 25: NaN by step 21, then a worker spinning forever):
    now one line naming the step and the last good checkpoint, exit 1, and no NaN on disk."""
    from alphago.net.io import read_checkpoint
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump(_raw(train={"lr": 1.0e12}, run={"total_games": 96})))
    run = tmp_path / "run"
    r = _cli("train", "--no-progress", "--config", str(cfg), "--run-dir", str(run))
    err = _one_clear_line(r, "training diverged at step ")
    line = [x for x in err.splitlines() if "training diverged" in x][-1]
    assert "last good checkpoint" in line or "no checkpoint was written" in line
    for p in (run / "checkpoints").glob("*.pt"):
        data = read_checkpoint(p)
        assert all(torch.isfinite(v).all() for v in data["model"].values() if v.is_floating_point()), p


# ============================================================== (2) checkpoints

def _mode(p: Path) -> int:
    return p.stat().st_mode & 0o777


def test_latest_is_the_step_file_with_the_same_mode_as_every_artifact(games, tmp_path):
    from alphago.data.records import _file_mode
    run = tmp_path / "run"
    learner = _learner(TINY, run)
    try:
        shard = learner.ingest(games)
        step = learner.checkpoint()
    finally:
        learner.close()
    latest = run / "checkpoints" / "latest.pt"
    assert latest.read_bytes() == step.read_bytes()
    assert _mode(latest) == _mode(step) == _mode(shard) == _file_mode()
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")]


def test_failed_latest_write_leaves_no_temp_and_no_new_version(games, tmp_path, monkeypatch):
    """A full disk while latest.pt is written: the error surfaces, no temp file stays, and the
    weight version is not counted (workers never get a version that is not on disk)."""
    from alphago.data import records
    run = tmp_path / "run"
    learner = _learner(TINY, run)
    try:
        learner.ingest(games)
        learner.checkpoint()
        before = learner.weight_version
        good = (run / "checkpoints" / "latest.pt").read_bytes()
        real = os.fsync

        def fsync(fd):
            if os.readlink(f"/proc/self/fd/{fd}").split("/")[-1].startswith(".latest.pt"):
                raise OSError(28, "No space left on device (simulated)")
            return real(fd)
        monkeypatch.setattr(records.os, "fsync", fsync)
        learner.train(3)
        with pytest.raises(OSError, match="simulated"):
            learner.checkpoint()
        monkeypatch.undo()
        assert learner.weight_version == before
        assert (run / "checkpoints" / "latest.pt").read_bytes() == good
        assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")]
    finally:
        learner.close()


def test_resume_falls_back_to_the_newest_intact_step_file(games, tmp_path, capsys):
    run = tmp_path / "run"
    learner = _learner(TINY, run)
    learner.ingest(games)
    learner.train(2)
    older = learner.checkpoint()
    learner.train(2)
    newest = learner.checkpoint()
    learner.close()
    latest = run / "checkpoints" / "latest.pt"
    latest.write_bytes(latest.read_bytes()[:1000])     # cut short (a full disk, a copy)
    newest.write_bytes(newest.read_bytes()[:1000])     # and the newest step file too
    resumed = _learner(TINY, run, resume=True)
    try:
        assert resumed.trainer.step_count == 2 and resumed.last_good == older
        assert resumed.games == len(games)
    finally:
        resumed.close()
    out = capsys.readouterr().out
    assert "warning: resume:" in out and "going on from step_0000002.pt" in out
    events = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert any(e.get("event") == "resume_fallback" and "latest.pt" in e["message"] for e in events)


def test_resume_refuses_when_no_checkpoint_is_intact(games, tmp_path):
    from alphago.net.io import CheckpointError
    run = tmp_path / "run"
    learner = _learner(TINY, run)
    learner.ingest(games)
    step = learner.checkpoint()
    learner.close()
    for p in (step, run / "checkpoints" / "latest.pt"):
        p.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="no intact checkpoint in"):
        _learner(TINY, run, resume=True)


# ============================================================== (3) GTP limits

@pytest.fixture(scope="module")
def gtp_player():
    from alphago.play.player import SearchPlayer
    return SearchPlayer(None, sims=8, evaluator="uniform")


@pytest.fixture
def gtp(gtp_player):
    from alphago.play.gtp import GtpEngine
    return GtpEngine(gtp_player, size=5, komi=7.5)


def _answer(engine, line: str) -> str:
    resp, _ = engine.handle(line)
    assert resp is not None and resp.endswith("\n\n")
    return resp[:-2]


def test_gtp_overlong_line_is_refused_and_the_engine_goes_on(gtp):
    from alphago.play.gtp import MAX_LINE
    assert _answer(gtp, "7 komi " + "1" * MAX_LINE) == f"?7 line too long (more than {MAX_LINE} characters)"
    assert gtp.komi == 7.5
    assert _answer(gtp, "8 name") == "=8 alphago"


def test_gtp_run_skips_a_10_mb_line_without_holding_it(gtp):
    """The reader takes at most MAX_LINE + 1 characters of a line; the rest is skipped."""
    import io
    from alphago.play.gtp import MAX_LINE
    inp = io.StringIO("1 play b " + "x" * 10_000_000 + "\n2 name\n3 quit\n")
    out = io.StringIO()
    gtp.run(inp, out)
    assert out.getvalue() == f"?1 line too long (more than {MAX_LINE} characters)\n\n=2 alphago\n\n=3\n\n"


@pytest.mark.parametrize("line,answer", [
    ("boardsize " + "9" * 5000, "? unacceptable size"),
    ("boardsize 00020", "? unacceptable size"),
    ("fixed_handicap " + "9" * 5000, "? invalid number of stones"),
    ("time_settings inf 0 0", "? invalid time 'inf': seconds must be finite and >= 0"),
    ("time_settings 10 nan 1", "? invalid time 'nan': seconds must be finite and >= 0"),
    ("time_settings -1 0 0", "? invalid time '-1': seconds must be finite and >= 0"),
    ("time_settings 10 5 " + "9" * 5000, "? invalid stone count"),
    ("time_left b inf 0", "? invalid time 'inf': seconds must be finite and >= 0"),
    ("time_left w nan 0", "? invalid time 'nan': seconds must be finite and >= 0"),
    ("time_left b -5 0", "? invalid time '-5': seconds must be finite and >= 0"),
    ("time_left b 5 -1", "? syntax error"),
])
def test_gtp_numbers_out_of_range_are_refused_and_change_nothing(gtp, line, answer):
    _answer(gtp, "time_settings 60 5 1")
    assert _answer(gtp, line) == answer
    assert gtp.time_settings == (60.0, 5.0, 1) and gtp.time_left == {} and gtp.state.n == 5


def test_gtp_boardsize_is_refused_when_the_tree_would_not_fit(monkeypatch):
    from alphago.play import player as player_mod
    from alphago.play.gtp import GtpEngine
    p = player_mod.SearchPlayer(None, sims=100_000, evaluator="uniform")
    e = GtpEngine(p, size=5)
    monkeypatch.setattr(player_mod, "available_memory", lambda: 2 * 2 ** 30)   # a 2 GiB machine
    resp = _answer(e, "boardsize 19")
    assert resp.startswith("? unacceptable size: --sims 100000 needs") and "at most" in resp
    assert e.state.n == 5


def test_sims_are_capped_against_memory():
    from alphago.play.player import SearchPlayer, available_memory
    p = SearchPlayer(None, sims=10 ** 9, evaluator="uniform")
    with pytest.raises(ValueError, match=r"--sims 1000000000 needs .* GiB for the search tree on 9x9.*at most"):
        p.check_fits(9)
    SearchPlayer(None, sims=200, evaluator="uniform").check_fits(19)   # the default fits anywhere
    assert available_memory() > 0


@pytest.mark.parametrize("args,needle", [
    (["--size", "50"], "argument --size: must be an integer from 2 to 19, got 50"),
    (["--size", "-1"], "argument --size: must be an integer from 2 to 19, got -1"),
    (["--threads", "0"], "argument --threads: must be an integer from 1 to 1024, got 0"),
    (["--komi", "nan"], "argument --komi: must be a finite number >= -1000 and <= 1000, got 'nan'"),
    (["--sims", "0"], "argument --sims: must be an integer >= 1, got 0"),
    (["--sims", "1000000000"], "alphago gtp: --sims 1000000000 needs"),
])
def test_gtp_command_line_refuses_bad_numbers(args, needle):
    r = _cli("gtp", "--evaluator", "uniform", *args, timeout=120)
    _one_clear_line(r, needle)


@pytest.mark.parametrize("sims,actions", [(8, 26), (800, 82), (50, 362)])
def test_tree_nbytes_is_what_the_search_allocates(sims, actions):
    from alphago.mcts.config import SearchConfig
    from alphago.mcts.search import Search, tree_nbytes
    cfg = SearchConfig(num_simulations=sims)
    s = Search(cfg, 2, actions)
    assert abs(tree_nbytes(cfg, 2, actions) - (s.trees.nbytes + s._paths.nbytes)) <= 2 * 8  # alignment padding


# ============================================================== (4) bad input: one line, no traceback

def _write_cfg(tmp: Path, **sections) -> Path:
    path = tmp / "cfg.yaml"
    path.write_text(yaml.safe_dump(_raw(**sections)))
    return path


@pytest.fixture
def shard_dir(games, tmp_path) -> Path:
    from alphago.data.store import ShardStore
    store = ShardStore(tmp_path / "shards")
    store.write(games[:4])
    store.write(games[4:])
    return store.dir


def test_train_offline_with_a_truncated_shard(shard_dir, tmp_path):
    bad = shard_dir / "shard_00000001.npz"
    bad.write_bytes(bad.read_bytes()[:200])
    run = tmp_path / "run"
    r = _cli("train-offline", "--no-progress", "--data", str(shard_dir), "--config", str(TINY_PATH),
             "--run-dir", str(run), timeout=300)
    _one_clear_line(r, "alphago train-offline: ", "shard_00000001.npz")
    assert not run.exists(), "nothing is written before every shard has been read"


def test_train_offline_with_missing_data_creates_nothing(tmp_path):
    r = _cli("train-offline", "--no-progress", "--data", str(tmp_path / "nonexistent"), "--config", str(TINY_PATH),
             "--run-dir", str(tmp_path / "run"), timeout=300)
    _one_clear_line(r, f"--data {tmp_path / 'nonexistent'} is not a directory")
    assert not (tmp_path / "nonexistent").exists() and not (tmp_path / "run").exists()


@pytest.mark.parametrize("sections,needle", [
    ({"rules": {"komi": float("nan")}}, "rules.komi must be a finite number"),
    ({"train": {"device": "banana"}}, "train.device must be one of cpu, cuda, cuda:N, mps, got 'banana'"),
    ({"train": {"probe": "/nonexistent/probe.npz"}}, "train.probe: cannot read probe set /nonexistent/probe.npz"),
])
@pytest.mark.parametrize("command", ["train", "train-offline"])
def test_bad_config_values_stop_before_anything_starts(sections, needle, command, shard_dir, tmp_path):
    cfg = _write_cfg(tmp_path, **sections)
    run = tmp_path / "run"
    extra = ["--data", str(shard_dir)] if command == "train-offline" else []
    r = _cli(command, "--no-progress", "--config", str(cfg), "--run-dir", str(run), *extra, timeout=300)
    _one_clear_line(r, needle)
    assert not run.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_a_cuda_device_on_a_cpu_only_machine(device, tmp_path):
    cfg = _write_cfg(tmp_path, train={"device": device})
    r = _cli("train", "--no-progress", "--config", str(cfg), "--run-dir", str(tmp_path / "run"), timeout=300)
    _one_clear_line(r, f"train.device is '{device}' but this machine has no CUDA device")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_learner_gpus_on_a_cpu_only_machine_stops_instead_of_waiting(tmp_path):
    """Today's behaviour was a learner waiting for a GPU for ever."""
    cfg = _write_cfg(tmp_path, run={"learner_gpus": 1})
    r = _cli("train", "--no-progress", "--config", str(cfg), "--run-dir", str(tmp_path / "run"), timeout=300)
    _one_clear_line(r, "run.learner_gpus is 1 but the Ray cluster has 0 GPU(s)")


def _tiny_run(games, run: Path) -> Path:
    learner = _learner(TINY, run)
    try:
        learner.ingest(games)
        return learner.checkpoint()
    finally:
        learner.close()


def test_resume_with_a_config_for_another_net(games, tmp_path):
    run = tmp_path / "run"
    _tiny_run(games, run)
    r = _cli("train", "--no-progress", "--resume", str(run), "--config", str(ROOT / "configs" / "5x5.yaml"),
             timeout=300)
    _one_clear_line(r, "alphago train: ", "does not fit", "latest.pt")


def test_resume_of_a_missing_run_dir(tmp_path):
    r = _cli("train", "--no-progress", "--resume", str(tmp_path / "nope"), "--config", str(TINY_PATH), timeout=300)
    _one_clear_line(r, f"--resume {tmp_path / 'nope'}: no such run directory")
    assert not (tmp_path / "nope").exists()


@pytest.mark.parametrize("with_config", [False, True])
def test_train_init_from_a_file_that_is_not_a_checkpoint(with_config, tmp_path):
    probe = ROOT / "checkpoints" / "probe_5x5.npz"
    args = ["--config", str(TINY_PATH)] if with_config else []
    r = _cli("train", "--no-progress", "--init", str(probe), "--run-dir", str(tmp_path / "run"), *args, timeout=300)
    err = _one_clear_line(r, "alphago train --init", "probe_5x5.npz", "cannot load checkpoint")
    assert "bad config None" not in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args,needle", [
    (["--shard-games", "0"], "argument --shard-games: must be an integer >= 1, got 0"),
    (["--games", "-3"], "argument --games: must be an integer >= 1, got -3"),
    (["--threads", "0"], "argument --threads: must be an integer from 1 to 1024, got 0"),
])
def test_selfplay_refuses_bad_numbers(args, needle, tmp_path):
    r = _cli("selfplay", "--config", str(TINY_PATH), "--out", str(tmp_path / "out"), "--games", "2", *args,
             timeout=120)
    _one_clear_line(r, needle)
    assert not (tmp_path / "out").exists()


# ============================================================== (5) a checkpoint cannot run a command

def _crafted_checkpoint(games, tmp: Path, marker: Path) -> Path:
    """A real tiny checkpoint whose stored run config evaluates against `gtp:sh -c 'touch MARKER'`
    at every step (what an attacker would hand out as a 'trained net')."""
    from alphago.net.io import read_checkpoint
    step = _tiny_run(games, tmp / "donor")
    data = read_checkpoint(step)
    stored = json.loads(data["meta"]["config_json"])
    stored["run"].update(eval_every=1, eval_reference=[f"gtp:sh -c 'touch {marker}'"])
    data["meta"]["config_json"] = json.dumps(stored)
    path = tmp / "crafted.pt"
    torch.save(data, path)
    return path


def test_a_command_stored_in_a_checkpoint_is_refused(games, tmp_path):
    from alphago.config import load_run_config
    marker = tmp_path / "pwned"
    crafted = _crafted_checkpoint(games, tmp_path, marker)
    with pytest.raises(ConfigError, match="sets run.eval_reference to the command"):
        load_run_config(None, crafted)
    run = tmp_path / "run"
    r = _cli("train", "--no-progress", "--init", str(crafted), "--run-dir", str(run), timeout=300)
    _one_clear_line(r, f"alphago train --init {crafted}", "commands are taken only from your own config file")
    assert not marker.exists() and not run.exists()
    r = _cli("selfplay", "--checkpoint", str(crafted), "--out", str(tmp_path / "out"), "--games", "1", timeout=300)
    _one_clear_line(r, "sets run.eval_reference to the command")
    assert not marker.exists()


def test_a_command_in_the_users_own_config_is_allowed(tmp_path):
    """The user may evaluate against any GTP engine: the command comes from their own file."""
    from alphago.config import load_run_config, stored_commands
    cfg = load_run_config(_write_cfg(tmp_path, run={"eval_reference": ["gtp:gnugo --mode gtp", "rollout"]}))
    assert stored_commands(cfg) == ["gtp:gnugo --mode gtp"]


# ============================================================== (6) one writer per directory

def test_a_locked_run_dir_is_refused_at_once_by_every_writer(shard_dir, tmp_path):
    from alphago.data.lock import lock_dir
    run = tmp_path / "run"
    held = lock_dir(run)            # another process's run, as far as the commands can tell
    try:
        for args in (["train", "--no-progress", "--config", str(TINY_PATH), "--run-dir", str(run)],
                     ["train-offline", "--no-progress", "--config", str(TINY_PATH), "--run-dir", str(run),
                      "--data", str(shard_dir)],
                     ["selfplay", "--config", str(TINY_PATH), "--out", str(run), "--games", "1", "--no-progress"]):
            r = _cli(*args, timeout=300)
            _one_clear_line(r, f"{run} is in use by another process")
    finally:
        held.close()
    assert sorted(p.name for p in run.iterdir()) == [".lock"], "a refused writer wrote something"


def test_train_offline_twice_into_one_run_dir(shard_dir, tmp_path):
    run = tmp_path / "run"
    args = ["train-offline", "--no-progress", "--data", str(shard_dir), "--config", str(TINY_PATH),
            "--run-dir", str(run), "--steps", "2", "--threads", "1"]
    first = _cli(*args, timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    before = {p.name: p.read_bytes() for p in (run / "checkpoints").iterdir()}
    metrics = (run / "metrics.jsonl").read_text()
    second = _cli(*args, timeout=300)
    _one_clear_line(second, f"{run} already holds a run")
    assert {p.name: p.read_bytes() for p in (run / "checkpoints").iterdir()} == before
    assert (run / "metrics.jsonl").read_text() == metrics


def test_selfplay_seeds_differ_by_default(tmp_path):
    from alphago.data.records import read_shard
    outs, seeds = [], []
    for k in range(2):
        out = tmp_path / f"out{k}"
        r = _cli("selfplay", "--config", str(TINY_PATH), "--out", str(out), "--games", "2", "--no-progress",
                 timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        seeds.append(int(r.stdout.split("seed ", 1)[1].split()[0]))
        outs.append(read_shard(out / "shard_00000000.npz"))
    assert seeds[0] != seeds[1]
    assert [g.actions.tolist() for g in outs[0]] != [g.actions.tolist() for g in outs[1]]
    # the printed seed plays the same games again
    again = tmp_path / "again"
    r = _cli("selfplay", "--config", str(TINY_PATH), "--out", str(again), "--games", "2", "--no-progress",
             "--seed", str(seeds[0]), timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert [g.actions.tolist() for g in read_shard(again / "shard_00000000.npz")] == [g.actions.tolist() for g in outs[0]]


def test_save_checkpoint_refuses_non_finite_weights(tmp_path):
    """The last line of defence for every writer (train, pretrain, distill): no NaN file, no temp."""
    from alphago.net.io import CheckpointError
    from alphago.net.model import PolicyValueNet
    from alphago.train.checkpoint import save_checkpoint
    model = PolicyValueNet(TINY.size, TINY.features.num_planes, TINY.net)
    with torch.no_grad():
        next(model.parameters())[0].fill_(float("nan"))
    with pytest.raises(CheckpointError, match="refusing to write non-finite weights"):
        save_checkpoint(tmp_path / "a.pt", model, {"step": 1})
    assert list(tmp_path.iterdir()) == []


def test_cli_resume_with_a_truncated_latest_goes_on_from_a_step_file(games, tmp_path):
    """Issue 25: a truncated latest.pt made --resume fail with a Ray traceback although intact
    step files existed; now a warning and the run goes on from the newest intact one."""
    from alphago.net.io import read_checkpoint
    run = tmp_path / "run"
    step = _tiny_run(games, run)
    latest = run / "checkpoints" / "latest.pt"
    latest.write_bytes(latest.read_bytes()[:500])
    r = _cli("train", "--no-progress", "--resume", str(run), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    assert f"going on from {step.name}" in r.stdout + r.stderr
    assert read_checkpoint(latest)["meta"]["games"] >= TINY.run.total_games


def test_resume_passes_over_a_nan_latest_from_an_older_version(games, tmp_path):
    """A NaN latest.pt written before this fix (issue 25: `--resume` carried on from it) is not
    intact: the run goes on from the newest finite step file, with a warning."""
    from alphago.net.io import read_checkpoint
    run = tmp_path / "run"
    step = _tiny_run(games, run)
    latest = run / "checkpoints" / "latest.pt"
    data = read_checkpoint(latest)
    for v in data["model"].values():
        if v.is_floating_point():
            v.fill_(float("nan"))
    torch.save(data, latest)
    resumed = _learner(TINY, run, resume=True)
    try:
        assert resumed.last_good == step
        from alphago.train.trainer import weights_finite
        assert weights_finite(resumed.model)
        assert any("non-finite weights" in w for w in resumed.resume_warnings)
    finally:
        resumed.close()
