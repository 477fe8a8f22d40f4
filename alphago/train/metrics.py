"""Metrics reporters: metrics.jsonl (one JSON object per line, appended, flushed) and
TensorBoard (x axis: cumulative FLOPs, as DESIGN.md section 4 asks; also by step)."""
from __future__ import annotations

import json
import math
from pathlib import Path

from ..data.jsonl import read_jsonl


class MetricsWriter:
    def __init__(self, run_dir: str | Path, tensorboard: bool = True):
        self.path = Path(run_dir) / "metrics.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(self.path, "a", buffering=1)
        self._tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
                self._tb = SummaryWriter(str(Path(run_dir) / "tensorboard"))
            except Exception as exc:  # e.g. tensorboard not installed: jsonl only, and say so once
                import sys
                print(f"note: TensorBoard logging is off ({type(exc).__name__}: {exc}); "
                      f"metrics go to {self.path} only", file=sys.stderr)
                self._tb = None

    def write(self, record: dict) -> None:
        clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()}
        self._f.write(json.dumps(clean) + "\n")
        if self._tb is not None and "step" in record:
            flops = int(record.get("flops", 0))
            for k, v in record.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in ("step",):
                    self._tb.add_scalar(f"by_step/{k}", v, record["step"])
                    if flops:
                        self._tb.add_scalar(f"by_flops/{k}", v, flops // 1_000_000)  # x in MFLOPs

    def close(self) -> None:
        self._f.close()
        if self._tb is not None:
            self._tb.close()


def read_metrics(run_dir: str | Path) -> list[dict]:
    """RUN_DIR/metrics.jsonl's rows in file order ([] without one; a line cut short is skipped)."""
    return read_jsonl(Path(run_dir) / "metrics.jsonl")
