"""Analytic gradients and Hessian diagonals (``loss.gradient``/``hessian``/``gradient_hessian``).

References: PyTorch autograd (float64) of the loss's ``"sum"``-reduced value, the Hessian diagonal
by differentiating the gradient again; ``jax.grad``/``jax.hessian``; PyTorch's own losses
(``torch.nn.functional``) and torchvision's focal-loss formula as peers; and float64 formulas
written here for the surrogates.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np
import pytest
from cases import make_case
from conftest import assert_close
from hypothesis import given, settings
from hypothesis import strategies as st

import losskit as lk

torch = pytest.importorskip("torch")
F = torch.nn.functional

# Every built-in loss with the options that change its derivatives.
VARIANTS = [
    ("mean_squared_error", {}),
    ("mean_absolute_error", {}),
    ("mean_absolute_percentage_error", {}),
    ("mean_squared_logarithmic_error", {}),
    ("huber", {}),
    ("huber", {"delta": 0.5}),
    ("log_cosh", {}),
    ("quantile", {"quantile": 0.2}),
    ("poisson", {}),
    ("poisson", {"log_input": True}),
    ("kl_divergence", {}),
    ("kl_divergence", {"log_input": True}),
    ("tweedie", {}),
    ("tweedie", {"power": 1.0}),
    ("tweedie", {"power": 1.3, "log_input": True}),
    ("tweedie", {"power": 1.0, "log_input": True}),
    ("tweedie", {"power": 0.0}),
    ("tweedie", {"power": 0.0, "log_input": True}),
    ("tweedie", {"power": -1.0}),
    ("tweedie", {"power": -1.0, "log_input": True}),
    ("tweedie", {"power": 2.0}),
    ("tweedie", {"power": 2.0, "log_input": True}),
    ("tweedie", {"power": 3.0}),
    ("tweedie", {"power": 3.0, "log_input": True}),
    ("gaussian_nll", {}),
    ("gaussian_nll", {"log_input": True, "full": True}),
    ("binary_crossentropy", {}),
    ("binary_crossentropy", {"from_logits": True}),
    ("binary_crossentropy", {"label_smoothing": 0.1, "class_weight": (0.3, 2.0)}),
    ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.2, "class_weight": (0.3, 2.0)}),
    ("binary_focal_crossentropy", {}),
    ("binary_focal_crossentropy", {"from_logits": True}),
    ("binary_focal_crossentropy", {"gamma": 0.5, "apply_class_balancing": True, "label_smoothing": 0.1}),
    ("binary_focal_crossentropy", {"from_logits": True, "gamma": 0.5, "apply_class_balancing": True, "label_smoothing": 0.1}),
    ("hinge", {}),
    ("squared_hinge", {}),
    ("categorical_crossentropy", {}),
    ("categorical_crossentropy", {"from_logits": True}),
    ("categorical_crossentropy", {"label_smoothing": 0.1, "class_weight": (1.0, 2.0, 0.5, 3.0)}),
    ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.1, "class_weight": (1.0, 2.0, 0.5, 3.0)}),
    ("sparse_categorical_crossentropy", {}),
    ("sparse_categorical_crossentropy", {"from_logits": True, "class_weight": (1.0, 2.0, 0.5, 3.0)}),
    ("sparse_categorical_crossentropy", {"from_logits": True, "ignore_class": 1}),
    ("categorical_focal_crossentropy", {}),
    ("categorical_focal_crossentropy", {"from_logits": True}),
    ("categorical_focal_crossentropy", {"gamma": 0.5, "label_smoothing": 0.1, "class_weight": (1.0, 2.0, 0.5, 3.0)}),
    ("categorical_focal_crossentropy", {"from_logits": True, "gamma": 0.5, "label_smoothing": 0.1, "class_weight": (1.0, 2.0, 0.5, 3.0)}),
    ("categorical_hinge", {}),
    ("cosine_similarity", {}),
    ("policy_gradient", {}),
    ("policy_gradient", {"from_logits": True}),
    ("temporal_difference", {}),
    ("temporal_difference", {"delta": None}),
    ("smooth_l1", {}),
    ("smooth_l1", {"beta": 0.5}),
    ("smooth_l1", {"beta": 0.0}),
    ("generalized_kl_divergence", {}),
    ("generalized_kl_divergence", {"log_input": True}),
    ("jensen_shannon", {}),
    ("soft_margin", {}),
    ("perceptron", {}),
    ("multilabel_soft_margin", {}),
    ("multilabel_soft_margin", {"class_weight": (1.0, 2.0, 0.5, 3.0)}),
    ("nll", {}),
    ("nll", {"class_weight": (1.0, 2.0, 0.5, 3.0), "ignore_class": 1}),
    ("multiclass_hinge", {}),
    ("multi_margin", {}),
    ("multi_margin", {"p": 2, "margin": 2.0, "class_weight": (1.0, 2.0, 0.5, 3.0)}),
    ("sparsemax", {}),
    ("poly1_crossentropy", {}),
    ("poly1_crossentropy", {"from_logits": True}),
    ("poly1_crossentropy", {"from_logits": True, "epsilon": -1.0}),
    ("generalized_crossentropy", {}),
    ("generalized_crossentropy", {"from_logits": True, "q": 0.7}),
    ("sparse_categorical_focal_crossentropy", {}),
    ("sparse_categorical_focal_crossentropy", {"from_logits": True, "ignore_class": 1}),
    ("sparse_categorical_focal_crossentropy", {"from_logits": True, "gamma": 0.5, "class_weight": (1.0, 2.0, 0.5, 3.0)}),
    ("dice", {}),
    ("dice", {"smooth": 1.0}),
    ("jaccard", {}),
    ("tversky", {"alpha": 0.3, "beta": 0.7, "smooth": 0.5}),
    ("focal_tversky", {}),
    ("focal_tversky", {"gamma": 2.0}),
    ("generalized_dice", {}),
    ("dice", {"from_logits": True}),
    ("jaccard", {"from_logits": True, "smooth": 1.0}),
    ("tversky", {"from_logits": True, "alpha": 0.3, "beta": 0.7}),
    ("focal_tversky", {"from_logits": True, "gamma": 2.0}),
    ("generalized_dice", {"from_logits": True}),
    ("ranking_softmax", {}),
    ("pairwise_logistic", {}),
    ("pairwise_hinge", {}),
    ("pairwise_hinge", {"margin": 2.0}),
    ("listmle", {}),
    ("contrastive", {}),
    ("contrastive", {"margin": 1.5}),
]
IDS = [name + "".join(f"-{k}={v}" for k, v in opts.items()) for name, opts in VARIANTS]


def _inputs(name, opts, seed=0):
    """(y_true, y_pred) in float64 NumPy, inside the loss's domain and away from its kinks."""
    rng = np.random.default_rng(seed)
    y_true, y_pred, _ = make_case(name, rng)
    if name == "tweedie" and opts.get("power", 1.5) >= 2:
        y_true = y_true + 0.5  # the gamma and inverse-Gaussian deviances need y > 0
    if opts.get("from_logits"):
        y_pred = rng.normal(scale=2.0, size=y_pred.shape)
    elif opts.get("log_input"):
        if name == "kl_divergence":
            y_pred = np.log(y_pred)
        elif name == "gaussian_nll":
            d = y_true.shape[-1]
            y_pred = np.concatenate([y_pred[..., :d], rng.normal(scale=0.5, size=y_true.shape)], axis=-1)
        else:
            y_pred = rng.normal(scale=0.5, size=y_pred.shape)
    return y_true, y_pred


