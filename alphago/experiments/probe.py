"""A shared probe set: one fixed file of labelled positions that every run and arm can name.

`alphago probe build --size 5 --net checkpoints/5x5.pt --out probes/5x5.npz` draws positions from
diverse games (GNU Go against GNU Go at levels 1 and 10 through GTP, the reference net's own
self-play at few simulations and temperature 1, and light random playouts), labels each with a
reference policy (the visit distribution of a long search of the reference net, no noise) and
an outcome-based value (the result of the game it came from, for the player to move), and
writes positions as move sequences, so a net with any feature configuration can be scored on it.

`alphago probe eval --probe F CHECKPOINT...` and, with `train.probe: F` in a config, every
checkpoint of a run report on the same file: policy cross-entropy against the reference (bits),
top-1 agreement with the reference's most visited move, value cross-entropy and calibration
(expected calibration error of the predicted win probability). Arms of an ablation that name
the same file are compared on the same positions. The set and its scoring live in train/probe.py
(the learner scores every checkpoint on it); this module builds it and holds the commands.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from typing import TYPE_CHECKING

from ..train.probe import PROBE_VERSION, SOURCES, ProbeSet, score  # noqa: F401  (re-exported)

if TYPE_CHECKING:  # the engine (numba) loads when a probe is built or scored, not with the CLI parser
    from ..go.features import FeatureConfig

def _games_gnugo(size: int, komi: float, games: int, seed: int, tmp: Path) -> list[tuple[list[int], int]]:
    from ..go.sgf import from_sgf
    from ..play.arena import gnugo_binary, parse_spec, run_match
    from ..train.supervised import outcome_of
    if gnugo_binary() is None or games <= 0:
        return []
    out = []
    half = games // 2
    for i, (a, b) in enumerate((("gnugo:1", "gnugo:10"), ("gnugo:10", "gnugo:1"))):
        n = half if i == 0 else games - half
        d = tmp / f"gnugo{i}"
        run_match(parse_spec(a, size, komi), parse_spec(b, size, komi), n, size, komi, parallel=2,
                  opening_moves=2, seed=seed + i, sgf_dir=d)
        for f in sorted(d.glob("*.sgf")):
            g = from_sgf(f.read_bytes())
            w = outcome_of(g.result)
            if w is not None and g.actions:
                out.append((list(g.actions), w))
    return out


def _games_selfplay(size: int, komi: float, games: int, seed: int, net, features: FeatureConfig,
                    sims: int, random_moves: bool) -> list[tuple[list[int], int]]:
    """Finished games as (actions, winner): the net at `sims` simulations with temperature 1 for
    the whole game, or light random playouts (random_moves)."""
    from ..go import GoBatch, Rules
    from ..go import seed as seed_engine
    if games <= 0:
        return []
    rules = Rules(komi=komi, max_moves=3 * size * size)
    if random_moves:
        seed_engine(seed)
        b = GoBatch(size, games, rules, history=1)
        moves: list[list[int]] = [[] for _ in range(games)]
        while not b.over.all():
            acts = b.random_actions(light=True)
            for i in np.flatnonzero(acts >= 0):
                moves[i].append(int(acts[i]))
            b.step(acts, validate=False)
        return list(zip(moves, [int(w) for w in b.winners()]))
    from ..mcts.config import SearchConfig
    from ..selfplay.loop import SelfPlay, SelfPlayConfig
    sp = SelfPlay(size, rules, features, SearchConfig(num_simulations=sims, full_search_prob=1.0),
                  SelfPlayConfig(batch_games=min(games, 32), temperature_moves=3 * size * size,
                                 resign_threshold=-1.0, resign_disabled_frac=0.0), seed=seed)
    recs = sp.play(net, games)[:games]
    return [([int(a) for a in r.actions], int(r.winner)) for r in recs]


def build_probe(size: int, net_path: str, positions: int = 1000, sims: int = 400, gnugo_games: int = 60,
                net_games: int = 60, random_games: int = 60, seed: int = 0,
                other_nets: tuple[str, ...] = ()) -> ProbeSet:
    """Positions drawn evenly over sources and game phases, deduplicated, labelled by the net.
    other_nets: more nets (e.g. earlier, weaker checkpoints) whose self-play games join the "net"
    source, net_games each, so the positions span several strengths; labels stay the reference's."""
    import tempfile

    from ..mcts.search import Search
    from ..net.evaluator import TorchEvaluator
    from ..net.io import load_model
    from ..goenv import GoEnv
    from ..mcts.config import SearchConfig
    model, meta = load_model(net_path, expect={"board_size": size})
    features = meta.feature_config
    komi = meta.komi
    net = TorchEvaluator(model)
    with tempfile.TemporaryDirectory() as tmp:
        pools = {"gnugo": _games_gnugo(size, komi, gnugo_games, seed, Path(tmp)),
                 "net": _games_selfplay(size, komi, net_games, seed, net, features, 16, False),
                 "random": _games_selfplay(size, komi, random_games, seed, net, features, 0, True)}
    for k, other in enumerate(other_nets, start=1):
        m, mt = load_model(other, expect={"board_size": size})
        pools["net"] += _games_selfplay(size, komi, net_games, seed + k, TorchEvaluator(m),
                                        mt.feature_config, 16, False)
    rng = np.random.default_rng(seed)
    per_source = positions // max(1, sum(1 for p in pools.values() if p))
    chosen: list[tuple[list[int], int, int]] = []   # (prefix, outcome for the player to move, source)
    seen: set[tuple[int, ...]] = set()
    for s_idx, name in enumerate(SOURCES):
        pool = pools[name]
        if not pool:
            continue
        cands = [(g, t) for g, (moves, _) in enumerate(pool) for t in range(len(moves))]
        rng.shuffle(cands)
        taken = 0
        for g, t in cands:
            moves, winner = pool[g]
            prefix = tuple(moves[:t])
            if prefix in seen:
                continue
            seen.add(prefix)
            chosen.append((list(prefix), winner * (1 if t % 2 == 0 else -1), s_idx))
            taken += 1
            if taken >= per_source:
                break
    # label: a long search of the reference net from every position, in batches
    P, A = len(chosen), size * size + 1
    L = max(len(c[0]) for c in chosen) if chosen else 1
    actions = np.full((P, max(L, 1)), -1, np.int16)
    for i, (prefix, _, _) in enumerate(chosen):
        actions[i, : len(prefix)] = prefix
    lengths = np.array([len(c[0]) for c in chosen], np.int32)
    policy = np.zeros((P, A), np.float32)
    probe = ProbeSet(size, komi, actions, lengths, policy, np.array([c[1] for c in chosen], np.float32),
                     np.array([c[2] for c in chosen], np.int8), f"{net_path}@{sims}")
    states = probe.states(features.history)
    from ..go import GoBatch
    cfg = SearchConfig(num_simulations=sims, reuse_tree=False, full_search_prob=1.0)
    B = 64
    for start in range(0, P, B):
        idx = list(range(start, min(P, start + B)))
        roots = GoBatch(size, len(idx), states[0].rules, history=features.history)
        for j, i in enumerate(idx):
            roots.copy_games_from(states[i].batch, [0], [j])
        search = Search(cfg, len(idx), A, seed=seed + start)
        active = ~roots.over
        r = search.run(GoEnv(roots, features, "settled"), net, active=active, add_noise=False)
        v = r.visits.astype(np.float64)
        policy[idx] = (v / np.maximum(v.sum(axis=1, keepdims=True), 1)).astype(np.float32)
    keep = policy.sum(axis=1) > 0   # positions whose game was already over have no label
    return ProbeSet(size, komi, actions[keep], lengths[keep], policy[keep], probe.value[keep], probe.source[keep],
                    probe.reference)


