"""What one fit did, epoch by epoch (or boosting round by round): :class:`History`.

Every learner returns one. ``history`` maps ``"loss"``, ``"val_loss"`` and each metric and its
``"val_"`` twin to one value per finished epoch (Keras' ``History.history`` layout), each
measured on all rows with the weights at the end of that epoch. The model a history holds is
always the one of its best validation epoch (``best_epoch``), whichever way the fit ended.

A fit ends in one of four states: ``"completed"``; ``"early_stopped"`` (the validation loss did
not improve for ``patience`` epochs); ``"diverged"`` (a training loss turned NaN or infinite:
the epochs before it are kept); ``"interrupted"`` (Ctrl-C: the epochs finished so far are kept).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .data import label_indices
from .metrics import task_metrics
from .output import OutputForm, Prediction


@dataclass
class History:
    """One fit: its per-epoch record and the model of its best validation epoch.

    ``outputs(X)`` gives the model's outputs for preprocessed features; :meth:`predict` reads
    them as the task's predictions through ``form``; ``model`` is the learner's own object (a
    ``torch.nn.Module``, an ``xgboost.Booster``, a ``lightgbm.Booster``).
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
    form: OutputForm | None = field(default=None, repr=False)
    model: Any = field(default=None, repr=False)
    outputs: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)
    quantile: float | None = None

    @property
    def epochs(self) -> int:
        """The number of finished epochs."""
        return len(self.history["loss"])

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "early_stopped")

    def predict(self, X) -> Prediction:
        """The task's predictions for features ``X`` (preprocessed as the training features were)."""
        return self.form.decode(self.outputs(np.asarray(X, dtype=np.float32)))

    def evaluate(self, X, y) -> dict[str, float | None]:
        """The task's metrics on ``(X, y)``; ``y`` as given to :func:`~losskit.platform.train`."""
        y = np.asarray(y, dtype=np.float64) if self.classes is None else label_indices(y, self.classes)
        return task_metrics(self.task, y, self.predict(X), n_classes=self.form.n_classes, quantile=self.quantile)

    def record(self, row: dict[str, float | None]) -> None:
        """Append one epoch's row."""
        for name in self.history:
            self.history[name].append(row.get(name))

    def stop(self, status: str, message: str) -> None:
        self.status, self.message = status, message

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
            "history": {k: [finite(v) for v in values] for k, values in self.history.items()},
            "findings": list(self.findings),
        }


def columns(metrics: Sequence[str]) -> list[str]:
    """The keys of ``History.history``: the loss and the metrics, then their ``val_`` twins."""
    names = ["loss", *metrics]
    return names + [f"val_{n}" for n in names]


def finite(v):
    return v if v is None or math.isfinite(v) else None
