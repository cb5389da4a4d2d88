"""NumPy kernels for the hottest losses: fused, blocked, in the input's dtype.

Each kernel computes what the generic kernel of the same name in :mod:`losskit.losses` computes
(that kernel is the reference; ``tests/test_fast_numpy.py`` compares the two), for float32 or
float64 ``np.ndarray`` inputs already prepared by ``losses._prepare.prepare`` (class axis last,
equal shapes or integer labels). Each registers on its loss's record (:func:`elementwise`, :func:`class_loss`); for
anything it does not cover, the generic kernel runs. Where the speed comes from:

- Blocks of about :data:`BLOCK` elements: a loss's several passes run over one block while it
  is in the cache, through ufuncs writing into buffers allocated once per span (``out=``). One
  driver per kind of loss serves every loss of that kind: elementwise losses declare their terms
  (:func:`elementwise`), losses over classes their block (:func:`class_loss`).
- The objective without per-sample values: ``Loss(y_true, y_pred)`` on large NumPy inputs
  (:func:`plan`) sums each block's terms where they are (weighted by a dot product), and takes the
  value checks from each block's min and max, gathered while the block is in the cache, instead
  of passes of their own (:func:`~losskit.losses._prepare.check_extrema`); where an argument's
  domain holds every finite number and a NaN or infinity in it always shows in the total (the
  kernel's ``non_finite_total``), from the total alone: a finite total proves it finite.
- Threads: large inputs are cut into spans of blocks that the calling thread and a pool take in
  turn (:func:`over_spans`); NumPy's ufuncs release the GIL.
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
- float32 ``log1p`` through the vectorised ``log`` (:func:`_log1p`): NumPy's own ``log1p`` is
  scalar code, several times slower.
- Python float constants only: NumPy 2 treats them as weak, so float32 stays float32.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import itertools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, NamedTuple

import numpy as np

from .. import _array, losses
from .._array import EPSILON, LOG2
from .._config import value_checks_enabled
from ..losses._prepare import (
    align_weights,
    check_extrema,
    deferrable,
    prepare,
    result_dtype,
    settled_by_total,
)

#: Elements per block: a block's few buffers stay in the L2 cache while a loss makes its passes.
BLOCK = 65536
#: Class axes shorter than this are transposed per block (see the module's docstring).
SHORT_CLASS_AXIS = 32
#: Last axes shorter than this are summed by a matrix-vector product with ones (BLAS), longer
#: ones by NumPy's pairwise sum, which is as fast there and more accurate.
SHORT_ROW = 64

#: float32 blocks of fewer elements than this take NumPy's ``log1p`` (see :func:`_log1p`).
LOG1P_MIN = 512

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


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


# ----------------------------------------------------------------------------- blocks and threads
def _threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: Threads a large input's blocks are spread over (the CPUs this process may run on). NumPy's
#: ufuncs and reductions release the GIL, so the threads' blocks run at once.
THREADS = _threads()
#: Inputs of fewer elements than this run on the calling thread: below it, handing spans to the
#: pool costs more than the second core gives back.
PARALLEL_MIN = 1 << 18
#: The most blocks in one span of a threaded input.
SPAN_BLOCKS = 16
_POOL: list[ThreadPoolExecutor] = []


def _pool() -> ThreadPoolExecutor:
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(THREADS, thread_name_prefix="losskit"))
    return _POOL[0]


def over_spans(rows: int, step: int, elements: int, work: Callable[[int, int], Any]) -> list:
    """``[work(start, stop), ...]`` over consecutive spans of ``rows``, in order, each a whole number
    of blocks of ``step`` rows (the last one ragged); ``work`` allocates its own buffers and returns
    what its span contributes. Inputs under :data:`PARALLEL_MIN` ``elements`` are one span on the
    calling thread. Larger ones are cut into spans of at most :data:`SPAN_BLOCKS` blocks (and at
    least two per thread), which the calling thread and the pool's take in turn: a thread that
    another process slows down takes fewer spans, rather than holding up the call."""
    blocks = -(-rows // step)
    if elements < PARALLEL_MIN or THREADS < 2 or blocks < 2:
        return [work(0, rows)]
    per = step * max(1, min(SPAN_BLOCKS, blocks // (2 * THREADS)))
    spans = [(start, min(start + per, rows)) for start in range(0, rows, per)]
    results: list = [None] * len(spans)
    turns = itertools.count()

    def drain() -> None:
        for i in iter(turns.__next__, None):  # (next() on a count is atomic under the GIL)
            if i >= len(spans):
                return
            results[i] = work(*spans[i])

    # each helper runs in a copy of the caller's context: NumPy's error state (np.errstate) is in it
    helpers = [_pool().submit(contextvars.copy_context().run, drain) for _ in range(min(THREADS, len(spans)) - 1)]
    drain()
    for helper in helpers:
        helper.result()
    return results


def _extrema(parts: list[dict[str, list]]) -> dict[str, tuple]:
    """Each argument's ``(min, max)`` over the blocks' ``{arg: [(min, max), ...]}`` of every span
    (NaN when any block held one)."""
    joined: dict[str, list] = {}
    for part in parts:
        for arg, pairs in part.items():
            joined.setdefault(arg, []).extend(pairs)
    return {arg: (np.min([lo for lo, _ in pairs]), np.max([hi for _, hi in pairs])) for arg, pairs in joined.items()}


# ----------------------------------------------------------------------------- elementwise losses
class Terms(NamedTuple):
    """An elementwise loss for the block drivers: ``compute(t, p, out, *scratch)`` writes the loss
    of flat blocks ``t``, ``p`` into ``out``, using ``scratch`` buffers of the block's length."""

    compute: Callable
    scratch: int = 0


