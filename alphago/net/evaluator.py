"""Batched network inference as the search's evaluator: (features, legal) -> (logits, value)."""
from __future__ import annotations

import numpy as np
import torch

from .model import PolicyValueNet, score_lead


class TorchEvaluator:
    """Runs the net under inference_mode on `device`, channels-last on CPU (measured faster
    for 3x3 convs here), with an explicit torch thread count (oversubscribing cores makes
    a forward many times slower). Counts positions evaluated, for FLOP accounting.

    score_utility u in [0, 1] (a net with a score head only): the value the search sees is
    (1 - u) v + u tanh(lead / N), lead the score head's expected margin for the player to move:
    KataGo's score utility in a bounded form, so that among won (or drawn) lines the search
    prefers larger margins; 0 = the value head alone."""

    def __init__(self, model: PolicyValueNet, device: str = "cpu", threads: int | None = None,
                 channels_last: bool = True, score_utility: float = 0.0):
        if not 0.0 <= score_utility <= 1.0:
            raise ValueError(f"score_utility must be in [0, 1], got {score_utility!r}")
        if score_utility > 0 and not model.config.score_head:
            raise ValueError("score_utility > 0 needs a net with a score head (net.score_head: true)")
        self.score_utility = score_utility
        if threads is not None:
            torch.set_num_threads(threads)
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.channels_last = channels_last and self.device.type == "cpu"
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.positions = 0

    def __call__(self, features: np.ndarray, legal: np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(features)).to(self.device)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            if self.score_utility > 0:
                logits, value, aux = self.model.forward_aux(x)
                u = self.score_utility
                value = (1 - u) * value + u * torch.tanh(score_lead(aux["score_logits"]) / self.model.board_size)
            else:
                logits, value = self.model(x)
        self.positions += features.shape[0]
        return logits.float().cpu().numpy(), value.float().cpu().numpy()