def _torch_reference(objective, y_pred):
    """Gradient and Hessian diagonal of ``objective(x)`` at ``y_pred`` by torch autograd, float64.

    Rows are independent samples, so one backward pass per column of the last axis gives the
    diagonal of the (block-diagonal) Hessian."""
    x = torch.tensor(np.asarray(y_pred, dtype=np.float64), requires_grad=True)
    (grad,) = torch.autograd.grad(objective(x), x, create_graph=True)
    hess = torch.zeros_like(x)
    for j in range(x.shape[-1]):
        if grad.requires_grad:
            (second,) = torch.autograd.grad(grad[..., j].sum(), x, retain_graph=True, allow_unused=True)
            if second is not None:
                hess[..., j] = second[..., j]
    return grad.detach().numpy(), hess.detach().numpy()


def _torchvision_focal(y_true, gamma, alpha, balanced):
    """torchvision's ``sigmoid_focal_loss`` (with Keras' optional alpha balancing), summed over
    samples of the mean over the last axis, with ``1 - p_t`` as ``y sigmoid(-x) + (1 - y) sigmoid(x)``
    (torchvision's ``1 - p_t`` cancels to 0 for logits beyond ~37, which makes its gradient NaN for
    gamma < 1). Second-order autograd through losskit's log-space focal value gives NaN in PyTorch
    at hard labels (``logaddexp`` with a -inf argument), hence this independent reference."""
    t = torch.as_tensor(y_true)

    def objective(x):
        ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
        one_minus_p_t = t * torch.sigmoid(-x) + (1 - t) * torch.sigmoid(x)
        loss = ce * one_minus_p_t**gamma
        if balanced:
            loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
        return loss.mean(dim=-1).sum()

    return objective


