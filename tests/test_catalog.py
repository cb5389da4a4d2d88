"""Every built-in loss on every array library and both float dtypes, against the independent
float64 formulas of ``tests/formulas.py``: values, namespace, device, dtype and shape, every
option, ``axis`` equal to moving that axis last, and the public function equal to ``lk.get``.
"""

from __future__ import annotations

import zlib

import array_api_compat
import numpy as np
import pytest

import losskit as lk
from cases import make_case
from conftest import Backend, assert_close
from formulas import REFERENCE
from losskit.losses import CATALOG
from losskit.losses._domain import Layout

NAMES = sorted(REFERENCE)
LOGIT_LOSSES = {
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "categorical_focal_crossentropy", "policy_gradient",
    "poly1_crossentropy", "generalized_crossentropy", "sparse_categorical_focal_crossentropy",
}  # fmt: skip
AXIS_LOSSES = sorted(name for name in NAMES if "axis" in lk.get(name).options)


def rng_for(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def rounded(a, dtype: str) -> np.ndarray:
    """``a`` as the backend will see it (float inputs rounded to ``dtype``), for the reference."""
    a = np.asarray(a)
    return a.astype(dtype) if a.dtype.kind == "f" else a


def float32_atol(dtype: str, name: str = "") -> float:
    """Absolute slack for float32 results near 0 (e.g. a focal factor (1 - p)^gamma with p near 1);
    supervised_contrastive is a difference of terms of size 1/temperature (14), as in Khosla et al.'s code."""
    if dtype != "float32":
        return 0.0
    return 2e-6 if name == "supervised_contrastive" else 1e-7


def check(name, y_true, y_pred, options, backend, dtype):
    yt, yp = backend.to(y_true, dtype), backend.to(y_pred, dtype)
    out = getattr(lk, name)(yt, yp, **options)
    expected = REFERENCE[name](rounded(y_true, dtype), rounded(y_pred, dtype), **options)
    assert array_api_compat.device(out) == array_api_compat.device(yp)
    assert_close(out, expected, backend, dtype=dtype, atol=float32_atol(dtype, name))
    return out


# ----------------------------------------------------------------------------- the catalog itself
def test_formulas_cover_the_whole_catalog():
    assert sorted(spec.name for spec in CATALOG) == NAMES
    assert len(NAMES) == len(CATALOG)


def test_keras_short_names_are_the_same_functions():
    assert lk.mse is lk.mean_squared_error and lk.mae is lk.mean_absolute_error
    assert lk.mape is lk.mean_absolute_percentage_error and lk.msle is lk.mean_squared_logarithmic_error
    assert lk.huber_loss is lk.huber and lk.logcosh is lk.log_cosh
    assert lk.kld is lk.kl_divergence and lk.kullback_leibler_divergence is lk.kl_divergence
    assert lk.cosine_proximity is lk.cosine_similarity
    assert lk.bce is lk.binary_crossentropy and lk.cce is lk.categorical_crossentropy


# ----------------------------------------------------------------------------- every loss, every backend
@pytest.mark.lazy  # also on chunked dask arrays
@pytest.mark.parametrize("name", NAMES)
def test_every_loss_matches_its_formula(name, backend, dtype):
    y_true, y_pred, options = make_case(name, rng_for(name))
    out = check(name, y_true, y_pred, options, backend, dtype)
    assert backend.np(out).shape == (6,)


@pytest.mark.lazy  # also on chunked dask arrays
@pytest.mark.parametrize("name", NAMES)
def test_three_dimensional_inputs_keep_the_leading_axes(name, backend, dtype):
    y_true, y_pred, options = make_case(name, rng_for(name, 3))
    reshape = lambda a: a.reshape((2, 3, *a.shape[1:]))  # noqa: E731
    if lk.get(name).spec.layout in (Layout.BATCH, Layout.SEQUENCE):  # fixed ranks: (N, D) embeddings, (N, T, C) frames
        with pytest.raises(ValueError, match=f"{name}: `y_(true|pred)` must hold one"):
            getattr(lk, name)(backend.to(reshape(y_true)), backend.to(reshape(y_pred), dtype))
        return
    out = check(name, reshape(y_true), reshape(y_pred), options, backend, dtype)
    per_sample = lk.get(name).spec.layout is Layout.PER_SAMPLE  # one value per sample over all its axes
    assert backend.np(out).shape == ((2,) if per_sample else (2, 3))  # (6, 4) inputs seen as (2, 3, 4)


@pytest.mark.lazy  # also on chunked dask arrays
@pytest.mark.parametrize("name", NAMES)
def test_public_function_and_loss_object_agree(name, backend):
    y_true, y_pred, options = make_case(name, rng_for(name, "get"))
    yt, yp = backend.to(y_true), backend.to(y_pred)
    direct = backend.np(getattr(lk, name)(yt, yp))
    loss = lk.get(name)
    np.testing.assert_array_equal(backend.np(loss.values(yt, yp)), direct)
    objective = loss(yt, yp)
    assert objective.ndim == 0
    np.testing.assert_allclose(float(backend.np(objective)), REFERENCE[name](y_true, y_pred).mean(), rtol=1e-10)


# ----------------------------------------------------------------------------- options
def _logits(rng, shape):
    return rng.normal(scale=3.0, size=shape)


def _with_logits(name, rng):
    y_true, y_pred, _ = make_case(name, rng)
    return y_true, _logits(rng, y_pred.shape)


def _log_scale(name, rng):
    y_true, y_pred, _ = make_case(name, rng)
    if name == "gaussian_nll":
        d = y_true.shape[-1]
        return y_true, np.concatenate([y_pred[:, :d], np.log(y_pred[:, d:])], axis=-1)
    return y_true, np.log(y_pred)


def _soft_targets(name, rng):
    y_true, y_pred, _ = make_case(name, rng)
    return rng.uniform(0, 1, size=y_true.shape), y_pred


def _zero_one_labels(name, rng):
    y_true, y_pred, _ = make_case(name, rng)
    return (y_true > 0).astype(float), y_pred


def _unnormalised(name, rng):
    y_true, y_pred, _ = make_case(name, rng)
    return y_true, y_pred * rng.uniform(0.2, 0.95, size=(y_pred.shape[0], 1))  # rows summing to < 1


def _ignored_labels(value):
    def make(name, rng):
        y_true, y_pred, _ = make_case(name, rng)
        y_true = y_true.copy()
        y_true[[1, 4]] = value
        return y_true, y_pred

    return make


def _labels_with_trailing_axis(name, rng):
    y_true, y_pred, _ = make_case(name, rng)
    return y_true[:, None], y_pred


def _zero_vector(name, rng):
    y_true, y_pred, _ = make_case(name, rng)
    y_true, y_pred = y_true.copy(), y_pred.copy()
    y_true[0] = 0.0
    y_pred[1] = 0.0
    return y_true, y_pred


def _default(name, rng):
    return make_case(name, rng)[:2]


VARIANTS = [
    ("huber", {"delta": 0.3}, _default),
    ("huber", {"delta": 5.0}, _default),
    ("quantile", {"quantile": 0.1}, _default),
    ("quantile", {"quantile": 0.9}, _default),
    ("poisson", {"log_input": True}, _log_scale),
    ("kl_divergence", {"log_input": True}, _log_scale),
    ("tweedie", {"power": 1.0}, _default),
    ("tweedie", {"power": 1.2}, _default),
    ("tweedie", {"power": 1.9}, _default),
    ("tweedie", {"power": 0.0}, lambda n, r: (r.normal(size=(6, 4)), r.normal(size=(6, 4)))),
    ("tweedie", {"power": 0.0, "log_input": True}, lambda n, r: (r.normal(size=(6, 4)), r.normal(size=(6, 4)))),
    ("tweedie", {"power": -1.0}, lambda n, r: (r.normal(size=(6, 4)), r.uniform(0.2, 3.0, size=(6, 4)))),
    ("tweedie", {"power": 2.0}, lambda n, r: (r.uniform(0.2, 4.0, size=(6, 4)), r.uniform(0.2, 4.0, size=(6, 4)))),
    ("tweedie", {"power": 3.0}, lambda n, r: (r.uniform(0.2, 4.0, size=(6, 4)), r.uniform(0.2, 4.0, size=(6, 4)))),
    ("tweedie", {"power": 2.0, "log_input": True}, lambda n, r: (r.uniform(0.2, 4.0, size=(6, 4)), r.normal(size=(6, 4)))),
    ("tweedie", {"log_input": True}, _log_scale),
    ("tweedie", {"power": 1.0, "log_input": True}, _log_scale),
    ("gaussian_nll", {"log_input": True}, _log_scale),
    ("gaussian_nll", {"full": True}, _default),
    ("gaussian_nll", {"epsilon": 0.5}, _default),
    ("binary_crossentropy", {"from_logits": True}, _with_logits),
    ("binary_crossentropy", {"label_smoothing": 0.2}, _default),
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.1}, _with_logits),
    ("binary_crossentropy", {}, _soft_targets),
    ("binary_crossentropy", {"class_weight": [0.3, 2.0]}, _default),
    ("binary_crossentropy", {"class_weight": (1.5, 0.5), "from_logits": True}, _with_logits),
    ("binary_focal_crossentropy", {"gamma": 0.0}, _default),
    ("binary_focal_crossentropy", {"gamma": 0.5}, _default),
    ("binary_focal_crossentropy", {"apply_class_balancing": True, "alpha": 0.4}, _default),
    ("binary_focal_crossentropy", {"label_smoothing": 0.2}, _default),
    ("binary_focal_crossentropy", {"from_logits": True}, _with_logits),
    ("binary_focal_crossentropy", {"from_logits": True, "gamma": 0.5, "label_smoothing": 0.1}, _with_logits),
    ("binary_focal_crossentropy", {"from_logits": True, "apply_class_balancing": True}, _with_logits),
    ("binary_focal_crossentropy", {"from_logits": True}, lambda n, r: (_soft_targets(n, r)[0], _with_logits(n, r)[1])),
    ("hinge", {}, _zero_one_labels),
    ("squared_hinge", {}, _zero_one_labels),
    ("categorical_crossentropy", {"from_logits": True}, _with_logits),
    ("categorical_crossentropy", {"label_smoothing": 0.1}, _default),
    ("categorical_crossentropy", {}, _unnormalised),
    ("categorical_crossentropy", {"class_weight": [1.0, 2.0, 0.5, 0.0]}, _default),
    ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.2, "class_weight": [1, 2, 3, 4]}, _with_logits),
    ("sparse_categorical_crossentropy", {"from_logits": True}, _with_logits),
    ("sparse_categorical_crossentropy", {"ignore_class": -1}, _ignored_labels(-1)),
    ("sparse_categorical_crossentropy", {"ignore_class": 0, "from_logits": True}, _with_logits),
    ("sparse_categorical_crossentropy", {"class_weight": [1.0, 2.0, 0.5, 3.0]}, _default),
    ("sparse_categorical_crossentropy", {}, _labels_with_trailing_axis),
    ("categorical_focal_crossentropy", {"gamma": 0.5}, _default),
    ("categorical_focal_crossentropy", {"alpha": 0.5, "gamma": 1.0}, _default),
    ("categorical_focal_crossentropy", {"from_logits": True}, _with_logits),
    ("categorical_focal_crossentropy", {"label_smoothing": 0.1, "class_weight": [1.0, 0.5, 2.0, 1.0]}, _default),
    ("cosine_similarity", {}, _zero_vector),
    ("policy_gradient", {"from_logits": True}, _with_logits),
    ("temporal_difference", {"delta": None}, _default),
    ("temporal_difference", {"delta": 0.5}, _default),
    ("smooth_l1", {"beta": 0.3}, _default),
    ("smooth_l1", {"beta": 0.0}, _default),
    ("smooth_l1", {"beta": 4.0}, _default),
    ("generalized_kl_divergence", {"log_input": True}, lambda n, r: (r.uniform(0.0, 3.0, size=(6, 4)), r.normal(size=(6, 4)))),
    ("generalized_kl_divergence", {}, lambda n, r: (np.where(r.uniform(size=(6, 4)) < 0.3, 0.0, r.uniform(0, 3, size=(6, 4))), r.uniform(0.2, 3, size=(6, 4)))),
    ("jensen_shannon", {}, lambda n, r: (np.eye(4)[r.integers(0, 4, size=6)], np.eye(4)[r.integers(0, 4, size=6)] * 0.7 + 0.075)),
    ("soft_margin", {}, _zero_one_labels),
    ("perceptron", {}, _zero_one_labels),
    ("multilabel_soft_margin", {"class_weight": [1.0, 2.0, 0.5, 3.0]}, _default),
    ("multilabel_soft_margin", {}, _soft_targets),
    ("nll", {"ignore_class": -100}, _ignored_labels(-100)),
    ("nll", {"class_weight": [1.0, 2.0, 0.5, 3.0], "ignore_class": 2}, _default),
    ("nll", {}, _labels_with_trailing_axis),
    ("multi_margin", {"margin": 0.5}, _default),
    ("multi_margin", {"p": 2, "margin": 2.0}, _default),
    ("multi_margin", {"class_weight": [1.0, 2.0, 0.5, 3.0]}, _default),
    ("poly1_crossentropy", {"epsilon": -1.0}, _default),
    ("poly1_crossentropy", {"from_logits": True}, _with_logits),
    ("poly1_crossentropy", {"from_logits": True, "epsilon": 0.5}, _with_logits),
    ("poly1_crossentropy", {}, _unnormalised),
    ("generalized_crossentropy", {"q": 0.7}, _default),
    ("generalized_crossentropy", {"q": 1.0, "from_logits": True}, _with_logits),
    ("generalized_crossentropy", {"from_logits": True}, _with_logits),
    ("sparse_categorical_focal_crossentropy", {"from_logits": True}, _with_logits),
    ("sparse_categorical_focal_crossentropy", {"alpha": 0.5, "gamma": 0.5}, _default),
    ("sparse_categorical_focal_crossentropy", {"ignore_class": -1, "class_weight": [1.0, 2.0, 0.5, 3.0]}, _ignored_labels(-1)),
    ("sparse_categorical_focal_crossentropy", {"from_logits": True, "gamma": 0.0}, _with_logits),
    ("dice", {"smooth": 1.0}, _default),
    ("jaccard", {"smooth": 1.0}, _soft_targets),
    ("tversky", {"alpha": 0.3, "beta": 0.7}, _default),
    ("tversky", {"alpha": 1.0, "beta": 1.0, "smooth": 0.5}, _soft_targets),
    ("focal_tversky", {"gamma": 1.0, "alpha": 0.5, "beta": 0.5}, _default),
    ("focal_tversky", {"gamma": 2.0, "smooth": 1.0}, _default),
    ("dice", {"from_logits": True}, _with_logits),
    ("jaccard", {"from_logits": True, "smooth": 1.0}, _with_logits),
    ("tversky", {"from_logits": True, "alpha": 0.3, "beta": 0.7}, _with_logits),
    ("focal_tversky", {"from_logits": True}, _with_logits),
    ("generalized_dice", {"from_logits": True}, _with_logits),
    ("generalized_dice", {"smooth": 0.0}, _default),
    ("generalized_dice", {"smooth": 1e-5}, _default),
    ("lovasz_softmax", {"classes": "all"}, _default),
    ("lovasz_softmax", {"from_logits": True}, _with_logits),
    ("lovasz_softmax", {"from_logits": True, "classes": "all"}, _with_logits),
    ("pairwise_hinge", {"margin": 0.5}, _default),
    ("pairwise_hinge", {"margin": 0.0}, _default),
    ("contrastive", {"margin": 0.5}, _default),
    ("contrastive", {"margin": 3.0}, _soft_targets),
    ("ntxent", {"temperature": 0.5}, _default),
    ("ntxent", {}, lambda n, r: (np.array([0, 0, 0, 1, 1, 2]), r.normal(size=(6, 4)))),  # unequal groups, a lone sample
    ("supervised_contrastive", {"temperature": 1.0}, lambda n, r: (np.array([0, 0, 0, 1, 1, 2]), r.normal(size=(6, 4)))),
    ("triplet_margin", {"margin": 0.2}, _default),
    ("triplet_margin", {"mining": "semi_hard"}, _default),
    ("triplet_margin", {"mining": "semi_hard", "margin": 0.5, "p": 1.0}, lambda n, r: (np.array([0, 0, 0, 1, 1, 2]), r.normal(size=(6, 4)))),
    ("triplet_margin", {"p": 3.0}, _default),
    ("circle", {"gamma": 10.0, "margin": 0.25}, _default),
    ("circle", {}, lambda n, r: (np.array([0, 0, 0, 1, 1, 2]), r.normal(size=(6, 4)))),
    ("ctc", {"blank": 3}, lambda n, r: (np.array([[0, 1], [2, -1], [1, 1]]), r.normal(size=(3, 4, 4)))),
    ("ctc", {"zero_infinity": True}, lambda n, r: (np.array([[1, 1], [2, -1], [-1, -1]]), r.normal(size=(3, 2, 3)))),
    ("ctc", {}, lambda n, r: (np.array([[1, 1], [2, 3]]), r.normal(size=(2, 2, 4)))),  # [1, 1] needs 3 frames: inf
]


