"""losskit against its peers on the CPU: same inputs, one process, median wall time.

    python benchmarks/run.py                 # markdown table on stdout, JSON in benchmarks/results.json
    python benchmarks/run.py --rows 20000    # smaller inputs

Each row computes one objective (the mean over samples) from float32 NumPy inputs. losskit runs
on NumPy with value checks on (the default) and off; PyTorch and JAX (jitted) get their own
arrays, converted once before timing; scikit-learn metrics take the NumPy arrays. The ratio
column is peer time / losskit time (checks off): above 1 means losskit is faster.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

import losskit as lk


def median_ms(fn, repeats: int) -> float:
    fn()  # warm up (and compile, for JAX)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def cases(rows: int, classes: int, rng):
    """(title, losskit name, options, y_true, y_pred, peers) with peers as name -> factory(arrays)."""
    import jax
    import jax.numpy as jnp
    import optax
    import sklearn.metrics as skm
    import torch
    import torch.nn.functional as F

    real = rng.normal(size=(rows, 1)).astype(np.float32), rng.normal(size=(rows, 1)).astype(np.float32)
    binary = rng.integers(0, 2, size=(rows, 1)).astype(np.float32), (4 * rng.normal(size=(rows, 1))).astype(np.float32)
    labels = rng.integers(0, classes, size=rows)
    logits = (3 * rng.normal(size=(rows, classes))).astype(np.float32)
    onehot = np.eye(classes, dtype=np.float32)[labels]
    counts = rng.poisson(3.0, size=(rows, 1)).astype(np.float32), rng.uniform(0.5, 5, size=(rows, 1)).astype(np.float32)

    t, j = torch.from_numpy, jnp.asarray
    return [
        ("mean squared error", "mse", {}, *real, {
            "torch": lambda a, b: (lambda ta, tb: lambda: F.mse_loss(tb, ta))(t(a), t(b)),
            "jax": lambda a, b: (lambda f, ja, jb: lambda: f(ja, jb).block_until_ready())(jax.jit(lambda x, y: jnp.mean((y - x) ** 2)), j(a), j(b)),
            "sklearn": lambda a, b: lambda: skm.mean_squared_error(a, b),
        }),
        ("mean absolute error", "mae", {}, *real, {
            "torch": lambda a, b: (lambda ta, tb: lambda: F.l1_loss(tb, ta))(t(a), t(b)),
            "sklearn": lambda a, b: lambda: skm.mean_absolute_error(a, b),
        }),
        ("huber", "huber", {}, *real, {
            "torch": lambda a, b: (lambda ta, tb: lambda: F.huber_loss(tb, ta))(t(a), t(b)),
            "jax": lambda a, b: (lambda f, ja, jb: lambda: f(ja, jb).block_until_ready())(jax.jit(lambda x, y: jnp.mean(optax.losses.huber_loss(y, x))), j(a), j(b)),
        }),
        ("log-cosh", "log_cosh", {}, *real, {
            "jax": lambda a, b: (lambda f, ja, jb: lambda: f(ja, jb).block_until_ready())(jax.jit(lambda x, y: jnp.mean(optax.losses.log_cosh(y, x))), j(a), j(b)),
        }),
        ("binary crossentropy, logits", "binary_crossentropy", {"from_logits": True}, *binary, {
            "torch": lambda a, b: (lambda ta, tb: lambda: F.binary_cross_entropy_with_logits(tb, ta))(t(a), t(b)),
            "jax": lambda a, b: (lambda f, ja, jb: lambda: f(ja, jb).block_until_ready())(jax.jit(lambda x, y: jnp.mean(optax.losses.sigmoid_binary_cross_entropy(y, x))), j(a), j(b)),
            "sklearn": lambda a, b: (lambda p: lambda: skm.log_loss(a.ravel(), p.ravel(), labels=[0, 1]))(1 / (1 + np.exp(-b))),
        }),
        (f"categorical crossentropy, logits, {classes} classes", "categorical_crossentropy", {"from_logits": True}, onehot, logits, {
            "torch": lambda a, b: (lambda ta, tb: lambda: F.cross_entropy(tb, ta))(t(a), t(b)),
            "jax": lambda a, b: (lambda f, ja, jb: lambda: f(ja, jb).block_until_ready())(jax.jit(lambda x, y: jnp.mean(optax.losses.softmax_cross_entropy(y, x))), j(a), j(b)),
        }),
        (f"sparse categorical crossentropy, logits, {classes} classes", "sparse_categorical_crossentropy", {"from_logits": True}, labels, logits, {
            "torch": lambda a, b: (lambda ta, tb: lambda: F.cross_entropy(tb, ta))(t(a), t(b)),
            "jax": lambda a, b: (lambda f, ja, jb: lambda: f(ja, jb).block_until_ready())(jax.jit(lambda x, y: jnp.mean(optax.losses.softmax_cross_entropy_with_integer_labels(y, x))), j(a), j(b)),
        }),
        ("poisson", "poisson", {}, *counts, {
            "torch": lambda a, b: (lambda ta, tb: lambda: F.poisson_nll_loss(tb, ta, log_input=False, eps=1e-7))(t(a), t(b)),
            "sklearn": lambda a, b: lambda: skm.mean_poisson_deviance(a, b),
        }),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args()

    import jax
    import torch

    jax.config.update("jax_platforms", "cpu")
    rng = np.random.default_rng(0)
    rows = []
    for title, name, options, y_true, y_pred, peers in cases(args.rows, args.classes, rng):
        loss = lk.get(name, **options)
        checked = median_ms(lambda: loss(y_true, y_pred), args.repeats)
        with lk.value_checks(False):
            unchecked = median_ms(lambda: loss(y_true, y_pred), args.repeats)
        row = {"loss": title, "losskit": unchecked, "losskit (checks on)": checked}
        for peer, factory in peers.items():
            row[peer] = median_ms(factory(y_true, y_pred), args.repeats)
        rows.append(row)

    columns = ["losskit", "losskit (checks on)", "torch", "jax", "sklearn"]
    print(f"{args.rows} rows, float32, median of {args.repeats} runs, ms (ratio = peer / losskit)\n")
    print("| loss | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for row in rows:
        cells = []
        for c in columns:
            if c not in row:
                cells.append("–")
            elif c.startswith("losskit"):
                cells.append(f"{row[c]:.2f}")
            else:
                cells.append(f"{row[c]:.2f} ({row[c] / row['losskit']:.2f}×)")
        print(f"| {row['loss']} | " + " | ".join(cells) + " |")
    meta = {"rows": args.rows, "classes": args.classes, "repeats": args.repeats, "numpy": np.__version__,
            "torch": torch.__version__, "jax": jax.__version__, "machine": platform.platform(), "threads": torch.get_num_threads()}
    args.out.write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
