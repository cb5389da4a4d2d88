"""``losskit.sklearn.scorer`` against scikit-learn's own metrics and scorers, and
``losskit.catboost`` against CatBoost's built-in objectives."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")
import sklearn  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression, PoissonRegressor, Ridge  # noqa: E402
from sklearn.metrics import log_loss, mean_absolute_error, mean_pinball_loss, mean_poisson_deviance, mean_squared_error  # noqa: E402
from sklearn.model_selection import KFold, cross_val_score, cross_validate  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from losskit import sklearn as lks  # noqa: E402

CV = KFold(3, shuffle=True, random_state=0)
DIABETES = load_diabetes(return_X_y=True)


@pytest.mark.parametrize(
    ("loss", "options", "metric"),
    [("mse", {}, mean_squared_error), ("mae", {}, mean_absolute_error), ("quantile", {"quantile": 0.8}, lambda y, p, **k: mean_pinball_loss(y, p, alpha=0.8, **k))],
)
def test_regression_scorers_equal_sklearn_metrics(loss, options, metric):
    X, y = DIABETES
    model = Ridge().fit(X, y)
    w = np.linspace(0.2, 3.0, len(y))
    scorer = lks.scorer(loss, **options)
    np.testing.assert_allclose(scorer(model, X, y), -metric(y, model.predict(X)), rtol=1e-12)
    np.testing.assert_allclose(scorer(model, X, y, sample_weight=w), -metric(y, model.predict(X), sample_weight=w), rtol=1e-12)


def test_counts_through_predict_equal_poisson_deviance():
    X, y = DIABETES
    model = PoissonRegressor(max_iter=300).fit(X, y)
    np.testing.assert_allclose(lks.scorer("tweedie", power=1.0)(model, X, y), -mean_poisson_deviance(y, model.predict(X)), rtol=1e-10)


def test_classification_scorers_use_predict_proba_and_equal_log_loss():
    X, y = load_breast_cancer(return_X_y=True)
    model = LogisticRegression(max_iter=5000).fit(X, y)
    p = np.clip(model.predict_proba(X), 1e-7, 1 - 1e-7)  # losskit clips probabilities as Keras does
    np.testing.assert_allclose(lks.scorer("binary_crossentropy")(model, X, y), -log_loss(y, p), rtol=1e-12)
    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = LogisticRegression(max_iter=5000).fit(X, labels)
    p = np.clip(model.predict_proba(X), 1e-7, 1 - 1e-7)
    for loss in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        np.testing.assert_allclose(lks.scorer(loss)(model, X, labels), -log_loss(labels, p), rtol=1e-9)


def test_response_method_follows_the_link():
    assert lks.response_method("mse") == "predict" and lks.response_method("poisson") == "predict"
    assert lks.response_method("binary_crossentropy") == "predict_proba"
    assert lks.response_method(("binary_crossentropy")) == "predict_proba"
    assert lks.response_method("hinge") == "decision_function"
    from losskit import get

    assert lks.response_method(get("binary_crossentropy", from_logits=True)) == "decision_function"
    X, y = load_breast_cancer(return_X_y=True)
    model = LinearSVC(max_iter=20000).fit(X / X.max(axis=0), y)
    margins = model.decision_function(X / X.max(axis=0))
    expected = np.mean(np.maximum(1 - np.where(y == 1, 1, -1) * margins, 0))
    np.testing.assert_allclose(lks.scorer("hinge")(model, X / X.max(axis=0), y), -expected, rtol=1e-12)


def test_cross_val_score_equals_the_builtin_scorer():
    X, y = DIABETES
    ours = cross_val_score(Ridge(), X, y, scoring=lks.scorer("mse"), cv=CV)
    np.testing.assert_allclose(ours, cross_val_score(Ridge(), X, y, scoring="neg_mean_squared_error", cv=CV), rtol=1e-12)


def test_routed_sample_weights_equal_the_builtin_scorer():
    from sklearn.metrics import get_scorer

    X, y = DIABETES
    w = np.linspace(0.2, 3.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        ours = lks.scorer("mse").set_score_request(sample_weight=True)
        theirs = get_scorer("neg_mean_squared_error").set_score_request(sample_weight=True)
        model = Ridge().set_fit_request(sample_weight=False)
        a = cross_validate(model, X, y, scoring=ours, cv=CV, params={"sample_weight": w})["test_score"]
        b = cross_validate(model, X, y, scoring=theirs, cv=CV, params={"sample_weight": w})["test_score"]
    assert np.all(np.isfinite(a))
    np.testing.assert_allclose(a, b, rtol=1e-12)


# ----------------------------------------------------------------------------- CatBoost
def test_catboost_custom_logistic_objective_equals_logloss():
    catboost = pytest.importorskip("catboost")
    from losskit import catboost as lkc

    X, y = load_breast_cancer(return_X_y=True)
    params = dict(iterations=20, depth=3, learning_rate=0.3, verbose=0, random_seed=0, thread_count=2, allow_writing_files=False,
                  leaf_estimation_method="Newton", leaf_estimation_iterations=1, boost_from_average=False)  # fmt: skip
    ours = catboost.CatBoostClassifier(loss_function=lkc.objective("binary_crossentropy"), eval_metric=lkc.metric("binary_crossentropy"), **params).fit(X, y)
    native = catboost.CatBoostClassifier(loss_function="Logloss", **params).fit(X, y)
    np.testing.assert_allclose(ours.predict(X, prediction_type="RawFormulaVal"), native.predict(X, prediction_type="RawFormulaVal"), rtol=1e-9, atol=1e-9)
    margins = ours.predict(X, prediction_type="RawFormulaVal")
    value, weight = lkc.metric("binary_crossentropy").evaluate([margins], y, None)
    p = 1 / (1 + np.exp(-margins))
    np.testing.assert_allclose(value / weight, log_loss(y, p), rtol=1e-9)


def test_catboost_baseline_is_the_best_constant_and_training_improves_on_it():
    catboost = pytest.importorskip("catboost")
    from losskit import catboost as lkc

    X, y = DIABETES
    np.testing.assert_allclose(lkc.baseline("mae", y), np.full(len(y), np.median(y)), rtol=1e-12)
    base = lkc.baseline("mse", y)
    np.testing.assert_allclose(base, np.full(len(y), y.mean()), rtol=1e-12)
    params = dict(iterations=30, depth=3, learning_rate=0.3, verbose=0, random_seed=0, thread_count=2, allow_writing_files=False)
    model = catboost.CatBoostRegressor(loss_function=lkc.objective("mse"), eval_metric=lkc.metric("mse"), **params)
    model.fit(catboost.Pool(X, y, baseline=base))
    assert mean_squared_error(y, model.predict(X) + base) < 0.6 * mean_squared_error(y, base)
