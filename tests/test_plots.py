"""`alphago plot`: reading metrics.jsonl (NaN, Infinity, a cut-off last line, missing keys), the
moving average against hand-computed values, and PNG files written for one and for two runs."""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from alphago.experiments.plots import (ELO_CLIP, MAX_LOG_TICKS, _elo_point, _opponents, add_parser,  # noqa: E402
                                       band_groups, log_ticks, main, moving_average, plot_figures, plot_runs,
                                       read_metrics, reference_order, tick_label)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_run(run_dir: Path, rows: list[dict], tail: str = "") -> Path:
    """metrics.jsonl as the trainer writes it (json.dumps: NaN, Infinity), plus raw text at the end."""
    run_dir.mkdir(parents=True)
    with (run_dir / "metrics.jsonl").open("w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
        f.write(tail)
    return run_dir


def train_row(step: int, wall: bool = True) -> dict:
    r = {"step": step, "flops": 1e9 * step, "loss": 2.0 / step, "policy_loss": 1.5 / step, "value_loss": 0.5 / step,
         "samples_per_flop": 1e-7 * (1 + 0.1 * (step % 3)), "bits_per_sample": 0.5 - 0.01 * step,
         "policy_bits_per_sample": 0.4, "value_bits_per_sample": 0.1, "bits_per_flop": 5e-8,
         "target_entropy": 1.2, "games": 10 * step, "positions": 200 * step}
    if wall:
        r["wall_s"] = 30.0 * step
    return r


def run_a_rows() -> list[dict]:
    rows: list[dict] = [train_row(s) for s in range(1, 41)]
    rows[3]["bits_per_sample"] = float("nan")
    rows[4]["bits_per_flop"] = float("inf")
    del rows[5]["samples_per_flop"]
    rows += [
        {"event": "checkpoint", "step": 10, "flops": 1e10, "probe_policy_ce_bits": 2.5, "probe_value_ce_bits": 0.9,
         "probe_top1": 0.3},
        {"event": "checkpoint", "step": 20, "flops": 2e10, "probe_policy_ce_bits": 2.2, "probe_value_ce_bits": 0.8,
         "probe_top1": 0.35, "realized_bits_per_position": 0.4},
        {"event": "evaluation", "step": 10, "flops": 1e10, "wall_s": 300.0, "eval_gnugo1_score": 0.25,
         "eval_gnugo1_elo": -190.8, "eval_gnugo1_elo_lo": -300.0, "eval_gnugo1_elo_hi": -90.0,
         "eval_gnugo1_games": 20},
        {"event": "evaluation", "step": 20, "flops": 2e10, "wall_s": 600.0, "eval_gnugo1_score": 1.0,
         "eval_gnugo1_elo": float("inf"), "eval_gnugo1_elo_lo": 200.0, "eval_gnugo1_elo_hi": float("inf"),
         "eval_previous_score": 0.6, "eval_previous_elo": 70.4, "eval_previous_elo_lo": float("nan"),
         "eval_gnugo1_games": 20},
        {"event": "evaluation", "step": 30, "flops": 3e10, "eval_previous_score": 0.0},
        {"event": "selfplay", "step": 10, "flops": 1e10, "health_game_length": 31.0, "health_pass_rate": 0.05,
         "health_resign_rate": float("nan")},
        {"event": "selfplay", "step": 20, "flops": 2e10, "health_game_length": 35.0, "health_pass_rate": 0.04,
         "health_resign_rate": 0.1, "health_black_win_rate": 0.55},
        {"event": "some_future_event", "step": 20},
    ]
    return rows


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    a = write_run(tmp_path / "run_a", run_a_rows(), tail='{"step": 41, "flops": 4.1e10, "lo')
    b = write_run(tmp_path / "run_b", [train_row(s, wall=False) for s in range(1, 20)], tail="\n\n[1, 2]\n")
    return a, b


def is_png(path: Path) -> bool:
    data = path.read_bytes()
    return len(data) > 1000 and data[:8] == PNG_SIGNATURE


def test_read_metrics_sorts_rows_by_kind_and_skips_broken_lines(runs):
    a, b = runs
    m = read_metrics(a)
    assert set(m) == {"train", "checkpoint", "evaluation", "selfplay"}
    assert [len(m[k]) for k in ("train", "checkpoint", "evaluation", "selfplay")] == [40, 2, 3, 2]
    assert [r["step"] for r in m["train"]] == list(range(1, 41))  # the cut-off step 41 is gone
    assert math.isnan(m["train"][3]["bits_per_sample"]) and m["train"][4]["bits_per_flop"] == math.inf
    assert m["evaluation"][1]["eval_gnugo1_elo"] == math.inf
    mb = read_metrics(b)
    assert len(mb["train"]) == 19 and mb["evaluation"] == [] and mb["selfplay"] == []


def test_missing_metrics_names_the_path(tmp_path: Path):
    empty = tmp_path / "not_a_run"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="not_a_run.*metrics.jsonl"):
        read_metrics(empty)
    with pytest.raises(FileNotFoundError, match="not_a_run"):
        plot_runs([empty], tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing drawn when one run is missing


def test_moving_average_hand_computed():
    np.testing.assert_allclose(moving_average([1, 2, 3, 4, 5], 3), [1.0, 1.5, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(moving_average([4, 8], 1), [4.0, 8.0])
    np.testing.assert_allclose(moving_average([2, 4, 6], 10), [2.0, 3.0, 4.0])  # window longer than series
    # non-finite values are left out of their windows; a window of only NaN gives NaN
    out = moving_average([1, float("nan"), 3, float("inf"), 5], 2)
    np.testing.assert_allclose(out, [1.0, 1.0, 3.0, 3.0, 5.0])
    assert np.isnan(moving_average([float("nan"), 2], 1)[0])
    assert moving_average([], 3).shape == (0,)
    with pytest.raises(ValueError):
        moving_average([1.0], 0)


def test_elo_points_clip_infinite_and_perfect_scores_hollow():
    # step 20: gnugo1 inf with hi inf; previous with NaN lower bound
    row = next(r for r in run_a_rows() if r.get("event") == "evaluation" and r["step"] == 20)
    assert _elo_point(row, "gnugo1") == (ELO_CLIP, 200.0, ELO_CLIP, True)
    assert _elo_point(row, "previous") == (70.4, 70.4, 70.4, False)
    assert _elo_point({"eval_x_score": 0.0}, "x") == (-ELO_CLIP, -ELO_CLIP, -ELO_CLIP, True)
    assert _elo_point({"eval_x_score": 0.5}, "x") is None  # no Elo and no perfect score: nothing to draw
    assert _elo_point({"eval_x_elo": float("nan"), "eval_x_score": 1.0}, "x")[3]


def test_plot_two_runs_writes_pngs(runs, tmp_path: Path):
    out = tmp_path / "plots"
    written = plot_runs(list(runs), out)
    assert [p.name for p in written] == ["elo_vs_flops.png", "bits.png", "health.png"]
    assert all(p.parent == out and is_png(p) for p in written)


def test_plot_skips_figures_without_data(runs, tmp_path: Path):
    _, b = runs  # training steps only: no evaluation, checkpoint or selfplay rows
    written, skipped = plot_figures([b], tmp_path / "only_b")
    assert [p.name for p in written] == ["bits.png"] and is_png(written[0])
    assert [s.split(":")[0] for s in skipped] == ["elo_vs_flops.png", "health.png"]


def test_cli_plot_default_out_and_several_runs(runs, tmp_path: Path, capsys):
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="cmd"))
    a, b = runs
    args = parser.parse_args(["plot", str(a)])
    assert args.func is main and args.func(args) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(a / "plots" / n) for n in ("elo_vs_flops.png", "bits.png", "health.png")]
    with pytest.raises(SystemExit, match="--out"):
        main(parser.parse_args(["plot", str(a), str(b)]))
    with pytest.raises(SystemExit, match="metrics.jsonl"):
        main(parser.parse_args(["plot", str(tmp_path)]))


