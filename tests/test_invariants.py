"""Random-game stress tests for the Go engine (KataGo's checkRules idea; DESIGN.md section 5).

Random games (uniform over legal actions, and the "light" playout policy) are played on
5x5 .. 19x19 under every ko rule with suicide on and off, and after every move of every
game `check_invariants` re-derives chains, liberties, the Zobrist hash and the empty-point
list from the colours alone. On top of that:

* at sampled positions the legal mask is compared with `check()` for every action (and the
  refusal codes with the structure of the position: occupied points, pass, game over);
* a from-scratch pure-Python rules engine (`RefGo`, below; it shares no code with the
  engine) is played in lock-step with some games and must agree on the board, the player to
  move, the end of the game and the refusal code of every action at every position;
* finished games are scored by a from-scratch Python Tromp-Taylor count.

The default run covers a little over 2,000 games (mostly 5x5 and 7x7) in well under a
minute; `test_stress_many_games` (marked slow, run with --runslow) plays ten times more.
"""
from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pytest

from alphago.go import BLACK, WHITE, GoBatch, Rules, seed
from alphago.go.board import GAME_OVER, KO, LEGAL, OCCUPIED, OFF_BOARD, SUICIDE, SUPERKO
from alphago.go.invariants import check_invariants

KO_RULES = ("positional", "situational", "simple")
RULESETS = [Rules(ko=ko, suicide=s) for ko in KO_RULES for s in (False, True)]


def _rid(r: Rules) -> str:
    return f"{r.ko}-{'suicide' if r.suicide else 'nosuicide'}"


# ============================================================================ reference rules

def _neighbours(n: int) -> list[list[int]]:
    """Action index -> neighbouring action indices (row 0 = bottom, a = row * n + col)."""
    out = []
    for a in range(n * n):
        r, c = divmod(a, n)
        out.append([rr * n + cc for rr, cc in ((r - 1, c), (r, c - 1), (r, c + 1), (r + 1, c))
                    if 0 <= rr < n and 0 <= cc < n])
    return out


def tromp_taylor(board: np.ndarray, komi: float) -> float:
    """black - white - komi by Tromp-Taylor area counting, from scratch: stones, plus empty
    regions that reach only one colour (regions reaching both, or neither, count for no one)."""
    n = board.shape[0]
    flat = [int(v) for v in np.asarray(board).reshape(-1)]
    nbrs = _neighbours(n)
    points = {BLACK: 0, WHITE: 0}
    done = [False] * (n * n)
    for a, v in enumerate(flat):
        if v != 0:
            points[v] += 1
        elif not done[a]:
            region, reach, stack = 0, set(), [a]
            done[a] = True
            while stack:
                q = stack.pop()
                region += 1
                for m in nbrs[q]:
                    if flat[m] == 0:
                        if not done[m]:
                            done[m] = True
                            stack.append(m)
                    else:
                        reach.add(flat[m])
            if len(reach) == 1:
                points[reach.pop()] += region
    return points[BLACK] - points[WHITE] - komi


def eyelike(flat: list[int], n: int, a: int, c: int) -> bool:
    """The light policy's own-eye test (board.is_eyelike's documented rule, re-derived): every
    neighbour is c or off the board, and opposing diagonals + (1 if on the edge) < 2."""
    r, col = divmod(a, n)
    for rr, cc in ((r - 1, col), (r, col - 1), (r, col + 1), (r + 1, col)):
        if 0 <= rr < n and 0 <= cc < n and flat[rr * n + cc] != c:
            return False
    bad = edge = 0
    for rr, cc in ((r - 1, col - 1), (r - 1, col + 1), (r + 1, col - 1), (r + 1, col + 1)):
        if not (0 <= rr < n and 0 <= cc < n):
            edge = 1
        elif flat[rr * n + cc] == -c:
            bad += 1
    return bad + edge < 2


