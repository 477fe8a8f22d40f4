"""Search tests with exact values (DESIGN.md section 5: visits sum to the simulation count,
illegal moves get none, bandit evaluators with known answers, as in mctx's tests).

The search is game-agnostic, so most tests drive it with a tiny explicit game tree
defined here (ToyGame / ToyEnv / ToyEvaluator) and compare its visit counts with a
small pure-Python reference of the documented formulas:

  PUCT   argmax_a Q(s, a) + c(N) P(s, a) sqrt(N) / (1 + N(s, a)),
         c(N) = c_init + log((1 + N + c_base) / c_base), sqrt(N) := 1 while N = 0,
         unvisited Q = Q(s) - r sqrt(prior mass of visited edges), Q(s) = (v + sum W) / (1 + N)
  Gumbel sequential halving over the top-m actions (mctx's get_sequence_of_considered_visits),
         sigma(q) = (c_visit + max N) c_scale q over min-max rescaled completed Q (mctx's
         qtransform_completed_by_mix_value), improved policy = softmax(log p + sigma).

Value convention (alphago/mcts/search.py): every value is for the player to move in its
position; a terminal position's value is the result for the player to move there, and a
value is negated once per ply on its way up. The last tests run the real Go engine with
random-rollout values on small tactical positions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from alphago.go import BLACK, WHITE, GoBatch, Rules, from_diagram, from_gtp
from alphago.go import seed as go_seed
from alphago.goenv import GoEnv
from alphago.go.features import FeatureConfig
from alphago.mcts import tree as T
from alphago.mcts.config import SearchConfig
from alphago.mcts.types import Observation
from alphago.mcts.evaluators import RolloutEvaluator, UniformEvaluator
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


# ============================================================================ PUCT: exact values

PUCT = toy_config(kind="puct", num_simulations=4, reuse_tree=False)


def test_puct_bandit_by_hand():
    """Three arms, uniform prior, root value 0; arm results for the mover (+1/2, -1/2, 0).
    c = c(N) ~ 1.25 and P = 1/3 throughout:
      sim 1: all Q = FPU = 0, equal priors -> arm 0 (lowest index)        N = (1, 0, 0)
      sim 2: Q(s) = 1/4; arm 0: 1/2 + c/6 = .708 > others 1/4 + c/3 = .667 N = (2, 0, 0)
      sim 3: Q(s) = 1/3, sqrt N = 1.41; arm 0: 1/2 + .196 < arms 1, 2: 1/3 + .589,
             a tie, so arm 1                                                N = (2, 1, 0)
      sim 4: Q(s) = 1/8, sqrt N = 1.73; arm 2: 1/8 + .722 beats .741, -.139  N = (2, 1, 1)
    """
    game = bandit([0.5, -0.5, 0.0])
    r, _, _ = run_toy([game], PUCT)
    np.testing.assert_array_equal(r.visits[0], [2, 1, 1])
    np.testing.assert_array_equal(r.q[0], np.float32([0.5, -0.5, 0.0]))
    np.testing.assert_allclose(r.prior[0], np.full(3, 1 / 3), rtol=1e-6)
    np.testing.assert_allclose(r.improved_policy[0], [0.5, 0.25, 0.25], rtol=1e-6)
    assert r.action[0] == 0
    assert r.root_value[0] == 0.0
    assert r.search_value[0] == pytest.approx((0 + 2 * 0.5 - 0.5 + 0) / 5)
    assert r.simulations[0] == 4 and r.reused_visits[0] == 0 and r.full_search[0]
    assert r.evaluations[0] == 1  # the root only: every arm ends the game
    assert r.pruned_visits is None


BANDIT_ILLEGAL = bandit([0.25, -0.5, 0.75, 1.0, 0.5, -0.25],
                        logits=[1.0, 2.0, 0.5, 3.0, -1.0, 0.0],
                        legal=[True, True, True, False, True, True])  # arm 3 (the best) is illegal


@pytest.mark.parametrize("sims", [1, 2, 7, 30, 100])
@pytest.mark.parametrize("game_name", ["bandit", "depth2", "random0", "random1", "random2"])
@pytest.mark.parametrize("root_fpu", [0.0, 0.5])
def test_puct_matches_reference(game_name, sims, root_fpu):
    game = {"bandit": BANDIT_ILLEGAL, "depth2": depth2_game(), "random0": random_game(0),
            "random1": random_game(1), "random2": random_game(2)}[game_name]
    cfg = toy_config(kind="puct", num_simulations=sims, reuse_tree=False, root_fpu_reduction=root_fpu)
    r, search, env = run_toy([game], cfg)
    ref = ref_puct_search(game, cfg, sims)
    np.testing.assert_array_equal(r.visits[0], ref.N)
    expected_q = np.where(ref.N > 0, ref.W / np.maximum(ref.N, 1), 0.0)
    np.testing.assert_allclose(r.q[0], expected_q, rtol=0, atol=1e-6)
    assert r.visits[0].sum() == sims == r.simulations[0]
    assert (r.visits[0][~ref.legal] == 0).all()
    expected_action = int(np.argmax(np.where(ref.legal, ref.N + 1e-3 * ref.prior, -1)))
    assert r.action[0] == expected_action and ref.legal[r.action[0]]
    np.testing.assert_allclose(r.improved_policy[0], ref.N / sims, rtol=1e-6)
    assert r.search_value[0] == pytest.approx((ref.value + ref.W.sum()) / (1 + sims), abs=1e-6)
    assert env.leaf_requests <= sims


def test_puct_reference_checks_interior_nodes():
    """The whole tree, not just the root: every interior edge's N and W match the reference."""
    game = random_game(3)
    cfg = toy_config(kind="puct", num_simulations=60, reuse_tree=False, fpu_reduction=0.25)
    _, search, _ = run_toy([game], cfg)
    ref = ref_puct_search(game, cfg, 60)
    t = search.trees[0]
    checked = 0
    stack = [(0, ref)]
    while stack:
        node, rnode = stack.pop()
        np.testing.assert_array_equal(t["visits"][node], rnode.N)
        np.testing.assert_allclose(t["wsum"][node], rnode.W, atol=1e-6)
        assert t["terminal"][node] == rnode.spec.terminal
        assert t["value"][node] == np.float32(rnode.value)
        checked += 1
        for a, rchild in rnode.children.items():
            assert t["child"][node, a] >= 0
            stack.append((t["child"][node, a], rchild))
    assert checked == t["nnodes"] > 10


