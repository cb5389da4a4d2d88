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
        return xp.mean(_exp_minus_product(y_true, y_pred, xp), axis=-1)
    return xp.mean(y_pred - y_true * xp.log(y_pred + EPSILON), axis=-1)


def _exp_minus_product(y, x, xp):
    """``exp(x) - y x``; where both terms overflow to inf (a large log-rate and a large count) the
    sign of the difference comes from comparing their logs, ``x`` and ``log(y) + log(x)``, instead of
    ``inf - inf = NaN``."""
    rate, product = xp.exp(x), y * x
    value = rate - product
    both = xp.logical_and(xp.isinf(rate), xp.isinf(product))
    positive = xp.where(both, x, xp.ones_like(x))  # x > 0 and y > 0 wherever both overflow
    log_product = xp.log(xp.where(both, y, xp.ones_like(y))) + xp.log(positive)
    inf = xp.full_like(value, math.inf)
    return xp.where(both, xp.where(x >= log_product, inf, -inf), value)


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


TWEEDIE_POWER = Check(
    lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and (v <= 0 or v >= 1),
    "a number <= 0 or >= 1 (scikit-learn's powers: 0 normal, 1 Poisson, (1, 2) compound Poisson-Gamma, 2 gamma, > 2)",
)


def _tweedie_domains(options):
    """scikit-learn's domains for the power: y real for p <= 0, y >= 0 for 1 <= p < 2, y > 0 for
    p >= 2; mu real for p = 0, mu > 0 otherwise."""
    power = options.get("power", 1.5)
    y_domain = REAL if power <= 0 else NON_NEGATIVE if power < 2 else POSITIVE
    return y_domain, REAL if power == 0 else POSITIVE


def _log_positive(y, xp):
    """log(y) where y > 0, -inf elsewhere (a zero count)."""
    positive = y > 0
    return xp.where(positive, xp.log(xp.where(positive, y, xp.ones_like(y))), xp.full_like(y, -math.inf))


def _signed_exp(sign, log_size, xp):
    """``sign * exp(log_size)``, 0 where ``sign`` is 0 (whatever ``log_size`` is)."""
    return xp.where(sign == 0, xp.zeros_like(log_size), sign * xp.exp(xp.where(sign == 0, xp.zeros_like(log_size), log_size)))


def _log_abs_difference(log_a, log_b, xp):
    """``(sign(a - b), log|a - b|)`` for positive ``a = exp(log_a)`` and ``b = exp(log_b) >= 0``
    (``log_b = -inf`` for 0), without forming ``a - b``, which loses everything once a term overflows."""
    difference = log_a - log_b  # +inf where b == 0
    gap = xp.abs(difference)
    gap = xp.where(gap > 0, gap, xp.ones_like(gap))  # a == b: the sign is 0 and the size unused
    return xp.sign(difference), xp.maximum(log_a, log_b) + xp.log1p(-xp.exp(-gap))


@define(
    name="tweedie",
    tasks=("counts", "regression"),
    y_true=NON_NEGATIVE,
    y_pred=POSITIVE,
    domains=_tweedie_domains,
    target=Target.NON_NEGATIVE,
    link=LOG,
    activations=("exponential", "softplus"),
    properties=("probabilistic", "for zero-inflated non-negative targets"),
    formula="mean(2 (y^(2-p) / ((1-p)(2-p)) - y mu^(1-p) / (1-p) + mu^(2-p) / (2-p))); p=0: (y - mu)^2; "
    "p=1: Poisson deviance; p=2: gamma deviance 2 (log(mu / y) + y / mu - 1)",
    latex=r"\frac{2}{d}\sum_j\Big(\frac{y_j^{2-p}}{(1-p)(2-p)} - \frac{y_j\mu_j^{1-p}}{1-p} + \frac{\mu_j^{2-p}}{2-p}\Big)",
    references=("https://en.wikipedia.org/wiki/Tweedie_distribution", "sklearn.metrics.mean_tweedie_deviance"),
    checks={"power": TWEEDIE_POWER},
)
def tweedie(y_true, y_pred, *, power=1.5, log_input=False, xp):
    """Tweedie deviance with variance power ``power``, zero at the target and equal to
    scikit-learn's ``mean_tweedie_deviance`` at every power it accepts: ``power <= 0`` (0 is the
    squared error, the normal deviance), 1 (the Poisson deviance), between 1 and 2 (compound
    Poisson-Gamma, ``y >= 0``), 2 (the gamma deviance) and above 2 (``y > 0``; 3 is inverse
    Gaussian). ``log_input=True`` takes ``log(mu)``, the stable form XGBoost and LightGBM use.
    Powers of ``mu`` are ``exp`` of multiples of ``log(mu)``, and ``y mu^(1-p)`` is 0 at a zero count
    however small ``mu`` is.
    """
    mu = xp.exp(y_pred) if log_input else y_pred
    if power == 0:
        return xp.mean(xp.square(y_true - mu), axis=-1)
    log_mu = y_pred if log_input else xp.log(y_pred)
    if power == 1:
        deviance = 2.0 * (xlogy(y_true, y_true, xp) - y_true * log_mu - y_true + mu)
    elif power == 2:
        deviance = 2.0 * (log_mu - _log_positive(y_true, xp) + xp.exp(_log_positive(y_true, xp) - log_mu) - 1.0)
    else:
        one, two = 1.0 - power, 2.0 - power
        y_term = xp.clip(y_true, min=0.0) ** two / (one * two)
        if power < 0:  # y may be negative; mu^(1-p) has no pole at 0
            cross = y_true * xp.exp(one * log_mu)
        else:
            cross = xp.exp(_log_positive(y_true, xp) + one * log_mu)
        deviance = 2.0 * (y_term - cross / one + xp.exp(two * log_mu) / two)
    return xp.mean(deviance, axis=-1)