@functools.lru_cache(maxsize=None)
def _reference(index: int, dtype: str):
    """Inputs (rounded to ``dtype``) and torch's float64 gradient and Hessian diagonal there."""
    name, opts = VARIANTS[index]
    y_true, y_pred = _inputs(name, opts)
    y_true = y_true.astype(dtype).astype(np.float64) if y_true.dtype.kind == "f" else y_true
    y_pred = y_pred.astype(dtype).astype(np.float64)
    if name == "binary_focal_crossentropy" and opts.get("from_logits") and not opts.get("label_smoothing"):
        objective = _torchvision_focal(y_true, opts.get("gamma", 2.0), opts.get("alpha", 0.25), opts.get("apply_class_balancing", False))
    else:
        loss = lk.get(name, reduction="sum", **opts)
        t = torch.as_tensor(y_true)
        objective = lambda x: loss(t, x)  # noqa: E731
    return y_true, y_pred, *_torch_reference(objective, y_pred)


# ----------------------------------------------------------------------------- against autodiff
@pytest.mark.lazy  # also on chunked dask arrays
@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=IDS)
def test_gradient_and_hessian_match_torch_autograd(index, backend, dtype):
    name, opts = VARIANTS[index]
    y_true, y_pred, grad_ref, hess_ref = _reference(index, dtype)
    loss = lk.get(name, **opts)
    grad, hess = loss.gradient_hessian(backend.to(y_true, dtype), backend.to(y_pred, dtype))
    rtol, scale = (2e-4, 1e-5) if dtype == "float32" else (1e-9, 1e-12)
    assert_close(grad, grad_ref, backend, dtype=dtype, rtol=rtol, atol=scale * np.abs(grad_ref).max())
    assert_close(hess, hess_ref, backend, dtype=dtype, rtol=rtol, atol=scale * np.abs(hess_ref).max())
    assert_close(loss.gradient(backend.to(y_true, dtype), backend.to(y_pred, dtype)), backend.np(grad), backend, dtype=dtype, rtol=0)
    assert_close(loss.hessian(backend.to(y_true, dtype), backend.to(y_pred, dtype)), backend.np(hess), backend, dtype=dtype, rtol=0)


@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=IDS)
def test_gradient_and_hessian_match_jax(index):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    name, opts = VARIANTS[index]
    y_true, y_pred = _inputs(name, opts)
    loss = lk.get(name, reduction="sum", **opts)
    t = jnp.asarray(y_true)

    def objective(x):
        return loss(t, x)

    x = jnp.asarray(y_pred)
    n = y_pred.size
    grad_ref = np.asarray(jax.grad(objective)(x))
    hess_ref = np.diagonal(np.asarray(jax.hessian(objective)(x)).reshape(n, n)).reshape(y_pred.shape)
    grad, hess = lk.get(name, **opts).gradient_hessian(t, x)
    np.testing.assert_allclose(np.asarray(grad), grad_ref, rtol=1e-9, atol=1e-12 * np.abs(grad_ref).max())
    np.testing.assert_allclose(np.asarray(hess), hess_ref, rtol=1e-9, atol=1e-12 * np.abs(hess_ref).max())


# ----------------------------------------------------------------------------- against PyTorch's losses
def _peer(name, y_true, d):
    """PyTorch's implementation of the loss, as a "sum over samples" objective of ``x``."""
    t = torch.as_tensor(y_true)
    peers = {
        "mse": lambda x: F.mse_loss(x, t, reduction="sum") / d,
        "mae": lambda x: F.l1_loss(x, t, reduction="sum") / d,
        "huber": lambda x: F.huber_loss(x, t, delta=0.5, reduction="sum") / d,
        "poisson": lambda x: F.poisson_nll_loss(x, t, log_input=False, eps=1e-7, reduction="sum") / d,
        "poisson_log": lambda x: F.poisson_nll_loss(x, t, log_input=True, reduction="sum") / d,
        "gaussian_nll": lambda x: F.gaussian_nll_loss(x[..., :d], t, x[..., d:], eps=1e-6, reduction="sum") / d,
        "bce": lambda x: F.binary_cross_entropy(x, t, reduction="sum") / d,
        "bce_logits": lambda x: F.binary_cross_entropy_with_logits(x, t, reduction="sum") / d,
        "cce_logits": lambda x: F.cross_entropy(x, t, weight=torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=torch.float64), label_smoothing=0.1, reduction="sum"),
        "scce_logits": lambda x: F.cross_entropy(x, t, reduction="sum"),
        "kld_log": lambda x: F.kl_div(x, t, reduction="sum"),
        "cosine": lambda x: -F.cosine_similarity(x, t, dim=-1).sum(),
        "policy_gradient_logits": lambda x: -(t * F.log_softmax(x, dim=-1)).sum(),
    }
    return peers[name]


