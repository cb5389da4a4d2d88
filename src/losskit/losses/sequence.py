"""Sequence losses: CTC, the likelihood of a label sequence summed over its alignments to frames.

``y_true`` holds integer label sequences padded with -1, shape ``(N, S)``; ``y_pred`` per-frame
logits, shape ``(N, T, C)``, class ``blank`` the CTC blank; one value per sequence. The forward
recursion runs in log space over the ``2 S + 1`` states (blank, label, blank, ...), a Python loop
over the ``T`` frames; unreachable states are -inf and never reach a ``log`` of 0, so autodiff is
finite wherever the loss is. CTC has no analytic derivatives (``derivative_source="autodiff"``).
"""

from __future__ import annotations

import math

from .._array import device, log_softmax, one_hot
from ._domain import PADDED_LABELS, REAL_OR_MINUS_INF, Intercept, Layout, Target
from ._spec import Check, define


def _logsumexp_stacked(terms, xp):
    """log(sum(exp)) over the stacked last axis; -inf where every term is (and a finite gradient)."""
    high = xp.max(terms, axis=-1)
    finite = xp.logical_not(high == -math.inf)  # a NaN stays NaN
    safe_high = xp.where(finite, high, xp.zeros_like(high))
    total = xp.sum(xp.exp(terms - safe_high[..., None]), axis=-1)
    return xp.where(finite, safe_high + xp.log(xp.where(finite, total, xp.ones_like(total))), xp.full_like(high, -math.inf))


def _shift(alpha, by, xp):
    """``alpha`` moved ``by`` states to the right along the last axis, -inf coming in."""
    pad = xp.full_like(alpha[..., :by], -math.inf)
    return xp.concat([pad, alpha[..., :-by]], axis=-1)


@define(
    name="ctc",
    aliases=("ctc_loss", "connectionist_temporal_classification"),
    tasks=("sequence",),
    y_true=PADDED_LABELS,
    y_pred=REAL_OR_MINUS_INF,
    target=Target.LABEL_SEQUENCES,
    layout=Layout.SEQUENCE,
    intercept=Intercept.ZERO,
    activations=("linear",),
    derivative_source="autodiff",
    properties=("probabilistic", "alignment-free", "takes logits"),
    formula="-log sum over alignments a of prod_t softmax(y_pred)[t, a_t], a collapsing (repeats, then blanks) to y_true",
    latex=r"-\log \sum_{a \in \mathcal{B}^{-1}(y)} \prod_{t=1}^{T} p_t(a_t)",
    references=("Graves et al., Connectionist Temporal Classification, 2006.", "torch.nn.functional.ctc_loss", "keras.losses.CTC"),
    checks={"blank": Check(lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "a class index >= 0")},
)
def ctc(y_true, y_pred, *, blank=0, zero_infinity=False, xp):
    """Connectionist temporal classification loss of logits: PyTorch's ``F.ctc_loss`` of
    ``log_softmax(y_pred)`` with every frame used (``input_lengths = T``) and ``target_lengths``
    the labels before the -1 padding, ``reduction="none"``. A sequence no alignment can produce
    (too long for ``T`` frames) costs inf, or 0 with ``zero_infinity=True`` (PyTorch's option).
    """
    n, frames, classes = y_pred.shape
    labels = y_true
    valid = labels >= 0
    length = xp.sum(xp.astype(valid, xp.int64), axis=-1)
    symbols = xp.where(valid, labels, xp.full_like(labels, blank))
    # the extended sequence: blank, l1, blank, l2, ..., blank (2S + 1 states)
    states = xp.reshape(xp.stack([xp.full_like(symbols, blank), symbols], axis=-1), (n, -1))
    states = xp.concat([states, xp.full_like(states[:, :1], blank)], axis=-1)
    emissions = xp.matmul(log_softmax(y_pred, xp), xp.matrix_transpose(one_hot(states, classes, xp, dtype=y_pred.dtype)))
    count = states.shape[-1]
    index = xp.arange(count, device=device(y_pred))
    previous = xp.concat([xp.full_like(states[:, :2], -1), states[:, :-2]], axis=-1)
    skip = xp.logical_and(states != blank, states != previous)
    minus_inf = xp.full_like(emissions[:, 0, :], -math.inf)
    alpha = xp.where(index[None, :] < 2, emissions[:, 0, :], minus_inf)
    alpha = xp.where(xp.logical_and(index[None, :] == 1, length[:, None] == 0), minus_inf, alpha)
    for t in range(1, frames):
        stay, step = alpha, _shift(alpha, 1, xp)
        jump = xp.where(skip, _shift(alpha, 2, xp), minus_inf)
        alpha = _logsumexp_stacked(xp.stack([stay, step, jump], axis=-1), xp) + emissions[:, t, :]
    last = 2 * length[:, None]
    ends = xp.logical_or(index[None, :] == last, index[None, :] == last - 1)
    log_likelihood = _logsumexp_stacked(xp.where(ends, alpha, minus_inf), xp)
    loss = -log_likelihood
    if zero_infinity:
        infinite = xp.isinf(loss)
        loss = xp.where(infinite, xp.zeros_like(loss), loss)
    return loss
