"""Counts and distributions: Poisson, Tweedie, Gaussian likelihoods and the KL divergence.

``log_input=True`` means ``y_pred`` is on the log scale (log-rate, log-mean, log-probability,
log-variance): the form a linear final layer produces and the stable one to train.
"""

from __future__ import annotations

import math

from .._array import EPSILON, xlogy
from ._domain import LOG_PROBABILITY, NON_NEGATIVE, POSITIVE, REAL, UNIT
from ._spec import POSITIVE_NUMBER, Check, define


@define(
    name="poisson",
    tasks=("counts",),
    y_true=NON_NEGATIVE,
    y_pred=NON_NEGATIVE,
    y_pred_logits=REAL,
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


@define(
    name="kl_divergence",
    aliases=("kld", "kullback_leibler_divergence"),
    tasks=("distribution",),
    y_true=UNIT,
    y_pred=UNIT,
    y_pred_logits=LOG_PROBABILITY,
    activations=("softmax",),
    activations_logits=("log_softmax",),
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


TWEEDIE_POWER = Check(lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 1 <= v < 2, "a number in [1, 2)")


@define(
    name="tweedie",
    tasks=("counts", "regression"),
    y_true=NON_NEGATIVE,
    y_pred=POSITIVE,
    y_pred_logits=REAL,
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


@define(
    name="gaussian_nll",
    aliases=("gaussian_negative_log_likelihood",),
    tasks=("regression",),
    y_true=REAL,
    y_pred=REAL,
    y_pred_logits=REAL,  # log_input=True: log-variances, so a plain linear head fits
    activations=("linear+softplus",),
    activations_logits=("linear",),
    properties=("probabilistic", "predicts uncertainty", "heteroscedastic"),
    formula="mean(0.5 (log var + (y - mean)^2 / var)) [+ 0.5 log(2 pi) if full]",
    latex=r"\frac{1}{d}\sum_j \tfrac12\Big(\log\sigma_j^2 + \frac{(y_j-\mu_j)^2}{\sigma_j^2}\Big)",
    references=("https://pytorch.org/docs/stable/generated/torch.nn.GaussianNLLLoss.html",),
    shapes="mean_variance",
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
