"""Gradient and Hessian diagonal of the cosine similarity loss (see :mod:`losskit.losses.similarity`)."""

from __future__ import annotations

from ..losses import similarity as losses
from ._register import derivative_of

#: ``l2_normalize``'s floor on the squared norm: below it the norm is a constant 1e-6.
_SQUARED_NORM_FLOOR = 1e-12


@derivative_of(
    losses.cosine_similarity,
    surrogate="1 / ||y_pred||^2, the curvature scale of the normalisation (|exact| <= 6 / ||y_pred||^2; "
    "the exact Hessian is indefinite)",
)
def cosine_similarity(y_true, y_pred, *, axis=-1, surrogate=False, xp):
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
