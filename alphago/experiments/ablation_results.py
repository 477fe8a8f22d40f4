"""An ablation's results on disk, and moving them between places.

OUT (runs/ablate/NAME) holds what the stages write as they go: runs/ARM/seedS/ (a cell's run
directory; done.json once it reached the budget) and evaluations.jsonl (one line per cell and
matched point). REPORT_DIR (docs/results/NAME, committed) holds the report and, beside it, the raw
results it was made from:

    cells.json          {"ARM/seedS": done.json of the cell}; each carries its `fingerprint`
    evaluations.jsonl   the evaluation rows
    series.json         {"ARM/seedS": {key: [value or null]}}: the cell's training rows thinned to
                        SERIES_ROWS, as columns: the ledger series the bits plot draws (a run
                        directory is too large to commit)

Two ways results come back without training again:
  reuse    another ablation's arm that is the same runs (ablation_spec.check_reuse says so from the
           configs; the warm start's bytes are checked here against the hash its cells recorded)
  restore  this ablation's own committed results, on a fresh clone or after OUT was lost: a cell
           whose committed fingerprint (its config, budget, matched points, evaluation and warm
           start's bytes) equals the one the current file gives it is taken as finished.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..data.jsonl import append_jsonl, read_json, read_jsonl, write_json, write_jsonl
from .cells import committed, config_blob, file_sha256, fingerprint, restorable, write_done

if TYPE_CHECKING:
    from ..net.io import CheckpointMeta
    from .ablation_spec import LoadedAblation

ROOT = Path(__file__).resolve().parents[2]
SERIES_ROWS = 150          # training rows kept per cell in series.json (evenly spaced, the last kept)
SERIES_KEYS = ("flops", "samples_per_flop", "bits_per_sample", "bits_per_flop", "data_bits_per_flop",
               "data_policy_bits_per_label", "target_entropy")


def cell_dir(out: Path, arm: str, seed: int) -> Path:
    return out / "runs" / arm / f"seed{seed}"


# Keys added after cells were committed, with the value that means "as before the key existed": a
# cell with that value hashes as it did, so committed results still restore (a key added without an
# entry here retrains every committed ablation)
EVAL_KEYS_ADDED = (("opening_moves", 0), ("point_ratio", 2.0))  # the run config's: cells.CONFIG_KEYS_ADDED


def cell_fingerprint(loaded: LoadedAblation, arm: str, seed: int, root: str | Path = ROOT) -> str:
    """What a cell's results depend on, hashed: its run config, the budget, the matched points, the
    evaluation and the warm start's bytes (absent file: 'missing', which matches nothing trained)."""
    spec = loaded.spec
    init = loaded.init(arm, root)
    start = None if init is None else (file_sha256(init) if Path(init).exists() else "missing")
    # eval.probe, eval.extra_references and eval.ladder are left out: they change neither the run nor the games
    # against eval.references, only add figures to the rows (probe scores carry the probe file's hash,
    # probe_sha256, so that another file's scores are not read as its)
    ev = {k: v for k, v in asdict(spec.eval).items() if k not in ("probe", "extra_references", "ladder")}
    for key, neutral in EVAL_KEYS_ADDED:  # how every cell before the key existed was evaluated: same hash
        if ev[key] == neutral:
            del ev[key]
    config = config_blob(json.loads(loaded.config(arm, seed).to_json()))
    return fingerprint({"config": config, "budget": spec.budget_flops,
                        "grid": spec.grid(), "eval": ev, "init_sha256": start})


def probe_path(loaded: LoadedAblation, root: str | Path = ROOT) -> Path | None:
    """eval.probe's file (a path from the repo root), or None without eval.probe."""
    p = loaded.spec.eval.probe
    return None if p is None else (Path(p) if Path(p).is_absolute() else Path(root) / p)


def probe_sha(loaded: LoadedAblation) -> str | None:
    """The hash of eval.probe's file (None without eval.probe; 'missing' when the file is not here)."""
    p = probe_path(loaded)
    return None if p is None else (file_sha256(p) if p.exists() else "missing")


