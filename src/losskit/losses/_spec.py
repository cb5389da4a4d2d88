"""How a loss is declared: one small record per loss, next to its kernel.

``@define(...)`` turns a kernel ``kernel(y_true, y_pred, *, xp, **options) -> per-sample values``
into the public loss function. The record (a :class:`LossSpec`) carries the name, aliases,
tasks, the domains of ``y_true`` and ``y_pred``, the final activations the loss expects, its
formula and references. Everything common to all losses lives here once: namespace and dtype
handling, the Keras shape rule, option checks and value checks with errors that name the loss.
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import _array, fast
from .._config import value_checks_enabled
from ._domain import NON_NEGATIVE, REAL, ClassIndices, Interval, Labels

#: Every built-in loss, in declaration order; the registry indexes it.
CATALOG: list[LossSpec] = []


# ----------------------------------------------------------------------------- options
@dataclass(frozen=True)
class Check:
    """A condition on an option value, with the words for an error message."""

    test: Callable[[Any], bool]
    expected: str


POSITIVE_NUMBER = Check(lambda v: _is_real(v) and v > 0, "a positive number")
NON_NEGATIVE_NUMBER = Check(lambda v: _is_real(v) and v >= 0, "a number >= 0")
UNIT_NUMBER = Check(lambda v: _is_real(v) and 0 <= v <= 1, "a number in [0, 1]")
OPEN_UNIT_NUMBER = Check(lambda v: _is_real(v) and 0 < v < 1, "a number in (0, 1)")
BOOLEAN = Check(lambda v: isinstance(v, bool), "True or False")
AXIS = Check(lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer axis")
OPTIONAL_INT = Check(lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)), "None or an integer")
OPTIONAL_POSITIVE = Check(lambda v: v is None or (_is_real(v) and v > 0), "None or a positive number")


def _is_real(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


# ----------------------------------------------------------------------------- the record
@dataclass
class LossSpec:
    """Everything losskit knows about one loss. Options like ``from_logits`` select the
    ``*_logits`` variants of the domain and activations (derived, never duplicated)."""

    name: str
    kernel: Callable
    tasks: tuple[str, ...]
    y_true: Any
    y_pred: Any
    activations: tuple[str, ...]
    formula: str
    latex: str
    aliases: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()
    y_pred_logits: Any = None
    activations_logits: tuple[str, ...] = ("linear",)
    shapes: str = "same"  # "same" | "labels" (sparse class labels) | "mean_variance" | "any"
    checks: dict[str, Check] = field(default_factory=dict)
    mask: Callable | None = None
    function: Callable | None = None
    native: bool = True  # False for user losses: their kernel takes no ``xp``
    # ``(y_true, y_pred, *, xp, surrogate=False, **options) -> (gradient, hessian diagonal)`` of
    # sum(values), attached by ``losskit.derivatives``; ``hessian_kind``: "exact" or "surrogate: ...".
    gradient_hessian: Callable | None = None
    hessian_kind: str = ""

    @property
    def defaults(self) -> dict[str, Any]:
        """The options of the loss with their default values, from the kernel's signature."""
        return dict(self._defaults)

    @functools.cached_property
    def _defaults(self) -> dict[str, Any]:  # reading a signature costs more than most small losses
        params = list(inspect.signature(self.kernel).parameters.values())[2:]
        return {p.name: p.default for p in params if p.default is not p.empty and p.name != "xp"}

    def compute(self, y_true, y_pred, xp, options: dict[str, Any]):
        """Per-sample values of prepared inputs (see :func:`prepare`): the fast kernel of ``xp``'s
        library where :mod:`losskit.fast` has one for this loss and options, else the generic one."""
        if not self.native:
            return self.kernel(y_true, y_pred, **options)
        fast_kernel = fast.kernel_for(xp, self.name, y_true, y_pred, options)
        if fast_kernel is not None:
            return fast_kernel(y_true, y_pred, **options)
        return self.kernel(y_true, y_pred, xp=xp, **options)

    def info(self, options: dict[str, Any] | None = None) -> LossInfo:
        """The metadata of the loss with ``options`` applied (``from_logits`` changes the
        domain of ``y_pred`` and the final activation it expects)."""
        options = self.resolve_options(options or {})
        return LossInfo(
            name=self.name,
            aliases=self.aliases,
            tasks=self.tasks,
            y_true_domain=self.y_true,
            y_pred_domain=self.y_pred_domain(options),
            activations=self.final_activations(options),
            properties=self.properties,
            formula=self.formula,
            latex=self.latex,
            references=self.references,
            options=options,
            summary=self.summary,
            builtin=self.native,
        )

    @property
    def summary(self) -> str:
        doc = inspect.getdoc(self.kernel) or ""
        return doc.split("\n\n")[0].replace("\n", " ")

    def resolve_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``options``; unknown names and bad values raise ValueError."""
        defaults = self.defaults
        unknown = sorted(set(options) - set(defaults))
        if unknown:
            known = ", ".join(defaults) or "none"
            raise ValueError(f"{self.name}: unknown option {unknown[0]!r}; its options are: {known}")
        resolved = {**defaults, **options}
        for key, value in options.items():
            check = self.checks.get(key, BOOLEAN if isinstance(defaults[key], bool) else None)
            if check is not None and not check.test(value):
                raise ValueError(f"{self.name}: `{key}` must be {check.expected}; got {value!r}")
        return resolved

    def uses_logits(self, options: dict[str, Any]) -> bool:
        return bool(options.get("from_logits") or options.get("log_input"))

    def y_pred_domain(self, options: dict[str, Any]):
        if self.y_pred_logits is not None and self.uses_logits(options):
            return self.y_pred_logits
        return self.y_pred

    def final_activations(self, options: dict[str, Any]) -> tuple[str, ...]:
        if self.y_pred_logits is not None and self.uses_logits(options):
            return self.activations_logits
        return self.activations


@dataclass(frozen=True)
class LossInfo:
    """What a loss is for and what it accepts: ``loss.info``.

    Domains are :mod:`losskit.losses._domain` objects (``str()`` gives ``[0, 1]``-style text);
    ``None`` means unknown (a custom callable that declared nothing).
    """

    name: str
    aliases: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    y_true_domain: Any = None
    y_pred_domain: Any = None
    activations: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()
    formula: str = ""
    latex: str = ""
    references: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    builtin: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (domains as text)."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "tasks": list(self.tasks),
            "y_true_domain": None if self.y_true_domain is None else str(self.y_true_domain),
            "y_pred_domain": None if self.y_pred_domain is None else str(self.y_pred_domain),
            "activations": list(self.activations),
            "properties": list(self.properties),
            "formula": self.formula,
            "latex": self.latex,
            "references": list(self.references),
            "options": {k: v if isinstance(v, bool | int | float | str | None) else repr(v) for k, v in self.options.items()},
            "summary": self.summary,
        }


# ----------------------------------------------------------------------------- declaring
def define(**record: Any) -> Callable[[Callable], Callable]:
    """Declare a loss: ``@define(name=..., tasks=..., y_true=..., ...)`` above its kernel.

    Returns the public function ``f(y_true, y_pred, **options) -> per-sample values`` and
    appends the record to :data:`CATALOG`.
    """

    def wrap(kernel: Callable) -> Callable:
        spec = LossSpec(kernel=kernel, **record)
        CATALOG.append(spec)
        return attach_function(spec)

    return wrap


def attach_function(spec: LossSpec) -> Callable:
    """Build ``spec``'s public function (prepare the inputs, then the kernel) and store it on the
    spec; the function carries the kernel's name, docstring and options, and ``.spec``."""

    @functools.wraps(spec.kernel)
    def loss_function(y_true, y_pred, **options):
        xp, y_true, y_pred, opts = prepare(spec, y_true, y_pred, options)
        return spec.compute(y_true, y_pred, xp, opts)

    del loss_function.__wrapped__
    params = [p for p in inspect.signature(spec.kernel).parameters.values() if p.name != "xp"]
    loss_function.__signature__ = inspect.Signature(params)
    loss_function.__name__ = spec.name
    loss_function.spec = spec
    spec.function = loss_function
    return loss_function


