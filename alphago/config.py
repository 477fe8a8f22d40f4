"""Typed, frozen configuration loaded from YAML. Unknown keys, wrong types and bad values
are errors that name the key (`search.num_simulations must be ...`). Nothing global:
a Config is built once and passed down explicitly.
"""
from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .go.features import FeatureConfig
from .go.rules import Rules
from .mcts.config import SearchConfig
from .mcts.targets import TARGETS
from .net.config import NetConfig
from .selfplay.config import SelfPlayConfig
from .train.config import TrainConfig

SCHEDULES = ("alternating", "async")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class RunConfig:
    schedule: str = "alternating"   # alternating self-play / training phases (small machines) or async (clusters)
    workers: int | str = 1          # self-play actors, or "auto": the cluster's CPUs (less the learner's in the
    #                                 async schedule) divided by worker_cpus, read when the run starts and
    #                                 again as nodes join (more workers; never fewer)
    worker_cpus: float = 1.0        # Ray CPUs per self-play actor (its torch and numba threads follow)
    learner_cpus: float = 1.0
    learner_gpus: float = 0.0
    games_per_phase: int = 32       # alternating: games per self-play phase (all workers together)
    total_games: int = 256          # stop after this many self-play games ...
    max_steps: int | None = None    # ... or this many training steps, whichever comes first
    checkpoint_every: int = 100     # training steps between checkpoints
    eval_every: int = 0             # training steps between evaluation matches (0 = off)
    eval_games: int = 4             # games per evaluation match (colours alternate)
    eval_sims: int = 32             # simulations per move in evaluation matches
    # fixed reference opponents: an arena SPEC or a list of them (rollout, gnugo:1, gnugo:10, a checkpoint path);
    # each is logged under eval_<spec without punctuation>_* (gnugo:10 -> eval_gnugo10_elo)
    eval_reference: str | tuple[str, ...] = "rollout"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"run.schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if isinstance(self.workers, str) and self.workers != "auto":
            raise ValueError(f"run.workers must be an integer >= 1 or \"auto\", got {self.workers!r}")
        for key in ("games_per_phase", "total_games", "checkpoint_every", "eval_games", "eval_sims",
                    *(("workers",) if self.workers != "auto" else ())):
            v = getattr(self, key)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"run.{key} must be an integer >= 1, got {v!r}")
        if not isinstance(self.eval_every, int) or self.eval_every < 0:
            raise ValueError(f"run.eval_every must be an integer >= 0 (0 = off), got {self.eval_every!r}")
        refs = (self.eval_reference,) if isinstance(self.eval_reference, str) else tuple(self.eval_reference)
        if not refs or not all(isinstance(x, str) and x for x in refs):
            raise ValueError(f"run.eval_reference must be an arena spec or a non-empty list of them, "
                             f"got {self.eval_reference!r}")
        object.__setattr__(self, "eval_reference", refs)
        if self.worker_cpus <= 0 or self.learner_cpus < 0 or self.learner_gpus < 0:
            raise ValueError("run.worker_cpus must be > 0; run.learner_cpus and run.learner_gpus >= 0")