def test_puct_never_visits_illegal_actions_batch():
    """A batch of different random games: visits sum to the simulation count per game, no
    illegal action is ever visited or chosen (ToyEnv also asserts every selected path)."""
    games = [random_game(10 + b) for b in range(8)] + [BANDIT_ILLEGAL]
    cfg = toy_config(kind="puct", num_simulations=50, reuse_tree=False)
    for add_noise, temperature in [(False, 0.0), (True, 1.0)]:
        r, _, env = run_toy(games, cfg, add_noise=add_noise, temperature=temperature)
        obs = env.observe_roots()
        np.testing.assert_array_equal(r.visits.sum(1), 50)
        assert (r.visits[~obs.legal] == 0).all()
        assert obs.legal[np.arange(len(games)), r.action].all()


# ============================================================================ value sign

def test_value_sign_bandit_winning_move():
    """Arm 2 ends the game with the opponent to move having lost (terminal value -1), so for
    the player choosing at the root its Q is exactly +1; arm 0 hands the opponent a win."""
    game = bandit([-1.0, 0.0, 1.0])  # terminal values for the opponent: +1, 0, -1
    assert game.node((2,)).value == -1.0
    for kind in ("puct", "gumbel"):
        cfg = toy_config(kind=kind, num_simulations=32, reuse_tree=False)
        r, _, _ = run_toy([game], cfg)
        assert r.action[0] == 2, kind
        assert r.visits[0, 2] == r.visits[0].max()  # Gumbel's last round splits visits evenly
        assert r.q[0, 2] == 1.0 and r.q[0, 0] == -1.0
        assert r.search_value[0] > 0


def test_value_sign_depth2_negated_once_per_ply():
    """Depth-2 results (for the root player) reach the root with their own sign (negated
    twice) and the opponent's edges with the opposite sign (negated once)."""
    game = depth2_game()
    cfg = toy_config(kind="puct", num_simulations=100, reuse_tree=False)
    r, search, _ = run_toy([game], cfg)
    ref = ref_puct_search(game, cfg, 100)
    np.testing.assert_array_equal(r.visits[0], ref.N)
    assert r.action[0] == 0 and r.visits[0].argmax() == 0
    assert r.q[0, 0] > 0 > r.q[0, 1] > r.q[0, 2]
    # exact: the opponent node after a = 0 was evaluated once (value 0), then every further
    # visit backed up a +1 result for the root player
    assert r.q[0, 0] == pytest.approx((r.visits[0, 0] - 1) / r.visits[0, 0])
    assert r.q[0, 2] == pytest.approx(-(r.visits[0, 2] - 1) / r.visits[0, 2])
    t = search.trees[0]
    for a, results in [(0, (1, 1)), (1, (1, -1)), (2, (-1, -1))]:
        node = t["child"][0, a]
        assert node >= 0
        for b in (0, 1):
            n = t["visits"][node, b]
            if n:  # the opponent's Q of reply b is minus the result for the root player
                assert t["wsum"][node, b] / n == -results[b], (a, b)
        assert t["visits"][node, 2] == 0  # illegal reply
    # the opponent found the refutation of a = 1
    node1 = t["child"][0, 1]
    assert t["visits"][node1, 1] >= t["visits"][node1, 0]


