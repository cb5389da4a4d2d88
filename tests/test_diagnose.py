"""diagnose: one test per diagnosis, on NumPy and PyTorch inputs; clean inputs for every loss give
no finding on every backend."""

from __future__ import annotations

import numpy as np
import pytest
from cases import make_case
from conftest import SELECTED, Backend

import losskit as lk
from losskit.losses import CATALOG


@pytest.fixture(params=[b for b in SELECTED if b in ("numpy", "torch")])
def array_lib(request) -> Backend:
    """NumPy and PyTorch: diagnose reads any library through the same conversion."""
    return Backend(request.param)


def only(findings, code):
    """The single finding with ``code`` (and no warning or error besides it)."""
    matching = [f for f in findings if f.code == code]
    others = [f for f in findings if f.code != code and f.level in ("warning", "error")]
    assert len(matching) == 1 and not others, [str(f) for f in findings]
    return matching[0]


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.name)
def test_valid_inputs_give_no_finding(spec, backend):
    y_true, y_pred, options = make_case(spec.name, np.random.default_rng(0))
    assert lk.diagnose(lk.get(spec.name, **options), backend.to(y_true), backend.to(y_pred)) == []


def test_logits_where_probabilities_are_expected(array_lib):
    finding = only(lk.diagnose("binary_crossentropy", array_lib.to([0.0, 1.0, 1.0]), array_lib.to([-2.0, 3.0, 0.5])), "probabilities-expected")
    assert finding.level == "error" and "min=-2, max=3" in finding.message and "from_logits=True" in finding.fix
    rows = array_lib.to(np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]]))
    finding = only(lk.diagnose("categorical_crossentropy", array_lib.to(np.eye(3)[[0, 2]]), rows), "probabilities-expected")
    assert "softmax" in finding.fix


def test_probabilities_where_logits_are_expected(array_lib):
    finding = only(lk.diagnose(lk.get("bce", from_logits=True), array_lib.to([0.0, 1.0, 1.0]), array_lib.to([0.2, 0.9, 0.5])), "logits-expected")
    assert finding.level == "warning" and "from_logits=False" in finding.fix
    probs = array_lib.to(np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]))
    only(lk.diagnose(lk.get("sparse_categorical_crossentropy", from_logits=True), array_lib.to(np.array([2, 0])), probs), "logits-expected")
    # logits that happen to be small but do not sum to 1 are not flagged
    assert lk.diagnose(lk.get("cce", from_logits=True), array_lib.to(np.eye(3)[[0, 1]]), array_lib.to(np.array([[0.2, 0.1, 0.3], [0.5, 0.4, 0.9]]))) == []


def test_rows_that_do_not_sum_to_one(array_lib):
    y_pred = array_lib.to(np.array([[0.5, 0.5, 0.5], [0.2, 0.3, 0.5], [0.1, 0.1, 0.1]]))
    finding = only(lk.diagnose("categorical_crossentropy", array_lib.to(np.eye(3)), y_pred), "rows-not-normalised")
    assert "2 of 3 rows" in finding.message and "from 0.3 to 1.5" in finding.message and "softmax" in finding.fix


def test_integer_labels_for_a_one_hot_loss(array_lib):
    y_pred = array_lib.to(np.full((4, 3), 1 / 3))
    finding = only(lk.diagnose("categorical_crossentropy", array_lib.to(np.array([0, 2, 1, 1])), y_pred), "integer-labels")
    assert finding.level == "error"
    assert "sparse_categorical_crossentropy" in finding.fix and "to_categorical(y_true, num_classes=3)" in finding.fix
    # a trailing axis of 1 is the same mistake; categorical_hinge has no sparse twin
    finding = only(lk.diagnose("categorical_hinge", array_lib.to(np.array([[0], [2], [1], [1]])), y_pred), "integer-labels")
    assert "sparse" not in finding.fix and "to_categorical" in finding.fix


def test_one_hot_labels_for_a_sparse_loss(array_lib):
    finding = only(lk.diagnose("sparse_categorical_crossentropy", array_lib.to(np.eye(3)), array_lib.to(np.full((3, 3), 1 / 3))), "one-hot-labels")
    assert "argmax" in finding.fix


