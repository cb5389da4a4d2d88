"""Numerics that peers get wrong (issue #2, requirement 4), pinned on every backend and both
float dtypes; gradients through ``torch.autograd`` and ``jax.grad``.

Expected values are written from the mathematics (e.g. BCE of logit x for label 1 is
softplus(-x), which is exactly |x| for x = -1e4), never taken from losskit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import losskit as lk
from conftest import assert_close
from formulas import REFERENCE

INF = math.inf


def value_and_gradient(backend, function, y_true, y_pred, dtype):
    """(values, d sum(values) / d y_pred) as NumPy; the gradient is None on backends without autodiff."""
    yt = backend.to(y_true, dtype)
    if backend.name == "torch":
        import torch

        yp = backend.to(y_pred, dtype).requires_grad_(True)
        values = function(yt, yp)
        (gradient,) = torch.autograd.grad(values.sum(), yp)
        return values, backend.np(gradient)
    yp = backend.to(y_pred, dtype)
    if backend.name == "jax":
        import jax

        def objective(p):
            values = function(yt, p)
            return values.sum(), values

        # under jit: one compilation per test rather than one per operation (the eager path is test_catalog's)
        (_, values), gradient = jax.jit(jax.value_and_grad(objective, has_aux=True))(yp)
        return values, np.asarray(gradient)
    return function(yt, yp), None


def assert_finite(*arrays):
    for a in arrays:
        if a is not None:
            assert np.all(np.isfinite(a)), a


def bce_gradient(x, y):
    """sigmoid(x) - y for labels y in {0, 1}, without cancellation: -sigmoid(-x) when y = 1."""
    sigmoid = lambda z: np.exp(-np.logaddexp(0.0, -z))  # noqa: E731
    return np.where(y == 1, -sigmoid(-x), sigmoid(x))


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ----------------------------------------------------------------------------- log_cosh
def test_log_cosh_of_large_residuals_is_finite_and_exact(backend, dtype):
    """log cosh(r) = |r| - log 2 + log1p(exp(-2|r|)); torchmetrics' log(cosh(r)) overflows to inf."""
    residuals = np.array([1e4, -1e4, 3e37, 80.0])
    values, gradient = value_and_gradient(backend, lk.log_cosh, np.zeros((4, 1)), residuals[:, None], dtype)
    r = residuals.astype(dtype).astype(np.float64)
    assert_close(values, np.abs(r) - math.log(2.0), backend, dtype=dtype)
    if gradient is not None:  # d/dr log cosh r = tanh r = sign(r) here
        np.testing.assert_allclose(gradient[:, 0], np.sign(residuals), rtol=1e-6)


def test_log_cosh_keeps_relative_accuracy_near_zero(backend, dtype):
    r = np.array([1e-6, 1e-4, 1e-2, 0.5, 0.99, 1.01, 3.0])
    values = lk.log_cosh(backend.to(np.zeros((7, 1)), dtype), backend.to(r[:, None], dtype))
    r = r.astype(dtype).astype(np.float64)
    series = r**2 / 2 - r**4 / 12 + r**6 / 45 - 17 * r**8 / 2520  # where log(cosh r) loses digits to cosh r ~ 1
    expected = np.where(r < 0.1, series, np.log(np.cosh(r)))
    assert_close(values, expected, backend, dtype=dtype, rtol=2e-6 if dtype == "float32" else 1e-12)


# ----------------------------------------------------------------------------- crossentropy from huge logits
LOGITS = np.array([1e4, 1e3, 100.0, 50.0, 30.0, 17.0])


def test_binary_crossentropy_from_logits_is_exact_for_huge_logits(backend, dtype):
    """Label 1 with logit -x costs softplus(x) = x + log1p(exp(-x)) (Keras' NumPy backend caps it near 16)."""
    x = LOGITS[:, None]
    y_true = np.tile([[1.0, 0.0, 1.0, 0.0]], (len(LOGITS), 1))
    y_pred = np.concatenate([-x, x, x, -x], axis=1)
    function = lambda yt, yp: lk.binary_crossentropy(yt, yp, from_logits=True)  # noqa: E731
    values, gradient = value_and_gradient(backend, function, y_true, y_pred, dtype)
    wrong = LOGITS + np.log1p(np.exp(-LOGITS))
    right = np.log1p(np.exp(-LOGITS))
    assert_close(values, (2 * wrong + 2 * right) / 4, backend, dtype=dtype)
    if gradient is not None:  # (sigmoid(x) - y) / d
        np.testing.assert_allclose(gradient, bce_gradient(y_pred, y_true) / 4, rtol=1e-6, atol=1e-30)


