"""`alphago bits-toy`: the seed example ("the sky is ___") in one command.

A one-step task: a vocabulary of V tokens, one correct answer, a softmax policy over free
logits that starts uniform (pass rate 1/V). Every arm trains the same logits with plain SGD at
the same learning rate, one sample per step:

  rl            REINFORCE with a 0/1 reward, sampling from the policy: grad = r (onehot(a) - pi)
  supervised    cross-entropy on the one-hot label:                   grad = onehot(y) - pi
  distill@T     cross-entropy on a soft teacher distribution t_T:      grad = t_T - pi
                (the teacher puts probability `teacher_pass` on the answer at T = 1 and the rest
                evenly on the others; temperature T flattens it, t_T ~ t^(1/T))

Exact and fast. All wrong tokens start equal and every update treats them alike, so the policy
stays "one logit for the answer, one shared by the other V - 1" and the state is the margin
m = l_answer - l_other (pass rate p = e^m / (e^m + V - 1)). A REINFORCE sample that fails has
reward 0 and no gradient, so between two successes nothing moves: the number of samples to the
next success is drawn from the geometric distribution with parameter p. Updates of the margin:
  success / one-hot label: dm = lr (1 - p) V / (V - 1);  soft label: dm = lr ((t - p) - (t' - p')),
with t, t' the teacher's probabilities of the answer and of one other token (p' likewise).

Bits, per sample, against the pass rate p (DESIGN.md section 4):
  offered     supervised -log2 p (the label's surprisal); distill KL(t || pi); RL the outcome's
              information, at most the binary entropy H(p) of a 0/1 reward with success rate p
  realized    the drop in the cross-entropy -log2 p(answer) that the sample caused
FLOPs per sample: 5 V for every arm (softmax forward, exp/sum/divide, and its gradient over V
logits); sampling costs RL no more than that. FLOPs are therefore proportional to samples here:
the arms differ in bits per sample, not in cost per sample.
"""
from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FLOPS_PER_TOKEN = 5


@dataclass(frozen=True)
class ToyConfig:
    vocab: int = 100_000
    lr: float = 1.0
    teacher_pass: float = 0.9             # the teacher's probability of the answer at T = 1
    temperatures: tuple[float, ...] = (0.5, 1.0, 2.0)
    seeds: int = 10
    max_samples: int = 5_000_000          # RL gives up after this many samples
    target: float = 0.5                   # pass rate that counts as "learned"


@dataclass
class Trace:
    """One arm, one seed: the pass rate after each update (as (samples, p) points)."""
    samples: list[int] = field(default_factory=list)
    pass_rate: list[float] = field(default_factory=list)
    offered: list[float] = field(default_factory=list)    # bits offered by the sample(s) of the update
    realized: list[float] = field(default_factory=list)   # bits realized by that update
    per: list[int] = field(default_factory=list)          # samples the update stands for
    to_target: int | None = None


def pass_rate(m: float, vocab: int) -> float:
    return 1.0 / (1.0 + (vocab - 1) * math.exp(-m))


def binary_entropy(p: float) -> float:
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def teacher(vocab: int, teacher_pass: float, temperature: float) -> tuple[float, float]:
    """(probability of the answer, of each other token) of the teacher at `temperature`."""
    m_t = math.log(teacher_pass * (vocab - 1) / (1 - teacher_pass))  # margin giving teacher_pass at T = 1
    t = pass_rate(m_t / temperature, vocab)
    return t, (1 - t) / (vocab - 1)


def kl_bits(t: float, t_other: float, p: float, vocab: int) -> float:
    p_other = (1 - p) / (vocab - 1)
    out = t * math.log2(t / p) if t > 0 else 0.0
    if t_other > 0:
        out += (vocab - 1) * t_other * math.log2(t_other / p_other)
    return out


