"""`alphago horizon`: the horizon axis of the soft-vs-hard study: what a sample costs and teaches as games get longer.

The seed's first claim: samples per FLOP fall as the horizon grows, and an outcome-only signal
(REINFORCE) is spread over more moves, while a per-move search target is not. Measured here
with the ledger (docs/accounting.md) on short runs that differ only in the board:

  every cell (board N, target kind, seed) is configs/5x5.yaml (--base) with `size: N`, the board's fair
  komi (go/rules.py fair_komi: 5x5 24.5, 7x7 9, 9x9 7), a move cap of 3 N^2 and `train.target: KIND` (plus
  what the kind needs from the search: Gumbel for `gumbel`, forced playouts for `pruned`): the
  same net, search and schedule, run Ray-free (run.local.run_local) to the same FLOP budget.

Per cell, from the run's own metrics at the budget: mean game length (moves), positions per
FLOP, training samples per FLOP, policy bits in the data per label and per FLOP, outcome bits
per game and per position (the REINFORCE signal a position shares), offered bits per sample.
Not strength: short runs measure the information economics, the ablations measure what it buys.

Outputs: OUT/N/KIND/seedS (runs, resumable: a finished cell leaves done.json with its
fingerprint: a hash of its config and budget), REPORT_DIR/report.md, horizon.png, summary.json,
cells.json (every cell's done.json: committed with the report, a fresh clone restores the cells
whose fingerprint still matches instead of running them again) and, kept across regenerations,
a hand-written reading.md.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

from ..data.records import atomic_write_bytes
from ..data.jsonl import read_json, write_json
from .cells import committed, config_blob, fingerprint as hash_blob, read_done, restorable, write_done

ROOT = Path(__file__).resolve().parents[2]


def cell_config(size: int, kind: str, seed: int, base: Path = ROOT / "configs" / "5x5.yaml"):
    """The run config of one cell (module docstring)."""
    import yaml

    from ..config import build, Config
    from ..go.rules import fair_komi
    from ..mcts.targets import TARGETS
    data = yaml.safe_load(base.read_text())
    data["size"] = size
    data.setdefault("rules", {}).update(komi=fair_komi(size), max_moves=3 * size * size)
    data.setdefault("train", {})["target"] = kind
    data["train"].pop("probe", None)  # the shared probe set is for one board size
    t = TARGETS[kind]
    if t.search_kind:
        data.setdefault("search", {})["kind"] = t.search_kind
    if t.needs_forced_playouts:
        data.setdefault("search", {})["forced_playouts"] = True
    data.setdefault("run", {}).update(seed=seed, total_games=10 ** 7, eval_every=0)
    return build(Config, data)


def cell_key(size: int, kind: str, seed: int) -> str:
    return f"{size}x{size}/{kind}/seed{seed}"


def cell_dir(out: str | Path, size: int, kind: str, seed: int) -> Path:
    return Path(out) / cell_key(size, kind, seed)


def fingerprint(size: int, kind: str, seed: int, budget: float, base: str) -> str:
    """What a cell's figures depend on: its run config and the FLOP budget, hashed."""
    return hash_blob({"config": config_blob(json.loads(cell_config(size, kind, seed, Path(base)).to_json())),
                      "budget": budget})


def finished(size: int, kind: str, seed: int, budget: float, out: str, base: str) -> dict | None:
    """The cell's done.json row when it finished with these settings; None when it has not finished;
    ValueError when OUT holds it run with other settings (another budget or base: another --out)."""
    done = cell_dir(out, size, kind, seed) / "done.json"
    if (row := read_done(done)) is None:
        return None
    fp = row.get("fingerprint")
    if fp != fingerprint(size, kind, seed, budget, base) and (fp is not None or row.get("flops", 0) < budget):
        raise ValueError(f"{done.parent} was run with other settings (budget or base config) than "
                         f"{budget:g} FLOPs and {base}: give this run another --out")
    return row


def restore(cells: list[tuple], out: str, report_dir: Path, log=print) -> int:
    """Cells OUT has not finished whose row in REPORT_DIR/cells.json (committed) has the same
    fingerprint: their done.json is written from it (restored_from) and they are not run again."""
    path = report_dir / "cells.json"
    if not path.exists():
        return 0
    wanted = [(cell_key(size, kind, seed), fingerprint(size, kind, seed, budget, base))
              for size, kind, seed, budget, _, base in cells]
    found = restorable(read_json(path), wanted, report_dir, is_done=lambda k: (Path(out) / k / "done.json").exists())
    for key, row in found:
        write_done(Path(out) / key / "done.json", row)
    n = len(found)
    if n:
        log(f"horizon: {n} finished cells restored from {path} (not run again)")
    return n


