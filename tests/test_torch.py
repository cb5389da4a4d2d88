"""losskit inside PyTorch training code (DESIGN.md section 8, issue 9).

- ``losskit.torch.Loss`` (an ``nn.Module``, torch's argument order) equals the functional form for
  every loss and option variant, with and without weights, and pickles with a model;
- ``torch.compile(..., fullgraph=True)``, ``torch.func.vmap`` and ``torch.func.grad`` work with the
  default settings (value checks on), and the checks skip themselves where values cannot be read;
- float16/bfloat16 are computed in float32: finite where float32 is, in the input's dtype, float32
  under autocast;
- second-order autograd is finite wherever the analytic Hessian is, and equals it.
"""

from __future__ import annotations

import copy
import io
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import losskit as lk  # noqa: E402
import losskit.torch as lkt  # noqa: E402
from losskit import _array  # noqa: E402
from losskit.fast import torch as fast_torch  # noqa: E402
from test_properties import VARIANTS, sample  # noqa: E402


def tensors(name, options, *, lead=(5,), width=3, seed=0, dtype=torch.float64):
    y_true, y_pred = sample(name, options, seed, lead, width)
    t = torch.from_numpy(np.asarray(y_true))
    t = t.to(dtype) if t.is_floating_point() else t
    return t, torch.from_numpy(np.asarray(y_pred)).to(dtype)


# ----------------------------------------------------------------------------- the nn.Module
@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=str)
def test_the_module_equals_the_functional_form(name, options):
    y_true, y_pred = tensors(name, options)
    criterion = lkt.Loss(name, **options)
    assert isinstance(criterion, torch.nn.Module) and criterion.name == name
    expected = lk.get(name, **options)(y_true.numpy(), y_pred.numpy())
    got = criterion(y_pred, y_true)
    assert got.shape == () and got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12)
    weight = torch.linspace(0.0, 2.0, y_pred.shape[0], dtype=torch.float64)
    weighted = lk.get(name, **options)(y_true.numpy(), y_pred.numpy(), sample_weight=weight.numpy())
    np.testing.assert_allclose(criterion(y_pred, y_true, weight=weight).numpy(), weighted, rtol=1e-10, atol=1e-12)
    per_sample = lkt.Loss(name, reduction="none", **options)(y_pred, y_true)
    np.testing.assert_allclose(per_sample.numpy(), lk.get(name, **options).values(y_true.numpy(), y_pred.numpy()), rtol=1e-10, atol=1e-12)


def test_the_module_takes_torch_argument_order_where_the_functional_api_does_not():
    """``nn.BCELoss()(input, target)``: the module agrees with torch; the functional API takes
    (y_true, y_pred), so torch's order there measures something else (issue 9's 7.89 vs 0.78)."""
    p, y = torch.tensor([[0.9], [0.2], [0.6]]), torch.tensor([[1.0], [0.0], [1.0]])
    expected = torch.nn.BCELoss()(p, y)
    torch.testing.assert_close(lkt.Loss("BCELoss")(p, y), expected)
    torch.testing.assert_close(lk.get("BCELoss")(y, p), expected)


