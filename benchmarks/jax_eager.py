"""Eager losskit calls on JAX arrays against Optax's losses under ``jax.jit``, in one process.

    python benchmarks/jax_eager.py          # writes benchmarks/jax_eager.json

Per call: the objective of concrete CPU float32 arrays made once, waited for
(``block_until_ready``). losskit is ``lk.get(name, **options)(y_true, y_pred)`` with the default
settings (value checks on, which read the inputs on the host), value checks off, and the same
call with the per-call jit removed (``Loss.reference_call``: op by op, what eager JAX ran
before); Optax is ``jax.jit`` of ``squared_error`` / ``sigmoid_binary_cross_entropy`` /
``softmax_cross_entropy_with_integer_labels``, meaned. Contenders take turns every 20 calls
within a round; a time is the median over rounds, a ratio (losskit / optax) the median of the
per-round ratios.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import losskit as lk

RESULTS = Path(__file__).with_name("jax_eager.json")


def contenders(rows: int):
    rng = np.random.default_rng(0)
    y, p = (jnp.asarray(rng.normal(size=(rows, 1)).astype(np.float32)) for _ in range(2))
    b = jnp.asarray((rng.random((rows, 1)) < 0.5).astype(np.float32))
    labels, logits = jnp.asarray(rng.integers(0, 10, rows)), jnp.asarray(rng.normal(size=(rows, 10)).astype(np.float32))
    cases = {
        "mse": (lk.get("mse"), lambda t, q: jnp.mean(optax.squared_error(q, t)), (y, p)),
        "bce_logits": (lk.get("bce", from_logits=True), lambda t, q: jnp.mean(optax.sigmoid_binary_cross_entropy(q, t)), (b, p)),
        "scce_logits": (lk.get("scce", from_logits=True), lambda t, q: jnp.mean(optax.softmax_cross_entropy_with_integer_labels(q, t)), (labels, logits)),
    }
    for name, (loss, theirs, args) in cases.items():
        optax_jit = jax.jit(theirs)

        def unchecked(loss=loss, args=args):
            with lk.value_checks(False):
                return loss(*args).block_until_ready()

        yield name, {
            "optax_jit": lambda f=optax_jit, args=args: f(*args).block_until_ready(),
            "losskit": lambda loss=loss, args=args: loss(*args).block_until_ready(),
            "losskit_checks_off": unchecked,
            "losskit_op_by_op": lambda loss=loss, args=args: loss.reference_call(*args).block_until_ready(),
        }


def compare(fns: dict, calls: int, rounds: int, chunk: int = 20) -> dict:
    for fn in fns.values():
        fn()
    times = {k: [] for k in fns}
    for _ in range(rounds):
        spent = dict.fromkeys(fns, 0.0)
        for start in range(0, calls, chunk):
            n = min(chunk, calls - start)
            for k, fn in fns.items():
                t0 = time.perf_counter()
                for _ in range(n):
                    fn()
                spent[k] += time.perf_counter() - t0
        for k in fns:
            times[k].append(spent[k] / calls)
    out = {f"{k}_us": round(1e6 * statistics.median(v), 2) for k, v in times.items()}
    for k in fns:
        out[f"ratio/{k}"] = round(statistics.median(a / b for a, b in zip(times[k], times["optax_jit"])), 3)
    return out


def main() -> None:
    rows = []
    for size, calls in ((256, 200), (1_000_000, 4)):
        for name, fns in contenders(size):
            row = {"rows": size, "loss": name, **compare(fns, calls, rounds=7)}
            rows.append(row)
            print(f"{size:>8} {name:>12}: optax {row['optax_jit_us']:9.1f} us  losskit {row['losskit_us']:9.1f} us "
                  f"({row['ratio/losskit']:.2f}x; checks off {row['ratio/losskit_checks_off']:.2f}x; op by op {row['ratio/losskit_op_by_op']:.2f}x)", flush=True)  # fmt: skip
    results = {
        "command": "python benchmarks/jax_eager.py",
        "machine": {"python": platform.python_version(), "jax": jax.__version__, "optax": optax.__version__, "devices": [str(d) for d in jax.devices()]},
        "rows": rows,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