def test_value_sign_gumbel_depth2():
    game = depth2_game()
    cfg = toy_config(kind="gumbel", num_simulations=24)
    r, search, _ = run_toy([game], cfg)
    assert r.action[0] == 0
    assert r.q[0, 0] > 0 and r.q[0, 2] < 0
    assert r.visits[0].sum() == 24


# ============================================================================ Gumbel

def test_considered_visits_matches_mctx():
    out = np.zeros(400, np.int32)
    for m in [1, 2, 3, 4, 5, 7, 8, 16, 26, 50]:
        for n in [1, 2, 3, 8, 16, 17, 50, 64, 200, 400]:
            out[:] = -7
            T.considered_visits(m, n, out)
            assert tuple(out[:n]) == ref_considered_visits(m, n), (m, n)
    # the schedule worked by hand: 4 arms get one visit each, then the best 2 get two more
    assert ref_considered_visits(4, 8) == (0, 0, 0, 0, 1, 1, 2, 2)
    assert ref_considered_visits(16, 32) == (0,) * 16 + (1,) * 8 + (2,) * 4 + (3,) * 4


GUMBEL_BANDIT = bandit([0.25, -0.5, 0.75, 0.5, 1.0, 0.0],
                       logits=[2.0, 1.5, 1.0, 0.5, -3.0, 0.0],
                       legal=[True, True, True, True, True, False])


def test_gumbel_sequential_halving_visit_pattern():
    """m = 4 of 5 legal arms, 8 simulations, no noise: the 4 highest-prior arms (0, 1, 2, 3;
    arm 4 has the best Q but the lowest prior, so it is never considered) get a visit each
    (schedule 0,0,0,0), then the two best by log p + sigma(q) get two more each (1,1,2,2).
    After round one, Q = (.25, -.5, .75, .5) rescales to (.6, 0, 1, .8) and sigma's scale is
    (50 + 1) * 0.1 = 5.1, so logit + sigma = (2 + 3.06, 1.5 + 0, 1 + 5.1, .5 + 4.08) =
    (5.06, 1.5, 6.1, 4.58): arms 2 and 0 survive (arm 3's better Q does not make up for
    its prior), and arm 2 is played."""
    cfg = toy_config(kind="gumbel", num_simulations=8, gumbel_m=4)
    r, _, _ = run_toy([GUMBEL_BANDIT], cfg)
    ref_visits, ref_action = ref_gumbel_bandit(GUMBEL_BANDIT, cfg, 8)
    np.testing.assert_array_equal(ref_visits, [3, 1, 3, 1, 0, 0])
    np.testing.assert_array_equal(r.visits[0], ref_visits)
    assert r.action[0] == ref_action == 2
    np.testing.assert_array_equal(r.q[0], np.float32([0.25, -0.5, 0.75, 0.5, 0.0, 0.0]))


@pytest.mark.parametrize("m,sims", [(2, 5), (3, 9), (4, 8), (4, 20), (5, 16), (16, 40), (16, 100)])
def test_gumbel_bandit_matches_reference(m, sims):
    game = bandit([0.25, -0.5, 0.75, -1.0, 1.0, 0.125],
                  logits=[2.0, 1.5, 1.0, 0.75, -0.5, 0.0],
                  legal=[True, True, True, True, True, False])
    cfg = toy_config(kind="gumbel", num_simulations=sims, gumbel_m=m)
    r, _, _ = run_toy([game], cfg)
    ref_visits, ref_action = ref_gumbel_bandit(game, cfg, sims)
    np.testing.assert_array_equal(r.visits[0], ref_visits)
    assert r.action[0] == ref_action
    assert r.visits[0].sum() == sims and r.visits[0, 5] == 0
    # exactly min(m, legal) arms were considered
    assert (r.visits[0] > 0).sum() == min(m, 5, sims)


