"""Regression losses: a real target, a real prediction, the mean over the last axis; each value
kernel with its gradient and Hessian diagonal below it.

Every loss here averages over the last axis, so every derivative element carries ``1/d``. ``e`` is
the residual ``y_pred - y_true``. At a kink (``e == 0`` for MAE, ``|e| == delta`` for Huber) the
gradient is the one PyTorch's autograd of the value gives: ``sign(0) = 0``, the midpoint
of the pinball loss's subdifferential, the quadratic side of Huber.
"""

from __future__ import annotations

from .._array import EPSILON, log_cosh as _log_cosh
from ._domain import NON_NEGATIVE, REAL, Intercept, Target
from ._spec import NON_NEGATIVE_NUMBER, OPEN_UNIT_NUMBER, POSITIVE_NUMBER, define

_REGRESSION_ACTIVATIONS = ("linear",)
_REGRESSION = dict(tasks=("regression",), y_true=REAL, y_pred=REAL, target=Target.REAL, activations=_REGRESSION_ACTIVATIONS)


def _constant(like, value, xp):
    return xp.full_like(like, value)


@define(
    name="mean_squared_error",
    aliases=("mse",),
    **_REGRESSION,
    properties=("smooth", "convex"),
    formula="mean((y_pred - y_true)^2)",
    latex=r"\frac{1}{d}\sum_j (\hat y_j - y_j)^2",
    references=("https://en.wikipedia.org/wiki/Mean_squared_error",),
)
def mean_squared_error(y_true, y_pred, *, xp):
    """Mean squared error: the Gaussian negative log-likelihood up to constants.

    ``loss = mean((y_pred - y_true)**2, axis=-1)``; shapes ``(..., d) -> (...)``.
    Use it for regression whose errors are roughly Gaussian; it is sensitive to outliers.

    >>> import numpy as np, losskit as lk
    >>> lk.mean_squared_error(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]))
    array([0.5])
    """
    return xp.mean(xp.square(y_pred - y_true), axis=-1)


@mean_squared_error.derivatives()
def _mean_squared_error_derivatives(y_true, y_pred, *, xp):
    """``g = 2 e / d``, ``h = 2 / d``."""
    d = y_pred.shape[-1]
    return 2.0 * (y_pred - y_true) / d, _constant(y_pred, 2.0 / d, xp)


@define(
    name="mean_absolute_error",
    aliases=("mae",),
    intercept=Intercept.MEDIAN,
    **_REGRESSION,
    properties=("robust to outliers", "convex", "non-smooth at 0"),
    formula="mean(|y_pred - y_true|)",
    latex=r"\frac{1}{d}\sum_j |\hat y_j - y_j|",
    references=("https://en.wikipedia.org/wiki/Mean_absolute_error",),
)
def mean_absolute_error(y_true, y_pred, *, xp):
    """Mean absolute error: the Laplace negative log-likelihood; estimates the median.

    ``loss = mean(abs(y_pred - y_true), axis=-1)``; shapes ``(..., d) -> (...)``.
    """
    return xp.mean(xp.abs(y_pred - y_true), axis=-1)


@mean_absolute_error.derivatives(surrogate="constant 1/d (LightGBM's L1 Hessian)")
def _mean_absolute_error_derivatives(y_true, y_pred, *, surrogate, xp):
    """``g = sign(e) / d``; ``h = 0`` (surrogate ``1 / d``)."""
    d = y_pred.shape[-1]
    return xp.sign(y_pred - y_true) / d, _constant(y_pred, 1.0 / d if surrogate else 0.0, xp)


@define(
    name="mean_absolute_percentage_error",
    aliases=("mape",),
    intercept=Intercept.PERCENTAGE_MEDIAN,
    divides_by_target=True,
    **_REGRESSION,
    properties=("scale-free", "non-smooth at 0"),
    formula="100 * mean(|y_true - y_pred| / max(|y_true|, eps))",
    latex=r"\frac{100}{d}\sum_j \frac{|y_j - \hat y_j|}{\max(|y_j|, \epsilon)}",
    references=("https://en.wikipedia.org/wiki/Mean_absolute_percentage_error",),
)
def mean_absolute_percentage_error(y_true, y_pred, *, xp):
    """Mean absolute percentage error, in percent.

    ``loss = 100 * mean(abs((y_true - y_pred) / max(abs(y_true), 1e-7)), axis=-1)``, the
    Keras definition: a target of 0 divides by ``1e-7`` rather than by zero.
    """
    return 100.0 * xp.mean(xp.abs(y_true - y_pred) / xp.clip(xp.abs(y_true), min=EPSILON), axis=-1)