class RefGo:
    """Go rules from scratch in plain Python, as DESIGN.md section 2 states them.

    Captures of opposing chains left without liberties, then suicide (illegal, or the
    chain that played comes off when allowed); the simple-ko ban on retaking at once a
    single stone just captured by a single stone left with one liberty (in force under
    every ko rule, and reported first, as the engine does); positional superko (no board
    repeats) or situational superko (no board repeats with the same player to move), the
    history being the start position and the position after every move, passes included;
    end after two consecutive passes or the move cap. Refusal codes follow board.py.
    """

    def __init__(self, n: int, rules: Rules, stones: np.ndarray | None = None, to_play: int = BLACK):
        self.n, self.nn, self.rules = n, n * n, rules
        self.cap = rules.move_cap(n)
        self.nbrs = _neighbours(n)
        self.board = [0] * self.nn if stones is None else [int(v) for v in np.asarray(stones).reshape(-1)]
        self.to_play = to_play
        self.ko = None
        self.passes = self.moves = 0
        self.over = False
        self.seen = set()
        if rules.ko != "simple":
            self.seen.add(self._key(self.board, to_play))

    def _key(self, board, to_play):
        return tuple(board) if self.rules.ko == "positional" else (tuple(board), to_play)

    def _chain(self, board, a):
        c, chain, libs, stack = board[a], {a}, set(), [a]
        while stack:
            q = stack.pop()
            for m in self.nbrs[q]:
                if board[m] == 0:
                    libs.add(m)
                elif board[m] == c and m not in chain:
                    chain.add(m)
                    stack.append(m)
        return chain, libs

    def _try(self, a):
        """(code, board after, ko point after) for action a by the player to move."""
        if self.over:
            return GAME_OVER, None, None
        if a == self.nn:
            return LEGAL, list(self.board), None
        if not 0 <= a < self.nn:
            return OFF_BOARD, None, None
        if self.board[a] != 0:
            return OCCUPIED, None, None
        if a == self.ko:
            return KO, None, None
        c = self.to_play
        b = list(self.board)
        b[a] = c
        captured = []
        for m in self.nbrs[a]:
            if b[m] == -c:
                chain, libs = self._chain(b, m)
                if not libs:
                    for q in chain:
                        b[q] = 0
                    captured.extend(chain)
        own, libs = self._chain(b, a)
        ko = None
        if not libs:
            if not self.rules.suicide:
                return SUICIDE, None, None
            for q in own:
                b[q] = 0
        elif len(captured) == 1 and len(own) == 1 and len(libs) == 1:
            ko = captured[0]
        if self.rules.ko != "simple" and self._key(b, -c) in self.seen:
            return SUPERKO, None, None
        return LEGAL, b, ko

    def code(self, a: int) -> int:
        return self._try(a)[0]

    def play(self, a: int) -> None:
        code, board, ko = self._try(a)
        assert code == LEGAL, f"reference refuses action {a}: code {code}"
        self.board, self.ko = board, ko
        self.passes = self.passes + 1 if a == self.nn else 0
        self.moves += 1
        self.to_play = -self.to_play
        if self.rules.ko != "simple":
            self.seen.add(self._key(self.board, self.to_play))
        self.over = self.passes >= 2 or self.moves >= self.cap


def test_reference_scorer_on_a_known_position():
    """The Python Tromp-Taylor counter itself, on a hand-counted 5x5 position:

        5 . X . O .     black: 5 stones + {A5, A4, A3, A2, A1, B1} (6) = 11
        4 . X . O .     white: 4 stones                                 = 4
        3 . X . O .     dame:  C5..C2 (4) and E5..E1 + D1 (6: D1 touches C1) = 10
        2 . X . O .     11 - 4 - 7.5 = -0.5
        1 . . X . .
    """
    board = np.array([[0, 0, 1, 0, 0]] + [[0, 1, 0, -1, 0]] * 4, np.int8)  # row 0 = bottom
    assert tromp_taylor(board, 7.5) == -0.5
    assert tromp_taylor(np.zeros((5, 5), np.int8), 7.5) == -7.5


# ============================================================================ checks used by the runs

