"""alphago ablate end to end: a tiny ablation runs every stage, writes a report with finite numbers and resumes
without redoing finished work; reused cells, Ray tasks, the probe, extra references, the ladder and --status on
it. The ablation file and the statistics before any compute: test_ablation_spec.py."""
from __future__ import annotations

import contextlib
import io
import json
import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ablation_kit import GOOD, ROOT, _write
from alphago.config import ConfigError
from alphago.experiments.ablation_spec import load_ablation


@dataclass(frozen=True)
class TinyRun:
    """The tiny ablation (GOOD) trained and evaluated once: the spec, its --out and --report-dir, and
    what the first run printed."""
    spec: Path
    out: Path
    rep: Path
    log: str


@pytest.fixture(scope="module")
def _tiny_run_once(tmp_path_factory):
    """Train and evaluate GOOD once for the module (it is seeded: every run of it is the same), and
    keep a pristine copy. The rows hold absolute checkpoint paths, so the copy is put back at the same
    place for each test rather than moved."""
    from alphago.cli import main
    base = tmp_path_factory.mktemp("tiny_ablation")
    spec = _write(base, GOOD)
    out, rep = base / "out", base / "results" / "t"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(rep), "--threads", "1"]) == 0
    pristine = tmp_path_factory.mktemp("tiny_ablation_pristine")
    shutil.copytree(out, pristine / "out")
    shutil.copytree(rep, pristine / "t")
    return TinyRun(spec, out, rep, buf.getvalue()), pristine


@pytest.fixture
def tiny_run(_tiny_run_once) -> TinyRun:
    """GOOD as its first run left it (each test may change it freely; the next gets it back whole)."""
    run, pristine = _tiny_run_once
    for src, dst in ((pristine / "out", run.out), (pristine / "t", run.rep)):
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)   # copy2: the checkpoints keep their mtimes
    run.spec.write_text(GOOD)
    return run


