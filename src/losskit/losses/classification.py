"""Classification losses: binary and multi-label (one probability or logit per output), and
single-label multi-class (a distribution over the last axis).

Stability choices, shared by the ``from_logits=True`` paths: log-probabilities come from
``log_sigmoid``/``log_softmax`` (never ``log(sigmoid(x))``), so logits of any size are exact and
finite, and classes with zero target weight never enter a product with their log-probability,
so a ``-inf`` logit on a masked class gives a finite loss and gradient. The probability paths
clip to ``[1e-7, 1 - 1e-7]`` as Keras does, so probabilities of exactly 0 or 1 give finite
values (``-log(1e-7) = 16.118...`` for a confident wrong prediction).
"""

from __future__ import annotations

import math

from .._array import EPSILON, device, log_sigmoid, log_softmax, one_hot, safe_pow
from ._domain import BINARY, CLASS_INDICES, REAL, REAL_OR_MINUS_INF, SIGNED_BINARY, UNIT
from ._spec import AXIS, NON_NEGATIVE_NUMBER, OPTIONAL_INT, UNIT_NUMBER, Check, define

CLASS_WEIGHT = Check(
    lambda v: v is None or _is_weight_sequence(v),
    "None or a sequence of non-negative weights, one per class",
)


def _is_weight_sequence(v) -> bool:
    try:
        return len(v) > 0 and not isinstance(v, str) and all(math.isfinite(float(w)) and float(w) >= 0 for w in v)
    except (TypeError, ValueError):  # no length, or an entry that is not a number
        return False


def _class_weights(name, class_weight, num_classes, like, xp):
    weights = xp.asarray([float(w) for w in class_weight], dtype=like.dtype, device=device(like))
    if weights.shape[0] != num_classes:
        raise ValueError(f"{name}: `class_weight` must have one weight per class ({num_classes}); got {weights.shape[0]}")
    return weights


# ----------------------------------------------------------------------------- binary / multi-label
_BINARY_RECORD = dict(
    tasks=("binary", "multilabel"),
    y_true=UNIT,
    y_pred=UNIT,
    y_pred_logits=REAL,
    activations=("sigmoid",),
    checks={"label_smoothing": UNIT_NUMBER, "axis": AXIS, "class_weight": CLASS_WEIGHT},
)


def _binary_log_likelihoods(y_pred, from_logits, xp):
    """(log p, log(1 - p)): exact from logits, clipped to [1e-7, 1 - 1e-7] from probabilities."""
    if from_logits:
        return log_sigmoid(y_pred, xp), log_sigmoid(-y_pred, xp)
    p = xp.clip(y_pred, min=EPSILON, max=1.0 - EPSILON)
    return xp.log(p), xp.log1p(-p)


def _elementwise_bce(y_true, y_pred, from_logits, xp):
    log_p, log_not_p = _binary_log_likelihoods(y_pred, from_logits, xp)
    return -(y_true * log_p + (1.0 - y_true) * log_not_p)


@define(
    name="binary_crossentropy",
    aliases=("bce",),
    properties=("probabilistic", "proper scoring rule", "convex in logits"),
    formula="mean(-(y log p + (1 - y) log(1 - p))), p = sigmoid(y_pred) if from_logits",
    latex=r"-\frac{1}{d}\sum_j \big(y_j\log p_j + (1-y_j)\log(1-p_j)\big)",
    references=("https://en.wikipedia.org/wiki/Cross-entropy",),
    **_BINARY_RECORD,
)
def binary_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None, xp):
    """Binary crossentropy (log loss) for binary and multi-label classification.

    ``label_smoothing`` moves targets towards 0.5: ``y * (1 - s) + s / 2``. ``class_weight``,
    ``(w_0, w_1)``, weighs the terms of negatives and positives. From logits the value is
    ``y * softplus(-x) + (1 - y) * softplus(x)``: exact for any logit (1e4 included), where
    Keras' NumPy backend caps it near 16.1. Shapes ``(..., d) -> (...)``.
    """
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    log_p, log_not_p = _binary_log_likelihoods(y_pred, from_logits, xp)
    positive, negative = -log_p, -log_not_p
    if class_weight is not None:
        w = _class_weights("binary_crossentropy", class_weight, 2, y_pred, xp)
        positive, negative = w[1] * positive, w[0] * negative
    return xp.mean(y_true * positive + (1.0 - y_true) * negative, axis=-1)


