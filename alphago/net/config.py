"""Network shape: typed, frozen, validated; torch-free so that configs load without torch."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NetConfig:
    blocks: int = 6            # residual blocks (AlphaGo Zero: 19 or 39 on 19x19)
    channels: int = 64         # filters per conv (AlphaGo Zero: 256)
    value_hidden: int = 64     # value head hidden units (AlphaGo Zero: 256)
    global_pool: bool = False  # KataGo global pooling bias in every other block
    ownership_head: bool = False  # KataGo's ownership head: final owner of each point (train.ownership_weight)
    soft_policy_head: bool = False  # KataGo's auxiliary soft policy: visits^(1/T) (train.soft_policy_weight)
    score_head: bool = False   # KataGo's score belief: final margin distribution for the mover (train.score_weight)

    def __post_init__(self) -> None:
        for key in ("blocks", "channels", "value_hidden"):
            v = getattr(self, key)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"net.{key} must be an integer >= 1, got {v!r}")
