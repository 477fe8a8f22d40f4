"""Training on stored self-play games.

(a) records, shards and replay: soft and hard targets read the same stored games; shards
    round-trip and corrupt ones are refused by name; a record's SGF replays to its result.
(b) a few hundred Trainer steps on stored games lower the held-out policy and value losses.
(c) `alphago train` end to end through the CLI (embedded Ray), then `--resume` of the run.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from sgfmill import boards as sgf_boards
from sgfmill import sgf as sgfmill_sgf

from alphago.config import load_config
from alphago.data.records import GameRecord, read_shard, write_shard
from alphago.data.replay import ReplayBuffer, TrainBatch, game_features
from alphago.data.store import ShardStore
from alphago.go import GoState, Rules
from alphago.go import seed as seed_engine
from alphago.mcts.evaluators import RolloutEvaluator
from alphago.mcts.targets import policy_target
from alphago.net.evaluator import TorchEvaluator
from alphago.net.io import read_checkpoint
from alphago.net.model import PolicyValueNet, count_flops, score_half_range
from alphago.selfplay.loop import SelfPlay
from alphago.train.trainer import Trainer, evaluate

ROOT = Path(__file__).resolve().parents[1]
TINY_PATH = ROOT / "configs" / "tiny.yaml"
TINY = load_config(TINY_PATH)   # 5x5, history 2, a 2x16 net, 16 simulations, batch 64
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}   # Ray's defaults: token authentication stays on


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny nets gain nothing from threads, and on a shared machine spinning threads cost a lot."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _selfplay(evaluator_factory, games: int, batch_games: int, seed: int) -> list[GameRecord]:
    seed_engine(seed)
    sp = SelfPlay(TINY.size, TINY.rules, TINY.features, TINY.search,
                  dataclasses.replace(TINY.selfplay, batch_games=batch_games), seed=seed)
    return sp.play(evaluator_factory(sp), games)[:games]


@pytest.fixture(scope="module")
def net_games() -> list[GameRecord]:
    """8 games played by a randomly initialised tiny net, 16 simulations a move."""
    torch.manual_seed(0)
    net = PolicyValueNet(TINY.size, TINY.features.num_planes, TINY.net)
    return _selfplay(lambda sp: TorchEvaluator(net, threads=1), games=8, batch_games=8, seed=0)


# ============================================================== (a) records, shards, replay

def _twin_buffers(games: list[GameRecord], seed: int = 3) -> tuple[ReplayBuffer, ReplayBuffer]:
    out = []
    for _ in range(2):
        rb = ReplayBuffer(TINY.size, TINY.features, window=5000, seed=seed)
        for g in games:
            rb.add_game(g)
        out.append(rb)
    return out[0], out[1]


@pytest.mark.parametrize("symmetries", [False, True])
def test_soft_and_hard_targets_read_the_same_games(net_games, symmetries):
    soft_rb, hard_rb = _twin_buffers(net_games)
    assert len(soft_rb) == sum(g.num_moves for g in net_games)
    soft = soft_rb.sample(256, "visits", symmetries=symmetries)
    hard = hard_rb.sample(256, "action", symmetries=symmetries)
    # same positions, same outcomes, same moves, same weights: only the target differs
    assert np.array_equal(soft.features, hard.features)
    assert np.array_equal(soft.value, hard.value)
    assert np.array_equal(soft.action, hard.action)
    assert np.array_equal(soft.policy_weight, hard.policy_weight)
    rows = np.arange(256)
    # hard: one-hot of the move played
    assert np.array_equal(hard.policy.sum(-1), np.ones(256, np.float32))
    assert np.all(hard.policy[rows, hard.action] == 1.0)
    assert np.count_nonzero(hard.policy) == 256
    # soft: the visit distribution, which sums to 1 and puts mass on the move played
    assert np.allclose(soft.policy.sum(-1), 1.0, atol=1e-6)
    assert (soft.policy >= 0).all()
    assert np.all(soft.policy[rows, soft.action] > 0)
    assert (np.count_nonzero(soft.policy, axis=-1) > 1).any(), "visits never spread over several moves?"
    differs = ~np.all(soft.policy == hard.policy, axis=-1)
    assert differs.any()
    # where they differ is exactly where the search did not put all its visits on the move played
    assert np.array_equal(differs, soft.policy[rows, soft.action] < 1.0)
    if not symmetries:
        # without symmetries the soft target is the stored visit counts, normalised
        idx = np.random.default_rng(3).integers(0, len(soft_rb), size=256)
        visits = soft_rb.moves["visits"][idx]
        assert np.allclose(soft.policy, visits / visits.sum(-1, keepdims=True), atol=1e-6)
        assert np.array_equal(soft.features, soft_rb.planes[idx].astype(np.float32))


def test_features_in_the_buffer_are_the_replayed_positions(net_games):
    """Planes are rebuilt by replaying actions: own stones of the position before move t."""
    g = net_games[0]
    planes = game_features(g, TINY.features)
    s = GoState(g.size, Rules(ko=g.ko_rule, komi=g.komi))
    for t, a in enumerate(g.actions):
        me = s.to_play
        assert np.array_equal(planes[t, 0], (s.board == me).astype(np.uint8)), t
        assert np.array_equal(planes[t, 1], (s.board == -me).astype(np.uint8)), t
        s.play(int(a))


def _assert_same_records(a: list[GameRecord], b: list[GameRecord]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for f in dataclasses.fields(GameRecord):
            u, v = getattr(x, f.name), getattr(y, f.name)
            if f.name == "meta":
                continue  # not stored in shards
            if isinstance(u, np.ndarray):
                assert isinstance(v, np.ndarray) and u.dtype == v.dtype and np.array_equal(u, v), f.name
            elif isinstance(u, float) and math.isnan(u):
                assert isinstance(v, float) and math.isnan(v), f.name
            else:
                assert u == v and type(u) is type(v), (f.name, u, v)


def test_shard_round_trip(net_games, tmp_path):
    path = tmp_path / "shard.npz"
    write_shard(path, net_games)
    _assert_same_records(read_shard(path), net_games)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shard.npz"]  # no temp file left
    store = ShardStore(tmp_path / "games")
    store.write(net_games[:3])
    store.write(net_games[3:])
    assert [p.name for p in store.shards()] == ["shard_00000000.npz", "shard_00000001.npz"]
    _assert_same_records(store.read_all(), net_games)
    assert ShardStore(tmp_path / "games").next_index == 2  # a restarted store appends


def test_corrupted_shard_raises_naming_the_file(net_games, tmp_path):
    good = tmp_path / "good.npz"
    write_shard(good, net_games)
    data = good.read_bytes()
    cases = {
        "truncated.npz": data[: len(data) // 2],
        "garbage.npz": b"this is not a zip file at all" * 10,
        "empty.npz": b"",
        # one flipped byte inside the compressed data: the zip CRC catches it
        "flipped.npz": data[:200] + bytes([data[200] ^ 0xFF]) + data[201:],
    }
    for name, blob in cases.items():
        path = tmp_path / name
        path.write_bytes(blob)
        with pytest.raises(ValueError) as info:
            read_shard(path)
        assert str(path) in str(info.value), name
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.zeros(3))
    with pytest.raises(ValueError, match="foreign.npz"):
        read_shard(foreign)


def test_per_move_schema_is_declared_once_and_complete(net_games):
    """Every per-move field comes from a SearchResult field, and self-play fills all of them with one
    row per move in the declared dtype and shape."""
    from alphago.data.records import PER_MOVE
    from alphago.mcts.types import SearchResult
    result_fields = {f.name for f in dataclasses.fields(SearchResult)}
    for name, f in PER_MOVE:
        assert f.source in result_fields, name
    A = TINY.size ** 2 + 1
    for g in net_games:
        for name, f in PER_MOVE:
            v = getattr(g, name)
            if v is None:
                assert f.optional, name
                continue
            assert v.dtype == np.dtype(f.dtype) and v.shape == ((g.num_moves, A) if f.per_action else (g.num_moves,)), name


def test_shard_missing_a_field_is_refused_by_name_and_optional_fields_may_be_absent(net_games, tmp_path):
    good = tmp_path / "good.npz"
    write_shard(good, net_games)
    with np.load(good) as z:
        data = {k: z[k] for k in z.files}
    older = tmp_path / "older.npz"   # a shard from before an optional field existed
    np.savez(older, **{k: v for k, v in data.items() if k != "pruned"})
    assert all(g.pruned is None for g in read_shard(older))
    foreign = tmp_path / "no_prior.npz"
    np.savez(foreign, **{k: v for k, v in data.items() if k != "prior"})
    with pytest.raises(ValueError, match=r"no_prior.npz lacks prior"):
        read_shard(foreign)


def test_replay_buffer_keeps_every_per_move_field(net_games):
    from alphago.data.records import PER_MOVE
    rb = ReplayBuffer(TINY.size, TINY.features, window=10_000)
    for g in net_games:
        rb.add_game(g)
    t = 0
    for g in net_games:
        for name, _ in PER_MOVE:
            v = getattr(g, name)
            if v is not None:
                assert np.array_equal(rb.moves[name][t:t + g.num_moves], v), name
        t += g.num_moves
    # the probe's batch and a training batch are the same code: no symmetry -> the stored targets
    b = rb.batch(np.arange(5), "visits")
    v = rb.moves["visits"][:5].astype(np.float64)
    full = rb.moves["full_search"][:5]
    assert np.allclose(b.policy[full], (v / v.sum(1, keepdims=True))[full])
    assert np.array_equal(b.policy_weight, full.astype(np.float32))


def test_sgf_replays_to_the_same_final_board(net_games):
    for g in net_games:
        game = sgfmill_sgf.Sgf_game.from_bytes(g.to_sgf())
        assert game.get_size() == g.size
        assert game.get_komi() == g.komi
        root = game.get_root()
        expected_re = f"{'B' if g.score > 0 else 'W'}+{abs(g.score):g}"
        assert root.get("RE") == expected_re
        moves = [node.get_move() for node in game.get_main_sequence()[1:]]
        assert [c for c, _ in moves] == ["b" if t % 2 == 0 else "w" for t in range(g.num_moves)]
        # replay with our engine (legality checked move by move) and, independently, sgfmill's board
        state = GoState(g.size, Rules(ko=g.ko_rule, komi=g.komi))
        board = sgf_boards.Board(g.size)
        actions = []
        for colour, move in moves:
            a = g.size * g.size if move is None else move[0] * g.size + move[1]
            actions.append(a)
            state.play(a)
            if move is not None:
                board.play(move[0], move[1], colour)
        assert actions == [int(a) for a in g.actions]
        theirs = np.array([[{"b": 1, "w": -1, None: 0}[board.get(r, c)] for c in range(g.size)]
                           for r in range(g.size)], np.int8)
        assert np.array_equal(state.board, theirs)
        # the replayed final position is the one self-play scored
        assert state.score() == g.score and state.winner() == g.winner
        assert state.is_over


# ============================================================== (b) learning lowers held-out losses

TRAIN_STEPS = 250


@pytest.fixture(scope="module")
def rollout_games() -> list[GameRecord]:
    """64 games of 16-simulation searches whose leaves are valued by 8 random playouts.
    Games played by a random net (or uniform priors with value 0) are themselves close to
    random: there, even the current area score explains only ~5% of the outcome variance, so
    a held-out value loss cannot drop reliably. Rollout-valued searches play sensibly, the
    outcome follows the board, and the visit distributions prefer good moves: both heads get
    learnable targets. (The net's search targets from a random net are learnable too, but the
    values are not.)"""
    return _selfplay(lambda sp: RolloutEvaluator(sp.env, rollouts=8), games=64, batch_games=32, seed=0)


def _positions(games: list[GameRecord], target: str) -> TrainBatch:
    """Every position of the games, no symmetries: the held-out set."""
    feats = np.concatenate([game_features(g, TINY.features) for g in games]).astype(np.float32)
    visits = np.concatenate([g.visits for g in games])
    actions = np.concatenate([g.actions for g in games]).astype(np.int64)
    weight = np.concatenate([g.full_search for g in games]).astype(np.float32)
    z = np.concatenate([g.outcomes() for g in games])
    return TrainBatch(feats, policy_target(target, visits, actions), weight, z, actions)


def test_training_lowers_held_out_policy_and_value_loss(rollout_games):
    """Hold out every 4th game (582 positions); train TRAIN_STEPS steps of 64 on the rest
    (1627 positions, ~10 epochs with random symmetries) and compare with the initial net.
    Here (seed 0): policy 4.71 -> 3.97 bits, value MSE 1.01 -> 0.42.

    Measured over 8 seeds (engine, search and init; 200-250 steps): the policy cross-entropy
    fell from 4.71 bits (the untrained net is ~uniform: log2 26 = 4.70) by 0.47 to 1.14 bits
    and the value MSE from ~1.0 (v ~ 0 against outcomes of +-1) by 0.20 to 0.60. The margins
    asked here, 0.25 bits and 0.1, are about half the smallest drop seen, and the value must
    also beat the constant prediction 0 (MSE exactly 1) by 0.1."""
    held = [g for i, g in enumerate(rollout_games) if i % 4 == 3]
    train = [g for i, g in enumerate(rollout_games) if i % 4 != 3]
    rb = ReplayBuffer(TINY.size, TINY.features, window=TINY.train.window, seed=0)
    for g in train:
        rb.add_game(g)
    probe = _positions(held, "visits")
    assert len(probe.value) >= 300 and len(rb) >= 1000
    assert set(np.unique(probe.value)) <= {-1.0, 1.0}

    torch.manual_seed(100)
    planes = TINY.features.num_planes
    model = PolicyValueNet(TINY.size, planes, TINY.net)
    before = evaluate(model, probe)
    trainer = Trainer(model, TINY.train, count_flops(model, planes, TINY.size, backward=True))
    history = [trainer.step(rb.sample(TINY.train.batch_size, "visits")) for _ in range(TRAIN_STEPS)]
    after = evaluate(model, probe)

    assert trainer.step_count == TRAIN_STEPS and history[-1]["step"] == TRAIN_STEPS
    assert all(math.isfinite(m["loss"]) for m in history)
    assert before["policy_ce_bits"] - after["policy_ce_bits"] >= 0.25, (before, after)
    assert before["value_mse"] - after["value_mse"] >= 0.1, (before, after)
    assert after["value_mse"] <= 0.9, (before, after)
    assert after["value_ce_bits"] < before["value_ce_bits"], (before, after)
    # the ledger counted what was trained
    assert trainer.ledger.samples == TRAIN_STEPS * TINY.train.batch_size
    assert trainer.ledger.train_flops == TRAIN_STEPS * TINY.train.batch_size * trainer.flops_per_sample


# ============================================================== (c) the CLI end to end

def _train_cli(*args: str, timeout: float = 300) -> str:
    proc = subprocess.Popen([sys.executable, "-m", "alphago.cli", "train", "--no-progress", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV,
                            cwd=str(ROOT), start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError(f"alphago train did not finish in {timeout} s:\n{out[-3000:]}")
    assert proc.returncode == 0, out[-3000:]
    return out


def _metrics(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]


def _games_on_disk(run: Path) -> int:
    return sum(len(read_shard(p)) for p in sorted((run / "games").glob("shard_*.npz")))


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
    games_before = _games_on_disk(run)
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
    assert _games_on_disk(run) >= cfg["run"]["total_games"] and meta2["games"] == _games_on_disk(run)
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
    assert meta["games"] == _games_on_disk(run)


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


# ============================================================== ownership target

def test_records_carry_the_final_ownership(net_games, tmp_path):
    for g in net_games:
        if g.resigned:
            assert g.ownership is None
            continue
        assert g.ownership.dtype == np.int8 and g.ownership.shape == (g.size ** 2,)
        assert float(g.ownership.sum()) == pytest.approx(g.score + g.komi)  # owners sum to the area count
    path = tmp_path / "s.npz"
    write_shard(path, net_games)
    _assert_same_records(read_shard(path), net_games)


def test_ownership_targets_move_with_the_board_under_symmetries(net_games):
    """A sample drawn in a random symmetry: some board symmetry maps its unrotated planes AND its
    unrotated ownership target onto the drawn ones (a target that moved differently would not)."""
    from alphago.go.symmetry import NUM_SYMMETRIES, apply_planes
    # random-net games end with one colour owning the whole board (symmetric): give them
    # asymmetric owner maps, since this checks how targets move, not what they are
    rng = np.random.default_rng(0)
    games = [dataclasses.replace(g, ownership=rng.integers(-1, 2, TINY.size ** 2).astype(np.int8))
             for g in net_games]
    rb = ReplayBuffer(TINY.size, TINY.features, window=10_000, seed=5)
    for g in games:
        rb.add_game(g)
    idx = np.arange(0, len(rb), 3)
    plain = rb.batch(idx, "visits", symmetries=False)
    drawn = rb.batch(idx, "visits", symmetries=True)
    n = TINY.size
    moved = 0
    for r in range(len(idx)):
        own0 = plain.ownership[r].reshape(1, 1, n, n)
        ok = [t for t in range(NUM_SYMMETRIES)
              if np.array_equal(apply_planes(plain.features[r:r + 1], t), drawn.features[r:r + 1])
              and np.array_equal(apply_planes(own0, t).reshape(-1), drawn.ownership[r])]
        assert ok, r
        moved += not np.array_equal(plain.ownership[r], drawn.ownership[r])
    assert moved > len(idx) // 2  # the symmetries did move the targets
    assert (drawn.ownership_weight == 1).all()


def test_soft_policy_target_is_the_tempered_visits_moved_with_the_policy(net_games):
    rb = ReplayBuffer(TINY.size, TINY.features, window=10_000, seed=7)
    for g in net_games:
        rb.add_game(g)
    idx = np.flatnonzero(rb.moves["full_search"][:len(rb)])
    b = rb.batch(idx, "visits", symmetries=True, soft_temperature=4.0)
    # policy = visits / sum; soft = visits^(1/4) / sum: in every drawn symmetry, row by row
    expect = b.policy.astype(np.float64) ** 0.25
    expect /= expect.sum(-1, keepdims=True)
    assert np.allclose(b.soft_policy, expect, atol=1e-6)
    assert (b.soft_policy > 0).sum() == (b.policy > 0).sum()
    # tempering spreads the mass: higher entropy than the visit distribution
    ent = lambda p: -(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1)), 0)).sum(-1)
    assert (ent(b.soft_policy) >= ent(b.policy) - 1e-9).all() and (ent(b.soft_policy) > ent(b.policy)).any()
    assert rb.batch(idx, "visits").soft_policy is None   # only when asked for


def test_score_targets_are_the_final_margin_for_the_mover(net_games):
    """Black's final margin (komi included) for Black to move, minus it for White; resigned games
    carry no score (weight 0); the two-hot target puts an integer margin on one bin and x.5 half
    on each neighbour, and its mean is the margin."""
    import torch

    from alphago.train.trainer import score_two_hot
    rb = ReplayBuffer(TINY.size, TINY.features, window=10_000, seed=3)
    for g in net_games:
        rb.add_game(g)
    b = rb.batch(np.arange(len(rb)), "visits")
    i = 0
    for g in net_games:
        for t in range(g.num_moves):
            if g.resigned:
                assert b.score_weight[i] == 0 and b.score[i] == 0
            else:
                assert b.score_weight[i] == 1 and b.score[i] == pytest.approx(g.score if t % 2 == 0 else -g.score)
            i += 1
    bins = 2 * score_half_range(5) + 1
    t = score_two_hot(torch.tensor([3.0, -2.5, 1e6]), bins)
    m = (bins - 1) // 2
    assert t[0, m + 3] == 1 and t[0].sum() == 1
    assert t[1, m - 3] == 0.5 and t[1, m - 2] == 0.5
    assert t[2, -1] == 1   # clamped to the support
    support = torch.arange(-m, m + 1, dtype=torch.float32)
    assert float((t[1] * support).sum()) == -2.5


def test_score_utility_mixes_the_score_lead_into_the_value():
    """(1 - u) v + u tanh(lead / N), with lead the score head's expected margin."""
    import torch

    from alphago.net.evaluator import TorchEvaluator
    from alphago.net.model import NetConfig
    torch.manual_seed(0)
    net = PolicyValueNet(5, TINY.features.num_planes, NetConfig(blocks=1, channels=8, value_hidden=8, score_head=True))
    with torch.no_grad():  # the score head says: a margin of exactly +4 for the mover
        net.score_fc[-1].weight.zero_()
        net.score_fc[-1].bias.fill_(-50.0)
        net.score_fc[-1].bias[score_half_range(5) + 4] = 50.0
    x = np.random.default_rng(0).random((3, TINY.features.num_planes, 5, 5)).astype(np.float32)
    legal = np.ones((3, 26), bool)
    _, v0 = TorchEvaluator(net)(x, legal)
    _, v = TorchEvaluator(net, score_utility=0.25)(x, legal)
    assert np.allclose(v, 0.75 * v0 + 0.25 * np.tanh(4 / 5), atol=1e-5)
    with pytest.raises(ValueError, match="score head"):
        TorchEvaluator(PolicyValueNet(5, TINY.features.num_planes, NetConfig(blocks=1, channels=8)), score_utility=0.1)


