"""`alphago ablate ABLATION.yaml`: arms x seeds at one FLOP budget, evaluated at matched FLOPs.

Three stages, each resumable (rerun the same command after a crash or a SIGTERM):
  train     every cell (arm, seed) runs self-play + training in one process (run.local.run_local)
            until the ledger's cumulative FLOPs (self-play evaluations + training) reach the
            budget; a finished cell leaves OUT/runs/ARM/seedS/done.json, an interrupted one
            resumes from its latest checkpoint. Cells run --jobs at a time, as processes
            (one torch/numba thread each), or with --ray [ADDRESS] as Ray tasks (run.remote.
            map_tasks): on a cluster the cells spread over its nodes (OUT must then be on a file
            system every node sees).
  evaluate  at every matched FLOP point of the grid (ablation_spec.AblationSpec.grid) each cell's
            checkpoint nearest in log-FLOPs plays the same references (GNU Go levels, ...) with
            the same number of games; its probe scores and ledger series come from the run's own
            metrics, or with eval.probe from scoring the checkpoint on that shared probe set
            (probe_rows). One JSON line per (cell, point) in OUT/evaluations.jsonl, skipped when present;
            references named after the runs (eval.extra_references) are added to the lines whose
            checkpoints are here (extra_reference_rows).
  report    experiments/ablation_report.py: REPORT_DIR/report.md, plots, table, from those lines.
and, on request only (--stages match), a fourth:
  match     more games at one matched point against one reference from random openings shared by
            every arm (experiments/budget_match.py; REPORT_DIR/budget_vs_REF/summary.md).
When train and evaluate run together, each cell is evaluated as soon as it finishes, while the
others train: an ablation cut short by the end of a session leaves whole cells to commit.

The budget is checked between self-play phases, so a run stops at most one phase past it; the
FLOPs actually spent are reported, and evaluation uses each checkpoint's own FLOPs.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING

from ..data.jsonl import append_jsonl
from .ablation_results import (ROOT, cell_checkpoints, cell_dir, cell_fingerprint, evaluated_points, import_reused,
                               probe_path, restore_committed, row_checkpoint)
from .cells import file_sha256, read_done, write_done

EVAL_ATTEMPTS = 3       # an evaluation that meets an engine error is tried this often before it is given up
EVAL_RETRY_WAIT_S = 60  # seconds between those attempts (a pause of the machine, a slow start under load)

if TYPE_CHECKING:  # the CLI builds its parser without importing torch (config imports the net)
    from ..net.io import CheckpointMeta
    from ..play.engine_pool import EnginePool
    from .ablation_spec import LoadedAblation


def train_cell(spec_path: str, out: str, arm: str, seed: int, threads: int = 1) -> dict:
    """Run one cell to the budget (or resume it); returns its done.json content."""
    from ..run.local import run_local
    from .ablation_spec import load_ablation
    loaded = load_ablation(spec_path, ROOT)
    run_dir = cell_dir(Path(out), arm, seed)
    done = run_dir / "done.json"
    if (row := read_done(done)) is not None:
        return row
    resume = (run_dir / "checkpoints" / "latest.pt").exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg = loaded.config(arm, seed)
    (run_dir / "config.json").write_text(cfg.to_json())
    init = None if resume else loaded.init(arm, ROOT)
    if init is not None and not Path(init).exists():
        raise FileNotFoundError(f"arm {arm}: init checkpoint {init} does not exist (the ablation file's init)")
    s = run_local(cfg, run_dir, resume=resume, init=init, max_flops=loaded.spec.budget_flops, threads=threads)
    if s.stopped_by != "flops":
        raise RuntimeError(f"cell {arm}/seed{seed} stopped by {s.stopped_by} before the FLOP budget "
                           f"({s.flops:.3g} of {loaded.spec.budget_flops:.3g}): raise run.total_games / "
                           f"run.max_steps in the ablation's common overrides")
    summary = {"arm": arm, "seed": seed, "games": s.games, "positions": s.positions, "steps": s.steps,
               "flops": s.flops, "seconds": s.seconds, "resumed": resume,
               # what the results depend on: a fresh clone restores the cell from the committed
               # cells.json only while the file still gives it this (ablation_results)
               "fingerprint": cell_fingerprint(loaded, arm, seed)}
    start = loaded.init(arm, ROOT)
    if start is not None:  # which bytes the runs started from: a reuse of these cells checks them
        summary["init_sha256"] = file_sha256(start)
    write_done(done, summary)
    return summary


def nearest(checkpoints: list[tuple[Path, CheckpointMeta]], flops: float) -> tuple[Path, CheckpointMeta]:
    """The checkpoint nearest to `flops` on the log axis."""
    return min(checkpoints, key=lambda c: abs(math.log(max(c[1].flops, 1.0)) - math.log(flops)))


def run_series(run_dir: Path, flops: float) -> dict:
    """Ledger and probe series of a run at a checkpoint: the last training row and the checkpoint
    row at or before `flops` (metrics.jsonl)."""
    from ..run.plot import read_metrics
    rows = read_metrics(run_dir)
    out: dict = {}
    train = [r for r in rows["train"] if r.get("flops", math.inf) <= flops * (1 + 1e-9)]
    if train:
        last = train[-1]
        for k in ("samples_per_flop", "bits_per_sample", "policy_bits_per_sample", "value_bits_per_sample",
                  "bits_per_flop", "data_bits_per_flop", "data_policy_bits_per_label", "data_value_bits_per_game",
                  "data_bits", "samples"):
            if k in last:
                out[k] = last[k]
        recent = train[-25:]
        ents = [r["target_entropy"] for r in recent if isinstance(r.get("target_entropy"), (int, float))]
        if ents:
            out["target_entropy"] = sum(ents) / len(ents)
    ck = [r for r in rows["checkpoint"] if r.get("flops", math.inf) <= flops * (1 + 1e-9)]
    if ck:
        for k, v in ck[-1].items():
            if k.startswith("probe_") or k.startswith("realized_"):
                out[k] = v
    return out


def evaluate_cells(loaded: LoadedAblation, out: Path, parallel: int, log=print,
                   engines: EnginePool | None = None) -> Path:
    """Matched-FLOP evaluation of every finished cell (module doc); returns evaluations.jsonl. Every
    checkpoint searches with a fresh SearchConfig of eval.sims simulations (NetPlayer.fresh), whatever
    search its arm trained with: the committed rows were played so, and new rows must match them.
    engines: a pool the references' engines stay in between points and cells (None: started per match)."""
    from ..play.engines import NetPlayer
    from ..play.evaluation import evaluate_checkpoint
    spec = loaded.spec
    path = out / "evaluations.jsonl"
    have = evaluated_points(path)
    for arm, seed in spec.cells():
        if arm in spec.reuse:  # rows come from the source ablation (import_reused)
            continue
        run_dir = cell_dir(out, arm, seed)
        if not (run_dir / "done.json").exists():
            log(f"evaluate: {arm}/seed{seed} has not finished training; skipped")
            continue
        todo = [(i, target) for i, target in enumerate(spec.grid()) if (arm, seed, i) not in have]
        if not todo:  # every point evaluated: its checkpoints need not be read
            continue
        cks = cell_checkpoints(run_dir)
        if not cks:  # restored from committed results (restore_committed brings every point's row)
            log(f"evaluate: {arm}/seed{seed} has no checkpoints here; points {[i for i, _ in todo]} not evaluated")
            continue
        for i, target in todo:
            ckpt, meta = nearest(cks, target)
            t = time.time()
            row = evaluate_checkpoint(NetPlayer.fresh(ckpt, spec.eval.sims), spec.eval.references,
                                      spec.eval.games, meta.board_size, meta.komi,
                                      seed=1000 * seed + i, parallel=parallel,
                                      opening_moves=spec.eval.opening_moves, pool=engines)
            row = {"arm": arm, "seed": seed, "point": i, "grid_flops": target, "flops": meta.flops,
                   "step": meta.step, "games_played": meta.games, **row,
                   **run_series(run_dir, meta.flops), "eval_seconds": time.time() - t}
            append_jsonl(path, [row])  # one whole line per (cell, point)
            scores = ", ".join(f"{k[5:-6]} {row[k]:.2f}" for k in row if k.startswith("eval_") and k.endswith("_score"))
            log(f"evaluate: {arm}/seed{seed} point {i} ({meta.flops:.3g} FLOPs, step {row['step']}): {scores}")
    return path


