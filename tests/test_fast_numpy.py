"""The NumPy fast path (``losskit.fast.numpy``) against the generic kernels it stands in for.

The generic kernels are the reference here (they are checked against Keras, PyTorch, Optax and
scikit-learn in test_reference.py and against float64 formulas in test_catalog.py): each fast
kernel must give their values to float rounding, in the input's dtype, for every option and
edge input it accepts; the dispatch must pick it for NumPy arrays only. A few edge values are
also pinned to numbers written from the mathematics. Blocks are made tiny (``BLOCK`` patched)
so that small arrays cross many block boundaries, including partial last blocks.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dataclasses

import losskit as lk
from losskit import _array
from formulas import REFERENCE
from losskit._array import numpy_namespace
from losskit.fast import numpy as fast_numpy
from losskit.losses import CATALOG
from losskit.losses._domain import CLASS_INDICES, NON_NEGATIVE, REAL, REAL_OR_MINUS_INF, UNIT, Interval
from losskit.losses._prepare import prepare

XP = numpy_namespace()
FAST_LOSSES = (
    "mean_squared_error", "mean_absolute_error", "huber", "log_cosh", "poisson",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
)  # fmt: skip
DTYPES = ("float32", "float64")


@pytest.fixture(params=[None, 64, 7], ids=["block=default", "block=64", "block=7"])
def block(request, monkeypatch):
    """The block size: the default, or tiny ones so that every test crosses block boundaries."""
    if request.param is not None:
        monkeypatch.setattr(fast_numpy, "BLOCK", request.param)
    return request.param or fast_numpy.BLOCK


def prepared(name, y_true, y_pred, options):
    spec = lk.get(name).spec
    return spec, *prepare(spec, y_true, y_pred, spec.resolve_options(options))


def kernel_for(xp, name, y_true, y_pred, options):
    """The fast kernel the record of ``name`` runs for these prepared arrays and options in
    namespace ``xp``, or None where the reference kernel runs."""
    registered = lk.get(name).spec.kernels.get(_array.library(xp))
    return registered.kernel if registered is not None and registered.covers(y_true, y_pred, options) else None


def test_the_fast_losses_are_the_records_with_a_numpy_kernel():
    """The list these tests cover is every record with a registered NumPy kernel (a kernel
    registered on the wrong record, or a new one without tests, fails here)."""
    assert set(FAST_LOSSES) == {spec.name for spec in CATALOG if "numpy" in spec.kernels}


def generic(name, y_true, y_pred, **options):
    """The catalog's array-API kernel, called explicitly (never the fast path)."""
    spec, xp, t, p, opts = prepared(name, y_true, y_pred, options)
    return spec.kernel(t, p, xp=xp, **opts)


def fast_path(name, y_true, y_pred, **options):
    """The NumPy kernel the dispatch picks; fails if it declines."""
    spec, xp, t, p, opts = prepared(name, y_true, y_pred, options)
    kernel = kernel_for(xp, spec.name, t, p, opts)
    assert kernel is not None, f"no fast kernel for {name} with {options}"
    return kernel(t, p, **opts)


def assert_same(name, y_true, y_pred, **options):
    """Fast and generic values agree to float rounding, with the same dtype and shape (a 0-d
    result may be a NumPy scalar or a 0-d array: the generic kernels give either).

    Tolerance: 32 ulp relative, and 8 ulp of the largest finite |input| absolute (a logsumexp
    or a difference of logits carries that rounding in both kernels, summed in another order).
    """
    expected, got = generic(name, y_true, y_pred, **options), fast_path(name, y_true, y_pred, **options)
    dtype = np.asarray(y_pred).dtype
    assert isinstance(got, np.ndarray) or (got.shape == () and isinstance(got, np.generic))
    assert got.dtype == dtype == expected.dtype and got.shape == expected.shape
    eps = np.finfo(dtype).eps
    inputs = np.concatenate([np.ravel(y_true).astype(float), np.ravel(y_pred).astype(float)])
    scale = max(1.0, np.max(np.abs(inputs[np.isfinite(inputs)]), initial=0.0))
    np.testing.assert_allclose(got, expected, rtol=32 * eps, atol=8 * eps * scale)
    return got


def real(rng, shape, dtype, scale=1.0):
    return (scale * rng.normal(size=shape)).astype(dtype)


def probabilities(rng, shape, dtype):
    p = rng.uniform(0.01, 1.0, size=shape)
    return (p / p.sum(axis=-1, keepdims=True)).astype(dtype)


def one_hot(labels, classes, dtype):
    return np.eye(classes, dtype=dtype)[labels]


SHAPES = [(1, 1), (7,), (300, 1), (129, 3), (2, 5, 4), (3, 200)]


# ----------------------------------------------------------------------------- elementwise losses
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(
    ("name", "options"),
    [("mean_squared_error", {}), ("mean_absolute_error", {}), ("huber", {}), ("huber", {"delta": 0.3}),
     ("huber", {"delta": 2}), ("log_cosh", {})],
    ids=str,
)  # fmt: skip
def test_regression_losses_match_the_generic_kernels(name, options, shape, dtype, block):
    rng = np.random.default_rng(0)
    assert_same(name, real(rng, shape, dtype, 2.0), real(rng, shape, dtype, 2.0), **options)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["mean_squared_error", "mean_absolute_error", "huber", "log_cosh"])
def test_regression_edge_residuals(name, dtype, block):
    """Residuals of 0, around log_cosh's branch point |e| = 1, tiny, and 1e4 (finite in float32)."""
    e = np.array([0.0, 1e-30, 1e-4, -0.999999, 0.9999999, 1.0, -1.0, 1.0000001, 3.0, -20.0, 1e4, -1e4], dtype=dtype)
    y_true = np.linspace(-2, 2, e.size).astype(dtype)
    y_pred = (y_true + e).astype(dtype)
    got = assert_same(name, y_true[:, None], y_pred[:, None])
    assert np.all(np.isfinite(got))


