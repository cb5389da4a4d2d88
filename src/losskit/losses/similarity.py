"""Similarity losses: compare directions of vectors along the last axis; the value kernel with
its gradient and Hessian diagonal below it."""

from __future__ import annotations

from .._array import unit_vectors, vector_norms
from ._domain import NON_NEGATIVE, REAL, UNIT, Intercept, Target
from ._spec import AXIS, NON_NEGATIVE_NUMBER, define


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


@define(
    name="contrastive",
    aliases=("contrastive_loss", "siamese"),
    tasks=("similarity",),
    y_true=UNIT,
    y_pred=NON_NEGATIVE,
    target=Target.BINARY,
    intercept=Intercept.ZERO,
    activations=("relu", "softplus"),
    properties=("metric learning", "margin-based pairs", "convex in the distance"),
    formula="mean(y d^2 + (1 - y) max(margin - d, 0)^2), y = 1 for similar pairs, d = y_pred a distance",
    latex=r"\frac{1}{d}\sum_j \Big(y_j\,\hat d_j^{\,2} + (1-y_j)\max(m - \hat d_j, 0)^2\Big)",
    references=("Hadsell, Chopra & LeCun, Dimensionality Reduction by Learning an Invariant Mapping, 2006.",
                "TensorFlow Addons contrastive_loss"),
    checks={"margin": NON_NEGATIVE_NUMBER},
)
def contrastive(y_true, y_pred, *, margin=1.0, xp):
    """Contrastive loss of pairs (Hadsell et al., TensorFlow Addons' ``contrastive_loss``):
    ``y_true`` is 1 for a similar pair and 0 for a dissimilar one, ``y_pred`` the distance between
    the pair's embeddings; similar pairs are pulled together, dissimilar ones pushed beyond
    ``margin``. Elementwise, the mean over the last axis as every elementwise loss.
    """
    return xp.mean(y_true * xp.square(y_pred) + (1.0 - y_true) * xp.square(xp.clip(margin - y_pred, min=0.0)), axis=-1)


@contrastive.derivatives(surrogate="constant 2/d (the curvature of either side; the dissimilar side is flat beyond the margin)")
def _contrastive_derivatives(y_true, y_pred, *, margin, surrogate, xp):
    """``g = 2 (y d - (1 - y) max(m - d, 0)) / d_width``; ``h = 2 (y + (1 - y) [d <= m]) / d_width``."""
    width = y_pred.shape[-1]
    gap = xp.clip(margin - y_pred, min=0.0)
    grad = 2.0 * (y_true * y_pred - (1.0 - y_true) * gap) / width
    if surrogate:
        return grad, xp.full_like(y_pred, 2.0 / width)
    inside = xp.astype(y_pred <= margin, y_pred.dtype)
    return grad, 2.0 * (y_true + (1.0 - y_true) * inside) / width