def _require_probe(loaded: LoadedAblation) -> Path | None:
    """eval.probe's file, or None without eval.probe; ConfigError naming it when it is not there."""
    from ..config import ConfigError
    probe_file = probe_path(loaded)
    if probe_file is not None and not probe_file.exists():
        p = loaded.spec.eval.probe
        raise ConfigError(f"{loaded.path}: eval.probe {p} does not exist "
                          f"(make it with `alphago probe build --size N --net CHECKPOINT --out {p}`)")
    return probe_file


def extra_reference_rows(loaded: LoadedAblation, out: Path, parallel: int, log=print,
                         engines: EnginePool | None = None) -> int:
    """eval.extra_references: references named after the runs (a fixed reference net; a stronger
    level where the others saturate). Every row of OUT/evaluations.jsonl without a score against one
    of them, whose checkpoint is here, plays it with the row's settings (eval.games and eval.sims,
    the row's board, komi and seed), and the row gains the eval_NAME_* figures (play.evaluation);
    the file is rewritten atomically after each row, so an interrupted stage resumes (rows at the
    budget are played first). Reused arms' rows get theirs from the source ablation. Returns the rows
    that played. Checkpoints search as in evaluate_cells (NetPlayer.fresh); engines: as there."""
    from ..play.engines import NetPlayer
    from ..play.evaluation import evaluate_checkpoint, reference_name
    from .ablation_results import read_eval_rows, write_eval_rows
    spec = loaded.spec
    path = out / "evaluations.jsonl"
    if not spec.eval.extra_references or not path.exists():
        return 0
    rows = read_eval_rows(path)
    cache: dict = {}
    n = 0
    # the budget's point first, then backwards: a stage stopped early has the comparison that matters
    for r in sorted(rows, key=lambda r: -r["point"]):
        refs = [ref for ref in spec.eval.extra_references if f"eval_{reference_name(ref)}_score" not in r]
        if not refs or r["arm"] in spec.reuse:
            continue
        found = row_checkpoint(out, r, cache)
        if found is None:
            log(f"extra references: {r['arm']}/seed{r['seed']} point {r['point']}: no checkpoint of step "
                f"{r.get('step')} here; {', '.join(refs)} not played")
            continue
        ckpt, meta = found
        t = time.time()
        got = evaluate_checkpoint(NetPlayer.fresh(ckpt, spec.eval.sims), refs, spec.eval.games, meta.board_size,
                                  meta.komi,
                                  seed=1000 * r["seed"] + r["point"], parallel=parallel,
                                  opening_moves=spec.eval.opening_moves, pool=engines)
        r.update({k: v for k, v in got.items() if k.startswith("eval_") and k != "eval_sims"},
                 extra_eval_seconds=r.get("extra_eval_seconds", 0.0) + time.time() - t)
        write_eval_rows(path, rows)
        n += 1
        scores = ", ".join(f"{reference_name(ref)} {got[f'eval_{reference_name(ref)}_score']:.2f}" for ref in refs)
        log(f"extra references: {r['arm']}/seed{r['seed']} point {r['point']} (step {r.get('step')}): {scores}")
    return n


