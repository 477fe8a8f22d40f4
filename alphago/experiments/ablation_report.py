"""The ablation report: REPORT_DIR/report.md, score_vs_flops.png, probe.png, bits.png, summary.json,
all from OUT/evaluations.jsonl and the cells' metrics (experiments/ablate.py).

Statistics, stated in the report too:
  score     points per game against a reference (win 1, draw 1/2), pooled over the arm's seeds at a
            matched FLOP point; 95% Wilson interval over the games
            (seeds differ in more than game noise, so this interval is a lower bound on the spread;
            the per-seed scores are in the table to show it)
  Elo       of the pooled score (clipped at 1/(2 games) from 0 and 1)
  difference vs the first arm: score difference with 95% interval sqrt(se1^2 + se2^2); "not
            significant" when it contains 0
  FLOPs to a strength level: the first matched point from which the pooled score stays at or
            above the level (grid resolution: a factor of 2), ratio to the first arm (flops_to_level)
"""
from __future__ import annotations

import datetime
import json
import math
import os
import platform
from pathlib import Path

import numpy as np

from ..data.records import atomic_write_bytes
from ..play.evaluation import reference_name
from .ablation_results import (ROOT, cell_dir, cell_series, export_results, ledger_at_budget, probe_sha,
                               read_rows)
from .ablation_spec import AblationSpec, LoadedAblation
from .stats import difference, mean_sd, pooled, seed_level

LEVELS = (0.25, 0.5, 0.75)
COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:gray")


SATURATED = 0.95   # a reference every arm beats (or loses to) this often cannot order the arms


def ref_names(rows: list[dict], spec: AblationSpec | None = None) -> list[str]:
    """Metric names of the references the rows were played against; with `spec`, only those its
    eval.references and eval.extra_references name, in that order (a reference dropped from the file
    leaves the report, though its figures stay in the rows)."""
    names = []
    for r in rows:
        for k in r:
            if k.startswith("eval_") and k.endswith("_score") and k[5:-6] not in names and k[5:-6] != "previous":
                names.append(k[5:-6])
    if spec is None:
        return names
    return [n for n in (reference_name(x) for x in spec.eval.references + spec.eval.extra_references) if n in names]


def reading(report_dir: Path) -> list[str]:
    """REPORT_DIR/reading.md (a reading written by hand, with the date it was written) as report
    lines: kept when the generated part of the report is made again."""
    p = report_dir / "reading.md"
    return ["", p.read_text().rstrip(), ""] if p.exists() else []


def match_summaries(report_dir: Path, name: str) -> list[str]:
    """The summaries `alphago ablate --stages match` wrote in REPORT_DIR's subfolders (experiments/budget_match.py),
    as report lines under one heading, so that more games against one opponent stand in the report beside
    the endpoints rather than only in a folder a reader may not open."""
    from .budget_match import title_prefix
    L = []
    for p in sorted(report_dir.glob("*/summary.md")):
        text = p.read_text().strip().splitlines()
        if not text or not text[0].startswith(title_prefix(name)):
            continue   # another tool's summary
        L += ["", f"### {text[0][2:]} ([{p.parent.name}/summary.md]({p.parent.name}/summary.md))"] + text[1:]
    return ["", "## More games against one opponent (`alphago ablate --stages match`)"] + L if L else []


def flops_to_level(points: list[dict], ref: str, level: float) -> dict:
    """FLOPs at the first matched point from which the arm's pooled score against `ref` stays at or
    above `level` at every later point (None when the last point is below it).

    Pooled over seeds and sustained, because a single seed's 20-game score has a standard error
    near 0.1: the first point where any one score crosses a level mostly measures noise (a seed
    reaching 0.5 early and falling back to 0.25 would count as reaching it). "confirmed" says
    whether the lower end of the 95% interval is at or above the level there too."""
    scores = [p[ref].get("score") if p[ref].get("games") else None for p in points]
    hit = None
    for i in range(len(points) - 1, -1, -1):
        if scores[i] is None or scores[i] < level:
            break
        hit = i
    if hit is None:
        return {"point": None, "flops": None, "confirmed": False}
    return {"point": hit, "flops": points[hit]["flops"], "confirmed": points[hit][ref]["lo"] >= level}


