"""Crossentropy: binary and multi-label (one probability or logit per output), and single-label
multi-class (a distribution over the last axis), each value kernel with its derivatives below it.

Stability choices, shared by the ``from_logits=True`` paths: log-probabilities come from
``log_sigmoid``/``log_softmax`` (never ``log(sigmoid(x))``), so logits of any size are exact and
finite, and classes with zero target weight never enter a product with their log-probability,
so a ``-inf`` logit on a masked class gives a finite loss and gradient. The probability paths
clip to ``[1e-7, 1 - 1e-7]`` as Keras does, so probabilities of exactly 0 or 1 give finite
values (``-log(1e-7) = 16.118...`` for a confident wrong prediction); a clipped element has
gradient and Hessian 0, as automatic differentiation of the value gives.

Derivatives from logits: ``sigmoid(x)`` is ``exp(log_sigmoid(x))`` and ``sigmoid(x) sigmoid(-x)``
is ``exp(log_sigmoid(x) + log_sigmoid(-x))``, finite for logits of any size. Categorical losses
are functions of every class of a row; ``hessian`` is the diagonal of each row's Hessian
(``d^2 loss / d y_pred_c^2``), the part GBDT libraries use.
"""

from __future__ import annotations

import math

from .._array import EPSILON, device, log_sigmoid, log_softmax, one_hot
from ._domain import CLASS_INDICES, UNIT, Layout, Target
from ._link import LOGIT, SOFTMAX
from ._spec import AXIS, OPTIONAL_INT, UNIT_NUMBER, Check, define

CLASS_WEIGHT = Check(
    lambda v: v is None or _is_weight_sequence(v),
    "None or a sequence of non-negative weights, one per class",
)


def _is_weight_sequence(v) -> bool:
    try:
        return len(v) > 0 and not isinstance(v, str) and all(math.isfinite(float(w)) and float(w) >= 0 for w in v)
    except (TypeError, ValueError):  # no length, or an entry that is not a number
        return False


def class_weights(name, class_weight, num_classes, like, xp):
    """``class_weight`` as an array in ``like``'s dtype and device; one weight per class."""
    weights = xp.asarray([float(w) for w in class_weight], dtype=like.dtype, device=device(like))
    if weights.shape[0] != num_classes:
        raise ValueError(f"{name}: `class_weight` must have one weight per class ({num_classes}); got {weights.shape[0]}")
    return weights


def smooth_binary(y_true, label_smoothing):
    """Targets moved towards 0.5: ``y (1 - s) + s / 2``."""
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing if label_smoothing else y_true


def smooth_categorical(y_true, label_smoothing, classes):
    """Targets mixed with the uniform distribution: ``y (1 - s) + s / C``."""
    return y_true * (1.0 - label_smoothing) + label_smoothing / classes if label_smoothing else y_true


def sparse_targets(y_true, classes, ignore_class, dtype, xp):
    """``(one-hot rows, validity mask or None)`` of integer labels; an ignored label's row is all 0."""
    valid = None if ignore_class is None else y_true != ignore_class
    labels = y_true if valid is None else xp.where(valid, y_true, xp.zeros_like(y_true))
    return one_hot(labels, classes, xp, dtype=dtype), valid


def _ignored(y_true, *, ignore_class=None, xp, **_):
    """The validity mask of sparse labels: False where the label is ``ignore_class``."""
    return None if ignore_class is None else y_true != ignore_class


# ----------------------------------------------------------------------------- shared terms
def binary_log_likelihoods(y_pred, from_logits, xp):
    """(log p, log(1 - p)): exact from logits, clipped to [1e-7, 1 - 1e-7] from probabilities."""
    if from_logits:
        return log_sigmoid(y_pred, xp), log_sigmoid(-y_pred, xp)
    p = xp.clip(y_pred, min=EPSILON, max=1.0 - EPSILON)
    return xp.log(p), xp.log1p(-p)


def clipped_probabilities(y_pred, xp):
    """(p clipped to [1e-7, 1 - 1e-7], where the clip lets the gradient through)."""
    inside = xp.logical_and(y_pred >= EPSILON, y_pred <= 1.0 - EPSILON)
    return xp.clip(y_pred, min=EPSILON, max=1.0 - EPSILON), inside


