"""The ablation report's Elo section (eval.ladder): every rated checkpoint on one scale, each arm's
Elo against log FLOPs, the FLOP multiplier at matched Elo with an interval clustered by seed, and
the Elo difference at the budget paired by seed (docs/results/soft_vs_hard_7x7_v2/PROTOCOL.md).

The first arm is the reference: every other arm's multiplier is the FLOPs it needs over the first
arm's to reach the same Elo (experiments/flop_multiplier.py). The interval: in each of `replicates`
bootstrap replicates every arm's seeds are resampled with replacement and the checkpoints' Elo is
taken from one of the ladder fit's game-bootstrap replicates, so both the spread between runs and
the games' noise are in it.
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .flop_multiplier import elo_slope, flop_multiplier, parallel_shift
from .stats import paired_by_seed, percentile_interval, sign_flip_floor_note

if TYPE_CHECKING:
    from .ablation_spec import LoadedAblation

REPLICATES = 2000
LADDER_BOOTSTRAP = 1000
COLORS = ("tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange")


def elo_table(loaded: LoadedAblation, rows: list[dict], fit) -> dict[str, np.ndarray]:
    """arm -> int-indexed float64[S, P] of ladder key indices (-1: no rated checkpoint), seeds in
    spec order, P matched points; the Elo comes from fit.elo or a bootstrap row of fit.samples."""
    spec = loaded.spec
    index = {k: i for i, k in enumerate(fit.keys)}
    out = {}
    for arm in spec.arms:
        seeds = spec.seeds_of(arm)
        t = np.full((len(seeds), len(spec.grid())), -1, int)
        for r in rows:
            if r["arm"] == arm and r.get("ladder_key") in index and r["seed"] in seeds:
                t[seeds.index(r["seed"]), r["point"]] = index[r["ladder_key"]]
        out[arm] = t
    return out


def _elo(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Elo of a key-index table (NaN where -1)."""
    return np.where(keys >= 0, values[np.maximum(keys, 0)], np.nan)


def _rated_seeds(keys: np.ndarray) -> np.ndarray:
    """Row indices of the seeds with a rated checkpoint at every point."""
    return np.flatnonzero((keys >= 0).all(axis=1))


