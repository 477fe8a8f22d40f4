#!/usr/bin/env bash
# Install, then run the main job: self-play training of a tiny 5x5 net on an embedded local
# Ray, with a progress bar, writing checkpoints to runs/quickstart-<time>/checkpoints.
# Pass another config to train something bigger: bash scripts/quickstart.sh configs/5x5.yaml
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
config=${1:-configs/tiny.yaml}
alphago train --config "$config" --run-dir "runs/quickstart-$(date +%Y%m%d-%H%M%S)"
