"""A search-backed player for one game: position in, move and analysis out.

Used by the GTP engine, terminal play and the arena. Loads only a net's weights
(net/io.py), never the trainer. Without a checkpoint it searches with a uniform or
random-rollout evaluator, so rules and protocols work with no trained net.

Randomness (evaluation games must differ: repeats of one game add no evidence). Every move draws from streams derived
from (seed, move number) alone, so a player with a given seed always plays the same move in
the same position, and a different seed (GTP set_random_seed) can play another:
- ties between equally visited moves are broken at random (PUCT);
- root_noise > 0 mixes that fraction of Dirichlet noise into the root prior (AlphaGo Zero's
  exploration noise, with no playout-cap randomisation and no forced playouts), so a net
  that is almost sure of a move still plays it and close calls go either way (PUCT only:
  the Gumbel root plays its sequential-halving winner, without noise);
- the random-rollout evaluator's playouts (numba's generator, seeded before each search).
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from ..go import GoState
from ..go import seed as seed_engine
from ..goenv import GoEnv
from ..go.features import FeatureConfig
from ..mcts.config import SearchConfig
from ..mcts.evaluators import RolloutEvaluator, UniformEvaluator
from ..mcts.search import Search, SearchResult

if TYPE_CHECKING:
    from ..net.io import CheckpointMeta


@dataclass
class MoveInfo:
    """One analysed candidate: GTP-style fields (winrate for the player to move)."""
    action: int
    visits: int
    winrate: float
    prior: float
    pv: list[int] = field(default_factory=list)  # the expected line from this move on, this move first


@dataclass
class Decision:
    action: int               # move to play (N*N = pass)
    resign: bool
    winrate: float            # search's estimate for the player to move, in [0, 1]
    candidates: list[MoveInfo]  # by visits, most first
    result: SearchResult


def checkpoint_board(meta: CheckpointMeta, size: int | None = None, komi: float | None = None,
                     name: str = "the checkpoint") -> tuple[int, float]:
    """(board size, komi) to play a checkpoint with: its net's size (a `size` that differs is
    a ValueError naming both), and `komi`, else CheckpointMeta.komi (the komi of the rules it
    was trained with, else the default)."""
    n = meta.board_size
    if size is not None and size != n:
        raise ValueError(f"board size {size}x{size} was asked for, but {name} holds a {n}x{n} net "
                         f"(leave the size out to play {n}x{n})")
    return n, meta.komi if komi is None else komi


def available_memory() -> int:
    """Bytes of memory available to a new allocation (Linux MemAvailable; else physical pages free)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62  # unknown: do not refuse


