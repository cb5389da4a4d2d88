"""XGBoost with losskit's logistic objective against its native ``binary:logistic``, and the
estimators ``losskit.xgboost.XGBClassifier``/``losskit.lightgbm.LGBMClassifier`` against each
library's own.

    python benchmarks/gbdt.py                         # 1,000,000 x 20, 100 rounds, 3 interleaved repeats
    python benchmarks/gbdt.py --rows 200000 --repeats 2

All runs train the same data with the same parameters (depth 6, eta 0.3, 2 threads, hist).
``xgboost.train``: native ``binary:logistic``, ``obj=lkx.objective("binary_crossentropy")`` with
``base_score`` from ``lkx.base_score``, and a hand-written NumPy objective (ratios to native).
Estimators (``fit`` on the NumPy arrays, ratios to the library's own estimator):
``xgb.XGBClassifier(objective="binary:logistic")``, ``lkx.XGBClassifier(loss="binary_crossentropy")``
(which trains with ``binary:logistic``) and the same with ``native_objective=False`` (losskit's
objective); the same three for LightGBM (``objective="binary"``, 63 leaves). Runs are
interleaved (each repeat runs every case once, after one warm-up round that builds the
DMatrix's histogram index) and the figure is the median of each.

Also recorded: one objective call on 10^6 margins (losskit, losskit inside
``lk.value_checks(False)``, and the hand-written one) and,
from one more ``xgboost.train`` run of each kind with XGBoost's calls wrapped in timers, where a
boosting round's time goes (``per_round_ms``): the margins handed out (``Booster.predict``), the
labels and weights read, the objective's own work, XGBoost's C++ round (with a custom objective:
the gradients copied in and the tree; native: its objective and the tree). Writes ``gbdt.json``
beside this file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import xgboost as xgb
from xgboost import core

import losskit as lk
from losskit import lightgbm as lkl
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


def per_round_ms(train, dtrain, rounds: int) -> dict[str, float]:
    """One training run with XGBoost's per-round calls wrapped in timers: ms per round of each."""
    spent: dict[str, float] = {}

    def timed(key, fn):
        def call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] = spent.get(key, 0.0) + time.perf_counter() - start

        return call

    wrapped = [
        (xgb.Booster, "predict", "margins out (Booster.predict)"),
        (core._LIB, "XGBoosterTrainOneIter", "C++ round: gradients in, tree"),
        (core._LIB, "XGBoosterUpdateOneIter", "C++ round: objective, tree"),
        (dtrain, "get_label", "labels read (get_label)"),
        (dtrain, "get_weight", "weights read (get_weight)"),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in wrapped]
    for owner, name, key in wrapped:
        setattr(owner, name, timed(key, getattr(owner, name)))
    try:
        start = time.perf_counter()
        train(lambda fn: timed("objective call", fn))
        total = time.perf_counter() - start
    finally:
        for owner, name, fn in originals:
            if owner is dtrain:
                delattr(owner, name)  # the instance's wrapper; the class's method shows through
            else:
                setattr(owner, name, fn)
    if "objective call" in spent:  # its own work: the call less the reads inside it
        reads = spent.get("labels read (get_label)", 0.0) + spent.get("weights read (get_weight)", 0.0)
        spent["objective's own work"] = spent.pop("objective call") - reads
    spent["rest (Python per round)"] = total - sum(spent.values())
    spent["total"] = total
    return {key: round(1e3 * value / rounds, 2) for key, value in spent.items()}


