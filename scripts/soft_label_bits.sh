#!/usr/bin/env bash
# The noise-free share of soft-label data bits (docs/accounting.md, "Soft labels: what a noise-free
# search agrees with"): each shipped net with its board's run config, and an untrained net with each
# board's horizon config (the nets the horizon runs start from). JSON per net in
# docs/results/soft_label_bits/. ~5 min per net on one core here.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/results/soft_label_bits
mkdir -p "$out" runs
for pair in 5x5:5x5 7x7_warm:7x7 7x7:7x7 9x9:9x9; do
  ck=${pair%%:*}; cf=${pair##*:}
  if [ ! -s "$out/$ck.json" ]; then
    python -m alphago.cli probe soft-bits --checkpoint "checkpoints/$ck.pt" --config "configs/$cf.yaml" \
        --games 64 --positions 1500 > "$out/$ck.json.tmp"
    mv "$out/$ck.json.tmp" "$out/$ck.json"
  fi
done
for n in 5 7 9; do
  [ -s "$out/untrained_horizon_${n}x${n}.json" ] && continue
  python -c "from alphago.experiments.horizon import cell_config; print(cell_config($n, 'visits', 0).to_json())" \
      > "runs/horizon_visits_${n}x${n}.yaml"
  python -m alphago.cli probe soft-bits --untrained --config "runs/horizon_visits_${n}x${n}.yaml" --games 64 \
      --positions 1500 > "$out/untrained_horizon_${n}x${n}.json.tmp"
  mv "$out/untrained_horizon_${n}x${n}.json.tmp" "$out/untrained_horizon_${n}x${n}.json"
done
