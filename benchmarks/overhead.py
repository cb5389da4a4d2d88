"""Per-call overhead of losskit on tiny NumPy inputs (32 x 1), where Python work dominates.

    python benchmarks/overhead.py --label after      # writes the "after" column of overhead.json

Before and after a change, interleaved (each run keeps, per case, the fastest of its runs so far:
other processes on a shared machine only ever slow a run down)::

    git worktree add /tmp/before <rev>
    for i in 1 2 3; do
        PYTHONPATH=/tmp/before/src python benchmarks/overhead.py --label before
        python benchmarks/overhead.py --label after
    done

Times, in microseconds per call (the fastest of rounds, each a loop of calls), the functional form
``lk.mean_squared_error(y, p)``, the Loss object ``lk.get("mse")(y, p)``, BCE from logits, sparse
categorical crossentropy (32 x 10 and 256 x 10) and ``loss.gradient_hessian``; with value checks on (the
default) and off. The JSON keeps one column per label so a change can be measured before and after.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import losskit as lk

RESULTS = Path(__file__).with_name("overhead.json")


def per_call_us(fn, rounds: int = 9, calls: int = 3000) -> float:
    fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append(1e6 * (time.perf_counter() - start) / calls)
    return min(times)


def cases():
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=(32, 1)).astype(np.float32), rng.normal(size=(32, 1)).astype(np.float32)
    b = (rng.random((32, 1)) < 0.5).astype(np.float32)
    labels, logits = rng.integers(0, 10, 32), rng.normal(size=(32, 10)).astype(np.float32)
    labels256, logits256 = rng.integers(0, 10, 256), rng.normal(size=(256, 10)).astype(np.float32)
    mse, bce = lk.get("mse"), lk.get("binary_crossentropy", from_logits=True)
    scce = lk.get("sparse_categorical_crossentropy", from_logits=True)
    return {
        "mse function": lambda: lk.mean_squared_error(y, p),
        "mse Loss": lambda: mse(y, p),
        "bce logits Loss": lambda: bce(b, p),
        "sparse cce logits Loss (32x10)": lambda: scce(labels, logits),
        "sparse cce logits Loss (256x10)": lambda: scce(labels256, logits256),
        "mse gradient_hessian": lambda: mse.gradient_hessian(y, p),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="after")
    args = parser.parse_args()
    column = {}
    for checks in (True, False):
        with lk.value_checks(checks):
            for name, fn in cases().items():
                column[f"{name}, checks {'on' if checks else 'off'}"] = round(per_call_us(fn), 2)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous = results.get(args.label, {})
    results[args.label] = {case: min(value, previous.get(case, value)) for case, value in column.items()}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    labels = list(results)
    print("| case (us per call) | " + " | ".join(labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for case in column:
        print(f"| {case} | " + " | ".join(str(results[l].get(case, "")) for l in labels) + " |")


if __name__ == "__main__":
    main()