@pytest.mark.lazy  # also on chunked dask arrays
@pytest.mark.parametrize(("name", "options", "make"), VARIANTS, ids=[f"{n}-{o}-{m.__name__}" for n, o, m in VARIANTS])
def test_options_match_the_formula(name, options, make, backend, dtype):
    y_true, y_pred = make(name, rng_for(name, sorted(options.items()), make.__name__))
    check(name, y_true, y_pred, options, backend, dtype)
    # the loss object binds the same options
    yt, yp = backend.to(y_true, dtype), backend.to(y_pred, dtype)
    bound = lk.get(name, **options).values(yt, yp)
    np.testing.assert_array_equal(backend.np(bound), backend.np(getattr(lk, name)(yt, yp, **options)))


# ----------------------------------------------------------------------------- the reference kernels
# On NumPy the records with a fast kernel run it instead of their value kernel; these tests run
# the value kernels themselves there, so a broken reference fails on NumPy too (the fast kernels
# are compared with the reference in test_fast_numpy.py).
FAST = sorted(spec.name for spec in CATALOG if "numpy" in spec.kernels)
NUMPY = Backend("numpy")


@pytest.fixture
def reference_kernels_only(monkeypatch):
    """Every record without its fast kernels: the value kernels run on every library."""
    for spec in CATALOG:
        monkeypatch.setattr(spec, "kernels", {})


