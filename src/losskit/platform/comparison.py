"""Compare losses: every candidate trained on the same resampled splits, scored, and judged.

:func:`compare` draws the ``repeats x folds`` splits (:mod:`.resampling`), trains one model per
candidate loss and split with a learner (:mod:`.learners`), scores each on its held-out rows
and returns a :class:`Comparison`: per loss the mean and 95% interval of every metric, and the
:class:`~.statistics.Verdict` on the ranking metric. Each fit is an independent unit,
:func:`~.fits.fit_unit` ``(candidate, dataset, split, settings) -> Fit``, so fits can run in any order or in
parallel processes (``workers``) with the same numbers.

Ctrl-C stops the comparison, not the program: the fits already finished (and the curves of the
one being trained) are kept, losses never started are listed as not run, and
``Comparison.interrupted`` is True.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import __version__
from ..core import Loss
from ..guidance import Recommendation
from ..registry import get
from . import _record, pools
from .data import Dataset
from .fits import Candidate, Fit, Settings, run_pool, run_serial
from .learners import DEFAULT_PATIENCE, default_batch_size, make_learner
from .metrics import DEFAULT_METRIC, LABELS, UNDEFINED_WHEN, WHY_DEFAULT, metric_range, metrics_for
from .output import default_activation, stable_loss
from .progress import ProgressBars
from .resampling import Resample, holdout_ratio, resamples
from .statistics import Verdict, decide, interval

SCHEMA_VERSION = 2

#: How many of the recommended losses a comparison runs when none are named.
DEFAULT_CANDIDATES = 4

#: Resampling when none is given: 3 repeats of 3-fold cross-validation, 9 paired splits.
DEFAULT_REPEATS = 3
DEFAULT_FOLDS = 3


@dataclass
class Run:
    """One candidate loss over every split: its fits by split index and their summary.

    ``status`` is "completed" when every fit that ran finished (completed or stopped early),
    otherwise the first of "failed" (the loss refused the targets: ``message`` says why),
    "diverged" or "interrupted".
    """

    label: str
    loss: Loss
    activation: str | None = None
    fits: dict[int, Fit] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    live: dict[str, list] | None = None  # the history of the fit in progress, while there is one

    @property
    def status(self) -> str:
        statuses = [f.status for f in self.fits.values()]
        for bad in ("failed", "diverged", "interrupted"):
            if bad in statuses:
                return bad
        return "completed" if statuses else "not_run"

    @property
    def message(self) -> str:
        bad = [f for f in self.fits.values() if not f.finished]
        if not bad:
            return ""
        first = bad[0]
        share = f" ({len(bad)} of {len(self.fits)} fits)" if len(self.fits) > 1 else ""
        return f"{first.message}{share}"

    @property
    def finished(self) -> bool:
        return bool(self.fits) and all(f.finished for f in self.fits.values())

    @property
    def history(self):
        """The history of the first fit (its activation and options stand for every fit)."""
        fitted = [f.history for f in self.fits.values() if f.history is not None]
        return fitted[0] if fitted else None

    def values(self, metric: str) -> dict[int, float]:
        """The held-out value of ``metric`` on every split where the fit finished with one."""
        return {i: f.test[metric] for i, f in sorted(self.fits.items()) if f.finished and f.test and f.test.get(metric) is not None}

    def metrics(self) -> list[str]:
        names = []
        for fit in self.fits.values():
            if fit.test:
                names += [m for m in fit.test if m not in names]
        return names

    def summary(self, ratio: float) -> dict[str, dict[str, Any]]:
        """Per metric ``{"mean": m, "ci": [low, high], "n": splits}`` over the finished fits."""
        result = {}
        for metric in self.metrics():
            values = list(self.values(metric).values())
            if values:
                mean, low, high = interval(values, ratio)
                floor, ceiling = metric_range(metric)
                low, high = max(low, floor), min(high, ceiling)  # the interval within the metric's range
                result[metric] = {"mean": mean, "ci": [_finite(low), _finite(high)], "n": len(values)}
        return result

    def mean_curves(self) -> dict[str, list[float | None]]:
        """Every history key's mean over the fits at each epoch (the fits that reached it)."""
        histories = [f.history for f in self.fits.values() if f.history is not None and f.history.epochs > 0]
        if not histories:
            return {}
        curves = {}
        for key in histories[0].history:
            longest = max(len(h.history[key]) for h in histories)
            column = []
            for e in range(longest):
                seen = [h.history[key][e] for h in histories if e < len(h.history[key]) and h.history[key][e] is not None]
                column.append(float(np.mean(seen)) if seen else None)
            curves[key] = column
        return curves

    def to_dict(self, ratio: float) -> dict[str, Any]:
        history = self.history
        summary = self.summary(ratio)
        curves = self.mean_curves()
        return {
            "label": self.label,
            "loss": self.loss.name,
            "options": {} if history is None else history.to_dict()["options"],
            "activation": None if history is None else history.activation,
            "status": self.status,
            "message": self.message,
            "summary": summary,
            "test": {m: summary[m]["mean"] if m in summary else None for m in history.metrics} if self.finished else None,
            "epochs": len(curves.get("loss", [])),
            "history": curves,
            "findings": list(self.findings),
            "fits": [f.to_dict() for _, f in sorted(self.fits.items())],
        }