class SearchPlayer:
    def __init__(self, checkpoint: str | None = None, sims: int = 64, kind: str = "puct",
                 threads: int = 1, evaluator: str = "rollout", resign_below: float = 0.05,
                 board_size: int | None = None, device: str = "cpu", seed: int = 0,
                 pass_rule: str = "settled", root_noise: float = 0.0, score_utility: float = 0.0,
                 search: SearchConfig | None = None):
        """search: the whole search to play (e.g. a checkpoint's own, engines.NetPlayer); None:
        SearchConfig(kind=kind, num_simulations=sims). Either way tree reuse, Gumbel noise, playout
        caps and forced playouts are off and root_noise sets the Dirichlet fraction (below)."""
        import torch
        torch.set_num_threads(threads)
        self.meta: CheckpointMeta | None = None
        self.features = FeatureConfig()
        self.model = None
        if checkpoint:
            from ..net.io import load_model
            expect = {"board_size": board_size} if board_size else None
            self.model, self.meta = load_model(checkpoint, expect=expect, device=device)
            self.features = self.meta.feature_config
            self.board_size = self.meta.board_size
        else:
            self.board_size = board_size
        self.kind_evaluator = "net" if checkpoint else evaluator
        if not 0.0 <= root_noise <= 1.0:
            raise ValueError(f"root_noise must be in [0, 1], got {root_noise!r}")
        # root_noise: fraction of Dirichlet noise in the root prior (0 = none, evaluation play);
        # every search full (no playout cap) and no forced playouts, which would distort play
        self.root_noise = root_noise
        base = search if search is not None else SearchConfig(kind=kind, num_simulations=sims)
        self.search_config = replace(base, reuse_tree=False, gumbel_scale=0.0, dirichlet_fraction=root_noise,
                                     full_search_prob=1.0, forced_playouts=False)
        self.resign_below = resign_below
        self.pass_rule = pass_rule  # go/settled.py: play on until the board is settled, then pass
        self.device = device
        self.seed = seed  # GTP set_random_seed changes it; see move_streams()
        self._evaluator = None
        if self.model is not None:
            from ..net.evaluator import TorchEvaluator
            self._evaluator = TorchEvaluator(self.model, device=device, threads=threads, score_utility=score_utility)

    @property
    def name(self) -> str:
        if self.model is not None:
            return f"alphago-v{self.meta.weight_version}"
        return f"alphago-{self.kind_evaluator}"

    @property
    def has_ownership(self) -> bool:
        return self.model is not None and bool(getattr(self.model.config, "ownership_head", False))

    def ownership(self, state: GoState) -> np.ndarray | None:
        """float32[N*N] (action order, row 0 at the bottom) the net's expected final owner of every
        point for the player to move in `state` (1: the mover's, -1: the opponent's), from one
        evaluation of the ownership head at the root; None without such a head."""
        if not self.has_ownership:
            return None
        return self._aux_heads(state.batch)["ownership"][0].float().cpu().numpy()

    def _aux_heads(self, batch) -> dict:
        """The net's auxiliary heads (forward_aux) on every game of a GoBatch."""
        import torch

        from ..go.features import compute_features
        x = torch.from_numpy(compute_features(batch, self.features)).to(self.device)
        self.model.eval()
        with torch.no_grad():
            return self.model.forward_aux(x)[2]

    @property
    def has_score(self) -> bool:
        return self.model is not None and bool(getattr(self.model.config, "score_head", False))

    def score_leads(self, state: GoState, actions: list[int]) -> np.ndarray | None:
        """float32[K] the score lead of each candidate for the player to move in `state`: minus
        the expected final margin (score head) of the opponent, to move after it; komi
        included. One batched evaluation of the K children; None without a score head."""
        if not self.has_score or not actions:
            return None
        from ..go import GoBatch
        from ..net.model import score_lead
        src = state.batch
        kids = GoBatch(src.n, len(actions), src.rules, history=src.history)
        kids.copy_games_from(src, [0] * len(actions), list(range(len(actions))))
        kids.step(np.asarray(actions, np.int32), validate=False)
        return (-score_lead(self._aux_heads(kids)["score_logits"])).cpu().numpy()

    def move_streams(self, move_number: int) -> tuple[int, int, np.random.Generator]:
        """(search seed, rollout seed, tie-break generator) for one move: independent streams
        from (seed, move number), so neither depends on what earlier moves drew."""
        ss = np.random.SeedSequence([self.seed % 2 ** 63, move_number])
        search_seed, rollout_seed, tie_seed = (int(x) for x in ss.generate_state(3, np.uint32))
        return search_seed, rollout_seed, np.random.default_rng(tie_seed)

    def check_fits(self, n: int) -> None:
        """ValueError (naming the limit) when the search tree of this player's simulation count on
        an n x n board would take more than half the memory available now: the tree is
        preallocated, so a huge --sims would otherwise fail in the allocator or swap the machine."""
        from ..mcts.search import MAX_TREE_BYTES, tree_nbytes
        need = tree_nbytes(self.search_config, 1, n * n + 1)
        budget = min(available_memory() // 2, MAX_TREE_BYTES)
        if need > budget:
            thousand = replace(self.search_config, num_simulations=1000, fast_simulations=1)
            per_sim = tree_nbytes(thousand, 1, n * n + 1) / 1000
            raise ValueError(f"--sims {self.search_config.num_simulations} needs {need / 2 ** 30:.1f} GiB for the "
                             f"search tree on {n}x{n}, more than {budget / 2 ** 30:.1f} GiB (half the memory "
                             f"available, at most 2 GiB per tree); at most {int(budget / per_sim):,} simulations fit")

    def set_sims(self, sims: int) -> None:
        self.search_config = replace(self.search_config, num_simulations=max(1, sims))

    def decide(self, state: GoState, seconds: float | None = None, allow_resign: bool = True,
               allow_pass: bool = True, stop: threading.Event | None = None) -> Decision:
        """Search the position (the state is not changed) and choose a move. `stop`, once set from
        another thread, ends the search after the simulation under way (Search.run)."""
        if self.board_size is not None and state.n != self.board_size:
            raise ValueError(f"this player's net is for {self.board_size}x{self.board_size}, "
                             f"the board is {state.n}x{state.n}")
        roots = state.batch.copy()
        roots.set_over(0, False)  # GTP play may go on after two passes
        if roots.history < self.features.history:
            raise ValueError("the game keeps too little history for this net's features")
        env = GoEnv(roots, self.features, self.pass_rule)
        search_seed, rollout_seed, tie_rng = self.move_streams(state.move_number)
        evaluator = self._evaluator
        if evaluator is None and self.kind_evaluator == "rollout":
            seed_engine(rollout_seed)  # numba's generator is per thread: this one runs the search
            evaluator = RolloutEvaluator(env, 8)
        elif evaluator is None:
            evaluator = UniformEvaluator()
        search = Search(self.search_config, 1, roots.num_actions, seed=search_seed)
        deadline = time.perf_counter() + seconds if seconds else None
        r = search.run(env, evaluator, add_noise=self.root_noise > 0, deadline=deadline, stop=stop)
        visits, q, prior = r.visits[0], r.q[0], r.prior[0]
        order = np.argsort(-visits, kind="stable")
        cands = [MoveInfo(int(a), int(visits[a]), float((q[a] + 1) / 2), float(prior[a]),
                          search.principal_variation(0, int(a)))
                 for a in order if visits[a] > 0]
        action = int(r.action[0])
        if self.search_config.kind == "puct" and visits.max() > 0:
            top = np.flatnonzero(visits == visits.max())  # visited, hence legal
            if len(top) > 1:
                action = int(tie_rng.choice(top))
        if not allow_pass and action == state.n * state.n:
            legal = roots.legal_mask()[0].copy()
            legal[state.n * state.n] = False
            if legal.any():
                action = int(np.argmax(np.where(legal, visits + 1e-3 * prior, -1)))
        winrate = float((r.search_value[0] + 1) / 2)
        resign = allow_resign and winrate < self.resign_below
        return Decision(action, resign, winrate, cands, r)