@pytest.mark.parametrize("name", FAST)
def test_the_reference_kernel_matches_its_formula_on_numpy(name, dtype, reference_kernels_only):
    y_true, y_pred, options = make_case(name, rng_for(name))
    check(name, y_true, y_pred, options, NUMPY, dtype)


FAST_VARIANTS = [v for v in VARIANTS if v[0] in FAST]


@pytest.mark.parametrize(("name", "options", "make"), FAST_VARIANTS, ids=[f"{n}-{o}-{m.__name__}" for n, o, m in FAST_VARIANTS])
def test_the_reference_kernel_with_options_on_numpy(name, options, make, dtype, reference_kernels_only):
    y_true, y_pred = make(name, rng_for(name, sorted(options.items()), make.__name__))
    check(name, y_true, y_pred, options, NUMPY, dtype)


def test_every_option_is_exercised():
    varied = {(name, key) for name, options, _ in VARIANTS for key in options}
    varied |= {(name, "axis") for name in AXIS_LOSSES}
    for name in NAMES:
        for key in lk.get(name).options:
            assert (name, key) in varied, f"{name}: option {key!r} has no test"


def test_sparse_ignore_class_may_be_a_valid_class():
    """ignore_class=0 with labels 0 present: those rows are exactly 0, the others untouched."""
    rng = rng_for("ignore0")
    labels, logits = rng.integers(0, 3, size=10), _logits(rng, (10, 3))
    labels[:3] = 0
    out = lk.sparse_categorical_crossentropy(labels, logits, from_logits=True, ignore_class=0)
    assert np.all(out[labels == 0] == 0.0)
    full = REFERENCE["sparse_categorical_crossentropy"](labels, logits, from_logits=True)
    np.testing.assert_allclose(out[labels != 0], full[labels != 0], rtol=1e-12)


