"""losskit inside a PyTorch training step, against ``torch.nn.functional``, in one process.

    python benchmarks/torch_step.py                 # everything; writes benchmarks/torch_step.json
    python benchmarks/torch_step.py --quick         # fewer rounds, no compiled step
    python benchmarks/torch_step.py --no-compile    # skip the torch.compile'd training step
    python benchmarks/torch_step.py --table         # the markdown tables of the last run
    python benchmarks/torch_step.py --threads 1     # one intra-op thread: torch_step.threads1.json

Per call: forward and backward of the objective (``loss(y, x).backward()``) on CPU float32
tensors made once, ``x`` a leaf that requires grad. losskit is ``lk.get(name, **options)`` with
the default settings (value checks on) and, as a second column, value checks off; torch is
``F.mse_loss``, ``F.l1_loss``, ``F.huber_loss``, ``F.binary_cross_entropy_with_logits``,
``F.cross_entropy`` (probability targets or class indices). Calls are interleaved: each round
times the same number of calls of each contender, taking turns every 20 calls (a burst of load on a
shared host falls on all alike); a time is the median over rounds, a ratio the median over rounds
of losskit's time over torch's in that round: at or below 1, losskit costs no more.

Sizes: batch 32 and 256 (one output for elementwise losses, 10 classes for crossentropy),
10^6 elements ((10^6, 1)) and 65,536 x 1,000 logits; and, with no target, 16,384 elements (MSE
and BCE from logits) between the small and the large. The compiled step: a 2-layer MLP, loss and
SGD update in one ``torch.compile``d function (inductor), losskit's loss against torch's own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import losskit as lk

RESULTS = Path(__file__).with_name("torch_step.json")


def cases(batch: int, classes: int):
    g = torch.Generator().manual_seed(0)
    y = torch.randn(batch, 1, generator=g)
    x = torch.randn(batch, 1, generator=g).requires_grad_()
    b = (torch.rand(batch, 1, generator=g) < 0.5).float()
    logits = torch.randn(batch, classes, generator=g).requires_grad_()
    labels = torch.randint(0, classes, (batch,), generator=g)
    one_hot = F.one_hot(labels, classes).float()
    return {
        "mse": (lk.get("mse"), lambda: F.mse_loss(x, y), (y, x)),
        "mae": (lk.get("mae"), lambda: F.l1_loss(x, y), (y, x)),
        "huber": (lk.get("huber"), lambda: F.huber_loss(x, y), (y, x)),
        "bce_logits": (lk.get("binary_crossentropy", from_logits=True), lambda: F.binary_cross_entropy_with_logits(x, b), (b, x)),
        "cce_logits": (lk.get("categorical_crossentropy", from_logits=True), lambda: F.cross_entropy(logits, one_hot), (one_hot, logits)),
        "scce_logits": (lk.get("sparse_categorical_crossentropy", from_logits=True), lambda: F.cross_entropy(logits, labels), (labels, logits)),
    }


def timed(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def compare(contenders: dict, calls: int, rounds: int, chunk: int = 20) -> dict[str, float]:
    """Median seconds per call of each contender, and ``ratio/NAME``: the median over rounds of
    NAME's time over the first contender's. Within a round the contenders take turns every
    ``chunk`` calls, so that a burst of load on a shared host falls on all of them alike."""
    for fn in contenders.values():
        timed(fn, max(1, min(calls, chunk) // 2))  # warm up
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        spent = dict.fromkeys(contenders, 0.0)
        for start in range(0, calls, chunk):
            n = min(chunk, calls - start)
            for name, fn in contenders.items():
                spent[name] += timed(fn, n) * n
        for name in contenders:
            times[name].append(spent[name] / calls)
    first = next(iter(contenders))
    result = {name: statistics.median(t) for name, t in times.items()}
    for name in contenders:
        result[f"ratio/{name}"] = statistics.median(a / b for a, b in zip(times[name], times[first]))
    return result


def step_of(objective):
    def step():
        objective().backward()

    return step


def eager(sizes, rounds: int) -> list[dict]:
    rows = []
    for label, batch, classes, which, calls in sizes:
        for name, (loss, torch_fn, (y_true, x)) in cases(batch, classes).items():
            if name not in which:
                continue
            leaf = x

            def ours(loss=loss, y_true=y_true, x=x):
                return loss(y_true, x)

            def ours_unchecked(loss=loss, y_true=y_true, x=x):
                with lk.value_checks(False):
                    return loss(y_true, x)

            contenders = {"torch": step_of(torch_fn), "losskit": step_of(ours), "losskit_checks_off": step_of(ours_unchecked)}
            t = compare(contenders, calls, rounds, chunk=20 if calls > 20 else 1)
            leaf.grad = None
            rows.append({
                "size": label, "loss": name,
                "torch_us": round(1e6 * t["torch"], 2), "losskit_us": round(1e6 * t["losskit"], 2),
                "losskit_checks_off_us": round(1e6 * t["losskit_checks_off"], 2),
                "ratio": round(t["ratio/losskit"], 3), "ratio_checks_off": round(t["ratio/losskit_checks_off"], 3),
            })  # fmt: skip
            print(f"{label:>16} {name:>12}: torch {1e6 * t['torch']:10.1f} us  losskit {1e6 * t['losskit']:10.1f} us "
                  f"({rows[-1]['ratio']:.2f}x; checks off {rows[-1]['ratio_checks_off']:.2f}x)", flush=True)  # fmt: skip
    return rows


def compiled_step(rounds: int) -> list[dict]:
    """A training step (MLP forward, loss, backward, SGD update) compiled whole, per loss."""
    torch.manual_seed(0)
    torch._dynamo.config.recompile_limit = 64  # one step function, compiled once per loss and contender
    rows = []
    batch, features, classes = 256, 64, 10
    x = torch.randn(batch, features)
    labels = torch.randint(0, classes, (batch,))
    targets = torch.randn(batch, 1)
    binary = (torch.rand(batch, 1) < 0.5).float()
    for name, ours, theirs, y, out in [
        ("scce_logits", lk.get("sparse_categorical_crossentropy", from_logits=True), lambda p, t: F.cross_entropy(p, t), labels, classes),
        ("bce_logits", lk.get("binary_crossentropy", from_logits=True), lambda p, t: F.binary_cross_entropy_with_logits(p, t), binary, 1),
        ("mse", lk.get("mse"), lambda p, t: F.mse_loss(p, t), targets, 1),
        ("log_cosh (no torch fused loss)", lk.get("log_cosh"), lambda p, t: torch.mean(torch.log(torch.cosh(p - t))), targets, 1),
    ]:
        steps = {}
        for who, loss_fn in (("torch", theirs), ("losskit", lambda p, t, loss=ours: loss(t, p))):
            model = torch.nn.Sequential(torch.nn.Linear(features, 128), torch.nn.ReLU(), torch.nn.Linear(128, out))
            opt = torch.optim.SGD(model.parameters(), lr=1e-3)

            def step(model=model, opt=opt, loss_fn=loss_fn):
                for parameter in model.parameters():
                    parameter.grad = None
                value = loss_fn(model(x), y)
                value.backward()
                opt.step()
                return value

            start = time.perf_counter()
            compiled = torch.compile(step)
            compiled()
            compile_s = time.perf_counter() - start
            steps[who] = (compiled, compile_s)
        t = compare({who: fn for who, (fn, _) in steps.items()}, 200, rounds)
        rows.append({
            "loss": name, "torch_us": round(1e6 * t["torch"], 2), "losskit_us": round(1e6 * t["losskit"], 2),
            "ratio": round(t["ratio/losskit"], 3), "compile_s": {w: round(s, 1) for w, (_, s) in steps.items()},
        })  # fmt: skip
        print(f"compiled step {name:>30}: torch {1e6 * t['torch']:8.1f} us  losskit {1e6 * t['losskit']:8.1f} us ({rows[-1]['ratio']:.2f}x)", flush=True)
    return rows


TARGETS = {"batch 32": 1.2, "batch 256": 1.2, "10^6 elements": 1.0, "65536 x 1000": 1.0}


def markdown(results: dict) -> str:
    """The tables of benchmarks/README.md from the JSON."""
    lines = [
        "| size | loss | torch (µs) | losskit (µs) | ratio | target | met | losskit, checks off (µs) | ratio |",
        "|---|---|---:|---:|---:|---:|:-:|---:|---:|",
    ]
    for r in results["eager"]:
        target = TARGETS.get(r["size"])
        aim = "–" if target is None else f"≤ {target:g}×"
        met = "–" if target is None else "yes" if round(r["ratio"], 2) <= target else "**no**"
        lines.append(
            f"| {r['size']} | {r['loss']} | {r['torch_us']:g} | {r['losskit_us']:g} | {r['ratio']:.2f}× | {aim} | "
            f"{met} | {r['losskit_checks_off_us']:g} | {r['ratio_checks_off']:.2f}× |"
        )
    if "compiled_step" in results:
        lines += ["", "| compiled training step | torch (µs) | losskit (µs) | ratio | target | met |", "|---|---:|---:|---:|---:|:-:|"]
        for r in results["compiled_step"]:
            lines.append(f"| {r['loss']} | {r['torch_us']:g} | {r['losskit_us']:g} | {r['ratio']:.2f}× | ≤ 1× | {'yes' if round(r['ratio'], 2) <= 1.0 else '**no**'} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=None, help="rounds per figure (default 15; 5 with --quick)")
    parser.add_argument("--only", default=None, help="comma-separated losses (mse, mae, huber, bce_logits, cce_logits, scce_logits); does not write the JSON")
    parser.add_argument("--sizes", default=None, help="comma-separated sizes (32, 256, 16384, 1e6, 65536x1000); does not write the JSON")
    parser.add_argument("--table", action="store_true", help="print the markdown tables of the last run and exit")
    parser.add_argument("--compile-only", action="store_true", help="rerun only the compiled step, into the last run's JSON")
    args = parser.parse_args()
    results_file = RESULTS if args.threads == 2 else RESULTS.with_name(f"torch_step.threads{args.threads}.json")
    if args.table:
        print(markdown(json.loads(results_file.read_text())))
        return
    if args.compile_only:
        torch.set_num_threads(args.threads)
        results = json.loads(results_file.read_text())
        results["compiled_step"] = compiled_step(args.rounds or 15)
        results_file.write_text(json.dumps(results, indent=2) + "\n")
        print(markdown(results))
        return
    torch.set_num_threads(args.threads)
    rounds = args.rounds or (5 if args.quick else 15)
    elementwise = ("mse", "mae", "huber", "bce_logits")
    everything = (*elementwise, "cce_logits", "scce_logits")
    sizes = [
        ("batch 32", 32, 10, everything, 400),
        ("batch 256", 256, 10, everything, 400),
        ("16384 elements", 16_384, 10, ("mse", "bce_logits"), 100),  # not a target: between the two
        ("10^6 elements", 1_000_000, 10, elementwise, 8),
        ("65536 x 1000", 65_536, 1000, ("cce_logits", "scce_logits"), 1),
    ]
    if args.only or args.sizes:  # a partial run, printed only
        chosen = set(args.only.split(",")) if args.only else None
        keys = {"32": "batch 32", "256": "batch 256", "16384": "16384 elements", "1e6": "10^6 elements", "65536x1000": "65536 x 1000"}
        unknown = sorted((chosen or set()) - set(everything)) + sorted(set(args.sizes.split(",") if args.sizes else ()) - set(keys))
        if unknown:
            parser.error(f"unknown loss or size {', '.join(unknown)}: losses {', '.join(everything)}; sizes {', '.join(keys)}")
        labels = {keys[k] for k in args.sizes.split(",")} if args.sizes else None
        sizes = [(label, batch, classes, tuple(w for w in which if chosen is None or w in chosen), calls)
                 for label, batch, classes, which, calls in sizes if labels is None or label in labels]  # fmt: skip
        eager(sizes, rounds)
        return
    results = {
        "command": "python benchmarks/torch_step.py" + (" --quick" if args.quick else "") + (" --no-compile" if args.no_compile else "")
        + (f" --threads {args.threads}" if args.threads != 2 else "") + (f" --rounds {args.rounds}" if args.rounds else ""),
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "threads": torch.get_num_threads(),
                    "processor": platform.processor() or platform.machine(), "load_average_before": list(os.getloadavg())},
        "rounds": rounds,
        "eager": eager(sizes, rounds),
    }  # fmt: skip
    if not (args.quick or args.no_compile):
        results["compiled_step"] = compiled_step(rounds)
    results_file.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