def test_log_cosh_values_are_exact_at_the_extremes():
    """Pinned from the mathematics: log cosh(1e4) = 1e4 - log 2, log cosh(1e-4) = 5e-9 (to 1e-17)."""
    got = fast_path("log_cosh", np.zeros((2, 1)), np.array([[1e4], [1e-4]]))
    np.testing.assert_allclose(got, [1e4 - math.log(2.0), 0.5e-8 - (1e-4) ** 4 / 12], rtol=1e-12)
    got32 = fast_path("log_cosh", np.zeros((1, 1), np.float32), np.array([[1e4]], np.float32))
    assert got32.dtype == np.float32 and abs(float(got32[0]) - (1e4 - math.log(2.0))) <= 1e-3


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("log_input", [False, True])
def test_poisson_matches_the_generic_kernel(shape, dtype, log_input, block):
    rng = np.random.default_rng(1)
    counts = rng.poisson(2.0, size=shape).astype(dtype)
    rates = real(rng, shape, dtype) if log_input else rng.uniform(0.0, 4.0, size=shape).astype(dtype)
    if not log_input:
        rates.flat[0] = 0.0  # a zero rate: log(0 + 1e-7)
    assert_same("poisson", counts, rates, log_input=log_input)


# ----------------------------------------------------------------------------- binary crossentropy
BINARY_OPTIONS = [
    {}, {"label_smoothing": 0.1}, {"class_weight": (0.3, 2.0)}, {"class_weight": np.array([1.0, 0.0])},
    {"label_smoothing": 0.2, "class_weight": [2, 0.5]},
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("options", BINARY_OPTIONS, ids=str)
@pytest.mark.parametrize("from_logits", [True, False])
def test_binary_crossentropy_matches_the_generic_kernel(from_logits, options, shape, dtype, block):
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, size=shape).astype(dtype)
    soft = rng.uniform(0, 1, size=shape).astype(dtype)
    logits = real(rng, shape, dtype, 4.0)
    y_pred = logits if from_logits else (1 / (1 + np.exp(-logits.astype(float)))).astype(dtype)
    for y_true in (labels, soft):
        assert_same("binary_crossentropy", y_true, y_pred, from_logits=from_logits, **options)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", BINARY_OPTIONS, ids=str)
def test_binary_crossentropy_edges(options, dtype, block):
    """Logits of +-1e4 and 0; probabilities of exactly 0 and 1; soft labels near 1 (where
    max(x, 0) - x y would cancel); every label against every edge."""
    logits = np.array([-1e4, -30.0, -1e-3, 0.0, 1e-3, 30.0, 1e4], dtype=dtype)
    probs = np.array([0.0, 1e-9, 1e-7, 0.5, 1 - 1e-7, 1.0], dtype=dtype)
    targets = np.array([0.0, 1.0, 0.5, 1 - 1e-7, 1e-7], dtype=dtype)
    for from_logits, y_pred in ((True, logits), (False, probs)):
        grid_true, grid_pred = np.meshgrid(targets, y_pred, indexing="ij")
        got = assert_same("binary_crossentropy", grid_true.reshape(-1, 1), grid_pred.reshape(-1, 1), from_logits=from_logits, **options)
        assert np.all(np.isfinite(got))


def test_binary_crossentropy_pinned_values():
    """From the mathematics: label 1 at logit -1e4 costs softplus(1e4) = 1e4; label 1 at 1e4 costs
    softplus(-1e4) = 0 (to 1e-300); the soft label 1 - 1e-7 at logit 1e4 costs 1e-7 * 1e4 = 1e-3."""
    got = fast_path("bce", np.array([[1.0], [1.0], [1 - 1e-7]]), np.array([[-1e4], [1e4], [1e4]]), from_logits=True)
    np.testing.assert_allclose(got, [1e4, 0.0, (1e-7) * 1e4 + 0.0], rtol=1e-9, atol=1e-300)
    got = fast_path("bce", np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]]))  # confident wrong probabilities
    np.testing.assert_allclose(got, [-math.log(1e-7), -math.log1p(-(1 - 1e-7))], rtol=1e-9)


# ----------------------------------------------------------------------------- categorical crossentropy
CATEGORICAL_OPTIONS = [{}, {"label_smoothing": 0.1}, {"class_weight": "ramp"}, {"label_smoothing": 0.3, "class_weight": "ramp"}]


def with_weights(options, classes):
    if options.get("class_weight") == "ramp":
        return {**options, "class_weight": [0.5 + c % 3 for c in range(classes)]}
    return options


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 2), (5,), (301, 10), (17, 40), (2, 9, 3)], ids=str)
@pytest.mark.parametrize("options", CATEGORICAL_OPTIONS, ids=str)
@pytest.mark.parametrize("from_logits", [True, False])
def test_categorical_crossentropy_matches_the_generic_kernel(from_logits, options, shape, dtype, block):
    rng = np.random.default_rng(3)
    classes = shape[-1]
    options = with_weights(options, classes)
    hard = one_hot(rng.integers(0, classes, size=shape[:-1]), classes, dtype)
    soft = probabilities(rng, shape, dtype)
    y_pred = real(rng, shape, dtype, 3.0) if from_logits else probabilities(rng, shape, dtype)
    for y_true in (hard, soft):
        assert_same("categorical_crossentropy", y_true, y_pred, from_logits=from_logits, **options)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("classes", [3, 40])
@pytest.mark.parametrize("options", CATEGORICAL_OPTIONS, ids=str)
def test_categorical_crossentropy_edge_logits(options, classes, dtype, block):
    """Rows of +-1e4 logits (exp overflows: the shifted path), a row of logits near -1e3 (every exp
    underflows: shifted too), -inf on classes with target 0 (masked), a row of equal logits, and
    ordinary rows, mixed so that blocks take both paths."""
    rng = np.random.default_rng(4)
    options = with_weights(options, classes)
    rows = 40
    labels = rng.integers(0, classes, size=rows)
    logits = real(rng, (rows, classes), dtype, 3.0)
    logits[::5] *= 1e4 / 3.0
    logits[1] = 0.0
    logits[3] = -1e3 - np.arange(classes)  # every exp underflows: the unshifted sum would be 0
    if not options.get("label_smoothing"):  # smoothing gives every class weight: -inf would be a certain loss
        masked = (np.arange(classes)[None, :] != labels[:, None]) & (rng.uniform(size=(rows, classes)) < 0.3)
        logits[2::3][masked[2::3]] = -np.inf
    got = assert_same("categorical_crossentropy", one_hot(labels, classes, dtype), logits, from_logits=True, **options)
    assert np.all(np.isfinite(got))


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_crossentropy_probability_edges(dtype, block):
    """Probabilities of exactly 0 and 1 (clipped), and rows that do not sum to 1 (rescaled)."""
    y_pred = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.2, 0.2], [0.0, 0.0, 0.0], [0.6, 0.2, 0.0]], dtype=dtype)
    y_true = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]], dtype=dtype)
    for options in CATEGORICAL_OPTIONS:
        assert_same("categorical_crossentropy", y_true, y_pred, **with_weights(options, 3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, -2])
