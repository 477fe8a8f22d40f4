"""docs/results/NAME/report.md and its plots for `alphago distill` (experiments/distill.py): held-out
accuracy and strength of students against the number of distinct labelled positions, one line per
label, pooled over seeds with intervals; the bits each label carries and offers."""
from __future__ import annotations

import datetime
import json
import math
import os
import platform
from pathlib import Path

import numpy as np

from ..data.records import atomic_write_bytes
from ..data.jsonl import read_json, write_jsonl
from .cells import committed
from .ablation_report import reading
from .stats import difference, mean_sd, pooled
from .distill_spec import DistillSpec, finished_cells
from .plots import _pyplot

METRICS = (("test_policy_kl_bits", "KL(teacher || student) (bits/position)", "held-out KL from the teacher's visits"),
           ("test_top1", "top-1 agreement (fraction of positions)", "held-out top-1 agreement with the teacher"),
           ("test_value_ce_bits", "value cross-entropy (bits/position)", "held-out value cross-entropy"))


def read_cells(out: Path) -> list[dict]:
    return list(finished_cells(out / "cells.jsonl").values())


def ref_names(rows: list[dict]) -> list[str]:
    names = []
    for r in rows:
        for k in r:
            if k.startswith("eval_") and k.endswith("_games") and k[5:-6] not in names:
                names.append(k[5:-6])
    return names


def table(spec: DistillSpec, rows: list[dict]) -> dict:
    """{(label, n): {metric: (mean, sd), ref: pooled}} over seeds."""
    refs = ref_names(rows)
    out = {}
    for lab in spec.labels:
        for n in spec.positions:
            cell = [r for r in rows if r["label"] == lab and r["positions"] == n]
            if not cell:
                continue
            d = {k: mean_sd([r[k] for r in cell]) for k in
                 ("test_policy_kl_bits", "test_policy_ce_bits", "test_top1", "test_value_ce_bits", "label_entropy_bits",
                  "offered_bits_first", "offered_bits_mean", "offered_bits_last100", "realized_bits")}
            d["seeds"] = len(cell)
            d["positions_used"] = cell[0]["positions_used"]
            for ref in refs:
                d[ref] = pooled(cell, ref)
            out[(lab, n)] = d
    return out


def positions_to_match(spec: DistillSpec, tab: dict, label: str, against: str = "hard") -> int | None:
    """The fewest positions at which `label`'s mean held-out KL is at or below `against`'s at the
    largest pool: how many labelled positions the label needs to do what the other does with all."""
    best = tab.get((against, spec.positions[-1]))
    if best is None:
        return None
    for n in spec.positions:
        d = tab.get((label, n))
        if d and d["test_policy_kl_bits"][0] <= best["test_policy_kl_bits"][0]:
            return n
    return None


def positions_to_score(spec: DistillSpec, tab: dict, label: str, ref: str, against: str = "hard") -> int | None:
    """The fewest positions at which `label`'s pooled score against `ref` is at or above `against`'s
    at the largest pool (point estimates; the difference table gives the intervals)."""
    best = tab.get((against, spec.positions[-1]), {}).get(ref, {})
    if not best.get("games"):
        return None
    for n in spec.positions:
        p = tab.get((label, n), {}).get(ref, {})
        if p.get("games") and p["score"] >= best["score"]:
            return n
    return None


