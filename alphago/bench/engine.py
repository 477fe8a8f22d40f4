"""`alphago bench engine`: raw engine speed, with its peers measured in the same run.

Workloads, on an N x N board (default 9), our default rules (positional superko, no
suicide, move cap 2*N*N), no history planes kept:

1. Uniform random games: from the empty board, a uniformly random legal action each
   turn (pass included) until two passes or the move cap.
   - THE LIKE-FOR-LIKE HEADLINE: both engines driven one move per Python call through their
     public APIs, the way GTP, the arena, notebooks and other projects use them:
       ours       GoBatch(N, 1): legal_actions(0) -> random choice -> step()
       OpenSpiel  legal_actions() -> random.choice -> apply_action()
     (`python_moves_per_s`, `openspiel_python_moves_per_s`, `ratio_python_vs_openspiel`);
   - ours, one game at a time inside one compiled call (`run_random_games`, one core): the
     engine's own ceiling, with no Python per move and legality checked only for the drawn
     points (`kernel_moves_per_s`; its ratio to OpenSpiel-from-Python is NOT like for like);
   - ours, batched: B games in lockstep, every running game chooses, then all apply
     (`run_random_games_lockstep`), the way a batched search drives them;
   - OpenSpiel's Go driven from Python (`legal_actions`, random choice, `apply_action`
     until terminal; OpenSpiel also ends a game at a board repetition, so moves are
     counted as applied);
   - pgx on the CPU (JAX, B games vmapped, one jitted call per turn) when `import pgx`
     works; pgx only has 9x9 and 19x19 Go, with its own rules (simple-ko legality, a
     positional-superko repetition ends the game, cap 2*N*N).
2. Light playouts (the rollout policy): never fill an own eye, pass only when nothing
   else is legal, and the final position scored as a rollout does (`run_light_playouts`):
   playouts/s and moves/s.

After a warm-up (numba and JAX compile on first use) the workloads are measured in
interleaved rounds of short chunks until each has run for `--seconds` of wall time, so
that load from other processes falls on all of them alike. Per workload we report
moves and games per wall second, and the share of that wall time this process spent on
the CPU (below 100% means other processes took the core).
"""
from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..go import GoBatch, Rules, seed
from ..go import batch_ops as ops
from .common import emit, machine_info

Chunk = Callable[[int], tuple[int, int]]  # work units wanted -> (games finished, moves played)
SLICE = 0.25  # seconds: chunks grow until one call takes at least a quarter of this


@dataclass
class Tally:
    """Running totals of one workload."""
    chunk: Chunk
    n: int = 1         # work units per call (doubles while calls are short)
    games: int = 0
    moves: int = 0
    wall: float = 0.0  # seconds
    cpu: float = 0.0   # seconds of this process's CPU time

    def record(self) -> dict:
        return {"games": self.games, "moves": self.moves, "seconds": self.wall,
                "cpu_seconds": self.cpu, "cpu_share": self.cpu / self.wall,
                "moves_per_s": self.moves / self.wall, "games_per_s": self.games / self.wall,
                "moves_per_cpu_s": self.moves / self.cpu if self.cpu > 0 else None}


def measure(chunks: dict[str, Chunk], seconds: float) -> dict[str, dict]:
    """Round-robin over the workloads, one call each per round, until every one has run
    for `seconds` of wall time. Returns a record per workload (see Tally.record)."""
    tallies = {name: Tally(c) for name, c in chunks.items()}
    while any(t.wall < seconds for t in tallies.values()):
        for t in tallies.values():
            if t.wall >= seconds:
                continue
            c0, w0 = time.process_time(), time.perf_counter()
            g, m = t.chunk(t.n)
            dw = time.perf_counter() - w0
            t.cpu += time.process_time() - c0
            t.wall += dw
            t.games += g
            t.moves += m
            if dw < SLICE / 4:
                t.n *= 2
    return {name: t.record() for name, t in tallies.items()}


