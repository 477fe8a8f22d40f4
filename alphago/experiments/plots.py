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


def _pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (files only, no display), imported on first use."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


pyplot = _pyplot

# ---------------------------------------------------------------------------------------------------
# Conventions every figure follows (the report modules use these, so a fix is made here once):
#   - a constrained layout (figure()), so no title, tick or axis label is clipped; long axis labels wrap;
#   - log axes with a few labelled ticks (log_axis(): one per decade, or 1-3 / 1-2-5 within a short
#     span, at most MAX_LOG_TICKS), minor ticks unlabelled, so tick labels never collide;
#   - panels of references in reference order (reference_order(): GNU Go levels ascending by number);
#   - every axis labelled with its unit (FLOPS_LABEL, score_label(), UNITS);
#   - at most MAX_BANDS shaded bands (or error-bar series) in a panel: band_groups() splits the series
#     into panels that each repeat the first (the baseline), one colour per series throughout.
# ---------------------------------------------------------------------------------------------------
MAX_LOG_TICKS = 5
MAX_BANDS = 3
LABEL_WRAP = 46  # characters per line of an axis label
FLOPS_LABEL = "training + self-play FLOPs (cumulative)"
# metric key -> (what it is, its unit), for axis labels of logged series
UNITS: dict[str, tuple[str, str]] = {
    "samples_per_flop": ("training samples per FLOP", "samples/FLOP"),
    "bits_per_sample": ("bits offered per gradient sample", "bits/sample"),
    "policy_bits_per_sample": ("policy bits offered per sample", "bits/sample"),
    "value_bits_per_sample": ("value bits offered per sample", "bits/sample"),
    "bits_per_flop": ("bits offered per FLOP", "bits/FLOP"),
    "data_bits_per_flop": ("bits in the data per FLOP", "bits/FLOP"),
    "data_policy_bits_per_label": ("policy bits in the data per label", "bits/label"),
    "data_policy_bits_per_flop": ("policy bits in the data per FLOP", "bits/FLOP"),
    "target_entropy": ("policy target entropy", "bits/position"),
    "probe_policy_ce_bits": ("probe policy cross-entropy", "bits/position"),
    "probe_value_ce_bits": ("probe value cross-entropy", "bits/position"),
    "probe_value_mse": ("probe value mean squared error", "value units²"),
    "probe_top1": ("probe top-1 agreement", "fraction of positions"),
    "probe_value_ece": ("probe value calibration error (ECE)", "probability"),
    "realized_bits_per_position": ("realized bits (probe cross-entropy drop)", "bits/position"),
    "health_games": ("games per self-play phase", "games"),
    "health_game_length": ("game length", "moves/game"),
    "health_pass_rate": ("passes", "fraction of moves"),
    "health_first_pass": ("first pass (median)", "move number"),
    "health_resign_rate": ("games resigned", "fraction of games"),
    "health_early_resign_rate": ("games resigned early", "fraction of games"),
    "health_false_resign_rate": ("false resignations", "fraction of no-resign games"),
    "health_black_win_rate": ("Black wins", "fraction of games"),
    "health_draw_rate": ("draws", "fraction of games"),
    "health_value_mse": ("root value squared error", "value units²"),
    "health_value_std": ("spread of root values (sd)", "value units"),
    "health_value_black": ("predicted Black win rate at move 0", "probability"),
    "health_search_changes_move": ("search changes the prior's move", "fraction of searches"),
    "health_target_entropy": ("visit-distribution entropy", "bits/position"),
}


def unit_label(key: str) -> str:
    """'what (unit)' for a logged metric key; the key itself, underscores as spaces, when unknown."""
    name, unit = UNITS.get(key, (key.removeprefix("health_").replace("_", " "), ""))
    return f"{name} ({unit})" if unit else name


def unit(key: str) -> str:
    """The unit of a logged metric key (UNITS), or its name where none is known."""
    name, u = UNITS.get(key, (key.removeprefix("health_").replace("_", " "), ""))
    return u or name