def test_tiny_ablation_end_to_end_and_resume(tiny_run, tmp_path, capsys):
    from alphago.cli import main
    spec, out, rep = tiny_run.spec, tiny_run.out, tiny_run.rep
    # each cell is evaluated as soon as it has trained, before the next one trains (a session that
    # ends mid-ablation leaves whole cells to commit)
    log = tiny_run.log
    assert log.index("train: visits/seed0") < log.index("evaluate: visits/seed0 point 1") < log.index("train: action/seed0")
    for arm in ("visits", "action"):
        done = json.loads((out / "runs" / arm / "seed0" / "done.json").read_text())
        assert done["flops"] >= 6.0e9 and done["games"] > 0
    rows = [json.loads(x) for x in (out / "evaluations.jsonl").read_text().splitlines()]
    assert sorted((r["arm"], r["point"]) for r in rows) == [("action", 0), ("action", 1), ("visits", 0), ("visits", 1)]
    for r in rows:
        assert 0.0 <= r["eval_uniform2_score"] <= 1.0 and math.isfinite(r["flops"])
        assert math.isfinite(r["data_policy_bits_per_label"]) and r["samples_per_flop"] > 0
    report = (rep / "report.md").read_text()
    assert "## Strength against `uniform2` at matched FLOPs" in report
    assert re.search(r"Wins by colour at the budget .*`visits` \d+ as Black, \d+ as White \(of \d+\)", report)
    assert "nan" not in report.lower().replace("n/a", "")
    for png in ("score_vs_flops.png", "probe.png", "bits.png"):
        assert (rep / png).stat().st_size > 1000
    # the action arm's targets are one-hot: zero entropy; the visits arm's are not
    summary = json.loads((rep / "summary.json").read_text())
    assert summary["arms"]["action"]["points"][-1]["target_entropy"][0] == pytest.approx(0.0, abs=1e-6)
    assert summary["arms"]["visits"]["points"][-1]["target_entropy"][0] > 0.1
    # --status reads where it stands and writes nothing
    def files():
        return sorted((p, p.stat().st_mtime) for d in (out, rep, spec.parent) for p in d.rglob("*") if p.is_file())
    before = files()
    capsys.readouterr()
    assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(rep), "--status"]) == 0
    status = capsys.readouterr().out
    assert "2 trained (2 evaluated at every point), 0 training, 0 waiting" in status
    assert re.search(r"visits/seed0: trained, [0-9.e+]+ FLOPs, evaluated 2/2", status) and "training: none left" in status
    assert files() == before
    # rerun: nothing is trained or evaluated again
    mtimes = {p: p.stat().st_mtime for p in (out / "runs").rglob("step_*.pt")}
    assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(rep)]) == 0
    assert {p: p.stat().st_mtime for p in (out / "runs").rglob("step_*.pt")} == mtimes
    assert len((out / "evaluations.jsonl").read_text().splitlines()) == 4
    assert re.search(r"Cells trained: 2 of 2; evaluation rows: 4", (rep / "report.md").read_text())
    # the raw results are committed beside the report: cells (with their fingerprints), rows, series
    cells = json.loads((rep / "cells.json").read_text())
    assert sorted(cells) == ["action/seed0", "visits/seed0"] and all(len(c["fingerprint"]) == 64 for c in cells.values())
    # per-head bits at the budget (from the last ledger row; the FLOP split from the checkpoint's ledger)
    led = cells["visits/seed0"]["ledger_at_budget"]
    assert led["policy_bits_per_sample"] > 0 and led["selfplay_flops"] + led["train_flops"] == pytest.approx(led["flops"], rel=1e-3)
    assert "## Bits by head at the budget" in report and "| visits | " in report.split("## Bits by head")[1]
    assert sorted((rep / "evaluations.jsonl").read_text().splitlines()) == sorted(
        (out / "evaluations.jsonl").read_text().splitlines())
    committed_files = {f: (rep / f).read_bytes() for f in ("cells.json", "evaluations.jsonl")}
    series = json.loads((rep / "series.json").read_text())
    assert len(series["visits/seed0"]["flops"]) >= 2 and all(math.isfinite(x) for x in series["visits/seed0"]["flops"])
    # a fresh clone (no run directories): the committed results are restored, nothing is trained again
    fresh = tmp_path / "fresh"
    assert main(["ablate", str(spec), "--out", str(fresh), "--report-dir", str(rep), "--threads", "1"]) == 0
    assert not list(fresh.rglob("step_*.pt"))
    assert sorted((fresh / "evaluations.jsonl").read_text().splitlines()) == sorted(
        (out / "evaluations.jsonl").read_text().splitlines())
    assert re.search(r"Cells trained: 2 of 2; evaluation rows: 4", (rep / "report.md").read_text())
    assert json.loads((rep / "series.json").read_text()) == series   # the bits plot keeps its lines
    # restoring leaves the committed results byte-identical (no machine paths, rows in cell order)
    assert {f: (rep / f).read_bytes() for f in committed_files} == committed_files
    assert json.loads((fresh / "runs" / "visits" / "seed0" / "done.json").read_text())["restored_from"] == str(rep)
    # ... unless the file now gives a cell other settings: that cell is trained again
    spec.write_text(GOOD.replace("visits: {train: {target: visits}}", "visits: {train: {target: visits, lr: 0.05}}"))
    from alphago.experiments.ablation_results import restore_committed
    assert restore_committed(load_ablation(spec, ROOT), tmp_path / "fresh2", rep, log=lambda m: None) == [("action", 0)]
    spec.write_text(GOOD)
    # ... or when its evaluation rows were not all committed (it could never be evaluated without checkpoints)
    full = (rep / "evaluations.jsonl").read_text()
    (rep / "evaluations.jsonl").write_text("".join(x + "\n" for x in full.splitlines()
                                                   if not ('"visits"' in x and '"point": 1' in x)))
    assert restore_committed(load_ablation(spec, ROOT), tmp_path / "fresh3", rep, log=lambda m: None) == [("action", 0)]
    (rep / "evaluations.jsonl").write_text(full)
    # reuse: a second ablation whose `visits` arm is the same runs takes them instead of training again
    second = tmp_path / "second.yaml"
    shutil.copytree(rep, tmp_path / "results" / "t")   # where a reuse looks first: beside the file that reuses
    second.write_text(GOOD.replace("name: t", "name: t2").replace("action: {train: {target: action}}",
                                                                  "argmax: {train: {target: argmax}}")
                      + f"reuse: {{visits: {spec}}}\n")
    out2, rep2 = tmp_path / "out2", tmp_path / "results" / "t2"
    assert main(["ablate", str(second), "--out", str(out2), "--report-dir", str(rep2), "--threads", "1"]) == 0
    assert not list((out2 / "runs" / "visits").rglob("step_*.pt"))            # not trained again
    assert list((out2 / "runs" / "argmax").rglob("step_*.pt"))
    rows2 = [json.loads(x) for x in (out2 / "evaluations.jsonl").read_text().splitlines()]
    reused = [r for r in rows2 if r["arm"] == "visits"]
    assert len(reused) == 2 and all(r["reused_from"] == str(spec) for r in reused)
    assert {k: v for k, v in reused[0].items() if k != "reused_from"} in rows
    assert "reused from" in (rep2 / "report.md").read_text()
    # a reuse whose arm is not the same runs is refused when the file loads
    bad = tmp_path / "bad.yaml"
    bad.write_text(second.read_text().replace("visits: {train: {target: visits}}",
                                              "visits: {train: {target: visits, lr: 0.05}}"))
    with pytest.raises(ConfigError, match="seed 0 differs"):
        load_ablation(bad, ROOT)


