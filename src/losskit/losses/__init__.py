"""The catalog: one module per family of losses, each loss a small definition with its formula,
its record (:mod:`._spec`) and its derivatives, side by side.

Every function here takes ``(y_true, y_pred, **options)`` arrays of any array-API library
(NumPy, PyTorch, JAX, ...) and returns per-sample values (the last axis reduced) in the same
namespace, device and floating dtype.
"""

from ._spec import CATALOG, LossSpec
from .crossentropy import (
    binary_crossentropy,
    categorical_crossentropy,
    generalized_crossentropy,
    multilabel_soft_margin,
    nll,
    poly1_crossentropy,
    sparse_categorical_crossentropy,
)
from .focal import binary_focal_crossentropy, categorical_focal_crossentropy, sparse_categorical_focal_crossentropy
from .hinge import categorical_hinge, hinge, multi_margin, multiclass_hinge, perceptron, soft_margin, sparsemax, squared_hinge
from .metric import circle, ntxent, supervised_contrastive, triplet_margin
from .probabilistic import gaussian_nll, generalized_kl_divergence, jensen_shannon, kl_divergence, poisson, tweedie
from .regression import (
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    quantile,
    smooth_l1,
)
from .ranking import listmle, pairwise_hinge, pairwise_logistic, ranking_softmax
from .reinforcement import policy_gradient, temporal_difference
from .sequence import ctc
from .segmentation import dice, focal_tversky, generalized_dice, jaccard, lovasz_hinge, lovasz_softmax, tversky
from .similarity import contrastive, cosine_similarity

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