def test_categorical_crossentropy_from_logits_is_exact_for_huge_logits(backend, dtype):
    x = LOGITS[:, None]
    wrong_rows, right_rows = [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]
    y_true = np.array([wrong_rows] * len(LOGITS) + [right_rows] * len(LOGITS))
    y_pred = np.tile(np.concatenate([x, -x, 0 * x], axis=1), (2, 1))
    function = lambda yt, yp: lk.categorical_crossentropy(yt, yp, from_logits=True)  # noqa: E731
    values, gradient = value_and_gradient(backend, function, y_true, y_pred, dtype)
    tail = np.log1p(np.exp(-LOGITS) + np.exp(-2 * LOGITS))  # logsumexp(x) - x for the row (x, -x, 0)
    # the correct rows cost tail = log(1 + e^-x): logsumexp's 1 + e^-x rounds, an absolute error of a few eps
    atol = 10 * np.finfo(dtype).eps
    assert_close(values, np.concatenate([2 * LOGITS + tail, tail]), backend, dtype=dtype, atol=atol)
    if gradient is not None:  # softmax(x) - y
        np.testing.assert_allclose(gradient, softmax(y_pred) - y_true, rtol=1e-6, atol=atol)


@pytest.mark.parametrize("name", ["sparse_categorical_crossentropy", "binary_focal_crossentropy", "categorical_focal_crossentropy"])
def test_other_from_logits_losses_are_finite_for_huge_logits(name, backend, dtype):
    y_pred = np.array([[1e4, -1e4, 0.0, 5e3], [-1e4, 1e4, -5e3, 0.0]])
    y_true = np.array([1, 0]) if name.startswith("sparse") else np.array([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    function = lambda yt, yp: getattr(lk, name)(yt, yp, from_logits=True)  # noqa: E731
    values, gradient = value_and_gradient(backend, function, y_true, y_pred, dtype)
    assert_finite(backend.np(values), gradient)
    if name != "binary_focal_crossentropy":  # the true class is 2e4 below the best: -log p = 2e4 (times alpha)
        scale = 0.25 if name.startswith("categorical_focal") else 1.0
        assert_close(values, np.array([2e4, 2e4]) * scale, backend, dtype=dtype)


# ----------------------------------------------------------------------------- masked classes
MASKED = ["categorical_crossentropy", "sparse_categorical_crossentropy", "categorical_focal_crossentropy", "policy_gradient"]


@pytest.mark.parametrize("name", MASKED)
def test_minus_inf_logit_on_a_zero_label_class_is_finite(name, backend, dtype):
    """A -inf logit masks a class: the loss equals the loss without that class, and its
    gradient is finite, 0 on the masked class (Keras and Optax give NaN)."""
    y_pred = np.array([[2.0, -INF, 0.5, -1.0], [-INF, 0.3, -INF, 1.0]])
    if name.startswith("sparse"):
        y_true = np.array([0, 3])
        unmasked = [np.array([0]), np.array([1])]  # the labels among the kept classes
    else:
        y_true = np.array([[0.7, 0.0, 0.3, 0.0], [0.0, 0.0, 0.0, 1.0]])
        unmasked = [y_true[0, [0, 2, 3]], y_true[1, [1, 3]]]
    if name == "policy_gradient":
        y_true = y_true * np.array([[1.5], [-2.0]])
        unmasked = [unmasked[0] * 1.5, unmasked[1] * -2.0]
    function = lambda yt, yp: getattr(lk, name)(yt, yp, from_logits=True)  # noqa: E731
    values, gradient = value_and_gradient(backend, function, y_true, y_pred, dtype)
    kept = [y_pred[0, [0, 2, 3]], y_pred[1, [1, 3]]]
    expected = [REFERENCE[name](unmasked[i][None], kept[i][None], from_logits=True)[0] for i in range(2)]
    assert_close(values, np.array(expected), backend, dtype=dtype)
    if gradient is not None:
        assert_finite(gradient)
        assert np.all(gradient[np.isinf(y_pred)] == 0.0)


# ----------------------------------------------------------------------------- probabilities of 0 and 1
def clipped_log_loss(dtype):
    """-log of Keras' clip bounds in ``dtype``: (cost of p=0 for label 1, cost of p=1 for label 0)."""
    eps = np.asarray(1e-7, dtype)
    one_minus = np.asarray(1.0, dtype) - eps  # 1 - 1.19e-7 in float32
    return -math.log(float(eps)), -math.log1p(-float(one_minus))


def test_bce_of_probabilities_exactly_zero_and_one_is_the_documented_clip(backend, dtype):
    y_true = np.array([[1.0], [0.0], [1.0], [0.0]])
    y_pred = np.array([[0.0], [1.0], [1.0], [0.0]])
    values, gradient = value_and_gradient(backend, lk.binary_crossentropy, y_true, y_pred, dtype)
    wrong_p0, wrong_p1 = clipped_log_loss(dtype)
    eps = float(np.asarray(1e-7, dtype))
    right_p1 = -math.log(float(np.asarray(1.0, dtype) - np.asarray(1e-7, dtype)))
    expected = np.array([wrong_p0, wrong_p1, right_p1, -math.log1p(-eps)])
    assert_close(values, expected, backend, dtype=dtype, rtol=1e-6 if dtype == "float32" else 1e-12)
    assert 16.11 < expected[0] < 16.12  # -log(1e-7): the documented cost of a confident wrong prediction
    assert_finite(gradient)


@pytest.mark.parametrize(
    ("name", "y_true", "y_pred"),
    [
        ("categorical_crossentropy", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]),
        ("categorical_focal_crossentropy", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]),
        ("sparse_categorical_crossentropy", [0, 1], [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]),
        ("binary_focal_crossentropy", [[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]]),
        ("kl_divergence", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]),
        ("poisson", [[3.0, 0.0]], [[0.0, 0.0]]),
        ("mean_squared_logarithmic_error", [[0.0, 2.0]], [[0.0, 0.0]]),
        ("policy_gradient", [[2.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]]),
    ],
)
def test_probabilities_of_zero_and_one_give_finite_values_and_gradients(name, y_true, y_pred, backend, dtype):
    y_true, y_pred = np.array(y_true), np.array(y_pred)
    values, gradient = value_and_gradient(backend, getattr(lk, name), y_true, y_pred, dtype)
    expected = REFERENCE[name](y_true, y_pred.astype(dtype))
    # in float32 the clip bound 1 - 1e-7 rounds to 1 - 1.19e-7 (pinned exactly by the BCE test above)
    assert_close(values, expected, backend, dtype=dtype, rtol=1e-2 if dtype == "float32" else 1e-12, atol=1e-6)
    assert_finite(backend.np(values), gradient)


