"""Policy/value ResNet (AlphaGo Zero layout), sized for small boards.

Input float32[B, C, N, N] planes (go/features.py). Outputs: policy logits float32[B, N*N + 1]
(pass last) and value float32[B] in [-1, 1] for the player to move. Optional KataGo-style
global pooling in the residual blocks (lets a 5x5..9x9 net see the whole board early).

Optional ownership head (KataGo): float32[B, N*N] in [-1, 1], the expected final owner of each
point for the player to move (1 = the mover's, -1 = the opponent's). Optional score head: logits
float32[B, 2M + 1] over the final margin for the player to move (their area - the opponent's, komi
included), integer margins -M..M with M = score_half_range(N) = 2 N^2 (room for any komi up to N^2);
KataGo's score belief, a distribution rather than a mean. forward() returns policy and value only
(what search and play use: the head costs nothing there); forward_aux() adds the auxiliary heads
for training and analysis.
"""
from __future__ import annotations

import torch
from torch import nn

from .config import NetConfig  # noqa: F401  (re-exported: the model is built from it)


def score_half_range(board_size: int) -> int:
    """M: the score head's support is the integer margins -M..M (bin i is margin i - M)."""
    return 2 * board_size * board_size


def score_lead(score_logits: torch.Tensor) -> torch.Tensor:
    """[B] expected final margin for the player to move, from the score head's logits [B, 2M + 1]."""
    m = (score_logits.shape[-1] - 1) // 2
    support = torch.arange(-m, m + 1, dtype=torch.float32, device=score_logits.device)
    return (torch.softmax(score_logits.float(), -1) * support).sum(-1)


class _GlobalPoolBias(nn.Module):
    """Adds a per-channel bias computed from the mean and max of half the channels."""

    def __init__(self, channels: int):
        super().__init__()
        self.fc = nn.Linear(2 * channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        return x + self.fc(pooled)[:, :, None, None]


class _ResBlock(nn.Module):
    def __init__(self, channels: int, global_pool: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.pool = _GlobalPoolBias(channels) if global_pool else nn.Identity()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.pool(y)
        y = self.bn2(self.conv2(y))
        return torch.relu(x + y)


class PolicyValueNet(nn.Module):
    def __init__(self, board_size: int, in_planes: int, config: NetConfig):
        super().__init__()
        self.board_size, self.in_planes, self.config = board_size, in_planes, config
        c, n = config.channels, board_size
        self.stem = nn.Sequential(nn.Conv2d(in_planes, c, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(c), nn.ReLU())
        self.blocks = nn.Sequential(*[_ResBlock(c, config.global_pool and i % 2 == 1)
                                      for i in range(config.blocks)])
        self.policy_conv = nn.Sequential(nn.Conv2d(c, 2, 1, bias=False), nn.BatchNorm2d(2), nn.ReLU())
        self.policy_fc = nn.Linear(2 * n * n, n * n + 1)
        self.value_conv = nn.Sequential(nn.Conv2d(c, 1, 1, bias=False), nn.BatchNorm2d(1), nn.ReLU())
        self.value_fc = nn.Sequential(nn.Linear(n * n, config.value_hidden), nn.ReLU(),
                                      nn.Linear(config.value_hidden, 1))
        if config.ownership_head:  # a 1x1 conv per point on the trunk (KataGo's head, without its pooling)
            self.ownership_conv = nn.Conv2d(c, 1, 1)
        if config.soft_policy_head:  # a second output layer on the policy head's features
            self.soft_policy_fc = nn.Linear(2 * n * n, n * n + 1)
        if config.score_head:  # beside the value head, on its 1x1 conv features
            self.score_fc = nn.Sequential(nn.Linear(n * n, config.value_hidden), nn.ReLU(),
                                          nn.Linear(config.value_hidden, 2 * score_half_range(n) + 1))

    def _heads(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        p = self.policy_conv(h).flatten(1)
        logits = self.policy_fc(p)
        v = self.value_conv(h).flatten(1)
        value = torch.tanh(self.value_fc(v)).squeeze(1)
        return logits, value, p, v

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits, value, _, _ = self._heads(self.blocks(self.stem(x)))
        return logits, value

    def forward_aux(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """(logits, value, aux): aux["ownership"] float32[B, N*N] in [-1, 1],
        aux["soft_policy_logits"] float32[B, N*N + 1] and aux["score_logits"] float32[B, 2M + 1],
        for the heads the net has."""
        h = self.blocks(self.stem(x))
        logits, value, p, v = self._heads(h)
        aux = {}
        if self.config.ownership_head:
            aux["ownership"] = torch.tanh(self.ownership_conv(h).flatten(1))
        if self.config.soft_policy_head:
            aux["soft_policy_logits"] = self.soft_policy_fc(p)
        if self.config.score_head:
            aux["score_logits"] = self.score_fc(v)
        return logits, value, aux


def count_flops(model: nn.Module, in_planes: int, board_size: int, backward: bool = False) -> int:
    """FLOPs per position, measured once with torch.utils.flop_counter (batch of 1;
    with backward=True, forward + backward of a loss on both heads)."""
    from torch.utils.flop_counter import FlopCounterMode
    was_training = model.training
    model.eval()
    x = torch.zeros(2, in_planes, board_size, board_size)
    with FlopCounterMode(display=False) as counter:
        if backward:  # training runs every head the net has
            model.train()
            logits, value, aux = model.forward_aux(x) if hasattr(model, "forward_aux") else (*model(x), {})
            (logits.sum() + value.sum() + sum(a.sum() for a in aux.values())).backward()
        else:
            with torch.no_grad():
                model(x)
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    return counter.get_total_flops() // 2
