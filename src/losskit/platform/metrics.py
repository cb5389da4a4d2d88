"""The metrics a person choosing a loss looks at, for each task, computed with scikit-learn.

============  ===========================================================================
regression    MAE, RMSE, R², median absolute error; for a quantile loss also its pinball
              loss and coverage (the share of targets at or below the prediction)
counts        MAE, RMSE, mean Poisson deviance, mean Tweedie deviance (power 1.5)
binary        accuracy, balanced accuracy, log loss, Brier score, F1 (of class 1), ROC AUC,
              average precision
multiclass    accuracy, balanced accuracy, log loss, F1 (macro average over classes)
============  ===========================================================================

A metric that is undefined for a model is ``None``: log loss and Brier score when the outputs
are not probabilities (hinge losses), the deviances when a prediction is not positive, ROC AUC
and average precision when the rows hold a single class.

:data:`DEFAULT_METRIC` ranks the losses unless ``--metric`` says otherwise. The defaults are
metrics that no candidate's training objective is by construction: a loss trained on MSE wins
on RMSE because RMSE *is* its objective, not because it models the data better.
"""

from __future__ import annotations

import math

import numpy as np

from .output import Prediction

METRICS = {
    "regression": ("mae", "rmse", "r2", "medae"),
    "counts": ("mae", "rmse", "poisson_deviance", "tweedie_deviance"),
    "binary": ("accuracy", "balanced_accuracy", "log_loss", "brier", "f1", "roc_auc", "average_precision"),
    "multiclass": ("accuracy", "balanced_accuracy", "log_loss", "f1"),
}

#: Metrics of a model trained with a quantile loss (its ``quantile`` option ``q``), besides the task's.
QUANTILE_METRICS = ("pinball", "coverage")

#: The metric that ranks the losses by default, and why it does not favour one loss.
DEFAULT_METRIC = {
    "regression": "medae",
    "counts": "mae",
    "binary": "average_precision",
    "multiclass": "accuracy",
}
WHY_DEFAULT = {
    "medae": "the median absolute error is in the target's units, is not the training objective of any "
    "candidate (RMSE would favour MSE, MAE would favour MAE) and is not swayed by gross outliers among the test targets",
    "mae": "the mean absolute error is in the target's units and is not the objective of the count losses "
    "(Poisson deviance would favour the Poisson loss by construction)",
    "average_precision": "average precision does not depend on a threshold, is the training objective of no "
    "loss and, unlike ROC AUC, is not dominated by the easy negatives of an imbalanced set",
    "accuracy": "accuracy, the share of rows classified right, is the training objective of no loss "
    "(log loss would favour crossentropy by construction)",
}

#: Why a metric can be undefined for a model.
UNDEFINED_WHEN = {
    "poisson_deviance": "a prediction was not positive",
    "tweedie_deviance": "a prediction was not positive",
    "log_loss": "the outputs are not probabilities",
    "brier": "the outputs are not probabilities",
    "roc_auc": "a test fold held a single class",
    "average_precision": "a test fold held a single class",
    "pinball": "the loss is not a quantile loss",
    "coverage": "the loss is not a quantile loss",
}

HIGHER_IS_BETTER = frozenset({"r2", "accuracy", "balanced_accuracy", "f1", "roc_auc", "average_precision"})

#: Metrics whose values lie in [0, 1] (or at most 1): differences are read on an absolute scale.
BOUNDED = frozenset({"r2", "accuracy", "balanced_accuracy", "f1", "roc_auc", "average_precision", "brier", "coverage"})

LABELS = {
    "mae": "MAE",
    "rmse": "RMSE",
    "r2": "R²",
    "medae": "median abs. error",
    "pinball": "pinball loss",
    "coverage": "coverage",
    "poisson_deviance": "Poisson deviance",
    "tweedie_deviance": "Tweedie deviance",
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "log_loss": "log loss",
    "brier": "Brier score",
    "f1": "F1",
    "roc_auc": "ROC AUC",
    "average_precision": "average precision",
}

#: Every metric a comparison can rank by.
ALL_METRICS = tuple(dict.fromkeys(m for names in METRICS.values() for m in names)) + QUANTILE_METRICS


