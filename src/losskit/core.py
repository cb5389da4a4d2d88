"""The Loss object: a loss function with its options, a reduction and sample weights.

``Loss(y_true, y_pred, sample_weight=None)`` returns the objective, a 0-d array: by default the
mean of the (weighted) per-sample values over all data points, exactly as Keras'
``sum_over_batch_size``. Reductions:

============================  ==============================================================
``"sum_over_batch_size"``     sum(w * loss) / number of values (the default; alias ``"mean"``)
``"sum"``                     sum(w * loss)
``"mean_with_sample_weight"`` sum(w * loss) / sum(w)
``"none"`` (or ``None``)      w * loss, per sample
============================  ==============================================================

Division by zero (no values, all weights 0, every label ignored) gives 0, never NaN.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import replace
from typing import Any, Callable

from . import _array, derivatives, fast
from .losses._link import IDENTITY, Link
from .losses._prepare import align_weights, prepare, result_dtype
from .losses._spec import LossInfo, LossSpec

REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none")

#: The record of a registered loss by name; set by :mod:`losskit.registry` (which imports this
#: module, so this one cannot import it) to unpickle registered user losses by name.
spec_by_name: Callable[[str], LossSpec] | None = None


class Loss:
    """A loss with bound options and a reduction. Build one with :func:`losskit.get`.

    Parameters
    ----------
    function : callable
        ``f(y_true, y_pred, **options) -> per-sample values``: a losskit loss function or any
        user callable.
    name : str, optional
        Shown in messages and plots; defaults to the loss's canonical name or the callable's name.
    reduction : str
        One of ``"sum_over_batch_size"`` (= ``"mean"``), ``"sum"``, ``"mean_with_sample_weight"``
        or ``"none"``.
    **options
        The loss's options (``from_logits``, ``delta``, ...), checked against its signature.
    """

    def __init__(self, function: Callable, *, name: str | None = None, reduction: str | None = "sum_over_batch_size", **options: Any):
        self.spec: LossSpec | None = getattr(function, "spec", None)
        self.function = function
        self.name = name or (self.spec.name if self.spec is not None else _callable_name(function))
        self.options = self.spec.resolve_options(options) if self.spec is not None else _callable_options(self.name, function, options)
        self.reduction = _check_reduction(self.name, reduction)
        self._routes: dict[type, fast.Route] = {}  # array type -> that library's path (losskit.fast.route)

    # ------------------------------------------------------------------ values
    def values(self, y_true, y_pred):
        """Per-sample values (no weights, no reduction)."""
        half = result_dtype(y_true, y_pred)
        xp, values, _ = self._evaluate(y_true, y_pred)
        return values if half is None else xp.astype(values, half)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced objective: a 0-d array (an array of per-sample values for ``"none"``).

        float16 and bfloat16 inputs are computed in float32 and the result returned in their
        dtype (float32 under PyTorch autocast). Arrays of a library with a fast path (PyTorch:
        :mod:`losskit.fast.torch`; NumPy's blockwise objective, :mod:`losskit.fast.numpy`) go
        through it, resolved once per array type and Loss."""
        route = self._routes.get(type(y_pred))
        if route is None:
            route = self._routes[type(y_pred)] = fast.route(self, type(y_pred))
        if route.call is not None and (sample_weight is None or route.weighted):
            objective = route.call(y_true, y_pred, sample_weight) if route.weighted else route.call(y_true, y_pred)
            if objective is not None:
                return objective
        return self.reference_call(y_true, y_pred, sample_weight, xp=route.xp if type(y_true) is type(y_pred) else None)

    def reference_call(self, y_true, y_pred, sample_weight=None, *, xp=None):
        """:meth:`__call__` without a library's fused path: ``prepare``, the record's kernel (a
        library's per-sample fast kernel where one covers the arrays), the reduction. ``xp``:
        the arrays' namespace, when known (the lookup cannot be traced by ``torch.compile``)."""
        half = result_dtype(y_true, y_pred)
        xp, values, mask = self._evaluate(y_true, y_pred, xp)
        objective = reduce_values(values, sample_weight, mask, self.reduction, xp, name=self.name)
        return objective if half is None else xp.astype(objective, half)

    def _evaluate(self, y_true, y_pred, xp=None):
        if self.spec is None:
            values = self.function(y_true, y_pred, **self.options)
            xp = _array.namespace(values, y_pred, y_true)
            values = _array.asarray(values, xp)
            if not xp.isdtype(values.dtype, "real floating"):
                values = xp.astype(values, xp.asarray(0.0).dtype)
            return xp, values, None
        xp, y_true, y_pred, options = prepare(self.spec, y_true, y_pred, self.options, xp=xp)
        values = self.spec.compute(y_true, y_pred, xp, options)
        mask = self.spec.mask(y_true, xp=xp, **options) if self.spec.mask is not None else None
        return xp, values, mask

    # ------------------------------------------------------------------ derivatives
    def gradient(self, y_true, y_pred, sample_weight=None):
        """d/d ``y_pred`` of the ``"sum"``-reduced objective ``sum(w * values)``: ``y_pred``'s shape."""
        return self.gradient_hessian(y_true, y_pred, sample_weight)[0]

    def hessian(self, y_true, y_pred, sample_weight=None, *, surrogate=False):
        """Diagonal of the second derivative of the ``"sum"``-reduced objective; ``surrogate=True``
        gives the loss's documented positive stand-in (``spec.hessian_kind``) for Newton-type learners."""
        return self.gradient_hessian(y_true, y_pred, sample_weight, surrogate=surrogate)[1]

    def gradient_hessian(self, y_true, y_pred, sample_weight=None, *, surrogate=False):
        """``(gradient, hessian)`` in one pass, in ``y_pred``'s namespace, dtype and shape. The
        reduction is always ``"sum"`` (what gradient boosting needs), whatever ``self.reduction`` is;
        ``sample_weight`` multiplies each sample's rows. Built-ins are analytic; a custom loss is
        differentiated automatically when ``y_pred`` is a PyTorch or JAX array (ValueError otherwise)."""
        half = result_dtype(y_true, y_pred)
        d = derivatives.unweighted(self, y_true, y_pred, surrogate=surrogate)
        grad, hess = d.gradient, d.hessian
        if sample_weight is not None:
            weights = align_weights(self.name, _array.asarray(sample_weight, d.xp, like=d.per_sample), d.per_sample, d.xp)
            weights = d.xp.reshape(weights, tuple(weights.shape) + (1,) * (grad.ndim - weights.ndim))
            grad, hess = grad * weights, hess * weights
        if half is not None:
            grad, hess = d.xp.astype(grad, half), d.xp.astype(hess, half)
        return d.restore(grad), d.restore(hess)

    # ------------------------------------------------------------------ metadata
    @property
    def link(self) -> Link:
        """How raw model outputs map to the predictions the loss measures (``link.inverse(raw)``,
        ``link(prediction)``, ``link.name``): the loss's own link; identity for a custom callable."""
        return self.spec.link if self.spec is not None else IDENTITY

    @property
    def info(self) -> LossInfo:
        """What the loss is for and what it accepts (see :class:`~losskit.losses._spec.LossInfo`)."""
        if self.spec is not None:
            info = self.spec.info(self.options)
            return info if info.name == self.name else _renamed(info, self.name)
        return LossInfo(name=self.name, options=dict(self.options), summary=_first_line(self.function))

    def get_config(self) -> dict[str, Any]:
        """Everything needed to rebuild the loss with ``losskit.get(config)`` (for built-ins)."""
        return {"name": self.name, "reduction": self.reduction, **self.options}

    def __repr__(self) -> str:
        defaults = self.spec.defaults if self.spec is not None else {}
        shown = [f"{k}={v!r}" for k, v in self.options.items() if _comparable(defaults.get(k, object())) != _comparable(v)]
        if self.reduction != "sum_over_batch_size":
            shown.append(f"reduction={self.reduction!r}")
        return f"Loss({', '.join([repr(self.name), *shown])})"

    # ------------------------------------------------------------------ protocols
    @property
    def __name__(self) -> str:  # what frameworks read off a function (jax.jit, Lightning, logging)
        return self.name

    def _identity(self) -> tuple:
        """What makes two Losses equal: the function, the name, the options in a canonical
        hashable form (a list, tuple or array of class weights alike) and the reduction."""
        return (self.function, self.name, _canonical(self.options), self.reduction)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Loss):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:  # equal configs, equal hashes (jax.jit keys its cache on it)
        return hash(self._identity())

    def __reduce__(self):
        """Pickled (and copied) by configuration: a built-in by its catalog function, which pickles
        by reference; a registered user loss by its registered name; a user callable by
        reference (it must itself pickle: a lambda does not). Fast-path plans are rebuilt."""
        options = dict(self.options)
        if self.spec is not None and not self.spec.native:
            return (_rebuild_registered, (self.spec.name, self.name, self.reduction, options))
        return (_rebuild, (self.function, self.name, self.reduction, options))


