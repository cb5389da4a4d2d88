"""losskit.xgboost and losskit.lightgbm: objectives, metrics and intercepts in margin space.

References are independent float64 formulas written here or in ``formulas.py``, and the
libraries' own built-in objectives (``binary:logistic``, ``multi:softprob``, LightGBM's
``binary``/``multiclass``): a custom objective with the same gradient and Hessian grows the same
trees. Tests that train skip with a visible reason when the library is not installed
(``pip install "losskit[gbdt]"``); the rest need only NumPy.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from formulas import REFERENCE

from losskit import lightgbm as lkl
from losskit import xgboost as lkx


def _xgboost():
    return pytest.importorskip("xgboost", reason='xgboost is not installed (pip install "losskit[gbdt]")')


def _lightgbm():
    return pytest.importorskip("lightgbm", reason='lightgbm is not installed (pip install "losskit[gbdt]")')


def _sklearn_datasets():
    return pytest.importorskip("sklearn.datasets", reason="scikit-learn is not installed (pip install losskit[data])")


class Data:
    """The two methods objectives read from ``xgboost.DMatrix`` / ``lightgbm.Dataset``.
    ``no_weight`` is what the library returns without weights: XGBoost an empty array, LightGBM None."""

    def __init__(self, label, weight=None, no_weight=None):
        self.label, self.weight, self.no_weight = np.asarray(label, dtype=np.float32), weight, no_weight

    def get_label(self):
        return self.label

    def get_weight(self):
        return self.no_weight if self.weight is None else np.asarray(self.weight, dtype=np.float32)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logit(p):
    return np.log(p / (1.0 - p))


RNG = np.random.default_rng(7)
N = 41
BINARY = (RNG.uniform(size=N) < 0.35).astype(np.float64)
MARGINS = RNG.normal(scale=2.0, size=N).astype(np.float32)  # XGBoost passes float32 margins
TARGETS = RNG.normal(size=N)
COUNTS = RNG.poisson(2.5, size=N).astype(np.float64)
WEIGHTS = RNG.uniform(0.2, 3.0, size=N)
CLASSES = RNG.integers(0, 3, size=N)
MARGINS_3 = RNG.normal(size=(N, 3)).astype(np.float32)


# ----------------------------------------------------------------------------- objectives
@pytest.mark.parametrize("module", [lkx, lkl], ids=["xgboost", "lightgbm"])
@pytest.mark.parametrize("weighted", [False, True])
def test_objective_gradients_and_hessians_in_the_library_shapes(module, weighted):
    w = WEIGHTS if weighted else np.ones(N)
    data = Data(BINARY, WEIGHTS if weighted else None, np.empty(0, np.float32) if module is lkx else None)
    x = MARGINS.astype(np.float64)
    p = sigmoid(x)
    cases = {
        "binary_crossentropy": ({}, p - BINARY, p * (1 - p)),
        "hinge": ({}, np.where(1 - np.where(BINARY == 0, -1, 1) * x >= 0, -np.where(BINARY == 0, -1, 1), 0.0), np.ones(N)),
    }
    for name, (options, grad, hess) in cases.items():
        g, h = module.objective(name, **options)(MARGINS, data)
        assert g.shape == h.shape == (N,)
        np.testing.assert_allclose(g, w * grad, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(h, w * hess, rtol=1e-6, atol=1e-12)

    regression = Data(TARGETS, WEIGHTS if weighted else None, data.no_weight)
    e = x - regression.get_label()
    for name, options, grad, hess in [
        ("mean_squared_error", {}, 2 * e, 2 * np.ones(N)),
        ("quantile", {"quantile": 0.8}, (e > 0) - 0.8, np.ones(N)),  # surrogate: LightGBM's constant
        ("huber", {"delta": 0.5}, np.clip(e, -0.5, 0.5), np.ones(N)),
    ]:
        g, h = module.objective(name, **options)(MARGINS, regression)
        np.testing.assert_allclose(g, w * grad, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(h, w * hess, rtol=1e-6, atol=1e-12)

    counts = Data(COUNTS, WEIGHTS if weighted else None, data.no_weight)
    g, h = module.objective("poisson")(MARGINS, counts)  # margins are log-rates: XGBoost's count:poisson
    np.testing.assert_allclose(g, w * (np.exp(x) - COUNTS), rtol=1e-6)
    np.testing.assert_allclose(h, w * np.exp(x), rtol=1e-6)


def test_focal_objective_is_the_derivative_of_the_focal_formula_with_a_positive_hessian():
    gamma = 2.0
    x = MARGINS.astype(np.float64)
    g, h = lkx.objective("binary_focal_crossentropy", gamma=gamma)(MARGINS, Data(BINARY, no_weight=np.empty(0)))

    def focal(z):
        return REFERENCE["binary_focal_crossentropy"](BINARY[:, None], z[:, None], gamma=gamma, from_logits=True)

    step = 1e-6
    np.testing.assert_allclose(g, (focal(x + step) - focal(x - step)) / (2 * step), rtol=1e-5, atol=1e-9)
    p = sigmoid(x)
    one_minus_p_t = BINARY * (1 - p) + (1 - BINARY) * p
    np.testing.assert_allclose(h, one_minus_p_t**gamma * p * (1 - p), rtol=1e-6)  # the documented surrogate
    assert np.all(h > 0)


@pytest.mark.parametrize("name", ["sparse_categorical_crossentropy", "categorical_crossentropy"])
@pytest.mark.parametrize("module", [lkx, lkl], ids=["xgboost", "lightgbm"])
def test_multiclass_objective_takes_class_indices_and_returns_n_by_k(name, module):
    g, h = module.objective(name)(MARGINS_3, Data(CLASSES, WEIGHTS))
    p = softmax(MARGINS_3.astype(np.float64))
    assert g.shape == h.shape == (N, 3)
    np.testing.assert_allclose(g, WEIGHTS[:, None] * (p - np.eye(3)[CLASSES]), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(h, WEIGHTS[:, None] * p * (1 - p), rtol=1e-6)


def test_multi_target_labels_give_one_gradient_per_margin():
    targets = RNG.normal(size=(N, 3))
    g, h = lkx.objective("mse")(MARGINS_3, Data(targets, no_weight=np.empty(0)))
    # losskit's per-sample value is the mean over the 3 targets, so each margin carries 1/3
    np.testing.assert_allclose(g, 2 * (MARGINS_3 - targets.astype(np.float32)) / 3, rtol=1e-6)
    np.testing.assert_allclose(h, np.full((N, 3), 2 / 3))


def test_scikit_learn_call_forms():
    x = MARGINS.astype(np.float64)
    p = sigmoid(x)
    g, h = lkx.objective("bce")(BINARY, MARGINS, sample_weight=WEIGHTS)  # XGBRegressor(objective=...)
    np.testing.assert_allclose(g, WEIGHTS * (p - BINARY), rtol=1e-6)
    g, h = lkl.objective("bce")(BINARY, MARGINS, WEIGHTS)  # LGBMRegressor(objective=...): weight third
    np.testing.assert_allclose(h, WEIGHTS * p * (1 - p), rtol=1e-6)
    g, _ = lkl.objective("bce")(BINARY, MARGINS)
    np.testing.assert_allclose(g, p - BINARY, rtol=1e-6)


def test_custom_loss_is_differentiated_by_torch():
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install losskit[torch])")

    def cubic_error(y_true, y_pred):
        return torch.mean(torch.abs(y_pred - y_true) ** 3, dim=-1)

    e = MARGINS.astype(np.float64) - TARGETS
    g, h = lkx.objective(cubic_error)(MARGINS, Data(TARGETS, no_weight=np.empty(0)))
    np.testing.assert_allclose(g, 3 * e * np.abs(e), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(h, np.maximum(6 * np.abs(e), 1e-16), rtol=1e-5, atol=1e-9)


# ----------------------------------------------------------------------------- metrics
def test_metric_is_the_weighted_mean_of_the_formula():
    x = MARGINS.astype(np.float64)
    values = REFERENCE["binary_focal_crossentropy"](BINARY[:, None], x[:, None], gamma=2.0, from_logits=True)
    name, value = lkx.metric("binary_focal_crossentropy", gamma=2.0)(MARGINS, Data(BINARY, no_weight=np.empty(0)))
    assert name == "binary_focal_crossentropy"
    assert value == pytest.approx(values.mean(), rel=1e-6)
    name, value, higher_is_better = lkl.metric("binary_focal_crossentropy", gamma=2.0)(MARGINS, Data(BINARY, WEIGHTS))
    assert (name, higher_is_better) == ("binary_focal_crossentropy", False)
    assert value == pytest.approx(np.sum(WEIGHTS * values) / np.sum(WEIGHTS), rel=1e-6)
    # the scikit-learn form of XGBoost's eval_metric returns the value alone
    assert lkx.metric("tweedie", power=1.5)(COUNTS, MARGINS, sample_weight=WEIGHTS) == pytest.approx(
        np.sum(WEIGHTS * REFERENCE["tweedie"](COUNTS[:, None], x[:, None], power=1.5, log_input=True)) / np.sum(WEIGHTS), rel=1e-6
    )
    logp = np.log(softmax(MARGINS_3.astype(np.float64)))
    _, value, _ = lkl.metric("sparse_categorical_crossentropy")(MARGINS_3, Data(CLASSES))
    assert value == pytest.approx(-logp[np.arange(N), CLASSES].mean(), rel=1e-6)


# ----------------------------------------------------------------------------- intercepts
def test_base_scores_equal_closed_forms():
    assert lkx.base_score("binary_crossentropy", BINARY) == pytest.approx(logit(BINARY.mean()), rel=1e-9)
    w_mean = np.sum(WEIGHTS * BINARY) / np.sum(WEIGHTS)
    assert lkx.base_score("bce", BINARY, WEIGHTS) == pytest.approx(logit(w_mean), rel=1e-9)
    assert lkx.base_score("poisson", COUNTS) == pytest.approx(np.log(COUNTS.mean()), rel=1e-9)
    assert lkx.base_score("tweedie", COUNTS, power=1.3) == pytest.approx(np.log(COUNTS.mean()), rel=1e-9)
    assert lkx.base_score("mse", TARGETS, WEIGHTS) == pytest.approx(np.sum(WEIGHTS * TARGETS) / np.sum(WEIGHTS), rel=1e-9)
    assert lkx.base_score("mae", TARGETS) == pytest.approx(np.median(TARGETS), rel=1e-12)  # N is odd
    assert lkx.base_score("mae", TARGETS[:-1]) == pytest.approx(np.median(TARGETS[:-1]), rel=1e-12)  # midpoint
    expected = np.quantile(TARGETS, 0.9, method="inverted_cdf")
    assert lkx.base_score("quantile", TARGETS, quantile=0.9) == pytest.approx(expected, rel=1e-12)
    frequencies = np.bincount(CLASSES, minlength=3) / N
    np.testing.assert_allclose(lkx.base_score("sparse_categorical_crossentropy", CLASSES), np.log(frequencies), rtol=1e-9)
    np.testing.assert_allclose(softmax(np.array([lkx.base_score("cce", CLASSES)]))[0], frequencies, rtol=1e-9)
    assert lkx.base_score("squared_hinge", BINARY) == pytest.approx(2 * BINARY.mean() - 1, rel=1e-9)
    assert lkx.base_score("hinge", BINARY) == -1.0  # fewer positives: the margin of the negatives
    assert lkx.base_score("hinge", 1 - BINARY) == 1.0


def test_init_scores_are_one_row_per_sample():
    init = lkl.init_score("binary_crossentropy", BINARY)
    np.testing.assert_allclose(init, np.full(N, logit(BINARY.mean())), rtol=1e-9)
    init = lkl.init_score("sparse_categorical_crossentropy", CLASSES, num_class=4)
    assert init.shape == (N, 4)
    frequencies = np.bincount(CLASSES, minlength=4) / N
    np.testing.assert_allclose(softmax(init[:1])[0], frequencies, atol=1e-12)  # an absent class: probability ~0
    np.testing.assert_allclose(init, np.tile(init[0], (N, 1)))


@pytest.mark.parametrize(
    ("name", "options", "y", "formula"),
    [
        ("binary_focal_crossentropy", {"gamma": 2.0}, BINARY, lambda y, c: REFERENCE["binary_focal_crossentropy"](y, c, gamma=2.0, from_logits=True)),
        ("huber", {"delta": 0.5}, TARGETS, lambda y, c: REFERENCE["huber"](y, c, delta=0.5)),
        ("log_cosh", {}, TARGETS, lambda y, c: REFERENCE["log_cosh"](y, c)),
    ],
)
def test_base_scores_without_closed_forms_are_minima_on_a_dense_grid(name, options, y, formula):
    base = lkx.base_score(name, y, WEIGHTS, **options)

    def objective(constants):  # the weighted sum at each constant margin
        constants = np.asarray(constants, dtype=np.float64)
        return WEIGHTS @ formula(y[:, None, None], constants[None, :, None])

    grid = np.linspace(base - 3, base + 3, 60001)  # spacing 1e-4
    best = grid[np.argmin(objective(grid))]
    assert abs(base - best) <= 1e-4
    at_base, beside = objective([base, base - 1e-5, base + 1e-5])[0], objective([base - 1e-5, base + 1e-5])
    assert at_base <= beside.min()


# ----------------------------------------------------------------------------- errors
def test_margins_are_logits_not_probabilities():
    with pytest.raises(ValueError, match=r"losskit.xgboost.objective: binary_crossentropy: `from_logits` must be True.*got False"):
        lkx.objective("binary_crossentropy", from_logits=False)
    with pytest.raises(ValueError, match=r"losskit.lightgbm.metric: poisson: `log_input` must be True"):
        lkl.metric("poisson", log_input=False)


@pytest.mark.parametrize("name", ["gaussian_nll", "kl_divergence"])
def test_losses_without_a_margin_form_are_refused(name):
    with pytest.raises(ValueError, match=f"losskit.xgboost.objective: {name} cannot be a gradient-boosting objective"):
        lkx.objective(name)


def test_shape_mismatches_name_the_loss():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy needs one margin per class; got one per row. Set `num_class`"):
        lkl.objective("sparse_categorical_crossentropy")(MARGINS, Data(CLASSES))
    with pytest.raises(ValueError, match=r"categorical_crossentropy: `labels` must be class indices, integers in \[0, 3\); got min=0, max=5"):
        lkx.objective("categorical_crossentropy")(MARGINS_3, Data(np.arange(N) % 6))
    with pytest.raises(ValueError, match=r"mean_squared_error: `labels` must hold one value per margin \(41 rows x 3\); got 41 values"):
        lkx.objective("mse")(MARGINS_3, Data(TARGETS))
    with pytest.raises(ValueError, match="poisson: `y_true` must be values in"):
        lkx.objective("poisson")(MARGINS, Data(-COUNTS - 1))


def test_an_objective_without_a_minimum_is_reported():
    with pytest.raises(ValueError, match="binary_crossentropy: the constant margin found no minimum"):
        lkx.base_score("binary_crossentropy", np.zeros(10))


def test_importing_losskit_imports_neither_library():
    code = (
        "import sys, losskit\n"
        "from losskit import xgboost as lkx, lightgbm as lkl\n"
        "lkx.objective('bce'); lkl.init_score('mse', [1.0, 2.0])\n"
        "assert not {'xgboost', 'lightgbm'} & set(sys.modules), sorted({'xgboost', 'lightgbm'} & set(sys.modules))\n"
        "import losskit.xgboost, losskit.lightgbm\n"
        "assert losskit.xgboost is lkx and losskit.lightgbm is lkl\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- training: XGBoost
def _binary_data():
    X, y = _sklearn_datasets().load_breast_cancer(return_X_y=True)
    return X, y.astype(np.float64)


def test_xgboost_custom_crossentropy_grows_the_trees_of_binary_logistic():
    xgb = _xgboost()
    X, y = _binary_data()
    dtrain = xgb.DMatrix(X, label=y)
    base = lkx.base_score("binary_crossentropy", y)
    params = {"max_depth": 3, "eta": 0.3, "nthread": 2}
    history, builtin_history = {}, {}
    custom = xgb.train(
        {**params, "base_score": base}, dtrain, 8, obj=lkx.objective("binary_crossentropy"),
        custom_metric=lkx.metric("binary_crossentropy"), evals=[(dtrain, "train")], evals_result=history, verbose_eval=False,
    )  # fmt: skip
    builtin = xgb.train(  # binary:logistic reads base_score as a probability
        {**params, "objective": "binary:logistic", "base_score": sigmoid(base), "eval_metric": "logloss"}, dtrain, 8,
        evals=[(dtrain, "train")], evals_result=builtin_history, verbose_eval=False,
    )  # fmt: skip
    np.testing.assert_allclose(custom.predict(dtrain, output_margin=True), builtin.predict(dtrain, output_margin=True), atol=1e-5)
    np.testing.assert_allclose(history["train"]["binary_crossentropy"], builtin_history["train"]["logloss"], rtol=1e-5)


def test_xgboost_softmax_objective_agrees_with_multi_softprob():
    xgb = _xgboost()
    X, y = _sklearn_datasets().load_iris(return_X_y=True)
    dtrain = xgb.DMatrix(X, label=y)
    base = lkx.base_score("sparse_categorical_crossentropy", y)
    assert isinstance(base, list) and len(base) == 3
    # XGBoost's softmax Hessian is 2 p (1 - p); with lambda = 0 the trees split alike and the
    # built-in leaves are half as large, so half the learning rate gives the same model.
    params = {"max_depth": 2, "num_class": 3, "reg_lambda": 0.0, "min_child_weight": 0.0, "nthread": 2, "base_score": base}
    custom = xgb.train({**params, "eta": 0.15}, dtrain, 10, obj=lkx.objective("sparse_categorical_crossentropy"))
    builtin = xgb.train({**params, "eta": 0.3, "objective": "multi:softprob"}, dtrain, 10)
    np.testing.assert_allclose(softmax(custom.predict(dtrain, output_margin=True)), builtin.predict(dtrain), atol=1e-5)


@pytest.mark.parametrize(
    ("name", "options", "labels"),
    [
        ("binary_focal_crossentropy", {"gamma": 2.0}, "binary"),
        ("huber", {"delta": 0.5}, "regression"),
        ("quantile", {"quantile": 0.8}, "regression"),
        ("poisson", {}, "counts"),
    ],
)
def test_xgboost_custom_objectives_reduce_the_training_metric(name, options, labels):
    xgb = _xgboost()
    X, y = _sklearn_datasets().load_diabetes(return_X_y=True)
    # targets of unit scale: with the constant surrogate Hessian of L1-type losses a leaf moves at most eta per round
    y = {"binary": (y > 140).astype(float), "regression": y / 50, "counts": np.round(y / 30)}[labels]
    dtrain = xgb.DMatrix(X, label=y)
    history = {}
    xgb.train(
        {"max_depth": 3, "eta": 0.3, "nthread": 2, "base_score": lkx.base_score(name, y, **options)}, dtrain, 15,
        obj=lkx.objective(name, **options), custom_metric=lkx.metric(name, **options),
        evals=[(dtrain, "train")], evals_result=history, verbose_eval=False,
    )  # fmt: skip
    curve = history["train"][name]
    assert curve[-1] < 0.9 * curve[0]
    assert all(b <= a + 1e-9 for a, b in zip(curve, curve[1:]))


def test_xgboost_weights_count_as_repeated_rows():
    xgb = _xgboost()
    X, y = _binary_data()
    X, y = X[:200], y[:200]
    repeats = np.random.default_rng(0).integers(1, 4, size=len(y))
    params = {"max_depth": 2, "eta": 0.3, "nthread": 2, "tree_method": "exact"}
    weighted = xgb.train({**params, "base_score": lkx.base_score("bce", y, repeats)},
                         xgb.DMatrix(X, label=y, weight=repeats), 5, obj=lkx.objective("bce"))  # fmt: skip
    X_rep, y_rep = np.repeat(X, repeats, axis=0), np.repeat(y, repeats)
    repeated = xgb.train({**params, "base_score": lkx.base_score("bce", y_rep)}, xgb.DMatrix(X_rep, label=y_rep), 5, obj=lkx.objective("bce"))
    test = xgb.DMatrix(X)
    np.testing.assert_allclose(weighted.predict(test, output_margin=True), repeated.predict(test, output_margin=True), atol=1e-5)


def test_xgboost_scikit_learn_api_with_weights():
    xgb = _xgboost()
    X, y = _sklearn_datasets().load_diabetes(return_X_y=True)
    y = y / 100
    weights = np.random.default_rng(1).uniform(0.5, 2, size=len(y))
    model = xgb.XGBRegressor(
        objective=lkx.objective("huber"), eval_metric=lkx.metric("huber"), n_estimators=5, max_depth=2, n_jobs=2,
        base_score=lkx.base_score("huber", y, weights),
    )  # fmt: skip
    model.fit(X, y, sample_weight=weights, eval_set=[(X, y)], sample_weight_eval_set=[weights], verbose=False)
    huber = REFERENCE["huber"](y[:, None], model.predict(X, output_margin=True)[:, None])
    assert model.evals_result()["validation_0"]["huber"][-1] == pytest.approx(np.sum(weights * huber) / weights.sum(), rel=1e-5)


def test_xgboost_multi_target_base_score_is_per_target():
    xgb = _xgboost()
    X = RNG.normal(size=(N, 3))
    Y = np.stack([TARGETS, 2 * TARGETS + 1], axis=1)
    base = lkx.base_score("mse", Y)
    np.testing.assert_allclose(base, Y.mean(axis=0), rtol=1e-9)
    booster = xgb.train({"base_score": base, "max_depth": 2, "nthread": 2}, xgb.DMatrix(X, label=Y), 3, obj=lkx.objective("mse"))
    assert booster.predict(xgb.DMatrix(X), output_margin=True).shape == (N, 2)


# ----------------------------------------------------------------------------- training: LightGBM
LGB_PARAMS = {"num_leaves": 8, "learning_rate": 0.1, "verbose": -1, "num_threads": 2, "min_data_in_leaf": 5, "deterministic": True}


def test_lightgbm_custom_crossentropy_grows_the_trees_of_binary():
    lgb = _lightgbm()
    X, y = _binary_data()
    init = lkl.init_score("binary_crossentropy", y)
    history = {}
    train = lgb.Dataset(X, label=y, init_score=init)
    custom = lgb.train({**LGB_PARAMS, "objective": lkl.objective("binary_crossentropy"), "metric": "None"}, train, 10,
                       valid_sets=[train], feval=lkl.metric("binary_crossentropy"), callbacks=[lgb.record_evaluation(history)])  # fmt: skip
    builtin = lgb.train({**LGB_PARAMS, "objective": "binary"}, lgb.Dataset(X, label=y), 10)  # starts at logit(mean) itself
    np.testing.assert_allclose(custom.predict(X, raw_score=True) + init, builtin.predict(X, raw_score=True), atol=1e-9)
    final = REFERENCE["binary_crossentropy"](y[:, None], (custom.predict(X, raw_score=True) + init)[:, None], from_logits=True)
    assert history["training"]["binary_crossentropy"][-1] == pytest.approx(final.mean(), rel=1e-9)


def test_lightgbm_softmax_objective_agrees_with_multiclass():
    lgb = _lightgbm()
    X, y = _sklearn_datasets().load_iris(return_X_y=True)
    init = lkl.init_score("sparse_categorical_crossentropy", y)
    assert init.shape == (len(y), 3)
    # LightGBM's multiclass Hessian is k/(k-1) p (1 - p): with no L2 the trees split alike and the
    # built-in leaves are (k-1)/k as large, so (k-1)/k of the learning rate gives the same model.
    params = {**LGB_PARAMS, "num_class": 3, "lambda_l2": 0.0, "min_sum_hessian_in_leaf": 0.0}
    custom = lgb.train({**params, "objective": lkl.objective("sparse_categorical_crossentropy"), "learning_rate": 0.1 * 2 / 3},
                       lgb.Dataset(X, label=y, init_score=init), 10)  # fmt: skip
    builtin = lgb.train({**params, "objective": "multiclass"}, lgb.Dataset(X, label=y, init_score=init), 10)
    np.testing.assert_allclose(softmax(custom.predict(X, raw_score=True) + init), softmax(builtin.predict(X, raw_score=True) + init), atol=1e-6)


@pytest.mark.parametrize(("name", "options"), [("binary_focal_crossentropy", {"gamma": 2.0}), ("quantile", {"quantile": 0.3}), ("tweedie", {"power": 1.5})])
def test_lightgbm_custom_objectives_reduce_the_training_metric(name, options):
    lgb = _lightgbm()
    X, y = _sklearn_datasets().load_diabetes(return_X_y=True)
    y = (y > 140).astype(float) if name == "binary_focal_crossentropy" else y / 50
    weights = np.random.default_rng(2).uniform(0.5, 2.0, size=len(y))
    init = lkl.init_score(name, y, weights, **options)
    train = lgb.Dataset(X, label=y, weight=weights, init_score=init)
    history = {}
    lgb.train({**LGB_PARAMS, "objective": lkl.objective(name, **options), "metric": "None"}, train, 15,
              valid_sets=[train], feval=lkl.metric(name, **options), callbacks=[lgb.record_evaluation(history)])  # fmt: skip
    curve = history["training"][name]
    assert curve[-1] < 0.95 * curve[0]


def test_lightgbm_scikit_learn_api_passes_weights():
    lgb = _lightgbm()
    X, y = _binary_data()
    weights = np.where(y == 1, 3.0, 1.0)
    init = lkl.init_score("bce", y, weights)
    assert init[0] == pytest.approx(logit(np.sum(weights * y) / np.sum(weights)), rel=1e-9)
    model = lgb.LGBMRegressor(objective=lkl.objective("bce"), n_estimators=5, num_leaves=4, verbose=-1, n_jobs=2)
    model.fit(X, y, sample_weight=weights, init_score=init)
    reference = lgb.train({"objective": "binary", "num_leaves": 4, "verbose": -1, "num_threads": 2, "learning_rate": 0.1},
                          lgb.Dataset(X, label=y, weight=weights), 5)  # fmt: skip
    np.testing.assert_allclose(model.predict(X, raw_score=True) + init, reference.predict(X, raw_score=True), atol=1e-9)


def test_xgboost_fits_a_large_scale_target_with_log_cosh():
    """Residuals of hundreds: log-cosh's exact Hessian ``sech(e)^2`` is 0 there (floored at 1e-16),
    so a hand-written exact-Hessian objective leaves the intercept where it is; the surrogate
    ``tanh(e) / e`` steps by about ``-e`` and fits. Measured against the targets themselves."""
    xgb = _xgboost()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    y = 1000.0 + 300.0 * X[:, 0] + 100.0 * np.sin(X[:, 1])
    dtrain = xgb.DMatrix(X, label=y)
    params = {"max_depth": 3, "eta": 0.3, "nthread": 2, "base_score": lkx.base_score("log_cosh", y)}

    def exact_hessian(predt, data):
        e = np.clip(predt - data.get_label(), -300.0, 300.0)
        return np.tanh(e), np.maximum(1.0 / np.cosh(e) ** 2, 1e-16)

    spread = np.mean(np.abs(y - np.median(y)))
    for obj, most in ((exact_hessian, None), (lkx.objective("log_cosh"), 0.2 * spread)):
        margins = xgb.train(params, dtrain, 50, obj=obj).predict(dtrain, output_margin=True)
        error = np.mean(np.abs(margins - y))
        if most is None:
            assert error > 0.9 * spread  # the stall the surrogate is for
        else:
            assert error < most
