"""Focal losses (Lin et al., 2017): crossentropy scaled down on easy examples, binary and
categorical, each value kernel with its derivatives below it.

From logits, ``log(1 - p_t)`` comes from log-sigmoids and the focal factor is
``exp(gamma * log(1 - p_t))``, so values and gradients stay finite for ``gamma < 1`` on saturated
logits (where ``(1 - p_t)**gamma`` has an infinite slope at 0 and torchvision gives NaN).
"""

from __future__ import annotations

from .._array import logaddexp as _logaddexp, log_sigmoid, log_softmax, safe_pow
from ._domain import CLASS_INDICES, UNIT, Layout, Target
from ._spec import AXIS, NON_NEGATIVE_NUMBER, OPTIONAL_INT, UNIT_NUMBER, define
from .crossentropy import (
    BINARY_RECORD,
    CATEGORICAL_CHECKS,
    CATEGORICAL_RECORD,
    CLASS_WEIGHT,
    _ignored,
    binary_log_likelihoods,
    binary_probability_terms,
    clipped_probabilities,
    log_probabilities,
    masked_log_probabilities,
    normalised,
    smooth_binary,
    sparse_targets,
    target_weights,
    through_normalisation,
)

_FOCAL_REFERENCE = ("Lin et al., Focal Loss for Dense Object Detection, 2017. https://arxiv.org/abs/1708.02002",)


def log_one_minus_p_t(y, log_p, log_not_p, xp):
    """log(1 - p_t) = log(y (1 - p) + (1 - y) p): the term that is present for a hard label
    (``log(1 - p)`` for y = 1, ``log p`` for y = 0), ``logaddexp`` of both for a soft one. No
    ``-inf`` enters an operation, so second derivatives stay finite (``logaddexp(-inf, b)``'s is NaN)."""
    has_pos, has_neg = y > 0, y < 1
    zero = xp.zeros_like(log_p)
    log_y = xp.log(xp.where(has_pos, y, xp.ones_like(y)))
    log_1my = xp.log1p(-xp.where(has_neg, y, xp.zeros_like(y)))
    a = xp.where(has_pos, log_y + log_not_p, zero)
    b = xp.where(has_neg, log_1my + log_p, zero)
    both = _logaddexp(a, b, xp)
    return xp.where(xp.logical_and(has_pos, has_neg), both, xp.where(has_pos, a, b))


def focal_powers(u, gamma, xp):
    """``u^gamma``, ``gamma u^(gamma-1)``, ``gamma (gamma-1) u^(gamma-2)``: the focal factor in
    ``u = 1 - p`` and its derivatives, 0 where ``u == 0`` (where the value's ``safe_pow`` is flat)."""
    return safe_pow(u, gamma, xp), gamma * safe_pow(u, gamma - 1.0, xp), gamma * (gamma - 1.0) * safe_pow(u, gamma - 2.0, xp)


# ----------------------------------------------------------------------------- binary
@define(
    name="binary_focal_crossentropy",
    aliases=("binary_focal", "focal"),
    counters_imbalance=True,
    properties=("probabilistic", "for class imbalance", "down-weights easy examples"),
    formula="mean(w * (1 - p_t)^gamma * bce), p_t = y p + (1 - y)(1 - p), w = y alpha + (1 - y)(1 - alpha) if balanced",
    latex=r"\frac{1}{d}\sum_j w_j (1-p_{t,j})^\gamma\, \mathrm{BCE}(y_j, p_j)",
    references=_FOCAL_REFERENCE,
    checks={"label_smoothing": UNIT_NUMBER, "axis": AXIS, "alpha": UNIT_NUMBER, "gamma": NON_NEGATIVE_NUMBER},
    **BINARY_RECORD,
)
def binary_focal_crossentropy(
    y_true, y_pred, *, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1, xp
):
    """Binary focal crossentropy: crossentropy scaled by ``(1 - p_t)**gamma``, as Keras defines it.

    ``apply_class_balancing`` weighs positives by ``alpha`` and negatives by ``1 - alpha``.
    Finite, with finite gradients, for logits of any size and any ``gamma >= 0``.
    """
    y_true = smooth_binary(y_true, label_smoothing)
    log_p, log_not_p = binary_log_likelihoods(y_pred, from_logits, xp)
    bce = -(y_true * log_p + (1.0 - y_true) * log_not_p)
    if from_logits:
        focal_factor = xp.exp(gamma * log_one_minus_p_t(y_true, log_p, log_not_p, xp))
    else:
        p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
        focal_factor = safe_pow(xp.clip(1.0 - p_t, min=0.0), gamma, xp)
    focal_bce = focal_factor * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal_bce
    return xp.mean(focal_bce, axis=-1)


