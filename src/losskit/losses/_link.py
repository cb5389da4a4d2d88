"""Links: how a model's raw outputs map to the predictions a loss measures.

scikit-learn's ``BaseLink`` with the loss option that selects it. A loss with a raw-output form
(``from_logits=True``, ``log_input=True``) takes ``link(prediction)`` instead of the prediction;
``link.inverse(raw)`` turns raw outputs back into predictions (sigmoid, softmax, exp). For every
such loss, ``loss_raw(y, raw) == loss(y, link.inverse(raw))`` wherever both are finite.

=================  ===================  ===============================  ==========================
link               option               inverse (raw -> prediction)      link (prediction -> raw)
=================  ===================  ===============================  ==========================
``identity``       none                 ``raw``                          ``prediction``
``logit``          ``from_logits``      ``sigmoid(raw)``                 ``log(p) - log(1 - p)``
``softmax``        ``from_logits``      ``softmax(raw)``                 ``log(p)``
``log``            ``log_input``        ``exp(raw)``                     ``log(mu)``
``log_softmax``    ``log_input``        ``softmax(raw)``                 ``log(p)``
``log_variance``   ``log_input``        means, ``exp`` of the rest       means, ``log`` of the rest
=================  ===================  ===============================  ==========================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from .. import _array
from ._domain import LOG_PROBABILITY, REAL, REAL_OR_MINUS_INF, Interval


@dataclass(frozen=True)
class Link:
    """A link function, with the option that puts a loss on its raw scale.

    ``name``: the link's name. ``option``: the loss option that makes ``y_pred`` raw outputs
    (None: the loss has no raw-output form). ``activation``: the final activation the inverse
    link stands for (what a model without the option must end in). ``raw_activations``: what
    a model feeding the raw form ends in. ``raw_domain``: ``y_pred``'s domain with the option on.
    ``prediction_range``: where the forward link is finite, ``(low, high)`` (an intercept's mean
    is clipped into it).
    """

    name: str
    option: str | None
    activation: str
    raw_activations: tuple[str, ...]
    raw_domain: Interval | None
    prediction_range: tuple[float, float]
    _inverse: Callable
    _forward: Callable

    def inverse(self, raw):
        """Raw model outputs -> the predictions the loss measures (in ``raw``'s namespace)."""
        xp = _array.namespace(raw)
        return self._inverse(_as_float(_array.asarray(raw, xp), xp), xp)

    def __call__(self, prediction):
        """Predictions -> raw outputs: the inverse of :meth:`inverse`."""
        xp = _array.namespace(prediction)
        return self._forward(_as_float(_array.asarray(prediction, xp), xp), xp)

    def __repr__(self) -> str:
        return f"Link({self.name!r})"


def _as_float(x, xp):
    return x if xp.isdtype(x.dtype, "real floating") else xp.astype(x, xp.asarray(0.0).dtype)


def _logit(p, xp):
    return xp.log(p) - xp.log1p(-p)


def _halves(x, xp):
    d = x.shape[-1] // 2
    return x[..., :d], x[..., d:]


def _exp_of_variances(raw, xp):
    means, log_variances = _halves(raw, xp)
    return xp.concat([means, xp.exp(log_variances)], axis=-1)


def _log_of_variances(prediction, xp):
    means, variances = _halves(prediction, xp)
    return xp.concat([means, xp.log(variances)], axis=-1)


def _same(x, xp):
    return x


IDENTITY = Link("identity", None, "linear", ("linear",), None, (-math.inf, math.inf), _same, _same)
LOGIT = Link(
    "logit", "from_logits", "sigmoid", ("linear",), REAL, (_array.EPSILON, 1.0 - _array.EPSILON),
    lambda x, xp: _array.sigmoid(x, xp), _logit,
)  # fmt: skip
SOFTMAX = Link(
    "softmax", "from_logits", "softmax", ("linear",), REAL_OR_MINUS_INF, (_array.EPSILON, 1.0),
    lambda x, xp: _array.softmax(x, xp), lambda p, xp: xp.log(p),
)  # fmt: skip
LOG = Link("log", "log_input", "exponential", ("linear",), REAL, (_array.EPSILON, math.inf), lambda x, xp: xp.exp(x), lambda m, xp: xp.log(m))
LOG_SOFTMAX = Link(
    "log_softmax", "log_input", "softmax", ("log_softmax",), LOG_PROBABILITY, (_array.EPSILON, 1.0),
    lambda x, xp: _array.softmax(x, xp), lambda p, xp: xp.log(p),
)  # fmt: skip
LOG_VARIANCE = Link(
    "log_variance", "log_input", "linear+softplus", ("linear",), REAL, (_array.EPSILON, math.inf),
    _exp_of_variances, _log_of_variances,
)  # fmt: skip
