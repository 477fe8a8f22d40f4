#!/usr/bin/env bash
# Install, then run the test suite (slow tests are skipped; add --runslow to include them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 -m pytest -q --durations=30 "$@"   # the slowest tests listed: the suite should stay under ~15 minutes
