"""Issue 13: losskit's NumPy objectives at 10^7 elements against PyTorch, JAX/Optax, scikit-learn
and the memory floor, with peak extra memory.

    python benchmarks/numpy_floor.py                  # writes benchmarks/numpy_floor.json, prints the table
    python benchmarks/numpy_floor.py --size 1000000 --rounds 3

Default settings everywhere: ``lk.get(name, **options)(y_true, y_pred)`` with value checks on,
PyTorch on 2 threads (``torch.set_num_threads(2)``), ``jax.jit`` of Optax's loss (result waited
for), scikit-learn's metric. Every contender of a case gets the same float32 inputs (converted
once, before timing). Within a round each contender takes one sample in turn (a loop of calls
lasting at least ``--sample-ms``); the figure is the median over ``--rounds`` rounds, and the
ratio is the contender's time over losskit's (``losskit, 1 thread``: the same call with
:data:`losskit.fast.numpy.THREADS` set to 1), also a median of the per-round ratios (so that a
slow moment on a shared machine weighs on both sides of a ratio).

- **floor**: the memory floor, ``np.add.reduce`` over both inputs (reading each once).
- **peak extra memory**: for NumPy callables ``tracemalloc``'s peak during one call (NumPy
  reports its buffers to it); for PyTorch the rise of the process's peak resident set
  (``VmHWM``, reset through ``/proc/self/clear_refs``) during one call; not measured for JAX.
- **logistic gradient+Hessian**: ``lk.get("binary_crossentropy", from_logits=True)
  .gradient_hessian(y, x)`` against scikit-learn's private
  ``sklearn._loss.loss.HalfBinomialLoss().gradient_hessian(y, x)`` at its default
  ``n_threads=1`` (and with ``n_threads=2``), both float32 in float32.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np

import losskit as lk
from losskit.fast import numpy as fast_numpy

RESULTS = Path(__file__).with_name("numpy_floor.json")


def sample_ms(fn, sample_ms: float) -> float:
    """Milliseconds per call of ``fn``: a loop of calls lasting at least ``sample_ms``."""
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < sample_ms / 1e3 or calls == 0:
        fn()
        calls += 1
    return 1e3 * elapsed / calls


def numpy_peak_mib(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def rss_peak_mib(fn) -> float | None:
    """The rise of the peak resident set during one call (Linux), or None where it cannot be reset."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        before = _status_kib("VmRSS")
        fn()
        return max(0, _status_kib("VmHWM") - before) / 1024
    except (OSError, KeyError):
        return None


def one_thread(fn):
    """``fn`` with losskit's blocks on the calling thread only (``fast_numpy.THREADS = 1``)."""

    def call():
        threads, fast_numpy.THREADS = fast_numpy.THREADS, 1
        try:
            return fn()
        finally:
            fast_numpy.THREADS = threads

    return call


def inputs(size: int, rng):
    """The elementwise losses' float32 ``(size, 1)`` inputs: ``real`` (targets, predictions),
    ``binary`` (labels, logits), ``probability`` (the logits' sigmoid), ``counts`` (counts, rates)."""
    shape = (size, 1)
    real = rng.normal(size=shape).astype(np.float32), rng.normal(size=shape).astype(np.float32)
    binary = (rng.random(shape) < 0.5).astype(np.float32), (4 * rng.normal(size=shape)).astype(np.float32)
    probability = (1 / (1 + np.exp(-binary[1].astype(np.float64)))).astype(np.float32)
    counts = rng.poisson(3.0, size=shape).astype(np.float32), rng.uniform(0.5, 5, size=shape).astype(np.float32)
    return real, binary, probability, counts


