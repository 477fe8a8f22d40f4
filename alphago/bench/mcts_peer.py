"""Peer for `alphago bench mcts`: DeepMind's mctx (Gumbel MuZero search) on pgx's `go_9x9`.

Same workload as `bench.mcts.run_selfplay`: B games from the empty board played in lockstep;
each move is one search of S simulations per game, then the chosen moves are played and
finished games restart. Here a move is two jitted calls: `mctx.gumbel_muzero_policy`
(max_num_considered_actions=16) whose recurrent_fn steps the pgx env (the embedding is the
pgx state) and evaluates the network, then `env.step` of the chosen actions with a
where-reset of finished games (compiled once and shared by every configuration).

Networks, randomly initialised, in plain JAX on pgx's observation (bool[B, 9, 9, 17]: 8
history positions x own/opponent stones + colour plane), NHWC:
  "resnet"  the shape of our PolicyValueNet(9, 17, NetConfig(blocks, channels)): 3x3 stem,
            `blocks` residual blocks of two 3x3 convs, policy head conv1x1(2) -> fc(82),
            value head conv1x1(1) -> fc(64) -> fc(1) -> tanh; batchnorm folded into conv
            biases (inference). Ours takes 21 input planes, not 17: the stem is ~1% of FLOPs.
  "free"    a near-free net: logits and value are a tiny reduction of the observation
            (so XLA cannot drop the input), i.e. a uniform prior and value ~0, like our
            UniformEvaluator.
Differences with ours worth knowing: mctx builds a new tree every move (no subtree reuse)
and evaluates the root again each move.

Threads: JAX is pinned to the CPU platform (JAX_PLATFORMS=cpu, one process). XLA:CPU runs
its ops on an intra-op pool the size of the visible cores, which on a 2-core machine equals
our torch evaluator's 2 threads, so nothing is set by default. With threads=1 we set
XLA_FLAGS "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1". XLA flags
only take effect if set before JAX's CPU backend starts, i.e. before the first peer run.
Compiling takes ~30-60 s per (net, S) on a 2-core machine; setting JAX_COMPILATION_CACHE_DIR
(read by JAX itself) reuses the compiled programs across runs.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import time
from collections.abc import Callable
from typing import Any

NUM_ACTIONS = 82  # 9x9 points + pass
_SINGLE_THREAD_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def available(threads: int | None = None) -> bool:
    """True if jax, pgx and mctx import. Imports them, so first pins JAX to the CPU (and,
    with threads == 1, single-threaded XLA): pass the threads run_peer will get."""
    if any(importlib.util.find_spec(m) is None for m in ("jax", "pgx", "mctx")):
        return False
    _configure(threads)
    try:
        import jax  # noqa: F401
        import mctx  # noqa: F401
        import pgx  # noqa: F401
    except Exception:  # noqa: BLE001 -- a broken install (e.g. jax/jaxlib mismatch) counts as absent
        return False
    return True


def _configure(threads: int | None) -> None:
    """Pins JAX to the CPU; with threads == 1, single-threaded XLA (before JAX starts)."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    if threads == 1 and _SINGLE_THREAD_FLAGS not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + _SINGLE_THREAD_FLAGS).strip()


@functools.cache
def _env() -> Any:
    import pgx
    return pgx.make("go_9x9")