@binary_focal_crossentropy.derivatives(
    surrogate="the crossentropy Hessian scaled by the focal weight w (1 - p_t)^gamma held fixed "
    "(the exact Hessian is negative for confidently wrong predictions when gamma > 0)",
)
def _binary_focal_derivatives(
    y_true, y_pred, *, apply_class_balancing, alpha, gamma, from_logits, label_smoothing, axis, surrogate, xp
):
    """Loss ``w u^gamma b`` with ``u = 1 - p_t`` and ``b`` the crossentropy. From logits, with
    ``r = u' / u = (1 - 2y) p (1 - p) / u`` (bounded by 1, so saturated logits stay finite):
    ``g = w u^gamma (gamma r b + b') / d`` and
    ``h = w u^gamma (gamma (gamma - 1) r^2 b + gamma r (1 - 2p) b + 2 gamma r b' + b'') / d``.
    From probabilities ``u = y + (1 - 2y) p`` is linear and the powers of ``u`` are written out."""
    d = y_pred.shape[-1]
    y = smooth_binary(y_true, label_smoothing)
    weight = (y * alpha + (1.0 - y) * (1.0 - alpha)) / d if apply_class_balancing else 1.0 / d
    if from_logits:
        log_p, log_not_p = log_sigmoid(y_pred, xp), log_sigmoid(-y_pred, xp)
        bce = -(y * log_p + (1.0 - y) * log_not_p)
        first, second = xp.exp(log_p) - y, xp.exp(log_p + log_not_p)
        log_u = log_one_minus_p_t(y, log_p, log_not_p, xp)
        focal = xp.exp(gamma * log_u)
        ratio = (1.0 - 2.0 * y) * xp.exp(log_p + log_not_p - log_u)
        grad = focal * (gamma * ratio * bce + first)
        if surrogate:
            return weight * grad, weight * focal * second
        bend = gamma * ratio * ((gamma - 1.0) * ratio + xp.exp(log_not_p) - xp.exp(log_p)) * bce
        return weight * grad, weight * focal * (bend + 2.0 * gamma * ratio * first + second)
    bce, first, second = binary_probability_terms(y, y_pred, xp)
    u = 1.0 - (y * y_pred + (1.0 - y) * (1.0 - y_pred))
    slope = 1.0 - 2.0 * y  # du / dp
    focal, focal_1, focal_2 = focal_powers(u, gamma, xp)
    grad = focal_1 * slope * bce + focal * first
    if surrogate:
        return weight * grad, weight * focal * second
    hess = focal_2 * xp.square(slope) * bce + 2.0 * focal_1 * slope * first + focal * second
    return weight * grad, weight * hess


# ----------------------------------------------------------------------------- categorical
@define(
    name="categorical_focal_crossentropy",
    aliases=("categorical_focal",),
    counters_imbalance=True,
    y_true=UNIT,
    target=Target.ONE_HOT,
    properties=("probabilistic", "for class imbalance", "down-weights easy examples", "needs one-hot labels"),
    formula="-sum(alpha * (1 - p)^gamma * y * log p)",
    latex=r"-\sum_c \alpha (1-p_c)^\gamma y_c \log p_c",
    references=_FOCAL_REFERENCE,
    checks={**CATEGORICAL_CHECKS, "alpha": UNIT_NUMBER, "gamma": NON_NEGATIVE_NUMBER},
    **CATEGORICAL_RECORD,
)
def categorical_focal_crossentropy(
    y_true, y_pred, *, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None, xp
):
    """Categorical focal crossentropy (Keras' definition): each class's crossentropy term
    scaled by ``alpha * (1 - p_c)**gamma``. Finite, with finite gradients, for saturated
    softmax outputs and ``-inf`` logits on classes with target 0.
    """
    weights = alpha * target_weights("categorical_focal_crossentropy", y_true, y_pred, label_smoothing, class_weight, xp)
    log_p = log_probabilities(y_pred, from_logits, xp)
    modulating = safe_pow(xp.clip(1.0 - xp.exp(log_p), min=0.0), gamma, xp)
    return -xp.sum(modulating * weights * masked_log_probabilities(weights, log_p, xp), axis=-1)


@categorical_focal_crossentropy.derivatives(
    surrogate="the crossentropy Hessian with the focal weights alpha (1 - p_c)^gamma held fixed "
    "(Gauss-Newton through the normalisation from probabilities)",
)
def _categorical_focal_derivatives(
    y_true, y_pred, *, alpha, gamma, from_logits, label_smoothing, axis, class_weight, surrogate, xp
):
    """Loss ``sum_c f_c(p_c)``, ``f_c(p) = -a_c (1 - p)^gamma log p``, ``a = alpha class_weight y``.
    Logits (``p = softmax``), with ``phi_c = p_c f_c'`` and ``chi_c = p_c^2 f_c'' + phi_c``:
    ``g_k = phi_k - p_k sum(phi)``, ``h_k = chi_k (1 - 2 p_k) + p_k^2 sum(chi) - p_k (1 - p_k) sum(phi)``.
    Probabilities: ``f'`` and ``f''`` through the row normalisation."""
    weights = alpha * target_weights("categorical_focal_crossentropy", y_true, y_pred, label_smoothing, class_weight, xp)
    if from_logits:
        return _focal_from_logits(weights, y_pred, gamma, surrogate, xp)
    return _focal_from_probabilities(weights, y_pred, gamma, surrogate, xp)