def probe_rows(loaded: LoadedAblation, out: Path, log=print) -> int:
    """eval.probe: score every evaluated checkpoint on the shared probe set, after training (so a
    probe made after the runs still measures accuracy apart from strength, without training again).
    Each row of OUT/evaluations.jsonl not yet scored on this file (probe_sha256) whose cell's
    checkpoint of that step is here gets the probe_* figures of experiments.probe.score (replacing
    the held-out figures the run logged), probe_file and probe_sha256; the file is rewritten
    atomically. Reused arms' rows come scored from their source. Returns the rows scored."""
    from ..net.io import load_model
    from .ablation_results import read_eval_rows, write_eval_rows
    from ..train.probe import ProbeSet, score
    spec = loaded.spec
    path = out / "evaluations.jsonl"
    probe_file = _require_probe(loaded)
    if probe_file is None or not path.exists():
        return 0
    sha = file_sha256(probe_file)
    rows = read_eval_rows(path)
    todo = [r for r in rows if r.get("probe_sha256") != sha and r["arm"] not in spec.reuse]
    if not todo:
        return 0
    probe = ProbeSet.load(probe_file)
    planes: dict[str, object] = {}   # features (JSON) -> the probe's input planes, computed once
    cache: dict = {}
    n = 0
    for r in todo:
        found = row_checkpoint(out, r, cache)
        if found is None:
            log(f"probe: {r['arm']}/seed{r['seed']} point {r['point']}: no checkpoint of step {r.get('step')} here; "
                f"not scored on {spec.eval.probe}")
            continue
        model, meta = load_model(str(found[0]), expect={"board_size": probe.size})
        feats = meta.feature_config
        key = json.dumps(meta.features, sort_keys=True)
        if key not in planes:
            planes[key] = probe.planes(feats)
        r.update(score(model, probe, feats, planes[key]), probe_file=spec.eval.probe, probe_sha256=sha)
        n += 1
    if n:  # nothing scored (no checkpoints here): the file stays as it is
        write_eval_rows(path, rows)
    log(f"probe: {n} evaluated checkpoints scored on {spec.eval.probe} ({len(probe)} positions)")
    return n


