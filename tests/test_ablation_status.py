"""`alphago ablate FILE --status` (experiments/ablation_status.py): where a long ablation stands, from its
output directory only; the end-to-end run's status line is checked in test_ablate.py."""
from __future__ import annotations

import json

import pytest

from ablation_kit import GOOD, ROOT, _write
from alphago.experiments.ablation_spec import load_ablation


def test_status_of_a_cell_in_training_and_the_time_left(tmp_path):
    """--status on an ablation mid-run: a cell with checkpoint rows is training (its FLOPs, share of the
    budget and present speed: the median over its last checkpoint intervals, so one that spans a pause
    does not set it), the rest wait; the training time left is the FLOPs still to train over that speed."""
    from alphago.experiments.ablation_status import status
    spec = _write(tmp_path, GOOD)
    loaded = load_ablation(spec, ROOT)
    out = tmp_path / "out"
    run = out / "runs" / "visits" / "seed0"
    run.mkdir(parents=True)
    budget = loaded.spec.budget_flops
    # four intervals of budget/16 in 10 s, and (third) one that spans a 1000-s pause: the median ignores it
    walls = [10.0, 20.0, 30.0, 1030.0, 1040.0]
    rows = [{"step": 1, "loss": 1.0}] + [{"event": "checkpoint", "flops": budget / 4 + i * budget / 16, "wall_s": w}
                                         for i, w in enumerate(walls)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    lines = status(loaded, out, None, jobs=2)
    text = "\n".join(lines)
    cells = len(loaded.spec.cells())
    assert f"0 trained (0 evaluated at every point), 1 training, {cells - 1} waiting" in text
    assert "visits/seed0: training" in text and "(50% of the budget" in text
    rate = (budget / 16) / 10.0
    left = budget / 2 + (cells - 1) * budget
    assert f"~{left / rate / 2 / 3600:.1f} h at 2 cell(s)" in text


def test_ladder_pace_leaves_pauses_out():
    """The ladder's pace counts time of play only: a gap over PAUSE_S between two games (a session's end,
    a SIGSTOP for CI) is left out and counted as a pause; only the newest `last` games count."""
    from datetime import datetime, timedelta, timezone
    from alphago.experiments.ablation_status import PAUSE_S, ladder_pace
    t0 = datetime(2026, 12, 5, tzinfo=timezone.utc)
    # 10 games 30 s apart, a 5-hour pause, 10 more 30 s apart: 19 gaps, 18 of play (540 s)
    at = [t0 + timedelta(seconds=30 * i) for i in range(10)]
    at += [at[-1] + timedelta(hours=5, seconds=30 * i) for i in range(10)]
    times = [t.isoformat().replace("+00:00", "Z") for t in at]
    assert ladder_pace(times) == (pytest.approx(3600 * 19 / 540), 19, 1)
    assert ladder_pace(times, last=5) == (pytest.approx(120.0), 5, 0)     # the pause is older than the window
    assert ladder_pace(times[:1]) is None and ladder_pace([times[0], times[0]]) is None
    late = [times[0], (t0 + timedelta(seconds=PAUSE_S + 1)).isoformat()]
    assert ladder_pace(late) is None                                       # nothing but a pause
