"""`alphago bench selfplay`: self-play throughput on this machine, three figures.

  workers      positions/s of 1 and 2 Ray self-play actors playing side by side: independent
               actors, no learner, no training (what the self-play half can do; scaling_2_vs_1)
  end to end   positions/s of a real `alphago train` run of the config (its own schedule: self-play
               and training), measured between its first and last training rows, so Ray start-up
               and the first compiles are left out (e2e_positions_per_s)
  async wait   the share of an async run's wall time (1 worker + learner, start-up included) that
               the learner spent waiting for data (learner_wait_share)
"""
from __future__ import annotations

import os
import tempfile

import time

from ..config import Config, load_config
from .common import emit, machine_info


def selfplay_throughput(cfg: Config, workers: int, seconds: float, games_per_call: int) -> dict:
    """`workers` self-play actors (cfg.run.worker_cpus each) playing in parallel for about `seconds`
    after a warm-up call; returns positions/s and games/s over the timed part."""
    from ..run.remote import RayWorkerPool, init_ray
    init_ray()
    pool = RayWorkerPool(cfg, workers)
    for i in range(workers):  # compile + warm up
        pool.play(i, 2)
    while not pool.idle():
        pool.next_batch()
    positions = games = 0
    start = time.time()
    for i in range(workers):
        pool.play(i, games_per_call)
    while not pool.idle():
        i, batch = pool.next_batch()
        if batch is not None:
            games += len(batch.records)
            positions += sum(g.num_moves for g in batch.records)
        if time.time() - start < seconds:
            pool.play(i, games_per_call)
    wall = time.time() - start
    pool.stop()
    return {"workers": workers, "positions_per_s": positions / wall, "games_per_s": games / wall,
            "positions": positions, "wall_s": wall}


def main(args) -> int:
    from ..run.remote import shutdown
    from ..run.train import train
    cfg = load_config(args.config)
    result = {"config": args.config, "machine": machine_info(), "runs": []}
    table = []
    for n in args.workers:
        r = selfplay_throughput(cfg, n, args.seconds, args.games_per_call)
        result["runs"].append(r)
        table.append((f"{n} worker(s)", f"{r['positions_per_s']:.1f} positions/s, {r['games_per_s']:.2f} games/s"))
    by = {r["workers"]: r["positions_per_s"] for r in result["runs"]}
    if 1 in by and 2 in by:
        result["scaling_2_vs_1"] = by[2] / by[1]
        table.append(("2 vs 1 workers", f"{result['scaling_2_vs_1']:.2f}x"))
    shutdown()
    import json
    from dataclasses import replace
    # at least 4 self-play phases: a rate between the first and last training rows of one phase is 0
    # positions over the time of its training (the 2026-12-04 run of this bench reported 0.0 that way)
    cfg_e2e = replace(cfg, run=replace(cfg.run, total_games=max(args.learner_games, 4 * cfg.run.games_per_phase),
                                       eval_every=0))
    with tempfile.TemporaryDirectory() as d:
        train(cfg_e2e, d, progress=False)
        rows = [json.loads(x) for x in open(os.path.join(d, "metrics.jsonl"))]
    shutdown()
    rows = [r for r in rows if "loss" in r and "wall_s" in r]
    if len(rows) >= 2 and rows[-1]["wall_s"] > rows[0]["wall_s"] and rows[-1]["positions"] > rows[0]["positions"]:
        result["e2e_positions_per_s"] = ((rows[-1]["positions"] - rows[0]["positions"])
                                         / (rows[-1]["wall_s"] - rows[0]["wall_s"]))
        table.append((f"end to end ({cfg.run.schedule}, {cfg.run.workers} workers + training)",
                      f"{result['e2e_positions_per_s']:.1f} positions/s between the first and last training steps"))
    cfg_async = replace(cfg, run=replace(cfg.run, schedule="async", workers=1, learner_cpus=1.0,
                                         total_games=args.learner_games))
    with tempfile.TemporaryDirectory() as d:
        s = train(cfg_async, d, progress=False)
    result["learner_wait_share"] = 1.0 - s.learner_busy_s / s.seconds
    result["positions_per_s"] = by.get(max(by), 0.0)
    table.append(("learner waiting for data", f"{100 * result['learner_wait_share']:.0f}% of {s.seconds:.0f} s "
                                              f"(async, 1 worker + learner, {s.games} games)"))
    table.append(("machine", f"{result['machine']['cpu']} ({result['machine']['cores']} cores)"))
    emit(result, args.json, table)
    return 0
