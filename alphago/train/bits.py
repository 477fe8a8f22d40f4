"""Information accounting in bits (DESIGN.md section 4; every quantity: docs/accounting.md).

Two ledgers, never mixed:
  bits in the data   counted once per label when self-play makes it (DataBits, add_game)
  bits offered       per gradient sample against the current net (add_batch), shrinking as it fits

policy bits   KL(t || q) = sum_a t(a) log2(t(a) / q(a)): what the label tells the net that it
              did not know (a one-hot label on a: -log2 q(a)).
target entropy H(t): the "dark knowledge" a soft label carries (0 for one-hot).
value bits    -log2 p(z) with p = (v + 1) / 2 the predicted win probability and z the outcome
              (a draw counts half win, half loss); never more than 1 bit of entropy per game.
ownership bits offered: sum over points of KL(t || p) of the binary "who owns it" label, t = (1 + y) / 2
              (dame = half each), p = (1 + o) / 2 from the ownership head; in the data: once per
              game (one final board), the entropy of each point's owner under the per-point
              frequencies of recent games with the same result, summed over points (at most N^2 log2 3
              bits per game): given the outcome, which the data ledger already counts (chain rule).
score bits offered: KL(two-hot final margin || the score head's distribution), counted games only; in
              the data: once per counted game, the entropy of the final margin under the margin
              frequencies of recent games with the same result (at most log2(2M + 1) bits per game;
              M = 2 N^2). Both also logged marginally (all games' frequencies), outside data_bits.
soft policy bits offered: KL(visits^(1/T) normalised || the soft head's softmax), full searches only.
              Not in the data ledger: it is a transform of the same visit counts the policy label
              already counts (no new information from self-play, a different view for the net).
bits/FLOP     = samples/FLOP x bits/sample; FLOPs = self-play (evaluations x forward FLOPs)
              + training (samples x forward+backward FLOPs).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..net.io import ledger_flops  # noqa: F401  (re-exported: read from a checkpoint's meta)

LN2 = float(np.log(2.0))
EPS = 1e-12


def policy_bits(target: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """[B] KL(target || q) in bits; log_q is the net's log-softmax (natural log)."""
    t = target.clamp_min(0)
    log_t = torch.where(t > 0, torch.log(t.clamp_min(EPS)), torch.zeros_like(t))
    return (t * (log_t - log_q)).sum(-1) / LN2


def target_entropy(target: torch.Tensor) -> torch.Tensor:
    """[B] H(target) in bits."""
    t = target.clamp_min(0)
    return -(t * torch.where(t > 0, torch.log2(t.clamp_min(EPS)), torch.zeros_like(t))).sum(-1)