@pytest.mark.parametrize("game_name", ["gumbel_bandit", "depth2", "random4", "random5"])
@pytest.mark.parametrize("sims", [3, 16, 50])
def test_gumbel_improved_policy_formula(game_name, sims):
    """improved_policy = softmax(log p + sigma(completed q)) recomputed from the result's own
    visits, q, prior and root_value with mctx's formulas; zero on illegal actions."""
    game = {"gumbel_bandit": GUMBEL_BANDIT, "depth2": depth2_game(), "random4": random_game(4),
            "random5": random_game(5)}[game_name]
    cfg = toy_config(kind="gumbel", num_simulations=sims)
    r, _, env = run_toy([game], cfg)
    legal = env.observe_roots().legal[0]
    expected = ref_improved_policy(r.visits[0], r.q[0], r.prior[0], legal, float(r.root_value[0]),
                                   cfg.c_visit, cfg.c_scale)
    np.testing.assert_allclose(r.improved_policy[0], expected, rtol=1e-5, atol=1e-6)
    assert (r.improved_policy[0][~legal] == 0).all()
    assert r.improved_policy[0].sum() == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(r.prior[0], ref_prior(game.node(())), rtol=1e-6)
    assert r.visits[0].sum() == sims and (r.visits[0][~legal] == 0).all()
    # the action played: the best log p + sigma among the most visited
    sigma = ref_sigma(r.visits[0], r.q[0], r.prior[0], legal, float(r.root_value[0]), cfg.c_visit, cfg.c_scale)
    score = np.where(legal & (r.visits[0] == r.visits[0].max()), np.log(np.maximum(r.prior[0], 1e-30)) + sigma, -np.inf)
    assert r.action[0] == int(np.argmax(score))


# A misleading-but-not-hopeless prior: the best arm (2, a sure win) has the second-highest
# prior, the favourite (arm 0) only draws.
MISLEADING = bandit([0.0, -0.5, 1.0, -1.0, -1.0, -1.0],
                    logits=np.log([0.5, 0.1, 0.25, 0.05, 0.05, 0.05]))


@pytest.mark.parametrize("sims", list(range(2, 17)))
def test_gumbel_few_simulations_find_best_arm(sims):
    """Why Gumbel finds arm 2 with as few as 2 simulations: without noise it considers the
    top-m arms by prior (m = min(16, 6) = 6), visiting them in prior order, so the first two
    simulations already try arm 0 and arm 2. The final choice among the most-visited is
    argmax log p + sigma(q), and sigma's scale (c_visit + max N) * c_scale >= 5.1 times the
    rescaled Q gap (1 between a win and a draw here, at least 1/2 once losing arms are
    seen) exceeds the log-prior gap log(.5 / .25) = .69. A hopeless prior would be one
    outside the top two (never visited with 2 simulations) or with a log-prior gap above
    ~5 (e.g. p = 1e-3 against .5)."""
    cfg = toy_config(kind="gumbel", num_simulations=sims)
    r, _, _ = run_toy([MISLEADING], cfg)
    assert r.action[0] == 2
    ref_visits, ref_action = ref_gumbel_bandit(MISLEADING, cfg, sims)
    np.testing.assert_array_equal(r.visits[0], ref_visits)
    assert ref_action == 2


def test_gumbel_one_simulation_follows_prior():
    """With one simulation only the favourite is seen, so it is played (the limit of the
    previous test's 'not hopeless')."""
    r, _, _ = run_toy([MISLEADING], toy_config(kind="gumbel", num_simulations=1))
    np.testing.assert_array_equal(r.visits[0], [1, 0, 0, 0, 0, 0])
    assert r.action[0] == 0


# ============================================================================ determinism

def _same(r1, r2, rows1=slice(None), rows2=slice(None)):
    for field in ("action", "visits", "prior", "improved_policy", "q", "root_value", "search_value",
                  "full_search", "simulations", "evaluations", "reused_visits"):
        np.testing.assert_array_equal(getattr(r1, field)[rows1], getattr(r2, field)[rows2], err_msg=field)
    if r1.pruned_visits is not None or r2.pruned_visits is not None:
        np.testing.assert_array_equal(r1.pruned_visits[rows1], r2.pruned_visits[rows2])


NOISY_CONFIGS = {
    "puct": toy_config(kind="puct", num_simulations=32),
    "puct_cap": toy_config(kind="puct", num_simulations=32, full_search_prob=0.5, fast_simulations=8),
    "puct_forced": toy_config(kind="puct", num_simulations=32, forced_playouts=True),
    "gumbel": toy_config(kind="gumbel", num_simulations=32, gumbel_m=4),
    "gumbel_cap": toy_config(kind="gumbel", num_simulations=32, full_search_prob=0.5, fast_simulations=8),
}


@pytest.mark.parametrize("name", sorted(NOISY_CONFIGS))
def test_same_seed_same_search(name):
    cfg = NOISY_CONFIGS[name]
    games = [random_game(20 + b) for b in range(6)]
    for r1, r2 in zip(play_moves(games, cfg, 7, 3), play_moves(games, cfg, 7, 3)):
        _same(r1, r2)
    # and the noise is real: other seeds give other searches
    base = play_moves(games, cfg, 7, 1)[0]
    assert any(not np.array_equal(play_moves(games, cfg, s, 1)[0].visits, base.visits) for s in (8, 9, 10))


