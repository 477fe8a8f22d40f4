"""Helpers shared by the subcommands' handlers (*/commands.py)."""
from __future__ import annotations


def run_config_or_exit(path, checkpoint=None):
    """The run config from the YAML file `path`, else the one stored in `checkpoint`; a clear exit
    (naming the problem) instead of a traceback when neither gives a valid one."""
    from .config import ConfigError, load_run_config
    try:
        return load_run_config(path, checkpoint)
    except ConfigError as exc:
        raise SystemExit(f"bad config: {exc}")
