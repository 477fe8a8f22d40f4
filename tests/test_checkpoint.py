"""Checkpoints: round trip, refusal of corrupt, unsafe and foreign files, atomic writes."""
from __future__ import annotations

import os
import pickle

import pytest
import torch

from alphago.net.io import FORMAT, VERSION, CheckpointError, check_compatible, load_model, read_checkpoint
from alphago.net.model import NetConfig, PolicyValueNet
from alphago.train import checkpoint as ckpt_mod
from alphago.train.checkpoint import load_training_state, save_checkpoint
from alphago.train.trainer import TrainConfig, make_optimizer

SIZE, PLANES = 5, 9
NET = NetConfig(blocks=2, channels=16, value_hidden=16)


def _meta(size: int = SIZE, planes: int = PLANES, net: NetConfig = NET, **extra) -> dict:
    return {"board_size": size, "in_planes": planes, "net": dict(net.__dict__), "step": 7,
            "weight_version": 3, **extra}


def _trained_model(seed: int = 0) -> PolicyValueNet:
    """A net whose weights and BatchNorm running statistics are not the initial ones."""
    torch.manual_seed(seed)
    model = PolicyValueNet(SIZE, PLANES, NET)
    model.train()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
        for _ in range(3):
            model(torch.rand(8, PLANES, SIZE, SIZE))
    return model.eval()


def _only_file(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_round_trip_gives_identical_outputs(tmp_path):
    model = _trained_model()
    opt = make_optimizer(model, TrainConfig())
    path = save_checkpoint(tmp_path / "a.pt", model, _meta(), opt)
    loaded, meta = load_model(path, expect={"board_size": SIZE, "in_planes": PLANES})
    assert meta.step == 7 and meta.weight_version == 3
    assert not loaded.training
    x = torch.rand(4, PLANES, SIZE, SIZE)
    with torch.no_grad():
        l0, v0 = model(x)
        l1, v1 = loaded(x)
    assert torch.equal(l0, l1) and torch.equal(v0, v1)
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k]), k
    # the trainer's resume path: weights + optimizer state into existing objects
    fresh = PolicyValueNet(SIZE, PLANES, NET)
    fresh_opt = make_optimizer(fresh, TrainConfig())
    meta2 = load_training_state(path, fresh, fresh_opt, expect={"board_size": SIZE, "in_planes": PLANES,
                                                                 "net": dict(NET.__dict__)})
    assert meta2 == meta
    fresh.eval()
    with torch.no_grad():
        assert torch.equal(fresh(x)[0], l0)


def test_truncated_checkpoint_is_refused_cleanly(tmp_path):
    path = save_checkpoint(tmp_path / "a.pt", _trained_model(), _meta())
    data = path.read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as info:
        load_model(cut)
    msg = str(info.value)
    assert str(cut) in msg and "cannot load checkpoint" in msg
    assert "\n" not in msg
    # no chained traceback from the zip/pickle machinery
    assert info.value.__cause__ is None and info.value.__suppress_context__
    # an empty file and a missing one too
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match="cannot load checkpoint"):
        load_model(empty)
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_model(tmp_path / "missing.pt")