def _focal_from_logits(weights, y_pred, gamma, surrogate, xp):
    log_p = log_softmax(y_pred, xp)
    p = xp.exp(log_p)
    focal, focal_1, focal_2 = focal_powers(xp.clip(1.0 - p, min=0.0), gamma, xp)
    log_p = masked_log_probabilities(weights, log_p, xp)
    phi = weights * (focal_1 * p * log_p - focal)
    total_phi = xp.sum(phi, axis=-1, keepdims=True)
    grad = phi - p * total_phi
    if surrogate:  # the focal weights held fixed: a weighted crossentropy
        return grad, xp.sum(weights * focal, axis=-1, keepdims=True) * p * (1.0 - p)
    chi = weights * p * (2.0 * focal_1 + focal_1 * log_p - focal_2 * p * log_p)
    hess = chi * (1.0 - 2.0 * p) + xp.square(p) * xp.sum(chi, axis=-1, keepdims=True) - p * (1.0 - p) * total_phi
    return grad, hess


def _focal_from_probabilities(weights, y_pred, gamma, surrogate, xp):
    p, inside = clipped_probabilities(normalised(y_pred, xp)[0], xp)
    log_p = xp.log(p)
    focal, focal_1, focal_2 = focal_powers(1.0 - p, gamma, xp)
    zero = xp.zeros_like(p)
    first = xp.where(inside, weights * (focal_1 * log_p - focal / p), zero)
    if surrogate:
        second = weights * focal / xp.square(p)
    else:
        second = weights * (2.0 * focal_1 / p + focal / xp.square(p) - focal_2 * log_p)
    return through_normalisation(first, xp.where(inside, second, zero), y_pred, xp, gauss_newton=surrogate)


@define(
    name="sparse_categorical_focal_crossentropy",
    aliases=("sparse_categorical_focal", "sparse_focal"),
    counters_imbalance=True,
    y_true=CLASS_INDICES,
    target=Target.CLASS_INDICES,
    layout=Layout.LABELS,
    properties=("probabilistic", "for class imbalance", "down-weights easy examples", "needs integer labels"),
    formula="-alpha * (1 - p[y])^gamma * log p[y]",
    latex=r"-\alpha (1-p_y)^\gamma \log p_y",
    references=_FOCAL_REFERENCE,
    checks={"alpha": UNIT_NUMBER, "gamma": NON_NEGATIVE_NUMBER, "ignore_class": OPTIONAL_INT, "class_weight": CLASS_WEIGHT},
    mask=_ignored,
    **CATEGORICAL_RECORD,
)
def sparse_categorical_focal_crossentropy(
    y_true, y_pred, *, alpha=0.25, gamma=2.0, from_logits=False, ignore_class=None, class_weight=None, xp
):
    """Categorical focal crossentropy of integer labels: :func:`categorical_focal_crossentropy` of
    ``one_hot(y_true)`` (Keras' definition, with the same clipping and normalisation of
    probabilities), with ``ignore_class`` as :func:`sparse_categorical_crossentropy` has it.
    Shapes: labels ``(...)`` (or ``(..., 1)``), ``(..., C) -> (...)``.
    """
    target, valid = sparse_targets(y_true, y_pred.shape[-1], ignore_class, y_pred.dtype, xp)
    weights = alpha * target_weights("sparse_categorical_focal_crossentropy", target, y_pred, 0.0, class_weight, xp)
    log_p = log_probabilities(y_pred, from_logits, xp)
    modulating = safe_pow(xp.clip(1.0 - xp.exp(log_p), min=0.0), gamma, xp)
    loss = -xp.sum(modulating * weights * masked_log_probabilities(weights, log_p, xp), axis=-1)
    return loss if valid is None else xp.where(valid, loss, xp.zeros_like(loss))


@sparse_categorical_focal_crossentropy.derivatives(
    surrogate="the crossentropy Hessian with the focal weights alpha (1 - p_c)^gamma held fixed "
    "(Gauss-Newton through the normalisation from probabilities)",
)
def _sparse_categorical_focal_derivatives(y_true, y_pred, *, alpha, gamma, from_logits, ignore_class, class_weight, surrogate, xp):
    """As :func:`categorical_focal_crossentropy` of the one-hot labels; ignored rows are 0."""
    target, valid = sparse_targets(y_true, y_pred.shape[-1], ignore_class, y_pred.dtype, xp)
    weights = alpha * target_weights("sparse_categorical_focal_crossentropy", target, y_pred, 0.0, class_weight, xp)
    if from_logits:
        grad, hess = _focal_from_logits(weights, y_pred, gamma, surrogate, xp)
    else:
        grad, hess = _focal_from_probabilities(weights, y_pred, gamma, surrogate, xp)
    if valid is None:
        return grad, hess
    keep = xp.astype(valid, y_pred.dtype)[..., None]
    return grad * keep, hess * keep
