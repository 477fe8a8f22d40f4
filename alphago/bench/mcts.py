"""`alphago bench mcts`: batched search throughput on 9x9 self-play moves.

Workload: B games from the empty board; each move is one search of S simulations per
game, then the chosen moves are played and trees advanced (finished games restart).
Reported: simulations/s, positions (moves)/s, and the share of wall time spent outside
the evaluator (the search's own overhead). With the uniform evaluator that is pure
search cost; with the 6x64 ResNet on the CPU it is what a self-play worker would see.
Peer (unless --no-peers; if jax, pgx and mctx import): mctx's Gumbel MuZero on pgx go_9x9 with
the same net shape and a near-free net, same B and S, same process (bench/mcts_peer.py); and the
like-for-like pairs, near-free net, B=64, 16 simulations: our Gumbel root against
mctx.gumbel_muzero_policy (`gumbel_free_net_vs_mctx`), our PUCT against mctx.muzero_policy
(`puct_free_net_vs_mctx`), each also per CPU second.
"""
from __future__ import annotations

import time

import numpy as np

from ..go import GoBatch, seed
from ..goenv import GoEnv
from ..go.features import FeatureConfig
from ..mcts.config import SearchConfig
from ..mcts.evaluators import UniformEvaluator
from ..mcts.search import Search
from . import mcts_peer
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
    t0, cpu0 = time.perf_counter(), time.process_time()
    while moves < min_moves or time.perf_counter() - t0 < seconds:
        r = search.run(env, timed, temperature=1.0)
        roots.step(r.action, validate=False)
        search.advance(r.action)
        done = roots.over.copy()
        if done.any():
            roots.reset(done)
            search.reset(done)
        moves += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    positions = moves * batch
    return {"batch": batch, "sims": sims, "kind": kind, "moves": moves, "wall_s": wall, "cpu_s": cpu,
            "positions_per_s": positions / wall, "sims_per_s": positions * sims / wall,
            "evaluator_s": timed.seconds, "outside_net_share": 1.0 - timed.seconds / wall,
            "evaluated_rows": timed.rows}


def _uniform_row(r: dict) -> tuple[str, str]:
    return (f"uniform  B={r['batch']:<4d} S={r['sims']}",
            f"{r['sims_per_s']:>10.0f} sims/s {r['positions_per_s']:>8.1f} positions/s "
            f"(outside evaluator {100 * r['outside_net_share']:.0f}%)")


