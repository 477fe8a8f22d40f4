"""The ablation tests' shared pieces: GOOD, a tiny ablation file every test starts from (two arms, one seed, a budget
of 6e9 FLOPs, two matched points), and _write, which puts a variant of it in a test's tmp dir."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "abl.yaml"
    p.write_text(text)
    return p


GOOD = """
name: t
base: configs/tiny.yaml
common: {run: {total_games: 100000, games_per_phase: 8}, selfplay: {batch_games: 8}}
budget_flops: 6.0e9
seeds: [0]
arms:
  visits: {train: {target: visits}}
  action: {train: {target: action}}
eval: {references: ["uniform@2"], games: 2, sims: 2, points: 2}
"""