@dataclass
class Comparison:
    """Everything a report shows: the data, the settings, the splits and one :class:`Run` per loss."""

    dataset: dict[str, Any]
    settings: dict[str, Any]
    metric: str
    learner: str
    plans: list[Resample] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    interrupted: bool = False
    running: bool = False
    seconds: float = 0.0

    @property
    def task(self) -> str:
        return self.dataset["task"]

    @property
    def metrics(self) -> tuple[str, ...]:
        """The task's metrics, then those only some losses have (pinball, coverage)."""
        names = list(metrics_for(self.task))
        for run in self.runs:
            names += [m for m in run.metrics() if m not in names]
        return tuple(names)

    @property
    def ratio(self) -> float:
        """``n_test / n_train`` of the splits (see :func:`~.resampling.holdout_ratio`)."""
        return holdout_ratio(self.plans) if self.plans else 0.25

    @property
    def why_metric(self) -> str:
        if self.metric == DEFAULT_METRIC[self.task]:
            return f"the default for {self.task}: {WHY_DEFAULT[self.metric]}"
        return "chosen with --metric"

    def verdict(self) -> Verdict:
        """The verdict on :attr:`metric`, paired over the splits every compared loss finished."""
        active = [r for r in self.runs if r.fits and r.status != "failed"]  # a failed loss is not retried
        done = [i for i in range(len(self.plans)) if all(i in r.fits for r in active)]
        values, excluded = {}, {}
        for run in self.runs:
            have = run.values(self.metric)
            missing = [i for i in done if i not in have]
            if not run.fits:
                excluded[run.label] = "not run"
            elif not have or missing:
                why = run.message or f"undefined where {UNDEFINED_WHEN.get(self.metric, 'the model gave no value')}"
                where = "on any split" if not have else f"on {len(missing)} of {len(done)} splits"
                excluded[run.label] = f"no {LABELS.get(self.metric, self.metric)} {where}: {why}"
            else:
                values[run.label] = [have[i] for i in done]
        return decide(self.metric, values, self.ratio, excluded)

    def to_dict(self) -> dict[str, Any]:
        """The content of ``history.json``."""
        ratio = self.ratio
        return {
            "schema_version": SCHEMA_VERSION,
            "losskit_version": __version__,
            "dataset": self.dataset,
            "settings": self.settings,
            "learner": self.learner,
            "metrics": list(self.metrics),
            "metric": self.metric,
            "metric_reason": self.why_metric,
            "verdict": self.verdict().to_dict(),
            "splits": [{"index": p.index, "repeat": p.repeat, "fold": p.fold, "seed": p.seed, "n_train": len(p.train), "n_val": len(p.val), "n_test": len(p.test)} for p in self.plans],
            "running": self.running,
            "interrupted": self.interrupted,
            "not_run": list(self.not_run),
            "seconds": round(self.seconds, 3),
            "runs": [r.to_dict(ratio) for r in self.runs],
        }


