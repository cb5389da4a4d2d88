"""Loss objects and the registry (issue #2, requirement 3): names, ``get``, ``register``,
``available``, ``to_categorical``, reductions and sample weights against independent formulas,
configs, and a light ``import losskit``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

import losskit as lk
from conftest import assert_close
from formulas import REFERENCE
from losskit import registry
from losskit.losses import CATALOG

BUILTIN = sorted(spec.name for spec in CATALOG)


@pytest.fixture
def isolated_registry(monkeypatch):
    """Registrations made by a test vanish after it: other tests see the built-in catalog only."""
    monkeypatch.setattr(registry, "_SPECS", dict(registry._SPECS))
    monkeypatch.setattr(registry, "_KEYS", dict(registry._KEYS))


def camel(name: str) -> str:
    return "".join(word.capitalize() for word in name.split("_"))


# ----------------------------------------------------------------------------- names
@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.name)
def test_every_name_and_alias_resolves_in_every_spelling(spec):
    for name in (spec.name, *spec.aliases):
        spellings = [name, name.upper(), name.title(), f"loss_{name}", f"LOSS_{name.upper()}", name.replace("_", "-"), f" {name} "]
        spellings += [camel(name), camel(name) + "Loss"]  # Keras class names, PyTorch module names
        for spelling in spellings:
            assert lk.get(spelling).name == spec.name, spelling


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("MeanSquaredError", "mean_squared_error"),
        ("MSELoss", "mean_squared_error"),
        ("HuberLoss", "huber"),
        ("Huber", "huber"),
        ("KLDivergence", "kl_divergence"),
        ("BinaryCrossentropy", "binary_crossentropy"),
        ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"),
        ("CategoricalFocalCrossentropy", "categorical_focal_crossentropy"),
        ("LogCosh", "log_cosh"),
        ("loss_mean_absolute_percentage_error", "mean_absolute_percentage_error"),
        ("loss_binary_crossentropy", "binary_crossentropy"),
        ("CosineSimilarity", "cosine_similarity"),
        ("GaussianNLLLoss", "gaussian_nll"),
    ],
)
def test_keras_r_and_pytorch_spellings(spelling, canonical):
    assert lk.get(spelling).name == canonical


@pytest.mark.parametrize(
    ("typo", "close"),
    [("mean_squred_error", "mean_squared_error"), ("huberr", "huber"), ("msee", "mse"), ("binary_crossentropi", "binary_crossentropy")],
)
def test_an_unknown_name_raises_listing_the_closest_names(typo, close):
    with pytest.raises(ValueError) as excinfo:
        lk.get(typo)
    text = str(excinfo.value)
    assert repr(typo) in text and "unknown loss" in text
    assert close in text.split("did you mean", 1)[1]


def test_a_name_with_nothing_close_points_to_available():
    with pytest.raises(ValueError, match=r"unknown loss 'xyzzy'.*losskit\.available\(\)"):
        lk.get("xyzzy")


def test_available_is_the_sorted_canonical_catalog():
    names = lk.available()
    assert names == sorted(names)
    assert set(BUILTIN) <= set(names)
    aliases = {alias for spec in CATALOG for alias in spec.aliases}
    assert not aliases & set(names)
    assert len(BUILTIN) == len(CATALOG) >= 35


# ----------------------------------------------------------------------------- get
def test_get_passes_a_loss_through_and_rebinds_on_request():
    loss = lk.get("huber", delta=2.0)
    assert lk.get(loss) is loss
    summed = lk.get(loss, reduction="sum")
    assert summed is not loss and summed.reduction == "sum" and summed.options["delta"] == 2.0
    assert lk.get(loss, delta=3.0).options["delta"] == 3.0
    assert lk.get(None) is None


def test_options_become_parameters_of_the_loss():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=(5, 3)) * 3, rng.normal(size=(5, 3)) * 3
    loss = lk.get("huber", delta=2.0)
    assert loss.options == {"delta": 2.0} and loss.name == "huber"
    np.testing.assert_allclose(loss.values(y_true, y_pred), REFERENCE["huber"](y_true, y_pred, delta=2.0), rtol=1e-12)
    assert "delta=2.0" in repr(loss)
    assert lk.get("bce").options == {"from_logits": False, "label_smoothing": 0.0, "axis": -1, "class_weight": None}


def test_unknown_options_raise_naming_the_loss_and_its_options():
    with pytest.raises(ValueError, match=r"huber: unknown option 'beta'; its options are: delta"):
        lk.get("huber", beta=1.0)


@pytest.mark.parametrize("bad", [3, 2.5, ["mse"], object()])
def test_get_of_something_that_is_not_a_loss_raises(bad):
    with pytest.raises(ValueError, match="get: expected a loss name"):
        lk.get(bad)


def max_abs_error(y_true, y_pred):
    return np.max(np.abs(np.asarray(y_true) - np.asarray(y_pred)), axis=-1)


class ScaledError:
    def __init__(self, scale):
        self.scale = scale

    def __call__(self, y_true, y_pred):
        return self.scale * np.sum((y_pred - y_true) ** 2, axis=-1)


def test_a_callable_becomes_a_loss_that_keeps_its_name_and_averages_its_values():
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    expected = np.max(np.abs(y_true - y_pred), axis=-1)
    loss = lk.get(max_abs_error)
    assert loss.name == "max_abs_error" and loss.info.name == "max_abs_error"
    assert float(loss(y_true, y_pred)) == pytest.approx(expected.mean(), rel=1e-14)
    w = rng.uniform(size=6)
    assert float(loss(y_true, y_pred, sample_weight=w)) == pytest.approx((w * expected).mean(), rel=1e-14)
    np.testing.assert_array_equal(loss.values(y_true, y_pred), expected)

    assert lk.get(lambda a, b: a - b).name == "<lambda>"
    instance = lk.get(ScaledError(2.0))
    assert instance.name == "ScaledError"
    assert float(instance(y_true, y_pred)) == pytest.approx((2 * ((y_pred - y_true) ** 2).sum(-1)).mean(), rel=1e-14)


def test_a_callable_with_options_binds_them_and_rejects_unknown_ones():
    def scaled(y_true, y_pred, scale=1.0):
        return scale * np.abs(y_true - y_pred)

    assert float(lk.get(scaled, scale=3.0)(np.zeros(4), np.ones(4))) == 3.0
    with pytest.raises(ValueError, match=r"scaled: options \['power'\] do not fit"):
        lk.get(scaled, power=2)


def test_a_callable_on_torch_stays_in_torch():
    torch = pytest.importorskip("torch")
    loss = lk.get(lambda a, b: ((a - b) ** 2).mean(dim=-1))
    y_pred = torch.tensor([[1.0, 2.0], [0.0, 0.0]], requires_grad=True)
    objective = loss(torch.zeros(2, 2), y_pred)
    assert isinstance(objective, torch.Tensor) and objective.dtype == torch.float32
    objective.backward()
    np.testing.assert_allclose(y_pred.grad.numpy(), [[0.5, 1.0], [0.0, 0.0]])


# ----------------------------------------------------------------------------- register
def test_register_with_metadata_and_domain_checks(isolated_registry):
    def relative_error(y_true, y_pred, power=1.0):
        return np.mean(np.abs(y_pred - y_true) ** power / y_true, axis=-1)

    returned = lk.register(
        "relative_error", relative_error, aliases=("rel_err",), tasks=("regression",),
        y_true=(0.5, 10.0), y_pred=lk.Interval(0.0, 100.0, low_closed=True), activations=("softplus",),
        properties=("scale-free",), formula="mean(|y_pred - y_true|^p / y_true)", references=("user",),
    )  # fmt: skip
    assert returned is relative_error
    assert "relative_error" in lk.available() and "rel_err" not in lk.available()
    assert lk.available() == sorted(lk.available())

    loss = lk.get("REL-ERR", power=2.0)
    assert loss.name == "relative_error" and loss.options == {"power": 2.0}
    info = loss.info
    assert info.tasks == ("regression",) and info.activations == ("softplus",) and info.aliases == ("rel_err",)
    assert str(info.y_true_domain) == "[0.5, 10]" and str(info.y_pred_domain) == "[0, 100)"
    assert info.formula.startswith("mean(") and info.references == ("user",) and not info.builtin

    y_true, y_pred = np.array([[1.0, 2.0], [4.0, 8.0]]), np.array([[2.0, 2.0], [1.0, 8.0]])
    per_sample = np.mean((y_pred - y_true) ** 2 / y_true, axis=-1)
    assert float(loss(y_true, y_pred)) == pytest.approx(per_sample.mean(), rel=1e-14)
    with pytest.raises(ValueError, match=r"relative_error: `y_true` must be values in \[0\.5, 10\]; got min=0\.1, max=8"):
        loss(np.array([[0.1, 8.0]]), np.array([[1.0, 1.0]]))
    with pytest.raises(ValueError, match=r"relative_error: `y_pred` must be values in \[0, 100\); got .*1 NaN"):
        loss(np.array([[1.0, 8.0]]), np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match=r"relative_error: unknown option 'scale'; its options are: power"):
        lk.get("relative_error", scale=2.0)


def test_register_as_a_decorator(isolated_registry):
    @lk.register("cube_error", aliases=("cube",))
    def cube_error(y_true, y_pred):
        return np.mean(np.abs(y_pred - y_true) ** 3, axis=-1)

    assert cube_error(np.zeros((1, 2)), np.ones((1, 2)))[0] == 1.0  # the function itself is returned
    assert lk.get("Cube").name == "cube_error"
    assert float(lk.get("cube_error")(np.zeros((2, 2)), np.full((2, 2), 2.0))) == 8.0


def test_register_refuses_taken_names_unless_told_to_overwrite(isolated_registry):
    def first(y_true, y_pred):
        return np.mean(np.abs(y_pred - y_true), axis=-1)

    def second(y_true, y_pred):
        return np.mean(2.0 * np.abs(y_pred - y_true), axis=-1)

    for name, aliases in (("mse", ()), ("Mean-Squared-Error", ()), ("fresh_name", ("mae",)), ("HUBER_LOSS", ())):
        with pytest.raises(ValueError, match=r"register: the name .* is taken by '(mean_squared_error|mean_absolute_error|huber)'"):
            lk.register(name, first, aliases=aliases)
    lk.register("my_abs", first)
    with pytest.raises(ValueError, match=r"register: the name 'My_Abs' is taken by 'my_abs'; pass overwrite=True"):
        lk.register("My_Abs", second)
    lk.register("my_abs", second, overwrite=True)
    assert float(lk.get("my_abs")(np.zeros(3), np.ones(3))) == 2.0
    assert lk.available().count("my_abs") == 1


def test_overwriting_an_alias_moves_only_the_alias(isolated_registry):
    def doubled(y_true, y_pred):
        return np.mean(2.0 * np.square(y_pred - y_true), axis=-1)

    lk.register("mse", doubled, overwrite=True)
    assert float(lk.get("mse")(np.zeros(2), np.ones(2))) == 2.0
    assert float(lk.get("mean_squared_error")(np.zeros(2), np.ones(2))) == 1.0
    assert lk.get("mean_squared_error").info.aliases == ()
    assert sorted(n for n in lk.available() if n in ("mse", "mean_squared_error")) == ["mean_squared_error", "mse"]
    assert lk.mean_squared_error.spec.aliases == ("mse",)  # the built-in record is not mutated


def test_register_rejects_bad_arguments(isolated_registry):
    with pytest.raises(ValueError, match="register: `name` must be a non-empty string; got ''"):
        lk.register("", lambda a, b: a)
    with pytest.raises(ValueError, match="register: `function` must be callable; got int"):
        lk.register("not_callable", 3)


def test_isolation_fixture_leaves_the_catalog_alone():
    assert "my_abs" not in lk.available() and "relative_error" not in lk.available()
    assert lk.get("mse").name == "mean_squared_error"


# ----------------------------------------------------------------------------- to_categorical
@pytest.mark.parametrize(
    ("labels", "num_classes", "shape"),
    [([0, 2, 1, 2], None, (4, 3)), ([[0], [3], [1]], None, (3, 4)), ([[0, 1], [2, 0], [1, 1]], 5, (3, 2, 5)), ([1, 0], 4, (2, 4))],
)
def test_to_categorical_is_numpy_eye(labels, num_classes, shape, backend):
    labels = np.array(labels)
    out = lk.to_categorical(backend.to(labels), num_classes)
    flat = labels[..., 0] if labels.ndim > 1 and labels.shape[-1] == 1 else labels
    expected = np.eye(num_classes or labels.max() + 1)[flat]
    assert_close(out, expected, backend, dtype="float32", rtol=0)
    assert expected.shape == shape


def test_to_categorical_of_lists_and_float_integers_is_numpy_float32():
    out = lk.to_categorical([0.0, 2.0])
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1]])


@pytest.mark.parametrize(
    ("labels", "num_classes", "pattern"),
    [
        ([0, 3], 3, r"to_categorical: `labels` must be integers in \[0, 3\); got min=0, max=3"),
        ([0, -1], None, r"to_categorical: `labels` must be integers in \[0, 1\); got min=-1"),
        ([0.5, 1.0], None, r"to_categorical: `labels` must be integers; got non-integer values"),
    ],
)
def test_to_categorical_errors(labels, num_classes, pattern):
    with pytest.raises(ValueError, match=pattern):
        lk.to_categorical(np.array(labels), num_classes)


# ----------------------------------------------------------------------------- reductions and sample weights
def reduce_reference(values, weights, reduction):
    """Keras' reductions written out: weights multiply, then sum / count / sum of weights."""
    weighted = values * weights
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return np.float64(weighted.sum())
    if reduction == "mean_with_sample_weight":
        total = np.broadcast_to(weights, values.shape).sum()
        return np.float64(0.0 if total == 0 else weighted.sum() / total)
    return np.float64(weighted.sum() / values.size)