def value_bits(z: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """[B] -log2 p(z): z in {-1, 0, 1} (draw = half each), v in [-1, 1] the predicted value."""
    p = ((v + 1) / 2).clamp(1e-6, 1 - 1e-6)
    w = (z + 1) / 2  # probability mass on "win"
    return -(w * torch.log2(p) + (1 - w) * torch.log2(1 - p))


def ownership_bits(y: torch.Tensor, o: torch.Tensor) -> torch.Tensor:
    """[B] sum over points of KL(t || p) in bits, t = (1 + y) / 2 the target owner (y in {-1, 0, 1},
    the mover's view), p = (1 + o) / 2 the head's prediction (o in [-1, 1])."""
    t = (y + 1) / 2
    p = ((o + 1) / 2).clamp(1e-6, 1 - 1e-6)
    def xlogx_over(a, b):
        return torch.where(a > 0, a * (torch.log2(a.clamp_min(EPS)) - torch.log2(b)), torch.zeros_like(a))
    return (xlogx_over(t, p) + xlogx_over(1 - t, 1 - p)).sum(-1)


def binary_entropy(p: float) -> float:
    """Bits of a binary outcome with probability p: at most 1."""
    if p <= 0 or p >= 1:
        return 0.0
    return float(-(p * np.log2(p) + (1 - p) * np.log2(1 - p)))


def kl_bits_np(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """[...] KL(t || p) in bits over the last axis; t = 0 entries contribute 0; p floored at 1e-12."""
    t = np.asarray(t, np.float64)
    p = np.maximum(np.asarray(p, np.float64), EPS)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(t > 0, t * (np.log2(np.where(t > 0, t, 1.0)) - np.log2(p)), 0.0)
    return terms.sum(axis=-1)


def outcome_entropy(black: float, white: float, draw: float) -> float:
    """Bits of one game result drawn from these (unnormalised) frequencies, capped at 1: a
    game's outcome is one event, and DESIGN.md section 4 credits at most one bit per game
    (a likely draw carries less, never more)."""
    tot = black + white + draw
    h = 0.0
    for c in (black, white, draw):
        if c > 0:
            h -= c / tot * np.log2(c / tot)
    return float(min(1.0, h))


def data_policy_bits(kind: str, visits: np.ndarray, prior: np.ndarray, action: np.ndarray, full: np.ndarray,
                     improved: np.ndarray | None = None, pruned: np.ndarray | None = None) -> tuple[float, int]:
    """(bits, labels) the policy targets of one game add, counted against the prior of the net
    that played (the search's contribution): soft kinds KL(t || prior), hard kinds -log2 prior(a),
    summed over the full-search positions (the only ones trained on). T positions, A actions:
    visits int[T, A], prior float[T, A], action int[T], full bool[T]. REINFORCE: (0, labels), its
    policy information is the outcome's (DataBits.add_game)."""
    from ..mcts.targets import SOFT_KINDS, TARGETS, policy_target
    full = np.asarray(full, bool)
    labels = int(full.sum())
    if labels == 0 or TARGETS[kind].weighting == "outcome":
        return 0.0, labels
    t = policy_target(kind, visits[full], action[full], None if improved is None else improved[full],
                      None if pruned is None else pruned[full])
    if kind in SOFT_KINDS:
        return float(kl_bits_np(t, prior[full]).sum()), labels
    a = t.argmax(axis=-1)
    return float(-np.log2(np.maximum(prior[full][np.arange(labels), a].astype(np.float64), EPS)).sum()), labels


def realized_bits(previous: dict, current: dict, flops_between: float) -> dict:
    """Realized bits between two checkpoints scored on the same probe: the drop in (policy +
    value) cross-entropy per probe position, and that drop per FLOP spent in between (per position
    of the probe's distribution: independent of how many positions the probe holds)."""
    gained = (previous["policy_ce_bits"] - current["policy_ce_bits"]
              + previous["value_ce_bits"] - current["value_ce_bits"])
    return {"realized_bits_per_position": gained, "realized_bits_per_flop": gained / max(flops_between, 1.0)}


OUTCOME_MEMORY = 0.99  # recent-results weights decay by this per game (~100 games of memory)


def _result_index(winner: int) -> int:
    """The row of a by-result table: 0 Black won, 1 White won, 2 draw."""
    return 0 if winner > 0 else 1 if winner < 0 else 2


def _price_and_count(counts: list, initial: list, add: np.ndarray, part: int = 0, parts: int = 1
                     ) -> tuple[list, float]:
    """One decayed frequency table (flattened `counts`, `initial` when it has another length: a new
    run, or a checkpoint from before the table existed), `parts` tables side by side of add.size
    cells each. Prices the outcome `add` (rows: variables, columns: values) in table `part` as
    the summed entropy of each row's frequencies, before it is counted; then decays that table
    by OUTCOME_MEMORY and adds `add`. Returns (new counts, bits)."""
    c = np.asarray(counts if len(counts) == len(initial) else initial, np.float64).reshape(parts, *add.shape)
    t = c[part]
    f = t / np.maximum(t.sum(axis=-1, keepdims=True), EPS)
    with np.errstate(divide="ignore", invalid="ignore"):
        bits = float(-np.where(f > 0, f * np.log2(np.where(f > 0, f, 1.0)), 0.0).sum())
    c[part] = t * OUTCOME_MEMORY + add
    return c.reshape(-1).tolist(), bits


@dataclass
class BitsLedger:
    """Cumulative FLOPs and both ledgers. Offered: samples, policy_bits, value_bits (add_batch).
    Data: data_policy_bits, data_value_bits, data_labels, data_games (add_game), with the recent
    result frequencies (recent_*) that price the next outcome."""
    selfplay_flops: float = 0.0
    train_flops: float = 0.0
    reanalyse_flops: float = 0.0      # network rows of Reanalyse searches x forward FLOPs
    samples: int = 0
    policy_bits: float = 0.0
    value_bits: float = 0.0
    data_policy_bits: float = 0.0
    data_value_bits: float = 0.0
    data_labels: int = 0
    data_games: int = 0
    recent_black: float = 1.0   # pseudo-counts: before any game a result is a fair coin (1 bit)
    recent_white: float = 1.0
    recent_draw: float = 0.0
    ownership_bits: float = 0.0       # offered (add_batch)
    soft_policy_bits: float = 0.0     # offered by the auxiliary soft policy target (add_batch)
    data_ownership_bits: float = 0.0  # in the data (add_ownership): marginal, a diagnostic, not in data_bits
    data_ownership_games: int = 0
    # per point [black, white, dame] recent pseudo-counts, flattened (3 P); empty until the first game
    recent_owner: list = field(default_factory=list)
    # given the outcome (in data_bits): the same counts kept apart by result [black win, white win, draw]
    # (3 x 3 P, flattened); empty until the first game
    data_ownership_bits_given_outcome: float = 0.0
    recent_owner_by_result: list = field(default_factory=list)
    score_bits: float = 0.0           # offered by the score target (add_batch)
    data_score_bits: float = 0.0      # in the data (add_score): marginal, a diagnostic, not in data_bits
    data_score_games: int = 0
    recent_margin: list = field(default_factory=list)  # pseudo-counts over margins -M..M (Black's view)
    data_score_bits_given_outcome: float = 0.0         # in data_bits
    recent_margin_by_result: list = field(default_factory=list)  # 3 x (2M+1), by result as above
    # the outcome's bits a REINFORCE policy ledger shares with the value ledger: counted in both
    # (each ledger says what its head learns from) and subtracted once from data_bits (one event)
    data_shared_outcome_bits: float = 0.0

    @property
    def flops(self) -> float:
        return self.selfplay_flops + self.train_flops + self.reanalyse_flops

    @property
    def data_bits(self) -> float:
        # chain rule: outcome, then what the final board and margin add given the outcome (their
        # marginal entropies count the outcome's bit again: with a large komi a Black win fixes both);
        # the outcome itself once, whichever heads learn from it (REINFORCE's policy shares it)
        return (self.data_policy_bits + self.data_value_bits - self.data_shared_outcome_bits
                + self.data_ownership_bits_given_outcome + self.data_score_bits_given_outcome)

    def add_score(self, margin: float, bins: int, winner: int = 0) -> float:
        """Data ledger, once per counted game (margin: Black's final area margin, komi included;
        bins = 2M + 1 the score head's support; winner: 1 Black, -1 White, 0 draw): the entropy of
        the margin under the recent margin frequencies of games with this result, priced before
        this game's margin is seen (data_score_bits_given_outcome, in data_bits; the marginal
        entropy, under all recent games' frequencies, goes to data_score_bits). Returns the bits
        given the outcome."""
        m = (bins - 1) // 2
        x = min(max(float(margin), -m), m) + m
        lo = int(np.floor(x))
        add = np.zeros(bins)
        add[lo] += 1.0 - (x - lo)
        if x > lo:
            add[min(lo + 1, bins - 1)] += x - lo
        self.recent_margin, marginal = _price_and_count(self.recent_margin, [1.0 / bins] * bins, add[None])
        self.recent_margin_by_result, given = _price_and_count(
            self.recent_margin_by_result, [1.0 / bins] * bins * 3, add[None], part=_result_index(winner), parts=3)
        self.data_score_bits += marginal
        self.data_score_bits_given_outcome += given
        self.data_score_games += 1
        return given

    def add_ownership(self, ownership: np.ndarray, winner: int = 0) -> float:
        """Data ledger, once per game with an ownership target (int8[P], 1 black, -1 white, 0 dame;
        winner as in add_score): the entropy of each point's owner under the recent per-point
        frequencies of games with this result (priced before this board is seen), summed over
        points: data_ownership_bits_given_outcome, in data_bits. Summing per point still bounds the
        joint entropy from above (points are correlated). The same without the result goes to
        data_ownership_bits (marginal). Returns the bits given the outcome."""
        own = np.asarray(ownership).reshape(-1)
        P = own.size
        add = np.zeros((P, 3))
        add[np.arange(P), np.where(own > 0, 0, np.where(own < 0, 1, 2))] = 1.0
        fair = [1.0, 1.0, 0.0] * P  # before any game: each point a fair coin
        self.recent_owner, marginal = _price_and_count(self.recent_owner, fair, add)
        self.recent_owner_by_result, given = _price_and_count(self.recent_owner_by_result, fair * 3, add,
                                                              part=_result_index(winner), parts=3)
        self.data_ownership_bits += marginal
        self.data_ownership_bits_given_outcome += given
        self.data_ownership_games += 1
        return given

    def add_selfplay(self, evaluations: int, forward_flops: int) -> None:
        """Network rows actually evaluated (cache hits excluded) x forward FLOPs per row."""
        self.selfplay_flops += float(evaluations) * forward_flops

    def add_game(self, winner: int, policy_bits: float, labels: int, kind: str) -> float:
        """Data ledger, once per game: its outcome carries outcome_entropy(recent results) bits
        (priced before the result is known, so at most 1); its policy labels `policy_bits`
        (data_policy_bits), or, for REINFORCE, the outcome's bits (the policy learns only through
        the outcome): the same event in both ledgers, so data_bits counts it once
        (data_shared_outcome_bits). Returns the outcome bits."""
        from ..mcts.targets import TARGETS
        out = outcome_entropy(self.recent_black, self.recent_white, self.recent_draw)
        self.data_value_bits += out
        if TARGETS[kind].weighting == "outcome":
            self.data_policy_bits += out
            self.data_shared_outcome_bits += out
        else:
            self.data_policy_bits += policy_bits
        self.data_labels += labels
        self.data_games += 1
        d = OUTCOME_MEMORY
        self.recent_black = d * self.recent_black + (winner > 0)
        self.recent_white = d * self.recent_white + (winner < 0)
        self.recent_draw = d * self.recent_draw + (winner == 0)
        return out

    def data_series(self) -> dict:
        flops = max(self.flops, 1.0)
        return {"data_bits": self.data_bits, "data_policy_bits": self.data_policy_bits,
                "data_value_bits": self.data_value_bits, "data_labels": self.data_labels,
                "data_bits_per_flop": self.data_bits / flops,
                "data_policy_bits_per_label": self.data_policy_bits / max(self.data_labels, 1),
                "data_value_bits_per_game": self.data_value_bits / max(self.data_games, 1),
                "data_ownership_bits": self.data_ownership_bits,
                "data_ownership_bits_per_game": self.data_ownership_bits / max(self.data_ownership_games, 1),
                "data_ownership_bits_given_outcome": self.data_ownership_bits_given_outcome,
                "data_ownership_bits_given_outcome_per_game":
                    self.data_ownership_bits_given_outcome / max(self.data_ownership_games, 1),
                "data_score_bits": self.data_score_bits,
                "data_score_bits_per_game": self.data_score_bits / max(self.data_score_games, 1),
                "data_score_bits_given_outcome": self.data_score_bits_given_outcome,
                "data_score_bits_given_outcome_per_game":
                    self.data_score_bits_given_outcome / max(self.data_score_games, 1)}

    def add_batch(self, samples: int, train_flops: float, policy_bits_sum: float, value_bits_sum: float,
                  ownership_bits_sum: float = 0.0, soft_policy_bits_sum: float = 0.0,
                  score_bits_sum: float = 0.0) -> dict:
        """Record one training batch; returns the series for it (cumulative x axis)."""
        self.samples += samples
        self.train_flops += train_flops
        self.policy_bits += policy_bits_sum
        self.value_bits += value_bits_sum
        self.ownership_bits += ownership_bits_sum
        self.soft_policy_bits += soft_policy_bits_sum
        self.score_bits += score_bits_sum
        bits = policy_bits_sum + value_bits_sum + ownership_bits_sum + soft_policy_bits_sum + score_bits_sum
        flops = max(self.flops, 1.0)
        total = self.policy_bits + self.value_bits + self.ownership_bits + self.soft_policy_bits + self.score_bits
        # cumulative series multiply out row by row: samples_per_flop * bits_per_sample = bits_per_flop;
        # the batch's own figures are batch_*
        return {
            "flops": self.flops,
            "samples": self.samples,
            "samples_per_flop": self.samples / flops,
            "bits_per_sample": total / max(self.samples, 1),
            "policy_bits_per_sample": self.policy_bits / max(self.samples, 1),
            "value_bits_per_sample": self.value_bits / max(self.samples, 1),
            "ownership_bits_per_sample": self.ownership_bits / max(self.samples, 1),
            "soft_policy_bits_per_sample": self.soft_policy_bits / max(self.samples, 1),
            "score_bits_per_sample": self.score_bits / max(self.samples, 1),
            "bits_per_flop": total / flops,
            "batch_bits_per_sample": bits / max(samples, 1),
            "batch_policy_bits_per_sample": policy_bits_sum / max(samples, 1),
            "batch_value_bits_per_sample": value_bits_sum / max(samples, 1),
            **self.data_series(),
        }

    def state(self) -> dict:
        return dict(self.__dict__)
