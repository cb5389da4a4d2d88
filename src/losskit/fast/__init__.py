"""Fast paths for one array library at a time, registered on the losses' records.

The catalog's kernels (:mod:`losskit.losses`) are written once against the array API: they are
the reference. A module here registers fused kernels for one library on the records it speeds
up (``@losses.huber.fast("numpy", accepts=...)``); :meth:`~losskit.losses._spec.LossSpec.compute`
runs a registered kernel when the arrays come from that library and the kernel covers them and
the options, and the reference kernel otherwise. The dependency points one way: this package
imports the catalog; the catalog never imports it. ``import losskit`` imports this package.

A library may also give the Loss object a per-call path (:func:`plan`): PyTorch's
(:mod:`losskit.fast.torch`) resolves a Loss once and calls torch's fused losses.

Today: NumPy (:mod:`losskit.fast.numpy`), PyTorch (:mod:`losskit.fast.torch`; importing it does
not import torch).
"""

from __future__ import annotations

from typing import Callable

from . import numpy, torch

__all__ = ["numpy", "torch", "plan"]


def plan(loss, array_type: type) -> Callable | None:
    """The per-call path of ``loss`` (a :class:`~losskit.core.Loss`) for arrays of ``array_type``:
    ``call(y_true, y_pred) -> objective`` (None: not covered, the Loss's reference call runs), or
    None where the library has none. Called once per Loss and array type."""
    if array_type.__module__.partition(".")[0] == "torch":
        return torch.plan(loss)
    return None
