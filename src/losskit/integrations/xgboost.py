"""Any losskit loss as an XGBoost custom objective, evaluation metric and ``base_score``.

>>> import xgboost as xgb
>>> from losskit import xgboost as lkx
>>> params = {"base_score": lkx.base_score("binary_focal_crossentropy", y, gamma=2.0)}
>>> booster = xgb.train(params, xgb.DMatrix(X, label=y), 50,
...                     obj=lkx.objective("binary_focal_crossentropy", gamma=2.0),
...                     custom_metric=lkx.metric("binary_focal_crossentropy", gamma=2.0))  # doctest: +SKIP

XGBoost's conventions: the objective gets raw margins, shape ``(n,)``, or ``(n, k)`` with
``num_class=k`` (labels are class indices) or ``k`` target columns, and returns ``(grad, hess)``
in that shape; sample weights are ``dtrain.get_weight()``. With ``obj=`` XGBoost's default
objective stays ``reg:squarederror``, whose identity link makes ``base_score`` a margin: leave
``objective`` out of the parameters (a built-in one would read ``base_score`` through its own link).
Predictions from ``booster.predict(..., output_margin=True)`` are margins; apply the loss's
activation (sigmoid, softmax, exp) yourself. Needs XGBoost >= 3.1 for a per-class ``base_score``.
The loss's margin form and the surrogate Hessian are described in :mod:`._margin`.
"""

from __future__ import annotations

from ._margin import MarginLoss, Metric, Objective, is_library_data
from ._ranking import RankingLoss, RankingMetric, RankingObjective, is_ranking
from .intercept import optimal_constant

__all__ = ["objective", "metric", "base_score", "XGBClassifier", "XGBRegressor"]


def __getattr__(name: str):
    """``XGBClassifier`` and ``XGBRegressor`` import XGBoost and scikit-learn, so only on first use."""
    if name in ("XGBClassifier", "XGBRegressor"):
        from . import _xgboost_estimators

        return getattr(_xgboost_estimators, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def objective(loss, *, group=None, **options) -> Objective | RankingObjective:
    """XGBoost's custom objective for ``loss`` (a name, a Loss or a callable, with its options).

    The result is ``obj(predt, dtrain) -> (grad, hess)`` for ``xgboost.train(..., obj=obj)``, and
    also ``obj(y_true, y_pred, sample_weight=None)`` for ``XGBRegressor(objective=obj)``.

    A ranking loss (``pairwise_logistic``, ``ranking_softmax``, ``pairwise_hinge``, ``listmle``)
    takes each query group as one list: the groups come from ``DMatrix(..., qid=...)`` (or
    ``group=``), or from ``group`` here (the group sizes, in row order); weights are per group
    (:mod:`._ranking`).
    """
    caller = "losskit.xgboost.objective"
    if is_ranking(loss, options, caller=caller, group=group):
        return RankingObjective(RankingLoss(loss, options, caller=caller, group=group))
    return Objective(MarginLoss(loss, options, caller=caller))


class XGBoostMetric(Metric):
    """``metric(predt, dtrain) -> (name, value)`` (``custom_metric`` of ``xgboost.train``), or
    ``metric(y_true, y_pred, sample_weight=None) -> value`` (``eval_metric`` of the scikit-learn API)."""

    def __call__(self, predt_or_y_true, dtrain_or_y_pred, sample_weight=None):
        value = self.value(predt_or_y_true, dtrain_or_y_pred, sample_weight)
        return (self.__name__, value) if is_library_data(dtrain_or_y_pred) else value


class XGBoostRankingMetric(RankingMetric):
    """``metric(predt, dtrain) -> (name, value)``: the mean loss over the query groups of ``dtrain``."""

    def __call__(self, predt_or_y_true, dtrain_or_y_pred, weight=None, group=None):
        value = self.value(predt_or_y_true, dtrain_or_y_pred, weight, group)
        return (self.__name__, value) if is_library_data(dtrain_or_y_pred) else value


def metric(loss, *, group=None, **options) -> XGBoostMetric | XGBoostRankingMetric:
    """The loss's mean (weighted mean ``sum(w l) / sum(w)`` with weights) at the margins, named
    after the loss (``"binary_focal_crossentropy"``); lower is better. XGBoost passes margins to
    ``custom_metric`` when ``obj`` is given; with a built-in objective it passes transformed
    predictions (probabilities), which this metric does not read. A ranking loss is the mean
    over the query groups (as :func:`objective`).
    """
    caller = "losskit.xgboost.metric"
    if is_ranking(loss, options, caller=caller, group=group):
        return XGBoostRankingMetric(RankingLoss(loss, options, caller=caller, group=group))
    return XGBoostMetric(MarginLoss(loss, options, caller=caller))


def base_score(loss, y, sample_weight=None, *, num_class: int | None = None, **options) -> float | list[float]:
    """The intercept in margin space: the constant margin that minimises the loss on ``y``.

    A float for one margin per row; for ``num_class`` classes (or ``k`` target columns) a list of
    ``k`` margins, which XGBoost >= 3.1 takes as a vector ``base_score``. See
    :func:`~losskit.integrations.intercept.optimal_constant`.
    """
    margin_loss = MarginLoss(loss, options, caller="losskit.xgboost.base_score")
    constant = optimal_constant(margin_loss, y, sample_weight, num_class=num_class)
    return float(constant[0]) if constant.shape[0] == 1 else [float(c) for c in constant]
