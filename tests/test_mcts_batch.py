"""Search tests beyond single values: the same seed gives the same search and a game's result does not
depend on its batch, tree reuse carries the subtree (and equals a search that continued), playout caps
and forced playouts. The toy game and references are in mcts_toy.py; the conventions in test_mcts.py."""
from __future__ import annotations

import numpy as np
import pytest

from alphago.go import GoBatch
from alphago.goenv import GoEnv
from alphago.go.features import FeatureConfig
from alphago.mcts.evaluators import UniformEvaluator
from alphago.mcts.search import Search

from mcts_toy import (go_config, toy_config, bandit, random_game, ToyEnv, ToyEvaluator, run_toy, play_moves,
                      ref_puct_search)


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


