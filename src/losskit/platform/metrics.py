"""The metrics users expect for each task, computed with scikit-learn.

============  ===========================================================================
regression    MAE, RMSE, R²
counts        MAE, RMSE, mean Poisson deviance
binary        accuracy, log loss, F1 (of class 1), ROC AUC
multiclass    accuracy, log loss, F1 (macro average over classes)
============  ===========================================================================

A metric that is undefined for a model is ``None``: log loss when the outputs are not
probabilities (hinge losses), Poisson deviance when a prediction is not positive, ROC AUC
when the rows hold a single class.
"""

from __future__ import annotations

import math

import numpy as np

from .heads import Prediction

METRICS = {
    "regression": ("mae", "rmse", "r2"),
    "counts": ("mae", "rmse", "poisson_deviance"),
    "binary": ("accuracy", "log_loss", "f1", "roc_auc"),
    "multiclass": ("accuracy", "log_loss", "f1"),
}

#: The metric that ranks the losses and is drawn beside each loss's curves.
PRIMARY = {"regression": "rmse", "counts": "poisson_deviance", "binary": "roc_auc", "multiclass": "accuracy"}

HIGHER_IS_BETTER = frozenset({"r2", "accuracy", "f1", "roc_auc"})

LABELS = {
    "mae": "MAE",
    "rmse": "RMSE",
    "r2": "R²",
    "poisson_deviance": "Poisson deviance",
    "accuracy": "accuracy",
    "log_loss": "log loss",
    "f1": "F1",
    "roc_auc": "ROC AUC",
}


def task_metrics(task: str, y: np.ndarray, prediction: Prediction, *, n_classes: int = 0) -> dict[str, float | None]:
    """The metrics of :data:`METRICS` for ``task``: targets ``y`` (values or class indices)."""
    from sklearn import metrics as skm

    if task in ("regression", "counts"):
        pred = prediction.values
        if not np.all(np.isfinite(pred)):
            return dict.fromkeys(METRICS[task])
        result = {"mae": skm.mean_absolute_error(y, pred), "rmse": math.sqrt(skm.mean_squared_error(y, pred))}
        if task == "regression":
            result["r2"] = skm.r2_score(y, pred)
        else:
            result["poisson_deviance"] = skm.mean_poisson_deviance(y, pred) if np.all(pred > 0) else None
        return _floats(result)
    labels = prediction.labels
    result = {"accuracy": skm.accuracy_score(y, labels)}
    proba = prediction.proba
    usable = proba is not None and np.all(np.isfinite(proba))
    classes = list(range(max(n_classes, 2)))
    result["log_loss"] = skm.log_loss(y, _clip(proba), labels=classes) if usable else None
    if task == "binary":
        result["f1"] = skm.f1_score(y, labels, zero_division=0.0)
        scores = prediction.scores
        defined = len(np.unique(y)) == 2 and np.all(np.isfinite(scores))
        result["roc_auc"] = skm.roc_auc_score(y, scores) if defined else None
    else:
        result["f1"] = skm.f1_score(y, labels, average="macro", labels=classes, zero_division=0.0)
    return _floats(result)


def is_better(metric: str, a: float, b: float) -> bool:
    """Whether value ``a`` of ``metric`` beats ``b``."""
    return a > b if metric in HIGHER_IS_BETTER else a < b


def _clip(proba: np.ndarray) -> np.ndarray:
    """Probabilities kept off 0 and 1 (by 1e-15, as scikit-learn did before 1.5) and, for
    several classes, rows renormalised: a confident wrong answer costs log(1e15) = 34.5."""
    p = np.clip(proba, 1e-15, 1 - 1e-15)
    return p / p.sum(axis=1, keepdims=True) if p.ndim == 2 else p


def _floats(result: dict) -> dict[str, float | None]:
    return {k: None if v is None or not math.isfinite(float(v)) else float(v) for k, v in result.items()}
