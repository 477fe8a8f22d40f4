"""`alphago bench selfplay`: self-play positions/s with 1 and 2 Ray workers on this machine,
and the share of learner time spent waiting for data in a short async training run."""
from __future__ import annotations

import os
import tempfile

from ..config import load_config
from .common import emit, machine_info


def main(args) -> int:
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    from ..orchestrate import selfplay_throughput, train
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
    import ray
    ray.shutdown()
    from dataclasses import replace
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