def test_reuse_maps_arm_names_and_checks_the_init_checkpoint(tmp_path):
    """`reuse: {ARM: FILE:OTHER}` takes another ablation's arm of another name (init_7x7's `pretrained`
    is soft_vs_hard_7x7's `visits`): its cells and rows arrive under this arm's name; a different init
    path is refused when the file loads, different init bytes when results are imported."""
    from alphago.experiments.ablation_results import file_sha256, import_reused
    ckpt = tmp_path / "warm.pt"
    ckpt.write_bytes(b"warm start")
    src = tmp_path / "src.yaml"
    src.write_text(GOOD + f"init: {{visits: {ckpt}}}\n")
    res = tmp_path / "results" / "t"
    res.mkdir(parents=True)
    done = {"arm": "visits", "seed": 0, "games": 5, "positions": 50, "steps": 3, "flops": 6.1e9,
            "seconds": 1.0, "resumed": False, "init_sha256": file_sha256(ckpt)}
    (res / "cells.json").write_text(json.dumps({"visits/seed0": done}))
    (res / "evaluations.jsonl").write_text("".join(json.dumps({"arm": a, "seed": 0, "point": i, "eval_x_score": 0.5})
                                                   + "\n" for a in ("visits", "action") for i in (0, 1)))
    mine = tmp_path / "mine.yaml"
    mine.write_text(GOOD.replace("name: t", "name: t3").replace("  visits: {train: {target: visits}}\n", "")
                    .replace("  action:", "  zero: {}\n  pretrained: {train: {target: visits}}\n  action:")
                    + f"init: {{pretrained: {ckpt}}}\nreuse: {{pretrained: '{src}:visits'}}\n")
    loaded = load_ablation(mine, ROOT)
    assert loaded.spec.reuse_source("pretrained") == (str(src), "visits")
    out = tmp_path / "out"
    import_reused(loaded, out, roots=[tmp_path / "results"], log=lambda m: None)
    cell = json.loads((out / "runs" / "pretrained" / "seed0" / "done.json").read_text())
    assert cell["arm"] == "pretrained" and cell["steps"] == 3 and cell["reused_from"] == f"{src}:visits"
    rows = [json.loads(x) for x in (out / "evaluations.jsonl").read_text().splitlines()]
    assert sorted((r["arm"], r["point"]) for r in rows) == [("pretrained", 0), ("pretrained", 1)]
    # the source's rows gain figures later (eval.probe scores): the reused rows follow them
    (res / "evaluations.jsonl").write_text("".join(json.dumps({"arm": a, "seed": 0, "point": i, "eval_x_score": 0.5,
                                                               "probe_top1": 0.25 * i}) + "\n"
                                                   for a in ("visits", "action") for i in (0, 1)))
    import_reused(loaded, out, roots=[tmp_path / "results"], log=lambda m: None)
    rows = [json.loads(x) for x in (out / "evaluations.jsonl").read_text().splitlines()]
    assert [(r["arm"], r["point"], r["probe_top1"]) for r in rows] == [("pretrained", 0, 0.0), ("pretrained", 1, 0.25)]
    # the same path with other bytes: the imported runs did not start from this checkpoint
    ckpt.write_bytes(b"another warm start")
    with pytest.raises(FileNotFoundError, match="other bytes"):
        import_reused(loaded, tmp_path / "out2", roots=[tmp_path / "results"], log=lambda m: None)
    # another init path (or none) is refused before any compute
    other = tmp_path / "other.pt"
    other.write_bytes(b"x")
    bad = tmp_path / "bad.yaml"
    bad.write_text(mine.read_text().replace(f"init: {{pretrained: {ckpt}}}", f"init: {{pretrained: {other}}}"))
    with pytest.raises(ConfigError, match="init checkpoints differ"):
        load_ablation(bad, ROOT)
    bad.write_text(mine.read_text().replace(f"init: {{pretrained: {ckpt}}}\n", ""))
    with pytest.raises(ConfigError, match="init checkpoints differ"):
        load_ablation(bad, ROOT)
    bad.write_text(mine.read_text().replace(":visits'", ":nope'"))
    with pytest.raises(ConfigError, match="no arm 'nope'"):
        load_ablation(bad, ROOT)


