"""check_compatibility / is_compatible: one test per documented (in)compatibility, the model
readers (PyTorch, Keras), the activation ranges against the activations themselves, and the
README matrix generated from the metadata."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import losskit as lk
from losskit.guidance import tables
from losskit.guidance.activations import ACTIVATIONS, COMMON, activation
from losskit.guidance.compatibility import logits_option
from losskit.losses import CATALOG

README = Path(__file__).resolve().parent.parent / "README.md"


def check(act, loss):
    """check_compatibility, returning (findings, the LossCompatibilityWarnings it emitted)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        findings = lk.check_compatibility(act, loss)
    return findings, [w for w in caught if issubclass(w.category, lk.LossCompatibilityWarning)]


def codes(findings):
    return [f.code for f in findings]


def errors(findings):
    return [f for f in findings if f.level == "error"]


# ----------------------------------------------------------------------------- the documented pairs
def test_tanh_into_categorical_crossentropy_is_incompatible_because_the_log_needs_positive_inputs():
    findings, emitted = check("tanh", "categorical_crossentropy")
    [error] = errors(findings)
    assert error.code == "activation-range"
    assert "(-1, 1)" in error.message and "[0, 1]" in error.message
    assert "log" in error.message and "strictly positive" in error.message
    assert "softmax" in error.fix
    assert len(emitted) == 1 and "categorical_crossentropy" in str(emitted[0].message)
    assert issubclass(lk.LossCompatibilityWarning, UserWarning)
    assert not lk.is_compatible("tanh", "cce")


def test_sigmoid_into_binary_crossentropy_fits_without_a_warning():
    findings, emitted = check("sigmoid", "binary_crossentropy")
    assert [(f.level, f.code) for f in findings] == [("ok", "fits")]
    assert "sigmoid" in findings[0].message and findings[0].fix is None
    assert emitted == []
    assert lk.is_compatible("sigmoid", "bce")


def test_linear_into_binary_crossentropy_is_compatible_only_with_from_logits():
    findings, emitted = check("linear", "binary_crossentropy")
    [error] = errors(findings)
    assert "compatible only with from_logits=True" in error.message
    assert "from_logits=True" in error.fix
    assert len(emitted) == 1
    findings, emitted = check("linear", lk.get("binary_crossentropy", from_logits=True))
    assert codes(findings) == ["fits"] and emitted == []


def test_identity_and_none_are_linear():
    for name in ("identity", "Identity", "none", None):
        assert codes(lk.check_compatibility(name, lk.get("bce", from_logits=True))) == ["fits"]


@pytest.mark.parametrize(
    "act, loss",
    [("sigmoid", lk.get("bce", from_logits=True)), ("softmax", lk.get("cce", from_logits=True)),
     ("Sigmoid", lk.get("binary_focal_crossentropy", from_logits=True)), ("softmax", lk.get("kld", log_input=True))],
)  # fmt: skip
def test_probabilities_into_a_loss_that_takes_logits_are_an_error(act, loss):
    findings, emitted = check(act, loss)
    [error] = errors(findings)
    assert error.code == "logits-expected"
    assert "probabilities" in error.message and len(emitted) == 1


def test_relu_into_tweedie_is_incompatible_because_it_outputs_zero():
    [error] = errors(check("relu", "tweedie")[0])
    assert error.code == "activation-range" and "the value 0" in error.message and "(0, inf)" in error.message
    assert "log_input=True" in error.fix


def test_linear_into_poisson_needs_log_input():
    [error] = errors(check("linear", "poisson")[0])
    assert "compatible only with log_input=True" in error.message
    assert codes(check("linear", lk.get("poisson", log_input=True))[0]) == ["fits"]


@pytest.mark.parametrize("act", ["sigmoid", "relu", "softplus", "exponential", "softmax", "log_softmax"])
@pytest.mark.parametrize("loss", ["hinge", "squared_hinge"])
def test_one_signed_activation_into_a_hinge_loss_is_an_error(act, loss):
    [error] = errors(check(act, loss)[0])
    assert error.code == "margin-sign" and "sign" in error.message