def test_auxiliary_heads_learn_and_are_counted(tmp_path):
    """A short run with the ownership, soft-policy and score levers: the heads' losses fall, their bits are
    counted (ownership in both ledgers), and the FLOPs of training include the heads."""
    from alphago.config import config_from_dict
    from alphago.run.local import run_local
    raw = yaml.safe_load(TINY_PATH.read_text())
    raw["net"]["ownership_head"] = True
    raw["net"]["soft_policy_head"] = True
    raw["train"]["ownership_weight"] = 1.5
    raw["train"]["soft_policy_weight"] = 1.0
    raw["net"]["score_head"] = True
    raw["train"]["score_weight"] = 0.1
    raw["run"]["total_games"] = 64
    cfg = config_from_dict(raw)
    run_local(cfg, tmp_path / "run", threads=1)
    rows = [json.loads(l) for l in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in rows if "ownership_loss" in r]
    assert len(train) > 20
    first = np.mean([r["ownership_loss"] for r in train[:5]])
    last = np.mean([r["ownership_loss"] for r in train[-5:]])
    assert last < first, (first, last)
    assert train[-1]["ownership_bits_per_sample"] > 0 and train[-1]["data_ownership_bits"] > 0
    assert train[-1]["data_ownership_bits_per_game"] <= TINY.size ** 2 * np.log2(3)
    assert 0 < train[-1]["data_ownership_bits_given_outcome_per_game"] <= TINY.size ** 2 * np.log2(3)
    first_s = np.mean([r["soft_policy_loss"] for r in train[:5]])
    last_s = np.mean([r["soft_policy_loss"] for r in train[-5:]])
    assert last_s < first_s and train[-1]["soft_policy_bits_per_sample"] > 0, (first_s, last_s)
    first_c = np.mean([r["score_loss"] for r in train[:5]])
    last_c = np.mean([r["score_loss"] for r in train[-5:]])
    assert last_c < first_c and train[-1]["score_bits_per_sample"] > 0, (first_c, last_c)
    bins = 2 * score_half_range(TINY.size) + 1
    assert 0 < train[-1]["data_score_bits_per_game"] <= np.log2(bins)
    assert 0 < train[-1]["data_score_bits_given_outcome_per_game"] <= np.log2(bins)
    # data_bits counts the boards and margins given the outcome (chain rule), not marginally
    assert train[-1]["data_bits"] == pytest.approx(train[-1]["data_policy_bits"] + train[-1]["data_value_bits"]
                                                   + train[-1]["data_ownership_bits_given_outcome"]
                                                   + train[-1]["data_score_bits_given_outcome"], rel=1e-9)
    plain = PolicyValueNet(cfg.size, cfg.features.num_planes,
                           dataclasses.replace(cfg.net, ownership_head=False, soft_policy_head=False, score_head=False))
    with_head = PolicyValueNet(cfg.size, cfg.features.num_planes, cfg.net)
    n_planes = cfg.features.num_planes
    assert count_flops(with_head, n_planes, cfg.size, backward=True) > count_flops(plain, n_planes, cfg.size, backward=True)
    assert count_flops(with_head, n_planes, cfg.size) == count_flops(plain, n_planes, cfg.size)  # play: no head