# ----------------------------------------------------------------------------- focal loss, gamma < 1
@pytest.mark.parametrize("gamma", [0.2, 0.7])
def test_binary_focal_gradients_are_finite_for_gamma_below_one_on_saturated_logits(gamma, backend, dtype):
    """(1 - p_t)^gamma has an infinite slope where 1 - p_t = 0; torchvision's focal loss gives NaN."""
    logits = np.array([[30.0, -30.0, 100.0, -100.0, 1e4, -1e4, 89.0, -89.0]])
    y_true = np.array([[1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0]])
    function = lambda yt, yp: lk.binary_focal_crossentropy(yt, yp, from_logits=True, gamma=gamma)  # noqa: E731
    values, gradient = value_and_gradient(backend, function, y_true, logits, dtype)
    assert_finite(backend.np(values), gradient)
    # the last two are confidently wrong by 89: bce = 89 + log1p(e^-89), factor (1 - p_t)^gamma = sigmoid(89)^gamma = 1
    expected = 2 * (89.0 + math.log1p(math.exp(-89.0))) / 8
    assert_close(values, np.array([expected]), backend, dtype=dtype, rtol=1e-6 if dtype == "float32" else 1e-12)
    if gradient is not None:  # for the wrong ones, d/dx [softplus-type bce] = sigmoid(x) - y, times the factor 1
        np.testing.assert_allclose(gradient[0, 6:], bce_gradient(logits[0, 6:], y_true[0, 6:]) / 8, rtol=1e-5)