PEERS = [
    ("mse", "mean_squared_error", {}),
    ("mae", "mean_absolute_error", {}),
    ("huber", "huber", {"delta": 0.5}),
    ("poisson", "poisson", {}),
    ("poisson_log", "poisson", {"log_input": True}),
    ("gaussian_nll", "gaussian_nll", {}),
    ("bce", "binary_crossentropy", {}),
    ("bce_logits", "binary_crossentropy", {"from_logits": True}),
    ("cce_logits", "categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.1, "class_weight": (1.0, 2.0, 0.5, 3.0)}),
    ("scce_logits", "sparse_categorical_crossentropy", {"from_logits": True}),
    ("kld_log", "kl_divergence", {"log_input": True}),
    ("cosine", "cosine_similarity", {}),
    ("policy_gradient_logits", "policy_gradient", {"from_logits": True}),
]


@pytest.mark.parametrize("peer, name, opts", PEERS, ids=[p[0] for p in PEERS])
def test_derivatives_match_pytorch_losses(peer, name, opts):
    y_true, y_pred = _inputs(name, opts, seed=3)
    d = y_true.shape[-1] if y_true.ndim == y_pred.ndim else None
    grad_ref, hess_ref = _torch_reference(_peer(peer, y_true, d), y_pred)
    grad, hess = lk.get(name, **opts).gradient_hessian(y_true, y_pred)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(hess, hess_ref, rtol=1e-9, atol=1e-14)


# ----------------------------------------------------------------------------- surrogates
@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=IDS)
def test_surrogate_hessian_is_positive(index, backend, dtype):
    name, opts = VARIANTS[index]
    y_true, y_pred = _inputs(name, opts)
    loss = lk.get(name, **opts)
    hess = backend.np(loss.hessian(backend.to(y_true, dtype), backend.to(y_pred, dtype), surrogate=True))
    if opts.get("ignore_class") is not None:
        ignored = y_true == opts["ignore_class"]
        assert ignored.any() and (hess[ignored] == 0).all()  # ignored samples leave the objective
        hess = hess[~ignored]
    assert hess.dtype == np.dtype(dtype) and np.isfinite(hess).all() and (hess > 0).all()


EXACT = [i for i, (name, _) in enumerate(VARIANTS) if lk.get(name).spec.hessian_kind == "exact"]


@pytest.mark.parametrize("index", EXACT, ids=[IDS[i] for i in EXACT])
def test_surrogate_of_an_exact_kind_loss_is_its_floored_exact_hessian(index):
    name, opts = VARIANTS[index]
    y_true, y_pred, _, exact = _reference(index, "float64")
    surrogate = lk.get(name, **opts).hessian(y_true, y_pred, surrogate=True)
    np.testing.assert_allclose(surrogate, np.maximum(exact, 1e-16), rtol=1e-9)


SURROGATES = [  # (name, options, float64 formula of the surrogate from (y_true, y_pred), d = 4)
    ("mean_absolute_error", {}, lambda t, p: np.full_like(p, 1 / 4)),
    ("quantile", {"quantile": 0.2}, lambda t, p: np.full_like(p, 1 / 4)),
    ("huber", {}, lambda t, p: np.full_like(p, 1 / 4)),
    ("log_cosh", {}, lambda t, p: np.where(p == t, 1.0, np.tanh(p - t) / np.where(p == t, 1.0, p - t)) / 4),
    ("hinge", {}, lambda t, p: np.full_like(p, 1 / 4)),
    ("squared_hinge", {}, lambda t, p: np.full_like(p, 2 / 4)),
    ("categorical_hinge", {}, lambda t, p: np.ones_like(p)),
    ("mean_absolute_percentage_error", {}, lambda t, p: 100 / (4 * np.maximum(np.abs(t), 1e-7))),
    ("mean_squared_logarithmic_error", {}, lambda t, p: 2 / (4 * (1 + p) ** 2)),
    ("poisson", {}, lambda t, p: 1 / (4 * (p + 1e-7))),
    ("tweedie", {"power": 1.5}, lambda t, p: 2 * p**-1.5 / 4),
    ("gaussian_nll", {}, lambda t, p: np.concatenate([1 / (4 * p[:, 4:]), 0.5 / (4 * p[:, 4:] ** 2)], axis=-1)),
    ("gaussian_nll", {"log_input": True}, lambda t, p: np.concatenate([np.exp(-p[:, 4:]) / 4, np.full_like(t, 0.5 / 4)], axis=-1)),
    ("kl_divergence", {"log_input": True}, lambda t, p: np.exp(p)),
    ("cosine_similarity", {}, lambda t, p: np.broadcast_to(1 / (p**2).sum(-1, keepdims=True), p.shape)),
    ("binary_focal_crossentropy", {"from_logits": True, "gamma": 2.0},
     lambda t, p: (1 / 4) * (t / (1 + np.exp(p)) + (1 - t) / (1 + np.exp(-p))) ** 2 / (2 + np.exp(p) + np.exp(-p))),
    ("policy_gradient", {"from_logits": True},
     lambda t, p: np.abs(t).sum(-1, keepdims=True) * _softmax(p) * (1 - _softmax(p))),
]


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("name, opts, formula", SURROGATES, ids=[f"{s[0]}-{s[1]}" for s in SURROGATES])
def test_surrogate_hessian_formulas(name, opts, formula):
    y_true, y_pred = _inputs(name, opts, seed=5)
    expected = np.maximum(formula(y_true, y_pred), 1e-16)
    np.testing.assert_allclose(lk.get(name, **opts).hessian(y_true, y_pred, surrogate=True), expected, rtol=1e-10)


