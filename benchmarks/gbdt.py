"""XGBoost with losskit's logistic objective against its native ``binary:logistic``.

    python benchmarks/gbdt.py                         # 1,000,000 x 20, 100 rounds, 3 interleaved repeats
    python benchmarks/gbdt.py --rows 200000 --repeats 2

Both train the same data with the same parameters (depth 6, eta 0.3, 2 threads, hist); the
losskit run passes ``obj=lkx.objective("binary_crossentropy")`` and ``base_score`` from
``lkx.base_score``. Runs are interleaved (native, losskit, native, ...) and the figure is the
median of each; the ratio is losskit / native (1.0: as fast). Also timed: one objective call on
the same margins against a hand-written NumPy logistic gradient and Hessian. Writes
``gbdt.json`` beside this file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import xgboost as xgb

from losskit import xgboost as lkx


def data(rows: int, features: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features)).astype(np.float32)
    logit = X[:, :5] @ rng.normal(size=5) + 0.5 * np.sin(3 * X[:, 5])
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    return X, y


def hand_written(predt, dtrain):
    p = 1.0 / (1.0 + np.exp(-predt))
    return p - dtrain.get_label(), np.maximum(p * (1.0 - p), 1e-16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X, y = data(args.rows, args.features)
    dtrain = xgb.DMatrix(X, label=y, nthread=2)
    params = {"max_depth": 6, "eta": 0.3, "tree_method": "hist", "nthread": 2}
    runs = {
        "native binary:logistic": lambda: xgb.train({**params, "objective": "binary:logistic"}, dtrain, args.rounds),
        "losskit objective": lambda: xgb.train(
            {**params, "base_score": lkx.base_score("binary_crossentropy", y), "disable_default_eval_metric": 1},
            dtrain, args.rounds, obj=lkx.objective("binary_crossentropy"),
        ),
        "hand-written NumPy objective": lambda: xgb.train(
            {**params, "base_score": lkx.base_score("binary_crossentropy", y), "disable_default_eval_metric": 1},
            dtrain, args.rounds, obj=hand_written,
        ),
    }
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    margins = np.random.default_rng(1).normal(size=args.rows).astype(np.float32)
    objective = lkx.objective("binary_crossentropy")
    call = {}
    for name, fn in (("losskit", lambda: objective(margins, dtrain)), ("hand-written", lambda: hand_written(margins, dtrain))):
        fn()
        samples = []
        for _ in range(7):
            start = time.perf_counter()
            fn()
            samples.append(1e3 * (time.perf_counter() - start))
        call[name] = statistics.median(samples)
    median = {name: statistics.median(s) for name, s in seconds.items()}
    native = median["native binary:logistic"]
    result = {
        "rows": args.rows, "features": args.features, "rounds": args.rounds, "repeats": args.repeats,
        "seconds": median, "ratio_to_native": {name: m / native for name, m in median.items()},
        "objective_call_ms": call,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the end",
        "versions": {"xgboost": xgb.__version__, "numpy": np.__version__},
    }  # fmt: skip
    Path(__file__).with_name("gbdt.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"| {args.rows:,} x {args.features}, {args.rounds} rounds | seconds (median of {args.repeats}) | / native |")
    print("|---|---:|---:|")
    for name, m in median.items():
        print(f"| {name} | {m:.2f} | {m / native:.2f}x |")
    print(f"one objective call: losskit {call['losskit']:.1f} ms, hand-written NumPy {call['hand-written']:.1f} ms")


if __name__ == "__main__":
    main()