@pytest.mark.parametrize(
    "labels, words",
    [([1, 2, 3], "1-based"), ([0, 2, 5], "0..2"), ([0.5, 1, 2], "integer")],
)
def test_labels_outside_the_class_range(array_lib, labels, words):
    finding = only(lk.diagnose("sparse_categorical_crossentropy", array_lib.to(np.array(labels)), array_lib.to(np.full((3, 3), 1 / 3))), "labels-out-of-range")
    assert finding.level == "error" and words in finding.fix + finding.message


def test_ignored_labels_are_not_out_of_range(array_lib):
    loss = lk.get("sparse_categorical_crossentropy", ignore_class=-1)
    assert lk.diagnose(loss, array_lib.to(np.array([0, -1, 2])), array_lib.to(np.full((3, 3), 1 / 3))) == []


def test_binary_labels_out_of_range(array_lib):
    finding = only(lk.diagnose("bce", array_lib.to([1.0, -1.0, 1.0]), array_lib.to([0.2, 0.5, 0.9])), "labels-out-of-range")
    assert "(y_true + 1) / 2" in finding.fix
    finding = only(lk.diagnose("bce", array_lib.to([0.0, 1.0, 2.0]), array_lib.to([0.2, 0.5, 0.9])), "labels-out-of-range")
    assert "sparse_categorical_crossentropy" in finding.fix
    only(lk.diagnose("hinge", array_lib.to([1.0, 2.0, 1.0]), array_lib.to([0.2, -0.5, 0.9])), "labels-out-of-range")


def test_negative_counts(array_lib):
    finding = only(lk.diagnose("poisson", array_lib.to([1.0, -2.0, 3.0]), array_lib.to([1.0, 2.0, 3.0])), "negative-counts")
    assert finding.level == "error" and "1 negative" in finding.message and "min=-2" in finding.message
    only(lk.diagnose("tweedie", array_lib.to([1.0, -2.0, 3.0]), array_lib.to([1.0, 2.0, 3.0])), "negative-counts")


def test_negative_rates_look_like_log_rates(array_lib):
    finding = only(lk.diagnose("poisson", array_lib.to([1.0, 2.0, 3.0]), array_lib.to([-1.0, 0.5, 1.0])), "y-pred-out-of-domain")
    assert "log_input=True" in finding.fix
    assert lk.diagnose(lk.get("poisson", log_input=True), array_lib.to([1.0, 2.0, 3.0]), array_lib.to([-1.0, 0.5, 1.0])) == []


def test_negative_variances_look_like_log_variances(array_lib):
    y_pred = array_lib.to(np.array([[0.1, -1.0], [0.3, -0.5], [0.0, 0.2]]))
    finding = only(lk.diagnose("gaussian_nll", array_lib.to(np.array([0.0, 0.2, 0.1])), y_pred), "y-pred-out-of-domain")
    assert "log_input=True" in finding.fix


def test_never_negative_scores_for_hinge(array_lib):
    finding = only(lk.diagnose("hinge", array_lib.to([1.0, -1.0, 1.0]), array_lib.to([0.2, 0.5, 0.9])), "scores-expected")
    assert "binary_crossentropy" in finding.fix


def test_class_imbalance(array_lib):
    y = (np.random.default_rng(1).random(1000) < 0.03).astype(float)
    positives = int(y.sum())
    finding = only(lk.diagnose("binary_crossentropy", array_lib.to(y), array_lib.to(np.full(1000, 0.5))), "class-imbalance")
    assert finding.level == "warning" and f"{positives} of 1000" in finding.message
    balanced = [round(1000 / (2 * (1000 - positives)), 3), round(1000 / (2 * positives), 3)]  # scikit-learn's "balanced"
    assert f"class_weight={balanced}" in finding.fix and "binary_focal_crossentropy" in finding.fix
    handled = only(lk.diagnose("binary_focal_crossentropy", array_lib.to(y), array_lib.to(np.full(1000, 0.5))), "class-imbalance")
    assert handled.level == "info"
    assert lk.diagnose("bce", array_lib.to(np.tile([0.0, 1.0], 500)), array_lib.to(np.full(1000, 0.5))) == []


