"""The toy game the search tests drive the search with (a tiny explicit game tree: ToyGame, ToyEnv,
ToyEvaluator) and small pure-Python references of the documented formulas, shared by test_mcts.py
(exact values) and test_mcts_batch.py (determinism, tree reuse, playout caps). The formulas and the
value convention are in test_mcts.py's docstring."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alphago.mcts.config import SearchConfig
from alphago.mcts.types import Observation
from alphago.mcts.search import Search

MAX_DEPTH = 24  # longest action path (from a game's original root) the toy features encode

# The tree record's dtype depends on (capacity, A, max(num_simulations, fast_simulations)),
# and numba compiles every tree kernel once per dtype (~5-7 s each on a cold cache). Toy
# searches therefore share one capacity and one fast_simulations (which only matters when
# full_search_prob < 1) and use A = 3 or A = 6; the Go searches share one shape too.
TOY_CAPACITY = 600
TOY_FAST = 256


def toy_config(kind: str = "puct", num_simulations: int = 64, **kw) -> SearchConfig:
    kw.setdefault("fast_simulations", TOY_FAST)
    kw.setdefault("capacity", TOY_CAPACITY)
    return SearchConfig(kind=kind, num_simulations=num_simulations, **kw)


def go_config(kind: str, num_simulations: int, **kw) -> SearchConfig:
    """A search of the real Go engine (5x5) with the toy searches' shape. gumbel_m = 26 >= legal moves:
    with a uniform prior and no Gumbel noise, the top-m by prior would otherwise be the first 16 legal
    moves by index, whatever they are."""
    return SearchConfig(kind=kind, num_simulations=num_simulations, gumbel_m=26,
                        capacity=TOY_CAPACITY, fast_simulations=TOY_FAST, **kw)


# ============================================================================ a toy game

@dataclass(frozen=True)
class Node:
    """One position of a toy game, for the player to move there."""
    legal: tuple[bool, ...]     # legal actions (all False at a terminal)
    logits: tuple[float, ...]   # evaluator policy logits (ignored at a terminal)
    value: float                # evaluator value, or the game result where terminal
    terminal: bool = False


class ToyGame:
    """An explicit game tree over A actions: node(path) for a path of actions from the root."""

    def __init__(self, num_actions: int, nodes):
        self.A = num_actions
        self._nodes = nodes  # dict path -> Node, or a function path -> Node

    def node(self, path: tuple[int, ...]) -> Node:
        if callable(self._nodes):
            return self._nodes(path)
        return self._nodes[path]


def bandit(q_for_mover, logits=None, legal=None, root_value: float = 0.0) -> ToyGame:
    """Root with A actions; action a ends the game with result q_for_mover[a] for the player
    who chose it (so the terminal value, for the opponent now to move, is -q_for_mover[a])."""
    A = len(q_for_mover)
    legal = tuple(bool(x) for x in (np.ones(A, bool) if legal is None else legal))
    logits = tuple(float(x) for x in (np.zeros(A) if logits is None else logits))
    nodes = {(): Node(legal, logits, root_value)}
    for a in range(A):
        nodes[(a,)] = Node((False,) * A, (0.0,) * A, -float(q_for_mover[a]), terminal=True)
    return ToyGame(A, nodes)


def depth2_game() -> ToyGame:
    """Root player R picks a in {0, 1, 2}; the opponent O replies b in {0, 1}; the game then
    ends. The table gives the result FOR R (who is to move again at depth 2, so it is the
    terminal value as the environment reports it):

        a = 0: (+1, +1)   R wins whatever O does
        a = 1: (+1, -1)   O refutes with b = 1
        a = 2: (-1, -1)   R loses

    Interior values are 0 and priors uniform, so only backed-up results drive the search.
    A value negated once too often or too rarely on its way up would rank a = 2 first.
    """
    A = 3
    table = {0: (1.0, 1.0), 1: (1.0, -1.0), 2: (-1.0, -1.0)}
    nodes = {(): Node((True, True, True), (0.0,) * A, 0.0)}
    for a, results in table.items():
        nodes[(a,)] = Node((True, True, False), (0.0,) * A, 0.0)
        for b, r in enumerate(results):
            nodes[(a, b)] = Node((False,) * A, (0.0,) * A, r, terminal=True)
    return ToyGame(A, nodes)


def random_game(seed: int, num_actions: int = 6, depth: int = 4) -> ToyGame:
    """A pseudo-random tree: every node drawn from its own generator seeded by (seed, path),
    some actions illegal, some early terminals, values on a 1/8 grid (exact in float32, so
    the search's float32 sums equal the reference's float64 ones)."""
    A = num_actions

    def node(path):
        rng = np.random.default_rng([seed, len(path), *path])
        value = float(rng.integers(-8, 9)) / 8
        if len(path) >= depth or (len(path) > 0 and rng.random() < 0.15):
            return Node((False,) * A, (0.0,) * A, value, terminal=True)
        legal = rng.random(A) < 0.7
        legal[rng.integers(A)] = True
        logits = rng.normal(size=A) * 1.5
        return Node(tuple(bool(x) for x in legal), tuple(float(x) for x in logits), value)

    return ToyGame(A, node)


class ToyEnv:
    """The search's environment protocol over B toy games (game b is games[b]).

    set_leaves checks every path it is given: each action must be legal where it is played
    and no path may continue past a terminal, so a search that ever selects an illegal
    action fails loudly."""

    def __init__(self, games: list[ToyGame]):
        self.games = games
        self.A = games[0].A
        self.roots: list[tuple[int, ...]] = [() for _ in games]
        self.leaves: list[tuple[int, ...]] = [() for _ in games]
        self.leaf_requests = 0

    @property
    def batch_size(self) -> int:
        return len(self.games)

    @property
    def num_actions(self) -> int:
        return self.A

    def play(self, actions) -> None:
        for b, a in enumerate(actions):
            if a >= 0:
                node = self.games[b].node(self.roots[b])
                assert node.legal[a] and not node.terminal, (b, self.roots[b], a)
                self.roots[b] = self.roots[b] + (int(a),)

    def running(self) -> np.ndarray:
        """bool[B]: games whose root is not over (the search refuses finished games)."""
        return np.array([not g.node(r).terminal for g, r in zip(self.games, self.roots)])

    def observe_roots(self) -> Observation:
        return self._observe(self.roots)

    def set_leaves(self, paths: np.ndarray, lengths: np.ndarray) -> None:
        assert paths.dtype == np.int32 and lengths.dtype == np.int32
        for b in range(self.batch_size):
            if lengths[b] < 0:
                continue
            path = self.roots[b]
            for a in paths[b, :lengths[b]]:
                node = self.games[b].node(path)
                assert not node.terminal, f"game {b}: path continues past terminal {path}"
                assert node.legal[int(a)], f"game {b}: illegal action {int(a)} selected at {path}"
                path = path + (int(a),)
            self.leaves[b] = path
            self.leaf_requests += 1

    def observe_leaves(self) -> Observation:
        return self._observe(self.leaves)

    def _observe(self, paths) -> Observation:
        B, A = self.batch_size, self.A
        feats = np.full((B, 1 + MAX_DEPTH), -1, np.float32)
        legal = np.zeros((B, A), bool)
        terminal = np.zeros(B, bool)
        value = np.zeros(B, np.float32)
        for b, path in enumerate(paths):
            node = self.games[b].node(path)
            feats[b, 0] = b
            feats[b, 1:1 + len(path)] = path
            legal[b] = node.legal
            terminal[b] = node.terminal
            value[b] = node.value if node.terminal else 0.0
        return Observation(feats, legal, terminal, value)


class ToyEvaluator:
    """Deterministic per row: (logits, value) of the toy node the row's features name, so a
    game's evaluations never depend on the other rows of the batch."""

    def __init__(self, games: list[ToyGame]):
        self.games = games
        self.rows = 0

    def __call__(self, features: np.ndarray, legal: np.ndarray):
        logits = np.zeros(legal.shape, np.float32)
        values = np.zeros(len(features), np.float32)
        for i, f in enumerate(features):
            path = tuple(int(x) for x in f[1:] if x >= 0)
            node = self.games[int(f[0])].node(path)
            assert not node.terminal, "the evaluator must never be asked about a terminal"
            assert (legal[i] == np.array(node.legal)).all()
            logits[i] = node.logits
            values[i] = node.value
        self.rows += len(features)
        return logits, values