def test_cells_run_as_ray_tasks(tmp_path, monkeypatch):
    """--ray: the same cells, trained as Ray tasks on the embedded local Ray (on a cluster they
    spread over its nodes); the result is the same done.json a process pool writes."""
    from alphago.cli import main
    spec = _write(tmp_path, GOOD)
    out = tmp_path / "out"
    try:
        assert main(["ablate", str(spec), "--out", str(out), "--stages", "train", "--ray"]) == 0
    finally:
        import ray
        if ray.is_initialized():
            ray.shutdown()
    for arm in ("visits", "action"):
        done = json.loads((out / "runs" / arm / "seed0" / "done.json").read_text())
        assert done["flops"] >= 6.0e9 and done["arm"] == arm and done["seed"] == 0


def _hand_probe(policy_move: int):
    """Three 5x5 positions as move sequences, one-hot reference labels on `policy_move`."""
    import numpy as np
    from alphago.train.probe import ProbeSet
    actions = np.array([[-1, -1], [12, -1], [12, 6]], np.int16)
    policy = np.zeros((3, 26), np.float32)
    policy[:, policy_move] = 1.0
    return ProbeSet(5, 0.5, actions, np.array([0, 1, 2], np.int32), policy, np.array([1.0, -1.0, 1.0], np.float32),
                    np.zeros(3, np.int8), "by hand")


