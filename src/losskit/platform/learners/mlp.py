"""A multilayer perceptron trained with PyTorch: the platform's default learner.

``inputs -> [Linear -> ReLU] * len(hidden) -> Linear -> OutputScale -> FinalActivation``
(:mod:`losskit.platform.models`), trained by mini-batch Adam in a seeded order with value checks
off (the targets were checked once against the loss's domain). After every epoch the loss and
the metrics are measured on all training and validation rows with the same weights, so the two
curves compare like with like (Keras instead reports the running mean over the epoch's batches).

The training budget scales with the data: unless ``epochs`` is given, a fit runs enough epochs
for :data:`MIN_STEPS` optimizer steps (between :data:`MIN_EPOCHS` and :data:`MAX_EPOCHS`), so a
small set such as iris (96 training rows, 3 batches an epoch) gets 200 epochs instead of 40; a
large one sees at most :data:`MAX_ROWS_SEEN` rows (but at least :data:`MIN_LARGE_EPOCHS` epochs),
so 530,000 training rows get 6 epochs rather than 30.
With ``patience`` it stops after that many epochs without a better validation loss. Whatever
way it ends, the weights of the best validation epoch are restored.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from ..._config import value_checks
from ...core import Loss
from ..history import History
from ..models import build_mlp
from ..output import OutputForm
from . import FitData, epoch_row

OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop"}
MIN_STEPS = 600
MIN_EPOCHS = 30
MAX_EPOCHS = 300
MAX_ROWS_SEEN = 3_000_000
MIN_LARGE_EPOCHS = 5
DEVICES = ("cpu", "cuda", "mps")


def epoch_budget(n_rows: int, batch_size: int) -> int:
    """Epochs for at least :data:`MIN_STEPS` optimizer steps on ``n_rows`` training rows, and at
    most :data:`MAX_ROWS_SEEN` rows seen (see the module docstring)."""
    steps_per_epoch = max(1, math.ceil(n_rows / batch_size))
    epochs = min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(MIN_STEPS / steps_per_epoch)))
    return int(min(epochs, max(MIN_LARGE_EPOCHS, math.ceil(MAX_ROWS_SEEN / max(n_rows, 1)))))


def check_device(device: str) -> str:
    """``device`` when this torch can train there; ValueError naming the argument otherwise."""
    if device not in DEVICES:
        raise ValueError(f"--device must be one of {', '.join(DEVICES)}; got {device!r}")
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}[device]
    if not available:
        raise ValueError(f"--device {device}: this torch ({torch.__version__}) has no {device.upper()} device available")
    return device


class MLP:
    """The multilayer perceptron learner (see the module docstring)."""

    name = "mlp"
    scaled = True

    def __init__(
        self, *, hidden: Sequence[int] = (32, 16), epochs: int | None = None, batch_size: int = 32, learning_rate: float = 1e-3,
        optimizer: str | Callable = "adam", patience: int | None = None, device: str = "cpu",
    ):  # fmt: skip
        if not callable(optimizer) and optimizer not in OPTIMIZERS:
            raise ValueError(f"train: `optimizer` must be one of {', '.join(OPTIMIZERS)} or a callable; got {optimizer!r}")
        if not (learning_rate > 0 and math.isfinite(learning_rate)):
            raise ValueError(f"train: `learning_rate` must be a positive number; got {learning_rate}")
        self.hidden = tuple(int(h) for h in hidden)
        self.epochs, self.batch_size, self.learning_rate = epochs, int(batch_size), float(learning_rate)
        self.optimizer, self.patience = optimizer, patience
        self.device = check_device(device)

    def settings(self) -> dict[str, Any]:
        return {
            "learner": self.name, "hidden": list(self.hidden), "epochs": self.epochs or "budget", "batch_size": self.batch_size,
            "learning_rate": self.learning_rate, "optimizer": self.optimizer if isinstance(self.optimizer, str) else "custom",
            "patience": self.patience, "min_steps": MIN_STEPS, "device": self.device,
        }  # fmt: skip

    def describe(self, n_features: int) -> str:
        layers = " → ".join(str(h) for h in (n_features, *self.hidden)) + " → last layer"
        return f"multilayer perceptron {layers} (ReLU hidden layers); {self._training()}"

    def _training(self) -> str:
        length = f"{self.epochs} epochs" if self.epochs else f"epochs for at least {MIN_STEPS} steps ({MIN_EPOCHS}-{MAX_EPOCHS}, at most {MAX_ROWS_SEEN:,} rows seen)"
        stop = f", early stopping after {self.patience} epochs without a better validation loss" if self.patience else ""
        name = self.optimizer if isinstance(self.optimizer, str) else "custom optimizer"
        return (
            f"{OPTIMIZERS.get(name, name)}, learning rate {self.learning_rate:g}, batch size {self.batch_size}, {length}{stop}; "
            "the weights of the best validation epoch are kept"
        )

    def fit(self, loss: Loss, form: OutputForm, data: FitData, *, seed: int, history: History, callback=None) -> History:
        torch.manual_seed(seed)
        device = torch.device(self.device)
        model = build_mlp(data.X_train.shape[1], form.n_outputs, hidden=self.hidden, activation=form.activation, shift=form.shift, scale=form.scale)
        model = model.to(device)
        step = self.optimizer(model.parameters()) if callable(self.optimizer) else getattr(torch.optim, OPTIMIZERS[self.optimizer])(model.parameters(), lr=self.learning_rate)
        tensors = {
            "train": (torch.from_numpy(data.X_train).to(device), torch.from_numpy(form.encode(data.y_train)).to(device), data.y_train),
            "val": (torch.from_numpy(data.X_val).to(device), torch.from_numpy(form.encode(data.y_val)).to(device), data.y_val),
        }
        epochs = self.epochs or epoch_budget(len(data.X_train), self.batch_size)
        history.model = model
        history.outputs = lambda X: _outputs(model, X, device)
        started = time.perf_counter()
        with value_checks(False):
            best = self._loop(history, model, step, loss, tensors, epochs, seed, callback)
        if best is not None:
            model.load_state_dict(best)
        history.seconds = time.perf_counter() - started
        return history

    def _loop(self, history: History, model, step, loss: Loss, tensors, epochs: int, seed: int, callback):
        """Train; return the state of the best validation epoch (None when no epoch finished)."""
        X_train, t_train, _ = tensors["train"]
        order = torch.Generator().manual_seed(seed)
        best_loss, best_state, since_best = math.inf, None, 0
        try:
            for epoch in range(1, epochs + 1):
                model.train()
                for batch, rows in enumerate(torch.randperm(len(X_train), generator=order).to(X_train.device).split(self.batch_size), start=1):
                    value = loss(t_train[rows], model(X_train[rows]))
                    if not torch.isfinite(value):
                        history.stop("diverged", f"the training loss became {float(value.detach())} at epoch {epoch}, batch {batch}")
                        return best_state
                    step.zero_grad()
                    value.backward()
                    step.step()
                row = epoch_row(history, {split: _measure(model, loss, *tensors[split]) for split in ("train", "val")})
                unbounded = [name for name in ("loss", "val_loss") if not math.isfinite(row[name])]
                if unbounded:
                    which = "training" if unbounded[0] == "loss" else "validation"
                    history.stop("diverged", f"the {which} loss became {row[unbounded[0]]} at epoch {epoch}")
                    return best_state
                history.record(row)
                if row["val_loss"] < best_loss:
                    best_loss, since_best, history.best_epoch = row["val_loss"], 0, epoch
                    best_state = copy.deepcopy(model.state_dict())
                else:
                    since_best += 1
                if callback is not None:
                    callback(epoch, row)
                if self.patience and since_best >= self.patience:
                    history.stop("early_stopped", f"no better validation loss for {self.patience} epochs; weights of epoch {history.best_epoch} kept")
                    return best_state
        except KeyboardInterrupt:
            history.stop("interrupted", f"interrupted after {history.epochs} epochs")
        return best_state


def _measure(model, loss: Loss, X, targets, y) -> tuple[float, np.ndarray, np.ndarray]:
    model.eval()
    with torch.no_grad():
        outputs = model(X)
        value = float(loss(targets, outputs))
    return value, outputs.cpu().numpy(), y


def _outputs(model, X: np.ndarray, device) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(np.asarray(X, dtype=np.float32), device=device)).cpu().numpy()
