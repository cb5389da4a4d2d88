"""Fast paths for one array library at a time, registered on the losses' records.

The catalog's kernels (:mod:`losskit.losses`) are written once against the array API: they are
the reference. A module here registers fused kernels for one library on the records it speeds
up (``@losses.huber.fast("numpy", accepts=...)``); :meth:`~losskit.losses._spec.LossSpec.compute`
runs a registered kernel when the arrays come from that library and the kernel covers them and
the options, and the reference kernel otherwise. The dependency points one way: this package
imports the catalog; the catalog never imports it. ``import losskit`` imports this package.

A library may also give the Loss object a per-call path (:func:`route`): PyTorch's
(:mod:`losskit.fast.torch`) resolves a Loss once and calls torch's fused losses; JAX's
(:mod:`losskit.fast.jax`) jits the Loss's reference call once per Loss for concrete arrays;
NumPy's (:func:`losskit.fast.numpy.plan`) reduces large inputs block by block, with sample weights.

Today: NumPy values (:mod:`losskit.fast.numpy`) and derivatives (:mod:`losskit.fast.numpy_derivatives`),
PyTorch (:mod:`losskit.fast.torch`; importing it does not import torch), JAX's per-call path
(:mod:`losskit.fast.jax`; nor JAX), and the Dask kernels of the losses ``dask.array`` cannot run
through their value kernels (:mod:`losskit.fast.dask`; no dask import either).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from . import dask, jax, numpy, numpy_derivatives, torch

__all__ = ["dask", "jax", "numpy", "numpy_derivatives", "torch", "Route", "route"]


class Route(NamedTuple):
    """How a Loss object runs arrays of one type: ``call(y_true, y_pred) -> objective`` (the
    library's fused path; it returns None for what it does not cover) or None, and ``xp``, the
    type's namespace (None: looked up per call). ``weighted``: ``call`` takes the sample weights
    as a third argument (None or an array); otherwise weighted calls do not go through it."""

    call: Callable | None
    xp: Any
    weighted: bool = False


def route(loss, array_type: type) -> Route:
    """The :class:`Route` of ``loss`` (a :class:`~losskit.core.Loss`) for arrays of ``array_type``;
    resolved once per Loss and array type."""
    if array_type.__module__.partition(".")[0] == "torch" and loss.spec is not None:
        import array_api_compat.torch as xp  # torch is loaded: a tensor was seen

        return Route(torch.plan(loss), xp)
    if array_type is np.ndarray:
        return Route(numpy.plan(loss), None, weighted=True)
    if jax.is_jax_type(array_type):
        import jax.numpy as xp  # jax is loaded: an array was seen (its namespace is the standard's)

        return Route(jax.plan(loss, array_type), xp)
    return Route(None, None)