def analyse(loaded: LoadedAblation, rows: list[dict], store: Path, anchor: str,
            replicates: int = REPLICATES, seed: int = 0) -> dict | None:
    """The section's figures (module doc), or None without rated checkpoints."""
    from ..eval.ladder_fit import fit_ladder
    from ..eval.ladder_store import read_games
    games = read_games(store)
    rated = [r for r in rows if r.get("ladder_key")]
    if not games or not rated:
        return None
    fit = fit_ladder(games, anchor, bootstrap=LADDER_BOOTSTRAP, seed=seed)
    spec = loaded.spec
    arms = list(spec.arms)
    tables = elo_table(loaded, rows, fit)
    grid = spec.grid()
    curves, seeds_full = {}, {}
    for arm in arms:
        full = _rated_seeds(tables[arm])
        seeds_full[arm] = [spec.seeds_of(arm)[i] for i in full]
        e = _elo(fit.elo, tables[arm][full])
        curves[arm] = {"mean": np.nanmean(e, axis=0).tolist() if len(full) else [math.nan] * len(grid),
                       "min": np.nanmin(e, axis=0).tolist() if len(full) else [math.nan] * len(grid),
                       "max": np.nanmax(e, axis=0).tolist() if len(full) else [math.nan] * len(grid),
                       "per_seed": {str(s): e[k].tolist() for k, s in enumerate(seeds_full[arm])}}
        curves[arm]["slope"] = elo_slope(grid, curves[arm]["mean"])
    base = arms[0]
    rng = np.random.default_rng(seed)
    mult = {}
    for arm in arms[1:]:
        if len(seeds_full[arm]) < 1 or len(seeds_full[base]) < 1:
            continue
        m = flop_multiplier(grid, curves[base]["mean"], curves[arm]["mean"])
        par = parallel_shift(grid, curves[base]["mean"], curves[arm]["mean"])
        kb, ka = tables[base][_rated_seeds(tables[base])], tables[arm][_rated_seeds(tables[arm])]
        vals, pvals = np.empty(replicates), np.empty(replicates)
        for b in range(replicates):
            row = fit.samples[b % fit.samples.shape[0]] if fit.samples.shape[0] else fit.elo
            eb = _elo(row, kb[rng.integers(0, len(kb), len(kb))])
            ea = _elo(row, ka[rng.integers(0, len(ka), len(ka))])
            with warnings.catch_warnings():  # a replicate whose resampled seeds miss a point: NaN there
                warnings.simplefilter("ignore", RuntimeWarning)
                mb, ma = list(np.nanmean(eb, axis=0)), list(np.nanmean(ea, axis=0))
            vals[b] = flop_multiplier(grid, mb, ma).estimate
            pvals[b] = parallel_shift(grid, mb, ma)   # the same replicates: the two intervals are comparable
        lo, hi = percentile_interval(vals)
        plo, phi = percentile_interval(pvals)
        budget = paired_by_seed({s: curves[arm]["per_seed"][str(s)][-1] for s in seeds_full[arm]},
                                {s: curves[base]["per_seed"][str(s)][-1] for s in seeds_full[base]})
        mult[arm] = {"estimate": m.estimate, "ci_low": lo, "ci_high": hi, "overlap": m.overlap,
                     "censored_above": m.censored_above, "censored_below": m.censored_below, "bound": m.bound,
                     "replicates_censored": int(replicates - np.isfinite(vals).sum()), "replicates": replicates,
                     "parallel": {"estimate": par, "ci_low": plo, "ci_high": phi,
                                  "replicates_censored": int(replicates - np.isfinite(pvals).sum())},
                     "budget_elo_difference": None if budget is None else
                     {"mean": budget.mean, "lo": budget.lo, "hi": budget.hi, "p": budget.p, "seeds": budget.n}}
    anchors = {}
    for key in fit.keys:
        if not any(r.get("ladder_key") == key for r in rows):
            i = fit.keys.index(key)
            anchors[key] = {"label": fit.labels[key], "elo": float(fit.elo[i]), "ci_low": float(fit.ci_low[i]),
                            "ci_high": float(fit.ci_high[i]), "games": int(fit.games[i])}
    direct = {}
    lad = spec.eval.ladder
    for a_arm, b_arm, point in (lad.direct_matches() if lad is not None else []):
        keyed = {(r["arm"], r["seed"]): r["ladder_key"] for r in rows if r["point"] == point and r.get("ladder_key")}
        per_seed = {}
        for seed_ in sorted(set(spec.seeds_of(a_arm)) & set(spec.seeds_of(b_arm))):
            ka, kb = keyed.get((a_arm, seed_)), keyed.get((b_arm, seed_))
            gs = [g for g in games if ka and kb and {g.black.key, g.white.key} == {ka, kb}]
            if gs:
                per_seed[seed_] = sum(g.black_points() if g.black.key == kb else 1 - g.black_points() for g in gs) / len(gs)
        p = paired_by_seed(per_seed, {k: 0.5 for k in per_seed})
        direct[f"{b_arm} vs {a_arm} at point {point}"] = {
            "per_seed": {str(k): v for k, v in per_seed.items()},
            "score": None if p is None else 0.5 + p.mean, "lo": None if p is None else 0.5 + p.lo,
            "hi": None if p is None else 0.5 + p.hi, "p": None if p is None else p.p, "seeds": len(per_seed),
            "grid_flops": grid[point]}
    return {"anchor": anchor, "games": len(games), "players": len(fit.keys), "grid": grid, "curves": curves,
            "direct": direct, "opponents": _opponents(games, {r["ladder_key"] for r in rated}),
            "seeds": {a: len(seeds_full[a]) for a in arms}, "multipliers": mult, "anchors": anchors,
            "distinct_games": len({(g.black.key, g.white.key, g.opening_index, g.bank_seed) for g in games})}


def _opponents(games, checkpoints: set[str]) -> dict:
    """Whom the rated checkpoints played: their games (one per checkpoint side), and how many of those
    were against an anchor and against GNU Go (a program nobody here wrote). The rest are between
    checkpoints of different arms: the scale is tied to the anchors through the share given here."""
    sides = anchor_sides = gnugo_sides = 0
    for g in games:
        for me, op in ((g.black, g.white), (g.white, g.black)):
            if me.key in checkpoints:
                sides += 1
                if op.key not in checkpoints:
                    anchor_sides += 1
                    gnugo_sides += op.spec.startswith("gnugo")
    return {"games": sides, "vs_anchors": anchor_sides, "vs_gnugo": gnugo_sides}