def test_the_module_pickles_saves_and_copies_with_a_model():
    model = torch.nn.ModuleDict({"net": torch.nn.Linear(3, 1), "criterion": lkt.Loss("huber", delta=0.5, reduction="sum")})
    buffer = io.BytesIO()
    torch.save(model, buffer)
    loaded = torch.load(io.BytesIO(buffer.getvalue()), weights_only=False)
    for clone in (loaded, pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert clone.criterion.loss == model.criterion.loss
        assert clone.criterion.reduction == "sum" and "huber" in repr(clone.criterion)
    x, y = torch.randn(4, 3), torch.randn(4, 1)
    torch.testing.assert_close(loaded.criterion(loaded.net(x), y), model.criterion(model.net(x), y))


def test_a_training_step_with_the_module():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    criterion = lkt.Loss("sparse_categorical_crossentropy", from_logits=True)
    reference = torch.nn.CrossEntropyLoss()
    x, labels = torch.randn(16, 4), torch.randint(0, 3, (16,))
    ours = criterion(model(x), labels)
    ours.backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    reference(model(x), labels).backward()
    torch.testing.assert_close(ours, reference(model(x), labels))
    for g, p in zip(grads, model.parameters()):
        torch.testing.assert_close(g, p.grad)


# ----------------------------------------------------------------------------- compile and torch.func
COMPILED = [
    ("mean_squared_error", {}),  # torch's fused loss
    ("sparse_categorical_crossentropy", {"from_logits": True}),
    ("binary_crossentropy", {"from_logits": True}),  # lerp of softplus (small); an autograd.Function
    ("log_cosh", {}),  # an autograd.Function with the analytic backward
    ("binary_focal_crossentropy", {"from_logits": True}),
    ("hinge", {}),
    ("poisson", {"log_input": True}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "options"), COMPILED, ids=str)
def test_torch_compile_fullgraph_of_a_training_step(name, options):
    torch._dynamo.reset()
    loss = lk.get(name, **options)
    y_true, y_pred = tensors(name, options, dtype=torch.float32)

    def step(y_true, x):
        return loss(y_true, torch.tanh(x))  # a model's last op, then the loss: one graph

    compiled = torch.compile(step, fullgraph=True, backend="aot_eager")
    x1, x2 = y_pred.clone().requires_grad_(), y_pred.clone().requires_grad_()
    value, expected = compiled(y_true, x1), step(y_true, x2)
    value.backward(), expected.backward()
    torch.testing.assert_close(value, expected)
    torch.testing.assert_close(x1.grad, x2.grad)


def test_compile_and_torch_func_through_the_bce_function(monkeypatch):
    """BCE from logits' ``autograd.Function`` (taken from ``SMALL`` elements on; 0 here): one graph
    under ``torch.compile(fullgraph=True)``, and ``vmap``/``grad`` with value checks on."""
    from torch.func import grad, vmap

    monkeypatch.setattr(fast_torch, "SMALL", 0)
    torch._dynamo.reset()
    loss = lk.get("binary_crossentropy", from_logits=True, label_smoothing=0.1)
    y_true, y_pred = tensors("binary_crossentropy", {"from_logits": True}, dtype=torch.float32)
    step = lambda t, x: loss(t, torch.tanh(x))  # noqa: E731
    x1, x2 = y_pred.clone().requires_grad_(), y_pred.clone().requires_grad_()
    value, expected = torch.compile(step, fullgraph=True, backend="aot_eager")(y_true, x1), step(y_true, x2)
    assert type(expected.grad_fn).__name__ == "ObjectiveBackward"
    value.backward(), expected.backward()
    torch.testing.assert_close(value, expected)
    torch.testing.assert_close(x1.grad, x2.grad)
    summed = lk.get("binary_crossentropy", from_logits=True, reduction="sum")
    torch.testing.assert_close(vmap(lambda t, p: summed(t[None], p[None]))(y_true, y_pred), summed.values(y_true, y_pred))
    torch.testing.assert_close(grad(lambda p: summed(y_true, p))(y_pred), summed.gradient(y_true, y_pred))


def test_torch_compile_fullgraph_of_the_module_with_weights():
    torch._dynamo.reset()
    criterion = lkt.Loss("huber", delta=0.5)
    x, y, w = torch.randn(6, 1), torch.randn(6, 1), torch.rand(6)
    compiled = torch.compile(criterion, fullgraph=True, backend="eager")
    torch.testing.assert_close(compiled(x, y, w), criterion(x, y, w))


@pytest.mark.parametrize(("name", "options"), COMPILED + [("squared_hinge", {}), ("binary_focal_crossentropy", {})], ids=str)
def test_torch_func_vmap_and_grad_with_value_checks_on(name, options):
    from torch.func import grad, vmap

    assert lk.value_checks_enabled()
    loss = lk.get(name, reduction="sum", **options)
    y_true, y_pred = tensors(name, options)
    per_row = vmap(lambda t, p: loss(t[None], p[None]))(y_true, y_pred)
    torch.testing.assert_close(per_row, loss.values(y_true, y_pred))
    gradient = grad(lambda p: loss(y_true, p))(y_pred)
    torch.testing.assert_close(gradient, loss.gradient(y_true, y_pred))


def test_value_checks_read_only_cpu_tensors_outside_traces():
    x = torch.zeros(3)
    assert _array.values_readable(x)
    assert not _array.values_readable(torch.zeros(3, device="meta"))  # stands in for an accelerator
    seen = []
    torch.func.vmap(lambda v: seen.append(_array.values_readable(v)) or v)(torch.zeros(2, 3))
    torch.func.grad(lambda v: seen.append(_array.values_readable(v)) or v.sum())(torch.zeros(3))
    assert seen == [False, False]
    bad = torch.tensor([[2.0], [0.0]])  # labels outside [0, 1]
    loss = lk.get("binary_crossentropy", from_logits=True)
    with pytest.raises(ValueError, match="binary_crossentropy"):
        loss(bad, torch.zeros(2, 1))
    torch.func.vmap(lambda t, p: loss(t, p))(bad[:, None], torch.zeros(2, 1, 1))  # skipped, not an error


def test_value_checks_never_touch_meta_tensors():
    """A tensor off the CPU is never read: the loss runs (on 'meta' it computes shapes only)."""
    loss = lk.get("sparse_categorical_crossentropy", from_logits=True)
    out = loss.reference_call(torch.zeros(4, dtype=torch.long, device="meta"), torch.zeros(4, 3, device="meta"))
    assert out.device.type == "meta" and out.shape == ()


# ----------------------------------------------------------------------------- half precision
HALVES = [torch.float16, torch.bfloat16]


@pytest.mark.parametrize("dtype", HALVES, ids=str)
@pytest.mark.parametrize("name", ["binary_crossentropy", "binary_focal_crossentropy"])
def test_half_precision_probabilities_of_exactly_0_and_1_are_finite(name, dtype):
    y = torch.tensor([[1.0, 0.0, 1.0, 0.0]], dtype=dtype)
    p = torch.tensor([[1.0, 0.0, 0.0, 1.0]], dtype=dtype)  # right, right, wrong, wrong
    loss = lk.get(name)
    got = loss(y, p)
    assert got.dtype == dtype and torch.isfinite(got)
    expected = loss(y.float(), p.float())
    torch.testing.assert_close(got.float(), expected, rtol=1e-2, atol=1e-3)
    values = loss.values(y, p)
    assert values.dtype == dtype and torch.isfinite(values).all()
    x = p.float().requires_grad_()
    loss(y, x.to(dtype)).backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("dtype", HALVES, ids=str)
def test_half_precision_kl_divergence_and_long_means_stay_finite(dtype):
    q = torch.tensor([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]], dtype=dtype)
    p = torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]], dtype=dtype)
    kl = lk.get("kl_divergence")(q, p)
    assert kl.dtype == dtype and torch.isfinite(kl)
    torch.testing.assert_close(kl.float(), lk.get("kl_divergence")(q.float(), p.float()), rtol=1e-2, atol=1e-2)
    y, x = torch.zeros(1000, 1, dtype=dtype), torch.full((1000, 1), 200.0, dtype=dtype)  # 4e4 each: the sum overflows float16
    for name in ("mse", "log_cosh", "huber", "mae"):
        value = lk.get(name)(y, x)
        assert value.dtype == dtype and torch.isfinite(value), name


