"""Checkpoint files: reading them safely and building the net they describe.

A checkpoint is a torch.save'd dict of tensors and plain values:
  {"format": "alphago-checkpoint", "version": 1, "meta": {...}, "model": state_dict,
   "optimizer": state_dict or None}
meta holds board_size, in_planes, net (NetConfig fields), features, rules, step,
weight_version, flops, samples, and the run config as JSON text. It is loaded with
torch.load(weights_only=True), which refuses any pickled object that could run code.
Playing needs only this module and model.py, never the trainer.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from .model import NetConfig, PolicyValueNet

FORMAT = "alphago-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that is missing, corrupt, unsafe, or made for another board or net."""


def read_checkpoint(path: str | Path, map_location: str = "cpu") -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # truncated zip, foreign pickle with code, etc.
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(f"cannot load checkpoint {path}: {msg}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an alphago checkpoint")
    if data.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {data.get('version')}, this code reads {VERSION}")
    return data


def ledger_flops(ledger: dict | None) -> float:
    """Cumulative FLOPs of a ledger saved in a checkpoint's meta (meta["ledger"], written by
    train/bits.py BitsLedger.state()): self-play, training and Reanalyse, as BitsLedger.flops.
    Read here so that play and evaluation need not import the trainer."""
    led = ledger or {}
    return float(led.get("selfplay_flops", 0.0) + led.get("train_flops", 0.0) + led.get("reanalyse_flops", 0.0))


def check_compatible(meta: dict, expect: dict, path: str | Path = "checkpoint") -> None:
    """Raise CheckpointError listing every key of `expect` whose value differs in meta."""
    diffs = []
    for k, v in expect.items():
        have = meta.get(k)
        if k == "net" and isinstance(have, dict):  # fields added since the checkpoint: their defaults
            have = {**{f.name: f.default for f in dataclasses.fields(NetConfig)}, **have}
        if isinstance(v, dict) and isinstance(have, dict):
            diffs += [f"{k}.{j}: checkpoint has {have.get(j)!r}, expected {v[j]!r}"
                      for j in v if have.get(j) != v[j]]
        elif have != v:
            diffs.append(f"{k}: checkpoint has {have!r}, expected {v!r}")
    if diffs:
        raise CheckpointError(f"{path} does not fit: " + "; ".join(diffs))


# Auxiliary heads a warm start may add (NetConfig flag -> prefix of its parameters): they start from
# a fresh initialisation on top of the checkpoint's trunk and heads, as KataGo adds heads to a net.
AUX_HEADS = {"ownership_head": "ownership_conv.", "soft_policy_head": "soft_policy_fc.", "score_head": "score_fc."}


def check_warm_start(meta: dict, expect: dict, path: str | Path = "checkpoint") -> list[str]:
    """check_compatible, except that `expect` may add auxiliary heads (AUX_HEADS) the checkpoint
    lacks; returns their flags. Needs no model: the CLI checks before anything starts."""
    have = meta.get("net") or {}  # a flag absent from an older checkpoint is off (NetConfig's default)
    want = dict(expect.get("net") or {})
    added = [k for k in AUX_HEADS if want.get(k) and not have.get(k)]
    check_compatible(meta, {**expect, "net": {**want, **{k: False for k in added}}}, path)
    return added


def warm_start(model: PolicyValueNet, data: dict, expect: dict, path: str | Path = "checkpoint") -> list[str]:
    """Load checkpoint `data` (read_checkpoint) into `model` built for `expect`. The model may have
    auxiliary heads (AUX_HEADS) the checkpoint lacks: they keep their fresh initialisation; every
    other difference (board, planes, trunk, a head the checkpoint has and the model not) raises
    CheckpointError. Returns the flags of the heads added."""
    added = check_warm_start(data["meta"], expect, path)
    missing, unexpected = model.load_state_dict(data["model"], strict=False)
    fresh = tuple(AUX_HEADS[k] for k in added)
    bad = [k for k in missing if not (fresh and k.startswith(fresh))] + list(unexpected)
    if bad:
        raise CheckpointError(f"{path} does not fit: parameters {bad[:6]} differ")
    return added


def build_model(meta: dict) -> PolicyValueNet:
    fields = {f.name for f in dataclasses.fields(NetConfig)}
    net = NetConfig(**{k: v for k, v in meta["net"].items() if k in fields})
    return PolicyValueNet(meta["board_size"], meta["in_planes"], net)


def load_model(path: str | Path, expect: dict | None = None, device: str = "cpu") -> tuple[PolicyValueNet, dict]:
    """(model in eval mode, meta). `expect` (e.g. {"board_size": 9}) is checked first."""
    data = read_checkpoint(path, map_location=device)
    meta = data["meta"]
    if expect:
        check_compatible(meta, expect, path)
    model = build_model(meta)
    try:
        model.load_state_dict(data["model"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not match the architecture in its meta: "
                              f"{str(exc).splitlines()[0]}") from None
    return model.to(device).eval(), meta
