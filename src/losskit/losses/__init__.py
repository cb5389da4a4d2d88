"""The catalog: one module per family of losses, each loss a small definition with its formula,
its record (:mod:`._spec`) and its derivatives, side by side.

Every function here takes ``(y_true, y_pred, **options)`` arrays of any array-API library
(NumPy, PyTorch, JAX, ...) and returns per-sample values (the last axis reduced) in the same
namespace, device and floating dtype.
"""

from ._spec import CATALOG, LossSpec
from .crossentropy import binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy
from .focal import binary_focal_crossentropy, categorical_focal_crossentropy
from .hinge import categorical_hinge, hinge, squared_hinge
from .probabilistic import gaussian_nll, kl_divergence, poisson, tweedie
from .regression import (
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    quantile,
)
from .reinforcement import policy_gradient, temporal_difference
from .similarity import cosine_similarity

# Keras' short names for the same functions.
mse = mean_squared_error
mae = mean_absolute_error
mape = mean_absolute_percentage_error
msle = mean_squared_logarithmic_error
huber_loss = huber
logcosh = log_cosh
kld = kullback_leibler_divergence = kl_divergence
cosine_proximity = cosine_similarity
bce = binary_crossentropy
cce = categorical_crossentropy

__all__ = [spec.name for spec in CATALOG] + [
    "mse", "mae", "mape", "msle", "huber_loss", "logcosh", "kld", "kullback_leibler_divergence",
    "cosine_proximity", "bce", "cce", "CATALOG", "LossSpec",
]  # fmt: skip