def test_surrogates_are_needed_where_the_exact_hessian_is_not_positive():
    focal = lk.get("binary_focal_crossentropy", from_logits=True, gamma=2.0)
    confidently_wrong = np.array([[1.0, 0.0]]), np.array([[-6.0, 6.0]])
    assert (focal.hessian(*confidently_wrong) < 0).all()
    assert (focal.hessian(*confidently_wrong, surrogate=True) > 0).all()
    assert (lk.get("mae").hessian(np.zeros((2, 3)), np.ones((2, 3))) == 0).all()
    tweedie = lk.get("tweedie", power=1.5)
    assert (tweedie.hessian(np.array([[0.0, 1.0]]), np.array([[2.0, 4.0]])) < 0).all()  # mu > 3 y


# ----------------------------------------------------------------------------- extreme inputs
@pytest.mark.parametrize(
    "name, opts",
    [
        ("binary_crossentropy", {"from_logits": True}),
        ("binary_focal_crossentropy", {"from_logits": True, "gamma": 2.0}),
        ("binary_focal_crossentropy", {"from_logits": True, "gamma": 0.5, "label_smoothing": 0.1}),
    ],
)
def test_binary_gradients_are_finite_and_exact_at_huge_logits(name, opts, backend, dtype):
    y_true = np.array([[1.0, 0.0, 1.0, 0.0]])
    y_pred = np.array([[1e4, -1e4, -1e4, 1e4]])
    loss = lk.get(name, **opts)
    grad, hess = loss.gradient_hessian(backend.to(y_true, dtype), backend.to(y_pred, dtype))
    sur = loss.hessian(backend.to(y_true, dtype), backend.to(y_pred, dtype), surrogate=True)
    grad, hess, sur = backend.np(grad), backend.np(hess), backend.np(sur)
    assert np.isfinite(grad).all() and np.isfinite(hess).all() and (sur > 0).all()
    if name == "binary_crossentropy":  # (sigmoid(x) - y) / d: 0 when right, -1/4 and 1/4 when wrong
        np.testing.assert_array_equal(grad, np.array([[0.0, 0.0, -0.25, 0.25]], dtype=dtype))
    elif not opts.get("label_smoothing"):  # wrong with certainty: the focal factor is 1, the gradient bce's
        np.testing.assert_allclose(grad[0, 2:], [-0.25, 0.25], rtol=1e-6)
        np.testing.assert_array_equal(grad[0, :2], [0.0, 0.0])


