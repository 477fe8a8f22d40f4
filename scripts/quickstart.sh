#!/usr/bin/env bash
# Install, then run the main job. Until `alphago train` lands (issue 5) the main job is the
# engine benchmark against OpenSpiel on 9x9.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
alphago bench engine --size 9