def test_half_precision_numpy_and_jax_arrays_too():
    y, p = np.array([[1.0, 0.0]], np.float16), np.array([[1.0, 1.0]], np.float16)
    value = lk.get("binary_crossentropy")(y, p)
    assert value.dtype == np.float16 and np.isfinite(value)
    assert lk.binary_crossentropy(y, p).dtype == np.float16


@pytest.mark.parametrize(("name", "options"), [("mean_squared_error", {}), ("sparse_categorical_crossentropy", {"from_logits": True}), ("log_cosh", {})], ids=str)
def test_autocast_objectives_are_float32_and_accurate(name, options):
    torch.manual_seed(0)
    y_true, y_pred = tensors(name, options, lead=(256,), width=10, dtype=torch.float32)
    x = y_pred.to(torch.bfloat16)  # a model's output under autocast
    exact = lk.get(name, **options)(y_true.double() if y_true.is_floating_point() else y_true, x.double())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = lk.get(name, **options)(y_true, x)
        module = lkt.Loss(name, **options)(x, y_true)
    assert got.dtype == module.dtype == torch.float32
    assert abs(float(got) - float(exact)) <= 1e-5 * abs(float(exact))
    assert lk.get(name, **options)(y_true, x).dtype == torch.bfloat16  # without autocast: the input's dtype


