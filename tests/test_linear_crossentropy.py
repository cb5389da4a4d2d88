"""``lk.linear_crossentropy``: the fused linear layer and sparse crossentropy against PyTorch's
``F.linear`` + ``F.cross_entropy`` (values and the gradients of hidden, weight and bias), against a
float64 NumPy formula, in chunks of any size, with ``ignore_class``, label smoothing and half
precision."""

from __future__ import annotations

import numpy as np
import pytest

import losskit as lk

torch = pytest.importorskip("torch")
F = torch.nn.functional

N, H, V = 53, 8, 19


def inputs(dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn(N, H, generator=g, dtype=dtype) * 2
    weight = torch.randn(V, H, generator=g, dtype=dtype)
    bias = torch.randn(V, generator=g, dtype=dtype)
    labels = torch.randint(0, V, (N,), generator=g)
    labels[::5] = 4
    return hidden, weight, bias, labels


def formula(hidden, weight, bias, labels, ignore_class=None, label_smoothing=0.0):
    """Float64: logits, log-softmax, the smoothed targets' crossentropy, the mean over kept tokens."""
    z = np.asarray(hidden, np.float64) @ np.asarray(weight, np.float64).T + (0 if bias is None else np.asarray(bias, np.float64))
    log_p = z - z.max(1, keepdims=True) - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True))
    target = (1 - label_smoothing) * np.eye(z.shape[1])[np.asarray(labels)] + label_smoothing / z.shape[1]
    values = -(target * log_p).sum(1)
    keep = np.ones(len(values), bool) if ignore_class is None else np.asarray(labels) != ignore_class
    return values[keep].sum() / keep.sum()


@pytest.mark.parametrize("chunk_size", [1, 7, N, 1000])
@pytest.mark.parametrize("options", [{}, {"ignore_class": 4}, {"label_smoothing": 0.2}, {"ignore_class": 4, "label_smoothing": 0.1}], ids=str)
@pytest.mark.parametrize("with_bias", [True, False])
def test_equals_linear_then_cross_entropy_with_gradients(chunk_size, options, with_bias):
    hidden, weight, bias, labels = inputs()
    bias = bias if with_bias else None
    leaves = [t.requires_grad_() for t in (hidden, weight) + ((bias,) if with_bias else ())]
    ours = lk.linear_crossentropy(hidden, weight, labels, bias, chunk_size=chunk_size, **options)
    ours_grads = torch.autograd.grad(ours, leaves)
    theirs = F.cross_entropy(F.linear(hidden, weight, bias), labels, ignore_index=options.get("ignore_class", -100),
                             label_smoothing=options.get("label_smoothing", 0.0))  # fmt: skip
    their_grads = torch.autograd.grad(theirs, leaves)
    np.testing.assert_allclose(float(ours), float(theirs), rtol=1e-12)
    np.testing.assert_allclose(float(ours), formula(hidden.detach(), weight.detach(), None if bias is None else bias.detach(), labels, **options), rtol=1e-12)
    for a, b in zip(ours_grads, their_grads):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("options", [{}, {"ignore_class": 4, "label_smoothing": 0.1}], ids=str)
def test_numpy_gives_the_value(options):
    hidden, weight, bias, labels = (t.numpy() for t in inputs())
    np.testing.assert_allclose(lk.linear_crossentropy(hidden, weight, labels, bias, chunk_size=6, **options), formula(hidden, weight, bias, labels, **options), rtol=1e-12)
    values = lk.linear_crossentropy(hidden, weight, labels, bias, reduction="none")
    assert values.shape == (N,)
    np.testing.assert_allclose(lk.linear_crossentropy(hidden, weight, labels, bias, reduction="sum"), values.sum(), rtol=1e-12)


def test_equals_torch_linear_cross_entropy():
    hidden, weight, bias, labels = inputs(torch.float32)
    ours = lk.linear_crossentropy(hidden, weight, labels, bias, chunk_size=10)
    np.testing.assert_allclose(float(ours), float(F.linear_cross_entropy(hidden, weight, labels, linear_bias=bias)), rtol=1e-6)


def test_gradcheck_and_float32_stays_float32():
    hidden, weight, bias, labels = inputs(seed=3)
    args = [t[:12].clone().requires_grad_() if i == 0 else t.clone().requires_grad_() for i, t in enumerate((hidden, weight, bias))]
    assert torch.autograd.gradcheck(lambda h, w, b: lk.linear_crossentropy(h, w, labels[:12], b, chunk_size=5, label_smoothing=0.1), args)
    h32, w32, b32, labels = inputs(torch.float32)
    assert lk.linear_crossentropy(h32, w32, labels, b32).dtype == torch.float32


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_computed_in_float32(dtype):
    hidden, weight, bias, labels = inputs(torch.float32)
    hidden, weight, bias = (t * 30 for t in (hidden, weight, bias))  # logits of order 1e3: beyond float16's exp
    half = [t.to(dtype).requires_grad_() for t in (hidden, weight, bias)]
    out = lk.linear_crossentropy(*half[:2], labels, half[2])
    assert out.dtype == dtype and torch.isfinite(out)
    grads = torch.autograd.grad(out, half)
    assert all(bool(torch.isfinite(g).all()) and g.dtype == dtype for g in grads)
    exact = formula(*(t.detach().float() for t in half), labels)
    np.testing.assert_allclose(float(out), exact, rtol=1e-2)


def test_bad_inputs_get_clear_errors():
    hidden, weight, bias, labels = inputs()
    with pytest.raises(ValueError, match=r"linear_crossentropy: expected hidden \(N, H\), weight \(V, H\) and labels \(N,\); got hidden \(53, 8\), weight \(8, 19\)"):
        lk.linear_crossentropy(hidden, weight.T, labels)
    with pytest.raises(ValueError, match=r"`bias` must have shape \(19,\); got \(3,\)"):
        lk.linear_crossentropy(hidden, weight, labels, bias[:3])
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        lk.linear_crossentropy(hidden, weight, labels, reduction="avg")
    with pytest.raises(ValueError, match="`chunk_size` must be a positive integer"):
        lk.linear_crossentropy(hidden, weight, labels, chunk_size=0)


def test_a_scaled_or_repeated_backward_pass():
    hidden, weight, bias, labels = inputs()
    leaves = [t.requires_grad_() for t in (hidden, weight, bias)]
    loss = lk.linear_crossentropy(hidden, weight, labels, bias, chunk_size=9)
    once = torch.autograd.grad(loss, leaves, retain_graph=True)
    again = torch.autograd.grad(loss, leaves, retain_graph=True)
    doubled = torch.autograd.grad(2.0 * loss, leaves)
    for a, b, c in zip(once, again, doubled):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-15)
        np.testing.assert_allclose(c.numpy(), 2.0 * a.numpy(), rtol=1e-14)
