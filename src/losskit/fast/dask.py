"""Dask kernels: the losses whose value kernel needs what ``dask.array`` does not have, or
would build a graph of one task per step.

Every other loss runs on a chunked ``dask.array`` through its value kernel, lazily (the array API
operations build the task graph). The Lovász losses sort each sample's errors (``argsort``,
``take_along_axis``), which ``dask.array`` lacks, and CTC's recursion over the frames would be a
graph of thousands of tasks per chunk: here each block of whole samples (every non-batch axis in
one chunk: ``rechunk`` where needed; an image or a sequence is one chunk) goes through the NumPy
value kernel with ``map_blocks``. The result is the value kernel's, exactly, and stays lazy until
computed. Importing this module does not import dask (a dask array has been seen when its
kernels run).
"""

from __future__ import annotations

from .. import losses
from .._array import numpy_namespace


def _always(y_true, y_pred, options) -> bool:
    return True


def per_block(spec, y_true, y_pred, options):
    """``spec``'s value kernel on NumPy, one block of whole samples at a time: ``(N, ...) ->
    (N,)`` chunked as ``y_pred``'s first axis, or 0-d for one sample (a 1-D input); ``y_true``
    (its own trailing shape: CTC's label sequences) in the same blocks of samples."""
    import dask.array as da

    xp = numpy_namespace()
    first = 1 if y_pred.ndim > 1 else 0  # a 1-D input is one sample: one chunk
    y_pred = y_pred.rechunk({axis: -1 for axis in range(first, y_pred.ndim)})
    y_true = y_true.rechunk(y_pred.chunks[:first] + tuple((n,) for n in y_true.shape[first:]))

    def block(truth, scores):
        return spec.kernel(truth, scores, xp=xp, **options)

    samples = "i"[:first]  # the output's index: the samples, or none for one sample
    truth_index = samples + "abcdefgh"[: y_true.ndim - first]  # the other axes: one chunk each
    scores_index = samples + "pqrstuvw"[: y_pred.ndim - first]
    meta = xp.empty((0,) * first, dtype=y_pred.dtype)
    return da.blockwise(block, samples, y_true, truth_index, y_pred, scores_index, concatenate=True, dtype=y_pred.dtype, meta=meta)


@losses.lovasz_hinge.fast("dask", accepts=_always)
def lovasz_hinge(y_true, y_pred):
    return per_block(losses.lovasz_hinge.spec, y_true, y_pred, {})


@losses.lovasz_softmax.fast("dask", accepts=_always)
def lovasz_softmax(y_true, y_pred, *, classes="present", from_logits=False):
    return per_block(losses.lovasz_softmax.spec, y_true, y_pred, {"classes": classes, "from_logits": from_logits})


@losses.ctc.fast("dask", accepts=_always)
def ctc(y_true, y_pred, *, blank=0, zero_infinity=False):
    return per_block(losses.ctc.spec, y_true, y_pred, {"blank": blank, "zero_infinity": zero_infinity})
