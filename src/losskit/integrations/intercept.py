"""The optimal constant margin of a loss: the intercept gradient boosting starts from.

With a custom objective neither library fits its intercept (XGBoost starts every row at 0.5,
LightGBM at 0), so the first trees spend themselves on the mean. :func:`optimal_constant` finds

    c* = argmin_c  sum_i w_i loss(y_i, c)        (c: one margin, or one per class / target)

1. from the closed form the loss's record names (``spec.intercept``, an
   :class:`~losskit.losses._domain.Intercept`): by default the link of the weighted mean
   (scikit-learn's ``fit_intercept_only``: the mean for MSE and log-cosh, ``log`` of the mean for
   Poisson and Tweedie, ``logit`` of the mean for the crossentropies and focal losses, ``log`` of
   the class frequencies for the categorical ones); else the median (MAE, Huber, TD), the
   quantile (pinball), the median with weights ``w/|y|`` (MAPE), ``expm1`` of the mean of
   ``log1p(y)`` (MSLE), the majority sign (hinge), ``2p - 1`` (squared hinge), the mean unit
   vector (cosine), or zeros;
2. Newton's method on ``c`` with the summed gradient and Hessian diagonal of the loss (the exact
   Hessian where its sum is positive, else the positive surrogate), each step halved until the
   objective decreases (Armijo's rule), which reaches the minimum of a smooth loss and leaves an
   exact closed form where it is;
3. a check that the result is a minimum: probes ``c_j ± s (1 + |c_j|)`` for ``s`` in 1, 1e-2,
   1e-4 along every output must not lower the objective (by more than 1e-12 relative); a probe
   that does resumes the search from there, which also settles the kinks of non-smooth losses.

A minimiser that is an interval (the median of an even count) is reported by its midpoint. An
objective without a minimum (every label 0 for crossentropy: the margin goes to -inf) raises
ValueError.
"""

from __future__ import annotations

import numpy as np

from .._array import EPSILON
from ..losses._domain import Intercept
from ..registry import get
from ._margin import MarginLoss, weights_or_none

MAX_STEPS = 100
PROBE_SCALES = (1.0, 1e-2, 1e-4)
TOLERANCE = 1e-12


def optimal_constant(margin_loss: MarginLoss, y, sample_weight=None, *, num_class: int | None = None) -> np.ndarray:
    """``c*`` of shape ``(k,)``: ``k = 1`` for one margin per row, else one per class or target.

    ``y`` holds the training labels as the library has them (class indices for multi-class,
    ``(n, k)`` for multi-target); ``num_class`` sets ``k`` for class labels (default: the largest
    label + 1).
    """
    y = np.asarray(y, dtype=np.float64)
    n = y.shape[0]
    k = _outputs(margin_loss, y, num_class)
    y_true, _ = margin_loss.arrange(y, np.zeros((n, k)))
    weights = weights_or_none(sample_weight)
    w = np.ones(n) if weights is None else weights
    total = get(margin_loss.loss, reduction="sum")

    def objective(c):
        return float(total(y_true, _rows(c, n), sample_weight=weights))

    def derivatives(c):
        grad, hess = margin_loss.derivatives(y_true, _rows(c, n), weights, surrogate=False)
        grad, hess = grad.sum(axis=0), hess.sum(axis=0)
        if np.all(hess > 0):  # exact Newton: quadratic convergence (the surrogate is slower for focal losses)
            return grad, hess
        _, surrogate = margin_loss.derivatives(y_true, _rows(c, n), weights)
        return grad, np.where(hess > 0, hess, surrogate.sum(axis=0))

    start = _START[margin_loss.spec.intercept] if margin_loss.analytic else _zeros
    c = np.asarray(start(y_true, w, k, margin_loss.loss), dtype=np.float64).reshape(k)
    f = objective(c)
    for _ in range(MAX_STEPS):
        grad, hess = derivatives(c)
        moved = _newton_step(objective, c, f, grad, hess) or _probe(objective, c, f)
        if moved is None:
            return c
        c, f = moved
    raise ValueError(
        f"{margin_loss.caller}: {margin_loss.name}: the constant margin found no minimum in {MAX_STEPS} steps; "
        "the objective keeps decreasing (e.g. every label 0 for a crossentropy, or negative advantages)"
    )


def _rows(c, n: int):
    return np.broadcast_to(c, (n, c.shape[0]))


def _newton_step(objective, c, f, grad, hess):
    """The damped Newton step ``-t g / h``, ``t`` halved from 1 until Armijo's decrease; None when
    the step is negligible or goes nowhere down (a minimum, or a kink the probes must settle)."""
    step = -grad / hess
    slope = float(grad @ step)
    if not slope < 0 or np.max(np.abs(step)) <= TOLERANCE * (1.0 + np.max(np.abs(c))):
        return None
    t = 1.0
    while t >= 2.0**-12:
        trial = c + t * step
        f_trial = objective(trial)
        if f_trial < f and f_trial <= f + 1e-4 * t * slope:
            return trial, f_trial
        t /= 2.0
    return None


