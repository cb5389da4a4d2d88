"""``losskit.lightgbm.LGBMClassifier`` and ``LGBMRegressor``: LightGBM's scikit-learn estimators
trained with any losskit loss (imported on first use: this module imports LightGBM).

They take every LightGBM parameter, plus ``loss`` (a name, a Loss or a callable),
``loss_options`` and ``native_objective``. Where LightGBM computes the loss itself
(:data:`NATIVE_OBJECTIVES`) and ``native_objective`` is True (the default), ``fit`` trains with
that built-in objective, LightGBM's own starting score (``boost_from_average``) and its default
metric: the model is ``lightgbm.LGBMClassifier(objective=...)``'s with the same parameters.
Otherwise ``fit`` passes the loss's objective and the intercept (``init_score``, in margin
space); LightGBM's predictions leave ``init_score`` out, so ``predict`` adds it back. Either way
margins become predictions by the loss's link (:mod:`._estimator`): LightGBM's own
``predict_proba`` would return raw scores for a custom objective. ``objective_`` says which
objective trained the model.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np

from ._estimator import LossForm, NativeObjective, check_objective_unset, encode_classes
from ._margin import Objective
from .lightgbm import LightGBMMetric

#: The losses LightGBM computes itself, with the parameters that carry their options. Each was
#: checked against LightGBM (tests/test_native_objectives.py): its metric for the objective is the
#: loss up to a constant and a factor. Gradients: ``regression`` is ``e`` (losskit's MSE ``2 e``);
#: ``tweedie`` and ``gamma`` (``tweedie`` at power 2) are half the deviance's; ``huber`` is
#: ``clip(e, -alpha, alpha)`` with Hessian 1 (losskit's surrogate); ``multiclass``'s Hessian is
#: ``k / (k - 1) p (1 - p)``. ``regression_l1`` and ``quantile`` also refit each leaf to the
#: residuals' median (quantile), which a custom objective cannot.
NATIVE_OBJECTIVES = {
    "binary_crossentropy": NativeObjective("binary", classifier=True),
    "categorical_crossentropy": NativeObjective("multiclass", classifier=True),
    "sparse_categorical_crossentropy": NativeObjective("multiclass", classifier=True),
    "mean_squared_error": NativeObjective("regression"),
    "mean_absolute_error": NativeObjective("regression_l1"),
    "quantile": NativeObjective("quantile", {"quantile": "alpha"}),
    "poisson": NativeObjective("poisson"),
    "tweedie": (
        NativeObjective("tweedie", {"power": "tweedie_variance_power"}, accepts=lambda options: 1.0 <= options["power"] < 2.0),
        NativeObjective("gamma", fixed={"power": 2.0}),
    ),
    "huber": NativeObjective("huber", {"delta": "alpha"}),
}


def _get_params(self, deep: bool = True) -> dict:
    """LightGBM's ``get_params`` with ``loss`` and ``loss_options``, except where LightGBM reads them
    as its own parameters (``"loss"`` is its alias of ``"objective"``). Set on each estimator class,
    not on the mixin: LightGBM's ``get_params`` climbs to the first base that defines one."""
    params = super(type(self), self).get_params(deep)
    if getattr(self, "_params_for_lightgbm", False):
        for name in ("loss", "loss_options", "native_objective"):
            params.pop(name, None)
    return params