def test_eval_probe_scores_the_evaluated_checkpoints_after_training(tiny_run, tmp_path):
    """eval.probe, named after the runs: every evaluated checkpoint is scored on that file without
    training again (the cells' fingerprints leave it out), with figures equal to `probe.score` of the
    checkpoint, tagged with the file's hash; scores of other bytes at that path are not read as its."""
    from alphago.cli import main
    from alphago.experiments.ablation_results import cell_checkpoints
    from alphago.experiments.ablation_results import file_sha256
    from alphago.train.probe import ProbeSet, score
    from alphago.net.io import load_model
    spec, out, rep = tiny_run.spec, tiny_run.out, tiny_run.rep
    cells = json.loads((rep / "cells.json").read_text())
    mtimes = {p: p.stat().st_mtime for p in (out / "runs").rglob("step_*.pt")}
    probe = tmp_path / "p.npz"
    spec.write_text(GOOD.replace("points: 2}", f"points: 2, probe: {probe}}}"))
    # the file named but not made: a clear error, nothing lost
    rows_before = (out / "evaluations.jsonl").read_text()
    assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(rep), "--stages", "evaluate"]) == 2
    assert (out / "evaluations.jsonl").read_text() == rows_before
    _hand_probe(12).save(probe)
    assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(rep), "--stages", "evaluate", "report"]) == 0
    assert {p: p.stat().st_mtime for p in (out / "runs").rglob("step_*.pt")} == mtimes   # nothing trained
    assert json.loads((rep / "cells.json").read_text()) == cells                        # same fingerprints
    rows = [json.loads(x) for x in (out / "evaluations.jsonl").read_text().splitlines()]
    sha = file_sha256(probe)
    assert len(rows) == 4 and all(r["probe_sha256"] == sha and r["probe_positions"] == 3 for r in rows)
    r = next(r for r in rows if r["arm"] == "visits" and r["point"] == 1)
    ckpt = next(p for p, m in cell_checkpoints(out / "runs" / "visits" / "seed0") if m.step == r["step"])
    model, meta = load_model(str(ckpt))
    want = score(model, ProbeSet.load(probe), meta.feature_config)
    for k in ("probe_top1", "probe_policy_ce_bits", "probe_value_ece"):
        assert r[k] == pytest.approx(want[k], rel=1e-6)
    report = (rep / "report.md").read_text()
    assert f"`{probe}` (eval.probe: every evaluated checkpoint scored on it after training, 2 of 2 at the budget)" in report
    summary = json.loads((rep / "summary.json").read_text())
    assert summary["arms"]["visits"]["points"][-1]["probe_top1"][0] == pytest.approx(
        next(x for x in rows if x["arm"] == "visits" and x["point"] == 1)["probe_top1"])
    # other bytes at the same path: the rows' scores are not this file's (n/a) until evaluated again
    _hand_probe(6).save(probe)
    assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(rep), "--stages", "report"]) == 0
    assert "0 of 2 at the budget" in (rep / "report.md").read_text()
    assert not math.isfinite(json.loads((rep / "summary.json").read_text())["arms"]["visits"]["points"][-1]["probe_top1"][0])
    assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(rep), "--stages", "evaluate", "report"]) == 0
    rows = [json.loads(x) for x in (out / "evaluations.jsonl").read_text().splitlines()]
    assert all(r["probe_sha256"] == file_sha256(probe) for r in rows) and len(rows) == 4


