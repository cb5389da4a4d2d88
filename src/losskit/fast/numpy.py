"""NumPy kernels for the hottest losses: fused, blocked, in the input's dtype.

Each kernel computes what the generic kernel of the same name in :mod:`losskit.losses` computes
(that kernel is the reference; ``tests/test_fast_numpy.py`` compares the two), for float32 or
float64 ``np.ndarray`` inputs already prepared by ``losses._prepare.prepare`` (class axis last,
equal shapes or integer labels). Each registers on its loss's record (:func:`fast_kernel`); for
anything it does not cover, the generic kernel runs. Where the speed comes from:

- Blocks of about :data:`BLOCK` elements: a loss's several passes run over one block while it
  is in the cache, through ufuncs writing into buffers allocated once per call (``out=``).
- Exact formulas that are cheaper in NumPy. ``np.logaddexp`` is ten times slower than
  ``softplus(x) = max(x, 0) + log1p(exp(-|x|))``, so binary crossentropy from logits is
  ``x (step(x) - y) + log1p(exp(-|x|))``: two non-negative terms, one pass of each function,
  no cancellation (unlike ``max(x, 0) - x y + ...`` with soft labels near 1).
- Reductions over a short class axis, which NumPy runs slowly, avoided or reshaped. Logsumexp
  is first tried without the row max and its shift, row sums as matrix-vector products with
  ones (BLAS), and kept where a check of the sums shows it exact (no overflow, no underflow
  that matters); other blocks (huge logits) are transposed so that the row max and sums run as
  elementwise operations along rows. Sparse labels gather their class's value instead of
  building a one-hot matrix.
- Python float constants only: NumPy 2 treats them as weak, so float32 stays float32.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import losses
from .._array import EPSILON, LOG2

#: Elements per block: a block's few buffers stay in the L2 cache while a loss makes its passes.
BLOCK = 65536
#: Class axes shorter than this are transposed per block (see the module's docstring).
SHORT_CLASS_AXIS = 32
#: Last axes shorter than this are summed by a matrix-vector product with ones (BLAS), longer
#: ones by NumPy's pairwise sum, which is as fast there and more accurate.
SHORT_ROW = 64

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def fast_kernel(loss: Callable, *, accepts: Callable, nan_fallback: bool = False) -> Callable[[Callable], Callable]:
    """Register the decorated function as the NumPy kernel of ``loss`` (a catalog function) on its
    record. It runs for float32/float64 ``np.ndarray`` inputs, not empty, with the class axis
    last, whose prepared arrays and options ``accepts(y_true, y_pred, options)`` covers;
    ``nan_fallback``: a NaN in its result (an overflow edge it leaves unguarded) sends the call to
    the value kernel."""

    return loss.fast("numpy", accepts=numpy_arrays(accepts), nan_fallback=nan_fallback)


def numpy_arrays(accepts: Callable) -> Callable:
    """``accepts`` restricted to what every NumPy kernel takes: float32/float64 ``np.ndarray``
    inputs, not empty, with the class axis last."""

    def covered(y_true, y_pred, options) -> bool:
        return (
            type(y_pred) is np.ndarray
            and type(y_true) is np.ndarray
            and y_pred.dtype in _FLOATS
            and y_pred.ndim > 0
            and y_pred.size > 0
            and options.get("axis", -1) in (-1, y_pred.ndim - 1)
            and accepts(y_true, y_pred, options)
        )

    return covered


def _same_shapes(y_true, y_pred, options) -> bool:
    return y_true.dtype == y_pred.dtype and y_true.shape == y_pred.shape


def _same_shapes_and_class_weights(count: int | None) -> Callable:
    """Equal shapes and dtypes, and ``class_weight`` None or of ``count`` entries (None: one per
    class); a wrong count is left to the generic kernel, which words the error."""

    def accepts(y_true, y_pred, options) -> bool:
        weights = options.get("class_weight")
        expected = y_pred.shape[-1] if count is None else count
        return _same_shapes(y_true, y_pred, options) and (weights is None or len(weights) == expected)

    return accepts


def _labels_and_class_weights(y_true, y_pred, options) -> bool:
    weights = options.get("class_weight")
    return (
        y_true.dtype.kind in "iu"
        and y_true.shape == y_pred.shape[:-1]
        and (weights is None or len(weights) == y_pred.shape[-1])
    )


def _weights(class_weight, dtype) -> np.ndarray:
    return np.asarray([float(w) for w in class_weight], dtype=dtype)


# ----------------------------------------------------------------------------- elementwise losses
def _mean_over_last_axis(terms: Callable, y_true, y_pred, scratch: int = 0):
    """Per-sample values ``mean(terms, axis=-1)`` of an elementwise loss.

    ``terms(t, p, out, *buffers)`` computes the loss of flat blocks ``t``, ``p`` into ``out``,
    using ``scratch`` buffers of the same length. With a last axis of 1 the terms go straight
    into the result; otherwise each block's rows are summed, then divided by the width (the
    generic kernel's ``xp.mean``: a sum, then a division).
    """
    width = y_pred.shape[-1]
    t, p = np.ascontiguousarray(y_true).reshape(-1, width), np.ascontiguousarray(y_pred).reshape(-1, width)
    rows = p.shape[0]
    out = np.empty(rows, y_pred.dtype)
    step = max(1, BLOCK // width)
    size = min(rows, step) * width
    buffers = [np.empty(size, y_pred.dtype) for _ in range(scratch + (width > 1))]
    ones = np.ones(width, y_pred.dtype) if 1 < width < SHORT_ROW else None
    for start in range(0, rows, step):
        stop = min(start + step, rows)
        n = (stop - start) * width
        views = [b[:n] for b in buffers]
        values = out[start:stop] if width == 1 else views.pop()
        terms(t[start:stop].reshape(-1), p[start:stop].reshape(-1), values, *views)
        if width > 1:
            _row_sums(values.reshape(-1, width), ones, out[start:stop])
    if width > 1:
        np.divide(out, width, out=out)
    return out.reshape(y_pred.shape[:-1])[()]  # a 0-d result is a scalar, as NumPy's mean gives


def _row_sums(block, ones, out) -> None:
    if ones is not None:
        np.matmul(block, ones, out=out)
    else:
        np.sum(block, axis=-1, out=out)


@fast_kernel(losses.mean_squared_error, accepts=_same_shapes)
def mean_squared_error(y_true, y_pred):
    """``mean((y_pred - y_true)**2, axis=-1)``."""

    def terms(t, p, out):
        np.subtract(p, t, out=out)
        np.square(out, out=out)

    return _mean_over_last_axis(terms, y_true, y_pred)


@fast_kernel(losses.mean_absolute_error, accepts=_same_shapes)
def mean_absolute_error(y_true, y_pred):
    """``mean(|y_pred - y_true|, axis=-1)``."""

    def terms(t, p, out):
        np.subtract(p, t, out=out)
        np.abs(out, out=out)

    return _mean_over_last_axis(terms, y_true, y_pred)


@fast_kernel(losses.huber, accepts=_same_shapes, nan_fallback=True)
def huber(y_true, y_pred, *, delta=1.0):
    """``mean(0.5 q**2 + delta (|e| - q))``, ``q = min(|e|, delta)``: the generic kernel's form."""

    def terms(t, p, out, quadratic):
        np.subtract(p, t, out=out)
        np.abs(out, out=out)
        np.clip(out, 0.0, delta, out=quadratic)  # min(|e|, delta); clip is NumPy's fastest
        np.subtract(out, quadratic, out=out)
        np.multiply(out, delta, out=out)
        np.square(quadratic, out=quadratic)
        np.multiply(quadratic, 0.5, out=quadratic)
        np.add(quadratic, out, out=out)

    return _mean_over_last_axis(terms, y_true, y_pred, scratch=1)


