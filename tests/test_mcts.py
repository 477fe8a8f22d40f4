"""Search tests with exact values (DESIGN.md section 5: visits sum to the simulation count,
illegal moves get none, bandit evaluators with known answers, as in mctx's tests).

The search is game-agnostic, so the tests drive it with a tiny explicit game tree
(tests/mcts_toy.py: ToyGame / ToyEnv / ToyEvaluator) and compare its visit counts with a
small pure-Python reference of the documented formulas (there too):

  PUCT   argmax_a Q(s, a) + c(N) P(s, a) sqrt(N) / (1 + N(s, a)),
         c(N) = c_init + log((1 + N + c_base) / c_base), sqrt(N) := 1 while N = 0,
         unvisited Q = Q(s) - r sqrt(prior mass of visited edges), Q(s) = (v + sum W) / (1 + N)
  Gumbel sequential halving over the top-m actions (mctx's get_sequence_of_considered_visits),
         sigma(q) = (c_visit + max N) c_scale q over min-max rescaled completed Q (mctx's
         qtransform_completed_by_mix_value), improved policy = softmax(log p + sigma).

Value convention (alphago/mcts/search.py): every value is for the player to move in its
position; a terminal position's value is the result for the player to move there, and a
value is negated once per ply on its way up. test_mcts_batch.py has determinism, tree reuse and
playout caps; test_mcts_go.py the real Go engine with random-rollout values on tactical positions.
"""
from __future__ import annotations

import numpy as np
import pytest

from alphago.mcts import tree as T

from mcts_toy import (toy_config, bandit, depth2_game, random_game, run_toy, ref_prior, ref_puct_search,
                      ref_considered_visits, ref_sigma, ref_improved_policy, ref_gumbel_bandit)


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