def run_rl(cfg: ToyConfig, seed: int) -> Trace:
    rng = np.random.default_rng(seed)
    V, m, n, tr = cfg.vocab, 0.0, 0, Trace()  # uniform start: every logit 0, margin 0
    while n < cfg.max_samples:
        p = pass_rate(m, V)
        wait = int(rng.geometric(p))          # samples up to and including the next success
        n += wait
        before = -math.log2(p)
        m += cfg.lr * (1 - p) * V / (V - 1)
        after = -math.log2(pass_rate(m, V))
        tr.samples.append(n)
        tr.pass_rate.append(pass_rate(m, V))
        tr.offered.append(binary_entropy(p))  # per sample: the outcome's information bound
        tr.realized.append((before - after) / wait)
        tr.per.append(wait)
        if tr.to_target is None and pass_rate(m, V) >= cfg.target:
            tr.to_target = n
            break
    return tr


def run_soft(cfg: ToyConfig, t: float, t_other: float) -> Trace:
    """Supervised (t = 1, t_other = 0) or distillation on a fixed soft label, one sample per update."""
    V, m, n, tr = cfg.vocab, 0.0, 0, Trace()
    limit = 100_000
    while n < limit:
        p = pass_rate(m, V)
        n += 1
        before = -math.log2(p)
        offered = kl_bits(t, t_other, p, V)
        m += cfg.lr * ((t - p) - (t_other - (1 - p) / (V - 1)))
        p2 = pass_rate(m, V)
        tr.samples.append(n)
        tr.pass_rate.append(p2)
        tr.offered.append(offered)
        tr.realized.append(before + math.log2(p2))
        tr.per.append(1)
        if tr.to_target is None and p2 >= cfg.target:
            tr.to_target = n
            break
        if abs(p2 - p) < 1e-12:                # converged below the target (a teacher that is too soft)
            break
    return tr


def run_all(cfg: ToyConfig) -> dict:
    flops = FLOPS_PER_TOKEN * cfg.vocab
    arms: dict[str, list[Trace]] = {"rl": [run_rl(cfg, s) for s in range(cfg.seeds)],
                                    "supervised": [run_soft(cfg, 1.0, 0.0)]}
    for T in cfg.temperatures:
        t, t_o = teacher(cfg.vocab, cfg.teacher_pass, T)
        arms[f"distill@T={T:g}"] = [run_soft(cfg, t, t_o)]
    summary = {"vocab": cfg.vocab, "lr": cfg.lr, "seeds_rl": cfg.seeds, "flops_per_sample": flops,
               "target_pass_rate": cfg.target, "arms": {}}
    for name, traces in arms.items():
        hits = [tr.to_target for tr in traces if tr.to_target is not None]
        row = {"runs": len(traces), "reached": len(hits),
               "samples_to_half_mean": float(np.mean(hits)) if hits else None,
               "samples_to_half_sd": float(np.std(hits)) if len(hits) > 1 else 0.0 if hits else None,
               "final_pass_rate": float(np.mean([tr.pass_rate[-1] for tr in traces]))}
        row["flops_to_half_mean"] = row["samples_to_half_mean"] * flops if hits else None
        # bits per sample at the start (p = 1/V): offered and realized
        row["bits_offered_first_sample"] = traces[0].offered[0]
        row["bits_realized_per_sample_first_update"] = traces[0].realized[0]
        summary["arms"][name] = row
    summary["rl_bits_by_pass_rate"] = rl_bits_by_pass_rate(arms["rl"], cfg.vocab)
    summary["rl_below_entropy_bound"] = all(b["realized_bits_per_sample"] <= b["h_p_bits_per_sample"]
                                            for b in summary["rl_bits_by_pass_rate"])
    summary["rl_samples_to_half"] = summary["arms"]["rl"]["samples_to_half_mean"]
    summary["supervised_samples_to_half"] = summary["arms"]["supervised"]["samples_to_half_mean"]
    return {"summary": summary, "traces": arms}


