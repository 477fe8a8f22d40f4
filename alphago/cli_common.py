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


def int_in(lo: int, hi: int | None = None):
    """An argparse type: an integer in [lo, hi] (hi None: no upper bound); anything else is a
    one-line usage error naming the allowed range, never a traceback later."""
    import argparse

    def parse(text: str) -> int:
        allowed = f"an integer from {lo} to {hi}" if hi is not None else f"an integer >= {lo}"
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text}")
        return value
    parse.__name__ = "integer"
    return parse


def finite_float(lo: float | None = None, hi: float | None = None):
    """An argparse type: a finite number in [lo, hi] (None: unbounded on that side)."""
    import argparse
    import math

    def parse(text: str) -> float:
        bounds = "".join([f" >= {lo:g}" if lo is not None else "", " and" if lo is not None and hi is not None else "",
                          f" <= {hi:g}" if hi is not None else ""])
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"must be a finite number{bounds}, got {text!r}")
        return value
    parse.__name__ = "number"
    return parse