@pytest.mark.parametrize("name", sorted(NOISY_CONFIGS))
def test_game_result_independent_of_batch(name):
    """Game 0 searched alone (B = 1) and among 63 other games (B = 64): same seed, so the same
    noise stream (seeded by (seed, 0)), and a per-row evaluator, hence the same search,
    over three moves with tree reuse."""
    cfg = NOISY_CONFIGS[name]
    games = [random_game(100 + b) for b in range(64)]
    alone = play_moves(games[:1], cfg, 3, 3)
    together = play_moves(games, cfg, 3, 3)
    if name.endswith("cap"):
        assert 0 < together[0].full_search.sum() < 64
    for r1, r64 in zip(alone, together):
        _same(r1, r64, 0, 0)


def test_go_game_result_independent_of_batch():
    """The same with the real Go environment (5x5, uniform evaluator, Dirichlet noise,
    temperature sampling, tree reuse)."""

    def first_moves(B):
        roots = GoBatch(5, B, history=1)
        env = GoEnv(roots, FeatureConfig(history=1))
        search = Search(go_config("puct", 24), B, roots.num_actions, seed=11)
        out = []
        for _ in range(3):
            r = search.run(env, UniformEvaluator(), active=~roots.over, temperature=1.0, add_noise=True)
            out.append(r)
            roots.step(r.action)
            search.advance(r.action)
        return out

    for r1, r64 in zip(first_moves(1), first_moves(64)):
        _same(r1, r64, 0, 0)


def test_inactive_games_are_left_alone():
    games = [random_game(70 + b) for b in range(4)]
    active = np.array([True, False, True, False])
    env = ToyEnv(games)
    evaluator = ToyEvaluator(games)
    search = Search(toy_config("puct", 20), 4, 6, seed=0)
    r = search.run(env, evaluator, active=active)
    np.testing.assert_array_equal(r.action[~active], -1)
    assert (r.visits[~active] == 0).all() and (r.prior[~active] == 0).all()
    np.testing.assert_array_equal(r.simulations, np.where(active, 20, 0))
    np.testing.assert_array_equal(r.evaluations[~active], 0)
    np.testing.assert_array_equal(r.full_search, active)
    np.testing.assert_array_equal(r.visits[active].sum(1), 20)
    assert evaluator.rows == r.evaluations.sum()
    assert env.leaves[1] == env.leaves[3] == ()  # never asked for a leaf


def test_finished_game_is_refused():
    env = ToyEnv([bandit([0.5, -0.5, 0.0])])
    env.play([1])
    search = Search(toy_config("puct", 4), 1, 3, seed=0)
    with pytest.raises(ValueError, match="finished"):
        search.run(env, ToyEvaluator(env.games))


# ============================================================================ tree reuse

def test_tree_reuse_carries_the_subtree():
    """After advance(a), the new root is the old child: its edges keep their visits, so the
    next search reports reused_visits = N_prev(a) - 1 (the first of those visits expanded
    and evaluated the child itself: it is the node's value, not an edge visit) and its root
    visits sum to num_simulations + reused_visits. The reused root is not evaluated again."""
    game = random_game(30, depth=8)
    cfg = toy_config("puct", 40, reuse_tree=True)
    env = ToyEnv([game])
    search = Search(cfg, 1, game.A, seed=0)
    evaluator = ToyEvaluator([game])
    reused = []
    expected_reused = 0
    for move in range(5):
        rows_before = evaluator.rows
        r = search.run(env, evaluator, add_noise=False)
        assert r.visits[0].sum() == cfg.num_simulations + r.reused_visits[0]
        assert r.reused_visits[0] == expected_reused
        assert evaluator.rows - rows_before == r.evaluations[0]
        if move > 0:
            assert (r.visits[0] >= child_visits).all()  # the old child's edges are all there
            assert r.evaluations[0] <= cfg.num_simulations  # no new root evaluation
        reused.append(int(r.reused_visits[0]))
        a = int(r.action[0])
        t = search.trees[0]
        child = t["child"][0, a]
        if child < 0 or t["terminal"][child]:
            break
        expected_reused = int(r.visits[0, a]) - 1
        child_visits = t["visits"][child].copy()
        child_wsum = t["wsum"][child].copy()
        child_prior = t["prior"][child].copy()
        assert child_visits.sum() == expected_reused
        env.play([a])
        search.advance(np.array([a]))
        t = search.trees[0]
        np.testing.assert_array_equal(t["visits"][0], child_visits)
        np.testing.assert_array_equal(t["wsum"][0], child_wsum)
        np.testing.assert_array_equal(t["prior"][0], child_prior)
        assert t["parent"][0] == -1 and 1 <= t["nnodes"] <= expected_reused + 1
    assert len(reused) >= 3 and max(reused) > 0