@fast_kernel(losses.log_cosh, accepts=_same_shapes)
def log_cosh(y_true, y_pred):
    """``log(cosh(e))`` with ``_array.log_cosh``'s two branches: ``|e| + log1p(exp(-2|e|)) - log 2``
    for ``|e| >= 1`` (the softplus without ``np.logaddexp``) and, accurate near 0 where that
    one cancels, ``-log1p(-tanh(e)**2) / 2`` for ``|e| < 1`` (NumPy's ``tanh`` is vectorised,
    its ``sinh`` is not)."""

    def terms(t, p, out, size, far, near_weight):
        np.subtract(p, t, out=out)
        np.abs(out, out=size)
        np.multiply(size, -2.0, out=far)
        np.exp(far, out=far)
        np.log1p(far, out=far)
        np.add(size, far, out=far)
        np.subtract(far, LOG2, out=far)
        np.clip(out, -1.0, 1.0, out=out)  # unchanged where |e| < 1; finite everywhere
        np.tanh(out, out=out)
        np.square(out, out=out)
        np.negative(out, out=out)
        np.log1p(out, out=out)
        np.multiply(out, -0.5, out=out)
        # near where |e| < 1, else far: weights 0 and 1 give each branch exactly (both are finite),
        # and cost less than a masked copy
        np.less(size, 1.0, out=near_weight)
        np.multiply(out, near_weight, out=out)
        np.subtract(1.0, near_weight, out=near_weight)
        np.multiply(far, near_weight, out=far)
        np.add(out, far, out=out)

    return _mean_over_last_axis(terms, y_true, y_pred, scratch=3)


