"""`alphago bench train`: the learner's step against plain torch on the same net.

Three workloads on the same net (default: the 6x64 net on 9x9 with the default FeatureConfig
planes, batch 256):
  plain torch   forward + backward with the trainer's loss on a fixed batch: nothing else (no
                optimizer, no bookkeeping). Eager torch on this machine, NOT a hardware peak:
                `plain_torch_gflops`.
  Trainer.step  loss, backward, optimizer, bits accounting on the same fixed batch:
                `train_gflops`, and `ratio` = its share of plain torch (target >= 80%).
  learner step  what a training step of a run costs: a batch drawn from a full replay buffer
                (uniform indices, uint8 planes to float, policy targets, a random board symmetry
                per sample) + Trainer.step + the metrics line written (metrics.jsonl and
                TensorBoard): `learner_samples_per_s`, `learner_gflops`.
All are converted to GFLOP/s with the FLOPs torch.utils.flop_counter counts for forward +
backward (DESIGN.md section 4).

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


def full_replay_buffer(size: int, features, window: int, seed: int = 0):
    """A replay buffer filled to `window` with random positions of the right shapes and ranges
    (binary planes, visit counts of 64-simulation searches, full searches, outcomes +-1): what
    sampling costs does not depend on what the positions are."""
    from ..data.replay import ReplayBuffer
    rng = np.random.default_rng(seed)
    rb = ReplayBuffer(size, features, window, seed=seed)
    A = size * size + 1
    rb.planes[:] = rng.random(rb.planes.shape) < 0.3
    rb.moves["visits"][:] = rng.multinomial(64, np.full(A, 1.0 / A), size=window)
    rb.moves["actions"][:] = rb.moves["visits"].argmax(1)
    rb.moves["full_search"][:] = True
    rb.outcome[:] = rng.choice([-1.0, 1.0], size=window)
    rb.count = window
    return rb


def _plain_step(model, x, policy, value):
    """Forward + backward with the trainer's loss (policy cross-entropy + value MSE), no optimizer."""
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

    import tempfile

    from ..train.metrics import MetricsWriter
    rb = full_replay_buffer(size, FeatureConfig(), window=max(4 * batch, 20_000))
    tmp = tempfile.TemporaryDirectory()
    metrics = MetricsWriter(tmp.name)

    def learner() -> None:
        m = trainer.step(rb.sample(batch, "visits"))
        metrics.write(m)

    load_before = os.getloadavg()[0]
    for _ in range(warmup):
        plain()
        train()
        learner()
    times = {"train": [], "plain": [], "learner": []}
    work = [("train", train), ("plain", plain), ("learner", learner)]
    t0 = time.perf_counter()
    rounds = 0
    while rounds < min_rounds or time.perf_counter() - t0 < 3 * seconds:
        for name, fn in work[rounds % 3:] + work[:rounds % 3]:  # rotate the order every round
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
        rounds += 1
    metrics.close()
    tmp.cleanup()
    train_s, plain_s, learner_s = min(times["train"]), min(times["plain"]), min(times["learner"])
    train_med, plain_med = statistics.median(times["train"]), statistics.median(times["plain"])
    flops_per_step = train_flops * batch
    return {
        "blocks": blocks, "channels": channels, "size": size, "batch": batch, "planes": planes,
        "threads": threads, "rounds": rounds,
        "forward_flops_per_sample": forward_flops, "train_flops_per_sample": train_flops,
        "train_step_s": train_s, "plain_step_s": plain_s,
        "samples_per_s": batch / train_s, "plain_samples_per_s": batch / plain_s,
        "train_gflops": flops_per_step / train_s / 1e9, "plain_torch_gflops": flops_per_step / plain_s / 1e9,
        "ratio": plain_s / train_s,
        "learner_step_s": learner_s, "learner_samples_per_s": batch / learner_s,
        "learner_gflops": flops_per_step / learner_s / 1e9, "learner_ratio": plain_s / learner_s,
        "learner_step_s_all": times["learner"],
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
        ("plain torch forward+backward", f"{r['plain_samples_per_s']:>8.0f} samples/s "
                                         f"{r['plain_torch_gflops']:>7.1f} GFLOP/s ({1e3 * r['plain_step_s']:.0f} ms/step)"),
        ("ratio Trainer / plain", f"{100 * r['ratio']:.1f}% (target >= 80%); medians: {100 * r['ratio_median']:.1f}%"),
        ("learner step (replay+symmetries+metrics)", f"{r['learner_samples_per_s']:>8.0f} samples/s "
                                                     f"{r['learner_gflops']:>7.1f} GFLOP/s "
                                                     f"({100 * r['learner_ratio']:.1f}% of plain torch)"),
        ("load average", f"{r['loadavg_before']:.1f} before, {r['loadavg_after']:.1f} after ({os.cpu_count()} cores)"),
        ("machine", f"{result['machine']['cpu']} ({result['machine']['cores']} cores)"),
    ]
    emit(result, args.json, table)
    return 0