def _seeds(n: int) -> str:
    return f"{n} seed{'s' if n != 1 else ''}"


def _m(x: float, fmt: str = ".2f") -> str:
    return "n/a" if x is None or not math.isfinite(x) else format(x, fmt)


def verdict(arm: str, base: str, m: dict, seeds: dict[str, int], planned: dict[str, int]) -> str:
    """One multiplier read by the rule the study fixed before its runs (soft_vs_hard_7x7_v2/PROTOCOL.md,
    "Reading rule"): interval above 1, `base` needs fewer FLOPs; below 1, `arm` does; containing 1, the
    study cannot tell, and says which multipliers it excludes. seeds: arm -> seeds rated at every point,
    planned: arm -> seeds in the file; while either arm of the pair is short of its planned seeds the
    reading is provisional, whatever the interval says (a 4-seed arm's comparison still moves while its
    8-seed base gets seeds)."""
    lo, hi = m["ci_low"], m["ci_high"]
    head = f"`{arm}` vs `{base}`"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        line = f"{head}: no interval (too few points on both curves)"
    elif lo > 1:
        line = f"{head}: `{arm}` needs more FLOPs than `{base}` to the same Elo ({lo:.2f}x to {hi:.2f}x)"
    elif hi < 1:
        line = f"{head}: `{arm}` needs fewer FLOPs than `{base}` to the same Elo ({1 / hi:.2f}x to {1 / lo:.2f}x fewer)"
    else:
        line = (f"{head}: not resolved; the interval [{lo:.2f}, {hi:.2f}] contains 1 and excludes multipliers "
                f"above {hi:.2f}x" + (f" and below {lo:.2f}x" if lo > 0 else ""))
    short = [x for x in (arm, base) if seeds[x] < planned[x]]
    if short:
        line += (" (provisional: " + ", ".join(f"`{x}` {seeds[x]} of {planned[x]} seeds" for x in short)
                 + " rated at every point)")
    return line + "."


