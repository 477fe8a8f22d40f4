#!/usr/bin/env bash
# Build checkpoints/9x9.pt on a 2-core machine (about 2.5 hours) and measure it.
# Stage 1: GNU Go self-play games on 9x9 (SGF); stage 2: supervised warm start on them;
# stage 3: self-play from the warm start (configs/9x9.yaml); stage 4: the yardstick.
# Each stage resumes or can be rerun alone; outputs go to runs/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
GNUGO_GAMES=runs/gnugo9
if [ ! -f "$GNUGO_GAMES/a.json" ]; then
  alphago arena --a gnugo:10 --b gnugo:10 --games 100 --size 9 --komi 7 --opening-moves 4 \
      --parallel 2 --seed 21 --sgf-dir "$GNUGO_GAMES/a" --json "$GNUGO_GAMES/a.json"
fi
if [ ! -f "$GNUGO_GAMES/b.json" ]; then
  alphago arena --a gnugo:6 --b gnugo:8 --games 200 --size 9 --komi 7 --opening-moves 3 \
      --parallel 2 --seed 22 --sgf-dir "$GNUGO_GAMES/b" --json "$GNUGO_GAMES/b.json"
fi
if [ ! -f "$GNUGO_GAMES/c.json" ]; then
  alphago arena --a gnugo:10 --b gnugo:9 --games 200 --size 9 --komi 7 --opening-moves 5 \
      --parallel 2 --seed 23 --sgf-dir "$GNUGO_GAMES/c" --json "$GNUGO_GAMES/c.json"
fi
if [ ! -f runs/pre9/pretrained.pt ]; then
  alphago pretrain --sgf "$GNUGO_GAMES" --config configs/9x9.yaml --out runs/pre9/pretrained.pt \
      --steps 2000 --threads 2
fi
if [ -f runs/9x9-a/checkpoints/latest.pt ]; then
  alphago train --resume runs/9x9-a
else
  alphago train --init runs/pre9/pretrained.pt --config configs/9x9.yaml --run-dir runs/9x9-a
fi
# stage 4: the yardstick (the warm start itself as the first point; ~25 min on 2 cores); --fresh-search:
# PUCT at 64 simulations, not the run's own Gumbel search, as the committed results were played
alphago evaluate runs/9x9-a --checkpoint runs/pre9/pretrained.pt --games 20 --parallel 2 --fresh-search \
    --reference gnugo:1 --reference gnugo:5 --reference gnugo:10
alphago evaluate runs/9x9-a --points 3 --games 20 --parallel 2 --fresh-search \
    --reference gnugo:1 --reference gnugo:5 --reference gnugo:10
alphago plot runs/9x9-a --out docs/results/9x9
for level in 1 10; do
  alphago arena --a runs/9x9-a/checkpoints/latest.pt@64 --b gnugo:$level --games 100 --no-resign \
      --root-noise 0.1 --parallel 2 --seed $level --sgf-dir docs/results/9x9/vs_gnugo$level \
      --json docs/results/9x9/vs_gnugo$level.json
done