@pytest.mark.parametrize("act", ["linear", "tanh"])
def test_hinge_takes_scores_of_both_signs(act):
    assert codes(check(act, "hinge")[0]) == ["fits"]


def test_softmax_into_a_per_output_loss_is_a_warning():
    findings, emitted = check("softmax", "binary_crossentropy")
    assert [(f.level, f.code) for f in findings] == [("warning", "softmax-coupled")]
    assert "sigmoid" in findings[0].fix and emitted == []


def test_sigmoid_into_categorical_crossentropy_rows_do_not_sum_to_one():
    [finding] = check("sigmoid", "categorical_crossentropy")[0]
    assert (finding.level, finding.code) == ("warning", "rows-not-normalised")
    assert "softmax" in finding.fix


def test_tanh_logits_limit_the_probabilities():
    [finding] = check("tanh", lk.get("bce", from_logits=True))[0]
    assert (finding.level, finding.code) == ("warning", "range-restricts")
    low, high = 1 / (1 + math.e), 1 / (1 + math.exp(-1))  # sigmoid(-1), sigmoid(1)
    assert f"[{low:.3g}, {high:.3g}]" in finding.message


def test_bounded_activation_into_regression_cannot_reach_the_targets():
    [finding] = check("sigmoid", "mse")[0]
    assert (finding.level, finding.code) == ("warning", "range-restricts") and "(0, 1)" in finding.message
    assert lk.is_compatible("sigmoid", "mse")


def test_log_softmax_is_a_valid_logit_and_the_log_input_of_kl_divergence():
    [finding] = check("log_softmax", lk.get("cce", from_logits=True))[0]
    assert (finding.level, finding.code) == ("info", "fits")
    assert codes(check("log_softmax", lk.get("kld", log_input=True))[0]) == ["fits"]
    [error] = errors(check("log_softmax", "kld")[0])
    assert "log_input=True" in error.fix


def test_gaussian_nll_checks_each_head():
    findings = check("linear", "gaussian_nll")[0]
    assert [(f.level, f.code) for f in findings] == [("ok", "fits"), ("error", "activation-range")]
    assert "variances" in findings[1].message and "compatible only with log_input=True" in findings[1].message
    assert codes(check("linear+softplus", "gaussian_nll")[0]) == ["fits"]
    assert codes(check("linear", lk.get("gaussian_nll", log_input=True))[0]) == ["fits"]
    assert [f.level for f in check("softplus+softplus", "gaussian_nll")[0]] == ["warning", "ok"]


def test_two_heads_for_a_one_headed_loss_is_a_value_error():
    with pytest.raises(ValueError, match="gaussian_nll"):
        lk.check_compatibility("linear+softplus", "mse")


def test_unknown_activation_and_loss_are_value_errors_naming_them():
    with pytest.raises(ValueError, match="unknown activation 'sigmod'.*sigmoid"):
        lk.check_compatibility("sigmod", "bce")
    with pytest.raises(ValueError, match="unknown loss"):
        lk.check_compatibility("sigmoid", "binary_crossentropi")


def test_a_custom_callable_declares_nothing_so_nothing_is_checked():
    def my_loss(y_true, y_pred):
        return (y_true - y_pred) ** 2

    findings, emitted = check("tanh", my_loss)
    assert [(f.level, f.code) for f in findings] == [("info", "unknown-domain")]
    assert "my_loss" in findings[0].message and emitted == []


def test_a_registered_loss_with_metadata_is_checked():
    def unit_interval_loss(y_true, y_pred):
        return -np.log(np.clip(y_pred, 1e-7, 1.0))

    lk.register("test_compat_unit_loss", unit_interval_loss, y_pred=(0.0, 1.0), activations=("sigmoid",), overwrite=True)
    assert codes(check("sigmoid", "test_compat_unit_loss")[0]) == ["fits"]
    [error] = errors(check("relu", "test_compat_unit_loss")[0])
    assert "values above 1" in error.message