def test_extra_references_play_after_training(tiny_run, tmp_path):
    """eval.extra_references, named after the runs (a fixed reference net, or a level where the
    others saturate): every evaluated checkpoint still on disk plays it with the rows' own settings,
    nothing is trained again, the cells keep their fingerprints (so committed results still restore),
    a second evaluate plays nothing, and the report gains a section for it."""
    from alphago.cli import main
    from alphago.experiments.ablation_results import cell_checkpoints
    from alphago.experiments.ablation_results import restore_committed
    from alphago.play.engines import NetPlayer
    from alphago.play.evaluation import evaluate_checkpoint
    spec, out, rep = tiny_run.spec, tiny_run.out, tiny_run.rep
    cells = json.loads((rep / "cells.json").read_text())
    mtimes = {p: p.stat().st_mtime for p in (out / "runs").rglob("step_*.pt")}
    with_extra = GOOD.replace('points: 2}', 'points: 2, extra_references: ["rollout@4"]}')
    assert with_extra != GOOD
    spec.write_text(with_extra)
    assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(rep), "--stages", "evaluate", "report"]) == 0
    assert {p: p.stat().st_mtime for p in (out / "runs").rglob("step_*.pt")} == mtimes   # nothing trained
    assert json.loads((rep / "cells.json").read_text()) == cells                        # same fingerprints
    rows = [json.loads(x) for x in (out / "evaluations.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and all(r["eval_rollout4_games"] == 2 and 0 <= r["eval_rollout4_score"] <= 1 for r in rows)
    assert all("eval_uniform2_score" in r for r in rows)   # the first references' figures are kept
    # the same match, played by hand with the row's checkpoint and seed, gives the same figures
    r = next(r for r in rows if r["arm"] == "action" and r["point"] == 1)
    ckpt = next(p for p, m in cell_checkpoints(out / "runs" / "action" / "seed0") if m.step == r["step"])
    want = evaluate_checkpoint(NetPlayer.fresh(ckpt, 2), ["rollout@4"], 2, 5, 0.5, seed=1000 * 0 + 1)
    assert {k: r[k] for k in want if k.startswith("eval_rollout4")} == {k: v for k, v in want.items()
                                                                       if k.startswith("eval_rollout4")}
    report = (rep / "report.md").read_text()
    assert "## Strength against `rollout4` at matched FLOPs" in report and "## Strength against `uniform2`" in report
    assert "added after the runs (eval.extra_references" in report
    assert json.loads((rep / "summary.json").read_text())["references"] == ["uniform2", "rollout4"]
    # evaluate again: nothing is played (the rows have their figures)
    before = (out / "evaluations.jsonl").read_text()
    assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(rep), "--stages", "evaluate"]) == 0
    assert (out / "evaluations.jsonl").read_text() == before
    # a fresh clone restores the cells (fingerprints unchanged) with the extra figures
    fresh = tmp_path / "fresh"
    assert sorted(restore_committed(load_ablation(spec, ROOT), fresh, rep, log=lambda m: None)) == [("action", 0), ("visits", 0)]
    assert all("eval_rollout4_score" in json.loads(x) for x in (fresh / "evaluations.jsonl").read_text().splitlines())
    # the same reference named twice is refused when the file loads
    spec.write_text(GOOD.replace('points: 2}', 'points: 2, extra_references: ["uniform@2"]}'))
    with pytest.raises(ConfigError, match="extra_references"):
        load_ablation(spec, ROOT)


def test_eval_opening_moves_reach_every_match_and_the_fingerprint(tmp_path, monkeypatch):
    """eval.opening_moves: 0 (the default) hashes as the files before the key did (committed cells
    still restore); any other value is another evaluation, so another fingerprint; the value reaches
    every match of the evaluate stage (references and extra references)."""
    import alphago.play.evaluation as evaluation
    from alphago.experiments.ablate import evaluate_cells, extra_reference_rows
    from alphago.experiments.ablation_results import cell_fingerprint
    from alphago.play.engines import fresh_search
    spec = _write(tmp_path, GOOD)
    plain = cell_fingerprint(load_ablation(spec, ROOT), "visits", 0, ROOT)
    spec.write_text(GOOD.replace("points: 2}", "points: 2, opening_moves: 0}"))
    assert cell_fingerprint(load_ablation(spec, ROOT), "visits", 0, ROOT) == plain
    spec.write_text(GOOD.replace("points: 2}", 'points: 2, opening_moves: 2, extra_references: ["rollout@4"]}'))
    loaded = load_ablation(spec, ROOT)
    assert loaded.spec.eval.opening_moves == 2
    assert cell_fingerprint(loaded, "visits", 0, ROOT) != plain
    # a finished cell with one checkpoint per point; the matches are recorded, not played
    calls = []

    def fake(player, references, games, size, komi, **kw):
        assert player.search == fresh_search(2)   # the committed rows' search, whatever the arm trained with
        calls.append((tuple(references), kw.get("opening_moves")))
        return {f"eval_{evaluation.reference_name(r)}_score": 0.5 for r in references}
    monkeypatch.setattr(evaluation, "evaluate_checkpoint", fake)
    from alphago.cli import main
    out = tmp_path / "out"
    spec.write_text(GOOD)  # train without evaluating (the real stages), then evaluate with the fake
    assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(tmp_path / "r"), "--threads", "1",
                 "--stages", "train"]) == 0
    spec.write_text(GOOD.replace("points: 2}", 'points: 2, opening_moves: 2, extra_references: ["rollout@4"]}'))
    evaluate_cells(loaded, out, parallel=1, log=lambda m: None)
    extra_reference_rows(loaded, out, parallel=1, log=lambda m: None)
    assert calls and all(om == 2 for _, om in calls)
    assert {refs for refs, _ in calls} == {("uniform@2",), ("rollout@4",)}


