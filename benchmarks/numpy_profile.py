"""Issue 13: where the NumPy objectives' time goes, pass by pass, against the memory floor.

    python benchmarks/numpy_profile.py              # writes benchmarks/numpy_profile.json, prints the tables
    python benchmarks/numpy_profile.py --rounds 50

For each elementwise loss of ``benchmarks/numpy_floor.py`` (its inputs, float32), one block of
:data:`losskit.fast.numpy.BLOCK` elements runs its terms (``Terms.compute``) with every NumPy
function the kernel calls timed (``np`` in :mod:`losskit.fast.numpy` replaced by a proxy that
times each call): per pass, microseconds per block (the median over ``--rounds`` runs of the
block, in the cache), and their total scaled to 10^7 elements (the objective's compute, one
thread) next to the memory floor there (``np.add.reduce`` over both inputs, measured) and the
objective itself (``lk.get(name)(y_true, y_pred)``, value checks on, one thread). Sparse
crossentropy from logits (65,536 x 1,000) is profiled the same way, one block of rows of its
class driver. A loss whose passes alone exceed a target cannot meet it by rearranging the driver.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

# numpy_floor.py, beside this script: the same inputs as the timed objectives
from numpy_floor import inputs, one_thread

import losskit as lk
from losskit.fast import numpy as fast_numpy

RESULTS = Path(__file__).with_name("numpy_profile.json")


class TimedNumPy:
    """``numpy`` with each function call timed into ``passes`` (in call order, by name)."""

    def __init__(self):
        self.passes: list[tuple[str, float]] = []

    def __getattr__(self, name):
        target = getattr(np, name)
        if not callable(target) or isinstance(target, type):
            return target

        def timed(*args, **kwargs):
            start = time.perf_counter()
            result = target(*args, **kwargs)
            self.passes.append((name, 1e6 * (time.perf_counter() - start)))
            return result

        return timed


def profile_passes(run, rounds: int) -> list[dict]:
    """``run()`` under the timing proxy ``rounds`` times: each pass's median microseconds."""
    proxy = TimedNumPy()
    saved, fast_numpy.np = fast_numpy.np, proxy
    try:
        run()  # warm: the block's buffers in the cache
        samples: dict[int, list[float]] = defaultdict(list)
        names: dict[int, str] = {}
        for _ in range(rounds):
            proxy.passes.clear()
            run()
            for i, (name, us) in enumerate(proxy.passes):
                samples[i].append(us)
                names[i] = name
    finally:
        fast_numpy.np = saved
    return [{"pass": names[i], "us": statistics.median(samples[i])} for i in sorted(samples)]


def ms_per_call(fn, rounds: int) -> float:
    fn()
    times = []
    for _ in range(max(3, rounds // 5)):
        start = time.perf_counter()
        fn()
        times.append(1e3 * (time.perf_counter() - start))
    return statistics.median(times)


def elementwise_cases(size: int, rng):
    real, binary, probability, counts = inputs(size, rng)
    return [
        ("mean squared error", "mean_squared_error", {}, real),
        ("mean absolute error", "mean_absolute_error", {}, real),
        ("huber", "huber", {"delta": 1.0}, real),
        ("log-cosh", "log_cosh", {}, real),
        ("poisson", "poisson", {}, counts),
        ("binary crossentropy, logits", "binary_crossentropy", {"from_logits": True}, binary),
        ("binary crossentropy, probabilities", "binary_crossentropy", {}, (binary[0], probability)),
    ]


def terms_of(name: str, options: dict) -> fast_numpy.Terms:
    """The :class:`~losskit.fast.numpy.Terms` the NumPy kernel of ``name`` runs for ``options``."""
    return getattr(fast_numpy, name).__wrapped__(**options)


def profile_elementwise(title, name, options, arrays, rounds: int) -> dict:
    y_true, y_pred = arrays
    size, n = y_pred.size, fast_numpy.BLOCK
    terms = terms_of(name, options)
    t, p = y_true.reshape(-1)[:n].copy(), y_pred.reshape(-1)[:n].copy()
    buffers = [np.empty(n, np.float32) for _ in range(terms.scratch + 1)]
    passes = profile_passes(lambda: terms.compute(t, p, *buffers), rounds)
    passes.append({"pass": "add.reduce (the block's sum)", "us": _median_us(lambda: np.add.reduce(buffers[0]), rounds)})
    floor = ms_per_call(lambda: (np.add.reduce(y_true, axis=None), np.add.reduce(y_pred, axis=None)), rounds)
    loss = lk.get(name, **options)
    blocks = size / n
    compute_ms = sum(q["us"] for q in passes) * blocks / 1e3
    return {
        "case": title, "block": n, "passes": passes,
        "compute_ms_at_size": compute_ms, "floor_ms": floor,
        "objective_ms_1_thread": ms_per_call(one_thread(lambda: loss(y_true, y_pred)), rounds),
        "objective_ms": ms_per_call(lambda: loss(y_true, y_pred), rounds),
        "compute_over_floor": compute_ms / floor,
    }  # fmt: skip


def _median_us(fn, rounds: int) -> float:
    fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(1e6 * (time.perf_counter() - start))
    return statistics.median(samples)


def profile_sparse_crossentropy(rows: int, classes: int, rng, rounds: int) -> dict:
    """One block of rows of sparse crossentropy from logits: its passes, timed the same way."""
    labels = rng.integers(0, classes, size=rows)
    logits = (3 * rng.normal(size=(rows, classes))).astype(np.float32)
    step = max(1, fast_numpy.BLOCK // classes)
    block_labels, block_logits = labels[:step].copy(), logits[:step].copy()
    kernel = lk.get("sparse_categorical_crossentropy").spec.kernels["numpy"].kernel
    passes = profile_passes(lambda: kernel(block_labels, block_logits, from_logits=True), rounds)
    floor = ms_per_call(lambda: np.add.reduce(logits, axis=None), rounds)
    loss = lk.get("sparse_categorical_crossentropy", from_logits=True)
    compute_ms = sum(q["us"] for q in passes) * (rows / step) / 1e3
    return {
        "case": f"sparse CE, logits, {rows:,} x {classes:,}", "block": step * classes, "passes": passes,
        "compute_ms_at_size": compute_ms, "floor_ms": floor,
        "objective_ms_1_thread": ms_per_call(one_thread(lambda: loss(labels, logits)), rounds),
        "objective_ms": ms_per_call(lambda: loss(labels, logits), rounds),
        "compute_over_floor": compute_ms / floor,
    }  # fmt: skip


def table(report: dict) -> str:
    lines = []
    for row in report["results"]:
        lines.append(
            f"\n**{row['case']}**: passes {row['compute_ms_at_size']:.1f} ms at the full size (one thread), "
            f"floor {row['floor_ms']:.1f} ms ({row['compute_over_floor']:.1f}x), objective {row['objective_ms']:.1f} ms "
            f"({row['objective_ms_1_thread']:.1f} ms on one thread)\n"
        )
        lines += ["| # | pass | us per block |", "|---:|---|---:|"]
        lines += [f"| {i} | {q['pass']} | {q['us']:.1f} |" for i, q in enumerate(row["passes"], 1)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    load = os.getloadavg()[0]
    results = [profile_elementwise(*case, args.rounds) for case in elementwise_cases(args.size, rng)]
    results.append(profile_sparse_crossentropy(65_536, 1_000, rng, args.rounds))
    report = {
        "size": args.size, "rounds": args.rounds, "block": fast_numpy.BLOCK, "results": results,
        "machine": f"{os.cpu_count()} CPUs, load {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
    }  # fmt: skip
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))


if __name__ == "__main__":
    main()