def test_reference_order_is_numeric_for_gnugo_levels():
    assert reference_order(["gnugo1", "gnugo10", "checkpoints7x7pt1", "gnugo5"]) == \
        ["gnugo1", "gnugo5", "gnugo10", "checkpoints7x7pt1"]
    rows = [{"eval_gnugo10_score": 0.5, "eval_gnugo1_score": 0.5, "eval_gnugo5_elo": 0.0}]
    assert _opponents(rows) == ["gnugo1", "gnugo5", "gnugo10"]


def test_band_groups_repeat_the_baseline_with_at_most_three_per_panel():
    assert band_groups(["a", "b"]) == [["a", "b"]]
    assert band_groups(["a", "b", "c"]) == [["a", "b", "c"]]
    assert band_groups(list("abcdef")) == [["a", "b", "c"], ["a", "d", "e"], ["a", "f"]]


@pytest.mark.parametrize("lo, hi", [(7e12, 4.2e13), (1.4e12, 1.3e13), (1.5e13, 5e14), (0.8, 5e5), (38.0, 100.0),
                                    (2.2e-8, 2.6e-8), (3e11, 3e13), (1e-11, 5e-9)])
def test_log_ticks_few_inside_the_span(lo, hi):
    ticks = log_ticks(lo, hi)
    assert 2 <= len(ticks) <= MAX_LOG_TICKS
    assert all(lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9) for t in ticks) and ticks == sorted(ticks)


def test_log_ticks_one_per_decade_or_strided():
    assert log_ticks(0.5, 2e3) == [1.0, 10.0, 100.0, 1000.0]
    assert log_ticks(0.8, 5e5) == [1.0, 100.0, 10000.0]
    assert log_ticks(1.4e12, 1.3e13) == [2e12, 5e12, 1e13]
    assert tick_label(1e13) == "$10^{13}$" and tick_label(3e12) == "$3\\times10^{12}$"
