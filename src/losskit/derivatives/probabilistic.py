"""Gradients and Hessian diagonals of the count and distribution losses
(see :mod:`losskit.losses.probabilistic`).

Surrogates here are Fisher information: the exact Hessian with ``y_true`` replaced by its
expectation under the predicted distribution. It is positive, equals the exact Hessian at the
optimum, and is what Fisher scoring (and XGBoost's ``count:poisson`` on the log scale) uses.
"""

from __future__ import annotations

import math

from .._array import EPSILON
from ..losses import probabilistic as losses
from ._register import derivative_of


@derivative_of(
    losses.poisson,
    surrogate="Fisher 1 / (d (y_pred + 1e-7)); the exact Hessian y / (d mu^2) is 0 at zero counts (log_input: exact)",
)
def poisson(y_true, y_pred, *, log_input=False, surrogate=False, xp):
    """Rates ``mu``: ``g = (1 - y / (mu + 1e-7)) / d``, ``h = y / (d (mu + 1e-7)^2)``.
    Log-rates ``x``: ``g = (exp(x) - y) / d``, ``h = exp(x) / d``."""
    d = y_pred.shape[-1]
    if log_input:
        rate = xp.exp(y_pred)
        return (rate - y_true) / d, rate / d
    shifted = y_pred + EPSILON
    hess = 1.0 / shifted if surrogate else y_true / xp.square(shifted)
    return (1.0 - y_true / shifted) / d, hess / d


@derivative_of(
    losses.kl_divergence,
    surrogate="log_input: exp(y_pred), the Hessian of the unnormalised KL sum(p log(p/q) - p + q) in log q "
    "(the exact Hessian is 0: the loss is linear in log-probabilities); probabilities: exact",
)
def kl_divergence(y_true, y_pred, *, log_input=False, surrogate=False, xp):
    """Probabilities ``q`` (clipped to [1e-7, 1], ``p`` likewise): ``g = -p / q``, ``h = p / q^2``,
    both 0 where ``q`` is clipped. Log-probabilities: ``g = -p``, ``h = 0``. A sum: no ``1/d``."""
    if log_input:
        hess = xp.exp(y_pred) if surrogate else xp.zeros_like(y_pred)
        return -y_true, hess
    p = xp.clip(y_true, min=EPSILON, max=1.0)
    q = xp.clip(y_pred, min=EPSILON, max=1.0)
    inside = xp.logical_and(y_pred >= EPSILON, y_pred <= 1.0)
    zero = xp.zeros_like(y_pred)
    return xp.where(inside, -p / q, zero), xp.where(inside, p / xp.square(q), zero)


@derivative_of(
    losses.tweedie,
    surrogate="Fisher 2 mu^-power / d for means mu (the exact Hessian is negative where mu > power y / (power - 1), "
    "and 0 at zero counts for power 1); log_input: exact (positive)",
)
def tweedie(y_true, y_pred, *, power=1.5, log_input=False, surrogate=False, xp):
    """Means ``mu``: ``g = 2 mu^-p (mu - y) / d``, ``h = 2 mu^(-p-1) (p y + (1 - p) mu) / d``.
    Log-means ``x`` (``mu = exp(x)``): ``g = 2 (mu^(2-p) - y mu^(1-p)) / d``,
    ``h = 2 ((2 - p) mu^(2-p) + (p - 1) y mu^(1-p)) / d``: positive, XGBoost's ``reg:tweedie``."""
    d = y_pred.shape[-1]
    log_mu = y_pred if log_input else xp.log(y_pred)
    mu_1 = xp.exp((1.0 - power) * log_mu)
    if log_input:
        mu_2 = xp.exp((2.0 - power) * log_mu)
        grad = 2.0 * (mu_2 - y_true * mu_1)
        return grad / d, 2.0 * ((2.0 - power) * mu_2 + (power - 1.0) * y_true * mu_1) / d
    mu_0 = xp.exp(-power * log_mu)
    grad = 2.0 * (mu_1 - y_true * mu_0)
    if surrogate:
        return grad / d, 2.0 * mu_0 / d
    return grad / d, 2.0 * mu_0 * (power * y_true / y_pred + (1.0 - power)) / d


@derivative_of(
    losses.gaussian_nll,
    surrogate="Fisher for the variances, 1 / (2 d var^2) (log_input: 1 / (2 d)); the exact Hessian in the variance "
    "is negative where (y - mean)^2 < var / 2; means: exact",
)
def gaussian_nll(y_true, y_pred, *, log_input=False, full=False, epsilon=1e-6, surrogate=False, xp):
    """Means ``m``, variances ``v`` (clamped at ``epsilon``; 0 derivative where clamped), ``r = m - y``:
    ``g_m = r / (d v)``, ``h_m = 1 / (d v)``, ``g_v = (1/v - r^2/v^2) / (2d)``,
    ``h_v = (2 r^2 / v^3 - 1 / v^2) / (2d)``. Log-variances ``s``: ``g_s = (1 - r^2 e^-s) / (2d)``,
    ``h_s = r^2 e^-s / (2d)``. Returns ``y_pred``'s layout: means' derivatives, then the variances'."""
    d = y_true.shape[-1]
    mean, spread = y_pred[..., :d], y_pred[..., d:]
    residual = mean - y_true
    zero = xp.zeros_like(spread)
    if log_input:
        floor = math.log(epsilon)
        inside = spread >= floor
        precision = xp.exp(-xp.clip(spread, min=floor))
        scaled = xp.square(residual) * precision
        grad_spread = xp.where(inside, 0.5 * (1.0 - scaled), zero)
        hess_spread = xp.full_like(spread, 0.5) if surrogate else xp.where(inside, 0.5 * scaled, zero)
    else:
        inside = spread >= epsilon
        precision = 1.0 / xp.clip(spread, min=epsilon)
        scaled = xp.square(residual) * precision
        grad_spread = xp.where(inside, 0.5 * precision * (1.0 - scaled), zero)
        if surrogate:
            hess_spread = 0.5 * xp.square(precision)
        else:
            hess_spread = xp.where(inside, 0.5 * xp.square(precision) * (2.0 * scaled - 1.0), zero)
    grad = xp.concat([residual * precision, grad_spread], axis=-1)
    hess = xp.concat([precision, hess_spread], axis=-1)
    return grad / d, hess / d
