#!/usr/bin/env bash
# Rebuild checkpoints/7x7.pt from nothing (about 2 hours on a 2-core machine) and measure it.
# Stage 1: 300 GNU Go self-play games (SGF); stage 2: supervised warm start on them;
# stage 3: 20,000 self-play games from the warm start; stage 4: the yardstick.
# Each stage resumes or can be rerun alone; outputs go to runs/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
GNUGO_GAMES=runs/gnugo7
if [ ! -d "$GNUGO_GAMES/a" ]; then
  alphago arena --a gnugo:10 --b gnugo:10 --games 200 --size 7 --komi 9 --opening-moves 4 \
      --parallel 2 --seed 11 --sgf-dir "$GNUGO_GAMES/a"
  alphago arena --a gnugo:8 --b gnugo:10 --games 100 --size 7 --komi 9 --opening-moves 3 \
      --parallel 2 --seed 12 --sgf-dir "$GNUGO_GAMES/b"
fi
if [ ! -f runs/pre7/pretrained.pt ]; then
  alphago pretrain --sgf "$GNUGO_GAMES" --config configs/7x7.yaml --out runs/pre7/pretrained.pt \
      --steps 1500 --threads 2
fi
if [ -f runs/7x7-b/checkpoints/latest.pt ]; then
  alphago train --resume runs/7x7-b
else
  alphago train --init runs/pre7/pretrained.pt --config configs/7x7.yaml --run-dir runs/7x7-b
fi
# --fresh-search: a fresh PUCT search at 64 simulations, as the committed results were played
alphago evaluate runs/7x7-b --points 5 --games 20 --fresh-search --reference gnugo:1 --reference gnugo:10
alphago plot runs/7x7-b --out docs/results/7x7
alphago arena --a runs/7x7-b/checkpoints/latest.pt@64 --b gnugo:10 --games 100 --no-resign \
    --root-noise 0.1 --parallel 2 --seed 1 --sgf-dir docs/results/7x7/vs_gnugo10 \
    --json docs/results/7x7/vs_gnugo10.json
