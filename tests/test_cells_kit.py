"""The experiments kit: JSON lines read and written one way (data/jsonl.py), and the cells' shared
fingerprint / done row / restore logic (experiments/cells.py) that ablate, horizon and distill use."""
from __future__ import annotations

import hashlib
import json

from alphago.data.jsonl import append_jsonl, read_json, read_jsonl, read_jsonl_tail, write_json, write_jsonl
from alphago.experiments.cells import committed, fingerprint, read_done, restorable, write_done


def test_read_jsonl_skips_a_cut_line_and_non_objects_and_says_which(tmp_path):
    p = tmp_path / "rows.jsonl"
    p.write_text('{"a": 1}\n\n[1, 2]\n{"a": 2}\n{"a": 3, "b"')   # a crash cut the last line
    said = []
    assert read_jsonl(p, log=said.append) == [{"a": 1}, {"a": 2}]
    assert len(said) == 2 and "line 3 skipped (not a JSON object)" in said[0] and "line 5 skipped" in said[1]
    assert read_jsonl(tmp_path / "none.jsonl") == []


def test_read_jsonl_tail_gives_the_whole_lines_of_the_window(tmp_path):
    p = tmp_path / "metrics.jsonl"
    lines = [json.dumps({"i": i, "pad": "x" * 20}) for i in range(100)]
    p.write_text("".join(x + "\n" for x in lines) + '{"i": 100, "cut')   # a writer died mid-line
    size = p.stat().st_size
    assert read_jsonl_tail(p, 10 * size) == read_jsonl(p)                 # window wider than the file: all of it
    tail = read_jsonl_tail(p, 5 * (len(lines[0]) + 1) + 3)   # the cut last line, 4 whole lines, part of line 95
    assert [r["i"] for r in tail] == [96, 97, 98, 99]        # the window's cut first line and the file's cut last dropped
    assert read_jsonl_tail(tmp_path / "none.jsonl", 100) == []


def test_append_after_a_cut_line_keeps_the_new_lines_whole(tmp_path):
    p = tmp_path / "sub" / "rows.jsonl"
    assert append_jsonl(p, []) == 0 and not p.exists()
    append_jsonl(p, [{"a": 1}])
    with open(p, "a") as f:
        f.write('{"a": 2, "b')                                     # the writer died mid-line
    append_jsonl(p, [{"z": 1, "a": 3}], fsync=True, sort_keys=True)
    assert p.read_text().splitlines()[-1] == '{"a": 3, "z": 1}'
    assert read_jsonl(p) == [{"a": 1}, {"a": 3, "z": 1}]


def test_whole_file_writes_replace_atomically(tmp_path):
    p = tmp_path / "rows.jsonl"
    write_jsonl(p, [{"a": 1}, {"b": 2}])
    assert p.read_text() == '{"a": 1}\n{"b": 2}\n'
    write_json(tmp_path / "x.json", {"k": [1, 2]})
    assert read_json(tmp_path / "x.json") == {"k": [1, 2]} and read_json(tmp_path / "nope.json", 7) == 7
    assert not [q for q in tmp_path.iterdir() if q.name.endswith(".tmp")]


def test_fingerprint_is_the_hash_committed_cells_were_made_with():
    blob = {"config": {"b": 1, "a": [1.5, None]}, "budget": 2e13}
    old = hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()   # how every cell hashed
    assert fingerprint(blob) == old
    assert fingerprint({"budget": 2e13, "config": {"a": [1.5, None], "b": 1}}) == old   # key order: none


def test_restorable_takes_matching_rows_marks_them_and_says_why_not_the_others(tmp_path):
    rows = {"a": {"fingerprint": "f1", "x": 1}, "b": {"fingerprint": "old", "x": 2},
            "c": {"fingerprint": "f3", "x": 3}, "d": {"x": 4}, "e": {"fingerprint": "f5", "x": 5}}
    said = []
    got = restorable(rows, [("a", "f1"), ("b", "f2"), ("c", "f3"), ("d", "f4"), ("e", "f5"), ("z", "f0")],
                     tmp_path, is_done=lambda k: k == "e",
                     check=lambda k, r: "has no rows" if k == "c" else None, log=said.append)
    assert got == [("a", {"fingerprint": "f1", "x": 1, "restored_from": str(tmp_path)})]
    assert committed(got[0][1]) == rows["a"]
    assert any("b in" in m and "other settings" in m for m in said) and any("c has no rows" in m for m in said)
    assert len(said) == 2   # d (no fingerprint), e (done here), z (not committed): silently run/kept


