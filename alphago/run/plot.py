"""`alphago plot RUN_DIR... --out DIR`: PNG figures of one or several runs from their metrics.jsonl.

A run directory's `metrics.jsonl` holds one JSON object per line, of four kinds:
  train       no "event" key: step, flops (cumulative: self-play + training), losses, samples_per_flop,
              bits_per_sample (+ policy_/value_), bits_per_flop, ..., optional wall_s
  checkpoint  "event": "checkpoint": probe_* (held-out probe), realized_bits_per_position, ...
  evaluation  "event": "evaluation": eval_NAME_score / _elo / _elo_lo / _elo_hi / _games per opponent NAME
  selfplay    "event": "selfplay": health_* (game length, pass and resign rates, value error, ...)

Figures (several runs overlaid, one colour per run, legend = run directory name):
  elo_vs_flops.png  Elo with its 95% interval per opponent vs FLOPs (log x); a second row vs wall time
  bits.png          samples/FLOP, bits/sample, bits/FLOP (moving averages) and the probe series vs FLOPs
  health.png        every health_* series vs FLOPs
A figure no run has data for is skipped. Lines that do not parse (a run killed mid-write), missing keys
and NaN/Infinity values are skipped point by point; nothing here raises on a malformed row.
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..figures import UNITS, FLOPS_LABEL, label, log_axis, pyplot, reference_order, reference_title, unit
from ..train.metrics import read_metrics as train_metrics

Row = dict[str, Any]
KINDS = ("train", "checkpoint", "evaluation", "selfplay")  # keys of read_metrics' result
ELO_CLIP = 800.0  # Elo is drawn within +-ELO_CLIP; a perfect score's infinite Elo sits at the edge, hollow
SMOOTH_WINDOW = 25  # training-step rows per trailing moving average (per-batch series are noisy)
NCOLS = 3  # subplots per row in bits.png and health.png
DPI = 120
# (panel title, training-step keys with their line style): one subplot each in bits.png
TRAIN_PANELS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("samples / FLOP", (("samples_per_flop", "-"),)),
    ("bits / sample", (("bits_per_sample", "-"), ("policy_bits_per_sample", "--"),
                       ("value_bits_per_sample", ":"))),
    ("bits / FLOP", (("bits_per_flop", "-"),)),
)
_EVAL_SUFFIXES = ("_elo_lo", "_elo_hi", "_elo", "_score", "_games")  # longest first


def read_metrics(run_dir: Path) -> dict[str, list[Row]]:
    """Rows of RUN_DIR/metrics.jsonl by kind ("train", "checkpoint", "evaluation", "selfplay"), in file
    order. Unparsable lines, non-objects and unknown events are skipped. Raises FileNotFoundError
    naming the path when the file is missing."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: {run_dir} is not a run directory")
    rows: dict[str, list[Row]] = {k: [] for k in KINDS}
    for row in train_metrics(run_dir):
        kind = row.get("event", "train")
        if kind in rows:
            rows[kind].append(row)
    return rows