class _Evil:
    """Unpickling this runs a shell command."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("writer", ["torch.save", "pickle"])
def test_pickle_that_runs_code_is_refused_and_never_runs(tmp_path, writer):
    marker = tmp_path / "PWNED_marker"
    payload = {"format": FORMAT, "version": VERSION, "meta": _meta(),
               "model": _trained_model().state_dict(), "optimizer": None, "x": _Evil(marker)}
    path = tmp_path / "evil.pt"
    if writer == "torch.save":
        torch.save(payload, path)
    else:
        with open(path, "wb") as f:
            pickle.dump(payload, f)
    assert not marker.exists()  # writing it did not run the payload
    with pytest.raises(CheckpointError) as info:
        load_model(path)
    assert str(path) in str(info.value)
    with pytest.raises(CheckpointError):
        load_training_state(path, PolicyValueNet(SIZE, PLANES, NET), None)
    assert not marker.exists(), "loading a checkpoint executed code from its pickle"


def test_a_foreign_but_harmless_file_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError, match="not an alphago checkpoint"):
        read_checkpoint(path)
    torch.save({"format": FORMAT, "version": VERSION + 1, "meta": {}, "model": {}}, path)
    with pytest.raises(CheckpointError, match="checkpoint version"):
        read_checkpoint(path)


def test_other_board_size_or_architecture_is_refused_naming_the_key(tmp_path):
    path = save_checkpoint(tmp_path / "a.pt", _trained_model(), _meta())
    with pytest.raises(CheckpointError) as info:
        load_model(path, expect={"board_size": 9})
    msg = str(info.value)
    assert msg.startswith(str(path))
    why = msg.split("does not fit:", 1)[1]  # the part after the path (tmp_path holds the test's name)
    assert why.strip() == "board_size: checkpoint has 5, expected 9"  # only the keys that differ
    bigger = NetConfig(blocks=2, channels=32, value_hidden=16)
    with pytest.raises(CheckpointError) as info:
        load_model(path, expect={"board_size": SIZE, "net": dict(bigger.__dict__)})
    why = str(info.value).split("does not fit:", 1)[1]
    assert why.strip() == "net.channels: checkpoint has 16, expected 32"  # the nested key that differs
    assert "board_size" not in why
    with pytest.raises(CheckpointError, match="in_planes"):
        check_compatible(_meta(), {"in_planes": 18})
    # resuming a trainer: the expectation is checked before any weights are touched ...
    other = PolicyValueNet(SIZE, PLANES, bigger)
    before = {k: v.clone() for k, v in other.state_dict().items()}
    with pytest.raises(CheckpointError, match="net"):
        load_training_state(path, other, None, expect={"board_size": SIZE, "net": dict(bigger.__dict__)})
    assert all(torch.equal(v, other.state_dict()[k]) for k, v in before.items())
    # ... and without an expectation a mismatched model is still refused with a CheckpointError
    with pytest.raises(CheckpointError, match="does not match"):
        load_training_state(path, other, None)
    # a file whose weights contradict its own meta
    lying = save_checkpoint(tmp_path / "lying.pt", other, _meta())
    with pytest.raises(CheckpointError, match="do not match the architecture"):
        load_model(lying)


def test_writes_leave_no_temp_files(tmp_path):
    save_checkpoint(tmp_path / "a.pt", _trained_model(0), _meta())
    save_checkpoint(tmp_path / "a.pt", _trained_model(1), _meta(step=8))  # overwrite
    assert _only_file(tmp_path) == ["a.pt"]
    assert read_checkpoint(tmp_path / "a.pt")["meta"]["step"] == 8


class _BrokenStateDict(PolicyValueNet):
    def state_dict(self, *args, **kwargs):
        raise RuntimeError("disk full (simulated)")


def test_failed_write_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "a.pt", _trained_model(0), _meta())
    good = path.read_bytes()
    # 1. the model fails while being serialised
    with pytest.raises(RuntimeError, match="simulated"):
        save_checkpoint(path, _BrokenStateDict(SIZE, PLANES, NET), _meta(step=99))
    assert path.read_bytes() == good and _only_file(tmp_path) == ["a.pt"]

    # 2. the file system fails after the new bytes went to the temp file, before the rename
    def failing_fsync(fd):
        raise OSError(28, "No space left on device (simulated)")
    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="simulated"):
        save_checkpoint(path, _trained_model(1), _meta(step=99))
    monkeypatch.undo()
    assert path.read_bytes() == good, "a failed write damaged the previous checkpoint"
    assert _only_file(tmp_path) == ["a.pt"], "a failed write left a temp file behind"
    assert read_checkpoint(path)["meta"]["step"] == 7

    # 3. the rename itself fails
    real_replace = os.replace

    def failing_replace(src, dst):
        raise OSError("rename failed (simulated)")
    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="simulated"):
        save_checkpoint(path, _trained_model(1), _meta(step=99))
    monkeypatch.setattr(os, "replace", real_replace)
    assert path.read_bytes() == good and _only_file(tmp_path) == ["a.pt"]
    assert ckpt_mod.save_checkpoint is save_checkpoint


def test_warm_start_adds_auxiliary_heads_and_refuses_anything_else(tmp_path):
    """A warm start may add KataGo's auxiliary heads (fresh) to a net trained without them: the trunk
    and the existing heads are the checkpoint's, bit for bit; a head the checkpoint has and the model
    lacks, or another trunk, is refused naming the difference."""
    import dataclasses

    from alphago.net.io import warm_start
    src = _trained_model()
    path = tmp_path / "warm.pt"
    save_checkpoint(path, src, _meta())
    data = read_checkpoint(path)
    net = dataclasses.replace(NET, ownership_head=True, score_head=True)
    torch.manual_seed(1)
    model = PolicyValueNet(SIZE, PLANES, net)
    fresh = model.ownership_conv.weight.detach().clone()
    expect = {"board_size": SIZE, "in_planes": PLANES, "net": dict(net.__dict__)}
    assert warm_start(model, data, expect, path) == ["ownership_head", "score_head"]
    for name, p in src.state_dict().items():
        assert torch.equal(model.state_dict()[name], p), name
    assert torch.equal(model.ownership_conv.weight, fresh)      # the added head keeps its initialisation
    x = torch.rand(4, PLANES, SIZE, SIZE)
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model(x)[0], src(x)[0]) and torch.allclose(model(x)[1], src(x)[1])
    # the other way round: the checkpoint's ownership head would be dropped
    with_head = tmp_path / "with_head.pt"
    save_checkpoint(with_head, model, _meta(net=net))
    plain = PolicyValueNet(SIZE, PLANES, NET)
    with pytest.raises(CheckpointError, match="ownership_head"):
        warm_start(plain, read_checkpoint(with_head), {"board_size": SIZE, "in_planes": PLANES,
                                                       "net": dict(NET.__dict__)}, with_head)
    # another trunk is still refused by name
    wide = dataclasses.replace(NET, channels=32, ownership_head=True)
    with pytest.raises(CheckpointError, match="channels"):
        warm_start(PolicyValueNet(SIZE, PLANES, wide), data,
                   {"board_size": SIZE, "in_planes": PLANES, "net": dict(wide.__dict__)}, path)
