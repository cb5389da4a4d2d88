"""Counts and distributions: Poisson, Tweedie, Gaussian likelihoods and the KL divergence.

``log_input=True`` means ``y_pred`` is on the log scale (log-rate, log-mean, log-probability,
log-variance): the form a linear final layer produces and the stable one to train.

Each value kernel has its gradient and Hessian diagonal below it. Surrogates here are Fisher
information: the exact Hessian with ``y_true`` replaced by its expectation under the predicted
distribution. It is positive, equals the exact Hessian at the optimum, and is what Fisher scoring
(and XGBoost's ``count:poisson`` on the log scale) uses.
"""

from __future__ import annotations

import math

from .._array import EPSILON, xlogy
from ._domain import NON_NEGATIVE, POSITIVE, REAL, UNIT, Intercept, Layout, Target
from ._link import LOG, LOG_SOFTMAX, LOG_VARIANCE
from ._spec import POSITIVE_NUMBER, Check, define


@define(
    name="poisson",
    tasks=("counts",),
    y_true=NON_NEGATIVE,
    y_pred=NON_NEGATIVE,
    target=Target.NON_NEGATIVE,
    link=LOG,
    activations=("exponential", "softplus", "relu"),
    properties=("probabilistic", "for counts and rates"),
    formula="mean(y_pred - y_true log(y_pred + eps)); log_input: mean(exp(y_pred) - y_true y_pred)",
    latex=r"\frac{1}{d}\sum_j \big(\mu_j - y_j \log \mu_j\big)",
    references=("https://en.wikipedia.org/wiki/Poisson_regression",),
)
def poisson(y_true, y_pred, *, log_input=False, xp):
    """Poisson negative log-likelihood of counts ``y_true`` given rates ``y_pred``, without the
    ``log(y!)`` constant (Keras' ``poisson``; PyTorch's ``PoissonNLLLoss`` with eps 1e-7).

    ``log_input=True`` takes log-rates: ``exp(y_pred) - y_true * y_pred``. The Poisson
    *deviance* (zero at the target) is :func:`tweedie` with ``power=1``.
    """
    if log_input:
        return xp.mean(xp.exp(y_pred) - y_true * y_pred, axis=-1)
    return xp.mean(y_pred - y_true * xp.log(y_pred + EPSILON), axis=-1)


@poisson.derivatives(
    surrogate="Fisher 1 / (d (y_pred + 1e-7)); the exact Hessian y / (d mu^2) is 0 at zero counts (log_input: exact)",
)
def _poisson_derivatives(y_true, y_pred, *, log_input, surrogate, xp):
    """Rates ``mu``: ``g = (1 - y / (mu + 1e-7)) / d``, ``h = y / (d (mu + 1e-7)^2)``.
    Log-rates ``x``: ``g = (exp(x) - y) / d``, ``h = exp(x) / d``."""
    d = y_pred.shape[-1]
    if log_input:
        rate = xp.exp(y_pred)
        return (rate - y_true) / d, rate / d
    shifted = y_pred + EPSILON
    hess = 1.0 / shifted if surrogate else y_true / xp.square(shifted)
    return (1.0 - y_true / shifted) / d, hess / d


@define(
    name="kl_divergence",
    aliases=("kld", "kullback_leibler_divergence"),
    tasks=("distribution",),
    y_true=UNIT,
    y_pred=UNIT,
    target=Target.DISTRIBUTION,
    link=LOG_SOFTMAX,
    intercept=Intercept.ZERO,
    activations=("softmax",),
    properties=("probabilistic", "asymmetric"),
    formula="sum(y_true log(y_true / y_pred)), both clipped to [eps, 1]; log_input: sum(y_true (log y_true - y_pred))",
    latex=r"\sum_c y_c \log\frac{y_c}{\hat y_c}",
    references=("https://en.wikipedia.org/wiki/Kullback%E2%80%93Leibler_divergence",),
)
def kl_divergence(y_true, y_pred, *, log_input=False, xp):
    """Kullback-Leibler divergence KL(y_true || y_pred) over the last axis.

    As Keras, both arguments are clipped to ``[1e-7, 1]``. With ``log_input=True``, ``y_pred``
    holds log-probabilities and classes with ``y_true == 0`` contribute exactly 0 (PyTorch's
    ``KLDivLoss(input=y_pred, target=y_true)``: note that PyTorch puts the prediction first).
    """
    if log_input:
        absent = y_true == 0
        safe_log_q = xp.where(absent, xp.zeros_like(y_pred), y_pred)
        return xp.sum(xlogy(y_true, y_true, xp) - y_true * safe_log_q, axis=-1)
    p = xp.clip(y_true, min=EPSILON, max=1.0)
    q = xp.clip(y_pred, min=EPSILON, max=1.0)
    return xp.sum(p * xp.log(p / q), axis=-1)


