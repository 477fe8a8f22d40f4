"""Rate a checkpoint: matches against GNU Go levels and earlier checkpoints of its run.

`alphago ladder --checkpoint RUN/checkpoints/step_0004000.pt [--levels 1 5 10] [--games N]
[--previous K]` plays N games (alternating colours, through the arena) against each GNU Go
level and each of the K most recent earlier checkpoints of the same run (RUN/checkpoints/
step_*.pt with a smaller step), then fits one maximum-likelihood Elo scale over all games
(alphago.play.elo) with the weakest GNU Go level as 0 (or, without GNU Go, the oldest
checkpoint). It writes ladder_step_XXXXXXX.md (a Markdown table) and .json (every game) to
the run directory or --out, with the SGFs beside them, and prints the table.

A checkpoint searches deterministically for a given seed, and GNU Go nearly so, so the same
games would be replayed over and over. Every game therefore starts with --opening-moves
(default 2) random legal moves chosen by the arena, each opening played once with each colour,
and with --randomize (default) every game also gets its own seeds (GTP set_random_seed) and the
checkpoints play with --root-noise (default 0.1) Dirichlet noise in their root prior. The table
counts the distinct games (different move sequences) against each opponent.
"""
from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .arena import (
    EngineSpec,
    MatchResult,
    gnugo_argv,
    ours_argv,
    progress_line,
    run_match,
)
from .elo import EloFit, fit_elo

_STEP = re.compile(r"^step_(\d+)\.pt$")


def checkpoint_meta(path: str | Path) -> dict:
    from ..net.io import read_checkpoint
    return read_checkpoint(path)["meta"]


def step_checkpoints(run_dir: str | Path) -> list[tuple[int, Path]]:
    """(step, path) of RUN/checkpoints/step_*.pt, by step."""
    d = Path(run_dir) / "checkpoints"
    out = []
    for p in d.glob("step_*.pt"):
        m = _STEP.match(p.name)
        if m:
            out.append((int(m.group(1)), p))
    return sorted(out)


def previous_checkpoints(run_dir: str | Path, step: int, k: int, exclude: Path | None = None) -> list[tuple[int, Path]]:
    """The k most recent step checkpoints of the run before `step`, oldest first."""
    if k <= 0:
        return []
    ex = exclude.resolve() if exclude is not None else None
    prev = [(s, p) for s, p in step_checkpoints(run_dir) if s < step and p.resolve() != ex]
    return prev[-k:]


def default_run_dir(checkpoint: Path) -> Path:
    """RUN for RUN/checkpoints/X.pt, else the checkpoint's folder."""
    parent = checkpoint.resolve().parent
    return parent.parent if parent.name == "checkpoints" else parent


@dataclass
class LadderResult:
    player: str
    checkpoint: str
    step: int
    size: int
    komi: float
    sims: int
    matches: list[MatchResult]
    fit: EloFit

    def markdown(self) -> str:
        anchor = self.fit.anchor
        title = (f"## Ladder: {self.player} ({Path(self.checkpoint).name}, step {self.step}), "
                 f"{self.size}x{self.size}, komi {self.komi:g}")
        lines = [title, "",
                 "| opponent | games | wins | draws | losses | score | Elo vs opponent (95% CI) | opponent rating "
                 "| distinct games |",
                 "|---|---:|---:|---:|---:|---:|---|---:|---:|"]
        for m in self.matches:
            t = m.counts()["total"]
            e = m.elo()
            diff = f"{e.elo:+.0f} [{e.lower:+.0f}, {e.upper:+.0f}]" + (" *" if e.regularized else "")
            rating = "0 (anchor)" if m.b == anchor else f"{self.fit.rating(m.b):+.0f}"
            lines.append(f"| {m.b} | {t['games']} | {t['a_wins']} | {t['draws']} | {t['b_wins']} | "
                         f"{e.score:.3f} | {diff} | {rating} | {m.distinct_games()} |")
        lo, hi = self.fit.ci(self.player)
        n = sum(len(m.games) for m in self.matches)
        summary = (f"**{self.player}: {self.fit.rating(self.player):+.0f} Elo [{lo:+.0f}, {hi:+.0f}]** "
                   f"relative to {anchor} (maximum likelihood over all {n} games; Wald 95% interval from the "
                   f"observed Fisher information).")
        lines += ["", summary]
        if any(m.elo().regularized for m in self.matches) or self.fit.regularized:
            lines.append("\n\\* a perfect score: the plain maximum-likelihood estimate is infinite, so the "
                         "estimate uses BayesElo's 2 virtual draws per pairing (see alphago/play/elo.py).")
        endings: dict[str, int] = {}
        for m in self.matches:
            for k, v in m.counts()["endings"].items():
                endings[k] = endings.get(k, 0) + v
        lines.append("\nEndings: " + ", ".join(f"{k} {v}" for k, v in sorted(endings.items()))
                     + ". Rules: Tromp-Taylor area scoring, positional superko, alternating colours.")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        return {"player": self.player, "checkpoint": self.checkpoint, "step": self.step, "size": self.size,
                "komi": self.komi, "sims": self.sims, "elo": self.fit.to_dict(),
                "matches": [m.to_dict() for m in self.matches]}