def wrap(label: str, width: int = LABEL_WRAP) -> str:
    """label broken at spaces into lines of at most `width` characters (a long y label is clipped or
    runs past its axis otherwise)."""
    import textwrap
    return "\n".join(textwrap.wrap(label, width, break_on_hyphens=False)) or label


def reference_title(name: str) -> str:
    """'GNU Go level N' for a reference metric name gnugoN, else the name."""
    level = name.removeprefix("gnugo")
    return f"GNU Go level {level}" if name.startswith("gnugo") and level.isdigit() else name


def reference_order(names: Sequence[str]) -> list[str]:
    """References in order of strength as reports list them: GNU Go levels ascending by number (gnugo1,
    gnugo5, gnugo10: numeric, not string order), then every other reference in the order given."""
    def key(item: tuple[int, str]) -> tuple[int, int]:
        i, n = item
        level = n.removeprefix("gnugo")
        return (0, int(level)) if n.startswith("gnugo") and level.isdigit() else (1, i)
    return [n for _, n in sorted(enumerate(names), key=key)]


def score_label(ref: str) -> str:
    """y label of a score against a reference, with its unit."""
    return f"score vs {reference_title(ref)} (wins + draws/2)"


def band_groups(names: Sequence[str], max_bands: int = MAX_BANDS) -> list[list[str]]:
    """names split into panels of at most max_bands series, each panel led by names[0] (the baseline
    every other series is compared with): [a, b, c, d, e] with 3 -> [[a, b, c], [a, d, e]]."""
    names = list(names)
    if len(names) <= max_bands:
        return [names]
    base, rest, step = names[0], names[1:], max(max_bands - 1, 1)
    return [[base] + rest[i:i + step] for i in range(0, len(rest), step)]


def log_ticks(lo: float, hi: float, max_ticks: int = MAX_LOG_TICKS) -> list[float]:
    """Major tick values of a log axis spanning [lo, hi]: powers of ten (every k-th decade when there
    are more than max_ticks), or, within a span too short for three of them, 1-3 or 1-2-5 times a power
    of ten; the sparsest set with three ticks, never more than max_ticks (two or fewer only when no set
    has three within max_ticks)."""
    if not (lo > 0 and hi > lo and math.isfinite(lo) and math.isfinite(hi)):
        return []
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    eps = 1e-9

    def within(mantissas: tuple[int, ...], stride: int = 1) -> list[float]:
        return [m * 10.0 ** k for k in range(k0, k1 + 1) if k % stride == 0 for m in mantissas
                if lo * (1 - eps) <= m * 10.0 ** k <= hi * (1 + eps)]

    decades = within((1,))
    if len(decades) > max_ticks:
        stride = 2
        while len(within((1,), stride)) > max_ticks:
            stride += 1
        return within((1,), stride)
    best = decades
    for mantissas in ((1,), (1, 3), (1, 2, 5), (1, 2, 3, 5), tuple(range(1, 10))):
        ticks = within(mantissas)
        if len(ticks) > max_ticks:
            break
        best = ticks
        if len(ticks) >= 3:
            break
    if len(best) < 2:  # a span within one step of 1-2-3-...-9: the ends and the middle, two digits each
        best = sorted({float(f"{v:.2g}") for v in np.geomspace(lo, hi, 3)})
        best = [v for v in best if lo * (1 - eps) <= v <= hi * (1 + eps)] or best
    return best


def tick_label(value: float) -> str:
    """A log-axis tick as mathtext: 10^k, or m x 10^k."""
    if not (value > 0 and math.isfinite(value)):
        return ""
    k = math.floor(math.log10(value) + 1e-9)
    m = float(f"{value / 10.0 ** k:.2g}")
    return f"$10^{{{k}}}$" if m == 1 else f"${m:g}\\times10^{{{k}}}$"


_LOCATOR_CLASS: Any = None