def metrics_for(task: str, quantile: float | None = None) -> tuple[str, ...]:
    """The metrics of a model on ``task``; a quantile loss's model adds :data:`QUANTILE_METRICS`."""
    return METRICS[task] + (QUANTILE_METRICS if quantile is not None and task == "regression" else ())


def metric_range(metric: str) -> tuple[float, float]:
    """The values ``metric`` can take: [0, 1] for shares and scores, (-inf, 1] for R², else [0, inf)."""
    if metric == "r2":
        return -math.inf, 1.0
    return (0.0, 1.0) if metric in BOUNDED else (0.0, math.inf)


def sign(metric: str) -> float:
    """+1 where higher is better, -1 where lower is better: ``sign * value`` is a score."""
    return 1.0 if metric in HIGHER_IS_BETTER else -1.0


def task_metrics(task: str, y: np.ndarray, prediction: Prediction, *, n_classes: int = 0, quantile: float | None = None) -> dict[str, float | None]:
    """The metrics of :func:`metrics_for` on targets ``y`` (values or class indices)."""
    import sklearn
    from sklearn import metrics as skm

    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        if task in ("regression", "counts"):
            return _floats(_value_metrics(skm, task, np.asarray(y, dtype=np.float64), prediction.values, quantile))
        return _floats(_class_metrics(skm, task, y, prediction, n_classes))


def _value_metrics(skm, task: str, y, pred, quantile):
    names = metrics_for(task, quantile)
    if pred is None or not np.all(np.isfinite(pred)):
        return dict.fromkeys(names)
    result = {"mae": skm.mean_absolute_error(y, pred), "rmse": math.sqrt(skm.mean_squared_error(y, pred))}
    if task == "regression":
        result["r2"] = skm.r2_score(y, pred)
        result["medae"] = skm.median_absolute_error(y, pred)
        if quantile is not None:
            result["pinball"] = skm.mean_pinball_loss(y, pred, alpha=quantile)
            result["coverage"] = float(np.mean(y <= pred))
    else:
        positive = bool(np.all(pred > 0))
        result["poisson_deviance"] = skm.mean_poisson_deviance(y, pred) if positive else None
        result["tweedie_deviance"] = skm.mean_tweedie_deviance(y, pred, power=1.5) if positive else None
    return result


def _class_metrics(skm, task: str, y, prediction: Prediction, n_classes: int):
    labels = prediction.labels
    result = {"accuracy": skm.accuracy_score(y, labels), "balanced_accuracy": _balanced_accuracy(skm, y, labels)}
    proba = prediction.proba
    usable = proba is not None and bool(np.all(np.isfinite(proba)))
    classes = list(range(max(n_classes, 2)))
    result["log_loss"] = skm.log_loss(y, _clip(proba), labels=classes) if usable else None
    if task == "binary":
        result["brier"] = skm.brier_score_loss(y, np.clip(proba, 0.0, 1.0)) if usable else None
        result["f1"] = skm.f1_score(y, labels, zero_division=0.0)
        scores = prediction.scores
        defined = len(np.unique(y)) == 2 and bool(np.all(np.isfinite(scores)))
        result["roc_auc"] = skm.roc_auc_score(y, scores) if defined else None
        result["average_precision"] = skm.average_precision_score(y, scores) if defined else None
    else:
        result["f1"] = skm.f1_score(y, labels, average="macro", labels=classes, zero_division=0.0)
    return result


def _balanced_accuracy(skm, y, labels) -> float:
    """The mean recall over the classes present in ``y`` (scikit-learn's, without its warning
    about classes that are predicted but absent)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return skm.balanced_accuracy_score(y, labels)


def _clip(proba: np.ndarray) -> np.ndarray:
    """Probabilities kept off 0 and 1 (by 1e-15, as scikit-learn did before 1.5) and, for
    several classes, rows renormalised: a confident wrong answer costs log(1e15) = 34.5."""
    p = np.clip(proba, 1e-15, 1 - 1e-15)
    return p / p.sum(axis=1, keepdims=True) if p.ndim == 2 else p


def _floats(result: dict) -> dict[str, float | None]:
    return {k: None if v is None or not math.isfinite(float(v)) else float(v) for k, v in result.items()}