def test_categorical_crossentropy_class_axis(axis, dtype, block):
    rng = np.random.default_rng(5)
    shape = [4, 6, 5]
    classes = shape[axis]
    labels = rng.integers(0, classes, size=[s for i, s in enumerate(shape) if i != axis % 3])
    y_true = np.moveaxis(one_hot(labels, classes, dtype), -1, axis)
    assert_same("categorical_crossentropy", y_true, real(rng, shape, dtype, 3.0), from_logits=True, axis=axis)
    assert_same("sparse_categorical_crossentropy", labels, real(rng, shape, dtype, 3.0), from_logits=True, axis=axis)


# ----------------------------------------------------------------------------- sparse categorical crossentropy
SPARSE_OPTIONS = [{}, {"ignore_class": 2}, {"ignore_class": -1}, {"class_weight": "ramp"}, {"ignore_class": 0, "class_weight": "ramp"}]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 2), (6,), (301, 10), (17, 40), (2, 9, 3)], ids=str)
@pytest.mark.parametrize("options", SPARSE_OPTIONS, ids=str)
@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("label_dtype", ["int64", "int32", "uint8"])
def test_sparse_categorical_crossentropy_matches_the_generic_kernel(label_dtype, from_logits, options, shape, dtype, block):
    rng = np.random.default_rng(6)
    classes = shape[-1]
    options = with_weights(options, classes)
    labels = rng.integers(0, classes, size=shape[:-1])
    if options.get("ignore_class") == -1:
        labels.flat[::3] = -1
    if label_dtype == "uint8" and options.get("ignore_class") == -1:
        return  # -1 is not a uint8 label
    y_pred = real(rng, shape, dtype, 3.0) if from_logits else probabilities(rng, shape, dtype)
    assert_same("sparse_categorical_crossentropy", labels.astype(label_dtype), y_pred, from_logits=from_logits, **options)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", SPARSE_OPTIONS, ids=str)
def test_sparse_categorical_crossentropy_edges(options, dtype, block):
    """+-1e4 logits, -inf logits on classes other than the label, probabilities 0 and 1, labels of
    shape (n, 1), and (value checks off) labels outside [0, C), which give 0 like the one-hot path."""
    rng = np.random.default_rng(7)
    classes, rows = 4, 30
    options = with_weights(options, classes)
    labels = rng.integers(0, classes, size=rows)
    logits = real(rng, (rows, classes), dtype, 3.0)
    logits[::4] *= 1e4 / 3.0
    logits[2] = -1e3 - np.arange(classes)  # every exp underflows: the unshifted sum would be 0
    other = (np.arange(classes)[None, :] != labels[:, None]) & (rng.uniform(size=(rows, classes)) < 0.4)
    logits[1::3][other[1::3]] = -np.inf
    got = assert_same("sparse_categorical_crossentropy", labels[:, None], logits, from_logits=True, **options)
    assert np.all(np.isfinite(got))
    probs = one_hot(rng.integers(0, classes, size=rows), classes, dtype)  # exactly 0 and 1
    assert_same("sparse_categorical_crossentropy", labels, probs, **options)
    with lk.value_checks(False):
        outside = labels.copy()
        outside[::7] = classes
        outside[3::7] = -5
        got = assert_same("sparse_categorical_crossentropy", outside, logits, from_logits=True, **options)
    assert np.all(got[::7] == 0) and np.all(got[3::7] == 0)


def test_sparse_categorical_crossentropy_pinned_values():
    """From the mathematics: logits (0, -inf, -inf) with label 0 cost 0; logits (1e4, 0) with label 1
    cost 1e4; equal logits over C classes cost log C; an ignored label costs 0."""
    logits = np.array([[0.0, -np.inf, -np.inf], [1e4, 0.0, 0.0], [2.0, 2.0, 2.0], [5.0, 0.0, 1.0]])
    got = fast_path("sparse_categorical_crossentropy", np.array([0, 1, 2, 1]), logits, from_logits=True, ignore_class=1)
    np.testing.assert_allclose(got, [0.0, 0.0, math.log(3.0), 0.0], atol=1e-12)
    got = fast_path("sparse_categorical_crossentropy", np.array([1]), logits[1:2, :2], from_logits=True)
    np.testing.assert_allclose(got, [1e4], rtol=1e-12)


# ----------------------------------------------------------------------------- every fast loss, in the input's dtype
@pytest.mark.parametrize("name", FAST_LOSSES)
def test_float32_stays_float32_and_values_match_float64(name):
    """No float64 promotion (Python and NumPy constants), and float32 values within float32
    rounding of the float64 ones on the same inputs."""
    rng = np.random.default_rng(8)
    y_true, y_pred, options = fast_case(name, rng, (50, 4))
    got32 = fast_path(name, y_true.astype(np.float32) if y_true.dtype.kind == "f" else y_true, y_pred.astype(np.float32), **options)
    got64 = fast_path(name, y_true, y_pred, **options)
    assert got32.dtype == np.float32 and got64.dtype == np.float64
    np.testing.assert_allclose(got32, got64, rtol=2e-5, atol=1e-5)


def fast_case(name, rng, shape):
    """Valid float64 inputs for each fast loss (from logits where the loss has them)."""
    classes = shape[-1]
    if name == "poisson":
        return rng.poisson(2.0, size=shape).astype(float), rng.uniform(0.1, 4.0, size=shape), {}
    if name == "binary_crossentropy":
        return rng.integers(0, 2, size=shape).astype(float), 3 * rng.normal(size=shape), {"from_logits": True}
    if name == "categorical_crossentropy":
        return one_hot(rng.integers(0, classes, size=shape[:-1]), classes, float), 3 * rng.normal(size=shape), {"from_logits": True}
    if name == "sparse_categorical_crossentropy":
        return rng.integers(0, classes, size=shape[:-1]), 3 * rng.normal(size=shape), {"from_logits": True}
    return rng.normal(size=shape), rng.normal(size=shape), {}


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(
    name=st.sampled_from(FAST_LOSSES),
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
    block=st.sampled_from([1, 5, 64, 65536]),
)
def test_property_fast_equals_generic(name, shape, dtype, seed, block):
    """Any shape, any block size (1 element up), any dtype: the fast kernel gives the generic values."""
    rng = np.random.default_rng(seed)
    y_true, y_pred, options = fast_case(name, rng, shape)
    y_true = y_true.astype(dtype) if y_true.dtype.kind == "f" else y_true
    previous = fast_numpy.BLOCK
    fast_numpy.BLOCK = block
    try:
        assert_same(name, y_true, y_pred.astype(dtype), **options)
    finally:
        fast_numpy.BLOCK = previous