def _init_resnet(key: Any, in_planes: int, blocks: int, channels: int, value_hidden: int = 64,
                 size: int = 9) -> dict:
    """He-normal weights (HWIO convs, folded-batchnorm biases) for the ResNet below."""
    import jax
    import jax.numpy as jnp
    keys = iter(jax.random.split(key, 2 * blocks + 6))

    def he(shape: tuple[int, ...], fan_in: int) -> Any:
        return jax.random.normal(next(keys), shape, jnp.float32) * (2.0 / fan_in) ** 0.5

    def conv(k: int, cin: int, cout: int) -> dict:
        return {"w": he((k, k, cin, cout), k * k * cin), "b": jnp.zeros(cout, jnp.float32)}

    def fc(nin: int, nout: int) -> dict:
        return {"w": he((nin, nout), nin), "b": jnp.zeros(nout, jnp.float32)}

    n2 = size * size
    return {"stem": conv(3, in_planes, channels),
            "blocks": [(conv(3, channels, channels), conv(3, channels, channels)) for _ in range(blocks)],
            "policy_conv": conv(1, channels, 2), "policy_fc": fc(2 * n2, NUM_ACTIONS),
            "value_conv": conv(1, channels, 1), "value_fc1": fc(n2, value_hidden),
            "value_fc2": fc(value_hidden, 1)}


def _resnet(params: dict, obs: Any) -> tuple[Any, Any]:
    """bool/float[B, 9, 9, C] -> (logits float32[B, 82], value float32[B] in [-1, 1])."""
    import jax
    import jax.numpy as jnp

    def conv(p: dict, x: Any) -> Any:
        y = jax.lax.conv_general_dilated(x, p["w"], (1, 1), "SAME",
                                         dimension_numbers=("NHWC", "HWIO", "NHWC"))
        return y + p["b"]

    h = jax.nn.relu(conv(params["stem"], obs.astype(jnp.float32)))
    for c1, c2 in params["blocks"]:
        h = jax.nn.relu(h + conv(c2, jax.nn.relu(conv(c1, h))))
    b = h.shape[0]
    p = jax.nn.relu(conv(params["policy_conv"], h)).reshape(b, -1)
    logits = p @ params["policy_fc"]["w"] + params["policy_fc"]["b"]
    v = jax.nn.relu(conv(params["value_conv"], h)).reshape(b, -1)
    v = jax.nn.relu(v @ params["value_fc1"]["w"] + params["value_fc1"]["b"])
    value = jnp.tanh(v @ params["value_fc2"]["w"] + params["value_fc2"]["b"])[:, 0]
    return logits, value


def _free(params: dict, obs: Any) -> tuple[Any, Any]:
    """Near-free net: a uniform prior and value ~0 that still read the observation."""
    import jax.numpy as jnp
    s = 1e-6 * obs.astype(jnp.float32).mean(axis=(1, 2, 3))
    return jnp.broadcast_to(s[:, None], (obs.shape[0], NUM_ACTIONS)), s


POLICIES = ("gumbel", "muzero")  # mctx.gumbel_muzero_policy (Gumbel root) or mctx.muzero_policy (PUCT)


def _make_search(env: Any, forward: Callable[[dict, Any], tuple[Any, Any]], sims: int,
                 policy: str = "gumbel") -> Callable:
    """Jitted (params, state, key) -> actions: one search for the whole batch, Gumbel MuZero's
    (16 considered actions) or MuZero's PUCT (mctx defaults; Dirichlet noise at the root as in
    self-play)."""
    import jax
    import jax.numpy as jnp
    import mctx

    def masked(logits: Any, legal: Any) -> Any:
        logits = logits - logits.max(axis=-1, keepdims=True)
        return jnp.where(legal, logits, jnp.finfo(logits.dtype).min)

    def recurrent_fn(params: dict, key: Any, action: Any, state: Any) -> tuple[Any, Any]:
        mover = state.current_player
        state = jax.vmap(env.step)(state, action)
        logits, value = forward(params, state.observation)
        reward = state.rewards[jnp.arange(action.shape[0]), mover]
        value = jnp.where(state.terminated, 0.0, value)
        discount = jnp.where(state.terminated, 0.0, -jnp.ones_like(value))
        return mctx.RecurrentFnOutput(reward=reward, discount=discount,
                                      prior_logits=masked(logits, state.legal_action_mask),
                                      value=value), state

    def search(params: dict, state: Any, key: Any) -> Any:
        logits, value = forward(params, state.observation)
        root = mctx.RootFnOutput(prior_logits=masked(logits, state.legal_action_mask),
                                 value=value, embedding=state)
        if policy == "muzero":
            return mctx.muzero_policy(params, key, root, recurrent_fn, num_simulations=sims,
                                      invalid_actions=~state.legal_action_mask).action
        return mctx.gumbel_muzero_policy(params, key, root, recurrent_fn, num_simulations=sims,
                                         invalid_actions=~state.legal_action_mask,
                                         max_num_considered_actions=16).action

    return jax.jit(search)


