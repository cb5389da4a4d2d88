"""The GBDT estimators on the booster's own objective (``native_objective=True``, the default).

Two things are checked, each against the booster itself:

- **The mapping.** Each entry of ``NATIVE_OBJECTIVES`` names a built-in objective that computes
  the losskit loss: the booster's own metric for that objective, evaluated at two sets of margins
  (``base_margin``/``init_score``, no trees), changes by the loss's change times a documented
  factor (2 for the Tweedie deviance against XGBoost's and LightGBM's negative log-likelihood; a
  constant in the labels, such as Poisson's ``log(y!)``, cancels). XGBoost's ``rmse`` is squared.
- **The estimators.** ``predict``/``predict_proba`` equal the booster's own estimator with the
  built-in objective and the same parameters to 1e-6; ``objective_`` names the objective; a loss
  with options the booster does not have stays on losskit's objective.
"""

from __future__ import annotations

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")
lgb = pytest.importorskip("lightgbm")
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # noqa: E402

import losskit as lk  # noqa: E402
from losskit import lightgbm as lkl  # noqa: E402
from losskit import xgboost as lkx  # noqa: E402
from losskit.integrations._lightgbm_estimators import NATIVE_OBJECTIVES as LIGHTGBM_OBJECTIVES  # noqa: E402
from losskit.integrations._xgboost_estimators import NATIVE_OBJECTIVES as XGBOOST_OBJECTIVES  # noqa: E402

BINARY = load_breast_cancer(return_X_y=True)
IRIS = load_iris(return_X_y=True)
X_DIABETES, Y_DIABETES = load_diabetes(return_X_y=True)
DIABETES = (X_DIABETES, Y_DIABETES / 50.0)  # unit-sized targets: L1-type leaves move by eta at most
POSITIVE = DIABETES  # the diabetes targets are positive (25 to 346): the gamma objectives' labels
XGB = dict(n_estimators=15, max_depth=3, learning_rate=0.3, n_jobs=2)
LGB = dict(n_estimators=15, num_leaves=7, verbose=-1, n_jobs=2)


def close(a, b, tol=1e-6):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# ----------------------------------------------------------------------------- the mapping
# loss -> (loss options, XGBoost's metric, LightGBM's metric, loss change / metric change)
METRICS = {
    "binary_crossentropy": ({}, "logloss", "binary_logloss", 1.0),
    "categorical_crossentropy": ({}, "mlogloss", "multi_logloss", 1.0),
    "sparse_categorical_crossentropy": ({}, "mlogloss", "multi_logloss", 1.0),
    "mean_squared_error": ({}, "rmse", "l2", 1.0),
    "mean_absolute_error": ({}, "mae", "l1", 1.0),
    "quantile": ({"quantile": 0.8}, "quantile", "quantile", 1.0),
    "poisson": ({}, "poisson-nloglik", "poisson", 1.0),
    "tweedie": ({"power": 1.3}, "tweedie-nloglik@1.3", "tweedie", 2.0),
    "huber": ({"delta": 0.7}, None, "huber", 1.0),
}
TRANSLATED = {  # the booster parameters that carry METRICS' options
    "quantile": ({"quantile_alpha": 0.8}, {"alpha": 0.8}),
    "tweedie": ({"tweedie_variance_power": 1.3}, {"tweedie_variance_power": 1.3}),
    "huber": ({}, {"alpha": 0.7}),
}


def _first(entries):
    """A table's entry for a loss at METRICS' options: the first of a tuple (``tweedie``'s, 1 < power < 2)."""
    return entries[0] if isinstance(entries, tuple) else entries


def labels_and_margins(name: str, rng):
    """Labels the loss takes and two sets of margins: ``(n,)`` or ``(n, 3)`` for the class losses.
    The labels are float32 numbers: both boosters store labels in float32."""
    n = 300
    if "categorical" in name:
        return rng.integers(0, 3, n).astype(np.float64), rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
    y = (rng.random(n) < 0.4).astype(np.float64) if name == "binary_crossentropy" else rng.gamma(1.5, size=n) * (rng.random(n) < 0.8)
    return y.astype(np.float32).astype(np.float64), rng.normal(size=n) * 0.5, rng.normal(size=n) * 0.5


