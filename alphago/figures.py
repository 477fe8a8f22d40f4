"""How every figure of the project looks (reports in experiments/, `alphago plot` in run/plot.py): one
place for the conventions, so a fix is made once. matplotlib is imported on first use (pyplot()).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (files only, no display), imported on first use."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


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
