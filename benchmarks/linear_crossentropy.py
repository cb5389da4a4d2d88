"""Fused linear + crossentropy (``lk.linear_crossentropy``) against PyTorch, forward and backward.

    python benchmarks/linear_crossentropy.py                     # N=4096, H=1024, V=65536, float32, CPU
    python benchmarks/linear_crossentropy.py --tokens 1024 --repeats 3

Each method runs in a fresh process (so peak memory is its own): it makes the inputs, records
its resident set size, then times ``loss = f(hidden, weight, labels); loss.backward()`` (median of
``--repeats`` after one warm-up) and reports the peak resident set size above the inputs. Methods:
losskit (chunked, autograd), ``F.linear`` + ``F.cross_entropy`` (the full N x V logits), and torch
2.13's ``F.linear_cross_entropy`` with its default options. Writes ``linear_crossentropy.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

METHODS = ("losskit", "linear + cross_entropy", "F.linear_cross_entropy")


def run_one(method: str, tokens: int, hidden_size: int, vocabulary: int, repeats: int) -> dict:
    import torch
    import torch.nn.functional as F

    import losskit as lk

    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(0)
    hidden = (torch.randn(tokens, hidden_size, generator=g) / hidden_size**0.5).requires_grad_()
    weight = torch.randn(vocabulary, hidden_size, generator=g).requires_grad_()
    labels = torch.randint(0, vocabulary, (tokens,), generator=g)
    functions = {
        "losskit": lambda: lk.linear_crossentropy(hidden, weight, labels),
        "linear + cross_entropy": lambda: F.cross_entropy(F.linear(hidden, weight), labels),
        "F.linear_cross_entropy": lambda: F.linear_cross_entropy(hidden, weight, labels),
    }
    fn = functions[method]
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    samples = []
    for i in range(repeats + 1):
        hidden.grad = weight.grad = None
        start = time.perf_counter()
        loss = fn()
        loss.backward()
        if i:
            samples.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": statistics.median(samples), "peak_extra_mib": (peak - base) / 1024, "loss": float(loss)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=4096)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--vocabulary", type=int, default=65536)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--method", choices=METHODS, help=argparse.SUPPRESS)  # one method, in a child process
    args = parser.parse_args()
    if args.method:
        print(json.dumps(run_one(args.method, args.tokens, args.hidden, args.vocabulary, args.repeats)))
        return
    results = {}
    for method in METHODS:
        cmd = [sys.executable, __file__, "--method", method, "--tokens", str(args.tokens), "--hidden", str(args.hidden),
               "--vocabulary", str(args.vocabulary), "--repeats", str(args.repeats)]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results[method] = json.loads(out.stdout.strip().splitlines()[-1])
    reference = results["linear + cross_entropy"]
    logits_mib = 4 * args.tokens * args.vocabulary / 2**20
    summary = {
        "shape": {"tokens": args.tokens, "hidden": args.hidden, "vocabulary": args.vocabulary, "dtype": "float32", "device": "cpu"},
        "logits_mib": logits_mib, "results": results,
        "ratios_to_linear_plus_cross_entropy": {m: {"time": r["seconds"] / reference["seconds"], "peak_memory": r["peak_extra_mib"] / reference["peak_extra_mib"]} for m, r in results.items()},
        "machine": f"{os.cpu_count()} CPUs, 2 torch threads, load {os.getloadavg()[0]:.1f}",
    }  # fmt: skip
    Path(__file__).with_name("linear_crossentropy.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"| N={args.tokens}, H={args.hidden}, V={args.vocabulary}, fwd+bwd | seconds | peak extra MiB | time / ref | memory / ref |")
    print("|---|---:|---:|---:|---:|")
    for method, r in results.items():
        ratio = summary["ratios_to_linear_plus_cross_entropy"][method]
        print(f"| {method} | {r['seconds']:.2f} | {r['peak_extra_mib']:.0f} | {ratio['time']:.2f}x | {ratio['peak_memory']:.2f}x |")


if __name__ == "__main__":
    main()
