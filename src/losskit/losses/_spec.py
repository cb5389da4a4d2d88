"""The record of a loss: one small :class:`LossSpec` per loss, declared next to its kernel.

``@define(...)`` turns a value kernel ``kernel(y_true, y_pred, *, xp, **options) -> per-sample
values`` into the public loss function and appends its record to :data:`CATALOG`. The record is
the single owner of what losskit knows about the loss:

- what it is: name, aliases, tasks, formula, references, human-readable ``properties``;
- what it accepts: the domains of ``y_true`` and ``y_pred``, the target layout (:class:`Target`,
  :class:`Layout`), its **link** (:mod:`._link`: the raw-output form selected by ``from_logits``
  or ``log_input``), the final activations it expects, option checks;
- typed facts other layers need: ``margin_based`` (a signed score, decided at 0), the
  ``intercept`` rule (the best constant prediction);
- its implementations: the value kernel, the analytic derivatives (``@loss.derivatives(...)``,
  in the same family file) and the per-library fast kernels (``@loss.fast("numpy", ...)``,
  registered by :mod:`losskit.fast`, which imports the catalog: never the other way).

Nothing above the catalog keeps a table keyed by loss name: it asks the record.
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import _array
from ._domain import Intercept, Layout, Target
from ._link import IDENTITY, Link
from ._prepare import check_extrema, prepare, result_dtype

#: Every built-in loss, in declaration order; the registry indexes it.
CATALOG: list[LossSpec] = []

#: The smallest surrogate Hessian element (XGBoost's ``max(p (1 - p), 1e-16)``).
HESSIAN_FLOOR = 1e-16


# ----------------------------------------------------------------------------- options
@dataclass(frozen=True)
class Check:
    """A condition on an option value, with the words for an error message."""

    test: Callable[[Any], bool]
    expected: str
    #: ``value -> the value the kernels get`` (e.g. a ``{class: weight}`` dict as a tuple), or None.
    convert: Callable[[Any], Any] | None = None


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


# ----------------------------------------------------------------------------- implementations
@dataclass(frozen=True)
class FastKernel:
    """A library's fast kernel of a loss: ``kernel(y_true, y_pred, **options)`` computes the
    value kernel's per-sample values for the prepared arrays and options that ``accepts`` covers;
    ``option_names`` are the kernel's keyword parameters (an option it does not know falls back)."""

    kernel: Callable
    accepts: Callable
    option_names: frozenset[str]
    #: The reduced objective of a library's fused loss, in the form that library's per-call path
    #: (:mod:`losskit.fast`) takes instead of reducing the per-sample values: PyTorch binds it once
    #: per Loss, ``objective(sum_, **options) -> total(y_true, y_pred) -> 0-d or None`` (the sum
    #: if ``sum_``, else the mean over samples); NumPy calls ``objective(y_true, y_pred, weights,
    #: gather, **options) -> (total, extrema)``. None: no fused form.
    objective: Callable | None = None
    #: Whether a NaN in the kernel's result sends the call to the value kernel: for kernels with
    #: overflow edges they do not guard (checked by one reduction per call, so only where needed).
    nan_fallback: bool = False
    #: A derivative kernel that floors a surrogate Hessian at :data:`HESSIAN_FLOOR` itself (in its
    #: pass over the data), so the record's wrapper does not make another.
    floors: bool = False
    #: A derivative kernel that takes ``extrema``: a dict it fills with each argument's ``(min,
    #: max)`` (:func:`._prepare.check_extrema`), so that value checks need no passes of their own.
    gathers: bool = False
    #: ``options -> arguments`` a NaN or infinity in which always makes the ``objective``'s total
    #: NaN or infinite (the other argument in its domain): where such an argument's domain holds
    #: every finite number, a finite total settles its value checks (:func:`._prepare.settled_by_total`).
    non_finite_total: Callable[[dict[str, Any]], tuple[str, ...]] = lambda options: ()

    def covers(self, y_true, y_pred, options: dict[str, Any]) -> bool:
        return self.option_names.issuperset(options) and self.accepts(y_true, y_pred, options)