# ----------------------------------------------------------------------------- axis
@pytest.mark.lazy  # also on chunked dask arrays
@pytest.mark.parametrize("name", AXIS_LOSSES)
@pytest.mark.parametrize(("rank", "axis"), [(2, 0), (3, 1), (3, -2), (3, 0)])
def test_axis_equals_moving_that_axis_last(name, rank, axis, backend, dtype):
    rng = rng_for(name, rank, axis)
    logits = name in LOGIT_LOSSES
    lead = (6,) if rank == 2 else (2, 3)
    y_true, y_pred, _ = make_case(name, rng, batch=int(np.prod(lead)), width=4)
    if logits:
        y_pred = _logits(rng, y_pred.shape)
    y_true, y_pred = y_true.reshape(*lead, *y_true.shape[1:]), y_pred.reshape(*lead, 4)
    options = {"from_logits": True} if logits else {}
    expected = REFERENCE[name](rounded(y_true, dtype), rounded(y_pred, dtype), **options)

    moved_pred = np.moveaxis(y_pred, -1, axis)
    moved_true = y_true if name == "sparse_categorical_crossentropy" else np.moveaxis(y_true, -1, axis)
    out = getattr(lk, name)(backend.to(moved_true, dtype), backend.to(moved_pred, dtype), axis=axis, **options)
    assert_close(out, expected, backend, dtype=dtype, atol=float32_atol(dtype))


