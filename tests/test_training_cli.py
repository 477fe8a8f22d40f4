"""`alphago train` end to end through the CLI (embedded Ray): a run, `--resume` of it, `--init` from a
net whose run directory is gone, SIGTERM, an unreadable shard on resume, Reanalyse on the workers."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from alphago.net.io import read_checkpoint

from training_kit import ROOT, TINY_PATH, TINY, ENV, finish, games_on_disk

pytestmark = pytest.mark.usefixtures("one_torch_thread")



# ============================================================== (c) the CLI end to end

def _train_cli(*args: str, timeout: float = 300) -> str:
    proc = subprocess.Popen([sys.executable, "-m", "alphago.cli", "train", "--no-progress", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV,
                            cwd=str(ROOT), start_new_session=True)
    return finish(proc, timeout, "alphago train")


def _metrics(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]


def test_ray_run_reanalyses_on_the_workers(tmp_path):
    """In the alternating schedule under Ray, Reanalyse runs as tasks on the self-play workers
    between phases: the learner gets the targets back, counts their FLOPs as Reanalyse (not as
    self-play) and owes about half a position per new position, as when it searches inline."""
    run = tmp_path / "run"
    cfg = yaml.safe_load(TINY_PATH.read_text())
    cfg["train"]["reanalyse_ratio"] = 0.5
    cfg["run"]["total_games"] = 32
    path = tmp_path / "re.yaml"
    path.write_text(yaml.safe_dump(cfg))
    _train_cli("--config", str(path), "--run-dir", str(run))
    meta = read_checkpoint(run / "checkpoints" / "latest.pt")["meta"]
    led, positions, n = meta["ledger"], meta["positions"], meta["reanalysed"]
    phases = cfg["run"]["total_games"] // cfg["run"]["games_per_phase"]
    assert 0.5 * positions - phases <= n <= 0.5 * positions   # whole positions per phase
    assert n > 0 and led["reanalyse_flops"] > 0
    rows_per_position = led["reanalyse_flops"] / meta["forward_flops"] / n
    assert 1 < rows_per_position <= TINY.search.num_simulations + 1


def test_cli_train_then_resume(tmp_path):
    run = tmp_path / "run"
    out = _train_cli("--config", str(TINY_PATH), "--run-dir", str(run))
    assert "done: " in out
    ckpts = run / "checkpoints"
    assert (ckpts / "latest.pt").is_file()
    steps_files = sorted(ckpts.glob("step_*.pt"))
    assert steps_files
    assert not [p for p in ckpts.iterdir() if p.name.startswith(".")], "temp files left in checkpoints/"
    meta = read_checkpoint(ckpts / "latest.pt")["meta"]
    assert meta["board_size"] == 5 and meta["step"] >= 1
    assert f"step_{meta['step']:07d}.pt" in [p.name for p in steps_files]

    before = _metrics(run)
    train_lines = [m for m in before if "loss" in m]
    assert train_lines
    for m in before:
        assert "step" in m and "flops" in m
    for m in train_lines:
        for key in ("samples_per_flop", "bits_per_sample", "bits_per_flop"):
            assert key in m and m[key] is not None and m[key] > 0, (key, m)
    assert [m["step"] for m in train_lines] == list(range(1, meta["step"] + 1))
    assert all(b["flops"] > a["flops"] for a, b in zip(train_lines, train_lines[1:]))
    games_before = games_on_disk(run)
    assert games_before >= TINY.run.total_games
    assert meta["games"] == games_before

    # resume with a larger budget: the run's own config.yaml, one more phase of games, and
    # an evaluation match (2 games vs the rollout reference) after that phase's training
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    cfg["run"]["total_games"] = TINY.run.total_games + TINY.run.games_per_phase
    cfg["run"].update(eval_every=1, eval_games=2, eval_sims=4)
    (run / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = _train_cli("--resume", str(run))
    assert "done: " in out

    after = _metrics(run)
    assert after[: len(before)] == before, "resume must append to metrics.jsonl, keeping the old lines"
    new = [m for m in after[len(before):] if "loss" in m]
    assert new, "the resumed run trained no steps"
    assert new[0]["step"] == meta["step"] + 1, "steps continue from the checkpoint"
    steps = [m["step"] for m in after]
    assert all(b >= a for a, b in zip(steps, steps[1:])), "a step number decreased"
    assert new[0]["flops"] > train_lines[-1]["flops"]
    assert new[0]["samples"] > train_lines[-1]["samples"]
    meta2 = read_checkpoint(ckpts / "latest.pt")["meta"]
    assert meta2["step"] == new[-1]["step"] > meta["step"]
    assert meta2["weight_version"] > meta["weight_version"]
    assert games_on_disk(run) >= cfg["run"]["total_games"] and meta2["games"] == games_on_disk(run)
    evals = [m for m in after if m.get("event") == "evaluation"]
    assert evals, "run.eval_every set: an evaluation match must be logged"
    assert 0.0 <= evals[0]["eval_rollout_score"] <= 1.0
    assert evals[0]["eval_rollout_elo_lo"] <= evals[0]["eval_rollout_elo"] <= evals[0]["eval_rollout_elo_hi"]
    # training health was logged once per self-play phase
    health = [m for m in after if m.get("event") == "selfplay"]
    assert health and all(m["health_games"] > 0 and m["health_game_length"] > 0 for m in health)


def test_cli_train_init_from_a_net_when_the_run_dir_is_gone(tmp_path):
    """`alphago train --init CHECKPOINT`: a new run directory starting from a net's weights; the
    step count and the FLOP ledger go on from the net's, so the FLOP axis stays honest."""
    short = yaml.safe_load(TINY_PATH.read_text())
    short["run"]["total_games"] = short["run"]["games_per_phase"]   # one phase: all this test needs of a run
    short_path = tmp_path / "short.yaml"
    short_path.write_text(yaml.safe_dump(short))
    first = tmp_path / "first"
    _train_cli("--config", str(short_path), "--run-dir", str(first))
    net = tmp_path / "net.pt"
    net.write_bytes((first / "checkpoints" / "latest.pt").read_bytes())
    meta = read_checkpoint(net)["meta"]
    import shutil
    shutil.rmtree(first)  # the run directory is gone; only the net is left
    second = tmp_path / "second"
    out = _train_cli("--init", str(net), "--run-dir", str(second))  # config: the net's own
    assert "done: " in out
    rows = _metrics(second)
    init = [m for m in rows if m.get("event") == "init"]
    assert init and init[0]["init_from"] == str(net) and init[0]["init_step"] == meta["step"]
    steps = [m["step"] for m in rows if "loss" in m]
    assert steps and steps[0] == meta["step"] + 1
    first_flops = meta["ledger"]["selfplay_flops"] + meta["ledger"]["train_flops"]
    assert [m for m in rows if "loss" in m][0]["flops"] > first_flops
    # a net for another board size is refused by name before anything runs
    big = tmp_path / "big.yaml"
    cfg = yaml.safe_load(short_path.read_text())
    cfg["size"] = 7
    big.write_text(yaml.safe_dump(cfg))
    proc = subprocess.run([sys.executable, "-m", "alphago.cli", "train", "--no-progress", "--init", str(net),
                           "--config", str(big), "--run-dir", str(tmp_path / "third")],
                          capture_output=True, text=True, env=ENV, cwd=str(ROOT), timeout=300)
    assert proc.returncode != 0 and "board_size" in (proc.stdout + proc.stderr)
    # a config that adds the ownership head: the warm start loads, the head starts fresh and trains
    own = tmp_path / "own.yaml"
    cfg = yaml.safe_load(short_path.read_text())
    cfg.setdefault("net", {})["ownership_head"] = True
    cfg.setdefault("train", {})["ownership_weight"] = 1.5
    own.write_text(yaml.safe_dump(cfg))
    _train_cli("--init", str(net), "--config", str(own), "--run-dir", str(tmp_path / "fourth"))
    rows = _metrics(tmp_path / "fourth")
    assert [m for m in rows if m.get("event") == "init"][0]["added_heads"] == ["ownership_head"]
    assert any(m.get("ownership_bits_per_sample", 0) > 0 for m in rows if "loss" in m)


