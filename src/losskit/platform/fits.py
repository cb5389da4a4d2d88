"""One fit, the unit of a comparison: a candidate loss trained on one split and scored on its
held-out rows, :func:`fit_unit` ``(candidate, dataset, split, settings) -> Fit``. Fits depend on
nothing but their arguments, so :func:`run_serial` and :func:`run_parallel` (processes) give the
same numbers in any order.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import Loss
from ..registry import get
from .data import Dataset
from .learners import make_learner
from .resampling import Resample, prepare


@dataclass(frozen=True)
class Candidate:
    """One loss to compare: its display label, the loss, and the last layer's activation (None:
    the one the loss's record implies)."""

    label: str
    loss: Loss
    activation: str | None = None


@dataclass
class Fit:
    """One candidate on one split: its history, its held-out metrics and predictions."""

    split: int
    status: str
    message: str = ""
    history: Any = None
    test: dict[str, float | None] | None = None
    y_test: np.ndarray | None = None
    prediction: Any = None

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "early_stopped")

    def to_dict(self) -> dict[str, Any]:
        record = {"split": self.split, "status": self.status, "message": self.message, "test": self.test}
        if self.history is not None:
            record.update({k: v for k, v in self.history.to_dict().items() if k in ("epochs", "best_epoch", "seconds", "history")})
        return record


@dataclass(frozen=True)
class Settings:
    """What every fit of a comparison shares: the learner and its settings, the task."""

    learner: str
    learner_settings: dict
    task: str


def fit_unit(candidate: Candidate, dataset: Dataset, plan: Resample, settings: Settings, callback: Callable | None = None) -> Fit:
    """Train ``candidate`` on one split and score it on the split's held-out rows."""
    from ..guidance import LossCompatibilityWarning
    from .training import train

    splits = prepare(dataset, plan)
    learner = make_learner(settings.learner, **settings.learner_settings)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LossCompatibilityWarning)  # warned once, before training
            history = train(
                candidate.loss, splits.X_train, splits.y_train, task=settings.task, activation=candidate.activation,
                validation_data=(splits.X_val, splits.y_val), seed=plan.seed, callback=callback, learner=learner,
            )  # fmt: skip
    except ValueError as error:  # the loss refused the data (a domain or shape error): report it, go on
        return Fit(plan.index, "failed", str(error))
    except Exception as error:  # any other crash fails this loss, not the comparison
        return Fit(plan.index, "failed", f"{type(error).__name__}: {error}")
    fit = Fit(plan.index, history.status, history.message, history)
    if history.finished and history.best_epoch is not None:
        fit.test = history.evaluate(splits.X_test, splits.y_test)
        fit.y_test = np.asarray(splits.y_test)
        fit.prediction = history.predict(splits.X_test)
    return fit


def run_serial(candidates, runs, dataset, plans, shared, callback_for, workers):
    """``(candidate, run, fit)`` split by split, every loss on a split before the next split (so
    the live report shows every loss early); a loss that failed (refused the data) is not retried.
    ``callback_for(label, split)`` gives each fit its per-epoch callback."""
    failed = set()
    for plan in plans:
        for candidate, run in zip(candidates, runs):
            if candidate.label in failed:
                continue
            try:
                fit = fit_unit(candidate, dataset, plan, shared, callback=callback_for(candidate.label, plan.index))
            except KeyboardInterrupt:
                fit = Fit(plan.index, "interrupted", "interrupted before the first epoch")
            if fit.status == "failed":
                failed.add(candidate.label)
            yield candidate, run, fit


def run_parallel(candidates, runs, dataset, plans, shared, callback_for, workers):
    """``(candidate, run, fit)`` as the fits finish in ``workers`` processes (candidates and
    custom losses must pickle). The fits come back without their model objects, and report no
    epochs on the way."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {
            pool.submit(_fit_in_worker, _recipe(candidate), dataset, plan, shared): (candidate, run)
            for plan in plans for candidate, run in zip(candidates, runs)
        }  # fmt: skip
        try:
            for future in as_completed(futures):
                candidate, run = futures[future]
                yield candidate, run, future.result()
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise


def _recipe(candidate: Candidate):
    """What a worker needs to rebuild the candidate: a built-in loss by name and options (its
    record stays in the package), a custom loss as it is."""
    loss = candidate.loss
    if loss.spec is not None and loss.spec.native:
        return candidate.label, (loss.name, dict(loss.options)), candidate.activation
    return candidate


def _fit_in_worker(recipe, dataset: Dataset, plan: Resample, settings: Settings) -> Fit:
    import torch

    torch.set_num_threads(1)
    if isinstance(recipe, tuple):
        label, (name, options), activation = recipe
        recipe = Candidate(label, get(name, **options), activation)
    fit = fit_unit(recipe, dataset, plan, settings)
    if fit.history is not None:  # the model, its output form and closures stay in the worker
        fit.history.model = fit.history.outputs = fit.history.form = None
    return fit