@pytest.mark.parametrize(
    "name, opts",
    [
        ("categorical_crossentropy", {"from_logits": True}),
        ("sparse_categorical_crossentropy", {"from_logits": True}),
        ("categorical_focal_crossentropy", {"from_logits": True}),
        ("categorical_focal_crossentropy", {"from_logits": True, "gamma": 0.5}),
        ("policy_gradient", {"from_logits": True}),
    ],
)
def test_categorical_gradients_are_finite_at_huge_and_masked_logits(name, opts, backend, dtype):
    one_hot = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    y_true = np.array([0, 1, 2]) if name.startswith("sparse") else one_hot * (1.5 if name == "policy_gradient" else 1.0)
    y_pred = np.array([[1e4, -1e4, -np.inf], [1e4, -1e4, -np.inf], [-np.inf, 0.0, 1e4]])
    loss = lk.get(name, **opts)
    grad, hess = loss.gradient_hessian(backend.to(y_true, dtype), backend.to(y_pred, dtype))
    sur = backend.np(loss.hessian(backend.to(y_true, dtype), backend.to(y_pred, dtype), surrogate=True))
    grad, hess = backend.np(grad), backend.np(hess)
    assert np.isfinite(grad).all() and np.isfinite(hess).all() and (sur > 0).all()
    assert (grad[np.isneginf(y_pred)] == 0).all()  # masked classes: probability 0, no gradient
    if name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):  # softmax - y
        expected = np.array([[0.0, 0.0, 0.0], [1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])
        np.testing.assert_array_equal(grad, expected.astype(dtype))


def test_probability_paths_are_finite_at_zero_and_one_with_clipped_elements_flat():
    bce = lk.get("binary_crossentropy")
    grad, hess = bce.gradient_hessian(np.array([[1.0, 0.0, 1.0, 0.0]]), np.array([[0.0, 1.0, 1.0, 0.0]]))
    np.testing.assert_array_equal(grad, 0.0)  # every element clipped: the value is flat there
    np.testing.assert_array_equal(hess, 0.0)
    grad, hess = lk.get("categorical_crossentropy").gradient_hessian(np.array([[0.0, 1.0, 0.0]]), np.array([[0.0, 0.6, 0.4]]))
    assert np.isfinite(grad).all() and np.isfinite(hess).all()
    kld = lk.get("kl_divergence").gradient(np.array([[0.5, 0.5]]), np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(kld, [[0.0, -0.5]])


EDGES = [  # inputs where the value clips (flat there) or a probability is exactly 0 or 1
    ("mean_squared_logarithmic_error", {}, [[1.0, 2.0]], [[-0.5, 3.0]]),
    ("gaussian_nll", {}, [[0.5]], [[0.1, 1e-8]]),
    ("gaussian_nll", {"log_input": True}, [[0.5]], [[0.1, -20.0]]),
    ("kl_divergence", {}, [[0.5, 0.5, 0.0]], [[0.0, 0.3, 0.7]]),
    ("categorical_crossentropy", {}, [[0.0, 1.0, 0.0]], [[0.0, 0.6, 0.4]]),
    ("categorical_focal_crossentropy", {"gamma": 0.5}, [[0.0, 1.0, 0.0]], [[0.0, 0.6, 0.4]]),
    ("policy_gradient", {}, [[0.0, -2.0, 0.0]], [[0.0, 0.6, 0.4]]),
    ("binary_focal_crossentropy", {"gamma": 0.5}, [[1.0, 0.0, 1.0]], [[1.0, 0.0, 0.3]]),
    ("cosine_similarity", {}, [[1.0, 2.0, 3.0]], [[0.0, 0.0, 0.0]]),
]


@pytest.mark.parametrize("name, opts, y_true, y_pred", EDGES, ids=[e[0] + str(e[1]) for e in EDGES])
def test_clipped_and_boundary_inputs_match_torch_autograd(name, opts, y_true, y_pred):
    y_true, y_pred = np.array(y_true), np.array(y_pred)
    summed = lk.get(name, reduction="sum", **opts)
    grad_ref, hess_ref = _torch_reference(lambda x: summed(torch.as_tensor(y_true), x), y_pred)
    grad, hess = lk.get(name, **opts).gradient_hessian(y_true, y_pred)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-9)
    np.testing.assert_allclose(hess, hess_ref, rtol=1e-9)
    assert (lk.get(name, **opts).hessian(y_true, y_pred, surrogate=True) > 0).all()


def test_log_cosh_and_huber_at_residual_1e4_in_float32(backend):
    y_true, y_pred = backend.to(np.zeros((1, 2)), "float32"), backend.to(np.array([[1e4, -1e4]]), "float32")
    for name, slope in (("log_cosh", 0.5), ("huber", 0.5), ("mae", 0.5)):
        grad, hess = lk.get(name).gradient_hessian(y_true, y_pred)
        assert_close(grad, np.array([[slope, -slope]]), backend, dtype="float32")
        assert_close(hess, np.zeros((1, 2)), backend, dtype="float32")


# ----------------------------------------------------------------------------- shapes, weights, options
@pytest.mark.lazy  # also on chunked dask arrays
def test_sample_weight_matches_autograd_of_the_weighted_sum(backend, dtype):
    name, opts = "categorical_focal_crossentropy", {"from_logits": True, "gamma": 1.5}
    y_true, y_pred = _inputs(name, opts)
    w = np.linspace(0.0, 2.0, y_true.shape[0])
    weighted = lk.get(name, reduction="sum", **opts)
    grad_ref, hess_ref = _torch_reference(lambda x: weighted(torch.as_tensor(y_true), x, sample_weight=torch.as_tensor(w)), y_pred)
    grad, hess = lk.get(name, **opts).gradient_hessian(backend.to(y_true, dtype), backend.to(y_pred, dtype), sample_weight=backend.to(w, dtype))
    rtol = 2e-4 if dtype == "float32" else 1e-9
    assert_close(grad, grad_ref, backend, dtype=dtype, rtol=rtol, atol=1e-6)
    assert_close(hess, hess_ref, backend, dtype=dtype, rtol=rtol, atol=1e-6)


def test_sample_weight_of_the_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match=r"mean_squared_error: `sample_weight` must have one weight per sample"):
        lk.get("mse").gradient(np.zeros((3, 2)), np.ones((3, 2)), sample_weight=np.ones(4))


def test_gradient_has_the_shape_of_y_pred_as_passed(backend):
    y = backend.to(np.array([0.0, 1.0, 2.0]), "float64")
    y_col = backend.to(np.array([[0.5], [1.0], [3.0]]), "float64")
    grad = lk.get("mse").gradient(y, y_col)  # (3,) against (3, 1): Keras 3 expands y, three samples
    assert_close(grad, 2 * (backend.np(y_col) - backend.np(y)[:, None]), backend, dtype="float64")
    f64 = backend.dtype("float64")
    scalar = lk.get("mse").gradient(backend.xp.asarray(1.0, dtype=f64), backend.xp.asarray(3.0, dtype=f64))  # 0-d
    assert_close(scalar, np.array(4.0), backend, dtype="float64")
    labels, logits = backend.to(np.array([0, 2])), backend.to(np.zeros((2, 3)), "float64")
    grad = lk.get("sparse_categorical_crossentropy", from_logits=True).gradient(labels, logits)
    assert_close(grad, np.array([[-2 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, -2 / 3]]), backend, dtype="float64")
    y_true, y_pred = _inputs("gaussian_nll", {})
    assert_close(lk.get("gaussian_nll").gradient(backend.to(y_true, "float32"), backend.to(y_pred, "float32")),
                 _reference(VARIANTS.index(("gaussian_nll", {})), "float32")[2], backend, dtype="float32", rtol=2e-4, atol=1e-6)  # fmt: skip


