"""``losskit.xgboost.XGBClassifier`` and ``XGBRegressor``: XGBoost's scikit-learn estimators
trained with any losskit loss (imported on first use: this module imports XGBoost).

They take every XGBoost parameter, plus ``loss`` (a name, a Loss or a callable),
``loss_options`` and ``native_objective``. Where XGBoost computes the loss itself
(:data:`NATIVE_OBJECTIVES`) and ``native_objective`` is True (the default), ``fit`` trains with
that built-in objective and XGBoost's own ``base_score`` estimate: the model is
``xgboost.XGBClassifier(objective=...)``'s with the same parameters, and no Python runs per
round. Otherwise ``fit`` sets the intercept (``base_score``, in margin space) and trains with
the loss's objective and metric through ``xgboost.train`` under XGBoost's default
``reg:squarederror``, whose identity link reads ``base_score`` and the predictions as margins.
``objective_`` says which trained the model. ``predict`` and ``predict_proba`` turn margins
into predictions by the loss's link (:mod:`._estimator`).
"""

from __future__ import annotations

import numpy as np
import xgboost as xgb
from sklearn.base import ClassifierMixin, RegressorMixin

from ._estimator import LossForm, NativeObjective, check_objective_unset, encode_classes
from ._margin import Objective
from .xgboost import XGBoostMetric

#: The losses XGBoost computes itself, with the parameters that carry their options. Each was
#: checked against XGBoost (tests/test_native_objectives.py): its metric for the objective is the
#: loss up to a constant and a factor. Gradients: ``reg:squarederror`` is ``e`` (losskit's MSE
#: ``2 e``); ``reg:tweedie`` and ``reg:gamma`` (``tweedie`` at power 2) are half the deviance's;
#: ``multi:softprob``'s Hessian is ``2 p (1 - p)``. Left out: ``reg:pseudohubererror`` is the
#: pseudo-Huber loss, not ``huber``.
NATIVE_OBJECTIVES = {
    "binary_crossentropy": NativeObjective("binary:logistic", classifier=True),
    "categorical_crossentropy": NativeObjective("multi:softprob", classifier=True),
    "sparse_categorical_crossentropy": NativeObjective("multi:softprob", classifier=True),
    "mean_squared_error": NativeObjective("reg:squarederror"),
    "mean_absolute_error": NativeObjective("reg:absoluteerror"),
    "quantile": NativeObjective("reg:quantileerror", {"quantile": "quantile_alpha"}),
    "poisson": NativeObjective("count:poisson"),
    "tweedie": (
        NativeObjective("reg:tweedie", {"power": "tweedie_variance_power"}, accepts=lambda options: 1.0 <= options["power"] < 2.0),
        NativeObjective("reg:gamma", fixed={"power": 2.0}),
    ),
}