@tweedie.derivatives(
    surrogate="Fisher information: 2 mu^-power / d for means mu (the exact Hessian is negative where "
    "mu > power y / (power - 1), and 0 at zero counts for power 1), 2 mu^(2-power) / d for log-means where "
    "power < 1 or > 2 (the exact one, used for 1 <= power <= 2, is positive there)",
)
def _tweedie_derivatives(y_true, y_pred, *, power, log_input, surrogate, xp):
    """Means ``mu``: ``g = 2 mu^-p (mu - y) / d``, ``h = 2 mu^(-p-1) (p y + (1 - p) mu) / d``.
    Log-means ``x`` (``mu = exp(x)``): ``g = 2 mu^(1-p) (mu - y) / d``,
    ``h = 2 ((2 - p) mu^(2-p) + (p - 1) y mu^(1-p)) / d``: positive for 1 <= p <= 2, XGBoost's
    ``reg:tweedie``. For ``p > 0`` each is ``sign * exp(log|.|)`` with ``log|mu - y|`` from the logs,
    so a tiny mean gives the exact large gradient (``2e13`` at ``mu = 1e-26`` in float32, p = 1.5),
    never ``inf * 0``."""
    d = y_pred.shape[-1]
    if power <= 0:  # y may be negative: the plain forms (no pole at mu = 0)
        mu = xp.exp(y_pred) if log_input else y_pred
        if power == 0:
            if log_input:  # (y - e^x)^2
                hess = 2.0 * xp.square(mu) if surrogate else 2.0 * mu * (2.0 * mu - y_true)
                return 2.0 * mu * (mu - y_true) / d, hess / d
            return 2.0 * (mu - y_true) / d, xp.full_like(mu, 2.0 / d)
        log_mu = y_pred if log_input else xp.log(y_pred)
        mu_1, mu_0 = xp.exp((1.0 - power) * log_mu), xp.exp(-power * log_mu)
        if log_input:
            grad = 2.0 * mu_1 * (mu - y_true)
            fisher = 2.0 * mu_1 * mu
            exact = 2.0 * ((2.0 - power) * mu_1 * mu + (power - 1.0) * y_true * mu_1)
            return grad / d, (fisher if surrogate else exact) / d
        grad = 2.0 * mu_0 * (mu - y_true)
        exact = 2.0 * mu_0 * (power * y_true / mu + (1.0 - power))
        return grad / d, (2.0 * mu_0 if surrogate else exact) / d
    log_mu = y_pred if log_input else xp.log(y_pred)
    log_y = _log_positive(y_true, xp)
    sign, log_gap = _log_abs_difference(log_mu, log_y, xp)  # mu - y
    if log_input:
        grad = 2.0 * _signed_exp(sign, (1.0 - power) * log_mu + log_gap, xp)
        mu_2 = xp.exp((2.0 - power) * log_mu)
        y_mu_1 = xp.exp(log_y + (1.0 - power) * log_mu)
        if surrogate and not 1.0 <= power <= 2.0:
            return grad / d, 2.0 * mu_2 / d
        return grad / d, 2.0 * ((2.0 - power) * mu_2 + (power - 1.0) * y_mu_1) / d
    grad = 2.0 * _signed_exp(sign, log_gap - power * log_mu, xp)
    if surrogate:
        return grad / d, 2.0 * xp.exp(-power * log_mu) / d
    curvature = power * y_true + (1.0 - power) * y_pred  # h = 2 mu^(-p-1) (p y + (1 - p) mu)
    size = xp.log(xp.where(curvature == 0, xp.ones_like(curvature), xp.abs(curvature)))
    return grad / d, 2.0 * _signed_exp(xp.sign(curvature), size - (power + 1.0) * log_mu, xp) / d


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
        # (r exp(-s/2))^2, not r^2 exp(-s): a residual of 1e20 with log-variance 200 is inf * 0 in float32
        loss = 0.5 * (log_var + xp.square((y_true - mean) * xp.exp(-0.5 * log_var)))
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
        scaled = xp.square(residual * xp.exp(-0.5 * xp.clip(spread, min=floor)))  # r^2 e^-s without inf * 0
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