def _few_log_ticks(max_ticks: int) -> Any:
    """A matplotlib Locator that places log_ticks() over the axis' view interval at draw time."""
    global _LOCATOR_CLASS
    if _LOCATOR_CLASS is None:
        from matplotlib.ticker import Locator

        class FewLogTicks(Locator):
            def __init__(self, max_ticks: int) -> None:
                self.max_ticks = max_ticks

            def __call__(self) -> list[float]:
                return self.tick_values(*self.axis.get_view_interval())

            def tick_values(self, vmin: float, vmax: float) -> list[float]:
                return log_ticks(min(vmin, vmax), max(vmin, vmax), self.max_ticks)

        _LOCATOR_CLASS = FewLogTicks
    return _LOCATOR_CLASS(max_ticks)


def log_axis(ax: Any, which: str = "x", max_ticks: int = MAX_LOG_TICKS) -> None:
    """Log scale on ax's `which` axis ("x" or "y") with log_ticks() labelled by tick_label(), and
    unlabelled minor ticks at 2..9 times each power of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(_few_log_ticks(max_ticks))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: tick_label(v)))
    axis.set_minor_locator(LogLocator(base=10.0, subs=tuple(range(2, 10)), numticks=100))
    axis.set_minor_formatter(NullFormatter())


def figure(plt: Any, nrows: int, ncols: int, panel: tuple[float, float] = (4.6, 3.4), **kwargs: Any) -> tuple[Any, Any]:
    """plt.subplots(nrows, ncols) at panel inches each, squeeze=False, constrained layout (nothing
    clipped: labels, titles and a figure legend get their room)."""
    return plt.subplots(nrows, ncols, squeeze=False, figsize=(panel[0] * ncols, panel[1] * nrows),
                        layout="constrained", **kwargs)


def label(ax: Any, xlabel: str | None = None, ylabel: str | None = None, title: str | None = None,
          fontsize: float = 9) -> None:
    """Axis labels and a title, each wrapped to the panel (a y label at LABEL_WRAP characters); a light grid."""
    spec = ax.get_subplotspec()
    ncols = spec.get_gridspec().ncols if spec is not None else 1
    across = 0.85 * ax.figure.get_figwidth() / ncols * 72  # about the panel's width in points, once laid out
    if xlabel is not None:
        ax.set_xlabel(wrap(xlabel, max(int(across / (0.5 * fontsize)), 20)), fontsize=fontsize)
    if ylabel is not None:
        ax.set_ylabel(wrap(ylabel), fontsize=fontsize)
    if title is not None:
        ax.set_title(wrap(title, max(int(across / (0.5 * (fontsize + 1))), 20)), fontsize=fontsize + 1)
    ax.grid(True, alpha=0.3)


def figure_legend(fig: Any, axes: Sequence[Any], ncols: int = 6, fontsize: float = 8) -> None:
    """One legend for the figure, below the panels: every distinct label of the axes, in first-seen order
    (panels stay free of legends that cover data)."""
    seen: dict[str, Any] = {}
    for ax in axes:
        for handle, text in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(text, handle)
    if seen:
        fig.legend(list(seen.values()), list(seen), loc="outside lower center", ncols=min(ncols, len(seen)),
                   fontsize=fontsize, frameon=False)


def suptitle(fig: Any, text: str, fontsize: float = 10) -> None:
    """A figure title wrapped to the figure's width (constrained layout does not shrink it)."""
    chars = max(int(fig.get_figwidth() * 72 / (0.6 * fontsize)), 20)
    fig.suptitle(wrap(text, chars), fontsize=fontsize)


def save(plt: Any, fig: Any, path: Path, dpi: int) -> None:
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


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
            for run, label, color in zip(runs, labels, colors):
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
                ax.errorbar(x, e, yerr=[e - lo, hi - e], color=color, lw=1.2, capsize=2, label=label)
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
        for r, (label, color) in enumerate(zip(labels, colors)):
            for (key, style), (x, y) in zip(keys, data[i][r]):
                if not len(x):
                    continue
                name = label if len(keys) == 1 else f"{label} {key}"
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
        for (x, y), label, color in zip(series[key], labels, colors):
            if len(x):
                ax.plot(x, y, "-", color=color, lw=1.2, marker=".", ms=3, label=label)
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
    plt = _pyplot()
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
