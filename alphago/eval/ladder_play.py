"""Playing the ladder: which games next (by information), played from a shared opening bank.

Anchors first (`play_anchors`): fixed players (GNU Go levels, fixed nets at several simulation counts)
play blocks of games, first each pair adjacent in the order given, then, while the fit leaves a gap
between two players that are close in rating wider than `max_ci` Elo, more games for the widest.
Then each player to rate (`rate_player`) plays blocks of games against the rated player nearest its
current estimate that it has not met yet (its own rating once it has games; before that the caller's
hint): a game between near-equals is near 50:50, where one game says the most about the gap
(Fisher information p(1 - p)), and a new opponent each block ties it to several points of the scale.

Every game comes from the opening bank of `bank_seed` (arena.random_opening: the same bank for every
pair), each opening played once with each colour; a pair that meets again continues through the bank
where it stopped (opening_offset), so no pairing replays a game. Games are appended to the store as
each block ends, so an interrupted ladder resumes where it stood: what a player has played counts.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from .ladder_fit import fit_ladder
from .ladder_store import LadderGame, Player, append_games, read_games

if TYPE_CHECKING:
    from ..play.engine_pool import EnginePool

COUNTED = ("passes", "move-cap", "resign")   # how a rated game may end; forfeits (crashes, timeouts) are not rated
ROOT_NOISE = 0.1   # our nets' root Dirichlet fraction (play/evaluation.ROOT_NOISE): varies their games
# The ladder's defaults, here once (alphago ladder play's flags and an ablation's eval.ladder use them):
GAMES_PER_PLAYER = 24   # rated games of a player to rate: 3 blocks of 8, so 3 opponents of the scale
ANCHOR_GAMES = 40       # games between anchors adjacent in strength (20 openings x 2 colours)
MAX_CI = 150.0          # more anchor games while a gap between close anchors has a wider 95% interval (Elo)
MAX_ANCHOR_GAMES = 2000  # ... until the store holds this many games between anchors


@dataclass(frozen=True)
class LadderSettings:
    """How the ladder's games are played. size, komi: the board; sims: simulations of a net whose
    spec gives none; opening_moves: random moves of each bank opening; bank_seed: the bank;
    block: games per pairing at a time (even: both colours); parallel: games at a time."""
    size: int
    komi: float
    sims: int = 64
    opening_moves: int = 2
    bank_seed: int = 2026
    block: int = 8
    parallel: int = 1
    move_timeout: float = 120.0
    sgf_dir: str | None = None

    def __post_init__(self) -> None:
        if not 2 <= self.size <= 19:
            raise ValueError(f"size must be in 2..19, got {self.size}")
        if not np.isfinite(self.komi):
            raise ValueError(f"komi must be a finite number, got {self.komi}")
        if self.block < 2 or self.block % 2:
            raise ValueError(f"block must be an even number of games >= 2 (each opening with both colours), "
                             f"got {self.block}")
        if not 0 <= self.opening_moves <= 20:
            raise ValueError(f"opening_moves must be in 0..20, got {self.opening_moves}")
        if self.parallel < 1 or self.sims < 1:
            raise ValueError("parallel and sims must be >= 1")


def pair_games(games: list[LadderGame], a: str, b: str) -> int:
    """Games between players a and b (keys), either colour."""
    return sum({g.black.key, g.white.key} == {a, b} for g in games)


def player_games(games: list[LadderGame], key: str) -> int:
    return sum(key in (g.black.key, g.white.key) for g in games)


def play_block(store: str | Path, a: Player, b: Player, games: int, st: LadderSettings,
               log: Callable[[str], None] = print, engines: EnginePool | None = None) -> list[LadderGame]:
    """`games` games between a and b (a Black in the even ones) from the bank, continuing where this
    pair stopped; the counted ones are appended to the store and returned. engines: a
    play.engine_pool.EnginePool the match takes its engines from and hands them back to (the ladder's
    callers keep one for a whole run: a block is short, and its engines' starts are about a third of it)."""
    from ..play.arena import run_match
    from ..play.engines import parse_spec
    have = read_games(store)
    offset = pair_games(have, a.key, b.key) // 2
    ea, eb = (parse_spec(p.spec, st.size, st.komi, sims=p.sims or st.sims, resign=False, root_noise=ROOT_NOISE)
              for p in (a, b))
    sgf = None if st.sgf_dir is None else Path(st.sgf_dir) / f"{_safe(a.key)}__{_safe(b.key)}"
    res = run_match(ea, eb, games, st.size, st.komi, parallel=st.parallel, sgf_dir=sgf,
                    move_timeout=st.move_timeout, opening_moves=st.opening_moves, seed=st.bank_seed,
                    opening_offset=offset, pool=engines)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    for rec in res.games:
        if rec.reason not in COUNTED:
            log(f"ladder: {a.label} vs {b.label} game {rec.index} not rated (lost by {rec.reason}: {rec.detail})")
            continue
        black, white = (a, b) if rec.a_color == 1 else (b, a)
        out.append(LadderGame(black, white, {1: "B", -1: "W", 0: "0"}[rec.winner], st.size, st.komi,
                              tuple(rec.moves[:rec.opening]), offset + rec.index // 2, st.bank_seed, rec.reason,
                              len(rec.moves), rec.score, rec.sgf, now))
    append_games(store, out)
    pts = sum(g.black_points() if g.black.key == a.key else 1 - g.black_points() for g in out)
    log(f"ladder: {a.label} vs {b.label}: {pts:g}/{len(out)} ({res.seconds:.0f} s)")
    return out


def _safe(key: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "@-_." else "-" for ch in key)


def _quick_fit(games: list[LadderGame], anchor: str):
    """Point ratings (no bootstrap) of the players joined to the anchor, or None before it has games."""
    try:
        return fit_ladder(games, anchor, bootstrap=0)
    except ValueError:
        return None


def play_anchors(store: str | Path, anchors: list[Player], st: LadderSettings, games_per_pair: int = ANCHOR_GAMES,
                 max_ci: float = MAX_CI, max_games: int = MAX_ANCHOR_GAMES, log: Callable[[str], None] = print,
                 engines: EnginePool | None = None) -> int:
    """Anchor games (module doc): each pair adjacent in `anchors`' order (weakest first) up to
    games_per_pair, then blocks for the pair of players within 400 Elo of each other whose gap has
    the widest 95% interval, while it is wider than max_ci, until the store holds max_games games
    between anchors. Returns the games this call played."""
    keys = [p.key for p in anchors]

    def anchor_games() -> list[LadderGame]:
        return [g for g in read_games(store) if g.black.key in keys and g.white.key in keys]
    before = len(anchor_games())   # max_games counts the store's anchor games, so a rerun resumes
    for a, b in zip(anchors, anchors[1:]):
        while (have := pair_games(read_games(store), a.key, b.key)) < games_per_pair \
                and len(anchor_games()) < max_games:
            n = min(st.block, games_per_pair - have)
            play_block(store, a, b, n + n % 2, st, log, engines)
    while len(games := anchor_games()) < max_games:
        worst = widest_gap(games, keys, max_ci)
        if worst is None:
            break
        (i, j), width = worst
        log(f"ladder: anchors {anchors[i].label} - {anchors[j].label}: gap interval {width:.0f} Elo wide")
        play_block(store, anchors[i], anchors[j], st.block, st, log, engines)
    return len(anchor_games()) - before


def widest_gap(games: list[LadderGame], keys: list[str], max_ci: float, near: float = 400.0
               ) -> tuple[tuple[int, int], float] | None:
    """((i, j), width): the pair of players (indices into keys; every game is between them) within
    `near` Elo of each other whose gap has the widest 95% interval, if wider than max_ci; else None."""
    from ..play.elo import fit_elo
    from .ladder_fit import _matrices
    index = {k: i for i, k in enumerate(keys)}
    w, n = _matrices(np.array([index[g.black.key] for g in games]), np.array([index[g.white.key] for g in games]),
                     np.array([g.black_points() for g in games]), len(keys))
    fit = fit_elo(w, n, keys, anchor=0)
    worst, width = None, max_ci
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            d, lo, hi = fit.diff(keys[i], keys[j])
            if abs(d) <= near and hi - lo > width:
                worst, width = (i, j), hi - lo
    return None if worst is None else (worst, width)


def rate_player(store: str | Path, me: Player, pool: list[Player], st: LadderSettings, anchor: str,
                games: int = GAMES_PER_PLAYER, hint: float | None = None, log: Callable[[str], None] = print,
                engines: EnginePool | None = None) -> float | None:
    """Play `me` until it has `games` rated games in the store (module doc): each block against the
    player of `pool` (already rated, not yet met) nearest its current estimate. Returns its rating
    after these games (None if no opponent could be found)."""
    pool = [p for p in pool if p.key != me.key]
    while True:
        have = read_games(store)
        done = player_games(have, me.key)
        fit = _quick_fit(have, anchor)
        if fit is None:
            raise ValueError(f"the anchor {anchor} has no games in {store}: play the anchors first")
        rated = {k: fit.rating(k) for k in fit.keys}
        est = rated.get(me.key, hint if hint is not None else float(np.median(list(rated.values()))))
        if done >= games:
            return rated.get(me.key)
        options = [p for p in pool if p.key in rated and pair_games(have, me.key, p.key) == 0]
        if not options:  # met every rated player once: the nearest again
            options = [p for p in pool if p.key in rated]
        if not options:
            log(f"ladder: no rated opponent for {me.label}")
            return rated.get(me.key)
        opp = min(options, key=lambda p: abs(rated[p.key] - est))
        n = min(st.block, games - done)
        play_block(store, me, opp, n + n % 2, st, log, engines)