def _eval_errors() -> tuple[type[BaseException], ...]:
    """What an evaluation may meet that is not a bug: engines that cannot start or answer, and files."""
    from ..play.gtp_client import GtpClientError
    from ..play.referee import ArenaError
    return ArenaError, GtpClientError, OSError


def _attempts(fn, errors: tuple[type[BaseException], ...], what: str) -> None:
    """fn() up to EVAL_ATTEMPTS times, EVAL_RETRY_WAIT_S apart, while it raises one of `errors` (the last
    one propagates). A ladder game in flight when the machine pauses (a SIGSTOP for a CI run, a suspended
    laptop) times out and fails the stage; without a retry, an unattended study's last evaluation ended
    there, and earlier ones waited a whole cell for the next try."""
    for k in range(1, EVAL_ATTEMPTS + 1):
        try:
            return fn()
        except errors as exc:
            if k == EVAL_ATTEMPTS:
                raise
            print(f"evaluate: attempt {k} of {EVAL_ATTEMPTS} {what} failed ({type(exc).__name__}: {exc}); "
                  f"again in {EVAL_RETRY_WAIT_S} s", flush=True)
            time.sleep(EVAL_RETRY_WAIT_S)


def main(args: argparse.Namespace) -> int:
    from ..config import ConfigError
    from .ablation_spec import load_ablation
    try:
        loaded = load_ablation(args.ablation, ROOT)
    except ConfigError as exc:
        print(f"alphago ablate: {exc}", file=sys.stderr)
        return 2
    spec = loaded.spec
    if "evaluate" in args.stages:
        try:
            _require_probe(loaded)  # before any compute
        except ConfigError as exc:
            print(f"alphago ablate: {exc}", file=sys.stderr)
            return 2
    out = Path(args.out or ROOT / "runs" / "ablate" / spec.name)
    report_dir = Path(args.report_dir or ROOT / "docs" / "results" / spec.name)
    if args.status:   # read only: safe beside the running ablation
        from .ablation_ladder import store_path
        from .ablation_status import status
        print("\n".join(status(loaded, out, store_path(report_dir) if spec.eval.ladder else None, args.jobs)))
        return 0
    out.mkdir(parents=True, exist_ok=True)
    restore_committed(loaded, out, report_dir, log=lambda m: print(m, flush=True))
    if spec.reuse:
        try:
            # the source's results beside this one's report or output first, then the usual places
            import_reused(loaded, out, roots=[report_dir.parent, out.parent], log=lambda m: print(m, flush=True))
        except (FileNotFoundError, ConfigError) as exc:
            print(f"alphago ablate: {exc}", file=sys.stderr)
            return 2
    from ..play.engine_pool import EnginePool
    # one pool for every evaluation of this command: references, anchors and the ladder's players are
    # met again after each cell, and start once (idle engines sleep while the cells train)
    with EnginePool() as engines:
        return _run(args, loaded, out, report_dir, engines)


