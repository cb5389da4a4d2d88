"""``losskit compare --mlflow URI``: every fit of the comparison in an MLflow store (a local
``file:`` store here), with the numbers of ``history.json``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
mlflow = pytest.importorskip("mlflow")
SRC = str(Path(__file__).resolve().parent.parent / "src")


def test_every_fit_is_logged_with_the_history_numbers(tmp_path):
    store = f"file:{tmp_path / 'mlruns'}"
    out = tmp_path / "report"
    cmd = [sys.executable, "-m", "losskit.cli", "compare", "--dataset", "diabetes", "--losses", "mse,huber(delta=30.0)",
           "--repeats", "1", "--folds", "2", "--epochs", "4", "--out", str(out), "--quiet", "--mlflow", store]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    history = json.loads((out / "history.json").read_text())
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    client = mlflow.MlflowClient(tracking_uri=store)
    experiment = client.get_experiment_by_name("losskit compare")
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and len(children) == 4  # 2 losses x 2 splits
    assert json.loads(parents[0].data.tags["losskit.verdict.best"]) == history["verdict"]["best"]
    for run in history["runs"]:
        for fit in run["fits"]:
            (child,) = [c for c in children if c.info.run_name == f"{run['label']} / split {fit['split']}"]
            assert child.data.params["loss"] == run["loss"] and int(child.data.params["split"]) == fit["split"]
            assert child.data.tags["mlflow.parentRunId"] == parents[0].info.run_id
            for metric, value in fit["test"].items():
                assert child.data.metrics[f"test_{metric}"] == pytest.approx(value, rel=1e-12)
            steps = client.get_metric_history(child.info.run_id, "val_loss")
            assert [m.step for m in steps] == list(range(1, len(fit["history"]["val_loss"]) + 1))
            assert [m.value for m in steps] == pytest.approx(fit["history"]["val_loss"], rel=1e-12)