# ----------------------------------------------------------------------------- namespace and dtype rules
@pytest.mark.parametrize("name", ["mean_squared_error", "binary_crossentropy", "sparse_categorical_crossentropy", "gaussian_nll"])
def test_y_pred_dtype_wins_and_y_true_follows(name, backend):
    """float32 y_pred with float64 (or integer) y_true computes in float32, in y_pred's namespace."""
    y_true, y_pred, _ = make_case(name, rng_for(name, "mixed"))
    out = getattr(lk, name)(backend.to(y_true), backend.to(y_pred, "float32"))
    assert_close(out, REFERENCE[name](y_true, y_pred.astype("float32")), backend, dtype="float32")


@pytest.mark.parametrize("name", ["mean_squared_error", "categorical_crossentropy"])
def test_a_numpy_or_list_y_true_joins_y_pred_namespace(name, backend, dtype):
    y_true, y_pred, _ = make_case(name, rng_for(name, "foreign"))
    expected = REFERENCE[name](y_true, rounded(y_pred, dtype))
    assert_close(getattr(lk, name)(y_true, backend.to(y_pred, dtype)), expected, backend, dtype=dtype)
    assert_close(getattr(lk, name)(y_true.tolist(), backend.to(y_pred, dtype)), expected, backend, dtype=dtype)


