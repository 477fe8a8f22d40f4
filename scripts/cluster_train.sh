#!/usr/bin/env bash
# Run `alphago train` against the Ray cluster this machine belongs to (RAY_ADDRESS or auto).
# Usage: bash scripts/cluster_train.sh CONFIG [RUN_DIR]
# The run directory must be on storage the head node can write; workers only need the code.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:?usage: cluster_train.sh CONFIG [RUN_DIR]}
run_dir=${2:-runs/$(basename "$config" .yaml)-$(date +%Y%m%d-%H%M%S)}
alphago train --config "$config" --run-dir "$run_dir" --address "${RAY_ADDRESS:-auto}"
