"""The ground floor: array-namespace helpers and numerically stable primitives.

Every loss kernel receives ``xp`` (an array-API namespace) and uses only what is
defined here and in the standard. The standard has no ``softplus``, ``logsumexp``
or ``log_softmax``; they are written once here, stable for inputs of any size and
with gradients that stay finite under ``torch.autograd`` and ``jax.grad``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import array_api_compat
import numpy as np

Array = Any

LOG2 = math.log(2.0)
#: Keras' ``backend.epsilon()``: the clip used by probability losses, kept for agreement with Keras.
EPSILON = 1e-7


device = array_api_compat.device


@functools.cache
def numpy_namespace():
    """array_api_compat's NumPy namespace, looked up once (the lookup costs microseconds, and
    importing it loads much of NumPy: not at ``import losskit``)."""
    return array_api_compat.array_namespace(np.empty(0))


def namespace(*arrays: Array):
    """The array-API namespace shared by ``arrays`` (Python scalars and lists count as NumPy)."""
    foreign = [a for a in arrays if not isinstance(a, np.ndarray | np.generic) and _is_array(a)]
    if foreign:
        return array_api_compat.array_namespace(*foreign)
    return numpy_namespace()


@functools.cache
def library(xp) -> str:
    """The array library of namespace ``xp``: ``"numpy"``, ``"torch"``, ``"jax"``, ``"dask"``, or
    the namespace's own name; fast kernels register under these names."""
    for name, test in (
        ("numpy", array_api_compat.is_numpy_namespace),
        ("torch", array_api_compat.is_torch_namespace),
        ("jax", array_api_compat.is_jax_namespace),
        ("dask", array_api_compat.is_dask_namespace),
    ):
        if test(xp):
            return name
    return getattr(xp, "__name__", type(xp).__name__)


def _is_array(x: Array) -> bool:
    return hasattr(x, "__array_namespace__") or array_api_compat.is_array_api_obj(x)


def asarray(x: Array, xp, *, like: Array | None = None) -> Array:
    """``x`` as an array of namespace ``xp``, on the device of ``like`` when given."""
    if isinstance(x, np.ndarray) and xp is numpy_namespace():
        return x
    if array_api_compat.is_torch_array(x) and array_api_compat.is_torch_namespace(xp):
        return x  # (no namespace lookup: it cannot be traced by torch.compile)
    if _is_array(x) and array_api_compat.array_namespace(x) is xp:
        return x
    if like is not None:
        return xp.asarray(np.asarray(x) if not _is_array(x) else x, device=device(like))
    return xp.asarray(x)


def shape(x: Array) -> tuple[int, ...]:
    """The shape of an array, a Python scalar or a (nested) list."""
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def to_numpy(x: Array) -> np.ndarray:
    """Any array as a NumPy array, for code that reads values (guidance, reports): a torch tensor
    is detached and moved to the CPU, its floats made float64 (NumPy has no bfloat16)."""
    if hasattr(x, "detach"):  # a torch tensor, maybe on a GPU, requiring grad or in bfloat16
        x = x.detach().cpu()
        x = x.double() if x.is_floating_point() else x
    return np.asarray(x)


def extrema(x: Array, xp) -> tuple[Array, Array]:
    """``(min(x), max(x))``; a NumPy array's own methods skip the namespace wrapper's cost
    (about 3 us a call on small arrays, which value checks pay on every loss call)."""
    if type(x) is np.ndarray:
        return x.min(), x.max()
    return xp.min(x), xp.max(x)


def has_nan(x: Array) -> bool:
    """Whether a concrete NumPy array holds a NaN, by one reduction (a sum is NaN when any term
    is, or when +inf and -inf meet: a false alarm only costs the caller its fallback)."""
    return bool(np.isnan(x.sum())) if type(x) is np.ndarray else False


def is_lazy(x: Array) -> bool:
    """True for arrays whose values cannot be read without tracing or computing (jax.jit, dask).

    array_api_compat counts every JAX array as lazy; only a tracer is (a concrete JAX array is
    read like a NumPy one, so its values are checked).
    """
    if array_api_compat.is_jax_array(x):
        import jax  # already imported: ``x`` is a JAX array

        return isinstance(x, jax.core.Tracer)
    return array_api_compat.is_lazy_array(x)


