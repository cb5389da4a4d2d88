"""The figures of the report, drawn with matplotlib's Agg renderer, as PNG bytes.

:func:`figures` returns them keyed by name and, for the per-loss ones, by the run's label, so
the page pairs each figure with its run by key. Held-out predictions are pooled over the splits
(each test row appears once per repeat); the curves show the mean over the fits at every epoch
and a band from the lowest to the highest fit.
"""

from __future__ import annotations

import io
import math

import numpy as np

from .comparison import Comparison, Run
from .metrics import LABELS

DPI = 100
TRAIN, VALIDATION = "#2f6fde", "#e8590c"
#: Colours of the losses, in run order, the same in every figure.
PALETTE = ("#2f6fde", "#e8590c", "#2b9348", "#c2255c", "#7048e8", "#0c8599", "#a5673f", "#5c940d", "#868e96", "#d6336c")


def colours(comparison: Comparison) -> dict[str, str]:
    return {run.label: PALETTE[i % len(PALETTE)] for i, run in enumerate(comparison.runs)}


def figures(comparison: Comparison, *, live: bool = False) -> dict[str, bytes | dict[str, bytes]]:
    """``{"intervals": png, "overview": png, "curves": {label: png}, ...}``; ``live=True`` draws
    only the intervals and the curves of every loss together (the page of a run in progress is
    rewritten often)."""
    result: dict = {}
    trained = [r for r in comparison.runs if r.live or any(f.history is not None and f.history.epochs > 0 for f in r.fits.values())]
    scored = [r for r in comparison.runs if r.values(comparison.metric)]
    if scored:
        result["intervals"] = _png(_intervals(comparison, scored))
    if trained:
        result["overview"] = _png(_overview(comparison, trained))
    if live:
        return result
    if trained:
        result["curves"] = {run.label: _png(_curves(comparison, run)) for run in trained}
    pooled = [r for r in comparison.runs if _pooled(r) is not None]
    if pooled and comparison.task in ("regression", "counts"):
        result["predictions"] = _png(_predicted_vs_actual(comparison, pooled))
    elif pooled:
        result["curves_roc_pr"] = _png(_roc_pr(comparison, pooled)) if comparison.task == "binary" else None
        result["calibration"] = _png(_calibration(comparison, pooled))
        result["confusion"] = _png(_confusion(comparison, pooled))
        result = {k: v for k, v in result.items() if v is not None}
    profiles = _profiles(comparison, pooled)
    if profiles is not None:
        result["profiles"] = _png(profiles)
    return result


# ----------------------------------------------------------------------------- helpers
def _new_figure(width: float, height: float, layout: str | None = "constrained"):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    fig.patch.set_facecolor("white")
    return fig


