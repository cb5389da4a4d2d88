"""Gradients and Hessian diagonals of the classification losses
(see :mod:`losskit.losses.classification`).

From logits every quantity comes from ``log_sigmoid``/``log_softmax``: ``sigmoid(x)`` is
``exp(log_sigmoid(x))`` and ``sigmoid(x) sigmoid(-x)`` is ``exp(log_sigmoid(x) + log_sigmoid(-x))``,
so logits of any size give finite values, and a ``-inf`` logit on a class with target 0 has
probability 0 and derivatives 0. From probabilities the value clips to ``[1e-7, 1 - 1e-7]``;
a clipped element has gradient and Hessian 0, as automatic differentiation of the value gives.

Categorical losses are functions of every class of a row; ``hessian`` is the diagonal of each
row's Hessian (``d^2 loss / d y_pred_c^2``), the part GBDT libraries use.
"""

from __future__ import annotations

from .._array import EPSILON, log_sigmoid, log_softmax, one_hot
from ..losses import classification as losses
from ..losses.classification import _class_weights, _signed_labels
from ._register import derivative_of


# ----------------------------------------------------------------------------- binary / multi-label
def _smoothed_binary(y_true, label_smoothing):
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing if label_smoothing else y_true


def _clipped_probabilities(y_pred, xp):
    """(p clipped to [1e-7, 1 - 1e-7], where the clip lets the gradient through)."""
    inside = xp.logical_and(y_pred >= EPSILON, y_pred <= 1.0 - EPSILON)
    return xp.clip(y_pred, min=EPSILON, max=1.0 - EPSILON), inside


def _binary_probability_terms(y, y_pred, xp):
    """Elementwise ``b = -(y log p + (1 - y) log(1 - p))`` of clipped probabilities, with its first
    two derivatives ``(1 - y)/(1 - p) - y/p`` and ``(1 - y)/(1 - p)^2 + y/p^2`` (0 where clipped)."""
    p, inside = _clipped_probabilities(y_pred, xp)
    zero = xp.zeros_like(p)
    value = -(y * xp.log(p) + (1.0 - y) * xp.log1p(-p))
    first = xp.where(inside, (1.0 - y) / (1.0 - p) - y / p, zero)
    second = xp.where(inside, (1.0 - y) / xp.square(1.0 - p) + y / xp.square(p), zero)
    return value, first, second


@derivative_of(losses.binary_crossentropy)
def binary_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None, xp):
    """With ``a = w_1 y`` (weight of ``-log p``) and ``b = w_0 (1 - y)`` (of ``-log(1 - p)``):
    logits ``g = (b p - a (1 - p)) / d``, ``h = (a + b) p (1 - p) / d``; probabilities
    ``g = (b / (1 - p) - a / p) / d``, ``h = (b / (1 - p)^2 + a / p^2) / d``. Convex: exact."""
    d = y_pred.shape[-1]
    y = _smoothed_binary(y_true, label_smoothing)
    positive, negative = y, 1.0 - y
    if class_weight is not None:
        w = _class_weights("binary_crossentropy", class_weight, 2, y_pred, xp)
        positive, negative = w[1] * positive, w[0] * negative
    if from_logits:
        log_p, log_not_p = log_sigmoid(y_pred, xp), log_sigmoid(-y_pred, xp)
        grad = negative * xp.exp(log_p) - positive * xp.exp(log_not_p)
        return grad / d, (positive + negative) * xp.exp(log_p + log_not_p) / d
    p, inside = _clipped_probabilities(y_pred, xp)
    zero = xp.zeros_like(p)
    grad = xp.where(inside, negative / (1.0 - p) - positive / p, zero)
    hess = xp.where(inside, negative / xp.square(1.0 - p) + positive / xp.square(p), zero)
    return grad / d, hess / d


def _masked_power(base, exponent, live, xp):
    """``base ** exponent`` where ``live``, else 0 (the value's ``safe_pow`` is flat where its base is 0)."""
    safe = xp.where(live, base, xp.ones_like(base))
    return xp.where(live, safe**exponent, xp.zeros_like(base))


def _focal_powers(u, gamma, xp):
    """``u^gamma``, ``gamma u^(gamma-1)``, ``gamma (gamma-1) u^(gamma-2)``: the derivatives of the
    focal factor in ``u = 1 - p``, 0 where ``u == 0`` (where the value's ``safe_pow`` is flat)."""
    live = u > 0
    return (
        _masked_power(u, gamma, live, xp),
        gamma * _masked_power(u, gamma - 1.0, live, xp),
        gamma * (gamma - 1.0) * _masked_power(u, gamma - 2.0, live, xp),
    )


