"""`alphago bench mcts`: batched search throughput on 9x9 self-play moves.

Workload: B games from the empty board; each move is one search of S simulations per
game, then the chosen moves are played and trees advanced (finished games restart).
Reported: simulations/s, positions (moves)/s, and the share of wall time spent outside
the evaluator (the search's own overhead). With the uniform evaluator that is pure
search cost; with the 6x64 ResNet on the CPU it is what a self-play worker would see.
"""
from __future__ import annotations

import time

import numpy as np

from ..go import GoBatch, seed
from ..go.env import GoEnv
from ..go.features import FeatureConfig
from ..mcts.config import SearchConfig
from ..mcts.evaluators import UniformEvaluator
from ..mcts.search import Search
from .common import emit, machine_info


class _Timed:
    """Wraps an evaluator and adds up the wall time spent inside it."""

    def __init__(self, inner):
        self.inner = inner
        self.seconds = 0.0
        self.rows = 0
        self.full_batch = getattr(inner, "full_batch", False)

    def __call__(self, features, legal):
        t = time.perf_counter()
        out = self.inner(features, legal)
        self.seconds += time.perf_counter() - t
        self.rows += len(features)
        return out


def run_selfplay(size: int, batch: int, sims: int, kind: str, evaluator, features: FeatureConfig,
                 seconds: float, min_moves: int = 2) -> dict:
    roots = GoBatch(size, batch, history=features.history)
    env = GoEnv(roots, features)
    search = Search(SearchConfig(kind=kind, num_simulations=sims), batch, roots.num_actions, seed=0)
    timed = _Timed(evaluator)
    moves = 0
    t0 = time.perf_counter()
    while moves < min_moves or time.perf_counter() - t0 < seconds:
        r = search.run(env, timed, temperature=1.0)
        roots.step(r.action, validate=False)
        search.advance(r.action)
        done = roots.over.copy()
        if done.any():
            roots.reset(done)
            search.reset(done)
        moves += 1
    wall = time.perf_counter() - t0
    positions = moves * batch
    return {"batch": batch, "sims": sims, "kind": kind, "moves": moves, "wall_s": wall,
            "positions_per_s": positions / wall, "sims_per_s": positions * sims / wall,
            "evaluator_s": timed.seconds, "outside_net_share": 1.0 - timed.seconds / wall,
            "evaluated_rows": timed.rows}


def main(args) -> int:
    seed(0)
    feats = FeatureConfig(history=args.history)
    result = {"size": args.size, "machine": machine_info(), "uniform": [], "net": []}
    table = []
    # warm-up: compile every kernel
    run_selfplay(args.size, 2, 4, "puct", UniformEvaluator(), feats, 0.0)
    run_selfplay(args.size, 2, 4, "gumbel", UniformEvaluator(), feats, 0.0)
    for b in args.batches:
        r = run_selfplay(args.size, b, args.sims, args.kind, UniformEvaluator(), feats, args.seconds)
        result["uniform"].append(r)
        table.append((f"uniform  B={b:<4d} S={args.sims}",
                      f"{r['sims_per_s']:>10.0f} sims/s {r['positions_per_s']:>8.1f} positions/s "
                      f"(outside evaluator {100 * r['outside_net_share']:.0f}%)"))
    if not args.no_net:
        import torch

        from ..net.evaluator import TorchEvaluator
        from ..net.model import NetConfig, PolicyValueNet
        torch.manual_seed(0)
        net = PolicyValueNet(args.size, feats.num_planes, NetConfig(blocks=6, channels=64))
        ev = TorchEvaluator(net, threads=args.threads)
        ev(np.zeros((args.net_batch, feats.num_planes, args.size, args.size), np.float32), None)
        for sims in args.net_sims:
            r = run_selfplay(args.size, args.net_batch, sims, args.kind, ev, feats, args.seconds)
            result["net"].append(r)
            table.append((f"6x64 net B={args.net_batch:<4d} S={sims}",
                          f"{r['sims_per_s']:>10.0f} sims/s {r['positions_per_s']:>8.2f} positions/s "
                          f"(outside net {100 * r['outside_net_share']:.1f}%)"))
        main_run = next((r for r in result["net"] if r["sims"] == 64), result["net"][-1])
        result["outside_net_share"] = main_run["outside_net_share"]
        result["positions_per_s"] = main_run["positions_per_s"]
    else:
        r64 = next((r for r in result["uniform"] if r["batch"] == 64), result["uniform"][-1])
        result["outside_net_share"] = None
        result["positions_per_s"] = r64["positions_per_s"]
    table.append(("machine", f"{result['machine']['cpu']} ({result['machine']['cores']} cores)"))
    emit(result, args.json, table)
    return 0