def test_tree_reuse_equals_a_search_that_continued():
    """Reusing is continuing: without noise, and with the same FPU rule at the root and
    below it, the reused subtree is exactly what N_prev(a) - 1 simulations from the child
    would have built (inside a subtree selection never looks at the parent), so the next
    search's root statistics equal a fresh reference search from the child with
    reused_visits + num_simulations simulations."""
    game = random_game(31, depth=6)
    cfg = toy_config("puct", 30, reuse_tree=True, fpu_reduction=0.25, root_fpu_reduction=0.25)
    env = ToyEnv([game])
    search = Search(cfg, 1, game.A, seed=0)
    r1 = search.run(env, ToyEvaluator([game]), add_noise=False)
    a = int(r1.action[0])
    env.play([a])
    search.advance(r1.action)
    r2 = search.run(env, ToyEvaluator([game]), add_noise=False)
    assert r2.reused_visits[0] == r1.visits[0, a] - 1 > 0
    ref = ref_puct_search(game, cfg, int(r2.reused_visits[0]) + 30, root_path=(a,))
    np.testing.assert_array_equal(r2.visits[0], ref.N)
    np.testing.assert_allclose(r2.q[0], np.where(ref.N > 0, ref.W / np.maximum(ref.N, 1), 0), atol=1e-6)
    assert r2.root_value[0] == np.float32(ref.value)


@pytest.mark.parametrize("cfg", [toy_config("gumbel", 30, reuse_tree=True),
                                 toy_config("puct", 30, reuse_tree=False)],
                         ids=["gumbel", "puct_no_reuse"])
def test_no_reuse_starts_fresh(cfg):
    game = random_game(32, depth=8)
    env = ToyEnv([game])
    search = Search(cfg, 1, game.A, seed=0)
    evaluator = ToyEvaluator([game])
    for _ in range(3):
        r = search.run(env, evaluator, add_noise=True)
        assert r.reused_visits[0] == 0
        assert r.visits[0].sum() == 30
        assert r.evaluations[0] >= 1  # the root is evaluated afresh
        env.play(r.action)
        search.advance(r.action)
        assert search.trees["nnodes"][0] == 0
        if not env.running()[0]:
            break


def test_advance_to_terminal_child_or_new_game_clears_tree():
    game = bandit([0.5, -0.5, 0.0])
    search = Search(toy_config("puct", 8), 2, 3, seed=0)
    run_toy([game, game], search.config, search=search)
    assert (search.trees["nnodes"] > 1).all()
    search.advance(np.array([0, -1]))  # game 0: its child is terminal; game 1: -1 = new game
    np.testing.assert_array_equal(search.trees["nnodes"], [0, 0])


def test_reuse_batch_mixed_with_new_games():
    """advance(-1) restarts one game's tree while the others keep theirs."""
    games = [random_game(40 + b, depth=8) for b in range(3)]
    cfg = toy_config("puct", 20)
    env = ToyEnv(games)
    search = Search(cfg, 3, 6, seed=1)
    r1 = search.run(env, ToyEvaluator(games), add_noise=True)
    actions = np.array([r1.action[0], r1.action[1], -1], np.int32)
    env.play(actions)
    search.advance(actions)
    assert env.running().all()
    r2 = search.run(env, ToyEvaluator(games), add_noise=True)
    for b in (0, 1):
        assert r2.reused_visits[b] == r1.visits[b, actions[b]] - 1
    assert r2.reused_visits[2] == 0 and r2.evaluations[2] >= 1
    np.testing.assert_array_equal(r2.visits.sum(1), 20 + r2.reused_visits)


# ============================================================================ playout caps, forced playouts

def test_playout_cap_randomization():
    games = [random_game(50 + b) for b in range(64)]
    cfg = toy_config("puct", 32, fast_simulations=8, full_search_prob=0.25, reuse_tree=False)
    r, _, _ = run_toy(games, cfg, add_noise=True)
    full = r.full_search
    # the flag is each game's own first draw from its generator seeded by (seed, b)
    expect = np.array([np.random.default_rng([0, b]).random() < 0.25 for b in range(64)])
    np.testing.assert_array_equal(full, expect)
    assert 0 < full.sum() < 64
    np.testing.assert_array_equal(r.simulations, np.where(full, 32, 8))
    np.testing.assert_array_equal(r.visits.sum(1), r.simulations)
    # fast searches get no root noise: identical to a noise-free search of 8 simulations
    r_quiet8, _, _ = run_toy(games, toy_config("puct", 8, reuse_tree=False), add_noise=False)
    np.testing.assert_array_equal(r.visits[~full], r_quiet8.visits[~full])
    # ... while full searches do get it (some differ from a noise-free 32-simulation search)
    r_quiet32, _, _ = run_toy(games, toy_config("puct", 32, reuse_tree=False), add_noise=False)
    assert (r.visits[full] != r_quiet32.visits[full]).any()
    # evaluation play: no cap randomization, every search full and noise-free
    r_eval, _, _ = run_toy(games, cfg, add_noise=False)
    assert r_eval.full_search.all() and (r_eval.simulations == 32).all()
    np.testing.assert_array_equal(r_eval.visits, r_quiet32.visits)


