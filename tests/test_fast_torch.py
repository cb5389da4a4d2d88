"""The PyTorch kernels (``losskit.fast.torch``) against the reference kernels they stand in for.

Each registered torch kernel (per-sample values) and its fused ``objective`` must give the
reference kernel's values to float rounding, for every option it accepts, and the same gradient;
the dispatch must decline the conventions torch does not share (probabilities, a zero weight on
negatives, float labels). As in test_fast_numpy, the set of records with a torch kernel is the
list tested here.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import array_api_compat.torch as txp  # noqa: E402

import losskit as lk  # noqa: E402
from losskit.fast import torch as fast_torch  # noqa: E402
from losskit.losses import CATALOG  # noqa: E402
from losskit.losses._prepare import prepare  # noqa: E402

TORCH_LOSSES = (
    "mean_squared_error", "mean_absolute_error", "huber", "poisson", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence",
    "log_cosh", "hinge", "squared_hinge", "binary_focal_crossentropy",  # analytic autograd.Functions
)  # fmt: skip
ANALYTIC = ("binary_crossentropy", "log_cosh", "hinge", "squared_hinge", "binary_focal_crossentropy")
DTYPES = (torch.float32, torch.float64)


def test_the_tested_losses_are_the_records_with_a_torch_kernel():
    assert set(TORCH_LOSSES) == {spec.name for spec in CATALOG if "torch" in spec.kernels}


@pytest.mark.parametrize("name", TORCH_LOSSES)
def test_each_torch_kernel_takes_exactly_the_reference_options(name):
    assert lk.get(name).spec.kernels["torch"].option_names == set(lk.get(name).spec.defaults)


def inputs(name, options, shape, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=dtype) * 3
    if name in ("mean_squared_error", "mean_absolute_error", "huber", "log_cosh"):
        return torch.randn(shape, generator=g, dtype=dtype) * 3, x
    if name in ("hinge", "squared_hinge"):
        y = (torch.rand(shape, generator=g) < 0.5).to(dtype)
        return (y if options.get("zero_one") else 2 * y - 1), x / 3
    if name == "binary_focal_crossentropy":
        y = (torch.rand(shape, generator=g) < 0.5).to(dtype)
        y = torch.rand(shape, generator=g, dtype=dtype) if options.get("soft") else y
        return y, x if options.get("from_logits") else torch.sigmoid(x)
    if name == "poisson":
        counts = torch.poisson(torch.full(shape, 2.0, dtype=dtype), generator=g)
        return counts, x if options.get("log_input") else x.abs()
    if name == "binary_crossentropy":
        y = (torch.rand(shape, generator=g) < 0.5).to(dtype)
        return (torch.rand(shape, generator=g, dtype=dtype) if options.get("soft") else y), x
    if name in ("categorical_crossentropy", "kl_divergence"):
        y = torch.softmax(torch.randn(shape, generator=g, dtype=dtype), -1)
        if name == "kl_divergence":
            y[..., 0] = 0.0  # a class of probability 0: contributes exactly 0
            return y / y.sum(-1, keepdim=True), torch.log_softmax(x, -1)
        return y, x
    labels = torch.randint(0, shape[-1], shape[:-1], generator=g)
    return labels, x


CASES = [
    ("mean_squared_error", {}), ("mean_absolute_error", {}), ("huber", {}), ("huber", {"delta": 0.3}),
    ("poisson", {}), ("poisson", {"log_input": True}),
    ("binary_crossentropy", {"from_logits": True}), ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.2}),
    ("binary_crossentropy", {"from_logits": True, "class_weight": [0.5, 3.0]}),
    ("binary_crossentropy", {"from_logits": True, "class_weight": [0.0, 1.0], "soft": True}),
    ("categorical_crossentropy", {"from_logits": True}), ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.1}),
    ("categorical_crossentropy", {"from_logits": True, "class_weight": [1.0, 2.0, 0.5, 0.0, 1.0]}),
    ("sparse_categorical_crossentropy", {"from_logits": True}),
    ("sparse_categorical_crossentropy", {"from_logits": True, "ignore_class": 1}),
    ("sparse_categorical_crossentropy", {"from_logits": True, "class_weight": [1.0, 2.0, 0.5, 0.0, 1.0]}),
    ("kl_divergence", {"log_input": True}),
    ("log_cosh", {}), ("hinge", {}), ("hinge", {"zero_one": True}), ("squared_hinge", {}), ("squared_hinge", {"zero_one": True}),
    ("binary_focal_crossentropy", {"from_logits": True}), ("binary_focal_crossentropy", {}),
    ("binary_focal_crossentropy", {"from_logits": True, "gamma": 0.5, "apply_class_balancing": True, "soft": True}),
    ("binary_focal_crossentropy", {"label_smoothing": 0.1, "alpha": 0.4, "apply_class_balancing": True}),
]  # fmt: skip
SHAPES = [(7, 5), (3, 4, 5), (5,)]


def loss_options(options):
    """The case's options without the input flags ``soft`` (soft labels) and ``zero_one`` ({0, 1} labels)."""
    return {k: v for k, v in options.items() if k not in ("soft", "zero_one")}


