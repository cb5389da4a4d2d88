"""Similarity losses: compare directions of vectors along the last axis; the value kernel with
its gradient and Hessian diagonal below it."""

from __future__ import annotations

from .._array import SQUARED_NORM_FLOOR as _SQUARED_NORM_FLOOR, l2_normalize
from ._domain import REAL, Intercept, Target
from ._spec import AXIS, define


@define(
    name="cosine_similarity",
    aliases=("cosine_proximity", "cosine"),
    tasks=("similarity",),
    y_true=REAL,
    y_pred=REAL,
    target=Target.REAL,
    intercept=Intercept.MEAN_DIRECTION,
    activations=("linear", "tanh"),
    properties=("scale-invariant", "bounded in [-1, 1]"),
    formula="-sum(l2_normalize(y_true) * l2_normalize(y_pred))",
    latex=r"-\frac{y\cdot\hat y}{\lVert y\rVert\,\lVert\hat y\rVert}",
    references=("https://en.wikipedia.org/wiki/Cosine_similarity",),
    checks={"axis": AXIS},
)
def cosine_similarity(y_true, y_pred, *, axis=-1, xp):
    """Negative cosine similarity, as Keras: -1 for vectors pointing the same way, 0 for
    orthogonal ones, 1 for opposite ones; a zero vector gives 0. Minimising it aligns
    ``y_pred`` with ``y_true``. Shapes ``(..., d) -> (...)``.
    """
    return -xp.sum(l2_normalize(y_true, xp) * l2_normalize(y_pred, xp), axis=-1)


@cosine_similarity.derivatives(
    surrogate="1 / ||y_pred||^2, the curvature scale of the normalisation (|exact| <= 6 / ||y_pred||^2; "
    "the exact Hessian is indefinite)",
)
def _cosine_similarity_derivatives(y_true, y_pred, *, axis, surrogate, xp):
    """With ``t = y_true / ||y_true||``, ``n = ||y_pred||``, ``u = y_pred / n`` and ``c = t . u``:
    ``g = -(t - c u) / n`` and ``h = (2 t u + c - 3 c u^2) / n^2``. Where ``n^2 < 1e-12`` the
    value divides by the constant 1e-6 instead: ``g = -t / 1e-6``, ``h = 0``. A sum: no ``1/d``."""
    square_sum = xp.sum(xp.square(y_true), axis=-1, keepdims=True)
    target = y_true / xp.sqrt(xp.clip(square_sum, min=_SQUARED_NORM_FLOOR))
    squared_norm = xp.sum(xp.square(y_pred), axis=-1, keepdims=True)
    inside = squared_norm >= _SQUARED_NORM_FLOOR
    squared_norm = xp.clip(squared_norm, min=_SQUARED_NORM_FLOOR)
    norm = xp.sqrt(squared_norm)
    unit = y_pred / norm
    cosine = xp.sum(target * unit, axis=-1, keepdims=True)
    grad = -xp.where(inside, target - cosine * unit, target) / norm
    if surrogate:
        return grad, xp.broadcast_to(1.0 / squared_norm, y_pred.shape)
    hess = (2.0 * target * unit + cosine - 3.0 * cosine * xp.square(unit)) / squared_norm
    return grad, xp.where(inside, hess, xp.zeros_like(hess))