def summarize(loaded: LoadedAblation, rows: list[dict]) -> dict:
    spec = loaded.spec
    refs = ref_names(rows, spec)
    out: dict = {"arms": {}, "references": refs}
    sha = probe_sha(loaded)
    def fig(r: dict, key: str):
        # with eval.probe, probe figures count only when scored on that very file (ablate.probe_rows)
        return r.get(key) if sha is None or not key.startswith("probe_") or r.get("probe_sha256") == sha else None
    for arm in spec.arms:
        points = []
        for i, g in enumerate(spec.grid()):
            rs = sorted((r for r in rows if r["arm"] == arm and r["point"] == i), key=lambda r: r["seed"])  # per-seed lists in seed order
            p = {"point": i, "grid_flops": g, "seeds": len(rs),
                 "flops": mean_sd([r["flops"] for r in rs])[0] if rs else math.nan}
            for ref in refs:
                p[ref] = pooled(rs, ref)
            for key in ("probe_policy_ce_bits", "probe_value_ce_bits", "probe_top1", "probe_value_ece",
                        "data_policy_bits_per_label",
                        "data_bits_per_flop", "samples_per_flop", "bits_per_sample", "bits_per_flop",
                        "target_entropy"):
                p[key] = mean_sd([fig(r, key) for r in rs])
            points.append(p)
        out["arms"][arm] = {"points": points, "to_level": {}}
        if refs:
            for level in LEVELS:
                out["arms"][arm]["to_level"][str(level)] = flops_to_level(points, refs[0], level)
    return out


def realized(points: list[dict]) -> float:
    """(policy + value probe cross-entropy at the first point - at the last) / FLOPs between: realized
    bits per probe position per FLOP (NaN without both points scored)."""
    first, last = points[0], points[-1]
    try:
        ce = [p["probe_policy_ce_bits"][0] + p["probe_value_ce_bits"][0] for p in (first, last)]
        d = last["flops"] - first["flops"]
    except (KeyError, TypeError):
        return math.nan
    return (ce[0] - ce[1]) / d if d > 0 and all(map(math.isfinite, ce)) else math.nan


def _fmt(x, spec=".3g") -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, spec)


