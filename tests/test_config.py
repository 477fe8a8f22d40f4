"""Configuration: every shipped YAML loads; bad keys, types and values are errors naming the key;
the orchestrator refuses impossible resources and unreachable clusters before starting Ray."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from alphago.run import resources
from alphago.config import Config, ConfigError, config_from_dict, load_config

ROOT = Path(__file__).resolve().parents[1]
# run configs: everything under configs/ except cluster/ (Ray cluster-launcher files) and ablation/
# (experiment specs, loaded and checked by tests/test_ablation_spec.py)
CONFIGS = sorted(p for p in (ROOT / "configs").rglob("*.yaml")
                 if p.relative_to(ROOT / "configs").parts[0] not in ("cluster", "ablation"))
TINY = yaml.safe_load((ROOT / "configs" / "tiny.yaml").read_text())


def _with(**sections) -> dict:
    """tiny.yaml with some sections' keys replaced."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in TINY.items()}
    for section, values in sections.items():
        if isinstance(values, dict):
            data[section] = {**data.get(section, {}), **values}
        else:
            data[section] = values
    return data


def _error(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    return str(info.value)


@pytest.mark.parametrize("path", CONFIGS, ids=[str(p.relative_to(ROOT / "configs")) for p in CONFIGS])
def test_every_shipped_config_loads(path):
    cfg = load_config(path)
    assert isinstance(cfg, Config)
    raw = yaml.safe_load(path.read_text())
    assert cfg.size == raw.get("size", 9)
    # a config survives a round trip through its dict (what the learner writes as config.yaml)
    assert config_from_dict(cfg.to_dict()) == cfg


def test_shipped_configs_exist():
    names = {p.name for p in CONFIGS}
    assert {"tiny.yaml", "5x5.yaml", "7x7.yaml", "9x9.yaml"} <= names


def test_tiny_config_values():
    cfg = load_config(ROOT / "configs" / "tiny.yaml")
    assert cfg.size == 5 and cfg.features.history == 2 and cfg.search.num_simulations == 16
    assert cfg.net.blocks == 2 and cfg.net.channels == 16
    assert cfg.run.total_games == 48 and cfg.train.target == "visits"


@pytest.mark.parametrize("data,key", [
    (_with(search={"num_simulation": 16}), "search.num_simulation"),
    (_with(train={"targt": "visits"}), "train.targt"),
    (_with(run={"total_game": 3}), "run.total_game"),
    ({**TINY, "sise": 9}, "sise"),
])
def test_unknown_key_is_named(data, key):
    msg = _error(data)
    assert "unknown config key" in msg and key in msg


def test_unknown_key_lists_the_allowed_ones():
    msg = _error(_with(search={"num_simulation": 16}))
    assert "num_simulations" in msg.split("allowed", 1)[1]


@pytest.mark.parametrize("data,key", [
    (_with(search={"num_simulations": "many"}), "search.num_simulations"),
    (_with(search={"num_simulations": 16.5}), "search.num_simulations"),
    (_with(search={"num_simulations": True}), "search.num_simulations"),
    (_with(train={"lr": "fast"}), "train.lr"),
    (_with(net={"global_pool": "yes"}), "net.global_pool"),
    (_with(rules={"komi": [7.5]}), "rules.komi"),
    (_with(train={"lr_steps": 100}), "train.lr_steps"),
    (_with(size="9x9"), "size"),
    (_with(search=[1, 2]), "search"),
])
def test_wrong_type_is_named(data, key):
    assert key in _error(data)


@pytest.mark.parametrize("data,key", [
    (_with(search={"num_simulations": 0}), "search.num_simulations"),
    (_with(search={"dirichlet_fraction": 1.5}), "search.dirichlet_fraction"),
    (_with(search={"kind": "alphabeta"}), "search.kind"),
    (_with(net={"channels": 0}), "net.channels"),
    (_with(train={"batch_size": 0}), "train.batch_size"),
    (_with(train={"lr": -0.1}), "train.lr"),
    (_with(rules={"ko": "japanese"}), "rules.ko"),
    (_with(selfplay={"batch_games": 0}), "selfplay.batch_games"),
    (_with(run={"workers": 0}), "run.workers"),
    (_with(run={"schedule": "sometimes"}), "run.schedule"),
    (_with(features={"history": 0}), "features.history"),
    (_with(size=1), "size"),
])
def test_impossible_value_is_named(data, key):
    assert key in _error(data)


def test_bad_target_names_the_allowed_values():
    msg = _error(_with(train={"target": "vists"}))
    assert "train.target" in msg and "'vists'" in msg
    for kind in ("visits", "pruned", "gumbel", "action", "argmax", "reinforce"):
        assert kind in msg


@pytest.mark.parametrize("search, target, keys", [
    ({"kind": "puct"}, "gumbel", ("train.target: gumbel", "search.kind: gumbel", "search.kind: puct")),
    ({"kind": "puct", "forced_playouts": False}, "pruned", ("train.target: pruned", "search.forced_playouts")),
])
def test_target_the_search_cannot_produce_is_an_error(search, target, keys):
    """A soft target that would silently be another one fails at load, naming both keys."""
    msg = _error(_with(search=search, train={"target": target}))
    for k in keys:
        assert k in msg


def test_every_target_has_a_search_that_produces_it():
    from alphago.config import config_from_dict
    from alphago.mcts.targets import TARGETS
    ok = {"visits": {}, "pruned": {"forced_playouts": True}, "gumbel": {"kind": "gumbel"},
          "action": {}, "argmax": {}, "reinforce": {"kind": "gumbel"}}
    assert set(ok) == set(TARGETS)
    for kind, search in ok.items():
        cfg = config_from_dict(_with(search=search, train={"target": kind}))
        assert cfg.train.target == kind and TARGETS[kind].soft == (kind in ("visits", "pruned", "gumbel"))


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("size: [5\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_overrides_are_checked_too():
    with pytest.raises(ConfigError, match="train.batch_size"):
        load_config(ROOT / "configs" / "tiny.yaml", overrides={"train": {"batch_size": -4}})
    cfg = load_config(ROOT / "configs" / "tiny.yaml", overrides={"train": {"batch_size": 32}})
    assert cfg.train.batch_size == 32 and cfg.train.lr == TINY["train"]["lr"]


def test_check_resources_refuses_more_workers_than_cpus():
    cpus = os.cpu_count() or 1
    cfg = config_from_dict(_with(run={"workers": cpus + 1, "worker_cpus": 1}))
    with pytest.raises(ConfigError) as info:
        resources.check_resources(cfg, address=None)
    msg = str(info.value)
    assert "run.workers" in msg and str(cpus) in msg
    # fitting runs pass; a cluster address defers the check to Ray
    resources.check_resources(config_from_dict(_with(run={"workers": 1, "worker_cpus": 1})), address=None)
    resources.check_resources(cfg, address="10.0.0.1:6379")


def test_check_resources_counts_the_async_learner():
    cpus = os.cpu_count() or 1
    cfg = config_from_dict(_with(run={"schedule": "async", "workers": cpus, "worker_cpus": 1,
                                      "learner_cpus": 1}))
    with pytest.raises(ConfigError, match="run.learner_cpus"):
        resources.check_resources(cfg, address=None)


def test_unreachable_address_fails_within_seconds():
    t = time.monotonic()
    with pytest.raises(ConnectionError, match="127.0.0.1:1"):
        resources.check_address("127.0.0.1:1")
    assert time.monotonic() - t < 5.0
    resources.check_address("auto")  # resolved by Ray itself, not probed


def test_loading_a_config_imports_neither_torch_nor_ray():
    """Configs are plain data: a tool that only reads or checks them should not pay for torch."""
    import subprocess
    import sys
    code = ("import sys; from alphago.config import load_config; load_config('configs/7x7.yaml'); "
            "print(sorted(m for m in ('torch', 'ray') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_ownership_weight_needs_the_head():
    with pytest.raises(ConfigError, match="net.ownership_head"):
        config_from_dict(_with(train={"ownership_weight": 1.5}))
    cfg = config_from_dict(_with(train={"ownership_weight": 1.5}, net={"ownership_head": True}))
    assert cfg.net.ownership_head and cfg.train.ownership_weight == 1.5
    with pytest.raises(ConfigError, match="net.soft_policy_head"):
        config_from_dict(_with(train={"soft_policy_weight": 1.0}))
    with pytest.raises(ConfigError, match="net.score_head"):
        config_from_dict(_with(train={"score_weight": 0.05}))
    with pytest.raises(ConfigError, match="net.score_head"):
        config_from_dict(_with(selfplay={"score_utility": 0.2}))
    with pytest.raises(ConfigError, match="selfplay.score_utility"):
        config_from_dict(_with(selfplay={"score_utility": 1.5}, net={"score_head": True}))
    cfg = config_from_dict(_with(train={"score_weight": 0.05}, selfplay={"score_utility": 0.2}, net={"score_head": True}))
    assert cfg.net.score_head and cfg.train.score_weight == 0.05
    with pytest.raises(ConfigError, match="soft_policy_temperature"):
        config_from_dict(_with(train={"soft_policy_temperature": 0.5}))


def test_run_workers_auto_is_sized_from_the_cluster():
    from alphago.config import RunConfig
    from alphago.run.resources import workers_for
    assert workers_for(RunConfig(workers="auto", worker_cpus=1.0), 8.0) == 8
    assert workers_for(RunConfig(workers="auto", worker_cpus=2.0, schedule="async", learner_cpus=2.0), 8.0) == 3
    assert workers_for(RunConfig(workers="auto", worker_cpus=4.0), 2.0) == 1      # at least one
    assert workers_for(RunConfig(workers=3), 64.0) == 3                           # a number is kept
    with pytest.raises(ValueError, match='run.workers must be an integer >= 1 or "auto"'):
        RunConfig(workers="many")
    with pytest.raises(ValueError, match="run.workers must be an integer >= 1"):
        RunConfig(workers=0)
