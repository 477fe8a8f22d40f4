"""The ablation file (configs/ablation/*.yaml): arms that differ only in what they name, the
same seeds, and one FLOP budget for every run. Loaded, typed and checked before any compute:
every arm x seed config is built here, so a bad key fails in a second, not after an hour.

    name: soft_vs_hard_5x5
    base: configs/5x5.yaml              # the config every arm starts from (path from the repo root
                                        # or from this file's folder)
    common: {run: {total_games: 1000000}}   # overrides shared by all arms
    budget_flops: 1.2e13                # per run: self-play evaluations + training, from the ledger
    seeds: [0, 1, 2]                    # run.seed of each run; the same list for every arm unless
    arm_seeds: {argmax: [0, 1]}         # optional: arm -> its own seeds (a subset of or beside `seeds`)
    arms:                               # name -> overrides (only what differs)
      visits: {train: {target: visits}}
      action: {train: {target: action}}
    eval:
      references: ["gnugo:1", "gnugo:10"]   # arena specs, the same for every arm
      games: 20                         # per reference and evaluated checkpoint (colours alternate)
      sims: 64                          # our simulations per move in evaluation games
      points: 4                         # matched FLOP points: budget x ratio^-(points-1) ... budget
      point_ratio: 2.0                  # optional: the grid's factor between points (1.4142: every sqrt(2))
      probe: checkpoints/probe_7x7.npz  # optional: a shared probe set (alphago probe build) every
                                        # evaluated checkpoint is scored on after training (accuracy
                                        # apart from strength); rows are tagged with the file's hash
      extra_references: ["checkpoints/7x7.pt@64"]   # optional: references added after the runs (a fixed
                                        # reference net, a stronger level where the others saturate):
                                        # every evaluated checkpoint here plays them too, with the same
                                        # games and sims; left out of the cells' fingerprints like probe
      opening_moves: 2                  # optional (default 0: the empty board): every evaluation game starts
                                        # with that many random legal moves, each opening played once with
                                        # each colour (alphago arena --opening-moves), so near-deterministic
                                        # engines cannot repeat one game; part of the fingerprint when > 0
    init: {pretrained: runs/pre7/pretrained.pt}   # optional: arm -> checkpoint the arm's runs start from
                                        # (alphago train --init: its FLOP ledger goes on, so a warm
                                        # start's own training FLOPs count against the budget)
    reuse: {visits: configs/ablation/target_kinds_5x5.yaml}   # optional: arm -> another ablation file whose
                                        # arm of the same name (or FILE:ARM, an arm of another name) has
                                        # exactly this arm's cells (same config per seed, budget, grid,
                                        # evaluation and init checkpoint, checked when the file loads and,
                                        # for the init checkpoint's bytes, when results are imported): its
                                        # committed results (docs/results/NAME/cells.json and
                                        # evaluations.jsonl) are taken instead of training it again. Runs
                                        # are deterministic for a seed, so nothing is lost.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config, ConfigError, _merge, build, read_yaml
from ..eval import ladder_play

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def matched_grid(budget: float, points: int, ratio: float) -> list[float]:
    """`points` FLOP points log-spaced by `ratio`, the budget last: budget x ratio^-(points-1) ... budget."""
    return [budget * ratio ** -(points - 1 - i) for i in range(points)]


@dataclass(frozen=True)
class LadderSpec:
    """eval.ladder of an ablation file (every key but anchors has a default):

        ladder:
          anchors: [gnugo:1, gnugo:5, gnugo:10, checkpoints/7x7.pt@64]   # fixed players, weakest first
          anchor: gnugo:10          # rated 0
          games: 24                 # rated games per evaluated checkpoint
          block: 8                  # games per pairing at a time (even: both colours)
          anchor_games: 40          # games between anchors adjacent in the list
          max_anchor_games: 800     # more anchor games, by information, up to this many in the store
          max_ci: 150.0             # ... while a gap between close anchors is wider than this (Elo)
          opening_moves: 2          # random moves of each opening of the bank
          bank_seed: 2026           # the bank every pairing shares
          direct: ["visits-action@3"]   # direct matches: at matched point 3 the two arms' checkpoints of
                                    # the same seed play `games` games against each other (in the store)
    """
    anchors: tuple[str, ...]
    anchor: str = "gnugo:10"
    games: int = ladder_play.GAMES_PER_PLAYER
    block: int = ladder_play.LadderSettings.block
    anchor_games: int = ladder_play.ANCHOR_GAMES
    max_anchor_games: int = 800   # not ladder_play's 2000: in a study the anchors are a side cost of the cells
    max_ci: float = ladder_play.MAX_CI
    opening_moves: int = ladder_play.LadderSettings.opening_moves
    bank_seed: int = ladder_play.LadderSettings.bank_seed
    direct: tuple[str, ...] = ()

    def direct_matches(self) -> list[tuple[str, str, int]]:
        """(arm a, arm b, point) of every `direct` entry "A-B@POINT"."""
        out = []
        for d in self.direct:
            arms, _, point = d.rpartition("@")
            a, _, b = arms.partition("-")
            out.append((a, b, int(point)))
        return out

    def __post_init__(self) -> None:
        for d in self.direct:
            arms, at, point = d.rpartition("@") if isinstance(d, str) else ("", "", "")
            if not (at and point.isdigit() and "-" in arms and all(arms.partition("-")[::2])):
                raise ValueError(f"eval.ladder.direct entries are 'ARM_A-ARM_B@POINT', got {d!r}")
        if not isinstance(self.anchors, tuple) or len(self.anchors) < 2 or not all(
                isinstance(a, str) and a for a in self.anchors):
            raise ValueError(f"eval.ladder.anchors must list at least two players (weakest first), got {self.anchors!r}")
        for key in ("games", "block", "anchor_games", "max_anchor_games"):
            v = getattr(self, key)
            if not isinstance(v, int) or isinstance(v, bool) or v < 2:
                raise ValueError(f"eval.ladder.{key} must be an integer >= 2, got {v!r}")
        if self.block % 2:
            raise ValueError(f"eval.ladder.block must be even (each opening with both colours), got {self.block}")
        if not isinstance(self.opening_moves, int) or not 0 <= self.opening_moves <= 20:
            raise ValueError(f"eval.ladder.opening_moves must be an integer in 0..20, got {self.opening_moves!r}")
        if not self.max_ci > 0:
            raise ValueError(f"eval.ladder.max_ci must be > 0, got {self.max_ci!r}")


@dataclass(frozen=True)
class EvalSpec:
    references: tuple[str, ...] = ("gnugo:1",)   # may be empty when probe is given (no games at all)
    games: int = 20
    sims: int = 64
    points: int = 4
    point_ratio: float = 2.0   # factor between matched FLOP points (grid)
    probe: str | None = None   # shared probe set (path from the repo root) scored at evaluation
    # arena specs played after training by every evaluated checkpoint still on disk (ablate.
    # extra_reference_rows); like probe, not part of a cell's fingerprint, so naming one later
    # trains nothing again and committed results still restore
    extra_references: tuple[str, ...] = ()
    # random legal moves that start every evaluation game (arena.run_match opening_moves: the same
    # opening for games 2k and 2k+1, once with each colour); 0 = the empty board, as before it existed
    opening_moves: int = 0
    # every evaluated checkpoint rated on one Elo scale (experiments/ablation_ladder.py); like probe,
    # not part of a cell's fingerprint (it adds games to a store, it does not change the runs)
    ladder: LadderSpec | None = None

    def __post_init__(self) -> None:
        if self.probe is not None and not (isinstance(self.probe, str) and self.probe):
            raise ValueError(f"eval.probe must be the path of a probe set (alphago probe build), got {self.probe!r}")
        if not isinstance(self.references, tuple) or not all(isinstance(r, str) and r for r in self.references):
            raise ValueError(f"eval.references must be a list of arena specs, got {self.references!r}")
        if not self.references and self.probe is None and self.ladder is None:
            raise ValueError("eval.references may be empty only with eval.probe or eval.ladder (else nothing "
                             "is evaluated)")
        pr = self.point_ratio
        if isinstance(pr, bool) or not isinstance(pr, (int, float)) or not 1.0 < pr <= 16.0:
            raise ValueError(f"eval.point_ratio must be a number in (1, 16], got {pr!r}")
        if not isinstance(self.extra_references, tuple) or not all(isinstance(r, str) and r for r in self.extra_references):
            raise ValueError(f"eval.extra_references must be a list of arena specs, got {self.extra_references!r}")
        from ..play.evaluation import reference_name
        names = [reference_name(r) for r in self.references + self.extra_references]
        if len(set(names)) < len(names):
            raise ValueError(f"eval.references and eval.extra_references must name different references "
                             f"(metric names {names})")
        om = self.opening_moves
        if not isinstance(om, int) or isinstance(om, bool) or not 0 <= om <= 20:
            raise ValueError(f"eval.opening_moves must be an integer from 0 (the empty board) to 20, got {om!r}")
        for key in ("games", "sims", "points"):
            v = getattr(self, key)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"eval.{key} must be an integer >= 1, got {v!r}")


@dataclass(frozen=True)
class AblationSpec:
    name: str
    base: str
    budget_flops: float
    arms: dict                          # arm name -> overrides (mapping)
    seeds: tuple[int, ...] = (0, 1, 2)
    common: dict = field(default_factory=dict)
    eval: EvalSpec = field(default_factory=EvalSpec)
    init: dict = field(default_factory=dict)   # arm -> checkpoint to start from (others: zero init)
    reuse: dict = field(default_factory=dict)  # arm -> ablation file whose results for that arm are taken
    arm_seeds: dict = field(default_factory=dict)  # arm -> its own seeds (others: `seeds`)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name or ""):
            raise ValueError(f"name must be letters, digits, '_', '.' or '-', got {self.name!r}")
        if not self.budget_flops > 0:
            raise ValueError(f"budget_flops must be > 0, got {self.budget_flops!r}")
        if not isinstance(self.arms, dict) or len(self.arms) < 2:
            raise ValueError("arms must map at least two arm names to their overrides")
        for arm, over in self.arms.items():
            if not isinstance(arm, str) or not _NAME.match(arm):
                raise ValueError(f"arms: arm name {arm!r} must be letters, digits, '_', '.' or '-'")
            if over is not None and not isinstance(over, dict):
                raise ValueError(f"arms.{arm} must be a mapping of config overrides, got {over!r}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be a non-empty list of distinct integers, got {list(self.seeds)!r}")
        if not isinstance(self.common, dict):
            raise ValueError(f"common must be a mapping of config overrides, got {self.common!r}")
        if not isinstance(self.init, dict) or not all(isinstance(v, str) and v for v in self.init.values()):
            raise ValueError(f"init must map arm names to checkpoint paths, got {self.init!r}")
        if not isinstance(self.reuse, dict) or not all(isinstance(v, str) and v for v in self.reuse.values()):
            raise ValueError(f"reuse must map arm names to ablation files, got {self.reuse!r}")
        if not isinstance(self.arm_seeds, dict):
            raise ValueError(f"arm_seeds must map arm names to lists of seeds, got {self.arm_seeds!r}")
        for arm, seeds in self.arm_seeds.items():
            if (not isinstance(seeds, (list, tuple)) or not seeds or len(set(seeds)) != len(seeds)
                    or not all(isinstance(x, int) and not isinstance(x, bool) for x in seeds)):
                raise ValueError(f"arm_seeds.{arm} must be a non-empty list of distinct integers, got {seeds!r}")
        for key in ("init", "reuse", "arm_seeds"):
            unknown = sorted(set(getattr(self, key)) - set(self.arms))
            if unknown:
                raise ValueError(f"{key} names arms that do not exist: {unknown} (arms: {sorted(self.arms)})")

    def reuse_source(self, arm: str) -> tuple[str, str]:
        """(ablation file, its arm) that `reuse.ARM` names: `FILE` (the arm of the same name) or
        `FILE:OTHER_ARM`."""
        src = self.reuse[arm]
        head, sep, tail = src.rpartition(":")
        if sep and head and _NAME.match(tail) and "/" not in tail and not tail.endswith((".yaml", ".yml")):
            return head, tail
        return src, arm

    def grid(self) -> list[float]:
        """The matched FLOP points every run is evaluated at (log-spaced, the budget last)."""
        return matched_grid(self.budget_flops, self.eval.points, float(self.eval.point_ratio))

    def seeds_of(self, arm: str) -> tuple[int, ...]:
        """The seeds of one arm: arm_seeds.ARM, else `seeds`."""
        return tuple(self.arm_seeds.get(arm, self.seeds))

    def cells(self) -> list[tuple[str, int]]:
        """(arm, seed) pairs, seed-major: an ablation cut short has every arm on its first seeds."""
        order = list(dict.fromkeys([*self.seeds, *(s for a in self.arms for s in self.seeds_of(a))]))
        return [(arm, seed) for seed in order for arm in self.arms if seed in self.seeds_of(arm)]


@dataclass(frozen=True)
class LoadedAblation:
    spec: AblationSpec
    path: Path
    base_data: dict

    def init(self, arm: str, root: str | Path = ".") -> str | None:
        """The checkpoint the arm's runs start from (a path from the repo root), or None."""
        p = self.spec.init.get(arm)
        if p is None:
            return None
        return str(p if Path(p).is_absolute() else Path(root) / p)

    def config(self, arm: str, seed: int) -> Config:
        """The run config of one cell: base <- common <- arm <- {run.seed}."""
        data = _merge(self.base_data, self.spec.common)
        data = _merge(data, self.spec.arms[arm] or {})
        data = _merge(data, {"run": {"seed": seed}})
        try:
            return build(Config, data)
        except ConfigError as exc:
            raise ConfigError(f"{self.path}: arm {arm!r} (seed {seed}): {exc}") from None


