"""Batched Monte Carlo tree search over B games at once (PUCT or Gumbel root).

VALUE CONVENTION. Every value is from the point of view of the player to move in the
position it belongs to: the evaluator's value[b] is for the player to move at the leaf,
a node's value and the Q of its outgoing edges are for the player choosing there, and
a value is negated at each ply on its way up. A terminal position's value is the game
result for the player to move there (+1 win, -1 loss, 0 draw). So root Q(a) > 0 means
"a is good for the player about to move". (tests/test_mcts.py checks this.)

The search knows nothing of Go or torch. It drives an Environment and calls an Evaluator once
per simulation step on all leaves that need it, never one game at a time; it returns a
SearchResult (all three, with shapes, in mcts/types.py).
"""
from __future__ import annotations

import threading
import time

import numpy as np

from . import tree as T
from .config import SearchConfig
from .types import Environment, Evaluator, Observation, SearchResult, is_full_batch  # noqa: F401

def masked_softmax(logits: np.ndarray, legal: np.ndarray) -> np.ndarray:
    x = np.where(legal, logits.astype(np.float64), -np.inf)
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def tree_nbytes(config: SearchConfig, batch_size: int, num_actions: int) -> int:
    """Bytes a Search preallocates for its trees (about 2 nodes x 17 bytes x A per simulation):
    callers that let a user choose the simulation count check it against the memory at hand."""
    C, A = config.tree_capacity, num_actions
    max_sims = max(config.num_simulations, config.fast_simulations)
    # tree.tree_dtype's fields, counted without building it (numpy refuses records over 2 GiB)
    tree = C * A * (4 + 1 + 4 + 4 + 4) + C * (4 + 1 + 4 + 4) + 2 * 4 * A + 4 * max_sims + 8
    return batch_size * (tree + 4 * (C + 1))


MAX_TREE_BYTES = 2 ** 31 - 1  # numpy's limit for one record (one game's tree)


