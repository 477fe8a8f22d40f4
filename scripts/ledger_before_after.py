#!/usr/bin/env python3
"""Both ledgers on one real run's games, before and after the accounting fix (docs/accounting.md).

usage: python scripts/ledger_before_after.py RUN_DIR [TARGET ...]

"before": the bits the old ledger credited: the offered bits of the run as logged in its latest
checkpoint (policy KL to the current net + value cross-entropy, per replayed sample); for
REINFORCE the old rule, -log2 q(a) for every move of a decided game, is computed here with the
playing net's prior as q. "after": the data ledger of train/bits.py over the same stored games,
counted once per game. Prints a Markdown table.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from alphago.data.store import ShardStore
from alphago.net.io import read_meta
from alphago.train.bits import BitsLedger, data_policy_bits


def main(argv: list[str]) -> int:
    run = Path(argv[0])
    kinds = argv[1:] or ["visits", "action", "reinforce"]
    games = ShardStore(run / "games").read_all()
    meta = read_meta(run / "checkpoints" / "latest.pt")
    led0 = meta.ledger
    positions = sum(g.num_moves for g in games)
    print(f"Run `{run}`: {len(games):,} games, {positions:,} positions, {led0['samples']:,} training samples "
          f"(trained with target `{meta.run_config['train']['target']}`).\n")
    print("| ledger | policy bits | value bits | value bits per game |")
    print("|---|---|---|---|")
    print(f"| before: offered, as logged (per replayed sample) | {led0['policy_bits']:,.0f} | {led0['value_bits']:,.0f} | "
          f"{led0['value_bits'] / max(len(games), 1):.1f} |")
    old_reinforce = 0.0
    for g in games:
        if g.winner != 0:
            p = g.prior[np.arange(g.num_moves), g.actions.astype(np.int64)].astype(np.float64)
            old_reinforce += float(-np.log2(np.maximum(p, 1e-12)).sum())
    print(f"| before: REINFORCE rule (-log2 q(a), every move of a decided game) | {old_reinforce:,.0f} | - | - |")
    for kind in kinds:
        led = BitsLedger()
        for g in games:
            k = "visits" if kind == "pruned" and g.pruned is None else kind
            bits, labels = data_policy_bits(k, g.visits, g.prior, g.actions.astype(np.int64), g.full_search,
                                            g.improved, g.pruned)
            led.add_game(g.winner, bits, labels, k)
        print(f"| after: in the data, target `{kind}` (once per game) | {led.data_policy_bits:,.0f} | "
              f"{led.data_value_bits:,.0f} | {led.data_value_bits / max(len(games), 1):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