@pytest.mark.parametrize("name", ["categorical_crossentropy", "cosine_similarity", "binary_crossentropy"])
def test_axis_option_gives_the_transposed_derivatives(name):
    y_true, y_pred = _inputs(name, {"from_logits": True} if name != "cosine_similarity" else {})
    opts = {"from_logits": True} if name != "cosine_similarity" else {}
    grad, hess = lk.get(name, **opts).gradient_hessian(y_true, y_pred)
    grad_t, hess_t = lk.get(name, axis=0, **opts).gradient_hessian(y_true.T, y_pred.T)
    np.testing.assert_allclose(grad_t, grad.T, rtol=1e-12)
    np.testing.assert_allclose(hess_t, hess.T, rtol=1e-12)


def test_reduction_of_the_loss_object_does_not_change_the_sum_objective():
    y_true, y_pred = _inputs("huber", {})
    grads = [lk.get("huber", reduction=r).gradient(y_true, y_pred) for r in ("sum", "sum_over_batch_size", "none")]
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], grads[2])


ANALYTIC = {name for name in lk.available() if lk.get(name).spec.native and lk.get(name).spec.derivative_source == "analytic"}
AUTODIFF = sorted(name for name in lk.available() if lk.get(name).spec.native and lk.get(name).spec.derivative_source == "autodiff")


def test_every_builtin_loss_has_derivatives():
    """Analytic kernels for every separable and softmax-type loss; the structured ones declare
    ``derivative_source="autodiff"`` (and have no kernels), never silently neither."""
    missing = [name for name in ANALYTIC if lk.get(name).spec.gradient_hessian is None]
    assert missing == []
    assert all(lk.get(name).spec.gradient_hessian is None for name in AUTODIFF)
    assert {name for name, _ in VARIANTS} >= ANALYTIC
    assert {"ntxent", "supervised_contrastive", "triplet_margin", "circle", "ctc", "lovasz_hinge"} <= set(AUTODIFF)


AUTODIFF_VARIANTS = [(name, {}) for name in AUTODIFF] + [("triplet_margin", {"mining": "semi_hard"})]


