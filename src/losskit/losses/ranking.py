"""Ranking losses: ``y_true`` holds the graded relevance (>= 0) of each item of a list and
``y_pred`` the model's scores, one list per row (the last axis); one value per list. Each value
kernel has its gradient and Hessian diagonal below it, written for GBDT learners (a query group is
a list).

Pairwise losses compare every ordered pair ``(i, j)`` with ``y_i > y_j`` (a more relevant item
first) through the score difference ``s_i - s_j``; a list's value is the **sum** over its pairs
(RankNet, XGBoost's ``rank:pairwise``), 0 for a list without such a pair. The pairs are an
``(..., n, n)`` array: lists of a few hundred items cost a few hundred kilobytes each.
"""

from __future__ import annotations

import math

from .._array import device, log_sigmoid, log_softmax, logsumexp
from ._domain import NON_NEGATIVE, REAL, Intercept, Target
from ._spec import NON_NEGATIVE_NUMBER, define
from .crossentropy import weighted_crossentropy_derivatives

_RANKING = dict(
    tasks=("ranking",),
    y_true=NON_NEGATIVE,
    y_pred=REAL,
    target=Target.RELEVANCE,
    intercept=Intercept.ZERO,  # scores are shift-invariant within a list
    activations=("linear",),
)


def _pairs(y_true, y_pred, xp):
    """(weights ``[y_i > y_j]``, differences ``s_i - s_j``), shapes ``(..., n, n)``."""
    ahead = xp.astype(y_true[..., :, None] > y_true[..., None, :], y_pred.dtype)
    return ahead, y_pred[..., :, None] - y_pred[..., None, :]


def _both_ends(pair_terms, xp):
    """Per item: the sum of a pair quantity where it is the first item, and where it is the second."""
    return xp.sum(pair_terms, axis=-1), xp.sum(pair_terms, axis=-2)


@define(
    name="ranking_softmax",
    aliases=("listnet", "softmax_ranking", "ranking_softmax_loss"),
    **_RANKING,
    properties=("listwise", "convex", "one list per row"),
    formula="-sum(y_true * log_softmax(y_pred))",
    latex=r"-\sum_i y_i \log\frac{e^{s_i}}{\sum_j e^{s_j}}",
    references=("Cao et al., Learning to rank: from pairwise approach to listwise approach (ListNet), 2007.",
                "Optax ranking_softmax_loss"),
)
def ranking_softmax(y_true, y_pred, *, xp):
    """Softmax (ListNet) ranking loss, Optax's ``ranking_softmax_loss`` per list: the crossentropy of
    the scores' softmax against the relevance, unnormalised (a list's relevance is not rescaled to
    sum to 1, as in Optax). A list with no relevant item gives 0. Exact for scores of any size.
    """
    return -xp.sum(y_true * log_softmax(y_pred, xp), axis=-1)


@ranking_softmax.derivatives()
def _ranking_softmax_derivatives(y_true, y_pred, *, xp):
    """``g = A p - y``, ``h = A p (1 - p)``, ``p = softmax(s)``, ``A = sum(y)`` (convex: exact)."""
    return weighted_crossentropy_derivatives(y_true, y_pred, from_logits=True, surrogate=False, xp=xp)


@define(
    name="pairwise_logistic",
    aliases=("ranknet", "pairwise_logistic_loss"),
    **_RANKING,
    properties=("pairwise", "convex", "smooth", "one list per row"),
    formula="sum over pairs with y_i > y_j of log(1 + exp(-(s_i - s_j)))",
    latex=r"\sum_{i,j:\,y_i>y_j} \log\big(1 + e^{-(s_i - s_j)}\big)",
    references=("Burges et al., Learning to rank using gradient descent (RankNet), 2005.",
                "TF-Ranking PairwiseLogisticLoss"),
)
def pairwise_logistic(y_true, y_pred, *, xp):
    """Pairwise logistic (RankNet) loss: every pair whose order the relevance fixes pays the
    logistic loss of its score difference; ``softplus`` keeps differences of any size exact.
    Shapes ``(..., n) -> (...)``.
    """
    ahead, difference = _pairs(y_true, y_pred, xp)
    return xp.sum(ahead * -log_sigmoid(difference, xp), axis=(-2, -1))


@pairwise_logistic.derivatives()
def _pairwise_logistic_derivatives(y_true, y_pred, *, xp):
    """With ``w_ij = [y_i > y_j]``, ``d_ij = s_i - s_j``: ``g_k = -sum_j w_kj sigmoid(-d_kj) +
    sum_i w_ik sigmoid(-d_ik)``, ``h_k = sum_j w_kj q_kj + sum_i w_ik q_ik``, ``q = sigmoid(d)
    sigmoid(-d)`` (convex: exact; LightGBM's lambdarank without the NDCG weights)."""
    ahead, difference = _pairs(y_true, y_pred, xp)
    pull = ahead * xp.exp(log_sigmoid(-difference, xp))
    curvature = ahead * xp.exp(log_sigmoid(difference, xp) + log_sigmoid(-difference, xp))
    first, second = _both_ends(pull, xp)
    h_first, h_second = _both_ends(curvature, xp)
    return second - first, h_first + h_second