@define(
    name="binary_focal_crossentropy",
    aliases=("binary_focal", "focal"),
    properties=("probabilistic", "for class imbalance", "down-weights easy examples"),
    formula="mean(w * (1 - p_t)^gamma * bce), p_t = y p + (1 - y)(1 - p), w = y alpha + (1 - y)(1 - alpha) if balanced",
    latex=r"\frac{1}{d}\sum_j w_j (1-p_{t,j})^\gamma\, \mathrm{BCE}(y_j, p_j)",
    references=("Lin et al., Focal Loss for Dense Object Detection, 2017. https://arxiv.org/abs/1708.02002",),
    **{**_BINARY_RECORD, "checks": {**_BINARY_RECORD["checks"], "alpha": UNIT_NUMBER, "gamma": NON_NEGATIVE_NUMBER}},
)
def binary_focal_crossentropy(
    y_true, y_pred, *, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1, xp
):
    """Binary focal crossentropy: crossentropy scaled by ``(1 - p_t)**gamma``, as Keras defines it.

    From logits, ``log(1 - p_t)`` is computed from log-sigmoids and the focal factor as
    ``exp(gamma * log(1 - p_t))``, so gradients stay finite for ``gamma < 1`` on saturated
    logits (where ``(1 - p_t)**gamma`` has an infinite slope at 0 and torchvision gives NaN).
    """
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    bce = _elementwise_bce(y_true, y_pred, from_logits, xp)
    if from_logits:
        # 1 - p_t = y * sigmoid(-x) + (1 - y) * sigmoid(x), in log space.
        minus_inf = xp.full_like(y_pred, -math.inf)
        has_pos, has_neg = y_true > 0, y_true < 1
        log_y = xp.log(xp.where(has_pos, y_true, xp.ones_like(y_true)))
        log_1my = xp.log1p(-xp.where(has_neg, y_true, xp.zeros_like(y_true)))
        a = xp.where(has_pos, log_y + log_sigmoid(-y_pred, xp), minus_inf)
        b = xp.where(has_neg, log_1my + log_sigmoid(y_pred, xp), minus_inf)
        focal_factor = xp.exp(gamma * xp.logaddexp(a, b))
    else:
        p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
        focal_factor = safe_pow(xp.clip(1.0 - p_t, min=0.0), gamma, xp)
    focal_bce = focal_factor * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal_bce
    return xp.mean(focal_bce, axis=-1)


_HINGE_RECORD = dict(
    tasks=("binary",),
    y_true=SIGNED_BINARY,
    y_pred=REAL,
    activations=("linear", "tanh"),
    checks={},
)


def _signed_labels(y_true, xp):
    """Labels {0, 1} become {-1, 1} (Keras converts when every label is 0 or 1; we map each 0)."""
    return xp.where(y_true == 0, -xp.ones_like(y_true), y_true)


@define(
    name="hinge",
    properties=("margin-based", "convex", "non-smooth"),
    formula="mean(max(1 - y * y_pred, 0)), y in {-1, 1}",
    latex=r"\frac{1}{d}\sum_j \max(1 - y_j \hat y_j, 0)",
    references=("https://en.wikipedia.org/wiki/Hinge_loss",),
    **_HINGE_RECORD,
)
def hinge(y_true, y_pred, *, xp):
    """Hinge loss of the support vector machine; ``y_pred`` is a score (a margin), not a probability.

    Labels are -1 or 1; labels 0 are read as -1, so {0, 1} labels work as in Keras.
    """
    return xp.mean(xp.clip(1.0 - _signed_labels(y_true, xp) * y_pred, min=0.0), axis=-1)