@fast_kernel(losses.poisson, accepts=_same_shapes, nan_fallback=True)
def poisson(y_true, y_pred, *, log_input=False):
    """``mean(y_pred - y_true log(y_pred + 1e-7))``; log-rates: ``mean(exp(y_pred) - y_true y_pred)``."""

    def terms(t, p, out, product):
        if log_input:
            np.exp(p, out=out)
            np.multiply(t, p, out=product)
            np.subtract(out, product, out=out)
        else:
            np.add(p, EPSILON, out=product)
            np.log(product, out=product)
            np.multiply(t, product, out=product)
            np.subtract(p, product, out=out)

    return _mean_over_last_axis(terms, y_true, y_pred, scratch=1)


@fast_kernel(losses.binary_crossentropy, accepts=_same_shapes_and_class_weights(2))
def binary_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None):
    """``mean(y w_1 (-log p) + (1 - y) w_0 (-log(1 - p)))`` with the generic kernel's smoothing,
    clipping and weights; from logits ``-log p = softplus(-x)`` and ``-log(1 - p) = softplus(x)``."""
    w = None if class_weight is None else _weights(class_weight, y_pred.dtype)

    def terms(t, x, out, smoothed, a, b):
        y = t
        if label_smoothing:
            y = np.multiply(t, 1.0 - label_smoothing, out=smoothed)
            np.add(y, 0.5 * label_smoothing, out=y)
        if from_logits:
            np.abs(x, out=a)  # a = log1p(exp(-|x|)), the common part of both softplus terms
            np.negative(a, out=a)
            np.exp(a, out=a)
            np.log1p(a, out=a)
            if w is None:  # y softplus(-x) + (1 - y) softplus(x) = x (step(x) - y) + a
                np.greater_equal(x, 0.0, out=b)
                np.subtract(b, y, out=b)
                np.multiply(b, x, out=b)
                np.add(b, a, out=out)
                return
            np.negative(x, out=b)  # b = softplus(-x), out = softplus(x)
            np.clip(b, 0.0, np.inf, out=b)
            np.add(b, a, out=b)
            np.clip(x, 0.0, np.inf, out=out)
            np.add(out, a, out=out)
        else:
            np.clip(x, EPSILON, 1.0 - EPSILON, out=a)  # b = -log p, out = -log(1 - p)
            np.log(a, out=b)
            np.negative(b, out=b)
            np.negative(a, out=out)
            np.log1p(out, out=out)
            np.negative(out, out=out)
        if w is not None:
            np.multiply(b, w[1], out=b)
            np.multiply(out, w[0], out=out)
        np.multiply(b, y, out=b)
        np.subtract(1.0, y, out=a)
        np.multiply(out, a, out=out)
        np.add(b, out, out=out)

    return _mean_over_last_axis(terms, y_true, y_pred, scratch=3)


