"""`alphago bench train`: the learner's step against plain torch on the same net.

Workload: the Trainer's step (loss, backward, optimizer, bits accounting, metrics) on a
TrainBatch of random data of the right shapes (default: the 6x64 net on 9x9 with the
default FeatureConfig planes, batch 256), and in the same run a plain torch forward +
backward of the same net on the same batch (the same loss, nothing else: no optimizer, no
bookkeeping). Both are converted to GFLOP/s with the FLOPs torch.utils.flop_counter
counts for forward + backward (DESIGN.md section 4), so the ratio train / peak is the
share of the machine's attainable training throughput the trainer keeps (target >= 80%).

The two are measured in alternating rounds, so a load change on a shared machine hits both
alike, and summarised by their fastest round (other jobs only ever add time; the medians and
every round's time are in --json too, beside the load average before and after).
"""
from __future__ import annotations

import os
import statistics
import time

import numpy as np

from .common import emit, machine_info


def random_batch(batch: int, planes: int, size: int, seed: int = 0):
    """A TrainBatch of the right shapes and value ranges: binary planes, a normalised soft
    policy target, full-search weights, outcomes in {-1, 1}."""
    from ..data.replay import TrainBatch
    rng = np.random.default_rng(seed)
    A = size * size + 1
    features = (rng.random((batch, planes, size, size)) < 0.3).astype(np.float32)
    policy = rng.dirichlet(np.full(A, 0.3), size=batch).astype(np.float32)
    weight = np.ones(batch, np.float32)
    value = rng.choice(np.array([-1.0, 1.0], np.float32), size=batch)
    action = rng.integers(0, A, size=batch).astype(np.int64)
    return TrainBatch(features, policy, weight, value, action)


def _plain_step(model, x, policy, value):
    """Forward + backward with the trainer's loss (policy cross-entropy + value MSE), no optimizer."""
    import torch
    import torch.nn.functional as F
    logits, v = model(x)
    loss = -(policy * F.log_softmax(logits, dim=-1)).sum(-1).mean() + F.mse_loss(v, value)
    model.zero_grad(set_to_none=True)
    loss.backward()
    return loss


def measure(blocks: int, channels: int, size: int, batch: int, seconds: float, threads: int,
            warmup: int = 1, min_rounds: int = 5) -> dict:
    import torch

    from ..go.features import FeatureConfig
    from ..net.model import NetConfig, PolicyValueNet, count_flops
    from ..train.trainer import TrainConfig, Trainer

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    planes = FeatureConfig().num_planes
    model = PolicyValueNet(size, planes, NetConfig(blocks=blocks, channels=channels, value_hidden=channels))
    forward_flops = count_flops(model, planes, size)
    train_flops = count_flops(model, planes, size, backward=True)
    trainer = Trainer(model, TrainConfig(batch_size=batch), train_flops)
    data = random_batch(batch, planes, size)
    x = torch.from_numpy(data.features)
    policy = torch.from_numpy(data.policy)
    value = torch.from_numpy(data.value)

    def plain() -> None:
        model.train()
        _plain_step(model, x, policy, value)

    def train() -> None:
        trainer.step(data)

    load_before = os.getloadavg()[0]
    for _ in range(warmup):
        plain()
        train()
    times = {"train": [], "plain": []}
    t0 = time.perf_counter()
    rounds = 0
    while rounds < min_rounds or time.perf_counter() - t0 < 2 * seconds:
        for name, fn in (("train", train), ("plain", plain)) if rounds % 2 == 0 else (("plain", plain), ("train", train)):
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
        rounds += 1
    train_s, plain_s = min(times["train"]), min(times["plain"])
    train_med, plain_med = statistics.median(times["train"]), statistics.median(times["plain"])
    flops_per_step = train_flops * batch
    return {
        "blocks": blocks, "channels": channels, "size": size, "batch": batch, "planes": planes,
        "threads": threads, "rounds": rounds,
        "forward_flops_per_sample": forward_flops, "train_flops_per_sample": train_flops,
        "train_step_s": train_s, "plain_step_s": plain_s,
        "samples_per_s": batch / train_s, "plain_samples_per_s": batch / plain_s,
        "train_gflops": flops_per_step / train_s / 1e9, "peak_gflops": flops_per_step / plain_s / 1e9,
        "ratio": plain_s / train_s,
        "train_step_s_median": train_med, "plain_step_s_median": plain_med, "ratio_median": plain_med / train_med,
        "train_step_s_all": times["train"], "plain_step_s_all": times["plain"],
        "loadavg_before": load_before, "loadavg_after": os.getloadavg()[0],
    }


def main(args) -> int:
    r = measure(args.blocks, args.channels, args.size, args.batch, args.seconds, args.threads)
    result = {**r, "machine": machine_info()}
    import torch
    result["machine"]["torch"] = torch.__version__
    table = [
        (f"{args.blocks}x{args.channels} net, {args.size}x{args.size}, batch {args.batch}, {args.threads} threads",
         f"{r['planes']} planes; {r['train_flops_per_sample'] / 1e6:.1f} MFLOP/sample forward+backward"),
        ("Trainer.step", f"{r['samples_per_s']:>8.0f} samples/s {r['train_gflops']:>7.1f} GFLOP/s "
                         f"({1e3 * r['train_step_s']:.0f} ms/step, best of {len(r['train_step_s_all'])})"),
        ("plain forward+backward", f"{r['plain_samples_per_s']:>8.0f} samples/s {r['peak_gflops']:>7.1f} GFLOP/s "
                                   f"({1e3 * r['plain_step_s']:.0f} ms/step)"),
        ("ratio train / peak", f"{100 * r['ratio']:.1f}% (target >= 80%); medians: {100 * r['ratio_median']:.1f}%"),
        ("load average", f"{r['loadavg_before']:.1f} before, {r['loadavg_after']:.1f} after ({os.cpu_count()} cores)"),
        ("machine", f"{result['machine']['cpu']} ({result['machine']['cores']} cores)"),
    ]
    emit(result, args.json, table)
    return 0
