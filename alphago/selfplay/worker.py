"""A self-play worker without Ray: a net (weights by version), an evaluator, a SelfPlay."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..config import Config
from ..net.evaluator import TorchEvaluator
from ..net.model import PolicyValueNet, count_flops
from .loop import SelfPlay


@dataclass
class SelfPlayBatch:
    """What one play call produced: finished games, and the network rows actually evaluated
    during the call (evaluation-cache hits excluded; rows spent on games still in flight
    included, so no self-play FLOP goes uncounted or is counted twice)."""
    records: list
    network_rows: int


class Worker:
    def __init__(self, cfg: Config, worker_id: int, threads: int = 1, device: str = "cpu"):
        torch.set_num_threads(threads)
        self.cfg = cfg
        self.worker_id = worker_id
        self.model = PolicyValueNet(cfg.size, cfg.features.num_planes, cfg.net)
        self.forward_flops = count_flops(self.model, cfg.features.num_planes, cfg.size)
        self.net = TorchEvaluator(self.model, device=device, threads=threads,
                                  score_utility=cfg.selfplay.score_utility)
        self.evaluator = self.net
        if cfg.selfplay.eval_cache:
            from ..mcts.evaluators import CachedEvaluator
            self.evaluator = CachedEvaluator(self.net, cfg.selfplay.eval_cache)
        self.selfplay = SelfPlay(cfg.size, cfg.rules, cfg.features, cfg.search, cfg.selfplay,
                                 seed=int(np.random.SeedSequence([cfg.run.seed, worker_id]).generate_state(1)[0]))
        from ..go import seed as seed_engine
        seed_engine(cfg.run.seed * 1000 + worker_id)
        self.version = -1
        self._reanalyser = None  # built on the first Reanalyse task (reanalyse_with)
        self._rows_reported = 0

    def set_weights(self, state_dict: dict, version: int) -> None:
        """Install weights of `version` (between searches only: play() does not yield mid-search)."""
        if version == self.version:
            return
        self.net.model.load_state_dict(state_dict)
        self.net.model.eval()
        if hasattr(self.evaluator, "cache"):
            self.evaluator.cache.clear()  # cached answers belong to the old weights
        self.version = version
        self.selfplay.weight_version = version

    def play(self, num_games: int) -> list:
        return self.selfplay.play(self.evaluator, num_games)

    def take_network_rows(self) -> int:
        """Network rows evaluated since the last call (for the FLOP ledger)."""
        rows = self.net.positions - self._rows_reported
        self._rows_reported = self.net.positions
        return rows

    def play_batch(self, num_games: int) -> SelfPlayBatch:
        records = self.play(num_games)
        return SelfPlayBatch(records, self.take_network_rows())

    def reanalyse_with(self, state_dict: dict, version: int, positions: list):
        """Install weights of `version` if newer, then search `positions` (PositionRefs) as
        Reanalyse targets (selfplay/reanalyse.py): the learner's Reanalyse share, run here as a
        Ray task between self-play phases. Returns a Reanalysed."""
        from .reanalyse import reanalyser_for
        self.set_weights(state_dict, version)
        if self._reanalyser is None:
            self._reanalyser = reanalyser_for(self.cfg, seed=self.cfg.run.seed * 1000 + 500 + self.worker_id)
        rows = self.net.positions
        out = self._reanalyser.run(positions, self.net)
        self._rows_reported += self.net.positions - rows  # Reanalyse rows are counted by the learner, not as self-play
        return out

    def play_with(self, state_dict: dict, version: int, num_games: int) -> SelfPlayBatch:
        """Install weights of `version` if newer, then play `num_games` games."""
        self.set_weights(state_dict, version)
        return self.play_batch(num_games)

