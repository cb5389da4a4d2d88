"""loss.info: the metadata of every loss, with and without from_logits, and that the declared
domains are the ones the loss enforces on data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from cases import make_case

import losskit as lk
from losskit.guidance import tables
from losskit.guidance.activations import activation
from losskit.guidance.compatibility import logits_option
from losskit.guidance.options import describe
from losskit.losses import CATALOG
from losskit.losses._domain import ClassIndices, Interval, Labels, PaddedLabels

TASKS = {"regression", "binary", "multiclass", "multilabel", "counts", "similarity", "reinforcement", "distribution", "segmentation", "ranking", "sequence"}
README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.name)
def test_every_loss_describes_itself(spec):
    info = lk.get(spec.name).info
    assert info.name == spec.name and info.builtin
    assert info.tasks and set(info.tasks) <= TASKS
    assert isinstance(info.y_true_domain, Interval | Labels | ClassIndices)
    assert isinstance(info.y_pred_domain, Interval)
    assert info.formula and info.latex and info.references and info.summary
    for name in info.activations:
        for part in name.split("+"):
            activation(part)  # a known activation, or ValueError
    assert info.options == spec.defaults
    assert all(describe(option) for option in info.options), "every option has a one-line description"
    assert json.loads(json.dumps(info.to_dict()))["name"] == spec.name


@pytest.mark.parametrize(
    "name, option, plain, logits",
    [
        ("binary_crossentropy", "from_logits", ("[0, 1]", ("sigmoid",)), ("(-inf, inf)", ("linear",))),
        ("binary_focal_crossentropy", "from_logits", ("[0, 1]", ("sigmoid",)), ("(-inf, inf)", ("linear",))),
        ("categorical_crossentropy", "from_logits", ("[0, 1]", ("softmax",)), ("[-inf, inf)", ("linear",))),
        ("sparse_categorical_crossentropy", "from_logits", ("[0, 1]", ("softmax",)), ("[-inf, inf)", ("linear",))),
        ("policy_gradient", "from_logits", ("[0, 1]", ("softmax",)), ("[-inf, inf)", ("linear",))),
        ("poisson", "log_input", ("[0, inf)", ("exponential", "softplus", "relu")), ("(-inf, inf)", ("linear",))),
        ("tweedie", "log_input", ("(0, inf)", ("exponential", "softplus")), ("(-inf, inf)", ("linear",))),
        ("kl_divergence", "log_input", ("[0, 1]", ("softmax",)), ("[-inf, 0]", ("log_softmax",))),
        ("gaussian_nll", "log_input", ("(-inf, inf)", ("linear+softplus",)), ("(-inf, inf)", ("linear",))),
    ],
)
def test_from_logits_switches_the_domain_and_the_activation(name, option, plain, logits):
    info = lk.get(name).info
    assert (str(info.y_pred_domain), info.activations) == plain
    info = lk.get(name, **{option: True}).info
    assert (str(info.y_pred_domain), info.activations) == logits and info.options[option] is True


def test_labels_and_properties():
    def having(prop):
        return {s.name for s in CATALOG if prop in s.properties}

    assert having("margin-based") == {
        "hinge", "squared_hinge", "categorical_hinge", "soft_margin", "perceptron", "multiclass_hinge", "multi_margin", "sparsemax", "pairwise_hinge", "lovasz_hinge",
    }  # fmt: skip
    assert having("needs one-hot labels") == {"categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge", "poly1_crossentropy",
                                                "generalized_dice", "lovasz_softmax"}
    assert having("needs integer labels") == {
        "sparse_categorical_crossentropy", "sparse_categorical_focal_crossentropy", "generalized_crossentropy", "nll",
        "multiclass_hinge", "multi_margin", "sparsemax",
    }  # fmt: skip
    assert having("robust to outliers") == {"mean_absolute_error", "huber", "log_cosh", "quantile", "smooth_l1"}
    assert {"binary_crossentropy", "categorical_crossentropy", "poisson", "gaussian_nll"} <= having("probabilistic")
    assert str(lk.get("hinge").info.y_true_domain) == "{-1, 0, 1}"
    assert isinstance(lk.get("scce").info.y_true_domain, ClassIndices)


# ----------------------------------------------------------------------------- declared = enforced
def _outside_and_edges(domain):
    """(values just outside the domain, values on its closed ends)."""
    if isinstance(domain, Labels):
        return [min(domain.values) - 1.0, 0.5 if 0.5 not in domain.values else 0.25], list(domain.values)
    outside, edges = [], []
    for end, closed, step in ((domain.low, domain.low_closed, -0.5), (domain.high, domain.high_closed, 0.5)):
        if math.isfinite(end):
            outside.append(end + step)
            (edges if closed else outside).append(end)
    return outside, edges


@pytest.mark.parametrize("spec", [s for s in CATALOG if s.layout.value != "mean_variance"], ids=lambda s: s.name)
@pytest.mark.parametrize("arg", ["y_true", "y_pred"])
def test_the_declared_domain_is_enforced_on_data(spec, arg):
    y_true, y_pred, options = make_case(spec.name, np.random.default_rng(3))
    domain = spec.y_true if arg == "y_true" else spec.y_pred
    if isinstance(domain, PaddedLabels):  # -1 pads a label sequence
        outside, edges = [-2.0, float(y_pred.shape[-1])], [-1.0, float(y_pred.shape[-1] - 1)]
    elif isinstance(domain, ClassIndices):
        outside, edges = [-1.0, float(y_pred.shape[-1])], [0.0, float(y_pred.shape[-1] - 1)]
    else:
        outside, edges = _outside_and_edges(domain)
    for value in outside:
        data = {"y_true": y_true.copy(), "y_pred": y_pred.copy()}
        data[arg].flat[0] = value
        with pytest.raises(ValueError, match=f"{spec.name}: `{arg}` must be"):
            spec.function(data["y_true"], data["y_pred"], **options)
    for value in edges:
        data = {"y_true": y_true.copy(), "y_pred": y_pred.copy()}
        data[arg].flat[0] = value
        assert np.isfinite(spec.function(data["y_true"], data["y_pred"], **options)).all(), value


# ----------------------------------------------------------------------------- user losses
def test_a_registered_loss_carries_its_declared_metadata():
    def squared_log_ratio(y_true, y_pred):
        """Squared log ratio of positive values."""
        return np.mean(np.log(y_pred / y_true) ** 2, axis=-1)

    lk.register("test_info_log_ratio", squared_log_ratio, aliases=("test_info_slr",), tasks=("regression",), y_true=(1e-9, 1e9),
                y_pred=Interval(0.0, math.inf), activations=("softplus",), properties=("scale-free",), formula="mean(log(p / y)^2)",
                references=("a textbook",), overwrite=True)  # fmt: skip
    info = lk.get("test_info_slr").info
    assert (info.name, info.aliases, info.tasks, info.activations) == ("test_info_log_ratio", ("test_info_slr",), ("regression",), ("softplus",))
    assert str(info.y_true_domain) == "[1e-09, 1e+09]" and str(info.y_pred_domain) == "(0, inf)"
    assert info.formula == "mean(log(p / y)^2)" and info.properties == ("scale-free",) and not info.builtin
    assert info.summary == "Squared log ratio of positive values."
    assert lk.is_compatible("softplus", "test_info_slr") and not lk.is_compatible("tanh", "test_info_slr")


def test_a_plain_callable_has_a_name_and_nothing_else():
    def my_loss(y_true, y_pred):
        """My loss."""
        return (y_true - y_pred) ** 2

    info = lk.get(my_loss).info
    assert info.name == "my_loss" and info.summary == "My loss."
    assert info.tasks == () and info.y_true_domain is None and info.y_pred_domain is None and info.activations == ()


# ----------------------------------------------------------------------------- the README catalog
def test_the_catalog_table_is_generated_from_the_records_and_in_the_readme():
    table = tables.catalog_markdown()
    rows = table.splitlines()[2:]
    assert len(rows) == len(CATALOG)
    for spec, row in zip(CATALOG, rows):
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert cells[0] == f"`{spec.name}`" and cells[1] == ", ".join(spec.aliases) and cells[3] == str(spec.y_true)
        option = logits_option(spec)
        assert (f"`{option}=True`" in cells[4]) == (option is not None)
    text = README.read_text(encoding="utf-8")
    start, end = text.index("<!-- catalog:start -->"), text.index("<!-- catalog:end -->")
    assert text[start:end].strip().removeprefix("<!-- catalog:start -->").strip() == table
