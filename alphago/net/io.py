"""Checkpoint files: reading them safely and building the net they describe.

A checkpoint is a torch.save'd dict of tensors and plain values:
  {"format": "alphago-checkpoint", "version": 1, "meta": {...}, "model": state_dict,
   "optimizer": state_dict or None}
"meta" is CheckpointMeta.to_dict(): plain values only, so the file is loaded with
torch.load(weights_only=True), which refuses any pickled object that could run code.
Every writer builds a CheckpointMeta and every reader gets one (read_meta, load_model,
CheckpointMeta.of): the meta's keys are spelled here only. Playing needs only this module
and model.py, never the trainer.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from .model import NetConfig, PolicyValueNet

if TYPE_CHECKING:
    from ..go.features import FeatureConfig
    from ..mcts.config import SearchConfig

FORMAT = "alphago-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that is missing, corrupt, unsafe, or made for another board or net."""


@dataclass(frozen=True)
class CheckpointMeta:
    """What a checkpoint says about its net, written by the learner (train/learner.py), `alphago
    pretrain` (train/supervised.py) and distillation (experiments/distill.py). An optional field
    is None when the writer did not record it (older files, or a writer it does not concern);
    to_dict leaves such keys out, so from_dict(d).to_dict() == d for every meta written so far (a
    hand-made one without step or weight_version gains them at 0, the value readers assumed)."""
    board_size: int                      # N: the net plays N x N
    in_planes: int                       # input feature planes (FeatureConfig.num_planes)
    net: dict                            # NetConfig fields as written (an older file lacks newer flags: net_config)
    step: int = 0                        # training steps behind these weights
    weight_version: int = 0              # the learner's weight version (0: pretrained or distilled)
    games: int | None = None             # self-play games the run had played
    positions: int | None = None         # positions trained on (distilled: positions used)
    ledger: dict | None = None           # train/bits.py BitsLedger.state(); None for a distilled student
    features: dict | None = None         # FeatureConfig fields (feature_config)
    rules: dict | None = None            # go/rules.py Rules fields the net was trained under (komi)
    forward_flops: int | None = None     # FLOPs of one forward pass on one position
    config_json: str | None = None       # the run's Config as JSON text (config.Config.to_json)
    pending_samples: float | None = None  # learner: training samples owed by games not yet trained on
    wall_s: float | None = None          # learner: wall-clock seconds of the run, earlier processes included
    next_shard: int | None = None        # learner: game shards below this index were ingested
    reanalysed: int | None = None        # learner: positions whose targets Reanalyse renewed
    pretrained_on: str | None = None     # pretrain: the SGF directory
    pretrain_report: str | None = None   # pretrain: its held-out report, JSON text
    distilled_from: str | None = None    # distillation: the teacher checkpoint
    distill_label: str | None = None     # distillation: the student's label in the study
    extra: dict = field(default_factory=dict)  # keys this code does not know, kept as they were

    @classmethod
    def from_dict(cls, d: dict, path: str | Path = "checkpoint") -> CheckpointMeta:
        """The meta stored in a file; CheckpointError when a key every net needs is missing."""
        if not isinstance(d, dict):
            raise CheckpointError(f"{path}: meta is {type(d).__name__}, not a dict")
        missing = [k for k in ("board_size", "in_planes", "net") if k not in d]
        if missing:
            raise CheckpointError(f"{path}: meta lacks {', '.join(missing)}")
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        return cls(**{k: v for k, v in d.items() if k in known},
                   extra={k: v for k, v in d.items() if k not in known})

    @classmethod
    def of(cls, data: dict, path: str | Path = "checkpoint") -> CheckpointMeta:
        """The meta of a checkpoint already read (read_checkpoint)."""
        return cls.from_dict(data.get("meta"), path)

    def to_dict(self) -> dict:
        """The plain dict stored in the file: the fields in order, unrecorded ones left out, then extra."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name != "extra" and getattr(self, f.name) is not None}
        return {**out, **self.extra}

    @property
    def komi(self) -> float:
        """The komi the net was trained with, else go/rules.py DEFAULT_KOMI."""
        from ..go.rules import DEFAULT_KOMI
        rules = self.rules or {}
        return float(rules["komi"]) if rules.get("komi") is not None else DEFAULT_KOMI

    @property
    def flops(self) -> float:
        """Cumulative FLOPs of the ledger (ledger_flops); 0 without one."""
        return ledger_flops(self.ledger)

    @property
    def net_config(self) -> NetConfig:
        """The architecture: the stored fields, newer flags at their defaults (off)."""
        fields = {f.name for f in dataclasses.fields(NetConfig)}
        return NetConfig(**{k: v for k, v in self.net.items() if k in fields})

    @property
    def feature_config(self) -> FeatureConfig:
        from ..go.features import FeatureConfig
        if self.features is None:
            raise CheckpointError("the checkpoint records no input features")
        return FeatureConfig(**self.features)

    @property
    def run_config(self) -> dict | None:
        """The stored run config as plain JSON data (config.config_from_dict builds a Config), or None."""
        return json.loads(self.config_json) if self.config_json else None

    @property
    def search(self) -> SearchConfig | None:
        """The search the net was trained with (the run config's `search`), or None when the
        checkpoint stores no run config. Settings this code no longer knows are left out."""
        from ..mcts.config import SearchConfig
        run = self.run_config
        if run is None:
            return None
        known = {f.name for f in dataclasses.fields(SearchConfig)}
        return SearchConfig(**{k: v for k, v in (run.get("search") or {}).items() if k in known})


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


def read_meta(path: str | Path) -> CheckpointMeta:
    """The meta of the checkpoint at `path` (read safely, as read_checkpoint)."""
    return CheckpointMeta.of(read_checkpoint(path), path)


def ledger_flops(ledger: dict | None) -> float:
    """Cumulative FLOPs of a ledger saved in a checkpoint's meta (CheckpointMeta.ledger, written by
    train/bits.py BitsLedger.state()): self-play, training and Reanalyse, as BitsLedger.flops.
    Read here so that play and evaluation need not import the trainer."""
    led = ledger or {}
    return float(led.get("selfplay_flops", 0.0) + led.get("train_flops", 0.0) + led.get("reanalyse_flops", 0.0))


def check_compatible(meta: CheckpointMeta | dict, expect: dict, path: str | Path = "checkpoint") -> None:
    """Raise CheckpointError listing every key of `expect` whose value differs in meta."""
    meta = meta.to_dict() if isinstance(meta, CheckpointMeta) else meta
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


def check_warm_start(meta: CheckpointMeta | dict, expect: dict, path: str | Path = "checkpoint") -> list[str]:
    """check_compatible, except that `expect` may add auxiliary heads (AUX_HEADS) the checkpoint
    lacks; returns their flags. Needs no model: the CLI checks before anything starts."""
    meta = meta.to_dict() if isinstance(meta, CheckpointMeta) else meta
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


def build_model(meta: CheckpointMeta) -> PolicyValueNet:
    return PolicyValueNet(meta.board_size, meta.in_planes, meta.net_config)


def load_model(path: str | Path, expect: dict | None = None,
               device: str = "cpu") -> tuple[PolicyValueNet, CheckpointMeta]:
    """(model in eval mode, meta). `expect` (e.g. {"board_size": 9}) is checked first."""
    data = read_checkpoint(path, map_location=device)
    meta = CheckpointMeta.of(data, path)
    if expect:
        check_compatible(meta, expect, path)
    model = build_model(meta)
    try:
        model.load_state_dict(data["model"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not match the architecture in its meta: "
                              f"{str(exc).splitlines()[0]}") from None
    return model.to(device).eval(), meta