def run_toy(games, config, seed=0, add_noise=False, temperature=0.0, search=None, env=None):
    env = env or ToyEnv(games)
    search = search or Search(config, len(games), games[0].A, seed=seed)
    result = search.run(env, ToyEvaluator(games), temperature=temperature, add_noise=add_noise)
    return result, search, env


def play_moves(games, config, seed, moves, add_noise=True, temperature=1.0):
    """Search, play the chosen actions and advance the trees, `moves` times; finished games
    are passed as inactive. Returns the SearchResults."""
    env = ToyEnv(games)
    search = Search(config, len(games), games[0].A, seed=seed)
    out = []
    for _ in range(moves):
        r = search.run(env, ToyEvaluator(games), active=env.running(), temperature=temperature,
                       add_noise=add_noise)
        out.append(r)
        env.play(r.action)
        search.advance(r.action)
    return out


# ============================================================================ references

def ref_prior(node: Node) -> np.ndarray:
    """Softmax of the logits over legal actions, rounded to float32 as the search stores it."""
    legal = np.array(node.legal)
    x = np.where(legal, np.array(node.logits, np.float64), -np.inf)
    e = np.exp(x - x.max())
    return (e / e.sum()).astype(np.float32).astype(np.float64)


class RefNode:
    def __init__(self, node: Node):
        self.spec = node
        self.legal = np.array(node.legal)
        self.prior = ref_prior(node) if not node.terminal else np.zeros(len(node.legal))
        self.value = float(node.value)
        self.N = np.zeros(len(node.legal), np.int64)
        self.W = np.zeros(len(node.legal), np.float64)
        self.children: dict[int, RefNode] = {}


