"""How a loss meets a model, for every learner: the targets in the form the loss expects, and the
model's outputs read back as the task's predictions.

An :class:`OutputForm` is built from the loss's record (its link and target layout, through
:mod:`._record`) and the task. A model produces *outputs*: raw ones (logits, log-means, margins)
when the loss takes raw outputs (``from_logits=True``, ``log_input=True``), otherwise the
predictions themselves, after the last layer's activation. :meth:`OutputForm.decode` turns
outputs into predictions with the loss's inverse link, then into what the task needs:

==================  ===================================================================
regression, counts  ``values``: the prediction (means for a mean-variance loss)
probabilities       ``labels`` (probability > 0.5, or the largest), ``proba``, ``scores``
margins             hinge losses: ``labels`` by the sign (or the largest score), ``scores``
scores              a regression loss on class labels: ``labels`` above 0.5 (or the largest)
==================  ===================================================================

Losses named by the user are trained in their raw-output form when they have one
(:func:`stable_loss`): a linear last layer and the loss's stable log-space path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core import Loss
from ..registry import get
from . import _record

PROBABILITY_ACTIVATIONS = ("sigmoid", "softmax")


def stable_loss(identifier, options: dict | None = None) -> Loss:
    """The loss to train: a name gets its raw-output form (``from_logits=True`` or
    ``log_input=True``) unless ``options`` set it; a :class:`Loss` or callable is kept as given."""
    options = dict(options or {})
    if isinstance(identifier, str):
        option = _record.link_option(get(identifier))
        if option is not None and option not in options:
            options[option] = True
    return get(identifier, **options)


@dataclass(frozen=True)
class Prediction:
    """Predictions of a task: ``values`` (regression, counts); ``labels`` (class indices),
    ``scores`` (binary: larger means the positive class; multiclass: one column per class) and
    ``proba`` (binary: P(class 1), multiclass: one column per class; None when the outputs are
    not probabilities)."""

    values: np.ndarray | None = None
    labels: np.ndarray | None = None
    scores: np.ndarray | None = None
    proba: np.ndarray | None = None


@dataclass(frozen=True)
class OutputForm:
    """The output side of a model trained with ``loss`` on ``task`` (build with :func:`output_form`).

    ``target``: "column" (one float per row), "one_hot" (one float per class) or "labels" (class
    indices). ``reading``: what the predictions mean for the task ("value", "probability",
    "margin" or "score"). ``raw``: the model outputs raw values the inverse link maps to predictions.
    ``shift``/``scale``: the per-output affine map that puts a network's unit-scale outputs on
    the target's scale (neural learners; 0 and 1 elsewhere).
    """

    loss: Loss
    task: str
    n_classes: int
    activation: str
    n_outputs: int
    target: str
    reading: str
    raw: bool
    shift: tuple[float, ...]
    scale: tuple[float, ...]

    def encode(self, y: np.ndarray) -> np.ndarray:
        """Targets (floats, or class indices) in the form the loss expects."""
        if self.target == "labels":
            return np.asarray(y, dtype=np.int64)
        if self.target == "one_hot":
            return np.eye(self.n_classes, dtype=np.float32)[np.asarray(y, dtype=np.int64)]
        return np.asarray(y, dtype=np.float32).reshape(-1, 1)

    def predictions(self, outputs: np.ndarray) -> np.ndarray:
        """The predictions the loss measures, from the model's outputs."""
        out = np.asarray(outputs, dtype=np.float64).reshape(len(outputs), -1)
        return _record.predictions_from_raw(self.loss, out) if self.raw else out

    def decode(self, outputs: np.ndarray) -> Prediction:
        """The task's predictions from the model's outputs (after the last activation)."""
        pred = self.predictions(outputs)
        if self.task in ("regression", "counts"):
            return Prediction(values=pred[:, 0])
        if self.target == "column":  # binary: one output
            z = pred[:, 0]
            if self.reading == "probability":
                p = np.clip(z, 0.0, 1.0)
                return Prediction(labels=(p > 0.5).astype(np.int64), scores=p, proba=p)
            threshold = 0.0 if self.reading == "margin" else 0.5
            return Prediction(labels=(z > threshold).astype(np.int64), scores=z)
        proba = _rows_normalised(pred) if self.reading == "probability" else None
        labels = np.argmax(pred, axis=1)
        if self.task == "binary":
            scores = proba[:, 1] if proba is not None else pred[:, 1] - pred[:, 0]
            return Prediction(labels=labels, scores=scores, proba=None if proba is None else proba[:, 1])
        return Prediction(labels=labels, scores=pred, proba=proba)