# ----------------------------------------------------------------------------- preparing inputs
def prepare(spec: LossSpec, y_true, y_pred, options: dict[str, Any]):
    """Namespace, dtype, shapes and (switchable) value checks shared by every loss.

    Returns ``(xp, y_true, y_pred, options)`` ready for the kernel: both arrays in ``y_pred``'s
    namespace and device, ``y_true`` in ``y_pred``'s floating dtype (integer labels for
    ``shapes="labels"``), the class axis moved last when the loss has an ``axis`` option.
    """
    opts = spec.resolve_options(options)
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

    axis = opts.get("axis")
    if axis is not None and axis != -1 and axis != y_pred.ndim - 1:
        _check_axis(spec, axis, y_pred.ndim)
        y_pred = xp.moveaxis(y_pred, axis, -1)
        if spec.shapes != "labels":
            y_true = xp.moveaxis(y_true, axis, -1) if y_true.ndim == y_pred.ndim else y_true
        opts = {**opts, "axis": -1}

    if spec.shapes == "labels":
        y_true, y_pred = _label_shapes(spec, y_true, y_pred)
    elif spec.shapes == "mean_variance":
        y_true, y_pred = _mean_variance_shapes(spec, y_true, y_pred)
        y_true = _as_float(y_true, dtype, xp)
    elif spec.shapes == "same":
        y_true, y_pred = _same_shapes(spec, y_true, y_pred)
        y_true = _as_float(y_true, dtype, xp)
    else:
        y_true = _as_float(y_true, dtype, xp)

    if value_checks_enabled() and not (_array.is_lazy(y_true) or _array.is_lazy(y_pred)):
        _check_values(spec, y_true, y_pred, opts, xp)
    if spec.shapes == "labels" and not xp.isdtype(y_true.dtype, "integral"):
        y_true = xp.astype(y_true, xp.asarray(0).dtype)  # the default integer: int32 in JAX without x64
    return xp, y_true, y_pred, opts


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


