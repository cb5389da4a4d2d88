"""Ranking losses as gradient-boosting objectives with query groups (XGBoost ``qid``/``group``,
LightGBM ``Dataset(group=...)``).

A ranking loss (``Target.RELEVANCE``: ``pairwise_logistic``, ``ranking_softmax``, ``pairwise_hinge``,
``listmle``) takes one list per row. A booster passes its margins flat, one per document, with
the documents of a query next to each other; the query groups come from the data
(``DMatrix.get_group()``, ``Dataset.get_group()``: the group sizes), from LightGBM's scikit-learn
API (``objective(y_true, y_pred, weight, group)``) or from ``objective(..., group=sizes)``.

Each group is one list: the gradient and Hessian diagonal of ``sum over groups of w_g * loss(
relevance_g, margins_g)`` come from the loss's analytic derivatives (losses/ranking.py), evaluated
on all groups of one size at once (an ``(groups, size)`` array per distinct size, so a data set
of equal-sized queries costs one call). The Hessian is the loss's positive surrogate, floored at
1e-16, as for every objective (:mod:`._margin`): a document in no ordered pair (every document of
its query equally relevant) gets a zero gradient and the floor.

Weights follow XGBoost's ranking convention, one per query group; per-document weights
(LightGBM's) are accepted when they are constant within each group (a pair loss has no
per-document weight).
"""

from __future__ import annotations

import numpy as np

from ..losses._domain import Target
from ..registry import get
from ._margin import is_library_data


def is_ranking(loss, options: dict, *, caller: str, group=None) -> bool:
    """Whether ``loss`` (anything :func:`losskit.get` takes) is a built-in ranking loss; ``group``
    (the query group sizes) is refused for any other loss."""
    loss = get(loss, **options)
    ranking = loss.spec is not None and loss.spec.target is Target.RELEVANCE
    if group is not None and not ranking:
        raise ValueError(
            f"{caller}: {loss.name}: `group` (query group sizes) is for ranking losses (pairwise_logistic, "
            "ranking_softmax, pairwise_hinge, listmle); got group sizes for a loss of one value per row"
        )
    return ranking