@derivative_of(
    losses.binary_focal_crossentropy,
    surrogate="the crossentropy Hessian scaled by the focal weight w (1 - p_t)^gamma held fixed "
    "(the exact Hessian is negative for confidently wrong predictions when gamma > 0)",
)
def binary_focal_crossentropy(
    y_true, y_pred, *, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
    axis=-1, surrogate=False, xp,
):  # fmt: skip
    """Loss ``w u^gamma b`` with ``u = 1 - p_t`` and ``b`` the crossentropy. From logits, with
    ``r = u' / u = (1 - 2y) p (1 - p) / u`` (bounded by 1, so saturated logits stay finite):
    ``g = w u^gamma (gamma r b + b') / d`` and
    ``h = w u^gamma (gamma (gamma - 1) r^2 b + gamma r (1 - 2p) b + 2 gamma r b' + b'') / d``.
    From probabilities ``u = y + (1 - 2y) p`` is linear and the powers of ``u`` are written out."""
    d = y_pred.shape[-1]
    y = _smoothed_binary(y_true, label_smoothing)
    weight = (y * alpha + (1.0 - y) * (1.0 - alpha)) / d if apply_class_balancing else 1.0 / d
    if from_logits:
        log_p, log_not_p = log_sigmoid(y_pred, xp), log_sigmoid(-y_pred, xp)
        bce = -(y * log_p + (1.0 - y) * log_not_p)
        first, second = xp.exp(log_p) - y, xp.exp(log_p + log_not_p)
        log_u = _log_one_minus_p_t(y, log_p, log_not_p, xp)
        focal = xp.exp(gamma * log_u)
        ratio = (1.0 - 2.0 * y) * xp.exp(log_p + log_not_p - log_u)
        grad = focal * (gamma * ratio * bce + first)
        if surrogate:
            return weight * grad, weight * focal * second
        bend = gamma * ratio * ((gamma - 1.0) * ratio + xp.exp(log_not_p) - xp.exp(log_p)) * bce
        return weight * grad, weight * focal * (bend + 2.0 * gamma * ratio * first + second)
    bce, first, second = _binary_probability_terms(y, y_pred, xp)
    u = 1.0 - (y * y_pred + (1.0 - y) * (1.0 - y_pred))
    slope = 1.0 - 2.0 * y  # du / dp
    focal, focal_1, focal_2 = _focal_powers(u, gamma, xp)
    grad = focal_1 * slope * bce + focal * first
    if surrogate:
        return weight * grad, weight * focal * second
    hess = focal_2 * xp.square(slope) * bce + 2.0 * focal_1 * slope * first + focal * second
    return weight * grad, weight * hess


def _log_one_minus_p_t(y, log_p, log_not_p, xp):
    """log(y (1 - p) + (1 - y) p), by ``logaddexp`` of the terms that are present (as the value)."""
    minus_inf = xp.full_like(log_p, -float("inf"))
    has_pos, has_neg = y > 0, y < 1
    log_y = xp.log(xp.where(has_pos, y, xp.ones_like(y)))
    log_1my = xp.log1p(-xp.where(has_neg, y, xp.zeros_like(y)))
    a = xp.where(has_pos, log_y + log_not_p, minus_inf)
    b = xp.where(has_neg, log_1my + log_p, minus_inf)
    return xp.logaddexp(a, b)


@derivative_of(losses.hinge, surrogate="constant 1/d (the L1 surrogate LightGBM uses)")
def hinge(y_true, y_pred, *, surrogate=False, xp):
    """``g = -y / d`` where ``1 - y y_pred >= 0`` (inside the margin, its edge included), else 0;
    ``h = 0`` (surrogate ``1 / d``). Labels 0 read as -1."""
    d = y_pred.shape[-1]
    y = _signed_labels(y_true, xp)
    grad = xp.where(1.0 - y * y_pred >= 0, -y, xp.zeros_like(y_pred)) / d
    return grad, xp.full_like(y_pred, 1.0 / d if surrogate else 0.0)


@derivative_of(losses.squared_hinge, surrogate="constant 2/d, the curvature inside the margin (the exact Hessian is 0 beyond it)")
def squared_hinge(y_true, y_pred, *, surrogate=False, xp):
    """``g = -2 y max(1 - y y_pred, 0) / d``; ``h = 2 / d`` inside the margin (edge included), else 0."""
    d = y_pred.shape[-1]
    y = _signed_labels(y_true, xp)
    slack = 1.0 - y * y_pred
    grad = -2.0 * y * xp.clip(slack, min=0.0) / d
    if surrogate:
        return grad, xp.full_like(y_pred, 2.0 / d)
    return grad, xp.where(slack >= 0, xp.full_like(y_pred, 2.0 / d), xp.zeros_like(y_pred))