def read_eval_rows(path: Path) -> list[dict]:
    """The whole lines of an evaluations.jsonl, in file order (a line cut short by a crash is
    skipped: that point is evaluated again)."""
    return [r for r in read_jsonl(path) if {"arm", "seed", "point"} <= set(r)]


def evaluated_points(path: Path) -> set[tuple[str, int, int]]:
    """(arm, seed, point) of every whole line of an evaluations.jsonl."""
    return {(r["arm"], r["seed"], r["point"]) for r in read_eval_rows(path)}


write_eval_rows = write_jsonl  # replace an evaluations.jsonl, atomically (a crash leaves the old file)
append_rows = append_jsonl     # whole lines: a torn last line is skipped by the readers


def _source_file(name: str, filename: str, roots: list[Path]) -> Path | None:
    """A reused ablation's result file: its committed copy (docs/results/NAME/) or its run output."""
    for r in roots:
        p = r / name / filename
        if p.exists():
            return p
    return None


def import_reused(loaded: LoadedAblation, out: Path, roots: list[Path] | None = None,
                  log: Callable[[str], None] = print) -> None:
    """For every arm in the file's `reuse`: the source ablation's finished cells (done.json, from its
    cells.json) and evaluation rows, copied into OUT under this arm's name, marked reused_from.
    Idempotent; FileNotFoundError when the source's results are not on disk (run that ablation
    first) or its cells started from other warm-start bytes than this arm's init file holds."""
    from .ablation_spec import check_reuse
    spec = loaded.spec
    roots = (roots or []) + [ROOT / "docs" / "results", ROOT / "runs" / "ablate"]
    path = out / "evaluations.jsonl"
    have = evaluated_points(path)
    for arm, src in spec.reuse.items():
        other, src_arm = check_reuse(loaded, arm, src, ROOT)
        start = loaded.init(arm, ROOT)
        start_sha = file_sha256(start) if start is not None and Path(start).exists() else None
        cells = _source_file(other.spec.name, "cells.json", roots)
        evals = _source_file(other.spec.name, "evaluations.jsonl", roots)
        if cells is None or evals is None:
            raise FileNotFoundError(f"reuse.{arm}: no results of {src} (cells.json and evaluations.jsonl) under "
                                    f"{' or '.join(str(r / other.spec.name) for r in roots)}: run "
                                    f"`alphago ablate {src}` first")
        done_cells = read_json(cells)
        for seed in spec.seeds_of(arm):
            done = cell_dir(out, arm, seed) / "done.json"
            info = done_cells.get(f"{src_arm}/seed{seed}")
            if info is None:
                raise FileNotFoundError(f"reuse.{arm}: {cells} has no cell {src_arm}/seed{seed}")
            if start is not None and info.get("init_sha256") != start_sha:
                raise FileNotFoundError(
                    f"reuse.{arm}: {src_arm}/seed{seed} in {cells} started from other bytes than {start} "
                    f"({info.get('init_sha256') or 'no hash recorded'} there, {start_sha or 'file missing'} here): "
                    f"train this arm here (drop reuse.{arm}) or restore the checkpoint it used")
            if not done.exists():
                done.parent.mkdir(parents=True, exist_ok=True)
                write_done(done, {**info, "arm": arm, "reused_from": src})
        theirs = [{**r, "arm": arm, "reused_from": src} for r in read_jsonl(evals)
                  if r.get("arm") == src_arm and r.get("seed") in spec.seeds_of(arm)]
        new = [r for r in theirs if (arm, r["seed"], r["point"]) not in have]
        if path.exists() and len(new) < len(theirs):
            # rows taken before: they mirror the source's, which may have gained figures since
            # (eval.probe scores): replaced where they differ
            mine = read_eval_rows(path)
            now = {(r["seed"], r["point"]): r for r in theirs}
            fresh = [now.get((r["seed"], r["point"]), r) if r["arm"] == arm else r for r in mine]
            if fresh != mine:
                write_eval_rows(path, fresh)
                log(f"reuse: {arm}: evaluation rows updated from {evals}")
        append_rows(path, new)
        if new:
            log(f"reuse: {arm}: {len(new)} evaluation rows from {evals}")


