"""What a person sees of an `alphago train` run: a progress bar over games, the run's figures beside it,
and each kind of health warning once, in plain words (selfplay/health.py). The schedule's Reporter."""
from __future__ import annotations

from pathlib import Path

from ..selfplay.health import health_warnings, progress_summary
from .schedule import Counters


class TrainProgress:
    def __init__(self, run_dir: Path, total_games: int, games: int, size: int, enabled: bool = True):
        from tqdm import tqdm
        self.total, self.size = total_games, size
        self.bar = tqdm(total=total_games, initial=min(games, total_games), unit="game", disable=not enabled,
                        dynamic_ncols=True, desc=f"train {run_dir.name}")
        self.health_text = ""
        self.warned: set[str] = set()

    def games(self, n: int) -> None:
        self.bar.update(min(n, self.total - self.bar.n))

    def health(self, h: dict, version: int) -> None:
        self.health_text = progress_summary(h)
        for w in health_warnings(h, self.size, version):
            kind = w.split(":")[0][:24]
            if kind not in self.warned:  # each kind of warning once per run, in plain words
                self.warned.add(kind)
                self.bar.write(f"warning: {w}")

    def status(self, c: Counters, last: dict | None, elapsed: float) -> None:
        last = last or {"loss": float("nan"), "bits_per_flop": float("nan")}
        self.bar.set_postfix_str(f"pos {c.positions} steps {c.steps} v{c.version} "
                                 f"{c.positions / max(elapsed, 1e-9):.0f} pos/s loss {last['loss']:.3f} "
                                 f"bits/FLOP {last['bits_per_flop']:.2e} {self.health_text}")

    def close(self) -> None:
        self.bar.close()
