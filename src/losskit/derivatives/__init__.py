"""Analytic gradients and Hessian diagonals of every built-in loss, and the glue that gives a
:class:`~losskit.core.Loss` its ``gradient``, ``hessian`` and ``gradient_hessian``.

One module per family mirrors :mod:`losskit.losses`; importing this package attaches each kernel
to its loss's record (``spec.gradient_hessian``, ``spec.hessian_kind``). See docs/derivatives.md.
"""

from . import classification, probabilistic, regression, reinforcement, similarity
from ._evaluate import unweighted
from ._register import HESSIAN_FLOOR, derivative_of

__all__ = ["HESSIAN_FLOOR", "derivative_of", "unweighted", "classification", "probabilistic", "regression", "reinforcement", "similarity"]
