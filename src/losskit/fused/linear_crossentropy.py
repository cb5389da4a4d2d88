"""Fused linear layer + sparse categorical crossentropy that never holds the ``N x V`` logits.

``lk.linear_crossentropy(hidden, weight, labels, bias=None)`` equals
``lk.sparse_categorical_crossentropy(labels, hidden @ weight.T + bias, from_logits=True)``
reduced to the mean over samples (the labels that are not ``ignore_class``), as the last layer
of a language model computes it, but works through the tokens in chunks: each chunk's logits
(``chunk x V``) are made, reduced to their log-sum-exp and the label's logit, and dropped. With
PyTorch tensors it is an ``autograd.Function``: the backward pass makes each chunk's logits again,
turns them into ``softmax - one_hot`` and accumulates the gradients of ``hidden``, ``weight`` and
``bias`` chunk by chunk, so peak memory is about ``chunk x V`` instead of ``N x V`` (twice, for
the logits and their gradient). With NumPy arrays it gives the value (no autograd there).

Shapes follow ``torch.nn.functional.linear``: ``hidden`` ``(N, H)``, ``weight`` ``(V, H)``,
``bias`` ``(V,)``, ``labels`` ``(N,)`` integers. Half-precision inputs are computed in float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _array

#: Bytes of logits one chunk may hold (32 MiB: 128 tokens of a 65,536-word vocabulary in float32).
CHUNK_BYTES = 32 * 2**20
REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "none")


def linear_crossentropy(hidden, weight, labels, bias=None, *, ignore_class: int | None = None, label_smoothing: float = 0.0,
                        reduction: str = "sum_over_batch_size", chunk_size: int | None = None):  # fmt: skip
    """Sparse categorical crossentropy of the logits ``hidden @ weight.T + bias``, chunked over tokens.

    Parameters
    ----------
    hidden : array of shape (N, H)
        The last hidden states (PyTorch or NumPy).
    weight : array of shape (V, H)
        The output layer's weight (``nn.Linear(H, V).weight``).
    labels : integer array of shape (N,)
        Class indices in ``[0, V)``; ``ignore_class`` marks tokens left out.
    bias : array of shape (V,), optional
    ignore_class : int, optional
        Labels equal to it give 0 and leave the mean (Keras' and PyTorch's ``ignore_index`` rule).
    label_smoothing : float
        Targets mixed with the uniform distribution: ``(1 - s) one_hot + s / V``.
    reduction : str
        ``"sum_over_batch_size"`` (= ``"mean"``: over the tokens not ignored), ``"sum"`` or ``"none"``.
    chunk_size : int, optional
        Tokens per chunk; default: as many as fit :data:`CHUNK_BYTES` of float32 logits.

    Returns
    -------
    The objective (0-d) or, with ``reduction="none"``, one value per token, in ``hidden``'s
    namespace and floating dtype.
    """
    name = "linear_crossentropy"
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: `reduction` must be one of {', '.join(REDUCTIONS)}; got {reduction!r}")
    if not (isinstance(label_smoothing, int | float) and 0.0 <= label_smoothing <= 1.0):
        raise ValueError(f"{name}: `label_smoothing` must be a number in [0, 1]; got {label_smoothing!r}")
    shapes = tuple(_array.shape(hidden)), tuple(_array.shape(weight)), tuple(_array.shape(labels))
    if len(shapes[0]) != 2 or len(shapes[1]) != 2 or shapes[0][1] != shapes[1][1] or shapes[2] != shapes[0][:1]:
        raise ValueError(
            f"{name}: expected hidden (N, H), weight (V, H) and labels (N,); got hidden {shapes[0]}, weight {shapes[1]}, labels {shapes[2]}"
        )
    vocabulary = shapes[1][0]
    if bias is not None and tuple(_array.shape(bias)) != (vocabulary,):
        raise ValueError(f"{name}: `bias` must have shape ({vocabulary},); got {tuple(_array.shape(bias))}")
    if chunk_size is not None and not (isinstance(chunk_size, int) and not isinstance(chunk_size, bool) and chunk_size > 0):
        raise ValueError(f"{name}: `chunk_size` must be a positive integer; got {chunk_size!r}")
    chunk = chunk_size or max(1, CHUNK_BYTES // (4 * max(vocabulary, 1)))
    options = dict(ignore_class=ignore_class, label_smoothing=float(label_smoothing), reduction=reduction, chunk=chunk)
    if hasattr(hidden, "requires_grad"):  # a torch tensor
        from ._torch import torch_linear_crossentropy

        return torch_linear_crossentropy(hidden, weight, labels, bias, **options)
    return _numpy_linear_crossentropy(np.asarray(hidden), np.asarray(weight), np.asarray(labels), None if bias is None else np.asarray(bias), **options)


def _numpy_linear_crossentropy(hidden, weight, labels, bias, *, ignore_class, label_smoothing, reduction, chunk):
    dtype = np.result_type(hidden.dtype, np.float32)
    values = np.empty(hidden.shape[0], dtype)
    valid = np.ones(hidden.shape[0], bool) if ignore_class is None else labels != ignore_class
    safe_labels = np.where(valid, labels, 0).astype(np.intp)
    for start in range(0, hidden.shape[0], chunk):
        stop = min(start + chunk, hidden.shape[0])
        logits = hidden[start:stop].astype(dtype, copy=False) @ weight.astype(dtype, copy=False).T
        if bias is not None:
            logits += bias.astype(dtype, copy=False)
        values[start:stop] = _chunk_values(logits, safe_labels[start:stop], label_smoothing)
    values[~valid] = 0.0
    return _reduce(values, valid, reduction, np)


def _chunk_values(logits, labels, label_smoothing: float):
    """Per-token crossentropy of one chunk's NumPy logits: ``lse - (1 - s) z_y - s mean(z)``."""
    shift = logits.max(axis=1, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    lse = np.log(np.exp(logits - shift).sum(axis=1)) + shift[:, 0]
    picked = np.take_along_axis(logits, labels[:, None], axis=1)[:, 0]
    values = lse - picked
    if label_smoothing:
        values = (1.0 - label_smoothing) * values + label_smoothing * (lse - logits.mean(axis=1))
    return values


def _reduce(values, valid, reduction: str, xp_module) -> Any:
    """The objective of per-token ``values``: their mean over the ``valid`` tokens (0 when none is), or sum."""
    if reduction == "none":
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    count = int(valid.sum())
    return total / count if count else 0.0 * total

