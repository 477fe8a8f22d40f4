"""Failure paths of the command line (issue 25; (1) and (2) are in test_failure_paths.py): (3) GTP
limits, (4) bad input in one line without a traceback, (5) a command stored in a checkpoint is
refused, (6) one writer per run directory, and resumes past damaged checkpoints."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from alphago.config import ConfigError

from training_kit import ROOT, TINY_PATH, TINY
from failure_kit import _raw, _cli, _one_clear_line, _learner

pytestmark = pytest.mark.usefixtures("one_torch_thread")


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
def shard_dir(uniform_games, tmp_path) -> Path:
    from alphago.data.store import ShardStore
    store = ShardStore(tmp_path / "shards")
    store.write(uniform_games[:4])
    store.write(uniform_games[4:])
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


def test_resume_with_a_config_for_another_net(uniform_games, tmp_path):
    run = tmp_path / "run"
    _tiny_run(uniform_games, run)
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


def test_a_command_stored_in_a_checkpoint_is_refused(uniform_games, tmp_path):
    from alphago.config import load_run_config
    marker = tmp_path / "pwned"
    crafted = _crafted_checkpoint(uniform_games, tmp_path, marker)
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


def test_cli_resume_with_a_truncated_latest_goes_on_from_a_step_file(uniform_games, tmp_path):
    """Issue 25: a truncated latest.pt made --resume fail with a Ray traceback although intact
    step files existed; now a warning and the run goes on from the newest intact one."""
    from alphago.net.io import read_checkpoint
    run = tmp_path / "run"
    step = _tiny_run(uniform_games, run)
    latest = run / "checkpoints" / "latest.pt"
    latest.write_bytes(latest.read_bytes()[:500])
    # and the temp file of a write a SIGKILL cut short (the CI failure of 2026-12-06): litter,
    # removed with a line when the run takes its directory's lock again; a user's own file stays
    (run / "checkpoints" / ".latest.ptab12cd.tmp").write_bytes(b"half a checkpoint")
    (run / "games" / "notes.tmp").write_text("mine")
    r = _cli("train", "--no-progress", "--resume", str(run), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    assert f"going on from {step.name}" in r.stdout + r.stderr
    assert "removed 1 half-written file(s) a killed run left: .latest.ptab12cd.tmp" in r.stdout + r.stderr
    assert not list((run / "checkpoints").glob("*.tmp")) and (run / "games" / "notes.tmp").exists()
    assert read_checkpoint(latest)["meta"]["games"] >= TINY.run.total_games


def test_resume_passes_over_a_nan_latest_from_an_older_version(uniform_games, tmp_path):
    """A NaN latest.pt written before this fix (issue 25: `--resume` carried on from it) is not
    intact: the run goes on from the newest finite step file, with a warning."""
    from alphago.net.io import read_checkpoint
    run = tmp_path / "run"
    step = _tiny_run(uniform_games, run)
    latest = run / "checkpoints" / "latest.pt"
    data = read_checkpoint(latest)
    for v in data["model"].values():
        if v.is_floating_point():
            v.fill_(float("nan"))
    torch.save(data, latest)
    # a shard's temp file from a learner killed mid-write: the learner that takes the lock removes it
    # (the local runner and ablation cells too, not only `alphago train`)
    (run / "games" / ".shard_000099.npzq1w2e3.tmp").write_bytes(b"half a shard")
    resumed = _learner(TINY, run, resume=True)
    try:
        assert not list((run / "games").glob("*.tmp"))
        assert resumed.last_good == step
        from alphago.train.trainer import weights_finite
        assert weights_finite(resumed.model)
        assert any("non-finite weights" in w for w in resumed.resume_warnings)
    finally:
        resumed.close()
