"""Search settings: typed, frozen, validated; defaults cite where they come from."""
from __future__ import annotations

from dataclasses import dataclass

SEARCH_KINDS = ("puct", "gumbel")


@dataclass(frozen=True)
class SearchConfig:
    kind: str = "puct"                 # "puct" (AlphaGo Zero / AlphaZero) or "gumbel" (Danihelka et al. 2022)
    num_simulations: int = 64          # new simulations per move (per game)
    # PUCT: c(N) = c_init + log((1 + N + c_base) / c_base)   (AlphaZero pseudocode values)
    c_init: float = 1.25
    c_base: float = 19652.0
    fpu_reduction: float = 0.25        # unvisited Q = parent Q - r * sqrt(visited prior mass) (Leela Zero)
    root_fpu_reduction: float = 0.0    # at the root, where noise already explores
    dirichlet_alpha_total: float = 10.0  # alpha = total / legal moves (AlphaZero: 0.03 on 19x19 ~ 10/~300)
    dirichlet_fraction: float = 0.25   # root prior = (1 - f) * p + f * Dir(alpha)    (AlphaGo Zero)
    reuse_tree: bool = True            # keep the subtree under the move played (PUCT only)
    # Gumbel root: Gumbel-top-m + sequential halving; sigma(q) = (c_visit + max N) * c_scale * q
    gumbel_m: int = 16                 # actions considered at the root (paper: 16 for Go)
    gumbel_scale: float = 1.0          # 0 = no Gumbel noise (evaluation play)
    c_visit: float = 50.0              # mctx defaults (maxvisit_init, value_scale)
    c_scale: float = 0.1
    # KataGo playout cap randomization: a fraction of moves get a full search (and become
    # policy targets), the rest a fast one with no root noise (no Dirichlet or Gumbel noise,
    # no forced playouts).
    full_search_prob: float = 1.0      # 1.0 = every search is full (cap randomization off)
    fast_simulations: int = 16
    # KataGo forced playouts + policy-target pruning (PUCT, full searches with noise)
    forced_playouts: bool = False
    forced_k: float = 2.0              # n_forced(a) = sqrt(k * P(a) * sum N)   (Wu 2019)
    capacity: int | None = None        # nodes per tree; None = 2 * (num_simulations + 1)

    def __post_init__(self) -> None:
        def bad(key: str, allowed: str, value) -> ValueError:
            return ValueError(f"search.{key} must be {allowed}, got {value!r}")
        if self.kind not in SEARCH_KINDS:
            raise bad("kind", f"one of {SEARCH_KINDS}", self.kind)
        for key in ("num_simulations", "fast_simulations", "gumbel_m"):
            v = getattr(self, key)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise bad(key, "an integer >= 1", v)
        for key in ("c_init", "c_base", "dirichlet_alpha_total", "c_visit", "c_scale", "forced_k"):
            if not getattr(self, key) > 0:
                raise bad(key, "> 0", getattr(self, key))
        for key in ("dirichlet_fraction", "full_search_prob"):
            if not 0.0 <= getattr(self, key) <= 1.0:
                raise bad(key, "in [0, 1]", getattr(self, key))
        for key in ("fpu_reduction", "root_fpu_reduction", "gumbel_scale"):
            if getattr(self, key) < 0:
                raise bad(key, ">= 0", getattr(self, key))
        if self.capacity is not None and self.capacity < max(self.num_simulations, self.fast_simulations) + 1:
            raise bad("capacity", "null or at least num_simulations + 1", self.capacity)

    @property
    def tree_capacity(self) -> int:
        return self.capacity or 2 * (max(self.num_simulations, self.fast_simulations) + 1)