def candidates_for(task: str, y) -> list[Recommendation]:
    """The losses compared when none are named: the first :data:`DEFAULT_CANDIDATES` that
    :func:`losskit.recommend` ranks for ``task`` and targets ``y`` (the targets tell the label
    format, class balance and tails); each is trained with its recommended options and activation."""
    from ..guidance import recommend

    return recommend(task, y=y)[:DEFAULT_CANDIDATES]


def make_candidates(items: Sequence) -> list[Candidate]:
    """Candidates with distinct labels from names, Loss objects, callables, recommendations
    or ``(loss, activation)`` pairs."""
    chosen = [_candidate(item) for item in items]
    labels = _labels(chosen)
    return [Candidate(label, loss, activation) for label, (loss, activation) in zip(labels, chosen)]


def _candidate(item) -> tuple[Loss, str | None]:
    """``(loss, activation)``: a recommendation's loss with its activation (None when that is
    what the raw-output form implies); a name in its stable raw-output form; a Loss or callable
    as given; a ``(loss, activation)`` pair as given."""
    if isinstance(item, Candidate):
        return item.loss, item.activation
    if isinstance(item, tuple):
        loss, activation = item
        return (stable_loss(loss) if isinstance(loss, str) else get(loss)), activation
    if isinstance(item, Recommendation):
        loss = get(item.loss, **item.options)
        return loss, (None if item.activation == default_activation(loss) else item.activation)
    return (stable_loss(item) if isinstance(item, str) else get(item)), None


def _labels(chosen: list[tuple[Loss, str | None]]) -> list[str]:
    """A distinct display name per loss: its name, with the options it sets beyond the defaults
    (``huber(delta=2.0)``), ``@activation`` when one is chosen, and a number where two remain equal."""
    labels = []
    for loss, activation in chosen:
        defaults = loss.spec.defaults if loss.spec is not None else {}
        raw = _record.link_option(loss)
        shown = [f"{k}={v!r}" for k, v in loss.options.items() if k in defaults and v != defaults[k] and not (k == raw and v is True)]
        label = f"{loss.name}({', '.join(shown)})" if shown else loss.name
        if activation is not None:
            label += f"@{activation}"
        count = sum(1 for existing in labels if existing == label or existing.startswith(label + " #"))
        labels.append(label if count == 0 else f"{label} #{count + 1}")
    return labels


