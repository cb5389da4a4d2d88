"""``losskit.xgboost.XGBClassifier``/``XGBRegressor`` and ``losskit.lightgbm.LGBMClassifier``/
``LGBMRegressor`` trained with losskit's objective (``native_objective=False``) against each
library's own estimator with its built-in objective (same parameters, or the documented
equivalent where the library scales its loss differently), and as scikit-learn estimators:
clone, get_params, pickling, sample weights, label encoding, on both routes. The default route,
the booster's own objective, is tested in tests/test_native_objectives.py.

Scalings (docs/gbdt.md): losskit's MSE is ``mean(e^2)``, XGBoost's ``reg:squarederror`` is
``e^2 / 2``: with ``reg_lambda=0`` and ``min_child_weight=0`` the models are the same (a leaf is
``-G/H`` and every split gain scales alike). XGBoost's ``multi:softprob`` Hessian is ``2 p (1 - p)``
where the crossentropy's is ``p (1 - p)``: its model with twice the learning rate, ``reg_lambda``
and ``min_child_weight`` is the same as losskit's.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # noqa: E402

from losskit import lightgbm as lkl  # noqa: E402
from losskit import xgboost as lkx  # noqa: E402

BINARY = load_breast_cancer(return_X_y=True)
IRIS = load_iris(return_X_y=True)
DIABETES = load_diabetes(return_X_y=True)
XGB = dict(n_estimators=15, max_depth=3, learning_rate=0.3, n_jobs=2)
LGB = dict(n_estimators=15, num_leaves=7, verbose=-1, n_jobs=2)
OURS = dict(native_objective=False)  # losskit's objective, where the booster has the loss too


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# ----------------------------------------------------------------------------- XGBoost
def test_xgb_classifier_equals_binary_logistic():
    X, y = BINARY
    ours = lkx.XGBClassifier(loss="binary_crossentropy", **OURS, **XGB).fit(X, y)
    assert ours.objective_ == "losskit:binary_crossentropy"
    native = xgb.XGBClassifier(objective="binary:logistic", **XGB).fit(X, y)
    close(ours.predict_proba(X), native.predict_proba(X))
    np.testing.assert_array_equal(ours.predict(X), native.predict(X))


def test_xgb_classifier_multiclass_equals_softprob_at_its_scaling():
    X, y = IRIS
    ours = lkx.XGBClassifier(loss="categorical_crossentropy", **OURS, **XGB).fit(X, y)
    doubled = {**XGB, "learning_rate": 0.6, "reg_lambda": 2.0, "min_child_weight": 2.0}
    native = xgb.XGBClassifier(objective="multi:softprob", base_score=[float(c) for c in ours.base_margin_], **doubled).fit(X, y)
    close(ours.predict_proba(X), native.predict_proba(X))
    sparse = lkx.XGBClassifier(loss="sparse_categorical_crossentropy", **OURS, **XGB).fit(X, y)
    close(sparse.predict_proba(X), ours.predict_proba(X), 1e-12)


def test_xgb_regressor_equals_squared_error_and_poisson():
    X, y = DIABETES
    flat = {**XGB, "reg_lambda": 0.0, "min_child_weight": 0.0}
    close(lkx.XGBRegressor(**OURS, **flat).fit(X, y).predict(X), xgb.XGBRegressor(**flat).fit(X, y).predict(X))
    # under reg_lambda, losskit's 2 e and 2 are XGBoost's e and 1 with half the lambda and min_child_weight
    halved = {**XGB, "reg_lambda": 0.5, "min_child_weight": 0.5}
    close(lkx.XGBRegressor(**OURS, **XGB).fit(X, y).predict(X), xgb.XGBRegressor(**halved).fit(X, y).predict(X))
    ours = lkx.XGBRegressor(loss="poisson", max_delta_step=0.0, **OURS, **XGB).fit(X, y)
    native = xgb.XGBRegressor(objective="count:poisson", max_delta_step=0.0, **XGB).fit(X, y)
    close(ours.predict(X) / y.mean(), native.predict(X) / y.mean())  # predictions are means: exp(margin)


def test_xgb_sample_weight_and_string_labels():
    X, y = BINARY
    w = np.where(y == 1, 3.0, 1.0)
    labels = np.where(y == 1, "yes", "no")
    native = xgb.XGBClassifier(**XGB).fit(X, y, sample_weight=w)
    for route in (True, False):
        ours = lkx.XGBClassifier(native_objective=route, **XGB).fit(X, labels, sample_weight=w)
        close(ours.predict_proba(X), native.predict_proba(X))
        assert list(ours.classes_) == ["no", "yes"] and set(ours.predict(X)) <= {"no", "yes"}


# ----------------------------------------------------------------------------- LightGBM
def test_lgbm_classifier_equals_binary_and_multiclass():
    X, y = BINARY
    close(lkl.LGBMClassifier(**OURS, **LGB).fit(X, y).predict_proba(X), lgb.LGBMClassifier(**LGB).fit(X, y).predict_proba(X))
    X, y = IRIS
    ours = lkl.LGBMClassifier(loss="categorical_crossentropy", **OURS, **LGB).fit(X, y)
    # LightGBM's multiclass Hessian is k / (k - 1) p (1 - p): its model at 3/2 the learning rate
    # and min_sum_hessian_in_leaf (default 1e-3) is losskit's for k = 3
    scaled = {**LGB, "learning_rate": 0.1 * 1.5, "min_sum_hessian_in_leaf": 1e-3 * 1.5}
    close(ours.predict_proba(X), lgb.LGBMClassifier(objective="multiclass", **scaled).fit(X, y).predict_proba(X))
    assert ours.objective_ == "losskit:categorical_crossentropy"  # losskit's objective, not LightGBM's


def test_lgbm_regressor_equals_l2_and_poisson_with_weights():
    X, y = DIABETES
    w = np.linspace(0.5, 2.0, len(y))
    native = lgb.LGBMRegressor(**LGB).fit(X, y, sample_weight=w).predict(X)
    for route in (True, False):
        close(lkl.LGBMRegressor(native_objective=route, **LGB).fit(X, y, sample_weight=w).predict(X), native)
    ours = lkl.LGBMRegressor(loss="poisson", **OURS, **LGB).fit(X, y)
    native = lgb.LGBMRegressor(objective="poisson", poisson_max_delta_step=1e-12, **LGB).fit(X, y)  # its Hessian is exp(margin + step)
    close(ours.predict(X) / y.mean(), native.predict(X) / y.mean())


# ----------------------------------------------------------------------------- scikit-learn protocol
ESTIMATORS = [
    (lkx.XGBClassifier, BINARY, XGB), (lkx.XGBRegressor, DIABETES, XGB),
    (lkl.LGBMClassifier, BINARY, LGB), (lkl.LGBMRegressor, DIABETES, LGB),
]  # fmt: skip


@pytest.mark.parametrize("native_objective", [True, False])
@pytest.mark.parametrize(("estimator", "data", "params"), ESTIMATORS, ids=lambda e: getattr(e, "__name__", ""))
def test_clone_get_params_and_pickle(estimator, data, params, native_objective):
    X, y = data
    options = {"label_smoothing": 0.0} if "Classifier" in estimator.__name__ else None
    model = estimator(loss_options=options, native_objective=native_objective, **params)
    copy = clone(model)
    assert copy.get_params()["native_objective"] is native_objective
    assert copy.get_params()["loss"] == model.get_params()["loss"] and copy.get_params()["loss_options"] == model.get_params()["loss_options"]
    assert {k: v for k, v in copy.get_params().items() if k != "loss_options"} == {k: v for k, v in model.get_params().items() if k != "loss_options"}
    model.fit(X, y)
    assert model.get_params()["objective"] is None  # fit leaves the constructor's parameters as they were
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert restored.objective_ == model.objective_ and model.objective_.startswith("losskit:") is not native_objective


def test_margin_losses_have_scores_not_probabilities():
    X, y = BINARY
    model = lkx.XGBClassifier(loss="hinge", **XGB).fit(X, y)
    margins = model.decision_function(X)
    np.testing.assert_array_equal(model.predict(X), np.where(margins > 0, 1, 0))
    assert (model.predict(X) == y).mean() > 0.95
    with pytest.raises(AttributeError, match="hinge gives scores, not probabilities"):
        model.predict_proba(X)


def test_bad_setups_get_clear_errors():
    X, y = IRIS
    with pytest.raises(ValueError, match="binary_crossentropy scores one binary output per row, but y has 3 classes"):
        lkx.XGBClassifier(**XGB).fit(X, y)
    with pytest.raises(ValueError, match="`objective` is set by `loss=`"):
        lkl.LGBMRegressor(objective="l2", **LGB).fit(*DIABETES)
    with pytest.raises(ValueError, match="gaussian_nll cannot be a gradient-boosting objective"):
        lkx.XGBRegressor(loss="gaussian_nll", **XGB).fit(*DIABETES)
