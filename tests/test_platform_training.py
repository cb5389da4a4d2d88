"""``losskit.platform.train``: a PyTorch model trained with any losskit loss, epoch by epoch.

Reference values come from the trained model itself evaluated independently in the test (torch
forward pass, NumPy formulas, scikit-learn), never from the history being checked.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the platform trains PyTorch models (pip install losskit[platform])")
pytest.importorskip("sklearn", reason="the platform needs scikit-learn (pip install losskit[platform])")

import losskit as lk  # noqa: E402
from losskit.guidance.activations import activation  # noqa: E402
from losskit.platform import train  # noqa: E402
from losskit.platform.models import ACTIVATIONS, FinalActivation  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def regression_data(n=240, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = 3.0 * X[:, 0] - 2.0 * X[:, 1] + X[:, 2] * X[:, 3] + 0.3 * rng.normal(size=n) + 10.0
    return X, y


def binary_data(n=240, d=4, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def multiclass_data(n=240, seed=2):
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    labels = rng.integers(0, 3, size=n)
    X = (centers[labels] + rng.normal(size=(n, 2))).astype(np.float32)
    return X, np.array(["cat", "dog", "eel"])[labels]


def outputs(history, X):
    history.model.eval()
    with torch.no_grad():
        return history.model(torch.from_numpy(np.asarray(X, dtype=np.float32))).numpy().astype(np.float64)


def test_history_has_a_finite_training_and_validation_value_of_the_loss_and_every_metric_per_epoch():
    X, y = regression_data()
    history = train("mse", X, y, epochs=4, learning_rate=1e-2)

    assert history.status == "completed" and history.epochs == 4 and history.task == "regression"
    assert set(history.history) == {"loss", "mae", "rmse", "r2", "medae", "val_loss", "val_mae", "val_rmse", "val_r2", "val_medae"}
    for name, values in history.history.items():
        assert len(values) == 4, name
        assert all(v is not None and math.isfinite(v) for v in values), name
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_loss"][-1] < history.history["val_loss"][0]


def test_recorded_losses_and_metrics_are_the_averages_over_all_rows_at_the_end_of_the_epoch():
    X, y = regression_data()
    X_val, y_val = regression_data(n=80, seed=5)
    history = train("mae", X, y, validation_data=(X_val, y_val), epochs=3, learning_rate=1e-2)

    # the model kept is the best validation epoch's (here the last: the loss still falls)
    best = history.best_epoch - 1
    pred_train, pred_val = outputs(history, X)[:, 0], outputs(history, X_val)[:, 0]
    assert history.history["loss"][best] == pytest.approx(np.mean(np.abs(pred_train - y)), rel=1e-4)
    assert history.history["val_loss"][best] == pytest.approx(np.mean(np.abs(pred_val - y_val)), rel=1e-4)
    assert history.history["val_rmse"][best] == pytest.approx(np.sqrt(np.mean((pred_val - y_val) ** 2)), rel=1e-4)
    r2 = 1.0 - np.sum((y_val - pred_val) ** 2) / np.sum((y_val - y_val.mean()) ** 2)
    assert history.history["val_r2"][best] == pytest.approx(r2, rel=1e-4)
    assert history.history["val_medae"][best] == pytest.approx(np.median(np.abs(pred_val - y_val)), rel=1e-4)


def test_equal_seeds_give_equal_runs_and_other_seeds_other_runs():
    X, y = regression_data()
    first = train("huber", X, y, epochs=3, seed=7)
    again = train("huber", X, y, epochs=3, seed=7)
    other = train("huber", X, y, epochs=3, seed=8)

    assert first.history == again.history
    assert first.history["loss"] != other.history["loss"]


def test_a_custom_callable_loss_trains_under_its_own_name():
    def cubic_error(y_true, y_pred):
        return torch.mean(torch.abs(y_pred - y_true) ** 3, dim=-1)

    X, y = regression_data()
    X_val, y_val = regression_data(n=80, seed=5)
    history = train(cubic_error, X, y, validation_data=(X_val, y_val), epochs=4, learning_rate=1e-2)

    assert history.loss == "cubic_error" and history.activation == "linear"
    assert history.history["loss"][-1] < history.history["loss"][0]
    pred = outputs(history, X)[:, 0]
    assert history.history["loss"][-1] == pytest.approx(np.mean(np.abs(pred - y) ** 3), rel=1e-4)


def test_a_name_is_trained_in_its_stable_from_logits_form_and_its_metrics_follow_the_logits():
    X, y = binary_data()
    X_val, y_val = binary_data(n=100, seed=9)
    history = train("binary_crossentropy", X, y, validation_data=(X_val, y_val), epochs=4, learning_rate=1e-2)

    assert history.options["from_logits"] is True and history.activation == "linear"
    assert set(history.metrics) == {"accuracy", "balanced_accuracy", "log_loss", "brier", "f1", "roc_auc", "average_precision"}
    best = history.best_epoch - 1
    z = outputs(history, X_val)[:, 0]
    p = 1.0 / (1.0 + np.exp(-z))
    assert history.history["val_accuracy"][best] == pytest.approx(np.mean((p > 0.5) == (y_val == 1)))
    log_loss = -np.mean(y_val * np.log(p) + (1 - y_val) * np.log(1 - p))
    assert history.history["val_log_loss"][best] == pytest.approx(log_loss, rel=1e-4)
    assert history.history["val_loss"][best] == pytest.approx(log_loss, rel=1e-4)  # the loss is the log loss here
    assert history.history["val_brier"][best] == pytest.approx(np.mean((p - y_val) ** 2), rel=1e-4)
    assert history.history["accuracy"][best] > 0.8


def test_an_explicit_loss_object_is_used_as_given_with_the_activation_its_metadata_names():
    X, y = binary_data()
    history = train(lk.get("binary_crossentropy"), X, y, epochs=2)
    assert history.options["from_logits"] is False and history.activation == "sigmoid"
    out = outputs(history, X)
    assert np.all((out > 0) & (out < 1))


def test_the_loss_is_always_averaged_whatever_reduction_it_was_built_with():
    X, y = regression_data()
    summed = train(lk.get("mse", reduction="sum"), X, y, epochs=2, seed=3)
    mean = train("mse", X, y, epochs=2, seed=3)
    assert summed.history == mean.history


def test_multiclass_text_labels_with_sparse_labels_and_one_hot_losses():
    X, y = multiclass_data()
    sparse = train("sparse_categorical_crossentropy", X, y, epochs=5, learning_rate=1e-2)
    one_hot = train("categorical_crossentropy", X, y, epochs=5, learning_rate=1e-2)

    assert sparse.classes == one_hot.classes == ["cat", "dog", "eel"]
    assert sparse.form.n_outputs == one_hot.form.n_outputs == 3
    assert sparse.history["accuracy"][-1] > 0.8
    # the same seed, data and architecture: integer labels and one-hot targets train identically
    np.testing.assert_allclose(sparse.history["loss"], one_hot.history["loss"], rtol=1e-5)
    scores = sparse.evaluate(X, y)
    labels = np.argmax(outputs(sparse, X), axis=1)
    assert scores["accuracy"] == pytest.approx(np.mean(np.array(["cat", "dog", "eel"])[labels] == y))


def test_a_multilabel_loss_on_classes_gives_each_class_its_own_sigmoid():
    X, y = multiclass_data()
    history = train("binary_crossentropy", X, y, epochs=3, learning_rate=1e-2)
    assert history.form.n_outputs == 3 and history.options["from_logits"] is True
    p = 1.0 / (1.0 + np.exp(-outputs(history, X[:6])))
    np.testing.assert_allclose(history.predict(X[:6]).proba, p / p.sum(axis=1, keepdims=True), rtol=1e-6)


def test_gaussian_nll_gets_two_outputs_and_poisson_predicts_exp_of_its_log_rate():
    X, y = regression_data()
    gaussian = train("gaussian_nll", X, y, epochs=3, learning_rate=1e-2)
    assert gaussian.form.n_outputs == 2 and gaussian.options["log_input"] is True
    assert gaussian.history["loss"][-1] < gaussian.history["loss"][0]
    np.testing.assert_allclose(gaussian.predict(X[:5]).values, outputs(gaussian, X[:5])[:, 0], rtol=1e-6)

    rng = np.random.default_rng(3)
    counts = rng.poisson(np.exp(0.5 * X[:, 0] + 1.0))
    poisson = train("poisson", X, counts, task="counts", epochs=3, learning_rate=1e-2)
    assert poisson.activation == "linear" and poisson.options["log_input"] is True
    assert "poisson_deviance" in poisson.metrics
    np.testing.assert_allclose(poisson.predict(X[:5]).values, np.exp(outputs(poisson, X[:5])[:, 0]), rtol=1e-6)


def test_an_incompatible_explicit_activation_warns_and_is_recorded():
    X, y = multiclass_data()
    with pytest.warns(lk.LossCompatibilityWarning):
        history = train("categorical_crossentropy", X, y, activation="tanh", loss_options={"from_logits": False}, epochs=1)
    assert history.activation == "tanh"
    assert any(f["level"] == "error" for f in history.findings)


def test_the_default_activation_fits_the_loss_without_a_warning():
    X, y = binary_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", lk.LossCompatibilityWarning)
        history = train("hinge", X, y, epochs=1)
    assert all(f["level"] != "error" for f in history.findings)
    assert history.metrics and history.history["val_log_loss"] == [None]  # a margin is no probability


def test_a_diverging_run_is_reported_as_diverged_with_the_finite_epochs_before_it():
    X, y = regression_data()
    history = train("mse", X, y, epochs=20, optimizer=lambda params: torch.optim.SGD(params, lr=1e4))

    assert history.status == "diverged"
    assert "epoch" in history.message and ("nan" in history.message or "inf" in history.message)
    assert history.epochs < 20
    assert all(math.isfinite(v) for values in history.history.values() for v in values if v is not None)


def test_a_loss_that_returns_nan_stops_at_its_first_batch():
    def broken(y_true, y_pred):
        return (y_pred - y_true)[..., 0] * float("nan")

    history = train(broken, *regression_data(), epochs=3)
    assert history.status == "diverged" and history.epochs == 0
    assert "epoch 1, batch 1" in history.message


def test_early_stopping_restores_the_weights_of_the_best_epoch():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 8)).astype(np.float32)
    y = rng.normal(size=120)  # noise: the validation loss soon stops improving
    X_val, y_val = rng.normal(size=(60, 8)).astype(np.float32), rng.normal(size=60)
    history = train("mse", X, y, validation_data=(X_val, y_val), epochs=200, patience=3, learning_rate=3e-2, hidden=(64, 64))

    assert history.status == "early_stopped" and history.epochs < 200
    val = history.history["val_loss"]
    assert history.best_epoch == int(np.argmin(val)) + 1 == history.epochs - 3
    restored = np.mean((outputs(history, X_val)[:, 0] - y_val) ** 2)
    assert restored == pytest.approx(val[history.best_epoch - 1], rel=1e-5)


def test_without_early_stopping_the_best_validation_epoch_is_kept_too():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 8)).astype(np.float32)
    y = rng.normal(size=120)  # noise: the validation loss soon gets worse again
    X_val, y_val = rng.normal(size=(60, 8)).astype(np.float32), rng.normal(size=60)
    history = train("mse", X, y, validation_data=(X_val, y_val), epochs=40, learning_rate=3e-2, hidden=(64, 64))

    assert history.status == "completed" and history.epochs == 40
    val = history.history["val_loss"]
    assert history.best_epoch == int(np.argmin(val)) + 1 < 40
    kept = np.mean((outputs(history, X_val)[:, 0] - y_val) ** 2)
    assert kept == pytest.approx(min(val), rel=1e-5) and kept < val[-1]


def test_the_default_budget_gives_small_sets_enough_optimizer_steps():
    from losskit.platform.learners.mlp import MIN_STEPS, epoch_budget

    assert epoch_budget(96, 32) == 200  # iris' training rows: 3 batches an epoch
    assert epoch_budget(96, 32) * 3 >= MIN_STEPS
    assert epoch_budget(100_000, 32) == 30  # large sets: the floor
    assert epoch_budget(10, 32) == 300  # one batch an epoch: the ceiling


def test_a_quantile_loss_model_reports_its_pinball_loss_and_coverage():
    from sklearn.metrics import mean_pinball_loss

    X, y = regression_data()
    X_val, y_val = regression_data(n=80, seed=5)
    history = train("quantile", X, y, loss_options={"quantile": 0.9}, validation_data=(X_val, y_val), epochs=20, learning_rate=1e-2)
    assert {"pinball", "coverage"} <= set(history.metrics)
    pred = outputs(history, X_val)[:, 0]
    best = history.best_epoch - 1
    assert history.history["val_pinball"][best] == pytest.approx(mean_pinball_loss(y_val, pred, alpha=0.9), rel=1e-4)
    assert history.history["val_coverage"][best] == pytest.approx(np.mean(y_val <= pred))


def test_ctrl_c_keeps_the_finished_epochs():
    def interrupt_at_epoch_2(epoch, logs):
        if epoch == 2:
            raise KeyboardInterrupt

    history = train("mse", *regression_data(), epochs=5, callback=interrupt_at_epoch_2)
    assert history.status == "interrupted" and history.epochs == 2


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda X, y: train("mse", X[:, 0], y), "`X` must be a 2-D array"),
        (lambda X, y: train("mse", X, y[:-1]), "one target per row"),
        (lambda X, y: train("mse", np.where(X > 2, np.nan, X), y), "`X` must be finite"),
        (lambda X, y: train("mean_squared_logarithmic_error", X, y - 100.0), "mean_squared_logarithmic_error needs targets"),
        (lambda X, y: train("mse", X, y, optimizer="lbfgs"), "`optimizer` must be one of"),
        (lambda X, y: train("mse", X, y, validation_split=1.5), "`validation_split` must be in (0, 1)"),
        (lambda X, y: train("mse", X, y, activation="swish"), "train: `activation` must be one of"),
    ],
)
def test_bad_input_is_a_value_error_that_says_what_was_expected(call, message):
    X, y = regression_data(n=60)
    with pytest.raises(ValueError, match=re.escape(message)):
        call(X, y)



@pytest.mark.parametrize("name", [a for a in ACTIVATIONS if "+" not in a])
def test_final_activation_stays_in_the_range_guidance_gives(name):
    """Each last layer the platform builds is the activation guidance knows by that name: its
    outputs on a wide grid lie in guidance's range, and sigmoid/softmax/exp equal the formulas."""
    z = torch.linspace(-30.0, 30.0, 600, dtype=torch.float64).reshape(-1, 3)
    out = FinalActivation(name)(z).numpy()
    interval = activation(name).output
    assert np.all(out >= interval.low) and np.all(out <= interval.high)
    zn = z.numpy()
    expected = {
        "sigmoid": 1.0 / (1.0 + np.exp(-zn)),
        "softmax": np.exp(zn - zn.max(1, keepdims=True)) / np.exp(zn - zn.max(1, keepdims=True)).sum(1, keepdims=True),
        "exponential": np.exp(zn),
        "softplus": np.log1p(np.exp(zn)),
        "linear": zn,
    }.get(name)
    if expected is not None:
        # rtol 1e-9: torch's softplus returns z itself above z = 20 (off by exp(-z) / z < 1e-10)
        np.testing.assert_allclose(out, expected, rtol=1e-9)
