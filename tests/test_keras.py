"""``losskit.keras.Loss`` inside Keras 3 (JAX backend): the same numbers as Keras' own losses in
``evaluate`` and ``fit`` with ``sample_weight`` and ``class_weight``, as a metric, and through
``model.save`` / ``keras.saving.load_model``."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
from losskit import keras as lkk  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(96, 5)).astype("float32")
Y_BINARY = (X[:, :1] + 0.3 * RNG.normal(size=(96, 1)) > 0).astype("float32")
Y_REAL = (X @ RNG.normal(size=(5, 1)) + RNG.standard_t(2, size=(96, 1))).astype("float32")
W = RNG.uniform(0.2, 3.0, size=96).astype("float32")


def model(activation=None, units=1):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((5,)), keras.layers.Dense(units, activation=activation)])


CASES = [
    (lambda: lkk.Loss("binary_crossentropy"), lambda: keras.losses.BinaryCrossentropy(), "sigmoid", Y_BINARY),
    (lambda: lkk.Loss("binary_crossentropy", from_logits=True), lambda: keras.losses.BinaryCrossentropy(from_logits=True), None, Y_BINARY),
    (lambda: lkk.Loss("huber", delta=0.5), lambda: keras.losses.Huber(delta=0.5), None, Y_REAL),
    (lambda: lkk.Loss("mse"), lambda: keras.losses.MeanSquaredError(), None, Y_REAL),
]


@pytest.mark.parametrize(("ours", "theirs", "activation", "y"), CASES, ids=["bce", "bce-logits", "huber", "mse"])
def test_fit_and_evaluate_with_sample_weight_equal_keras(ours, theirs, activation, y):
    results = []
    for loss in (ours(), theirs()):
        m = model(activation)
        m.compile(optimizer=keras.optimizers.SGD(0.05), loss=loss)
        history = m.fit(X, y, sample_weight=W, epochs=3, batch_size=32, shuffle=False, verbose=0).history["loss"]
        results.append((history, m.evaluate(X, y, sample_weight=W, verbose=0), m.get_weights()[0]))
    (h1, e1, w1), (h2, e2, w2) = results
    np.testing.assert_allclose(h1, h2, rtol=2e-6)
    np.testing.assert_allclose(e1, e2, rtol=2e-6)
    np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-6)


def test_class_weight_equals_keras():
    values = []
    for loss in (lkk.Loss("binary_crossentropy"), keras.losses.BinaryCrossentropy()):
        m = model("sigmoid")
        m.compile(optimizer=keras.optimizers.SGD(0.05), loss=loss)
        values.append(m.fit(X, Y_BINARY, class_weight={0: 1.0, 1: 5.0}, epochs=2, batch_size=32, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(values[0], values[1], rtol=2e-6)


def test_as_a_metric_and_weighted_metric():
    m = model("sigmoid")
    m.compile(optimizer="sgd", loss="binary_crossentropy", metrics=[lkk.Loss("binary_crossentropy", name="lk_bce")],
              weighted_metrics=[lkk.Metric("binary_crossentropy", name="lk_weighted")])  # fmt: skip
    result = m.evaluate(X, Y_BINARY, sample_weight=W, verbose=0, return_dict=True)
    p = np.clip(np.asarray(m.predict(X, verbose=0)), 1e-7, 1 - 1e-7)
    per_sample = -(Y_BINARY * np.log(p) + (1 - Y_BINARY) * np.log1p(-p))[:, 0]
    np.testing.assert_allclose(result["lk_bce"], per_sample.mean(), rtol=1e-5)
    np.testing.assert_allclose(result["lk_weighted"], np.sum(W * per_sample) / np.sum(W), rtol=1e-5)
    config = lkk.Metric("huber", delta=2.0).get_config()
    assert lkk.Metric.from_config(config).get_config() == config


def test_save_and_load_round_trip(tmp_path):
    m = model()
    m.compile(optimizer="sgd", loss=lkk.Loss("huber", delta=0.5))
    m.fit(X, Y_REAL, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    m.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects: the class is registered
    assert isinstance(loaded.loss, lkk.Loss) and loaded.loss.get_config()["delta"] == 0.5
    np.testing.assert_allclose(loaded.evaluate(X, Y_REAL, verbose=0), m.evaluate(X, Y_REAL, verbose=0), rtol=1e-6)
    config = lkk.Loss("binary_focal_crossentropy", gamma=3.0, name="focal").get_config()
    assert lkk.Loss.from_config(config).get_config() == config


def test_a_non_name_is_refused():
    with pytest.raises(ValueError, match="`loss` must be a losskit loss name"):
        lkk.Loss(lambda y, p: (y - p) ** 2)


def test_is_compatible_reads_a_keras_model():
    import losskit as lk

    m = model("sigmoid")
    assert lk.is_compatible(m, "binary_crossentropy") and not lk.is_compatible(m, lk.get("binary_crossentropy", from_logits=True))


def test_is_compatible_reads_a_keras_model_on_the_torch_backend():
    """On the PyTorch backend a Keras model is also a torch nn.Module; its sigmoid must still be read."""
    import subprocess
    import sys

    backend = "torch"
    pytest.importorskip(backend)
    code = (
        "import keras, losskit as lk\n"
        "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation='sigmoid')])\n"
        "print(lk.is_compatible(m, 'binary_crossentropy'), lk.is_compatible(m, lk.get('binary_crossentropy', from_logits=True)))\n"
    )
    env = {**os.environ, "KERAS_BACKEND": backend}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["True", "False"]
