"""How much of a soft label's data bits a noise-free search agrees with (docs/accounting.md).

The data ledger counts a visit-distribution label at KL(t || p) bits: t the root visits of the
self-play search, p the playing net's prior. In self-play that search has Dirichlet noise in its
root prior and, with few simulations, piles visits on a few moves: some of the KL is what the search
found, some is noise and sharpening that a better search would not repeat. This measures both on a
sample of positions: the net plays self-play games with the run's own settings, and every
full-search position is searched again with the same number of simulations, without root noise and
without a reused tree (selfplay/reanalyse.Reanalyser's target search). Per label:

    counted     KL(t_noisy || p)   the bits the ledger counted
    noise_free  KL(t_clean || p)   the bits a noise-free search gives (the headline figure)
    added       counted - noise_free
    tv          total variation between t_noisy and t_clean; top1_agree: same most-visited move

`alphago probe soft-bits --checkpoint C [--config CFG] --games G` prints them as JSON.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def measure(cfg, model, games: int = 16, max_positions: int = 2000, seed: int = 0) -> dict:
    """The module doc's figures for `model` playing with run config `cfg`."""
    from ..mcts.targets import policy_target
    from ..net.evaluator import TorchEvaluator
    from ..selfplay.loop import SelfPlay
    from ..selfplay.reanalyse import position_refs, reanalyser_for
    from ..train.bits import kl_bits_np
    ev = TorchEvaluator(model, threads=1)
    sp = SelfPlay(cfg.size, cfg.rules, cfg.features, cfg.search, cfg.selfplay, seed=seed)
    recs = sp.play(ev, games)[:games]
    positions = [(g, t) for g in recs for t in np.flatnonzero(g.full_search)]
    if not positions:
        raise ValueError("no full-search positions in these games (selfplay settings?)")
    rng = np.random.default_rng(seed)
    if len(positions) > max_positions:
        positions = [positions[i] for i in sorted(rng.choice(len(positions), max_positions, replace=False))]
    noisy = np.stack([policy_target("visits", g.visits[t], np.int64(0)) for g, t in positions])
    prior = np.stack([g.prior[t] for g, t in positions]).astype(np.float64)
    clean_run = reanalyser_for(cfg, seed=seed).run(position_refs(positions), ev)
    clean = policy_target("visits", clean_run.visits, np.zeros(len(positions), np.int64))
    counted = kl_bits_np(noisy, prior)
    noise_free = kl_bits_np(clean, clean_run.prior)
    return {"positions": len(positions), "games": len(recs), "simulations": cfg.search.num_simulations,
            "dirichlet_fraction": cfg.search.dirichlet_fraction, "reuse_tree": cfg.search.reuse_tree,
            "counted_bits_per_label": float(counted.mean()), "noise_free_bits_per_label": float(noise_free.mean()),
            "added_bits_per_label": float(counted.mean() - noise_free.mean()),
            "noise_free_fraction": float(noise_free.mean() / max(counted.mean(), 1e-12)),
            "tv": float(0.5 * np.abs(noisy - clean).sum(-1).mean()),
            "top1_agree": float((noisy.argmax(-1) == clean.argmax(-1)).mean()),
            "prior_matches": float(np.abs(prior - clean_run.prior).max())}


def main(args: argparse.Namespace) -> int:
    from ..config import ConfigError, config_from_dict, load_config
    from ..net.io import CheckpointError, load_model
    try:
        if args.untrained:  # a freshly initialised net of the config: what a run from zero starts with
            if not args.config:
                raise ConfigError("--untrained needs --config (the net to initialise)")
            import torch

            from ..net.model import PolicyValueNet
            cfg = load_config(args.config)
            torch.manual_seed(args.seed)
            model = PolicyValueNet(cfg.size, cfg.features.num_planes, cfg.net)
            out = measure(cfg, model, games=args.games, max_positions=args.positions, seed=args.seed)
            print(json.dumps({"checkpoint": None, "untrained": True, "config": args.config, **out}, indent=1))
            return 0
        if not args.checkpoint:
            raise ConfigError("give --checkpoint, or --untrained with --config")
        model, meta = load_model(args.checkpoint)
        if args.config:
            cfg = load_config(args.config)
        elif meta.run_config is not None:
            cfg = config_from_dict(meta.run_config)
        else:
            raise ConfigError(f"{args.checkpoint} stores no run config: pass --config")
        if cfg.size != meta.board_size:
            raise ConfigError(f"--config is for {cfg.size}x{cfg.size}, the net for {meta.board_size}x{meta.board_size}")
        out = measure(cfg, model, games=args.games, max_positions=args.positions, seed=args.seed)
    except (ConfigError, CheckpointError, ValueError, FileNotFoundError) as exc:
        print(f"alphago probe soft-bits: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"checkpoint": args.checkpoint, **out}, indent=1))
    return 0


def add_parser(ps) -> None:
    s = ps.add_parser("soft-bits", help="the part of a soft label's data bits a noise-free search agrees with")
    s.add_argument("--checkpoint", help="the net that plays and searches")
    s.add_argument("--untrained", action="store_true", help="a freshly initialised net of --config instead")
    s.add_argument("--config", help="the run config whose search and self-play settings to use (default: the "
                                    "checkpoint's own)")
    s.add_argument("--games", type=int, default=16, help="self-play games to sample positions from")
    s.add_argument("--positions", type=int, default=2000, help="at most this many full-search positions")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=main)
