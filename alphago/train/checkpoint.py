"""Writing checkpoints atomically (temp file + fsync + rename) and resuming from them."""
from __future__ import annotations

import io
from pathlib import Path

import torch

from ..data.records import atomic_write_bytes
from ..net.io import FORMAT, VERSION, CheckpointError, CheckpointMeta, check_compatible, read_checkpoint


def save_checkpoint(path: str | Path, model: torch.nn.Module, meta: CheckpointMeta | dict,
                    optimizer: torch.optim.Optimizer | None = None, also: tuple = ()) -> Path:
    """Write {format, version, meta, model, optimizer} to `path`, then the same bytes to each
    path in `also` (e.g. latest.pt); readers never see a partial file at any of them. A dict
    meta (tests' hand-made nets) goes through CheckpointMeta.from_dict: every file gets a meta
    that reads back."""
    weights = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    if not all(torch.isfinite(v).all() for v in weights.values() if v.is_floating_point()):
        # a NaN net would be loaded by every reader after it (self-play, --resume, play)
        raise CheckpointError(f"{path}: refusing to write non-finite weights")
    if not isinstance(meta, CheckpointMeta):
        meta = CheckpointMeta.from_dict(meta, path)
    data = {"format": FORMAT, "version": VERSION, "meta": meta.to_dict(), "model": weights,
            "optimizer": optimizer.state_dict() if optimizer is not None else None}
    buf = io.BytesIO()
    torch.save(data, buf)
    for p in (path, *also):
        atomic_write_bytes(Path(p), buf.getvalue())
    return Path(path)


def load_training_state(path: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None,
                        expect: dict | None = None, data: dict | None = None) -> CheckpointMeta:
    """Load weights (and optimizer state) into existing objects; returns meta. data: the
    checkpoint already read (read_checkpoint), so it is not read twice."""
    data = read_checkpoint(path) if data is None else data
    meta = CheckpointMeta.of(data, path)
    if expect:
        check_compatible(meta, expect, path)
    try:
        model.load_state_dict(data["model"])
        if optimizer is not None and data.get("optimizer") is not None:
            optimizer.load_state_dict(data["optimizer"])
    except (RuntimeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{path}: does not match this model/optimizer: {str(exc).splitlines()[0]}") from None
    return meta


def _intact(path: Path) -> dict:
    """read_checkpoint, plus: every weight finite (a diverged run's file is no place to go on from)."""
    data = read_checkpoint(path)
    model = data.get("model")
    if not isinstance(model, dict) or not all(
            torch.isfinite(v).all() for v in model.values() if isinstance(v, torch.Tensor) and v.is_floating_point()):
        raise CheckpointError(f"{path} holds non-finite weights")
    return data


def resume_candidate(ckpt_dir: str | Path, expect: dict | None = None, warn=None) -> tuple[Path, dict] | None:
    """(path, data) of the checkpoint a resumed run goes on from: latest.pt, or when it does not
    read (cut short, corrupt, non-finite) the newest step file that does, with a warning through
    `warn`. None when the directory holds no checkpoint at all. A checkpoint that reads but was
    made for another board or net raises CheckpointError (the config is wrong, not the file)."""
    ckpt_dir = Path(ckpt_dir)
    latest = ckpt_dir / "latest.pt"
    steps = sorted(ckpt_dir.glob("step_*.pt"), reverse=True)  # zero-padded: newest first
    candidates = ([latest] if latest.exists() else []) + steps
    if not candidates:
        return None
    problems = []
    for path in candidates:
        try:
            data = _intact(path)
        except CheckpointError as exc:
            problems.append(str(exc))
            continue
        if expect:
            check_compatible(CheckpointMeta.of(data, path), expect, path)
        if problems and warn is not None:
            warn(f"{'; '.join(problems)}; going on from {path.name}, the newest intact checkpoint")
        return path, data
    raise CheckpointError(f"no intact checkpoint in {ckpt_dir}: " + "; ".join(problems))


__all__ = ["save_checkpoint", "load_training_state", "resume_candidate", "CheckpointError"]