# ----------------------------------------------------------------------------- single-label multi-class
def _through_normalisation(first, second, y_pred, xp, *, gauss_newton=False):
    """Gradient and Hessian diagonal of ``sum_c f_c(p_c)`` with ``p = y_pred / sum(y_pred)``, given
    ``f_c'`` and ``f_c''`` at ``p`` (0 where clipped). With ``T`` the row sum,
    ``dp_c/dy_k = (delta_ck - p_c) / T`` and ``d^2 p_c / dy_k^2 = 2 (p_c - delta_ck) / T^2``.
    ``gauss_newton``: only ``diag(J^T diag(f'') J)``, positive where ``f'' >= 0``."""
    p, total = _normalised(y_pred, xp)
    first_p = xp.sum(first * p, axis=-1, keepdims=True)
    curvature = second * (1.0 - 2.0 * p) + xp.sum(second * xp.square(p), axis=-1, keepdims=True)
    if not gauss_newton:
        curvature = curvature + 2.0 * (first_p - first)
    return (first - first_p) / total, curvature / xp.square(total)


def _normalised(y_pred, xp):
    """(p, T): rows rescaled to sum to 1, as the value does (a row summing to 0 is kept as is)."""
    total = xp.sum(y_pred, axis=-1, keepdims=True)
    total = xp.where(total > 0, total, xp.ones_like(total))
    return y_pred / total, total


def _crossentropy(weights, y_pred, *, from_logits, surrogate, xp):
    """Derivatives of ``-sum_c a_c log p_c`` for weights ``a`` (targets times class weights, or
    advantages, which may be negative). Logits: ``g = A p - a``, ``h = A p (1 - p)`` with
    ``A = sum(a)``. Probabilities: through the normalisation, with ``f' = -a/p``, ``f'' = a/p^2``.
    ``surrogate``: ``a`` replaced by ``|a|`` in the curvature, and Gauss-Newton for probabilities."""
    curvature_weights = xp.abs(weights) if surrogate else weights
    if from_logits:
        p = xp.exp(log_softmax(y_pred, xp))
        grad = xp.sum(weights, axis=-1, keepdims=True) * p - weights
        return grad, xp.sum(curvature_weights, axis=-1, keepdims=True) * p * (1.0 - p)
    q, inside = _clipped_probabilities(_normalised(y_pred, xp)[0], xp)
    zero = xp.zeros_like(q)
    first = xp.where(inside, -weights / q, zero)
    second = xp.where(inside, curvature_weights / xp.square(q), zero)
    return _through_normalisation(first, second, y_pred, xp, gauss_newton=surrogate)


def _target_weights(name, y_true, y_pred, label_smoothing, class_weight, xp):
    y = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[-1] if label_smoothing else y_true
    return y if class_weight is None else _class_weights(name, class_weight, y_pred.shape[-1], y_pred, xp) * y


_PROBABILITY_SURROGATE = "from probabilities, Gauss-Newton through the row normalisation (the exact diagonal is negative on classes with target 0); from logits: exact"


@derivative_of(losses.categorical_crossentropy, surrogate=_PROBABILITY_SURROGATE)
def categorical_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None, surrogate=False, xp):
    """Logits: ``g = A p - a``, ``h = A p (1 - p)`` with ``a = class_weight * y``, ``A = sum(a)``
    (``softmax - y`` for one-hot targets). Probabilities: ``g_k = (S - a_k / p_k) / T``,
    ``h_k = (a_k / p_k^2 - S) / T^2`` with ``T`` the row sum and ``S = sum`` of unclipped ``a``."""
    weights = _target_weights("categorical_crossentropy", y_true, y_pred, label_smoothing, class_weight, xp)
    return _crossentropy(weights, y_pred, from_logits=from_logits, surrogate=surrogate, xp=xp)


@derivative_of(losses.sparse_categorical_crossentropy, surrogate=_PROBABILITY_SURROGATE)
def sparse_categorical_crossentropy(
    y_true, y_pred, *, from_logits=False, ignore_class=None, axis=-1, class_weight=None, surrogate=False, xp
):
    """As :func:`categorical_crossentropy` with one-hot targets; shape ``(..., C)`` like ``y_pred``.
    Rows whose label is ``ignore_class`` have gradient and Hessian 0."""
    valid = None if ignore_class is None else y_true != ignore_class
    labels = y_true if valid is None else xp.where(valid, y_true, xp.zeros_like(y_true))
    target = one_hot(labels, y_pred.shape[-1], xp, dtype=y_pred.dtype)
    weights = _target_weights("sparse_categorical_crossentropy", target, y_pred, 0.0, class_weight, xp)
    grad, hess = _crossentropy(weights, y_pred, from_logits=from_logits, surrogate=surrogate, xp=xp)
    if valid is None:
        return grad, hess
    keep = xp.astype(valid, y_pred.dtype)[..., None]
    return grad * keep, hess * keep


