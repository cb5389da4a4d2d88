"""Fast paths for one array library at a time, chosen by the array namespace.

The catalog's kernels (:mod:`losskit.losses`) are written once against the array API: they are
the reference. For a namespace listed here, fused kernels compute the same per-sample values
(to float rounding) faster. :meth:`~losskit.losses._spec.LossSpec.compute` asks
:func:`kernel_for` first and runs the generic kernel whenever it answers ``None`` (no fast
kernel for the loss, the options or the arrays); value checks ask :func:`all_within` and run the
generic check (which also words the error) whenever it answers ``False``.

Today: NumPy (:mod:`losskit.fast.numpy`).
"""

from __future__ import annotations

from typing import Any, Callable

from . import numpy as _numpy

_BY_NAMESPACE = {"numpy": _numpy, "array_api_compat.numpy": _numpy}


def kernel_for(xp, name: str, y_true, y_pred, options: dict[str, Any]) -> Callable | None:
    """The fast kernel ``f(y_true, y_pred, **options)`` of loss ``name`` for these prepared
    arrays and options in namespace ``xp``, or ``None`` where the generic kernel must run."""
    library = _BY_NAMESPACE.get(getattr(xp, "__name__", ""))
    return None if library is None else library.kernel_for(name, y_true, y_pred, options)


def all_within(xp, x, domain, num_classes: int = 0) -> bool:
    """True when every value of ``x`` is known to lie in ``domain`` (cheaply, for ``xp``'s library);
    False means "not known": the generic check decides."""
    library = _BY_NAMESPACE.get(getattr(xp, "__name__", ""))
    return library is not None and library.all_within(x, domain, num_classes)
