"""The horizon axis end to end on tiny runs: every cell reaches the budget, the report's figures are
finite and obey the ledger's definitions."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_tiny_horizon_runs_and_reports(tmp_path):
    from alphago.cli import main
    out, rep = tmp_path / "out", tmp_path / "rep"
    assert main(["horizon", "--sizes", "5", "6", "--kinds", "visits", "reinforce", "--budget", "4e9",
                 "--base", str(ROOT / "configs" / "tiny.yaml"), "--out", str(out), "--report-dir", str(rep)]) == 0
    summary = json.loads((rep / "summary.json").read_text())
    assert set(summary) == {"5x5/visits", "5x5/reinforce", "6x6/visits", "6x6/reinforce"}
    for name, s in summary.items():
        assert all(math.isfinite(v) for v in s.values()), name
        # outcome bits: at most one per game, shared by the game's positions
        assert 0 < s["outcome_bits_per_game"] <= 1.0
        assert s["outcome_bits_per_position"] == s["outcome_bits_per_game"] / s["game_length"]
    # REINFORCE's policy information in the data is the outcome's (docs/accounting.md)
    for n in ("5x5", "6x6"):
        r = summary[f"{n}/reinforce"]
        assert r["data_policy_bits_per_label"] <= r["outcome_bits_per_game"] + 1e-9
    # the bigger board costs more FLOPs per position
    assert summary["6x6/visits"]["positions_per_flop"] < summary["5x5/visits"]["positions_per_flop"]
    assert "| 6x6 | reinforce |" in (rep / "report.md").read_text()
    assert "| 6x6 | visits | 1 | " in (rep / "report.md").read_text().split("over `reinforce`'s")[1]
    assert (rep / "horizon.png").stat().st_size > 1000
    done = json.loads((out / "5x5" / "visits" / "seed0" / "done.json").read_text())
    assert done["flops"] >= 4e9
    # the cells are committed with the report; a fresh clone restores them instead of running again,
    # and a hand-written reading survives the regenerated report
    cells = json.loads((rep / "cells.json").read_text())
    assert cells["5x5/visits/seed0"]["fingerprint"] == done["fingerprint"]
    (rep / "reading.md").write_text("## Reading\n\nby hand")
    fresh = tmp_path / "fresh"
    assert main(["horizon", "--sizes", "5", "6", "--kinds", "visits", "reinforce", "--budget", "4e9",
                 "--base", str(ROOT / "configs" / "tiny.yaml"), "--out", str(fresh), "--report-dir", str(rep)]) == 0
    assert not list(fresh.rglob("*.pt"))
    assert json.loads((rep / "summary.json").read_text()) == summary
    assert (rep / "report.md").read_text().rstrip().endswith("by hand")
    # another budget in the same --out is refused, not silently mixed; --report-only runs nothing
    with pytest.raises(SystemExit, match="other settings"):
        main(["horizon", "--sizes", "5", "--kinds", "visits", "--budget", "8e9", "--report-only",
              "--base", str(ROOT / "configs" / "tiny.yaml"), "--out", str(out), "--report-dir", str(tmp_path / "r2")])
    assert main(["horizon", "--sizes", "5", "6", "--kinds", "visits", "--budget", "4e9", "--report-only",
                 "--base", str(ROOT / "configs" / "tiny.yaml"), "--out", str(out), "--report-dir", str(tmp_path / "r3")]) == 0
    assert set(json.loads((tmp_path / "r3" / "summary.json").read_text())) == {"5x5/visits", "6x6/visits"}
    report = (tmp_path / "r3" / "report.md").read_text()
    assert "Partial" not in report and f"--out {out} --report-dir {tmp_path / 'r3'}" in report
    # a run cut short: the report names how many of the cells have finished
    assert main(["horizon", "--sizes", "5", "6", "--kinds", "visits", "--budget", "4e9", "--seeds", "0", "1",
                 "--report-only", "--base", str(ROOT / "configs" / "tiny.yaml"), "--out", str(out),
                 "--report-dir", str(tmp_path / "r4")]) == 0
    assert "**Partial: 2 of the 4 cells the command names have finished**" in (tmp_path / "r4" / "report.md").read_text()


def test_ratio_table_pairs_seeds_by_hand():
    from alphago.experiments.horizon import ratio_table
    k = "data_policy_bits_per_flop"
    cells = [{"size": 5, "kind": "visits", "seed": 0, k: 6.0}, {"size": 5, "kind": "reinforce", "seed": 0, k: 2.0},
             {"size": 5, "kind": "visits", "seed": 1, k: 8.0}, {"size": 5, "kind": "reinforce", "seed": 1, k: 1.0},
             {"size": 5, "kind": "visits", "seed": 2, k: 9.0}]   # seed 2 has no reinforce cell: left out
    lines = ratio_table(cells)
    assert "| 5x5 | visits | 2 | 5.5 | 3 - 8 | 3, 8 |" in lines
    assert ratio_table([c for c in cells if c["kind"] == "visits"]) == []