def run_cell(size: int, kind: str, seed: int, budget: float, out: str, base: str, threads: int = 1) -> dict:
    from ..run.local import run_local
    run_dir = cell_dir(out, size, kind, seed)
    row = finished(size, kind, seed, budget, out, base)
    if row is not None:
        return row
    resume = (run_dir / "checkpoints" / "latest.pt").exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    s = run_local(cell_config(size, kind, seed, Path(base)), run_dir, resume=resume, max_flops=budget, threads=threads)
    row = {"size": size, "kind": kind, "seed": seed, "games": s.games, "positions": s.positions,
           "steps": s.steps, "flops": s.flops, "seconds": s.seconds, "budget": budget,
           "fingerprint": fingerprint(size, kind, seed, budget, base), **cell_measures(run_dir)}
    write_done(run_dir / "done.json", row)
    return row


def cell_measures(run_dir: Path) -> dict:
    """The ledger's figures at the end of a run, and its games' mean length (selfplay health rows)."""
    from ..run.plot import read_metrics
    rows = read_metrics(run_dir)
    train = rows["train"]
    if not train:
        raise ValueError(f"{run_dir}: no training rows in metrics.jsonl")
    last = train[-1]
    health = [r for r in rows["selfplay"] if r.get("health_games")]
    games = sum(r["health_games"] for r in health)
    length = sum(r["health_games"] * r["health_game_length"] for r in health) / games if games else math.nan
    flops = float(last["flops"])
    value_per_game = float(last.get("data_value_bits_per_game", math.nan))
    return {
        "game_length": length,
        "positions_per_flop": last["positions"] / flops if "positions" in last else math.nan,
        "samples_per_flop": last["samples_per_flop"],
        "data_policy_bits_per_label": last["data_policy_bits_per_label"],
        "data_policy_bits_per_flop": last["data_policy_bits"] / flops,
        "data_bits_per_flop": last["data_bits_per_flop"],
        "outcome_bits_per_game": value_per_game,
        "outcome_bits_per_position": value_per_game / length if length else math.nan,
        "bits_per_sample": last["bits_per_sample"],
        "bits_per_flop": last["bits_per_flop"],
    }


def ratio_table(cells: list[dict], key: str = "data_policy_bits_per_flop", base: str = "reinforce") -> list[str]:
    """Markdown lines: per board, each kind's KEY over `base`'s, per seed (paired: the same seed's cells)
    and their mean, the seeds' spread being the interval a reader can judge (three seeds give no
    useful t-interval). Empty without `base` cells."""
    by = {(c["size"], c["kind"], c["seed"]): c[key] for c in cells}
    kinds = sorted({c["kind"] for c in cells} - {base})
    lines = []
    for n in sorted({c["size"] for c in cells}):
        for k in kinds:
            r = [by[(n, k, s)] / by[(n, base, s)] for s in sorted({c["seed"] for c in cells})
                 if (n, k, s) in by and (n, base, s) in by and by[(n, base, s)] > 0]
            if r:
                lines.append(f"| {n}x{n} | {k} | {len(r)} | {sum(r) / len(r):.3g} | {min(r):.3g} - {max(r):.3g} | "
                             f"{', '.join(f'{x:.3g}' for x in r)} |")
    if not lines:
        return []
    return [f"{key.replace('_', ' ')} of each target over `{base}`'s (the outcome signal alone), paired by seed:", "",
            "| board | target | seeds | mean ratio | range | per seed |", "|---|---|---|---|---|---|", *lines, ""]