def joint_fit(player: str, matches: list[MatchResult], anchor: str) -> EloFit:
    names = [player] + [m.b for m in matches]
    p = len(names)
    w = [[0.0] * p for _ in range(p)]
    n = [[0.0] * p for _ in range(p)]
    for j, m in enumerate(matches, start=1):
        pts = sum(g.a_score for g in m.games)
        w[0][j] += pts
        w[j][0] += len(m.games) - pts
        n[0][j] += len(m.games)
        n[j][0] += len(m.games)
    return fit_elo(w, n, names, anchor=anchor)


def run_ladder(checkpoint: str | Path, levels: list[int], games: int, run_dir: str | Path | None = None,
               previous: int = 2, sims: int = 200, komi: float | None = None, parallel: int | None = None,
               out_dir: str | Path | None = None, move_timeout: float = 120.0, on_game=None,
               opening_moves: int = 2, randomize: bool = True, root_noise: float = 0.1) -> LadderResult:
    ckpt = Path(checkpoint)
    meta = checkpoint_meta(ckpt)
    size = int(meta["board_size"])
    step = int(meta.get("step", 0))
    if komi is None:
        komi = float(meta.get("rules", {}).get("komi", 7.5))
    run = Path(run_dir) if run_dir else default_run_dir(ckpt)
    out = Path(out_dir) if out_dir else run
    tag = f"step_{step:07d}"
    player = f"{tag}@{sims}"
    noise = root_noise if randomize else 0.0
    me = EngineSpec(player, tuple(ours_argv(size, komi, sims, checkpoint=str(ckpt), root_noise=noise)))
    opponents = [EngineSpec(f"gnugo:{lv}", tuple(gnugo_argv(lv))) for lv in sorted(set(levels))]
    for s, p in previous_checkpoints(run, step, previous, exclude=ckpt):
        other = int(checkpoint_meta(p)["board_size"])
        if other != size:
            raise ValueError(f"{p} is a {other}x{other} net and {ckpt} a {size}x{size} net: "
                             f"they cannot play each other")
        opponents.append(EngineSpec(f"step_{s:07d}@{sims}", tuple(ours_argv(size, komi, sims, checkpoint=str(p),
                                                                           root_noise=noise))))
    if not opponents:
        raise ValueError("nothing to play: no GNU Go levels and no earlier checkpoints in "
                         f"{run / 'checkpoints'}")
    matches = []
    for opp in opponents:
        sgf_dir = out / f"ladder_{tag}_sgf" / re.sub(r"[^A-Za-z0-9_.@-]+", "_", opp.label.replace(":", "-"))
        matches.append(run_match(me, opp, games, size, komi, parallel=parallel, sgf_dir=sgf_dir,
                                 move_timeout=move_timeout, on_game=on_game, opening_moves=opening_moves,
                                 randomize=randomize))
    anchor = opponents[0].label  # the weakest GNU Go level, else the oldest checkpoint
    fit = joint_fit(player, matches, anchor)
    return LadderResult(player, str(ckpt), step, size, komi, sims, matches, fit)


def write_ladder(result: LadderResult, out_dir: str | Path) -> tuple[Path, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tag = f"ladder_step_{result.step:07d}"
    md, js = out / f"{tag}.md", out / f"{tag}.json"
    md.write_text(result.markdown())
    js.write_text(json.dumps(result.to_dict(), indent=1))
    return md, js


def main(args: argparse.Namespace) -> int:
    from .arena import ArenaError, EngineStartError
    try:
        ckpt = Path(args.checkpoint)
        if not ckpt.is_file():
            raise ValueError(f"no checkpoint at {ckpt}")
        result = run_ladder(ckpt, args.levels, args.games, run_dir=args.run_dir, previous=args.previous,
                            sims=args.sims, komi=args.komi, parallel=args.parallel or None, out_dir=args.out,
                            move_timeout=args.move_timeout, opening_moves=args.opening_moves,
                            randomize=args.randomize, root_noise=args.root_noise,
                            on_game=lambda r: print(progress_line(r), flush=True))
    except (ValueError, ArenaError, EngineStartError) as exc:
        raise SystemExit(f"alphago ladder: {exc}")
    out = Path(args.out) if args.out else (Path(args.run_dir) if args.run_dir else default_run_dir(ckpt))
    md, js = write_ladder(result, out)
    for m in result.matches:
        print(m.table())
        print()
    print(result.markdown())
    print(f"wrote {md} and {js}")
    return 0