@dataclass(frozen=True)
class Config:
    size: int = 9
    rules: Rules = field(default_factory=Rules)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    net: NetConfig = field(default_factory=NetConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    selfplay: SelfPlayConfig = field(default_factory=SelfPlayConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def __post_init__(self) -> None:
        if not isinstance(self.size, int) or not 2 <= self.size <= 19:
            raise ValueError(f"size must be an integer from 2 to 19, got {self.size!r}")
        # cross-field: the policy target must be one this search produces (mcts/targets.py)
        TARGETS[self.train.target].check(self.search.kind, self.search.forced_playouts)
        if self.train.ownership_weight > 0 and not self.net.ownership_head:
            raise ConfigError(f"train.ownership_weight is {self.train.ownership_weight} but net.ownership_head is "
                              "false: the loss needs the head (set net.ownership_head: true, or the weight to 0)")
        if self.train.score_weight > 0 and not self.net.score_head:
            raise ConfigError(f"train.score_weight is {self.train.score_weight} but net.score_head is false: the "
                              "loss needs the head (set net.score_head: true, or the weight to 0)")
        if self.selfplay.score_utility > 0 and not self.net.score_head:
            raise ConfigError(f"selfplay.score_utility is {self.selfplay.score_utility} but net.score_head is false: "
                              "the utility reads the score head (set net.score_head: true, or the utility to 0)")
        if self.selfplay.komi_spread > 0 and not self.features.komi:
            raise ConfigError(f"selfplay.komi_spread is {self.selfplay.komi_spread} but features.komi is false: a net "
                              "that cannot see the komi cannot learn what it is worth (set features.komi: true)")
        if self.train.soft_policy_weight > 0 and not self.net.soft_policy_head:
            raise ConfigError(f"train.soft_policy_weight is {self.train.soft_policy_weight} but net.soft_policy_head "
                              "is false: the loss needs the head (set net.soft_policy_head: true, or the weight to 0)")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


def _check_type(value, tp, key: str):
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for opt in options:
            if opt is type(None):
                continue
            try:
                return _check_type(value, opt, key)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0] if errors else f"{key}: bad value {value!r}")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list, got {value!r}")
        (inner, *_rest) = typing.get_args(tp)
        return tuple(_check_type(v, inner, f"{key}[]") for v in value)
    if dataclasses.is_dataclass(tp):
        return build(tp, value, key)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        # YAML reads .inf and .nan as floats: an infinite lr or a NaN komi would be accepted
        # and fail far from here (NaN steps, searches that never end), so refuse them at the key
        if not math.isfinite(value):
            raise ConfigError(f"{key} must be a finite number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, got {value!r}")
        return value
    return value


def build(cls, data, prefix: str = ""):
    """Build dataclass `cls` from a mapping, checking keys and types recursively."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix or 'config'} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        where = f"{prefix}." if prefix else ""
        raise ConfigError(f"unknown config key {where}{unknown[0]!s}; allowed keys"
                          f"{' under ' + prefix if prefix else ''}: {', '.join(names)}")
    kwargs = {}
    for name in names:
        if name in data:
            key = f"{prefix}.{name}" if prefix else name
            kwargs[name] = _check_type(data[name], hints[name], key)
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        if prefix and not msg.startswith(prefix.split(".")[-1]):
            msg = f"{prefix}: {msg}"
        raise ConfigError(msg) from None


def read_yaml(path: str | Path, what: str = "config file"):
    """The YAML document in `path` ({} when empty); ConfigError saying which `what` is missing or
    not valid YAML."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {path} is not valid YAML: {exc}") from None


def load_config(path: str | Path, overrides: dict | None = None) -> Config:
    data = read_yaml(path)
    if overrides:
        data = _merge(data, overrides)
    return build(Config, data)


def config_from_dict(data: dict) -> Config:
    return build(Config, data)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out.get(k) or {}, v) if isinstance(v, dict) else v
    return out


def load_run_config(path: str | Path | None, checkpoint: str | Path | None = None) -> Config:
    """The config in the YAML file `path`, else the one stored in `checkpoint` (the run config the net
    was trained with). Raises ConfigError naming what is wrong."""
    if path:
        return load_config(path)
    if not checkpoint:
        raise ConfigError("give --config or --checkpoint")
    from .net.io import CheckpointError, read_meta  # torch: only when a checkpoint is read
    try:
        stored = read_meta(checkpoint).run_config
        if stored is None:
            raise ConfigError("it records no run config")
        cfg = config_from_dict(stored)
    except (CheckpointError, KeyError, ValueError, TypeError) as exc:
        raise ConfigError(f"no usable config in {checkpoint}: {exc}") from None
    refuse_stored_commands(cfg, checkpoint)
    return cfg


def stored_commands(cfg: Config) -> list[str]:
    """The settings of cfg that run a program of the config's choosing: gtp:COMMAND references."""
    return [spec for spec in cfg.run.eval_reference if spec.strip().lower().startswith("gtp:")]


def refuse_stored_commands(cfg: Config, source) -> None:
    """A checkpoint is data: a command inside its stored config would run as soon as a run
    evaluates (a crafted file with eval_every: 1 runs `sh -c ...` at the first evaluation).
    Commands come only from the user's own config file or command line."""
    cmds = stored_commands(cfg)
    if cmds:
        raise ConfigError(f"the run config stored in {source} sets run.eval_reference to the command "
                          f"{cmds[0]!r}; commands are taken only from your own config file: give one with --config")