def moving_average(values: Sequence[float], window: int) -> np.ndarray:
    """Trailing mean: out[i] = mean of the finite values among values[max(0, i-window+1) : i+1]
    (shorter windows at the start), NaN where that window holds none. float64[len(values)]."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    v = np.asarray(values, np.float64).reshape(-1)
    ok = np.isfinite(v)
    total = np.concatenate([[0.0], np.cumsum(np.where(ok, v, 0.0))])
    count = np.concatenate([[0], np.cumsum(ok)])
    i = np.arange(1, len(v) + 1)
    lo = np.maximum(i - window, 0)
    n = count[i] - count[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (total[i] - total[lo]) / np.maximum(n, 1), np.nan)


def _num(value: Any) -> float | None:
    """value as a finite float, else None (missing, NaN, +-inf, bool, string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _series(rows: list[Row], x_key: str, y_key: str, log_x: bool) -> tuple[np.ndarray, np.ndarray]:
    """Points (x, y) of the rows where both keys are finite numbers (x > 0 when log_x), sorted by x."""
    pts = [(x, y) for x, y in ((_num(r.get(x_key)), _num(r.get(y_key))) for r in rows)
           if x is not None and y is not None and (x > 0 or not log_x)]
    pts.sort(key=lambda p: p[0])
    a = np.asarray(pts, np.float64).reshape(-1, 2)
    return a[:, 0], a[:, 1]


def _real(value: Any) -> float | None:
    """value as a float when it is a number other than NaN (+-inf kept), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return float(value)


def _clip_elo(e: float) -> float:
    return min(max(e, -ELO_CLIP), ELO_CLIP)


def _elo_point(row: Row, name: str) -> tuple[float, float, float, bool] | None:
    """(elo, lo, hi, hollow) of opponent NAME in an evaluation row, clipped to +-ELO_CLIP; hollow when
    the Elo was infinite or beyond the clip (a perfect or zero score). None without a usable Elo."""
    e = _real(row.get(f"eval_{name}_elo"))
    if e is None:
        score = _num(row.get(f"eval_{name}_score"))
        if score is None or score not in (0.0, 1.0):
            return None
        e = math.copysign(math.inf, score - 0.5)  # the arena reports no Elo for a perfect or zero score
    ec = _clip_elo(e)
    lo, hi = (_real(row.get(f"eval_{name}_elo_{b}")) for b in ("lo", "hi"))
    lo = ec if lo is None else min(_clip_elo(lo), ec)
    hi = ec if hi is None else max(_clip_elo(hi), ec)
    return ec, lo, hi, abs(e) > ELO_CLIP


def _opponents(rows: list[Row]) -> list[str]:
    """Opponent NAMEs with an eval_NAME_score or eval_NAME_elo key in any evaluation row, in
    reference_order (GNU Go levels ascending)."""
    names: set[str] = set()
    for r in rows:
        for key in r:
            if not key.startswith("eval_"):
                continue
            for suffix in _EVAL_SUFFIXES:
                if key.endswith(suffix) and len(key) > len("eval_") + len(suffix):
                    if suffix in ("_elo", "_score"):
                        names.add(key[len("eval_"):-len(suffix)])
                    break
    return reference_order(sorted(names))


def _keys(rows: list[Row], prefixes: tuple[str, ...]) -> list[str]:
    """Keys starting with one of the prefixes in any row, sorted."""
    return sorted({k for r in rows for k in r if k.startswith(prefixes)})


def _labels(run_dirs: list[Path]) -> list[str]:
    """Legend labels: the run directory names, the full paths where names repeat."""
    names = [Path(d).resolve().name or str(d) for d in run_dirs]
    return [n if names.count(n) == 1 else str(d) for n, d in zip(names, run_dirs)]


def _time_unit(seconds: float) -> tuple[float, str]:
    """(divisor, unit) that keeps a wall-time axis readable."""
    if seconds < 300:
        return 1.0, "s"
    return (60.0, "min") if seconds < 3 * 3600 else (3600.0, "h")


def _grid(plt: Any, n: int, ncols: int = NCOLS) -> tuple[Any, list[Any]]:
    """Figure with n subplots in rows of ncols; unused cells hidden."""
    ncols = min(n, ncols)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, figsize=(4.6 * ncols, 3.4 * nrows),
                             layout="constrained")
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _finish(ax: Any, title: str, xlabel: str, log_x: bool, ylabel: str | None = None) -> None:
    """Title, labels, grid, log x when asked, a legend when anything is labelled, 'no data' otherwise."""
    label(ax, xlabel, ylabel, title)
    if not ax.lines and not ax.collections:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="gray")
        return
    if log_x:
        log_axis(ax, "x")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


def _plot_elo(plt: Any, runs: list[dict[str, list[Row]]], labels: list[str], colors: list[str],
              path: Path) -> str | None:
    """elo_vs_flops.png; returns why it was skipped, or None when written."""
    names = _opponents([r for run in runs for r in run["evaluation"]])
    if not names:
        return "no run has evaluation rows with eval_*_score or eval_*_elo"
    walls = [w for run in runs for r in run["evaluation"] if (w := _num(r.get("wall_s"))) is not None]
    axes_x = [("flops", FLOPS_LABEL, 1.0, True)]
    if walls:
        div, unit = _time_unit(max(walls))
        axes_x.append(("wall_s", f"wall time ({unit})", div, False))
    fig, axes = plt.subplots(len(axes_x), len(names), squeeze=False, layout="constrained",
                             figsize=(4.6 * len(names), 3.4 * len(axes_x)))
    any_hollow = False
    for row_i, (x_key, xlabel, div, log_x) in enumerate(axes_x):
        for col, name in enumerate(names):
            ax = axes[row_i][col]
            for run, run_label, color in zip(runs, labels, colors):
                pts = []
                for r in run["evaluation"]:
                    x, p = _num(r.get(x_key)), _elo_point(r, name)
                    if x is not None and p is not None and (x > 0 or not log_x):
                        pts.append((x / div, *p))
                if not pts:
                    continue
                pts.sort(key=lambda p: p[0])
                x, e, lo, hi, hollow = (np.asarray(c) for c in zip(*pts))
                hollow = hollow.astype(bool)
                any_hollow |= bool(hollow.any())
                ax.errorbar(x, e, yerr=[e - lo, hi - e], color=color, lw=1.2, capsize=2, label=run_label)
                ax.plot(x[~hollow], e[~hollow], "o", color=color, ms=4)
                ax.plot(x[hollow], e[hollow], "o", mfc="none", mec=color, ms=6)
            if ax.lines:
                ax.axhline(0.0, color="gray", lw=0.6)
            _finish(ax, f"vs {reference_title(name)}", xlabel, log_x,
                    f"Elo, {reference_title(name)} = 0 (95% interval)")
    if any_hollow:
        fig.suptitle(f"hollow: zero or perfect score, Elo drawn at ±{ELO_CLIP:g}", fontsize=9)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return None


def _plot_bits(plt: Any, runs: list[dict[str, list[Row]]], labels: list[str], colors: list[str],
               path: Path) -> str | None:
    """bits.png; returns why it was skipped, or None when written."""
    panels: list[tuple[str, str, tuple[tuple[str, str], ...], bool]] = [
        (title, "train", keys, True) for title, keys in TRAIN_PANELS]
    probe_keys = _keys([r for run in runs for r in run["checkpoint"]], ("probe_", "realized_bits_per_position"))
    panels += [(f"{UNITS.get(k, (k,))[0]} (checkpoints)", "checkpoint", ((k, "-"),), False) for k in probe_keys]
    data = [[[_series(run[kind], "flops", key, True) for key, _ in keys] for run in runs]
            for _, kind, keys, _ in panels]
    keep = [i for i, d in enumerate(data) if any(len(x) for per_run in d for x, _ in per_run)]
    if not keep:
        return "no run has training-step bits or checkpoint probe series"
    fig, axes = _grid(plt, len(keep))
    for ax, i in zip(axes, keep):
        title, _, keys, smooth = panels[i]
        for r, (run_label, color) in enumerate(zip(labels, colors)):
            for (key, style), (x, y) in zip(keys, data[i][r]):
                if not len(x):
                    continue
                name = run_label if len(keys) == 1 else f"{run_label} {key}"
                if smooth:
                    ax.plot(x, y, style, color=color, lw=0.5, alpha=0.2)
                    y = moving_average(y, SMOOTH_WINDOW)
                ax.plot(x, y, style, color=color, lw=1.3, marker=None if smooth else ".", label=name)
        if smooth:
            title += f" (moving average of {SMOOTH_WINDOW} logged steps)"
        _finish(ax, title, FLOPS_LABEL, True, unit(keys[0][0]))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return None


def _plot_health(plt: Any, runs: list[dict[str, list[Row]]], labels: list[str], colors: list[str],
                 path: Path) -> str | None:
    """health.png; returns why it was skipped, or None when written."""
    keys = _keys([r for run in runs for r in run["selfplay"]], ("health_",))
    series = {k: [_series(run["selfplay"], "flops", k, True) for run in runs] for k in keys}
    keys = [k for k in keys if any(len(x) for x, _ in series[k])]
    if not keys:
        return "no run has selfplay rows with health_* values"
    fig, axes = _grid(plt, len(keys))
    for ax, key in zip(axes, keys):
        for (x, y), run_label, color in zip(series[key], labels, colors):
            if len(x):
                ax.plot(x, y, "-", color=color, lw=1.2, marker=".", ms=3, label=run_label)
        _finish(ax, UNITS.get(key, (key.removeprefix("health_").replace("_", " "),))[0], FLOPS_LABEL, True, unit(key))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return None


def plot_figures(run_dirs: list[Path], out_dir: Path) -> tuple[list[Path], list[str]]:
    """Draw every figure with data into out_dir (created). Returns (written files, skipped figures as
    'NAME: reason'). Every run is read before anything is drawn, so a missing metrics.jsonl
    (FileNotFoundError naming the path) writes nothing."""
    run_dirs = [Path(d) for d in run_dirs]
    if not run_dirs:
        raise ValueError("no run directories given")
    runs = [read_metrics(d) for d in run_dirs]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plt = pyplot()
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colors = [palette[i % len(palette)] for i in range(len(runs))]
    labels = _labels(run_dirs)
    written: list[Path] = []
    skipped: list[str] = []
    for name, draw in (("elo_vs_flops.png", _plot_elo), ("bits.png", _plot_bits), ("health.png", _plot_health)):
        path = out_dir / name
        reason = draw(plt, runs, labels, colors, path)
        if reason is None:
            written.append(path)
        else:
            skipped.append(f"{name}: {reason}")
    return written, skipped


def plot_runs(run_dirs: list[Path], out_dir: Path) -> list[Path]:
    """Draw the figures of the runs into out_dir; returns the files written (a figure no run has data
    for is left out; plot_figures also gives the reasons)."""
    return plot_figures(run_dirs, out_dir)[0]


def add_parser(sub: Any) -> None:
    """Add the `plot` subcommand to an argparse subparsers object."""
    p = sub.add_parser("plot", help="PNG figures of runs from metrics.jsonl: Elo, bits per FLOP, self-play health")
    p.add_argument("runs", nargs="+", help="run directories (each with metrics.jsonl); several are overlaid")
    p.add_argument("--out", default=None, help="output directory (default RUN_DIR/plots; required for several runs)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """`alphago plot`: draw, print the written paths and the skipped figures; 1 when nothing was drawn."""
    runs = [Path(r) for r in args.runs]
    if args.out is None and len(runs) > 1:
        raise SystemExit("alphago plot: --out DIR is required with several runs")
    out = Path(args.out) if args.out is not None else runs[0] / "plots"
    try:
        written, skipped = plot_figures(runs, out)
    except FileNotFoundError as exc:
        raise SystemExit(f"alphago plot: {exc}")
    for path in written:
        print(path)
    for reason in skipped:
        print(f"skipped {reason}")
    return 0 if written else 1