@functools.cache
def _env_fns(env: Any) -> tuple[Callable, Callable]:
    """Jitted batched init (keys -> state) and play ((state, action, key) -> state: plays
    the actions, restarts finished games), shared by every configuration."""
    import jax
    import jax.numpy as jnp

    def play(state: Any, action: Any, key: Any) -> Any:
        state = jax.vmap(env.step)(state, action)
        done = state.terminated | state.truncated
        fresh = jax.vmap(env.init)(jax.random.split(key, done.shape[0]))
        return jax.tree_util.tree_map(
            lambda f, s: jnp.where(done.reshape(done.shape + (1,) * (s.ndim - 1)), f, s), fresh, state)

    return jax.jit(jax.vmap(env.init)), jax.jit(play)


def run_peer(batch: int = 64, sims: int = 16, seconds: float = 5.0, net: str = "resnet",
             blocks: int = 6, channels: int = 64, threads: int | None = None, min_moves: int = 2,
             seed: int = 0, policy: str = "gumbel") -> dict:
    """Self-play moves on pgx go_9x9 through mctx for `seconds` (after a compile/warm-up
    move); returns a dict shaped like `run_selfplay`'s plus the process CPU seconds of the
    timed part (cpu_s / wall_s shows the threads used, or a loaded machine), compile time,
    XLA settings and versions."""
    if net not in ("resnet", "free"):
        raise ValueError(f"net must be 'resnet' or 'free', got {net!r}")
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    _configure(threads)
    import jax
    import mctx
    import pgx

    env = _env()
    key = jax.random.PRNGKey(seed)
    key, k_init, k_params = jax.random.split(key, 3)
    init, play = _env_fns(env)
    state = init(jax.random.split(k_init, batch))
    in_planes = state.observation.shape[-1]
    if net == "resnet":
        params, forward = _init_resnet(k_params, in_planes, blocks, channels), _resnet
    else:
        params, forward = {}, _free
    search = _make_search(env, forward, sims, policy)

    def move(key: Any, state: Any) -> tuple[Any, Any]:
        key, k_search, k_reset = jax.random.split(key, 3)
        return key, jax.block_until_ready(play(state, search(params, state, k_search), k_reset))

    t = time.perf_counter()
    key, state = move(key, state)  # compile + one move (not timed)
    compile_s = time.perf_counter() - t
    moves = 0
    t0, cpu0 = time.perf_counter(), time.process_time()
    while moves < min_moves or time.perf_counter() - t0 < seconds:
        key, state = move(key, state)
        moves += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    positions = moves * batch
    return {"peer": f"mctx.{'muzero' if policy == 'muzero' else 'gumbel_muzero'}_policy on pgx go_9x9", "net": net,
            "net_shape": f"{blocks}x{channels}" if net == "resnet" else None, "in_planes": in_planes,
            "batch": batch, "sims": sims, "moves": moves, "wall_s": wall,
            "positions_per_s": positions / wall, "sims_per_s": positions * sims / wall,
            "cpu_s": cpu, "compile_s": compile_s, "xla_flags": os.environ.get("XLA_FLAGS", ""),
            "xla_threads": 1 if _SINGLE_THREAD_FLAGS in os.environ.get("XLA_FLAGS", "")
            else len(os.sched_getaffinity(0)),
            "jax": jax.__version__, "pgx": pgx.__version__,
            "mctx": getattr(mctx, "__version__", "?")}
