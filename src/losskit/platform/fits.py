"""One fit, the unit of a comparison: a candidate loss trained on one split and scored on its
held-out rows, :func:`fit_unit` ``(candidate, dataset, split, settings) -> Fit``. Fits depend on
nothing but their arguments, so :func:`run_serial` and :func:`run_pool` (processes or a Dask
cluster, :mod:`.pools`) give the same numbers in any order.
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
    """What every fit of a comparison shares: the learner and its settings, the task, and the
    number of torch threads of the process that trains (None: leave it as it is)."""

    learner: str
    learner_settings: dict
    task: str
    threads: int | None = None


def fit_unit(candidate: Candidate, dataset: Dataset, plan: Resample, settings: Settings, callback: Callable | None = None) -> Fit:
    """Train ``candidate`` on one split and score it on the split's held-out rows."""
    from ..guidance import LossCompatibilityWarning
    from .training import train

    if settings.threads is not None:
        import torch

        torch.set_num_threads(settings.threads)
    splits = prepare(dataset, plan)
    learner = make_learner(settings.learner, **settings.learner_settings)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LossCompatibilityWarning)  # warned once, before training
            history = train(
                candidate.loss, splits.X_train, splits.y_train, task=settings.task, activation=candidate.activation,
                validation_data=(splits.X_val, splits.y_val), seed=plan.seed, callback=callback, learner=learner,
                classes=None if dataset.classes is None else [str(i) for i in range(len(dataset.classes))],
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


def run_serial(candidates, runs, dataset, plans, shared, callback_for):
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


def run_pool(candidates, runs, plans, shared, pool):
    """``(candidate, run, fit)`` as the fits finish on ``pool`` (a :class:`~.pools.Pool`:
    processes or a Dask cluster; candidates and custom losses must pickle). The fits come back
    without their model objects, and report no epochs on the way.

    A fit that raises in its worker, or whose worker died, is failed with the reason; the others
    go on. Dask retries a fit whose worker died on another worker itself. A process pool breaks
    as a whole when one of its processes dies: it is restarted, and its unfinished fits run again
    one at a time, so that a fit that kills its process is the one failed.
    """
    from concurrent.futures import BrokenExecutor, as_completed

    pending = {(plan.index, candidate.label): (candidate, run, plan) for plan in plans for candidate, run in zip(candidates, runs)}
    executor, isolated = pool.executor, False
    while pending:
        batch = list(pending)[:1] if isolated else list(pending)
        futures = {executor.submit(_fit_in_worker, _recipe(pending[key][0]), pool.data, pending[key][2], shared): key for key in batch}
        broken = False
        try:
            for future in as_completed(futures):
                key = futures[future]
                candidate, run, plan = pending[key]
                try:
                    fit = future.result()
                except BrokenExecutor:
                    broken = True
                    if not isolated and pool.restart is not None:
                        continue  # which fit killed the pool is found one at a time
                    fit = Fit(plan.index, "failed", "its worker process died while training it")
                except Exception as error:  # Dask's KilledWorker (the worker died), or the task failed there
                    fit = Fit(plan.index, "failed", f"{type(error).__name__}: {' '.join(str(error).split())}")
                del pending[key]
                yield candidate, run, fit
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise
        if broken and pending and pool.restart is not None:
            executor, isolated = pool.restart(), True


def _recipe(candidate: Candidate):
    """What a worker needs to rebuild the candidate: a built-in loss by name and options (its
    record stays in the package), a custom loss as it is."""
    loss = candidate.loss
    if loss.spec is not None and loss.spec.native:
        return candidate.label, (loss.name, dict(loss.options)), candidate.activation
    return candidate


def _fit_in_worker(recipe, data, plan: Resample, settings: Settings) -> Fit:
    """One fit in a worker: the candidate rebuilt from its recipe, the dataset from its handle."""
    from .pools import Held

    dataset = data.resolve() if isinstance(data, Held) else data
    if isinstance(recipe, tuple):
        label, (name, options), activation = recipe
        recipe = Candidate(label, get(name, **options), activation)
    if settings.threads is None:  # one thread per worker: the workers share the CPUs
        settings = Settings(settings.learner, settings.learner_settings, settings.task, 1)
    fit = fit_unit(recipe, dataset, plan, settings)
    if fit.history is not None:  # the model, its output form and closures stay in the worker
        fit.history.model = fit.history.outputs = fit.history.form = None
    return fit