@define(
    name="generalized_kl_divergence",
    aliases=("generalized_kl", "convex_kl_divergence"),
    tasks=("distribution", "counts"),
    y_true=NON_NEGATIVE,
    y_pred=POSITIVE,
    target=Target.NON_NEGATIVE,
    link=LOG,
    activations=("exponential", "softplus"),
    properties=("probabilistic", "for unnormalised distributions", "convex"),
    formula="sum(y_true log(y_true / y_pred) - y_true + y_pred); log_input: sum(y_true (log y_true - y_pred) - y_true + exp(y_pred))",
    latex=r"\sum_c \Big(y_c \log\frac{y_c}{\hat y_c} - y_c + \hat y_c\Big)",
    references=("Optax generalized_kl_divergence; Boyd and Vandenberghe, Convex Optimization, p. 90.",),
)
def generalized_kl_divergence(y_true, y_pred, *, log_input=False, xp):
    """Generalized Kullback-Leibler divergence of unnormalised non-negative vectors (the Bregman
    divergence of ``x log x - x``): zero exactly at ``y_pred == y_true``, the KL divergence when
    both sum to 1. A sum over the last axis, ``(..., d) -> (...)``.

    Optax's ``generalized_kl_divergence(log_predictions, targets)`` is ``log_input=True``; a
    target of 0 contributes ``y_pred`` (``0 log 0 = 0``).
    """
    log_q = y_pred if log_input else xp.log(y_pred)
    q = xp.exp(y_pred) if log_input else y_pred
    return xp.sum(xlogy(y_true, y_true, xp) - y_true * log_q - y_true + q, axis=-1)


@generalized_kl_divergence.derivatives(
    surrogate="Fisher 1 / y_pred (the exact Hessian y / y_pred^2 is 0 where the target is 0); log_input: exact",
)
def _generalized_kl_divergence_derivatives(y_true, y_pred, *, log_input, surrogate, xp):
    """Predictions ``q``: ``g = 1 - y / q``, ``h = y / q^2``; log-predictions ``x``:
    ``g = exp(x) - y``, ``h = exp(x)``. A sum: no ``1/d``."""
    if log_input:
        q = xp.exp(y_pred)
        return q - y_true, q
    return 1.0 - y_true / y_pred, 1.0 / y_pred if surrogate else y_true / xp.square(y_pred)


@define(
    name="jensen_shannon",
    aliases=("jensen_shannon_divergence", "js_divergence", "jsd"),
    tasks=("distribution",),
    y_true=UNIT,
    y_pred=UNIT,
    target=Target.DISTRIBUTION,
    intercept=Intercept.ZERO,
    activations=("softmax",),
    properties=("probabilistic", "symmetric", "bounded by log 2"),
    formula="0.5 KL(y_true || m) + 0.5 KL(y_pred || m), m = (y_true + y_pred) / 2, y_pred clipped to [eps, 1]",
    latex=r"\tfrac12\sum_c y_c\log\frac{y_c}{m_c} + \tfrac12\sum_c \hat y_c\log\frac{\hat y_c}{m_c},\ m = \tfrac{y + \hat y}{2}",
    references=("https://en.wikipedia.org/wiki/Jensen%E2%80%93Shannon_divergence", "scipy.spatial.distance.jensenshannon"),
)
def jensen_shannon(y_true, y_pred, *, xp):
    """Jensen-Shannon divergence between distributions over the last axis (natural log): symmetric,
    zero exactly at ``y_pred == y_true``, at most ``log 2``. SciPy's ``jensenshannon`` is its square
    root (a distance). ``y_pred`` is clipped to ``[1e-7, 1]`` as :func:`kl_divergence` clips it, so
    the gradient stays finite where a predicted probability is 0; ``0 log 0 = 0`` for ``y_true``.
    """
    q = xp.clip(y_pred, min=EPSILON, max=1.0)
    m = 0.5 * (y_true + q)
    return xp.sum(0.5 * xlogy(y_true, y_true, xp) + 0.5 * q * xp.log(q) - m * xp.log(m), axis=-1)


@jensen_shannon.derivatives()
def _jensen_shannon_derivatives(y_true, y_pred, *, xp):
    """With ``q`` clipped and ``m = (p + q) / 2``: ``g = 0.5 log(q / m)``, ``h = p / (2 q (p + q))``
    (convex in ``q``: exact), both 0 where ``q`` is clipped. A sum: no ``1/d``."""
    q = xp.clip(y_pred, min=EPSILON, max=1.0)
    inside = xp.logical_and(y_pred >= EPSILON, y_pred <= 1.0)
    zero = xp.zeros_like(q)
    grad = 0.5 * (xp.log(q) - xp.log(0.5 * (y_true + q)))
    return xp.where(inside, grad, zero), xp.where(inside, y_true / (2.0 * q * (y_true + q)), zero)
