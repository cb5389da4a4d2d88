"""Dask kernels: the losses whose value kernel needs what ``dask.array`` does not have.

Every other loss runs on a chunked ``dask.array`` through its value kernel, lazily (the array API
operations build the task graph). The Lovász losses sort each sample's errors (``argsort``,
``take_along_axis``), which ``dask.array`` lacks: here each block of whole samples (every
non-batch axis in one chunk: ``rechunk`` where needed, an image is one chunk) goes through the
NumPy value kernel with ``map_blocks``. The result is the value kernel's, exactly, and stays lazy
until computed. Importing this module does not import dask (a dask array has been seen when
its kernels run).
"""

from __future__ import annotations

from .. import losses
from .._array import numpy_namespace


def _always(y_true, y_pred, options) -> bool:
    return True


def per_block(spec, y_true, y_pred, options):
    """``spec``'s value kernel on NumPy, one block of whole samples at a time: ``(N, ...) ->
    (N,)`` chunked as ``y_pred``'s first axis, or 0-d for one sample (a 1-D input)."""
    import dask.array as da

    xp = numpy_namespace()
    whole = {axis: -1 for axis in range(1 if y_pred.ndim > 1 else 0, y_pred.ndim)}
    y_pred = y_pred.rechunk(whole)
    y_true = y_true.rechunk(y_pred.chunks)

    def block(truth, scores):
        return spec.kernel(truth, scores, xp=xp, **options)

    dropped = list(range(1, y_pred.ndim)) if y_pred.ndim > 1 else [0]
    meta = xp.empty((0,) if y_pred.ndim > 1 else (), dtype=y_pred.dtype)
    return da.map_blocks(block, y_true, y_pred, drop_axis=dropped, dtype=y_pred.dtype, meta=meta)


@losses.lovasz_hinge.fast("dask", accepts=_always)
def lovasz_hinge(y_true, y_pred):
    return per_block(losses.lovasz_hinge.spec, y_true, y_pred, {})


@losses.lovasz_softmax.fast("dask", accepts=_always)
def lovasz_softmax(y_true, y_pred, *, classes="present", from_logits=False):
    return per_block(losses.lovasz_softmax.spec, y_true, y_pred, {"classes": classes, "from_logits": from_logits})