def plots(spec: DistillSpec, tab: dict, refs: list[str], report_dir: Path) -> list[str]:
    """distill.png: the held-out metrics on the first row (mean +- sd over seeds), the strength against
    each reference below, labels in panels of at most three bands (each repeats the first label); one
    colour per label throughout, one legend for the figure."""
    from .plots import (band_groups, figure, figure_legend, label, log_axis, reference_order, reference_title,
                        save, score_label, suptitle)
    plt = _pyplot()
    color = {lab: f"C{i}" for i, lab in enumerate(spec.labels)}
    groups = band_groups(spec.labels)
    strength = [(ref, g) for ref in reference_order(refs) for g in groups]
    ncols = max(len(METRICS), min(len(strength), len(METRICS)))
    nrows = 1 + math.ceil(len(strength) / ncols)
    fig, axes = figure(plt, nrows, ncols, panel=(4.8, 3.6))
    flat = list(axes.flat)
    for ax in flat[len(METRICS):ncols] + flat[ncols + len(strength):]:
        ax.set_visible(False)
    for ax, (key, ylabel, title) in zip(flat, METRICS):
        for lab in spec.labels:
            xs = [n for n in spec.positions if (lab, n) in tab]
            m = [tab[(lab, n)][key][0] for n in xs]
            sd = [tab[(lab, n)][key][1] for n in xs]
            ax.errorbar(xs, m, yerr=sd, marker="o", capsize=3, color=color[lab], label=lab)
        log_axis(ax, "x")
        label(ax, "distinct labelled positions", ylabel, f"{title} (mean ± sd over seeds)")
    for ax, (ref, group) in zip(flat[ncols:], strength):
        for lab in group:
            xs = [n for n in spec.positions if (lab, n) in tab]
            keep = [(x, tab[(lab, x)][ref]) for x in xs if tab[(lab, x)][ref].get("games")]
            if not keep:
                continue
            x = [k[0] for k in keep]
            ax.plot(x, [p["score"] for _, p in keep], marker="o", color=color[lab], label=lab)
            ax.fill_between(x, [p["lo"] for _, p in keep], [p["hi"] for _, p in keep], color=color[lab], alpha=0.15)
        log_axis(ax, "x")
        ax.set_ylim(-0.02, 1.02)
        label(ax, "distinct labelled positions", score_label(ref),
              f"vs {reference_title(ref)}: {', '.join(group)} (95% interval, seeds pooled)")
    figure_legend(fig, flat)
    suptitle(fig, f"students of {spec.teacher}, equal training FLOPs, by the number of labelled positions")
    name = "distill.png"
    save(plt, fig, report_dir / name, dpi=110)
    return [name]