@define(
    name="squared_hinge",
    properties=("margin-based", "convex", "smooth"),
    formula="mean(max(1 - y * y_pred, 0)^2), y in {-1, 1}",
    latex=r"\frac{1}{d}\sum_j \max(1 - y_j \hat y_j, 0)^2",
    references=("https://en.wikipedia.org/wiki/Hinge_loss",),
    **_HINGE_RECORD,
)
def squared_hinge(y_true, y_pred, *, xp):
    """Squared hinge loss: the hinge squared, differentiable at the margin. Labels as for :func:`hinge`."""
    return xp.mean(xp.square(xp.clip(1.0 - _signed_labels(y_true, xp) * y_pred, min=0.0)), axis=-1)


# ----------------------------------------------------------------------------- single-label multi-class
_CATEGORICAL_CHECKS = {"label_smoothing": UNIT_NUMBER, "axis": AXIS, "class_weight": CLASS_WEIGHT}


def _log_probabilities(y_pred, from_logits, xp):
    """log p over the last axis: log_softmax of logits, or the Keras recipe for probabilities
    (rows rescaled to sum to 1, clipped to [1e-7, 1 - 1e-7])."""
    if from_logits:
        return log_softmax(y_pred, xp)
    total = xp.sum(y_pred, axis=-1, keepdims=True)
    p = y_pred / xp.where(total > 0, total, xp.ones_like(total))
    return xp.log(xp.clip(p, min=EPSILON, max=1.0 - EPSILON))


def _masked_log_probabilities(y_true, log_p, xp):
    """log p where the target has weight, 0 elsewhere: a -inf logit on a class with target 0
    never meets its 0 weight in a product (0 * -inf would be NaN, in the value and the gradient)."""
    return xp.where(y_true == 0, xp.zeros_like(log_p), log_p)


def _crossentropy(y_true, y_pred, from_logits, class_weight, name, xp):
    log_p = _masked_log_probabilities(y_true, _log_probabilities(y_pred, from_logits, xp), xp)
    terms = y_true * log_p
    if class_weight is not None:
        terms = _class_weights(name, class_weight, y_pred.shape[-1], y_pred, xp) * terms
    return -xp.sum(terms, axis=-1)


@define(
    name="categorical_crossentropy",
    aliases=("cce",),
    tasks=("multiclass",),
    y_true=UNIT,
    y_pred=UNIT,
    y_pred_logits=REAL_OR_MINUS_INF,
    activations=("softmax",),
    properties=("probabilistic", "proper scoring rule", "needs one-hot labels"),
    formula="-sum(y * log p), p = softmax(y_pred) if from_logits",
    latex=r"-\sum_c y_c \log p_c",
    references=("https://en.wikipedia.org/wiki/Cross-entropy",),
    checks=_CATEGORICAL_CHECKS,
)
def categorical_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None, xp):
    """Categorical crossentropy between one-hot (or soft) targets and a predicted distribution.

    ``label_smoothing`` mixes targets with the uniform distribution: ``y * (1 - s) + s / C``.
    ``class_weight`` (one weight per class) multiplies each class's term, as PyTorch's
    ``CrossEntropyLoss(weight=...)`` does (our mean still divides by the number of samples).
    Shapes ``(..., C) -> (...)``.
    """
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[-1]
    return _crossentropy(y_true, y_pred, from_logits, class_weight, "categorical_crossentropy", xp)


def _ignored(y_true, *, ignore_class=None, xp, **_):
    """The validity mask of sparse labels: False where the label is ``ignore_class``."""
    return None if ignore_class is None else y_true != ignore_class