def reference(name, y_true, y_pred, options):
    spec = lk.get(name).spec
    xp, t, p, opts = prepare(spec, y_true, y_pred, spec.resolve_options(options))
    return spec.kernel(t, p, xp=xp, **opts), (t, p, opts)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("name", "options"), CASES, ids=str)
def test_torch_kernels_match_the_reference(name, options, shape, dtype):
    y_true, x = inputs(name, options, shape, dtype)
    options = loss_options(options)
    expected, (t, p, opts) = reference(name, y_true, x, options)
    fast = lk.get(name).spec.kernels["torch"]
    assert fast.covers(t, p, opts)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-12, atol=1e-12)
    got = fast.kernel(t, p, **opts)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    torch.testing.assert_close(got, expected, **tol)
    for sum_ in (False, True):
        objective = fast.objective(sum_, **opts)(t, p)
        mask = lk.get(name).spec.mask
        valid = None if mask is None else mask(t, xp=txp, **opts)
        count = expected.numel() if valid is None else max(int(valid.sum()), 1)
        torch.testing.assert_close(objective, expected.sum() if sum_ else expected.sum() / count, **tol)


@pytest.mark.parametrize(("name", "options"), CASES, ids=str)
def test_the_fused_path_gives_the_reference_value_and_gradient(name, options):
    """Through the Loss object (every reduction), against ``Loss.reference_call``."""
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight"):
        loss = lk.get(name, reduction=reduction, **loss_options(options))
        y_true, x = inputs(name, options, (6, 5), torch.float64, seed=3)
        x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
        fused, ref = loss(y_true, x1), loss.reference_call(y_true, x2)
        assert loss._routes[torch.Tensor].call(y_true, x) is not None  # valid inputs pass the fast value check
        torch.testing.assert_close(fused, ref, rtol=1e-12, atol=1e-12)
        fused.backward(), ref.backward()
        torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-10, atol=1e-12)


def test_masked_classes_at_minus_inf_keep_the_reference_convention():
    """``F.cross_entropy`` gives NaN for a -inf logit on a class of target 0; losskit's value is finite."""
    y = torch.tensor([[0.0, 1.0, 0.0], [0.3, 0.7, 0.0]])
    x = torch.tensor([[-torch.inf, 2.0, 0.5], [1.0, 2.0, -torch.inf]])
    loss = lk.get("categorical_crossentropy", from_logits=True)
    expected = loss.reference_call(y, x)
    assert torch.isfinite(expected)
    torch.testing.assert_close(loss(y, x), expected)
    np.testing.assert_allclose(lk.categorical_crossentropy(y, x, from_logits=True).numpy(), lk.categorical_crossentropy(y.numpy(), x.numpy(), from_logits=True), rtol=1e-6)
    with lk.value_checks(False):
        torch.testing.assert_close(loss(y, x), expected)


