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

from . import _array
from .losses._prepare import prepare, restorer
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
    if surrogate:
        raise ValueError(
            f"{loss.name}: `surrogate=True` needs a built-in loss with a surrogate Hessian; "
            "a custom loss has only its exact Hessian, by automatic differentiation"
        )
    return _automatic(loss, y_true, y_pred)


def _analytic(spec, options, y_true, y_pred, surrogate):
    shape = _array.shape(y_pred)
    xp, y_true, y_pred, opts = prepare(spec, y_true, y_pred, options)
    grad, hess = spec.gradient_hessian(y_true, y_pred, xp=xp, surrogate=surrogate, **opts)
    mask = spec.mask(y_true, xp=xp, **opts) if spec.mask is not None else None
    if mask is not None:  # masked samples leave the objective, as in the "sum" reduction
        keep = xp.astype(mask, grad.dtype)[..., None]
        grad, hess = grad * keep, hess * keep
    return Unweighted(xp, grad, hess, grad[..., 0], restorer(shape, options.get("axis"), xp))


def _automatic(loss, y_true, y_pred) -> Unweighted:
    xp = _array.namespace(y_pred, y_true)
    y_pred = _array.asarray(y_pred, xp)
    y_true = _array.asarray(y_true, xp, like=y_pred)
    if not xp.isdtype(y_pred.dtype, "real floating"):
        y_pred = xp.astype(y_pred, xp.asarray(0.0).dtype)
    if array_api_compat.is_torch_namespace(xp):
        grad, hess, values = _torch_derivatives(loss, y_true, y_pred)
    elif array_api_compat.is_jax_namespace(xp):
        grad, hess, values = _jax_derivatives(loss, y_true, y_pred)
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


def _torch_derivatives(loss, y_true, y_pred):
    import torch

    x = y_pred.detach().requires_grad_(True)
    with torch.enable_grad():
        values = loss.function(y_true, x, **loss.options)
        (grad,) = torch.autograd.grad(values.sum(), x, create_graph=True)
        hess = torch.zeros_like(y_pred)
        for j in range(_width(x) if grad.requires_grad else 0):
            (second,) = torch.autograd.grad(_column(grad, j).sum(), x, retain_graph=True, allow_unused=True)
            if second is not None:
                if x.ndim:
                    hess[..., j] = second[..., j]
                else:
                    hess = second
    return grad.detach(), hess.detach(), values.detach()


def _jax_derivatives(loss, y_true, y_pred):
    import jax
    import jax.numpy as jnp

    def objective(x):
        return jnp.sum(loss.function(y_true, x, **loss.options))

    gradient = jax.grad(objective)
    columns = []
    for j in range(_width(y_pred)):
        direction = jnp.zeros_like(y_pred).at[..., j].set(1.0) if y_pred.ndim else jnp.ones_like(y_pred)
        columns.append(_column(jax.jvp(gradient, (y_pred,), (direction,))[1], j))
    hess = jnp.stack(columns, axis=-1) if y_pred.ndim else columns[0]
    return gradient(y_pred), hess, loss.function(y_true, y_pred, **loss.options)