# ----------------------------------------------------------------------------- losses over classes
class _ClassBlocks:
    """Blocks of rows of ``(rows, classes)`` arrays, and buffers for them.

    ``rows_view`` shapes a buffer as ``(k, classes)``. ``load`` copies rows into a buffer laid out
    for reductions over classes: transposed to ``(classes, k)`` when the class axis is short
    (the reductions become elementwise operations along rows), ``(k, classes)`` otherwise;
    ``axis`` is the class axis of a loaded block.
    """

    def __init__(self, rows: int, classes: int, dtype):
        self.rows, self.classes, self.dtype = rows, classes, dtype
        self.transposed = classes < SHORT_CLASS_AXIS
        self.axis = 0 if self.transposed else 1
        self.step = max(1, BLOCK // classes)

    def __iter__(self):
        for start in range(0, self.rows, self.step):
            yield start, min(start + self.step, self.rows)

    def buffer(self) -> np.ndarray:
        return np.empty(min(self.rows, self.step) * self.classes, self.dtype)

    def rows_view(self, buffer: np.ndarray, k: int) -> np.ndarray:
        return buffer[: k * self.classes].reshape(k, self.classes)

    def load(self, buffer: np.ndarray, rows: np.ndarray) -> np.ndarray:
        k = rows.shape[0]
        block = buffer[: k * self.classes].reshape((self.classes, k) if self.transposed else (k, self.classes))
        np.copyto(block, rows.T if self.transposed else rows)
        return block

    def per_row(self, values: np.ndarray) -> np.ndarray:
        """``values`` (one per row) shaped to broadcast against a loaded block."""
        return values[None, :] if self.transposed else values[:, None]

    def per_class(self, values: np.ndarray) -> np.ndarray:
        return values[:, None] if self.transposed else values[None, :]


def _logsumexp(block, scratch, blocks: _ClassBlocks, out) -> None:
    """``out`` = logsumexp over the classes of a loaded block, as ``_array.logsumexp``: shifted
    by the row's max, or by 0 where that max is not finite (a row of -inf gives -inf)."""
    shift = np.max(block, axis=blocks.axis)
    np.copyto(shift, 0.0, where=~np.isfinite(shift))
    np.subtract(block, blocks.per_row(shift), out=scratch)
    np.exp(scratch, out=scratch)
    np.sum(scratch, axis=blocks.axis, out=out)
    np.log(out, out=out)
    np.add(out, shift, out=out)


def _unshifted_logsumexp(rows, scratch, ones, out) -> bool:
    """``out`` = ``log(exp(rows) @ ones)`` for rows ``(k, classes)``, without the max pass and
    the shift; a matrix-vector product with ones (BLAS) sums a short row far faster than NumPy's
    reduction. Returns whether that is exact: every row's sum is finite (no exp overflowed) and
    at least ``tiny / eps`` (terms that underflowed cannot matter). False: shift instead.
    Call it with overflow warnings silenced (an overflow only fails the check)."""
    np.exp(rows, out=scratch)
    np.matmul(scratch, ones, out=out)
    info = np.finfo(out.dtype)
    if not (out.min() >= info.tiny / info.eps and out.max() <= info.max):  # NaN fails too
        return False
    np.log(out, out=out)
    return True


def _row_totals(rows, ones):
    """Each row's sum, with 1 where it is not positive: the generic kernel's normaliser of probabilities."""
    total = rows @ ones
    np.copyto(total, 1.0, where=~(total > 0))
    return total


@fast_kernel(losses.categorical_crossentropy, accepts=_same_shapes_and_class_weights(None))
def categorical_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None):
    """``-sum(w y log p)`` over classes with the generic kernel's ``log p`` (log-softmax of logits,
    or rows rescaled to sum 1 and clipped) and its mask (0 where the target is 0).

    From logits a block first takes ``lse * sum(w y) - sum(w y x)`` (unshifted logsumexp, row
    sums as products with ``w``); a block where that is not exact (huge logits, or NaN from
    ``0 * -inf`` on a masked class) is redone in the generic form, as are probabilities.
    """
    classes = y_pred.shape[-1]
    x = np.ascontiguousarray(y_pred).reshape(-1, classes)
    t = np.ascontiguousarray(y_true).reshape(-1, classes)
    dtype = y_pred.dtype
    blocks = _ClassBlocks(x.shape[0], classes, dtype)
    weights = np.ones(classes, dtype) if class_weight is None else _weights(class_weight, dtype)
    ones = np.ones(classes, dtype)
    out = np.empty(x.shape[0], dtype)
    target_buffer, log_p_buffer, scratch = blocks.buffer(), blocks.buffer(), blocks.buffer()
    with np.errstate(over="ignore", invalid="ignore"):  # both only fail the exactness checks
        for start, stop in blocks:
            k, rows, values = stop - start, x[start:stop], out[start:stop]
            if from_logits:
                y = _smoothed(t[start:stop], label_smoothing, classes, blocks.rows_view(target_buffer, k))
                lse = np.empty(k, dtype)
                if _unshifted_logsumexp(rows, blocks.rows_view(scratch, k), ones, lse):
                    np.matmul(y, weights, out=values)
                    np.multiply(values, lse, out=values)
                    products = np.multiply(y, rows, out=blocks.rows_view(scratch, k))
                    np.subtract(values, products @ weights, out=values)
                    if not np.isnan(values).any():
                        continue
            _generic_crossentropy_block(blocks, t[start:stop], rows, from_logits, label_smoothing, weights, ones, (target_buffer, log_p_buffer, scratch), values)
    return out.reshape(y_pred.shape[:-1])[()]


