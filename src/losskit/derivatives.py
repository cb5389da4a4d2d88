"""Derivatives of a Loss's ``"sum"``-reduced objective, before sample weights.

Each built-in loss declares its analytic gradient and Hessian diagonal next to its value kernel
(``@loss.derivatives`` in its family file, :mod:`losskit.losses`). This module evaluates them on
the inputs :func:`~losskit.losses._prepare.prepare` makes (namespace, dtype, the Keras shape rule, ``axis`` moved last, value checks), and the result
is put back in the layout of the ``y_pred`` the user passed. A loss without kernels (a custom
callable, a registered user loss) is differentiated automatically when its arrays are PyTorch or
JAX ones; the Hessian diagonal then takes one backward pass per element of the last axis, which
assumes, as per-sample losses do, that each sample's value depends only on its own row.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import array_api_compat
import numpy as np

from . import _array
from ._config import value_checks_enabled
from .losses._prepare import deferrable, prepare, restorer
from .losses._spec import HESSIAN_FLOOR

__all__ = ["HESSIAN_FLOOR", "Unweighted", "unweighted"]


class Unweighted(NamedTuple):
    """Gradient and Hessian diagonal of ``sum(values)`` in the loss's working layout."""

    xp: Any
    gradient: Any
    hessian: Any
    per_sample: Any  # an array of the per-sample values' shape and dtype: sample weights align to it
    restore: Callable  # working layout -> the layout of the y_pred that was passed


def unweighted(loss, y_true, y_pred, *, surrogate: bool = False) -> Unweighted:
    """Derivatives of ``loss`` (a :class:`~losskit.core.Loss`) summed over samples, without weights."""
    spec = loss.spec
    if spec is not None and spec.gradient_hessian is not None:
        return _analytic(spec, loss.options, y_true, y_pred, surrogate)
    whole_batch = spec is not None and spec.derivative_source == "autodiff"
    if surrogate:
        kind = "this structured loss" if whole_batch else "a custom loss"
        raise ValueError(
            f"{loss.name}: `surrogate=True` needs a built-in loss with a surrogate Hessian; "
            f"{kind} has only its exact Hessian, by automatic differentiation"
        )
    return _automatic(loss, y_true, y_pred, separable=not whole_batch)


def _analytic(spec, options, y_true, y_pred, surrogate):
    shape = _array.shape(y_pred)
    # NumPy arrays and a kernel that gathers extrema: the value checks are left to its pass
    fast = spec.derivative_kernels.get("numpy") if type(y_pred) is np.ndarray else None
    deferred = deferrable(spec) if fast is not None and fast.gathers and value_checks_enabled() else frozenset()
    xp, y_true, y_pred, opts = prepare(spec, y_true, y_pred, options, defer=deferred)
    grad, hess = spec.gradient_hessian(y_true, y_pred, xp=xp, surrogate=surrogate, deferred=deferred, **opts)
    mask = spec.mask(y_true, xp=xp, **opts) if spec.mask is not None else None
    if mask is not None:  # masked samples leave the objective, as in the "sum" reduction
        keep = xp.astype(mask, grad.dtype)[..., None]
        grad, hess = grad * keep, hess * keep
    return Unweighted(xp, grad, hess, grad[..., 0], restorer(shape, options.get("axis"), xp))


def _automatic(loss, y_true, y_pred, *, separable: bool = True) -> Unweighted:
    xp = _array.namespace(y_pred, y_true)
    y_pred = _array.asarray(y_pred, xp)
    y_true = _array.asarray(y_true, xp, like=y_pred)
    if not xp.isdtype(y_pred.dtype, "real floating"):
        y_pred = xp.astype(y_pred, xp.asarray(0.0).dtype)
    if array_api_compat.is_torch_namespace(xp):
        grad, hess, values = _torch_derivatives(loss, y_true, y_pred, separable)
    elif array_api_compat.is_jax_namespace(xp):
        grad, hess, values = _jax_derivatives(loss, y_true, y_pred, separable)
    else:
        raise ValueError(
            f"{loss.name}: the loss has no analytic derivatives; pass `y_pred` as a PyTorch or JAX array to "
            f"differentiate it automatically; got {type(y_pred).__module__}.{type(y_pred).__name__}"
        )
    return Unweighted(xp, grad, hess, values, lambda a: a)


def _width(x) -> int:
    return x.shape[-1] if x.ndim else 1


def _column(x, j: int):
    return x[..., j] if x.ndim else x


def _torch_derivatives(loss, y_true, y_pred, separable=True):
    import torch

    x = y_pred.detach().requires_grad_(True)
    with torch.enable_grad():
        values = loss.function(y_true, x, **loss.options)
        (grad,) = torch.autograd.grad(values.sum(), x, create_graph=True)
        hess = torch.zeros_like(y_pred)
        if not separable:  # samples interact: one backward pass per element for the exact diagonal
            flat_grad, flat_hess = grad.reshape(-1), hess.reshape(-1)
            for e in range(flat_grad.numel() if grad.requires_grad else 0):
                (second,) = torch.autograd.grad(flat_grad[e], x, retain_graph=True, allow_unused=True)
                if second is not None:
                    flat_hess[e] = second.reshape(-1)[e]
            return grad.detach(), hess.detach(), values.detach()
        for j in range(_width(x) if grad.requires_grad else 0):
            (second,) = torch.autograd.grad(_column(grad, j).sum(), x, retain_graph=True, allow_unused=True)
            if second is not None:
                if x.ndim:
                    hess[..., j] = second[..., j]
                else:
                    hess = second
    return grad.detach(), hess.detach(), values.detach()


def _jax_derivatives(loss, y_true, y_pred, separable=True):
    import jax
    import jax.numpy as jnp

    def objective(x):
        return jnp.sum(loss.function(y_true, x, **loss.options))

    gradient = jax.grad(objective)
    if not separable:  # samples interact: one forward-over-reverse product per element
        flat = jnp.zeros(y_pred.size, dtype=y_pred.dtype)
        for e in range(y_pred.size):
            direction = jnp.zeros(y_pred.size, dtype=y_pred.dtype).at[e].set(1.0).reshape(y_pred.shape)
            flat = flat.at[e].set(jax.jvp(gradient, (y_pred,), (direction,))[1].reshape(-1)[e])
        return gradient(y_pred), flat.reshape(y_pred.shape), loss.function(y_true, y_pred, **loss.options)
    columns = []
    for j in range(_width(y_pred)):
        direction = jnp.zeros_like(y_pred).at[..., j].set(1.0) if y_pred.ndim else jnp.ones_like(y_pred)
        columns.append(_column(jax.jvp(gradient, (y_pred,), (direction,))[1], j))
    hess = jnp.stack(columns, axis=-1) if y_pred.ndim else columns[0]
    return gradient(y_pred), hess, loss.function(y_true, y_pred, **loss.options)
