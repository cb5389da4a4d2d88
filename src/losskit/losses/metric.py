"""Metric learning: ``y_true`` holds one label per sample (samples with equal labels belong
together) and ``y_pred`` one embedding per sample, shape ``(N, D)`` (``Layout.BATCH``). Each
sample's value is computed against the **whole batch** (its positives and negatives are the other
samples), so a batch is the unit: shuffling rows between batches changes the values.

An anchor with no positive (or, for triplets, no negative) in the batch gives 0 and is left out of
the mean (the record's ``mask``, as ``ignore_class`` is). These losses have no analytic derivatives
(``derivative_source="autodiff"``): ``loss.gradient`` is exact by PyTorch or JAX autodiff, the
Hessian diagonal by one extra pass per element; NumPy arrays raise a ValueError.

Rows with -inf (the pairs an anchor may not use) never reach a ``log`` of 0: a row with nothing
to add gives -inf through a ``where``, so autodiff stays finite.
"""

from __future__ import annotations

import math

from .._array import device, logsumexp, softplus, unit_vectors
from ._domain import REAL, Intercept, Layout, Target
from ._spec import NON_NEGATIVE_NUMBER, POSITIVE_NUMBER, Check, define

_METRIC = dict(
    tasks=("similarity",),
    y_true=REAL,
    y_pred=REAL,
    target=Target.GROUPS,
    layout=Layout.BATCH,
    intercept=Intercept.ZERO,
    activations=("linear",),
    derivative_source="autodiff",
)


def _relations(y_true, xp):
    """(positive, negative) masks (N, N): same label and not the sample itself; another label."""
    n = y_true.shape[0]
    same = y_true[:, None] == y_true[None, :]
    itself = xp.eye(n, dtype=xp.bool, device=device(y_true))
    return xp.logical_and(same, xp.logical_not(itself)), xp.logical_not(same)


def _masked_logsumexp(values, mask, xp):
    """``log sum exp(values)`` over ``mask`` per row, -inf for a row with nothing (autodiff-safe)."""
    has = xp.any(mask, axis=-1)
    safe = xp.where(mask, values, xp.full_like(values, -math.inf))
    safe = xp.where(has[:, None], safe, xp.zeros_like(values))
    return xp.where(has, logsumexp(safe, xp, axis=-1), xp.full_like(has, -math.inf, dtype=values.dtype))


def _masked_mean(values, mask, xp):
    """Row means over ``mask`` (0 for an empty row)."""
    count = xp.sum(xp.astype(mask, values.dtype), axis=-1)
    total = xp.sum(xp.where(mask, values, xp.zeros_like(values)), axis=-1)
    return total / xp.where(count > 0, count, xp.ones_like(count))


def _has_positive(y_true, *, xp, **_):
    positive, _ = _relations(y_true, xp)
    return xp.any(positive, axis=-1)


def _has_triplet(y_true, *, xp, **_):
    positive, negative = _relations(y_true, xp)
    return xp.logical_and(xp.any(positive, axis=-1), xp.any(negative, axis=-1))


def _cosine_matrix(y_pred, xp):
    unit = unit_vectors(y_pred, xp)
    return xp.matmul(unit, xp.matrix_transpose(unit))