@mean_absolute_percentage_error.derivatives(
    surrogate="100 / (d max(|y_true|, 1e-7)), the weight of each absolute error (as LightGBM's MAPE)",
)
def _mean_absolute_percentage_error_derivatives(y_true, y_pred, *, surrogate, xp):
    """``g = 100 sign(e) / (d max(|y|, 1e-7))``; ``h = 0`` (surrogate: the same weight without the sign)."""
    weight = 100.0 / (y_pred.shape[-1] * xp.clip(xp.abs(y_true), min=EPSILON))
    return xp.sign(y_pred - y_true) * weight, weight if surrogate else xp.zeros_like(y_pred)


@define(
    name="mean_squared_logarithmic_error",
    aliases=("msle",),
    tasks=("regression",),
    y_true=NON_NEGATIVE,
    y_pred=REAL,
    target=Target.NON_NEGATIVE,
    intercept=Intercept.LOG1P_MEAN,
    activations=("relu", "softplus", "exponential", "linear"),
    properties=("relative errors", "for positive targets spanning orders of magnitude"),
    formula="mean((log(1 + max(y_pred, eps)) - log(1 + max(y_true, eps)))^2)",
    latex=r"\frac{1}{d}\sum_j (\log(1+\hat y_j) - \log(1+y_j))^2",
    references=("https://keras.io/api/losses/regression_losses/#meansquaredlogarithmicerror-function",),
)
def mean_squared_logarithmic_error(y_true, y_pred, *, xp):
    """Mean squared logarithmic error, for non-negative targets.

    ``loss = mean((log1p(max(y_pred, 1e-7)) - log1p(max(y_true, 1e-7)))**2, axis=-1)``.
    Negative predictions are clipped to ``1e-7`` as in Keras; negative targets are an error.
    """
    first = xp.log1p(xp.clip(y_pred, min=EPSILON))
    second = xp.log1p(xp.clip(y_true, min=EPSILON))
    return xp.mean(xp.square(first - second), axis=-1)


@mean_squared_logarithmic_error.derivatives(
    surrogate="Gauss-Newton 2 / (d (1 + y_pred)^2); the exact Hessian is negative where log1p(y_pred) > log1p(y_true) + 1",
)
def _mean_squared_logarithmic_error_derivatives(y_true, y_pred, *, surrogate, xp):
    """With ``r = log1p(y_pred) - log1p(y_true)`` and ``s = 1 / (1 + y_pred)``:
    ``g = 2 r s / d``, ``h = 2 (1 - r) s^2 / d``. Predictions below 1e-7 are clipped by the
    value, so their gradient and Hessian are 0 (as autodiff of the clip gives)."""
    d = y_pred.shape[-1]
    clipped = xp.clip(y_pred, min=EPSILON)
    residual = xp.log1p(clipped) - xp.log1p(xp.clip(y_true, min=EPSILON))
    slope = xp.where(y_pred >= EPSILON, 1.0 / (1.0 + clipped), xp.zeros_like(y_pred))
    curvature = xp.ones_like(residual) if surrogate else 1.0 - residual
    return 2.0 * residual * slope / d, 2.0 * curvature * xp.square(slope) / d


@define(
    name="huber",
    aliases=("huber_loss",),
    intercept=Intercept.MEDIAN,
    **_REGRESSION,
    properties=("robust to outliers", "smooth", "convex"),
    formula="mean(0.5 e^2 if |e| <= delta else delta (|e| - 0.5 delta)), e = y_pred - y_true",
    latex=r"\frac{1}{d}\sum_j \begin{cases}\frac12 e_j^2 & |e_j|\le\delta\\ \delta(|e_j|-\frac12\delta) & \text{otherwise}\end{cases}",
    references=("https://en.wikipedia.org/wiki/Huber_loss",),
    checks={"delta": POSITIVE_NUMBER},
    dtype_bounded=("delta",),
)
def huber(y_true, y_pred, *, delta=1.0, xp):
    """Huber loss: quadratic for errors up to ``delta``, linear beyond.

    Equals Keras' ``Huber(delta)``. PyTorch's ``SmoothL1Loss(beta)`` is ``huber / beta``;
    ``HuberLoss(delta)`` is the same value.
    """
    return xp.mean(huber_terms(xp.abs(y_pred - y_true), delta, xp), axis=-1)