# ----------------------------------------------------------------------------- the dispatch
@pytest.fixture
def counted(monkeypatch):
    """Wrap every registered NumPy kernel so that calls are counted by loss name."""
    calls: dict[str, int] = {}

    def counting(name, kernel):
        def wrapper(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return kernel(*args, **kwargs)

        return wrapper

    for spec in CATALOG:
        for library, registered in list(spec.kernels.items()):
            monkeypatch.setitem(spec.kernels, library, dataclasses.replace(registered, kernel=counting(spec.name, registered.kernel)))
    return calls


@pytest.mark.parametrize("name", FAST_LOSSES)
def test_the_dispatch_picks_the_numpy_kernel_for_numpy_arrays(name, counted):
    rng = np.random.default_rng(9)
    y_true, y_pred, options = fast_case(name, rng, (6, 3))
    loss = lk.get(name, **options)
    objective = loss(y_true, y_pred)
    assert counted == {name: 1}
    assert float(objective) == pytest.approx(float(np.mean(generic(name, y_true, y_pred, **options))), rel=1e-12)
    getattr(lk, name)(y_true, y_pred, **options)  # the public function dispatches the same way
    assert counted == {name: 2}


@pytest.mark.parametrize("name", FAST_LOSSES)
def test_other_libraries_keep_the_generic_kernel(name, counted, backend):
    if backend.name == "numpy":
        pytest.skip("the NumPy backend is the fast path's")
    if _array.library(backend.xp) in lk.get(name).spec.kernels:
        pytest.skip("this library has fast kernels of its own (PyTorch: tests/test_fast_torch.py)")
    rng = np.random.default_rng(10)
    y_true, y_pred, options = fast_case(name, rng, (6, 3))
    assert kernel_for(backend.xp, name, backend.to(y_true), backend.to(y_pred), options) is None
    got = lk.get(name, **options).values(backend.to(y_true), backend.to(y_pred))
    assert counted == {}
    np.testing.assert_allclose(backend.np(got), generic(name, y_true, y_pred, **options), rtol=1e-12)


def test_the_namespace_chooses_the_library():
    assert kernel_for(XP, "mean_squared_error", np.ones((2, 1)), np.ones((2, 1)), {}) is fast_numpy.mean_squared_error
    assert kernel_for(np, "mean_squared_error", np.ones((2, 1)), np.ones((2, 1)), {}) is fast_numpy.mean_squared_error
    strict = pytest.importorskip("array_api_strict")
    assert kernel_for(strict, "mean_squared_error", np.ones((2, 1)), np.ones((2, 1)), {}) is None


@pytest.mark.parametrize(
    ("name", "y_true", "y_pred", "options"),
    [
        ("mean_squared_error", np.ones((3, 1), np.float16), np.ones((3, 1), np.float16), {}),  # no float16 kernel
        ("mean_squared_error", np.ones((0, 2)), np.ones((0, 2)), {}),  # empty
        ("mean_squared_error", np.ones((3, 1)), np.ma.masked_array(np.ones((3, 1))), {}),  # not a plain ndarray
        ("quantile", np.ones((3, 1)), np.ones((3, 1)), {}),  # no fast kernel for this loss
        ("binary_crossentropy", np.ones((3, 1)), np.ones((3, 1)), {"class_weight": [1.0, 2.0, 3.0]}),  # the generic error
        ("sparse_categorical_crossentropy", np.array([0.0, 1.0]), np.ones((2, 3)), {}),  # float labels
    ],
    ids=["float16", "empty", "masked", "no kernel", "wrong class weights", "float labels"],
)
def test_the_dispatch_declines_what_it_does_not_cover(name, y_true, y_pred, options):
    opts = {k: v for k, v in {"axis": -1, **options}.items() if k in lk.get(name).spec.defaults}
    assert kernel_for(XP, name, y_true, y_pred, opts) is None


@pytest.mark.parametrize("name", FAST_LOSSES)
def test_each_fast_kernel_takes_exactly_the_generic_kernels_options(name):
    assert lk.get(name).spec.kernels["numpy"].option_names == set(lk.get(name).spec.defaults), name


def test_an_option_the_fast_kernel_does_not_know_falls_back():
    """An option added to a generic kernel (and not yet to its fast one) declines the fast path."""
    args = (np.ones((3, 1)), np.ones((3, 1)))
    assert kernel_for(XP, "huber", *args, {"delta": 1.0}) is fast_numpy.huber
    assert kernel_for(XP, "huber", *args, {"delta": 1.0, "new_option": 2}) is None


def test_a_wrong_class_weight_count_gets_the_generic_error():
    with pytest.raises(ValueError, match=r"binary_crossentropy: `class_weight` must have one weight per class \(2\); got 3"):
        lk.get("binary_crossentropy", class_weight=[1.0, 2.0, 3.0])(np.ones((3, 1)), np.full((3, 1), 0.5))


def test_a_user_loss_under_a_builtin_name_keeps_its_own_function(counted, monkeypatch):
    """Fast kernels replace built-in kernels only: a user loss registered over the name
    ``mean_squared_error`` (a registry restored afterwards) runs the user's function."""
    from losskit import registry

    monkeypatch.setattr(registry, "_SPECS", dict(registry._SPECS))
    monkeypatch.setattr(registry, "_KEYS", dict(registry._KEYS))
    lk.register("mean_squared_error", lambda y_true, y_pred: (y_pred - y_true) ** 3, overwrite=True)
    assert float(lk.get("mean_squared_error")(np.zeros(2), np.full(2, 2.0))) == 8.0
    assert counted == {}


# ----------------------------------------------------------------------------- value checks
DOMAINS = [REAL, REAL_OR_MINUS_INF, NON_NEGATIVE, UNIT, Interval(0.0, 1.0), Interval(-1.0, 0.0, high_closed=True)]
EDGES = [0.0, 1.0, -1.0, 0.5, 2.0, -np.inf, np.inf, np.nan, 1e-300, -0.0]


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(
    values=st.lists(st.sampled_from(EDGES) | st.floats(-3, 3), min_size=1, max_size=8),
    domain=st.sampled_from(DOMAINS),
    dtype=st.sampled_from(DTYPES),
)
def test_all_within_agrees_with_the_generic_domain_check(values, domain, dtype):
    """True exactly where every value is inside (NaN never is), as the elementwise check says."""
    x = np.array(values, dtype=dtype)
    assert domain.all_within(x, XP) == bool(np.all(domain.contains(x, XP)))


def test_all_within_class_indices():
    labels = np.array([0, 3, 2])
    assert CLASS_INDICES.all_within(labels, XP, 4) and not CLASS_INDICES.all_within(labels, XP, 3)
    assert not CLASS_INDICES.all_within(np.array([-1, 0]), XP, 4)
    assert not CLASS_INDICES.all_within(np.array([0.0, 1.0]), XP, 4)  # float labels: the generic check decides


@pytest.mark.parametrize(
    ("name", "y_true", "y_pred", "message"),
    [
        ("binary_crossentropy", [[0.0], [2.0]], [[0.5], [0.5]], r"binary_crossentropy: `y_true` must be values in \[0, 1\]; got min=0, max=2"),
        ("mean_squared_error", [[0.0], [1.0]], [[np.nan], [0.5]], r"mean_squared_error: `y_pred` must be values in \(-inf, inf\); got min=0.5, max=0.5 and 1 NaN"),
        ("sparse_categorical_crossentropy", [0, 3], [[0.5, 0.5], [0.5, 0.5]], r"sparse_categorical_crossentropy: `y_true` must be integers in \[0, 2\); got min=0, max=3"),
        ("poisson", [[1.0]], [[-np.inf]], r"poisson: `y_pred` must be values in \[0, inf\); got"),
    ],
)
def test_values_outside_the_domain_still_get_the_losss_error(name, y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        lk.get(name)(np.array(y_true), np.array(y_pred))


# ----------------------------------------------------------------------------- derivative kernels
FAST_DERIVATIVES = (
    "mean_squared_error", "mean_absolute_error", "huber", "quantile", "log_cosh", "poisson",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
)  # fmt: skip
DERIVATIVE_OPTIONS = {
    "huber": [{"delta": 0.5}], "quantile": [{"quantile": 0.2}], "poisson": [{}, {"log_input": True}],
    "binary_crossentropy": [{"from_logits": True}, {"from_logits": True, "label_smoothing": 0.2}],
    "categorical_crossentropy": [{"from_logits": True}, {"from_logits": True, "label_smoothing": 0.1}],
    "sparse_categorical_crossentropy": [{"from_logits": True}, {"from_logits": True, "ignore_class": 1}],
}  # fmt: skip
DERIVATIVE_CASES = [(name, options) for name in FAST_DERIVATIVES for options in DERIVATIVE_OPTIONS.get(name, [{}])]


def test_the_fast_derivatives_are_the_records_with_a_numpy_derivative_kernel():
    assert set(FAST_DERIVATIVES) == {spec.name for spec in CATALOG if "numpy" in spec.derivative_kernels}


def reference_derivatives(loss, y_true, y_pred, surrogate, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(loss.spec, "derivative_kernels", {})
        return loss.gradient_hessian(y_true, y_pred, surrogate=surrogate)


@pytest.mark.parametrize(("name", "options"), DERIVATIVE_CASES, ids=[f"{n}-{o}" for n, o in DERIVATIVE_CASES])
@pytest.mark.parametrize("surrogate", [False, True])
@pytest.mark.parametrize("shape", [(7, 1), (5, 3), (2, 3, 4)], ids=str)
def test_fast_derivatives_equal_the_reference(name, options, surrogate, shape, dtype, monkeypatch):
    rng = np.random.default_rng(zlib_key(name, options, shape))
    y_true, y_pred, case_options = fast_case(name, rng, shape)
    options = {**case_options, **options}
    if name == "poisson" and options.get("log_input"):
        y_pred = np.log(y_pred)
    if name == "sparse_categorical_crossentropy" and "ignore_class" in options:
        y_true = y_true.copy()
        y_true.reshape(-1)[::3] = options["ignore_class"]
    y_true = y_true.astype(dtype) if y_true.dtype.kind == "f" else y_true
    y_pred = y_pred.astype(dtype)
    loss = lk.get(name, **options)
    called = []
    registered = loss.spec.derivative_kernels["numpy"]
    monkeypatch.setitem(loss.spec.derivative_kernels, "numpy", dataclasses.replace(registered, kernel=lambda *a, **k: called.append(1) or registered.kernel(*a, **k)))
    grad, hess = loss.gradient_hessian(y_true, y_pred, surrogate=surrogate)
    assert called, "the fast derivative kernel did not run"
    expected_grad, expected_hess = reference_derivatives(loss, y_true, y_pred, surrogate, monkeypatch)
    # float32: both kernels round p (1 - p) near p = 1 (the reference more so: measured against float64,
    # relative errors 3e-2 for the reference and 6e-3 for the fast kernel on Hessians of 1e-7), so the
    # bound is absolute there
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-15}
    for got, expected in ((grad, expected_grad), (hess, expected_hess)):
        assert got.dtype == expected.dtype == np.dtype(dtype) and got.shape == expected.shape == y_pred.shape
        np.testing.assert_allclose(got, expected, **tol)


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_fast_derivatives_at_saturated_and_masked_logits(name, monkeypatch):
    logits = np.array([[-1e4, 50.0, 0.0], [1e4, -np.inf, -3.0]])
    if name == "binary_crossentropy":
        logits[1, 1] = -1e30  # binary logits are real: -inf is for masking a class
    y_true = {"binary_crossentropy": np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]),
              "categorical_crossentropy": np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
              "sparse_categorical_crossentropy": np.array([1, 0])}[name]  # fmt: skip
    loss = lk.get(name, from_logits=True)
    grad, hess = loss.gradient_hessian(y_true, logits)
    expected = reference_derivatives(loss, y_true, logits, False, monkeypatch)
    assert np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))
    np.testing.assert_allclose(grad, expected[0], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(hess, expected[1], rtol=1e-12, atol=1e-300)


def zlib_key(*key) -> int:
    import zlib

    return zlib.crc32(repr(key).encode())


# ----------------------------------------------------------------------------- blockwise objectives
# Loss(y_true, y_pred) on NumPy arrays reduces block by block (``fast_numpy.plan``): the per-sample
# values are never written, the value checks come from each block's min and max, and large inputs
# spread their blocks over threads. Here blocks are 64 elements, every input takes that path
# (OBJECTIVE_MIN) on two threads (PARALLEL_MIN, THREADS), and sizes sit on and around the blocks.
BLOCKWISE = 64
SIZES = (1, BLOCKWISE - 1, BLOCKWISE, BLOCKWISE + 1, 5 * BLOCKWISE + 17)
OBJECTIVE_CASES = [
    ("mean_squared_error", {}), ("mean_absolute_error", {}), ("huber", {"delta": 0.7}), ("log_cosh", {}),
    ("poisson", {}), ("poisson", {"log_input": True}),
    ("binary_crossentropy", {"from_logits": True}), ("binary_crossentropy", {}),
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.1, "class_weight": (0.3, 2.0)}),
    ("categorical_crossentropy", {"from_logits": True}), ("sparse_categorical_crossentropy", {"from_logits": True}),
    ("sparse_categorical_crossentropy", {"from_logits": True, "class_weight": (1.0, 2.0, 0.5, 1.0, 3.0)}),
]  # fmt: skip