def write_report(cells: list[dict], report_dir: Path, budget: float, command: str, total: int | None = None) -> Path:
    """REPORT_DIR/report.md, summary.json (per board and kind: means over seeds, `KEY_sd` their
    standard deviation, `seeds`), horizon.png and cells.json. total: the cells the command names, when
    only some have finished (--report-only on a run cut short): the report says so."""
    import platform

    import numpy as np
    report_dir.mkdir(parents=True, exist_ok=True)
    groups: dict[tuple[int, str], list[dict]] = {}
    for c in cells:
        groups.setdefault((c["size"], c["kind"]), []).append(c)
    keys = ["game_length", "positions_per_flop", "samples_per_flop", "data_policy_bits_per_label",
            "data_policy_bits_per_flop", "outcome_bits_per_game", "outcome_bits_per_position", "bits_per_sample"]
    summary = {f"{n}x{n}/{k}": {key: float(np.nanmean([c[key] for c in cs])) for key in keys}
               | {f"{key}_sd": float(np.std([c[key] for c in cs], ddof=1)) if len(cs) > 1 else 0.0 for key in keys}
               | {"seeds": len(cs)}
               for (n, k), cs in sorted(groups.items())}
    write_json(report_dir / "summary.json", summary)
    L = [f"# The horizon axis: {', '.join(sorted({f'{n}x{n}' for n, _ in groups}))}", "",
         f"Generated by `{command}` on {time.strftime('%Y-%m-%d')}, {platform.machine()} "
         f"{__import__('os').cpu_count()} cores. Every cell: configs/5x5.yaml's net, search and schedule on the "
         f"board named, at its fair komi, to {budget:.3g} FLOPs (self-play + training); means over seeds "
         f"(+- their standard deviation where there are several).", ""]
    if total is not None and total > len(cells):
        L += [f"**Partial: {len(cells)} of the {total} cells the command names have finished** (a run cut short, "
              f"reported with --report-only); rerunning the command runs the others and rewrites this report.", ""]
    L += ["| board | target | seeds | moves/game | positions/FLOP | samples/FLOP | data policy bits/label | "
          "data policy bits/FLOP | outcome bits/game | outcome bits/position | offered bits/sample |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    def pm(s: dict, key: str, fmt: str) -> str:
        return format(s[key], fmt) + (f" +- {s[key + '_sd']:.2g}" if s["seeds"] > 1 else "")
    for name, s in summary.items():
        n, k = name.split("/")
        L.append(f"| {n} | {k} | {s['seeds']} | {pm(s, 'game_length', '.1f')} | {s['positions_per_flop']:.3g} | "
                 f"{s['samples_per_flop']:.3g} | {pm(s, 'data_policy_bits_per_label', '.3g')} | "
                 f"{pm(s, 'data_policy_bits_per_flop', '.3g')} | {s['outcome_bits_per_game']:.3g} | "
                 f"{s['outcome_bits_per_position']:.3g} | {pm(s, 'bits_per_sample', '.3g')} |")
    L += ["", "How to read it: positions/FLOP falls with the board's area twice over (each position costs more "
          "network FLOPs, and a game needs more positions); a per-move search label keeps its bits per label, so "
          "its bits per FLOP fall only with the cost per position, while the outcome's at most one bit per game "
          "is shared by more positions (outcome bits/position), which is all REINFORCE has "
          "(its data policy bits are the outcome's, docs/accounting.md).", ""]
    L += ratio_table(cells)
    L += ["![horizon](horizon.png)"]
    try:
        from ..figures import figure, label, log_axis, pyplot, save, suptitle
        plt = pyplot()
        fig, axes = figure(plt, 1, 2, panel=(5.6, 4.2))
        axes = axes[0]
        panels = (("data_policy_bits_per_flop", "policy bits in the data per FLOP", "policy bits in the data (bits/FLOP)"),
                  ("samples_per_flop", "training samples per FLOP", "training samples (samples/FLOP)"))
        boards = sorted({n for n, _ in groups})
        for kind in sorted({k for _, k in groups}):
            pts = sorted((s["game_length"], s) for name, s in summary.items() if name.endswith("/" + kind))
            xs = [p[0] for p in pts]
            for ax, (key, _, _) in zip(axes, panels):
                ax.plot(xs, [p[1][key] for p in pts], "o-", label=kind)
        for ax, (key, title, ylabel) in zip(axes, panels):
            for n in boards:  # the board beside its cluster of points (one per target kind)
                here = [s for name, s in summary.items() if name.startswith(f"{n}x{n}/")]
                ax.annotate(f"{n}x{n}", (float(np.mean([s["game_length"] for s in here])), max(s[key] for s in here)),
                            xytext=(0, 7), textcoords="offset points", ha="center", fontsize=9, fontweight="bold")
            log_axis(ax, "y")
            ax.margins(x=0.08, y=0.12)
            label(ax, "moves per game (mean over seeds)", ylabel, title)
            ax.legend(title="target", fontsize=8)
        suptitle(fig, f"boards {', '.join(f'{n}x{n}' for n in boards)}: one point per board and target, at "
                      f"{budget:.3g} FLOPs per cell")
        save(plt, fig, report_dir / "horizon.png", dpi=110)
    except ImportError:
        L.append("(matplotlib not installed: no plot)")
    from .ablation_report import reading
    L += reading(report_dir)
    write_json(report_dir / "cells.json", {cell_key(c["size"], c["kind"], c["seed"]): committed(c) for c in cells})
    path = report_dir / "report.md"
    atomic_write_bytes(path, ("\n".join(L) + "\n").encode())
    return path


def main(args: argparse.Namespace) -> int:
    from ..mcts.targets import TARGET_KINDS
    bad = [k for k in args.kinds if k not in TARGET_KINDS]
    if bad or any(not 2 <= n <= 19 for n in args.sizes) or not args.budget > 0:
        raise SystemExit(f"alphago horizon: kinds must be among {TARGET_KINDS}, sizes 2..19, budget > 0 "
                         f"(got kinds {args.kinds}, sizes {args.sizes}, budget {args.budget})")
    out = Path(args.out)
    calls = [(n, k, s, args.budget, str(out), str(args.base)) for s in args.seeds for n in args.sizes for k in args.kinds]
    restore(calls, str(out), Path(args.report_dir), log=lambda m: print(m, flush=True))
    cells = []
    if args.report_only:  # the finished cells only: a report of a run still going or cut short
        try:
            cells = [r for r in (finished(*c) for c in calls) if r is not None]
        except ValueError as exc:
            raise SystemExit(f"alphago horizon: {exc}")
        print(f"horizon: {len(cells)} of {len(calls)} cells finished")
        if not cells:
            return 1
    elif args.jobs <= 1:
        for c in calls:
            cells.append(run_cell(*c, threads=args.threads))
            print(f"horizon: {c[0]}x{c[0]} {c[1]} seed {c[2]} done", flush=True)
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("spawn")) as pool:
            for c, row in zip(calls, pool.map(run_cell, *zip(*calls))):
                cells.append(row)
                print(f"horizon: {c[0]}x{c[0]} {c[1]} seed {c[2]} done", flush=True)
    command = (f"alphago horizon --sizes {' '.join(map(str, args.sizes))} --kinds {' '.join(args.kinds)} "
               f"--budget {args.budget:g} --seeds {' '.join(map(str, args.seeds))}")
    for flag, value, default in (("--base", args.base, DEFAULTS["base"]), ("--out", args.out, DEFAULTS["out"]),
                                 ("--report-dir", args.report_dir, DEFAULTS["report_dir"])):
        if Path(value).resolve() != Path(default).resolve():  # where this run's files are: part of rerunning it
            command += f" {flag} {_rel(value)}"
    print(f"report: {write_report(cells, Path(args.report_dir), args.budget, command, total=len(calls))}")
    return 0