def assert_mask_agrees_with_check(gb: GoBatch, refs: list[RefGo] | None = None, stats: Counter | None = None):
    """legal_mask == (check() == LEGAL) for every action of every game, plus the refusal codes
    that follow from the position alone; with `refs`, every code equals the reference's."""
    B, A = gb.batch_size, gb.num_actions
    mask = gb.legal_mask()
    codes = np.stack([gb.check(np.full(B, a, np.int32)) for a in range(A)], axis=1)  # [B, A]
    np.testing.assert_array_equal(mask, codes == LEGAL)
    over = gb.over.copy()
    for off in (-2, A, A + 7):
        np.testing.assert_array_equal(gb.check(np.full(B, off, np.int32)), np.where(over, GAME_OVER, OFF_BOARD))
    assert (codes[over] == GAME_OVER).all() and not mask[over].any()
    assert mask[~over, A - 1].all(), "pass must be legal in a running game"
    occupied = gb.boards().reshape(B, -1) != 0
    assert (codes[:, :-1][occupied & ~over[:, None]] == OCCUPIED).all()
    assert not (codes[:, :-1][~occupied & ~over[:, None]] == OCCUPIED).any()
    if refs is not None:
        for b, ref in enumerate(refs):
            expected = [ref.code(a) for a in range(A)]
            assert codes[b].tolist() == expected, (
                f"game {b}: engine codes {codes[b].tolist()} != reference {expected}\n{gb.boards()[b][::-1]}")
    if stats is not None:
        stats.update(codes[~over].reshape(-1).tolist())
    return mask


def assert_light_choice(gb: GoBatch, actions: np.ndarray, mask: np.ndarray) -> None:
    """The light policy never fills an own eye-like point and passes only when every legal
    point is one."""
    n, boards = gb.n, gb.boards().reshape(gb.batch_size, -1)
    for b in np.flatnonzero(actions != -1):
        flat, c, a = boards[b].tolist(), int(gb.to_play[b]), int(actions[b])
        if a == gb.pass_action:
            legal_points = np.flatnonzero(mask[b, :-1])
            assert all(eyelike(flat, n, int(p), c) for p in legal_points), f"game {b}: light pass with a move left"
        else:
            assert not eyelike(flat, n, a, c), f"game {b}: light policy filled its own eye at {a}"


def run_games(size: int, rules: Rules, games: int, light: bool, rng_seed: int, batch: int = 64,
              reference: bool = False, mask_every: int = 0) -> Counter:
    """Play `games` random games, checking invariants after every move of every game; returns
    a Counter of what happened (moves, endings, refusal codes seen at mask checks)."""
    seed(rng_seed)
    stats: Counter = Counter()
    done = 0
    while done < games:
        B = min(batch, games - done)
        gb = GoBatch(size, B, rules)
        refs = [RefGo(size, rules) for _ in range(B)] if reference else None
        for b in range(B):
            check_invariants(gb, b)
        step = 0
        while not gb.over.all():
            mask = None
            if reference or (mask_every and step % mask_every == 0):
                mask = assert_mask_agrees_with_check(gb, refs, stats)
            actions = gb.random_actions(light)
            np.testing.assert_array_equal(actions == -1, gb.over)
            if mask is not None:
                running = actions != -1
                assert mask[np.flatnonzero(running), actions[running]].all(), "random action not in the legal mask"
                if light:
                    assert_light_choice(gb, actions, mask)
            moves_before = gb.move_count.copy()
            gb.step(actions)  # validates: raises if a random action is refused
            for b in np.flatnonzero(actions != -1):
                check_invariants(gb, b)
                assert gb.move_count[b] == moves_before[b] + 1
                if refs is not None:
                    refs[b].play(int(actions[b]))
                    assert gb.boards()[b].reshape(-1).tolist() == refs[b].board, f"game {b}: boards differ"
                    assert int(gb.to_play[b]) == refs[b].to_play
                    assert bool(gb.over[b]) == refs[b].over
            stats["moves"] += int((actions != -1).sum())
            step += 1
        # every game is finished: by two passes or at the move cap, and scored as it stands
        cap = rules.move_cap(size)
        passes, moves = gb.games["passes"], gb.move_count
        assert ((passes >= 2) | (moves == cap)).all() and (moves <= cap).all()
        stats["ended_by_passes"] += int((passes >= 2).sum())
        stats["ended_by_cap"] += int((passes < 2).sum())
        scores, boards = gb.scores(), gb.boards()
        for b in range(B):
            assert scores[b] == np.float32(tromp_taylor(boards[b], rules.komi)), f"game {b}: score mismatch"
        if refs is not None:
            assert_mask_agrees_with_check(gb, refs)  # all GAME_OVER
        done += B
        stats["games"] += B
    return stats