@define(
    name="sparse_categorical_crossentropy",
    aliases=("scce", "sparse_cce"),
    tasks=("multiclass",),
    y_true=CLASS_INDICES,
    y_pred=UNIT,
    y_pred_logits=REAL_OR_MINUS_INF,
    activations=("softmax",),
    properties=("probabilistic", "proper scoring rule", "needs integer labels"),
    formula="-log p[y], p = softmax(y_pred) if from_logits",
    latex=r"-\log p_{y}",
    references=("https://en.wikipedia.org/wiki/Cross-entropy",),
    shapes="labels",
    checks={"ignore_class": OPTIONAL_INT, "axis": AXIS, "class_weight": CLASS_WEIGHT},
    mask=_ignored,
)
def sparse_categorical_crossentropy(y_true, y_pred, *, from_logits=False, ignore_class=None, axis=-1, class_weight=None, xp):
    """Categorical crossentropy with integer class labels: ``y_true`` has shape ``(...)``
    (or ``(..., 1)``) and ``y_pred`` shape ``(..., C)``.

    Labels equal to ``ignore_class`` give 0, and the reduced objective averages over the
    other labels only (Keras' rule); when every label is ignored the objective is 0, not NaN.
    """
    valid = None if ignore_class is None else y_true != ignore_class
    labels = y_true if valid is None else xp.where(valid, y_true, xp.zeros_like(y_true))
    target = one_hot(labels, y_pred.shape[-1], xp, dtype=y_pred.dtype)
    loss = _crossentropy(target, y_pred, from_logits, class_weight, "sparse_categorical_crossentropy", xp)
    return loss if valid is None else xp.where(valid, loss, xp.zeros_like(loss))


@define(
    name="categorical_focal_crossentropy",
    aliases=("categorical_focal",),
    tasks=("multiclass",),
    y_true=UNIT,
    y_pred=UNIT,
    y_pred_logits=REAL_OR_MINUS_INF,
    activations=("softmax",),
    properties=("probabilistic", "for class imbalance", "down-weights easy examples", "needs one-hot labels"),
    formula="-sum(alpha * (1 - p)^gamma * y * log p)",
    latex=r"-\sum_c \alpha (1-p_c)^\gamma y_c \log p_c",
    references=("Lin et al., Focal Loss for Dense Object Detection, 2017. https://arxiv.org/abs/1708.02002",),
    checks={**_CATEGORICAL_CHECKS, "alpha": UNIT_NUMBER, "gamma": NON_NEGATIVE_NUMBER},
)
def categorical_focal_crossentropy(
    y_true, y_pred, *, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None, xp
):
    """Categorical focal crossentropy (Keras' definition): each class's crossentropy term
    scaled by ``alpha * (1 - p_c)**gamma``. Finite, with finite gradients, for saturated
    softmax outputs and ``-inf`` logits on classes with target 0.
    """
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[-1]
    log_p = _log_probabilities(y_pred, from_logits, xp)
    modulating = safe_pow(xp.clip(1.0 - xp.exp(log_p), min=0.0), gamma, xp)
    terms = alpha * modulating * y_true * _masked_log_probabilities(y_true, log_p, xp)
    if class_weight is not None:
        terms = _class_weights("categorical_focal_crossentropy", class_weight, y_pred.shape[-1], y_pred, xp) * terms
    return -xp.sum(terms, axis=-1)


@define(
    name="categorical_hinge",
    tasks=("multiclass",),
    y_true=BINARY,
    y_pred=REAL,
    activations=("linear", "softmax"),
    properties=("margin-based", "convex", "needs one-hot labels"),
    formula="max(max((1 - y) * y_pred) - sum(y * y_pred) + 1, 0)",
    latex=r"\max\big(\max_c (1-y_c)\hat y_c - \textstyle\sum_c y_c \hat y_c + 1,\ 0\big)",
    references=("Crammer & Singer, 2001; https://keras.io/api/losses/hinge_losses/",),
)
def categorical_hinge(y_true, y_pred, *, xp):
    """Multi-class hinge loss (Crammer-Singer, as in Keras): the margin between the true
    class's score and the best other score. ``y_true`` is one-hot; shapes ``(..., C) -> (...)``.
    As in Keras the best other score is ``max((1 - y) * y_pred)``, which counts the true class
    as 0: it differs from Crammer-Singer (Optax, scikit-learn) when every other score is negative.
    """
    positive = xp.sum(y_true * y_pred, axis=-1)
    negative = xp.max((1.0 - y_true) * y_pred, axis=-1)
    return xp.clip(negative - positive + 1.0, min=0.0)
