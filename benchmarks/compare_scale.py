"""``losskit compare`` on a million rows: the reader's time and memory, and one epoch end to end.

    python benchmarks/compare_scale.py                      # 1,000,000 rows x 20 features, a numeric target
    python benchmarks/compare_scale.py --rows 200000 --skip-compare

Generates the CSV in a temporary directory (normal features, a linear target with noise, written
by pyarrow), then, each in a fresh process so that its peak resident set size is its own:

- ``read``: ``losskit.platform.read_csv`` (pyarrow's multithreaded reader, columns typed once,
  the feature matrix filled in place), time and peak memory above the process after its imports;
- ``loadtxt``: ``np.loadtxt(..., delimiter=",", skiprows=1)`` on the same file, the same figures;
- ``compare``: ``losskit compare --csv FILE --target y --epochs 1 --quiet`` with every other option
  at its default (the recommended losses, 3 x 3 splits, the mlp), wall time.

The numeric data itself is ``rows x (features + 1) x 8`` bytes. Writes ``compare_scale.json``
beside this file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

MEASURE = """
import json, resource, sys, time
import numpy as np
{imports}
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20
before = rss_mb()
started = time.perf_counter()
{call}
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": round(seconds, 2), "peak_mb": round(peak, 1), "peak_above_imports_mb": round(peak - before, 1)}}))
"""

METHODS = {
    "read": (
        "from losskit.platform import read_csv",
        "data = read_csv(sys.argv[1], 'y'); assert data.X.shape[0] > 0",
    ),
    "loadtxt": (
        "",
        "data = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1); assert data.shape[0] > 0",
    ),
}


def generate(path: Path, rows: int, features: int, seed: int = 0) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pv

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features))
    y = X @ rng.normal(size=features) + rng.normal(size=rows)
    columns = {f"x{j}": np.round(X[:, j], 5) for j in range(features)} | {
        "y": np.round(y, 5)
    }
    pv.write_csv(pa.table(columns), path)


def measure(method: str, path: Path) -> dict:
    imports, call = METHODS[method]
    code = MEASURE.format(imports=imports, call=call)
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def end_to_end(path: Path, out: Path) -> dict:
    started = time.perf_counter()
    command = [
        sys.executable,
        "-m",
        "losskit.cli",
        "compare",
        "--csv",
        str(path),
        "--target",
        "y",
        "--epochs",
        "1",
        "--quiet",
        "--json",
        "--out",
        str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    history = json.loads((out / "history.json").read_text())
    return {
        "command": "losskit compare --csv FILE --target y --epochs 1",
        "seconds": round(seconds, 1),
        "fits": sum(len(r["fits"]) for r in history["runs"]),
        "losses": [r["label"] for r in history["runs"]],
        "batch_size": history["settings"]["batch_size"],
        "n_train": history["dataset"]["n_train"],
        "verdict": history["verdict"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--skip-compare", action="store_true", help="only the reader")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scale.csv"
        started = time.perf_counter()
        generate(path, args.rows, args.features)
        results = {
            "rows": args.rows,
            "features": args.features,
            "csv_mb": round(path.stat().st_size / 2**20, 1),
            "numeric_mb": round(args.rows * (args.features + 1) * 8 / 2**20, 1),
            "generate_seconds": round(time.perf_counter() - started, 1),
            "machine": {
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "load_average_before": os.getloadavg()[0],  # other processes on the machine
            },
        }
        for method in METHODS:
            results[method] = measure(method, path)
            print(method, results[method], flush=True)
        if not args.skip_compare:
            results["compare"] = end_to_end(path, Path(tmp) / "report")
            print("compare", results["compare"]["seconds"], "s", flush=True)
    (HERE / "compare_scale.json").write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