def test_one_dimensional_inputs_are_one_sample_and_lists_are_numpy():
    out = lk.mean_squared_error([0.0, 1.0, 2.0], [1.0, 1.0, 4.0])
    assert isinstance(out, np.ndarray | np.generic) and out.shape == () and out.dtype == np.float64
    assert float(out) == pytest.approx(5.0 / 3.0, rel=1e-15)
    assert lk.mean_absolute_error(3.0, 1.0).shape == ()
    assert float(lk.mean_absolute_error(3.0, 1.0)) == 2.0


def test_keras_expands_the_one_dimensional_side(backend, dtype):
    """(N,) against (N, 1): the 1-D side gains the unit axis (Keras 3's
    ``squeeze_or_expand_to_same_rank``), so both are N samples of one value, as (N, 1) against
    (N, 1) is; ``reduction="none"`` gives N values and a length-N ``sample_weight`` fits."""
    rng = rng_for("squeeze")
    y_true, y_pred = rng.normal(size=7), rng.normal(size=7)
    per_row = REFERENCE["mean_squared_error"](rounded(y_true[:, None], dtype), rounded(y_pred[:, None], dtype))
    for yt, yp in ((y_true, y_pred[:, None]), (y_true[:, None], y_pred), (y_true[:, None], y_pred[:, None])):
        out = lk.mean_squared_error(backend.to(yt, dtype), backend.to(yp, dtype))
        assert_close(out, per_row, backend, dtype=dtype)
        none = lk.get("mse", reduction="none")(backend.to(yt, dtype), backend.to(yp, dtype))
        assert_close(none, per_row, backend, dtype=dtype)
        w = rng_for("w").uniform(0.5, 2.0, size=7)
        weighted = lk.get("mse")(backend.to(yt, dtype), backend.to(yp, dtype), sample_weight=backend.to(w, dtype))
        np.testing.assert_allclose(float(backend.np(weighted)), float(np.mean(w * per_row)), rtol=1e-5)
    labels, probabilities = rng.integers(0, 2, size=7).astype(float), rng.uniform(0.1, 0.9, size=(7, 1))
    out = lk.binary_crossentropy(backend.to(labels, dtype), backend.to(probabilities, dtype))
    assert_close(out, REFERENCE["binary_crossentropy"](rounded(labels[:, None], dtype), rounded(probabilities, dtype)), backend, dtype=dtype)
    # the other rank differences keep Keras' squeeze: (N, 3, 1) against (N, 3) is N samples of 3
    y3, p3 = rng.normal(size=(7, 3, 1)), rng.normal(size=(7, 3))
    assert_close(lk.mean_squared_error(backend.to(y3, dtype), backend.to(p3, dtype)),
                 REFERENCE["mean_squared_error"](rounded(y3[..., 0], dtype), rounded(p3, dtype)), backend, dtype=dtype)


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_a_keras_class_weight_dict_is_read_by_class_index(name):
    """``{0: 1.0, 1: 5.0}`` is the weights (1, 5), not its keys (0, 1); a class the dict does not
    name weighs 1, as in Keras' ``fit(class_weight=...)``."""
    rng = rng_for(name, "class_weight")
    y_true, y_pred, _ = make_case(name, rng, batch=8, width=2 if name == "binary_crossentropy" else 3)
    if name == "binary_crossentropy":
        y_true, y_pred = y_true[:, :1], y_pred[:, :1]
        as_dict, as_list = {0: 1.0, 1: 5.0}, [1.0, 5.0]
    else:
        as_dict, as_list = {0: 1.0, 1: 5.0}, [1.0, 5.0, 1.0]
    by_dict = lk.get(name, class_weight=as_dict)(y_true, y_pred)
    expected = REFERENCE[name](y_true, y_pred, class_weight=as_list).mean()
    np.testing.assert_allclose(float(by_dict), expected, rtol=1e-12)
    np.testing.assert_allclose(float(lk.get(name, class_weight=as_list)(y_true, y_pred)), expected, rtol=1e-12)
    if name == "binary_crossentropy":  # the numbers: 1.147 with the weights, not 0.178 with the keys
        y, p = np.array([[1.0], [0.0], [1.0], [0.0]]), np.array([[0.9], [0.2], [0.4], [0.6]])
        assert float(lk.get(name, class_weight={0: 1.0, 1: 5.0})(y, p)) == pytest.approx(
            np.mean([-5 * np.log(0.9), -np.log(0.8), -5 * np.log(0.4), -np.log(0.4)]), rel=1e-12)
    with pytest.raises(ValueError, match=f"{name}: `class_weight` names class 7"):
        lk.get(name, class_weight={7: 2.0})(y_true, y_pred)
    for bad in ({-1: 1.0}, {0: -1.0}, {"a": 1.0}, {0.5: 1.0}):
        with pytest.raises(ValueError, match=f"{name}: `class_weight` must be"):
            lk.get(name, class_weight=bad)


# ----------------------------------------------------------------------------- segmentation
@pytest.mark.lazy  # also on chunked dask arrays
@pytest.mark.parametrize("name", ["dice", "jaccard", "tversky", "focal_tversky", "generalized_dice"])
def test_segmentation_losses_give_one_value_per_image(name, backend, dtype):
    """(N, H, W, C) masks and probabilities: one value per image over its pixels and classes;
    an empty target with an empty prediction is finite (dice: 1, never 0/0)."""
    rng = rng_for(name, "images")
    labels = rng.integers(0, 3, size=(2, 5, 4))
    y_true = np.eye(3)[labels]
    y_pred = rng.dirichlet(np.ones(3), size=(2, 5, 4))
    out = check(name, y_true, y_pred, {}, backend, dtype)
    assert backend.np(out).shape == (2,)
    empty = getattr(lk, name)(backend.to(np.zeros((2, 3, 3)), dtype), backend.to(np.zeros((2, 3, 3)), dtype))
    assert np.isfinite(backend.np(empty)).all()