# ----------------------------------------------------------------------------- every pair
@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.name)
def test_every_declared_activation_fits_its_loss(spec):
    option = logits_option(spec)
    for options in ({}, {option: True}) if option else ({},):
        loss = lk.get(spec.name, **options)
        for declared in spec.final_activations(loss.options):
            assert codes(check(declared, loss)[0]) == ["fits"], (declared, options)


def test_the_warning_is_emitted_exactly_when_there_is_an_error():
    for spec in CATALOG:
        for act in COMMON:
            findings, emitted = check(act, spec.name)
            assert len(emitted) == (1 if errors(findings) else 0), (act, spec.name)
            assert lk.is_compatible(act, spec.name) == (not errors(findings))
            assert all(f.fix for f in errors(findings))


# ----------------------------------------------------------------------------- activation ranges
def _pairs(z):
    return np.stack([z, np.zeros_like(z)], axis=1)


def _logsumexp(rows):
    return np.logaddexp(rows[:, :1], rows[:, 1:])


_NUMPY = {
    "linear": lambda z: z,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "hard_sigmoid": lambda z: np.clip(z / 6 + 0.5, 0, 1),
    "softmax": lambda z: np.exp(_pairs(z) - _logsumexp(_pairs(z))),  # rows [z, 0]
    "log_softmax": lambda z: _pairs(z) - _logsumexp(_pairs(z)),
    "log_sigmoid": lambda z: -np.logaddexp(0, -z),
    "tanh": np.tanh,
    "softsign": lambda z: z / (1 + np.abs(z)),
    "hard_tanh": lambda z: np.clip(z, -1, 1),
    "relu": lambda z: np.maximum(z, 0),
    "relu6": lambda z: np.clip(z, 0, 6),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(z)),
    "selu": lambda z: 1.0507009873554805 * np.where(z > 0, z, 1.6732632423543772 * np.expm1(z)),
    "gelu": lambda z: 0.5 * z * (1 + np.vectorize(math.erf)(z / math.sqrt(2))),
    "silu": lambda z: z / (1 + np.exp(-z)),
    "mish": lambda z: z * np.tanh(np.logaddexp(0, z)),
    "softplus": lambda z: np.logaddexp(0, z),
    "exponential": np.exp,
}


@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda a: a.name)
def test_the_declared_range_holds_the_activation_and_is_tight(act):
    far = np.logspace(1.5, 6, 1000)
    z = np.concatenate([-far[::-1], np.linspace(-30, 30, 600_001), far])
    with np.errstate(over="ignore"):
        out = _NUMPY[act.name](z)
    low, high = act.output.low, act.output.high
    assert out.min() >= low - 1e-12 and out.max() <= high + 1e-12
    # tight: the activation gets within 2% (of the range, or of 1) of each finite end
    assert math.isinf(low) or out.min() - low < 0.02 * max(1.0, abs(low))
    assert math.isinf(high) or high - out.max() < 0.02 * max(1.0, abs(high))
    assert math.isfinite(low) or out.min() < -29
    assert math.isfinite(high) or out.max() > 29


def test_activation_names_cover_torch_modules():
    torch = pytest.importorskip("torch")
    z = torch.linspace(-30, 30, 100_001, dtype=torch.float64)
    for cls in ("Identity", "Sigmoid", "Hardsigmoid", "Tanh", "Softsign", "Hardtanh", "ReLU", "ReLU6", "LeakyReLU",
                "ELU", "SELU", "GELU", "SiLU", "Mish", "Softplus", "LogSigmoid"):  # fmt: skip
        module = getattr(torch.nn, cls)()
        out = module(z)
        found = activation(cls)
        assert float(out.min()) >= found.output.low - 1e-12 and float(out.max()) <= found.output.high + 1e-12, cls