def test_sigterm_stops_a_run_cleanly_and_it_resumes(tmp_path):
    """SIGTERM (what kill, timeout and schedulers send) writes a checkpoint, stops the workers,
    exits 0 and says how to resume; the resumed run continues from that checkpoint."""
    import time
    run = tmp_path / "run"
    cfg = yaml.safe_load(TINY_PATH.read_text())
    cfg["run"]["total_games"] = 100_000  # would run for hours: only the signal ends it
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(cfg))
    proc = subprocess.Popen([sys.executable, "-m", "alphago.cli", "train", "--no-progress", "--config", str(path),
                             "--run-dir", str(run)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=ENV, cwd=str(ROOT), start_new_session=True)
    try:
        deadline = time.time() + 240
        while not list((run / "checkpoints").glob("step_*.pt")) and time.time() < deadline:
            time.sleep(1)
        assert list((run / "checkpoints").glob("step_*.pt")), "no checkpoint within 240 s"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, out[-3000:]
    assert f"alphago train --resume {run}" in out
    meta = read_checkpoint(run / "checkpoints" / "latest.pt")["meta"]
    trained = [m for m in _metrics(run) if "loss" in m]
    assert meta["step"] == trained[-1]["step"], "the checkpoint holds every step that was logged"
    assert meta["games"] == games_on_disk(run)


def test_resume_moves_an_unreadable_shard_aside_and_goes_on(net_games, tmp_path):
    """Bit rot in one shard: --resume says which file and goes on with the rest."""
    from alphago.train.learner import Learner
    run = tmp_path / "run"
    learner = Learner(TINY, run, threads=1)
    for part in (net_games[:2], net_games[2:4], net_games[4:6]):
        learner.ingest(part)
    learner.checkpoint()                   # knows shards 0-2
    learner.ingest(net_games[6:])          # shard 3: after the checkpoint
    learner.close()
    shard1 = run / "games" / "shard_00000001.npz"
    shard1.write_bytes(shard1.read_bytes()[:100])   # a copy cut short
    resumed = Learner(TINY, run, resume=True, threads=1)
    try:
        assert not shard1.exists() and (run / "games" / "shard_00000001.npz.bad").exists()
        assert resumed.games == len(net_games) - 2
        # shard 3's games were not in the checkpoint: their samples are still owed, once
        owed = sum(g.num_moves for g in net_games[6:]) * TINY.train.replay_ratio
        assert resumed.pending_samples == pytest.approx(_pending_at_checkpoint(run) + owed)
        # a new shard never takes the lost one's name
        assert resumed.ingest(net_games[:1]).name == "shard_00000004.npz"
    finally:
        resumed.close()
    events = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    lost = [e for e in events if e.get("event") == "shard_lost"]
    assert len(lost) == 1 and "shard_00000001.npz" in lost[0]["message"]


def _pending_at_checkpoint(run: Path) -> float:
    return float(read_checkpoint(run / "checkpoints" / "latest.pt")["meta"]["pending_samples"])