def test_class_imbalance_among_many_classes(array_lib):
    labels = np.repeat([0, 1, 2], [900, 85, 15])
    finding = only(lk.diagnose("sparse_categorical_crossentropy", array_lib.to(labels), array_lib.to(np.full((1000, 3), 1 / 3))), "class-imbalance")
    assert "class 2" in finding.message and "15 of 1000" in finding.message and "categorical_focal_crossentropy" in finding.fix
    one_hot = np.eye(3)[labels]
    only(lk.diagnose("categorical_crossentropy", array_lib.to(one_hot), array_lib.to(np.full((1000, 3), 1 / 3))), "class-imbalance")


def test_heavy_tailed_residuals(array_lib):
    rng = np.random.default_rng(2)
    heavy, gaussian = rng.standard_t(1.5, size=2000), rng.normal(size=2000)
    zeros = array_lib.to(np.zeros(2000))
    finding = only(lk.diagnose("mean_squared_error", array_lib.to(heavy), zeros), "heavy-tails")
    assert finding.level == "warning" and all(name in finding.fix for name in ("huber", "log_cosh", "mean_absolute_error"))
    center = np.median(heavy)
    scale = 1.4826 * np.median(np.abs(heavy - center))
    count = int((np.abs(heavy - center) > 5 * scale).sum())
    assert f"{count} of 2000" in finding.message
    assert lk.diagnose("mean_squared_error", array_lib.to(gaussian), zeros) == []
    for robust in ("huber", "mean_absolute_error", "log_cosh", "quantile"):
        assert lk.diagnose(robust, array_lib.to(heavy), zeros) == [], robust
    td = only(lk.diagnose(lk.get("temporal_difference", delta=None), array_lib.to(heavy), zeros), "heavy-tails")
    assert "delta=" in td.fix


def test_zero_targets_for_the_percentage_error(array_lib):
    only(lk.diagnose("mape", array_lib.to([0.0, 1.0, 2.0]), array_lib.to([0.1, 1.0, 2.0])), "zero-targets")


def test_non_finite_values(array_lib):
    finding = only(lk.diagnose("mse", array_lib.to([1.0, np.nan]), array_lib.to([1.0, 2.0])), "non-finite")
    assert "y_true has 1" in finding.message
    only(lk.diagnose("mse", array_lib.to([1.0, 2.0]), array_lib.to([np.inf, 2.0])), "non-finite")
    # a -inf logit masks a class: allowed
    y_pred = array_lib.to(np.array([[0.0, -np.inf, 1.0]]))
    assert lk.diagnose(lk.get("cce", from_logits=True), array_lib.to(np.array([[1.0, 0.0, 0.0]])), y_pred) == []


def test_anything_else_the_loss_rejects_is_reported(array_lib):
    finding = only(lk.diagnose("mse", array_lib.to(np.ones((3, 2))), array_lib.to(np.ones((3, 4)))), "invalid-input")
    assert "same shape" in finding.message and finding.fix


def test_class_axis_option_is_respected(array_lib):
    y_pred = np.full((3, 4), 0.25).T  # classes along axis 0
    y_true = np.eye(4)[[0, 1, 2]].T
    assert lk.diagnose(lk.get("cce", axis=0), array_lib.to(y_true), array_lib.to(y_pred)) == []


def test_torch_tensors_that_require_grad_or_are_bfloat16():
    torch = pytest.importorskip("torch")
    y_pred = torch.tensor([-1.0, 2.0], requires_grad=True)
    only(lk.diagnose("bce", torch.tensor([0.0, 1.0]), y_pred), "probabilities-expected")
    y_pred = torch.tensor([[0.2, 0.3, 0.5]], dtype=torch.bfloat16)
    only(lk.diagnose(lk.get("cce", from_logits=True), torch.tensor([[0.0, 0.0, 1.0]]), y_pred), "logits-expected")


def test_non_numeric_input_is_a_value_error():
    with pytest.raises(ValueError, match="diagnose: `y_true` for mean_squared_error must hold numbers"):
        lk.diagnose("mse", np.array(["a", "b"]), np.array([1.0, 2.0]))


def test_a_custom_callable_gets_only_the_generic_checks():
    def my_loss(y_true, y_pred):
        return (y_true - y_pred) ** 2

    assert lk.diagnose(my_loss, np.array([1.0, 2.0]), np.array([1.0, -5.0])) == []
    assert [f.code for f in lk.diagnose(my_loss, np.array([1.0, np.nan]), np.array([1.0, 2.0]))] == ["non-finite"]