def _run(args: argparse.Namespace, loaded: LoadedAblation, out: Path, report_dir: Path, engines: EnginePool) -> int:
    """The stages of `alphago ablate` (main has loaded the file and restored what is committed)."""
    spec = loaded.spec
    cells = spec.cells()
    eval_errors = _eval_errors()
    def evaluate() -> None:
        from .ablation_ladder import ladder_rows
        say = lambda m: print(m, flush=True)   # noqa: E731
        evaluate_cells(loaded, out, parallel=args.jobs, log=say, engines=engines)
        extra_reference_rows(loaded, out, parallel=args.jobs, log=say, engines=engines)
        probe_rows(loaded, out, log=say)
        ladder_rows(loaded, out, report_dir, parallel=args.jobs, log=say, engines=engines)
    if "train" in args.stages:
        todo = [c for c in cells if not (cell_dir(out, *c) / "done.json").exists()]
        print(f"ablate {spec.name}: {len(cells)} cells ({len(spec.arms)} arms, "
              f"{'/'.join(str(len(spec.seeds_of(a))) for a in spec.arms)} seeds), "
              f"{spec.budget_flops:.3g} FLOPs each; {len(todo)} to train, {args.jobs} at a time", flush=True)
        def evaluate_meanwhile(after: str) -> None:
            # a finished cell is evaluated at once, while the others train: an ablation longer than a
            # session leaves whole cells (trained and evaluated) to commit and restore, not runs
            # without rows (a restored cell has no checkpoints to evaluate later). Only this process
            # writes evaluations.jsonl, so the stage's rewrites cannot race.
            if "evaluate" not in args.stages:
                return
            try:
                _attempts(evaluate, eval_errors, after)
            except eval_errors as exc:
                # an engine that could not start or answer (a loaded machine, a pause): training goes on,
                # and the next finished cell (or the final stage) evaluates what is still unrated
                print(f"evaluate: failed {after} ({type(exc).__name__}: {exc}); training goes on, the "
                      f"evaluation is tried again after the next cell", flush=True)

        def done_line(s: dict) -> None:
            print(f"train: {s['arm']}/seed{s['seed']}: {s['games']} games, {s['steps']} steps, "
                  f"{s['flops']:.3g} FLOPs, {s['seconds']:.0f} s", flush=True)
            evaluate_meanwhile(f"after {s['arm']}/seed{s['seed']}")

        # cells trained before this process (a restart) are evaluated while the first new ones train
        resumed = len(todo) < len(cells) and "evaluate" in args.stages
        if args.ray is not None:  # cells as Ray tasks: local Ray, or one per node of a cluster
            from ..run.remote import map_tasks
            map_tasks(train_cell, [(str(Path(args.ablation).resolve()), str(out.resolve()), arm, seed, 1)
                                   for arm, seed in todo],
                      address=args.ray or None, num_cpus=1, on_result=lambda _, s: done_line(s))
        elif args.jobs <= 1:
            if resumed and todo:
                evaluate_meanwhile("on the cells trained before this run")
            for arm, seed in todo:
                done_line(train_cell(str(args.ablation), str(out), arm, seed, threads=args.threads))
        else:
            import multiprocessing as mp
            with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("spawn")) as pool:
                futs = [pool.submit(train_cell, str(args.ablation), str(out), arm, seed, 1) for arm, seed in todo]
                if resumed and todo:
                    evaluate_meanwhile("on the cells trained before this run")
                for fut in as_completed(futs):
                    done_line(fut.result())
    if "evaluate" in args.stages:
        try:
            _attempts(evaluate, eval_errors, "of the final evaluation")
        except eval_errors as exc:
            print(f"alphago ablate: the evaluation failed ({type(exc).__name__}: {exc}); rerun the same command "
                  f"to resume it (trained cells are not trained again)", file=sys.stderr)
            return 1
    if "report" in args.stages:
        from .ablation_report import write_report
        command = f"alphago ablate {args.ablation} --jobs {args.jobs}"
        path = write_report(loaded, out, report_dir, command=command)
        print(f"report: {path}", flush=True)
    if "match" in args.stages:
        return match_stage(args, spec.name, out, report_dir, tuple(spec.arms))
    return 0


