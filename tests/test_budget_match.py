"""alphago ablate --stages match (experiments/budget_match.py): which checkpoints it picks, that finished cells are not played again, and
the pooled figures by hand."""
from __future__ import annotations

import json
import math
from pathlib import Path

from alphago.cli import main
from alphago.experiments.budget_match import cells_at
from alphago.experiments.stats import wilson

ROOT = Path(__file__).resolve().parents[1]


def _result(wins: int, draws: int, games: int, black_wins: int) -> dict:
    """An arena --json result: A's wins/draws, split by colour (draws all as Black here)."""
    white_wins = wins - black_wins
    half = games // 2
    return {"distinct_games": games - 1, "elo": {"score": (wins + draws / 2) / games},
            "counts": {"total": {"games": games, "a_wins": wins, "draws": draws, "b_wins": games - wins - draws},
                       "a_black": {"games": half, "a_wins": black_wins, "draws": draws,
                                   "b_wins": half - black_wins - draws},
                       "a_white": {"games": games - half, "a_wins": white_wins, "draws": 0,
                                   "b_wins": games - half - white_wins}}}


def test_budget_point_pooled_by_hand(tmp_path, capsys):
    abl = tmp_path / "abl"
    abl.mkdir()
    rows = [{"arm": arm, "seed": s, "point": p, "flops": 1e12 * (p + 1), "checkpoint": f"/nowhere/{arm}{s}{p}.pt"}
            for p in (0, 1) for arm in ("base", "lever") for s in (0, 1)]
    (abl / "evaluations.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert [r["point"] for r in cells_at(abl / "evaluations.jsonl", -1)] == [1, 1, 1, 1]   # the budget: the last
    out = tmp_path / "out"
    out.mkdir()
    figures = {("base", 0): (10, 0, 20, 2), ("base", 1): (12, 2, 20, 4),
               ("lever", 0): (15, 0, 20, 6)}                                    # lever seed 1: not played
    for (arm, s), f in figures.items():
        (out / f"{arm}_seed{s}.json").write_text(json.dumps(_result(*f)))
    assert main(["ablate", str(ROOT / "configs" / "ablation" / "tiny.yaml"), "--out", str(abl), "--report-dir",
                 str(tmp_path / "rep"), "--stages", "match", "--match-reference", "gnugo:1", "--match-games", "20",
                 "--match-out", str(out)]) == 0
    text = (out / "summary.md").read_text()
    assert "skip lever seed 1: /nowhere/lever11.pt is not on this machine" in capsys.readouterr().out
    base, lever = 23 / 40, 15 / 20                 # (10 + 12 + 2/2) / 40 and 15 / 20
    lo, hi = wilson(23 / 40, 40)
    assert f"| base | {base:.3f} | [{lo:.3f}, {hi:.3f}] | 0.50, 0.65 | 7/20 / 16/20 | 38 | 40 |" in text
    assert "| lever | 0.750 |" in text and "| 6/10 / 9/10 | 19 | 20 |" in text
    # draw-aware standard errors: the spread of per-game points (1, 1/2, 0) over n - 1, divided by n
    var_base = (22 * (1 - base) ** 2 + 2 * (0.5 - base) ** 2 + 16 * base ** 2) / 39   # 22 wins, 2 draws
    var_lever = (15 * (1 - lever) ** 2 + 5 * lever ** 2) / 19
    half = 1.96 * math.sqrt(var_lever / 20 + var_base / 40)
    assert f"`lever` - `base`: {lever - base:+.3f} [{lever - base - half:+.3f}, {lever - base + half:+.3f}]" in text
    # over seeds: only seed 0 played both arms (0.75 - 0.50)
    assert "by seed: +0.250 (1 seed: no seed-level interval)" in text


def test_wilson_by_hand():
    lo, hi = wilson(0.5, 10)
    # p = 0.5, n = 10, z = 1.96: centre 0.5, half-width z*sqrt(0.025 + z^2/400)/(1 + z^2/10)
    h = 1.96 * math.sqrt(0.025 + 1.96 ** 2 / 400) / (1 + 1.96 ** 2 / 10)
    assert math.isclose(lo, 0.5 - h) and math.isclose(hi, 0.5 + h)


def test_match_stage_needs_a_reference(tmp_path, capsys):
    assert main(["ablate", str(ROOT / "configs" / "ablation" / "tiny.yaml"), "--out", str(tmp_path / "o"),
                 "--report-dir", str(tmp_path / "r"), "--stages", "match"]) == 2
    assert "--stages match needs --match-reference" in capsys.readouterr().err


def test_arms_compared_with_the_first_the_file_lists_and_seeds_in_number_order(tmp_path, capsys):
    """tiny.yaml lists visits before action: the summary compares action with visits even when the evaluation
    rows list action first, and seed 10 comes after seed 9 (not after seed 1)."""
    abl, out = tmp_path / "abl", tmp_path / "out"
    abl.mkdir(), out.mkdir()
    rows = [{"arm": arm, "seed": s, "point": 0, "flops": 1e12, "checkpoint": f"/nowhere/{arm}{s}.pt"}
            for arm in ("action", "visits") for s in (1, 9, 10)]
    (abl / "evaluations.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    for i, r in enumerate(rows):
        (out / f"{r['arm']}_seed{r['seed']}.json").write_text(json.dumps(_result(2 + i, 0, 10, 1)))
    assert main(["ablate", str(ROOT / "configs" / "ablation" / "tiny.yaml"), "--out", str(abl), "--report-dir",
                 str(tmp_path / "rep"), "--stages", "match", "--match-reference", "gnugo:1", "--match-games", "10",
                 "--match-out", str(out)]) == 0
    text = (out / "summary.md").read_text()
    assert text.index("| visits |") < text.index("| action |") and "`action` - `visits`" in text
    assert "| 0.50, 0.60, 0.70 |" in text and "| 0.20, 0.30, 0.40 |" in text   # seeds 1, 9, 10 in that order


def test_the_report_carries_the_match_summaries_of_its_folder(tmp_path):
    """ablation_report.match_summaries: a match stage's summary.md in a subfolder of the report's folder goes
    into the report under one heading with a link; another tool's summary.md there does not."""
    from alphago.experiments.ablation_report import match_summaries
    assert match_summaries(tmp_path, "tiny") == []
    (tmp_path / "budget_vs_gnugo10").mkdir()
    (tmp_path / "budget_vs_gnugo10" / "summary.md").write_text(
        "# `tiny`: 40 games per seed against `gnugo:10` from random openings\n\n| arm | score |\n|---|---|\n| visits | 0.6 |\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "summary.md").write_text("# something else\n")
    assert match_summaries(tmp_path, "tiny") == [
        "", "## More games against one opponent (`alphago ablate --stages match`)", "",
        "### `tiny`: 40 games per seed against `gnugo:10` from random openings "
        "([budget_vs_gnugo10/summary.md](budget_vs_gnugo10/summary.md))", "", "| arm | score |", "|---|---|",
        "| visits | 0.6 |"]
