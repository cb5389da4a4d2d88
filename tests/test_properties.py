"""Property-based tests (hypothesis) over random shapes (1-d to 3-d) and values, on NumPy and
PyTorch (the fast backends; test_catalog covers all four), in float32 and float64:

- agreement with the independent float64 formulas of ``tests/formulas.py``;
- non-negativity where it holds, zero (or the minimum) at the target where it holds;
- symmetry of mse, mae, log_cosh and huber in (y_true, y_pred);
- gradients: ``torch.autograd`` and ``jax.grad`` of every loss are finite and equal a central
  finite difference of the float64 formula.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import losskit as lk
from cases import make_case
from conftest import SELECTED, Backend
from formulas import REFERENCE
from losskit.losses._domain import Layout

NAMES = sorted(REFERENCE)
FAST_BACKENDS = [name for name in ("numpy", "torch") if name in SELECTED]
PROPERTY = settings(max_examples=12, deadline=None, derandomize=True, database=None)
GRADIENT = settings(max_examples=5, deadline=None, derandomize=True, database=None)

LOGIT_LOSSES = (
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "categorical_focal_crossentropy", "policy_gradient", "lovasz_softmax",
    "dice", "tversky", "generalized_dice",
)  # fmt: skip
LOG_INPUT_LOSSES = ("poisson", "kl_divergence", "tweedie", "gaussian_nll")
VARIANTS = (
    [(name, {}) for name in NAMES]
    + [(name, {"from_logits": True}) for name in LOGIT_LOSSES]
    + [(name, {"log_input": True}) for name in LOG_INPUT_LOSSES]
)


def backend_named(name: str) -> Backend:
    if name == "torch":
        pytest.importorskip("torch")
    return Backend(name)


def sample(name: str, options: dict, seed: int, lead: tuple[int, ...], width: int):
    """Inputs inside the loss's domain, shaped ``(*lead, width)`` (``lead`` may be empty: one sample)."""
    rng = np.random.default_rng(seed)
    if lk.get(name).spec.layout is Layout.BATCH:  # one batch of (N, D) embeddings, N >= 2
        lead = (max(2, int(np.prod(lead)) if lead else 2),)
    if lk.get(name).spec.layout is Layout.SEQUENCE:  # (N, S) label sequences, (N, T, C) frames
        y_true, y_pred, _ = make_case(name, rng, batch=max(1, int(np.prod(lead)) if lead else 1), width=max(width, 2))
        return y_true, y_pred
    batch = int(np.prod(lead)) if lead else 1
    y_true, y_pred, _ = make_case(name, rng, batch=batch, width=width)
    y_true = y_true.reshape((*lead, *y_true.shape[1:]))
    y_pred = y_pred.reshape((*lead, y_pred.shape[-1]))
    if options.get("from_logits"):
        y_pred = rng.normal(scale=3.0, size=y_pred.shape)
    if options.get("log_input"):
        if name == "gaussian_nll":
            y_pred = np.concatenate([y_pred[..., :width], np.log(y_pred[..., width:])], axis=-1)
        else:
            y_pred = np.log(y_pred)
    return y_true, y_pred


shapes = st.tuples(st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple), st.integers(1, 4))
# width >= 2 for gradients: with one class a distribution is exactly 1, on the clip's kink
gradient_shapes = st.tuples(st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple), st.integers(2, 4))
seeds = st.integers(0, 2**32 - 1)


def rounded(a, dtype):
    a = np.asarray(a)
    return a.astype(dtype) if a.dtype.kind == "f" else a


def evaluate(backend: Backend, name: str, y_true, y_pred, dtype: str, **options) -> np.ndarray:
    out = getattr(lk, name)(backend.to(y_true, dtype), backend.to(y_pred, dtype), **options)
    assert str(out.dtype).split(".")[-1] == dtype
    return backend.np(out)