def ref_puct_pick(node: RefNode, cfg: SearchConfig, fpu_reduction: float) -> int:
    n_total = node.N.sum()
    q_node = (node.value + node.W.sum()) / (1 + n_total)
    fpu = q_node - fpu_reduction * math.sqrt(node.prior[node.N > 0].sum())
    c = cfg.c_init + math.log((1 + n_total + cfg.c_base) / cfg.c_base)
    sq = math.sqrt(n_total) if n_total > 0 else 1.0
    best, best_a = -math.inf, -1
    for a in np.flatnonzero(node.legal):  # ascending: ties go to the lower action
        q = node.W[a] / node.N[a] if node.N[a] > 0 else fpu
        score = q + c * node.prior[a] * sq / (1 + node.N[a])
        if score > best:
            best, best_a = score, int(a)
    return best_a


def ref_puct_search(game: ToyGame, cfg: SearchConfig, sims: int, root_path=()) -> RefNode:
    """A plain recursive-free MCTS over the toy tree with the documented PUCT rule (no noise)."""
    root = RefNode(game.node(root_path))
    for _ in range(sims):
        node, path, trail = root, root_path, []
        while True:
            if node.spec.terminal:
                v = node.value
                break
            a = ref_puct_pick(node, cfg, cfg.root_fpu_reduction if node is root else cfg.fpu_reduction)
            trail.append((node, a))
            path = path + (a,)
            if a not in node.children:
                node.children[a] = RefNode(game.node(path))
                v = node.children[a].value
                break
            node = node.children[a]
        for parent, a in reversed(trail):
            v = -v                      # one ply up: the other player's point of view
            parent.N[a] += 1
            parent.W[a] += v
    return root


def ref_considered_visits(max_num_considered_actions: int, num_simulations: int) -> tuple[int, ...]:
    """mctx.seq_halving.get_sequence_of_considered_visits, verbatim in plain Python."""
    if max_num_considered_actions <= 1:
        return tuple(range(num_simulations))
    log2max = int(math.ceil(math.log2(max_num_considered_actions)))
    sequence = []
    visits = [0] * max_num_considered_actions
    num_considered = max_num_considered_actions
    while len(sequence) < num_simulations:
        num_extra_visits = max(1, int(num_simulations / (log2max * num_considered)))
        for _ in range(num_extra_visits):
            sequence.extend(visits[:num_considered])
            for i in range(num_considered):
                visits[i] += 1
        num_considered = max(2, num_considered // 2)
    return tuple(sequence[:num_simulations])


def ref_sigma(visits, q, prior, legal, raw_value, c_visit, c_scale) -> np.ndarray:
    """mctx qtransform_completed_by_mix_value (rescaled over the legal actions)."""
    visits = np.asarray(visits, np.float64)
    q = np.asarray(q, np.float64)
    prior = np.asarray(prior, np.float64)
    seen = visits > 0
    n_total = visits.sum()
    if seen.any():
        weighted_q = (prior * q)[seen].sum() / prior[seen].sum()
        v_mix = (raw_value + n_total * weighted_q) / (1 + n_total)
    else:
        v_mix = raw_value
    completed = np.where(seen, q, v_mix)
    lo, hi = completed[legal].min(), completed[legal].max()
    rescaled = (completed - lo) / max(hi - lo, 1e-8)
    return np.where(legal, (c_visit + visits.max()) * c_scale * rescaled, 0.0)


def ref_improved_policy(visits, q, prior, legal, raw_value, c_visit, c_scale) -> np.ndarray:
    logits = np.log(np.maximum(np.asarray(prior, np.float64), 1e-30))
    x = np.where(legal, logits + ref_sigma(visits, q, prior, legal, raw_value, c_visit, c_scale), -np.inf)
    e = np.exp(x - x.max())
    return e / e.sum()


def ref_gumbel_bandit(game: ToyGame, cfg: SearchConfig, sims: int):
    """Gumbel root search (no noise) over a bandit whose arms all end the game: sequential
    halving picks, among legal arms whose visit count equals the scheduled one, the largest
    log p + sigma(completed q); the final action is that argmax among the most visited."""
    root = game.node(())
    legal = np.array(root.legal)
    prior = ref_prior(root)
    q_arm = np.array([-game.node((a,)).value if legal[a] else 0.0 for a in range(game.A)])
    m = min(cfg.gumbel_m, int(legal.sum()))
    seq = ref_considered_visits(m, sims)
    N = np.zeros(game.A, np.int64)
    logp = np.log(np.maximum(prior, 1e-30))

    def score():
        q = np.where(N > 0, q_arm, 0.0)
        return logp + ref_sigma(N, q, prior, legal, root.value, cfg.c_visit, cfg.c_scale)

    for i in range(sims):
        s = score()
        a = int(np.argmax(np.where(legal & (N == seq[i]), s, -np.inf)))
        N[a] += 1
    s = score()
    action = int(np.argmax(np.where(legal & (N == N.max()), s, -np.inf)))
    return N, action


