"""A tiny 5x5 net whose score head always says 'the player to move wins by 3' (komi 2.5), for the tests
of what the score head reaches: GTP kata-analyze (test_gtp.py) and the page's analysis (test_serve.py)."""
from __future__ import annotations

from pathlib import Path


def score_net_checkpoint(tmp_path: Path) -> Path:
    import torch

    from alphago.go import Rules
    from alphago.go.features import FeatureConfig
    from alphago.net.model import NetConfig, PolicyValueNet, score_half_range
    from alphago.train.checkpoint import save_checkpoint
    torch.manual_seed(0)
    features, cfg = FeatureConfig(), NetConfig(blocks=1, channels=8, value_hidden=8, score_head=True)
    net = PolicyValueNet(5, features.num_planes, cfg)
    with torch.no_grad():
        net.score_fc[-1].weight.zero_()
        net.score_fc[-1].bias.fill_(-50.0)
        net.score_fc[-1].bias[score_half_range(5) + 3] = 50.0
    meta = {"board_size": 5, "in_planes": features.num_planes, "net": dict(cfg.__dict__),
            "features": dict(features.__dict__), "rules": dict(Rules(komi=2.5).__dict__), "step": 0,
            "weight_version": 0}
    return Path(save_checkpoint(tmp_path / "score.pt", net, meta))