def losskit_value(name, options, y, margins) -> float:
    loss = lk.get(name, **options)
    raw = loss.spec.raw_option
    loss = lk.get(loss, **({raw: True} if raw else {}))
    if name == "categorical_crossentropy":
        y = np.eye(3)[y.astype(int)]
    return float(loss(y, margins))


def xgboost_metric(objective, params, metric, y, margins) -> float:
    data = xgb.DMatrix(np.zeros((len(y), 1)), label=y, base_margin=margins)
    extra = {"num_class": 3} if objective == "multi:softprob" else {}
    booster = xgb.train({"objective": objective, "eval_metric": metric, **params, **extra}, data, 0)
    value = float(booster.eval(data).split(":")[-1])
    return value**2 if metric == "rmse" else value


def lightgbm_metric(objective, params, metric, y, margins) -> float:
    extra = {"num_class": 3} if objective == "multiclass" else {}
    data = lgb.Dataset(np.zeros((len(y), 1)), label=y, init_score=margins, params={"verbose": -1})
    booster = lgb.Booster({"objective": objective, "metric": metric, "verbose": -1, **params, **extra}, train_set=data)
    return float(booster.eval_train()[0][2])


def test_every_mapping_is_checked():
    assert set(XGBOOST_OBJECTIVES) | set(LIGHTGBM_OBJECTIVES) == set(METRICS)
    gamma = [entry.objective for entry in (*XGBOOST_OBJECTIVES["tweedie"], *LIGHTGBM_OBJECTIVES["tweedie"]) if entry.fixed]
    assert gamma == ["reg:gamma", "gamma"]  # checked in test_gamma_objectives_compute_tweedie_at_power_2


def test_gamma_objectives_compute_tweedie_at_power_2():
    rng = np.random.default_rng(2)
    y = (rng.gamma(2.0, size=300) + 0.1).astype(np.float32).astype(np.float64)  # positive, float32 numbers
    first, second = rng.normal(size=300) * 0.5, rng.normal(size=300) * 0.5
    ours = losskit_value("tweedie", {"power": 2.0}, y, first) - losskit_value("tweedie", {"power": 2.0}, y, second)
    xgboost = xgboost_metric("reg:gamma", {}, "gamma-nloglik", y, first) - xgboost_metric("reg:gamma", {}, "gamma-nloglik", y, second)
    lightgbm = lightgbm_metric("gamma", {}, "gamma", y, first) - lightgbm_metric("gamma", {}, "gamma", y, second)
    assert ours == pytest.approx(2.0 * xgboost, rel=1e-5)
    assert ours == pytest.approx(2.0 * lightgbm, rel=1e-9)


@pytest.mark.parametrize("name", sorted(XGBOOST_OBJECTIVES))
def test_xgboost_objective_computes_the_loss(name):
    options, metric, _, factor = METRICS[name]
    objective, params = _first(XGBOOST_OBJECTIVES[name]).objective, TRANSLATED.get(name, ({}, {}))[0]
    y, first, second = labels_and_margins(name, np.random.default_rng(0))
    booster = xgboost_metric(objective, params, metric, y, first) - xgboost_metric(objective, params, metric, y, second)
    ours = losskit_value(name, options, y, first) - losskit_value(name, options, y, second)
    assert ours == pytest.approx(factor * booster, rel=1e-5, abs=1e-6)  # XGBoost's metrics are float32


@pytest.mark.parametrize("name", sorted(LIGHTGBM_OBJECTIVES))
def test_lightgbm_objective_computes_the_loss(name):
    options, _, metric, factor = METRICS[name]
    objective, params = _first(LIGHTGBM_OBJECTIVES[name]).objective, TRANSLATED.get(name, ({}, {}))[1]
    y, first, second = labels_and_margins(name, np.random.default_rng(1))
    booster = lightgbm_metric(objective, params, metric, y, first) - lightgbm_metric(objective, params, metric, y, second)
    ours = losskit_value(name, options, y, first) - losskit_value(name, options, y, second)
    assert ours == pytest.approx(factor * booster, rel=1e-9, abs=1e-12)