def test_focal_gradients_are_finite_for_gamma_below_one_on_saturated_probabilities(backend, dtype):
    gamma = 0.5
    y_true = np.array([[1.0, 0.0, 1.0, 0.0]])
    y_pred = np.array([[1.0, 0.0, 0.0, 1.0]])
    binary = lambda yt, yp: lk.binary_focal_crossentropy(yt, yp, gamma=gamma)  # noqa: E731
    values, gradient = value_and_gradient(backend, binary, y_true, y_pred, dtype)
    assert_finite(backend.np(values), gradient)
    categorical = lambda yt, yp: lk.categorical_focal_crossentropy(yt, yp, gamma=gamma, from_logits=True)  # noqa: E731
    values, gradient = value_and_gradient(backend, categorical, np.array([[1.0, 0.0, 0.0]]), np.array([[40.0, -40.0, 0.0]]), dtype)
    assert_finite(backend.np(values), gradient)


# ----------------------------------------------------------------------------- every label ignored
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight", "none"])
def test_sparse_crossentropy_with_every_label_ignored_is_zero(reduction, backend, dtype):
    """torch's CrossEntropyLoss(ignore_index=...) gives NaN (0/0) here."""
    loss = lk.get("sparse_categorical_crossentropy", from_logits=True, ignore_class=-1, reduction=reduction)
    y_true, y_pred = np.array([-1, -1, -1]), np.array([[1.0, 2.0], [0.0, -3.0], [5.0, 5.0]])
    objective, gradient = value_and_gradient(backend, loss, y_true, y_pred, dtype)
    expected = np.zeros(3) if reduction == "none" else np.float64(0.0)
    assert_close(objective, expected, backend, dtype=dtype)
    if gradient is not None:
        np.testing.assert_array_equal(gradient, np.zeros_like(y_pred))


def test_sparse_crossentropy_with_some_labels_ignored_averages_the_rest(backend, dtype):
    loss = lk.get("sparse_categorical_crossentropy", from_logits=True, ignore_class=-1)
    y_true, y_pred = np.array([-1, 1, -1, 0]), np.array([[1.0, 2.0], [0.0, -3.0], [5.0, 5.0], [1.0, 0.0]])
    objective, gradient = value_and_gradient(backend, loss, y_true, y_pred, dtype)
    kept = REFERENCE["sparse_categorical_crossentropy"](y_true[[1, 3]], y_pred[[1, 3]].astype(dtype), from_logits=True)
    assert_close(objective, np.float64(kept.mean()), backend, dtype=dtype)
    if gradient is not None:
        assert np.all(gradient[[0, 2]] == 0.0) and np.all(np.isfinite(gradient))


# ----------------------------------------------------------------------------- edges found in issue 10
def test_tweedie_gradient_is_exact_for_tiny_means(backend):
    """mu = 1e-26 in float32 with y = 0: g = 2 mu^(1-p) = 2e13 (p = 1.5), not NaN (mu^-p overflows)."""
    y, mu = backend.to(np.zeros((1, 1)), "float32"), backend.to(np.full((1, 1), 1e-26), "float32")
    with np.errstate(over="ignore"):  # the exact Hessian, -1e39, is beyond float32
        grad, hess = lk.get("tweedie").gradient_hessian(y, mu)
    np.testing.assert_allclose(backend.np(grad), [[2e13]], rtol=1e-5)
    assert not np.isnan(backend.np(hess)).any()
    for power in (1.2, 3.0):
        with np.errstate(over="ignore"):
            grad, hess = lk.get("tweedie", power=power).gradient_hessian(backend.to([[1e-20]], "float32"), mu)
        assert not np.isnan(backend.np(grad)).any() and not np.isnan(backend.np(hess)).any()