def _peers(args, feats: FeatureConfig, result: dict, table: list) -> None:
    """mctx + pgx in this same run: the 6x64 net at our net runs' B and S, and a near-free net
    against our uniform evaluator at the same B and S (run here if the sweep lacked it).
    Adds result["peer"], each with `ratio` = ours/peer positions/s, and the S=16 ratios."""
    b = args.net_batch
    for sims in args.net_sims:
        ours = next((r for r in result["uniform"] if r["batch"] == b and r["sims"] == sims), None)
        if ours is None:
            ours = run_selfplay(args.size, b, sims, args.kind, UniformEvaluator(), feats, args.seconds)
            result["uniform"].append(ours)
            table.append(_uniform_row(ours))
        pairs = [("free", ours)]
        if not args.no_net:
            pairs.insert(0, ("resnet", next(r for r in result["net"] if r["sims"] == sims)))
        for net, mine in pairs:
            r = mcts_peer.run_peer(b, sims, args.seconds, net, threads=args.threads)
            r["ours_positions_per_s"] = mine["positions_per_s"]
            r["ratio"] = mine["positions_per_s"] / r["positions_per_s"]
            result["peer"].append(r)
            label = "6x64 net" if net == "resnet" else "free net"
            table.append((f"mctx {label} B={b:<4d} S={sims}",
                          f"{r['sims_per_s']:>10.0f} sims/s {r['positions_per_s']:>8.2f} positions/s "
                          f"(ours/mctx {r['ratio']:.2f}x vs ours {args.kind}; compile {r['compile_s']:.0f} s)"))
    s16 = 16 if 16 in args.net_sims else args.net_sims[0]
    for key, net in (("ratio_vs_mctx", "resnet"), ("ratio_vs_mctx_free", "free")):
        result[key] = next((r["ratio"] for r in result["peer"] if r["net"] == net and r["sims"] == s16), None)
    # the like-for-like headline: the same algorithm on both sides (our Gumbel root against mctx's
    # gumbel_muzero_policy), near-free evaluator, B=64, 16 simulations, the same threads; CPU
    # seconds for both, so a loaded machine or a different thread count shows
    run_selfplay(args.size, 1, 16, "gumbel", UniformEvaluator(), feats, 0.0)  # compile the layout
    ours = run_selfplay(args.size, 64, 16, "gumbel", UniformEvaluator(), feats, args.seconds)
    peer = next((r for r in result["peer"] if r["net"] == "free" and r["sims"] == 16 and r["batch"] == 64), None)
    if peer is None:
        peer = mcts_peer.run_peer(64, 16, args.seconds, "free", threads=args.threads)
    result["gumbel_free_net"] = {"ours": ours, "mctx": peer}
    result["gumbel_free_net_vs_mctx"] = ours["positions_per_s"] / peer["positions_per_s"]
    result["gumbel_free_net_vs_mctx_cpu"] = ((ours["moves"] * 64 / ours["cpu_s"]) /
                                             (peer["positions_per_s"] * peer["wall_s"] / peer["cpu_s"]))
    # and PUCT against PUCT: our PUCT root (Dirichlet noise, tree reuse) against mctx.muzero_policy
    run_selfplay(args.size, 1, 16, "puct", UniformEvaluator(), feats, 0.0)
    ours_puct = run_selfplay(args.size, 64, 16, "puct", UniformEvaluator(), feats, args.seconds)
    peer_puct = mcts_peer.run_peer(64, 16, args.seconds, "free", threads=args.threads, policy="muzero")
    result["puct_free_net"] = {"ours": ours_puct, "mctx": peer_puct}
    result["puct_free_net_vs_mctx"] = ours_puct["positions_per_s"] / peer_puct["positions_per_s"]
    result["puct_free_net_vs_mctx_cpu"] = ((ours_puct["moves"] * 64 / ours_puct["cpu_s"]) /
                                           (peer_puct["positions_per_s"] * peer_puct["wall_s"] / peer_puct["cpu_s"]))
    table.append(("PUCT vs mctx muzero_policy, free net, B=64 S=16",
                  f"ours {ours_puct['positions_per_s']:.0f} positions/s, mctx {peer_puct['positions_per_s']:.0f}: "
                  f"{result['puct_free_net_vs_mctx']:.2f}x per wall second, "
                  f"{result['puct_free_net_vs_mctx_cpu']:.2f}x per CPU second"))
    table.append(("Gumbel vs mctx Gumbel, free net, B=64 S=16",
                  f"ours {ours['positions_per_s']:.0f} positions/s (cpu {ours['cpu_s'] / ours['wall_s']:.0%}), "
                  f"mctx {peer['positions_per_s']:.0f} (cpu {peer['cpu_s'] / peer['wall_s']:.0%}): "
                  f"{result['gumbel_free_net_vs_mctx']:.2f}x per wall second, "
                  f"{result['gumbel_free_net_vs_mctx_cpu']:.2f}x per CPU second"))


def main(args) -> int:
    seed(0)
    feats = FeatureConfig(history=args.history)
    result = {"size": args.size, "machine": machine_info(), "uniform": [], "net": []}
    table = []
    # warm-up: compile every kernel for every tree layout measured (a tree's record layout
    # depends on the simulation count, and each layout compiles once)
    for sims in sorted({args.sims, 16, *args.net_sims}):
        run_selfplay(args.size, 1, sims, args.kind, UniformEvaluator(), feats, 0.0)
    for b in args.batches:
        r = run_selfplay(args.size, b, args.sims, args.kind, UniformEvaluator(), feats, args.seconds)
        result["uniform"].append(r)
        table.append(_uniform_row(r))
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
    result.update(peer=[], ratio_vs_mctx=None, ratio_vs_mctx_free=None, gumbel_free_net_vs_mctx=None,
                  puct_free_net_vs_mctx=None)
    if args.no_peers:
        pass
    elif args.size != 9:
        table.append(("mctx peer", "skipped (pgx go_9x9 only)"))
    elif not mcts_peer.available(args.threads):
        table.append(("mctx peer", "skipped (pip install jax pgx mctx)"))
    else:
        _peers(args, feats, result, table)
    table.append(("machine", f"{result['machine']['cpu']} ({result['machine']['cores']} cores)"))
    emit(result, args.json, table)
    return 0