def elementwise(
    loss: Callable, *, accepts: Callable, nan_fallback: bool = False, non_finite_total: tuple[str, ...] | Callable = ()
) -> Callable[[Callable], Callable]:
    """Register the decorated ``terms(**options) -> Terms`` as the NumPy kernels of ``loss``: its
    value kernel (per-sample means over the last axis, :func:`_mean_over_last_axis`) and its
    objective (the weighted sum of those means, block by block, never writing them:
    :func:`_elementwise_sum`). Both run the same :class:`Terms`.

    ``non_finite_total`` (or ``options -> arguments``): the arguments a NaN or infinity in which
    makes its terms NaN or infinite (each loss argues it in its docstring); the total then is too
    (a sum keeps an infinity or turns it into NaN, and a weight keeps it: ``0 * inf`` is NaN), so a
    finite total settles those arguments' value checks where their domain is all numbers
    (:func:`~losskit.losses._prepare.settled_by_total`): their blocks gather no extrema."""

    def register(terms: Callable) -> Callable:
        cached = functools.lru_cache(maxsize=64)(terms)  # a small call should not rebuild its terms

        def build(options) -> Terms:
            try:
                return cached(**options)
            except TypeError:  # an unhashable option value (class weights as a list)
                return terms(**options)

        @functools.wraps(terms)
        def kernel(y_true, y_pred, **options):
            return _mean_over_last_axis(build(options), y_true, y_pred)

        def objective(y_true, y_pred, weights, gather, **options):
            return _elementwise_sum(build(options), y_true, y_pred, weights, gather)

        return loss.fast(
            "numpy", accepts=numpy_arrays(accepts), objective=objective, nan_fallback=nan_fallback, non_finite_total=non_finite_total
        )(kernel)

    return register


