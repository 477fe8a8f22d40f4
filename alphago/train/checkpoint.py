"""Writing checkpoints atomically (temp file + fsync + rename) and resuming from them."""
from __future__ import annotations

import io
from pathlib import Path

import torch

from ..data.records import atomic_write_bytes
from ..net.io import FORMAT, VERSION, CheckpointError, check_compatible, read_checkpoint


def save_checkpoint(path: str | Path, model: torch.nn.Module, meta: dict,
                    optimizer: torch.optim.Optimizer | None = None) -> Path:
    """Write {format, version, meta, model, optimizer}; readers never see a partial file."""
    data = {"format": FORMAT, "version": VERSION, "meta": meta,
            "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "optimizer": optimizer.state_dict() if optimizer is not None else None}
    buf = io.BytesIO()
    torch.save(data, buf)
    atomic_write_bytes(Path(path), buf.getvalue())
    return Path(path)


def load_training_state(path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None,
                        expect: dict | None = None) -> dict:
    """Load weights (and optimizer state) into existing objects; returns meta."""
    data = read_checkpoint(path)
    if expect:
        check_compatible(data["meta"], expect, path)
    try:
        model.load_state_dict(data["model"])
        if optimizer is not None and data.get("optimizer") is not None:
            optimizer.load_state_dict(data["optimizer"])
    except (RuntimeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{path}: does not match this model/optimizer: {str(exc).splitlines()[0]}") from None
    return data["meta"]


__all__ = ["save_checkpoint", "load_training_state", "CheckpointError"]
