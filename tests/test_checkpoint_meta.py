"""CheckpointMeta (net/io.py): every writer's meta is the dict it wrote before the type existed, every
committed checkpoint reads into it and back unchanged, and readers get typed values (komi with its
fallback, FLOPs from the ledger, the search the net was trained with)."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from alphago.config import load_config
from alphago.go.rules import DEFAULT_KOMI
from alphago.mcts.config import SearchConfig
from alphago.net.io import CheckpointError, CheckpointMeta, ledger_flops, load_model, read_checkpoint, read_meta
from alphago.net.model import NetConfig, PolicyValueNet

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "checkpoints").glob("*.pt"))
TINY = load_config(ROOT / "configs" / "tiny.yaml")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_committed_checkpoints_read_and_write_back_unchanged(path):
    raw = read_checkpoint(path)["meta"]
    meta = read_meta(path)
    assert meta.to_dict() == raw and list(meta.to_dict()) == list(raw)  # same keys, same order
    assert meta.extra == {}, "every key a committed checkpoint carries is a field"
    assert meta.komi == raw["rules"]["komi"] and meta.flops == ledger_flops(raw["ledger"])
    assert meta.search == SearchConfig(**json.loads(raw["config_json"])["search"])
    assert meta.feature_config.num_planes == meta.in_planes
    model, loaded = load_model(path)
    assert loaded == meta and sum(p.numel() for p in model.parameters()) > 0


def test_the_learner_writes_the_meta_it_wrote_before(tmp_path):
    from alphago.train.learner import Learner
    learner = Learner(TINY, tmp_path / "run", threads=1)
    try:
        path = learner.checkpoint()
        raw = read_checkpoint(path)["meta"]
        cfg = learner.cfg
        before = {"board_size": cfg.size, "in_planes": cfg.features.num_planes, "net": cfg.net.__dict__,
                  "step": learner.trainer.step_count, "weight_version": learner.weight_version,
                  "games": learner.games, "positions": learner.positions, "ledger": learner.trainer.ledger.state(),
                  "features": cfg.features.__dict__, "rules": cfg.rules.__dict__,
                  "forward_flops": learner.forward_flops, "config_json": cfg.to_json(),
                  "pending_samples": learner.pending_samples, "wall_s": raw["wall_s"],
                  "next_shard": learner.store.next_index, "reanalysed": learner.reanalysed}
        assert raw == before and list(raw) == list(before)
        assert CheckpointMeta.from_dict(raw).to_dict() == raw
    finally:
        learner.close()


def test_a_distilled_student_keeps_the_teachers_meta_but_its_own_net(tmp_path):
    from alphago.experiments.distill import save_student
    teacher = SHIPPED[0]
    tmeta = read_meta(teacher)
    net = NetConfig(blocks=1, channels=8, value_hidden=8)
    row = {"student_net": dataclasses.asdict(net), "steps": 12, "positions_used": 345,
           "teacher": str(teacher), "label": "visits"}
    save_student(tmp_path / "s.pt", PolicyValueNet(tmeta.board_size, tmeta.in_planes, net), tmeta, None, row)
    before = dict(read_checkpoint(teacher)["meta"])   # what save_student wrote before CheckpointMeta
    before.update(net=row["student_net"], step=12, weight_version=0, games=0, positions=345,
                  distilled_from=str(teacher), distill_label="visits")
    before.pop("ledger")
    raw = read_checkpoint(tmp_path / "s.pt")["meta"]
    assert raw == before and list(raw) == list(before)
    assert read_meta(tmp_path / "s.pt").flops == 0.0   # no ledger: the teacher's FLOPs are not the student's


def test_pretrain_writes_the_meta_it_wrote_before(tmp_path):
    import argparse

    from alphago.go.sgf import SgfGame, to_sgf
    from alphago.train import supervised
    sgf = tmp_path / "sgf"
    sgf.mkdir()
    actions = [12, 7, 11, 8, 25, 25]   # C3 C2 B3 D2 pass pass
    for i in range(4):   # some held out, the rest trained on
        (sgf / f"g{i}.sgf").write_bytes(to_sgf(SgfGame(5, 24.5, actions, [1, -1] * 3, result="W+1")))
    out = tmp_path / "warm.pt"
    args = argparse.Namespace(config=str(ROOT / "configs" / "tiny.yaml"), sgf=str(sgf), out=str(out), steps=2,
                              lr=1e-3, threads=1, seed=0)
    assert supervised.main(args) == 0
    raw, cfg = read_checkpoint(out)["meta"], TINY
    keys = ["board_size", "in_planes", "net", "step", "weight_version", "games", "positions", "ledger",
            "features", "rules", "config_json", "pretrained_on", "pretrain_report"]
    assert list(raw) == keys and raw["step"] == 2 and raw["pretrained_on"] == str(sgf)
    assert (raw["net"], raw["features"], raw["rules"], raw["config_json"]) == (
        cfg.net.__dict__, cfg.features.__dict__, cfg.rules.__dict__, cfg.to_json())
    assert read_meta(out).to_dict() == raw


def test_pretrained_meta_round_trips():
    warm = ROOT / "checkpoints" / "7x7_warm.pt"
    meta = read_meta(warm)
    assert meta.pretrained_on and json.loads(meta.pretrain_report)
    assert meta.forward_flops is None and "forward_flops" not in meta.to_dict()   # not recorded: left out


def test_komi_falls_back_to_the_default_and_unknown_keys_are_kept():
    base = {"board_size": 5, "in_planes": 9, "net": {}, "step": 3, "weight_version": 1}
    assert CheckpointMeta.from_dict(base).komi == DEFAULT_KOMI
    assert CheckpointMeta.from_dict({**base, "rules": {"komi": 24.5}}).komi == 24.5
    odd = CheckpointMeta.from_dict({**base, "someday": [1, 2]})
    assert odd.extra == {"someday": [1, 2]} and odd.to_dict() == {**base, "someday": [1, 2]}
    assert odd.search is None and odd.flops == 0.0
    with pytest.raises(CheckpointError, match="lacks in_planes"):
        CheckpointMeta.from_dict({"board_size": 5, "net": {}})


def test_the_file_holds_a_plain_dict(tmp_path):
    """weights_only loading needs plain values: the dataclass itself is never pickled."""
    from alphago.train.checkpoint import save_checkpoint
    net = NetConfig(blocks=1, channels=8, value_hidden=8)
    meta = CheckpointMeta(board_size=5, in_planes=9, net=dataclasses.asdict(net), step=2, config_json=TINY.to_json())
    path = save_checkpoint(tmp_path / "a.pt", PolicyValueNet(5, 9, net), meta)
    data = torch.load(path, weights_only=True)
    assert type(data["meta"]) is dict and read_meta(path) == meta
    assert read_meta(path).search == TINY.search