def ours_single(size: int) -> Chunk:
    """n whole games one after another in one slot, all in compiled code."""
    batch = GoBatch(size, 1, Rules(), history=0)

    def chunk(n: int) -> tuple[int, int]:
        return n, int(ops.run_random_games(batch.games, batch.K, n, False))
    return chunk


def ours_python(size: int) -> Chunk:
    """n games through the public Python API, one move per call (the like-for-like case)."""
    batch = GoBatch(size, 1, Rules(), history=0)
    act = np.empty(1, np.int32)
    rng = random.Random(0)

    def chunk(n: int) -> tuple[int, int]:
        moves = 0
        for _ in range(n):
            batch.reset()
            while not batch.over[0]:
                legal = batch.legal_actions(0)  # as OpenSpiel's state.legal_actions()
                act[0] = legal[rng.randrange(len(legal))]
                batch.step(act, validate=False)  # drawn from the legal actions (GoBatch.step's doc)
                moves += 1
        return n, moves
    return chunk


def ours_light(size: int) -> Chunk:
    batch = GoBatch(size, 1, Rules(), history=0)
    komi = np.float32(Rules().komi)

    def chunk(n: int) -> tuple[int, int]:
        moves, _ = ops.run_light_playouts(batch.games, batch.K, n, komi)
        return n, int(moves)
    return chunk


def ours_batched(size: int, b: int) -> Chunk:
    """n * B games in lockstep over B slots; a finished slot restarts while games remain."""
    batch = GoBatch(size, b, Rules(), history=0)
    actions = np.empty(b, np.int32)

    def chunk(n: int) -> tuple[int, int]:
        return n * b, int(ops.run_random_games_lockstep(batch.games, batch.K, n * b, False, actions))
    return chunk


def openspiel_games(size: int) -> Chunk:
    """n games of OpenSpiel's Go from Python: the loop an OpenSpiel user would write."""
    import pyspiel
    game = pyspiel.load_game("go", {"board_size": size, "komi": Rules().komi})  # our default, as above
    rng = random.Random(0)

    def chunk(n: int) -> tuple[int, int]:
        moves = 0
        for _ in range(n):
            state = game.new_initial_state()
            while not state.is_terminal():
                state.apply_action(rng.choice(state.legal_actions()))
                moves += 1
        return n, moves
    return chunk


def pgx_games(size: int, b: int) -> Chunk:
    """n batches of B games of pgx's Go under JAX on the CPU, vmapped, one jitted call per
    turn, each batch until all its games are over (one call takes seconds on 9x9)."""
    import jax
    import jax.numpy as jnp
    import pgx
    env = pgx.make(f"go_{size}x{size}")
    init = jax.jit(jax.vmap(env.init))
    step = jax.jit(jax.vmap(env.step))

    @jax.jit
    def turn(state, key):
        live = ~(state.terminated | state.truncated)
        logits = jnp.where(state.legal_action_mask, 0.0, -jnp.inf)
        state = step(state, jax.random.categorical(key, logits, axis=-1))
        return state, jnp.sum(live), jnp.all(state.terminated | state.truncated)

    key = jax.random.PRNGKey(0)
    jax.block_until_ready(turn(init(jax.random.split(key, b)), key))  # compile now

    def chunk(n: int) -> tuple[int, int]:
        nonlocal key
        moves = 0
        for _ in range(n):
            key, k0 = jax.random.split(key)
            state, done = init(jax.random.split(k0, b)), False
            while not done:
                key, k1 = jax.random.split(key)
                state, live, all_done = turn(state, k1)
                moves += int(live)
                done = bool(all_done)
        return n * b, moves
    return chunk