def plots(loaded: LoadedAblation, report_dir: Path, summary: dict, cells_series: dict[str, dict[str, list]]) -> list[str]:
    """score_vs_flops.png, probe.png and bits.png (each cell's thinned training series, from
    ablation_results.cell_series) in REPORT_DIR; returns their names. Conventions (alphago/figures.py): references in
    order of strength, one row each; arms in panels of at most three (band_groups: each panel repeats the
    first arm), one colour per arm throughout; few log ticks; every axis with its unit."""
    from ..figures import (FLOPS_LABEL, band_groups, figure, figure_legend, label, log_axis, pyplot,
                        reference_order, reference_title, save, score_label, suptitle, unit_label)
    plt = pyplot()
    spec, files = loaded.spec, []
    color = {arm: c for arm, c in zip(spec.arms, COLORS)}
    groups = band_groups(spec.arms)
    refs = reference_order(summary["references"])
    if refs:
        # one row per reference, one column per group of arms; a single group: the references side by side
        grid = [[(ref, g) for g in groups] for ref in refs] if len(groups) > 1 else [[(ref, groups[0]) for ref in refs]]
        fig, axes = figure(plt, len(grid), len(grid[0]), panel=(5.0, 3.7), sharex=True, sharey=True)
        for i, (row, cells) in enumerate(zip(axes, grid)):
            for j, (ax, (ref, group)) in enumerate(zip(row, cells)):
                for arm in group:
                    pts = [p for p in summary["arms"][arm]["points"] if p[ref].get("games")]
                    x = [p["flops"] for p in pts]
                    ax.plot(x, [p[ref]["score"] for p in pts], "o-", color=color[arm], label=arm)
                    ax.fill_between(x, [p[ref]["lo"] for p in pts], [p[ref]["hi"] for p in pts],
                                    color=color[arm], alpha=0.2)
                log_axis(ax, "x")
                ax.set_ylim(-0.02, 1.02)
                title = f"vs {reference_title(ref)}" + (f": {', '.join(group)}" if len(groups) > 1 else "")
                label(ax, FLOPS_LABEL if i == len(grid) - 1 else None,
                      score_label(ref) if j == 0 or len(groups) == 1 else None, title)
                ax.legend(fontsize=8)
        suptitle(fig, "score at matched FLOPs, seeds pooled; bands: 95% Wilson interval over games")
        save(plt, fig, report_dir / "score_vs_flops.png", dpi=110)
        files.append("score_vs_flops.png")
    keys = ("probe_policy_ce_bits", "probe_top1", "probe_value_ece")
    fig, axes = figure(plt, len(groups), len(keys), panel=(5.0, 3.6), sharex=True, sharey="col")
    for i, (row, group) in enumerate(zip(axes, groups)):
        for ax, key in zip(row, keys):
            for arm in group:
                pts = [p for p in summary["arms"][arm]["points"] if math.isfinite(p[key][0])]
                x = [p["flops"] for p in pts]
                m = np.array([p[key][0] for p in pts])
                sd = np.array([p[key][1] for p in pts])
                ax.errorbar(x, m, yerr=sd, fmt="o-", color=color[arm], label=arm, capsize=3)
            log_axis(ax, "x")
            label(ax, FLOPS_LABEL if i == len(groups) - 1 else None, unit_label(key),
                  ", ".join(group) if len(groups) > 1 else None)
            ax.legend(fontsize=8)
    suptitle(fig, "the shared probe set, mean +- sd over seeds")
    save(plt, fig, report_dir / "probe.png", dpi=110)
    files.append("probe.png")
    series = (("data_bits_per_flop", "bits in the data / FLOP", "bits/FLOP"),
              ("data_policy_bits_per_label", "data policy bits / label", "bits/label"),
              ("samples_per_flop", "samples / FLOP", "samples/FLOP"),
              ("bits_per_sample", "bits offered / gradient sample", "bits/sample"),
              ("bits_per_flop", "bits offered / FLOP", "bits/FLOP"),
              ("target_entropy", "policy target entropy (moving average of 10)", "bits/position"))
    fig, axes = figure(plt, 2, 3, panel=(5.0, 3.6))
    for ax, (key, title, unit) in zip(axes.flat, series):
        for arm in spec.arms:
            for k, seed in enumerate(spec.seeds_of(arm)):
                cols = cells_series.get(f"{arm}/seed{seed}", {})
                pts = [(x, y) for x, y in zip(cols.get("flops", []), cols.get(key, [])) if x and y is not None]
                if not pts:
                    continue
                xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                if key == "target_entropy" and len(ys) > 10:  # per batch (thinned): moving average
                    ys = list(np.convolve(ys, np.ones(10) / 10, mode="valid"))
                    xs = xs[9:]
                ax.plot(xs, ys, color=color[arm], alpha=0.8, lw=1, label=arm if k == 0 else None)
        log_axis(ax, "x")
        label(ax, FLOPS_LABEL, unit, title)
    figure_legend(fig, list(axes.flat))
    suptitle(fig, "training series, one line per seed")
    save(plt, fig, report_dir / "bits.png", dpi=110)
    files.append("bits.png")
    return files


HEADS = (("policy_bits_per_sample", "policy"), ("value_bits_per_sample", "value"),
         ("ownership_bits_per_sample", "ownership"), ("soft_policy_bits_per_sample", "soft policy"),
         ("score_bits_per_sample", "score"))
DATA = (("data_policy_bits_per_label", "policy / label"), ("data_value_bits_per_game", "outcome / game"),
        ("data_ownership_bits_given_outcome_per_game", "ownership given outcome / game"),
        ("data_ownership_bits_per_game", "ownership, marginal / game"),
        ("data_score_bits_given_outcome_per_game", "score given outcome / game"),
        ("data_score_bits_per_game", "score, marginal / game"))


