"""The runtime of a record: inputs made ready for a loss's kernels, value checks, and the way back.

:func:`prepare` is shared by every loss: one namespace lookup, ``y_true`` in ``y_pred``'s
namespace, device and floating dtype, the class axis moved last, Keras' shape rule, and
(switchable) value checks with errors that name the loss. :func:`restorer` undoes its layout
changes, so derivatives come back in the layout of the ``y_pred`` that was passed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

from .. import _array
from .._config import value_checks_enabled
from ._domain import NON_NEGATIVE, REAL, ClassIndices, Interval, Labels, Layout

if TYPE_CHECKING:
    from ._spec import LossSpec


def prepare(spec: LossSpec, y_true, y_pred, options: dict[str, Any]):
    """``(xp, y_true, y_pred, options)`` ready for the kernels, from resolved ``options``.

    Both arrays in ``y_pred``'s namespace and device, ``y_true`` in ``y_pred``'s floating dtype
    (integer labels for :attr:`Layout.LABELS`), the class axis moved last when the loss has an
    ``axis`` option (``options["axis"]`` then reads -1).
    """
    try:
        xp = _array.namespace(y_pred, y_true)
    except TypeError:  # two array libraries (NumPy and Python lists join either)
        raise ValueError(
            f"{spec.name}: `y_true` and `y_pred` must come from one array library; "
            f"got y_true {type(y_true).__module__}.{type(y_true).__name__} and y_pred {type(y_pred).__module__}.{type(y_pred).__name__}"
        ) from None
    y_pred = _array.asarray(y_pred, xp)
    y_true = _array.asarray(y_true, xp, like=y_pred)
    dtype = _float_dtype(xp, y_pred, y_true)
    y_pred = _as_float(y_pred, dtype, xp)
    layout = spec.layout

    axis = options.get("axis")
    if axis is not None and axis != -1 and axis != y_pred.ndim - 1:
        _check_axis(spec, axis, y_pred.ndim)
        y_true, y_pred = move_class_axis(y_true, y_pred, axis, layout, xp)
        options = {**options, "axis": -1}

    if layout is Layout.LABELS:
        y_true, y_pred = _label_shapes(spec, y_true, y_pred, xp)
    elif layout is Layout.MEAN_VARIANCE:
        y_true, y_pred = _mean_variance_shapes(spec, y_true, y_pred, xp)
        y_true = _as_float(y_true, dtype, xp)
    elif layout is Layout.SAME:
        y_true, y_pred = _same_shapes(spec, y_true, y_pred, xp)
        y_true = _as_float(y_true, dtype, xp)
    else:
        y_true = _as_float(y_true, dtype, xp)

    if value_checks_enabled() and not (_array.is_lazy(y_true) or _array.is_lazy(y_pred)):
        _check_values(spec, y_true, y_pred, options, xp)
    if layout is Layout.LABELS and not xp.isdtype(y_true.dtype, "integral"):
        y_true = xp.astype(y_true, xp.asarray(0).dtype)  # the default integer: int32 in JAX without x64
    return xp, y_true, y_pred, options


def move_class_axis(y_true, y_pred, axis: int, layout: Layout, xp):
    """``y_pred``'s class ``axis`` moved last, and ``y_true``'s with it where it has one."""
    if axis in (-1, y_pred.ndim - 1):
        return y_true, y_pred
    y_pred = xp.moveaxis(y_pred, axis, -1)
    if layout is not Layout.LABELS and y_true.ndim == y_pred.ndim:
        y_true = xp.moveaxis(y_true, axis, -1)
    return y_true, y_pred


def restorer(shape: tuple[int, ...], axis: int | None, xp) -> Callable:
    """The inverse of :func:`prepare`'s layout changes for an array of the prepared ``y_pred``'s
    layout: the class axis moved back, a squeezed or added unit axis restored (``shape``: the
    ``y_pred`` that was passed)."""
    moved = axis is not None and len(shape) > 0 and axis % len(shape) != len(shape) - 1
    if not moved:
        return lambda a: a if tuple(a.shape) == shape else xp.reshape(a, shape)
    axis = axis % len(shape)
    working = shape[:axis] + shape[axis + 1 :] + (shape[axis],)
    return lambda a: xp.moveaxis(xp.reshape(a, working), -1, axis)


def _float_dtype(xp, y_pred, y_true):
    for a in (y_pred, y_true):
        if xp.isdtype(a.dtype, "real floating"):
            return a.dtype
    return xp.asarray(0.0).dtype  # the namespace's default float


def _as_float(x, dtype, xp):
    return x if x.dtype == dtype else xp.astype(x, dtype)


def _check_axis(spec: LossSpec, axis: int, ndim: int) -> None:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{spec.name}: `axis` must be in [{-ndim}, {ndim}) for `y_pred` of rank {ndim}; got {axis}")


def _at_least_1d(x, xp):
    return xp.reshape(x, (1,)) if x.ndim == 0 else x


def _same_shapes(spec: LossSpec, y_true, y_pred, xp):
    """Keras' rule: squeeze one trailing unit axis when the ranks differ by one; then the
    shapes must be equal (no silent broadcasting of (N,) against (N, 1) into (N, N))."""
    y_true, y_pred = _at_least_1d(y_true, xp), _at_least_1d(y_pred, xp)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = xp.squeeze(y_true, axis=-1)
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_pred = xp.squeeze(y_pred, axis=-1)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(
            f"{spec.name}: `y_true` and `y_pred` must have the same shape; "
            f"got y_true {tuple(y_true.shape)} and y_pred {tuple(y_pred.shape)}"
        )
    return y_true, y_pred


def _label_shapes(spec: LossSpec, y_true, y_pred, xp):
    """Sparse labels: ``y_true`` has ``y_pred``'s shape without the class axis (or a trailing 1)."""
    if y_pred.ndim == 0:
        raise ValueError(f"{spec.name}: `y_pred` must have a class axis; got shape ()")
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = xp.squeeze(y_true, axis=-1)
    if tuple(y_true.shape) != tuple(y_pred.shape[:-1]):
        raise ValueError(
            f"{spec.name}: `y_true` must hold one class label per row of `y_pred`, shape "
            f"{tuple(y_pred.shape[:-1])}; got y_true {tuple(y_true.shape)} and y_pred {tuple(y_pred.shape)}"
        )
    return y_true, y_pred


