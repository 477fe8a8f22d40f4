"""The learning regression check: a short real run must produce a net that beats
the untrained net of the same config and a uniform-random player by a clear margin.

It fails when the system stops learning (a bug in features, targets, perspectives,
augmentation, search or training). configs/learn_check.yaml: ~80 s of self-play and training
on 2 cores, Ray-free (alphago/run/local.py), then 2 x 64 games in-process (tests/inprocess_match.py), with
colours alternating over shared random openings. Measured on 2026-12-03: 64-0 against both.

The margin: >= 48 of 64 (75%) with the 95% Elo interval above 0; under the null of equal
strength, P(>= 48 / 64) < 1e-4, so a pass is not luck and a fail is not noise.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from alphago.config import load_config
from alphago.run.local import run_local
from alphago.net.evaluator import TorchEvaluator
from alphago.net.io import load_model
from alphago.net.model import PolicyValueNet
from inprocess_match import BatchSearchPlayer, RandomPlayer, play_match

ROOT = Path(__file__).resolve().parent.parent
GAMES = 64
SIMS = 8


def test_short_run_learns_to_beat_untrained_net_and_random(tmp_path):
    cfg = load_config(ROOT / "configs" / "learn_check.yaml")
    summary = run_local(cfg, tmp_path / "run", threads=2)
    assert summary.games >= cfg.run.total_games and summary.steps > 500
    model, meta = load_model(tmp_path / "run" / "checkpoints" / "latest.pt")
    torch.manual_seed(0)
    untrained = PolicyValueNet(cfg.size, cfg.features.num_planes, cfg.net)
    A = cfg.size * cfg.size + 1

    def trained_player():
        return BatchSearchPlayer(TorchEvaluator(model), cfg.features, SIMS, GAMES, A)

    vs_untrained = play_match(trained_player(), BatchSearchPlayer(TorchEvaluator(untrained), cfg.features, SIMS, GAMES, A),
                              GAMES, cfg.size, cfg.rules, seed=1)
    vs_random = play_match(trained_player(), RandomPlayer(seed=1), GAMES, cfg.size, cfg.rules, seed=2)
    for name, res in (("untrained net", vs_untrained), ("uniform random", vs_random)):
        assert res.distinct >= GAMES // 2, f"vs {name}: only {res.distinct} distinct games"
        assert res.a_wins >= 48 and res.elo().lower > 0, f"no clear learning vs {name}: {res.describe()}"
    # health was logged for every self-play phase
    import json
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    health = [r for r in rows if r.get("event") == "selfplay"]
    assert len(health) == summary.games // cfg.run.games_per_phase
    assert all(np.isfinite(r["health_game_length"]) for r in health)