# ----------------------------------------------------------------------------- models
def test_reads_the_final_activation_of_a_torch_model():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Softmax(dim=-1), nn.Dropout(0.1))
    findings, emitted = check(model, "categorical_crossentropy")
    assert codes(findings) == ["activation-read", "fits"] and "Softmax" in findings[0].message
    findings, emitted = check(nn.Sequential(nn.Linear(3, 1), nn.Tanh()), "cce")
    assert codes(findings) == ["activation-read", "activation-range"] and len(emitted) == 1
    # no activation after the last Linear: raw logits
    assert not lk.is_compatible(nn.Sequential(nn.Linear(3, 1)), "bce")
    assert lk.is_compatible(nn.Sequential(nn.Linear(3, 1)), lk.get("bce", from_logits=True))
    assert lk.is_compatible(nn.Sigmoid(), "bce")
    nested = nn.Sequential(nn.Sequential(nn.Linear(3, 2)), nn.Sequential(nn.LogSoftmax(dim=-1)))
    assert codes(lk.check_compatibility(nested, lk.get("kld", log_input=True))) == ["activation-read", "fits"]
    assert codes(lk.check_compatibility(torch.sigmoid, "bce")) == ["fits"]  # an activation function
    with pytest.raises(ValueError, match="Hardswish"):
        lk.check_compatibility(nn.Sequential(nn.Linear(3, 1), nn.Hardswish()), "mse")


_KERAS_SCRIPT = """
import warnings, keras, losskit as lk
m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="sigmoid")])
print([f.code for f in lk.check_compatibility(m, "bce")])
m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3), keras.layers.Softmax(), keras.layers.Dropout(0.1)])
print([f.code for f in lk.check_compatibility(m, "cce")])
m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, activation="tanh")])
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    print([f.code for f in lk.check_compatibility(m, "cce")], [x.category.__name__ for x in w])
"""


def test_reads_the_final_activation_of_a_keras_model():
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run([sys.executable, "-c", _KERAS_SCRIPT], env=env, capture_output=True, text=True)
    if "ModuleNotFoundError" in result.stderr or "ImportError" in result.stderr:
        pytest.skip("keras with the jax backend is not importable: " + result.stderr.strip().splitlines()[-1])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-3:] == [
        "['activation-read', 'fits']",
        "['activation-read', 'fits']",
        "['activation-read', 'activation-range'] ['LossCompatibilityWarning']",
    ]


# ----------------------------------------------------------------------------- the README matrix
def test_matrix_cells_follow_the_findings():
    cell = {(s.name, a): tables.cell(activation(a), s) for s in CATALOG for a in COMMON}
    assert cell["binary_crossentropy", "sigmoid"] == "✓"
    assert cell["binary_crossentropy", "linear"] == "logits"
    assert cell["categorical_crossentropy", "tanh"] == "✗"
    assert cell["categorical_crossentropy", "softmax"] == "✓"
    assert cell["hinge", "sigmoid"] == "✗"
    assert cell["mean_squared_error", "sigmoid"] == "⚠"
    assert cell["poisson", "exponential"] == "✓"
    assert cell["kl_divergence", "log_softmax"] == "logits"
    for (name, act), value in cell.items():
        assert (value == "✗") == (not lk.is_compatible(act, name) and not _fits_with_logits(name, act)), (name, act)


def _fits_with_logits(name, act):
    option = logits_option(lk.get(name).spec)
    return option is not None and tables.cell(activation(act), lk.get(name).spec) == "logits"


def test_readme_sections_equal_the_generated_tables():
    text = README.read_text(encoding="utf-8")
    assert tables.update_readme(text) == text, "README tables are stale: run python docs/generate_tables.py"
    assert tables.matrix_markdown() in text and tables.catalog_markdown() in text
    for spec in CATALOG:
        assert f"| `{spec.name}` |" in tables.matrix_markdown()


def test_generate_tables_script_check_mode_passes():
    script = README.parent / "docs" / "generate_tables.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