def test_eval_ladder_rates_every_evaluated_checkpoint(tiny_run, tmp_path):
    """eval.ladder, named after the runs: the anchors play, then every evaluated checkpoint plays its
    rated games into REPORT_DIR/ladder/games.jsonl; nothing trained again, fingerprints unchanged, a
    second evaluate plays nothing, and the store fits to one scale with every checkpoint on it."""
    from conftest import require

    from alphago.cli import main
    from alphago.eval.ladder_fit import fit_ladder
    from alphago.eval.ladder_store import read_games
    from alphago.play.engines import gnugo_binary
    require(gnugo_binary() is not None, "GNU Go", "apt-get install gnugo")
    spec, out, rep = tiny_run.spec, tiny_run.out, tiny_run.rep
    cells = json.loads((rep / "cells.json").read_text())
    mtimes = {p: p.stat().st_mtime for p in (out / "runs").rglob("step_*.pt")}
    spec.write_text(GOOD.replace("points: 2}", "points: 2, ladder: {anchors: [gnugo:1, gnugo:10], games: 2, "
                                               "block: 2, anchor_games: 2, max_anchor_games: 2, direct: [visits-action@1]}}"))
    assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(rep), "--stages", "evaluate"]) == 0
    assert {p: p.stat().st_mtime for p in (out / "runs").rglob("step_*.pt")} == mtimes   # nothing trained
    rows = [json.loads(x) for x in (out / "evaluations.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and all(r["ladder_label"] == f"{r['arm']}/seed0/p{r['point']}" for r in rows)
    games = read_games(rep / "ladder" / "games.jsonl")
    # the anchors' 2, each rated checkpoint's 2, and the direct match topped up to 2 games (0 more when
    # the rating games already paired those two checkpoints)
    key = {(r["arm"], r["point"]): r["ladder_key"] for r in rows}
    direct = sum({g.black.key, g.white.key} == {key["visits", 1], key["action", 1]} for g in games)
    assert direct == 2 and len(games) in (10, 12)
    fit = fit_ladder(games, "gnugo:10", bootstrap=0)
    assert {r["ladder_key"] for r in rows} <= set(fit.keys)
    # a checkpoint never meets its own arm
    arm_of = {r["ladder_key"]: r["arm"] for r in rows}
    assert all(arm_of.get(g.black.key) != arm_of.get(g.white.key) or g.black.key not in arm_of for g in games)
    assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(rep), "--stages", "evaluate", "report"]) == 0
    assert len(read_games(rep / "ladder" / "games.jsonl")) == len(games)
    from alphago.experiments.ablation_status import status
    said = "\n".join(status(load_ablation(spec, ROOT), out, rep / "ladder" / "games.jsonl", jobs=1))
    assert f"ladder: {len(games)} games among" in said and "about 0 rated games to play" in said
    assert json.loads((rep / "cells.json").read_text()) == cells
    summary = json.loads((rep / "summary.json").read_text())
    assert summary["seeds"] == {"visits": 1, "action": 1} and summary["flop_multiplier"]["arm"] == "action"
    # the parallel-lines estimator beside it, on the same curves (not pre-registered: the report says so)
    from alphago.experiments.flop_multiplier import parallel_shift
    par = summary["flop_multiplier_parallel"]
    assert par["arm"] == "action" and set(par) == {"arm", "versus", "estimate", "ci_low", "ci_high"}
    curves = summary["ladder"]["curves"]
    expect = parallel_shift(summary["ladder"]["grid"], curves["visits"]["mean"], curves["action"]["mean"])
    assert (par["estimate"] is None and math.isnan(expect)) or par["estimate"] == pytest.approx(expect, nan_ok=True)
    lad = summary["ladder"]
    assert lad["games"] == len(games) and set(lad["anchors"]) == {"gnugo:1", "gnugo:10"}
    from alphago.experiments.flop_multiplier import elo_slope
    assert lad["curves"]["visits"]["slope"] == pytest.approx(elo_slope(lad["grid"], lad["curves"]["visits"]["mean"]),
                                                            nan_ok=True)
    assert lad["curves"]["visits"]["mean"][1] == pytest.approx(fit_ladder(games, "gnugo:10", bootstrap=0).rating(
        next(r["ladder_key"] for r in rows if r["arm"] == "visits" and r["point"] == 1)))
    report = (rep / "report.md").read_text()
    assert "## One Elo scale (eval.ladder)" in report and (rep / "elo_vs_flops.png").exists()
    from alphago.experiments.ablation_results import cell_fingerprint
    assert cell_fingerprint(load_ablation(spec, ROOT), "visits", 0) == cells["visits/seed0"]["fingerprint"]