def binary_probability_terms(y, y_pred, xp):
    """Elementwise ``b = -(y log p + (1 - y) log(1 - p))`` of clipped probabilities, with its first
    two derivatives ``(1 - y)/(1 - p) - y/p`` and ``(1 - y)/(1 - p)^2 + y/p^2`` (0 where clipped)."""
    p, inside = clipped_probabilities(y_pred, xp)
    zero = xp.zeros_like(p)
    value = -(y * xp.log(p) + (1.0 - y) * xp.log1p(-p))
    first = xp.where(inside, (1.0 - y) / (1.0 - p) - y / p, zero)
    second = xp.where(inside, (1.0 - y) / xp.square(1.0 - p) + y / xp.square(p), zero)
    return value, first, second


def normalised(y_pred, xp):
    """(p, T): rows rescaled to sum to 1 (a row summing to 0 or less is kept as is), and ``T``."""
    total = xp.sum(y_pred, axis=-1, keepdims=True)
    total = xp.where(total > 0, total, xp.ones_like(total))
    return y_pred / total, total


def log_probabilities(y_pred, from_logits, xp):
    """log p over the last axis: log_softmax of logits, or the Keras recipe for probabilities
    (rows rescaled to sum to 1, clipped to [1e-7, 1 - 1e-7])."""
    if from_logits:
        return log_softmax(y_pred, xp)
    return xp.log(xp.clip(normalised(y_pred, xp)[0], min=EPSILON, max=1.0 - EPSILON))


def masked_log_probabilities(y_true, log_p, xp):
    """log p where the target has weight, 0 elsewhere: a -inf logit on a class with target 0
    never meets its 0 weight in a product (0 * -inf would be NaN, in the value and the gradient)."""
    return xp.where(y_true == 0, xp.zeros_like(log_p), log_p)


def through_normalisation(first, second, y_pred, xp, *, gauss_newton=False):
    """Gradient and Hessian diagonal of ``sum_c f_c(p_c)`` with ``p = y_pred / sum(y_pred)``, given
    ``f_c'`` and ``f_c''`` at ``p`` (0 where clipped). With ``T`` the row sum,
    ``dp_c/dy_k = (delta_ck - p_c) / T`` and ``d^2 p_c / dy_k^2 = 2 (p_c - delta_ck) / T^2``.
    ``gauss_newton``: only ``diag(J^T diag(f'') J)``, positive where ``f'' >= 0``."""
    p, total = normalised(y_pred, xp)
    first_p = xp.sum(first * p, axis=-1, keepdims=True)
    curvature = second * (1.0 - 2.0 * p) + xp.sum(second * xp.square(p), axis=-1, keepdims=True)
    if not gauss_newton:
        curvature = curvature + 2.0 * (first_p - first)
    return (first - first_p) / total, curvature / xp.square(total)


def weighted_crossentropy(weights, y_pred, from_logits, xp):
    """``-sum_c a_c log p_c`` over the last axis, for weights ``a`` (targets times class weights,
    or advantages)."""
    return -xp.sum(weights * masked_log_probabilities(weights, log_probabilities(y_pred, from_logits, xp), xp), axis=-1)


def weighted_crossentropy_derivatives(weights, y_pred, *, from_logits, surrogate, xp):
    """Derivatives of :func:`weighted_crossentropy` (weights may be negative). Logits:
    ``g = A p - a``, ``h = A p (1 - p)`` with ``A = sum(a)``. Probabilities: through the
    normalisation, with ``f' = -a/p``, ``f'' = a/p^2``. ``surrogate``: ``a`` replaced by ``|a|``
    in the curvature, and Gauss-Newton for probabilities."""
    curvature_weights = xp.abs(weights) if surrogate else weights
    if from_logits:
        p = xp.exp(log_softmax(y_pred, xp))
        grad = xp.sum(weights, axis=-1, keepdims=True) * p - weights
        return grad, xp.sum(curvature_weights, axis=-1, keepdims=True) * p * (1.0 - p)
    q, inside = clipped_probabilities(normalised(y_pred, xp)[0], xp)
    zero = xp.zeros_like(q)
    first = xp.where(inside, -weights / q, zero)
    second = xp.where(inside, curvature_weights / xp.square(q), zero)
    return through_normalisation(first, second, y_pred, xp, gauss_newton=surrogate)