def section(loaded: LoadedAblation, a: dict | None) -> list[str]:
    """The report's lines for `analyse`'s figures."""
    spec = loaded.spec
    L = ["", "## One Elo scale (eval.ladder)", ""]
    if a is None:
        return L + ["No rated checkpoints yet: the evaluate stage rates each finished cell."]
    arms = list(spec.arms)
    L.append(f"{a['games']} rated games among {a['players']} players in `ladder/games.jsonl`; Bradley-Terry "
             f"maximum likelihood, `{a['anchor']}` = 0, 95% intervals from {LADDER_BOOTSTRAP} bootstrap resamples "
             f"of the games. Seeds with a rated checkpoint at every point: "
             + ", ".join(f"{arm} {a['seeds'][arm]}" for arm in arms) + ".")
    o = a.get("opponents")
    if o and o["games"]:
        L += ["", f"Whom the rated checkpoints played: of their {o['games']} games, {o['vs_anchors']} "
              f"({o['vs_anchors'] / o['games']:.0%}) against an anchor, {o['vs_gnugo']} ({o['vs_gnugo'] / o['games']:.0%}) "
              "of them against GNU Go; the rest against checkpoints of other arms (a checkpoint never meets its own "
              "arm). The scale is tied to the anchors through those games; the arms' ratings rest mostly on games "
              "between the arms, so an edge that holds only against the other arm's nets would count as strength."]
    L += ["", "Anchors:", "", "| anchor | Elo | 95% interval | games |", "|---|---|---|---|"]
    for k, v in sorted(a["anchors"].items(), key=lambda kv: kv[1]["elo"]):
        L.append(f"| {v['label']} | {v['elo']:+.0f} | [{v['ci_low']:+.0f}, {v['ci_high']:+.0f}] | {v['games']} |")
    L += ["", "Elo by arm at the matched points (mean over seeds; min and max over seeds in brackets):", "",
          "| arm | " + " | ".join(f"{g:.3g}" for g in a["grid"]) + " |", "|---|" + "---|" * len(a["grid"])]
    for arm in arms:
        c = a["curves"][arm]
        L.append(f"| {arm} | " + " | ".join(f"{_m(m, '+.0f')} [{_m(lo, '+.0f')}, {_m(hi, '+.0f')}]"
                                            for m, lo, hi in zip(c["mean"], c["min"], c["max"])) + " |")
    slopes = {arm: a["curves"][arm].get("slope", math.nan) for arm in arms}
    if any(math.isfinite(v) for v in slopes.values()):
        L += ["", "Slope of each arm's seed-mean curve, least squares over the matched points (Elo per doubling of "
              "FLOPs): " + ", ".join(f"{arm} {_m(v, '.0f')}" for arm, v in slopes.items()) + ". "
              "`alphago multiplier-sim` gives the estimators' bias and power at slopes of 30, 60 and 120."]
    base = arms[0]
    L += ["", f"FLOP multiplier at matched Elo (the FLOPs an arm needs over `{base}`'s to reach the same Elo; "
          "experiments/flop_multiplier.py), 95% interval from bootstrap replicates clustered by seed with the "
          "games' noise; and the Elo difference at the budget paired by seed. On simulated studies "
          "(`alphago multiplier-sim`) these intervals are about 95% ones with 8 seeds per arm but about 87% ones "
          "when one arm has 4: percentile intervals from few resampled seeds are too narrow.", "",
          "| arm | multiplier | 95% interval | points matched | replicates censored | Elo at budget - "
          f"{base}, paired by seed |", "|---|---|---|---|---|---|"]
    for arm, m in a["multipliers"].items():
        b = m["budget_elo_difference"]
        diff = ("n/a" if b is None else f"{b['mean']:+.0f} [{_m(b['lo'], '+.0f')}, {_m(b['hi'], '+.0f')}], "
                f"{_seeds(b['seeds'])}, sign-flip p = {b['p']:.3g}{sign_flip_floor_note(b['p'], b['seeds'])}")
        est = _m(m["estimate"]) if math.isfinite(m["estimate"]) else f"n/a ({m['bound']})"
        L.append(f"| {arm} | {est} | [{_m(m['ci_low'])}, {_m(m['ci_high'])}] | {m['overlap']} of {len(a['grid'])} | "
                 f"{m['replicates_censored']} of {m['replicates']} | {diff} |")
    planned = {arm: len(spec.seeds_of(arm)) for arm in arms}
    L += ["", "Read by the rule the protocol fixed before the runs (interval above 1: the arm needs more FLOPs "
          f"than `{base}`; below 1: fewer; containing 1: not resolved, and what it excludes):", ""]
    L += [f"- {verdict(arm, base, m, a['seeds'], planned)}"
          for arm, m in a["multipliers"].items()]
    if any("parallel" in m for m in a["multipliers"].values()):
        L += ["", "A second estimator, secondary: both arms' seed-mean curves fitted as parallel lines in log "
              "FLOPs (experiments/flop_multiplier.parallel_shift), on the same bootstrap replicates. On simulated "
              "studies with a known multiplier the running maximum of the estimator above pulls it toward the "
              "other arm on shallow curves, and this one is near unbiased (`alphago multiplier-sim`: "
              "docs/results/soft_vs_hard_7x7_v2/multiplier_sim.md). In soft_vs_hard_7x7_v2 it was added on "
              "2026-12-05 after the first cells were rated and is **not pre-registered** (its PROTOCOL.md, "
              "Deviations); the primary endpoint is the one above.", "",
              "| arm | parallel-lines multiplier | 95% interval | replicates without an estimate |", "|---|---|---|---|"]
        for arm, m in a["multipliers"].items():
            q = m["parallel"]
            L.append(f"| {arm} | {_m(q['estimate'])} | [{_m(q['ci_low'])}, {_m(q['ci_high'])}] | "
                     f"{q['replicates_censored']} of {m['replicates']} |")
    if a.get("direct"):
        L += ["", "Direct matches at matched FLOPs (the two arms' checkpoints of the same seed; score of the first "
              "named arm, mean over seeds with a t-interval over seeds and the sign-flip p against 0.5):", ""]
        for name, d in a["direct"].items():
            L.append(f"- {name} ({d['grid_flops']:.3g} FLOPs): " + ("no games yet" if d["score"] is None else
                     f"{d['score']:.3f} [{_m(d['lo'], '.3f')}, {_m(d['hi'], '.3f')}], {_seeds(d['seeds'])}, "
                     f"p = {d['p']:.3g}{sign_flip_floor_note(d['p'], d['seeds'])}; per seed " + ", ".join(f"{v:.2f}" for v in d["per_seed"].values())))
    L += ["", "Published anchors for the multiplier: KataGo's 1.25x (forced playouts and policy-target pruning), "
          "1.37x (playout-cap randomization) and 1.65x (auxiliary ownership and score targets); Expert Iteration "
          "found soft targets about 50 Elo stronger than hard ones at equal top-1."]
    return L