def heads_table(spec, done: dict) -> list[str]:
    """Bits by head at the budget, means over seeds (+- sd), from each cell's last ledger row: offered
    per gradient sample (KL(target || net), per head) and in the data; a head no arm trains is left out."""
    led = {arm: [d["ledger_at_budget"] for (a, _), d in done.items() if a == arm and d.get("ledger_at_budget")]
           for arm in spec.arms}
    if not any(led.values()):
        return []
    def used(keys):
        return [(k, name) for k, name in keys if any(r.get(k) for rows in led.values() for r in rows)]
    heads, data = used(HEADS), used(DATA)
    L = ["", "## Bits by head at the budget", "",
         "Offered: bits per gradient sample, KL(target || net) for each head (docs/accounting.md); in the data: "
         "bits per label or per game, counted once when self-play makes them. Means over seeds (+- sd); "
         "Reanalyse: its searches' share of all FLOPs / stored positions re-searched per new position."
         + (" Data bits count ownership and score given the outcome (the chain rule: their marginal entropy counts "
            "the outcome's bit again; with a large komi a Black win fixes most of the board); cells run before "
            "2026-12-04 logged only the marginal figures, which their data bits / FLOP include."
            if any(k.startswith(("data_ownership", "data_score")) for k, _ in data) else ""), "",
         "| arm | " + " | ".join(f"offered: {n}" for _, n in heads) + " | " + " | ".join(f"data: {n}" for _, n in data)
         + " | data bits / FLOP | samples / FLOP | Reanalyse |",
         "|---|" + "---|" * (len(heads) + len(data) + 3)]
    for arm, rows in led.items():
        if not rows:
            continue
        def ms(k, fmt=".3g"):
            m, sd = mean_sd([r.get(k, 0.0) for r in rows])
            return f"{_fmt(m, fmt)} +- {_fmt(sd, '.2g')}"
        share = mean_sd([r.get("reanalyse_flops", 0.0) / r["flops"] for r in rows if r.get("flops")])[0]
        again = mean_sd([r.get("reanalysed", 0.0) / r["positions"] for r in rows if r.get("positions")])[0]
        L.append(f"| {arm} | " + " | ".join(ms(k) for k, _ in heads) + " | " + " | ".join(ms(k) for k, _ in data)
                 + f" | {ms('data_bits_per_flop')} | {ms('samples_per_flop')} | {_fmt(share, '.2f')} / "
                 f"{_fmt(again, '.2f')} |")
    return L


def wins_by_colour(arms: list[str], rows: list[dict], ref: str, point: int) -> list[str]:
    """One line: each arm's wins as Black and as White at `point`, seeds pooled. Where komi makes one
    colour's win take exact play (5x5 at 24.5: Black must own every point), the arms' differences can
    sit in one colour's games; the evaluation alternates colours, so each has about half the games."""
    parts = []
    for arm in arms:
        at = [r for r in rows if r["arm"] == arm and r["point"] == point and r.get(f"eval_{ref}_games")]
        if at and all(f"eval_{ref}_black_wins" in r for r in at):
            parts.append(f"`{arm}` {sum(r[f'eval_{ref}_black_wins'] for r in at)} as Black, "
                         f"{sum(r[f'eval_{ref}_white_wins'] for r in at)} as White "
                         f"(of {sum(r[f'eval_{ref}_games'] for r in at)})")
    return ["", "Wins by colour at the budget (colours alternate: about half the games each): " + "; ".join(parts)
            + "."] if parts else []


def checkpoint_span(grid: list[float], rows: list[dict]) -> list[str]:
    """One Settings line: the FLOPs of the checkpoints each matched point evaluated (min-max over rows).
    A point takes the checkpoint nearest on the log axis, so a point below a run's first checkpoint (a
    warm start's training FLOPs count in the budget) is played by a later one: the tables' column
    headers are the targets, this line says what was played."""
    spans = []
    for i, g in enumerate(grid):
        f = [r["flops"] for r in rows if r.get("point") == i and r.get("flops")]
        if f:
            lo, hi = f"{min(f):.2g}", f"{max(f):.2g}"
            spans.append(f"{g:.2g}: {lo}" + (f"-{hi}" if hi != lo else ""))
    return [f"- checkpoints evaluated at each point (nearest on the log-FLOP axis; min-max over arms and "
            f"seeds): {'; '.join(spans)}"] if spans else []


def reused_note(done: dict) -> str:
    return f" (reused from `{done['reused_from']}`)" if done.get("reused_from") else ""