@kl_divergence.derivatives(
    surrogate="log_input: exp(y_pred), the Hessian of the unnormalised KL sum(p log(p/q) - p + q) in log q "
    "(the exact Hessian is 0: the loss is linear in log-probabilities); probabilities: exact",
)
def _kl_divergence_derivatives(y_true, y_pred, *, log_input, surrogate, xp):
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


TWEEDIE_POWER = Check(lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 1 <= v < 2, "a number in [1, 2)")


@define(
    name="tweedie",
    tasks=("counts", "regression"),
    y_true=NON_NEGATIVE,
    y_pred=POSITIVE,
    target=Target.NON_NEGATIVE,
    link=LOG,
    activations=("exponential", "softplus"),
    properties=("probabilistic", "for zero-inflated non-negative targets"),
    formula="mean(2 (y^(2-p) / ((1-p)(2-p)) - y mu^(1-p) / (1-p) + mu^(2-p) / (2-p))); p=1: Poisson deviance",
    latex=r"\frac{2}{d}\sum_j\Big(\frac{y_j^{2-p}}{(1-p)(2-p)} - \frac{y_j\mu_j^{1-p}}{1-p} + \frac{\mu_j^{2-p}}{2-p}\Big)",
    references=("https://en.wikipedia.org/wiki/Tweedie_distribution", "sklearn.metrics.mean_tweedie_deviance"),
    checks={"power": TWEEDIE_POWER},
)
def tweedie(y_true, y_pred, *, power=1.5, log_input=False, xp):
    """Tweedie deviance with variance power ``power`` in [1, 2) (1 is the Poisson deviance;
    between 1 and 2, compound Poisson-Gamma): zero at the target, equal to scikit-learn's
    ``mean_tweedie_deviance``. ``log_input=True`` takes ``log(mu)``, the stable form XGBoost
    and LightGBM use.
    """
    log_mu = y_pred if log_input else xp.log(y_pred)
    mu = xp.exp(y_pred) if log_input else y_pred
    if power == 1:
        deviance = 2.0 * (xlogy(y_true, y_true, xp) - y_true * log_mu - y_true + mu)
    else:
        one, two = 1.0 - power, 2.0 - power
        y_term = xp.clip(y_true, min=0.0) ** two / (one * two)
        deviance = 2.0 * (y_term - y_true * xp.exp(one * log_mu) / one + xp.exp(two * log_mu) / two)
    return xp.mean(deviance, axis=-1)


@tweedie.derivatives(
    surrogate="Fisher 2 mu^-power / d for means mu (the exact Hessian is negative where mu > power y / (power - 1), "
    "and 0 at zero counts for power 1); log_input: exact (positive)",
)
def _tweedie_derivatives(y_true, y_pred, *, power, log_input, surrogate, xp):
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


@define(
    name="gaussian_nll",
    aliases=("gaussian_negative_log_likelihood",),
    tasks=("regression",),
    y_true=REAL,
    y_pred=REAL,
    target=Target.REAL,
    link=LOG_VARIANCE,  # log_input=True: log-variances, so a plain linear head fits
    intercept=Intercept.ZERO,
    activations=("linear+softplus",),
    properties=("probabilistic", "predicts uncertainty", "heteroscedastic"),
    formula="mean(0.5 (log var + (y - mean)^2 / var)) [+ 0.5 log(2 pi) if full]",
    latex=r"\frac{1}{d}\sum_j \tfrac12\Big(\log\sigma_j^2 + \frac{(y_j-\mu_j)^2}{\sigma_j^2}\Big)",
    references=("https://pytorch.org/docs/stable/generated/torch.nn.GaussianNLLLoss.html",),
    layout=Layout.MEAN_VARIANCE,
    checks={"epsilon": POSITIVE_NUMBER},
)
def gaussian_nll(y_true, y_pred, *, log_input=False, full=False, epsilon=1e-6, xp):
    """Gaussian negative log-likelihood with a predicted variance.

    ``y_pred`` is ``y_true``'s shape with the last axis doubled: the means, then the variances
    (``log_input=True``: the log-variances). Variances are clamped at ``epsilon`` as in
    PyTorch's ``GaussianNLLLoss``; ``full=True`` adds ``0.5 * log(2 pi)``.
    """
    d = y_true.shape[-1]
    mean, spread = y_pred[..., :d], y_pred[..., d:]
    if log_input:
        log_var = xp.clip(spread, min=math.log(epsilon))
        loss = 0.5 * (log_var + xp.square(y_true - mean) * xp.exp(-log_var))
    else:
        var = xp.clip(spread, min=epsilon)
        loss = 0.5 * (xp.log(var) + xp.square(y_true - mean) / var)
    if full:
        loss = loss + 0.5 * math.log(2.0 * math.pi)
    return xp.mean(loss, axis=-1)


@gaussian_nll.derivatives(
    surrogate="Fisher for the variances, 1 / (2 d var^2) (log_input: 1 / (2 d)); the exact Hessian in the variance "
    "is negative where (y - mean)^2 < var / 2; means: exact",
)
def _gaussian_nll_derivatives(y_true, y_pred, *, log_input, full, epsilon, surrogate, xp):
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