def _style(ax, *, xlabel: str = "", ylabel: str = "", title: str = "") -> None:
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, color="#e3e6ec", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _band(run: Run, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(epochs, mean, low, high)`` of a history key over the fits of ``run``, up to the last
    epoch that at least a third of the fits reached (beyond it a mean of one or two fits jumps)."""
    series = [f.history.history.get(key, []) for f in run.fits.values() if f.history is not None]
    if run.live:  # the fit in progress, while the report is live
        series.append(run.live.get(key, []))
    lengths = sorted((len(s) for s in series), reverse=True)
    longest = lengths[max(0, math.ceil(len(lengths) / 3) - 1)] if lengths else 0
    table = np.full((len(series), longest), np.nan)
    for i, s in enumerate(series):
        table[i, : min(len(s), longest)] = [np.nan if v is None else v for v in s[:longest]]
    with np.errstate(all="ignore"), _quiet():
        return np.arange(1, longest + 1), np.nanmean(table, axis=0), np.nanmin(table, axis=0), np.nanmax(table, axis=0)


class _quiet:
    """Silence NumPy's "mean of empty slice" where an epoch has no value in any fit."""

    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._catch.__exit__(*exc)


def _wide_positive(values: np.ndarray) -> bool:
    """Positive values spanning more than a factor 30: drawn on a log scale."""
    values = values[np.isfinite(values)]
    return values.size > 1 and values.min() > 0 and values.max() / values.min() > 30


def _pooled(run: Run):
    """``(y, predictions)`` over the finished fits' test rows, or None."""
    fits = [f for _, f in sorted(run.fits.items()) if f.prediction is not None]
    if not fits:
        return None
    y = np.concatenate([f.y_test for f in fits])

    def stack(attr):
        parts = [getattr(f.prediction, attr) for f in fits]
        return None if any(p is None for p in parts) else np.concatenate(parts)

    return y, {attr: stack(attr) for attr in ("values", "labels", "scores", "proba")}


# ----------------------------------------------------------------------------- the figures
def _intervals(comparison: Comparison, runs: list[Run]):
    """The ranking metric of every loss: each split's value (dots) and the mean with its 95% interval."""
    metric = comparison.metric
    verdict = comparison.verdict()
    marked = set(verdict.best or verdict.equivalent)
    palette = colours(comparison)
    fig = _new_figure(9.0, 0.5 + 0.42 * len(runs))
    ax = fig.subplots()
    for i, run in enumerate(reversed(runs)):
        values = list(run.values(metric).values())
        entry = run.summary(comparison.ratio).get(metric)
        ax.scatter(values, np.full(len(values), i) + np.linspace(-0.12, 0.12, len(values)), s=9, color=palette[run.label], alpha=0.45, linewidths=0)
        low, high = entry["ci"]
        if low is not None and high is not None:
            ax.plot([low, high], [i, i], color=palette[run.label], linewidth=2.4, solid_capstyle="butt")
        ax.plot(entry["mean"], i, "D", color=palette[run.label], markersize=7, markeredgecolor="white" if run.label not in marked else "black")
    ax.set_yticks(range(len(runs)), [r.label for r in reversed(runs)], fontsize=9)
    better = "higher" if metric in _higher() else "lower"
    _style(ax, xlabel=f"{LABELS[metric]} on the held-out rows ({better} is better): splits as dots, mean and 95% interval")
    return fig


def _higher():
    from .metrics import HIGHER_IS_BETTER

    return HIGHER_IS_BETTER


def _overview(comparison: Comparison, runs: list[Run]):
    """The ranking metric of every loss by epoch on the validation rows, with its spread."""
    metric = comparison.metric
    palette = colours(comparison)
    fig = _new_figure(9.0, 3.0, layout=None)  # drawn on every live rewrite: a fixed layout is cheaper
    axes = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.9, wspace=0.18)
    for ax, key, title in ((axes[0], "val_loss", "validation loss (each loss its own scale, normalised)"), (axes[1], "val_" + metric, f"validation {LABELS[metric]}")):
        for run in runs:
            epochs, mean, low, high = _band(run, key)
            if key == "val_loss":  # losses differ in scale: divide by the first epoch's mean
                scale = mean[0] if mean.size and np.isfinite(mean[0]) and mean[0] != 0 else 1.0
                mean, low, high = mean / scale, low / scale, high / scale
            ax.plot(epochs, mean, color=palette[run.label], linewidth=1.6, label=run.label)
            ax.fill_between(epochs, low, high, color=palette[run.label], alpha=0.12, linewidth=0)
        _style(ax, xlabel="epoch", title=title)
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[1].legend(fontsize=7.5, frameon=False, loc="best")
    return fig


def _curves(comparison: Comparison, run: Run):
    """One loss's evaluation view: the loss and every metric by epoch, training and validation,
    the mean over the fits with the range from the lowest to the highest fit."""
    history = next(f.history for f in run.fits.values() if f.history is not None)
    keys = ["loss", *[m for m in history.metrics if any(v is not None for v in history.history.get(m, []))]]
    columns = len(keys) if len(keys) <= 5 else math.ceil(len(keys) / 2)
    rows = math.ceil(len(keys) / columns)
    fig = _new_figure(10.0, 2.1 * rows + 0.3, layout=None)  # a fixed grid: constrained layout costs more than the drawing
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.12 / rows, top=1 - 0.22 / rows, wspace=0.28, hspace=0.45)
    best = [f.history.best_epoch for f in run.fits.values() if f.history is not None and f.history.best_epoch]
    for ax, key in zip(axes, keys):
        for prefix, colour, name in (("", TRAIN, "training"), ("val_", VALIDATION, "validation")):
            epochs, mean, low, high = _band(run, prefix + key)
            ax.plot(epochs, mean, color=colour, linewidth=1.5, label=name)
            ax.fill_between(epochs, low, high, color=colour, alpha=0.15, linewidth=0)
            if key == "loss" and prefix == "" and _wide_positive(np.concatenate([low, high])):
                from matplotlib.ticker import NullFormatter

                ax.set_yscale("log")
                ax.yaxis.set_minor_formatter(NullFormatter())
        if best:
            ax.axvline(float(np.median(best)), color="#868e96", linewidth=0.9, linestyle=":")
        _style(ax, title=LABELS.get(key, key))
        ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in axes[len(keys) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7.5, frameon=False, loc="best")
    if run.status != "completed":
        fig.suptitle(f"{run.status.replace('_', ' ')}: {run.message}", fontsize=8.5, color="#b42318")
    return fig


