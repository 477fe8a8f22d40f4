"""In-run evaluation (run.eval_every): every eval_every training steps the newest checkpoint plays
the run's references (play/evaluation.py) and the match goes to metrics.jsonl. Called by the
schedule after each new weight version (Schedule's after_version)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config

if TYPE_CHECKING:
    from ..play.engines import NetPlayer


class InRunEvaluation:
    def __init__(self, cfg: Config, learner, steps: int):
        """learner: the run's LearnerHandle (with checkpoint_path); steps: the run's step count at start."""
        self.cfg, self.learner = cfg, learner
        self.previous: NetPlayer | None = None   # the checkpoint evaluated before, as it played
        self.last_step = steps

    def __call__(self, steps: int) -> None:
        from ..play.engines import NetPlayer
        from ..play.evaluation import evaluate_checkpoint
        r, cfg = self.cfg.run, self.cfg
        if not r.eval_every or steps // r.eval_every <= self.last_step // r.eval_every:
            return
        current = NetPlayer.own(self.learner.checkpoint_path(), r.eval_sims)   # its own trained search
        self.learner.log(evaluate_checkpoint(
            current, r.eval_reference, r.eval_games, cfg.size, cfg.rules.komi,
            previous=self.previous, seed=r.seed * 1_000_003 + steps))
        self.previous, self.last_step = current, steps
