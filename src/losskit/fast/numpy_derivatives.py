"""NumPy kernels for the gradient and Hessian diagonal of the losses gradient boosting uses most.

Each computes what the derivative kernel below its loss's value kernel computes (that kernel is
the reference; ``tests/test_fast_numpy.py`` compares the two), for float32 or float64
``np.ndarray`` inputs prepared by ``losses._prepare.prepare``, in the input's dtype: XGBoost and
LightGBM hand float32 margins, and a float32 pass is half the memory traffic. Where the speed
comes from: no array-API wrapper calls, ``exp(-|x|)`` computed once for a sigmoid and its
derivative (``p (1 - p) = e / (1 + e)^2``, no cancellation), in-place ufuncs on buffers allocated
once per call. Registered on each record with ``@fast_derivatives(loss, accepts=...)``; the
record's derivative wrapper floors a surrogate Hessian afterwards, as for the reference.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import losses
from .._array import EPSILON
from ..losses._spec import HESSIAN_FLOOR
from . import numpy as fast_numpy
from .numpy import _labels_and_class_weights, _same_shapes, numpy_arrays, over_spans


def fast_derivatives(loss: Callable, *, accepts: Callable, floors: bool = False) -> Callable[[Callable], Callable]:
    """Register the decorated function as the NumPy derivative kernel of ``loss`` on its record,
    for float32/float64 ``np.ndarray`` inputs (not empty, class axis last) that ``accepts`` covers;
    ``floors``: it floors a surrogate Hessian itself (one taking ``extrema`` gathers them)."""

    return loss.fast("numpy", accepts=numpy_arrays(accepts), derivatives=True, floors=floors)


def _unweighted(y_true, y_pred, options) -> bool:
    return _same_shapes(y_true, y_pred, options) and options.get("class_weight") is None


def _unweighted_logits(y_true, y_pred, options) -> bool:
    return _unweighted(y_true, y_pred, options) and bool(options.get("from_logits"))


def _constant(like, value):
    return np.full(like.shape, value, dtype=like.dtype)


# ----------------------------------------------------------------------------- regression
@fast_derivatives(losses.mean_squared_error, accepts=_same_shapes)
def mean_squared_error(y_true, y_pred, *, surrogate):
    """``g = 2 e / d``, ``h = 2 / d``."""
    d = y_pred.shape[-1]
    grad = np.subtract(y_pred, y_true)
    grad *= 2.0 / d
    return grad, _constant(y_pred, 2.0 / d)


@fast_derivatives(losses.mean_absolute_error, accepts=_same_shapes)
def mean_absolute_error(y_true, y_pred, *, surrogate):
    """``g = sign(e) / d``; ``h = 0`` (surrogate ``1 / d``)."""
    d = y_pred.shape[-1]
    grad = np.sign(np.subtract(y_pred, y_true))
    grad /= d
    return grad, _constant(y_pred, 1.0 / d if surrogate else 0.0)


@fast_derivatives(losses.huber, accepts=_same_shapes)
def huber(y_true, y_pred, *, delta=1.0, surrogate):
    """``g = clip(e, -delta, delta) / d``; ``h = 1 / d`` where ``|e| <= delta``, else 0 (surrogate ``1 / d``)."""
    d = y_pred.shape[-1]
    error = np.subtract(y_pred, y_true)
    grad = np.clip(error, -delta, delta)
    grad /= d
    if surrogate:
        return grad, _constant(y_pred, 1.0 / d)
    hess = np.less_equal(np.abs(error, out=error), delta).astype(y_pred.dtype)
    hess /= d
    return grad, hess


@fast_derivatives(losses.quantile, accepts=_same_shapes)
def quantile(y_true, y_pred, *, quantile=0.5, surrogate):
    """``g = (1[e > 0] - quantile) / d`` (``0.5 - quantile`` at ``e == 0``); ``h = 0`` (surrogate ``1 / d``)."""
    d = y_pred.shape[-1]
    grad = np.sign(np.subtract(y_pred, y_true))
    grad += 1.0
    grad *= 0.5
    grad -= quantile
    grad /= d
    return grad, _constant(y_pred, 1.0 / d if surrogate else 0.0)


@fast_derivatives(losses.log_cosh, accepts=_same_shapes)
def log_cosh(y_true, y_pred, *, surrogate):
    """``g = tanh(e) / d``, ``h = 4 t / (1 + t)^2 / d`` with ``t = exp(-2|e|)``; surrogate
    ``h = tanh(e) / (e d)``, ``1 / d`` at ``e = 0``."""
    d = y_pred.shape[-1]
    error = np.subtract(y_pred, y_true)
    grad = np.tanh(error)
    grad /= d
    if surrogate:
        hess = np.full_like(grad, 1.0 / d)
        np.divide(grad, error, out=hess, where=error != 0)
        return grad, hess
    t = np.abs(error, out=error)
    t *= -2.0
    np.exp(t, out=t)
    hess = np.add(t, 1.0)
    np.square(hess, out=hess)
    np.divide(t, hess, out=hess)
    hess *= 4.0 / d
    return grad, hess


@fast_derivatives(losses.poisson, accepts=_same_shapes)
def poisson(y_true, y_pred, *, log_input=False, surrogate):
    """Log-rates ``x``: ``g = (exp(x) - y) / d``, ``h = exp(x) / d``. Rates ``mu``:
    ``g = (1 - y / (mu + 1e-7)) / d``, ``h = y / (d (mu + 1e-7)^2)`` (surrogate ``1 / (d (mu + 1e-7))``)."""
    d = y_pred.shape[-1]
    if log_input:
        hess = np.exp(y_pred)
        grad = np.subtract(hess, y_true)
        grad /= d
        hess /= d
        return grad, hess
    shifted = np.add(y_pred, EPSILON)
    ratio = np.divide(y_true, shifted)
    grad = np.subtract(1.0, ratio)
    grad /= d
    hess = np.reciprocal(shifted, out=shifted) if surrogate else np.divide(ratio, shifted, out=shifted)
    hess /= d
    return grad, hess


# ----------------------------------------------------------------------------- classification
def _elementwise_map(compute: Callable, scratch: int, y_true, y_pred, extrema: dict | None):
    """``(grad, hess)`` of an elementwise loss block by block: ``compute(t, p, g, h, *buffers)``
    writes a flat block's derivatives into ``g`` and ``h`` (views of the results) with ``scratch``
    buffers of the block's length; the blocks spread over the threads (:func:`over_spans`).
    ``extrema`` (a dict, or None): filled with both arguments' ``(min, max)``, taken per block while
    it is in the cache, for the deferred value checks."""
    t, p = np.ascontiguousarray(y_true).reshape(-1), np.ascontiguousarray(y_pred).reshape(-1)
    grad, hess = np.empty_like(p), np.empty_like(p)
    step = fast_numpy.BLOCK

    def work(first: int, last: int) -> dict[str, list]:
        buffers = [np.empty(min(last - first, step), p.dtype) for _ in range(scratch)]
        seen: dict[str, list] = {"y_true": [], "y_pred": []} if extrema is not None else {}
        for start in range(first, last, step):
            stop = min(start + step, last)
            tb, pb = t[start:stop], p[start:stop]
            for arg, block in (("y_true", tb), ("y_pred", pb)) if seen else ():
                seen[arg].append((block.min(), block.max()))
            with fast_numpy._unchecked(extrema is not None):
                compute(tb, pb, grad[start:stop], hess[start:stop], *(b[: stop - start] for b in buffers))
        return seen

    parts = over_spans(p.size, step, p.size, work)
    if extrema is not None:
        extrema.update(fast_numpy._extrema(parts))
    return grad.reshape(y_pred.shape), hess.reshape(y_pred.shape)


@fast_derivatives(losses.binary_crossentropy, accepts=_unweighted_logits, floors=True)
def binary_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None, surrogate, extrema=None):
    """Logits: ``g = ((1 - y) p - y (1 - p)) / d``, ``h = p (1 - p) / d`` with ``y`` smoothed, from one
    ``exp``: with ``b = e / (1 + e)``, ``e = exp(-|x|)`` (the smaller of ``p`` and ``1 - p``, exact in
    relative terms at any logit), ``g = (1 - s - y) - copysign(b, x)`` where ``s = signbit(x)``
    (``1 - s - y`` is exact for 0/1 labels, so a confident right answer keeps its tiny gradient
    ``-b``, as in the reference's form) and ``h = b (1 - b)`` (no cancellation: ``b <= 1/2``),
    floored at :data:`HESSIAN_FLOOR` in the same pass for the surrogate."""
    scale = 1.0 / y_pred.shape[-1]

    def compute(t, x, g, h, y):
        if label_smoothing:
            np.multiply(t, 1.0 - label_smoothing, out=y)
            np.add(y, 0.5 * label_smoothing, out=y)
            t = y
        np.copysign(x, -1.0, out=h)  # -|x|
        np.exp(h, out=h)
        np.add(h, 1.0, out=g)
        np.divide(h, g, out=h)  # b
        np.signbit(x, out=g)
        np.add(g, t, out=g)
        np.subtract(1.0, g, out=g)
        np.subtract(g, np.copysign(h, x, out=y), out=g)
        np.subtract(1.0, h, out=y)
        np.multiply(h, y, out=h)
        if scale != 1.0:
            np.multiply(g, scale, out=g)
            np.multiply(h, scale, out=h)
        if surrogate:
            np.maximum(h, HESSIAN_FLOOR, out=h)

    return _elementwise_map(compute, 1, y_true, y_pred, extrema)


def _softmax(x):
    """Row-wise softmax of logits; rows whose max is not finite are shifted by 0 (as ``logsumexp``)."""
    shift = np.max(x, axis=-1, keepdims=True)
    np.copyto(shift, 0.0, where=~np.isfinite(shift))
    p = np.subtract(x, shift)
    np.exp(p, out=p)
    p /= np.sum(p, axis=-1, keepdims=True)
    return p


@fast_derivatives(losses.categorical_crossentropy, accepts=_unweighted_logits)
def categorical_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None, surrogate):
    """Logits: ``g = A p - y``, ``h = A p (1 - p)`` with ``A = sum(y)`` (1 for one-hot rows)."""
    classes = y_pred.shape[-1]
    y = y_true if not label_smoothing else y_true * (1.0 - label_smoothing) + label_smoothing / classes
    p = _softmax(y_pred)
    total = np.sum(y, axis=-1, keepdims=True)
    hess = np.subtract(1.0, p)
    hess *= p
    hess *= total
    grad = np.multiply(p, total, out=p)
    grad -= y
    return grad, hess


def _sparse_logits(y_true, y_pred, options) -> bool:
    return _labels_and_class_weights(y_true, y_pred, options) and options.get("class_weight") is None and bool(options.get("from_logits"))


@fast_derivatives(losses.sparse_categorical_crossentropy, accepts=_sparse_logits)
def sparse_categorical_crossentropy(y_true, y_pred, *, from_logits=False, ignore_class=None, axis=-1, class_weight=None, surrogate):
    """Logits: ``g = p - one_hot(y)``, ``h = p (1 - p)``; 0 on rows whose label is ``ignore_class``."""
    classes = y_pred.shape[-1]
    p = _softmax(y_pred)
    hess = np.subtract(1.0, p)
    hess *= p
    rows = p.reshape(-1, classes)
    labels = y_true.reshape(-1).astype(np.intp, copy=False)
    keep = (labels >= 0) & (labels < classes)  # outside [0, C) (value checks off): an all-zero target row
    if ignore_class is not None:
        keep &= labels != ignore_class
    index = np.nonzero(keep)[0]
    rows[index, labels[index]] -= 1.0  # p - one_hot(y)
    if index.shape[0] < labels.shape[0]:  # ignored rows, and rows without a target, leave the objective
        mask = keep.reshape(y_pred.shape[:-1] + (1,))
        p *= mask
        hess *= mask
    return p, hess
