"""The learners behind ``--model``: each trains through the same ``train`` and output form, and
keeps the model of its best validation epoch (round). Reference values come from the library's
own model object and NumPy/scikit-learn formulas, not from the history being checked."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from losskit.platform import make_learner, train  # noqa: E402


def binary_data(n=300, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.4 * rng.normal(size=n) > 0.4).astype(int)
    return X, y


def count_data(n=300, seed=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    return X, rng.poisson(np.exp(0.8 + 0.5 * X[:, 0]))


def test_the_linear_learner_has_no_hidden_layer():
    X, y = binary_data()
    history = train("bce", X, y, learner=make_learner("linear", epochs=20))
    layers = [m for m in history.model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(layers) == 1 and layers[0].in_features == 4 and layers[0].out_features == 1
    assert "linear model 4 → last layer" in make_learner("linear").describe(4)
    assert history.history["val_accuracy"][history.best_epoch - 1] > 0.7


def test_xgboost_predicts_the_sigmoid_of_its_margins_up_to_the_best_round():
    xgb = pytest.importorskip("xgboost")
    from sklearn.metrics import log_loss

    X, y = binary_data()
    X_val, y_val = binary_data(n=120, seed=5)
    history = train("bce", X, y, validation_data=(X_val, y_val), learner=make_learner("xgboost", epochs=60, patience=10))

    assert history.status in ("completed", "early_stopped") and 1 <= history.best_epoch <= history.epochs <= 60
    margins = history.model.predict(xgb.DMatrix(X_val), output_margin=True, iteration_range=(0, history.best_epoch))
    p = 1.0 / (1.0 + np.exp(-margins))
    np.testing.assert_allclose(history.predict(X_val).proba, p, rtol=1e-5)
    best = history.best_epoch - 1
    assert history.history["val_loss"][best] == pytest.approx(log_loss(y_val, p), rel=1e-4)  # the loss is the log loss here
    assert history.history["val_loss"][best] == min(history.history["val_loss"])


def test_lightgbm_starts_from_the_losss_intercept_and_predicts_exp_of_the_margin():
    pytest.importorskip("lightgbm")
    from sklearn.metrics import mean_poisson_deviance

    X, y = count_data()
    X_val, y_val = count_data(n=120, seed=6)
    history = train("poisson", X, y, task="counts", validation_data=(X_val, y_val), learner=make_learner("lightgbm", epochs=50, patience=10))

    raw = history.model.predict(X_val, raw_score=True, num_iteration=history.best_epoch)
    mean = np.exp(raw + np.log(y.mean()))  # the trees start from log of the mean count, Poisson's optimal constant
    np.testing.assert_allclose(history.predict(X_val).values, mean, rtol=1e-5)
    best = history.best_epoch - 1
    assert history.history["val_poisson_deviance"][best] == pytest.approx(mean_poisson_deviance(y_val, mean), rel=1e-4)


def test_a_loss_without_a_margin_form_fails_on_trees_with_the_reason():
    pytest.importorskip("xgboost")
    X, y = count_data()
    with pytest.raises(ValueError, match="gaussian_nll"):
        train("gaussian_nll", X, y.astype(float), task="regression", learner=make_learner("xgboost", epochs=5))
