"""Fast paths for one array library at a time, registered on the losses' records.

The catalog's kernels (:mod:`losskit.losses`) are written once against the array API: they are
the reference. A module here registers fused kernels for one library on the records it speeds
up (``@losses.huber.fast("numpy", accepts=...)``); :meth:`~losskit.losses._spec.LossSpec.compute`
runs a registered kernel when the arrays come from that library and the kernel covers them and
the options, and the reference kernel otherwise. The dependency points one way: this package
imports the catalog; the catalog never imports it. ``import losskit`` imports this package.

Today: NumPy values (:mod:`losskit.fast.numpy`) and derivatives (:mod:`losskit.fast.numpy_derivatives`).
"""

from . import numpy, numpy_derivatives

__all__ = ["numpy", "numpy_derivatives"]