# ----------------------------------------------------------------------------- the record
@dataclass(eq=False)
class LossSpec:
    """Everything losskit knows about one loss (see the module docstring). Options like
    ``from_logits`` select the link's raw domain and activations (derived, never duplicated)."""

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
    properties: tuple[str, ...] = ()  # words for people; no behaviour reads them
    target: Target | None = None  # None: a user loss that declared none
    layout: Layout = Layout.SAME
    link: Link = IDENTITY
    margin_based: bool = False  # y_pred is a signed score, decided at 0
    divides_by_target: bool = False  # errors are relative to |y_true| (a target of 0 weighs 1e7 times)
    counters_imbalance: bool = False  # a focal term down-weights the easy (common) class
    intercept: Intercept = Intercept.LINK_OF_MEAN
    checks: dict[str, Check] = field(default_factory=dict)
    mask: Callable | None = None
    # ``options -> (y_true domain, y_pred domain)`` where an option changes them (tweedie's power);
    # None: ``y_true`` and ``y_pred`` above, whatever the options (the raw form's domain still wins)
    domains: Callable[[dict[str, Any]], tuple[Any, Any]] | None = None
    # options that every kernel gets clipped to the inputs' largest finite number (huber's ``delta``
    # of 1e300 is float32's max there: the same loss on every finite input, and no inf * 0)
    dtype_bounded: tuple[str, ...] = ()
    function: Callable | None = None
    native: bool = True  # False for user losses: their kernel takes no ``xp``
    # ``(y_true, y_pred, *, xp, surrogate=False, **options) -> (gradient, hessian diagonal)`` of
    # sum(values), declared by ``@loss.derivatives``; ``hessian_kind``: "exact" or "surrogate: ...".
    gradient_hessian: Callable | None = None
    hessian_kind: str = ""
    # "analytic": ``gradient_hessian`` above; "autodiff": a structured loss (mined triplets, whole-batch
    # contrasts, CTC) whose exact gradient comes from PyTorch or JAX autodiff (ValueError on NumPy)
    derivative_source: str = "analytic"
    kernels: dict[str, FastKernel] = field(default_factory=dict)  # library name -> fast value kernel
    derivative_kernels: dict[str, FastKernel] = field(default_factory=dict)  # library -> fast (gradient, hessian)

    @property
    def defaults(self) -> dict[str, Any]:
        """The options of the loss with their default values, from the kernel's signature."""
        return dict(self._defaults)

    @functools.cached_property
    def _defaults(self) -> dict[str, Any]:  # reading a signature costs more than most small losses
        params = list(inspect.signature(self.kernel).parameters.values())[2:]
        return {p.name: p.default for p in params if p.default is not p.empty and p.name != "xp"}

    # ------------------------------------------------------------------ computing
    def compute(self, y_true, y_pred, xp, options: dict[str, Any]):
        """Per-sample values of prepared inputs (see :func:`._prepare.prepare`): the fast kernel
        of ``xp``'s library where one is registered and covers these arrays and options, else
        the value kernel (the reference)."""
        if not self.native:
            return self.kernel(y_true, y_pred, **options)
        if self.dtype_bounded:
            options = self.bounded(options, y_pred, xp)
        fast = self.kernels.get(_array.library(xp)) if self.kernels else None
        if fast is not None and fast.covers(y_true, y_pred, options):
            values = fast.kernel(y_true, y_pred, **options)
            if not (fast.nan_fallback and _array.has_nan(values)):
                return values
            # a NaN from a fast kernel (an overflow edge it does not guard, or a NaN input): the
            # value kernel decides, and it is NaN only for NaN inputs
        return self.kernel(y_true, y_pred, xp=xp, **options)

    def bounded(self, options: dict[str, Any], y_pred, xp) -> dict[str, Any]:
        """``options`` with those in :attr:`dtype_bounded` clipped to ``y_pred``'s largest number."""
        top = float(xp.finfo(y_pred.dtype).max)
        clipped = {k: min(options[k], top) for k in self.dtype_bounded if options.get(k) is not None and options[k] > top}
        return {**options, **clipped} if clipped else options

    # ------------------------------------------------------------------ declaring implementations
    def derivatives(self, *, surrogate: str | None = None) -> Callable[[Callable], Callable]:
        """Declare the decorated kernel as the gradient and Hessian diagonal of ``sum(values)``.

        The kernel takes the value kernel's prepared inputs and resolved options (no defaults of
        its own) and returns ``(gradient, hessian)`` in ``y_pred``'s shape; a loss averaging over a
        last axis of width ``d`` carries ``1/d`` in every element. ``surrogate`` describes the
        positive Hessian it returns for ``surrogate=True`` (declare it exactly when the kernel
        takes ``surrogate``); every surrogate is floored at :data:`HESSIAN_FLOOR`.
        """

        def wrap(kernel: Callable) -> Callable:
            takes_surrogate = "surrogate" in inspect.signature(kernel).parameters
            if takes_surrogate != (surrogate is not None):
                raise TypeError(f"{kernel.__name__}: declare `surrogate=` exactly when the kernel takes `surrogate`")

            @functools.wraps(kernel)
            def gradient_hessian(y_true, y_pred, *, xp, surrogate=False, deferred=frozenset(), **options):
                """``deferred``: the arguments whose value checks :func:`._prepare.prepare` left
                to this call (a fast kernel that gathers extrema makes them from those)."""
                if self.dtype_bounded:
                    options = self.bounded(options, y_pred, xp)
                fast = self.derivative_kernels.get(_array.library(xp)) if self.derivative_kernels else None
                extrema: dict[str, tuple] = {}
                floored = False
                if fast is not None and fast.covers(y_true, y_pred, options):
                    gather = {"extrema": extrema} if fast.gathers and deferred else {}
                    grad, hess = fast.kernel(y_true, y_pred, surrogate=surrogate, **gather, **options)
                    floored = fast.floors
                else:
                    extra = {"surrogate": surrogate} if takes_surrogate else {}
                    grad, hess = kernel(y_true, y_pred, xp=xp, **extra, **options)
                if deferred:
                    check_extrema(self, y_true, y_pred, options, xp, deferred, extrema)
                if surrogate and not floored:
                    hess = xp.clip(hess, min=HESSIAN_FLOOR)
                return grad, hess

            self.gradient_hessian = gradient_hessian
            self.hessian_kind = "exact" if surrogate is None else f"surrogate: {surrogate}"
            return kernel

        return wrap

    def fast(
        self, library: str, *, accepts: Callable, derivatives: bool = False, objective: Callable | None = None,
        nan_fallback: bool = False, floors: bool = False,
        non_finite_total: tuple[str, ...] | Callable[[dict[str, Any]], tuple[str, ...]] = (),
    ) -> Callable[[Callable], Callable]:
        """Register the decorated function as ``library``'s fast kernel of this loss; ``accepts(
        y_true, y_pred, options)`` says which prepared arrays and option values it covers. With
        ``derivatives=True`` it stands in for the derivative kernel: ``f(y_true, y_pred, *,
        surrogate, **options) -> (gradient, hessian)`` (the surrogate's floor is applied after it).
        ``objective`` is the library's fused reduced form of the values, if any, and ``nan_fallback``
        sends a result holding NaN to the value kernel; ``floors``: a derivative kernel floors a
        surrogate Hessian itself; one taking ``extrema`` gathers them; ``non_finite_total``: the
        arguments (or ``options -> arguments``) whose NaN or infinity always shows in the objective's
        total (:class:`FastKernel`)."""
        reveals = non_finite_total if callable(non_finite_total) else lambda options: tuple(non_finite_total)

        def register(kernel: Callable) -> Callable:
            names = frozenset(p.name for p in inspect.signature(kernel).parameters.values() if p.kind is p.KEYWORD_ONLY)
            table = self.derivative_kernels if derivatives else self.kernels
            table[library] = FastKernel(
                kernel, accepts, names - {"surrogate", "extrema"}, objective, nan_fallback, floors, "extrema" in names, reveals
            )
            return kernel

        return register

    # ------------------------------------------------------------------ metadata
    def info(self, options: dict[str, Any] | None = None) -> LossInfo:
        """The metadata of the loss with ``options`` applied (``from_logits`` changes the
        domain of ``y_pred`` and the final activation it expects)."""
        options = self.resolve_options(options or {})
        return LossInfo(
            name=self.name,
            aliases=self.aliases,
            tasks=self.tasks,
            y_true_domain=self.y_true_domain(options),
            y_pred_domain=self.y_pred_domain(options),
            activations=self.final_activations(options),
            properties=self.properties,
            formula=self.formula,
            latex=self.latex,
            references=self.references,
            options=options,
            summary=self.summary,
            builtin=self.native,
            target=None if self.target is None else self.target.value,
            link=self.link.name,
        )

    @property
    def summary(self) -> str:
        doc = inspect.getdoc(self.kernel) or ""
        return doc.split("\n\n")[0].replace("\n", " ")

    def resolve_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``options``; unknown names and bad values raise ValueError."""
        defaults = self._defaults
        unknown = sorted(set(options) - set(defaults))
        if unknown:
            known = ", ".join(defaults) or "none"
            raise ValueError(f"{self.name}: unknown option {unknown[0]!r}; its options are: {known}")
        resolved = {**defaults, **options}
        for key, value in options.items():
            check = self.checks.get(key, BOOLEAN if isinstance(defaults[key], bool) else None)
            if check is not None and not check.test(value):
                raise ValueError(f"{self.name}: `{key}` must be {check.expected}; got {value!r}")
            if check is not None and check.convert is not None:
                resolved[key] = check.convert(value)
        return resolved

    @property
    def raw_option(self) -> str | None:
        """The option that puts ``y_pred`` on the link's raw scale, or None (no raw-output form)."""
        return self.link.option if self.link.option in self._defaults else None

    def takes_raw(self, options: dict[str, Any]) -> bool:
        """Whether ``y_pred`` is raw model output (the link's option is on)."""
        option = self.raw_option
        return option is not None and bool(options.get(option))

    def y_true_domain(self, options: dict[str, Any]):
        return self.y_true if self.domains is None else self.domains(options)[0]

    def y_pred_domain(self, options: dict[str, Any]):
        if self.takes_raw(options):
            return self.link.raw_domain
        return self.y_pred if self.domains is None else self.domains(options)[1]

    def final_activations(self, options: dict[str, Any]) -> tuple[str, ...]:
        return self.link.raw_activations if self.takes_raw(options) else self.activations


