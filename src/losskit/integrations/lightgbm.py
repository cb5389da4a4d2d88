"""Any losskit loss as a LightGBM custom objective, evaluation metric and ``init_score``.

>>> import lightgbm as lgb
>>> from losskit import lightgbm as lkl
>>> init = lkl.init_score("huber", y, delta=1.0)
>>> booster = lgb.train({"objective": lkl.objective("huber", delta=1.0), "metric": "None"},
...                     lgb.Dataset(X, label=y, init_score=init), 50,
...                     feval=lkl.metric("huber", delta=1.0))  # doctest: +SKIP
>>> margins = booster.predict(X_new, raw_score=True) + init[0]  # doctest: +SKIP

LightGBM's conventions (>= 4): the objective is a parameter, called ``objective(preds, dataset)``
with raw scores of shape ``(n,)``, or ``(n, k)`` with ``num_class=k`` (labels are class indices),
and returns ``(grad, hess)`` in that shape; weights are ``dataset.get_weight()``. With a custom
objective LightGBM starts from 0 and its predictions leave ``init_score`` out: add it back. The
loss's margin form and the surrogate Hessian are described in :mod:`._margin`.
"""

from __future__ import annotations

import numpy as np

from ._margin import MarginLoss, Metric, Objective
from ._ranking import RankingLoss, RankingMetric, RankingObjective, is_ranking
from .intercept import optimal_constant

__all__ = ["objective", "metric", "init_score", "LGBMClassifier", "LGBMRegressor"]


def __getattr__(name: str):
    """``LGBMClassifier`` and ``LGBMRegressor`` import LightGBM and scikit-learn, so only on first use."""
    if name in ("LGBMClassifier", "LGBMRegressor"):
        from . import _lightgbm_estimators

        return getattr(_lightgbm_estimators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def objective(loss, *, group=None, **options) -> Objective | RankingObjective:
    """LightGBM's custom objective for ``loss`` (a name, a Loss or a callable, with its options).

    The result is ``objective(preds, train_data) -> (grad, hess)`` for
    ``lightgbm.train({"objective": objective, ...}, ...)``, and also
    ``objective(y_true, y_pred, weight)`` for ``LGBMRegressor(objective=objective)`` (LightGBM's
    scikit-learn API passes the weights as the third argument).

    A ranking loss (``pairwise_logistic``, ``ranking_softmax``, ``pairwise_hinge``, ``listmle``)
    takes each query group as one list: the groups come from ``lightgbm.Dataset(..., group=...)``,
    from ``LGBMRanker`` (it calls ``objective(y_true, y_pred, weight, group)``) or from ``group``
    here (the group sizes, in row order); see :mod:`._ranking`.
    """
    caller = "losskit.lightgbm.objective"
    if is_ranking(loss, options, caller=caller, group=group):
        return RankingObjective(RankingLoss(loss, options, caller=caller, group=group))
    return Objective(MarginLoss(loss, options, caller=caller))


class LightGBMMetric(Metric):
    """``metric(preds, eval_data)`` (``feval`` of ``lightgbm.train``) or
    ``metric(y_true, y_pred, weight)`` (``eval_metric`` of the scikit-learn API):
    ``(name, value, is_higher_better=False)``."""

    def __call__(self, preds_or_y_true, data_or_y_pred, sample_weight=None):
        return self.__name__, self.value(preds_or_y_true, data_or_y_pred, sample_weight), False


class LightGBMRankingMetric(RankingMetric):
    """``metric(preds, eval_data) -> (name, value, is_higher_better=False)``: the mean loss over
    the query groups of ``eval_data``."""

    def __call__(self, preds_or_y_true, data_or_y_pred, weight=None, group=None):
        return self.__name__, self.value(preds_or_y_true, data_or_y_pred, weight, group), False


def metric(loss, *, group=None, **options) -> LightGBMMetric | LightGBMRankingMetric:
    """The loss's mean (weighted mean ``sum(w l) / sum(w)`` with weights) at the raw scores, named
    after the loss. LightGBM passes raw scores to ``feval`` when the objective is custom; with a
    built-in objective it passes transformed predictions, which this metric does not read. A
    ranking loss is the mean over the query groups (as :func:`objective`).
    """
    caller = "losskit.lightgbm.metric"
    if is_ranking(loss, options, caller=caller, group=group):
        return LightGBMRankingMetric(RankingLoss(loss, options, caller=caller, group=group))
    return LightGBMMetric(MarginLoss(loss, options, caller=caller))


def init_score(loss, y, sample_weight=None, *, num_class: int | None = None, **options) -> np.ndarray:
    """The intercept in margin space, one row per sample: shape ``(n,)``, or ``(n, k)`` for
    ``num_class`` classes (or ``k`` target columns), for ``lightgbm.Dataset(init_score=...)``.

    Every row holds the constant margin that minimises the loss on ``y`` (see
    :func:`~losskit.integrations.intercept.optimal_constant`).
    """
    margin_loss = MarginLoss(loss, options, caller="losskit.lightgbm.init_score")
    constant = optimal_constant(margin_loss, y, sample_weight, num_class=num_class)
    n = np.shape(y)[0]
    return np.full(n, constant[0]) if constant.shape[0] == 1 else np.tile(constant, (n, 1))