class _LossXGBModel(xgb.XGBModel):
    """An ``XGBModel`` whose objective, metric and intercept come from ``loss``."""

    def __init__(self, *, loss="mean_squared_error", loss_options=None, native_objective=True, **kwargs):
        super().__init__(**kwargs)
        self.loss = loss
        self.loss_options = loss_options
        self.native_objective = native_objective

    def _wrapper_params(self) -> set[str]:
        return super()._wrapper_params() | {"loss", "loss_options", "native_objective"}

    def _form(self) -> LossForm:
        return LossForm(self.loss, self.loss_options, caller=f"losskit.xgboost.{type(self).__name__}")

    def _train(self, form: LossForm, X, y, sample_weight, num_class: int | None, eval_set, verbose):
        check_objective_unset(form.caller, self.objective)
        params = {k: v for k, v in self.get_xgb_params().items() if v is not None and k != "objective"}
        if num_class is not None:
            params["num_class"] = num_class
        native = form.native(NATIVE_OBJECTIVES, classifier=isinstance(self, ClassifierMixin), wanted=self.native_objective)
        if native is not None:  # XGBoost's objective, base_score estimate and default metric
            self.objective_, options = native
            params.update(objective=self.objective_, **options)
            obj = metric = intercept = None
        else:
            self.objective_ = f"losskit:{form.name}"
            intercept = form.intercept(y, sample_weight, num_class)
            params["base_score"] = float(intercept[0]) if intercept.shape[0] == 1 else [float(c) for c in intercept]
            params["disable_default_eval_metric"] = 1
            obj, metric = Objective(form.margin_loss), XGBoostMetric(form.margin_loss)
        data = {"missing": self.missing, "nthread": self.n_jobs}  # as XGBoost's own estimators build theirs
        dtrain = xgb.DMatrix(X, label=y, weight=sample_weight, enable_categorical=self.enable_categorical, **data)
        evals = [(xgb.DMatrix(Xv, label=yv, **data), f"validation_{i}") for i, (Xv, yv) in enumerate(eval_set or [])]
        history: dict = {}
        self._Booster = xgb.train(
            params, dtrain, self.get_num_boosting_rounds(), evals=evals, obj=obj, custom_metric=metric,
            early_stopping_rounds=self.early_stopping_rounds, evals_result=history, verbose_eval=verbose,
            callbacks=self.callbacks,
        )  # fmt: skip
        self.evals_result_ = history
        # losskit's intercept, or None where XGBoost estimated its own (``intercept_`` reads either)
        self.base_margin_ = intercept
        return self

    def decision_function(self, X) -> np.ndarray:
        """The raw margins (``base_score`` included): one column per class, or one per row."""
        return np.asarray(self.predict_margin(X))

    def predict_margin(self, X):
        return xgb.XGBModel.predict(self, X, output_margin=True)


class XGBRegressor(RegressorMixin, _LossXGBModel):
    """XGBoost regressor trained with ``loss`` (default ``"mean_squared_error"``); ``predict``
    gives the loss's prediction (the mean: ``exp(margin)`` for ``poisson`` and ``tweedie``).

    >>> from losskit import xgboost as lkx
    >>> model = lkx.XGBRegressor(loss="huber", loss_options={"delta": 1.0}, n_estimators=50)  # doctest: +SKIP
    """

    def fit(self, X, y, *, sample_weight=None, eval_set=None, verbose=False):
        y = np.asarray(y, dtype=np.float64)
        form = self._form()
        return self._train(form, X, y, sample_weight, None, eval_set, verbose)

    def predict(self, X) -> np.ndarray:
        return self._form().predictions(self.predict_margin(X))


class XGBClassifier(ClassifierMixin, _LossXGBModel):
    """XGBoost classifier trained with ``loss`` (default ``"binary_crossentropy"`` for two classes;
    a multi-class loss such as ``"categorical_crossentropy"`` for more). Labels may be any values;
    ``predict_proba`` gives probabilities by the loss's link (sigmoid or softmax).

    >>> from losskit import xgboost as lkx
    >>> model = lkx.XGBClassifier(loss="binary_focal_crossentropy", loss_options={"gamma": 2.0})  # doctest: +SKIP
    """

    def __init__(self, *, loss="binary_crossentropy", loss_options=None, native_objective=True, **kwargs):
        super().__init__(loss=loss, loss_options=loss_options, native_objective=native_objective, **kwargs)

    def fit(self, X, y, *, sample_weight=None, eval_set=None, verbose=False):
        form = self._form()
        self.classes_, indices = encode_classes(form.caller, y)
        self.n_classes_ = len(self.classes_)
        k = form.class_margins(self.n_classes_)
        eval_set = [(Xv, np.searchsorted(self.classes_, np.asarray(yv))) for Xv, yv in (eval_set or [])]
        return self._train(form, X, indices, sample_weight, k if k > 1 else None, eval_set, verbose)

    def predict_proba(self, X) -> np.ndarray:
        return self._form().probabilities(self.predict_margin(X))

    def predict(self, X) -> np.ndarray:
        return self.classes_[self._form().class_indices(self.predict_margin(X))]
