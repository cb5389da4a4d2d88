"""Margin losses: ``y_pred`` is a signed score (a margin), decided at 0, not a probability.
Each value kernel has its derivatives below it; the exact Hessians are 0 almost everywhere,
so each has a positive surrogate for Newton-type learners.
"""

from __future__ import annotations

import math

from .._array import device, log_sigmoid, one_hot, sigmoid
from ._domain import BINARY, CLASS_INDICES, REAL, SIGNED_BINARY, Intercept, Layout, Target
from ._spec import NON_NEGATIVE_NUMBER, Check, define
from .crossentropy import CLASS_WEIGHT, class_weights

_HINGE_REFERENCE = ("https://en.wikipedia.org/wiki/Hinge_loss",)
_HINGE_RECORD = dict(
    tasks=("binary",),
    y_true=SIGNED_BINARY,
    y_pred=REAL,
    target=Target.SIGNED,
    margin_based=True,
    activations=("linear", "tanh"),
    references=_HINGE_REFERENCE,
)


def signed_labels(y_true, xp):
    """Labels {0, 1} become {-1, 1} (Keras converts when every label is 0 or 1; we map each 0)."""
    return xp.where(y_true == 0, -xp.ones_like(y_true), y_true)


@define(
    name="hinge",
    properties=("margin-based", "convex", "non-smooth"),
    formula="mean(max(1 - y * y_pred, 0)), y in {-1, 1}",
    latex=r"\frac{1}{d}\sum_j \max(1 - y_j \hat y_j, 0)",
    intercept=Intercept.MAJORITY_SIGN,
    **_HINGE_RECORD,
)
def hinge(y_true, y_pred, *, xp):
    """Hinge loss of the support vector machine; ``y_pred`` is a score (a margin), not a probability.

    Labels are -1 or 1; labels 0 are read as -1, so {0, 1} labels work as in Keras.
    """
    return xp.mean(xp.clip(1.0 - signed_labels(y_true, xp) * y_pred, min=0.0), axis=-1)


@hinge.derivatives(surrogate="constant 1/d (the L1 surrogate LightGBM uses)")
def _hinge_derivatives(y_true, y_pred, *, surrogate, xp):
    """``g = -y / d`` where ``1 - y y_pred >= 0`` (inside the margin, its edge included), else 0;
    ``h = 0`` (surrogate ``1 / d``). Labels 0 read as -1."""
    d = y_pred.shape[-1]
    y = signed_labels(y_true, xp)
    grad = xp.where(1.0 - y * y_pred >= 0, -y, xp.zeros_like(y_pred)) / d
    return grad, xp.full_like(y_pred, 1.0 / d if surrogate else 0.0)


@define(
    name="squared_hinge",
    properties=("margin-based", "convex", "smooth"),
    formula="mean(max(1 - y * y_pred, 0)^2), y in {-1, 1}",
    latex=r"\frac{1}{d}\sum_j \max(1 - y_j \hat y_j, 0)^2",
    intercept=Intercept.SIGNED_MEAN,
    **_HINGE_RECORD,
)
def squared_hinge(y_true, y_pred, *, xp):
    """Squared hinge loss: the hinge squared, differentiable at the margin. Labels as for :func:`hinge`."""
    return xp.mean(xp.square(xp.clip(1.0 - signed_labels(y_true, xp) * y_pred, min=0.0)), axis=-1)


@squared_hinge.derivatives(surrogate="constant 2/d, the curvature inside the margin (the exact Hessian is 0 beyond it)")
def _squared_hinge_derivatives(y_true, y_pred, *, surrogate, xp):
    """``g = -2 y max(1 - y y_pred, 0) / d``; ``h = 2 / d`` inside the margin (edge included), else 0."""
    d = y_pred.shape[-1]
    y = signed_labels(y_true, xp)
    slack = 1.0 - y * y_pred
    grad = -2.0 * y * xp.clip(slack, min=0.0) / d
    if surrogate:
        return grad, xp.full_like(y_pred, 2.0 / d)
    return grad, xp.where(slack >= 0, xp.full_like(y_pred, 2.0 / d), xp.zeros_like(y_pred))