class Search:
    """Holds B trees (reused across moves) and per-game random streams.

    Game b draws its noise from its own generator seeded by (seed, b), so a game's search
    does not depend on how many other games share the batch.
    """

    def __init__(self, config: SearchConfig, batch_size: int, num_actions: int, seed: int = 0):
        self.config = config
        self.B, self.A = batch_size, num_actions
        self.max_sims = max(config.num_simulations, config.fast_simulations)
        self.trees = np.zeros(batch_size, T.tree_dtype(config.tree_capacity, num_actions, self.max_sims))
        self.rngs = [np.random.default_rng([seed, b]) for b in range(batch_size)]
        self._paths = np.zeros((batch_size, config.tree_capacity + 1), np.int32)
        self._advanced = True  # trees hold nothing yet, or the subtrees of the moves played

    def reset(self, which: np.ndarray | None = None) -> None:
        """Forget the trees of the flagged games (e.g. when a new game starts in that slot)."""
        if which is None:
            self.trees["nnodes"] = 0
        else:
            self.trees["nnodes"][np.asarray(which, bool)] = 0

    def advance(self, actions: np.ndarray) -> None:
        """Tell the search which action was played in each game (-1 = none / new game), so
        the subtree under it becomes the next root (PUCT with reuse_tree)."""
        cfg = self.config
        actions = np.asarray(actions, np.int32)
        self._advanced = True
        if cfg.kind != "puct" or not cfg.reuse_tree:
            self.trees["nnodes"] = 0
            return
        keep = cfg.tree_capacity - self.max_sims - 1
        T.reuse_subtrees(self.trees, actions, keep)

    def principal_variation(self, b: int, action: int, max_len: int = 32) -> list[int]:
        """The line the last search of game b expects after root `action`: `action`, then at each
        node below it the most visited edge (ties to the lower action), while the edge was visited.
        What Lizzie and Sabaki draw as a candidate's `pv`; [action] when the move was never expanded."""
        t = self.trees[b]
        line, node = [int(action)], int(t["child"][0, action]) if t["nnodes"] > 0 else -1
        while node >= 0 and len(line) < max_len:
            visits = t["visits"][node]
            best = int(np.argmax(visits))
            if visits[best] <= 0:
                break
            line.append(best)
            node = int(t["child"][node, best])
        return line

    # ------------------------------------------------------------------ the search
    def run(self, env: Environment, evaluator: Evaluator, active: np.ndarray | None = None,
            temperature: float | np.ndarray = 0.0, add_noise: bool = True,
            deadline: float | None = None, stop: threading.Event | None = None) -> SearchResult:
        """Search every active game's root and choose an action.

        temperature (PUCT): the action is drawn from N(a)^(1/t); t = 0 plays the most
        visited (ties to the higher prior). Gumbel plays the sequential-halving winner.
        add_noise: root Dirichlet noise (PUCT) / Gumbel draws, forced playouts and
        playout-cap randomization; False for evaluation play.
        deadline: a time.perf_counter() value after which no new simulation starts (at least
        one runs); for engines that must respect a clock.
        stop: once set (from another thread), no new simulation starts (at least one runs): an
        analysis that the next move makes moot ends at once.
        """
        cfg, B = self.config, self.B
        active = np.ones(B, bool) if active is None else np.asarray(active, bool)
        if not self._advanced:  # a second search of the same roots starts afresh, not on top
            self.trees["nnodes"] = 0
        self._advanced = False
        kind = T.KIND_GUMBEL if cfg.kind == "gumbel" else T.KIND_PUCT
        evals = np.zeros(B, np.int32)
        full, sims = self._plan(active, add_noise)
        self._expand_roots(env, evaluator, active, evals)
        reused = np.where(active, self.trees["start"], 0).astype(np.int32)
        noisy = full & add_noise
        self._noise_roots(active, noisy, sims, kind)
        forced_k = cfg.forced_k if (cfg.forced_playouts and kind == T.KIND_PUCT) else 0.0
        done = self._simulate(env, evaluator, active, sims, noisy, kind, forced_k, deadline, evals, stop)
        return self._result(active, full, noisy, done, evals, reused, temperature, kind, forced_k)

    def _plan(self, active: np.ndarray, add_noise: bool) -> tuple[np.ndarray, np.ndarray]:
        """(full bool[B], sims int32[B]): playout cap randomization draws a full or a fast search
        per game (from the game's own stream); inactive games get 0 simulations."""
        cfg = self.config
        if add_noise and cfg.full_search_prob < 1.0:
            full = np.array([r.random() < cfg.full_search_prob for r in self.rngs]) & active
        else:
            full = active.copy()
        sims = np.where(full, cfg.num_simulations, cfg.fast_simulations).astype(np.int32)
        sims[~active] = 0
        return full, sims

    def _expand_roots(self, env: Environment, evaluator: Evaluator, active: np.ndarray, evals: np.ndarray) -> None:
        """Evaluate and set the roots of the active games whose tree is empty (not reused)."""
        B, A = self.B, self.A
        need_root = active & (self.trees["nnodes"] == 0)
        if not need_root.any():
            return
        obs = env.observe_roots()
        if (obs.terminal & active).any():
            bad = np.flatnonzero(obs.terminal & active)
            raise ValueError(f"cannot search finished games {bad.tolist()}; pass active=False for them")
        idx = np.flatnonzero(need_root)
        logits, values = self._evaluate(evaluator, obs, idx)
        priors = np.zeros((B, A), np.float32)
        vals = np.zeros(B, np.float32)
        priors[idx] = masked_softmax(logits, obs.legal[idx])
        vals[idx] = values
        T.set_roots(self.trees, need_root, priors, obs.legal, vals)
        evals[idx] += 1

    def _noise_roots(self, active: np.ndarray, noisy: np.ndarray, sims: np.ndarray, kind: int) -> None:
        """The root prior as selection sees it: Dirichlet noise (PUCT) or Gumbel draws for the
        noisy games, each from its own stream; Gumbel's considered-visit schedule."""
        cfg, A = self.config, self.A
        root_prior = self.trees["prior"][:, 0, :]
        root_legal = self.trees["legal"][:, 0, :].astype(bool)
        self.trees["root_prior"] = root_prior
        for b in np.flatnonzero(active):
            t_legal = root_legal[b]
            if kind == T.KIND_PUCT and noisy[b] and cfg.dirichlet_fraction > 0:
                n_legal = int(t_legal.sum())
                alpha = cfg.dirichlet_alpha_total / n_legal
                noise = np.zeros(A, np.float32)
                noise[t_legal] = self.rngs[b].dirichlet(np.full(n_legal, alpha))
                f = cfg.dirichlet_fraction
                self.trees["root_prior"][b] = (1 - f) * root_prior[b] + f * noise
            if kind == T.KIND_GUMBEL:
                g = np.zeros(A, np.float32)
                if noisy[b] and cfg.gumbel_scale > 0:
                    g[t_legal] = cfg.gumbel_scale * self.rngs[b].gumbel(size=int(t_legal.sum()))
                self.trees["gumbel"][b] = g
                m = min(cfg.gumbel_m, int(t_legal.sum()))
                T.considered_visits(m, int(sims[b]), self.trees["seq"][b])

    def _simulate(self, env: Environment, evaluator: Evaluator, active: np.ndarray, sims: np.ndarray,
                  noisy: np.ndarray, kind: int, forced_k: float, deadline: float | None,
                  evals: np.ndarray, stop: threading.Event | None = None) -> np.ndarray:
        """The simulations, all games in lockstep: select a leaf per running game, evaluate the
        new non-terminal leaves in one call, expand and back up. Returns done int32[B]."""
        cfg, B, A = self.config, self.B, self.A
        # forced playouts only where the root is noised (full searches with add_noise): a
        # game's search never depends on what the other games of the batch drew
        forced_per_game = np.where(noisy, forced_k, 0.0).astype(np.float64)
        lengths = np.zeros(B, np.int32)
        leaf_parent = np.zeros(B, np.int32)
        leaf_action = np.zeros(B, np.int32)
        leaf_node = np.zeros(B, np.int32)
        done = np.zeros(B, np.int32)
        for i in range(int(sims.max(initial=0))):
            if i > 0 and ((deadline is not None and time.perf_counter() > deadline)
                          or (stop is not None and stop.is_set())):
                break
            running = active & (done < sims)
            T.select_leaves(self.trees, running, done, kind, cfg.c_init, cfg.c_base,
                            cfg.fpu_reduction, cfg.root_fpu_reduction, forced_per_game, cfg.c_visit, cfg.c_scale,
                            self._paths, lengths, leaf_parent, leaf_action, leaf_node)
            env.set_leaves(self._paths, np.where(running & (leaf_node < 0), lengths, -1))
            obs = env.observe_leaves()
            need = running & (leaf_node < 0) & ~obs.terminal
            priors = np.zeros((B, A), np.float32)
            values = np.where(obs.terminal, obs.value, 0).astype(np.float32)
            if need.any():
                idx = np.flatnonzero(need)
                logits, v = self._evaluate(evaluator, obs, idx)
                priors[idx] = masked_softmax(logits, obs.legal[idx])
                values[idx] = v
                evals[idx] += 1
            T.expand_and_backup(self.trees, running, leaf_parent, leaf_action, leaf_node,
                                priors, obs.legal, values, obs.terminal)
            done += running
        return done

    def _evaluate(self, evaluator: Evaluator, obs, idx: np.ndarray):
        if is_full_batch(evaluator):
            logits, values = evaluator(obs.features, obs.legal)
            logits, values = np.asarray(logits)[idx], np.asarray(values)[idx]
        else:
            logits, values = evaluator(obs.features[idx], obs.legal[idx])
        logits = np.asarray(logits, np.float32)
        values = np.asarray(values, np.float32).reshape(-1)
        if logits.shape != (len(idx), self.A) or values.shape != (len(idx),):
            raise ValueError(f"evaluator returned logits {logits.shape} and values {values.shape}; "
                             f"expected ({len(idx)}, {self.A}) and ({len(idx)},)")
        # a NaN value or prior never compares greater than anything: selection would loop on it
        # for ever (a diverged net's workers spun without end), so it is the evaluator's error
        # (the legal-move gather only when some logit is not finite: illegal moves may carry -inf)
        if not np.isfinite(values).all() or (not np.isfinite(logits).all()
                                             and not np.isfinite(logits[obs.legal[idx].astype(bool)]).all()):
            raise ValueError(f"evaluator {type(evaluator).__name__} returned non-finite "
                             f"{'values' if not np.isfinite(values).all() else 'logits on legal moves'} "
                             f"(a diverged net?); the search cannot use them")
        return logits, values

    def _result(self, active, full, noisy, done, evals, reused, temperature, kind, forced_k):
        cfg, B, A = self.config, self.B, self.A
        tr = self.trees
        visits = np.where(active[:, None], tr["visits"][:, 0, :], 0).astype(np.int32)
        wsum = tr["wsum"][:, 0, :]
        prior = np.where(active[:, None], tr["prior"][:, 0, :], 0).astype(np.float32)
        legal = tr["legal"][:, 0, :].astype(bool) & active[:, None]
        q = np.where(visits > 0, wsum / np.maximum(visits, 1), 0).astype(np.float32)
        root_value = np.where(active, tr["value"][:, 0], 0).astype(np.float32)
        nsum = visits.sum(axis=1)
        search_value = np.where(active, (root_value + wsum.sum(axis=1)) / (1 + nsum), 0)
        improved = np.zeros((B, A), np.float32)
        action = np.full(B, -1, np.int32)
        temps = np.broadcast_to(np.asarray(temperature, np.float64), (B,))
        buf = np.zeros(A, np.float32)
        for b in np.flatnonzero(active):
            if kind == T.KIND_GUMBEL:
                T.improved_policy(tr[b], 0, cfg.c_visit, cfg.c_scale, buf)
                improved[b] = buf
                T.completed_q(tr[b], 0, cfg.c_visit, cfg.c_scale, buf)
                score = np.where(legal[b] & (visits[b] == visits[b].max()),
                                 tr["gumbel"][b] + np.log(np.maximum(prior[b], 1e-30)) + buf, -np.inf)
                action[b] = int(np.argmax(score))
            else:
                improved[b] = visits[b] / max(nsum[b], 1)
                if temps[b] > 0:
                    w = visits[b].astype(np.float64) ** (1.0 / temps[b])
                    action[b] = int(self.rngs[b].choice(A, p=w / w.sum()))
                else:
                    action[b] = int(np.argmax(np.where(legal[b], visits[b] + 1e-3 * prior[b], -1)))
        pruned = None
        if forced_k > 0:
            pruned = prune_forced_visits(visits, q, tr["root_prior"], legal, forced_k, cfg, noisy)
        return SearchResult(action, visits, prior, improved, q, root_value,
                            search_value.astype(np.float32), full & active, done.astype(np.int32),
                            evals, reused, pruned)


