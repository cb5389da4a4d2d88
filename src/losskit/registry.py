"""Names, aliases and lookup: ``get``, ``register``, ``available``, ``to_categorical``.

A name is matched case-insensitively, ignoring ``_``, ``-`` and spaces, with an optional
``loss_`` prefix (R Keras' ``loss_mean_squared_error``) or ``Loss`` suffix (PyTorch's
``HuberLoss``): ``"mse"``, ``"MSE"``, ``"MeanSquaredError"`` and ``"loss_mean_squared_error"``
all name the same loss.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import replace
from typing import Any, Callable, overload

from . import _array
from ._array import one_hot
from . import core
from .core import Loss
from .losses import CATALOG
from .losses._domain import Interval, Layout
from .losses._spec import LossSpec, attach_function

_SPECS: dict[str, LossSpec] = {}  # canonical name -> record
_KEYS: dict[str, str] = {}  # normalised name or alias -> canonical name


def _key(name: str) -> str:
    key = name.strip().lower()
    if key.startswith("loss_"):
        key = key[len("loss_") :]
    return re.sub(r"[^0-9a-z]", "", key)


def _add(spec: LossSpec, *, overwrite: bool = False) -> None:
    """Index ``spec`` under its name and aliases. With ``overwrite``, a loss whose canonical name
    is taken is replaced whole; an alias that is taken moves to ``spec``."""
    names = (spec.name, *spec.aliases)
    for name in names:
        taken = _KEYS.get(_key(name))
        if taken is None:
            continue
        if not overwrite:
            raise ValueError(f"register: the name {name!r} is taken by {taken!r}; pass overwrite=True to replace it")
        old = _SPECS[taken]
        if _key(old.name) == _key(name):
            del _SPECS[taken]
            for old_name in (old.name, *old.aliases):
                _KEYS.pop(_key(old_name), None)
        else:  # a copy without the alias: the built-in record itself stays untouched
            kept = tuple(a for a in old.aliases if _key(a) != _key(name))
            _SPECS[taken] = replace(old, aliases=kept, function=None)
            attach_function(_SPECS[taken])
            del _KEYS[_key(name)]
    _SPECS[spec.name] = spec
    for name in names:
        _KEYS[_key(name)] = spec.name


for _spec in CATALOG:
    _add(_spec)


def spec_for(name: str) -> LossSpec:
    """The record of the loss called ``name`` (any alias or spelling); ValueError if unknown."""
    key = _key(name)
    canonical = _KEYS.get(key)
    if canonical is None and key.endswith("loss"):
        canonical = _KEYS.get(key[: -len("loss")])
    if canonical is None:
        known = sorted({*(_SPECS), *(a for s in _SPECS.values() for a in s.aliases)})
        close = difflib.get_close_matches(name.strip().lower(), known, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "see losskit.available()"
        raise ValueError(f"unknown loss {name!r}; {hint}")
    return _SPECS[canonical]


core.spec_by_name = spec_for  # registered user losses unpickle by name


def available() -> list[str]:
    """The canonical names of every registered loss, sorted."""
    return sorted(_SPECS)


@overload
def get(identifier: None, **options: Any) -> None: ...


@overload
def get(identifier: str | Loss | dict[str, Any] | Callable[..., Any], **options: Any) -> Loss: ...


def get(identifier: Any, **options: Any) -> Loss | None:
    """A :class:`Loss` from a name, an alias, a loss function, a config dict, a Loss or any callable.

    ``options`` (``from_logits=True``, ``delta=2.0``, ``reduction="sum"``, ...) become the loss's
    parameters. A callable ``f(y_true, y_pred) -> per-sample values`` keeps its own name.
    ``get(None)`` returns None, as in Keras.
    """
    if identifier is None:
        return None
    reduction = options.pop("reduction", None)
    if isinstance(identifier, Loss):
        if not options and reduction is None:
            return identifier
        return Loss(identifier.function, name=identifier.name, reduction=reduction or identifier.reduction, **{**identifier.options, **options})
    if isinstance(identifier, str):
        function = spec_for(identifier).function
    elif isinstance(identifier, dict):
        config = dict(identifier.get("config", identifier))
        name = identifier.get("class_name") or config.pop("name", None)
        config.pop("name", None)
        if not isinstance(name, str):
            raise ValueError(f"get: a config dict needs a 'name' (or Keras' 'class_name'); got keys {sorted(identifier)}")
        return get(name, **{**config, **options, **({"reduction": reduction} if reduction else {})})
    elif callable(identifier):
        function = identifier
    else:
        raise ValueError(f"get: expected a loss name, a Loss, a config dict or a callable; got {type(identifier).__name__} {identifier!r}")
    return Loss(function, reduction=reduction or "sum_over_batch_size", **options)


def register(
    name: str,
    function: Callable | None = None,
    *,
    aliases: tuple[str, ...] = (),
    tasks: tuple[str, ...] = (),
    y_true: Any = None,
    y_pred: Any = None,
    activations: tuple[str, ...] = (),
    properties: tuple[str, ...] = (),
    formula: str = "",
    latex: str = "",
    references: tuple[str, ...] = (),
    overwrite: bool = False,
):
    """Add a user loss ``function(y_true, y_pred, **options) -> per-sample values`` to the registry.

    Afterwards ``losskit.get(name)`` (or an alias) returns it and ``losskit.available()`` lists
    it. Metadata is optional: ``y_true``/``y_pred`` domains (an :class:`Interval`, or a
    ``(low, high)`` pair meaning the closed interval) are checked on the data like the built-in
    ones'. Usable as a decorator: ``@lk.register("my_loss")``. Returns ``function``.
    """
    if function is None:
        return lambda f: register(
            name, f, aliases=aliases, tasks=tasks, y_true=y_true, y_pred=y_pred, activations=activations,
            properties=properties, formula=formula, latex=latex, references=references, overwrite=overwrite,
        )  # fmt: skip
    if not isinstance(name, str) or not _key(name):
        raise ValueError(f"register: `name` must be a non-empty string; got {name!r}")
    if not callable(function):
        raise ValueError(f"register: `function` must be callable; got {type(function).__name__}")
    spec = LossSpec(
        name=name,
        kernel=function,
        aliases=tuple(aliases),
        tasks=tuple(tasks),
        y_true=_domain(y_true),
        y_pred=_domain(y_pred),
        activations=tuple(activations),
        properties=tuple(properties),
        formula=formula,
        latex=latex,
        references=tuple(references),
        layout=Layout.ANY,
        native=False,
    )
    _add(spec, overwrite=overwrite)
    attach_function(spec)
    return function


def _domain(domain: Any):
    if domain is None or hasattr(domain, "contains"):
        return domain
    low, high = domain
    return Interval(float(low), float(high), low_closed=True, high_closed=True)


def to_categorical(labels, num_classes: int | None = None):
    """One-hot encode integer ``labels`` along a new last axis, as float32 (Keras' ``to_categorical``).

    A trailing axis of size 1 is replaced by the class axis. ``num_classes`` defaults to
    ``max(labels) + 1``. Works on any array library; lists give NumPy arrays.
    """
    xp = _array.namespace(labels)
    labels = _array.asarray(labels, xp)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = xp.squeeze(labels, axis=-1)
    if not (xp.isdtype(labels.dtype, "integral") or bool(xp.all(labels == xp.floor(labels)))):
        raise ValueError("to_categorical: `labels` must be integers; got non-integer values")
    labels = xp.astype(labels, xp.int64)
    size = math.prod(labels.shape)
    if num_classes is None:
        num_classes = int(xp.max(labels)) + 1 if size else 0
    if size and (int(xp.min(labels)) < 0 or int(xp.max(labels)) >= num_classes):
        raise ValueError(
            f"to_categorical: `labels` must be integers in [0, {num_classes}); "
            f"got min={int(xp.min(labels))}, max={int(xp.max(labels))}"
        )
    return one_hot(labels, num_classes, xp, dtype=xp.float32)