def cases(size: int, rng):
    """(title, {contender: (fn, memory kind)}) with ``losskit`` first and ``floor`` where it applies."""
    import jax
    import jax.numpy as jnp
    import optax
    import sklearn.metrics as skm
    import torch
    import torch.nn.functional as F
    from sklearn._loss.loss import HalfBinomialLoss

    torch.set_num_threads(2)
    real, binary, probability, counts = inputs(size, rng)

    def torch_fn(f, a, b):
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        return lambda: f(ta, tb), "rss"

    def jax_fn(f, a, b):
        g, ja, jb = jax.jit(f), jnp.asarray(a), jnp.asarray(b)
        return lambda: g(ja, jb).block_until_ready(), None

    def floor(a, b):
        return lambda: (np.add.reduce(a, axis=None), np.add.reduce(b, axis=None)), "numpy"

    def elementwise(title, name, options, a, b, peers):
        loss = lk.get(name, **options)
        contenders = {"losskit": ((lambda: loss(a, b)), "numpy"), "losskit, 1 thread": (one_thread(lambda: loss(a, b)), "numpy")}
        contenders["floor"] = floor(a, b)
        contenders.update({peer: make(a, b) for peer, make in peers.items()})
        return title, contenders

    out = [
        elementwise("mean squared error", "mse", {}, *real, {
            "torch": lambda a, b: torch_fn(lambda y, p: F.mse_loss(p, y), a, b),
            "jax": lambda a, b: jax_fn(lambda y, p: jnp.mean(optax.losses.squared_error(p, y)), a, b),
            "sklearn": lambda a, b: ((lambda: skm.mean_squared_error(a, b)), "numpy"),
        }),
        elementwise("mean absolute error", "mae", {}, *real, {
            "torch": lambda a, b: torch_fn(lambda y, p: F.l1_loss(p, y), a, b),
            "jax": lambda a, b: jax_fn(lambda y, p: jnp.mean(jnp.abs(p - y)), a, b),
            "sklearn": lambda a, b: ((lambda: skm.mean_absolute_error(a, b)), "numpy"),
        }),
        elementwise("huber", "huber", {}, *real, {
            "torch": lambda a, b: torch_fn(lambda y, p: F.huber_loss(p, y), a, b),
            "jax": lambda a, b: jax_fn(lambda y, p: jnp.mean(optax.losses.huber_loss(p, y)), a, b),
        }),
        elementwise("log-cosh", "log_cosh", {}, *real, {
            "torch": lambda a, b: torch_fn(lambda y, p: torch.mean(torch.log(torch.cosh(p - y))), a, b),
            "jax": lambda a, b: jax_fn(lambda y, p: jnp.mean(optax.losses.log_cosh(p, y)), a, b),
        }),
        elementwise("poisson", "poisson", {}, *counts, {
            "torch": lambda a, b: torch_fn(lambda y, p: F.poisson_nll_loss(p, y, log_input=False, eps=1e-7), a, b),
            "jax": lambda a, b: jax_fn(lambda y, p: jnp.mean(p - y * jnp.log(p + 1e-7)), a, b),
            "sklearn": lambda a, b: ((lambda: skm.mean_poisson_deviance(a, b)), "numpy"),
        }),
        elementwise("binary crossentropy, logits", "binary_crossentropy", {"from_logits": True}, *binary, {
            "torch": lambda a, b: torch_fn(lambda y, p: F.binary_cross_entropy_with_logits(p, y), a, b),
            "jax": lambda a, b: jax_fn(lambda y, p: jnp.mean(optax.losses.sigmoid_binary_cross_entropy(p, y)), a, b),
        }),
        elementwise("binary crossentropy, probabilities", "binary_crossentropy", {}, binary[0], probability, {
            "torch": lambda a, b: torch_fn(lambda y, p: F.binary_cross_entropy(p, y), a, b),
            "sklearn": lambda a, b: ((lambda: skm.log_loss(a.ravel(), b.ravel(), labels=[0, 1])), "numpy"),
        }),
    ]  # fmt: skip
    for rows, classes in ((65_536, 1_000), (8_192, 32_000)):
        labels = rng.integers(0, classes, size=rows)
        logits = (3 * rng.normal(size=(rows, classes))).astype(np.float32)
        loss = lk.get("sparse_categorical_crossentropy", from_logits=True)
        out.append((f"sparse CE, logits, {rows:,} x {classes:,}", {
            "losskit": ((lambda loss=loss, y=labels, x=logits: loss(y, x)), "numpy"),
            "losskit, 1 thread": (one_thread(lambda loss=loss, y=labels, x=logits: loss(y, x)), "numpy"),
            "floor": ((lambda x=logits: np.add.reduce(x, axis=None)), "numpy"),
            "torch": torch_fn(lambda y, x: F.cross_entropy(x, y), labels, logits),
            "jax": jax_fn(lambda y, x: jnp.mean(optax.losses.softmax_cross_entropy_with_integer_labels(x, y)), labels, logits),
        }))  # fmt: skip
    y, x = binary[0].ravel(), binary[1].ravel()  # scikit-learn's layout; losskit's (n, 1) is the same n samples
    logistic, half_binomial = lk.get("binary_crossentropy", from_logits=True), HalfBinomialLoss()
    out.append(("logistic gradient+Hessian", {
        "losskit": ((lambda: logistic.gradient_hessian(*binary)), "numpy"),
        "losskit, 1 thread": (one_thread(lambda: logistic.gradient_hessian(*binary)), "numpy"),
        "floor": floor(y, x),
        "sklearn (n_threads=1, its default)": ((lambda: half_binomial.gradient_hessian(y, x)), "numpy"),
        "sklearn (n_threads=2)": ((lambda: half_binomial.gradient_hessian(y, x, n_threads=2)), "numpy"),
    }))  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sample-ms", type=float, default=200.0)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    load = os.getloadavg()[0]
    results = []
    for title, contenders in cases(args.size, rng):
        for fn, _ in contenders.values():
            fn()  # warm up (JAX compiles)
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, (fn, _) in contenders.items():
                times[name].append(sample_ms(fn, args.sample_ms))
        memory = {}
        for name, (fn, kind) in contenders.items():
            memory[name] = numpy_peak_mib(fn) if kind == "numpy" else rss_peak_mib(fn) if kind == "rss" else None
        base = times["losskit"]
        row = {
            "case": title,
            "ms": {name: statistics.median(t) for name, t in times.items()},
            "ratio_to_losskit": {name: statistics.median(a / b for a, b in zip(t, base)) for name, t in times.items()},
            "peak_extra_mib": memory,
        }
        results.append(row)
        print(json.dumps(row), flush=True)
    report = {
        "size": args.size, "rounds": args.rounds, "sample_ms": args.sample_ms, "results": results,
        "threads": fast_numpy.THREADS,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        "versions": _versions(),
    }  # fmt: skip
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))


def _versions() -> dict[str, str]:
    import jax
    import optax
    import sklearn
    import torch

    return {"numpy": np.__version__, "torch": torch.__version__, "jax": jax.__version__, "optax": optax.__version__,
            "sklearn": sklearn.__version__, "python": platform.python_version()}  # fmt: skip


def table(report: dict) -> str:
    """The markdown table of a report: ms, ratio to losskit and peak extra MiB per contender."""
    lines = ["| case | contender | ms | / losskit | peak extra MiB |", "|---|---|---:|---:|---:|"]
    for row in report["results"]:
        for name, ms in row["ms"].items():
            mib = row["peak_extra_mib"].get(name)
            lines.append(
                f"| {row['case']} | {name} | {ms:.2f} | {row['ratio_to_losskit'][name]:.2f}x | {'–' if mib is None else f'{mib:.1f}'} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