def target_weights(name, y_true, y_pred, label_smoothing, class_weight, xp):
    """Smoothed targets times the class weights: the ``a`` of :func:`weighted_crossentropy`."""
    y = smooth_categorical(y_true, label_smoothing, y_pred.shape[-1])
    return y if class_weight is None else class_weights(name, class_weight, y_pred.shape[-1], y_pred, xp) * y


# ----------------------------------------------------------------------------- binary / multi-label
BINARY_RECORD = dict(
    tasks=("binary", "multilabel"),
    y_true=UNIT,
    y_pred=UNIT,
    target=Target.BINARY,
    link=LOGIT,
    activations=("sigmoid",),
)


@define(
    name="binary_crossentropy",
    aliases=("bce",),
    properties=("probabilistic", "proper scoring rule", "convex in logits"),
    formula="mean(-(y log p + (1 - y) log(1 - p))), p = sigmoid(y_pred) if from_logits",
    latex=r"-\frac{1}{d}\sum_j \big(y_j\log p_j + (1-y_j)\log(1-p_j)\big)",
    references=("https://en.wikipedia.org/wiki/Cross-entropy",),
    checks={"label_smoothing": UNIT_NUMBER, "axis": AXIS, "class_weight": CLASS_WEIGHT},
    **BINARY_RECORD,
)
def binary_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None, xp):
    """Binary crossentropy (log loss) for binary and multi-label classification.

    ``label_smoothing`` moves targets towards 0.5: ``y * (1 - s) + s / 2``. ``class_weight``,
    ``(w_0, w_1)``, weighs the terms of negatives and positives. From logits the value is
    ``y * softplus(-x) + (1 - y) * softplus(x)``: exact for any logit (1e4 included), where
    Keras' NumPy backend caps it near 16.1. Shapes ``(..., d) -> (...)``.
    """
    y_true = smooth_binary(y_true, label_smoothing)
    log_p, log_not_p = binary_log_likelihoods(y_pred, from_logits, xp)
    positive, negative = -log_p, -log_not_p
    if class_weight is not None:
        w = class_weights("binary_crossentropy", class_weight, 2, y_pred, xp)
        positive, negative = w[1] * positive, w[0] * negative
    return xp.mean(y_true * positive + (1.0 - y_true) * negative, axis=-1)


@binary_crossentropy.derivatives()
def _binary_crossentropy_derivatives(y_true, y_pred, *, from_logits, label_smoothing, axis, class_weight, xp):
    """With ``a = w_1 y`` (weight of ``-log p``) and ``b = w_0 (1 - y)`` (of ``-log(1 - p)``):
    logits ``g = (b p - a (1 - p)) / d``, ``h = (a + b) p (1 - p) / d``; probabilities
    ``g = (b / (1 - p) - a / p) / d``, ``h = (b / (1 - p)^2 + a / p^2) / d``. Convex: exact."""
    d = y_pred.shape[-1]
    y = smooth_binary(y_true, label_smoothing)
    positive, negative = y, 1.0 - y
    if class_weight is not None:
        w = class_weights("binary_crossentropy", class_weight, 2, y_pred, xp)
        positive, negative = w[1] * positive, w[0] * negative
    if from_logits:
        log_p, log_not_p = log_sigmoid(y_pred, xp), log_sigmoid(-y_pred, xp)
        grad = negative * xp.exp(log_p) - positive * xp.exp(log_not_p)
        return grad / d, (positive + negative) * xp.exp(log_p + log_not_p) / d
    p, inside = clipped_probabilities(y_pred, xp)
    zero = xp.zeros_like(p)
    grad = xp.where(inside, negative / (1.0 - p) - positive / p, zero)
    hess = xp.where(inside, negative / xp.square(1.0 - p) + positive / xp.square(p), zero)
    return grad / d, hess / d


# ----------------------------------------------------------------------------- single-label multi-class
CATEGORICAL_RECORD = dict(
    tasks=("multiclass",),
    y_pred=UNIT,
    link=SOFTMAX,
    activations=("softmax",),
)
CATEGORICAL_CHECKS = {"label_smoothing": UNIT_NUMBER, "axis": AXIS, "class_weight": CLASS_WEIGHT}
PROBABILITY_SURROGATE = (
    "from probabilities, Gauss-Newton through the row normalisation (the exact diagonal is negative on classes "
    "with target 0); from logits: exact"
)


