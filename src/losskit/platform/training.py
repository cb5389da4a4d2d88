"""Training a PyTorch model with any losskit loss: :func:`train` returns a :class:`History`.

At every epoch the history records the average loss over all training examples and over the
validation examples, and the task's metrics on both (:mod:`losskit.platform.metrics`). Both are
measured with the weights at the end of the epoch, so the two curves compare like with like
(Keras instead reports the running mean over the epoch's batches, whose weights change as it
goes).

A run ends in one of four states: ``"completed"``; ``"early_stopped"`` (the validation loss did
not improve for ``patience`` epochs; the weights of the best epoch are restored);
``"diverged"`` (a training loss turned NaN or infinite: training stops and the epochs before
it are kept); ``"interrupted"`` (Ctrl-C: the epochs finished so far are kept).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .._config import value_checks
from ..core import Loss
from ..registry import get
from .data import encode_target, infer_task, label_indices
from .heads import Head, Prediction, make_head, stable_loss
from .metrics import METRICS, task_metrics
from .models import ACTIVATIONS, build_mlp

OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop"}


@dataclass
class History:
    """What :func:`train` did, epoch by epoch.

    ``history`` maps ``"loss"``, ``"val_loss"`` and each metric and its ``"val_"`` twin to one
    value per finished epoch (Keras' ``History.history`` layout). ``model`` is the trained
    PyTorch module; :meth:`predict` and :meth:`evaluate` use it on new data.
    """

    loss: str
    options: dict[str, Any]
    activation: str
    task: str
    metrics: tuple[str, ...]
    history: dict[str, list[float | None]]
    status: str = "completed"
    message: str = ""
    best_epoch: int | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    classes: list[str] | None = None
    head: Head | None = field(default=None, repr=False)
    model: torch.nn.Module | None = field(default=None, repr=False)

    @property
    def epochs(self) -> int:
        """The number of finished epochs."""
        return len(self.history["loss"])

    def predict(self, X) -> Prediction:
        """The task's predictions for features ``X`` (preprocessed as the training features were)."""
        self.model.eval()
        with torch.no_grad():
            outputs = self.model(torch.as_tensor(np.asarray(X, dtype=np.float32)))
        return self.head.predict(outputs.numpy())

    def evaluate(self, X, y) -> dict[str, float | None]:
        """The task's metrics on ``(X, y)``; ``y`` as given to :func:`train`."""
        y = _encode(y, self.task, self.classes)
        return task_metrics(self.task, y, self.predict(X), n_classes=self.head.n_classes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record (non-finite numbers become None)."""
        return {
            "loss": self.loss,
            "options": {k: v if isinstance(v, bool | int | float | str | None) else repr(v) for k, v in self.options.items()},
            "activation": self.activation,
            "task": self.task,
            "metrics": list(self.metrics),
            "status": self.status,
            "message": self.message,
            "epochs": self.epochs,
            "best_epoch": self.best_epoch,
            "seconds": round(self.seconds, 3),
            "history": {k: [_finite(v) for v in values] for k, values in self.history.items()},
            "findings": list(self.findings),
        }


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
    epochs: int = 30,
    batch_size: int = 32,
    optimizer: str | Callable = "adam",
    learning_rate: float = 1e-3,
    hidden: Sequence[int] = (64, 32),
    patience: int | None = None,
    seed: int = 0,
    callback: Callable[[int, dict[str, float | None]], None] | None = None,
) -> History:
    """Train a multilayer perceptron on ``(X, y)`` with ``loss``; return its :class:`History`.

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
        The last layer's activation. Defaults to the one the loss's metadata names; one that
        cannot feed the loss is reported by :func:`losskit.check_compatibility` (a
        ``LossCompatibilityWarning``) and used anyway.
    validation_split, validation_data
        The fraction of ``(X, y)`` held out for validation (stratified for classification, drawn
        with ``seed``), or an explicit ``(X_val, y_val)``.
    epochs, batch_size, learning_rate, hidden
        Training length, mini-batch size, step size and the hidden layer widths.
    optimizer : str or callable
        "adam", "adamw", "sgd" or "rmsprop", or ``f(parameters) -> torch.optim.Optimizer``.
    patience : int, optional
        Early stopping: stop when the validation loss has not improved for ``patience`` epochs
        and restore the weights of the best epoch.
    seed : int
        Seeds the validation split, the weights and the batch order: equal seeds give equal runs.
    callback : callable, optional
        ``callback(epoch, logs)`` after every epoch; ``logs`` is that epoch's row of the history.
    """
    loss = _loss(loss, loss_options)
    if activation is not None and activation not in ACTIVATIONS:
        raise ValueError(f"train: `activation` must be one of {', '.join(ACTIVATIONS)}; got {activation!r}")
    X, y = _check_arrays(X, y, "X", "y")
    task = task or infer_task(y)
    y, classes = encode_target(y, task, name="y")
    if validation_data is not None:
        X_val, y_val = _check_arrays(*validation_data, "X_val", "y_val")
        y_val = _encode(y_val, task, classes)
        if X_val.shape[1] != X.shape[1]:
            raise ValueError(f"train: `X_val` must have {X.shape[1]} columns like `X`; got {X_val.shape[1]}")
        X_train, y_train = X, y
    else:
        X_train, X_val, y_train, y_val = _validation_split(X, y, task, validation_split, seed)
    n_classes = len(classes) if classes else 0
    head = make_head(loss, task, y_train, n_classes=n_classes, activation=activation)
    findings = _compatibility(head.activation, loss)
    targets = {"train": head.encode(y_train), "val": head.encode(y_val)}
    _check_targets(loss, head, targets["train"])

    torch.manual_seed(seed)
    model = build_mlp(X.shape[1], head.n_outputs, hidden=hidden, activation=head.activation, shift=head.shift, scale=head.scale)
    step = _optimizer(optimizer, model.parameters(), learning_rate)
    history = History(
        loss=loss.name,
        options=dict(loss.options),
        activation=head.activation,
        task=task,
        metrics=METRICS[task],
        history={name: [] for name in _columns(METRICS[task])},
        findings=[f.to_dict() for f in findings],
        classes=classes,
        head=head,
        model=model,
    )
    data = {
        "train": (torch.from_numpy(X_train), torch.from_numpy(targets["train"]), y_train),
        "val": (torch.from_numpy(X_val), torch.from_numpy(targets["val"]), y_val),
    }
    started = time.perf_counter()
    with value_checks(False):
        _fit(history, model, step, loss, data, epochs, batch_size, patience, seed, callback)
    history.seconds = time.perf_counter() - started
    return history


def _fit(history: History, model, step, loss: Loss, data, epochs, batch_size, patience, seed, callback) -> None:
    X_train, t_train, _ = data["train"]
    order = torch.Generator().manual_seed(seed)
    best_loss, best_state, since_best = math.inf, None, 0
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            for batch, rows in enumerate(torch.randperm(len(X_train), generator=order).split(batch_size), start=1):
                value = loss(t_train[rows], model(X_train[rows]))
                if not torch.isfinite(value):
                    _diverged(history, f"the training loss became {float(value.detach())} at epoch {epoch}, batch {batch}")
                    return
                step.zero_grad()
                value.backward()
                step.step()
            row = {}
            for split, prefix in (("train", ""), ("val", "val_")):
                for name, v in _measure(history, model, loss, *data[split]).items():
                    row[prefix + name] = v
            unbounded = [name for name in ("loss", "val_loss") if not math.isfinite(row[name])]
            if unbounded:
                which = "training" if unbounded[0] == "loss" else "validation"
                _diverged(history, f"the {which} loss became {row[unbounded[0]]} at epoch {epoch}")
                return
            for name, v in row.items():
                history.history[name].append(v)
            if row["val_loss"] < best_loss:
                best_loss, since_best, history.best_epoch = row["val_loss"], 0, epoch
                if patience is not None:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                since_best += 1
            if callback is not None:
                callback(epoch, row)
            if patience is not None and since_best >= patience:
                model.load_state_dict(best_state)
                history.status = "early_stopped"
                history.message = f"no improvement of the validation loss for {patience} epochs; weights of epoch {history.best_epoch} restored"
                return
    except KeyboardInterrupt:
        history.status = "interrupted"
        history.message = f"interrupted after {history.epochs} epochs"


def _measure(history: History, model, loss: Loss, X, targets, y) -> dict[str, float | None]:
    model.eval()
    with torch.no_grad():
        outputs = model(X)
        value = float(loss(targets, outputs))
    result = {"loss": value}
    if math.isfinite(value):
        result.update(task_metrics(history.task, y, history.head.predict(outputs.numpy()), n_classes=history.head.n_classes))
    return result


def _diverged(history: History, message: str) -> None:
    history.status = "diverged"
    history.message = message


def _columns(metrics: Sequence[str]) -> list[str]:
    names = ["loss", *metrics]
    return names + [f"val_{n}" for n in names]


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


def _check_targets(loss: Loss, head: Head, targets: np.ndarray) -> None:
    """Targets in the loss's ``y_true`` domain, checked once before training (the loop runs
    without value checks)."""
    domain = loss.info.y_true_domain
    if domain is None or head.target == "labels":
        return
    if not bool(np.all(domain.contains(targets, np))):
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


def _encode(y, task: str, classes: list[str] | None) -> np.ndarray:
    """``y`` as :func:`train` encoded its training targets (class indices by ``classes``)."""
    if classes is None:
        return np.asarray(y, dtype=np.float64)
    return label_indices(y, classes)


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


def _optimizer(optimizer, parameters, learning_rate: float):
    if callable(optimizer):
        return optimizer(parameters)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"train: `optimizer` must be one of {', '.join(OPTIMIZERS)} or a callable; got {optimizer!r}")
    if not (learning_rate > 0 and math.isfinite(learning_rate)):
        raise ValueError(f"train: `learning_rate` must be a positive number; got {learning_rate}")
    return getattr(torch.optim, OPTIMIZERS[optimizer])(parameters, lr=learning_rate)


def _finite(v):
    return v if v is None or math.isfinite(v) else None
