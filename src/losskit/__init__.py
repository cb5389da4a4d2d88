"""losskit: every common loss function, written once for NumPy, PyTorch and JAX.

>>> import numpy as np, losskit as lk
>>> loss = lk.get("binary_crossentropy", from_logits=True)
>>> float(loss(np.array([1.0, 0.0]), np.array([2.0, -1.0])))  # doctest: +ELLIPSIS
0.22...
"""

from ._config import set_value_checks, value_checks, value_checks_enabled
from . import fast  # noqa: F401  (registers the per-library fast kernels on the records)
from .core import Loss
from .losses import *  # noqa: F403  (the catalog: one function per loss, and Keras' short names)
from .losses import __all__ as _catalog_names
from .losses._domain import Interval, Labels
from .losses._spec import LossInfo
from .fused import linear_crossentropy
from .registry import available, get, register, to_categorical
from .guidance import (
    Finding,
    LossCompatibilityWarning,
    Recommendation,
    check_compatibility,
    diagnose,
    is_compatible,
    recommend,
)

__version__ = "0.1.0"

__all__ = [
    "Loss",
    "LossInfo",
    "Interval",
    "Labels",
    "available",
    "get",
    "register",
    "to_categorical",
    "linear_crossentropy",
    "set_value_checks",
    "value_checks",
    "value_checks_enabled",
    "check_compatibility",
    "is_compatible",
    "diagnose",
    "recommend",
    "Finding",
    "Recommendation",
    "LossCompatibilityWarning",
    *[n for n in _catalog_names if n not in ("CATALOG", "LossSpec")],
]