def _f(x, spec=".3f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, spec)


def rank_correlation(a, b) -> float:
    """Spearman's rho: Pearson's correlation of the ranks (ties share their mean rank); nan when a
    side is constant."""
    def ranks(x):
        x = np.asarray(x, float)
        r = np.empty(len(x))
        r[x.argsort(kind="mergesort")] = np.arange(len(x))
        for v in np.unique(x):
            r[x == v] = r[x == v].mean()
        return r
    ra, rb = ranks(a), ranks(b)
    if len(ra) < 3 or ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def top1_and_strength(spec: DistillSpec, rows: list[dict], ref: str) -> list[str]:
    """Per pool size, over its cells (every label and seed): Spearman's rho between held-out top-1
    agreement and the score against REF, and the student's wins by colour (where only one colour
    wins, the reference is beaten by exact play on one side, which top-1 measures)."""
    L = [f"## Top-1 agreement and strength against `{ref}`, by pool size", "",
         "Spearman's rank correlation over the cells of one pool size (every label and seed) between held-out top-1 "
         "agreement and the score; the students' wins as Black and as White.", "",
         "| positions | cells | rho(top-1, score) | rho(held-out KL, score) | wins as Black | wins as White | games |",
         "|---|---|---|---|---|---|---|"]
    for n in spec.positions:
        cs = [r for r in rows if r["positions"] == n and r.get(f"eval_{ref}_games")]
        if not cs:
            continue
        score = [r[f"eval_{ref}_score"] for r in cs]
        L.append(f"| {n:,} | {len(cs)} | {_f(rank_correlation([r['test_top1'] for r in cs], score), '+.2f')} | "
                 f"{_f(rank_correlation([r['test_policy_kl_bits'] for r in cs], score), '+.2f')} | "
                 f"{sum(r.get(f'eval_{ref}_black_wins', 0) for r in cs)} | "
                 f"{sum(r.get(f'eval_{ref}_white_wins', 0) for r in cs)} | {sum(r[f'eval_{ref}_games'] for r in cs)} |")
    return L + [""]


def write_report(spec: DistillSpec, out: Path, report_dir: Path, command: str) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    rows = read_cells(out)
    info = read_json(out / "teacher.json", {})
    tab = table(spec, rows)
    refs = ref_names(rows)
    files = plots(spec, tab, refs, report_dir) if rows else []
    order = {c: i for i, c in enumerate(spec.cells())}  # the file's order, not the order cells finished in
    by_cell = sorted(rows, key=lambda r: order.get((r["label"], r["positions"], r["seed"]), len(order)))
    write_jsonl(report_dir / "cells.jsonl", [committed(r) for r in by_cell])
    (report_dir / "spec.json").write_text((out / "spec.json").read_text() if (out / "spec.json").exists() else "{}")
    if (out / "teacher.json").exists():  # the labelling run's figures: a restored report states them too
        (report_dir / "teacher.json").write_text((out / "teacher.json").read_text())
    L = [f"# Distillation `{spec.name}`: soft vs hard labels from one teacher", "",
         f"Generated by `{command}` on {datetime.date.today().isoformat()}, {platform.machine()} {os.cpu_count()} "
         f"cores ({platform.processor() or platform.platform()}), no GPU. Cells: {len(rows)} of {len(spec.cells())}; "
         f"student training and evaluation {sum(r.get('wall_s', 0) for r in rows) / 60:.1f} min (sum over cells).", "", "## Settings", "",
         f"- teacher `{spec.teacher}`, noise-free search of {spec.teacher_sims} simulations on every move, first "
         f"{spec.temperature_moves} moves sampled from its visits; {info.get('games', '?')} games "
         f"({info.get('positions', '?')} positions, mean length {_f(info.get('mean_game_length'), '.1f')}) for the "
         f"training pool, {info.get('test_games', '?')} further games ({info.get('test_positions', '?')} positions) "
         f"held out; labelling cost {_f(info.get('labelling_flops'), '.3g')} FLOPs",
         f"- labels: {', '.join(f'`{x}`' for x in spec.labels)} (hard = the most visited move; soft:T = visits^(1/T), "
         "normalised); value target: the game's outcome, the same for every label",
         f"- students: zero initialisation, `{json.dumps(rows[0]['student_net']) if rows else spec.student}`; "
         f"{spec.steps} SGD steps of {spec.batch_size} (momentum 0.9, cosine learning rate from {spec.lr}), 8 symmetries, "
         "on the first n positions of the pool; "
         f"{_f(rows[0]['train_flops'] if rows else None, '.3g')} training FLOPs per student, the same for every cell",
         f"- seeds {list(spec.seeds)} (initialisation and batch order)",
         "- evaluation: held-out positions (KL and cross-entropy against the teacher's visit distribution, top-1 "
         "agreement with its most visited move, value cross-entropy against the outcome)"
         + (f"; {spec.eval.games} games per student against {', '.join(f'`{r}`' for r in spec.eval.references)}, "
            f"student at {spec.eval.sims} simulations with 10% root noise, colours alternating"
            if spec.eval.games else ""), ""]
    L += ["## Results", "", "Means over seeds (+- sd); scores pooled over seeds with 95% Wilson intervals.", ""]
    head = "| label | positions | label entropy | offered bits (first step / mean) | held-out KL | top-1 | value CE |"
    sep = "|---|---|---|---|---|---|---|"
    for ref in refs:
        head += f" vs {ref} |"
        sep += "---|"
    L += [head, sep]
    for (lab, n), d in tab.items():
        used = "" if d["positions_used"] == n else f" ({d['positions_used']:,} in pool)"
        line = (f"| {lab} | {n:,}{used} | "
                f"{_f(d['label_entropy_bits'][0], '.2f')} | {_f(d['offered_bits_first'][0], '.2f')} / "
                f"{_f(d['offered_bits_mean'][0], '.2f')} | {_f(d['test_policy_kl_bits'][0])} +- "
                f"{_f(d['test_policy_kl_bits'][1])} | {_f(d['test_top1'][0])} | {_f(d['test_value_ce_bits'][0])} |")
        for ref in refs:
            p = d[ref]
            line += (f" {p['score']:.2f} [{p['lo']:.2f}, {p['hi']:.2f}] ({p['games']}) |" if p.get("games") else " |")
        L.append(line)
    L += [""]
    if "hard" in spec.labels:
        for ref in refs:
            L += [f"## Strength against `{ref}`: difference from `hard`", "",
                  "Pooled score of the label minus that of `hard` with the same number of positions, 95% interval "
                  "sqrt(se1^2 + se2^2).", "",
                  "| label | " + " | ".join(f"{n:,}" for n in spec.positions) + " |",
                  "|---|" + "---|" * len(spec.positions)]
            for lab in spec.labels:
                if lab == "hard":
                    continue
                cells = []
                for n in spec.positions:
                    a, b = tab.get((lab, n), {}).get(ref, {}), tab.get(("hard", n), {}).get(ref, {})
                    if not a.get("games") or not b.get("games"):
                        cells.append("n/a")
                        continue
                    d, half, sig = difference(a, b)
                    cells.append(f"{d:+.2f} [{d - half:+.2f}, {d + half:+.2f}]{' *' if sig == 'significant' else ''}")
                L.append(f"| {lab} | " + " | ".join(cells) + " |")
            L += ["", "`*`: the interval excludes 0 (significant at 5%, one comparison; with "
                  f"{(len(spec.labels) - 1) * len(spec.positions)} comparisons per table about one in twenty such "
                  "marks is expected by chance when nothing differs).", ""]
        L += ["## Positions needed", "",
              f"The fewest labelled positions at which a label does what `hard` does with {spec.positions[-1]:,}: "
              "held-out KL at or below `hard`'s (means over seeds; a difference within the seeds' sd is not a "
              "difference)" + "".join(f"; pooled score against `{ref}` at or above `hard`'s" for ref in refs) + ".", "",
              "| label | by held-out KL |" + "".join(f" by score vs {ref} |" for ref in refs),
              "|---|---|" + "---|" * len(refs)]
        def _n(n):
            return f"{n:,}" if n else f"not within {spec.positions[-1]:,}"
        for lab in spec.labels:
            if lab != "hard":
                L.append(f"| `{lab}` | {_n(positions_to_match(spec, tab, lab))} |"
                         + "".join(f" {_n(positions_to_score(spec, tab, lab, ref))} |" for ref in refs))
        L.append("")
    for ref in refs:
        L += top1_and_strength(spec, rows, ref)
    L += ["## How to read it", "",
          "- *Label entropy* is H(label): 0 for a hard label; for a soft one, how much of the teacher's ranking of "
          "the other moves it passes on (Hinton's \"dark knowledge\"). *Offered bits* are KL(label || student) per gradient sample from the trainer's ledger "
          "(DESIGN.md section 4): what the label tells the student that it does not yet know; the first step's "
          "figure is against the untrained student.",
          "- Held-out KL is measured against the teacher's visit distribution (soft:1), so it favours soft:1 "
          "by construction as a *fit*; top-1 agreement and the games are the label-neutral measures.",
          "- Every cell costs the same training FLOPs; cells differ only in the label and the number of distinct "
          "positions (a small pool is replayed more often), so the x axis is labelled positions, i.e. labelling "
          "compute.", ""]
    for f in files:
        L += [f"![{f}]({f})", ""]
    L += ["## Reproduce", "", "```bash", command, "```", ""]
    L += reading(report_dir)
    path = report_dir / "report.md"
    atomic_write_bytes(path, "\n".join(L).encode())
    return path