def test_an_evaluation_that_fails_does_not_stop_the_training(tmp_path, capsys, monkeypatch):
    """An opponent engine that cannot start (here a GTP command that exits at once; on a loaded machine,
    one too slow to answer its set-up) fails each cell's evaluation, each time after EVAL_ATTEMPTS tries:
    the failure is logged in one line and the next cell trains; the final evaluation stage says how to
    resume and the command exits 1, with every cell trained (a rerun evaluates them without training again)."""
    from alphago.cli import main
    from alphago.experiments import ablate
    monkeypatch.setattr(ablate, "EVAL_RETRY_WAIT_S", 0)
    monkeypatch.setattr(ablate, "EVAL_ATTEMPTS", 2)   # each attempt starts an engine: one retry shows it
    spec = _write(tmp_path, GOOD.replace('references: ["uniform@2"]', 'references: ["gtp:/bin/false"]'))
    out, rep = tmp_path / "out", tmp_path / "rep"
    assert main(["ablate", str(spec), "--out", str(out), "--report-dir", str(rep), "--threads", "1"]) == 1
    said = capsys.readouterr()
    assert said.out.count("evaluate: failed after") == 2 and "Traceback" not in said.out + said.err
    tries = ablate.EVAL_ATTEMPTS - 1   # the retries before each of the 2 cells' and the final stage's failure
    assert said.out.count("evaluate: attempt 1 of 2") == 3 and said.out.count("again in 0 s") == 3 * tries
    assert "alphago ablate: the evaluation failed (ArenaError" in said.err and "rerun the same command" in said.err
    assert all((out / "runs" / arm / "seed0" / "done.json").exists() for arm in ("visits", "action"))


def test_an_evaluation_that_fails_once_is_tried_again(monkeypatch, capsys):
    """A transient engine error (a ladder game in flight while the machine paused) costs one retry,
    not the stage; an error that is not an engine's is not retried."""
    from alphago.experiments import ablate
    monkeypatch.setattr(ablate, "EVAL_RETRY_WAIT_S", 0)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("engine gave no answer")
    ablate._attempts(flaky, (OSError,), "after visits/seed0")
    assert len(calls) == 2 and "attempt 1 of 3 after visits/seed0 failed (OSError" in capsys.readouterr().out
    with pytest.raises(KeyError):
        ablate._attempts(lambda: calls.append(1) or {}["bug"], (OSError,), "x")
    assert len(calls) == 3
