"""Learner settings: typed, frozen, validated; torch-free so that configs load without torch."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..mcts.targets import TARGET_KINDS, TARGETS

OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("constant", "cosine", "step")
REANALYSABLE = tuple(k for k, t in TARGETS.items() if t.reanalysable)  # a fresh search can renew them


@dataclass(frozen=True)
class TrainConfig:
    target: str = "visits"         # policy target kind (mcts/targets.py)
    batch_size: int = 256
    optimizer: str = "sgd"         # SGD with momentum 0.9 (AlphaGo Zero) or AdamW
    lr: float = 0.02               # AlphaGo Zero started at 0.01 at batch 2048 (x ~10 warm, here small boards)
    momentum: float = 0.9
    weight_decay: float = 1e-4     # AlphaGo Zero's L2 c = 1e-4
    lr_schedule: str = "constant"
    lr_steps: tuple[int, ...] = ()  # step schedule: divide by 10 at each of these steps
    total_steps: int = 10000       # cosine schedule horizon
    value_weight: float = 1.0
    ownership_weight: float = 0.0  # ownership loss weight (KataGo: 1.5 / N^2 per point summed = 1.5 x the
    #                               mean over points, used here); > 0 needs net.ownership_head
    soft_policy_weight: float = 0.0  # auxiliary soft policy loss weight; > 0 needs net.soft_policy_head
    score_weight: float = 0.0      # score-belief loss weight: cross-entropy of the final margin (two-hot over integer
    #                                margins; KataGo weights its score-belief pdf loss 0.02); > 0 needs net.score_head
    soft_policy_temperature: float = 4.0  # its target: visits^(1/T), normalised (KataGo: T = 4)
    label_smoothing: float = 0.0   # hard targets only: (1 - eps) one-hot + eps uniform over all A actions
    #                                (Szegedy et al. 2016), the control that separates "soft labels carry
    #                                information" from "soft labels regularise" (0 = off)
    reanalyse_ratio: float = 0.0   # MuZero Reanalyse: stored positions re-searched with the latest net per new
    #                                self-play position (0 = off); targets visits, gumbel or argmax only
    window: int = 50000            # replay window in positions
    replay_ratio: float = 4.0      # training samples per new self-play position
    device: str = "cpu"
    probe: str | None = None       # shared probe set (alphago probe build): every checkpoint is scored on it

    def __post_init__(self) -> None:
        if self.target not in TARGET_KINDS:
            raise ValueError(f"train.target must be one of {TARGET_KINDS}, got {self.target!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"train.optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.lr_schedule not in SCHEDULES:
            raise ValueError(f"train.lr_schedule must be one of {SCHEDULES}, got {self.lr_schedule!r}")
        for key in ("batch_size", "window", "total_steps"):
            v = getattr(self, key)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"train.{key} must be an integer >= 1, got {v!r}")
        for key in ("lr", "replay_ratio"):
            if not getattr(self, key) > 0:
                raise ValueError(f"train.{key} must be > 0, got {getattr(self, key)!r}")
        if self.ownership_weight < 0:
            raise ValueError(f"train.ownership_weight must be >= 0, got {self.ownership_weight!r}")
        if self.score_weight < 0:
            raise ValueError(f"train.score_weight must be >= 0, got {self.score_weight!r}")
        if self.soft_policy_weight < 0:
            raise ValueError(f"train.soft_policy_weight must be >= 0, got {self.soft_policy_weight!r}")
        if not 0.0 <= self.reanalyse_ratio <= 16.0:
            raise ValueError(f"train.reanalyse_ratio must be in [0, 16], got {self.reanalyse_ratio!r}")
        if self.reanalyse_ratio > 0 and self.target not in REANALYSABLE:
            raise ValueError(f"train.reanalyse_ratio > 0 needs train.target in {REANALYSABLE} (a fresh search "
                             f"cannot change {self.target!r} targets), got {self.target!r}")
        if not self.soft_policy_temperature >= 1.0:
            raise ValueError(f"train.soft_policy_temperature must be >= 1 (1 = the visit distribution itself), "
                             f"got {self.soft_policy_temperature!r}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"train.label_smoothing must be in [0, 1), got {self.label_smoothing!r}")
        kind = TARGETS[self.target]
        if self.label_smoothing > 0 and (kind.soft or kind.weighting != "full_search"):
            raise ValueError(f"train.label_smoothing > 0 needs a one-hot train.target (action or argmax), "
                             f"got {self.target!r}")
        if not isinstance(self.device, str) or not re.fullmatch(r"cpu|cuda(:[0-9]+)?|mps", self.device):
            raise ValueError(f"train.device must be one of cpu, cuda, cuda:N, mps, got {self.device!r}")
        if self.weight_decay < 0 or self.value_weight < 0 or not 0 <= self.momentum < 1:
            raise ValueError("train.weight_decay and train.value_weight must be >= 0, train.momentum in [0, 1)")
