"""The distillation file (configs/ablation/distill_*.yaml): one teacher, its search outputs on one
fixed set of positions, and students that differ only in the label they are trained on (hard:
the teacher's most visited move; soft:T: its visit distribution at temperature T) and in how many
distinct positions they see. Loaded, typed and checked before any compute.

    name: distill_5x5
    teacher: checkpoints/5x5.pt        # the net whose search labels the positions (path from the repo root)
    teacher_sims: 64                   # simulations of the labelling search (no root noise)
    games: 300                         # teacher self-play games whose positions are the training pool
    test_games: 40                     # further games, held out: the student's test positions
    temperature_moves: 8               # teacher moves sampled from its visits (varies the games; labels stay
                                       # the noise-free search's)
    labels: [hard, "soft:1", "soft:2"] # hard = argmax of visits; soft:T = visits^(1/T), normalised
    positions: [300, 1000, 3000]       # distinct training positions per student (the first n of the pool)
    seeds: [0, 1]                      # student initialisation and batch order
    steps: 1500                        # SGD steps per student, the same for every cell (matched FLOPs)
    batch_size: 128
    lr: 0.02
    student: {}                        # net overrides for the student (default: the teacher's architecture)
    eval: {references: ["gnugo:1"], games: 20, sims: 64}
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_LABEL = re.compile(r"^(hard|soft:(\d+(\.\d*)?|\.\d+))$")


def label_temperature(label: str) -> float | None:
    """None for "hard", T for "soft:T"."""
    return None if label == "hard" else float(label.split(":", 1)[1])


@dataclass(frozen=True)
class DistillEval:
    references: tuple[str, ...] = ("gnugo:1",)
    games: int = 20        # per reference and student (colours alternate); 0 = accuracy only, no games
    sims: int = 64

    def __post_init__(self) -> None:
        if not all(isinstance(r, str) and r for r in self.references):
            raise ValueError(f"eval.references must be a list of arena specs, got {self.references!r}")
        if not isinstance(self.games, int) or isinstance(self.games, bool) or self.games < 0:
            raise ValueError(f"eval.games must be an integer >= 0, got {self.games!r}")
        if not isinstance(self.sims, int) or isinstance(self.sims, bool) or self.sims < 1:
            raise ValueError(f"eval.sims must be an integer >= 1, got {self.sims!r}")


@dataclass(frozen=True)
class DistillSpec:
    name: str
    teacher: str
    positions: tuple[int, ...]
    labels: tuple[str, ...] = ("hard", "soft:1")
    teacher_sims: int = 64
    games: int = 300
    test_games: int = 40
    temperature_moves: int = 8
    seeds: tuple[int, ...] = (0,)
    steps: int = 1500
    batch_size: int = 128
    lr: float = 0.02
    student: dict = field(default_factory=dict)
    eval: DistillEval = field(default_factory=DistillEval)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name or ""):
            raise ValueError(f"name must be letters, digits, '_', '.' or '-', got {self.name!r}")
        if not self.teacher:
            raise ValueError("teacher must be a checkpoint path")
        if not self.labels or len(set(self.labels)) != len(self.labels):
            raise ValueError(f"labels must be a non-empty list of distinct labels, got {list(self.labels)!r}")
        for lab in self.labels:
            if not isinstance(lab, str) or not _LABEL.match(lab) or (lab != "hard" and label_temperature(lab) <= 0):
                raise ValueError(f"labels: {lab!r} is not a label; allowed: 'hard' or 'soft:T' with T > 0 "
                                 "(e.g. 'soft:1' = the visit distribution)")
        for key in ("teacher_sims", "games", "test_games", "steps", "batch_size"):
            v = getattr(self, key)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{key} must be an integer >= 1, got {v!r}")
        if not isinstance(self.temperature_moves, int) or self.temperature_moves < 0:
            raise ValueError(f"temperature_moves must be an integer >= 0, got {self.temperature_moves!r}")
        if not self.positions or any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in self.positions) \
                or list(self.positions) != sorted(set(self.positions)):
            raise ValueError(f"positions must be increasing integers >= 1, got {list(self.positions)!r}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be a non-empty list of distinct integers, got {list(self.seeds)!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if not isinstance(self.student, dict):
            raise ValueError(f"student must be a mapping of net overrides, got {self.student!r}")

    def cells(self) -> list[tuple[str, int, int]]:
        """(label, positions, seed), seed-major then smallest pools first: a run cut short has every
        label at the same sizes."""
        return [(lab, n, s) for s in self.seeds for n in self.positions for lab in self.labels]


def cell_name(label: str, positions: int, seed: int) -> str:
    return f"{label.replace(':', '')}_n{positions}_s{seed}"


def load_distill(path: str | Path) -> DistillSpec:
    """Read and type-check; ConfigError naming the key on any problem."""
    from ..config import ConfigError, build, read_yaml  # the engine's FeatureConfig (numba): not at parse time
    path = Path(path)
    data = read_yaml(path, "distillation file")
    if isinstance(data, dict) and "labels" in data and isinstance(data["labels"], list):
        data["labels"] = [str(x) for x in data["labels"]]
    try:
        return build(DistillSpec, data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def finished_cells(cells_path: Path) -> dict[str, dict]:
    """cell name -> row of every whole line of OUT/cells.jsonl."""
    from ..data.jsonl import read_jsonl  # a line cut short by a crash: that cell runs again
    return {cell_name(r["label"], r["positions"], r["seed"]): r for r in read_jsonl(cells_path)
            if {"label", "positions", "seed"} <= set(r)}
