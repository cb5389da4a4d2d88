"""Similarity losses: compare directions of vectors along the last axis; the value kernel with
its gradient and Hessian diagonal below it."""

from __future__ import annotations

from .._array import unit_vectors, vector_norms
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
    formula="-sum(y_true / ||y_true|| * y_pred / ||y_pred||); 0 for a zero vector",
    latex=r"-\frac{y\cdot\hat y}{\lVert y\rVert\,\lVert\hat y\rVert}",
    references=("https://en.wikipedia.org/wiki/Cosine_similarity",),
    checks={"axis": AXIS},
)
def cosine_similarity(y_true, y_pred, *, axis=-1, xp):
    """Negative cosine similarity, as Keras: -1 for vectors pointing the same way, 0 for
    orthogonal ones, 1 for opposite ones; a zero vector gives 0. Minimising it aligns
    ``y_pred`` with ``y_true``. Shapes ``(..., d) -> (...)``.

    Exact for vectors of any size: each is scaled by its largest element before the norm, where
    Keras' ``l2_normalize`` floors the squared norm at 1e-12 (a vector of norm 1e-8 has cosine
    0.01 with itself there) and the squares of a float32 vector of norm 1e20 overflow.
    """
    return -xp.sum(unit_vectors(y_true, xp) * unit_vectors(y_pred, xp), axis=-1)


@cosine_similarity.derivatives(
    surrogate="1 / ||y_pred||^2, the curvature scale of the normalisation (|exact| <= 6 / ||y_pred||^2; "
    "the exact Hessian is indefinite)",
)
def _cosine_similarity_derivatives(y_true, y_pred, *, axis, surrogate, xp):
    """With ``t = y_true / ||y_true||``, ``n = ||y_pred||``, ``u = y_pred / n`` and ``c = t . u``:
    ``g = -(t - c u) / n`` and ``h = (2 t u + c - 3 c u^2) / n^2``. At a zero ``y_pred`` the value
    is ``-t . y_pred`` (what autodiff of it sees): ``g = -t``, ``h = 0``. A sum: no ``1/d``."""
    target = unit_vectors(y_true, xp)
    unit = unit_vectors(y_pred, xp)
    norm = vector_norms(y_pred, xp)
    inside = norm > 0
    norm = xp.where(inside, norm, xp.ones_like(norm))
    cosine = xp.sum(target * unit, axis=-1, keepdims=True)
    grad = -xp.where(inside, target - cosine * unit, target) / norm
    if surrogate:
        return grad, xp.broadcast_to(1.0 / norm / norm, y_pred.shape)
    hess = (2.0 * target * unit + cosine - 3.0 * cosine * xp.square(unit)) / norm / norm
    return grad, xp.where(inside, hess, xp.zeros_like(hess))
