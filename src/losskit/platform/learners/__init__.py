"""The model families ``losskit compare`` trains, behind one small interface.

A learner is one file: :mod:`.mlp` (a multilayer perceptron in PyTorch), :mod:`.linear` (a
linear model, the same loop without hidden layers), :mod:`.gbdt` (XGBoost and LightGBM through
losskit's own objectives, metrics and intercepts). Each offers

- ``fit(loss, form, data, *, seed, history, callback=None) -> History``: train on ``data`` (a
  :class:`FitData`) with ``loss``, filling in ``history`` (made by :func:`new_history`), the targets and outputs handled by ``form`` (an
  :class:`~losskit.platform.output.OutputForm`), recording the loss and the metrics on the
  training and validation rows after every epoch (boosting round), and keeping the model of
  the best validation epoch;
- ``describe(n_features) -> str``: one sentence for the report;
- ``settings() -> dict``: the numbers that sentence is made of, for ``history.json``;
- ``scaled``: whether the form puts outputs on the target's scale (neural learners) or the
  learner fits its own intercept (boosting).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ...core import Loss
from ..history import History
from ..metrics import task_metrics
from ..output import OutputForm

NAMES = ("mlp", "linear", "xgboost", "lightgbm")

#: Early stopping when none is given: epochs (rounds) without a better validation loss.
DEFAULT_PATIENCE = 20

#: The mini-batch size of the neural learners when none is given: 32 up to this many training
#: rows, then doubling with every doubling of the rows, up to :data:`MAX_BATCH_SIZE` (an epoch
#: stays at about 512 optimizer steps: 1,024 rows a batch for 500,000 training rows).
SMALL_DATA_ROWS = 16_384
MAX_BATCH_SIZE = 1024


def default_batch_size(n_train: int) -> int:
    """The mini-batch size for ``n_train`` training rows (see :data:`SMALL_DATA_ROWS`)."""
    doublings = max(0, round(math.log2(max(n_train, 1) / SMALL_DATA_ROWS)))
    return int(min(MAX_BATCH_SIZE, 32 * 2**doublings))


@dataclass
class FitData:
    """Preprocessed float32 features and encoded targets (floats, or class indices) of one split."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


class Learner(Protocol):
    name: str
    scaled: bool

    def fit(self, loss: Loss, form: OutputForm, data: FitData, *, seed: int, history: History, callback: Callable | None = None) -> History: ...

    def describe(self, n_features: int) -> str: ...

    def settings(self) -> dict[str, Any]: ...


def make_learner(name: str, **settings) -> Learner:
    """The learner ``name`` (one of :data:`NAMES`) with its settings (None: its default)."""
    settings = {k: v for k, v in settings.items() if v is not None}
    if name in ("mlp", "linear"):
        from .linear import Linear
        from .mlp import MLP

        if name == "linear":
            settings.pop("hidden", None)
        return (MLP if name == "mlp" else Linear)(**settings)
    if name in ("xgboost", "lightgbm"):
        from .gbdt import GradientBoosting

        return GradientBoosting(name, **{k: v for k, v in settings.items() if k in GradientBoosting.OPTIONS})
    raise ValueError(f"the learner must be one of {', '.join(NAMES)}; got {name!r}")


def epoch_row(history: History, split_values: dict[str, tuple[float, np.ndarray, np.ndarray]]) -> dict[str, float | None]:
    """One epoch's row: per split ("train", "val") the loss value and the task's metrics of the
    outputs against the (unencoded) targets. Metrics are None when the loss is not finite."""
    row = {}
    for split, (value, outputs, y) in split_values.items():
        prefix = "" if split == "train" else "val_"
        row[prefix + "loss"] = value
        if math.isfinite(value):
            metrics = task_metrics(history.task, y, history.form.decode(outputs), n_classes=history.form.n_classes, quantile=history.quantile)
            row.update({prefix + k: v for k, v in metrics.items()})
    return row


def new_history(loss: Loss, form: OutputForm, metrics: tuple[str, ...], findings: list, quantile: float | None) -> History:
    from ..history import columns

    return History(
        loss=loss.name, options=dict(loss.options), activation=form.activation, task=form.task, metrics=metrics,
        history={name: [] for name in columns(metrics)}, findings=[f.to_dict() for f in findings], form=form, quantile=quantile,
    )  # fmt: skip