@define(
    name="ntxent",
    aliases=("nt_xent", "simclr", "normalized_temperature_cross_entropy"),
    **_METRIC,
    properties=("metric learning", "contrastive", "needs the whole batch"),
    formula="mean over positives p of -log(exp(s_ip / t) / (exp(s_ip / t) + sum over negatives n exp(s_in / t))), s the cosine",
    latex=r"\frac{1}{|P(i)|}\sum_{p\in P(i)} -\log\frac{e^{s_{ip}/\tau}}{e^{s_{ip}/\tau} + \sum_{n\in N(i)} e^{s_{in}/\tau}}",
    references=("Chen et al., A Simple Framework for Contrastive Learning of Visual Representations (SimCLR), 2020.",
                "Optax ntxent"),
    checks={"temperature": POSITIVE_NUMBER},
    mask=_has_positive,
)
def ntxent(y_true, y_pred, *, temperature=0.07, xp):
    """NT-Xent (SimCLR), as Optax's ``ntxent``: for each positive pair ``(i, p)`` the crossentropy of
    picking ``p`` against ``i``'s negatives (the other positives are not in the denominator), with
    cosine similarities over ``temperature``; a sample's value is the mean over its positives.
    Optax averages over all positive pairs, which is the same objective when every sample has the
    same number of positives (two views of each image, as in SimCLR).
    """
    positive, negative = _relations(y_true, xp)
    scaled = _cosine_matrix(y_pred, xp) / temperature
    negatives = _masked_logsumexp(scaled, negative, xp)
    pair = softplus(negatives[:, None] - scaled, xp)  # -log(e^z / (e^z + e^N)) = softplus(N - z)
    return _masked_mean(pair, positive, xp)


@define(
    name="supervised_contrastive",
    aliases=("supcon", "supervised_contrastive_loss"),
    **_METRIC,
    properties=("metric learning", "contrastive", "needs the whole batch"),
    formula="log sum_{a != i} exp(s_ia / t) - mean over positives p of s_ip / t, s the cosine",
    latex=r"-\frac{1}{|P(i)|}\sum_{p\in P(i)}\log\frac{e^{s_{ip}/\tau}}{\sum_{a\ne i} e^{s_{ia}/\tau}}",
    references=("Khosla et al., Supervised Contrastive Learning, 2020 (L_out). https://arxiv.org/abs/2004.11362",),
    checks={"temperature": POSITIVE_NUMBER},
    mask=_has_positive,
)
def supervised_contrastive(y_true, y_pred, *, temperature=0.07, xp):
    """Supervised contrastive loss (Khosla et al., ``L_out``): each sample's positives (same label)
    against every other sample of the batch, cosine similarities over ``temperature``; the mean over
    the positives of ``-log softmax``. Unlike :func:`ntxent`, the other positives are in the
    denominator. Reference code's ``base_temperature`` equal to ``temperature`` (its default).
    """
    positive, _ = _relations(y_true, xp)
    n = y_true.shape[0]
    others = xp.logical_not(xp.eye(n, dtype=xp.bool, device=device(y_true)))
    scaled = _cosine_matrix(y_pred, xp) / temperature
    normaliser = _masked_logsumexp(scaled, others, xp)
    has = xp.any(positive, axis=-1)
    value = xp.where(has, normaliser, xp.zeros_like(normaliser)) - _masked_mean(scaled, positive, xp)
    return xp.where(has, value, xp.zeros_like(value))


MINING = Check(lambda v: v in ("batch_all", "semi_hard"), "'batch_all' or 'semi_hard'")


def _distances(y_pred, p, xp):
    """``(sum |x_i - x_j|^p + 1e-6)^(1/p)``, (N, N): Optax's distance (finite gradient at 0)."""
    difference = xp.abs(y_pred[:, None, :] - y_pred[None, :, :])
    return (xp.sum(difference**p, axis=-1) + 1e-6) ** (1.0 / p)