def _rebuild(function: Callable, name: str, reduction: str, options: dict[str, Any]) -> Loss:
    return Loss(function, name=name, reduction=reduction, **options)


def _rebuild_registered(spec_name: str, name: str, reduction: str, options: dict[str, Any]) -> Loss:
    return Loss(spec_by_name(spec_name).function, name=name, reduction=reduction, **options)


def _canonical(value: Any) -> Any:
    """A hashable form of an option value: sequences and arrays as tuples of their elements,
    dicts as sorted item tuples; equal values (``[1, 2]``, ``(1.0, 2.0)``, an array) agree."""
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        value = value.tolist()
    if isinstance(value, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def reduce_values(values, sample_weight, mask, reduction: str, xp, *, name: str = "loss"):
    """Weight and reduce per-sample ``values`` as Keras' ``reduce_weighted_values`` does.

    ``sample_weight`` of fewer dimensions than ``values`` weighs whole samples (trailing axes
    are added); a ``mask`` (ignored labels) joins the weights and, for the mean, rescales so that
    the mean is over the unmasked values only.
    """
    weights = None
    if sample_weight is not None:
        weights = align_weights(name, _array.asarray(sample_weight, xp, like=values), values, xp)
    if mask is not None:
        mask = xp.astype(mask, values.dtype)
        if reduction in ("sum_over_batch_size", "mean"):
            valid = xp.sum(mask)
            mask = mask * _divide_no_nan(xp.asarray(float(math.prod(values.shape)), dtype=values.dtype, device=_array.device(values)), valid, xp)
        weights = mask if weights is None else weights * mask
    if weights is not None:
        values = values * weights
    if reduction == "none":
        return values
    total_loss = xp.sum(values)
    if reduction == "sum":
        return total_loss
    if reduction == "mean_with_sample_weight" and weights is not None:
        return _divide_no_nan(total_loss, xp.sum(xp.broadcast_to(weights, values.shape)), xp)
    count = math.prod(values.shape)  # a Python int: dividing by it needs no guard against 0 / 0
    if not count:
        return xp.zeros_like(total_loss)
    mean = total_loss / count
    return xp.asarray(mean) if isinstance(mean, _array.np.generic) else mean  # NumPy's scalar back to a 0-d array


def _divide_no_nan(numerator, denominator, xp):
    """numerator / denominator, and 0 where the denominator is 0."""
    zero = denominator == 0
    return xp.where(zero, xp.zeros_like(numerator), numerator / xp.where(zero, xp.ones_like(denominator), denominator))


def _check_reduction(name: str, reduction: str | None) -> str:
    reduction = "none" if reduction is None else reduction
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: `reduction` must be one of {', '.join(REDUCTIONS)}; got {reduction!r}")
    return reduction


def _callable_options(name: str, function: Callable, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` of a user callable, checked against its signature where it has one."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # no signature to check against (some builtins)
        return dict(options)
    try:
        signature.bind(None, None, **options)
    except TypeError as error:
        raise ValueError(f"{name}: options {sorted(options)} do not fit its signature {signature}: {error}") from None
    return dict(options)


def _comparable(value: Any) -> Any:
    """An option value that ``==`` can compare: an array (class weights) as a list."""
    return value.tolist() if hasattr(value, "tolist") else value


def _callable_name(function: Callable) -> str:
    return getattr(function, "__name__", None) or type(function).__name__


def _first_line(function: Callable) -> str:
    doc = getattr(function, "__doc__", None) or ""
    return doc.strip().split("\n")[0]


def _renamed(info: LossInfo, name: str) -> LossInfo:
    return replace(info, name=name)