@define(
    name="pairwise_hinge",
    aliases=("pairwise_hinge_loss", "ranking_svm"),
    **_RANKING,
    properties=("pairwise", "convex", "non-smooth", "margin-based", "one list per row"),
    formula="sum over pairs with y_i > y_j of max(0, margin - (s_i - s_j))",
    latex=r"\sum_{i,j:\,y_i>y_j} \max\big(0,\ m - (s_i - s_j)\big)",
    references=("Herbrich et al., Large margin rank boundaries for ordinal regression (RankSVM), 2000.",
                "TF-Ranking PairwiseHingeLoss; torch.nn.MarginRankingLoss per pair"),
    checks={"margin": NON_NEGATIVE_NUMBER},
)
def pairwise_hinge(y_true, y_pred, *, margin=1.0, xp):
    """Pairwise hinge (RankSVM) loss: every pair whose order the relevance fixes must be separated
    by ``margin`` (PyTorch's ``MarginRankingLoss(margin)`` of ``(s_i, s_j, 1)``, summed over pairs).
    """
    ahead, difference = _pairs(y_true, y_pred, xp)
    return xp.sum(ahead * xp.clip(margin - difference, min=0.0), axis=(-2, -1))


@pairwise_hinge.derivatives(surrogate="the number of ordered pairs the item is in (the L1 surrogate per pair; the exact Hessian is 0)")
def _pairwise_hinge_derivatives(y_true, y_pred, *, margin, surrogate, xp):
    """With ``a_ij = w_ij [margin - d_ij >= 0]`` (the edge included, as autodiff of the clip):
    ``g_k = sum_i a_ik - sum_j a_kj``; ``h = 0``."""
    ahead, difference = _pairs(y_true, y_pred, xp)
    active = ahead * xp.astype(margin - difference >= 0, y_pred.dtype)
    first, second = _both_ends(active, xp)
    if surrogate:
        in_pairs, behind = _both_ends(ahead, xp)
        return second - first, in_pairs + behind
    return second - first, xp.zeros_like(y_pred)


def _listmle_terms(y_true, y_pred, xp):
    """(``after``, ``c``): ``after[k, j] = 1`` where item ``j`` is at or after item ``k`` in the
    order of decreasing relevance (ties by position), and ``c_k = log sum_{j after k} exp(s_j)``."""
    n = y_pred.shape[-1]
    position = xp.arange(n, device=device(y_pred))
    same = y_true[..., :, None] == y_true[..., None, :]
    later = position[:, None] <= position[None, :]
    after = xp.logical_or(y_true[..., :, None] > y_true[..., None, :], xp.logical_and(same, later))
    scores = xp.where(after, y_pred[..., None, :], xp.full_like(after, -math.inf, dtype=y_pred.dtype))
    return after, logsumexp(scores, xp, axis=-1)


@define(
    name="listmle",
    aliases=("list_mle", "listmle_loss"),
    **_RANKING,
    properties=("listwise", "convex", "smooth", "one list per row"),
    formula="sum_k (logsumexp(s_{pi_k}, ..., s_{pi_n}) - s_{pi_k}), pi the items by decreasing relevance",
    latex=r"\sum_{k=1}^{n}\Big(\log\sum_{j=k}^{n} e^{s_{\pi_j}} - s_{\pi_k}\Big)",
    references=("Xia et al., Listwise approach to learning to rank (ListMLE), 2008.", "TF-Ranking ListMLELoss"),
)
def listmle(y_true, y_pred, *, xp):
    """ListMLE (Xia et al.; TF-Ranking's ``ListMLELoss``): the negative log-likelihood of the order
    of decreasing relevance under the Plackett-Luce model of the scores. Ties keep their positions
    (TF-Ranking shuffles them at random). Written with an ``(n, n)`` "at or after" relation instead
    of a sort, so it runs on every array library and its gradient needs no gather.
    """
    _, tail = _listmle_terms(y_true, y_pred, xp)
    return xp.sum(tail - y_pred, axis=-1)


@listmle.derivatives()
def _listmle_derivatives(y_true, y_pred, *, xp):
    """With ``p_km = exp(s_m - c_k)`` for ``m`` at or after ``k`` (the softmax of stage ``k``):
    ``g_m = sum_k p_km - 1``, ``h_m = sum_k p_km (1 - p_km)`` (convex: exact)."""
    after, tail = _listmle_terms(y_true, y_pred, xp)
    exponent = xp.where(after, y_pred[..., None, :] - tail[..., :, None], xp.full_like(after, -math.inf, dtype=y_pred.dtype))
    stage = xp.exp(exponent)
    return xp.sum(stage, axis=-2) - 1.0, xp.sum(stage * (1.0 - stage), axis=-2)