def _generic_crossentropy_block(blocks: _ClassBlocks, targets, rows, from_logits, label_smoothing, weights, ones, buffers, out) -> None:
    """``out`` = ``-sum(w y log p)`` of one block in the generic kernel's form (loaded layout)."""
    target_buffer, log_p_buffer, scratch = buffers
    y = _smoothed(blocks.load(target_buffer, targets), label_smoothing, blocks.classes, None)
    log_p = blocks.load(log_p_buffer, rows)
    if from_logits:
        lse = np.empty(rows.shape[0], rows.dtype)
        _logsumexp(log_p, scratch[: log_p.size].reshape(log_p.shape), blocks, lse)
        np.subtract(log_p, blocks.per_row(lse), out=log_p)
    else:
        np.divide(log_p, blocks.per_row(_row_totals(rows, ones)), out=log_p)
        np.clip(log_p, EPSILON, 1.0 - EPSILON, out=log_p)
        np.log(log_p, out=log_p)
    if not log_p.min() > -np.inf:  # a -inf (or NaN) log p never meets its 0 target: 0 * -inf is NaN
        np.copyto(log_p, 0.0, where=y == 0)  # (a masked copy is slow: only when needed)
    np.multiply(log_p, y, out=log_p)
    np.multiply(log_p, blocks.per_class(weights), out=log_p)
    np.sum(log_p, axis=blocks.axis, out=out)
    np.negative(out, out=out)


def _smoothed(y, label_smoothing: float, classes: int, out):
    """Targets mixed with the uniform distribution, ``y (1 - s) + s / C``, into ``out`` (None: in place)."""
    if not label_smoothing:
        return y
    out = y if out is None else out
    np.multiply(y, 1.0 - label_smoothing, out=out)
    np.add(out, label_smoothing / classes, out=out)
    return out


@fast_kernel(losses.sparse_categorical_crossentropy, accepts=_labels_and_class_weights)
def sparse_categorical_crossentropy(y_true, y_pred, *, from_logits=False, ignore_class=None, axis=-1, class_weight=None):
    """``-w[y] log p[y]``: logsumexp minus the label's logit, or ``-log`` of the label's rescaled,
    clipped probability; 0 where the label is ``ignore_class`` or outside ``[0, C)`` (the generic
    kernel's one-hot row is then all zeros: only reachable with value checks off)."""
    classes = y_pred.shape[-1]
    x = np.ascontiguousarray(y_pred).reshape(-1, classes)
    labels = y_true.reshape(-1).astype(np.intp, copy=False)
    valid = None if ignore_class is None else labels != ignore_class
    if labels.min() < 0 or labels.max() >= classes:
        inside = (labels >= 0) & (labels < classes)
        valid = inside if valid is None else valid & inside
    if valid is not None:
        labels = np.where(valid, labels, 0)
    dtype = y_pred.dtype
    picked = np.take(x.reshape(-1), np.arange(x.shape[0]) * classes + labels)  # a gather, not a one-hot product
    blocks = _ClassBlocks(x.shape[0], classes, dtype)
    ones = np.ones(classes, dtype)
    out = np.empty(x.shape[0], dtype)
    buffer, scratch = blocks.buffer(), blocks.buffer()
    with np.errstate(over="ignore"):  # an overflow only fails the exactness check
        for start, stop in blocks:
            k, rows, values = stop - start, x[start:stop], out[start:stop]
            if not from_logits:
                np.divide(picked[start:stop], _row_totals(rows, ones), out=values)
                np.clip(values, EPSILON, 1.0 - EPSILON, out=values)
                np.log(values, out=values)
                np.negative(values, out=values)
            elif not _unshifted_logsumexp(rows, blocks.rows_view(scratch, k), ones, values):
                block = blocks.load(buffer, rows)
                _logsumexp(block, scratch[: block.size].reshape(block.shape), blocks, values)
    if from_logits:
        np.subtract(out, picked, out=out)
    if class_weight is not None:
        np.multiply(out, _weights(class_weight, dtype)[labels], out=out)
    if valid is not None:
        np.copyto(out, 0.0, where=~valid)
    return out.reshape(y_pred.shape[:-1])[()]