@define(
    name="triplet_margin",
    aliases=("triplet", "triplet_loss", "triplet_margin_loss"),
    **_METRIC,
    properties=("metric learning", "margin-based triplets", "needs the whole batch"),
    formula="batch_all: mean over (p, n) of max(0, D_ip - D_in + margin); semi_hard: mean over p of the FaceNet negative",
    latex=r"\max\big(0,\ D(x_i, x_p) - D(x_i, x_n) + m\big)",
    references=("Schroff et al., FaceNet, 2015 (semi-hard mining).", "Hermans et al., In Defense of the Triplet Loss, 2017.",
                "Optax triplet_margin_loss; torch.nn.TripletMarginLoss"),
    checks={"margin": NON_NEGATIVE_NUMBER, "p": POSITIVE_NUMBER, "mining": MINING},
    mask=_has_triplet,
)
def triplet_margin(y_true, y_pred, *, margin=1.0, p=2.0, mining="batch_all", xp):
    """Triplet margin loss with triplets mined from the batch's labels, distances
    ``(sum |a - b|^p + 1e-6)^(1/p)`` (Optax's ``triplet_margin_loss`` of each triplet).

    ``mining="batch_all"``: every (positive, negative) of the anchor, the mean of
    ``max(0, D_ap - D_an + margin)`` (zeros included). ``"semi_hard"`` (FaceNet; TensorFlow
    Addons' rule): for each positive, the closest negative farther than it, or the farthest negative
    when none is; the mean over the positives.
    """
    positive, negative = _relations(y_true, xp)
    distance = _distances(y_pred, p, xp)
    d_ap = distance[:, :, None]  # anchor i, positive j, negative k
    d_an = distance[:, None, :]
    if mining == "batch_all":
        valid = xp.logical_and(positive[:, :, None], negative[:, None, :])
        hinge = xp.clip(d_ap - d_an + margin, min=0.0)
        count = xp.sum(xp.astype(valid, y_pred.dtype), axis=(1, 2))
        total = xp.sum(xp.where(valid, hinge, xp.zeros_like(hinge)), axis=(1, 2))
        return total / xp.where(count > 0, count, xp.ones_like(count))
    beyond = xp.logical_and(negative[:, None, :], d_an > d_ap)
    inf = xp.full_like(d_ap + d_an, math.inf)
    closest_beyond = xp.min(xp.where(beyond, d_an + xp.zeros_like(d_ap), inf), axis=-1)
    farthest = xp.max(xp.where(negative[:, None, :], d_an + xp.zeros_like(d_ap), -inf), axis=-1)
    chosen = xp.where(xp.any(beyond, axis=-1), closest_beyond, farthest)
    usable = xp.logical_and(positive, xp.any(negative, axis=-1)[:, None])
    chosen = xp.where(usable, chosen, distance)  # unused pairs: a finite stand-in, masked below
    return _masked_mean(xp.clip(distance - chosen + margin, min=0.0), usable, xp)


@define(
    name="circle",
    aliases=("circle_loss",),
    **_METRIC,
    properties=("metric learning", "pairwise similarities", "needs the whole batch"),
    formula="softplus(logsumexp_p(-gamma a_p (delta_p - d_p)) + logsumexp_n(gamma a_n (delta_n - d_n))), d = 1 - cosine",
    latex=r"\log\Big(1 + \sum_{n} e^{\gamma \alpha_n (s_n - \Delta_n)} \sum_{p} e^{-\gamma \alpha_p (s_p - \Delta_p)}\Big)",
    references=("Sun et al., Circle Loss: A Unified Perspective of Pair Similarity Optimization, 2020.", "keras.losses.Circle"),
    checks={"gamma": POSITIVE_NUMBER, "margin": NON_NEGATIVE_NUMBER},
    mask=_has_positive,
)
def circle(y_true, y_pred, *, gamma=80.0, margin=0.4, xp):
    """Circle loss (Sun et al.), as Keras 3's ``circle`` with ``remove_diagonal=True``: each pair's
    cosine distance ``d = max(1 - cos, 0)`` weighted by how far it is from its optimum, positives
    pulled below ``margin`` and negatives pushed above ``1 - margin``. losskit normalises the
    embeddings itself (Keras expects L2-normalised ones; the same values for those).
    """
    positive, negative = _relations(y_true, xp)
    distance = xp.clip(1.0 - _cosine_matrix(y_pred, xp), min=0.0)
    pos_weight = xp.clip(margin + distance, min=0.0)
    neg_weight = xp.clip(1.0 + margin - distance, min=0.0)
    pos_term = -gamma * pos_weight * (margin - distance)
    neg_term = gamma * neg_weight * ((1.0 - margin) - distance)
    total = _masked_logsumexp(pos_term, positive, xp) + _masked_logsumexp(neg_term, negative, xp)
    return softplus(total, xp)
