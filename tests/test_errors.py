"""Bad input gets a clear error, never a silent wrong number (issue #2, requirement 5).

Every message is checked for its content: the loss, the argument, what was expected and what
was seen. Value checks (which read the data, so force a device sync) can be switched off;
then nothing is read: proven under ``jax.jit`` tracing and with torch's reading methods
patched to raise.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import losskit as lk
from cases import make_case
from formulas import REFERENCE
from losskit.losses._domain import Layout

NAMES = sorted(REFERENCE)


def message(excinfo) -> str:
    return str(excinfo.value)


def assert_mentions(text: str, *parts: str) -> None:
    for part in parts:
        assert part in text, f"{part!r} not in {text!r}"


# ----------------------------------------------------------------------------- shapes
SAME_SHAPE_MISMATCHES = [((5,), (4,)), ((5,), (1, 5)), ((5, 3), (5, 1)), ((5, 1), (1, 5)), ((5, 3), (5,)), ((2, 5, 3), (5, 3))]


@pytest.mark.parametrize(("true_shape", "pred_shape"), SAME_SHAPE_MISMATCHES)
@pytest.mark.parametrize("name", ["mean_squared_error", "categorical_crossentropy"])  # every loss shares the rule
def test_shapes_that_would_broadcast_raise_naming_loss_and_both_shapes(name, true_shape, pred_shape, backend):
    y_true, y_pred = np.zeros(true_shape), np.full(pred_shape, 0.5)
    with pytest.raises(ValueError) as excinfo:
        getattr(lk, name)(backend.to(y_true), backend.to(y_pred))
    assert_mentions(message(excinfo), name, "y_true", "y_pred", str(true_shape), str(pred_shape))


@pytest.mark.parametrize(("true_shape", "pred_shape"), [((5,), (5, 1)), ((5, 1), (5,)), ((5, 3, 1), (5, 3))])
def test_the_keras_rule_matches_ranks_instead_of_broadcasting(true_shape, pred_shape, backend):
    """Keras 3: a 1-D side facing (N, 1) gains the unit axis (N samples of one value); other rank
    differences of one lose the trailing unit axis."""
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=true_shape), rng.normal(size=pred_shape)
    out = lk.mean_squared_error(backend.to(y_true), backend.to(y_pred))
    flat = (5, 1) if len(true_shape) + len(pred_shape) == 3 else (5, 3)
    expected = np.mean((y_true.reshape(flat) - y_pred.reshape(flat)) ** 2, axis=-1)
    np.testing.assert_allclose(backend.np(out), expected, rtol=1e-12)


@pytest.mark.parametrize(("true_shape", "pred_shape"), [((4,), (5, 3)), ((5, 2), (5, 3)), ((5, 3), (5, 3)), ((3, 5), (5, 3))])
def test_sparse_labels_must_have_one_label_per_row(true_shape, pred_shape, backend):
    with pytest.raises(ValueError) as excinfo:
        lk.sparse_categorical_crossentropy(backend.to(np.zeros(true_shape, dtype=np.int64)), backend.to(np.full(pred_shape, 1 / 3)))
    assert_mentions(message(excinfo), "sparse_categorical_crossentropy", "y_true", str(true_shape), str(pred_shape), "(5,)")


@pytest.mark.parametrize(("true_shape", "pred_shape"), [((5, 2), (5, 2)), ((5, 2), (5, 3)), ((4, 1), (5, 2)), ((5,), (5,))])
def test_gaussian_nll_needs_means_and_variances(true_shape, pred_shape, backend):
    with pytest.raises(ValueError) as excinfo:
        lk.gaussian_nll(backend.to(np.zeros(true_shape)), backend.to(np.ones(pred_shape)))
    assert_mentions(message(excinfo), "gaussian_nll", "y_pred", "doubled", str(true_shape), str(pred_shape))


def test_sparse_labels_without_a_class_axis_in_y_pred_raise():
    with pytest.raises(ValueError) as excinfo:
        lk.sparse_categorical_crossentropy(np.array(1), np.array(0.5))
    assert_mentions(message(excinfo), "sparse_categorical_crossentropy", "y_pred", "class axis", "()")


def test_two_array_libraries_raise_naming_both():
    torch = pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(ValueError) as excinfo:
        lk.mean_squared_error(jnp.zeros((2, 3)), torch.zeros((2, 3)))
    assert_mentions(message(excinfo), "mean_squared_error", "one array library", "y_true jax", "y_pred torch.Tensor")


# ----------------------------------------------------------------------------- values
@pytest.mark.parametrize(("labels", "seen"), [([0, 3, 1], "max=3"), ([0, -1, 2], "min=-1"), ([0.0, 1.5, 2.0], "max=2"), ([0, 7, 1], "max=7")])
def test_integer_labels_out_of_range_raise(labels, seen, backend):
    probabilities = np.full((3, 3), 1 / 3)
    with pytest.raises(ValueError) as excinfo:
        lk.sparse_categorical_crossentropy(backend.to(np.array(labels)), backend.to(probabilities))
    assert_mentions(message(excinfo), "sparse_categorical_crossentropy", "`y_true`", "integers in [0, 3)", seen)


def test_ignore_class_is_the_one_label_allowed_out_of_range(backend):
    loss = lk.get("sparse_categorical_crossentropy", ignore_class=-1)
    loss(backend.to(np.array([0, -1, 2])), backend.to(np.full((3, 3), 1 / 3)))  # no error
    with pytest.raises(ValueError, match=r"integers in \[0, 3\); got min=-2"):
        loss(backend.to(np.array([0, -2, 2])), backend.to(np.full((3, 3), 1 / 3)))


@pytest.mark.parametrize("name", ["poisson", "mean_squared_logarithmic_error", "tweedie"])
def test_negative_targets_raise(name, backend, dtype):
    """(tweedie with power <= 0 takes any real target: test_catalog's variants.)"""
    y_true = np.array([[1.0, -2.0, 3.0]])
    with pytest.raises(ValueError) as excinfo:
        getattr(lk, name)(backend.to(y_true, dtype), backend.to(np.ones((1, 3)), dtype))
    assert_mentions(message(excinfo), name, "`y_true`", "[0, inf)", "min=-2", "max=3")


@pytest.mark.parametrize(
    ("name", "y_true", "y_pred", "options", "argument", "expected"),
    [
        ("binary_crossentropy", [[1.0, 2.0]], [[0.5, 0.5]], {}, "`y_true`", "[0, 1]"),
        ("binary_crossentropy", [[1.0, 0.0]], [[0.5, 1.5]], {}, "`y_pred`", "[0, 1]"),
        ("categorical_crossentropy", [[1.0, 0.0]], [[-0.5, 1.0]], {}, "`y_pred`", "[0, 1]"),
        ("hinge", [[2.0, 1.0]], [[0.5, 0.5]], {}, "`y_true`", "{-1, 0, 1}"),
        ("categorical_hinge", [[0.5, 0.5]], [[0.5, 0.5]], {}, "`y_true`", "{0, 1}"),
        ("tweedie", [[1.0, 1.0]], [[0.0, 1.0]], {}, "`y_pred`", "(0, inf)"),
        ("tweedie", [[0.0, 1.0]], [[1.0, 1.0]], {"power": 2.0}, "`y_true`", "(0, inf)"),  # gamma: y > 0
        ("tweedie", [[1.0, 1.0]], [[1.0, 0.0]], {"power": 3.0}, "`y_pred`", "(0, inf)"),
        ("tweedie", [[-1.0, 1.0]], [[0.0, 1.0]], {"power": -1.0}, "`y_pred`", "(0, inf)"),  # y may be negative, mu not
        ("poisson", [[1.0, 1.0]], [[-1.0, 1.0]], {}, "`y_pred`", "[0, inf)"),
        ("gaussian_nll", [[1.0]], [[0.0, -1.0]], {}, "variances of `y_pred`", "[0, inf)"),
    ],
)
def test_values_outside_the_domain_raise(name, y_true, y_pred, options, argument, expected, backend):
    with pytest.raises(ValueError) as excinfo:
        getattr(lk, name)(backend.to(np.array(y_true)), backend.to(np.array(y_pred)), **options)
    assert_mentions(message(excinfo), name, argument, expected, "got min=")


@pytest.mark.parametrize("name", NAMES)
def test_non_finite_predictions_raise(name, backend):
    y_true, y_pred, options = make_case(name, np.random.default_rng(1))
    for bad, seen in ((np.nan, "NaN"), (np.inf, "max=inf")):
        y_bad = y_pred.copy()
        y_bad[2, 1] = bad  # one value, or one frame of a sequence (ctc)
        seen = f"{int(np.isnan(y_bad).sum())} NaN" if bad != bad else seen
        with pytest.raises(ValueError) as excinfo:
            getattr(lk, name)(backend.to(y_true), backend.to(y_bad), **options)
        assert_mentions(message(excinfo), name, "`y_pred`", "must be", seen)


@pytest.mark.parametrize("name", NAMES)
def test_non_finite_targets_raise(name, backend):
    y_true, y_pred, options = make_case(name, np.random.default_rng(2))
    y_true = y_true.astype(float)
    y_true[1] = np.nan  # a whole row (a label, for sparse losses)
    with pytest.raises(ValueError) as excinfo:
        getattr(lk, name)(backend.to(y_true), backend.to(y_pred), **options)
    assert_mentions(message(excinfo), name, "`y_true`", "must be", "NaN")


def test_minus_inf_is_a_mask_only_where_logits_are_expected():
    labels, logits = np.array([[1.0, 0.0]]), np.array([[0.5, -np.inf]])
    assert np.isfinite(lk.categorical_crossentropy(labels, logits, from_logits=True)).all()
    with pytest.raises(ValueError, match=r"binary_crossentropy: `y_pred` must be values in \(-inf, inf\); got min=-inf"):
        lk.binary_crossentropy(labels, logits, from_logits=True)
    with pytest.raises(ValueError, match=r"categorical_crossentropy: `y_pred` must be values in \[0, 1\]"):
        lk.categorical_crossentropy(labels, logits)


# ----------------------------------------------------------------------------- options
@pytest.mark.parametrize(
    ("name", "options", "parts"),
    [
        ("huber", {"deltaa": 1.0}, ["unknown option 'deltaa'", "delta"]),
        ("mean_squared_error", {"from_logits": True}, ["unknown option 'from_logits'"]),
        ("huber", {"delta": 0}, ["`delta`", "a positive number", "got 0"]),
        ("huber", {"delta": -1.5}, ["`delta`", "got -1.5"]),
        ("huber", {"delta": float("nan")}, ["`delta`", "got nan"]),
        ("huber", {"delta": "1"}, ["`delta`", "got '1'"]),
        ("temporal_difference", {"delta": 0.0}, ["`delta`", "None or a positive number"]),
        ("binary_focal_crossentropy", {"gamma": -1}, ["`gamma`", ">= 0", "got -1"]),
        ("categorical_focal_crossentropy", {"gamma": -0.5}, ["`gamma`", "got -0.5"]),
        ("binary_focal_crossentropy", {"alpha": 1.5}, ["`alpha`", "[0, 1]", "got 1.5"]),
        ("quantile", {"quantile": 1.0}, ["`quantile`", "(0, 1)", "got 1.0"]),
        ("quantile", {"quantile": 0}, ["`quantile`", "got 0"]),
        ("tweedie", {"power": 0.5}, ["`power`", "<= 0 or >= 1", "got 0.5"]),
        ("tweedie", {"power": float("inf")}, ["`power`", "got inf"]),
        ("tweedie", {"power": True}, ["`power`", "got True"]),
        ("gaussian_nll", {"epsilon": 0}, ["`epsilon`", "positive", "got 0"]),
        ("binary_crossentropy", {"label_smoothing": 1.5}, ["`label_smoothing`", "[0, 1]", "got 1.5"]),
        ("binary_crossentropy", {"from_logits": 1}, ["`from_logits`", "True or False", "got 1"]),
        ("binary_crossentropy", {"class_weight": [1.0, -1.0]}, ["`class_weight`", "non-negative", "[1.0, -1.0]"]),
        ("categorical_crossentropy", {"class_weight": [1.0, "x"]}, ["`class_weight`", "'x'"]),
        ("categorical_crossentropy", {"axis": 1.0}, ["`axis`", "integer", "got 1.0"]),
        ("sparse_categorical_crossentropy", {"ignore_class": 1.5}, ["`ignore_class`", "None or an integer", "got 1.5"]),
        ("poisson", {"log_input": "yes"}, ["`log_input`", "True or False", "got 'yes'"]),
    ],
)
def test_bad_options_raise_when_the_loss_is_made(name, options, parts):
    for make in (lambda: lk.get(name, **options), lambda: getattr(lk, name)(np.zeros((1, 2)), np.zeros((1, 2)), **options)):
        with pytest.raises(ValueError) as excinfo:
            make()
        assert_mentions(message(excinfo), name, *parts)


def test_class_weight_of_the_wrong_length_raises_at_call(backend):
    loss = lk.get("categorical_crossentropy", class_weight=[1.0, 2.0])
    with pytest.raises(ValueError) as excinfo:
        loss(backend.to(np.eye(3)), backend.to(np.full((3, 3), 1 / 3)))
    assert_mentions(message(excinfo), "categorical_crossentropy", "`class_weight`", "one weight per class (3)", "got 2")


def test_an_axis_out_of_range_raises(backend):
    with pytest.raises(ValueError) as excinfo:
        lk.categorical_crossentropy(backend.to(np.eye(3)), backend.to(np.full((3, 3), 1 / 3)), axis=2)
    assert_mentions(message(excinfo), "categorical_crossentropy", "`axis`", "[-2, 2)", "got 2")


def test_an_unknown_reduction_raises():
    with pytest.raises(ValueError) as excinfo:
        lk.get("mse", reduction="avg")
    assert_mentions(message(excinfo), "mean_squared_error", "`reduction`", "sum_over_batch_size", "mean_with_sample_weight", "'avg'")


# ----------------------------------------------------------------------------- the value-check switch
@pytest.fixture
def checks_on():
    """Value checks on for the test, whatever the environment says, restored afterwards."""
    previous = lk.set_value_checks(True)
    yield
    lk.set_value_checks(previous)


def test_the_switch_and_its_context_manager(checks_on):
    assert lk.value_checks_enabled()
    with lk.value_checks(False):
        assert not lk.value_checks_enabled()
        out = lk.mean_squared_error(np.array([[np.nan, 1.0]]), np.array([[0.0, 1.0]]))
        assert np.isnan(out).all()
        with pytest.raises(RuntimeError):
            with lk.value_checks(True):
                assert lk.value_checks_enabled()
                raise RuntimeError("leaves the block")
        assert not lk.value_checks_enabled()  # restored on the way out of the inner block
    assert lk.value_checks_enabled()
    assert lk.set_value_checks(False) is True and lk.set_value_checks(True) is False


def test_shape_and_option_checks_still_run_without_value_checks(checks_on):
    with lk.value_checks(False):
        with pytest.raises(ValueError, match="same shape"):
            lk.mean_squared_error(np.zeros(5), np.zeros((1, 5)))
        with pytest.raises(ValueError, match="`delta`"):
            lk.get("huber", delta=-1.0)


@pytest.mark.parametrize("name", NAMES)
def test_without_value_checks_nan_passes_through(name, backend, checks_on):
    y_true, y_pred, options = make_case(name, np.random.default_rng(3))
    y_pred = y_pred.copy()
    y_pred[0] = np.nan
    with lk.value_checks(False), np.errstate(invalid="ignore"):  # NumPy warns about the NaN it was given
        out = backend.np(getattr(lk, name)(backend.to(y_true), backend.to(y_pred), **options))
    if lk.get(name).spec.layout is Layout.BATCH:  # every sample is compared with the NaN embedding
        assert np.isnan(out[0])
        return
    assert np.isnan(out[0]) and np.isfinite(out[1:]).all()


@pytest.fixture
def torch_reads_raise(monkeypatch):
    """Every way to read a torch tensor's values into Python raises: a read would be a device sync."""
    torch = pytest.importorskip("torch")

    def read(*args, **kwargs):
        raise AssertionError("a tensor value was read (a device sync)")

    for method in ("item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__", "__array__"):
        monkeypatch.setattr(torch.Tensor, method, read)
    return torch


@pytest.mark.parametrize("name", NAMES)
def test_torch_losses_read_no_values_without_value_checks(name, torch_reads_raise, checks_on):
    torch = torch_reads_raise
    y_true, y_pred, options = make_case(name, np.random.default_rng(4))
    y_true, y_pred = torch.from_numpy(y_true), torch.from_numpy(y_pred).requires_grad_(True)
    with lk.value_checks(False):
        objective = lk.get(name, **options)(y_true, y_pred, sample_weight=torch.ones(6, dtype=torch.float64))
        objective.backward()
    assert y_pred.grad is not None
    with pytest.raises(AssertionError, match="device sync"):  # the patch does catch reads: value checks read
        lk.get(name, **options)(y_true, y_pred)


def test_jax_jit_traces_without_reading_values(checks_on):
    """Under jax.jit the inputs are tracers: value checks are skipped (reading one would raise
    a ConcretizationTypeError), so a NaN goes through even with checks on."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    objective = jax.jit(lambda yt, yp: lk.get("sparse_categorical_crossentropy", ignore_class=-1)(yt, yp))
    out = objective(jnp.asarray([0, -1, 9]), jnp.asarray([[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]))
    assert out.shape == ()  # label 9 is out of range: unchecked under tracing, as documented
    mse = jax.jit(lk.mean_squared_error)
    assert np.isnan(np.asarray(mse(jnp.asarray([[np.nan, 1.0]]), jnp.asarray([[0.0, 1.0]])))).all()
    with pytest.raises(ValueError, match="1 NaN"):  # concrete JAX arrays are checked
        lk.mean_squared_error(jnp.asarray([[np.nan, 1.0]]), jnp.asarray([[0.0, 1.0]]))


@pytest.mark.parametrize(("setting", "raises"), [("0", False), ("off", False), (None, True)])
def test_the_environment_variable_sets_the_default(setting, raises):
    env = {k: v for k, v in os.environ.items() if k != "LOSSKIT_VALUE_CHECKS"}
    if setting is not None:
        env["LOSSKIT_VALUE_CHECKS"] = setting
    script = (
        "import numpy as np, losskit as lk\n"
        "print(lk.value_checks_enabled())\n"
        "print(float(lk.mean_squared_error(np.array([np.nan, 1.0]), np.array([0.0, 1.0]))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    if raises:
        assert result.returncode == 1
        assert re.search(r"ValueError: mean_squared_error: `y_true` must be .*1 NaN", result.stderr)
    else:
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["False", "nan"]


def test_the_seen_range_in_an_error_ignores_nan_values():
    with pytest.raises(ValueError, match=r"got min=0\.5, max=0\.5 and 1 NaN$"):
        lk.mean_squared_error(np.array([[0.0], [1.0]]), np.array([[np.nan], [0.5]]))
    with pytest.raises(ValueError, match=r"got 2 NaN \(every value\)$"):
        lk.mean_squared_error(np.zeros(2), np.full(2, np.nan))


# ----------------------------------------------------------------------------- what is not an array of real numbers
@pytest.mark.parametrize("name", ["mean_squared_error", "binary_crossentropy", "sparse_categorical_crossentropy"])
@pytest.mark.parametrize("arg", ["y_true", "y_pred"])
@pytest.mark.parametrize(
    ("bad", "seen"),
    [(np.array([[1 + 2j, 0.5]]), "complex"), ("abc", "str"), (None, "None"), ({"a": 1}, "dict"), (np.array([["a", "b"]]), "dtype")],
    ids=["complex", "string", "None", "dict", "string-array"],
)
def test_what_is_not_real_numbers_is_refused_naming_the_loss(name, arg, bad, seen):
    """Complex values would lose their imaginary part; strings, None and dicts would fail deep in NumPy."""
    y_true, y_pred, _ = make_case(name, np.random.default_rng(0), batch=1, width=2)
    data = {"y_true": y_true, "y_pred": y_pred, arg: bad}
    with pytest.raises(ValueError) as excinfo:
        getattr(lk, name)(data["y_true"], data["y_pred"])
    assert_mentions(message(excinfo), name, f"`{arg}`", seen)


def test_complex_torch_tensors_are_refused():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=r"mean_squared_error: `y_pred` must be real; got complex"):
        lk.mean_squared_error(torch.zeros(3), torch.zeros(3, dtype=torch.complex64))