@pytest.fixture
def blockwise(monkeypatch):
    """Tiny blocks, the blockwise path for every size, and two threads."""
    for attribute, value in (("BLOCK", BLOCKWISE), ("OBJECTIVE_MIN", 1), ("PARALLEL_MIN", 1), ("THREADS", 2)):
        monkeypatch.setattr(fast_numpy, attribute, value)


def objective_inputs(name, rng, rows, width, dtype):
    """Valid inputs of ``rows`` x ``width`` (5 classes for the class losses)."""
    if name == "sparse_categorical_crossentropy":
        return rng.integers(0, 5, rows), real(rng, (rows, 5), dtype, 3.0)
    if name == "categorical_crossentropy":
        return one_hot(rng.integers(0, 5, rows), 5, dtype), real(rng, (rows, 5), dtype, 3.0)
    shape = (rows, width)
    if name == "binary_crossentropy":
        return (rng.random(shape) < 0.5).astype(dtype), real(rng, shape, dtype, 4.0)
    if name == "poisson":
        return rng.poisson(2.0, shape).astype(dtype), rng.uniform(0.2, 4.0, shape).astype(dtype)
    return real(rng, shape, dtype, 2.0), real(rng, shape, dtype, 2.0)


def expected_objective(name, options, y_true, y_pred, weights, reduction):
    """The objective from the float64 formula (tests/formulas.py), reduced as Keras does."""
    values = REFERENCE[name](y_true, y_pred, **options)
    w = np.ones_like(values) if weights is None else np.asarray(weights, np.float64)
    total = np.sum(values * w)
    if reduction == "sum":
        return total
    return total / (np.sum(w) if reduction == "mean_with_sample_weight" else values.size)