@huber.derivatives(
    surrogate="constant 1/d, the quadratic side's curvature (LightGBM's Huber Hessian)",
)
def _huber_derivatives(y_true, y_pred, *, delta, surrogate, xp):
    """``g = clip(e, -delta, delta) / d``; ``h = 1 / d`` where ``|e| <= delta``, else 0 (surrogate ``1 / d``)."""
    d = y_pred.shape[-1]
    error = y_pred - y_true
    grad = xp.clip(error, min=-delta, max=delta) / d
    if surrogate:
        return grad, _constant(y_pred, 1.0 / d, xp)
    return grad, xp.where(xp.abs(error) <= delta, _constant(y_pred, 1.0 / d, xp), xp.zeros_like(y_pred))


def huber_terms(abs_error, delta, xp):
    """Elementwise Huber of ``|e|``. Same as ``where(|e| <= delta, e**2 / 2, delta * (|e| - delta / 2))``
    but without evaluating (and differentiating) both branches. The record bounds ``delta`` by the
    dtype's largest number (``dtype_bounded``): 1e300 on float32 would be inf, and ``inf * 0`` NaN."""
    quadratic = xp.clip(abs_error, max=delta)
    return 0.5 * xp.square(quadratic) + delta * (abs_error - quadratic)


@define(
    name="log_cosh",
    aliases=("logcosh",),
    **_REGRESSION,
    properties=("robust to outliers", "smooth", "convex"),
    formula="mean(log(cosh(y_pred - y_true)))",
    latex=r"\frac{1}{d}\sum_j \log\cosh(\hat y_j - y_j)",
    references=("https://keras.io/api/losses/regression_losses/#logcosh-function",),
)
def log_cosh(y_true, y_pred, *, xp):
    """Log-cosh: about ``e**2 / 2`` for small errors and ``|e| - log 2`` for large ones.

    Finite for any finite residual (a residual of 1e4 in float32 gives 9999.307, where
    ``log(cosh(e))`` overflows to inf) and accurate near zero.
    """
    return xp.mean(_log_cosh(y_pred - y_true, xp), axis=-1)


@log_cosh.derivatives(
    surrogate=(
        "tanh(e)/(e d), 1/d at e = 0: the curvature of the quadratic that touches log-cosh at e and lies "
        "above it, about 1/|e| where sech(e)^2 underflows"
    ),
)
def _log_cosh_derivatives(y_true, y_pred, *, surrogate, xp):
    """``g = tanh(e) / d``, ``h = sech(e)^2 / d``, the latter as ``4 t / (1 + t)^2`` with
    ``t = exp(-2|e|)``: accurate where ``1 - tanh(e)^2`` would round to 0.

    The surrogate ``tanh(e) / (e d)`` (``1 / d`` at 0) is at least ``sech(e)^2 / d`` everywhere and
    equal at 0, but falls off as ``1 / |e|`` rather than ``4 exp(-2|e|)``: the exact Hessian is 0
    in float32 from ``|e|`` about 52 (1e-16, the floor, from about 19), so a booster's leaves
    ``-sum(g) / (sum(h) + lambda)`` would crawl by ``eta * tanh / lambda`` on a target of scale
    1000, while the surrogate's step ``-g / h`` is ``-e``: it fits large residuals as MSE does."""
    d = y_pred.shape[-1]
    error = y_pred - y_true
    grad = xp.tanh(error) / d
    if surrogate:
        zero = error == 0
        return grad, xp.where(zero, _constant(error, 1.0 / d, xp), grad / xp.where(zero, _constant(error, 1.0, xp), error))
    t = xp.exp(-2.0 * xp.abs(error))
    return grad, 4.0 * t / (xp.square(1.0 + t) * d)