@define(
    name="categorical_crossentropy",
    aliases=("cce",),
    y_true=UNIT,
    target=Target.ONE_HOT,
    properties=("probabilistic", "proper scoring rule", "needs one-hot labels"),
    formula="-sum(y * log p), p = softmax(y_pred) if from_logits",
    latex=r"-\sum_c y_c \log p_c",
    references=("https://en.wikipedia.org/wiki/Cross-entropy",),
    checks=CATEGORICAL_CHECKS,
    **CATEGORICAL_RECORD,
)
def categorical_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None, xp):
    """Categorical crossentropy between one-hot (or soft) targets and a predicted distribution.

    ``label_smoothing`` mixes targets with the uniform distribution: ``y * (1 - s) + s / C``.
    ``class_weight`` (one weight per class) multiplies each class's term, as PyTorch's
    ``CrossEntropyLoss(weight=...)`` does (our mean still divides by the number of samples).
    Shapes ``(..., C) -> (...)``.
    """
    weights = target_weights("categorical_crossentropy", y_true, y_pred, label_smoothing, class_weight, xp)
    return weighted_crossentropy(weights, y_pred, from_logits, xp)


@categorical_crossentropy.derivatives(surrogate=PROBABILITY_SURROGATE)
def _categorical_crossentropy_derivatives(y_true, y_pred, *, from_logits, label_smoothing, axis, class_weight, surrogate, xp):
    """Logits: ``g = A p - a``, ``h = A p (1 - p)`` with ``a = class_weight * y``, ``A = sum(a)``
    (``softmax - y`` for one-hot targets). Probabilities: ``g_k = (S - a_k / p_k) / T``,
    ``h_k = (a_k / p_k^2 - S) / T^2`` with ``T`` the row sum and ``S = sum`` of unclipped ``a``."""
    weights = target_weights("categorical_crossentropy", y_true, y_pred, label_smoothing, class_weight, xp)
    return weighted_crossentropy_derivatives(weights, y_pred, from_logits=from_logits, surrogate=surrogate, xp=xp)


@define(
    name="sparse_categorical_crossentropy",
    aliases=("scce", "sparse_cce"),
    y_true=CLASS_INDICES,
    target=Target.CLASS_INDICES,
    layout=Layout.LABELS,
    properties=("probabilistic", "proper scoring rule", "needs integer labels"),
    formula="-log p[y], p = softmax(y_pred) if from_logits",
    latex=r"-\log p_{y}",
    references=("https://en.wikipedia.org/wiki/Cross-entropy",),
    checks={"ignore_class": OPTIONAL_INT, "axis": AXIS, "class_weight": CLASS_WEIGHT},
    mask=_ignored,
    **CATEGORICAL_RECORD,
)
def sparse_categorical_crossentropy(y_true, y_pred, *, from_logits=False, ignore_class=None, axis=-1, class_weight=None, xp):
    """Categorical crossentropy with integer class labels: ``y_true`` has shape ``(...)``
    (or ``(..., 1)``) and ``y_pred`` shape ``(..., C)``.

    Labels equal to ``ignore_class`` give 0, and the reduced objective averages over the
    other labels only (Keras' rule); when every label is ignored the objective is 0, not NaN.
    """
    target, valid = sparse_targets(y_true, y_pred.shape[-1], ignore_class, y_pred.dtype, xp)
    weights = target_weights("sparse_categorical_crossentropy", target, y_pred, 0.0, class_weight, xp)
    loss = weighted_crossentropy(weights, y_pred, from_logits, xp)
    return loss if valid is None else xp.where(valid, loss, xp.zeros_like(loss))


@sparse_categorical_crossentropy.derivatives(surrogate=PROBABILITY_SURROGATE)
def _sparse_categorical_crossentropy_derivatives(y_true, y_pred, *, from_logits, ignore_class, axis, class_weight, surrogate, xp):
    """As categorical crossentropy with one-hot targets; shape ``(..., C)`` like ``y_pred``.
    Rows whose label is ``ignore_class`` have gradient and Hessian 0."""
    target, valid = sparse_targets(y_true, y_pred.shape[-1], ignore_class, y_pred.dtype, xp)
    weights = target_weights("sparse_categorical_crossentropy", target, y_pred, 0.0, class_weight, xp)
    grad, hess = weighted_crossentropy_derivatives(weights, y_pred, from_logits=from_logits, surrogate=surrogate, xp=xp)
    if valid is None:
        return grad, hess
    keep = xp.astype(valid, y_pred.dtype)[..., None]
    return grad * keep, hess * keep
