"""Statistics of a comparison over resampled splits: intervals, paired tests and the verdict.

Every loss is trained on the same ``J = R x K`` splits (``R`` repeats of ``K``-fold
cross-validation, or ``R`` random hold-out splits when ``K = 1``), so each loss has one value of
each metric per split and two losses can be compared split by split. The values of one loss are
not independent: the training sets overlap, so the plain standard error ``s / sqrt(J)``
understates the uncertainty (Dietterich 1998). Nadeau and Bengio (2003) correct the variance of
the mean of ``J`` resampled values to

    s**2 * (1 / J + n_test / n_train)

and use Student's t with ``J - 1`` degrees of freedom; Bouckaert and Frank (2004) showed that the
same correction makes repeated ``K``-fold cross-validation replicable. Here it gives

- the 95% interval of each metric's mean: ``mean ± t(0.975, J - 1) * sqrt(corrected variance)``;
- the paired test of each loss against the best one: the corrected resampled t-test on the
  per-split differences (two-sided), the p-values Holm-adjusted over the losses compared.

The verdict names a best loss only when every other loss is worse by the test (adjusted
p < 0.05) *and* by more than a negligible amount (:func:`negligible`), so that two losses which
train the same model are never split by rounding. Otherwise the losses that cannot be told apart
from the best are ``equivalent``. The distributions come from SciPy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .metrics import BOUNDED, sign

LEVEL = 0.95
ALPHA = 1.0 - LEVEL
METHOD = "Nadeau-Bengio corrected resampled t-test against the best loss, Holm-adjusted, alpha 0.05"

#: Differences below these are negligible: relative to the best mean, or absolute for metrics in [0, 1].
RELATIVE_NEGLIGIBLE = 1e-3
ABSOLUTE_NEGLIGIBLE = 1e-3


def corrected_scale(values: Sequence[float], test_fraction: float) -> float:
    """The Nadeau-Bengio standard error of the mean of ``values``; ``test_fraction`` is
    ``n_test / n_train`` of one split."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return math.nan
    return math.sqrt(float(np.var(values, ddof=1)) * (1.0 / values.size + test_fraction))


def interval(values: Sequence[float], test_fraction: float) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of ``values`` (one per split) and its 95% interval by the
    corrected resampled t (NaN bounds for fewer than two values)."""
    from scipy import stats

    values = np.asarray(values, dtype=np.float64)
    mean = float(np.mean(values)) if values.size else math.nan
    scale = corrected_scale(values, test_fraction)
    if not math.isfinite(scale):
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(1.0 - ALPHA / 2.0, values.size - 1)) * scale
    return mean, mean - half, mean + half


def paired_p_value(differences: Sequence[float], test_fraction: float) -> float:
    """Two-sided p-value of the corrected resampled t-test that the mean of the per-split
    ``differences`` is 0. Identical values on every split give 1; a constant non-zero difference 0."""
    from scipy import stats

    d = np.asarray(differences, dtype=np.float64)
    mean = float(np.mean(d))
    scale = corrected_scale(d, test_fraction)
    if not math.isfinite(scale):
        return math.nan
    if scale == 0.0:
        return 1.0 if mean == 0.0 else 0.0
    return float(2.0 * stats.t.sf(abs(mean) / scale, d.size - 1))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of ``p_values`` (family-wise error), in the given order."""
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (p.size - rank) * p[index]))
        adjusted[index] = running
    return adjusted.tolist()


def negligible(metric: str, best_mean: float) -> float:
    """The largest difference of ``metric`` that does not count as one."""
    if metric in BOUNDED:
        return ABSOLUTE_NEGLIGIBLE
    return RELATIVE_NEGLIGIBLE * abs(best_mean)


