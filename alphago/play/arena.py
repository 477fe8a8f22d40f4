"""Matches between GTP engines: ours, GNU Go, or any GTP program; SGFs, a table and Elo.

Every player is a subprocess spoken to in GTP by `GtpClient`; our own players are
`python -m alphago.cli gtp ...`, so a checkpoint, a net-free search and an external engine
are driven the same way. Player specs (`--a`, `--b`):

    PATH[@SIMS]        a checkpoint, searched with SIMS simulations per move (default --sims) by a fresh
                       search (PUCT, AlphaZero constants: engines.fresh_search), whatever it trained with
    rollout[@SIMS]     our search without a net: random-rollout values
    uniform[@SIMS]     our search without a net: uniform prior, value 0
    gnugo[:LEVEL]      gnugo --mode gtp --chinese-rules --capture-all-dead --positional-superko
                       --level LEVEL (default 10); the binary from PATH or /usr/games/gnugo
    gtp:COMMAND        any GTP engine, COMMAND split like a shell would (no shell is run)

The arena is the referee. It keeps the authoritative game, an alphago.go.GoState with
Rules(komi=K) (area scoring, positional superko, no suicide) and a move cap (default 4 N^2):

- each `genmove` answer is parsed and checked; a move that is not a vertex, or that our
  rules refuse (occupied, suicide, superko), loses the game ("illegal");
  `resign` loses it ("resign");
- a legal move is sent with `play` to the other engine; if that engine refuses it (a
  rules mismatch), the refusing engine cannot go on and loses ("refused");
- an engine that dies, stops answering within --move-timeout, answers "?" to genmove or
  answers garbage loses the game ("died", "timeout", "gtp-error", "protocol"); the arena
  restarts it for the next game;
- two consecutive passes end the game ("passes") and so does the move cap ("move-cap");
  either way the board is counted as it stands, Tromp-Taylor (GoState.score()).

GNU Go with --capture-all-dead keeps playing until every dead stone is off the board before
it passes, so its own count (recorded from `final_score` at the end of every counted game,
together with its `final_status_list dead`) should agree with the Tromp-Taylor count. Where
the opponent passed early and left dead stones, GNU Go removes them and we do not; the
record keeps both so the difference is visible and explainable (tests check it).

Colours alternate (A is black in even-numbered games). --opening-moves K starts every game
with K random legal moves chosen by the arena and sent to both engines (the same opening for
games 2k and 2k+1, once with each colour), so deterministic engines play different games.

Randomness (a hundred games that are a few games repeated prove nothing). Our search
is deterministic for a given seed and GNU Go nearly so, so with randomize (the default) every
game gets its own seeds, derived from (--seed, game index) only, and each engine is sent
`set_random_seed SEED` after clear_board (GNU Go and our engine know it; an engine that
answers "?" simply keeps its own randomness); our checkpoints also get --root-noise (a small
fraction of Dirichlet noise in the root prior, play/player.py) so a net's close calls go
either way. The table reports how many games were distinct (different move sequences).

Board size and komi: a checkpoint's net fixes the board size and, unless --komi is given,
the komi of its training rules (match_board); two checkpoints for different sizes cannot meet.
Games run in worker threads, up to
--parallel at a time; each worker keeps one process per player and reuses it across games
(clear_board), so a net is loaded once per worker (and once per caller, across matches, when the
caller passes an engine_pool.EnginePool: the ladder does). Every game is written as SGF with RE,
PB and PW; the table counts wins per colour and gives Elo(A - B) with a 95% interval
(alphago.play.elo).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import queue
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .elo import MatchElo, match_elo
from .engine_pool import EnginePool
from .engines import (EngineSpec, gnugo_argv, gnugo_binary, match_board, ours_argv,  # noqa: F401
                      parse_spec, spec_checkpoint)
from .gtp_client import (EngineStartError, GtpClient, GtpClientError, GtpDied, GtpGarbage,  # noqa: F401
                         GtpRefused, GtpTimeout)
from .referee import (ArenaError, RefereeGame, arena_rules, count_without, game_seeds,  # noqa: F401
                      parse_score, play_game, random_opening, reconcile, replay_moves, write_sgf)


@dataclass
class MatchResult:
    a: str
    b: str
    size: int
    komi: float
    games: list[RefereeGame]
    seconds: float = 0.0

    def counts(self) -> dict:
        """A's wins / draws / losses as black, as white and in total; endings by reason."""
        out = {}
        for key, col in (("a_black", 1), ("a_white", -1), ("total", 0)):
            gs = [g for g in self.games if col == 0 or g.a_color == col]
            out[key] = {"games": len(gs), "a_wins": sum(g.a_score == 1.0 for g in gs),
                        "draws": sum(g.a_score == 0.5 for g in gs), "b_wins": sum(g.a_score == 0.0 for g in gs)}
        out["endings"] = dict(collections.Counter(g.reason for g in self.games))
        out["distinct_games"] = self.distinct_games()
        out["black_wins"] = sum(g.winner == 1 for g in self.games)
        out["white_wins"] = sum(g.winner == -1 for g in self.games)
        return out

    def distinct_games(self) -> int:
        """How many games differ: distinct full move sequences (random openings included).
        Repeats of one game add no evidence."""
        return len({tuple(g.moves) for g in self.games})

    def elo(self) -> MatchElo | None:
        t = self.counts()["total"]
        return match_elo(t["a_wins"], t["draws"], t["b_wins"]) if t["games"] else None

    def table(self) -> str:
        c = self.counts()
        rows = [("", "A black", "A white", "total")]
        for name, key in ((f"A wins ({self.a})", "a_wins"), (f"B wins ({self.b})", "b_wins"), ("draws", "draws")):
            rows.append((name,) + tuple(f"{c[k][key]}/{c[k]['games']}" for k in ("a_black", "a_white", "total")))
        w0 = max(len(r[0]) for r in rows)
        lines = [(f"A = {self.a}, B = {self.b}: {len(self.games)} games on {self.size}x{self.size}, "
                  f"komi {self.komi:g}, Tromp-Taylor area scoring, positional superko")]
        lines += [f"{r[0]:<{w0}}  " + "  ".join(f"{x:>8}" for x in r[1:]) for r in rows]
        lines.append(f"black won {c['black_wins']}, white won {c['white_wins']}; endings: "
                     + ", ".join(f"{k} {v}" for k, v in sorted(c["endings"].items())))
        lines.append(f"distinct games: {c['distinct_games']} of {len(self.games)} (different move sequences)")
        e = self.elo()
        if e is not None:
            lines.append(f"Elo(A - B) = {e.describe()}; score {e.score:.3f}")
        verdicts: dict[str, collections.Counter] = {}
        for g in self.games:
            for label, v in reconcile(g, self.size, self.komi).items():
                verdicts.setdefault(label, collections.Counter())[v] += 1
        for label, cnt in verdicts.items():
            if label in (self.a, self.b):
                lines.append(f"{label}'s own final_score vs our count: "
                             + ", ".join(f"{v} {k}" for k, v in sorted(cnt.items())))
        forfeits = [g for g in self.games if g.reason not in ("passes", "move-cap", "resign")]
        for g in forfeits:
            loser = g.white if g.winner == 1 else g.black
            lines.append(f"  game {g.index}: {loser} lost by {g.reason}: {g.detail}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        e = self.elo()
        return {"a": self.a, "b": self.b, "size": self.size, "komi": self.komi, "seconds": self.seconds,
                "distinct_games": self.distinct_games(), "counts": self.counts(), "elo": asdict(e) if e else None,
                "games": [{**asdict(g), "engine_score_check": reconcile(g, self.size, self.komi)}
                          for g in self.games]}


def run_match(a: EngineSpec, b: EngineSpec, games: int, size: int, komi: float, parallel: int | None = None,
              sgf_dir: str | Path | None = None, move_cap: int | None = None, move_timeout: float = 120.0,
              on_game=None, opening_moves: int = 0, seed: int = 0, randomize: bool = True,
              opening_offset: int = 0, pool: EnginePool | None = None) -> MatchResult:
    """Play `games` games, A black in the even ones. on_game(record) is called as each ends.
    opening_moves: start every game with that many random legal moves (played by the arena for
    both sides), the same opening for games 2k and 2k+1 so each opening is played once with
    each colour; this makes deterministic engines (ours, at a fixed seed) play different games.
    randomize: send each engine `set_random_seed` with the game's seed (game_seeds(seed, i))
    after clear_board; False leaves every engine at its own seed.
    opening_offset: this match's games take openings opening_offset, opening_offset + 1, ... of the
    bank that `seed` gives (and the game seeds that go with them), so that a later match between the
    same players continues through the bank instead of replaying its first games (eval/ladder).
    pool: an engine_pool.EnginePool: engines are taken from it and handed back after the match
    instead of started and ended here (a caller playing many short matches: the ladder).
    Raises ArenaError (after stopping every engine) if a player cannot start, refuses the
    board, or fails its very first set-up."""
    if games < 1:
        raise ValueError("games must be at least 1")
    la, lb = (a.label, b.label) if a.label != b.label else (f"{a.label} (A)", f"{b.label} (B)")
    specs = {"A": (a, la), "B": (b, lb)}
    parallel = max(1, min(games, parallel or os.cpu_count() or 1))
    todo: queue.Queue[int] = queue.Queue()
    for i in range(games):
        todo.put(i)
    results: list[RefereeGame] = []
    lock = threading.Lock()
    clients: list[GtpClient] = []
    ever_ok: set[str] = set()
    fatal: list[BaseException] = []
    t0 = time.perf_counter()
    engines = pool if pool is not None else EnginePool(max_idle=0)   # no pool: every engine ends with the match

    def start(key: str) -> GtpClient:
        spec, label = specs[key]
        c = engines.acquire(spec.argv, label, max(move_timeout, 120.0))
        with lock:
            clients.append(c)
        return c

    def worker() -> None:
        seat: dict[str, GtpClient | None] = {"A": None, "B": None}
        try:
            while not fatal:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                for key, client in list(seat.items()):
                    if client is None or not client.alive:
                        seat[key] = start(key)
                a_black = i % 2 == 0
                bk, wk = ("A", "B") if a_black else ("B", "A")
                seed_a, seed_b = game_seeds(seed, i + 2 * opening_offset)
                seeds = {1: seed_a, -1: seed_b} if a_black else {1: seed_b, -1: seed_a}
                try:
                    rec = play_game(i, seat[bk], seat[wk], specs[bk][1], specs[wk][1], size, komi,
                                    a_color=1 if a_black else -1, move_cap=move_cap,
                                    move_timeout=move_timeout, sgf_dir=sgf_dir,
                                    opening=random_opening(size, komi, opening_moves,
                                                           (seed, opening_offset + i // 2), move_cap),
                                    seeds=seeds if randomize else None)
                except GtpRefused as exc:
                    raise ArenaError(f"an engine refused the game settings ({size}x{size}, komi {komi:g}): "
                                     f"{exc}") from None
                if rec.reason in ("died", "timeout", "protocol") and rec.detail.startswith("set-up"):
                    loser = wk if rec.winner == 1 else bk
                    if specs[loser][1] not in ever_ok:
                        raise ArenaError(f"{specs[loser][1]} failed to start: {rec.detail}")
                with lock:
                    if not rec.detail.startswith("set-up"):
                        ever_ok.update((specs["A"][1], specs["B"][1]))
                    results.append(rec)
                if on_game is not None:
                    on_game(rec)
        except BaseException as exc:  # noqa: BLE001 - any failure: stop everybody: kill the engines so running games end fast
            with lock:
                fatal.append(exc)
                for c in clients:
                    c.kill()
        finally:
            for c in seat.values():
                if c is None:
                    continue
                if fatal:
                    c.close()
                else:
                    engines.release(c)   # kept if the caller's pool has room and it still runs, else closed

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if fatal:
        raise fatal[0]
    results.sort(key=lambda g: g.index)
    return MatchResult(la, lb, size, komi, results, time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# command line


def progress_line(rec: RefereeGame) -> str:
    s = f"game {rec.index}: {rec.black} (B) vs {rec.white} (W): {rec.result} by {rec.reason}, " \
        f"{len(rec.moves)} moves, {rec.seconds:.1f} s"
    for label, sc in rec.engine_scores.items():
        s += f"; {label} counts {sc}"
    return s


def main(args: argparse.Namespace) -> int:
    try:
        size, komi = match_board([args.a, args.b], args.size, args.komi)
        noise = args.root_noise if args.randomize else 0.0
        a = parse_spec(args.a, size, komi, args.sims, resign=not args.no_resign, root_noise=noise)
        b = parse_spec(args.b, size, komi, args.sims, resign=not args.no_resign, root_noise=noise)
        result = run_match(a, b, args.games, size, komi, parallel=args.parallel or None,
                           sgf_dir=args.sgf_dir, move_cap=args.move_cap or None, move_timeout=args.move_timeout,
                           on_game=lambda r: print(progress_line(r), flush=True),
                           opening_moves=args.opening_moves, seed=args.seed, randomize=args.randomize)
    except (ValueError, ArenaError, EngineStartError) as exc:
        raise SystemExit(f"alphago arena: {exc}")
    print(result.table())
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=1))
    return 0