def test_playout_cap_gumbel():
    games = [random_game(60 + b) for b in range(32)]
    cfg = toy_config("gumbel", 32, fast_simulations=8, full_search_prob=0.5)
    r, _, _ = run_toy(games, cfg, add_noise=True)
    assert 0 < r.full_search.sum() < 32
    np.testing.assert_array_equal(r.simulations, np.where(r.full_search, 32, 8))
    np.testing.assert_array_equal(r.visits.sum(1), r.simulations)


FORCED_BANDIT = bandit([0.75, -0.5, -0.25, -1.0, 0.0, -0.75], logits=[0.5, 1.0, 0.0, 0.8, -0.5, 0.2])


def test_forced_playouts_and_pruning():
    """KataGo forced playouts: with noise, a root arm with prior p is forced while its visits
    are below sqrt(k p N); the pruned target takes such visits back from arms whose PUCT
    score stays below the best arm's. Pruned visits never exceed visits, the best arm keeps
    all of its, and arms left with a single visit are dropped."""
    games = [FORCED_BANDIT] * 16
    cfg = toy_config("puct", 200, forced_playouts=True, reuse_tree=False)
    r, _, _ = run_toy(games, cfg, add_noise=True)
    assert r.pruned_visits is not None
    pv = r.pruned_visits
    assert (pv <= r.visits).all() and (pv >= 0).all()
    assert ((pv == 0) | (pv > 1)).all()
    rows = np.arange(16)
    best = r.visits.argmax(1)
    assert (best == 0).all() and (r.action == 0).all()
    np.testing.assert_array_equal(pv[rows, best], r.visits[rows, best])
    assert (pv[:, 1:].sum(1) < r.visits[:, 1:].sum(1)).all()  # something was pruned in every game
    # forcing works: every arm is visited, the bad high-prior arm 3 more than without forcing
    r_plain, _, _ = run_toy(games, toy_config("puct", 200, reuse_tree=False), add_noise=True)
    assert (r.visits > 0).all()
    assert r.visits[:, 3].sum() > r_plain.visits[:, 3].sum()
    # evaluation play (no noise): nothing forced, nothing pruned
    r_eval, _, _ = run_toy(games, cfg, add_noise=False)
    r_eval_plain, _, _ = run_toy(games, toy_config("puct", 200, reuse_tree=False), add_noise=False)
    np.testing.assert_array_equal(r_eval.visits, r_eval_plain.visits)
    if r_eval.pruned_visits is not None:
        np.testing.assert_array_equal(r_eval.pruned_visits, r_eval.visits)


def test_forced_playouts_stay_out_of_fast_searches():
    """With playout cap randomization, a fast search has no root noise and so no forced
    playouts, whatever the other games of the batch draw: game 0 (seed 0 makes it a fast
    search, and game 2 a full one) must search the same alone and in a batch of 4."""
    cfg = toy_config("puct", 32, fast_simulations=8, full_search_prob=0.5, forced_playouts=True,
                     reuse_tree=False)
    alone, _, _ = run_toy([FORCED_BANDIT], cfg, seed=0, add_noise=True)
    batch, _, _ = run_toy([FORCED_BANDIT] * 4, cfg, seed=0, add_noise=True)
    assert not alone.full_search[0] and not batch.full_search[0] and batch.full_search.any()
    np.testing.assert_array_equal(batch.visits[0], alone.visits[0])


# ============================================================================ Go tactics
#
# The real engine, 5x5, with random-rollout values (RolloutEvaluator: uniform priors, value =
# mean result of 32 light playouts). Komi 0.5: on 5x5 light playouts mostly end with one side
# owning the board, and with komi <= 2.5 the capture below decides the game. Measured with
# 2000 playouts per move (win - loss rate for the mover): CAPTURE_DECIDES: D5 +.81, the next
# best move -.34; SAVE_IN_ATARI: C4 +.42, the next best -.06. Both searches chose the right
# move on 60 of 60 seeds each in this configuration; a few are checked here.

# White to play. Black's E5 E4 E3 D3 and White's D4 both have one liberty left, the same one:
# D5. White D5 takes four stones and wins; any other move and Black takes D4 instead.
CAPTURE_DECIDES = """
   A B C D E
 5 . X X . X 5
 4 . X X O X 4
 3 X X O X X 3
 2 O O . O O 2
 1 . . O O . 1
   A B C D E
"""