def write_report(loaded: LoadedAblation, out: Path, report_dir: Path, command: str) -> Path:
    spec = loaded.spec
    report_dir.mkdir(parents=True, exist_ok=True)
    rows = read_rows(out / "evaluations.jsonl")
    summary = summarize(loaded, rows)
    done = {}
    for arm, seed in spec.cells():
        p = cell_dir(out, arm, seed) / "done.json"
        if p.exists():
            done[(arm, seed)] = json.loads(p.read_text())
            led = ledger_at_budget(out, arm, seed)
            if led:  # committed in cells.json: the heads' table survives without the run directory
                done[(arm, seed)]["ledger_at_budget"] = led
    cells_series = cell_series(loaded, out, report_dir)
    files = plots(loaded, report_dir, summary, cells_series) if rows else []
    refs = summary["references"]
    arms = list(spec.arms)
    base = arms[0]
    L: list[str] = [f"# Ablation `{spec.name}`", ""]
    L.append(f"Generated by `{command}` on {datetime.date.today().isoformat()}, {platform.machine()} "
             f"{os.cpu_count()} cores ({platform.processor() or platform.platform()}), no GPU unless the "
             f"configs name one. Cells trained: {len(done)} of {len(spec.cells())}; evaluation rows: {len(rows)}.")
    train_s = sum(d.get("seconds", 0.0) for d in done.values())
    eval_s = sum(r.get("eval_seconds", 0.0) + r.get("extra_eval_seconds", 0.0) for r in rows)
    L.append(f"Wall time: training {train_s / 60:.1f} min (sum over cells), evaluation {eval_s / 60:.1f} min "
             f"(sum over rows).")  # sums, not this process's time: a regenerated report says the same
    L += ["", "## Settings", "",
          f"- base config `{spec.base}`, common overrides `{json.dumps(spec.common)}`",
          f"- FLOP budget per run {spec.budget_flops:.3g} (self-play network evaluations + training, from the "
          f"ledger); matched points {', '.join(f'{g:.3g}' for g in spec.grid())}",
          *checkpoint_span(spec.grid(), rows),
          (f"- seeds {list(spec.seeds)} (run.seed: self-play, sampling and initialisation), the same for every arm"
           if not spec.arm_seeds else "- seeds (run.seed: self-play, sampling and initialisation): "
           + "; ".join(f"{a} {list(spec.seeds_of(a))}" for a in spec.arms)),
          (f"- evaluation: {spec.eval.games} games per reference and point, colours alternating, "
           + (f"each from {spec.eval.opening_moves} random opening moves (each opening played with both colours), "
              if spec.eval.opening_moves else "") + f"our net at "
           f"{spec.eval.sims} simulations with 10% root noise, never resigning; references "
           f"{', '.join(f'`{r}`' for r in spec.eval.references)}"
           if spec.eval.references else
           f"- evaluation: no fixed references (strength from the ladder below); our net at {spec.eval.sims} "
           f"simulations with 10% root noise, never resigning")
          + (f"; added after the runs (eval.extra_references: played by every evaluated checkpoint still on "
             f"disk, the same games and simulations) {', '.join(f'`{r}`' for r in spec.eval.extra_references)}"
             if spec.eval.extra_references else ""),
          "- arms (only what differs from the base):"]
    for arm in arms:
        warm = f", starting from `{spec.init[arm]}`" if arm in spec.init else ""
        if arm in spec.reuse:
            src_file, src_arm = spec.reuse_source(arm)
            warm += f"; the same runs as `{src_arm}` in `{src_file}` (checked identical), results taken from there"
        L.append(f"  - `{arm}`: `{json.dumps(spec.arms[arm])}`{warm}")
    L += ["", "## Runs", "", "| arm | seed | games | positions | SGD steps | FLOPs | minutes |", "|---|---|---|---|---|---|---|"]
    for (arm, seed), d in done.items():
        L.append(f"| {arm} | {seed} | {d['games']:,} | {d['positions']:,} | {d['steps']:,} | {d['flops']:.3g} | "
                 f"{d['seconds'] / 60:.1f}{' (resumed: last process only)' if d.get('resumed') else ''}"
                 f"{reused_note(d)} |")
    if not rows:
        L += ["", "No evaluation rows yet: run the evaluate stage."]
    for ref in refs:
        extra = ref in {reference_name(x) for x in spec.eval.extra_references}
        L += ["", f"## Strength against `{ref}` at matched FLOPs", "",
              "Score = (wins + draws/2) / games, seeds pooled, 95% Wilson interval (game level: it describes these "
              "nets, not the spread between training runs); per-seed scores in brackets. Differences are "
              "given twice: games pooled, and paired by seed (t-interval over seeds, exact sign-flip test), "
              "which is the one a claim about training rests on."
              + (" An extra reference (eval.extra_references), played after the runs by the checkpoints still on "
                 "disk: a seed missing from the brackets had none here." if extra else ""), "",
              "| arm | " + " | ".join(f"{g:.2g} FLOPs" for g in spec.grid()) + " |",
              "|---|" + "---|" * len(spec.grid())]
        for arm in arms:
            cells = []
            for p in summary["arms"][arm]["points"]:
                q = p[ref]
                cells.append("n/a" if not q.get("games") else
                             f"{q['score']:.2f} [{q['lo']:.2f}, {q['hi']:.2f}] ({', '.join(map(str, q['per_seed']))})")
            L.append(f"| {arm} | " + " | ".join(cells) + " |")
        at_edge = [arm for arm in arms if summary["arms"][arm]["points"][-1][ref].get("games")
                   and not 1 - SATURATED < summary["arms"][arm]["points"][-1][ref]["score"] < SATURATED]
        if at_edge:
            L += ["", f"**`{ref}` saturates at the budget for {', '.join(f'`{a}`' for a in at_edge)}** (a score of "
                  f"{SATURATED:.2f} or more, or {1 - SATURATED:.2f} or less): it cannot say how much stronger (or "
                  "weaker) that arm is; read differences involving it as bounds, not as effects."]
        L += ["", f"Difference from `{base}` at the budget (last point):", ""]
        b = summary["arms"][base]["points"][-1][ref]
        for arm in arms[1:]:
            a = summary["arms"][arm]["points"][-1][ref]
            if not a.get("games") or not b.get("games"):
                continue
            d, half, sig = difference(a, b)
            L.append(f"- `{arm}` - `{base}`: {d:+.3f} [{d - half:+.3f}, {d + half:+.3f}] ({sig}, games pooled); Elo "
                     f"{a['elo']:+.0f} vs {b['elo']:+.0f}; seed level: {seed_level(a, b)}")
        L += wins_by_colour(arms, rows, ref, len(spec.grid()) - 1)
    if rows:
        probe = loaded.config(arms[0], spec.seeds_of(arms[0])[0]).train.probe
        if spec.eval.probe:
            sha = probe_sha(loaded)
            last = [r for r in rows if r["point"] == len(spec.grid()) - 1]
            scored = sum(r.get("probe_sha256") == sha for r in last)
            where = (f"the shared probe set `{spec.eval.probe}` (eval.probe: every evaluated checkpoint scored on "
                     f"it after training, {scored} of {len(last)} at the budget): the same positions and labels "
                     f"for every arm and seed")
        elif probe:
            where = f"the shared probe set `{probe}`: the same positions and labels for every arm and seed"
        else:
            where = ("each run's own held-out games (no train.probe or eval.probe): NOT comparable across arms, "
                     "set one")
        L += ["", "## Accuracy apart from strength, at the budget", "", f"Probe: {where}. Ledger columns: "
              "docs/accounting.md (bits in the data counted once per label when self-play makes it; bits "
              "offered per gradient sample against the current net).", "",
              "| arm | probe policy CE (bits) | probe top-1 | probe value ECE | data policy bits/label | "
              "bits in data / FLOP | samples / FLOP | bits offered / sample | target entropy |",
              "|---|---|---|---|---|---|---|---|---|"]
        for arm in arms:
            p = summary["arms"][arm]["points"][-1]
            f = lambda k, s=".3g": f"{_fmt(p[k][0], s)} +- {_fmt(p[k][1], '.2g')}"
            summary["arms"][arm]["realized_probe_bits_per_flop"] = realized(summary["arms"][arm]["points"])
            L.append(f"| {arm} | {f('probe_policy_ce_bits', '.3f')} | {f('probe_top1', '.3f')} | "
                     f"{f('probe_value_ece', '.3f')} | {f('data_policy_bits_per_label')} | {f('data_bits_per_flop')} | "
                     f"{f('samples_per_flop')} | {f('bits_per_sample')} | {f('target_entropy', '.2f')} |")
        L += ["", "Realized bits on the probe (docs/accounting.md): the drop in policy + value cross-entropy per probe "
              "position from the first matched point to the budget, per FLOP spent in between (seed means):", ""]
        L += [f"- `{arm}`: {_fmt(summary['arms'][arm].get('realized_probe_bits_per_flop'))} bits per position per FLOP"
              for arm in arms]
        L += heads_table(spec, done)
        if refs:
            L += ["", f"## FLOPs to reach a score against `{refs[0]}`", "",
                  "FLOPs at the first matched point from which the arm's score (seeds pooled) stays at or above "
                  "the level at every later point; the grid is a factor of 2, so the figure is an upper bound "
                  "within a factor of 2; `*` when the 95% interval's lower end is above the level there too; "
                  f"`-` when the arm is below the level at the budget; ratio to `{base}`.", "",
                  "| arm | " + " | ".join(f"score >= {lv}" for lv in LEVELS) + " |",
                  "|---|" + "---|" * len(LEVELS)]
            for arm in arms:
                cells = []
                for lv in LEVELS:
                    t = summary["arms"][arm]["to_level"][str(lv)]
                    tb = summary["arms"][base]["to_level"][str(lv)]["flops"]
                    if t["flops"] is None:
                        cells.append("-")
                        continue
                    ratio = f", x{t['flops'] / tb:.2f}" if tb else ""
                    cells.append(f"{t['flops']:.2g}{'*' if t['confirmed'] else ''}{ratio}")
                L.append(f"| {arm} | " + " | ".join(cells) + " |")
    if spec.eval.ladder is not None:
        from ..eval.ladder_store import player
        from .ablation_ladder import _spec_path, store_path
        from .ladder_report import analyse, plot, section
        a = analyse(loaded, rows, store_path(report_dir), player(_spec_path(spec.eval.ladder.anchor, ROOT)).key)
        L += section(loaded, a)
        files += plot(loaded, a, report_dir)
        if a is not None:
            summary["ladder"] = a
            second = list(spec.arms)[1]
            m = a["multipliers"].get(second)
            if m is not None:  # the primary endpoint: the second arm against the first
                summary["flop_multiplier"] = {"arm": second, "versus": list(spec.arms)[0], "estimate": m["estimate"],
                                              "ci_low": m["ci_low"], "ci_high": m["ci_high"]}
                summary["flop_multiplier_parallel"] = {   # not pre-registered (ladder_report.section says so)
                    "arm": second, "versus": list(spec.arms)[0], **{k: m["parallel"][k] for k in
                                                                    ("estimate", "ci_low", "ci_high")}}
            summary["seeds"] = a["seeds"]
    L += match_summaries(report_dir, spec.name)
    if files:
        L += ["", "## Plots", ""] + [f"![{f}]({f})" for f in files]
    anchors = ("" if spec.eval.ladder is not None else   # the ladder section gives them beside its multipliers
               "Published anchors: KataGo reports 1.25x less compute to equal strength from forced playouts with "
               "policy-target pruning and 1.37x from playout-cap randomization; Expert Iteration (Hex) found soft "
               "and hard targets with nearly equal top-1 error but soft about 50 Elo stronger. ")
    L += ["", "## How to read it", "",
          anchors + "The score intervals above pool seeds and games; with a few seeds and tens of games per point "
          "only large differences are significant, and the report says so where they are not.", ""]
    L += reading(report_dir)
    path = report_dir / "report.md"
    atomic_write_bytes(path, "\n".join(L).encode())
    atomic_write_bytes(report_dir / "summary.json", json.dumps(summary, indent=1, default=str).encode())
    export_results(out, report_dir, done, cells_series)
    return path
