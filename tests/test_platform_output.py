"""The output form: every loss of the catalog the platform trains decodes model outputs into the
task's predictions correctly, with the expected values computed here by NumPy formulas from the
link's name (sigmoid, softmax, exp), never by the code under test."""

from __future__ import annotations

import numpy as np
import pytest

import losskit as lk
from losskit.losses import CATALOG
from losskit.platform.output import output_form, stable_loss

PLATFORM_TASKS = ("regression", "counts", "binary", "multiclass")


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


CASES = [(spec.name, task) for spec in CATALOG for task in spec.tasks if task in PLATFORM_TASKS]


@pytest.mark.parametrize(("name", "task"), CASES, ids=[f"{n}-{t}" for n, t in CASES])
def test_every_loss_decodes_its_outputs_into_the_tasks_predictions(name, task):
    loss = stable_loss(name)
    n_classes = {"binary": 2, "multiclass": 3}.get(task, 0)
    y = np.array([0, 1, 2, 1])[: 4] % max(n_classes, 1) if n_classes else np.array([1.0, 2.0, 3.0, 4.0])
    form = output_form(loss, task, y, n_classes=n_classes)
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(5, form.n_outputs))
    prediction = form.decode(raw)
    link = loss.link.name
    if task in ("regression", "counts"):
        expected = {"log": np.exp(raw[:, 0])}.get(link, raw[:, 0])  # log_variance and identity: the means as they are
        np.testing.assert_allclose(prediction.values, expected, rtol=1e-12)
        return
    if form.n_outputs == 1:  # binary, one output
        if link == "logit":
            np.testing.assert_allclose(prediction.proba, sigmoid(raw[:, 0]), rtol=1e-12)
            assert np.array_equal(prediction.labels, (sigmoid(raw[:, 0]) > 0.5).astype(int))
        else:  # a margin (hinge) is positive for class 1; any other score above 0.5
            threshold = 0.0 if loss.spec.margin_based else 0.5
            assert np.array_equal(prediction.labels, (raw[:, 0] > threshold).astype(int))
            assert prediction.proba is None
        return
    if link in ("softmax", "log_softmax"):
        expected = softmax(raw)
    elif link == "logit":  # one sigmoid per class, renormalised
        expected = sigmoid(raw) / sigmoid(raw).sum(axis=1, keepdims=True)
    else:
        expected = None
    if expected is None:
        assert prediction.proba is None
        assert np.array_equal(prediction.labels, np.argmax(raw, axis=1))
    else:
        proba = prediction.proba if task == "multiclass" else np.column_stack([1 - prediction.proba, prediction.proba])
        np.testing.assert_allclose(proba, expected, rtol=1e-12)
        assert np.array_equal(prediction.labels, np.argmax(expected, axis=1))


def test_hinge_reads_its_score_by_the_sign():
    form = output_form(stable_loss("hinge"), "binary", np.array([0, 1]), n_classes=2)
    assert form.decode(np.array([[-0.2], [0.3]])).labels.tolist() == [0, 1]


def test_targets_are_encoded_as_each_loss_expects():
    y = np.array([2, 0, 1])
    sparse = output_form(stable_loss("sparse_categorical_crossentropy"), "multiclass", y, n_classes=3)
    one_hot = output_form(stable_loss("categorical_crossentropy"), "multiclass", y, n_classes=3)
    binary = output_form(stable_loss("binary_crossentropy"), "binary", np.array([0, 1, 1]), n_classes=2)
    assert sparse.encode(y).tolist() == [2, 0, 1] and sparse.encode(y).dtype.kind == "i"
    assert one_hot.encode(y).tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert binary.encode(np.array([0, 1, 1])).tolist() == [[0.0], [1.0], [1.0]]


def test_a_loss_given_with_an_activation_reads_that_activations_outputs():
    loss = lk.get("binary_crossentropy")  # probabilities: no from_logits
    form = output_form(loss, "binary", np.array([0, 1]), n_classes=2, activation="sigmoid")
    assert not form.raw and form.activation == "sigmoid"
    np.testing.assert_allclose(form.decode(np.array([[0.2], [0.9]])).proba, [0.2, 0.9])