# ----------------------------------------------------------------------------- agreement with the formulas
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("backend_name", FAST_BACKENDS)
@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=[f"{n}{o}" for n, o in VARIANTS])
def test_agrees_with_the_formula_on_random_shapes(name, options, backend_name, dtype):
    backend = backend_named(backend_name)

    @PROPERTY
    @given(shape=shapes, seed=seeds)
    def check(shape, seed):
        lead, width = shape
        y_true, y_pred = sample(name, options, seed, lead, width)
        got = evaluate(backend, name, y_true, y_pred, dtype, **options)
        expected = REFERENCE[name](rounded(y_true, dtype), rounded(y_pred, dtype), **options)
        layout = lk.get(name).spec.layout
        if layout in (Layout.BATCH, Layout.SEQUENCE):
            lead = y_pred.shape[:1]
        assert got.shape == expected.shape == (lead[:1] if layout is Layout.PER_SAMPLE else lead)
        rtol, atol = (2e-5, 1e-6) if dtype == "float32" else (1e-10, 1e-12)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)

    check()


# ----------------------------------------------------------------------------- sign and minimum
NON_NEGATIVE = [n for n in NAMES if n not in ("cosine_similarity", "policy_gradient", "gaussian_nll", "poisson")]
# where the value is a difference of terms (a deviance, a divergence), rounding may leave a tiny negative
ROUNDING = {"tweedie": 10, "kl_divergence": 10, "sparsemax": 10, "generalized_kl_divergence": 10, "jensen_shannon": 10}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("backend_name", FAST_BACKENDS)
@pytest.mark.parametrize("name", NON_NEGATIVE)
def test_non_negative(name, backend_name, dtype):
    backend = backend_named(backend_name)

    @PROPERTY
    @given(shape=shapes, seed=seeds)
    def check(shape, seed):
        y_true, y_pred = sample(name, {}, seed, *shape)
        got = evaluate(backend, name, y_true, y_pred, dtype)
        slack = ROUNDING.get(name, 0) * np.finfo(dtype).eps * max(1.0, float(np.max(np.abs(y_pred))) ** 2)
        assert np.all(got >= -slack), got

    check()


ZERO_AT_TARGET = [
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
    "huber", "log_cosh", "quantile", "temporal_difference", "tweedie", "kl_divergence", "hinge", "squared_hinge",
    "categorical_hinge", "smooth_l1", "generalized_kl_divergence", "jensen_shannon", "perceptron", "lovasz_softmax",
]  # fmt: skip


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("backend_name", FAST_BACKENDS)
@pytest.mark.parametrize("name", ZERO_AT_TARGET)
def test_zero_at_the_target(name, backend_name, dtype):
    backend = backend_named(backend_name)

    @PROPERTY
    @given(shape=shapes, seed=seeds)
    def check(shape, seed):
        y_true, _ = sample(name, {}, seed, *shape)
        if name in ("tweedie", "generalized_kl_divergence"):
            y_true = y_true + 0.5  # mu = y needs y > 0
        got = evaluate(backend, name, y_true, y_true.astype(float), dtype)
        slack = ROUNDING.get(name, 0) * np.finfo(dtype).eps * max(1.0, float(np.max(np.abs(y_true))) ** 2)
        np.testing.assert_allclose(got, 0.0, atol=slack)

    check()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("backend_name", FAST_BACKENDS)
@pytest.mark.parametrize(
    "name", ["binary_crossentropy", "categorical_crossentropy", "kl_divergence", "poisson", "gaussian_nll", "cosine_similarity"]
)
def test_the_target_is_the_minimum(name, backend_name, dtype):
    """Proper scoring rules and likelihoods: predicting the target (a soft label, a distribution,
    a rate, a mean; a direction for cosine) costs no more than any other prediction."""
    backend = backend_named(backend_name)

    @PROPERTY
    @given(shape=shapes, seed=seeds)
    def check(shape, seed):
        lead, width = shape
        rng = np.random.default_rng(seed)
        y_true, y_pred = sample(name, {}, seed, lead, width)
        if name == "binary_crossentropy":
            y_true = rng.uniform(0.05, 0.95, size=y_true.shape)
            best = y_true
        elif name == "categorical_crossentropy":
            y_true = y_pred[::-1].copy() if lead else y_pred  # a full distribution as the target
            best = y_true
        elif name == "poisson":
            y_true = y_true + 0.5
            best = y_true
        elif name == "gaussian_nll":
            best = np.concatenate([y_true, y_pred[..., width:]], axis=-1)  # same variances, exact means
        elif name == "cosine_similarity":
            best = 2.5 * y_true
        else:
            best = y_true
        at_best = evaluate(backend, name, y_true, best, dtype)
        elsewhere = evaluate(backend, name, y_true, y_pred, dtype)
        slack = 10 * np.finfo(dtype).eps * np.maximum(1.0, np.abs(elsewhere))
        assert np.all(at_best <= elsewhere + slack)
        if name == "cosine_similarity":
            np.testing.assert_allclose(at_best, -1.0, rtol=1e-5 if dtype == "float32" else 1e-12)

    check()


