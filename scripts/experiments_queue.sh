#!/usr/bin/env bash
# The measurements of the soft-vs-hard study and of the denser-targets study, one after another, each resumable: start it in the
# background at the beginning of a session (`nohup bash scripts/experiments_queue.sh > runs/queue.log 2>&1 &`),
# commit docs/results/ (and checkpoints/7x7_warm.pt once made) before the session ends, and rerun it in the
# next session. Nothing finished is run again: each command skips what its output directory holds, and on a
# fresh clone it restores the cells whose committed results (docs/results/NAME/) still match their settings.
# Times: this 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p runs
step() { echo "=== $(date -u +%FT%TZ) $*"; "$@"; }
# soft vs hard, distillation arm (done 2026-12-04, restored from docs/results/distill_5x5; ~35 min from scratch)
step alphago distill configs/ablation/distill_5x5.yaml
# denser targets (done 2026-12-04, restored; ~1.6 h from scratch): ownership, auxiliary soft
# policy, Reanalyse, score vs plain soft targets
step alphago ablate configs/ablation/aux_targets_5x5.yaml --jobs 2
# soft vs hard, 7x7 (done 2026-12-04, restored): the ~20 min warm start of reproduce_7x7.sh stages 1-2, then
# soft_vs_hard_7x7 (~1.5 h), then init_7x7 (~50 min: its `pretrained` arm is soft_vs_hard's `visits` runs, reused).
# The warm start is committed (checkpoints/7x7_warm.pt) once made: the ablations' cells record its hash,
# and a fresh clone restores their committed results only when it starts from the same bytes.
if [ ! -f checkpoints/7x7_warm.pt ]; then
  step alphago arena --a gnugo:10 --b gnugo:10 --games 200 --size 7 --komi 9 --opening-moves 4 \
      --parallel 2 --seed 11 --sgf-dir runs/gnugo7/a
  step alphago arena --a gnugo:8 --b gnugo:10 --games 100 --size 7 --komi 9 --opening-moves 3 \
      --parallel 2 --seed 12 --sgf-dir runs/gnugo7/b
  step alphago pretrain --sgf runs/gnugo7 --config configs/7x7.yaml --out runs/pre7/pretrained.pt \
      --steps 1500 --threads 2
  cp runs/pre7/pretrained.pt checkpoints/7x7_warm.pt   # commit it
fi
# Their fixed reference net (eval.extra_references: checkpoints/7x7.pt@1, named 2026-12-04) is played by
# the checkpoints in runs/ablate/ (~30 s a row): on a fresh clone without them it cannot be, and is skipped.
step alphago ablate configs/ablation/soft_vs_hard_7x7.yaml --jobs 2
step alphago ablate configs/ablation/init_7x7.yaml --jobs 2
# soft_vs_hard_7x7's budget replayed from random openings, 300 games per arm against GNU Go 1 (~9 min;
# needs the cells' checkpoints in runs/ablate: on a fresh clone the committed JSONs make it a no-op)
step python scripts/budget_match.py --ablation docs/results/soft_vs_hard_7x7 --reference gnugo:1 --games 100 \
    --opening-moves 2 --out docs/results/soft_vs_hard_7x7/budget_vs_gnugo1
# soft vs hard, simulations axis (done 2026-12-04, restored from docs/results/sims_5x5; ~1.5 h from scratch)
step alphago ablate configs/ablation/sims_5x5.yaml --jobs 2
# soft vs hard, the horizon axis at a budget where 9x9 cells differ (docs/results/horizon is the 2e12 run): done
# 2026-12-04, all 27 cells committed (docs/results/horizon_2e13/cells.json: restored in seconds); ~2.2 h from scratch
step alphago horizon --sizes 5 7 9 --kinds visits action reinforce --budget 2e13 --seeds 0 1 2 --jobs 2 \
    --out runs/horizon_2e13 --report-dir docs/results/horizon_2e13
# denser targets on 7x7 (done 2026-12-04, all 10 cells committed: restored in seconds; ~3 h from scratch): the levers
# from the warm start, where the outcome does not fix ownership and margin
step alphago ablate configs/ablation/aux_targets_7x7.yaml --jobs 2
# its budget replayed from random openings, 200 games per arm against GNU Go 1 (~15 min; needs the cells'
# checkpoints in runs/ablate: on a fresh clone it skips them and rewrites the committed summary)
step python scripts/budget_match.py --ablation docs/results/aux_targets_7x7 --reference gnugo:1 --games 100 \
    --opening-moves 2 --out docs/results/aux_targets_7x7/budget_vs_gnugo1
