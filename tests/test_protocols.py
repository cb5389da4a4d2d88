"""A Loss keeps every framework protocol (DESIGN.md section 8): it pickles, copies and hashes
(equal configs, equal hashes), has ``__name__``, and ``jax.jit(loss)``, ``jax.vmap`` and
``jax.hessian`` work with the default settings (value checks on), without retracing per call.
The PyTorch side (``torch.compile``, ``torch.func``, ``nn.Module``) is in test_torch.py.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import losskit as lk
from losskit import registry
from losskit.losses import CATALOG

NAMES = [spec.name for spec in CATALOG]


def module_level_loss(y_true, y_pred):
    """A user loss that pickles by reference."""
    return (y_pred - y_true) ** 2


@pytest.mark.parametrize("name", NAMES)
def test_every_builtin_pickles_copies_and_hashes(name):
    loss = lk.get(name, reduction="sum")
    for clone in (pickle.loads(pickle.dumps(loss)), copy.copy(loss), copy.deepcopy(loss)):
        assert clone == loss and hash(clone) == hash(loss)
        assert clone.spec is loss.spec and clone.reduction == "sum"
    assert loss.__name__ == name
    assert lk.get(name) != lk.get(name, reduction="sum")


def test_options_hash_by_value_whatever_their_container():
    a = lk.get("categorical_crossentropy", class_weight=[1, 2, 3])
    b = lk.get("cce", class_weight=(1.0, 2.0, 3.0))
    c = lk.get("categorical_crossentropy", class_weight=np.array([1.0, 2.0, 3.0]))
    assert a == b == c and hash(a) == hash(b) == hash(c)
    assert a != lk.get("categorical_crossentropy", class_weight=[1, 2, 4])
    assert len({a, b, c, lk.get("mse")}) == 2
    clone = pickle.loads(pickle.dumps(c))
    assert clone == c and np.array_equal(clone.options["class_weight"], c.options["class_weight"])


def test_a_renamed_loss_and_its_options_survive_pickling():
    loss = lk.Loss(lk.huber, name="robust", reduction="mean_with_sample_weight", delta=0.5)
    clone = pickle.loads(pickle.dumps(loss))
    assert clone == loss and clone.name == clone.__name__ == "robust" and clone.options["delta"] == 0.5
    y, p = np.zeros((4, 1)), np.linspace(-2, 2, 4)[:, None]
    assert float(clone(y, p)) == float(loss(y, p))


def test_a_user_callable_pickles_by_reference_and_a_lambda_says_why_not():
    loss = lk.get(module_level_loss)
    clone = pickle.loads(pickle.dumps(loss))
    assert clone == loss and hash(clone) == hash(loss) and clone.__name__ == "module_level_loss"
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(lk.get(lambda y_true, y_pred: y_pred - y_true))
    assert copy.deepcopy(lk.get(lambda y_true, y_pred: y_pred)).name == "<lambda>"


def test_a_registered_user_loss_pickles_by_its_name(monkeypatch):
    monkeypatch.setattr(registry, "_SPECS", dict(registry._SPECS))
    monkeypatch.setattr(registry, "_KEYS", dict(registry._KEYS))
    lk.register("cubic_error", lambda y_true, y_pred: abs(y_pred - y_true) ** 3, y_true=(0, 10))
    loss = lk.get("cubic_error")
    clone = pickle.loads(pickle.dumps(loss))
    assert clone == loss and clone.spec is loss.spec
    assert float(clone(np.zeros(2), np.full(2, 2.0))) == 8.0


def test_plans_are_not_pickled():
    torch = pytest.importorskip("torch")
    loss = lk.get("mse")
    loss(torch.zeros(2, 1), torch.ones(2, 1))
    assert loss._routes and not pickle.loads(pickle.dumps(loss))._routes


# ----------------------------------------------------------------------------- JAX
@pytest.fixture
def jnp():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return jnp


JAX_CASES = [
    ("mean_squared_error", {}), ("huber", {"delta": 0.5}), ("log_cosh", {}),
    ("binary_crossentropy", {"from_logits": True}), ("binary_focal_crossentropy", {"from_logits": True}),
    ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.1}),
]  # fmt: skip


def _inputs(name, jnp, rng):
    if name.startswith("categorical"):
        return jnp.asarray(np.eye(3)[rng.integers(0, 3, 5)]), jnp.asarray(rng.normal(size=(5, 3)))
    if name.startswith("binary"):
        return jnp.asarray(rng.integers(0, 2, (5, 1)).astype(float)), jnp.asarray(3 * rng.normal(size=(5, 1)))
    return jnp.asarray(rng.normal(size=(5, 1))), jnp.asarray(rng.normal(size=(5, 1)))


@pytest.mark.parametrize(("name", "options"), JAX_CASES, ids=str)
def test_jax_jit_of_the_loss_object_without_retracing(name, options, jnp):
    import jax

    loss = lk.get(name, **options)
    rng = np.random.default_rng(0)
    y, p = _inputs(name, jnp, rng)
    jitted = jax.jit(loss)
    np.testing.assert_allclose(jitted(y, p), loss(y, p), rtol=1e-12)
    y2, p2 = _inputs(name, jnp, rng)
    np.testing.assert_allclose(jitted(y2, p2), loss(y2, p2), rtol=1e-12)
    assert jitted._cache_size() == 1  # one trace for one set of shapes
    # an equal Loss built again is the same jit cache entry's function
    assert jax.jit(lk.get(name, **options))(y, p) == jitted(y, p)


@pytest.mark.parametrize(("name", "options"), JAX_CASES, ids=str)
def test_jax_vmap_grad_and_hessian_with_value_checks_on(name, options, jnp):
    import jax

    loss = lk.get(name, reduction="sum", **options)
    y, p = _inputs(name, jnp, np.random.default_rng(1))
    per_row = jax.vmap(lambda yi, pi: loss(yi[None], pi[None]))(y, p)
    np.testing.assert_allclose(per_row, loss.values(y, p), rtol=1e-12)
    grad = jax.grad(lambda x: loss(y, x))(p)
    np.testing.assert_allclose(grad, loss.gradient(y, p), rtol=1e-9, atol=1e-12)
    flat = lambda x: loss(y, x.reshape(p.shape))  # noqa: E731
    hessian = jax.hessian(flat)(p.reshape(-1))
    assert np.all(np.isfinite(hessian))
    if p.shape[-1] == 1:  # elementwise: the Hessian is diagonal
        np.testing.assert_allclose(np.diag(hessian), np.ravel(loss.hessian(y, p)), rtol=1e-9, atol=1e-12)


def test_value_checks_run_on_concrete_jax_arrays_and_skip_under_jit(jnp):
    import jax

    loss = lk.get("binary_crossentropy")
    y, p = jnp.asarray([[0.0], [2.0]]), jnp.asarray([[0.5], [0.5]])
    with pytest.raises(ValueError, match=r"binary_crossentropy: `y_true` must be values in \[0, 1\]"):
        loss(y, p)
    assert np.isfinite(jax.jit(loss)(y, p))  # a tracer's values cannot be read: no check, no error


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "options"), JAX_CASES, ids=str)
def test_eager_jax_calls_run_one_jitted_function_traced_once_per_shape(name, options, dtype, jnp, monkeypatch):
    """Concrete JAX arrays: the Loss's reference call jitted once per Loss (``losskit.fast.jax``),
    equal to the reference; a second call with the same shapes does not trace again (counted by
    a side effect in the traced code), a new shape traces once more."""
    import jax

    from losskit import core

    traces = []
    original = core.prepare

    def counting(spec, y_true, y_pred, *args, **kwargs):
        if isinstance(y_pred, jax.core.Tracer):
            traces.append(tuple(y_pred.shape))
        return original(spec, y_true, y_pred, *args, **kwargs)

    monkeypatch.setattr(core, "prepare", counting)
    loss = lk.get(name, **options)
    rng = np.random.default_rng(2)
    y, p = (a.astype(dtype) for a in _inputs(name, jnp, rng))
    expected = loss.reference_call(y, p)
    np.testing.assert_allclose(loss(y, p), expected, rtol=1e-6 if dtype == "float32" else 1e-12)
    assert loss._routes[type(p)].call is not None and traces == [tuple(p.shape)]
    y2, p2 = (a.astype(dtype) for a in _inputs(name, jnp, rng))
    loss(y2, p2)
    with lk.value_checks(False):
        loss(y2, p2)
    assert traces == [tuple(p.shape)]
    loss(y[:3], p[:3])
    assert traces == [tuple(p.shape), tuple(p[:3].shape)]


def test_eager_jax_calls_keep_the_reference_errors_and_nest_in_the_users_jit(jnp):
    import jax

    loss = lk.get("sparse_categorical_crossentropy", from_logits=True)
    logits = jnp.zeros((3, 4))
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: `y_true` must be integers in \[0, 4\); got min=0, max=4"):
        loss(jnp.asarray([0, 4, 1]), logits)
    with pytest.raises(ValueError, match=r"must hold one class label per row"):
        loss(jnp.asarray([0, 1]), logits)
    labels = jnp.asarray([0, 3, 1])
    eager = loss(labels, logits)
    assert jax.jit(lambda t, p: loss(t, p) * 2.0)(labels, logits) == 2.0 * eager  # a tracer: the reference inline
    grad = jax.grad(lambda p: loss(labels, p))(logits)
    np.testing.assert_allclose(grad, loss.gradient(labels, logits) / 3, rtol=1e-12)
    half = jnp.asarray([[0.5], [2.0]], dtype=jnp.float16)
    value = lk.get("mse")(jnp.zeros((2, 1), dtype=jnp.float16), half)  # half precision: the reference call
    assert value.dtype == jnp.float16 and float(value) == pytest.approx(2.125)