def main_build(args: argparse.Namespace) -> int:
    probe = build_probe(args.size, args.net, args.positions, args.sims, args.gnugo_games, args.net_games,
                        args.random_games, args.seed, tuple(args.other_net or ()))
    probe.save(args.out)
    counts = {name: int((probe.source == i).sum()) for i, name in enumerate(SOURCES)}
    print(f"wrote {args.out}: {len(probe)} positions {counts}, labels {probe.reference}")
    return 0


def main_eval(args: argparse.Namespace) -> int:
    from ..net.io import load_model
    probe = ProbeSet.load(args.probe)
    for c in args.checkpoints:
        model, meta = load_model(c, expect={"board_size": probe.size})
        row = score(model, probe, meta.feature_config)
        print(json.dumps({"checkpoint": c, "step": meta.step, **row}))
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("probe", help="a shared probe set: build one, or score checkpoints on one")
    ps = p.add_subparsers(dest="probe_command", required=True)
    b = ps.add_parser("build", help="positions from GNU Go, net and random games, labelled by a long search")
    b.add_argument("--size", type=int, required=True)
    b.add_argument("--net", required=True, help="reference net (labels: its search's visit distribution)")
    b.add_argument("--out", required=True)
    b.add_argument("--positions", type=int, default=1000)
    b.add_argument("--sims", type=int, default=400, help="simulations of the labelling search")
    b.add_argument("--gnugo-games", type=int, default=60)
    b.add_argument("--net-games", type=int, default=60, help="self-play games of each net")
    b.add_argument("--other-net", action="append", metavar="CHECKPOINT",
                   help="another net whose self-play games join the positions (repeatable: several strengths)")
    b.add_argument("--random-games", type=int, default=60)
    b.add_argument("--seed", type=int, default=0)
    b.set_defaults(func=main_build)
    e = ps.add_parser("eval", help="score checkpoints on a probe set (one JSON line each)")
    e.add_argument("--probe", required=True)
    e.add_argument("checkpoints", nargs="+")
    e.set_defaults(func=main_eval)
    from .ownership import add_parser as add_ownership
    from .soft_bits import add_parser as add_soft_bits
    add_soft_bits(ps)
    add_ownership(ps)
