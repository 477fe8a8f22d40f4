"""Player specs for matches (PATH[@SIMS], rollout, uniform, gnugo[:LEVEL], gtp:COMMAND; play/arena.py's
docstring), our nets as typed players (NetPlayer: a checkpoint and its SearchConfig), and the command
lines that start them."""
from __future__ import annotations

import dataclasses
import json
import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # mcts/__init__ loads the search (numba): the config type is imported where it is used
    from ..mcts.config import SearchConfig


@dataclass(frozen=True)
class EngineSpec:
    label: str               # name in tables, SGF PB/PW and JSON
    argv: tuple[str, ...]    # command line of the GTP engine


def fresh_search(sims: int) -> SearchConfig:
    """SearchConfig(num_simulations=sims): PUCT with the AlphaZero constants, whatever the net trained
    with. What a `PATH@SIMS` spec plays (the arena, the ladder, references), and what the committed
    ablations and distillation were evaluated with."""
    from ..mcts.config import SearchConfig
    return SearchConfig(num_simulations=sims)


@dataclass(frozen=True)
class NetPlayer:
    """One of our nets in a match: the checkpoint and the search it plays with. SearchPlayer turns
    off what only self-play wants (tree reuse, Gumbel noise, playout caps, forced playouts); root
    noise is the match's choice (root_noise of engine()), not the search's."""
    checkpoint: Path
    search: SearchConfig     # search.num_simulations: simulations per move

    @property
    def sims(self) -> int:
        return self.search.num_simulations

    @classmethod
    def own(cls, checkpoint: str | Path, sims: int | None = None) -> NetPlayer:
        """The checkpoint with the search it was trained with (CheckpointMeta.search; SearchConfig()
        when it stores no run config), with `sims` simulations per move when given."""
        from ..mcts.config import SearchConfig
        from ..net.io import read_meta  # torch: only when a net plays
        search = read_meta(checkpoint).search or SearchConfig()
        if sims is not None:  # a capacity sized for the trained count may not hold `sims`
            search = dataclasses.replace(search, num_simulations=sims, capacity=None)
        return cls(Path(checkpoint), search)

    @classmethod
    def fresh(cls, checkpoint: str | Path, sims: int) -> NetPlayer:
        """The checkpoint with fresh_search(sims), whatever it trained with."""
        return cls(Path(checkpoint), fresh_search(sims))

    def engine(self, size: int, komi: float, resign: bool = True, threads: int = 1,
               root_noise: float = 0.0) -> EngineSpec:
        """The GTP engine that plays this net (`alphago gtp`), labelled STEM@SIMS."""
        if not self.checkpoint.is_file():
            raise ValueError(f"{self.checkpoint} is not a checkpoint file")
        return EngineSpec(f"{self.checkpoint.stem}@{self.sims}",
                          tuple(ours_argv(size, komi, self.search, checkpoint=str(self.checkpoint), resign=resign,
                                          threads=threads, root_noise=root_noise)))


def gnugo_binary() -> str | None:
    found = shutil.which("gnugo")
    if found:
        return found
    return "/usr/games/gnugo" if os.access("/usr/games/gnugo", os.X_OK) else None


def gnugo_argv(level: int = 10, never_resign: bool = False) -> list[str]:
    """GNU Go with the arena's rules: area scoring, dead stones captured before passing, and
    positional superko (GNU Go's default is simple ko; ours is positional superko)."""
    binary = gnugo_binary()
    if binary is None:
        raise ValueError("GNU Go not found (install it: apt-get install gnugo)")
    argv = [binary, "--mode", "gtp", "--chinese-rules", "--capture-all-dead", "--positional-superko",
            "--level", str(level)]
    return argv + (["--never-resign"] if never_resign else [])


def ours_argv(size: int, komi: float, search: SearchConfig, checkpoint: str | None = None,
              evaluator: str = "rollout", resign: bool = True, threads: int = 1, root_noise: float = 0.0) -> list[str]:
    """`alphago gtp` playing `search`: --sims, and the whole SearchConfig as JSON (--search-config) when
    it is not fresh_search(sims) (the command line of a fresh search is the one it always was)."""
    sims = search.num_simulations
    argv = [sys.executable, "-m", "alphago.cli", "gtp", "--sims", str(sims), "--threads", str(threads),
            "--size", str(size), "--komi", str(komi)]
    if search != fresh_search(sims):
        argv += ["--search-config", json.dumps(dataclasses.asdict(search), sort_keys=True)]
    argv += ["--checkpoint", checkpoint] if checkpoint else ["--evaluator", evaluator]
    if not 0.0 <= root_noise <= 1.0:
        raise ValueError(f"root noise must be a fraction in [0, 1], got {root_noise:g}")
    argv += ["--root-noise", f"{root_noise:g}"] if root_noise > 0 else []
    return argv + ([] if resign else ["--no-resign"])