def load_ablation(path: str | Path, root: str | Path | None = None) -> LoadedAblation:
    """Read, type-check and build every cell's config; ConfigError naming the key on any problem."""
    path = Path(path)
    data = read_yaml(path, "ablation file")
    if isinstance(data, dict) and isinstance(data.get("budget_flops"), str):
        try:  # YAML 1.1 reads 1.2e13 (no sign in the exponent) as a string
            data["budget_flops"] = float(data["budget_flops"])
        except ValueError:
            raise ConfigError(f"{path}: budget_flops must be a number, got {data['budget_flops']!r}") from None
    try:
        spec = build(AblationSpec, data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    base = Path(spec.base)
    candidates = [base] if base.is_absolute() else [Path(root or ".") / base, path.parent / base]
    base_path = next((c for c in candidates if c.exists()), None)
    if base_path is None:
        raise ConfigError(f"{path}: base config {spec.base} not found (looked in "
                          f"{', '.join(str(c) for c in candidates)})")
    base_data = read_yaml(base_path, "base config")
    loaded = LoadedAblation(spec, path, base_data)
    for arm, seed in spec.cells():
        loaded.config(arm, seed)
    for arm, src in spec.reuse.items():
        check_reuse(loaded, arm, src, root)
    return loaded


def check_reuse(loaded: LoadedAblation, arm: str, src: str, root: str | Path | None) -> "tuple[LoadedAblation, str]":
    """(the ablation file `reuse.ARM` names, its arm), after checking that that arm has exactly this
    ablation's cells (config per seed, budget, matched points, evaluation, init checkpoint path);
    ConfigError saying what differs. The init checkpoint's bytes are checked when results are
    imported (ablate.import_reused), against the hash the source's cells recorded."""
    spec = loaded.spec
    src_file, src_arm = spec.reuse_source(arm)
    src_path = Path(src_file) if Path(src_file).is_absolute() else Path(root or ".") / src_file
    other = load_ablation(src_path, root)
    where = f"{loaded.path}: reuse.{arm} ({src})"
    if src_arm not in other.spec.arms:
        raise ConfigError(f"{where}: that file has no arm {src_arm!r} (arms: {sorted(other.spec.arms)})")
    missing = sorted(set(spec.seeds_of(arm)) - set(other.spec.seeds_of(src_arm)))
    if missing:
        raise ConfigError(f"{where}: seeds {missing} are not in it (it has {list(other.spec.seeds_of(src_arm))})")
    if other.spec.grid() != spec.grid() or other.spec.eval != spec.eval:
        # extra_references too: the reused rows get theirs from the source (ablate.extra_reference_rows
        # plays them there), so both files must name the same
        raise ConfigError(f"{where}: its FLOP budget, matched points or evaluation (references, games, sims, "
                          f"points, probe, extra_references) differ from this file's")
    if src_arm in other.spec.reuse:
        raise ConfigError(f"{where}: its arm {src_arm!r} is itself reused (name the ablation that trained it)")
    mine, theirs = loaded.init(arm, root or "."), other.init(src_arm, root or ".")
    if (mine and Path(mine).resolve()) != (theirs and Path(theirs).resolve()):
        raise ConfigError(f"{where}: the init checkpoints differ ({mine or 'zero init'} here, "
                          f"{theirs or 'zero init'} there)")
    for seed in spec.seeds_of(arm):
        if loaded.config(arm, seed).to_json() != other.config(src_arm, seed).to_json():
            raise ConfigError(f"{where}: the run config of seed {seed} differs (the arm must be the same runs)")
    return other, src_arm
