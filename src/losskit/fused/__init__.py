"""Fused layers + losses that never hold their large intermediate: today the output layer of a
language model with its crossentropy (:func:`linear_crossentropy`), on PyTorch (autograd) and NumPy."""

from .linear_crossentropy import linear_crossentropy

__all__ = ["linear_crossentropy"]