@define(
    name="quantile",
    aliases=("pinball",),
    intercept=Intercept.QUANTILE,
    **_REGRESSION,
    properties=("robust to outliers", "convex", "non-smooth at 0", "asymmetric"),
    formula="mean(max(q (y_true - y_pred), (q - 1) (y_true - y_pred)))",
    latex=r"\frac{1}{d}\sum_j \max(q\,r_j, (q-1)\,r_j),\ r = y - \hat y",
    references=("https://en.wikipedia.org/wiki/Quantile_regression",),
    checks={"quantile": OPEN_UNIT_NUMBER},
)
def quantile(y_true, y_pred, *, quantile=0.5, xp):
    """Quantile (pinball) loss: its minimiser is the ``quantile`` of the target distribution.

    Equals scikit-learn's ``mean_pinball_loss(alpha=quantile)``; ``quantile=0.5`` is half the MAE.
    """
    residual = y_true - y_pred
    return xp.mean(xp.maximum(quantile * residual, (quantile - 1.0) * residual), axis=-1)


@quantile.derivatives(surrogate="constant 1/d (LightGBM's quantile Hessian)")
def _quantile_derivatives(y_true, y_pred, *, quantile, surrogate, xp):
    """``g = (1[e > 0] - quantile) / d`` (``0.5 - quantile`` at ``e == 0``); ``h = 0`` (surrogate ``1 / d``)."""
    d = y_pred.shape[-1]
    above = 0.5 * (xp.sign(y_pred - y_true) + 1.0)
    return (above - quantile) / d, _constant(y_pred, 1.0 / d if surrogate else 0.0, xp)


@define(
    name="smooth_l1",
    aliases=("smooth_l1_loss",),
    intercept=Intercept.MEDIAN,
    **_REGRESSION,
    properties=("robust to outliers", "smooth", "convex"),
    formula="mean(0.5 e^2 / beta if |e| < beta else |e| - 0.5 beta), e = y_pred - y_true; beta=0: mean(|e|)",
    latex=r"\frac{1}{d}\sum_j \begin{cases}\frac{e_j^2}{2\beta} & |e_j|<\beta\\ |e_j|-\frac{\beta}{2} & \text{otherwise}\end{cases}",
    references=("https://pytorch.org/docs/stable/generated/torch.nn.SmoothL1Loss.html", "Girshick, Fast R-CNN, 2015."),
    checks={"beta": NON_NEGATIVE_NUMBER},
    dtype_bounded=("beta",),
)
def smooth_l1(y_true, y_pred, *, beta=1.0, xp):
    """Smooth L1 loss (PyTorch's ``SmoothL1Loss(beta)``, Fast R-CNN's box loss): quadratic below
    ``beta`` with slope 1 beyond it, so errors larger than ``beta`` count linearly, as in MAE.

    ``huber(delta=beta) / beta`` for ``beta > 0``; ``beta=0`` is the mean absolute error, as in
    PyTorch. Shapes ``(..., d) -> (...)``.
    """
    abs_error = xp.abs(y_pred - y_true)
    if beta == 0:
        return xp.mean(abs_error, axis=-1)
    quadratic = xp.clip(abs_error, max=beta)
    return xp.mean(0.5 * xp.square(quadratic) / beta + (abs_error - quadratic), axis=-1)


@smooth_l1.derivatives(surrogate="constant 1 / (beta d), the quadratic side's curvature (1/d for beta=0)")
def _smooth_l1_derivatives(y_true, y_pred, *, beta, surrogate, xp):
    """``g = clip(e / beta, -1, 1) / d``; ``h = 1 / (beta d)`` where ``|e| <= beta``, else 0
    (``beta = 0``: ``g = sign(e) / d``, ``h = 0``)."""
    d = y_pred.shape[-1]
    error = y_pred - y_true
    if beta == 0:
        return xp.sign(error) / d, _constant(y_pred, 1.0 / d if surrogate else 0.0, xp)
    grad = xp.clip(error, min=-beta, max=beta) / (beta * d)
    curvature = _constant(y_pred, 1.0 / (beta * d), xp)
    if surrogate:
        return grad, curvature
    return grad, xp.where(xp.abs(error) <= beta, curvature, xp.zeros_like(y_pred))