def values_readable(x: Array) -> bool:
    """True where reading ``x``'s values is free of side effects on a trace or a device: a concrete
    array in host memory. False for JAX tracers and other lazy arrays, and for PyTorch tensors
    that are not on the CPU (reading them would synchronise the device), that are being traced
    (``torch.compile``, ``torch.jit.trace``) or that are wrapped by a ``torch.func`` transform
    (``vmap``, ``grad``: data-dependent Python control flow is an error there). Value checks run
    only where this is True."""
    if type(x) is np.ndarray:  # the common case, without array_api_compat's type probes
        return True
    if array_api_compat.is_torch_array(x):
        return torch_values_readable(x)
    return not is_lazy(x)


def torch_values_readable(x: Array) -> bool:
    """:func:`values_readable` for a PyTorch tensor (torch is imported: ``x`` is one)."""
    return torch_readability()(x)


_TORCH_READABLE: list = []


def torch_readability():
    """:func:`torch_values_readable` with torch's tests looked up once (it runs on every loss
    call on tensors): ``readable(x) -> bool``. (Memoised by hand: Dynamo warns about
    ``functools.cache`` when a plan is first built inside ``torch.compile``.)"""
    if not _TORCH_READABLE:
        import torch

        compiling, tracing = torch.compiler.is_compiling, torch._C._get_tracing_state
        wrapped = torch._C._functorch.is_functorch_wrapped_tensor

        def readable(x) -> bool:
            # (``_get_tracing_state`` is ``torch.jit.is_tracing`` without its Python layers)
            return x.is_cpu and not compiling() and tracing() is None and not wrapped(x)

        _TORCH_READABLE.append(readable)
    return _TORCH_READABLE[0]


#: Floating dtypes computed in float32 (their range and precision cannot carry a loss's terms).
HALF_PRECISION = frozenset({"float16", "bfloat16"})


def is_real_numpy(x: Array) -> bool:
    """True for a NumPy array of reals (floating, integer or boolean): the common case, checked
    without NumPy's ``isdtype`` (microseconds a call)."""
    return type(x) is np.ndarray and x.dtype.kind in "fiub"


def numpy_float_dtype(x: Array):
    """For a NumPy array: its floating dtype (float32 for float16), or None when it is not floating."""
    if x.dtype.kind != "f":
        return None
    return np.dtype(np.float32) if x.dtype.itemsize == 2 else x.dtype


def is_half(dtype) -> bool:
    """True for float16 and bfloat16 (of any array library)."""
    return _dtype_name(dtype) in HALF_PRECISION


def is_floating_name(dtype) -> bool:
    """True for a real floating dtype of any array library, by its name (no namespace needed)."""
    return "float" in _dtype_name(dtype)


@functools.lru_cache(maxsize=256)
def _dtype_name(dtype) -> str:
    # ``str`` of a NumPy dtype costs microseconds, and a loss asks on every call: dtypes are few
    return str(dtype).rpartition(".")[2]


def autocast_enabled(x: Array) -> bool:
    """True when ``x`` is a PyTorch tensor and autocast is on for its device type (losses then
    return float32, as PyTorch's own do)."""
    if not array_api_compat.is_torch_array(x):
        return False
    import torch

    return torch.is_autocast_enabled(x.device.type)


def softplus(x: Array, xp) -> Array:
    """log(1 + exp(x)), exact and finite for every finite x: ``x + log1p(exp(-x))`` for x > 0,
    ``log1p(exp(x))`` otherwise, each branch fed only the inputs it takes.

    No exponent is positive, so neither the value nor its first two derivatives overflow
    (``logaddexp(0, x)``'s second derivative is ``inf / inf`` in PyTorch beyond ``|x| ~ 89`` in
    float32), and unlike ``max(x, 0) + log1p(exp(-|x|))`` the derivatives at 0 are exact (1/2, 1/4).
    """
    positive = x > 0
    zero = xp.zeros_like(x)
    up, down = xp.where(positive, x, zero), xp.where(positive, zero, x)
    return xp.where(positive, up + xp.log1p(xp.exp(-up)), xp.log1p(xp.exp(down)))


def logaddexp(a: Array, b: Array, xp) -> Array:
    """log(exp(a) + exp(b)) = b + softplus(a - b) for finite ``a`` and ``b``: first and second
    derivatives finite for any difference (see :func:`softplus`)."""
    return b + softplus(a - b, xp)


def log_sigmoid(x: Array, xp) -> Array:
    """log(sigmoid(x)) = -softplus(-x), finite for every finite x."""
    return -softplus(-x, xp)


def sigmoid(x: Array, xp) -> Array:
    """1 / (1 + exp(-x)) without overflow: exp(log_sigmoid(x))."""
    return xp.exp(log_sigmoid(x, xp))


