"""The house's seams (../shared/DESIGN.md, Style): the engine knows nothing of search, torch or ray;
the search knows nothing of Go or torch; the Go adapter implements the search's protocols."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alphago.go import GoBatch, Rules
from alphago.go.features import FeatureConfig
from alphago.goenv import GoEnv
from alphago.mcts.types import Environment, Observation, RolloutEnvironment

ROOT = Path(__file__).resolve().parents[1]


def _imported_after(module: str) -> list[str]:
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.split()


@pytest.mark.parametrize("module, forbidden", [
    ("alphago.go", ("alphago.mcts", "alphago.goenv", "alphago.net", "torch", "ray")),
    ("alphago.mcts", ("alphago.go", "alphago.goenv", "alphago.net", "torch", "ray")),
])
def test_layer_imports_nothing_above_it(module, forbidden):
    loaded = _imported_after(module)
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden)]
    assert not bad, f"{module} pulls in {bad}"


def test_go_adapter_implements_the_search_protocols():
    env = GoEnv(GoBatch(5, 3, Rules(komi=0.5)), FeatureConfig(), "settled")
    assert isinstance(env, Environment) and isinstance(env, RolloutEnvironment)
    obs = env.observe_roots()
    assert isinstance(obs, Observation)
    assert obs.features.shape[0] == obs.legal.shape[0] == 3 and obs.legal.shape[1] == env.num_actions == 26
    assert obs.terminal.dtype == bool and obs.value.dtype == "float32"


def test_cli_parser_loads_no_heavy_dependency():
    """`alphago --help` and argument errors stay instant: each subcommand imports its modules only
    when it runs."""
    code = ("import sys; from alphago.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('torch', 'ray', 'numba', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
