"""Margin losses: ``y_pred`` is a signed score (a margin), decided at 0, not a probability.
Each value kernel has its derivatives below it; the exact Hessians are 0 almost everywhere,
so each has a positive surrogate for Newton-type learners.
"""

from __future__ import annotations

from ._domain import BINARY, REAL, SIGNED_BINARY, Intercept, Target
from ._spec import define

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