def logsumexp(x: Array, xp, *, axis: int = -1, keepdims: bool = False) -> Array:
    """log(sum(exp(x))) along ``axis``; rows that are all -inf give -inf, not NaN."""
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else xp.squeeze(out, axis=axis)


def log_softmax(x: Array, xp, *, axis: int = -1) -> Array:
    """x - logsumexp(x): log-probabilities from logits, finite wherever x is finite."""
    return x - logsumexp(x, xp, axis=axis, keepdims=True)


def softmax(x: Array, xp, *, axis: int = -1) -> Array:
    """exp(log_softmax(x)): probabilities from logits; -inf logits get exactly 0."""
    return xp.exp(log_softmax(x, xp, axis=axis))


def xlogy(x: Array, y: Array, xp) -> Array:
    """x * log(y) with 0 * log(0) = 0; the gradient stays finite where x == 0."""
    zero = x == 0
    safe_y = xp.where(zero, xp.ones_like(y), y)
    return xp.where(zero, xp.zeros_like(x), x * xp.log(safe_y))


def safe_pow(base: Array, exponent: float, xp) -> Array:
    """base ** exponent for base >= 0 whose gradient is finite at base == 0 for any exponent > 0."""
    positive = base > 0
    safe = xp.where(positive, base, xp.ones_like(base))
    return xp.where(positive, safe**exponent, xp.zeros_like(base))


def log_cosh(x: Array, xp) -> Array:
    """log(cosh(x)), finite for every finite x and accurate near 0.

    Large |x|: |x| + softplus(-2|x|) - log 2 (no overflow, as Keras and Optax).
    Small |x|: log1p(2 sinh(x/2)^2), which keeps the relative accuracy that the
    first form loses to cancellation. Each branch is fed only inputs it handles, so
    gradients stay finite too.
    """
    a = xp.abs(x)
    small = a < 1.0
    xs = xp.where(small, x, xp.zeros_like(x))
    near = xp.log1p(2.0 * xp.square(xp.sinh(0.5 * xs)))
    far = a + xp.log1p(xp.exp(-2.0 * a)) - LOG2  # softplus(-2|x|): its exponent is never positive
    return xp.where(small, near, far)


#: ``l2_normalize``'s floor on the squared norm: below it the norm is the constant 1e-6.
SQUARED_NORM_FLOOR = 1e-12


def l2_normalize(x: Array, xp, *, axis: int = -1, epsilon: float = SQUARED_NORM_FLOOR) -> Array:
    """x / sqrt(max(sum(x^2), epsilon)) along ``axis`` (Keras' ``normalize``); zero vectors stay 0."""
    square_sum = xp.sum(xp.square(x), axis=axis, keepdims=True)
    return x / xp.sqrt(xp.clip(square_sum, min=epsilon))


def unit_vectors(x: Array, xp, *, axis: int = -1) -> Array:
    """``x / ||x||`` along ``axis``, exact for vectors of any finite size: ``x`` is divided by
    ``max|x|`` before squaring, so no square underflows (norms below 1e-19, where ``l2_normalize``'s
    floor shortens the vector) or overflows (norms above 1e19 in float32). Zero vectors stay 0."""
    scale = xp.max(xp.abs(x), axis=axis, keepdims=True)
    nonzero = scale > 0
    scaled = x / xp.where(nonzero, scale, xp.ones_like(scale))
    square_sum = xp.sum(xp.square(scaled), axis=axis, keepdims=True)  # in [1, d] where nonzero
    return scaled / xp.sqrt(xp.where(nonzero, square_sum, xp.ones_like(square_sum)))  # no sqrt'(0) for autodiff


def vector_norms(x: Array, xp, *, axis: int = -1) -> Array:
    """``||x||`` along ``axis`` (kept), by the scaling of :func:`unit_vectors`; inf only where the
    norm itself exceeds the dtype's range."""
    scale = xp.max(xp.abs(x), axis=axis, keepdims=True)
    nonzero = scale > 0
    scaled = x / xp.where(nonzero, scale, xp.ones_like(scale))
    square_sum = xp.sum(xp.square(scaled), axis=axis, keepdims=True)
    return scale * xp.sqrt(xp.where(nonzero, square_sum, xp.ones_like(square_sum)))


def one_hot(labels: Array, num_classes: int, xp, *, dtype) -> Array:
    """One-hot encoding along a new last axis, via comparison (no gather needed)."""
    classes = xp.arange(num_classes, dtype=labels.dtype, device=device(labels))
    return xp.astype(labels[..., None] == classes, dtype)

