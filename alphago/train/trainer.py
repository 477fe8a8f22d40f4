"""The learner's step: loss, optimizer, schedule and the bits each batch offers. No I/O."""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..data.replay import TrainBatch
from . import bits as B
from .config import OPTIMIZERS, SCHEDULES, TrainConfig  # noqa: F401  (re-exported)

def make_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                               weight_decay=cfg.weight_decay, nesterov=cfg.momentum > 0)
    return torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


def lr_at(step: int, cfg: TrainConfig) -> float:
    if cfg.lr_schedule == "cosine":
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * min(step, cfg.total_steps) / cfg.total_steps))
    if cfg.lr_schedule == "step":
        return cfg.lr * 0.1 ** sum(step >= s for s in cfg.lr_steps)
    return cfg.lr


def losses(logits: torch.Tensor, value: torch.Tensor, batch: dict[str, torch.Tensor], target: str,
           value_weight: float, ownership: torch.Tensor | None = None,
           ownership_weight: float = 0.0, soft_logits: torch.Tensor | None = None,
           soft_policy_weight: float = 0.0, score_logits: torch.Tensor | None = None,
           score_weight: float = 0.0) -> dict[str, torch.Tensor]:
    """Policy cross-entropy against the target (weighted: 0 for fast searches; the game
    outcome for reinforce) + value MSE. Also the per-sample bits, for accounting.

    A negative weight (reinforce: a move of the losing side) pushes log q(a) down, and that
    loss has no lower bound: the gradient on the logits stays ~1 however small q(a) already is,
    so the logits grow until they overflow (measured: policy loss -1e35 and NaN after ~900
    steps on 5x5, in the target-kinds ablation, docs/results/target_kinds_5x5). So a negative-weight sample stops pushing once
    q(a) < 1 / (10 A), ten times below uniform (its cross-entropy is clamped at ln(10 A),
    where the gradient is zero): the "avoid" signal keeps its sign and is bounded, as PPO's
    ratio clip bounds it."""
    log_q = F.log_softmax(logits.float(), dim=-1)
    w = batch["policy_weight"]
    ce = -(batch["policy"] * log_q).sum(-1)
    ce = torch.where(w < 0, ce.clamp(max=math.log(10.0 * logits.shape[-1])), ce)
    denom = w.abs().sum().clamp_min(1.0)
    policy_loss = (w * ce).sum() / denom
    value_loss = F.mse_loss(value.float(), batch["value"])
    loss = policy_loss + value_weight * value_loss
    out = {}
    if ownership is not None and ownership_weight > 0 and "ownership" in batch:
        # per point binary cross-entropy of "the mover owns it", t = (1 + y) / 2 (dame: half), averaged
        # over points and over the samples whose game has a target (KataGo's loss, weight 1.5)
        y, ow = batch["ownership"], batch["ownership_weight"]
        p = ((ownership.float() + 1) / 2).clamp(1e-6, 1 - 1e-6)
        t = (y + 1) / 2
        bce = -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean(-1)
        own_loss = (ow * bce).sum() / ow.sum().clamp_min(1.0)
        loss = loss + ownership_weight * own_loss
        with torch.no_grad():
            out = {"ownership_loss": own_loss.detach(), "ownership_bits": B.ownership_bits(y, ownership.float()) * ow}
    if soft_logits is not None and soft_policy_weight > 0 and "soft_policy" in batch:
        # cross-entropy against visits^(1/T), on the samples the policy is trained on (weight != 0)
        log_s = F.log_softmax(soft_logits.float(), dim=-1)
        sw = (w != 0).float()
        soft_ce = -(batch["soft_policy"] * log_s).sum(-1)
        soft_loss = (sw * soft_ce).sum() / sw.sum().clamp_min(1.0)
        loss = loss + soft_policy_weight * soft_loss
        with torch.no_grad():
            out.update(soft_policy_loss=soft_loss.detach(),
                       soft_policy_bits=B.policy_bits(batch["soft_policy"], log_s) * sw)
    if score_logits is not None and score_weight > 0 and "score" in batch:
        # cross-entropy of the final margin, two-hot over the integer margins (a half-point margin is
        # half on each neighbour), over the samples whose game was counted (resigned games have none)
        target = score_two_hot(batch["score"], score_logits.shape[-1])
        log_s = F.log_softmax(score_logits.float(), dim=-1)
        sw = batch["score_weight"]
        score_ce = -(target * log_s).sum(-1)
        score_loss = (sw * score_ce).sum() / sw.sum().clamp_min(1.0)
        loss = loss + score_weight * score_loss
        with torch.no_grad():
            out.update(score_loss=score_loss.detach(), score_bits=B.policy_bits(target, log_s) * sw)
    with torch.no_grad():
        mask = (w != 0).float()
        pbits = B.policy_bits(batch["policy"], log_q) * mask
        ent = B.target_entropy(batch["policy"]) * mask
        vbits = B.value_bits(batch["value"], value.float())
    return {"loss": loss, "policy_loss": policy_loss,
            "value_loss": value_loss, "policy_bits": pbits, "target_entropy": ent, "value_bits": vbits,
            "policy_samples": mask.sum(), **out}