class RankingLoss:
    """A ranking loss over query groups of flat margins; ``caller`` names the public function in
    error messages, ``group`` is the group sizes when the data will not carry them."""

    def __init__(self, loss, options: dict, *, caller: str, group=None):
        self.caller = caller
        self.loss = get(loss, reduction="mean_with_sample_weight", **options)
        self.name = self.loss.name
        self.group = None if group is None else self._sizes(group, "group")

    def _sizes(self, group, arg: str) -> np.ndarray:
        sizes = np.asarray(group).reshape(-1)
        numeric = sizes.dtype.kind in "iuf" and sizes.size > 0
        if not (numeric and np.all(sizes == np.floor(sizes)) and np.all(sizes >= 1)):
            raise ValueError(
                f"{self.caller}: {self.name}: `{arg}` must be the query group sizes, positive integers; got {_short(sizes)}"
            )
        return sizes.astype(np.int64)

    def groups(self, data_group, n: int) -> np.ndarray:
        """The group sizes for ``n`` documents: the data's (or the caller's), summing to ``n``."""
        sizes = self.group if data_group is None or np.size(data_group) == 0 else self._sizes(data_group, "group")
        if sizes is None:
            raise ValueError(
                f"{self.caller}: {self.name} is a ranking loss and needs the query groups; got none. Give the data "
                "its groups (xgboost.DMatrix(..., qid=...) or group=..., lightgbm.Dataset(..., group=...)) or pass "
                "`group=` (the group sizes) to the objective"
            )
        if int(sizes.sum()) != n:
            raise ValueError(
                f"{self.caller}: {self.name}: the query groups must cover every document: sizes summing to {n}; "
                f"got {sizes.size} groups summing to {int(sizes.sum())}"
            )
        return sizes

    def group_weights(self, weights, sizes: np.ndarray):
        """One weight per group (or None): XGBoost's per-group weights, or LightGBM's per-document
        ones when constant within each group."""
        if weights is None or np.size(weights) == 0:
            return None
        weights = np.asarray(weights, dtype=np.float64).reshape(-1)
        if weights.size == sizes.size:
            return weights
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        if weights.size == sizes.sum() and np.all(weights == np.repeat(weights[starts], sizes)):
            return weights[starts]
        raise ValueError(
            f"{self.caller}: {self.name}: `weight` must hold one weight per query group ({sizes.size}), or per document "
            f"({int(sizes.sum())}) constant within each group; got {weights.size} weights"
        )

    def _lists(self, labels, margins, weights, data_group):
        """``(dtype, [(document indices (g, size), relevance, margins, weights or None) per size])``."""
        margins = np.asarray(margins)
        dtype = margins.dtype if margins.dtype in (np.float32, np.float64) else np.float64
        flat = margins.reshape(-1).astype(dtype, copy=False)
        labels = np.asarray(labels, dtype=dtype).reshape(-1)
        if labels.size != flat.size:
            raise ValueError(
                f"{self.caller}: {self.name}: `labels` must hold one relevance per document ({flat.size}); got {labels.size}"
            )
        sizes = self.groups(data_group, flat.size)
        per_group = self.group_weights(weights, sizes)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        lists = []
        for size in np.unique(sizes):
            chosen = sizes == size
            index = starts[chosen][:, None] + np.arange(size)
            lists.append((index, labels[index], flat[index], None if per_group is None else per_group[chosen].astype(dtype)))
        return flat, lists

    def gradient_hessian(self, labels, margins, weights=None, data_group=None):
        """``(grad, hess)`` of the weighted sum of the per-group losses, in the margins' shape."""
        flat, lists = self._lists(labels, margins, weights, data_group)
        grad, hess = np.empty_like(flat), np.empty_like(flat)
        for index, relevance, scores, w in lists:
            g, h = self.loss.gradient_hessian(relevance, scores, w, surrogate=True)
            grad[index], hess[index] = g, h
        shape = np.shape(margins)
        return grad.reshape(shape), hess.reshape(shape)

    def value(self, labels, margins, weights=None, data_group=None) -> float:
        """The mean of the per-group losses (weighted: ``sum(w l) / sum(w)``)."""
        _, lists = self._lists(labels, margins, weights, data_group)
        total = weight_sum = 0.0
        for _, relevance, scores, w in lists:
            values = np.asarray(self.loss.values(relevance, scores), dtype=np.float64)
            w = np.ones_like(values) if w is None else w
            total += float(np.sum(w * values))
            weight_sum += float(np.sum(w))
        return total / weight_sum


def _short(x) -> str:
    text = np.array2string(np.asarray(x), threshold=6)
    return text if len(text) <= 60 else text[:57] + "..."


def _arguments(margins_or_y_true, data_or_y_pred, weight, group):
    """``(labels, margins, weights, group)`` from ``(margins, DMatrix/Dataset)`` or the
    scikit-learn form ``(y_true, y_pred, weight, group)``."""
    if is_library_data(data_or_y_pred):
        data = data_or_y_pred
        return data.get_label(), margins_or_y_true, data.get_weight(), data.get_group()
    return margins_or_y_true, data_or_y_pred, weight, group


class RankingObjective:
    """``objective(margins, data) -> (grad, hess)`` with the groups of an ``xgboost.DMatrix`` or a
    ``lightgbm.Dataset``, or ``objective(y_true, y_pred, weight, group)`` (LightGBM's scikit-learn
    form, which passes the groups to a four-argument objective)."""

    def __init__(self, ranking_loss: RankingLoss):
        self.ranking_loss = ranking_loss
        self.__name__ = ranking_loss.name

    def __call__(self, margins_or_y_true, data_or_y_pred, weight=None, group=None):
        return self.ranking_loss.gradient_hessian(*_arguments(margins_or_y_true, data_or_y_pred, weight, group))

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{type(self).__name__}({self.ranking_loss.loss!r})"


class RankingMetric:
    """The mean per-group loss at the margins: :meth:`value` takes the objective's arguments."""

    def __init__(self, ranking_loss: RankingLoss):
        self.ranking_loss = ranking_loss
        self.__name__ = ranking_loss.name

    def value(self, margins_or_y_true, data_or_y_pred, weight=None, group=None) -> float:
        return self.ranking_loss.value(*_arguments(margins_or_y_true, data_or_y_pred, weight, group))

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{type(self).__name__}({self.ranking_loss.loss!r})"
