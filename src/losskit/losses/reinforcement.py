"""Reinforcement-learning losses, in the ``f(y_true, y_pred)`` form every losskit loss has.

The return, advantage or TD target is computed by the caller (held fixed, as a target
network's output is), so these losses fit any training loop, Keras' ``fit`` included.
"""

from __future__ import annotations

from ._domain import REAL, UNIT, Intercept, Target
from ._link import SOFTMAX
from ._spec import OPTIONAL_POSITIVE, define
from .crossentropy import weighted_crossentropy, weighted_crossentropy_derivatives
from .regression import _huber_derivatives, huber_terms


@define(
    name="policy_gradient",
    aliases=("reinforce",),
    tasks=("reinforcement",),
    y_true=REAL,
    y_pred=UNIT,
    target=Target.ADVANTAGES,
    link=SOFTMAX,
    intercept=Intercept.ZERO,
    activations=("softmax",),
    properties=("policy optimisation", "can be negative"),
    formula="-sum(y_true * log pi), y_true = one_hot(action) * advantage",
    latex=r"-A(s,a)\,\log\pi(a\mid s)",
    references=("Williams, Simple statistical gradient-following algorithms, 1992.",),
)
def policy_gradient(y_true, y_pred, *, from_logits=False, xp):
    """REINFORCE: ``-log pi(a|s) * advantage``, whose gradient is the policy gradient.

    ``y_pred`` is the policy over actions, shape ``(..., A)`` (logits with ``from_logits``;
    ``-inf`` masks an invalid action). ``y_true`` has the same shape: the advantage (or return)
    at the action taken and 0 elsewhere, i.e. ``to_categorical(actions) * advantage[:, None]``.
    """
    return weighted_crossentropy(y_true, y_pred, from_logits, xp)


@policy_gradient.derivatives(
    surrogate="|advantage| in place of the advantage (the Fisher form; a negative advantage makes the exact Hessian "
    "negative), and Gauss-Newton through the normalisation from probabilities",
)
def _policy_gradient_derivatives(y_true, y_pred, *, from_logits, surrogate, xp):
    """Crossentropy with the advantages as weights ``a``: logits ``g = A pi - a``,
    ``h = A pi (1 - pi)`` with ``A = sum(a)`` (the REINFORCE gradient); probabilities as
    :func:`~losskit.derivatives.classification.categorical_crossentropy`."""
    return weighted_crossentropy_derivatives(y_true, y_pred, from_logits=from_logits, surrogate=surrogate, xp=xp)


@define(
    name="temporal_difference",
    aliases=("td", "td_error"),
    tasks=("reinforcement",),
    y_true=REAL,
    y_pred=REAL,
    target=Target.REAL,
    intercept=Intercept.MEDIAN,
    activations=("linear",),
    properties=("value learning", "robust to outliers (Huber form)"),
    formula="mean(huber_delta(y_true - y_pred)); delta=None: mean(0.5 (y_true - y_pred)^2)",
    latex=r"\frac{1}{d}\sum_j \ell_\delta\big(r + \gamma \max_{a'} Q'(s', a') - Q(s, a)\big)",
    references=("Mnih et al., Human-level control through deep reinforcement learning, 2015.",),
    checks={"delta": OPTIONAL_POSITIVE},
)
def temporal_difference(y_true, y_pred, *, delta=1.0, xp):
    """Q-learning TD loss: ``y_true`` is the TD target ``r + gamma * (1 - done) * max Q'(s', .)``,
    ``y_pred`` is ``Q(s, a)`` of the action taken. The TD error goes through a Huber loss with
    ``delta`` (DQN's choice, as rlax's ``huber_loss``), or ``0.5 * error**2`` with ``delta=None``.
    """
    error = xp.abs(y_true - y_pred)
    if delta is None:
        return xp.mean(0.5 * xp.square(error), axis=-1)
    return xp.mean(huber_terms(error, delta, xp), axis=-1)


@temporal_difference.derivatives(surrogate="constant 1/d (the quadratic side's curvature, as for huber)")
def _temporal_difference_derivatives(y_true, y_pred, *, delta, surrogate, xp):
    """``delta=None``: ``g = (Q - target) / d``, ``h = 1 / d``; otherwise Huber's derivatives."""
    if delta is None:
        d = y_pred.shape[-1]
        return (y_pred - y_true) / d, xp.full_like(y_pred, 1.0 / d)
    return _huber_derivatives(y_true, y_pred, delta=delta, surrogate=surrogate, xp=xp)