def probabilities_for(name, options, y_pred):
    """``y_pred`` as the loss reads it: probabilities for binary crossentropy without logits."""
    if name == "binary_crossentropy" and not options.get("from_logits"):
        return (1 / (1 + np.exp(-y_pred.astype(np.float64)))).astype(y_pred.dtype)
    return y_pred


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", SIZES)
@pytest.mark.parametrize(("name", "options"), OBJECTIVE_CASES, ids=[f"{n}-{o}" for n, o in OBJECTIVE_CASES])
def test_blockwise_objective_equals_the_float64_formula(name, options, rows, dtype, blockwise, monkeypatch):
    rng = np.random.default_rng(zlib_key(name, options, rows))
    ran = []
    registered = lk.get(name).spec.kernels["numpy"]
    counted = dataclasses.replace(registered, objective=lambda *a, **k: ran.append(1) or registered.objective(*a, **k))
    monkeypatch.setitem(lk.get(name).spec.kernels, "numpy", counted)
    for width in (1, 3) if name not in ("categorical_crossentropy", "sparse_categorical_crossentropy") else (None,):
        y_true, y_pred = objective_inputs(name, rng, rows, width, dtype)
        y_pred = probabilities_for(name, options, y_pred)
        weights = rng.uniform(0.0, 2.0, rows).astype(dtype)
        for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight"):
            for w in (None, weights):
                got = lk.get(name, reduction=reduction, **options)(y_true, y_pred, sample_weight=w)
                expected = expected_objective(name, options, y_true, y_pred, w, reduction)
                assert got.shape == () and got.dtype == np.dtype(dtype)
                eps = np.finfo(dtype).eps
                np.testing.assert_allclose(got, expected, rtol=64 * eps, atol=64 * eps * max(1.0, abs(float(expected))))
    assert ran, "the blockwise objective did not run"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("name", "options", "argument", "bad"),
    [("mean_squared_error", {}, "y_pred", np.nan), ("mean_squared_error", {}, "y_true", np.inf),
     ("huber", {}, "y_pred", -np.inf), ("poisson", {}, "y_pred", -1.0), ("poisson", {}, "y_true", np.nan),
     ("binary_crossentropy", {"from_logits": True}, "y_true", 1.5), ("binary_crossentropy", {}, "y_pred", 1.01),
     ("log_cosh", {}, "y_true", np.nan), ("categorical_crossentropy", {"from_logits": True}, "y_pred", np.nan),
     ("sparse_categorical_crossentropy", {"from_logits": True}, "y_pred", np.inf),
     ("sparse_categorical_crossentropy", {"from_logits": True}, "y_true", 5)],
    ids=str,
)  # fmt: skip
def test_blockwise_value_checks_raise_the_reference_error(name, options, argument, bad, dtype, blockwise):
    """A bad value in the last block, past several threads' spans: the same ValueError, word for
    word, as the reference call (per-sample values, then the reduction)."""
    rng = np.random.default_rng(1)
    y_true, y_pred = objective_inputs(name, rng, 5 * BLOCKWISE + 17, 1, dtype)
    y_pred = probabilities_for(name, options, y_pred)
    target = y_pred if argument == "y_pred" else y_true
    target.reshape(-1)[-2] = bad
    loss = lk.get(name, **options)
    with pytest.raises(ValueError) as reference:
        loss.reference_call(y_true, y_pred)
    with pytest.raises(ValueError) as blockwise_error:
        loss(y_true, y_pred)
    assert str(blockwise_error.value) == str(reference.value)
    with lk.value_checks(False), np.errstate(all="ignore"):  # unchecked: what the reference gives
        if argument == "y_pred" or name != "sparse_categorical_crossentropy":
            got, expected = loss(y_true, y_pred), loss.reference_call(y_true, y_pred)
            np.testing.assert_allclose(got, expected, rtol=1e-5, equal_nan=True)


