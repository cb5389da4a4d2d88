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


def prepare(spec: LossSpec, y_true, y_pred, options: dict[str, Any], *, xp=None, defer: frozenset[str] = frozenset()):
    """``(xp, y_true, y_pred, options)`` ready for the kernels, from resolved ``options``
    (``xp``: ``y_pred``'s namespace when the caller knows it; looked up otherwise). ``defer``
    names the arguments (``"y_true"``, ``"y_pred"``) whose value checks the caller makes itself,
    from extrema gathered in its own pass over the data (:func:`check_extrema`).

    Both arrays in ``y_pred``'s namespace and device, ``y_true`` in ``y_pred``'s floating dtype
    (float32 for float16 and bfloat16: :func:`result_dtype`; integer labels for :attr:`Layout.LABELS`), the class axis moved last when the loss has an
    ``axis`` option (``options["axis"]`` then reads -1).
    """
    try:
        xp = xp or _array.namespace(y_pred, y_true)
    except TypeError:  # two array libraries (NumPy and Python lists join either)
        raise ValueError(
            f"{spec.name}: `y_true` and `y_pred` must come from one array library; "
            f"got y_true {type(y_true).__module__}.{type(y_true).__name__} and y_pred {type(y_pred).__module__}.{type(y_pred).__name__}"
        ) from None
    y_pred = _real_array(spec, "y_pred", y_pred, xp)
    y_true = _real_array(spec, "y_true", y_true, xp, like=y_pred)
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
    elif layout is Layout.SEQUENCE:
        if y_pred.ndim != 3 or y_true.ndim != 2 or y_true.shape[0] != y_pred.shape[0]:
            raise ValueError(
                f"{spec.name}: `y_true` must hold one label sequence per sample, shape (N, S), and `y_pred` per-frame "
                f"logits, shape (N, T, C); got y_true {tuple(y_true.shape)} and y_pred {tuple(y_pred.shape)}"
            )
    elif layout is Layout.BATCH:
        y_true, y_pred = _batch_shapes(spec, y_true, y_pred, xp)
        y_true = _as_float(y_true, dtype, xp)
    elif layout is Layout.SAME or layout is Layout.PER_SAMPLE:
        y_true, y_pred = _same_shapes(spec, y_true, y_pred, xp)
        y_true = _as_float(y_true, dtype, xp)
    else:
        y_true = _as_float(y_true, dtype, xp)

    if value_checks_enabled() and _array.values_readable(y_pred) and _array.values_readable(y_true):
        _check_values(spec, y_true, y_pred, options, xp, skip=defer)
    if layout in (Layout.LABELS, Layout.SEQUENCE) and not xp.isdtype(y_true.dtype, "integral"):
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


def _real_array(spec: LossSpec, arg: str, x, xp, *, like=None):
    """``x`` as an array of ``xp`` holding real numbers (floating, integer or boolean), or a
    ValueError naming the loss: complex values would lose their imaginary part in the float cast,
    and strings, None or dicts would fail deep inside NumPy."""
    if x is None or isinstance(x, str | bytes | dict):
        raise ValueError(f"{spec.name}: `{arg}` must be an array of real numbers; got {type(x).__name__} {_short(x)}")
    try:
        x = _array.asarray(x, xp, like=like)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{spec.name}: `{arg}` must be an array of real numbers; got {type(x).__name__} ({error})") from None
    if _array.is_real_numpy(x):  # the common case, without NumPy's slow isdtype
        return x
    for kind, words in (("complex floating", "complex"),):
        if xp.isdtype(x.dtype, kind):
            raise ValueError(
                f"{spec.name}: `{arg}` must be real; got {words} values ({x.dtype}): losses are real-valued, "
                "pass the real part or the magnitude explicitly"
            )
    if not _is_real_dtype(x.dtype, xp):
        raise ValueError(f"{spec.name}: `{arg}` must be an array of real numbers; got an array of dtype {x.dtype}")
    return x


def _is_real_dtype(dtype, xp) -> bool:
    try:
        return bool(xp.isdtype(dtype, ("real floating", "integral", "bool")))
    except (TypeError, ValueError):  # object, string and other dtypes the standard does not know
        return False