class _LossLGBMModel:
    """What both estimators add to LightGBM's: the loss, its intercept, margins in prediction space."""

    def _process_params(self, stage: str) -> dict:
        self._params_for_lightgbm = True
        try:
            params = super()._process_params(stage)
        finally:
            self._params_for_lightgbm = False
        return {**params, **getattr(self, "_native_params", {})}  # the loss's options, as LightGBM names them

    def _form(self) -> LossForm:
        return LossForm(self.loss, self.loss_options, caller=f"losskit.lightgbm.{type(self).__name__}")

    def _fit(self, form: LossForm, X, y, sample_weight, num_class: int | None, fit_params):
        check_objective_unset(form.caller, self.objective)
        native = form.native(NATIVE_OBJECTIVES, classifier=isinstance(self, lgb.LGBMClassifier), wanted=self.native_objective)
        if native is not None:  # LightGBM's objective, starting score and default metric
            (objective, self._native_params), intercept = native, None
        else:
            self._native_params, objective = {}, Objective(form.margin_loss)
            intercept = form.intercept(y, sample_weight, num_class)
            n = np.shape(y)[0]
            init = np.full(n, intercept[0]) if intercept.shape[0] == 1 else np.tile(intercept, (n, 1))
            for name in ("init_score", "eval_metric"):
                if fit_params.get(name) is not None:
                    raise ValueError(
                        f"{form.caller}: `{name}` is set by `loss=` on losskit's objective (the loss's intercept and "
                        f"metric); got {name} in fit(). Leave it out, or use native_objective=True with a loss LightGBM has"
                    )
            fit_params = {**fit_params, "init_score": init, "eval_metric": LightGBMMetric(form.margin_loss)}
        # LightGBM reads the objective from ``objective`` (its classifier, at fit) and ``_objective``.
        self.objective = self._objective = objective
        try:
            super().fit(X, y, sample_weight=sample_weight, **fit_params)
        finally:
            self.objective = None  # the constructor's value: clone() and get_params() see no objective
        # losskit's intercept, or None where LightGBM's starting score is in its first tree
        self.base_margin_ = intercept
        return self

    @property
    def objective_(self) -> str:
        """What trained the model: LightGBM's objective (``"binary"``) or ``"losskit:<loss name>"``."""
        objective = lgb.LGBMModel.objective_.fget(self)
        return objective if isinstance(objective, str) else f"losskit:{objective.__name__}"

    def decision_function(self, X) -> np.ndarray:
        """The raw margins (``init_score`` added back): one column per class, or one per row."""
        margins = np.asarray(lgb.LGBMModel.predict(self, X, raw_score=True))
        if self.base_margin_ is None:
            return margins
        return margins + (self.base_margin_[0] if self.base_margin_.shape[0] == 1 else self.base_margin_)


class LGBMRegressor(_LossLGBMModel, lgb.LGBMRegressor):
    """LightGBM regressor trained with ``loss`` (default ``"mean_squared_error"``); ``predict``
    gives the loss's prediction (the mean: ``exp(margin)`` for ``poisson`` and ``tweedie``)."""

    def __init__(self, *, loss="mean_squared_error", loss_options=None, native_objective=True, **kwargs):
        super().__init__(**kwargs)
        self.loss = loss
        self.loss_options = loss_options
        self.native_objective = native_objective

    get_params = _get_params

    def fit(self, X, y, sample_weight=None, **fit_params):
        return self._fit(self._form(), X, np.asarray(y, dtype=np.float64), sample_weight, None, fit_params)

    def predict(self, X, **kwargs) -> np.ndarray:
        return self._form().predictions(self.decision_function(X))


class LGBMClassifier(_LossLGBMModel, lgb.LGBMClassifier):
    """LightGBM classifier trained with ``loss`` (default ``"binary_crossentropy"``; a multi-class
    loss such as ``"categorical_crossentropy"`` for more classes); ``predict_proba`` gives
    probabilities by the loss's link (sigmoid or softmax)."""

    def __init__(self, *, loss="binary_crossentropy", loss_options=None, native_objective=True, **kwargs):
        super().__init__(**kwargs)
        self.loss = loss
        self.loss_options = loss_options
        self.native_objective = native_objective

    get_params = _get_params

    def fit(self, X, y, sample_weight=None, **fit_params):
        form = self._form()
        classes, indices = encode_classes(form.caller, y)
        k = form.class_margins(len(classes))
        if k == 2:
            raise ValueError(
                f"{form.caller}: LightGBM trains two classes with one margin per row, but {form.name} needs one per "
                "class; use binary_crossentropy (or another binary loss) for two classes"
            )
        self._fit(form, X, indices, sample_weight, k if k > 1 else None, fit_params)
        self._losskit_classes = classes  # LightGBM's classes_ are the encoded indices given to it
        return self

    @property
    def classes_(self) -> np.ndarray:
        return self._losskit_classes

    def predict_proba(self, X, **kwargs) -> np.ndarray:
        return self._form().probabilities(self.decision_function(X))

    def predict(self, X, **kwargs) -> np.ndarray:
        return self.classes_[self._form().class_indices(self.decision_function(X))]