def test_small_inputs_skip_the_blockwise_path():
    """Under OBJECTIVE_MIN elements the call is the reference call (no thread, no extra Python)."""
    plan = fast_numpy.plan(lk.get("mse"))
    y = np.zeros((32, 1), np.float32)
    assert plan(y, y, None) is None
    assert fast_numpy.plan(lk.get("mse", reduction="none")) is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", SIZES)
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2}], ids=str)
def test_blockwise_logistic_derivatives_equal_the_float64_formula(options, rows, dtype, blockwise):
    """The logistic gradient and Hessian (one exp, threaded blocks) against float64 formulas,
    saturated logits included: a confident right answer keeps its tiny gradient."""
    rng = np.random.default_rng(rows)
    y = (rng.random((rows, 2)) < 0.5).astype(dtype)
    x = real(rng, (rows, 2), dtype, 6.0)
    x.reshape(-1)[:4] = [-1e4, 1e4, 40.0, -0.0][: x.size]
    y.reshape(-1)[:4] = [0.0, 1.0, 1.0, 0.0][: y.size]
    loss = lk.get("binary_crossentropy", from_logits=True, **options)
    for surrogate in (False, True):
        grad, hess = loss.gradient_hessian(y, x, surrogate=surrogate)
        s = options.get("label_smoothing", 0.0)
        y64, x64 = y.astype(np.float64) * (1 - s) + 0.5 * s, x.astype(np.float64)
        p, q = 1 / (1 + np.exp(-x64)), 1 / (1 + np.exp(x64))
        expected_grad, expected_hess = ((1 - y64) * p - y64 * q) / 2, p * q / 2
        if surrogate:
            expected_hess = np.maximum(expected_hess, 1e-16)
        assert grad.dtype == hess.dtype == np.dtype(dtype) and grad.shape == x.shape
        eps = np.finfo(dtype).eps
        for got, expected in ((grad, expected_grad), (hess, expected_hess)):
            np.testing.assert_allclose(got, expected, rtol=8 * eps, atol=4 * eps)
        # exact in relative terms however small: the Hessian, and with 0/1 labels the gradient
        for got, expected in ((hess, expected_hess),) + (((grad, expected_grad),) if not s else ()):
            tiny = np.abs(expected) < 1e-3
            np.testing.assert_allclose(got[tiny], expected[tiny], rtol=8 * eps, atol=np.finfo(dtype).tiny)


@pytest.mark.parametrize("argument", ["y_true", "y_pred"])
def test_blockwise_logistic_derivatives_check_values_in_their_pass(argument, blockwise, monkeypatch):
    """gradient_hessian on NumPy defers the value checks to the kernel's pass; a NaN or a label of 2
    in the last block gives the reference's error, word for word."""
    rng = np.random.default_rng(2)
    y = (rng.random((5 * BLOCKWISE + 3, 1)) < 0.5).astype(np.float32)
    x = real(rng, y.shape, np.float32)
    (x if argument == "y_pred" else y)[-1, 0] = np.nan if argument == "y_pred" else 2.0
    loss = lk.get("binary_crossentropy", from_logits=True)
    with pytest.raises(ValueError) as fused:
        loss.gradient_hessian(y, x, surrogate=True)
    with pytest.raises(ValueError) as reference:
        loss.reference_call(y, x)
    assert str(fused.value) == str(reference.value)


# ----------------------------------------------------------------------------- checks from the total
# Where every finite number is in an argument's domain and a NaN or infinity in it always makes the
# total NaN or infinite (the kernel's ``non_finite_total``), the blocks gather no extrema of it: a
# finite total settles its checks, any other total has it checked in full.
SETTLED = [
    ("mean_squared_error", {}), ("mean_absolute_error", {}), ("huber", {"delta": 0.7}), ("log_cosh", {}),
    ("binary_crossentropy", {"from_logits": True}),
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.1, "class_weight": (0.3, 2.0)}),
    ("poisson", {"log_input": True}), ("sparse_categorical_crossentropy", {"from_logits": True}),
    ("sparse_categorical_crossentropy", {"from_logits": True, "class_weight": (1.0, 2.0, 0.0, 1.0, 3.0)}),
]  # fmt: skip
ROWS = 5 * BLOCKWISE + 17


def arguments_of(name):
    return ("y_pred",) if name == "sparse_categorical_crossentropy" else ("y_true", "y_pred")


@pytest.mark.parametrize(
    ("name", "options", "gathered"),
    [("mean_squared_error", {}, set()), ("huber", {}, set()), ("log_cosh", {}, set()),
     ("binary_crossentropy", {"from_logits": True}, {"y_true"}), ("binary_crossentropy", {}, {"y_true", "y_pred"}),
     ("poisson", {}, {"y_true", "y_pred"}), ("poisson", {"log_input": True}, {"y_true"}),
     ("sparse_categorical_crossentropy", {"from_logits": True}, set()),
     ("categorical_crossentropy", {"from_logits": True}, {"y_true", "y_pred"})],
    ids=str,
)  # fmt: skip
def test_only_the_arguments_a_total_cannot_settle_gather_extrema(name, options, gathered, blockwise, monkeypatch):
    asked = []
    registered = lk.get(name).spec.kernels["numpy"]
    spy = dataclasses.replace(registered, objective=lambda t, p, w, gather, **k: asked.append(gather) or registered.objective(t, p, w, gather, **k))
    monkeypatch.setitem(lk.get(name).spec.kernels, "numpy", spy)
    y_true, y_pred = objective_inputs(name, np.random.default_rng(0), ROWS, 1, "float32")
    lk.get(name, **options)(y_true, probabilities_for(name, options, y_pred))
    with lk.value_checks(False):
        lk.get(name, **options)(y_true, probabilities_for(name, options, y_pred))
    assert asked == [frozenset(gathered), None]