# ----------------------------------------------------------------------------- second order
def hessian_diagonal(loss, y_true, y_pred):
    """The diagonal of the autograd Hessian of the "sum"-reduced objective (double backward)."""
    flat = y_pred.reshape(-1)
    full = torch.autograd.functional.hessian(lambda x: loss(y_true, x.reshape(y_pred.shape)), flat)
    return torch.diagonal(full).reshape(y_pred.shape), full


@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=str)
def test_second_order_autograd_equals_the_analytic_hessian(name, options):
    loss = lk.get(name, reduction="sum", **options)
    y_true, y_pred = tensors(name, options, lead=(3,), width=3, seed=2)
    diagonal, full = hessian_diagonal(loss, y_true, y_pred)
    analytic = loss.hessian(y_true, y_pred)
    assert torch.isfinite(full).all()
    torch.testing.assert_close(diagonal, analytic, rtol=1e-7, atol=1e-9)


LOGITS = [-1e3, -100.0, -45.0, -10.0, -1.0, 0.0, 1.0, 10.0, 45.0, 100.0, 1e3]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize(
    ("name", "options"),
    [("binary_focal_crossentropy", {"from_logits": True}), ("binary_focal_crossentropy", {"from_logits": True, "gamma": 0.5}),
     ("binary_crossentropy", {"from_logits": True}), ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.1}),
     ("log_cosh", {})],
    ids=str,
)  # fmt: skip
@pytest.mark.parametrize("small", [0, fast_torch.SMALL], ids=["function", "autograd"])
def test_hessian_vector_products_are_finite_at_extreme_inputs(name, options, dtype, small, monkeypatch):
    """Issue 9's NaN: focal from logits at every logit, BCE from |logit| >= 100, log-cosh from |e| >= 45;
    through the analytic ``autograd.Function``s (BCE: also its autograd form for small tensors)."""
    monkeypatch.setattr(fast_torch, "SMALL", small)
    loss = lk.get(name, reduction="sum", **options)
    x = torch.tensor(LOGITS, dtype=dtype).repeat(2)[:, None]
    y = torch.cat([torch.zeros(len(LOGITS)), torch.ones(len(LOGITS))]).to(dtype)[:, None]
    if name == "binary_focal_crossentropy" and options.get("gamma") == 0.5:
        y = torch.clamp(y, 0.1, 0.9)  # soft labels: the logaddexp branch
    xr = x.clone().requires_grad_()
    (g,) = torch.autograd.grad(loss(y, xr), xr, create_graph=True)
    (hvp,) = torch.autograd.grad(g, xr, torch.ones_like(g))
    analytic = loss.hessian(y, x)
    finite = torch.isfinite(analytic)
    assert finite.all()
    assert torch.isfinite(hvp).all(), hvp.ravel()
    torch.testing.assert_close(hvp, analytic, rtol=1e-4 if dtype == torch.float32 else 1e-9, atol=1e-6 if dtype == torch.float32 else 1e-12)