def score_two_hot(margin: torch.Tensor, bins: int) -> torch.Tensor:
    """[B, bins] the margins [B] as two-hot distributions over the integers -M..M (bins = 2M + 1):
    an integer margin is one-hot, x.5 is half on each neighbour; clamped to the support."""
    m = (bins - 1) // 2
    x = margin.float().clamp(-m, m) + m
    lo = x.floor().clamp(0, bins - 1)
    frac = x - lo
    hi = (lo + 1).clamp(max=bins - 1)
    t = torch.zeros(margin.shape[0], bins, dtype=torch.float32, device=margin.device)
    t.scatter_add_(1, lo.long().unsqueeze(1), (1 - frac).unsqueeze(1))
    t.scatter_add_(1, hi.long().unsqueeze(1), frac.unsqueeze(1))
    return t


class Diverged(RuntimeError):
    """Training produced a non-finite loss or weights at `step`; nothing after the last good
    checkpoint is usable (`last_good`: its path, filled in by the learner, None if none yet)."""

    def __init__(self, step: int, what: str, last_good: str | None = None):
        self.step, self.what, self.last_good = step, what, last_good
        super().__init__(self.line())

    def line(self) -> str:
        good = (f"the last good checkpoint is {self.last_good}" if self.last_good
                else "no checkpoint was written before it")
        return f"training diverged at step {self.step} ({self.what}); {good} (lower train.lr?)"

    def __reduce__(self):  # Ray pickles it between the learner and the driver
        return (Diverged, (self.step, self.what, self.last_good))


def weights_finite(model: torch.nn.Module) -> bool:
    """Every parameter and buffer (batch-norm statistics too) finite; one device sync, not one per tensor."""
    flags = [torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point()]
    return bool(torch.stack(flags).all()) if flags else True


