"""Preallocated search trees for B games, one numpy record per tree, and the numba
kernels that walk them. No Go, no torch: nodes hold arrays over A actions.

Value convention (see search.py): a node's `value` and the `wsum` of its outgoing
edges are from the point of view of the player to move at that node; a value is
negated each time it moves up one ply.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .. import _numba_records  # noqa: F401  (stable symbol names for cached record kernels)

KIND_PUCT = 0
KIND_GUMBEL = 1


def tree_dtype(capacity: int, num_actions: int, max_sims: int) -> np.dtype:
    C, A = capacity, num_actions
    return np.dtype([
        ("prior", np.float32, (C, A)),   # evaluator policy at the node (softmax over legal), before noise
        ("legal", np.uint8, (C, A)),     # 1 = legal (numba records hold no nested bool arrays)
        ("visits", np.int32, (C, A)),    # N(s, a)
        ("wsum", np.float32, (C, A)),    # sum of values backed up through (s, a), for the player at s
        ("child", np.int32, (C, A)),     # node reached by (s, a); -1 = not expanded
        ("value", np.float32, (C,)),     # evaluator value (or game result) for the player at the node
        ("terminal", np.uint8, (C,)),    # 1 = game over at this node
        ("parent", np.int32, (C,)),      # -1 at the root
        ("paction", np.int32, (C,)),     # action from the parent
        ("root_prior", np.float32, (A,)),  # the root's prior as selection uses it (noise mixed in)
        ("gumbel", np.float32, (A,)),    # Gumbel(0, 1) * scale draws at the root
        ("seq", np.int32, (max_sims,)),  # sequential halving: visit count to consider at simulation i
        ("nnodes", np.int32),            # nodes in use; 0 = no root yet
        ("start", np.int32),             # root visits carried over by tree reuse
    ], align=True)


# ----------------------------------------------------------------------------- nodes

@njit(cache=True)
def _init_node(t, node, parent, action, prior, legal, value, terminal):
    A = t.prior.shape[1]
    for a in range(A):
        t.prior[node, a] = prior[a]
        t.legal[node, a] = legal[a]
        t.visits[node, a] = 0
        t.wsum[node, a] = 0.0
        t.child[node, a] = -1
    t.value[node] = value
    t.terminal[node] = terminal
    t.parent[node] = parent
    t.paction[node] = action


@njit(cache=True)
def set_roots(trees, which, priors, legal, values):
    """Start a fresh tree (root only) for every game flagged in `which`."""
    for b in range(trees.shape[0]):
        if which[b]:
            t = trees[b]
            _init_node(t, 0, -1, -1, priors[b], legal[b], values[b], False)
            t.nnodes = 1
            t.start = 0


@njit(cache=True)
def node_stats(t, node):
    """(sum of child visits, sum of child wsum, max child visits) at a node."""
    nsum = 0
    wtot = 0.0
    nmax = 0
    for a in range(t.prior.shape[1]):
        n = t.visits[node, a]
        if n > 0:
            nsum += n
            wtot += t.wsum[node, a]
            if n > nmax:
                nmax = n
    return nsum, wtot, nmax


# ----------------------------------------------------------------------------- PUCT

@njit(cache=True)
def puct_pick(t, node, c_init, c_base, fpu_reduction, forced_k):
    """argmax_a Q(s, a) + c(N) P(s, a) sqrt(N) / (1 + N(s, a)) over legal a.

    N = sum of child visits; c(N) = c_init + log((1 + N + c_base) / c_base); sqrt(N) is
    taken as 1 while N = 0 so the first simulation follows the prior. Unvisited edges
    get Q = Q(s) - fpu_reduction * sqrt(prior mass of visited edges), Q(s) the node's
    mean value. At the root the prior is root_prior; forced_k > 0 forces any root edge
    with N(s, a) < sqrt(forced_k * P(s, a) * N) (KataGo's forced playouts).
    """
    A = t.prior.shape[1]
    is_root = node == 0
    nsum, wtot, _ = node_stats(t, node)
    mass = 0.0
    for a in range(A):
        if t.visits[node, a] > 0:
            mass += t.root_prior[a] if is_root else t.prior[node, a]
    q_node = (t.value[node] + wtot) / (1 + nsum)
    fpu = q_node - fpu_reduction * math.sqrt(mass)
    c = c_init + math.log((1.0 + nsum + c_base) / c_base)
    sq = math.sqrt(nsum) if nsum > 0 else 1.0
    best = -np.inf
    best_a = -1
    for a in range(A):
        if not t.legal[node, a]:
            continue
        p = t.root_prior[a] if is_root else t.prior[node, a]
        n = t.visits[node, a]
        q = t.wsum[node, a] / n if n > 0 else fpu
        score = q + c * p * sq / (1.0 + n)
        if is_root and forced_k > 0.0 and n < math.sqrt(forced_k * p * nsum):
            score = 1e9 + p
        if score > best:
            best = score
            best_a = a
    return best_a


# ----------------------------------------------------------------------------- Gumbel

@njit(cache=True)
def completed_q(t, node, c_visit, c_scale, out):
    """out[a] = sigma(completed, min-max rescaled Q) for legal a (mctx's
    qtransform_completed_by_mix_value). Unvisited actions get the mixed value
    v_mix = (v + N * sum_visited(p q) / sum_visited(p)) / (1 + N)."""
    A = t.prior.shape[1]
    nsum, _, nmax = node_stats(t, node)
    spq = 0.0
    sp = 0.0
    for a in range(A):
        n = t.visits[node, a]
        if n > 0:
            spq += t.prior[node, a] * t.wsum[node, a] / n
            sp += t.prior[node, a]
    v_mix = t.value[node]
    if sp > 0:
        v_mix = (t.value[node] + nsum * spq / sp) / (1.0 + nsum)
    lo = np.inf
    hi = -np.inf
    for a in range(A):
        if t.legal[node, a]:
            n = t.visits[node, a]
            q = t.wsum[node, a] / n if n > 0 else v_mix
            out[a] = q
            lo = min(lo, q)
            hi = max(hi, q)
    scale = (c_visit + nmax) * c_scale
    span = max(hi - lo, 1e-8)
    for a in range(A):
        out[a] = scale * (out[a] - lo) / span if t.legal[node, a] else 0.0


@njit(cache=True)
def _log(p):
    return math.log(max(p, 1e-30))


@njit(cache=True)
def gumbel_root_pick(t, sim, c_visit, c_scale, sigma):
    """Sequential halving: among legal actions whose visit count equals seq[sim], the one
    with the largest g(a) + logit(a) + sigma(q(a))."""
    completed_q(t, 0, c_visit, c_scale, sigma)
    target = t.seq[sim]
    best = -np.inf
    best_a = -1
    for a in range(t.prior.shape[1]):
        if t.legal[0, a] and t.visits[0, a] == target:
            score = t.gumbel[a] + _log(t.prior[0, a]) + sigma[a]
            if score > best:
                best = score
                best_a = a
    if best_a < 0:  # cannot happen with a consistent seq; fall back to the least visited
        for a in range(t.prior.shape[1]):
            if t.legal[0, a]:
                score = -t.visits[0, a] + 1e-3 * (t.gumbel[a] + _log(t.prior[0, a]))
                if score > best:
                    best = score
                    best_a = a
    return best_a


@njit(cache=True)
def improved_policy(t, node, c_visit, c_scale, out):
    """out = softmax(logits + sigma(completed Q)) over legal actions (zero elsewhere)."""
    completed_q(t, node, c_visit, c_scale, out)
    A = t.prior.shape[1]
    m = -np.inf
    for a in range(A):
        if t.legal[node, a]:
            out[a] = _log(t.prior[node, a]) + out[a]
            m = max(m, out[a])
    z = 0.0
    for a in range(A):
        if t.legal[node, a]:
            out[a] = math.exp(out[a] - m)
            z += out[a]
        else:
            out[a] = 0.0
    for a in range(A):
        out[a] /= z


@njit(cache=True)
def gumbel_interior_pick(t, node, c_visit, c_scale, pi):
    """Deterministic selection below the root: argmax pi'(a) - N(a) / (1 + N)."""
    improved_policy(t, node, c_visit, c_scale, pi)
    nsum, _, _ = node_stats(t, node)
    best = -np.inf
    best_a = -1
    for a in range(t.prior.shape[1]):
        if t.legal[node, a]:
            score = pi[a] - t.visits[node, a] / (1.0 + nsum)
            if score > best:
                best = score
                best_a = a
    return best_a


@njit(cache=True)
def considered_visits(m, n, out):
    """Fill out[:n] with the visit count sequential halving considers at each simulation,
    for m considered actions and n simulations (Danihelka et al. 2022, as in mctx)."""
    if m <= 1:
        for i in range(n):
            out[i] = i
        return
    log2m = int(math.ceil(math.log2(m)))
    visits = np.zeros(m, np.int64)
    k = m
    i = 0
    while i < n:
        extra = max(1, n // (log2m * k))
        for _ in range(extra):
            for j in range(k):
                if i < n:
                    out[i] = visits[j]
                    i += 1
                visits[j] += 1
        k = max(2, k // 2)


# ----------------------------------------------------------------------------- batch kernels

@njit(cache=True)
def select_leaves(trees, active, sims_done, kind, c_init, c_base, fpu, root_fpu, forced_k,
                  c_visit, c_scale, paths, lengths, leaf_parent, leaf_action, leaf_node):
    """Descend every active tree to a leaf (forced_k: float64[B], 0 = no forced playouts
    in that game). Outputs per game: the action path from the
    root (paths[b, :lengths[b]]); either a new edge (leaf_parent, leaf_action) to expand,
    or leaf_node >= 0, an expanded terminal node whose value is backed up as it is."""
    A = trees[0].prior.shape[1]
    scratch = np.empty(A, np.float32)
    for b in range(trees.shape[0]):
        if not active[b]:
            lengths[b] = -1
            continue
        t = trees[b]
        node = 0
        depth = 0
        while True:
            if t.terminal[node]:
                leaf_node[b] = node
                leaf_parent[b] = -1
                break
            if kind == KIND_GUMBEL:
                if node == 0:
                    a = gumbel_root_pick(t, sims_done[b], c_visit, c_scale, scratch)
                else:
                    a = gumbel_interior_pick(t, node, c_visit, c_scale, scratch)
            else:
                a = puct_pick(t, node, c_init, c_base, root_fpu if node == 0 else fpu,
                              forced_k[b] if node == 0 else 0.0)
            paths[b, depth] = a
            depth += 1
            ch = t.child[node, a]
            if ch < 0:
                leaf_node[b] = -1
                leaf_parent[b] = node
                leaf_action[b] = a
                break
            node = ch
        lengths[b] = depth


@njit(cache=True)
def expand_and_backup(trees, active, leaf_parent, leaf_action, leaf_node, priors, legal, values,
                      terminal):
    """Add the new leaves (evaluator prior/value, or game result where terminal) and back
    their values up to the root, negating at each ply. A full tree backs up without
    storing the leaf (its edge is evaluated again next time)."""
    C = trees[0].prior.shape[0]
    for b in range(trees.shape[0]):
        if not active[b]:
            continue
        t = trees[b]
        if leaf_node[b] >= 0:
            node = leaf_node[b]
            v = t.value[node]
        else:
            parent = leaf_parent[b]
            a = leaf_action[b]
            v = values[b]
            if t.nnodes < C:
                node = t.nnodes
                t.nnodes += 1
                _init_node(t, node, parent, a, priors[b], legal[b], v, terminal[b])
                t.child[parent, a] = node
            else:
                v = -v
                t.visits[parent, a] += 1
                t.wsum[parent, a] += v
                node = parent
        while node != 0:
            p = t.parent[node]
            a = t.paction[node]
            v = -v
            t.visits[p, a] += 1
            t.wsum[p, a] += v
            node = p


@njit(cache=True)
def reuse_subtrees(trees, actions, max_keep):
    """Make the child reached by actions[b] the new root, renumbering its subtree in
    place (nodes are created after their parents, so ascending old index keeps every
    new index <= its old one and the copy never overwrites a node still to move).
    A game whose child is missing, terminal or whose subtree exceeds max_keep nodes
    gets an empty tree (nnodes = 0). actions[b] < 0 also clears the tree."""
    C = trees[0].prior.shape[0]
    A = trees[0].prior.shape[1]
    newid = np.empty(C, np.int32)
    member = np.empty(C, np.bool_)
    stack = np.empty(C, np.int32)
    for b in range(trees.shape[0]):
        t = trees[b]
        a = actions[b]
        if a < 0 or t.nnodes == 0:
            t.nnodes = 0
            continue
        r = t.child[0, a]
        if r < 0 or t.terminal[r]:
            t.nnodes = 0
            continue
        for i in range(t.nnodes):
            member[i] = False
        member[r] = True
        stack[0] = r
        top = 1
        count = 1
        while top > 0:
            top -= 1
            x = stack[top]
            for j in range(A):
                y = t.child[x, j]
                if y >= 0:
                    member[y] = True
                    stack[top] = y
                    top += 1
                    count += 1
        if count > max_keep:
            t.nnodes = 0
            continue
        k = 0
        for i in range(t.nnodes):
            if member[i]:
                newid[i] = k
                k += 1
            else:
                newid[i] = -1
        # newid now maps subtree members to ranks; non-members are -1
        for i in range(t.nnodes):
            j = newid[i]
            if j < 0:
                continue
            if j != i:
                for x in range(A):
                    t.prior[j, x] = t.prior[i, x]
                    t.legal[j, x] = t.legal[i, x]
                    t.visits[j, x] = t.visits[i, x]
                    t.wsum[j, x] = t.wsum[i, x]
                    t.child[j, x] = t.child[i, x]
                t.value[j] = t.value[i]
                t.terminal[j] = t.terminal[i]
                t.parent[j] = t.parent[i]
                t.paction[j] = t.paction[i]
            for x in range(A):
                c = t.child[j, x]
                if c >= 0:
                    t.child[j, x] = newid[c]
            t.parent[j] = newid[t.parent[j]] if j > 0 else -1
        t.nnodes = k
        if k > 0:
            t.paction[0] = -1
        nsum, _, _ = node_stats(t, 0)
        t.start = nsum