# ----------------------------------------------------------------------------- the comparison
def compare(
    dataset: Dataset,
    losses: Sequence | None = None,
    *,
    learner: str = "mlp",
    repeats: int = DEFAULT_REPEATS,
    folds: int = DEFAULT_FOLDS,
    metric: str | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    hidden: Sequence[int] | None = None,
    patience: int | None = DEFAULT_PATIENCE,
    seed: int = 0,
    test_size: float = 0.2,
    val_size: float = 0.2,
    progress: bool = False,
    on_fit: Callable[[Comparison], None] | None = None,
    on_start: Callable[[Comparison], None] | None = None,
    on_epoch: Callable[[Comparison], None] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    device: str = "cpu",
    threads: int | None = None,
) -> Comparison:
    """Train one model per loss and split of ``dataset``; score and judge them.

    ``losses`` are names (trained in their stable raw-output form), :class:`losskit.Loss`
    objects (used as given), callables, recommendations or ``(loss, activation)`` pairs; by
    default :func:`candidates_for` the task. ``learner`` is "mlp", "linear", "xgboost" or
    "lightgbm"; ``epochs=None`` sizes the training budget to the data. ``repeats`` x ``folds``
    paired splits (``folds=1``: a hold-out split of ``test_size`` per repeat); ``val_size`` of
    the training rows choose the best epoch. ``metric`` ranks the losses (default:
    :data:`~.metrics.DEFAULT_METRIC` of the task). ``on_fit(comparison)`` runs after every
    finished fit (the CLI rewrites the report there), ``on_start(comparison)`` once before the
    first (the compatibility findings are known then), ``on_epoch(comparison)`` after every epoch
    of a fit in progress (its curves so far are ``Run.live``). ``progress=True`` shows progress bars.
    ``workers > 1`` runs the fits in that many local processes, ``scheduler`` on a Dask cluster
    (``"local"``: a ``LocalCluster`` of ``workers`` processes, one per CPU by default; or a
    scheduler's address, ``"tcp://host:8786"``); the numbers are those of a serial run.
    ``device`` ("cpu", "cuda", "mps") is where the neural learners train; ``threads`` the torch
    threads of each process that trains (None: this process's setting when serial, 1 per worker).
    """
    started = time.perf_counter()
    metric = metric or DEFAULT_METRIC[dataset.task]
    _check_metric(metric, dataset.task)
    plans = resamples(dataset, repeats=repeats, folds=folds, seed=seed, test_size=test_size, val_size=val_size)
    candidates = make_candidates(losses or candidates_for(dataset.task, dataset.y[plans[0].train]))
    n_train = len(plans[0].train)
    learner_settings = {
        "epochs": epochs, "batch_size": batch_size or default_batch_size(n_train), "learning_rate": learning_rate, "hidden": hidden,
        "patience": patience, "device": device,
    }  # fmt: skip
    shared = Settings(learner, learner_settings, dataset.task, threads)
    description = make_learner(learner, **learner_settings)
    settings = {**description.settings(), "repeats": repeats, "folds": folds, "seed": seed, "test_size": test_size, "val_size": val_size}
    settings["threads"] = threads
    summary = {**dataset.summary(), "n_train": len(plans[0].train), "n_val": len(plans[0].val), "n_test": len(plans[0].test)}
    comparison = Comparison(summary, settings, metric, description.describe(dataset.X.shape[1]), plans=plans, running=True)
    comparison.runs = [Run(c.label, c.loss, c.activation, findings=_findings(c, dataset.task)) for c in candidates]
    if on_start is not None:
        on_start(comparison)
    runs = {run.label: run for run in comparison.runs}
    with contextlib.ExitStack() as stack:
        bars = stack.enter_context(ProgressBars(progress, [c.label for c in candidates], len(plans)))

        def callback_for(label: str, split: int):
            show = bars.epoch(label, split)

            def after_epoch(epoch: int, row: dict) -> None:
                if show is not None:
                    show(epoch, row)
                live = runs[label].live = {} if epoch == 1 else runs[label].live
                for key, value in row.items():
                    live.setdefault(key, []).append(value)
                if on_epoch is not None:
                    on_epoch(comparison)

            return after_epoch

        try:
            if scheduler is None and (workers or 1) <= 1:
                fits = run_serial(candidates, comparison.runs, dataset, plans, shared, callback_for)
                settings.update(scheduler=None, workers=1)
            else:
                pool = stack.enter_context(pools.dask(scheduler, workers, dataset) if scheduler else pools.processes(workers, dataset))
                settings.update(pool.description)
                fits = run_pool(candidates, comparison.runs, plans, shared, pool)
            for candidate, run, fit in fits:
                run.fits[fit.split] = fit
                run.live = None
                bars.done(candidate.label, fit.status)
                if fit.status == "interrupted":
                    raise KeyboardInterrupt
                comparison.seconds = time.perf_counter() - started
                if on_fit is not None:
                    on_fit(comparison)
        except KeyboardInterrupt:
            comparison.interrupted = True
            comparison.not_run = [r.label for r in comparison.runs if not r.fits]
            comparison.runs = [r for r in comparison.runs if r.fits]
    comparison.running = False
    comparison.seconds = time.perf_counter() - started
    return comparison


def _check_metric(metric: str, task: str) -> None:
    from .metrics import QUANTILE_METRICS

    allowed = metrics_for(task) + (QUANTILE_METRICS if task == "regression" else ())
    if metric not in allowed:
        raise ValueError(f"--metric must be one of {', '.join(allowed)} for a {task} task; got {metric!r}")


def _findings(candidate: Candidate, task: str) -> list[dict[str, Any]]:
    """The compatibility findings of the candidate's last layer and loss, checked once before
    training; an incompatible pair emits ``LossCompatibilityWarning`` here (and trains anyway)."""
    from ..guidance import check_compatibility
    from .output import output_form

    n_classes = 2 if task in ("binary", "multiclass") else 0
    form = output_form(candidate.loss, task, np.zeros(2) if n_classes == 0 else np.array([0, 1]), n_classes=n_classes, activation=candidate.activation)
    return [f.to_dict() for f in check_compatibility(form.activation, candidate.loss)]


def _finite(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