def restore_committed(loaded: LoadedAblation, out: Path, report_dir: Path,
                      log: Callable[[str], None] = print) -> list[tuple[str, int]]:
    """This ablation's own committed results (REPORT_DIR/cells.json and evaluations.jsonl) for every
    cell OUT has not finished, whose committed fingerprint matches the file's and whose evaluation
    rows cover every matched point: done.json is written (marked restored_from) and the rows
    appended. Returns the cells restored. Any other cell is trained again (the file changed since,
    or the session ended before its evaluation: its checkpoints were not committed)."""
    cells_path = report_dir / "cells.json"
    if not cells_path.exists():
        return []
    rows = read_jsonl(report_dir / "evaluations.jsonl")
    path = out / "evaluations.jsonl"
    have = evaluated_points(path)
    by_key = {f"{arm}/seed{seed}": (arm, seed) for arm, seed in loaded.spec.cells() if arm not in loaded.spec.reuse}
    mine: dict[str, list[dict]] = {key: [] for key in by_key}  # the committed rows of each cell, read once
    for r in rows:
        key = f"{r.get('arm')}/seed{r.get('seed')}"
        if key in mine:
            mine[key].append(r)

    def check(key: str, _row: dict) -> str | None:
        # without its checkpoints a restored cell could never be evaluated at the missing points
        if {r.get("point") for r in mine[key]} != set(range(len(loaded.spec.grid()))):
            return "has no committed evaluation at every matched point"
        return None

    found = restorable(read_json(cells_path), [(k, cell_fingerprint(loaded, *c)) for k, c in by_key.items()],
                       report_dir, is_done=lambda k: (cell_dir(out, *by_key[k]) / "done.json").exists(),
                       check=check, log=log)
    restored = []
    for key, row in found:
        arm, seed = by_key[key]
        write_done(cell_dir(out, arm, seed) / "done.json", row)
        append_rows(path, [r for r in mine[key] if (arm, seed, r.get("point")) not in have])
        restored.append((arm, seed))
    if restored:
        log(f"restore: {len(restored)} finished cells from {cells_path} (not trained again)")
    return restored


def thin(rows: list[dict], keys=SERIES_KEYS, n: int = SERIES_ROWS) -> dict[str, list]:
    """Up to n rows, evenly spaced, the last kept, as columns {key: [value or None]}: finite numbers
    to 5 significant digits (a plot's resolution; keeps the committed file small)."""
    if len(rows) > n:
        idx = sorted({round(i * (len(rows) - 1) / (n - 1)) for i in range(n)})
        rows = [rows[i] for i in idx]
    def num(v):
        return float(f"{v:.5g}") if isinstance(v, (int, float)) and math.isfinite(v) else None
    return {k: [num(r.get(k)) for r in rows] for k in keys}


HEAD_KEYS = ("policy_bits_per_sample", "value_bits_per_sample", "ownership_bits_per_sample",
             "soft_policy_bits_per_sample", "score_bits_per_sample", "bits_per_sample", "data_policy_bits_per_label",
             "data_value_bits_per_game", "data_ownership_bits_per_game", "data_score_bits_per_game",
             "data_ownership_bits_given_outcome_per_game", "data_score_bits_given_outcome_per_game",
             "data_bits_per_flop", "samples_per_flop", "reanalyse_flops", "selfplay_flops", "train_flops", "flops",
             "positions", "reanalysed")


def ledger_at_budget(out: Path, arm: str, seed: int) -> dict | None:
    """The ledger's figures of the cell's last training row (both ledgers, per head), or None when
    its run directory is not here (a restored or reused cell: cells.json keeps them)."""
    from ..run.plot import read_metrics
    try:
        rows = read_metrics(cell_dir(out, arm, seed))["train"]
    except FileNotFoundError:
        return None
    if not rows:
        return None
    last = dict(rows[-1])
    latest = cell_dir(out, arm, seed) / "checkpoints" / "latest.pt"
    if latest.exists():  # the FLOP split (self-play, training, Reanalyse) is in the checkpoint's ledger
        from ..net.io import read_meta
        led = read_meta(latest).ledger or {}
        last.update({k: led[k] for k in ("selfplay_flops", "train_flops", "reanalyse_flops") if k in led})
    return {k: float(f"{last[k]:.5g}") for k in HEAD_KEYS if isinstance(last.get(k), (int, float)) and math.isfinite(last[k])}