# ============================================================== Reanalyse

def test_reanalyse_rebuilds_the_stored_positions(net_games):
    """The positions Reanalyse searches are the stored ones: their planes equal the buffer's."""
    from alphago.go.features import compute_features
    from alphago.selfplay.reanalyse import Reanalyser, position_refs
    rb = ReplayBuffer(TINY.size, TINY.features, window=10_000, seed=2)
    for g in net_games:
        rb.add_game(g)
    idx = np.random.default_rng(0).integers(0, len(rb), 20)
    ra = Reanalyser(TINY.size, TINY.rules, TINY.features, TINY.search, TINY.selfplay.pass_rule, batch=32)
    roots = ra._roots(position_refs(rb.positions(idx)))
    assert np.array_equal(compute_features(roots, TINY.features)[:20].astype(np.uint8), rb.planes[idx])
    # a window that wrapped forgets the games it no longer holds
    small = ReplayBuffer(TINY.size, TINY.features, window=50, seed=2)
    for g in net_games:
        small.add_game(g)
    assert set(small.games) == {int(x) for x in small.origin_game[:len(small)]}


def test_reanalyse_renews_targets_and_counts_its_flops(tmp_path):
    from alphago.config import config_from_dict
    from alphago.run.local import run_local
    raw = yaml.safe_load(TINY_PATH.read_text())
    raw["train"]["reanalyse_ratio"] = 0.5
    raw["run"]["total_games"] = 48
    cfg = config_from_dict(raw)
    run_local(cfg, tmp_path / "run", threads=1)
    rows = [json.loads(l) for l in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in rows if "loss" in r]
    assert train[-1]["reanalysed"] > train[0]["reanalysed"] >= 0
    meta = read_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt")["meta"]
    led, positions, n = meta["ledger"], meta["positions"], meta["reanalysed"]
    # half a re-searched position per new position, in whole positions per ingest
    assert 0.5 * positions - 1 <= n <= 0.5 * positions
    # every re-search is a full search: its root plus at most num_simulations network rows
    rows_per_position = led["reanalyse_flops"] / meta["forward_flops"] / n
    assert 1 < rows_per_position <= TINY.search.num_simulations + 1
    from alphago.train.bits import BitsLedger, ledger_flops
    total = led["selfplay_flops"] + led["train_flops"] + led["reanalyse_flops"]
    assert ledger_flops(led) == pytest.approx(total)
    assert BitsLedger(**led).flops == pytest.approx(total)
    with pytest.raises(Exception, match="reanalyse_ratio"):
        raw["train"]["target"] = "action"
        config_from_dict(raw)
