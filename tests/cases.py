"""Valid inputs for every built-in loss, sampled inside its domain (float64 NumPy).

``make_case(name, rng, batch=..., width=...)`` returns ``(y_true, y_pred, options)``. Tests over
"every loss" draw from here so a new loss needs one entry, not edits across the suite.
"""

from __future__ import annotations

import numpy as np


def _probs(rng, shape):
    p = rng.uniform(0.05, 1.0, size=shape)
    return p / p.sum(axis=-1, keepdims=True)


def _one_hot(rng, batch, width):
    return np.eye(width)[rng.integers(0, width, size=batch)]


def make_case(name: str, rng: np.random.Generator, batch: int = 6, width: int = 4):
    shape = (batch, width)
    if name in ("mean_squared_error", "mean_absolute_error", "huber", "log_cosh", "quantile", "temporal_difference", "cosine_similarity",
                "smooth_l1"):
        return rng.normal(size=shape), rng.normal(size=shape), {}
    if name == "mean_absolute_percentage_error":
        return rng.uniform(0.5, 3.0, size=shape) * rng.choice([-1, 1], size=shape), rng.normal(size=shape), {}
    if name == "mean_squared_logarithmic_error":
        return rng.uniform(0, 5, size=shape), rng.uniform(0, 5, size=shape), {}
    if name in ("poisson", "tweedie"):
        return rng.poisson(2.0, size=shape).astype(float), rng.uniform(0.2, 4.0, size=shape), {}
    if name == "gaussian_nll":
        return rng.normal(size=shape), np.concatenate([rng.normal(size=shape), rng.uniform(0.2, 2.0, size=shape)], axis=-1), {}
    if name == "generalized_kl_divergence":
        return rng.uniform(0.0, 3.0, size=shape), rng.uniform(0.2, 3.0, size=shape), {}
    if name in ("kl_divergence", "jensen_shannon"):
        return _probs(rng, shape), _probs(rng, shape), {}
    if name in ("binary_crossentropy", "binary_focal_crossentropy"):
        return rng.integers(0, 2, size=shape).astype(float), rng.uniform(0.02, 0.98, size=shape), {}
    if name == "multilabel_soft_margin":
        return rng.integers(0, 2, size=shape).astype(float), rng.normal(scale=2.0, size=shape), {}
    if name in ("hinge", "squared_hinge", "soft_margin", "perceptron"):
        return rng.choice([-1.0, 1.0], size=shape), rng.normal(size=shape), {}
    if name in ("categorical_crossentropy", "categorical_focal_crossentropy"):
        return _one_hot(rng, batch, width), _probs(rng, shape), {}
    if name == "categorical_hinge":
        return _one_hot(rng, batch, width), rng.normal(size=shape), {}
    if name == "nll":
        return rng.integers(0, width, size=batch), np.log(_probs(rng, shape)), {}
    if name in ("multiclass_hinge", "multi_margin", "sparsemax"):
        return rng.integers(0, width, size=batch), rng.normal(scale=1.5, size=shape), {}
    if name == "poly1_crossentropy":
        return _one_hot(rng, batch, width), _probs(rng, shape), {}
    if name in ("sparse_categorical_crossentropy", "generalized_crossentropy", "sparse_categorical_focal_crossentropy"):
        return rng.integers(0, width, size=batch), _probs(rng, shape), {}
    if name == "policy_gradient":
        return _one_hot(rng, batch, width) * rng.normal(size=(batch, 1)), _probs(rng, shape), {}
    if name in ("dice", "jaccard", "tversky", "focal_tversky"):
        return (rng.uniform(size=shape) < 0.5).astype(float), rng.uniform(0.02, 0.98, size=shape), {}
    if name == "lovasz_hinge":
        return (rng.uniform(size=shape) < 0.5).astype(float), rng.normal(scale=1.5, size=shape), {}
    if name == "lovasz_softmax":
        return _one_hot(rng, batch, width), _probs(rng, shape), {}
    if name == "generalized_dice":
        return _one_hot(rng, batch, width), _probs(rng, shape), {}
    if name in ("ranking_softmax", "pairwise_logistic", "pairwise_hinge", "listmle"):
        return rng.integers(0, 3, size=shape).astype(float), rng.normal(size=shape), {}
    if name == "contrastive":
        return rng.integers(0, 2, size=shape).astype(float), rng.uniform(0.0, 2.0, size=shape), {}
    if name in ("ntxent", "supervised_contrastive", "triplet_margin", "circle"):
        groups = max(1, batch // 2)  # pairs of samples with one label (two views), labels 0..groups-1
        labels = np.arange(batch) % groups
        return labels, rng.normal(size=shape), {}
    if name == "ctc":  # label sequences of up to 2 non-blank labels, padded with -1; 4 frames of `width` classes
        labels = rng.integers(1, max(width, 2), size=(batch, 2))
        labels[::2, 1] = -1
        return labels, rng.normal(size=(batch, 4, max(width, 2))), {}
    raise KeyError(f"no test case for loss {name!r}: add one to tests/cases.py")