@pytest.mark.parametrize(("name", "opts"), AUTODIFF_VARIANTS, ids=[f"{n}{o}" for n, o in AUTODIFF_VARIANTS])
@pytest.mark.parametrize("library", ["torch", "jax"])
def test_structured_losses_differentiate_exactly_by_autodiff(name, opts, library):
    """The gradient of the "sum" objective equals a central finite difference of the float64
    formula, and the Hessian diagonal one of the gradient; NumPy arrays get a clear ValueError."""
    from formulas import REFERENCE

    y_true, y_pred, _ = make_case(name, np.random.default_rng(5))
    if library == "jax":
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        yt, yp, read = jnp.asarray(y_true), jnp.asarray(y_pred), np.asarray
    else:
        yt, yp, read = torch.as_tensor(y_true), torch.as_tensor(y_pred), lambda a: a.numpy()
    grad, hess = lk.get(name, **opts).gradient_hessian(yt, yp)

    def objective(x):
        return REFERENCE[name](y_true, x, **opts).sum()

    step = 1e-5
    numeric_grad, numeric_hess = np.zeros_like(y_pred), np.zeros_like(y_pred)
    for index in np.ndindex(y_pred.shape):
        up, down = y_pred.copy(), y_pred.copy()
        up[index] += step
        down[index] -= step
        numeric_grad[index] = (objective(up) - objective(down)) / (2 * step)
        numeric_hess[index] = (objective(up) - 2 * objective(y_pred) + objective(down)) / step**2
    np.testing.assert_allclose(read(grad), numeric_grad, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(read(hess), numeric_hess, rtol=1e-3, atol=1e-3 * max(1.0, np.abs(numeric_hess).max()))
    with pytest.raises(ValueError, match=f"{name}: the loss has no analytic derivatives"):
        lk.get(name, **opts).gradient(y_true, y_pred)
    with pytest.raises(ValueError, match=f"{name}: `surrogate=True`"):
        lk.get(name, **opts).hessian(yt, yp, surrogate=True)


# ----------------------------------------------------------------------------- custom losses
def _quartic(y_true, y_pred):
    return ((y_pred - y_true) ** 4).mean(-1) if not isinstance(y_pred, np.ndarray) else np.mean((y_pred - y_true) ** 4, axis=-1)


@pytest.mark.parametrize("library", ["torch", "jax"])
def test_custom_loss_is_differentiated_automatically(library):
    y_true, y_pred = np.zeros((3, 2)), np.array([[1.0, -2.0], [0.5, 0.0], [3.0, 1.0]])
    w = np.array([1.0, 2.0, 0.0])
    if library == "torch":
        to = torch.from_numpy
    else:
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        to = jax.numpy.asarray
    loss = lk.get(_quartic)
    grad, hess = loss.gradient_hessian(to(y_true), to(y_pred), sample_weight=to(w))
    e = y_pred - y_true
    np.testing.assert_allclose(np.asarray(grad), w[:, None] * 4 * e**3 / 2, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(hess), w[:, None] * 12 * e**2 / 2, rtol=1e-12)
    assert type(grad) is type(to(y_pred))


def test_custom_loss_without_autodiff_arrays_is_a_clear_error():
    loss = lk.get(_quartic)
    with pytest.raises(ValueError, match=r"_quartic: the loss has no analytic derivatives; pass `y_pred` as a PyTorch or JAX array"):
        loss.gradient(np.zeros((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"_quartic: `surrogate=True` needs a built-in loss"):
        loss.hessian(torch.zeros(2, 2), torch.ones(2, 2), surrogate=True)


# ----------------------------------------------------------------------------- properties
_finite = dict(allow_nan=False, allow_infinity=False)


@settings(max_examples=25, deadline=None)
@given(
    logits=st.lists(st.floats(-30, 30, **_finite), min_size=3, max_size=3),
    label=st.integers(0, 2),
    gamma=st.floats(0.0, 3.0, **_finite),
)
def test_property_categorical_focal_from_logits_matches_autograd(logits, label, gamma):
    y_true = np.eye(3)[[label]]
    y_pred = np.array([logits])
    loss = lk.get("categorical_focal_crossentropy", from_logits=True, gamma=gamma)
    summed = lk.get("categorical_focal_crossentropy", from_logits=True, gamma=gamma, reduction="sum")
    grad_ref, hess_ref = _torch_reference(lambda x: summed(torch.as_tensor(y_true), x), y_pred)
    grad, hess = loss.gradient_hessian(y_true, y_pred)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(hess, hess_ref, rtol=1e-6, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(
    logit=st.floats(-40, 40, **_finite),
    label=st.sampled_from([0.0, 1.0]),
    gamma=st.floats(0.0, 3.0, **_finite),
    balanced=st.booleans(),
)
def test_property_binary_focal_from_logits_matches_torchvision(logit, label, gamma, balanced):
    y_true, y_pred = np.array([[label]]), np.array([[logit]])
    grad_ref, hess_ref = _torch_reference(_torchvision_focal(y_true, gamma, 0.25, balanced), y_pred)
    loss = lk.get("binary_focal_crossentropy", from_logits=True, gamma=gamma, apply_class_balancing=balanced)
    grad, hess = loss.gradient_hessian(y_true, y_pred)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-7, atol=1e-13)
    np.testing.assert_allclose(hess, hess_ref, rtol=1e-6, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    residuals=st.lists(st.floats(-50, 50, **_finite), min_size=2, max_size=2),
    delta=st.floats(0.1, 10.0, **_finite),
)
def test_property_huber_and_log_cosh_match_formulas(residuals, delta):
    e = np.array([residuals])
    if np.any(np.abs(np.abs(e) - delta) < 1e-9):
        return  # the kink
    grad, hess = lk.get("huber", delta=delta).gradient_hessian(np.zeros_like(e), e)
    np.testing.assert_allclose(grad, np.clip(e, -delta, delta) / 2, rtol=1e-12)
    np.testing.assert_allclose(hess, np.where(np.abs(e) <= delta, 0.5, 0.0))
    grad, hess = lk.get("log_cosh").gradient_hessian(np.zeros_like(e), e)
    np.testing.assert_allclose(grad, np.tanh(e) / 2, rtol=1e-12)
    np.testing.assert_allclose(hess, 1 / (2 * np.cosh(e) ** 2), rtol=1e-10, atol=0)


def test_docs_table_has_every_loss_with_its_hessian_kind():
    text = open(__file__.replace("tests/test_derivatives.py", "docs/derivatives.md")).read()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 4 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[3]
    assert sorted(rows) == sorted(name for name in lk.available() if lk.get(name).spec.native)
    for name, surrogate in rows.items():
        assert (surrogate == "exact") == (lk.get(name).spec.hessian_kind == "exact"), name
        assert (surrogate == "none (autodiff)") == (name in AUTODIFF), name
    assert math.isclose(lk.derivatives.HESSIAN_FLOOR, 1e-16)
