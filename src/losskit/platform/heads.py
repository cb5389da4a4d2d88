"""How a loss meets a model: the last layer (activation, width, output scale), the target
encoding the loss expects, and how the model's outputs become the task's predictions.

The activation comes from the loss's metadata (``loss.info.activations``, first entry). Losses
given by name are trained in their raw-output form (``from_logits=True`` or ``log_input=True``)
when they have one: a linear last layer and the loss's stable log-space path. Outputs then mean:

==================  ===================================================================
``"value"``         the prediction itself (regression and counts)
``"log_value"``     the log of the prediction (``log_input=True``): prediction = exp(output)
``"mean_variance"`` means then variances or log-variances (``gaussian_nll``): prediction = means
``"probability"``   class probabilities (a sigmoid or softmax last layer)
``"logit"``         logits (``from_logits=True``): probabilities by sigmoid or softmax
``"log_probability"`` log-probabilities (``log_softmax``)
``"margin"``        a signed score, positive for the positive class (hinge losses)
``"score"``         a score with no probabilistic meaning (a regression loss on class labels)
==================  ===================================================================

For regression and counts the last layer starts on the target's scale: a fixed affine map
``shift + scale * z`` sits between the last linear layer and the activation, with the training
targets' mean and standard deviation (log of the mean for log-link outputs). Losses are thus
computed in the target's own units, as the user reads them, while the network's own outputs
stay near unit scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core import Loss
from ..registry import get

RAW_OUTPUT_OPTIONS = ("from_logits", "log_input")
PROBABILITY_ACTIVATIONS = ("sigmoid", "softmax")


def stable_loss(identifier, options: dict | None = None) -> Loss:
    """The loss to train: a name gets its raw-output form (``from_logits=True`` or
    ``log_input=True``) unless ``options`` set it; a :class:`Loss` or callable is kept as given."""
    options = dict(options or {})
    if isinstance(identifier, str):
        defaults = get(identifier).options
        for key in RAW_OUTPUT_OPTIONS:
            if key in defaults and key not in options:
                options[key] = True
    return get(identifier, **options)


@dataclass(frozen=True)
class Head:
    """The last layer of a model trained with ``loss`` on ``task`` (build with :func:`make_head`)."""

    loss: Loss
    task: str
    n_classes: int  # 0 for regression and counts
    activation: str
    n_outputs: int
    target: str  # "column" (float, one column), "one_hot" (float, one column per class) or "labels" (integers)
    output: str  # what the outputs mean: see the module docstring
    shift: tuple[float, ...]
    scale: tuple[float, ...]
    independent: bool = False  # one probability per class (multi-label losses), rows renormalised

    def encode(self, y: np.ndarray) -> np.ndarray:
        """Targets (floats, or class indices) in the form the loss expects."""
        if self.target == "labels":
            return np.asarray(y, dtype=np.int64)
        if self.target == "one_hot":
            return np.eye(self.n_classes, dtype=np.float32)[np.asarray(y, dtype=np.int64)]
        return np.asarray(y, dtype=np.float32).reshape(-1, 1)

    def predict(self, outputs: np.ndarray) -> Prediction:
        """The task's predictions from the model's outputs (after the activation)."""
        out = np.asarray(outputs, dtype=np.float64)
        if self.task in ("regression", "counts"):
            values = out[:, 0]
            return Prediction(values=np.exp(values) if self.output == "log_value" else values)
        if self.target == "column":  # binary: one output
            z = out[:, 0]
            if self.output == "margin":
                return Prediction(labels=(z > 0).astype(np.int64), scores=z)
            if self.output == "score":
                return Prediction(labels=(z > 0.5).astype(np.int64), scores=z)
            p = _sigmoid(z) if self.output == "logit" else np.clip(z, 0.0, 1.0)
            return Prediction(labels=(p > 0.5).astype(np.int64), scores=p, proba=p)
        proba = _class_probabilities(out, self.output, self.independent)
        labels = np.argmax(out if proba is None else proba, axis=1)
        if self.task == "binary":
            scores = proba[:, 1] if proba is not None else out[:, 1] - out[:, 0]
            return Prediction(labels=labels, scores=scores, proba=None if proba is None else proba[:, 1])
        return Prediction(labels=labels, scores=out, proba=proba)


@dataclass(frozen=True)
class Prediction:
    """Predictions of a task: ``values`` (regression, counts); ``labels`` (class indices),
    ``scores`` (binary: larger means the positive class) and ``proba`` (binary: P(class 1),
    multiclass: one column per class; None when the outputs are not probabilities)."""

    values: np.ndarray | None = None
    labels: np.ndarray | None = None
    scores: np.ndarray | None = None
    proba: np.ndarray | None = None


def make_head(loss: Loss, task: str, y: np.ndarray, *, n_classes: int = 0, activation: str | None = None) -> Head:
    """The head of a model trained with ``loss`` on targets ``y`` (floats, or class indices).

    ``activation`` defaults to the first one the loss's metadata names (``"linear"`` for a
    callable that names none).
    """
    info = loss.info
    activation = activation or (info.activations[0] if info.activations else "linear")
    shapes = loss.spec.layout.value if loss.spec is not None else "same"
    raw = any(loss.options.get(key) for key in RAW_OUTPUT_OPTIONS)
    if task in ("regression", "counts"):
        n_outputs = 2 if shapes == "mean_variance" else 1
        output = "mean_variance" if shapes == "mean_variance" else ("log_value" if raw else "value")
        shift, scale = _output_scale(np.asarray(y, dtype=np.float64), output, activation, raw)
        return Head(loss, task, 0, activation, n_outputs, "column", output, shift, scale)
    if shapes == "labels":
        target = "labels"
    elif task == "binary" and ("binary" in info.tasks or not ({"multiclass", "distribution"} & set(info.tasks))):
        target = "column"
    else:
        target = "one_hot"
    n_outputs = 1 if target == "column" else n_classes
    if activation in PROBABILITY_ACTIVATIONS:
        output = "probability"
    elif activation == "log_softmax":
        output = "log_probability"
    elif raw:
        output = "logit"
    elif loss.spec is not None and loss.spec.margin_based:
        output = "margin"
    else:
        output = "score"
    independent = target == "one_hot" and bool({"binary", "multilabel"} & set(info.tasks))
    return Head(loss, task, n_classes, activation, n_outputs, target, output, (0.0,) * n_outputs, (1.0,) * n_outputs, independent)


def _output_scale(y: np.ndarray, output: str, activation: str, raw: bool) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``(shift, scale)`` per output so that a network output near 0 predicts about the mean of
    ``y`` with about its spread."""
    mean, std = float(np.mean(y)), float(np.std(y))
    std = std if std > 0 else 1.0
    log_mean = math.log(mean) if mean > 0 else 0.0
    if output == "mean_variance":
        variance = std**2
        if raw:  # means, log-variances
            return (mean, math.log(variance)), (std, 1.0)
        return (mean, variance), (std, variance)  # means, variances (softplus keeps them positive)
    if output == "log_value" or activation == "exponential":
        return (log_mean,), (1.0,)
    if activation in ("linear", "relu", "softplus"):
        return (mean,), (std,)
    return (0.0,), (1.0,)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


def _class_probabilities(out: np.ndarray, output: str, independent: bool) -> np.ndarray | None:
    """Rows of class probabilities: softmax of logits, exp of log-probabilities, or the sigmoid
    of each logit (``independent``, multi-label losses) renormalised to sum to 1."""
    if output == "logit" and independent:
        return _class_probabilities(_sigmoid(out), "probability", independent)
    if output in ("logit", "log_probability"):  # log-probabilities are logits up to a constant
        e = np.exp(out - out.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if output == "probability":
        p = np.clip(out, 0.0, None)
        total = p.sum(axis=1, keepdims=True)
        return np.where(total > 0, p / np.where(total > 0, total, 1.0), 1.0 / out.shape[1])
    return None
