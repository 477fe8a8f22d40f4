#!/usr/bin/env bash
# The 9x9 replication of the soft-vs-hard study (docs/results/soft_vs_hard_9x9/PROTOCOL.md), every step up
# to the pilot's decision, then the main runs once configs/ablation/soft_vs_hard_9x9.yaml is written from it.
# Each step is skipped when its output exists, so a rerun resumes. JOBS: cells (processes) at a time.
#   1. checkpoints/9x9_warm.pt: stages 1-2 of scripts/reproduce_9x9.sh (GNU Go games, alphago pretrain)
#   2. checkpoints/probe_9x9.npz: 1,000 positions labelled by checkpoints/9x9.pt at 400 simulations
#   3. the pilot (configs/ablation/soft_vs_hard_9x9_pilot.yaml): 4 cells, probe only
#   4. the main study (configs/ablation/soft_vs_hard_9x9.yaml), when that file exists
# Commit 9x9_warm.pt and probe_9x9.npz (and the warm start's sha256 in checkpoints/README.md) before step 3
# on a machine whose results are to be kept: every later cell records their hashes.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
GNUGO_GAMES=runs/gnugo9
if [ ! -f checkpoints/9x9_warm.pt ]; then
  # the same games and seeds as scripts/reproduce_9x9.sh (runs/gnugo9 is shared with it)
  [ -f "$GNUGO_GAMES/a.json" ] || alphago arena --a gnugo:10 --b gnugo:10 --games 100 --size 9 --komi 7 \
      --opening-moves 4 --parallel "$JOBS" --seed 21 --sgf-dir "$GNUGO_GAMES/a" --json "$GNUGO_GAMES/a.json"
  [ -f "$GNUGO_GAMES/b.json" ] || alphago arena --a gnugo:6 --b gnugo:8 --games 200 --size 9 --komi 7 \
      --opening-moves 3 --parallel "$JOBS" --seed 22 --sgf-dir "$GNUGO_GAMES/b" --json "$GNUGO_GAMES/b.json"
  [ -f "$GNUGO_GAMES/c.json" ] || alphago arena --a gnugo:10 --b gnugo:9 --games 200 --size 9 --komi 7 \
      --opening-moves 5 --parallel "$JOBS" --seed 23 --sgf-dir "$GNUGO_GAMES/c" --json "$GNUGO_GAMES/c.json"
  [ -f runs/pre9/pretrained.pt ] || alphago pretrain --sgf "$GNUGO_GAMES" --config configs/9x9.yaml \
      --out runs/pre9/pretrained.pt --steps 2000 --threads "$JOBS"
  cp runs/pre9/pretrained.pt checkpoints/9x9_warm.pt.tmp && mv checkpoints/9x9_warm.pt.tmp checkpoints/9x9_warm.pt
  echo "checkpoints/9x9_warm.pt: sha256 $(sha256sum checkpoints/9x9_warm.pt | cut -d' ' -f1)"
fi
if [ ! -f checkpoints/probe_9x9.npz ]; then
  alphago probe build --size 9 --net checkpoints/9x9.pt --out checkpoints/probe_9x9.npz --positions 1000 --sims 400
fi
alphago ablate configs/ablation/soft_vs_hard_9x9_pilot.yaml --jobs "$JOBS"
if [ -f configs/ablation/soft_vs_hard_9x9.yaml ]; then
  alphago ablate configs/ablation/soft_vs_hard_9x9.yaml --jobs "$JOBS"
else
  echo "pilot done: write docs/results/soft_vs_hard_9x9_pilot/reading.md and configs/ablation/soft_vs_hard_9x9.yaml"
  echo "by the rule of docs/results/soft_vs_hard_9x9/PROTOCOL.md (\"Pilot\"), then run this script again"
fi