# ----------------------------------------------------------------------------- the estimators
# (ours, the booster's own, data, loss, loss_options, the booster's objective parameters)
CASES = [
    (lkx.XGBClassifier, xgb.XGBClassifier, BINARY, "binary_crossentropy", None, {"objective": "binary:logistic"}),
    (lkx.XGBClassifier, xgb.XGBClassifier, IRIS, "categorical_crossentropy", None, {"objective": "multi:softprob"}),
    (lkx.XGBClassifier, xgb.XGBClassifier, IRIS, "sparse_categorical_crossentropy", None, {"objective": "multi:softprob"}),
    (lkx.XGBRegressor, xgb.XGBRegressor, DIABETES, "mean_squared_error", None, {"objective": "reg:squarederror"}),
    (lkx.XGBRegressor, xgb.XGBRegressor, DIABETES, "mean_absolute_error", None, {"objective": "reg:absoluteerror"}),
    (lkx.XGBRegressor, xgb.XGBRegressor, DIABETES, "quantile", {"quantile": 0.8}, {"objective": "reg:quantileerror", "quantile_alpha": 0.8}),
    (lkx.XGBRegressor, xgb.XGBRegressor, DIABETES, "poisson", None, {"objective": "count:poisson"}),
    (lkx.XGBRegressor, xgb.XGBRegressor, DIABETES, "tweedie", {"power": 1.3}, {"objective": "reg:tweedie", "tweedie_variance_power": 1.3}),
    (lkx.XGBRegressor, xgb.XGBRegressor, POSITIVE, "tweedie", {"power": 2}, {"objective": "reg:gamma"}),
    (lkl.LGBMClassifier, lgb.LGBMClassifier, BINARY, "binary_crossentropy", None, {"objective": "binary"}),
    (lkl.LGBMClassifier, lgb.LGBMClassifier, IRIS, "categorical_crossentropy", None, {"objective": "multiclass"}),
    (lkl.LGBMRegressor, lgb.LGBMRegressor, DIABETES, "mean_squared_error", None, {"objective": "regression"}),
    (lkl.LGBMRegressor, lgb.LGBMRegressor, DIABETES, "mean_absolute_error", None, {"objective": "regression_l1"}),
    (lkl.LGBMRegressor, lgb.LGBMRegressor, DIABETES, "quantile", {"quantile": 0.8}, {"objective": "quantile", "alpha": 0.8}),
    (lkl.LGBMRegressor, lgb.LGBMRegressor, DIABETES, "poisson", None, {"objective": "poisson"}),
    (lkl.LGBMRegressor, lgb.LGBMRegressor, DIABETES, "tweedie", {"power": 1.3}, {"objective": "tweedie", "tweedie_variance_power": 1.3}),
    (lkl.LGBMRegressor, lgb.LGBMRegressor, POSITIVE, "tweedie", {"power": 2.0}, {"objective": "gamma"}),
    (lkl.LGBMRegressor, lgb.LGBMRegressor, DIABETES, "huber", {"delta": 0.7}, {"objective": "huber", "alpha": 0.7}),
]  # fmt: skip


def predictions(model, X):
    return model.predict_proba(X) if hasattr(model, "classes_") else model.predict(X)


@pytest.mark.parametrize(("ours", "theirs", "data", "loss", "options", "objective"), CASES, ids=lambda c: c if isinstance(c, str) else "")
def test_estimator_equals_the_boosters_own(ours, theirs, data, loss, options, objective):
    X, y = data
    params = XGB if ours.__module__.endswith("xgboost_estimators") else LGB
    model = ours(loss=loss, loss_options=options, **params).fit(X, y)
    native = theirs(**objective, **params).fit(X, y)
    assert model.objective_ == objective["objective"] and model.base_margin_ is None
    close(predictions(model, X), predictions(native, X))
    if hasattr(model, "classes_"):
        np.testing.assert_array_equal(model.predict(X), native.predict(X))