def run(size: int, seconds: float, batch: int, peers: bool) -> tuple[dict, list[tuple[str, str]]]:
    """All workloads; returns the result record and the rows of the table."""
    seed(0)
    result: dict = {"size": size, "seconds_per_workload": seconds, "batch": batch,
                    "rules": "positional superko, no suicide, cap 2*N*N, history off",
                    "machine": machine_info(), "load_average": os.getloadavg()[0]}
    chunks: dict[str, Chunk] = {"ours_python": ours_python(size),
                                "ours_single": ours_single(size),
                                "ours_batched": ours_batched(size, batch),
                                "ours_light": ours_light(size)}
    notes: list[str] = []
    if peers:
        try:
            chunks["openspiel"] = openspiel_games(size)
        except ImportError:
            notes.append("OpenSpiel not installed (pip install open-spiel): skipped")
        try:
            import pgx  # noqa: F401
        except ImportError:
            notes.append("pgx not installed (pip install pgx): skipped")
        else:
            if size in (9, 19):
                chunks["pgx"] = pgx_games(size, batch)
            else:
                notes.append(f"pgx has no {size}x{size} Go: skipped")
    for name, c in chunks.items():
        if name != "pgx":  # pgx compiled when made; one call is a whole batch
            c(1)  # warm-up: compile and fill caches
    result.update(measure(chunks, seconds))
    single, light, py = result["ours_single"], result["ours_light"], result["ours_python"]
    base = result["openspiel"]["moves_per_s"] if "openspiel" in result else None
    result.update({
        "python_moves_per_s": py["moves_per_s"],
        "openspiel_python_moves_per_s": base,
        "ratio_python_vs_openspiel": py["moves_per_s"] / base if base else None,
        "kernel_moves_per_s": single["moves_per_s"],
        "kernel_ratio_vs_openspiel_python": single["moves_per_s"] / base if base else None,
        "batched_moves_per_s": result["ours_batched"]["moves_per_s"],
        "pgx_moves_per_s": result["pgx"]["moves_per_s"] if "pgx" in result else None,
        "playouts_per_s": light["games_per_s"],
        "playout_moves_per_s": light["moves_per_s"],
        "notes": notes,
    })

    def row(label: str, r: dict, unit: str = "games/s", vs: bool = True) -> tuple[str, str]:
        ratio = f"  {r['moves_per_s'] / base:8.3g}x OpenSpiel" if base and vs else ""
        text = (f"{r['moves_per_s']:>12,.0f} moves/s {r['games_per_s']:>10,.1f} {unit}"
                f"  {r['moves'] / max(r['games'], 1):5.1f} moves/game  cpu {r['cpu_share']:4.0%}{ratio}")
        return label, text
    rows = [(f"{size}x{size} uniform random games, one move per Python call (like for like)", ""),
            row("  ours: legal_actions + choice + step", py)]
    if "openspiel" in result:
        rows.append(row("  OpenSpiel: legal_actions + choice + apply_action", result["openspiel"]))
    rows += [(f"{size}x{size} uniform random games, whole games per call (engine ceilings)", ""),
             row("  ours, 1 game at a time in one compiled call", single),
             row(f"  ours, batched B={batch} in one compiled call", result["ours_batched"])]
    if "pgx" in result:
        rows.append(row(f"  pgx CPU B={batch}", result["pgx"]))
    rows += [(f"{size}x{size} light playouts", ""),
             row("  ours, 1 playout at a time", light, "playouts/s", vs=False)]
    rows += [("note", n) for n in notes]
    m = result["machine"]
    rows.append(("machine", (f"{m['cpu']} ({m['cores']} cores); python {m['python']}, "
                             f"numba {m['numba']}, numpy {m['numpy']}; {m['date']}; "
                             f"load average {result['load_average']:.2f} at start")))
    return result, rows


def main(args: argparse.Namespace) -> int:
    """Entry point of `alphago bench engine` (args: size, seconds, batch, json, no_peers)."""
    if not 2 <= args.size <= 19:
        raise SystemExit(f"--size must be between 2 and 19, got {args.size}")
    if args.batch < 1 or args.seconds <= 0:
        raise SystemExit("--batch must be >= 1 and --seconds > 0")
    result, rows = run(args.size, args.seconds, args.batch, peers=not args.no_peers)
    emit(result, args.json, rows)
    return 0