def match_stage(args: argparse.Namespace, name: str, out: Path, report_dir: Path, arms: tuple[str, ...]) -> int:
    """More games at one matched point against one reference (experiments/budget_match.py)."""
    from .budget_match import MatchSettings, run
    if not args.match_reference:
        print("alphago ablate: --stages match needs --match-reference (an arena spec, e.g. gnugo:1)", file=sys.stderr)
        return 2
    st = MatchSettings(args.match_reference, args.match_games, args.match_opening_moves, args.match_point,
                       args.match_sims, args.match_seed, max(1, args.jobs))
    evaluations = out / "evaluations.jsonl" if (out / "evaluations.jsonl").exists() else report_dir / "evaluations.jsonl"
    dest = Path(args.match_out or report_dir / f"budget_vs_{args.match_reference.replace(':', '')}")
    command = (f"alphago ablate {args.ablation} --stages match --match-reference {st.reference} --match-games "
               f"{st.games} --match-opening-moves {st.opening_moves} --match-point {st.point} --match-sims {st.sims} "
               f"--match-seed {st.seed}" + (f" --match-out {args.match_out}" if args.match_out else ""))
    return run(name, evaluations, st, dest, command, arms)


def add_parser(sub) -> None:
    a = sub.add_parser("ablate", help="arms x seeds at a matched FLOP budget: train, evaluate, report "
                                      "(configs/ablation/*.yaml)")
    a.add_argument("ablation", help="the ablation file (configs/ablation/*.yaml)")
    a.add_argument("--out", help="run directories and evaluations (default: runs/ablate/NAME)")
    a.add_argument("--report-dir", help="report.md and plots (default: docs/results/NAME)")
    a.add_argument("--status", action="store_true",
                   help="print where the ablation stands (cells trained, training, rated; the training time "
                   "left at the present speed) and exit; reads OUT only")
    a.add_argument("--stages", nargs="+", default=["train", "evaluate", "report"],
                   choices=["train", "evaluate", "report", "match"],
                   help="which stages to run (default: train evaluate report); match: more games at one matched "
                        "point against --match-reference, from random openings (experiments/budget_match.py)")
    m = a.add_argument_group("match stage")
    m.add_argument("--match-reference", help="arena spec of the opponent, e.g. gnugo:1")
    m.add_argument("--match-games", type=int, default=100, help="games per seed")
    m.add_argument("--match-opening-moves", type=int, default=2, help="random legal moves before play")
    m.add_argument("--match-point", type=int, default=-1, help="matched point index (default: the budget, -1)")
    m.add_argument("--match-sims", type=int, default=64, help="the checkpoints' simulations per move")
    m.add_argument("--match-seed", type=int, default=7, help="arena seed: the same openings for every arm")
    m.add_argument("--match-out", help="where the matches and summary.md go (default: REPORT_DIR/budget_vs_REF)")
    a.add_argument("--jobs", type=int, default=1,
                   help="cells trained at a time (processes, one thread each) and evaluation games at a time")
    a.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="train the cells as Ray tasks (one CPU each): on the embedded local Ray, or on a "
                        "cluster with ADDRESS (auto or HOST:PORT), where they spread over the nodes")
    a.add_argument("--threads", type=int, default=max(1, min(2, os.cpu_count() or 1)),
                   help="torch/numba threads of a cell when --jobs 1")
    a.set_defaults(func=main)