@pytest.mark.parametrize(
    ("name", "options", "y_true", "y_pred"),
    [
        ("binary_crossentropy", {}, torch.ones(3, 1), torch.full((3, 1), 0.5)),  # probabilities: Keras' clip
        ("categorical_crossentropy", {}, torch.eye(3), torch.full((3, 3), 1 / 3)),
        ("sparse_categorical_crossentropy", {}, torch.tensor([0, 1]), torch.full((2, 3), 1 / 3)),
        ("sparse_categorical_crossentropy", {"from_logits": True}, torch.tensor([0.0, 1.0]), torch.zeros(2, 3)),  # float labels
        ("kl_divergence", {}, torch.full((2, 3), 1 / 3), torch.full((2, 3), 1 / 3)),
        ("mean_squared_error", {}, torch.ones(0, 2), torch.ones(0, 2)),  # empty
    ],
    ids=["bce-probabilities", "cce-probabilities", "scce-probabilities", "float-labels", "kl-probabilities", "empty"],
)
def test_the_dispatch_declines_what_torch_computes_differently(name, options, y_true, y_pred):
    spec = lk.get(name).spec
    opts = spec.resolve_options(options)
    assert not spec.kernels["torch"].covers(y_true, y_pred, opts)
    loss = lk.get(name, **options)
    torch.testing.assert_close(loss(y_true, y_pred), loss.reference_call(y_true, y_pred))


def test_value_checks_on_the_fused_path_word_the_reference_errors():
    loss = lk.get("sparse_categorical_crossentropy", from_logits=True)
    x = torch.zeros(3, 4)
    for labels in (torch.tensor([0, 4, 1]), torch.tensor([0, -100, 1]), torch.tensor([0, -1, 1])):
        with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: `y_true` must be integers in \[0, 4\)"):
            loss(labels, x)
    with lk.value_checks(False):  # the reference's value for an out-of-range label: 0
        torch.testing.assert_close(loss(torch.tensor([0, 4, 1]), x), loss.reference_call(torch.tensor([0, 4, 1]), x))
    with pytest.raises(ValueError, match=r"binary_crossentropy: `y_true` must be values in \[0, 1\]; got min=0, max=2"):
        lk.get("bce", from_logits=True)(torch.tensor([[0.0], [2.0]]), torch.zeros(2, 1))
    cce, targets = lk.get("cce", from_logits=True), torch.tensor([[-0.5, 1.5]])  # checked inside its objective
    with pytest.raises(ValueError, match=r"categorical_crossentropy: `y_true` must be values in \[0, 1\]; got min=-0.5, max=1.5"):
        cce(targets, torch.zeros(1, 2))
    with lk.value_checks(False):  # torch's value, the reference's formula: log 2
        torch.testing.assert_close(cce(targets, torch.zeros(1, 2)), torch.tensor(np.log(2.0), dtype=torch.float32))
    with pytest.raises(ValueError, match=r"mean_squared_error: `y_pred` must be values in \(-inf, inf\)"):
        lk.get("mse")(torch.zeros(2, 1), torch.tensor([[0.0], [torch.nan]]))
    with pytest.raises(ValueError, match=r"must have the same shape"):
        lk.get("mse")(torch.zeros(2, 3), torch.zeros(3, 2))


def test_an_overflowing_objective_is_the_reference_value_not_an_error():
    y, p = torch.zeros(2, 1), torch.full((2, 1), 3e38)
    loss = lk.get("mse", reduction="sum")
    assert loss(y, p) == loss.reference_call(y, p) == torch.inf


def test_keras_shape_rule_and_dtype_promotion_on_the_fused_path():
    loss = lk.get("mse")
    y, p = torch.arange(4.0, dtype=torch.float64), torch.ones(4, 1)
    torch.testing.assert_close(loss(y, p), loss.reference_call(y, p))
    assert loss(y, p).dtype == torch.float32
    labels, logits = torch.tensor([[0], [2]]), torch.randn(2, 3)
    scce = lk.get("scce", from_logits=True)
    torch.testing.assert_close(scce(labels, logits), scce.reference_call(labels, logits))