# ----------------------------------------------------------------------------- symmetry
reals = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=32)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("backend_name", FAST_BACKENDS)
@pytest.mark.parametrize("name", ["mean_squared_error", "mean_absolute_error", "log_cosh", "huber"])
def test_symmetric_in_target_and_prediction(name, backend_name, dtype):
    backend = backend_named(backend_name)
    arrays = hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).flatmap(
        lambda shape: st.tuples(hnp.arrays(np.float64, shape, elements=reals), hnp.arrays(np.float64, shape, elements=reals))
    )

    @PROPERTY
    @given(pair=arrays)
    def check(pair):
        a, b = pair
        forward, backward = evaluate(backend, name, a, b, dtype), evaluate(backend, name, b, a, dtype)
        np.testing.assert_allclose(forward, backward, rtol=4 * np.finfo(dtype).eps, atol=0)
        expected = REFERENCE[name](a.astype(dtype), b.astype(dtype))
        np.testing.assert_allclose(forward, expected, rtol=2e-5 if dtype == "float32" else 1e-10, atol=1e-30)

    check()


# ----------------------------------------------------------------------------- gradients
def finite_difference(name: str, y_true, y_pred, options) -> np.ndarray:
    """Central difference of sum(formula) with respect to y_pred, in float64."""
    gradient = np.zeros_like(y_pred)
    flat, out = y_pred.reshape(-1), gradient.reshape(-1)
    for i in range(flat.size):
        h = 1e-6 * max(1.0, abs(flat[i]))
        up, down = flat.copy(), flat.copy()
        up[i] += h
        down[i] -= h
        f_up = REFERENCE[name](y_true, up.reshape(y_pred.shape), **options).sum()
        f_down = REFERENCE[name](y_true, down.reshape(y_pred.shape), **options).sum()
        out[i] = (f_up - f_down) / (2 * h)
    return gradient


def assert_gradient(got, y_true, y_pred, name, options):
    assert np.all(np.isfinite(got)), got
    np.testing.assert_allclose(got, finite_difference(name, y_true, y_pred, options), rtol=1e-5, atol=1e-7)


@pytest.mark.skipif("torch" not in SELECTED, reason="torch is not a selected backend")
@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=[f"{n}{o}" for n, o in VARIANTS])
def test_torch_autograd_matches_finite_differences(name, options):
    torch = pytest.importorskip("torch")

    @GRADIENT
    @given(shape=gradient_shapes, seed=seeds)
    def check(shape, seed):
        y_true, y_pred = sample(name, options, seed, *shape)
        yp = torch.tensor(y_pred, requires_grad=True)
        getattr(lk, name)(torch.from_numpy(np.asarray(y_true)), yp, **options).sum().backward()
        assert_gradient(yp.grad.numpy(), y_true, y_pred, name, options)

    check()


@pytest.mark.skipif("jax" not in SELECTED, reason="jax is not a selected backend")
@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=[f"{n}{o}" for n, o in VARIANTS])
def test_jax_grad_matches_finite_differences(name, options):
    """One shape, so one compilation per loss (the shapes vary in the torch test)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    gradient = jax.jit(jax.grad(lambda yt, yp: getattr(lk, name)(yt, yp, **options).sum(), argnums=1))

    @settings(GRADIENT, max_examples=3)
    @given(seed=seeds)
    def check(seed):
        y_true, y_pred = sample(name, options, seed, (3,), 4)
        got = np.asarray(gradient(jnp.asarray(y_true), jnp.asarray(y_pred)))
        assert_gradient(got, y_true, y_pred, name, options)

    check()