REDUCTIONS = ["sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", ["none", "(N,)", "(N, 1)", "scalar"])
def test_reductions_and_sample_weights(reduction, weight_shape, backend, dtype):
    rng = np.random.default_rng(5)
    y_true, y_pred = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    w = rng.uniform(0.0, 2.0, size=6)
    weight = {"none": None, "(N,)": w, "(N, 1)": w[:, None], "scalar": np.asarray(1.7)}[weight_shape]
    loss = lk.get("mse", reduction=reduction)
    out = loss(backend.to(y_true, dtype), backend.to(y_pred, dtype), sample_weight=None if weight is None else backend.to(weight, dtype))
    values = REFERENCE["mean_squared_error"](y_true.astype(dtype), y_pred.astype(dtype))
    weights = np.ones(6) if weight is None else np.broadcast_to(np.asarray(weight, dtype).reshape(-1), (6,))
    if reduction == "mean_with_sample_weight" and weight is None:
        weights = np.ones(6)
    assert_close(out, reduce_reference(values, weights, reduction), backend, dtype=dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sample_weights_on_multidimensional_per_sample_values(reduction, backend):
    """(N, T, d) inputs give (N, T) values; (N,) weights weigh whole samples, (N, T) weights each step."""
    rng = np.random.default_rng(6)
    y_true, y_pred = rng.normal(size=(4, 5, 2)), rng.normal(size=(4, 5, 2))
    values = REFERENCE["mean_absolute_error"](y_true, y_pred)
    loss = lk.get("mae", reduction=reduction)
    for weights in (rng.uniform(size=4), rng.uniform(size=(4, 5))):
        out = loss(backend.to(y_true), backend.to(y_pred), sample_weight=backend.to(weights))
        full = weights[:, None] * np.ones((4, 5)) if weights.ndim == 1 else weights
        assert_close(out, reduce_reference(values, full, reduction), backend, dtype="float64")


@pytest.mark.parametrize("weight_shape", [(5,), (6, 2), (6, 3), (1, 6)])
def test_sample_weights_that_do_not_fit_raise(weight_shape, backend):
    loss = lk.get("mse")
    with pytest.raises(ValueError) as excinfo:
        loss(backend.to(np.zeros((6, 3))), backend.to(np.ones((6, 3))), sample_weight=backend.to(np.ones(weight_shape)))
    text = str(excinfo.value)
    assert "mean_squared_error" in text and "`sample_weight`" in text and str(weight_shape) in text and "(6,)" in text


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
def test_zero_total_weight_gives_zero(reduction, backend, dtype):
    out = lk.get("mse", reduction=reduction)(backend.to(np.zeros((3, 2)), dtype), backend.to(np.ones((3, 2)), dtype), sample_weight=backend.to(np.zeros(3), dtype))
    assert_close(out, np.float64(0.0), backend, dtype=dtype)


def test_no_samples_gives_zero_not_nan():
    out = lk.get("mse")(np.zeros((0, 3)), np.zeros((0, 3)))
    assert float(out) == 0.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ignore_class_averages_over_the_labels_kept(reduction, backend, dtype):
    """Keras' rule: ignored labels count neither in the sum nor in the number of values."""
    rng = np.random.default_rng(7)
    labels, logits = np.array([0, -1, 2, 1, -1, 2]), rng.normal(size=(6, 3))
    w = rng.uniform(0.5, 2.0, size=6)
    loss = lk.get("sparse_categorical_crossentropy", from_logits=True, ignore_class=-1, reduction=reduction)
    out = loss(backend.to(labels), backend.to(logits, dtype), sample_weight=backend.to(w, dtype))
    values = REFERENCE["sparse_categorical_crossentropy"](labels, logits.astype(dtype), from_logits=True, ignore_class=-1)
    kept = labels != -1
    weighted = np.where(kept, w.astype(dtype) * values, 0.0)
    expected = {
        "sum_over_batch_size": weighted.sum() / kept.sum(),
        "mean": weighted.sum() / kept.sum(),
        "sum": weighted.sum(),
        "mean_with_sample_weight": weighted.sum() / w.astype(dtype)[kept].sum(),
        "none": weighted,
    }[reduction]
    assert_close(out, np.asarray(expected), backend, dtype=dtype)


# ----------------------------------------------------------------------------- configs
@pytest.mark.parametrize(
    "loss",
    [
        lk.get("huber", delta=2.5, reduction="sum"),
        lk.get("categorical_crossentropy", from_logits=True, label_smoothing=0.1, class_weight=[1.0, 2.0, 3.0]),
        lk.get("sparse_categorical_crossentropy", ignore_class=0, reduction="none"),
        lk.get("tweedie", power=1.3, log_input=True, reduction="mean_with_sample_weight"),
    ],
    ids=lambda loss: loss.name,
)
def test_get_config_round_trips(loss):
    config = loss.get_config()
    assert config["name"] == loss.name and config["reduction"] == loss.reduction
    assert json.loads(json.dumps(config)) == config  # plain data
    rebuilt = lk.get(config)
    assert rebuilt == loss and rebuilt.options == loss.options and rebuilt.reduction == loss.reduction
    keras_style = lk.get({"class_name": camel(loss.name), "config": {k: v for k, v in config.items() if k != "name"}})
    assert keras_style == loss


def test_a_config_without_a_name_raises():
    with pytest.raises(ValueError, match="get: a config dict needs a 'name'"):
        lk.get({"delta": 1.0})


# ----------------------------------------------------------------------------- a light import
def test_import_losskit_imports_no_optional_dependency():
    script = (
        "import sys\n"
        "before = {m.split('.')[0] for m in sys.modules}\n"
        "import losskit\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} - before - set(sys.stdlib_module_names))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    new = set(result.stdout.split())
    assert new <= {"losskit", "numpy", "array_api_compat"}, new
    for optional in ("torch", "jax", "matplotlib", "sklearn", "rich", "xgboost", "lightgbm", "array_api_strict"):
        assert optional not in new


def test_the_objective_on_torch_raises_no_warning_and_keeps_the_graph():
    torch = pytest.importorskip("torch")
    y_pred = torch.tensor([[0.5], [1.5]], dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        objective = lk.get("mse")(torch.zeros(2, 1, dtype=torch.float64), y_pred)
    objective.backward()
    assert objective.ndim == 0 and objective.item() == pytest.approx((0.25 + 2.25) / 2)
    assert y_pred.grad.flatten().tolist() == pytest.approx([0.5, 1.5])
