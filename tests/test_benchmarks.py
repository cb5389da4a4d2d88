"""The benchmark scripts stay runnable: each runs end to end at a tiny size (nothing is timed or
compared here; the figures come from full runs on a quiet machine, benchmarks/README.md).

The scripts are copied into a temporary folder (together: one may import another) and each is run
there, so the JSON it writes beside itself lands there and the committed results are left alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SRC = Path(__file__).resolve().parents[1] / "src"

SCRIPTS = {
    "run.py": (["--rows", "2000", "--rounds", "1", "--repeats", "1", "--sample-ms", "1", "--out", "results.json"], "results.json", ("torch", "jax", "sklearn")),
    "numpy_floor.py": (["--size", "70000", "--rounds", "1", "--sample-ms", "1"], "numpy_floor.json", ("torch", "jax", "sklearn")),
    "numpy_profile.py": (["--size", "70000", "--rounds", "1"], "numpy_profile.json", ()),
    "torch_bce_floor.py": (["--rounds", "1", "--calls", "20"], "torch_bce_floor.json", ("torch",)),
    "gbdt.py": (["--rows", "3000", "--features", "8", "--rounds", "2", "--repeats", "1"], "gbdt.json", ("xgboost", "lightgbm")),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_benchmark_script_runs_at_a_tiny_size(script, tmp_path):
    arguments, written, needs = SCRIPTS[script]
    for module in needs:
        pytest.importorskip(module)
    for source in BENCHMARKS.glob("*.py"):
        shutil.copy(source, tmp_path / source.name)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, script, *arguments], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / written).read_text())
    assert report, f"{script} wrote an empty {written}"


def test_torch_step_partial_run_prints_its_rows(tmp_path):
    """``torch_step.py --only/--sizes`` (a partial run: printed, no JSON written) at batch 32."""
    pytest.importorskip("torch")
    shutil.copy(BENCHMARKS / "torch_step.py", tmp_path / "torch_step.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    arguments = ["--only", "mse,bce_logits", "--sizes", "32", "--rounds", "1"]
    done = subprocess.run([sys.executable, "torch_step.py", *arguments], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if "batch 32" in line]
    assert [row.split()[2] for row in rows] == ["mse:", "bce_logits:"], done.stdout
    assert not (tmp_path / "torch_step.json").exists()
