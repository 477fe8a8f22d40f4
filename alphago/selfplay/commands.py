"""`alphago selfplay`: self-play games to shards without Ray (argument builder and handler)."""
from __future__ import annotations

import argparse

from ..cli_common import int_in, run_config_or_exit


def _selfplay(args: argparse.Namespace) -> int:
    import torch
    from tqdm import tqdm

    import os

    from ..data.lock import RunDirLocked, lock_dir
    from ..data.store import ShardStore
    from ..net.io import CheckpointError, load_model
    from ..selfplay.worker import Worker
    cfg = run_config_or_exit(args.config, args.checkpoint)
    if args.seed is None:  # two processes must not play the same games: a fresh seed, said aloud
        args.seed = int.from_bytes(os.urandom(4), "little") % 2 ** 31
        print(f"seed {args.seed} (pass --seed {args.seed} to play these games again)")
    try:  # one writer per shard directory: shard numbers are picked once, at the start
        lock = lock_dir(args.out, what="another selfplay")
    except RunDirLocked as exc:
        raise SystemExit(f"alphago selfplay: {exc}")
    torch.manual_seed(args.seed)  # before the net is built: a random net's weights follow the seed
    worker = Worker(cfg, worker_id=args.seed, threads=args.threads)
    if args.checkpoint:
        try:
            model, meta = load_model(args.checkpoint, expect={"board_size": cfg.size,
                                                              "in_planes": cfg.features.num_planes})
        except CheckpointError as exc:
            raise SystemExit(f"alphago selfplay: {exc}")
        worker.set_weights(model.state_dict(), meta.weight_version)
    store = ShardStore(args.out)
    bar = tqdm(total=args.games, unit="game", disable=args.no_progress)
    done = 0
    while done < args.games:
        n = min(args.shard_games, args.games - done)
        games = worker.play(n)[:n]  # games ending on the same move can overshoot
        store.write(games)
        done += len(games)
        bar.update(len(games))
    bar.close()
    lock.close()
    print(f"{done} games in {store.dir}")
    return 0


def add_parser(sub) -> None:
    sp = sub.add_parser("selfplay", help="play self-play games to shards, no Ray")
    sp.add_argument("--checkpoint", help="net to play with (default: a randomly initialised net)")
    sp.add_argument("--config", help="YAML config (default: the checkpoint's)")
    sp.add_argument("--games", type=int_in(1), required=True)
    sp.add_argument("--out", required=True, help="directory for shard_*.npz")
    sp.add_argument("--shard-games", type=int_in(1), default=64, help="games per shard")
    sp.add_argument("--threads", type=int_in(1, 1024), default=1)
    sp.add_argument("--seed", type=int_in(0, 2 ** 31 - 1), default=None,
                    help="seed of the games (default: a fresh one, printed, so two runs never play the same games)")
    sp.add_argument("--no-progress", action="store_true")
    sp.set_defaults(func=_selfplay)