def _mean_over_last_axis(terms: Terms, y_true, y_pred):
    """Per-sample values ``mean(terms, axis=-1)`` of an elementwise loss.

    With a last axis of 1 the terms go straight into the result; otherwise each block's rows are
    summed, then divided by the width (the generic kernel's ``xp.mean``: a sum, then a division).
    """
    width = y_pred.shape[-1]
    if width == 1 and y_pred.size <= BLOCK:  # one block of one column (most small calls): straight in
        out = np.empty(y_pred.size, y_pred.dtype)
        scratch = [np.empty(y_pred.size, y_pred.dtype) for _ in range(terms.scratch)]
        terms.compute(np.ascontiguousarray(y_true).reshape(-1), np.ascontiguousarray(y_pred).reshape(-1), out, *scratch)
        return out.reshape(y_pred.shape[:-1])[()]
    t, p = np.ascontiguousarray(y_true).reshape(-1, width), np.ascontiguousarray(y_pred).reshape(-1, width)
    rows = p.shape[0]
    out = np.empty(rows, y_pred.dtype)
    step = max(1, BLOCK // width)
    ones = _ones(width, y_pred.dtype) if 1 < width < SHORT_ROW else None

    def work(first: int, last: int) -> None:
        buffers = _buffers(min(last - first, step) * width, terms.scratch + (width > 1), y_pred.dtype)
        for start in range(first, last, step):
            stop = min(start + step, last)
            views = [b[: (stop - start) * width] for b in buffers]
            values = out[start:stop] if width == 1 else views.pop()
            terms.compute(t[start:stop].reshape(-1), p[start:stop].reshape(-1), values, *views)
            if width > 1:
                _row_sums(values.reshape(-1, width), ones, out[start:stop])

    if rows <= step:
        work(0, rows)  # one block (most small calls): no spans to hand out
    else:
        over_spans(rows, step, p.size, work)
    if width > 1:
        np.divide(out, width, out=out)
    return out.reshape(y_pred.shape[:-1])[()]  # a 0-d result is a scalar, as NumPy's mean gives


def _elementwise_sum(terms: Terms, y_true, y_pred, weights, gather: frozenset[str] | None):
    """``(sum(w * mean(terms, axis=-1)), extrema)`` without writing the per-sample values: each
    block's terms go into a scratch buffer and are summed there (pairwise, in the input's dtype;
    the blocks' sums add up in float64). ``weights``: one per sample, flat, or None. ``gather``:
    the arguments whose min and max each block takes while it is in the cache, for the value
    checks (:func:`losskit.losses._prepare.check_extrema`); None: value checks are off."""
    width = y_pred.shape[-1]
    t, p = np.ascontiguousarray(y_true).reshape(-1), np.ascontiguousarray(y_pred).reshape(-1)
    rows = p.size // width
    step = max(1, BLOCK // width)
    watched = _watched(gather, y_true=t, y_pred=p)

    def work(first: int, last: int):
        with _unchecked(gather is not None):
            return blocks(first, last)

    def blocks(first: int, last: int):
        out, *scratch = _buffers(min(last - first, step) * width, terms.scratch + 1, y_pred.dtype)
        total, extrema = 0.0, {arg: [] for arg in watched}
        for start in range(first, last, step):
            stop = min(start + step, last)
            n = (stop - start) * width
            tb, pb, values = t[start * width : stop * width], p[start * width : stop * width], out[:n]
            for arg, pairs in extrema.items():
                block = watched[arg][start * width : stop * width]
                pairs.append((block.min(), block.max()))
            terms.compute(tb, pb, values, *(s[:n] for s in scratch))
            if weights is None:
                total += float(np.add.reduce(values))
            else:
                total += float(np.add.reduce(weights[start:stop] @ values.reshape(-1, width)))
        return total, extrema

    parts = over_spans(rows, step, p.size, work)
    return _add_up([total for total, _ in parts]) / width, _extrema([extrema for _, extrema in parts])


def _watched(gather: frozenset[str] | None, **arrays: np.ndarray) -> dict[str, np.ndarray]:
    """The ``arrays`` (by argument) whose extrema the blocks gather: those named in ``gather``."""
    return {arg: array for arg, array in arrays.items() if gather and arg in gather}


def _add_up(totals: list[float]) -> float:
    """The spans' totals added exactly (``math.fsum``), or, where one is not finite, as IEEE adds
    them (``fsum`` raises on ``inf + -inf``; the sum is NaN)."""
    return math.fsum(totals) if all(map(math.isfinite, totals)) else sum(totals)


def _unchecked(checked: bool):
    """Where the value checks come after the pass (``checked``), out-of-domain inputs must not warn
    before the check raises: invalid-value and divide warnings are silenced (a NaN result with
    inputs that pass goes to the reference call, which warns as it would)."""
    return np.errstate(invalid="ignore", divide="ignore") if checked else contextlib.nullcontext()


def _buffers(size: int, count: int, dtype) -> list[np.ndarray]:
    return [np.empty(size, dtype) for _ in range(count)]


def _row_sums(block, ones, out) -> None:
    if ones is not None:
        np.matmul(block, ones, out=out)
    else:
        np.sum(block, axis=-1, out=out)


def _log1p(x, out, u, c) -> None:
    """``out = log1p(x)`` for ``x`` in (-1, 1] (``out`` may be ``x``; ``u``, ``c``: scratch). In float32
    through NumPy's vectorised ``log``, several times faster than its ``log1p``: ``log(u) + c / u``
    with ``u = 1 + x`` rounded and ``c = x - (u - 1)`` its rounding error (exact), within a few ulp
    (``x`` itself where ``u`` rounds to 1). float64's ``log`` is not vectorised: ``log1p`` there, and
    on blocks under :data:`LOG1P_MIN` elements, where six ufunc calls cost more than they save."""
    if out.dtype != np.float32 or out.size < LOG1P_MIN:
        np.log1p(x, out=out)
        return
    np.add(x, 1.0, out=u)
    np.subtract(u, 1.0, out=c)
    np.subtract(x, c, out=c)
    np.divide(c, u, out=c)
    np.log(u, out=out)
    np.add(out, c, out=out)


#: A NaN or infinity in either argument of a loss of the residual makes ``e = y_pred - y_true``
#: NaN or infinite (``inf - inf`` is NaN), and the losses below keep it in their terms.
RESIDUAL = ("y_true", "y_pred")


@elementwise(losses.mean_squared_error, accepts=_same_shapes, non_finite_total=RESIDUAL)
def mean_squared_error():
    """``(y_pred - y_true)**2`` (``e**2``: infinite or NaN with ``e``)."""

    def compute(t, p, out):
        np.subtract(p, t, out=out)
        np.square(out, out=out)

    return Terms(compute)


@elementwise(losses.mean_absolute_error, accepts=_same_shapes, non_finite_total=RESIDUAL)
def mean_absolute_error():
    """``|y_pred - y_true|`` (infinite or NaN with ``e``)."""

    def compute(t, p, out):
        np.subtract(p, t, out=out)
        np.abs(out, out=out)

    return Terms(compute)


@elementwise(losses.huber, accepts=_same_shapes, nan_fallback=True, non_finite_total=RESIDUAL)
def huber(*, delta=1.0):
    """The generic kernel's ``0.5 q**2 + delta (|e| - q)``, ``q = min(|e|, delta)``, in five passes
    as ``c (e - c / 2)`` with ``c = clip(e, -delta, delta)`` (the same: ``c e = q |e|`` and ``c**2 = q**2``;
    exactly ``0.5 e**2`` where ``|e| <= delta``, ``delta (|e| - delta / 2)`` beyond). An infinite
    ``e`` gives ``+inf`` (``c = ±delta``, finite: the record bounds ``delta``), a NaN ``e`` NaN."""

    def compute(t, p, out, clipped, half):
        np.subtract(p, t, out=out)
        np.clip(out, -delta, delta, out=clipped)  # clip is NumPy's fastest min/max
        np.multiply(clipped, 0.5, out=half)
        np.subtract(out, half, out=out)
        np.multiply(out, clipped, out=out)

    return Terms(compute, scratch=2)


#: float32 log-cosh takes its polynomial (:data:`LOG_COSH_NEAR`) where ``|e|`` is under this, the
#: softplus form at and beyond: either within 2.5 ulp of the float64 value (2.0 measured; tested
#: densely in tests/test_fast_numpy.py).
LOG_COSH_SWITCH = 0.75
#: ``log(cosh(e)) / e**2`` as a polynomial in ``z = e**2`` for ``|e| < 0.75`` (coefficients of ``z**0``
#: upward): interpolation at the 6 Chebyshev nodes of ``[0, 0.5625]``, relative error 5e-9
#: in exact arithmetic (the series is ``1/2 - z/12 + z**2/45 - ...``).
LOG_COSH_NEAR = (0.4999999977, -0.08333304099, 0.02221607268, -0.006698003523, 0.002012798054, -0.0004287765846)


@elementwise(losses.log_cosh, accepts=_same_shapes, non_finite_total=RESIDUAL)
def log_cosh():
    """``log(cosh(e))`` in two branches, each finite everywhere and exact where it is taken: the
    softplus form ``(|e| - log 2) + log1p(exp(-2|e|))`` (without ``np.logaddexp``) for large
    ``|e|``, and near 0, where that one cancels, a polynomial in float32 (:data:`LOG_COSH_NEAR`,
    for ``|e| < 0.75``: cheap passes instead of a ``tanh`` and a ``log``), ``-log1p(-tanh(e)**2) / 2``
    in float64 (for ``|e| < 1``). An infinite ``e`` gives ``+inf`` (the near branch, clipped, is
    finite, its weight 0), a NaN ``e`` NaN."""

    def compute(t, p, out, size, far, near_weight, spare):
        np.subtract(p, t, out=out)
        np.abs(out, out=size)
        np.multiply(size, -2.0, out=far)
        np.exp(far, out=far)
        if out.dtype == np.float32:  # exp(-2|e|) <= exp(-1.5) where the far branch is taken
            _log1p_small(far, far, near_weight, spare)
        else:
            _log1p(far, far, near_weight, spare)
        np.subtract(size, LOG2, out=spare)
        np.add(spare, far, out=far)
        switch = (_log_cosh_near_float32 if out.dtype == np.float32 else _log_cosh_near_float64)(out, size, spare)
        # near where |e| < switch, else far: weights 0 and 1 give each branch exactly (both are
        # finite), and cost less than a masked copy
        np.less(size, switch, out=near_weight)
        np.multiply(out, near_weight, out=out)
        np.subtract(1.0, near_weight, out=near_weight)
        np.multiply(far, near_weight, out=far)
        np.add(out, far, out=out)

    return Terms(compute, scratch=4)


def _log1p_small(x, out, u, w) -> None:
    """``out = log1p(x)`` (``out`` may be ``x``; ``u``, ``w``: scratch) for float32 ``x`` in
    ``[0, 0.25]``, within 3 ulp, in ten cheap passes instead of a ``log``: ``2 atanh(u)`` with
    ``u = x / (2 + x) <= 1/9``, the series ``2 u (1 + u**2/3 + u**4/5 + u**6/7)`` (the next term
    is under ``3e-9`` of it). Finite, but not exact, for other ``x`` in ``[0, 1]``."""
    np.add(x, 2.0, out=w)
    np.divide(x, w, out=u)
    np.square(u, out=w)
    np.multiply(w, 2.0 / 7.0, out=out)
    np.add(out, 2.0 / 5.0, out=out)
    np.multiply(out, w, out=out)
    np.add(out, 2.0 / 3.0, out=out)
    np.multiply(out, w, out=out)
    np.add(out, 2.0, out=out)
    np.multiply(out, u, out=out)


def _log_cosh_near_float32(out, size, scratch) -> float:
    """``out = z P(z)``, ``z = min(|e|, switch)**2`` (:data:`LOG_COSH_NEAR`, by Horner's rule), from
    ``size = |e|``; returns the switch."""
    np.clip(size, 0.0, LOG_COSH_SWITCH, out=out)  # (NumPy's clip is faster than its minimum)
    np.square(out, out=out)
    *rest, last = LOG_COSH_NEAR
    np.multiply(out, last, out=scratch)
    for coefficient in reversed(rest[1:]):
        np.add(scratch, coefficient, out=scratch)
        np.multiply(scratch, out, out=scratch)
    np.add(scratch, rest[0], out=scratch)
    np.multiply(scratch, out, out=out)
    return LOG_COSH_SWITCH


def _log_cosh_near_float64(out, size, scratch) -> float:
    """``out = -log1p(-tanh(e)**2) / 2`` with ``e`` (in ``out``) clipped to ``[-1, 1]``; returns the switch, 1."""
    np.clip(out, -1.0, 1.0, out=out)
    np.tanh(out, out=out)
    np.square(out, out=out)
    np.negative(out, out=out)
    np.log1p(out, out=out)
    np.multiply(out, -0.5, out=out)
    return 1.0


@elementwise(losses.poisson, accepts=_same_shapes, nan_fallback=True, non_finite_total=("y_pred",))
def poisson(*, log_input=False):
    """``y_pred - y_true log(y_pred + 1e-7)``; log-rates: ``exp(y_pred) - y_true y_pred``. With
    ``y_true >= 0`` an infinite ``y_pred`` gives ``inf - y inf`` (NaN: ``0 * inf`` or ``inf - inf``),
    ``-inf`` log-rate ``0 + y inf`` (NaN or ``+inf``); NaN gives NaN."""

    def compute(t, p, out, product):
        if log_input:
            np.exp(p, out=out)
            np.multiply(t, p, out=product)
            np.subtract(out, product, out=out)
        else:
            np.add(p, EPSILON, out=product)
            np.log(product, out=product)
            np.multiply(t, product, out=product)
            np.subtract(p, product, out=out)

    return Terms(compute, scratch=1)


def _logits(options) -> tuple[str, ...]:
    """From logits, binary crossentropy's terms are NaN or infinite with ``x``: with ``y`` in
    ``[0, 1]``, ``x = ±inf`` makes one softplus ``+inf`` (its weight ``y``, ``1 - y`` or ``w`` times
    it: ``+inf``, or NaN where that is 0) and the other 0; a NaN logit gives NaN. (Probabilities are
    clipped: an infinite one gives a finite term.)"""
    return ("y_pred",) if options.get("from_logits") else ()


@elementwise(losses.binary_crossentropy, accepts=_same_shapes_and_class_weights(2), non_finite_total=_logits)
def binary_crossentropy(*, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None):
    """``y w_1 (-log p) + (1 - y) w_0 (-log(1 - p))`` with the generic kernel's smoothing,
    clipping and weights; from logits ``-log p = softplus(-x)`` and ``-log(1 - p) = softplus(x)``."""
    w = None if class_weight is None else [float(v) for v in class_weight]

    def compute(t, x, out, smoothed, a, b, spare):
        y = t
        if label_smoothing:
            y = np.multiply(t, 1.0 - label_smoothing, out=smoothed)
            np.add(y, 0.5 * label_smoothing, out=y)
        if from_logits:
            np.abs(x, out=a)  # a = log1p(exp(-|x|)), the common part of both softplus terms
            np.negative(a, out=a)
            np.exp(a, out=a)
            _log1p(a, a, b, out)
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
            _log1p(out, out, a, spare)
            np.negative(out, out=out)
        if w is not None:
            np.multiply(b, w[1], out=b)
            np.multiply(out, w[0], out=out)
        np.multiply(b, y, out=b)
        np.subtract(1.0, y, out=a)
        np.multiply(out, a, out=out)
        np.add(b, out, out=out)

    return Terms(compute, scratch=4)


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

    def run(self, block: Callable, buffers: int, watched: dict[str, np.ndarray]) -> dict[str, tuple]:
        """``block(start, stop, buffers)`` for every block of rows, the blocks spread over the
        threads (:func:`over_spans`; each span with its own ``buffers`` buffers), overflow and
        invalid-value warnings silenced (they only fail the exactness checks). Each block's min
        and max of each of ``watched`` (``{arg: (rows, classes)}``) are taken first, for the
        value checks; returns them per argument."""

        if self.rows <= self.step and not watched:  # one block (most small calls): no spans, no extrema
            with np.errstate(over="ignore", invalid="ignore"):
                block(0, self.rows, [self.buffer() for _ in range(buffers)])
            return {}

        def work(first: int, last: int) -> dict[str, list]:
            own = [self.buffer() for _ in range(buffers)]
            extrema: dict[str, list] = {arg: [] for arg in watched}
            with np.errstate(over="ignore", invalid="ignore"):
                for start in range(first, last, self.step):
                    stop = min(start + self.step, last)
                    for arg, pairs in extrema.items():
                        pairs.append((watched[arg][start:stop].min(), watched[arg][start:stop].max()))
                    block(start, stop, own)
            return extrema

        return _extrema(over_spans(self.rows, self.step, self.rows * self.classes, work))

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
    Call it with overflow warnings silenced (an overflow only fails the check).

    The rows are copied into ``scratch`` before the ``exp``: NumPy's ``exp`` reading them from
    memory runs at half its speed on data in the cache, more than the copy costs
    (``benchmarks/numpy_profile.py``)."""
    np.copyto(scratch, rows)
    np.exp(scratch, out=scratch)
    np.matmul(scratch, ones, out=out)
    info = np.finfo(out.dtype)
    if not (out.min() >= info.tiny / info.eps and out.max() <= info.max):  # NaN fails too
        return False
    np.log(out, out=out)
    return True


@functools.lru_cache(maxsize=64)
def _ones(classes: int, dtype) -> np.ndarray:
    """A read-only vector of ``classes`` ones: row sums as matrix-vector products (made once, not per call)."""
    ones = np.ones(classes, dtype)
    ones.flags.writeable = False
    return ones


def _row_totals(rows, ones):
    """Each row's sum, with 1 where it is not positive: the generic kernel's normaliser of probabilities."""
    total = rows @ ones
    np.copyto(total, 1.0, where=~(total > 0))
    return total


def class_loss(loss: Callable, *, accepts: Callable, non_finite_total: Callable = lambda options: ()) -> Callable[[Callable], Callable]:
    """Register the decorated ``f(y_true, y_pred, gather, **options) -> (values, extrema)`` (its
    per-sample values and the extrema its blocks saw of the arguments named in ``gather``:
    :meth:`_ClassBlocks.run`) as the NumPy value kernel of ``loss`` and, summed, as its objective;
    ``non_finite_total`` as in :func:`elementwise`."""

    def register(compute: Callable) -> Callable:
        @functools.wraps(compute)
        def kernel(y_true, y_pred, **options):
            return compute(y_true, y_pred, None, **options)[0]

        def objective(y_true, y_pred, weights, gather, **options):
            with _unchecked(gather is not None):
                values, extrema = compute(y_true, y_pred, gather, **options)
                flat = np.reshape(values, -1)
                return float(np.add.reduce(flat) if weights is None else np.dot(weights, flat)), extrema

        return loss.fast("numpy", accepts=numpy_arrays(accepts), objective=objective, non_finite_total=non_finite_total)(kernel)

    return register


@class_loss(losses.categorical_crossentropy, accepts=_same_shapes_and_class_weights(None))
def categorical_crossentropy(y_true, y_pred, gather, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None):
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
    weights = _ones(classes, dtype) if class_weight is None else _weights(class_weight, dtype)
    ones = _ones(classes, dtype)
    out = np.empty(x.shape[0], dtype)

    def block(start, stop, buffers):
        target_buffer, _, scratch = buffers
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
                    return
        _generic_crossentropy_block(blocks, t[start:stop], rows, from_logits, label_smoothing, weights, ones, buffers, values)

    extrema = blocks.run(block, 3, _watched(gather, y_true=t, y_pred=x))
    return out.reshape(y_pred.shape[:-1])[()], extrema


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


def _unmasked_logits(options) -> tuple[str, ...]:
    """A NaN or ``+inf`` logit makes its row's ``logsumexp - x[y]`` NaN or ``+inf`` (and its class
    weight keeps it: ``0 * inf`` is NaN), unless ``ignore_class`` masks the row to 0; ``-inf`` is in
    the logits' domain. (Probabilities are clipped.)"""
    return ("y_pred",) if options.get("from_logits") and options.get("ignore_class") is None else ()


@class_loss(losses.sparse_categorical_crossentropy, accepts=_labels_and_class_weights, non_finite_total=_unmasked_logits)
def sparse_categorical_crossentropy(y_true, y_pred, gather, *, from_logits=False, ignore_class=None, axis=-1, class_weight=None):
    """``-w[y] log p[y]``: logsumexp minus the label's logit, or ``-log`` of the label's rescaled,
    clipped probability; 0 where the label is ``ignore_class`` or outside ``[0, C)`` (the generic
    kernel's one-hot row is then all zeros: only reachable with value checks off)."""
    classes = y_pred.shape[-1]
    x = np.ascontiguousarray(y_pred).reshape(-1, classes)
    labels = y_true.reshape(-1).astype(np.intp, copy=False)
    valid = None if ignore_class is None else labels != ignore_class
    if labels.view(np.uintp).max() >= classes:  # (a negative label is a huge unsigned one)
        inside = (labels >= 0) & (labels < classes)
        valid = inside if valid is None else valid & inside
    if valid is not None:
        labels = np.where(valid, labels, 0)
    dtype = y_pred.dtype
    picked = x[np.arange(x.shape[0]), labels]  # a gather, not a one-hot product
    blocks = _ClassBlocks(x.shape[0], classes, dtype)
    ones = _ones(classes, dtype)
    out = np.empty(x.shape[0], dtype)

    def block(start, stop, buffers):
        buffer, scratch = buffers
        k, rows, values = stop - start, x[start:stop], out[start:stop]
        if not from_logits:
            np.divide(picked[start:stop], _row_totals(rows, ones), out=values)
            np.clip(values, EPSILON, 1.0 - EPSILON, out=values)
            np.log(values, out=values)
            np.negative(values, out=values)
        elif not _unshifted_logsumexp(rows, blocks.rows_view(scratch, k), ones, values):
            loaded = blocks.load(buffer, rows)
            _logsumexp(loaded, scratch[: loaded.size].reshape(loaded.shape), blocks, values)

    extrema = blocks.run(block, 2, _watched(gather, y_pred=x))
    if from_logits:
        np.subtract(out, picked, out=out)
    if class_weight is not None:
        np.multiply(out, _weights(class_weight, dtype)[labels], out=out)
    if valid is not None:
        np.copyto(out, 0.0, where=~valid)
    return out.reshape(y_pred.shape[:-1])[()], extrema


# ----------------------------------------------------------------------------- the Loss object's path
#: Inputs of fewer elements than this take ``Loss.reference_call`` (per-sample values, then the
#: reduction): a small call is all Python overhead, which this path would only add to.
OBJECTIVE_MIN = 1 << 14


def plan(loss) -> Callable | None:
    """The per-call path of ``loss`` (a :class:`~losskit.core.Loss`) for NumPy arrays, or None where
    it has none: ``call(y_true, y_pred, sample_weight) -> objective`` (0-d), or None to hand the
    call to ``loss.reference_call``. For large inputs of a loss whose NumPy kernel has an
    ``objective``, it reduces block by block (the per-sample values are never written) with the
    value checks made from the extrema the blocks gather as they go; the reduction, weights and
    dtypes are :func:`losskit.core.reduce_values`'. The arguments that a finite total settles
    (:func:`~losskit.losses._prepare.settled_by_total`) gather no extrema; a total that is not
    finite has them checked in full (an infinite total that passes is a genuine overflow)."""
    spec = loss.spec
    fast = spec.kernels.get("numpy") if spec is not None and spec.native else None
    if fast is None or fast.objective is None or loss.reduction == "none" or not fast.option_names.issuperset(loss.options):
        return None
    options, reduction, name = dict(loss.options), loss.reduction, loss.name
    deferred = deferrable(spec)
    gathered = deferred - settled_by_total(spec, options, fast.non_finite_total(options))  # checked from extrema
    numpy_xp = _array.numpy_namespace()  # (here, not at import: importing it loads much of NumPy)

    def call(y_true, y_pred, sample_weight):
        if type(y_pred) is not np.ndarray or y_pred.size < OBJECTIVE_MIN:
            return None
        half = result_dtype(y_true, y_pred)
        xp, t, p, opts = prepare(spec, y_true, y_pred, options, xp=numpy_xp, defer=deferred)
        if spec.dtype_bounded:
            opts = spec.bounded(opts, p, xp)
        if not fast.covers(t, p, opts) or (spec.mask is not None and spec.mask(t, xp=xp, **opts) is not None):
            return None  # (the reference call makes the deferred checks)
        shape = p.shape[:-1]  # the per-sample values'
        weights = None
        if sample_weight is not None:
            like = np.broadcast_to(np.zeros((), p.dtype), shape)
            weights = align_weights(name, _array.asarray(sample_weight, xp, like=like), like, xp)
            weights = np.broadcast_to(weights, shape).reshape(-1)
        total, extrema = fast.objective(t, p, weights, gathered if value_checks_enabled() else None, **opts)
        check_extrema(spec, t, p, opts, xp, gathered if math.isfinite(total) else deferred, extrema)
        if math.isnan(total):
            return None  # the reference call decides (an edge a kernel leaves to the value kernel, NaN input)
        objective = np.asarray(_reduce(total, weights, math.prod(shape), reduction), p.dtype)
        return objective if half is None else objective.astype(half)

    return call


def _reduce(total: float, weights, count: int, reduction: str) -> float:
    """``reduce_values``' objective from ``total = sum(w * values)`` over ``count`` values."""
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        denominator = float(np.add.reduce(weights))
        return total / denominator if denominator else 0.0
    return total / count
