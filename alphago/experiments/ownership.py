"""How well a net's ownership head predicts the end of real games: for every SGF in a directory
(games played to two passes, e.g. `alphago arena ... --sgf-dir`), the position after a fraction of
the game's moves is shown to the net (one evaluation of its ownership head, as `kata-analyze ...
ownership true` and `final_status_list` use it), and its prediction is compared with the
Tromp-Taylor owner of every point of the game's final board.

    alphago probe ownership --net checkpoints/7x7_ownership.pt \
        --sgf-dir docs/results/7x7_ownership/vs_gnugo10 [--fractions 0.25 0.5 0.75 1.0] [--json OUT]

Per fraction: sign agreement (the predicted owner, sign of the head's output, equals the final owner;
dame points excluded), the same for the board counted as it stands at that move (Tromp-Taylor: what a
net without the head would have to go on), and mean absolute error of the head's output against the final owner in
{-1, 0, 1}, both over all points of all games, with the number of games. Games whose SGF ends
without two passes (resignation, move cap) are skipped: their final board is not settled.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..data.jsonl import write_json


def main(a: argparse.Namespace) -> int:
    from ..go.rules import Rules
    from ..go.sgf import from_sgf
    from ..go.state import GoState
    from ..play.player import SearchPlayer
    player = SearchPlayer(a.net, sims=1)
    if not player.has_ownership:
        print(f"error: {a.net} has no ownership head (net.ownership_head)", file=sys.stderr)
        return 2
    files = sorted(Path(a.sgf_dir).glob("*.sgf"))
    if not files:
        print(f"error: no .sgf files in {a.sgf_dir}", file=sys.stderr)
        return 2
    agree = {f: [0, 0] for f in a.fractions}      # matching points, non-dame points
    naive = {f: 0 for f in a.fractions}            # matching points of the board counted as it stands
    abs_err = {f: [0.0, 0] for f in a.fractions}  # sum |pred - final|, points
    used = skipped = 0
    for path in files:
        g = from_sgf(path.read_bytes())
        n = g.size
        if g.setup is not None:
            skipped += 1
            continue
        rules = Rules(komi=g.komi)
        final = GoState(n, rules)
        final.replay(g.actions, g.colors)
        if final.consecutive_passes < 2:  # resigned or capped: the final board is not settled
            skipped += 1
            continue
        owner = final.ownership().astype(np.float32)   # Black's view: 1 black, -1 white, 0 dame
        used += 1
        for f in a.fractions:
            k = min(len(g.actions), int(round(f * len(g.actions))))
            st = GoState(n, rules)
            st.replay(g.actions[:k], g.colors[:k])
            pred = player.ownership(st) * st.to_play    # mover's view -> Black's view
            live = owner != 0
            agree[f][0] += int(np.sum(np.sign(pred[live]) == owner[live]))
            agree[f][1] += int(np.sum(live))
            naive[f] += int(np.sum(st.ownership()[live] == owner[live]))
            abs_err[f][0] += float(np.sum(np.abs(pred - owner)))
            abs_err[f][1] += owner.size
    if not used:
        print(f"error: none of the {len(files)} games in {a.sgf_dir} ended by two passes", file=sys.stderr)
        return 2
    rows = [{"fraction": f, "sign_agreement": agree[f][0] / max(agree[f][1], 1),
             "board_as_it_stands": naive[f] / max(agree[f][1], 1),
             "mean_abs_error": abs_err[f][0] / max(abs_err[f][1], 1), "games": used} for f in a.fractions]
    print(f"{a.net} on {used} games of {a.sgf_dir} ({skipped} skipped: not ended by two passes)")
    print("| position at | head: owner sign agreement | the board as it stands (Tromp-Taylor) | head: mean abs error | games |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['fraction']:.0%} of the moves | {r['sign_agreement']:.3f} | {r['board_as_it_stands']:.3f} | "
              f"{r['mean_abs_error']:.3f} | {r['games']} |")
    if a.json:
        write_json(a.json, {"net": a.net, "sgf_dir": a.sgf_dir, "skipped": skipped, "rows": rows})
    return 0


def add_parser(ps) -> None:
    o = ps.add_parser("ownership", help="how well a net's ownership head predicts the final owners of SGF games")
    o.add_argument("--net", required=True, help="checkpoint with an ownership head")
    o.add_argument("--sgf-dir", required=True, help="games played to two passes (e.g. alphago arena --sgf-dir)")
    o.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0],
                   help="show the net the position after this fraction of each game's moves")
    o.add_argument("--json", help="also write the figures here")
    o.set_defaults(func=main)
