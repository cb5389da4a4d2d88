"""Training a model with any losskit loss: :func:`train` returns a :class:`~.history.History`.

:func:`train` checks and encodes the data, builds the :class:`~.output.OutputForm` from the
loss's record, reports the compatibility of the last layer with the loss, then hands the fit to
a learner (:mod:`losskit.platform.learners`; a multilayer perceptron by default). The history
records the average loss and the task's metrics on the training and validation rows at every
epoch; its model is the one of the best validation epoch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core import Loss
from ..losses._domain import ClassIndices
from ..registry import get
from .data import encode_target, infer_task, label_indices
from .history import History
from .learners import FitData, Learner, make_learner, new_history
from .models import ACTIVATIONS
from .output import OutputForm, output_form, stable_loss


def train(
    loss,
    X,
    y,
    *,
    task: str | None = None,
    activation: str | None = None,
    loss_options: dict[str, Any] | None = None,
    validation_split: float = 0.2,
    validation_data: tuple | None = None,
    epochs: int | None = None,
    batch_size: int = 32,
    optimizer: str | Callable = "adam",
    learning_rate: float = 1e-3,
    hidden: Sequence[int] = (64, 32),
    patience: int | None = None,
    seed: int = 0,
    callback: Callable[[int, dict[str, float | None]], None] | None = None,
    learner: Learner | None = None,
    classes: Sequence[str] | None = None,
) -> History:
    """Train a model on ``(X, y)`` with ``loss``; return its :class:`History`.

    Parameters
    ----------
    loss : str, Loss or callable
        A losskit name (trained in its stable raw-output form, ``from_logits=True`` or
        ``log_input=True``, unless ``loss_options`` says otherwise), a :class:`losskit.Loss`
        (used as it is) or a callable ``f(y_true, y_pred) -> per-sample values`` on torch tensors.
        The objective is always the mean over the batch, whatever reduction the loss was built with.
    X, y : array-like
        Features ``(n, d)`` (already numeric and scaled) and targets ``(n,)``: numbers for
        regression and counts, any labels for classification.
    task : str, optional
        "regression", "counts", "binary" or "multiclass"; inferred from ``y`` when omitted.
    activation : str, optional
        The last layer's activation. Defaults to linear for a loss that takes raw outputs, else
        the one the loss's metadata names; one that cannot feed the loss is reported by
        :func:`losskit.check_compatibility` (a ``LossCompatibilityWarning``) and used anyway.
    validation_split, validation_data
        The fraction of ``(X, y)`` held out for validation (stratified for classification, drawn
        with ``seed``), or an explicit ``(X_val, y_val)``.
    epochs, batch_size, optimizer, learning_rate, hidden, patience
        The multilayer perceptron's settings (when ``learner`` is not given): ``epochs=None``
        (the default) sizes the budget to the data (see :func:`~.learners.mlp.epoch_budget`); ``patience`` stops
        after that many epochs without a better validation loss. The weights of the best
        validation epoch are always the ones kept.
    seed : int
        Seeds the validation split, the weights and the batch order: equal seeds give equal runs.
    callback : callable, optional
        ``callback(epoch, logs)`` after every epoch; ``logs`` is that epoch's row of the history.
    learner : Learner, optional
        Another model family (:func:`~.learners.make_learner`).
    classes : sequence of str, optional
        Every class label of the data, for classification (default: the labels of ``y``): the
        model has one output per class, including classes ``y`` happens to lack.
    """
    loss = _loss(loss, loss_options)
    if activation is not None and activation not in ACTIVATIONS:
        raise ValueError(f"train: `activation` must be one of {', '.join(ACTIVATIONS)}; got {activation!r}")
    learner = learner or make_learner(
        "mlp", hidden=hidden, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, optimizer=optimizer, patience=patience
    )
    X, y = _check_arrays(X, y, "X", "y")
    task = task or infer_task(y)
    y, classes = encode_target(y, task, name="y", classes=None if classes is None else [str(c) for c in classes])
    if validation_data is not None:
        X_val, y_val = _check_arrays(*validation_data, "X_val", "y_val")
        y_val = np.asarray(y_val, dtype=np.float64) if classes is None else label_indices(y_val, classes)
        if X_val.shape[1] != X.shape[1]:
            raise ValueError(f"train: `X_val` must have {X.shape[1]} columns like `X`; got {X_val.shape[1]}")
        X_train, y_train = X, y
    else:
        X_train, X_val, y_train, y_val = _validation_split(X, y, task, validation_split, seed)
    form = output_form(loss, task, y_train, n_classes=len(classes) if classes else 0, activation=activation, scaled=learner.scaled)
    findings = _compatibility(form.activation, loss)
    _check_targets(loss, form, form.encode(y_train))
    history = new_history(loss, form, _metrics(task, loss), findings, _quantile(task, loss))
    history.classes = classes
    return learner.fit(loss, form, FitData(X_train, y_train, X_val, y_val), seed=seed, history=history, callback=callback)


def _metrics(task: str, loss: Loss) -> tuple[str, ...]:
    from .metrics import metrics_for

    return metrics_for(task, _quantile(task, loss))


def _quantile(task: str, loss: Loss) -> float | None:
    """The quantile a quantile loss's model predicts (its ``quantile`` option), else None."""
    value = loss.options.get("quantile")
    return float(value) if task == "regression" and isinstance(value, int | float) else None


def _loss(identifier, options: dict[str, Any] | None) -> Loss:
    """The loss to train with ``options`` applied, always reducing by the mean: the history
    records average losses, and backpropagation needs a scalar."""
    loss = get(identifier, **(options or {})) if isinstance(identifier, Loss) else stable_loss(identifier, options)
    if loss.reduction not in ("sum_over_batch_size", "mean"):
        loss = Loss(loss.function, name=loss.name, **loss.options)
    return loss


def _compatibility(activation: str, loss: Loss) -> list:
    """The guidance's findings on ``activation`` feeding ``loss``; an incompatible pairing emits
    ``LossCompatibilityWarning``."""
    from ..guidance import check_compatibility

    return check_compatibility(activation, loss)


def _check_targets(loss: Loss, form: OutputForm, targets: np.ndarray) -> None:
    """Targets in the loss's ``y_true`` domain, checked once before training (the loops run
    without value checks)."""
    domain = loss.info.y_true_domain
    if domain is None or form.target == "labels":
        return
    contains = domain.contains(targets, np, form.n_classes) if isinstance(domain, ClassIndices) else domain.contains(targets, np)
    if not bool(np.all(contains)):
        raise ValueError(
            f"train: {loss.name} needs targets with values in {domain}; "
            f"got min={float(targets.min()):g}, max={float(targets.max()):g}"
        )


def _check_arrays(X, y, x_name: str, y_name: str) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"train: `{x_name}` must be a 2-D array (samples, features); got shape {X.shape}")
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"train: `{y_name}` must be 1-D with one target per row of `{x_name}` ({len(X)}); got shape {y.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"train: `{x_name}` must be finite; got {int(np.sum(~np.isfinite(X)))} NaN or infinite values")
    return X, y


def _validation_split(X, y, task: str, fraction: float, seed: int):
    if not 0 < fraction < 1:
        raise ValueError(f"train: `validation_split` must be in (0, 1); got {fraction}")
    from sklearn.model_selection import train_test_split

    stratify = None
    if task in ("binary", "multiclass"):
        counts = np.bincount(y)
        n_val = math.ceil(fraction * len(y))
        if counts.min() >= 2 and min(n_val, len(y) - n_val) >= len(counts):
            stratify = y
    return train_test_split(X, y, test_size=fraction, random_state=seed, stratify=stratify)
