"""Compare losses: one model per candidate loss on the same data, split, architecture and seed.

:func:`compare` trains them one after the other with :func:`~losskit.platform.training.train`,
scores each on the held-out test rows and returns a :class:`Comparison`, which
:func:`~losskit.platform.report.write_report` turns into the report. Candidates default to the
losses :func:`losskit.recommend` ranks first for the task.

Ctrl-C stops the comparison, not the program: the losses already finished (and the curves of
the one being trained) are kept, the rest are listed as not run, and
``Comparison.interrupted`` is True.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..core import Loss
from ..guidance import Recommendation
from ..registry import get
from .data import Dataset, split
from .heads import RAW_OUTPUT_OPTIONS, stable_loss
from .metrics import HIGHER_IS_BETTER, METRICS, PRIMARY

if TYPE_CHECKING:
    from .training import History

#: How many of the recommended losses a comparison runs when none are named.
DEFAULT_CANDIDATES = 4

#: Training settings of a comparison when none are given: small enough for a laptop CPU.
DEFAULTS = {"epochs": 40, "batch_size": 32, "learning_rate": 1e-3, "hidden": (32, 16), "patience": None, "seed": 0}


@dataclass
class Run:
    """One candidate loss: its training history and its held-out metrics.

    ``status`` is the history's ("completed", "early_stopped", "diverged", "interrupted") or
    "failed" when training could not start (the loss refused the targets: ``message`` says why).
    ``test`` is None unless the run finished (completed or early stopped).
    """

    label: str
    loss: Loss
    status: str
    message: str = ""
    history: History | None = None
    test: dict[str, float | None] | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "early_stopped")

    def to_dict(self) -> dict[str, Any]:
        record = {"label": self.label, "status": self.status, "message": self.message, "test": self.test}
        if self.history is not None:
            record.update({k: v for k, v in self.history.to_dict().items() if k not in ("status", "message")})
        else:
            record.update({"loss": self.loss.name, "history": {}, "epochs": 0, "findings": []})
        return record


@dataclass
class Comparison:
    """Everything a report shows: the data, the settings and one :class:`Run` per loss."""

    dataset: dict[str, Any]
    settings: dict[str, Any]
    runs: list[Run] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def task(self) -> str:
        return self.dataset["task"]

    @property
    def metrics(self) -> tuple[str, ...]:
        return METRICS[self.task]

    @property
    def primary(self) -> str:
        """The held-out metric that ranks the losses."""
        return PRIMARY[self.task]

    def best(self, metric: str | None = None) -> list[str]:
        """Labels of the finished runs with the best held-out ``metric`` (the primary one by
        default); several when tied, none when no run has a value."""
        metric = metric or self.primary
        scored = [(r.label, r.test[metric]) for r in self.runs if r.finished and r.test.get(metric) is not None]
        if not scored:
            return []
        sign = 1.0 if metric in HIGHER_IS_BETTER else -1.0
        top = max(sign * v for _, v in scored)
        return [label for label, v in scored if math.isclose(sign * v, top, rel_tol=1e-12, abs_tol=1e-12)]

    def to_dict(self) -> dict[str, Any]:
        """The content of ``history.json``."""
        return {
            "losskit_version": __version__,
            "dataset": self.dataset,
            "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in self.settings.items()},
            "metrics": list(self.metrics),
            "primary_metric": self.primary,
            "best": self.best(),
            "interrupted": self.interrupted,
            "not_run": list(self.not_run),
            "seconds": round(self.seconds, 3),
            "runs": [r.to_dict() for r in self.runs],
        }


def candidates_for(task: str, y) -> list[Recommendation]:
    """The losses compared when none are named: the first :data:`DEFAULT_CANDIDATES` that
    :func:`losskit.recommend` ranks for ``task`` and training targets ``y`` (the targets tell the
    label format, class balance and tails); each is trained with its recommended options and
    final activation."""
    from ..guidance import recommend

    return recommend(task, y=y)[:DEFAULT_CANDIDATES]


def _candidate(item) -> tuple[Loss, str | None]:
    """``(loss, activation)`` to train: a recommendation as it is; a name in its stable
    raw-output form; a Loss or callable as given (``None``: the activation its metadata names)."""
    if isinstance(item, Recommendation):
        return get(item.loss, **item.options), item.activation
    return (stable_loss(item) if isinstance(item, str) else get(item)), None


def compare(
    dataset: Dataset,
    losses: Sequence[str | Loss | Callable | Recommendation] | None = None,
    *,
    epochs: int = DEFAULTS["epochs"],
    batch_size: int = DEFAULTS["batch_size"],
    learning_rate: float = DEFAULTS["learning_rate"],
    hidden: Sequence[int] = DEFAULTS["hidden"],
    patience: int | None = DEFAULTS["patience"],
    seed: int = DEFAULTS["seed"],
    test_size: float = 0.2,
    val_size: float = 0.2,
    progress: bool = False,
) -> Comparison:
    """Train one model per loss on ``dataset`` and score each on held-out rows.

    ``losses`` are names (trained in their stable raw-output form), :class:`losskit.Loss`
    objects (used as given), callables or recommendations (their loss, options and activation);
    by default :func:`candidates_for` the task. Every
    model sees the same split (``test_size`` of the rows held out, ``val_size`` of the rest for
    validation), architecture and seed. ``progress=True`` shows a progress bar per loss and
    epoch on stderr.
    """
    started = time.perf_counter()
    splits = split(dataset, test_size=test_size, val_size=val_size, seed=seed)
    chosen = [_candidate(c) for c in (losses or candidates_for(dataset.task, splits.y_train))]
    labels = _labels([loss for loss, _ in chosen])
    settings = {
        "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate, "optimizer": "adam",
        "hidden": tuple(hidden), "patience": patience, "seed": seed, "test_size": test_size, "val_size": val_size,
    }  # fmt: skip
    summary = {**dataset.summary(), "n_train": len(splits.y_train), "n_val": len(splits.y_val), "n_test": len(splits.y_test)}
    comparison = Comparison(dataset=summary, settings=settings)
    with _progress_bars(progress, width=max(map(len, labels))) as bars:
        for index, (label, (loss, activation)) in enumerate(zip(labels, chosen)):
            try:
                run = _run(label, loss, activation, splits, dataset.task, settings, bars)
            except KeyboardInterrupt:
                run = Run(label, loss, "interrupted", "interrupted before the first epoch")
            comparison.runs.append(run)
            if run.status == "interrupted":
                comparison.interrupted = True
                comparison.not_run = labels[index + 1 :]
                break
    comparison.seconds = time.perf_counter() - started
    return comparison


def _run(label: str, loss: Loss, activation: str | None, splits, task: str, settings: dict, bars) -> Run:
    from .training import train

    bar = bars.add(label, settings["epochs"])
    try:
        history = train(
            loss, splits.X_train, splits.y_train, task=task, activation=activation, validation_data=(splits.X_val, splits.y_val),
            epochs=settings["epochs"], batch_size=settings["batch_size"], learning_rate=settings["learning_rate"],
            hidden=settings["hidden"], patience=settings["patience"], seed=settings["seed"], callback=bar.epoch,
        )  # fmt: skip
    except ValueError as error:  # the loss refused the data (a domain or shape error): report it, go on
        bar.done("failed")
        return Run(label, loss, "failed", str(error))
    bar.done(history.status)
    run = Run(label, loss, history.status, history.message, history)
    if run.finished:
        run.test = history.evaluate(splits.X_test, splits.y_test)
    return run


def _labels(losses: list[Loss]) -> list[str]:
    """A distinct display name per loss: its name, with the options it sets beyond the defaults
    and the raw-output form (``huber(delta=2.0)``), and a number where two remain equal."""
    labels = []
    for loss in losses:
        defaults = loss.spec.defaults if loss.spec is not None else {}
        shown = [
            f"{k}={v!r}" for k, v in loss.options.items()
            if k in defaults and v != defaults[k] and not (k in RAW_OUTPUT_OPTIONS and v is True)
        ]  # fmt: skip
        label = f"{loss.name}({', '.join(shown)})" if shown else loss.name
        count = sum(1 for existing in labels if existing == label or existing.startswith(label + " #"))
        labels.append(label if count == 0 else f"{label} #{count + 1}")
    return labels


# ----------------------------------------------------------------------------- progress
class _Bar:
    """One loss's progress: epochs done, the latest training and validation loss."""

    def __init__(self, progress, label: str, epochs: int):
        self.progress = progress
        self.task = None if progress is None else progress.add_task(label, total=epochs, info="")

    def epoch(self, epoch: int, logs: dict[str, float | None]) -> None:
        if self.progress is not None:
            info = f"loss {logs['loss']:.4g}  val {logs['val_loss']:.4g}"
            self.progress.update(self.task, completed=epoch, info=info)

    def done(self, status: str) -> None:
        if self.progress is None:
            return
        task = self.progress.tasks[self.task]
        if status == "completed":
            self.progress.update(self.task, completed=task.total)
        else:
            style = {"early_stopped": "yellow", "diverged": "red", "failed": "red", "interrupted": "red"}[status]
            self.progress.update(self.task, total=max(task.completed, 1), info=f"[{style}]{status.replace('_', ' ')}[/]  {task.fields['info']}")


class _progress_bars:
    """Context manager: rich progress bars on stderr, or silent ones (``enabled=False``)."""

    def __init__(self, enabled: bool, width: int):
        self.progress = None
        self.width = width
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(bar_width=30), MofNCompleteColumn(), TextColumn("epochs"),
                TimeElapsedColumn(), TextColumn("{task.fields[info]}"), console=Console(stderr=True),
            )  # fmt: skip

    def __enter__(self):
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def add(self, label: str, epochs: int) -> _Bar:
        return _Bar(self.progress, label.ljust(self.width), epochs)
