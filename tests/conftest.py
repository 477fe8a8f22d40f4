"""`--runslow` enables tests marked `slow` (declared in pyproject.toml); they are skipped otherwise.
The GTP tests' engine fixtures (`player`, `engine`) live in gtp_kit.py, the training tests' (`net_games`,
`one_torch_thread`) in training_kit.py, the failure-path tests' (`uniform_games`) in failure_kit.py, all
loaded here as plugins."""
import pytest

pytest_plugins = ("gtp_kit", "training_kit", "failure_kit")


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def require(available: bool, what: str, install: str) -> None:
    """Skip a test whose oracle or opponent is missing on a developer's machine, but fail it in
    CI (CI=true): a CI run where the oracles quietly vanished must not pass."""
    import os
    if available:
        return
    message = f"{what} is not installed ({install})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}: CI needs it; scripts/setup.sh installs it")
    pytest.skip(message, allow_module_level=True)