# Black to play. Black's D5 E5 D4 is in atari (its last liberty is C4); C4 joins it to
# B3 C3 with liberties to spare and puts White's C5 in atari. Anything else loses the group.
SAVE_IN_ATARI = """
   A B C D E
 5 O . O X X 5
 4 O O . X O 4
 3 O X X O O 3
 2 O . . . . 2
 1 . X X . X 1
   A B C D E
"""

GO_SIMULATIONS = 200


def go_config(kind: str, num_simulations: int, **kw) -> SearchConfig:
    # gumbel_m = 26 >= legal moves: with a uniform prior and no Gumbel noise, the top-m by
    # prior would otherwise be the first 16 legal moves by index, whatever they are
    return SearchConfig(kind=kind, num_simulations=num_simulations, gumbel_m=26,
                        capacity=TOY_CAPACITY, fast_simulations=TOY_FAST, **kw)


def tactics_batch() -> GoBatch:
    roots = GoBatch(5, 2, Rules(komi=0.5), history=1)
    roots.set_position(0, from_diagram(CAPTURE_DECIDES), WHITE)
    roots.set_position(1, from_diagram(SAVE_IN_ATARI), BLACK)
    return roots


def test_go_tactics_positions_are_as_described():
    roots = tactics_batch()
    d5, c4 = from_gtp("D5", 5), from_gtp("C4", 5)
    before = roots.boards().copy()
    roots.step(np.array([d5, c4], np.int32))
    after = roots.boards()
    captured = (before != 0) & (after == 0)
    assert captured[0].sum() == 4 and (before[0][captured[0]] == BLACK).all()  # D5 takes four
    assert captured[1].sum() == 0
    # and had the other side moved first at the same point, it would have captured
    other = tactics_batch()
    other.set_position(0, from_diagram(CAPTURE_DECIDES), BLACK)
    other.set_position(1, from_diagram(SAVE_IN_ATARI), WHITE)
    before = other.boards().copy()
    other.step(np.array([d5, c4], np.int32))
    captured = (before != 0) & (other.boards() == 0)
    assert captured[0].sum() == 1 and captured[1].sum() == 3


@pytest.mark.parametrize("kind", ["puct", "gumbel"])
@pytest.mark.parametrize("seed", [0, 1])
def test_go_search_finds_capture_and_save(kind, seed):
    roots = tactics_batch()
    env = GoEnv(roots, FeatureConfig(history=1))
    go_seed(seed)
    search = Search(go_config(kind, GO_SIMULATIONS), 2, roots.num_actions, seed=seed)
    r = search.run(env, RolloutEvaluator(env, rollouts=32), add_noise=False)
    d5, c4 = from_gtp("D5", 5), from_gtp("C4", 5)
    np.testing.assert_array_equal(r.action, [d5, c4])
    np.testing.assert_array_equal(r.visits.sum(1), GO_SIMULATIONS)
    legal = roots.legal_mask()
    assert (r.visits[~legal] == 0).all()
    for b, a in [(0, d5), (1, c4)]:
        assert r.visits[b, a] == r.visits[b].max()
        assert r.q[b, a] > 0.2  # a likely win for the player to move (White in game 0, Black in game 1)
        others = (r.visits[b] >= 10) & (np.arange(roots.num_actions) != a)
        assert (r.q[b, others] < r.q[b, a] - 0.1).all()  # and beats every well-explored alternative
    if kind == "puct":
        assert (r.visits[[0, 1], [d5, c4]] > GO_SIMULATIONS // 2).all()


def test_cached_evaluator_returns_what_the_net_says_and_skips_repeats():
    """The cache answers repeated rows itself (same values as the wrapped evaluator) and
    sends only unseen rows on, in one call; it evicts least recently used entries."""
    from alphago.mcts.evaluators import CachedEvaluator

    calls = []

    def inner(features, legal):
        calls.append(len(features))
        s = features.reshape(len(features), -1).sum(1)
        return np.tile(s[:, None], (1, legal.shape[1])).astype(np.float32), (s / 100).astype(np.float32)

    ev = CachedEvaluator(inner, max_entries=3)
    rng = np.random.default_rng(0)
    f = rng.integers(0, 2, size=(4, 2, 3, 3)).astype(np.float32)
    f[3] = f[0]
    legal = np.ones((4, 5), bool)
    lg, v = ev(f, legal)
    want_lg, want_v = inner(f, legal)
    np.testing.assert_array_equal(lg, want_lg)
    np.testing.assert_array_equal(v, want_v)
    assert calls[0] == 4  # a duplicate inside one batch is a miss too (looked up before the call)
    calls.clear()
    lg2, v2 = ev(f[:1], legal[:1])  # row 0 was seen: no call
    assert calls == [] and ev.hits >= 1
    np.testing.assert_array_equal(lg2[0], want_lg[0])
    assert len(ev.cache) <= 3