def rl_bits_by_pass_rate(traces: list[Trace], vocab: int) -> list[dict]:
    """RL's realized bits per sample averaged over every sample spent at pass rates within each
    decade (total bits realized / samples drawn there), next to H(p) over the same samples."""
    edges = 10.0 ** np.arange(math.floor(math.log10(1.0 / vocab)), 1)
    sums = np.zeros(len(edges) - 1)
    counts = np.zeros(len(edges) - 1)
    bound = np.zeros(len(edges) - 1)
    for tr in traces:
        ps = [1.0 / vocab] + tr.pass_rate[:-1]
        for p, r, w in zip(ps, tr.realized, tr.per):
            i = min(max(int(np.searchsorted(edges, p, side="right")) - 1, 0), len(sums) - 1)
            sums[i] += r * w
            counts[i] += w
            bound[i] += binary_entropy(p) * w
    return [{"p_lo": float(edges[i]), "p_hi": float(edges[i + 1]), "samples": int(counts[i]),
             "realized_bits_per_sample": float(sums[i] / counts[i]), "h_p_bits_per_sample": float(bound[i] / counts[i])}
            for i in range(len(sums)) if counts[i] > 0]


def plot(result: dict, out_dir: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    traces, s = result["traces"], result["summary"]
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = {name: ("C0" if name == "rl" else "k" if name == "supervised" else f"C{j + 1}")
               for j, name in enumerate(traces)}
    for name, trs in traces.items():
        for i, tr in enumerate(trs):
            x = np.array([0] + tr.samples, float)
            y = np.array([1.0 / s["vocab"]] + tr.pass_rate)
            kw = {"label": name if i == 0 else None, "alpha": 0.35 if name == "rl" else 1.0,
                  "color": colours[name], "drawstyle": "steps-post",
                  "lw": 3 if name == "supervised" else 1.5, "zorder": 1 if name == "supervised" else 2}
            axes[0].plot(np.maximum(x, 1), y, **kw)
            axes[1].plot(np.maximum(x, 1) * s["flops_per_sample"], y, **kw)
    for ax, xl in zip(axes, ("samples", "FLOPs")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.axhline(s["target_pass_rate"], color="grey", lw=0.8, ls=":")
        ax.set_xlabel(xl)
        ax.set_ylabel("pass rate p(answer)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    axes[0].set_title(f"V = {s['vocab']:,}: pass rate vs samples")
    axes[1].set_title("pass rate vs FLOPs (5 V per sample)")
    fig.tight_layout()
    p = out_dir / "pass_rate.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    paths.append(p)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    grid = np.logspace(-math.log10(s["vocab"]), math.log10(0.99), 200)
    ax.plot(grid, [binary_entropy(q) for q in grid], "k--", lw=1, label="H(p): bound on a 0/1 reward's bits")
    ax.plot(grid, -np.log2(grid), "k:", lw=1, label="-log2 p: a one-hot label's bits")
    bins = s["rl_bits_by_pass_rate"]
    centers = [math.sqrt(b["p_lo"] * b["p_hi"]) for b in bins]
    ax.plot(centers, [b["realized_bits_per_sample"] for b in bins], "s-", color="C0",
            label="RL: realized bits per sample (mean per decade of p)")
    sup = traces["supervised"][0]
    ps_s = np.array([1.0 / s["vocab"]] + sup.pass_rate[:-1])
    ax.plot(ps_s, sup.realized, "o-", ms=3, color="C1", label="supervised: realized bits per sample")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-7, 40)
    ax.set_xlabel("pass rate p before the sample")
    ax.set_ylabel("bits per sample")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("bits per sample vs pass rate")
    fig.tight_layout()
    p = out_dir / "bits_per_sample.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    paths.append(p)
    return paths


def report(result: dict, out_dir: Path, command: str) -> Path:
    s = result["summary"]
    lines = [f"# bits-toy: \"the sky is ___\" with V = {s['vocab']:,}", "",
             f"Command: `{command}` (a few seconds of CPU; exact, see alphago/experiments/toy_bits.py).", "",
             f"Plain SGD on the logits, learning rate {s['lr']:g}, one sample per step, uniform start "
             f"(pass rate 1/V = {1 / s['vocab']:.0e}). RL: {s['seeds_rl']} seeds. FLOPs = {s['flops_per_sample']:,} "
             "per sample for every arm.", "",
             "| arm | reached 50% | samples to 50% (mean +- sd) | FLOPs to 50% | bits offered by the first sample | "
             "bits realized by the first update, per sample | final pass rate |",
             "|---|---|---|---|---|---|---|"]
    for name, r in s["arms"].items():
        st = "never" if r["samples_to_half_mean"] is None else f"{r['samples_to_half_mean']:,.0f} +- {r['samples_to_half_sd']:,.0f}"
        fl = "-" if r["flops_to_half_mean"] is None else f"{r['flops_to_half_mean']:.2e}"
        lines.append(f"| {name} | {r['reached']}/{r['runs']} | {st} | {fl} | {r['bits_offered_first_sample']:.3g} | "
                     f"{r['bits_realized_per_sample_first_update']:.3g} | {r['final_pass_rate']:.3f} |")
    ratio = s["rl_samples_to_half"] / s["supervised_samples_to_half"] if s["rl_samples_to_half"] else float("nan")
    lines += ["", f"RL needs {ratio:,.0f}x the samples (and FLOPs) of supervised learning to reach a 50% pass rate.",
              "", "RL's realized bits per sample, averaged over all samples drawn while the pass rate was in each "
              "decade, against the most a 0/1 reward can carry there, H(p) averaged over the same samples:", "",
              "| pass rate | samples (all seeds) | realized bits / sample | H(p) bits / sample |", "|---|---|---|---|"]
    for b in s["rl_bits_by_pass_rate"]:
        lines.append(f"| {b['p_lo']:.0e} .. {b['p_hi']:.0e} | {b['samples']:,} | {b['realized_bits_per_sample']:.2e} | "
                     f"{b['h_p_bits_per_sample']:.2e} |")
    lines += ["", ("RL stays below the binary entropy of its pass rate in every decade."
                   if s["rl_below_entropy_bound"] else
                   "RL exceeds H(p) in at least one decade above (a few lucky samples: see the counts)."),
              f"At a pass rate of 1e-5 a 0/1 reward carries at most H(1e-5) = {binary_entropy(1e-5):.1e} bits per "
              f"sample, while the one-hot label carries -log2(1e-5) = {-math.log2(1e-5):.1f} bits (offered; plain SGD "
              f"at this learning rate realizes {s['arms']['supervised']['bits_realized_per_sample_first_update']:.2f} "
              "of them in its first step). A soft teacher gives the student "
              "its own distribution: a teacher whose probability of the answer stays below 50% at temperature T "
              "can never bring the student there ('never' above), and a softer label offers fewer bits than the "
              "one-hot label in this task, whose wrong answers are all alike (no dark knowledge to pass on).", "",
              "![pass rate](pass_rate.png)", "", "![bits per sample](bits_per_sample.png)", ""]
    p = out_dir / "report.md"
    p.write_text("\n".join(lines))
    return p


def main(args: argparse.Namespace) -> int:
    cfg = ToyConfig(vocab=args.vocab, lr=args.lr, seeds=args.seeds, teacher_pass=args.teacher_pass,
                    temperatures=tuple(args.temperatures))
    result = run_all(cfg)
    if args.out:
        out = Path(args.out)
        plot(result, out)
        report(result, out, "alphago bits-toy" + (f" --out {args.out}" if args.out else ""))
        (out / "summary.json").write_text(json.dumps(result["summary"], indent=1))
    if args.json:
        print(json.dumps(result["summary"]))
    else:
        for name, r in result["summary"]["arms"].items():
            st = "never" if r["samples_to_half_mean"] is None else f"{r['samples_to_half_mean']:,.0f}"
            print(f"{name:>16}: samples to 50% {st:>12}; first sample offers {r['bits_offered_first_sample']:.3g} bits")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("bits-toy", help='the "sky is ___" bandit: RL vs supervised vs distillation, bits per sample')
    p.add_argument("--vocab", type=int, default=100_000)
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--teacher-pass", type=float, default=0.9)
    p.add_argument("--temperatures", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    p.add_argument("--out", default="docs/results/bits-toy", help="report and plots here ('' = none)")
    p.add_argument("--json", action="store_true", help="print one JSON object (the summary)")
    p.set_defaults(func=main)