def _short(x) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _float_dtype(xp, y_pred, y_true):
    """The dtype the kernels compute in: the first floating dtype of ``y_pred``, ``y_true``, or the
    namespace's default float; float32 for float16 and bfloat16 (see :func:`result_dtype`)."""
    for a in (y_pred, y_true):
        if _array.is_real_numpy(a):
            dtype = _array.numpy_float_dtype(a)
            if dtype is not None:
                return dtype
        elif xp.isdtype(a.dtype, "real floating"):
            return xp.float32 if _array.is_half(a.dtype) else a.dtype
    return xp.asarray(0.0).dtype  # the namespace's default float


def result_dtype(y_true, y_pred):
    """The half-precision dtype the results go back to, or None (results stay in the working dtype).

    float16 and bfloat16 inputs are computed in float32 (their range and precision cannot carry
    a loss's terms: 1 - 1e-7 rounds to 1, a sum of 1,000 values overflows float16); the results
    return in the input's dtype, except under PyTorch autocast, where they stay float32 as
    PyTorch's own losses do."""
    for a in (y_pred, y_true):
        dtype = getattr(a, "dtype", None)
        if dtype is not None and _array.is_half(dtype):
            return None if _array.autocast_enabled(a) else dtype
        if dtype is not None and _array.is_floating_name(dtype):
            return None
    return None


def _as_float(x, dtype, xp):
    return x if x.dtype == dtype else xp.astype(x, dtype)


def _check_axis(spec: LossSpec, axis: int, ndim: int) -> None:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{spec.name}: `axis` must be in [{-ndim}, {ndim}) for `y_pred` of rank {ndim}; got {axis}")


def _at_least_1d(x, xp):
    return xp.reshape(x, (1,)) if x.ndim == 0 else x


def _same_shapes(spec: LossSpec, y_true, y_pred, xp):
    """Keras 3's rule (``squeeze_or_expand_to_same_rank``): when the ranks differ by one and the
    longer side ends in a unit axis, a 1-D other side gains that axis ((N,) against (N, 1) is N
    samples of one value), any other loses it; then the shapes must be equal (no silent
    broadcasting of (N,) against (N, 1) into (N, N))."""
    y_true, y_pred = _at_least_1d(y_true, xp), _at_least_1d(y_pred, xp)
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        if y_pred.ndim == 1:
            y_pred = xp.expand_dims(y_pred, axis=-1)
        else:
            y_true = xp.squeeze(y_true, axis=-1)
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        if y_true.ndim == 1:
            y_true = xp.expand_dims(y_true, axis=-1)
        else:
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


