"""losskit against its peers on the CPU: same inputs, one process, median wall time.

    python benchmarks/run.py                # 1e3 to 2e6 rows: markdown tables; JSON in benchmarks/results.json
    python benchmarks/run.py --rows 200000  # one size

Each row computes one objective (the mean over samples) from the same float32 NumPy inputs.
losskit runs on NumPy with value checks off (what a training loop would use) and on (the
default), and with its generic array-API kernels in place of the NumPy fast path
(``losskit.fast.numpy``), to show what that path buys. PyTorch and JAX (jitted, its result
waited for) get their own arrays, converted once before timing; scikit-learn metrics take the
NumPy arrays. Each sample times a loop of calls lasting at least ``--sample-ms``; the figure is
the median, over ``--rounds`` rounds of ``--repeats`` samples, of the time per call. The ratio is peer time / losskit time (checks
off): above 1 means losskit is faster.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

import losskit as lk
from losskit.fast import numpy as fast_numpy
from losskit.losses import CATALOG

LOSSKIT_COLUMNS = ["losskit", "losskit (checks on)", "losskit (generic kernels)"]
PEERS = ["torch", "jax", "sklearn"]


def samples_ms(fn, context, repeats: int, sample_ms: float) -> list[float]:
    """``repeats`` samples of the milliseconds per call of ``fn``, run inside ``context()``, each
    a loop of calls lasting at least ``sample_ms`` (so that microsecond calls are not lost in the
    clock's resolution). The samples run back to back, as in a training loop: taking turns
    between contenders was tried, and it slows JAX (its worker threads go idle between turns)
    and whoever follows PyTorch (its idle threads spin a while)."""
    with context():
        fn()  # warm up (and compile, for JAX)
        calls, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < sample_ms / 1e3:
            fn()
            calls += 1
        number = max(1, round(calls * sample_ms / 1e3 / elapsed))
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples.append(1e3 * (time.perf_counter() - start) / number)
    return samples


def cases(rows: int, classes: int, rng):
    """(title, losskit name, options, y_true, y_pred, peers) with peers as name -> factory(arrays) -> fn."""
    import jax
    import jax.numpy as jnp
    import optax
    import sklearn.metrics as skm
    import torch
    import torch.nn.functional as F

    real = rng.normal(size=(rows, 1)).astype(np.float32), rng.normal(size=(rows, 1)).astype(np.float32)
    binary = rng.integers(0, 2, size=(rows, 1)).astype(np.float32), (4 * rng.normal(size=(rows, 1))).astype(np.float32)
    probability = (1 / (1 + np.exp(-binary[1].astype(np.float64)))).astype(np.float32)
    labels = rng.integers(0, classes, size=rows)
    logits = (3 * rng.normal(size=(rows, classes))).astype(np.float32)
    softmax = np.exp(logits.astype(np.float64) - logits.max(axis=1, keepdims=True))
    probabilities = (softmax / softmax.sum(axis=1, keepdims=True)).astype(np.float32)
    onehot = np.eye(classes, dtype=np.float32)[labels]
    counts = rng.poisson(3.0, size=(rows, 1)).astype(np.float32), rng.uniform(0.5, 5, size=(rows, 1)).astype(np.float32)

    def on_torch(f):
        return lambda a, b: (lambda ta, tb: lambda: f(ta, tb))(torch.from_numpy(a), torch.from_numpy(b))

    def on_jax(f):
        return lambda a, b: (lambda g, ja, jb: lambda: g(ja, jb).block_until_ready())(jax.jit(f), jnp.asarray(a), jnp.asarray(b))

    def on_numpy(f):
        return lambda a, b: lambda: f(a, b)

    return [
        ("mean squared error", "mse", {}, *real, {
            "torch": on_torch(lambda y, p: F.mse_loss(p, y)),
            "jax": on_jax(lambda y, p: jnp.mean(optax.losses.squared_error(p, y))),
            "sklearn": on_numpy(skm.mean_squared_error),
        }),
        ("mean absolute error", "mae", {}, *real, {
            "torch": on_torch(lambda y, p: F.l1_loss(p, y)),
            "jax": on_jax(lambda y, p: jnp.mean(jnp.abs(p - y))),
            "sklearn": on_numpy(skm.mean_absolute_error),
        }),
        ("huber", "huber", {}, *real, {
            "torch": on_torch(lambda y, p: F.huber_loss(p, y)),
            "jax": on_jax(lambda y, p: jnp.mean(optax.losses.huber_loss(p, y))),
        }),
        ("log-cosh", "log_cosh", {}, *real, {
            "jax": on_jax(lambda y, p: jnp.mean(optax.losses.log_cosh(p, y))),
        }),
        ("poisson", "poisson", {}, *counts, {
            "torch": on_torch(lambda y, p: F.poisson_nll_loss(p, y, log_input=False, eps=1e-7)),
            "jax": on_jax(lambda y, p: jnp.mean(p - y * jnp.log(p + 1e-7))),
            "sklearn": on_numpy(skm.mean_poisson_deviance),
        }),
        ("binary crossentropy, logits", "binary_crossentropy", {"from_logits": True}, *binary, {
            "torch": on_torch(lambda y, p: F.binary_cross_entropy_with_logits(p, y)),
            "jax": on_jax(lambda y, p: jnp.mean(optax.losses.sigmoid_binary_cross_entropy(p, y))),
            "sklearn": lambda a, b: (lambda q: lambda: skm.log_loss(a.ravel(), q.ravel(), labels=[0, 1]))(1 / (1 + np.exp(-b))),
        }),
        ("binary crossentropy, probabilities", "binary_crossentropy", {}, binary[0], probability, {
            "torch": on_torch(lambda y, p: F.binary_cross_entropy(p, y)),
            "sklearn": lambda a, b: lambda: skm.log_loss(a.ravel(), b.ravel(), labels=[0, 1]),
        }),
        (f"categorical crossentropy, logits, {classes} classes", "categorical_crossentropy", {"from_logits": True}, onehot, logits, {
            "torch": on_torch(lambda y, p: F.cross_entropy(p, y)),
            "jax": on_jax(lambda y, p: jnp.mean(optax.losses.softmax_cross_entropy(p, y))),
        }),
        (f"sparse categorical crossentropy, logits, {classes} classes", "sparse_categorical_crossentropy", {"from_logits": True}, labels, logits, {
            "torch": on_torch(lambda y, p: F.cross_entropy(p, y)),
            "jax": on_jax(lambda y, p: jnp.mean(optax.losses.softmax_cross_entropy_with_integer_labels(p, y))),
        }),
        (f"sparse categorical crossentropy, probabilities, {classes} classes", "sparse_categorical_crossentropy", {}, labels, probabilities, {
            "sklearn": lambda a, b: lambda: skm.log_loss(a, b, labels=np.arange(classes)),
        }),
    ]


def measure(rows: int, classes: int, rounds: int, repeats: int, sample_ms: float) -> list[dict]:
    """The median of ``rounds * repeats`` samples per loss and contender. Each round times every
    loss and contender in turn, so a stall of the (shared) machine spoils one round's samples of
    one contender, not the figure."""
    rng = np.random.default_rng(0)
    checks_off = lambda: lk.value_checks(False)  # noqa: E731
    contenders = {}
    for title, name, options, y_true, y_pred, peers in cases(rows, classes, rng):
        objective = (lambda loss, a, b: lambda: loss(a, b))(lk.get(name, **options), y_true, y_pred)
        # its own Loss: a Loss resolves its per-call path once, on its first call (here: generic)
        generic_objective = (lambda loss, a, b: lambda: loss(a, b))(lk.get(name, **options), y_true, y_pred)
        contenders[title] = {
            "losskit": (objective, checks_off),
            "losskit (checks on)": (objective, contextlib.nullcontext),
            "losskit (generic kernels)": (generic_objective, lambda: _both(checks_off(), _generic())),
            **{peer: (factory(y_true, y_pred), contextlib.nullcontext) for peer, factory in peers.items()},
        }
    samples = {title: {name: [] for name in runs} for title, runs in contenders.items()}
    for round_ in range(rounds):
        for title, runs in contenders.items():
            for name, (fn, context) in runs.items():
                samples[title][name] += samples_ms(fn, context, repeats, sample_ms)
        print(f"  {rows} rows: round {round_ + 1} of {rounds}", file=sys.stderr)
    return [{"rows": rows, "loss": title, **{name: statistics.median(s) for name, s in runs.items()}} for title, runs in samples.items()]


def _generic() -> contextlib.ExitStack:
    """The array-API kernels, as on any other library: no record's NumPy kernel and no NumPy
    per-call path (the blockwise objective, :func:`losskit.fast.numpy.plan`)."""
    stack = contextlib.ExitStack()
    for spec in CATALOG:
        others = {library: kernel for library, kernel in spec.kernels.items() if library != "numpy"}
        stack.enter_context(mock.patch.dict(spec.kernels, others, clear=True))
    stack.enter_context(mock.patch.object(fast_numpy, "plan", lambda loss: None))
    return stack


@contextlib.contextmanager
def _both(first, second):
    with first, second:
        yield


def table(results: list[dict]) -> str:
    """One markdown table per input size: ms per objective, ratios as peer / losskit."""
    lines = []
    for rows in sorted({r["rows"] for r in results}):
        lines += [f"**{rows:,} rows** (ms per objective; ratio = peer / losskit, above 1: losskit is faster)", ""]
        columns = LOSSKIT_COLUMNS + PEERS
        lines += ["| loss | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
        for row in (r for r in results if r["rows"] == rows):
            cells = []
            for c in columns:
                if c not in row:
                    cells.append("–")
                elif c == "losskit":
                    cells.append(_ms(row[c]))
                else:
                    cells.append(f"{_ms(row[c])} ({row[c] / row['losskit']:.2f}×)")
            lines.append(f"| {row['loss']} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _ms(value: float) -> str:
    return f"{value:.4f}" if value < 0.1 else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 20_000, 200_000, 2_000_000], help="input sizes (rows), one table each")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every loss and contender")
    parser.add_argument("--repeats", type=int, default=7, help="samples per contender and round (the median of all is reported)")
    parser.add_argument("--sample-ms", type=float, default=20.0, help="least duration of one sample")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args()

    import jax
    import optax
    import sklearn
    import torch

    jax.config.update("jax_platforms", "cpu")
    load_before = os.getloadavg()
    results = [row for rows in args.rows for row in measure(rows, args.classes, args.rounds, args.repeats, args.sample_ms)]
    print(table(results))
    meta = {
        "command": " ".join(["python", "benchmarks/run.py", *sys.argv[1:]]),
        "rows": args.rows, "classes": args.classes, "rounds": args.rounds, "repeats": args.repeats, "sample_ms": args.sample_ms,
        "machine": platform.platform(), "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
        "load_average": {"before": load_before, "after": os.getloadavg()}, "python": platform.python_version(),
        "losskit": lk.__version__, "numpy": np.__version__, "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "jax": jax.__version__, "optax": optax.__version__, "sklearn": sklearn.__version__,
    }  # fmt: skip
    args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