@dataclass
class Verdict:
    """The answer of a comparison: ``best`` (one loss, or none), ``equivalent`` (the losses the
    data cannot tell apart from the best, the best first; empty when there is a best), and per
    loss the mean difference from the best and the adjusted p-value."""

    metric: str
    best: list[str]
    equivalent: list[str]
    method: str
    top: str | None = None
    differences: dict[str, float] | None = None
    p_values: dict[str, float] | None = None
    excluded: dict[str, str] | None = None
    n_splits: int = 0

    def sentence(self, metric_label: str) -> str:
        """The verdict in one sentence, for the report's top and the terminal."""
        worse = [label for label in (self.differences or {}) if label not in self.equivalent]
        tail = f"; {_join(worse)} {'is' if len(worse) == 1 else 'are'} worse" if worse and self.equivalent else ""
        if self.best and self.differences:
            return (
                f"By {metric_label}, {self.best[0]} is the best loss: every other loss is worse on the {self.n_splits} paired "
                f"splits (corrected resampled t-test, Holm-adjusted p < {ALPHA:g})."
            )
        if self.best and self.excluded:
            left = "; ".join(f"{label}: {reason}" for label, reason in self.excluded.items())
            return f"By {metric_label}, {self.best[0]} is the only loss with a value on every split (left out, {left})."
        if self.best:
            return f"Only {self.best[0]} was compared by {metric_label}: there is nothing to compare it with."
        if len(self.equivalent) > 1 and self.n_splits >= 2:
            return (
                f"By {metric_label} there is no detectable difference between {_join(self.equivalent)} on the "
                f"{self.n_splits} paired splits{tail}: choose among them on other grounds."
            )
        if self.equivalent:
            return f"By {metric_label}, {self.top} scored best on a single split, which cannot tell the losses apart: use --repeats or --folds."
        return f"No loss has a {metric_label} on every split, so there is no verdict."

    def to_dict(self) -> dict:
        return {
            "metric": self.metric,
            "best": list(self.best),
            "equivalent": list(self.equivalent),
            "method": self.method,
            "top": self.top,
            "n_splits": self.n_splits,
            "differences": _finite_dict(self.differences),
            "p_values": _finite_dict(self.p_values),
            "excluded": dict(self.excluded or {}),
        }


def decide(metric: str, values: Mapping[str, Sequence[float]], test_fraction: float, excluded: Mapping[str, str] | None = None) -> Verdict:
    """The verdict on ``metric`` from ``values[label]``: one value per split, the same splits in
    the same order for every loss (paired). ``excluded`` lists losses left out, with the reason."""
    excluded = dict(excluded or {})
    labels = list(values)
    n = len(next(iter(values.values()))) if values else 0
    if not labels:
        return Verdict(metric, [], [], "no loss has a value of the metric on every split", excluded=excluded)
    s = sign(metric)
    means = {label: float(np.mean(values[label])) for label in labels}
    top = max(labels, key=lambda label: s * means[label])
    if len(labels) == 1:
        return Verdict(metric, [top], [], "a single loss was compared", top=top, excluded=excluded, n_splits=n)
    if n < 2:
        method = "one split gives no interval: no loss can be told apart (use --repeats or --folds)"
        return Verdict(metric, [], [top, *[x for x in labels if x != top]], method, top=top, excluded=excluded, n_splits=n)
    others = [label for label in labels if label != top]
    differences = {label: s * (np.asarray(values[top], dtype=np.float64) - np.asarray(values[label], dtype=np.float64)) for label in others}
    raw = [paired_p_value(differences[label], test_fraction) for label in others]
    adjusted = dict(zip(others, holm(raw)))
    threshold = negligible(metric, means[top])
    worse = [label for label in others if adjusted[label] < ALPHA and float(np.mean(differences[label])) > threshold]
    tied = [top, *[label for label in others if label not in worse]]
    mean_differences = {label: s * (means[top] - means[label]) for label in others}
    if len(tied) == 1:
        return Verdict(metric, [top], [], METHOD, top, mean_differences, adjusted, excluded, n)
    return Verdict(metric, [], tied, METHOD, top, mean_differences, adjusted, excluded, n)


def _join(labels: Sequence[str]) -> str:
    labels = list(labels)
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _finite_dict(values: Mapping[str, float] | None) -> dict[str, float | None]:
    return {k: (None if v is None or not math.isfinite(v) else float(v)) for k, v in (values or {}).items()}
