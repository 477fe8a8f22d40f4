"""A search-backed player for one game: position in, move and analysis out.

Used by the GTP engine, terminal play and the arena. Loads only a net's weights
(net/io.py), never the trainer. Without a checkpoint it searches with a uniform or
random-rollout evaluator, so rules and protocols work with no trained net.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from ..go import GoState
from ..go.env import GoEnv
from ..go.features import FeatureConfig
from ..mcts.config import SearchConfig
from ..mcts.evaluators import RolloutEvaluator, UniformEvaluator
from ..mcts.search import Search, SearchResult


@dataclass
class MoveInfo:
    """One analysed candidate: GTP-style fields (winrate for the player to move)."""
    action: int
    visits: int
    winrate: float
    prior: float


@dataclass
class Decision:
    action: int               # move to play (N*N = pass)
    resign: bool
    winrate: float            # search's estimate for the player to move, in [0, 1]
    candidates: list[MoveInfo]  # by visits, most first
    result: SearchResult


class SearchPlayer:
    def __init__(self, checkpoint: str | None = None, sims: int = 64, kind: str = "puct",
                 threads: int = 1, evaluator: str = "rollout", resign_below: float = 0.05,
                 board_size: int | None = None, device: str = "cpu", seed: int = 0):
        import torch
        torch.set_num_threads(threads)
        self.meta: dict = {}
        self.features = FeatureConfig()
        self.model = None
        if checkpoint:
            from ..net.io import load_model
            expect = {"board_size": board_size} if board_size else None
            self.model, self.meta = load_model(checkpoint, expect=expect, device=device)
            self.features = FeatureConfig(**self.meta["features"])
            self.board_size = self.meta["board_size"]
        else:
            self.board_size = board_size
        self.kind_evaluator = "net" if checkpoint else evaluator
        self.search_config = SearchConfig(kind=kind, num_simulations=sims, reuse_tree=False,
                                          gumbel_scale=0.0)
        self.resign_below = resign_below
        self.device = device
        self.seed = seed
        self._evaluator = None
        if self.model is not None:
            from ..net.evaluator import TorchEvaluator
            self._evaluator = TorchEvaluator(self.model, device=device, threads=threads)

    @property
    def name(self) -> str:
        if self.model is not None:
            return f"alphago-v{self.meta.get('weight_version', 0)}"
        return f"alphago-{self.kind_evaluator}"

    def set_sims(self, sims: int) -> None:
        self.search_config = replace(self.search_config, num_simulations=max(1, sims))

    def decide(self, state: GoState, seconds: float | None = None, allow_resign: bool = True,
               allow_pass: bool = True) -> Decision:
        """Search the position (the state is not changed) and choose a move."""
        if self.board_size is not None and state.n != self.board_size:
            raise ValueError(f"this player's net is for {self.board_size}x{self.board_size}, "
                             f"the board is {state.n}x{state.n}")
        roots = state.batch.copy()
        roots.games["over"][0] = False  # GTP play may go on after two passes
        if roots.history < self.features.history:
            raise ValueError("the game keeps too little history for this net's features")
        env = GoEnv(roots, self.features)
        evaluator = self._evaluator
        if evaluator is None:
            evaluator = RolloutEvaluator(env, 8) if self.kind_evaluator == "rollout" else UniformEvaluator()
        search = Search(self.search_config, 1, roots.num_actions, seed=self.seed + state.move_number)
        deadline = time.perf_counter() + seconds if seconds else None
        r = search.run(env, evaluator, add_noise=False, deadline=deadline)
        visits, q, prior = r.visits[0], r.q[0], r.prior[0]
        order = np.argsort(-visits, kind="stable")
        cands = [MoveInfo(int(a), int(visits[a]), float((q[a] + 1) / 2), float(prior[a]))
                 for a in order if visits[a] > 0]
        action = int(r.action[0])
        if not allow_pass and action == state.n * state.n:
            legal = roots.legal_mask()[0].copy()
            legal[state.n * state.n] = False
            if legal.any():
                action = int(np.argmax(np.where(legal, visits + 1e-3 * prior, -1)))
        winrate = float((r.search_value[0] + 1) / 2)
        resign = allow_resign and winrate < self.resign_below
        return Decision(action, resign, winrate, cands, r)
