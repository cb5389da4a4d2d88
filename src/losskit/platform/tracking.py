"""``losskit compare --mlflow URI``: every fit of a comparison logged to an MLflow tracking store.

One parent run per comparison (the settings as parameters, the verdict as tags, each loss's mean
of each metric as metrics) and, nested under it, one run per fit (loss x split): its loss,
options, last-layer activation and split as parameters, its held-out metrics, and every epoch's
training and validation values with the epoch as the step. ``uri`` is any tracking URI MLflow
takes (``http://host:5000``, ``sqlite:///mlflow.db``, ``file:./mlruns``; for a ``file:`` store
MLflow's maintenance-mode refusal is lifted with ``MLFLOW_ALLOW_FILE_STORE``). Needs MLflow
(``pip install mlflow-skinny``); it reads only ``history.json``'s content, so it can log a
finished report again.
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any

EXPERIMENT = "losskit compare"
_BATCH = 900  # MLflow's log_batch takes at most 1000 metrics a call


def require_mlflow():
    """The ``mlflow`` module, or ImportError with the install command."""
    try:
        import mlflow
    except ImportError:
        raise ImportError('--mlflow needs MLflow: pip install mlflow-skinny (or "losskit[tracking]")') from None
    return mlflow


def log_comparison(history: dict[str, Any], uri: str, *, experiment: str = EXPERIMENT) -> str:
    """Log ``history`` (the content of ``history.json``) to the store at ``uri``; return the parent run's id."""
    mlflow = require_mlflow()
    from mlflow.entities import Metric, Param, RunTag

    if uri.startswith("file:") or "://" not in uri:
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    client = mlflow.MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found is not None else client.create_experiment(experiment)
    now = int(time.time() * 1000)
    verdict = history.get("verdict", {})
    parent = client.create_run(experiment_id, run_name=f"{history['dataset']['name']}: {history['learner'].split(' ')[0]}", tags={
        "losskit.verdict.metric": str(verdict.get("metric")), "losskit.verdict.best": json.dumps(verdict.get("best", [])),
        "losskit.verdict.equivalent": json.dumps(verdict.get("equivalent", [])), "losskit.verdict.method": str(verdict.get("method", "")),
        "losskit.schema_version": str(history.get("schema_version")),
    })  # fmt: skip
    parent_id = parent.info.run_id
    settings = {**history.get("settings", {}), "dataset": history["dataset"]["name"], "task": history["dataset"]["task"], "metric": history.get("metric")}
    summary = [
        Metric(_key(f"{run['label']}.{metric}.mean"), float(stats["mean"]), now, 0)
        for run in history["runs"] for metric, stats in run.get("summary", {}).items() if _finite(stats.get("mean"))
    ]  # fmt: skip
    _log(client, parent_id, [Param(k, _text(v)) for k, v in settings.items()], summary)
    client.set_terminated(parent_id)
    for run in history["runs"]:
        for fit in run.get("fits", []):
            child = client.create_run(experiment_id, run_name=f"{run['label']} / split {fit['split']}", tags={
                "mlflow.parentRunId": parent_id, "losskit.status": fit.get("status", ""), "losskit.loss": run["loss"],
            })  # fmt: skip
            split = history["splits"][fit["split"]] if fit["split"] < len(history.get("splits", [])) else {}
            params = {"loss": run["loss"], "label": run["label"], "options": json.dumps(run.get("options", {}), default=str),
                      "activation": run.get("activation"), "split": fit["split"], "repeat": split.get("repeat"),
                      "fold": split.get("fold"), "seed": split.get("seed"), "best_epoch": fit.get("best_epoch")}  # fmt: skip
            metrics = [Metric(_key(f"test_{k}"), float(v), now, 0) for k, v in fit.get("test", {}).items() if _finite(v)]
            for name, values in fit.get("history", {}).items():
                metrics += [Metric(_key(name), float(v), now, step) for step, v in enumerate(values, start=1) if _finite(v)]
            _log(client, child.info.run_id, [Param(k, _text(v)) for k, v in params.items()], metrics)
            client.set_terminated(child.info.run_id, status="FINISHED" if fit.get("status") == "completed" else "FAILED")
    return parent_id


def _log(client, run_id: str, params, metrics) -> None:
    client.log_batch(run_id, params=params[:100])
    for start in range(0, len(metrics), _BATCH):
        client.log_batch(run_id, metrics=metrics[start : start + _BATCH])


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _key(name: str) -> str:
    """An MLflow metric key: letters, digits and ``_-./ `` only."""
    return "".join(c if c.isalnum() or c in "_-./ " else "_" for c in name)