def _same_shapes(spec: LossSpec, y_true, y_pred):
    """Keras' rule: squeeze one trailing unit axis when the ranks differ by one; then the
    shapes must be equal (no silent broadcasting of (N,) against (N, 1) into (N, N))."""
    xp = _array.namespace(y_pred)
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


def _label_shapes(spec: LossSpec, y_true, y_pred):
    """Sparse labels: ``y_true`` has ``y_pred``'s shape without the class axis (or a trailing 1)."""
    xp = _array.namespace(y_pred)
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


def _mean_variance_shapes(spec: LossSpec, y_true, y_pred):
    """``y_pred`` holds means then variances on its last axis: twice ``y_true``'s last axis."""
    xp = _array.namespace(y_pred)
    y_true = _at_least_1d(y_true, xp)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    if y_pred.ndim == 0 or tuple(y_true.shape[:-1]) != tuple(y_pred.shape[:-1]) or y_pred.shape[-1] != 2 * y_true.shape[-1]:
        raise ValueError(
            f"{spec.name}: `y_pred` must be `y_true` with its last axis doubled (means, then variances); "
            f"got y_true {tuple(y_true.shape)} and y_pred {tuple(y_pred.shape)}"
        )
    return y_true, y_pred


def _check_values(spec: LossSpec, y_true, y_pred, opts: dict[str, Any], xp) -> None:
    y_pred_domain = spec.y_pred_domain(opts)
    if spec.shapes == "mean_variance":
        d = y_true.shape[-1]
        _check_domain(spec, "y_pred", y_pred[..., :d], REAL, xp, what="means of `y_pred`")
        variance_domain = REAL if opts.get("log_input") else NON_NEGATIVE
        _check_domain(spec, "y_pred", y_pred[..., d:], variance_domain, xp, what="variances of `y_pred`")
    else:
        _check_domain(spec, "y_pred", y_pred, y_pred_domain, xp)
    labels = y_true
    if spec.shapes == "labels" and opts.get("ignore_class") is not None:
        labels = xp.where(y_true == opts["ignore_class"], xp.zeros_like(y_true), y_true)
    _check_domain(spec, "y_true", labels, spec.y_true, xp, num_classes=y_pred.shape[-1])


def _check_domain(spec: LossSpec, arg: str, x, domain, xp, *, what: str | None = None, num_classes: int = 0) -> None:
    if domain is None or math.prod(x.shape) == 0 or fast.all_within(xp, x, domain, num_classes):
        return
    ok = domain.contains(x, xp, num_classes) if isinstance(domain, ClassIndices) else domain.contains(x, xp)
    if bool(xp.all(ok)):
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
