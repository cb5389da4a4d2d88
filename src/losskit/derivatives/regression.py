"""Gradients and Hessian diagonals of the regression losses (see :mod:`losskit.losses.regression`).

Every loss here averages over the last axis, so every element carries ``1/d``. ``e`` is the
residual ``y_pred - y_true``. At a kink (``e == 0`` for MAE, ``|e| == delta`` for Huber) the
gradient is the one PyTorch's autograd of the value gives: ``sign(0) = 0``, the midpoint
of the pinball loss's subdifferential, the quadratic side of Huber.
"""

from __future__ import annotations

from .._array import EPSILON
from ..losses import regression as losses
from ._register import derivative_of


def _constant(like, value, xp):
    return xp.full_like(like, value)


@derivative_of(losses.mean_squared_error)
def mean_squared_error(y_true, y_pred, *, xp):
    """``g = 2 e / d``, ``h = 2 / d``."""
    d = y_pred.shape[-1]
    return 2.0 * (y_pred - y_true) / d, _constant(y_pred, 2.0 / d, xp)


@derivative_of(losses.mean_absolute_error, surrogate="constant 1/d (LightGBM's L1 Hessian)")
def mean_absolute_error(y_true, y_pred, *, surrogate=False, xp):
    """``g = sign(e) / d``; ``h = 0`` (surrogate ``1 / d``)."""
    d = y_pred.shape[-1]
    return xp.sign(y_pred - y_true) / d, _constant(y_pred, 1.0 / d if surrogate else 0.0, xp)


@derivative_of(
    losses.mean_absolute_percentage_error,
    surrogate="100 / (d max(|y_true|, 1e-7)), the weight of each absolute error (as LightGBM's MAPE)",
)
def mean_absolute_percentage_error(y_true, y_pred, *, surrogate=False, xp):
    """``g = 100 sign(e) / (d max(|y|, 1e-7))``; ``h = 0`` (surrogate: the same weight without the sign)."""
    weight = 100.0 / (y_pred.shape[-1] * xp.clip(xp.abs(y_true), min=EPSILON))
    return xp.sign(y_pred - y_true) * weight, weight if surrogate else xp.zeros_like(y_pred)


@derivative_of(
    losses.mean_squared_logarithmic_error,
    surrogate="Gauss-Newton 2 / (d (1 + y_pred)^2); the exact Hessian is negative where log1p(y_pred) > log1p(y_true) + 1",
)
def mean_squared_logarithmic_error(y_true, y_pred, *, surrogate=False, xp):
    """With ``r = log1p(y_pred) - log1p(y_true)`` and ``s = 1 / (1 + y_pred)``:
    ``g = 2 r s / d``, ``h = 2 (1 - r) s^2 / d``. Predictions below 1e-7 are clipped by the
    value, so their gradient and Hessian are 0 (as autodiff of the clip gives)."""
    d = y_pred.shape[-1]
    clipped = xp.clip(y_pred, min=EPSILON)
    residual = xp.log1p(clipped) - xp.log1p(xp.clip(y_true, min=EPSILON))
    slope = xp.where(y_pred >= EPSILON, 1.0 / (1.0 + clipped), xp.zeros_like(y_pred))
    curvature = xp.ones_like(residual) if surrogate else 1.0 - residual
    return 2.0 * residual * slope / d, 2.0 * curvature * xp.square(slope) / d


@derivative_of(losses.huber, surrogate="constant 1/d, the quadratic side's curvature (LightGBM's Huber Hessian)")
def huber(y_true, y_pred, *, delta=1.0, surrogate=False, xp):
    """``g = clip(e, -delta, delta) / d``; ``h = 1 / d`` where ``|e| <= delta``, else 0 (surrogate ``1 / d``)."""
    d = y_pred.shape[-1]
    error = y_pred - y_true
    grad = xp.clip(error, min=-delta, max=delta) / d
    if surrogate:
        return grad, _constant(y_pred, 1.0 / d, xp)
    return grad, xp.where(xp.abs(error) <= delta, _constant(y_pred, 1.0 / d, xp), xp.zeros_like(y_pred))


@derivative_of(losses.log_cosh)
def log_cosh(y_true, y_pred, *, xp):
    """``g = tanh(e) / d``, ``h = sech(e)^2 / d``, the latter as ``4 t / (1 + t)^2`` with
    ``t = exp(-2|e|)``: accurate where ``1 - tanh(e)^2`` would round to 0."""
    d = y_pred.shape[-1]
    error = y_pred - y_true
    t = xp.exp(-2.0 * xp.abs(error))
    return xp.tanh(error) / d, 4.0 * t / (xp.square(1.0 + t) * d)


@derivative_of(losses.quantile, surrogate="constant 1/d (LightGBM's quantile Hessian)")
def quantile(y_true, y_pred, *, quantile=0.5, surrogate=False, xp):
    """``g = (1[e > 0] - quantile) / d`` (``0.5 - quantile`` at ``e == 0``); ``h = 0`` (surrogate ``1 / d``)."""
    d = y_pred.shape[-1]
    above = 0.5 * (xp.sign(y_pred - y_true) + 1.0)
    return (above - quantile) / d, _constant(y_pred, 1.0 / d if surrogate else 0.0, xp)