def default_activation(loss: Loss) -> str:
    """The last layer a loss implies: linear when it takes raw outputs, else the first
    activation its metadata names (linear for a custom callable)."""
    activations = loss.info.activations
    return "linear" if _record.takes_raw_outputs(loss) or not activations else activations[0]


def output_form(loss: Loss, task: str, y: np.ndarray, *, n_classes: int = 0, activation: str | None = None, scaled: bool = True) -> OutputForm:
    """The output form of a model trained with ``loss`` on targets ``y`` (floats, or class indices).

    ``activation`` is the last layer's (default: linear for a loss that takes raw outputs, else
    the first activation its metadata names). ``scaled=False`` leaves the output scale at 0 and 1
    (learners that fit their own intercept).
    """
    raw = _record.takes_raw_outputs(loss)
    activation = activation or default_activation(loss)
    if task in ("regression", "counts"):
        n_outputs = 2 if _record.layout(loss) == "mean_variance" else 1
        shift, scale = _output_scale(np.asarray(y, dtype=np.float64), n_outputs, activation, raw) if scaled else ((0.0,) * n_outputs, (1.0,) * n_outputs)
        return OutputForm(loss, task, 0, activation, n_outputs, "column", "value", raw, shift, scale)
    kind = _record.target(loss)
    if _record.layout(loss) == "labels":
        target = "labels"
    elif task == "binary" and kind in ("binary", "signed", "real", "non_negative"):
        target = "column"
    else:
        target = "one_hot"
    n_outputs = 1 if target == "column" else n_classes
    if raw or activation in PROBABILITY_ACTIVATIONS:
        reading = "probability"
    elif _record.margin_based(loss):
        reading = "margin"
    else:
        reading = "score"
    return OutputForm(loss, task, n_classes, activation, n_outputs, target, reading, raw, (0.0,) * n_outputs, (1.0,) * n_outputs)


def _output_scale(y: np.ndarray, n_outputs: int, activation: str, raw: bool) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``(shift, scale)`` per output so that a network output near 0 predicts about the mean of
    ``y`` with about its spread."""
    mean, std = float(np.mean(y)), float(np.std(y))
    std = std if std > 0 else 1.0
    log_mean = math.log(mean) if mean > 0 else 0.0
    if n_outputs == 2:
        variance = std**2
        if raw:  # means, log-variances
            return (mean, math.log(variance)), (std, 1.0)
        return (mean, variance), (std, variance)  # means, variances (softplus keeps them positive)
    if raw or activation == "exponential":  # a log link: outputs are log-means
        return (log_mean,), (1.0,)
    if activation in ("linear", "relu", "softplus"):
        return (mean,), (std,)
    return (0.0,), (1.0,)


def _rows_normalised(p: np.ndarray) -> np.ndarray:
    """Rows of class probabilities: non-negative and summing to 1 (independent sigmoids of a
    multi-label loss are renormalised; a row of zeros becomes uniform)."""
    p = np.clip(p, 0.0, None)
    total = p.sum(axis=1, keepdims=True)
    return np.where(total > 0, p / np.where(total > 0, total, 1.0), 1.0 / p.shape[1])
