"""The JAX kernel (``losskit.fast.jax``): sparse categorical crossentropy by a gather, against the
reference kernel (its one-hot product) in NumPy float64 and, for gradients, under ``jax.grad``."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

import losskit as lk  # noqa: E402
from losskit.fast import jax as fast_jax  # noqa: E402

SCCE = lk.get("sparse_categorical_crossentropy").spec
CASES = [
    {"from_logits": True}, {"from_logits": True, "ignore_class": 1}, {"from_logits": True, "class_weight": (1.0, 0.0, 2.0, 0.5)},
    {"from_logits": False}, {"from_logits": False, "ignore_class": 0, "class_weight": (0.5, 1.0, 3.0, 1.0)},
]  # fmt: skip


def case(shape, from_logits, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    labels = rng.integers(0, shape[-1], shape[:-1])
    if not from_logits:
        x = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    return labels, x.astype(np.float32)


def test_the_kernel_is_registered_for_jax():
    assert SCCE.kernels["jax"].kernel is fast_jax.sparse_categorical_crossentropy
    assert SCCE.kernels["jax"].option_names == set(SCCE.defaults)


@pytest.mark.parametrize("shape", [(7, 4), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("options", CASES, ids=str)
def test_the_gather_gives_the_reference_values_and_gradient(options, shape):
    labels, x = case(shape, options["from_logits"])
    expected = SCCE.kernel(labels, x.astype(np.float64), xp=np, **{**SCCE.defaults, **options})
    got = fast_jax.sparse_categorical_crossentropy(jnp.asarray(labels), jnp.asarray(x), **options)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6, atol=1e-6)

    def reference_total(q):
        return SCCE.kernel(jnp.asarray(labels), q, xp=jnp, **{**SCCE.defaults, **options}).sum()

    def total(q):
        return fast_jax.sparse_categorical_crossentropy(jnp.asarray(labels), q, **options).sum()

    np.testing.assert_allclose(np.asarray(jax.grad(total)(jnp.asarray(x))), np.asarray(jax.grad(reference_total)(jnp.asarray(x))), rtol=1e-5, atol=1e-6)


def test_masked_classes_and_out_of_range_labels_give_what_the_reference_gives():
    """A -inf logit off the label, a -inf logit on a label of class weight 0, labels outside
    [0, C) (value checks off): 0 contributions as in the one-hot product, never NaN."""
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, 2.0, 0.0], [0.5, 0.5, 0.5], [1.0, 2.0, 3.0]], dtype=np.float32)
    labels = np.array([0, 0, 5, -1])
    options = {"from_logits": True, "class_weight": (0.0, 1.0, 1.0)}
    expected = SCCE.kernel(labels, x.astype(np.float64), xp=np, **{**SCCE.defaults, **options})
    got = fast_jax.sparse_categorical_crossentropy(jnp.asarray(labels), jnp.asarray(x), **options)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6)
    with lk.value_checks(False):
        objective = lk.get("sparse_categorical_crossentropy", **options)(jnp.asarray(labels), jnp.asarray(x))
    assert float(objective) == pytest.approx(float(expected.mean()), rel=1e-6)


def test_the_loss_object_runs_it_under_jit_vmap_and_hessian():
    labels, x = case((5, 4), True, seed=1)
    loss = lk.get("sparse_categorical_crossentropy", from_logits=True)
    expected = SCCE.kernel(labels, x.astype(np.float64), xp=np, **{**SCCE.defaults, "from_logits": True}).mean()
    assert float(loss(jnp.asarray(labels), jnp.asarray(x))) == pytest.approx(expected, rel=1e-6)
    assert float(jax.jit(loss)(jnp.asarray(labels), jnp.asarray(x))) == pytest.approx(expected, rel=1e-6)
    rows = jax.vmap(loss)(jnp.asarray(labels)[:, None], jnp.asarray(x)[:, None, :])
    np.testing.assert_allclose(np.asarray(rows), SCCE.kernel(labels, x.astype(np.float64), xp=np, **{**SCCE.defaults, "from_logits": True}), rtol=1e-5)
    hessian = np.asarray(jax.hessian(lambda q: loss(jnp.asarray(labels), q))(jnp.asarray(x))).reshape(20, 20)
    analytic = lk.get("sparse_categorical_crossentropy", from_logits=True).hessian(labels, x.astype(np.float64))
    np.testing.assert_allclose(5 * np.diag(hessian), analytic.ravel(), rtol=1e-5, atol=1e-7)  # the mean over 5 rows