def test_fast_kernel_registration_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, losskit as lk; lk.get('mse')([1.0], [2.0]); assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_plan_is_resolved_once_per_loss_and_type():
    loss = lk.get("huber", delta=2.0)
    loss(torch.zeros(2, 1), torch.ones(2, 1))
    route = loss._routes[torch.Tensor]
    loss(torch.zeros(3, 1), torch.ones(3, 1))
    assert loss._routes[torch.Tensor] is route and route.call is not None
    assert fast_torch.plan(lk.get("quantile")) is None  # no torch kernel: the reference, namespace resolved once


@pytest.mark.parametrize(
    ("name", "options", "covered"),
    [
        ("binary_crossentropy", {"from_logits": True}, True),
        ("binary_crossentropy", {"from_logits": True, "class_weight": [1.0, 2.0]}, True),
        ("binary_crossentropy", {}, False),  # probabilities: losskit clips them as Keras, torch clamps the log
        ("binary_crossentropy", {"from_logits": True, "class_weight": [1.0, 2.0, 3.0]}, False),
        ("categorical_crossentropy", {"from_logits": True}, True),
        ("categorical_crossentropy", {}, False),
        ("sparse_categorical_crossentropy", {}, False),
        ("kl_divergence", {"log_input": True}, True),
        ("kl_divergence", {}, False),
    ],
    ids=str,
)
def test_the_plan_declines_uncovered_options_once(name, options, covered):
    """Whether a kernel covers a Loss's options is asked once, by the plan: a Loss whose options it
    does not cover gets no fused path (every call is the reference's), and one it covers gives the
    reference's value through it."""
    loss = lk.get(name, **options)
    assert (fast_torch.plan(loss) is not None) is covered
    y_true, x = inputs(name, options, (4, 3), torch.float64)
    if not (options.get("from_logits") or options.get("log_input")):  # probabilities
        x = torch.sigmoid(x) if name == "binary_crossentropy" else x.exp() if name == "kl_divergence" else torch.softmax(x, -1)
    if len(options.get("class_weight", ())) == 3:  # two classes: the reference words the error
        with pytest.raises(ValueError, match="class_weight"):
            loss(y_true, x)
        return
    expected, _ = reference(name, y_true, x, loss_options(options))
    torch.testing.assert_close(loss(y_true, x), expected.mean(), rtol=1e-12, atol=1e-12)


