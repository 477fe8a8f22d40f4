"""In-process matches (tests/inprocess_match.py), the evaluation yardstick (play/evaluation.py, `alphago
evaluate`), the Ray-free run's budgets (run/local.py) and multi-reference configs."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from alphago.config import ConfigError, config_from_dict, load_config
from alphago.run.local import run_local
from alphago.go import Rules
from alphago.net.model import NetConfig, PolicyValueNet
from alphago.play.evaluation import pick_checkpoints, reference_name
from inprocess_match import MatchOutcome, RandomPlayer, play_match
from alphago.train.checkpoint import save_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def test_random_players_match_counts_and_pairs_openings():
    res = play_match(RandomPlayer(1), RandomPlayer(2), 10, 5, Rules(komi=0.5, max_moves=75), opening_moves=2, seed=3)
    assert res.games == 10 and res.a_wins + res.b_wins + res.draws == 10 and res.draws == 0
    assert 1 <= res.distinct <= 10
    assert 0.0 <= res.score <= 1.0 and res.elo().lower <= res.elo().elo <= res.elo().upper


def test_match_outcome_arithmetic():
    m = MatchOutcome(a_wins=6, b_wins=2, draws=2, a_black_wins=4, distinct=9)
    assert m.games == 10 and m.score == 0.7
    assert "6 - 2" in m.describe() and "9 distinct" in m.describe()


def test_reference_names():
    assert reference_name("gnugo:10") == "gnugo10"
    assert reference_name("rollout@200") == "rollout200"
    assert reference_name("::") == "reference"


def test_eval_reference_takes_a_spec_or_a_list():
    assert config_from_dict({"run": {"eval_reference": "gnugo:1"}}).run.eval_reference == ("gnugo:1",)
    cfg = config_from_dict({"run": {"eval_reference": ["gnugo:1", "gnugo:10"]}})
    assert cfg.run.eval_reference == ("gnugo:1", "gnugo:10")
    with pytest.raises(ConfigError, match="eval_reference"):
        config_from_dict({"run": {"eval_reference": []}})
    with pytest.raises(ConfigError, match="pass_rule"):
        config_from_dict({"selfplay": {"pass_rule": "sometimes"}})


def _tiny_checkpoints(run_dir: Path, flops: list[float]) -> None:
    torch.manual_seed(0)
    net = NetConfig(blocks=1, channels=8, value_hidden=8)
    model = PolicyValueNet(5, 9, net)
    (run_dir / "checkpoints").mkdir(parents=True)
    for i, f in enumerate(flops):
        meta = {"board_size": 5, "in_planes": 9, "net": net.__dict__, "step": i + 1, "weight_version": i,
                "games": 10 * i, "ledger": {"selfplay_flops": f, "train_flops": 0.0},
                "features": {"history": 2, "color": True, "ones": True, "liberties": True, "legal": False},
                "rules": {"komi": 0.5, "ko": "positional", "suicide": False, "max_moves": 75}, "wall_s": 10.0 * i}
        save_checkpoint(run_dir / "checkpoints" / f"step_{i + 1:07d}.pt", model, meta)


def test_pick_checkpoints_spreads_on_log_flops(tmp_path):
    flops = [10.0 ** (8 + k / 4) for k in range(17)]   # 1e8 .. 1e12, 4 per decade
    _tiny_checkpoints(tmp_path, flops)
    chosen = pick_checkpoints(tmp_path, 5)
    steps = [m.step for _, m in chosen]
    assert steps == [1, 5, 9, 13, 17]  # one per decade, the last always in
    with pytest.raises(FileNotFoundError):
        pick_checkpoints(tmp_path / "nothing", 3)


def test_alphago_evaluate_appends_rows_per_checkpoint(tmp_path):
    _tiny_checkpoints(tmp_path, [1e9, 1e10])
    (tmp_path / "metrics.jsonl").write_text("")
    out = subprocess.run([sys.executable, "-m", "alphago.cli", "evaluate", str(tmp_path), "--reference", "uniform@2",
                          "--games", "2", "--sims", "2", "--points", "2"], capture_output=True, text=True,
                         cwd=str(ROOT), timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2] and all(r["event"] == "evaluation" for r in rows)
    for r in rows:
        assert r["eval_uniform2_games"] == 2 and 0 <= r["eval_uniform2_score"] <= 1
        assert 1 <= r["eval_uniform2_distinct"] <= 2 and r["flops"] in (1e9, 1e10)


def test_driver_stops_on_a_flop_budget(tmp_path):
    cfg = load_config(ROOT / "configs" / "tiny.yaml")
    s = run_local(cfg, tmp_path / "run", max_flops=1.0, threads=1)  # spent after the first phase
    assert s.stopped_by == "flops" and s.games == cfg.run.games_per_phase and s.flops >= 1.0
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert any(r.get("event") == "selfplay" and np.isfinite(r["health_pass_rate"]) for r in rows)


def _net_with_search(path: Path, search: dict) -> Path:
    """A 5x5 net whose stored run config trained with `search`."""
    cfg = config_from_dict({"size": 5, "net": {"blocks": 1, "channels": 8, "value_hidden": 8}, "search": search})
    meta = {"board_size": 5, "in_planes": cfg.features.num_planes, "net": dict(cfg.net.__dict__),
            "features": dict(cfg.features.__dict__), "rules": dict(Rules(komi=24.5).__dict__), "step": 3,
            "weight_version": 1, "config_json": cfg.to_json()}
    torch.manual_seed(0)
    return save_checkpoint(path, PolicyValueNet(5, cfg.features.num_planes, cfg.net), meta)


def test_an_evaluation_plays_the_checkpoints_own_search(tmp_path, monkeypatch):
    """evaluate_checkpoint gets typed players: NetPlayer.own plays the search the net was trained with
    (only the simulation count is the evaluation's), through the GTP command line to the SearchPlayer
    the subprocess builds; the arena's PATH@SIMS players are a fresh search, as always."""
    import dataclasses

    import alphago.play.arena as arena
    from alphago.cli import build_parser
    from alphago.play.commands import _player
    from alphago.play.engines import NetPlayer, fresh_search, parse_spec
    from alphago.play.evaluation import ROOT_NOISE, evaluate_checkpoint
    ck = _net_with_search(tmp_path / "g.pt", {"kind": "gumbel", "num_simulations": 16, "gumbel_m": 4, "c_init": 2.0})
    me = NetPlayer.own(ck, 8)
    assert (me.search.kind, me.search.gumbel_m, me.search.c_init, me.sims) == ("gumbel", 4, 2.0, 8)
    played = []
    monkeypatch.setattr(arena, "run_match", lambda a, b, games, size, komi, **kw: played.append((a, b))
                        or arena.MatchResult(a.label, b.label, size, komi, []))
    row = evaluate_checkpoint(me, ["rollout"], 2, 5, 24.5, previous=NetPlayer.fresh(ck, 8))
    assert row["eval_sims"] == 8 and row["checkpoint"] == str(ck)
    (a, ref), (_, prev) = played
    assert a.label == prev.label == "g@8" and ref.label == "rollout@8"
    assert "--search-config" in a.argv and "--search-config" not in prev.argv + ref.argv
    # the subprocess's own parser and player: the whole search arrives, play settings on top
    args = build_parser().parse_args(list(a.argv[a.argv.index("gtp"):]))
    player, size, komi = _player(args)
    want = dataclasses.replace(me.search, reuse_tree=False, gumbel_scale=0.0, dirichlet_fraction=ROOT_NOISE,
                               full_search_prob=1.0, forced_playouts=False)
    assert player.search_config == want and (size, komi) == (5, 24.5)
    # PATH@SIMS (arena, ladder keys) and a net with no stored run config: the fresh search
    assert parse_spec(f"{ck}@8", 5, 24.5, root_noise=ROOT_NOISE).argv == prev.argv
    fresh, _, _ = _player(build_parser().parse_args(list(prev.argv[prev.argv.index("gtp"):])))
    assert fresh.search_config.kind == "puct" and fresh.search_config.c_init == fresh_search(8).c_init
    bare = tmp_path / "bare.pt"
    meta = {"board_size": 5, "in_planes": 13, "net": {"blocks": 1, "channels": 8, "value_hidden": 8}, "step": 1}
    save_checkpoint(bare, PolicyValueNet(5, 13, NetConfig(blocks=1, channels=8, value_hidden=8)), meta)
    assert NetPlayer.own(bare, 8) == NetPlayer.fresh(bare, 8)


def test_ladder_keys_and_specs_keep_their_form(tmp_path):
    from alphago.eval.ladder_store import file_sha256, player
    ck = _net_with_search(tmp_path / "n.pt", {"kind": "gumbel"})
    p = player(f"{ck}@32")
    assert p.key == f"{file_sha256(ck)[:16]}@32" and p.spec == f"{ck}@32" and p.sims == 32
    assert player("gnugo:3").key == "gnugo:3"


def test_alphago_evaluate_plays_the_own_search_unless_told(tmp_path, monkeypatch):
    import alphago.play.arena as arena
    from alphago.cli import main
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "metrics.jsonl").write_text("")
    _net_with_search(run / "checkpoints" / "step_0000003.pt", {"kind": "gumbel", "num_simulations": 16})
    played = []
    monkeypatch.setattr(arena, "run_match", lambda a, b, games, size, komi, **kw: played.append(a)
                        or arena.MatchResult(a.label, b.label, size, komi, []))
    for extra, sims, own in (([], 16, True), (["--sims", "8"], 8, True), (["--fresh-search"], 64, False)):
        played.clear()
        assert main(["evaluate", str(run), "--reference", "rollout", "--games", "2", *extra]) == 0
        row = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
        assert row["eval_sims"] == sims and row["komi"] == 24.5 and row["step"] == 3
        assert played[0].label == f"step_0000003@{sims}" and ("--search-config" in played[0].argv) == own