def interleaved(runs: dict, repeats: int) -> dict[str, float]:
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in seconds.items()}


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
    custom = {**params, "base_score": lkx.base_score("binary_crossentropy", y), "disable_default_eval_metric": 1}
    estimator = dict(n_estimators=args.rounds, max_depth=6, learning_rate=0.3, tree_method="hist", n_jobs=2)
    lgb_estimator = dict(n_estimators=args.rounds, num_leaves=63, max_depth=6, learning_rate=0.3, n_jobs=2, verbose=-1)
    train = {
        "native binary:logistic": lambda: xgb.train({**params, "objective": "binary:logistic"}, dtrain, args.rounds),
        "losskit objective": lambda: xgb.train(custom, dtrain, args.rounds, obj=lkx.objective("binary_crossentropy")),
        "hand-written NumPy objective": lambda: xgb.train(custom, dtrain, args.rounds, obj=hand_written),
    }
    estimators = {
        "xgb.XGBClassifier(objective='binary:logistic')": lambda: xgb.XGBClassifier(objective="binary:logistic", **estimator).fit(X, y),
        "lkx.XGBClassifier(loss='binary_crossentropy')": lambda: lkx.XGBClassifier(loss="binary_crossentropy", **estimator).fit(X, y),
        "lkx.XGBClassifier(..., native_objective=False)": lambda: lkx.XGBClassifier(native_objective=False, **estimator).fit(X, y),
        "lgb.LGBMClassifier(objective='binary')": lambda: lgb.LGBMClassifier(objective="binary", **lgb_estimator).fit(X, y),
        "lkl.LGBMClassifier(loss='binary_crossentropy')": lambda: lkl.LGBMClassifier(loss="binary_crossentropy", **lgb_estimator).fit(X, y),
        "lkl.LGBMClassifier(..., native_objective=False)": lambda: lkl.LGBMClassifier(native_objective=False, **lgb_estimator).fit(X, y),
    }  # fmt: skip
    xgb.train(params, dtrain, 1)  # XGBoost builds the DMatrix's histogram index once, in its first training
    median = interleaved({**train, **estimators}, args.repeats)
    native = median["native binary:logistic"]
    xgb_own, lgb_own = median["xgb.XGBClassifier(objective='binary:logistic')"], median["lgb.LGBMClassifier(objective='binary')"]

    margins = np.random.default_rng(1).normal(size=args.rows).astype(np.float32)
    objective = lkx.objective("binary_crossentropy")
    call = {}
    def unchecked():
        with lk.value_checks(False):
            return objective(margins, dtrain)

    calls = (("losskit", lambda: objective(margins, dtrain)), ("losskit, value checks off", unchecked),
             ("hand-written", lambda: hand_written(margins, dtrain)))  # fmt: skip
    for name, fn in calls:
        fn()
        samples = []
        for _ in range(7):
            start = time.perf_counter()
            fn()
            samples.append(1e3 * (time.perf_counter() - start))
        call[name] = statistics.median(samples)
    rounds = {
        "native binary:logistic": per_round_ms(
            lambda _: xgb.train({**params, "objective": "binary:logistic"}, dtrain, args.rounds), dtrain, args.rounds
        ),
        "losskit objective": per_round_ms(
            lambda wrap: xgb.train(custom, dtrain, args.rounds, obj=wrap(lkx.objective("binary_crossentropy"))), dtrain, args.rounds
        ),
    }  # fmt: skip
    result = {
        "rows": args.rows, "features": args.features, "rounds": args.rounds, "repeats": args.repeats,
        "seconds": {name: median[name] for name in train},
        "ratio_to_native": {name: median[name] / native for name in train},
        "estimators": {
            "seconds": {name: median[name] for name in estimators},
            "ratio_to_own": {name: median[name] / (xgb_own if name.startswith(("xgb", "lkx")) else lgb_own) for name in estimators},
        },
        "objective_call_ms": call,
        "per_round_ms": rounds,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the end",
        "versions": {"xgboost": xgb.__version__, "lightgbm": lgb.__version__, "numpy": np.__version__},
    }  # fmt: skip
    Path(__file__).with_name("gbdt.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"| {args.rows:,} x {args.features}, {args.rounds} rounds | seconds (median of {args.repeats}) | ratio |")
    print("|---|---:|---:|")
    for name in train:
        print(f"| xgboost.train, {name} | {median[name]:.2f} | {median[name] / native:.2f}x native |")
    for name, ratio in result["estimators"]["ratio_to_own"].items():
        print(f"| {name} | {median[name]:.2f} | {ratio:.2f}x the library's own |")
    print(
        f"one objective call: losskit {call['losskit']:.1f} ms ({call['losskit, value checks off']:.1f} ms with "
        f"lk.value_checks(False)), hand-written NumPy {call['hand-written']:.1f} ms"
    )
    for name, pieces in rounds.items():
        print(f"per round, {name}: " + ", ".join(f"{key} {ms:.1f} ms" for key, ms in pieces.items()))


if __name__ == "__main__":
    main()
