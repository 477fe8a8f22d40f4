"""Probe sets and their scoring: one fixed file of labelled positions that every run and arm can
name, and the figures a net earns on it (the realized-bits ledger, ../../docs/accounting.md).

A probe set is built by `alphago probe build` (alphago/experiments/probe.py); the learner scores
every checkpoint of a run with `train.probe: F` on it, so it lives here, below the experiments.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the engine (numba) loads when a probe is scored, not with the CLI parser
    from ..go import GoState
    from ..go.features import FeatureConfig

SOURCES = ("gnugo", "net", "random")
PROBE_VERSION = 1


@dataclass(frozen=True)
class ProbeSet:
    """P positions on an N x N board, A = N*N + 1. Positions are move sequences from the empty
    board (actions int16[P, L], padded with -1; lengths int32[P])."""
    size: int
    komi: float
    actions: np.ndarray   # int16[P, L] moves from the empty board, -1 padded
    lengths: np.ndarray   # int32[P]
    policy: np.ndarray    # float32[P, A] reference policy (visit distribution of a long search)
    value: np.ndarray     # float32[P] outcome for the player to move: +1 win, -1 loss, 0 draw
    source: np.ndarray    # int8[P] index into SOURCES
    reference: str        # what labelled it (net path and simulations)

    def __len__(self) -> int:
        return len(self.lengths)

    def states(self, history: int) -> list[GoState]:
        from ..go import GoState, Rules
        from ..go.rules import move_cap_for
        out = []
        cap = move_cap_for("referee", self.size, int(self.lengths.max(initial=0)) + 1)
        for i in range(len(self)):
            st = GoState(self.size, Rules(komi=self.komi, max_moves=cap), history=max(history, 1))
            for a in self.actions[i, : self.lengths[i]]:
                st.play(int(a))
            out.append(st)
        return out

    def planes(self, features: FeatureConfig) -> np.ndarray:
        """float32[P, C, N, N] network input planes for these positions under `features`."""
        from ..go.features import compute_features
        return np.concatenate([compute_features(st.batch, features) for st in self.states(features.history)])

    def save(self, path: str | Path) -> None:
        from ..data.records import atomic_write_bytes
        import io
        buf = io.BytesIO()
        np.savez_compressed(buf, version=np.array(PROBE_VERSION), size=np.array(self.size), komi=np.array(self.komi),
                            actions=self.actions, lengths=self.lengths, policy=self.policy, value=self.value,
                            source=self.source, reference=np.array(self.reference))
        atomic_write_bytes(Path(path), buf.getvalue())

    @staticmethod
    def load(path: str | Path) -> "ProbeSet":
        try:
            with np.load(path, allow_pickle=False) as z:
                d = {k: z[k] for k in z.files}
        except Exception as exc:
            raise ValueError(f"cannot read probe set {path}: {exc}") from None
        if int(d.get("version", -1)) != PROBE_VERSION:
            raise ValueError(f"probe set {path} has version {d.get('version')}, this code reads {PROBE_VERSION}")
        return ProbeSet(int(d["size"]), float(d["komi"]), d["actions"], d["lengths"], d["policy"], d["value"],
                        d["source"], str(d["reference"]))


def score(model, probe: ProbeSet, features: FeatureConfig, planes: np.ndarray | None = None) -> dict:
    """probe_policy_ce_bits, probe_top1, probe_value_ce_bits, probe_value_mse, probe_value_ece for a net."""
    import torch

    from ..train.supervised import calibration
    x = probe.planes(features) if planes is None else planes
    model.eval()
    with torch.no_grad():
        logits, v = model(torch.from_numpy(x))
        logp = torch.log_softmax(logits.float(), -1).numpy().astype(np.float64)
        v = v.float().numpy().astype(np.float64)
    t = probe.policy.astype(np.float64)
    pw = np.clip((v + 1) / 2, 1e-6, 1 - 1e-6)
    z = (probe.value.astype(np.float64) + 1) / 2
    ece, _ = calibration(pw, z)
    return {"probe_policy_ce_bits": float(-(t * logp).sum(axis=1).mean() / np.log(2)),
            "probe_top1": float((logp.argmax(axis=1) == t.argmax(axis=1)).mean()),
            "probe_value_ce_bits": float(-(z * np.log2(pw) + (1 - z) * np.log2(1 - pw)).mean()),
            "probe_value_mse": float(((v - probe.value) ** 2).mean()),
            "probe_value_ece": ece, "probe_positions": len(probe)}