def _probe(objective, c, f):
    """A nearby point that lowers the objective by more than the tolerance, or None (a minimum)."""
    tolerance = TOLERANCE * (1.0 + abs(f))
    for scale in PROBE_SCALES:
        for j in range(c.shape[0]):
            for sign in (1.0, -1.0):
                trial = c.copy()
                trial[j] += sign * scale * (1.0 + abs(c[j]))
                f_trial = objective(trial)
                if f_trial < f - tolerance:
                    return trial, f_trial
    return None


def _outputs(margin_loss: MarginLoss, y, num_class: int | None) -> int:
    """How many margins each row has."""
    if y.ndim == 2 and y.shape[1] > 1:
        return y.shape[1]
    if not margin_loss.multiclass:
        return 1
    if num_class is not None:
        return int(num_class)
    ignored = margin_loss.loss.options.get("ignore_class")
    labels = y if ignored is None else y[y != ignored]
    return int(labels.max()) + 1 if labels.size else 0


# ----------------------------------------------------------------------------- closed forms
# Each takes the arranged labels ((n, k), or (n,) class indices), the weights (n,), k and the
# loss (in margin form), and returns the start (k,).
def _weighted_mean(y, w):
    return (w @ y.reshape(len(w), -1)) / w.sum()


def _weighted_quantile(y, w, q: float):
    """Per column, the midpoint of the minimisers of ``sum_i w_i pinball_q(y_i - c)``: ``np.median``
    for ``q = 0.5`` and equal weights; ``w`` of shape ``(n,)`` or ``y``'s."""
    y = y.reshape(y.shape[0], -1)
    w = np.broadcast_to(w.reshape(w.shape[0], -1), y.shape)
    result = np.empty(y.shape[1])
    for j in range(y.shape[1]):
        order = np.argsort(y[:, j], kind="stable")
        values, cumulative = y[order, j], np.cumsum(w[order, j])
        target = q * cumulative[-1]
        last = len(values) - 1
        low = values[min(np.searchsorted(cumulative, target, side="left"), last)]
        high = values[min(np.searchsorted(cumulative, target, side="right"), last)]
        result[j] = 0.5 * (low + high)
    return result


def _class_frequencies(y, w, k, options):
    """Weighted share of each class: ``y`` one-hot/soft rows (or values), or class indices (ignored labels left out)."""
    if y.ndim == 1:
        keep = np.ones_like(y, dtype=bool) if options.get("ignore_class") is None else y != options["ignore_class"]
        counts = np.bincount(y[keep].astype(np.int64), weights=w[keep], minlength=k)
        return counts / max(counts.sum(), EPSILON)
    return _weighted_mean(y, w)


def _signed_shares(y, w):
    """Weighted totals of positive and negative labels per column (0 reads as -1, as hinge does)."""
    positive = y > 0
    return w @ positive, w @ ~positive


def _link_of_mean(y, w, k, loss):
    """The loss's link of the weighted mean (class shares for class indices), the mean clipped
    into the range where the link is finite."""
    low, high = loss.link.prediction_range
    return np.asarray(loss.link(np.clip(_class_frequencies(y, w, k, loss.options), low, high)))


def _median(y, w, k, loss):
    return _weighted_quantile(y, w, 0.5)


def _quantile(y, w, k, loss):
    return _weighted_quantile(y, w, loss.options["quantile"])


def _percentage_median(y, w, k, loss):
    return _weighted_quantile(y, w[:, None] / np.maximum(np.abs(y), EPSILON), 0.5)


def _log1p_mean(y, w, k, loss):
    return np.expm1(_weighted_mean(np.log1p(y), w))


def _majority_sign(y, w, k, loss):
    positive, negative = _signed_shares(y, w)
    return np.sign(positive - negative)


def _signed_mean(y, w, k, loss):
    positive, negative = _signed_shares(y, w)
    return (positive - negative) / np.maximum(positive + negative, EPSILON)


def _mean_direction(y, w, k, loss):
    norms = np.linalg.norm(y, axis=-1, keepdims=True)
    direction = w @ (y / np.where(norms > 0, norms, 1.0))
    length = np.linalg.norm(direction)
    return direction / length if length > 0 else direction


def _zeros(y, w, k, loss):
    return np.zeros(k)


#: The closed form of each intercept rule a record can name.
_START = {
    Intercept.LINK_OF_MEAN: _link_of_mean,
    Intercept.MEDIAN: _median,
    Intercept.QUANTILE: _quantile,
    Intercept.PERCENTAGE_MEDIAN: _percentage_median,
    Intercept.LOG1P_MEAN: _log1p_mean,
    Intercept.MAJORITY_SIGN: _majority_sign,
    Intercept.SIGNED_MEAN: _signed_mean,
    Intercept.MEAN_DIRECTION: _mean_direction,
    Intercept.ZERO: _zeros,
}