@dataclass(frozen=True)
class LossInfo:
    """What a loss is for and what it accepts: ``loss.info``.

    Domains are :mod:`losskit.losses._domain` objects (``str()`` gives ``[0, 1]``-style text);
    ``None`` means unknown (a custom callable that declared nothing). ``target`` is the layout of
    ``y_true`` (a :class:`~losskit.losses._domain.Target` value: ``"real"``, ``"binary"``,
    ``"one_hot"``, ``"class_indices"``, ...), ``link`` the name of the loss's link.
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
    target: str | None = None
    link: str = "identity"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (domains as text)."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "tasks": list(self.tasks),
            "target": self.target,
            "link": self.link,
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
    """Declare a loss: ``@define(name=..., tasks=..., y_true=..., target=..., link=..., ...)``
    above its kernel.

    Returns the public function ``f(y_true, y_pred, **options) -> per-sample values`` and
    appends the record to :data:`CATALOG`. The function's ``derivatives`` and ``fast`` are the
    record's decorators: ``@loss.derivatives(surrogate=...)`` below the value kernel.
    """

    def wrap(kernel: Callable) -> Callable:
        spec = LossSpec(kernel=kernel, **record)
        CATALOG.append(spec)
        return attach_function(spec)

    return wrap


def attach_function(spec: LossSpec) -> Callable:
    """Build ``spec``'s public function (resolve the options, prepare the inputs, then the kernel)
    and store it on the spec; the function carries the kernel's name, docstring and options,
    ``.spec``, and the record's ``derivatives`` and ``fast`` decorators."""
    @functools.wraps(spec.kernel)
    def loss_function(y_true, y_pred, **options):
        half = result_dtype(y_true, y_pred)
        xp, y_true, y_pred, opts = prepare(spec, y_true, y_pred, spec.resolve_options(options))
        values = spec.compute(y_true, y_pred, xp, opts)
        return values if half is None else xp.astype(values, half)

    del loss_function.__wrapped__
    params = [p for p in inspect.signature(spec.kernel).parameters.values() if p.name != "xp"]
    loss_function.__signature__ = inspect.Signature(params)
    loss_function.__name__ = spec.name
    loss_function.spec = spec
    loss_function.derivatives = spec.derivatives
    loss_function.fast = spec.fast
    spec.function = loss_function
    return loss_function
