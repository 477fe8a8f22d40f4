"""Training health from the games self-play produced: the ways AlphaZero-style runs die.

Pass collapse (games end by two passes on a half-empty board), resignation cascades
(resigning before the game has started, false resignations), a value head stuck at one
outcome, a komi that decides every game, a search that never changes the net's mind.
`game_health` turns a batch of GameRecords into numbers (all keys start with `health_`),
`health_warnings` turns those numbers into plain words. The orchestrator logs both.
"""
from __future__ import annotations

import numpy as np

from ..data.records import GameRecord

MIN_GAMES = 16  # fewer games than this: no warnings (rates are too noisy)


def _entropy_bits(p: np.ndarray) -> np.ndarray:
    """Entropy in bits of each row of p (rows sum to 1; zero rows give 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(p > 0, np.log2(np.where(p > 0, p, 1.0)), 0.0)
    return -(p * logs).sum(axis=-1)


def game_health(games: list[GameRecord]) -> dict:
    """Health numbers over `games` (all of one board size):

    health_games              games counted
    health_game_length        mean moves per game (passes included)
    health_pass_rate          passes / moves
    health_first_pass         median move number of the first pass (game length if none)
    health_resign_rate        share of games ended by resignation
    health_early_resign_rate  share of games resigned before move N (the board's side)
    health_false_resign_rate  no-resign games whose would-be resigner went on to win /
                              no-resign games that would have resigned (nan if none)
    health_black_win_rate, health_draw_rate
    health_value_mse          mean (root value - outcome)^2 over positions, values for the
                              player to move (1.0 = a constant-0 value head; 0 = perfect)
    health_value_std          spread of root values (near 0: the value head says one thing)
    health_value_black        mean predicted Black win rate at move 0 ((v + 1) / 2), to
                              compare with health_black_win_rate (calibration at the root)
    health_search_changes_move  share of full searches whose most visited move is not the
                              net's top prior move (near 0: the search adds nothing)
    health_target_entropy     mean entropy (bits) of the visit distribution of full searches
    """
    if not games:
        return {}
    n = games[0].size
    A = n * n + 1
    lengths = np.array([g.num_moves for g in games])
    actions = np.concatenate([g.actions for g in games]).astype(np.int64)
    first_pass = [int(np.flatnonzero(g.actions == A - 1)[0]) if (g.actions == A - 1).any() else g.num_moves
                  for g in games]
    winners = np.array([g.winner for g in games])
    resigned = np.array([g.resigned for g in games])
    would = [g for g in games if getattr(g, "would_resign", 0)]
    false = sum(int(g.winner == g.would_resign) for g in would)
    values = np.concatenate([g.root_value for g in games]).astype(np.float64)
    outcomes = np.concatenate([g.outcomes() for g in games]).astype(np.float64)
    v0 = np.array([g.root_value[0] for g in games if g.num_moves > 0], np.float64)
    full = np.concatenate([g.full_search for g in games]).astype(bool)
    visits = np.concatenate([g.visits for g in games])[full].astype(np.float64)
    prior = np.concatenate([g.prior for g in games])[full]
    tot = visits.sum(axis=1, keepdims=True)
    dist = np.divide(visits, tot, out=np.zeros_like(visits), where=tot > 0)
    searched = tot[:, 0] > 0
    changes = (np.argmax(visits, axis=1) != np.argmax(prior, axis=1))[searched]
    nan = float("nan")
    return {
        "health_games": len(games),
        "health_game_length": float(lengths.mean()),
        "health_pass_rate": float((actions == A - 1).mean()) if len(actions) else nan,
        "health_first_pass": float(np.median(first_pass)),
        "health_resign_rate": float(resigned.mean()),
        "health_early_resign_rate": float((resigned & (lengths < n)).mean()),
        "health_false_resign_rate": false / len(would) if would else nan,
        "health_black_win_rate": float((winners > 0).mean()),
        "health_draw_rate": float((winners == 0).mean()),
        "health_value_mse": float(((values - outcomes) ** 2).mean()) if len(values) else nan,
        "health_value_std": float(values.std()) if len(values) else nan,
        "health_value_black": float(((v0 + 1) / 2).mean()) if len(v0) else nan,
        "health_search_changes_move": float(changes.mean()) if changes.size else nan,
        "health_target_entropy": float(_entropy_bits(dist[searched]).mean()) if searched.any() else nan,
    }


def health_warnings(h: dict, size: int, weight_version: int) -> list[str]:
    """Plain-words warnings for a degenerating run (empty when healthy or too few games).
    weight_version: checks on what the net learned wait until it has trained a little."""
    if h.get("health_games", 0) < MIN_GAMES:
        return []
    out = []
    nn = size * size

    def get(key: str) -> float:
        v = h.get(key, float("nan"))
        return float("nan") if v is None else float(v)

    if get("health_early_resign_rate") > 0.5:
        out.append(f"{get('health_early_resign_rate'):.0%} of games were resigned before move {size}: "
                   f"a resignation cascade (raise selfplay.resign_threshold towards -1 or resign_disabled_frac)")
    if get("health_false_resign_rate") > 0.1:
        out.append(f"false resignations: {get('health_false_resign_rate'):.0%} of the no-resign games that "
                   f"would have resigned were won (lower selfplay.resign_threshold)")
    if get("health_pass_rate") > 0.25 or get("health_first_pass") < nn / 4:
        out.append(f"pass collapse: {get('health_pass_rate'):.0%} of moves are passes, the first pass comes at "
                   f"median move {get('health_first_pass'):.0f} (selfplay.pass_rule: settled plays boards out)")
    if get("health_game_length") < nn / 3:
        out.append(f"games are short: {get('health_game_length'):.1f} moves on a {size}x{size} board")
    bw = get("health_black_win_rate")
    if (bw > 0.98 or bw < 0.02) and get("health_draw_rate") < 0.5:
        out.append(f"{'Black' if bw > 0.5 else 'White'} wins {max(bw, 1 - bw):.0%} of games: the komi decides "
                   f"them and the value target carries no information (play near the board's fair komi)")
    if weight_version >= 5 and get("health_value_std") < 0.02:
        out.append(f"the value head is stuck: root values spread only {get('health_value_std'):.3f} "
                   f"(it predicts one outcome for every position)")
    if weight_version >= 5 and get("health_search_changes_move") < 0.01:
        out.append("the search never changes the net's top move: its targets add no information "
                   "(more simulations or root noise)")
    return out


def progress_summary(h: dict) -> str:
    """A short progress-bar fragment."""
    if not h:
        return ""
    return (f"len {h['health_game_length']:.0f} pass {h['health_pass_rate']:.0%} "
            f"res {h['health_resign_rate']:.0%} B {h['health_black_win_rate']:.0%} "
            f"vmse {h['health_value_mse']:.2f}")