def test_an_ignored_class_keeps_the_logits_extrema():
    """``ignore_class`` masks a row's NaN to 0: its total settles nothing (such calls take the reference path anyway)."""
    kernel = lk.get("sparse_categorical_crossentropy").spec.kernels["numpy"]
    assert kernel.non_finite_total({"from_logits": True}) == ("y_pred",)
    assert kernel.non_finite_total({"from_logits": True, "ignore_class": 1}) == ()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=str)
@pytest.mark.parametrize("where", [0, ROWS // 2, ROWS - 1], ids=["first block", "middle block", "last block"])
@pytest.mark.parametrize(("name", "options"), SETTLED, ids=[f"{n}-{o}" for n, o in SETTLED])
def test_a_non_finite_value_raises_the_reference_error_with_any_weights_and_reduction(name, options, where, bad, dtype, blockwise):
    """A NaN or infinity in either argument, in the first, a middle or the last block, without
    weights, with weights, and with a zero weight on it (``0 * inf`` is NaN): the reference's
    ValueError, word for word, whatever the reduction."""
    rng = np.random.default_rng(zlib_key(name, where, str(bad)))
    for argument in arguments_of(name):
        if name == "sparse_categorical_crossentropy" and bad == -np.inf:
            continue  # -inf logits are in the domain (a masked class)
        y_true, y_pred = objective_inputs(name, rng, ROWS, 1, dtype)
        (y_pred if argument == "y_pred" else y_true).reshape(ROWS, -1)[where, -1] = bad
        weights = rng.uniform(0.5, 2.0, ROWS).astype(dtype)
        zero_on_it = weights.copy()
        zero_on_it[where] = 0.0
        for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight"):
            loss = lk.get(name, reduction=reduction, **options)
            for w in (None, weights, zero_on_it):
                with pytest.raises(ValueError) as reference:
                    loss.reference_call(y_true, y_pred, sample_weight=w)
                with pytest.raises(ValueError) as fused:
                    loss(y_true, y_pred, sample_weight=w)
                assert str(fused.value) == str(reference.value)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "options"), SETTLED[:4], ids=[n for n, _ in SETTLED[:4]])
def test_a_genuine_overflow_returns_inf_like_the_reference(name, options, dtype, blockwise):
    """Finite inputs whose residual overflows (``0.75 max - (-0.75 max)``): the total is infinite,
    the inputs pass their full check, and the objective is ``inf``, as the reference's."""
    rng = np.random.default_rng(3)
    y_true, y_pred = objective_inputs(name, rng, ROWS, 1, dtype)
    big = 0.75 * np.finfo(dtype).max
    y_true[ROWS // 2], y_pred[ROWS // 2] = -big, big
    for reduction in ("sum_over_batch_size", "sum"):
        loss = lk.get(name, reduction=reduction, **options)
        with np.errstate(over="ignore"):
            got, expected = loss(y_true, y_pred), loss.reference_call(y_true, y_pred)
        assert got.dtype == np.dtype(dtype) and float(got) == float(expected) == math.inf


def test_an_infinite_loss_at_an_admissible_logit_is_the_references():
    """A -inf logit (in the domain: a masked class) at the label: the loss is +inf, as the reference's."""
    y_true, y_pred = objective_inputs("sparse_categorical_crossentropy", np.random.default_rng(4), ROWS, None, "float32")
    y_pred[7, y_true[7]] = -np.inf
    loss = lk.get("sparse_categorical_crossentropy", from_logits=True)
    with np.errstate(invalid="ignore"):
        assert float(loss(y_true, y_pred)) == float(loss.reference_call(y_true, y_pred)) == math.inf


def test_infinite_totals_of_opposite_signs_add_up_to_nan_not_an_error(blockwise):
    """Spans whose totals are +inf and -inf (overflowing terms under weights of either sign) add up
    to NaN, as IEEE adds (``math.fsum`` would raise): the objective goes to the reference call."""
    y_true = np.zeros((ROWS, 1), np.float32)
    y_pred = np.ones((ROWS, 1), np.float32)
    y_pred[[0, -1]] = np.finfo(np.float32).max
    weights = np.ones(ROWS, np.float32)
    weights[-1] = -1.0
    loss = lk.get("mse", reduction="sum")
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(loss(y_true, y_pred, sample_weight=weights)) and np.isnan(loss.reference_call(y_true, y_pred, sample_weight=weights))


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_cosh_is_within_a_few_ulp_across_its_branches(dtype):
    """Residuals dense in [0, 4], tiny and huge ones, and on either side of the switches (0.75 for
    float32's polynomial, 1 for float64's tanh form), against the float64 formula
    ``log1p(2 sinh(e/2)**2)`` (``cosh e - 1 = 2 sinh(e/2)**2``: no cancellation): at most 2.5 ulp
    of the dtype in float32, 8 in float64."""
    switches = np.array([fast_numpy.LOG_COSH_SWITCH, 1.0], dtype)
    e = np.concatenate([
        np.linspace(0.0, 4.0, 200_001), np.geomspace(1e-30, 1e-2, 1001), [20.0, 1e4, 1e30],
        switches, np.nextafter(switches, 0), np.nextafter(switches, 2),
    ]).astype(dtype)  # fmt: skip
    e = np.concatenate([e, -e])
    got = fast_path("log_cosh", np.zeros((e.size, 1), dtype), e[:, None]).astype(np.float64)
    x = np.abs(e.astype(np.float64))
    with np.errstate(over="ignore"):
        expected = np.where(x < 20, np.log1p(2 * np.sinh(x / 2) ** 2), x - math.log(2.0) + np.log1p(np.exp(-2 * x)))
    assert np.all(got[expected == 0] == 0)
    ulp = np.spacing(expected.astype(dtype)).astype(np.float64)
    worst = np.max(np.abs(got - expected)[expected > 0] / ulp[expected > 0])
    assert worst <= (2.5 if dtype == "float32" else 8.0)