DEFAULTS = {"base": str(ROOT / "configs" / "5x5.yaml"), "out": str(ROOT / "runs" / "horizon"),
            "report_dir": str(ROOT / "docs" / "results" / "horizon")}


def _rel(path: str) -> str:
    """A path as the report's command gives it: from the repo root when it is inside the repo."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def add_parser(sub) -> None:
    p = sub.add_parser("horizon", help="the horizon axis: samples/FLOP and bits/sample per target kind "
                                       "as the board (and games) grow")
    p.add_argument("--sizes", type=int, nargs="+", default=[5, 7, 9])
    p.add_argument("--kinds", nargs="+", default=["visits", "action", "reinforce"])
    p.add_argument("--budget", type=float, default=2e12, help="FLOPs per cell (self-play + training)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--base", default=DEFAULTS["base"],
                   help="the config every cell starts from (its net, search and schedule)")
    p.add_argument("--out", default=DEFAULTS["out"])
    p.add_argument("--report-dir", default=DEFAULTS["report_dir"])
    p.add_argument("--jobs", type=int, default=1, help="cells at a time (processes, one thread each)")
    p.add_argument("--threads", type=int, default=1, help="threads of a cell when --jobs 1")
    p.add_argument("--report-only", action="store_true",
                   help="run nothing: report the cells that have finished (a run still going or cut short)")
    p.set_defaults(func=main)