def _batch_shapes(spec: LossSpec, y_true, y_pred, xp):
    """Metric learning: ``y_pred`` one embedding per sample (N, D), ``y_true`` one label each (N,)."""
    if y_true.ndim == 2 and y_true.shape[-1] == 1:
        y_true = xp.squeeze(y_true, axis=-1)
    if y_pred.ndim != 2 or tuple(y_true.shape) != (y_pred.shape[0],):
        raise ValueError(
            f"{spec.name}: `y_pred` must hold one embedding per sample, shape (N, D), and `y_true` one label per sample, "
            f"shape (N,); got y_true {tuple(y_true.shape)} and y_pred {tuple(y_pred.shape)}"
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


def align_weights(name: str, weights, values, xp):
    """``weights`` in ``values``' dtype, with trailing axes added (or unit ones dropped) so that
    they broadcast against ``values``; any other shape is an error, never a silent broadcast."""
    if weights.dtype != values.dtype:
        weights = xp.astype(weights, values.dtype)
    while weights.ndim > values.ndim and weights.shape[-1] == 1:
        weights = xp.squeeze(weights, axis=-1)
    while 0 < weights.ndim < values.ndim:
        weights = weights[..., None]
    fits = weights.ndim <= values.ndim and all(w in (1, v) for w, v in zip(weights.shape[::-1], values.shape[::-1]))
    if not fits:
        raise ValueError(
            f"{name}: `sample_weight` must have one weight per sample, shape {tuple(values.shape)} "
            f"or a prefix of it; got {tuple(weights.shape)}"
        )
    return weights


# ----------------------------------------------------------------------------- value checks
def _check_values(spec: LossSpec, y_true, y_pred, opts: dict[str, Any], xp, skip: frozenset[str] = frozenset()) -> None:
    if "y_pred" not in skip:
        _check_y_pred(spec, y_true, y_pred, opts, xp)
    if "y_true" not in skip:
        labels = y_true
        if spec.layout is Layout.LABELS and opts.get("ignore_class") is not None:
            labels = xp.where(y_true == opts["ignore_class"], xp.zeros_like(y_true), y_true)
        _check_domain(spec, "y_true", labels, spec.y_true_domain(opts), xp, num_classes=y_pred.shape[-1])


def _check_y_pred(spec: LossSpec, y_true, y_pred, opts: dict[str, Any], xp) -> None:
    if spec.layout is Layout.MEAN_VARIANCE:
        d = y_true.shape[-1]
        _check_domain(spec, "y_pred", y_pred[..., :d], REAL, xp, what="means of `y_pred`")
        variance_domain = REAL if spec.takes_raw(opts) else NON_NEGATIVE
        _check_domain(spec, "y_pred", y_pred[..., d:], variance_domain, xp, what="variances of `y_pred`")
    else:
        _check_domain(spec, "y_pred", y_pred, spec.y_pred_domain(opts), xp)


def deferrable(spec: LossSpec) -> frozenset[str]:
    """The arguments whose value checks a kernel may make from extrema it gathers: both, or
    ``y_pred`` alone where ``y_true`` holds labels (checked before their cast to integers)."""
    return frozenset({"y_pred"} if spec.layout is Layout.LABELS else {"y_true", "y_pred"})


def check_extrema(spec: LossSpec, y_true, y_pred, opts: dict[str, Any], xp, deferred: frozenset[str], extrema: dict[str, tuple]) -> None:
    """The value checks :func:`prepare` deferred (``deferred``), made from each argument's
    ``(min, max)`` that a kernel gathered as it went (``extrema``; a NaN makes them NaN): an
    argument whose range settles it costs nothing more; any other (out of its domain, NaN, a
    domain that min and max cannot settle, or no extrema gathered) is checked in full, which
    words the error exactly as :func:`prepare` would."""
    if not value_checks_enabled():
        return
    for arg in ("y_pred", "y_true"):  # prepare's order: with both out of their domains, y_pred's error
        if arg not in deferred:
            continue
        domain = spec.y_pred_domain(opts) if arg == "y_pred" else spec.y_true_domain(opts)
        if domain is None or (arg in extrema and _known_within(domain, xp.asarray(extrema[arg]), xp, y_pred.shape[-1])):
            continue
        _check_values(spec, y_true, y_pred, opts, xp, skip=frozenset({"y_true", "y_pred"} - {arg}))


def settled_by_total(spec: LossSpec, options: dict[str, Any], revealing) -> frozenset[str]:
    """Those of ``revealing`` (the arguments a NaN or infinity in which always makes a kernel's
    total NaN or infinite) whose domain under ``options`` holds every finite number: a finite total
    proves all their values finite, so within their domain, and their checks need no extrema. (A
    non-finite total proves nothing: :func:`check_extrema` then checks them in full.)"""
    domains = {"y_true": spec.y_true_domain(options), "y_pred": spec.y_pred_domain(options)}
    return frozenset(arg for arg in revealing if _holds_every_finite(domains[arg]))


def _holds_every_finite(domain) -> bool:
    return isinstance(domain, Interval) and domain.low == -math.inf and domain.high == math.inf


def _known_within(domain, x, xp, num_classes: int) -> bool:
    """Whether ``x`` lies in ``domain`` by the domain's cheap test (min and max); False: not known."""
    if isinstance(domain, ClassIndices):
        return domain.all_within(x, xp, num_classes)
    return hasattr(domain, "all_within") and domain.all_within(x, xp)  # (a user's domain may have only ``contains``)


def _check_domain(spec: LossSpec, arg: str, x, domain, xp, *, what: str | None = None, num_classes: int = 0) -> None:
    if domain is None or math.prod(x.shape) == 0:
        return
    if _known_within(domain, x, xp, num_classes):
        return
    if isinstance(domain, ClassIndices):
        if bool(xp.all(domain.contains(x, xp, num_classes))):
            return
    elif bool(xp.all(domain.contains(x, xp))):
        return
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
