"""Any losskit loss as a CatBoost custom objective and evaluation metric.

>>> from catboost import CatBoostClassifier
>>> from losskit import catboost as lkc
>>> model = CatBoostClassifier(loss_function=lkc.objective("binary_focal_crossentropy", gamma=2.0),
...                            eval_metric=lkc.metric("binary_focal_crossentropy", gamma=2.0))  # doctest: +SKIP

CatBoost's conventions: the objective's ``calc_ders_range(approxes, targets, weights)`` gets raw
margins (one per row) and returns, per row, the first and second derivatives of the quantity it
*maximises*: ``(-gradient, -hessian)`` of the loss; multi-class objectives implement
``calc_ders_multi(approx, target, weight)`` for one row, with the Hessian as a matrix (losskit
gives its diagonal). The metric's ``evaluate(approxes, target, weight)`` returns ``(sum of w l,
sum of w)`` and ``get_final_error`` their ratio; lower is better. The Hessian is the loss's
positive surrogate, as for XGBoost and LightGBM (:mod:`._margin`). CatBoost starts from margin 0
with a custom objective; give it the intercept as ``baseline`` (:func:`baseline`) to start from
the loss's best constant.
"""

from __future__ import annotations

import numpy as np

from ._margin import MarginLoss
from .intercept import optimal_constant

__all__ = ["objective", "metric", "baseline"]


class Objective:
    """A CatBoost custom objective (``loss_function=``) for a losskit loss."""

    def __init__(self, margin_loss: MarginLoss):
        self.margin_loss = margin_loss

    def calc_ders_range(self, approxes, targets, weights):
        margins = np.asarray(approxes, dtype=np.float64)
        w = None if weights is None else np.asarray(weights, dtype=np.float64)
        grad, hess = self.margin_loss.gradient_hessian(np.asarray(targets, dtype=np.float64), margins, w)
        return list(zip((-grad).tolist(), (-hess).tolist()))

    def calc_ders_multi(self, approx, target, weight):
        margins = np.asarray(approx, dtype=np.float64)[None, :]
        grad, hess = self.margin_loss.gradient_hessian(np.asarray([target], dtype=np.float64), margins, np.asarray([weight]))
        return (-grad[0]).tolist(), np.diag(-hess[0]).tolist()

    def __repr__(self) -> str:
        return f"losskit.catboost.Objective({self.margin_loss.loss!r})"


class Metric:
    """A CatBoost custom evaluation metric (``eval_metric=``): the loss's weighted mean at the margins."""

    def __init__(self, margin_loss: MarginLoss):
        self.margin_loss = margin_loss

    def is_max_optimal(self) -> bool:
        return False

    def evaluate(self, approxes, target, weight):
        margins = np.asarray(approxes, dtype=np.float64)  # (k, n): one row per margin
        margins = margins[0] if margins.shape[0] == 1 else margins.T
        w = np.ones(margins.shape[0]) if weight is None else np.asarray(weight, dtype=np.float64)
        value = self.margin_loss.value(np.asarray(target, dtype=np.float64), margins, w)
        return value * float(w.sum()), float(w.sum())

    def get_final_error(self, error, weight) -> float:
        return error / weight if weight else 0.0

    def __repr__(self) -> str:
        return f"losskit.catboost.Metric({self.margin_loss.loss!r})"


def objective(loss, **options) -> Objective:
    """CatBoost's custom objective for ``loss`` (a name, a Loss or a callable, with its options)."""
    return Objective(MarginLoss(loss, options, caller="losskit.catboost.objective"))


def metric(loss, **options) -> Metric:
    """CatBoost's custom evaluation metric for ``loss``, named after nothing (CatBoost shows the class)."""
    return Metric(MarginLoss(loss, options, caller="losskit.catboost.metric"))


def baseline(loss, y, sample_weight=None, *, num_class: int | None = None, **options) -> np.ndarray:
    """The intercept for ``catboost.Pool(baseline=...)``: shape ``(n,)``, or ``(n, k)`` for classes."""
    margin_loss = MarginLoss(loss, options, caller="losskit.catboost.baseline")
    constant = optimal_constant(margin_loss, y, sample_weight, num_class=num_class)
    n = np.shape(y)[0]
    return np.full(n, constant[0]) if constant.shape[0] == 1 else np.tile(constant, (n, 1))
