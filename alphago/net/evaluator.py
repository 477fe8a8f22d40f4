"""Batched network inference as the search's evaluator: (features, legal) -> (logits, value)."""
from __future__ import annotations

import numpy as np
import torch

from .model import PolicyValueNet


class TorchEvaluator:
    """Runs the net under inference_mode on `device`, channels-last on CPU (measured faster
    for 3x3 convs here), with an explicit torch thread count (oversubscribing cores makes
    a forward many times slower). Counts positions evaluated, for FLOP accounting."""

    def __init__(self, model: PolicyValueNet, device: str = "cpu", threads: int | None = None,
                 channels_last: bool = True):
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
            logits, value = self.model(x)
        self.positions += features.shape[0]
        return logits.float().cpu().numpy(), value.float().cpu().numpy()