def _split_sims(s: str) -> tuple[str, int | None]:
    """"X@SIMS" -> ("X", SIMS); anything else -> (s, None)."""
    base, at, tail = s.rpartition("@")
    return (base, int(tail)) if at and tail.isdigit() and base else (s, None)


def spec_checkpoint(spec: str) -> Path | None:
    """The checkpoint file a player spec names, or None (rollout, gnugo, gtp:, not a file)."""
    s = spec.strip()
    if s.startswith("gtp:") or s == "gnugo" or s.startswith("gnugo:"):
        return None
    base, _ = _split_sims(s)
    return Path(base) if base not in ("rollout", "uniform") and Path(base).is_file() else None


def match_board(specs: list[str], size: int | None = None, komi: float | None = None) -> tuple[int, float]:
    """(board size, komi) for a match between these player specs: a checkpoint's net fixes the
    size (a `size` that contradicts it, or two checkpoints for different sizes, is a ValueError
    naming both) and gives the komi of its training rules when `komi` is None; without
    checkpoints 9x9 and DEFAULT_KOMI."""
    paths = [p for p in map(spec_checkpoint, specs) if p is not None]
    if not paths:
        from ..go.rules import DEFAULT_KOMI
        return size or 9, DEFAULT_KOMI if komi is None else komi
    from ..net.io import read_meta  # torch: only when there is a net
    from .player import checkpoint_board
    metas = [(p, read_meta(p)) for p in paths]
    sizes = {m.board_size for _, m in metas}
    if len(sizes) > 1:
        nets = " and ".join(f"{p} is a {m.board_size}x{m.board_size} net" for p, m in metas)
        raise ValueError(f"the checkpoints are for different board sizes ({nets}): they cannot play each other")
    return checkpoint_board(metas[0][1], size, komi, name=str(metas[0][0]))


def parse_spec(spec: str, size: int, komi: float, sims: int = 200, resign: bool = True,
               threads: int = 1, root_noise: float = 0.0) -> EngineSpec:
    """A player spec (see the module doc) -> label and command line. ValueError if bad. Our
    players search with fresh_search(SIMS) (a checkpoint: NetPlayer.fresh), the settings the
    ladder's stored games and keys were played with.
    root_noise: passed to our checkpoints (--root-noise), not to rollout/uniform players (their
    random rollouts and tie-breaks already follow the seed) nor to other engines."""
    s = spec.strip()
    if s.startswith("gtp:"):
        argv = shlex.split(s[4:])
        if not argv:
            raise ValueError(f"{spec!r}: gtp: needs a command")
        label = " ".join([os.path.basename(argv[0])] + argv[1:])
        if len(label) > 40:  # keep the program and the end of its options (often the level)
            label = f"{os.path.basename(argv[0])} ...{' '.join(argv[1:])[-28:]}"
        return EngineSpec(label, tuple(argv))
    if s == "gnugo" or s.startswith("gnugo:"):
        level = s.partition(":")[2] or "10"
        if not level.isdigit():
            raise ValueError(f"{spec!r}: the GNU Go level must be a number (gnugo:1 .. gnugo:10)")
        return EngineSpec(f"gnugo:{int(level)}", tuple(gnugo_argv(int(level))))
    s, at_sims = _split_sims(s)
    sims = sims if at_sims is None else at_sims
    if sims < 1:
        raise ValueError(f"{spec!r}: simulations must be positive")
    if s in ("rollout", "uniform"):
        return EngineSpec(f"{s}@{sims}", tuple(ours_argv(size, komi, fresh_search(sims), evaluator=s,
                                                          resign=resign, threads=threads)))
    path = Path(s)
    if not path.is_file():
        raise ValueError(f"{spec!r} is not a checkpoint file, nor rollout[@SIMS], uniform[@SIMS], "
                         f"gnugo[:LEVEL] or gtp:COMMAND")
    return NetPlayer.fresh(path, sims).engine(size, komi, resign=resign, threads=threads, root_noise=root_noise)