def cell_series(loaded: LoadedAblation, out: Path, report_dir: Path) -> dict[str, dict[str, list]]:
    """Every cell's thinned training series: from its run directory where there is one, else what
    REPORT_DIR/series.json already holds (restored cells), else the reused source's series.json."""
    from ..run.plot import read_metrics
    old_path = report_dir / "series.json"
    old = read_json(old_path, {})
    series: dict[str, dict[str, list]] = {}
    sources: dict[str, tuple[dict, str]] = {}  # reused arm -> (its source's series.json, source arm), read once
    for arm, seed in loaded.spec.cells():
        key = f"{arm}/seed{seed}"
        try:
            series[key] = thin(read_metrics(cell_dir(out, arm, seed))["train"])
            continue
        except FileNotFoundError:
            pass
        if key in old:
            series[key] = old[key]
        elif arm in loaded.spec.reuse:
            if arm not in sources:
                from .ablation_spec import check_reuse
                other, src_arm = check_reuse(loaded, arm, loaded.spec.reuse[arm], ROOT)
                src = _source_file(other.spec.name, "series.json", [report_dir.parent, ROOT / "docs" / "results"])
                sources[arm] = (read_json(src, {}) if src is not None else {}, src_arm)
            got, src_arm = sources[arm]
            if got.get(f"{src_arm}/seed{seed}"):
                series[key] = got[f"{src_arm}/seed{seed}"]
    return series


def export_results(out: Path, report_dir: Path, done: dict[tuple[str, int], dict],
                   series: dict[str, dict[str, list]]) -> None:
    """cells.json, evaluations.jsonl and series.json beside the report (module doc); the rows in cell
    order (the file's arms, then seeds) and point order, whatever order the stages wrote them in."""
    write_json(report_dir / "cells.json", {f"{arm}/seed{seed}": committed(d) for (arm, seed), d in done.items()})
    write_json(report_dir / "series.json", series, indent=None)
    src = out / "evaluations.jsonl"
    if src.exists() and src.resolve() != (report_dir / "evaluations.jsonl").resolve():
        order = {cell: i for i, cell in enumerate(done)}
        rows = sorted(read_rows(src), key=lambda r: (order.get((r["arm"], r["seed"]), len(order)), r["arm"],
                                                     r["seed"], r["point"]))
        write_jsonl(report_dir / "evaluations.jsonl", [committed(r) for r in rows])


def read_rows(path: Path) -> list[dict]:
    """The evaluation rows, one per (arm, seed, point): the first of duplicates (two evaluate stages
    run at once) and lines cut short by a crash are dropped."""
    rows, seen = [], set()
    for r in read_eval_rows(path) if path.exists() else []:
        key = (r["arm"], r["seed"], r["point"])
        if key not in seen:
            seen.add(key)
            rows.append(r)
    return rows


def cell_checkpoints(run_dir: Path) -> list[tuple[Path, CheckpointMeta]]:
    """(path, meta) of a run's step checkpoints (meta.flops: the cumulative FLOPs of its ledger)."""
    from ..net.io import read_meta
    return [(p, read_meta(p)) for p in sorted((run_dir / "checkpoints").glob("step_*.pt"))]


def row_checkpoint(out: Path, row: dict, cache: dict) -> tuple[Path, CheckpointMeta] | None:
    """(path, meta) of the checkpoint an evaluation row was played with (its cell's checkpoint of the
    row's step), or None when it is not here (a restored or reused cell). cache: (arm, seed) ->
    {step: (path, meta)}, so each cell's checkpoints are read once."""
    cell = (row["arm"], row["seed"])
    if cell not in cache:
        cache[cell] = {m.step: (p, m) for p, m in cell_checkpoints(cell_dir(out, *cell))}
    return cache[cell].get(int(row.get("step", -1)))
