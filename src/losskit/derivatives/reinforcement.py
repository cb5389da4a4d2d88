"""Gradients and Hessian diagonals of the reinforcement-learning losses
(see :mod:`losskit.losses.reinforcement`)."""

from __future__ import annotations

from ..losses import reinforcement as losses
from ._register import derivative_of
from .classification import _crossentropy
from .regression import huber


@derivative_of(
    losses.policy_gradient,
    surrogate="|advantage| in place of the advantage (the Fisher form; a negative advantage makes the exact Hessian "
    "negative), and Gauss-Newton through the normalisation from probabilities",
)
def policy_gradient(y_true, y_pred, *, from_logits=False, surrogate=False, xp):
    """Crossentropy with the advantages as weights ``a``: logits ``g = A pi - a``,
    ``h = A pi (1 - pi)`` with ``A = sum(a)`` (the REINFORCE gradient); probabilities as
    :func:`~losskit.derivatives.classification.categorical_crossentropy`."""
    return _crossentropy(y_true, y_pred, from_logits=from_logits, surrogate=surrogate, xp=xp)


@derivative_of(losses.temporal_difference, surrogate="constant 1/d (the quadratic side's curvature, as for huber)")
def temporal_difference(y_true, y_pred, *, delta=1.0, surrogate=False, xp):
    """``delta=None``: ``g = (Q - target) / d``, ``h = 1 / d``; otherwise Huber's derivatives."""
    if delta is None:
        d = y_pred.shape[-1]
        return (y_pred - y_true) / d, xp.full_like(y_pred, 1.0 / d)
    return huber(y_true, y_pred, delta=delta, surrogate=surrogate, xp=xp)