def test_gaussian_nll_log_input_huge_residual_and_log_variance(backend, dtype):
    """Residual 1e20, log-variance 200: 0.5 (200 + 1e40 e^-200) = 100 (r^2 e^-s is inf * 0 in float32)."""
    loss = lk.get("gaussian_nll", log_input=True)
    y, raw = backend.to([[1e20]], dtype), backend.to([[0.0, 200.0]], dtype)
    assert_close(loss.values(y, raw), np.array([100.0]), backend, dtype=dtype, rtol=1e-6)
    grad, hess = loss.gradient_hessian(y, raw)
    assert np.isfinite(backend.np(grad)).all() and np.isfinite(backend.np(hess)).all()


@pytest.mark.parametrize("checks", [True, False])
def test_torch_fast_poisson_when_both_terms_overflow(checks):
    """PyTorch's fast path (per-sample kernel and fused objective, value checks on or off): the
    catalog's sign rule where ``exp(x)`` and ``y x`` both overflow, not ``inf - inf``."""
    torch = pytest.importorskip("torch")
    y, x = torch.tensor([[3e38], [1.0]]), torch.tensor([[100.0], [100.0]])
    with lk.value_checks(checks):
        out = lk.poisson(y, x, log_input=True)
        assert out[0] == out[1] == INF
        assert lk.poisson(torch.tensor([[3.4e38]]), torch.tensor([[89.0]]), log_input=True) == -INF
        loss = lk.get("poisson", log_input=True)
        objective = loss(y, x.clone().requires_grad_())
        assert objective == loss.reference_call(y, x) == INF


def test_poisson_log_input_when_both_terms_overflow(backend):
    """exp(100) and 3e38 * 100 both overflow float32: the loss is +inf (exp dominates), never NaN;
    a count large enough to dominate gives -inf."""
    with np.errstate(over="ignore", invalid="ignore"):  # NumPy's fast kernel meets inf - inf, then falls back
        out = backend.np(lk.poisson(backend.to([[3e38], [1.0]], "float32"), backend.to([[100.0], [100.0]], "float32"), log_input=True))
    assert out[0] == INF and out[1] == INF
    with np.errstate(over="ignore", invalid="ignore"):
        out = backend.np(lk.poisson(backend.to([[3.4e38]], "float32"), backend.to([[89.0]], "float32"), log_input=True))
    assert not np.isnan(out).any()


@pytest.mark.parametrize("name", ["huber", "temporal_difference"])
def test_a_delta_beyond_float32_is_its_largest_number(name, backend):
    """delta=1e300 on float32: every finite residual is on the quadratic side (0.5 e^2), not NaN."""
    y, p = backend.to(np.ones((2, 3)), "float32"), backend.to(np.array([[0.0, 3.0, 1e4]] * 2), "float32")
    out = getattr(lk, name)(y, p, delta=1e300)
    assert_close(out, np.full(2, np.mean(0.5 * np.array([1.0, 4.0, 9999.0**2]))), backend, dtype="float32")
    grad, hess = lk.get(name, delta=1e300).gradient_hessian(y, p)
    assert np.isfinite(backend.np(grad)).all() and np.isfinite(backend.np(hess)).all()


@pytest.mark.parametrize("scale", [1e-30, 1e-8, 1.0, 1e20, 1e30])
def test_cosine_similarity_is_scale_free_for_tiny_and_huge_norms(scale, backend, dtype):
    """The cosine of a vector with itself is 1 whatever its norm (Keras' 1e-12 floor on the squared
    norm gives 0.01 at norm 1e-8; float32 squares overflow at norm 1e20)."""
    if dtype == "float32" and scale == 1e-30:
        scale = 1e-30  # subnormal squares: the scaling makes them exact too
    v = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    out = lk.cosine_similarity(backend.to(v * scale, dtype), backend.to(2 * v * scale, dtype))
    assert_close(out, np.full(2, -1.0), backend, dtype=dtype, rtol=1e-6)
    w = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    assert_close(lk.cosine_similarity(backend.to(w, dtype), backend.to(v * scale, dtype)),
                 -np.array([-2.0, 3.0]) / np.linalg.norm(v, axis=-1), backend, dtype=dtype, rtol=1e-6)