def test_sample_weight_on_the_native_route():
    X, y = BINARY
    w = np.where(y == 1, 3.0, 0.5)
    close(lkx.XGBClassifier(**XGB).fit(X, y, sample_weight=w).predict_proba(X), xgb.XGBClassifier(**XGB).fit(X, y, sample_weight=w).predict_proba(X))
    X, y = DIABETES
    w = np.linspace(0.5, 2.0, len(y))
    ours = lkl.LGBMRegressor(loss="mean_absolute_error", **LGB).fit(X, y, sample_weight=w)
    close(ours.predict(X), lgb.LGBMRegressor(objective="regression_l1", **LGB).fit(X, y, sample_weight=w).predict(X))


def test_a_loss_object_brings_its_options():
    X, y = DIABETES
    model = lkl.LGBMRegressor(loss=lk.get("pinball", quantile=0.3), **LGB).fit(X, y)
    assert model.objective_ == "quantile"
    close(model.predict(X), lgb.LGBMRegressor(objective="quantile", alpha=0.3, **LGB).fit(X, y).predict(X))


def test_options_at_their_default_stay_native():
    X, y = BINARY
    model = lkx.XGBClassifier(loss_options={"label_smoothing": 0, "class_weight": None}, **XGB).fit(X, y)
    assert model.objective_ == "binary:logistic"  # 0 is the default 0.0


def test_the_opt_out_trains_losskits_objective():
    X, y = DIABETES
    native = lkx.XGBRegressor(**XGB).fit(X, y)
    ours = lkx.XGBRegressor(native_objective=False, **XGB).fit(X, y)
    assert (native.objective_, ours.objective_) == ("reg:squarederror", "losskit:mean_squared_error")
    # losskit's MSE (gradient 2 e, Hessian 2) under reg_lambda=1 is a different model (docs/gbdt.md)
    assert np.max(np.abs(native.predict(X) - ours.predict(X))) > 1e-3


STAYS = [
    (lkx.XGBClassifier, BINARY, "binary_crossentropy", {"label_smoothing": 0.1}),
    (lkx.XGBClassifier, BINARY, "binary_focal_crossentropy", {"gamma": 2.0}),
    (lkx.XGBClassifier, IRIS, "categorical_crossentropy", {"class_weight": [1.0, 2.0, 1.0]}),
    (lkx.XGBRegressor, DIABETES, "huber", {"delta": 1.0}),  # reg:pseudohubererror is another loss
    (lkx.XGBRegressor, DIABETES, "tweedie", {"power": 2.5}),  # reg:tweedie takes 1 <= power < 2
    (lkx.XGBRegressor, DIABETES, "binary_crossentropy", None),  # soft labels: not binary:logistic's 0/1
    (lkl.LGBMClassifier, BINARY, "binary_crossentropy", {"label_smoothing": 0.1}),
    (lkl.LGBMRegressor, DIABETES, "log_cosh", None),
]  # fmt: skip


@pytest.mark.parametrize(("estimator", "data", "loss", "options"), STAYS, ids=lambda c: c if isinstance(c, str) else "")
def test_options_the_booster_lacks_stay_on_losskit(estimator, data, loss, options):
    X, y = data
    if loss == "binary_crossentropy" and estimator is lkx.XGBRegressor:
        y = (y - y.min()) / (y.max() - y.min())
    params = XGB if estimator.__module__.endswith("xgboost_estimators") else LGB
    model = estimator(loss=loss, loss_options=options, **params).fit(X, y)
    assert model.objective_ == f"losskit:{lk.get(loss).name}" and model.base_margin_ is not None


@pytest.mark.parametrize("estimator", [lkx.XGBRegressor, lkl.LGBMRegressor])
def test_native_objective_must_be_a_bool(estimator):
    with pytest.raises(ValueError, match=rf"losskit\.\w+\.{estimator.__name__}: `native_objective` must be True or False; got 'yes'"):
        estimator(native_objective="yes").fit(*DIABETES)


def test_losskits_route_sets_the_intercept_itself():
    X, y = DIABETES
    with pytest.raises(ValueError, match=r"losskit\.lightgbm\.LGBMRegressor: `init_score` is set by `loss=` on losskit's objective"):
        lkl.LGBMRegressor(loss="log_cosh", **LGB).fit(X, y, init_score=np.zeros(len(y)))