def _predicted_vs_actual(comparison: Comparison, runs: list[Run]):
    """Per loss: predicted against actual (top) and residuals against predicted (bottom)."""
    palette = colours(comparison)
    fig = _new_figure(min(2.6 * len(runs) + 0.6, 11.0), 5.0)
    axes = fig.subplots(2, len(runs), squeeze=False)
    all_y = np.concatenate([_pooled(r)[0] for r in runs])
    low, high = np.percentile(all_y, [0.5, 99.5])
    for j, run in enumerate(runs):
        y, p = _pooled(run)
        shown = _sample(len(y))
        y, pred = y[shown], p["values"][shown]
        top, bottom = axes[0, j], axes[1, j]
        top.scatter(y, pred, s=5, alpha=0.35, color=palette[run.label], linewidths=0)
        top.plot([low, high], [low, high], color="#495057", linewidth=0.9)
        _style(top, xlabel="actual", ylabel="predicted" if j == 0 else "", title=run.label)
        bottom.scatter(pred, pred - y, s=5, alpha=0.35, color=palette[run.label], linewidths=0)
        bottom.axhline(0.0, color="#495057", linewidth=0.9)
        _style(bottom, xlabel="predicted", ylabel="prediction − actual" if j == 0 else "")
    return fig


#: The most points a scatter plot draws per loss: beyond that, a seeded sample of the pooled
#: held-out rows (the cloud looks the same; a million points would take a minute to draw).
SCATTER_POINTS = 20_000


def _sample(n: int):
    """The rows a scatter plot of ``n`` points draws: all, or :data:`SCATTER_POINTS` of them."""
    if n <= SCATTER_POINTS:
        return slice(None)
    return np.sort(np.random.default_rng(0).choice(n, SCATTER_POINTS, replace=False))


def _roc_pr(comparison: Comparison, runs: list[Run]):
    """ROC and precision-recall curves of every loss on the pooled held-out rows."""
    from sklearn.metrics import auc, precision_recall_curve, roc_curve

    palette = colours(comparison)
    fig = _new_figure(9.0, 3.4)
    roc_ax, pr_ax = fig.subplots(1, 2)
    prevalence = None
    for run in runs:
        y, p = _pooled(run)
        fpr, tpr, _ = roc_curve(y, p["scores"])
        precision, recall, _ = precision_recall_curve(y, p["scores"])
        roc_ax.plot(fpr, tpr, color=palette[run.label], linewidth=1.5, label=f"{run.label} ({auc(fpr, tpr):.3f})")
        pr_ax.plot(recall, precision, color=palette[run.label], linewidth=1.5, label=run.label)
        prevalence = float(np.mean(y))
    roc_ax.plot([0, 1], [0, 1], color="#adb5bd", linewidth=0.8, linestyle="--")
    pr_ax.axhline(prevalence, color="#adb5bd", linewidth=0.8, linestyle="--")
    _style(roc_ax, xlabel="false positive rate", ylabel="true positive rate", title="ROC (pooled held-out rows)")
    _style(pr_ax, xlabel="recall", ylabel="precision", title="precision-recall (dashed: prevalence)")
    roc_ax.legend(fontsize=7.5, frameon=False, loc="lower right")
    return fig


def _calibration(comparison: Comparison, runs: list[Run]):
    """Reliability diagram: the observed frequency against the predicted probability (binary: of
    class 1; multiclass: of the predicted class) in ten bins, for the losses with probabilities."""
    palette = colours(comparison)
    fig = _new_figure(4.6, 3.4)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="#adb5bd", linewidth=0.8, linestyle="--")
    drawn = 0
    for run in runs:
        y, p = _pooled(run)
        if p["proba"] is None:
            continue
        if p["proba"].ndim == 1:
            confidence, hit = p["proba"], (y == 1)
        else:
            confidence, hit = p["proba"].max(axis=1), (p["labels"] == y)
        bins = np.clip((confidence * 10).astype(int), 0, 9)
        centres = [(confidence[bins == b].mean(), hit[bins == b].mean()) for b in range(10) if np.any(bins == b)]
        xs, ys = zip(*centres)
        ax.plot(xs, ys, "o-", color=palette[run.label], linewidth=1.3, markersize=3.5, label=run.label)
        drawn += 1
    title = "calibration" if drawn else "calibration: no loss outputs probabilities"
    _style(ax, xlabel="predicted probability" if comparison.task == "binary" else "confidence", ylabel="observed frequency", title=title)
    if drawn:
        ax.legend(fontsize=7.5, frameon=False, loc="upper left")
    return fig