@define(
    name="categorical_hinge",
    tasks=("multiclass",),
    y_true=BINARY,
    y_pred=REAL,
    target=Target.ONE_HOT,
    margin_based=True,
    activations=("linear", "softmax"),
    properties=("margin-based", "convex", "needs one-hot labels"),
    formula="max(max((1 - y) * y_pred) - sum(y * y_pred) + 1, 0)",
    latex=r"\max\big(\max_c (1-y_c)\hat y_c - \textstyle\sum_c y_c \hat y_c + 1,\ 0\big)",
    references=("Crammer & Singer, 2001; https://keras.io/api/losses/hinge_losses/",),
    intercept=Intercept.ZERO,
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


@categorical_hinge.derivatives(surrogate="constant 1 (the L1 surrogate LightGBM uses)")
def _categorical_hinge_derivatives(y_true, y_pred, *, surrogate, xp):
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


@define(
    name="soft_margin",
    aliases=("soft_margin_loss", "logistic"),
    properties=("margin-based", "convex", "smooth", "probabilistic"),
    formula="mean(log(1 + exp(-y * y_pred))), y in {-1, 1}",
    latex=r"\frac{1}{d}\sum_j \log\big(1 + e^{-y_j \hat y_j}\big)",
    intercept=Intercept.SIGNED_MEAN,
    **{**_HINGE_RECORD, "references": ("https://pytorch.org/docs/stable/generated/torch.nn.SoftMarginLoss.html",)},
)
def soft_margin(y_true, y_pred, *, xp):
    """Soft-margin (logistic) loss of a signed score, PyTorch's ``SoftMarginLoss``: the
    crossentropy of ``sigmoid(y_pred)`` written for labels -1 and 1 (0 read as -1, as
    :func:`hinge`). ``softplus(-y x)``: exact for scores of any size.
    """
    return xp.mean(-log_sigmoid(signed_labels(y_true, xp) * y_pred, xp), axis=-1)


@soft_margin.derivatives()
def _soft_margin_derivatives(y_true, y_pred, *, xp):
    """``g = -y sigmoid(-y x) / d``, ``h = sigmoid(x) sigmoid(-x) / d`` (convex: exact)."""
    d = y_pred.shape[-1]
    y = signed_labels(y_true, xp)
    return -y * sigmoid(-y * y_pred, xp) / d, xp.exp(log_sigmoid(y_pred, xp) + log_sigmoid(-y_pred, xp)) / d


@define(
    name="perceptron",
    aliases=("perceptron_loss",),
    properties=("margin-based", "convex", "non-smooth", "no margin"),
    formula="mean(max(-y * y_pred, 0)), y in {-1, 1}",
    latex=r"\frac{1}{d}\sum_j \max(-y_j \hat y_j, 0)",
    intercept=Intercept.MAJORITY_SIGN,
    **{**_HINGE_RECORD, "references": ("Optax perceptron_loss; https://en.wikipedia.org/wiki/Perceptron",)},
)
def perceptron(y_true, y_pred, *, xp):
    """Perceptron loss (Optax's ``perceptron_loss``): the hinge without its margin, zero for every
    correctly signed score. Labels -1 and 1 (0 read as -1)."""
    return xp.mean(xp.clip(-signed_labels(y_true, xp) * y_pred, min=0.0), axis=-1)


@perceptron.derivatives(surrogate="constant 1/d (the L1 surrogate, as for hinge)")
def _perceptron_derivatives(y_true, y_pred, *, surrogate, xp):
    """``g = -y / d`` where ``y y_pred <= 0`` (the boundary included, as autodiff of the clip), else 0;
    ``h = 0`` (surrogate ``1 / d``)."""
    d = y_pred.shape[-1]
    y = signed_labels(y_true, xp)
    grad = xp.where(-y * y_pred >= 0, -y, xp.zeros_like(y_pred)) / d
    return grad, xp.full_like(y_pred, 1.0 / d if surrogate else 0.0)


# ----------------------------------------------------------------------------- multi-class, integer labels
_MULTICLASS_MARGIN = dict(
    tasks=("multiclass",),
    y_true=CLASS_INDICES,
    y_pred=REAL,
    target=Target.CLASS_INDICES,
    layout=Layout.LABELS,
    margin_based=True,
    intercept=Intercept.ZERO,
    activations=("linear",),
)


def _ties_share(values, xp):
    """1 shared among the entries of each row that reach its maximum (what autodiff of ``max`` gives)."""
    best = xp.max(values, axis=-1, keepdims=True)
    at_best = xp.astype(values == best, values.dtype)
    return at_best / xp.sum(at_best, axis=-1, keepdims=True)


@define(
    name="multiclass_hinge",
    aliases=("crammer_singer", "multiclass_hinge_loss"),
    properties=("margin-based", "convex", "non-smooth", "needs integer labels"),
    formula="max(y_pred + 1 - one_hot(y)) - y_pred[y] = max(0, 1 + max_{c != y} y_pred_c - y_pred_y)",
    latex=r"\max\big(0,\ 1 + \max_{c\ne y}\hat y_c - \hat y_y\big)",
    references=("Crammer & Singer, On the algorithmic implementation of multiclass kernel-based vector machines, 2001.",
                "Optax multiclass_hinge_loss"),
    **_MULTICLASS_MARGIN,
)
def multiclass_hinge(y_true, y_pred, *, xp):
    """Crammer-Singer multi-class hinge loss of integer labels and scores (Optax's
    ``multiclass_hinge_loss``): the true class's score must beat every other by 1. Unlike
    :func:`categorical_hinge` (Keras), the best other score is the real maximum, not
    ``max((1 - y) * y_pred)``. Shapes: labels ``(...)``, scores ``(..., C) -> (...)``.
    """
    target = one_hot(y_true, y_pred.shape[-1], xp, dtype=y_pred.dtype)
    return xp.clip(_best_other(y_pred, target, xp) - xp.sum(y_pred * target, axis=-1), min=0.0)


def _best_other(y_pred, target, xp, keepdims=False):
    """``max_{c != y} y_pred_c + 1`` (-inf with one class): Optax's ``max(y_pred + 1 - one_hot)`` without
    rounding ``(s_y + 1) - 1``, so a row the true class wins gives exactly 0."""
    others = xp.where(target > 0, xp.full_like(y_pred, -math.inf), y_pred + 1.0)
    return xp.max(others, axis=-1, keepdims=keepdims)


@multiclass_hinge.derivatives(surrogate="constant 1 (the L1 surrogate LightGBM uses)")
def _multiclass_hinge_derivatives(y_true, y_pred, *, surrogate, xp):
    """Inside the margin (its edge included): ``g = s - one_hot(y)``, ``s`` sharing 1 among the other
    classes reaching the best other score; 0 beyond it; ``h = 0`` (surrogate 1). No ``1/d``."""
    target = one_hot(y_true, y_pred.shape[-1], xp, dtype=y_pred.dtype)
    others = xp.where(target > 0, xp.full_like(y_pred, -math.inf), y_pred + 1.0)
    inside = _best_other(y_pred, target, xp, keepdims=True) - xp.sum(y_pred * target, axis=-1, keepdims=True) >= 0
    grad = xp.where(inside, _ties_share(others, xp) - target, xp.zeros_like(y_pred))
    return grad, xp.full_like(y_pred, 1.0 if surrogate else 0.0)


MARGIN_POWER = Check(lambda v: v in (1, 2) and not isinstance(v, bool), "1 or 2")


@define(
    name="multi_margin",
    aliases=("multi_margin_loss", "weston_watkins"),
    properties=("margin-based", "convex", "non-smooth (p=1)", "needs integer labels"),
    formula="sum_{c != y} max(0, margin - y_pred[y] + y_pred[c])^p / C, times class_weight[y]",
    latex=r"\frac{w_y}{C}\sum_{c\ne y}\max\big(0,\ m - \hat y_y + \hat y_c\big)^p",
    references=("Weston & Watkins, Support vector machines for multi-class pattern recognition, 1999.",
                "https://pytorch.org/docs/stable/generated/torch.nn.MultiMarginLoss.html"),
    checks={"margin": NON_NEGATIVE_NUMBER, "p": MARGIN_POWER, "class_weight": CLASS_WEIGHT},
    **_MULTICLASS_MARGIN,
)
def multi_margin(y_true, y_pred, *, margin=1.0, p=1, class_weight=None, xp):
    """Weston-Watkins multi-class hinge loss (PyTorch's ``MultiMarginLoss(p, margin, weight)``): every
    other class whose score comes within ``margin`` of the true class's adds its shortfall (squared
    for ``p=2``); the sum is divided by the number of classes ``C`` (the true class included, as
    PyTorch does). ``class_weight[y]`` weighs the sample. Shapes: labels ``(...)``, scores ``(..., C)``.
    """
    classes = y_pred.shape[-1]
    target = one_hot(y_true, classes, xp, dtype=y_pred.dtype)
    slack = xp.clip(margin - xp.sum(y_pred * target, axis=-1, keepdims=True) + y_pred, min=0.0) * (1.0 - target)
    loss = xp.sum(slack if p == 1 else xp.square(slack), axis=-1) / classes
    if class_weight is not None:
        loss = loss * xp.sum(class_weights("multi_margin", class_weight, classes, y_pred, xp) * target, axis=-1)
    return loss


@multi_margin.derivatives(surrogate="constant 2/C for p=2 and 1/C for p=1 on every class (the exact Hessian is 0 outside the margins)")
def _multi_margin_derivatives(y_true, y_pred, *, margin, p, class_weight, surrogate, xp):
    """With ``a_c = [margin - x_y + x_c >= 0]`` for ``c != y`` (the edge included, as autodiff of the
    clip) and ``s_c`` the clipped shortfall: ``p=1``: ``g_c = a_c / C``, ``g_y = -sum(a) / C``,
    ``h = 0``; ``p=2``: ``g_c = 2 s_c / C``, ``g_y = -2 sum(s) / C``, ``h_c = 2 a_c / C``,
    ``h_y = 2 sum(a) / C``. Times ``class_weight[y]``."""
    classes = y_pred.shape[-1]
    target = one_hot(y_true, classes, xp, dtype=y_pred.dtype)
    raw = margin - xp.sum(y_pred * target, axis=-1, keepdims=True) + y_pred
    active = xp.astype(raw >= 0, y_pred.dtype) * (1.0 - target)
    if p == 1:
        grad = active - target * xp.sum(active, axis=-1, keepdims=True)
        hess = xp.full_like(y_pred, 1.0) if surrogate else xp.zeros_like(y_pred)
    else:
        slack = xp.clip(raw, min=0.0) * (1.0 - target)
        grad = 2.0 * (slack - target * xp.sum(slack, axis=-1, keepdims=True))
        hess = xp.full_like(y_pred, 2.0) if surrogate else 2.0 * (active + target * xp.sum(active, axis=-1, keepdims=True))
    scale = 1.0 / classes
    if class_weight is not None:
        scale = scale * xp.sum(class_weights("multi_margin", class_weight, classes, y_pred, xp) * target, axis=-1, keepdims=True)
    return grad * scale, hess * scale


def sparsemax_probabilities(z, xp):
    """``sparsemax(z)``: the Euclidean projection of each row onto the simplex (Martins & Astudillo,
    2016), ``max(z - tau, 0)`` with ``tau`` from the sorted scores; returns ``(p, support)``."""
    classes = z.shape[-1]
    ranked = xp.flip(xp.sort(z, axis=-1), axis=-1)
    k = xp.arange(1, classes + 1, dtype=z.dtype, device=device(z))
    running = xp.cumulative_sum(ranked, axis=-1)
    in_support = xp.astype(1.0 + k * ranked > running, z.dtype)
    size = xp.sum(in_support, axis=-1, keepdims=True)  # >= 1: the top score is always in
    total = xp.sum(ranked * in_support, axis=-1, keepdims=True)
    tau = (total - 1.0) / size
    probabilities = xp.clip(z - tau, min=0.0)
    return probabilities, z > tau


@define(
    name="sparsemax",
    aliases=("sparsemax_loss", "multiclass_sparsemax"),
    properties=("margin-based", "convex", "sparse probabilities", "needs integer labels"),
    formula="sum_{j in S} (y_pred_j^2 - tau^2) / 2 - y_pred[y] + 1/2, S and tau of sparsemax(y_pred)",
    latex=r"-\hat y_y + \tfrac12\sum_{j\in S}\big(\hat y_j^2 - \tau^2\big) + \tfrac12",
    references=("Martins & Astudillo, From Softmax to Sparsemax, 2016. https://arxiv.org/abs/1602.02068",
                "Optax multiclass_sparsemax_loss"),
    **_MULTICLASS_MARGIN,
)
def sparsemax(y_true, y_pred, *, xp):
    """Sparsemax loss of integer labels and scores (Optax's ``multiclass_sparsemax_loss``): the
    Fenchel-Young loss whose prediction is ``sparsemax(y_pred)``, a distribution with exact zeros.
    Zero once the true score beats every other by 1; its gradient is ``sparsemax(y_pred) - one_hot(y)``.
    Computed as ``p . (z - z_y) + (1 - p . p) / 2`` with ``p = sparsemax(z)``, which is invariant to
    shifting the scores (no cancellation for large ones).
    """
    target = one_hot(y_true, y_pred.shape[-1], xp, dtype=y_pred.dtype)
    probabilities, _ = sparsemax_probabilities(y_pred, xp)
    relative = y_pred - xp.sum(y_pred * target, axis=-1, keepdims=True)
    return xp.sum(probabilities * relative, axis=-1) + 0.5 * (1.0 - xp.sum(xp.square(probabilities), axis=-1))


@sparsemax.derivatives(surrogate="the exact diagonal, 1 - 1/|S| on the support, with 1/C off it (0 there: flat)")
def _sparsemax_derivatives(y_true, y_pred, *, surrogate, xp):
    """``g = sparsemax(z) - one_hot(y)``; ``h_k = 1 - 1/|S|`` on the support ``S``, 0 off it
    (the Jacobian of sparsemax is ``diag(s) - s s^T / |S|``). No ``1/d``."""
    target = one_hot(y_true, y_pred.shape[-1], xp, dtype=y_pred.dtype)
    probabilities, support = sparsemax_probabilities(y_pred, xp)
    inside = xp.astype(support, y_pred.dtype)
    hess = inside * (1.0 - 1.0 / xp.sum(inside, axis=-1, keepdims=True))
    if surrogate:
        hess = xp.where(hess > 0, hess, xp.full_like(hess, 1.0 / y_pred.shape[-1]))
    return probabilities - target, hess