class Trainer:
    """Owns the model's optimizer and step counter; step(batch) trains on one batch."""

    def __init__(self, model: torch.nn.Module, cfg: TrainConfig, train_flops_per_sample: int):
        self.model, self.cfg = model, cfg
        self.device = torch.device(cfg.device)
        self.model.to(self.device)
        self.optimizer = make_optimizer(model, cfg)
        self.step_count = 0
        self.flops_per_sample = train_flops_per_sample
        self.ledger = B.BitsLedger()

    def _tensors(self, batch: TrainBatch) -> dict[str, torch.Tensor]:
        d = {"features": batch.features, "policy": batch.policy, "policy_weight": batch.policy_weight,
             "value": batch.value}
        if self.cfg.ownership_weight > 0 and batch.ownership is not None:
            d.update(ownership=batch.ownership, ownership_weight=batch.ownership_weight)
        if self.cfg.soft_policy_weight > 0 and batch.soft_policy is not None:
            d.update(soft_policy=batch.soft_policy)
        if self.cfg.score_weight > 0 and batch.score is not None:
            d.update(score=batch.score, score_weight=batch.score_weight)
        return {k: torch.from_numpy(np.ascontiguousarray(v)).to(self.device, non_blocking=True)
                for k, v in d.items()}

    def step(self, batch: TrainBatch) -> dict:
        self.model.train()
        lr = lr_at(self.step_count, self.cfg)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        t = self._tensors(batch)
        if self.cfg.ownership_weight > 0 or self.cfg.soft_policy_weight > 0 or self.cfg.score_weight > 0:
            logits, value, aux = self.model.forward_aux(t["features"])
        else:
            logits, value, aux = *self.model(t["features"]), {}
        out = losses(logits, value, t, self.cfg.target, self.cfg.value_weight, aux.get("ownership"),
                     self.cfg.ownership_weight, aux.get("soft_policy_logits"), self.cfg.soft_policy_weight,
                     aux.get("score_logits"), self.cfg.score_weight)
        # a non-finite loss would turn every weight into NaN and the checkpoints and self-play
        # after it with them: stop before the update, with the weights of the last good step
        if not torch.isfinite(out["loss"].detach()).all():
            raise Diverged(self.step_count + 1, f"the loss is {float(out['loss'].detach())}")
        self.optimizer.zero_grad(set_to_none=True)
        out["loss"].backward()
        self.optimizer.step()
        self.step_count += 1
        if not weights_finite(self.model):  # a finite loss can still take a step too far (lr: 1e12)
            raise Diverged(self.step_count, "the update made some weights non-finite")
        n = len(batch.value)
        obits = float(out["ownership_bits"].sum()) if "ownership_bits" in out else 0.0
        sbits = float(out["soft_policy_bits"].sum()) if "soft_policy_bits" in out else 0.0
        cbits = float(out["score_bits"].sum()) if "score_bits" in out else 0.0
        series = self.ledger.add_batch(n, float(n) * self.flops_per_sample,
                                       float(out["policy_bits"].sum()), float(out["value_bits"].sum()), obits, sbits,
                                       cbits)
        nps = max(float(out["policy_samples"]), 1.0)
        return {"step": self.step_count, "lr": lr, "loss": float(out["loss"].detach()),
                "policy_loss": float(out["policy_loss"].detach()), "value_loss": float(out["value_loss"].detach()),
                "policy_bits": float(out["policy_bits"].sum()) / nps,
                "target_entropy": float(out["target_entropy"].sum()) / nps,
                "value_bits": float(out["value_bits"].mean()),
                **({"ownership_loss": float(out["ownership_loss"]), "ownership_bits": obits / n}
                   if "ownership_loss" in out else {}),
                **({"soft_policy_loss": float(out["soft_policy_loss"]), "soft_policy_bits": sbits / nps}
                   if "soft_policy_loss" in out else {}),
                **({"score_loss": float(out["score_loss"]), "score_bits": cbits / n} if "score_loss" in out else {}),
                **series}


@torch.no_grad()
def evaluate(model: torch.nn.Module, batch: TrainBatch, device: str = "cpu") -> dict:
    """Held-out cross-entropies in bits (policy against the target, value -log2 p(z))."""
    model.eval()
    x = torch.from_numpy(batch.features).to(device)
    logits, value = model(x)
    log_q = F.log_softmax(logits.float(), dim=-1)
    policy = torch.from_numpy(batch.policy).to(device)
    w = torch.from_numpy(batch.policy_weight).to(device) != 0
    ce = -(policy * log_q).sum(-1) / B.LN2
    z = torch.from_numpy(batch.value).to(device)
    return {"policy_ce_bits": float(ce[w].mean()) if w.any() else float("nan"),
            "value_ce_bits": float(B.value_bits(z, value.float()).mean()),
            "value_mse": float(((value.float() - z) ** 2).mean())}