def _confusion(comparison: Comparison, runs: list[Run]):
    """Per loss: the confusion matrix of the pooled held-out rows, rows normalised (recall)."""
    from sklearn.metrics import confusion_matrix

    classes = comparison.dataset.get("classes") or []
    k = max(len(classes), 2)
    fig = _new_figure(min(2.5 * len(runs) + 0.4, 11.0), 2.8)
    axes = np.atleast_1d(fig.subplots(1, len(runs))).ravel()
    for ax, run in zip(axes, runs):
        y, p = _pooled(run)
        matrix = confusion_matrix(y, p["labels"], labels=list(range(k))).astype(float)
        shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1.0)
        ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
        if k <= 6:
            for i in range(k):
                for j in range(k):
                    ax.text(j, i, f"{shares[i, j]:.2f}", ha="center", va="center", fontsize=7, color="white" if shares[i, j] > 0.6 else "#1d2433")
        names = classes if len(classes) == k else [str(i) for i in range(k)]
        ticks = range(k) if k <= 10 else []
        ax.set_xticks(ticks, [names[i] for i in ticks], rotation=90 if k > 4 else 0)
        ax.set_yticks(ticks, [names[i] for i in ticks])
        ax.set_title(run.label, fontsize=9)
        ax.set_xlabel("predicted", fontsize=8)
        ax.set_ylabel("actual", fontsize=8)
        ax.tick_params(labelsize=7)
    return fig


def _profiles(comparison: Comparison, pooled: list[Run]):
    """Each loss against prediction − target over the residuals the data actually have (the 1st
    to 99th percentile of the held-out residuals, at the median target), or against the margin
    for classification; with its gradient."""
    runs = [r for r in comparison.runs if r.loss.spec is not None and r.loss.spec.native]
    if not runs:
        return None
    palette = colours(comparison)
    curves = {}
    for run in runs:
        try:
            curves[run.label] = _residual_profile(run, comparison, pooled) if comparison.task in ("regression", "counts") else _margin_profile(run)
        except (ValueError, TypeError):
            continue
    curves = {k: v for k, v in curves.items() if v is not None}
    if not curves:
        return None
    fig = _new_figure(9.0, 3.0)
    value_ax, gradient_ax = fig.subplots(1, 2)
    xlabel = "prediction − target"
    for label, (x, value, gradient, xlabel) in curves.items():
        value_ax.plot(x, value, color=palette[label], linewidth=1.6, label=label)
        gradient_ax.plot(x, gradient, color=palette[label], linewidth=1.6, label=label)
    for ax, title in ((value_ax, "loss"), (gradient_ax, "gradient")):
        ax.axhline(0.0, color="#adb5bd", linewidth=0.8, zorder=0)
        _style(ax, xlabel=xlabel, title=title)
    value_ax.legend(fontsize=7.5, frameon=False)
    return fig


def _residual_profile(run: Run, comparison: Comparison, pooled: list[Run]):
    from ..registry import get
    from . import _record

    residuals = np.concatenate([_pooled(r)[1]["values"] - _pooled(r)[0] for r in pooled]) if pooled else np.array([-3.0, 3.0])
    low, high = np.percentile(residuals, [1, 99])
    span = max(abs(low), abs(high), 1e-6)
    target = float(np.median(np.concatenate([_pooled(r)[0] for r in pooled]))) if pooled else 0.0
    x = np.linspace(-span, span, 301)
    loss = run.loss
    option = _record.link_option(loss)
    if option is not None and loss.options.get(option) is True:
        loss = get(loss, **{option: False})  # measure the prediction itself, not its raw form
    if _record.layout(loss) == "mean_variance":
        return None
    prediction = target + x
    valid = np.ones_like(x, dtype=bool)
    domain = loss.info.y_pred_domain
    if domain is not None:
        valid = np.asarray(domain.contains(prediction, np), dtype=bool)
    y = np.full((valid.sum(), 1), target)
    values = np.asarray(get(loss, reduction="none")(y, prediction[valid].reshape(-1, 1)), dtype=np.float64).ravel()
    gradient = np.gradient(values, x[valid]) if values.size > 2 else values * np.nan
    return x[valid], values, gradient, f"prediction − target (at the median target {target:.3g})"


def _margin_profile(run: Run):
    from ..guidance.profiles import kinds, profile

    kind = "margin" if "margin" in kinds(run.loss) else kinds(run.loss)[0]
    curve = profile(run.loss, kind)
    return curve["x"], curve["loss"], curve["gradient"], curve["xlabel"]