def _mean_variance_shapes(spec: LossSpec, y_true, y_pred, xp):
    """``y_pred`` holds means then variances on its last axis: twice ``y_true``'s last axis."""
    y_true = _at_least_1d(y_true, xp)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    if y_pred.ndim == 0 or tuple(y_true.shape[:-1]) != tuple(y_pred.shape[:-1]) or y_pred.shape[-1] != 2 * y_true.shape[-1]:
        raise ValueError(
            f"{spec.name}: `y_pred` must be `y_true` with its last axis doubled (means, then variances); "
            f"got y_true {tuple(y_true.shape)} and y_pred {tuple(y_pred.shape)}"
        )
    return y_true, y_pred


# ----------------------------------------------------------------------------- value checks
def _check_values(spec: LossSpec, y_true, y_pred, opts: dict[str, Any], xp) -> None:
    if spec.layout is Layout.MEAN_VARIANCE:
        d = y_true.shape[-1]
        _check_domain(spec, "y_pred", y_pred[..., :d], REAL, xp, what="means of `y_pred`")
        variance_domain = REAL if spec.takes_raw(opts) else NON_NEGATIVE
        _check_domain(spec, "y_pred", y_pred[..., d:], variance_domain, xp, what="variances of `y_pred`")
    else:
        _check_domain(spec, "y_pred", y_pred, spec.y_pred_domain(opts), xp)
    labels = y_true
    if spec.layout is Layout.LABELS and opts.get("ignore_class") is not None:
        labels = xp.where(y_true == opts["ignore_class"], xp.zeros_like(y_true), y_true)
    _check_domain(spec, "y_true", labels, spec.y_true, xp, num_classes=y_pred.shape[-1])


def _check_domain(spec: LossSpec, arg: str, x, domain, xp, *, what: str | None = None, num_classes: int = 0) -> None:
    if domain is None or math.prod(x.shape) == 0:
        return
    if isinstance(domain, ClassIndices):
        if domain.all_within(x, xp, num_classes) or bool(xp.all(domain.contains(x, xp, num_classes))):
            return
    elif (hasattr(domain, "all_within") and domain.all_within(x, xp)) or bool(xp.all(domain.contains(x, xp))):
        return  # (a user's domain may have only ``contains``)
    what = what or f"`{arg}`"
    seen = _describe(x, xp)
    if isinstance(domain, ClassIndices):
        expected = f"integers in [0, {num_classes})"
    else:
        expected = f"values in {domain}" if isinstance(domain, Labels | Interval) else str(domain)
    raise ValueError(f"{spec.name}: {what} must be {expected}; got {seen}")


def _describe(x, xp) -> str:
    """min/max (and NaN count) of ``x``, for error messages."""
    xf = x if xp.isdtype(x.dtype, "real floating") else xp.astype(x, xp.float64)
    nan = xp.isnan(xf)
    n_nan = int(xp.sum(xp.astype(nan, xp.int64)))
    if n_nan == math.prod(xf.shape):
        return f"{n_nan} NaN (every value)"
    lo = float(xp.min(xp.where(nan, xp.full_like(xf, math.inf), xf)))
    hi = float(xp.max(xp.where(nan, xp.full_like(xf, -math.inf), xf)))
    text = f"min={lo:g}, max={hi:g}"
    return text + (f" and {n_nan} NaN" if n_nan else "")