def test_done_rows(tmp_path):
    d = tmp_path / "runs" / "x" / "done.json"
    assert read_done(d) is None
    write_done(d, {"flops": 1e12})
    assert read_done(d) == {"flops": 1e12}


# Committed reports whose cells restore on a fresh clone (docs/results/NAME/cells.json). Not here:
# soft_vs_hard_5x5 (its cells predate fingerprints), horizon (2e12: an older cells.json without
# fingerprints).
ABLATIONS = ("aux_targets_5x5", "aux_targets_7x7", "init_7x7", "sims_5x5", "soft_vs_hard_7x7", "target_kinds_5x5",
             "soft_vs_hard_7x7_v2_pilot", "soft_vs_hard_7x7_v2")


def test_every_committed_ablation_cell_still_has_its_fingerprint():
    """A key added to a config or an evaluation without a neutral value in the fingerprint rules
    (cells.CONFIG_KEYS_ADDED, ablation_results.EVAL_KEYS_ADDED) would retrain every committed cell on a
    fresh clone: this is the check that it did not happen."""
    from pathlib import Path

    from alphago.experiments.ablation_results import ROOT, cell_fingerprint
    from alphago.experiments.ablation_spec import load_ablation
    checked = 0
    for name in ABLATIONS:
        cells = read_json(Path(ROOT) / "docs" / "results" / name / "cells.json", {})
        loaded = load_ablation(Path(ROOT) / "configs" / "ablation" / f"{name}.yaml", ROOT)
        for key, row in cells.items():
            if "fingerprint" not in row or row.get("reused_from"):
                continue
            arm, seed = key.split("/seed")
            assert cell_fingerprint(loaded, arm, int(seed)) == row["fingerprint"], f"{name}: {key}"
            checked += 1
    assert checked >= 40


def test_every_committed_horizon_cell_still_has_its_fingerprint():
    from pathlib import Path

    from alphago.experiments.ablation_results import ROOT
    from alphago.experiments.horizon import fingerprint as horizon_fingerprint
    cells = read_json(Path(ROOT) / "docs" / "results" / "horizon_2e13" / "cells.json")
    base = str(Path(ROOT) / "configs" / "5x5.yaml")
    for key, row in cells.items():
        assert horizon_fingerprint(row["size"], row["kind"], row["seed"], row["budget"], base) == row["fingerprint"], key
    assert len(cells) == 27


def test_every_finished_committed_ablation_restores_without_training(tmp_path):
    """What a fresh clone does first: the reused arms' cells imported, the file's own committed cells
    restored. For every finished ablation that leaves no cell to train, so `alphago ablate FILE` only
    redraws its report (soft_vs_hard_5x5 reuses target_kinds_5x5's identical runs for this)."""
    from pathlib import Path

    from alphago.experiments.ablation_results import ROOT, cell_dir, import_reused, restore_committed
    from alphago.experiments.ablation_spec import load_ablation
    finished = [n for n in ABLATIONS if n != "soft_vs_hard_7x7_v2"] + ["soft_vs_hard_5x5"]   # v2: in progress
    for name in finished:
        loaded = load_ablation(Path(ROOT) / "configs" / "ablation" / f"{name}.yaml", ROOT)
        out = tmp_path / name
        import_reused(loaded, out, log=lambda m: None)
        restore_committed(loaded, out, Path(ROOT) / "docs" / "results" / name, log=lambda m: None)
        left = [(a, s) for a, s in loaded.spec.cells() if not (cell_dir(out, a, s) / "done.json").exists()]
        assert left == [], f"{name}: a fresh clone would train {left} again"


def test_every_committed_report_holds_its_reading_as_it_is_now():
    """A report is redrawn with its hand-written reading.md inside (ablation_report.reading): a reading edited
    after the last redraw leaves report.md with the old one (it happened: a study's report kept a reading six
    cells out of date). Edit reading.md, then redraw."""
    from pathlib import Path

    from alphago.experiments.ablation_results import ROOT
    checked = 0
    for reading in sorted((Path(ROOT) / "docs" / "results").glob("*/reading.md")):
        report = reading.with_name("report.md")
        if report.exists():
            assert reading.read_text().strip() in report.read_text(), f"{report}: redraw it after editing reading.md"
            checked += 1
    assert checked >= 5
