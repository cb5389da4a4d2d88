"""Gradient-boosted trees, XGBoost or LightGBM, trained with losskit's own objectives.

The loss meets the trees in its margin form (``from_logits=True``, ``log_input=True``): the
custom objective is ``losskit.xgboost.objective`` / ``losskit.lightgbm.objective`` (analytic
gradient, positive surrogate Hessian), the early-stopping metric the loss itself
(``.metric``), and the trees start from the loss's optimal constant margin
(``base_score`` / ``init_score``) instead of 0. Models output raw margins; the
:class:`~losskit.platform.output.OutputForm` maps them to predictions with the loss's inverse link.

A boosting round plays the part of an epoch: the history holds the loss and every metric on the
training and validation rows after each round, and the model predicts with the rounds up to the
best validation loss. Training stops after ``patience`` rounds without a better validation loss
(at most ``rounds``). A loss without a margin form (``gaussian_nll``) fails with the reason.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ..._config import value_checks
from ...core import Loss
from ..history import History
from ..output import OutputForm
from . import DEFAULT_PATIENCE, FitData, epoch_row

LIBRARIES = {"xgboost": "XGBoost", "lightgbm": "LightGBM"}


class GradientBoosting:
    """The XGBoost or LightGBM learner (see the module docstring)."""

    scaled = False
    OPTIONS = ("epochs", "learning_rate", "patience")

    def __init__(self, library: str, *, epochs: int | None = None, learning_rate: float = 0.1, patience: int | None = DEFAULT_PATIENCE, max_depth: int = 4):
        if library not in LIBRARIES:
            raise ValueError(f"GradientBoosting: `library` must be one of {', '.join(LIBRARIES)}; got {library!r}")
        self.name = library
        self.rounds = int(epochs or 300)
        self.learning_rate, self.patience, self.max_depth = float(learning_rate), patience, int(max_depth)

    def settings(self) -> dict[str, Any]:
        return {"learner": self.name, "rounds": self.rounds, "learning_rate": self.learning_rate, "patience": self.patience, "max_depth": self.max_depth}

    def describe(self, n_features: int) -> str:
        stop = f", early stopping after {self.patience} rounds without a better validation loss" if self.patience else ""
        return (
            f"{LIBRARIES[self.name]} gradient-boosted trees on {n_features} features (depth {self.max_depth}, learning rate "
            f"{self.learning_rate:g}, up to {self.rounds} rounds{stop}) with losskit's objective, metric and intercept; "
            "the rounds up to the best validation loss are kept"
        )

    def fit(self, loss: Loss, form: OutputForm, data: FitData, *, seed: int, history: History, callback=None) -> History:
        if form.activation != "linear":
            raise ValueError(f"{self.name}: trees output raw margins; the last-layer activation {form.activation!r} applies to mlp and linear only")
        labels = {split: _labels(form, y) for split, y in (("train", data.y_train), ("val", data.y_val))}
        num_class = form.n_outputs if form.n_outputs > 1 else None
        started = time.perf_counter()
        train = _xgboost if self.name == "xgboost" else _lightgbm
        margins_at, n_rounds = train(self, loss, data, labels, num_class, seed)
        history.model = margins_at.model
        targets = {"train": form.encode(data.y_train), "val": form.encode(data.y_val)}
        best_value = math.inf
        with value_checks(False):
            try:
                for rounds in range(1, n_rounds + 1):
                    row = epoch_row(history, {split: _measure(loss, targets[split], margins_at(split, rounds), y) for split, y in (("train", data.y_train), ("val", data.y_val))})
                    if not (math.isfinite(row["loss"]) and math.isfinite(row["val_loss"])):
                        history.stop("diverged", f"the loss became {row['loss']} at round {rounds}")
                        break
                    history.record(row)
                    if row["val_loss"] < best_value:
                        best_value, history.best_epoch = row["val_loss"], rounds
                    if callback is not None:
                        callback(rounds, row)
            except KeyboardInterrupt:
                history.stop("interrupted", f"interrupted after {history.epochs} rounds")
        if history.status == "completed" and n_rounds < self.rounds:
            history.stop("early_stopped", f"no better validation loss for {self.patience} rounds; the first {history.best_epoch} rounds kept")
        best = history.best_epoch or 1
        history.outputs = lambda X: margins_at.predict(X, best)
        history.seconds = time.perf_counter() - started
        return history


def _labels(form: OutputForm, y: np.ndarray) -> np.ndarray:
    """The library's labels: class indices when there is one margin per class, else the
    encoded target column."""
    return np.asarray(y, dtype=np.float64) if form.n_outputs > 1 else form.encode(y).astype(np.float64).ravel()


def _measure(loss: Loss, targets: np.ndarray, margins: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    t = targets if targets.dtype.kind == "i" else targets.astype(np.float64)
    if loss.spec is None or not loss.spec.native:  # a custom loss is written for torch tensors
        import torch

        return float(loss(torch.from_numpy(t), torch.from_numpy(margins))), margins, y
    return float(loss(t, margins)), margins, y


class _Staged:
    """Margins after a number of rounds: on the training and validation rows, or on new rows."""

    def __init__(self, model, margins, predict):
        self.model, self._margins, self.predict = model, margins, predict

    def __call__(self, split: str, rounds: int) -> np.ndarray:
        return self._margins(split, rounds)


def _xgboost(learner: GradientBoosting, loss: Loss, data: FitData, labels, num_class, seed: int):
    import xgboost as xgb

    from ... import xgboost as lkx

    base = lkx.base_score(loss, labels["train"], num_class=num_class)
    params = {
        "base_score": base, "eta": learner.learning_rate, "max_depth": learner.max_depth, "seed": seed, "nthread": 1,
        "disable_default_eval_metric": 1, **({"num_class": num_class} if num_class else {}),
    }  # fmt: skip
    matrices = {"train": xgb.DMatrix(data.X_train, label=labels["train"]), "val": xgb.DMatrix(data.X_val, label=labels["val"])}
    booster = xgb.train(
        params, matrices["train"], learner.rounds, obj=lkx.objective(loss), custom_metric=lkx.metric(loss),
        evals=[(matrices["val"], "val")], early_stopping_rounds=learner.patience or None, verbose_eval=False,
    )  # fmt: skip

    def margins(split, rounds):
        return _columns(booster.predict(matrices[split], output_margin=True, iteration_range=(0, rounds)))

    def predict(X, rounds):
        return _columns(booster.predict(xgb.DMatrix(np.asarray(X, dtype=np.float32)), output_margin=True, iteration_range=(0, rounds)))

    return _Staged(booster, margins, predict), booster.num_boosted_rounds()


def _lightgbm(learner: GradientBoosting, loss: Loss, data: FitData, labels, num_class, seed: int):
    import lightgbm as lgb

    from ... import lightgbm as lkl

    constant = lkl.init_score(loss, labels["train"], num_class=num_class)[0]  # one row: the constant margin(s)
    init = {split: np.tile(constant, (len(labels[split]), 1)).squeeze(axis=1 if num_class is None else ()) for split in labels}
    sets = {"train": lgb.Dataset(data.X_train, label=labels["train"], init_score=init["train"], free_raw_data=False)}
    sets["val"] = lgb.Dataset(data.X_val, label=labels["val"], init_score=init["val"], reference=sets["train"], free_raw_data=False)
    params = {
        "objective": lkl.objective(loss), "metric": "None", "learning_rate": learner.learning_rate, "num_leaves": 2**learner.max_depth - 1,
        "min_data_in_leaf": 5, "seed": seed, "num_threads": 1, "verbose": -1, "deterministic": True, **({"num_class": num_class} if num_class else {}),
    }  # fmt: skip
    callbacks = [lgb.early_stopping(learner.patience, verbose=False)] if learner.patience else []
    booster = lgb.train(params, sets["train"], learner.rounds, valid_sets=[sets["val"]], valid_names=["val"], feval=lkl.metric(loss), callbacks=callbacks)
    features = {"train": data.X_train, "val": data.X_val}

    def predict(X, rounds):
        return _columns(booster.predict(np.asarray(X, dtype=np.float32), raw_score=True, num_iteration=rounds)) + constant

    return _Staged(booster, lambda split, rounds: predict(features[split], rounds), predict), booster.current_iteration()


def _columns(margins: np.ndarray) -> np.ndarray:
    margins = np.asarray(margins, dtype=np.float64)
    return margins.reshape(len(margins), -1)
