#!/usr/bin/env bash
# Install alphago and everything it needs on a fresh Debian/Ubuntu-like machine with Python >= 3.10.
# CPU-only machines get the CPU build of torch (a plain `pip install torch` may pull a multi-GB CUDA build).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c "import torch" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1; then
    "$PY" -m pip install -q "torch>=2.4"
  else
    "$PY" -m pip install -q torch==2.13.0
  fi
fi
"$PY" -m pip install -q -e ".[test]"
# GNU Go is the external opponent (evaluation, arena and sanity tests). Optional on a developer's
# machine (those tests skip without it); in CI (CI=true) a missing GNU Go fails set-up.
if ! command -v gnugo >/dev/null 2>&1 && [ ! -x /usr/games/gnugo ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq gnugo) >/dev/null 2>&1 || echo "note: could not install gnugo"
fi
if [ "${CI:-}" = "true" ] && ! command -v gnugo >/dev/null 2>&1 && [ ! -x /usr/games/gnugo ]; then
  echo "CI needs GNU Go (apt-get install gnugo) for the tests that play against it" >&2
  exit 1
fi
# Chromium runs the browser test of `alphago serve` (tests/test_serve_browser.py, through Playwright's
# Python package; Playwright's own browser download is not needed). Optional on a developer's machine
# (the test skips without it); in CI a missing chromium fails set-up.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || echo "note: could not install chromium"
fi
if [ "${CI:-}" = "true" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "CI needs chromium (apt-get install chromium) for the browser test of alphago serve" >&2
  exit 1
fi