def prune_forced_visits(visits, q, root_prior, legal, forced_k, cfg: SearchConfig, noisy):
    """KataGo's policy-target pruning (Wu 2019, section 3.1): for every child but the most
    visited, take away up to n_forced = sqrt(k P N) visits as long as its PUCT score stays
    below the best child's; children left with one visit or less are dropped."""
    out = visits.copy()
    for b in np.flatnonzero(noisy):
        n = visits[b]
        total = int(n.sum())
        if total == 0:
            continue
        best = int(np.argmax(np.where(legal[b], n, -1)))
        c = cfg.c_init + np.log((1 + total + cfg.c_base) / cfg.c_base)
        sq = np.sqrt(total)
        best_score = q[b, best] + c * root_prior[b, best] * sq / (1 + n[best])
        for a in np.flatnonzero(legal[b] & (n > 0)):
            if a == best:
                continue
            n_forced = int(np.sqrt(forced_k * root_prior[b, a] * total))
            # smallest visit count m at which a's PUCT score is still below best_score
            gap = best_score - q[b, a]
            m_min = n[a] if gap <= 0 else max(0, int(np.ceil(c * root_prior[b, a] * sq / gap - 1)))
            keep = max(n[a] - n_forced, min(m_min, n[a]))
            out[b, a] = keep if keep > 1 else 0
    return out