def test_one_bce_loss_called_on_batches_of_several_sizes():
    """The small form's pair weights depend on the element count (the mean's 1/n folded in): one
    Loss called on 32, 256, 32 and 5 x 3 elements in turn gives each batch's own mean."""
    loss = lk.get("binary_crossentropy", from_logits=True)
    g = torch.Generator().manual_seed(9)
    for shape in [(32, 1), (256, 1), (32, 1), (5, 3)]:
        x = 4.0 * torch.randn(shape, generator=g, dtype=torch.float64)
        y = (torch.rand(shape, generator=g, dtype=torch.float64) < 0.5).double()
        expected = (torch.nn.functional.softplus(x) - x * y).mean()  # exact enough at |x| ~ 4 in float64
        torch.testing.assert_close(loss(y, x), expected, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(loss(y.float(), x.float()), expected.float(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- analytic autograd.Functions
ANALYTIC_CASES = [case for case in CASES if case[0] in ANALYTIC]


def hessian_vector_product(gradient, x, v):
    """``H v`` by double backward; 0 for a gradient that is piecewise constant (hinge)."""
    return torch.autograd.grad(gradient, x, v)[0] if gradient.requires_grad else torch.zeros_like(x)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("name", "options"), ANALYTIC_CASES, ids=str)
def test_analytic_functions_give_the_generic_gradient_and_the_analytic_derivative(name, options, dtype, monkeypatch):
    """The objective is the Function (its backward is losskit's analytic gradient; ``SMALL = 0``
    so that small tensors take it too): equal to autograd through the reference kernel and to
    ``Loss.gradient``, and to second order equal to autograd of the reference (float64: to rounding)."""
    monkeypatch.setattr(fast_torch, "SMALL", 0)
    for reduction in ("sum_over_batch_size", "sum"):
        loss = lk.get(name, reduction=reduction, **loss_options(options))
        y_true, x = inputs(name, options, (6, 3), dtype, seed=4)
        x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
        fused, ref = loss(y_true, x1), loss.reference_call(y_true, x2)
        assert type(fused.grad_fn).__name__ == "ObjectiveBackward"
        tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(fused, ref, **tol)
        (g1,) = torch.autograd.grad(fused, x1, create_graph=True)
        (g2,) = torch.autograd.grad(ref, x2, create_graph=True)
        torch.testing.assert_close(g1, g2, **tol)
        rows = 1 if reduction == "sum" else x.shape[0]
        torch.testing.assert_close(g1.detach(), loss.gradient(y_true, x) / rows, **tol)
        v = torch.linspace(-1.0, 1.0, x.numel(), dtype=dtype).reshape(x.shape)
        h1, h2 = hessian_vector_product(g1, x1, v), hessian_vector_product(g2, x2, v)
        assert torch.isfinite(h1).all()
        torch.testing.assert_close(h1, h2, **tol)
        torch.testing.assert_close(h1, loss.hessian(y_true, x) * v / rows, **tol)


@pytest.mark.parametrize(("name", "options"), ANALYTIC_CASES, ids=str)
def test_a_second_backward_through_the_function_recomputes_the_gradient(name, options, monkeypatch):
    """``retain_graph=True``: the first backward takes the gradient its forward kept (and drops it,
    so that it is freed with the step), a second one recomputes it from the inputs: both equal
    autograd through the reference kernel."""
    monkeypatch.setattr(fast_torch, "SMALL", 0)
    loss = lk.get(name, **loss_options(options))
    y_true, x = inputs(name, options, (6, 3), torch.float64, seed=5)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    fused = loss(y_true, x1)
    assert type(fused.grad_fn).__name__ == "ObjectiveBackward"
    first = torch.autograd.grad(fused, x1, retain_graph=True)[0]
    second = torch.autograd.grad(fused, x1)[0]
    (expected,) = torch.autograd.grad(loss.reference_call(y_true, x2), x2)
    torch.testing.assert_close(first, expected, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(second, expected, rtol=1e-10, atol=1e-12)


def float64_bce(y, x, label_smoothing=0.0, class_weight=(1.0, 1.0)):
    """``w_1 y' softplus(-x) + w_0 (1 - y') softplus(x)``, softplus as ``relu(z) + log1p(exp(-|z|))``
    (no threshold), in float64, averaged over the last axis."""
    y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing

    def softplus(z):
        return torch.relu(z) + torch.log1p(torch.exp(-z.abs()))

    return (class_weight[1] * y * softplus(-x) + class_weight[0] * (1.0 - y) * softplus(x)).mean(-1)


@pytest.mark.parametrize("shape", [(6, 1), (4, 3), (2, 3, 2)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.2}, {"class_weight": [0.5, 3.0]}, {"label_smoothing": 0.1, "class_weight": [2.0, 0.0]}], ids=str)
def test_bce_small_form_against_a_float64_formula(options, dtype, shape):
    """The autograd form below ``SMALL`` (one softplus over ``(x, -x)``, weights from one
    ``addcmul``), hard and soft labels, both reductions: value, gradient and Hessian-vector
    product against autograd of an independent float64 formula."""
    g = torch.Generator().manual_seed(5)
    x64 = 8.0 * torch.randn(shape, generator=g, dtype=torch.float64)
    y64 = (torch.rand(shape, generator=g, dtype=torch.float64) < 0.5).double()
    y64[..., 0] = torch.rand(shape[:-1], generator=g, dtype=torch.float64)  # soft labels too
    weights = tuple(options.get("class_weight", (1.0, 1.0)))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(rtol=1e-11, atol=1e-13)
    v = torch.linspace(-1.0, 1.0, x64.numel(), dtype=torch.float64).reshape(shape)
    for reduction in ("sum_over_batch_size", "sum"):
        x, xr = x64.to(dtype).requires_grad_(), x64.clone().requires_grad_()
        objective = lk.get("binary_crossentropy", from_logits=True, reduction=reduction, **options)(y64.to(dtype), x)
        per_sample = float64_bce(y64, xr, options.get("label_smoothing", 0.0), weights)
        expected = per_sample.sum() if reduction == "sum" else per_sample.mean()
        assert objective.grad_fn is not None and type(objective.grad_fn).__name__ != "ObjectiveBackward"
        torch.testing.assert_close(objective.double(), expected, **tol)
        (grad,) = torch.autograd.grad(objective, x, create_graph=True)
        (grad_r,) = torch.autograd.grad(expected, xr, create_graph=True)
        torch.testing.assert_close(grad.double(), grad_r, **tol)
        (hvp,) = torch.autograd.grad(grad, x, v.to(dtype))
        (hvp_r,) = torch.autograd.grad(grad_r, xr, v)
        torch.testing.assert_close(hvp.double(), hvp_r, **tol)


@pytest.mark.parametrize("small", [0, fast_torch.SMALL], ids=["function", "autograd"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_bce_from_logits_is_exact_for_confident_right_answers(dtype, small, monkeypatch):
    """Value and gradient against float64 sums of exact terms, at logits in [-100, 100], through
    the Function and (fewer than ``SMALL`` elements) the autograd form:
    ``F.binary_cross_entropy_with_logits``' gradient is 0 for ``y = 1``, ``x > 17`` (float32),
    losskit's ``-sigmoid(-x)``; its value cancels for ``y = 0``, ``x << 0``."""
    monkeypatch.setattr(fast_torch, "SMALL", small)
    x64 = torch.linspace(-100.0, 100.0, 401, dtype=torch.float64)[:, None]
    for label in (0.0, 1.0):
        y64 = torch.full_like(x64, label)
        # softplus(z), z = x for y = 0 and -x for y = 1: |z| + log1p(exp(-|z|)) for z > 0, log1p(exp(z)) otherwise
        exact_terms = torch.where(x64 * (1 - 2 * label) > 0, x64.abs() + torch.log1p(torch.exp(-x64.abs())), torch.log1p(torch.exp(-x64.abs())))
        exact_grad = torch.sigmoid(x64) - label if not label else -torch.sigmoid(-x64)
        x, y = x64.to(dtype).requires_grad_(), y64.to(dtype)
        value = lk.get("binary_crossentropy", from_logits=True, reduction="none")
        objective = lk.get("binary_crossentropy", from_logits=True, reduction="sum")(y, x)
        torch.testing.assert_close(objective.double(), exact_terms.sum(), rtol=1e-6, atol=0)
        (grad,) = torch.autograd.grad(objective, x)
        tiny = torch.finfo(dtype).tiny
        resolved = exact_grad.abs() > tiny  # representable in the dtype (not a denormal)
        torch.testing.assert_close(grad.double()[resolved], exact_grad[resolved], rtol=1e-6, atol=0)
        per_sample = value(y, x.detach())
        small = exact_terms > tiny
        torch.testing.assert_close(per_sample.double()[small[:, 0]], exact_terms[small], rtol=1e-6, atol=0)


@pytest.mark.parametrize("small", [0, fast_torch.SMALL], ids=["function", "autograd"])
def test_bce_from_logits_at_signed_zero_logits(small, monkeypatch):
    """At ``x = +0`` and ``-0``: value ``log 2`` and gradient ``sigmoid(0) - y = 1/2 - y`` (the
    Function's saved gradient takes the sign of ``x`` as 0 there)."""
    monkeypatch.setattr(fast_torch, "SMALL", small)
    x = torch.tensor([[0.0], [-0.0], [0.0], [-0.0]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([[0.0], [0.0], [1.0], [0.3]], dtype=torch.float64)
    objective = lk.get("binary_crossentropy", from_logits=True, reduction="sum")(y, x)
    (grad,) = torch.autograd.grad(objective, x)
    torch.testing.assert_close(objective, torch.tensor(4 * np.log(2.0), dtype=torch.float64), rtol=1e-15, atol=0)
    torch.testing.assert_close(grad, 0.5 - y, rtol=1e-15, atol=0)