# ============================================================================ the default run

# 5x5 .. 9x9: (size, games per rule set), half uniform, half light, under all six rule sets
# (3 ko rules x suicide on/off). 13x13 and 19x19 games are slow to check (~0.6 s and ~2 s a
# game), so they get one game per listed rule set, light or uniform as listed.
PLAN = {5: 300, 7: 30, 9: 6}
_CASES = [(n, r, g, None) for n, g in PLAN.items() for r in RULESETS]
_CASES += [(13, Rules(ko="positional"), 1, True), (13, Rules(ko="situational", suicide=True), 1, False),
           (13, Rules(ko="simple"), 1, False), (13, Rules(ko="simple", suicide=True), 1, True),
           (19, Rules(ko="positional"), 1, True), (19, Rules(ko="situational", suicide=True), 1, False)]


@pytest.mark.parametrize("size,rules,games,light", _CASES,
                         ids=[f"{n}x{n}-{_rid(r)}" + ("" if li is None else "-light" if li else "-uniform")
                              for n, r, _, li in _CASES])
def test_random_games_keep_invariants(size, rules, games, light):
    uniform_games, light_games = (games + 1) // 2, games // 2
    if light is not None:
        uniform_games, light_games = (0, games) if light else (games, 0)
    s = 1000 * size + 10 * KO_RULES.index(rules.ko) + rules.suicide
    stats = Counter()
    if uniform_games:
        stats += run_games(size, rules, uniform_games, light=False, rng_seed=s, mask_every=7)
    if light_games:
        stats += run_games(size, rules, light_games, light=True, rng_seed=s + 5, mask_every=7)
    assert stats["games"] == games
    assert stats["moves"] >= games * size  # they really were played
    assert stats[LEGAL] > 0


def test_default_run_covers_two_thousand_games():
    """The stress plan above (plus the reference games below) is at least 2,000 games."""
    stress = sum(games for _, _, games, _ in _CASES)
    reference = sum(REFERENCE_PLAN.values()) * len(RULESETS) * 2
    assert stress + reference >= 2000, (stress, reference)


# (size, games per rule set and policy) played in lock-step with the Python reference,
# every action's refusal code compared at every position.
REFERENCE_PLAN = {5: 6, 7: 1}
_REF_CASES = [(n, r, light) for n in REFERENCE_PLAN for r in RULESETS for light in (False, True)]


@pytest.mark.parametrize("size,rules,light", _REF_CASES,
                         ids=[f"{n}x{n}-{_rid(r)}-{'light' if li else 'uniform'}" for n, r, li in _REF_CASES])
def test_engine_matches_python_reference(size, rules, light):
    s = 7000 + 100 * size + 10 * KO_RULES.index(rules.ko) + 2 * rules.suicide + light
    stats = run_games(size, rules, REFERENCE_PLAN[size], light=light, rng_seed=s, reference=True)
    assert stats["games"] == REFERENCE_PLAN[size]
    assert stats[OCCUPIED] > 0 and stats[LEGAL] > 0