@derivative_of(
    losses.categorical_focal_crossentropy,
    surrogate="the crossentropy Hessian with the focal weights alpha (1 - p_c)^gamma held fixed "
    "(Gauss-Newton through the normalisation from probabilities)",
)
def categorical_focal_crossentropy(
    y_true, y_pred, *, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None,
    surrogate=False, xp,
):  # fmt: skip
    """Loss ``sum_c f_c(p_c)``, ``f_c(p) = -a_c (1 - p)^gamma log p``, ``a = alpha class_weight y``.
    Logits (``p = softmax``), with ``phi_c = p_c f_c'`` and ``chi_c = p_c^2 f_c'' + phi_c``:
    ``g_k = phi_k - p_k sum(phi)``, ``h_k = chi_k (1 - 2 p_k) + p_k^2 sum(chi) - p_k (1 - p_k) sum(phi)``.
    Probabilities: ``f'`` and ``f''`` through the row normalisation."""
    weights = alpha * _target_weights("categorical_focal_crossentropy", y_true, y_pred, label_smoothing, class_weight, xp)
    if from_logits:
        return _focal_from_logits(weights, y_pred, gamma, surrogate, xp)
    return _focal_from_probabilities(weights, y_pred, gamma, surrogate, xp)


def _focal_from_logits(weights, y_pred, gamma, surrogate, xp):
    log_p = log_softmax(y_pred, xp)
    p = xp.exp(log_p)
    focal, focal_1, focal_2 = _focal_powers(xp.clip(1.0 - p, min=0.0), gamma, xp)
    log_p = xp.where(weights == 0, xp.zeros_like(log_p), log_p)  # a -inf logit on a class with no weight never meets it
    phi = weights * (focal_1 * p * log_p - focal)
    total_phi = xp.sum(phi, axis=-1, keepdims=True)
    grad = phi - p * total_phi
    if surrogate:  # the focal weights held fixed: a weighted crossentropy
        return grad, xp.sum(weights * focal, axis=-1, keepdims=True) * p * (1.0 - p)
    chi = weights * p * (2.0 * focal_1 + focal_1 * log_p - focal_2 * p * log_p)
    hess = chi * (1.0 - 2.0 * p) + xp.square(p) * xp.sum(chi, axis=-1, keepdims=True) - p * (1.0 - p) * total_phi
    return grad, hess


def _focal_from_probabilities(weights, y_pred, gamma, surrogate, xp):
    p, inside = _clipped_probabilities(_normalised(y_pred, xp)[0], xp)
    log_p = xp.log(p)
    focal, focal_1, focal_2 = _focal_powers(1.0 - p, gamma, xp)
    zero = xp.zeros_like(p)
    first = xp.where(inside, weights * (focal_1 * log_p - focal / p), zero)
    if surrogate:
        second = weights * focal / xp.square(p)
    else:
        second = weights * (2.0 * focal_1 / p + focal / xp.square(p) - focal_2 * log_p)
    return _through_normalisation(first, xp.where(inside, second, zero), y_pred, xp, gauss_newton=surrogate)


@derivative_of(losses.categorical_hinge, surrogate="constant 1 (the L1 surrogate LightGBM uses)")
def categorical_hinge(y_true, y_pred, *, surrogate=False, xp):
    """Inside the margin (edge included): ``g = (1 - y) s - y``, where ``s`` shares 1 among the
    classes reaching ``max((1 - y) y_pred)`` (as autodiff of ``max`` does); 0 beyond. ``h = 0``
    (surrogate 1). A row's loss is not averaged: no ``1/d``."""
    others = (1.0 - y_true) * y_pred
    best = xp.max(others, axis=-1, keepdims=True)
    at_best = xp.astype(others == best, y_pred.dtype)
    share = at_best / xp.sum(at_best, axis=-1, keepdims=True)
    margin = best - xp.sum(y_true * y_pred, axis=-1, keepdims=True) + 1.0
    grad = xp.where(margin >= 0, (1.0 - y_true) * share - y_true, xp.zeros_like(y_pred))
    return grad, xp.full_like(y_pred, 1.0 if surrogate else 0.0)