def _label_groups(anchors, within: float = 30.0) -> list[tuple[float, str]]:
    """The anchors' line labels, those closer than `within` Elo to the previous one joined into one
    label at the group's lowest line (labels a few Elo apart would print over each other)."""
    groups: list[list[dict]] = []
    for v in sorted(anchors, key=lambda v: v["elo"]):
        if groups and v["elo"] - groups[-1][-1]["elo"] < within:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [(g[0]["elo"], ", ".join(v["label"] for v in g)) for g in groups]


def _spread(ys: list[float], gap: float) -> list[float]:
    """Label heights for lines at ys (ascending): each at its line, or pushed up until it is `gap` above
    the label below it, so that labels of lines closer than a label's height do not print over each other."""
    out: list[float] = []
    for y in ys:
        out.append(y if not out else max(y, out[-1] + gap))
    return out


def plot(loaded: LoadedAblation, a: dict | None, report_dir: Path) -> list[str]:
    """elo_vs_flops.png: one panel per comparison with the first arm (two bands each: seed min-max),
    anchors as dotted lines; returns the file names."""
    if a is None:
        return []
    from ..figures import FLOPS_LABEL, figure, label, log_axis, pyplot, save
    plt = pyplot()
    arms = list(loaded.spec.arms)
    others = arms[1:]
    fig, axes = figure(plt, 1, len(others), panel=(5.2, 4.2), sharey=True)
    xs = a["grid"]
    for i, (ax, arm) in enumerate(zip(axes[0], others)):
        for c, name in zip(COLORS, (arms[0], arm)):
            cur = a["curves"][name]
            ax.plot(xs, cur["mean"], "o-", color=c, label=f"{name} ({_seeds(a['seeds'][name])})")
            ax.fill_between(xs, cur["min"], cur["max"], color=c, alpha=0.18)
        for v in a["anchors"].values():
            ax.axhline(v["elo"], color="0.6", lw=0.7, ls=":")
        ax.set_xlim(min(xs) / 1.15, max(xs) * 1.15)   # also when an arm has no rated point yet (all NaN)
        if i == len(others) - 1:
            # the anchors' names once, right of the last panel, where no curve or band runs under them;
            # a 6-point label is ~3.5% of a 4.2-inch panel's height: keep labels that far apart
            groups = _label_groups(a["anchors"].values())
            lo, hi = ax.get_ylim()
            for (e, names), y in zip(groups, _spread([e for e, _ in groups], 0.035 * (hi - lo))):
                ax.annotate(names, xy=(1.0, e), xycoords=("axes fraction", "data"), xytext=(1.02, y),
                            textcoords=("axes fraction", "data"), fontsize=6, color="0.4", va="center",
                            annotation_clip=False,
                            arrowprops=dict(arrowstyle="-", color="0.75", lw=0.5) if abs(y - e) > 1 else None)
        log_axis(ax, "x")
        m = a["multipliers"].get(arm)
        title = f"{arm} vs {arms[0]}"
        if m and math.isfinite(m["estimate"]):
            title += f": x{m['estimate']:.2f} [{_m(m['ci_low'])}, {_m(m['ci_high'])}]"
        label(ax, FLOPS_LABEL, f"Elo ({a['anchor']} = 0): seed mean, min-max" if i == 0 else None, title)
        ax.legend(fontsize=7, loc="lower right")
    save(plt, fig, report_dir / "elo_vs_flops.png", dpi=110)
    return ["elo_vs_flops.png"]