def test_reference_games_exercise_every_refusal():
    """Across the rule sets, random 5x5 games against the reference do reach suicide, ko and
    superko refusals (so the comparison above is not vacuous for them)."""
    total = Counter()
    for i, rules in enumerate(RULESETS):
        total += run_games(5, rules, 4, light=False, rng_seed=424242 + i, reference=True)
    assert total[SUICIDE] > 0
    assert total[KO] > 0
    assert total[SUPERKO] > 0


@pytest.mark.parametrize("size", [5, 7, 9, 13, 19])
def test_legal_mask_agrees_with_check_at_sampled_positions(size):
    """Positions sampled from light playouts (they reach crowded boards with eyes, atari and
    ko shapes): the mask equals check() == LEGAL for every action."""
    B = 16 if size <= 9 else 4
    for i, rules in enumerate(RULESETS):
        seed(31 * size + i)
        gb = GoBatch(size, B, rules)
        stops = sorted(set(np.linspace(0, rules.move_cap(size) - 1, 6).astype(int).tolist()))
        step = 0
        while not gb.over.all():
            if step in stops:
                assert_mask_agrees_with_check(gb)
            gb.step(gb.random_actions(light=True))
            step += 1
        assert_mask_agrees_with_check(gb)


@pytest.mark.parametrize("size", [5, 7, 9, 13, 19])
@pytest.mark.parametrize("rules", [Rules(), Rules(ko="simple", suicide=True, komi=6.5),
                                   Rules(ko="situational", komi=0.0)], ids=_rid)
def test_finished_light_playout_score_matches_python_tromp_taylor(size, rules):
    seed(size)
    B = 64 if size <= 9 else 16
    gb = GoBatch(size, B, rules)
    moves = gb.play_out(light=True)
    assert gb.over.all() and moves == int(gb.move_count.sum())
    scores, boards = gb.scores(), gb.boards()
    for b in range(B):
        assert scores[b] == np.float32(tromp_taylor(boards[b], rules.komi))
    np.testing.assert_array_equal(gb.winners(), np.sign(scores).astype(np.int8))


# ============================================================================ the long run

@pytest.mark.slow
def test_stress_many_games():
    """Ten times the default run: about 20,000 games with invariants after every move, and
    ~1,200 more in lock-step with the Python reference (including 9x9)."""
    t0 = time.time()
    total = Counter()
    big = {5: 2900, 7: 400, 9: 60, 13: 8, 19: 3}
    for size, games in big.items():
        for i, rules in enumerate(RULESETS):
            for light in (False, True):
                total += run_games(size, rules, games // 2 if games > 3 else 1, light=light,
                                   rng_seed=99000 + 100 * size + 2 * i + light, mask_every=5)
    for size, games in {5: 80, 7: 15, 9: 3}.items():
        for i, rules in enumerate(RULESETS):
            for light in (False, True):
                total += run_games(size, rules, games, light=light, rng_seed=77000 + 100 * size + 2 * i + light,
                                   reference=True)
    assert total["games"] >= 20000
    print(f"slow stress: {total['games']} games, {total['moves']} moves in {time.time() - t0:.0f} s")


def test_legal_actions_is_the_legal_mask_as_indices():
    """GoBatch.legal_actions (one compiled call, the per-move Python path) lists exactly the legal
    mask's actions, in order, in every position of random games under each ko rule. (check_move's
    min_empty shortcut, no superko probe for a stone count never recorded, is checked where every
    refusal code is compared with the plain-Python reference: test_engine_matches_python_reference.)"""
    import random

    from alphago.go import GoBatch, Rules
    rng = random.Random(3)
    for ko in ("positional", "situational", "simple"):
        b = GoBatch(5, 4, Rules(ko=ko, komi=0.5))
        for _ in range(400):
            acts = np.full(4, -1, np.int32)
            mask = b.legal_mask()
            for g in range(4):
                la = b.legal_actions(g)
                assert np.array_equal(la, np.flatnonzero(mask[g])), (ko, g)
                if not b.over[g]:
                    acts[g] = la[rng.randrange(len(la))]
            b.step(acts, validate=False)
            if b.over.all():
                b.reset()
        assert b.legal_actions(0).dtype == np.int32
