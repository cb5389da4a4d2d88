"""Independent float64 NumPy reference formulas for every built-in loss.

Written from the mathematics and the Keras / PyTorch / scikit-learn documentation, never by
calling losskit: ``REFERENCE[name](y_true, y_pred, **options)`` returns per-sample values
(the last axis reduced) as a float64 NumPy array. Inputs are cast to float64 first, so a
float32 result can be compared with the formula evaluated on the very same (rounded) inputs.

Every option of every loss is covered; ``axis`` moves that axis last before the formula runs.
"""

from __future__ import annotations

import math

import numpy as np

EPS = 1e-7  # Keras' backend.epsilon(): the probability clip


def _f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def _last(x, axis):
    return np.moveaxis(x, axis, -1)


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def _log_softmax(x):
    finite_max = np.max(np.where(np.isfinite(x), x, -np.inf), axis=-1, keepdims=True)
    shifted = x - finite_max
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _keras_log_probabilities(p):
    """Keras' recipe for probability inputs: rows rescaled to sum to 1, clipped to [eps, 1 - eps]."""
    total = p.sum(axis=-1, keepdims=True)
    p = p / np.where(total > 0, total, 1.0)
    return np.log(np.clip(p, EPS, 1.0 - EPS))


def _log_probabilities(y_pred, from_logits):
    return _log_softmax(y_pred) if from_logits else _keras_log_probabilities(y_pred)


def _plogq(p, log_q):
    """sum-free p * log q with 0 * log q = 0 (a class with no target weight contributes nothing)."""
    return np.where(p == 0, 0.0, p * np.where(p == 0, 0.0, log_q))


# ----------------------------------------------------------------------------- regression
def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _f64(y_true, y_pred)
    return np.mean((y_pred - y_true) ** 2, axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _f64(y_true, y_pred)
    return np.mean(np.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _f64(y_true, y_pred)
    return 100.0 * np.mean(np.abs(y_true - y_pred) / np.maximum(np.abs(y_true), EPS), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _f64(y_true, y_pred)
    return np.mean((np.log(np.maximum(y_pred, EPS) + 1.0) - np.log(np.maximum(y_true, EPS) + 1.0)) ** 2, axis=-1)


def _huber_elementwise(error, delta):
    a = np.abs(error)
    return np.where(a <= delta, 0.5 * a**2, delta * a - 0.5 * delta**2)


def huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = _f64(y_true, y_pred)
    return np.mean(_huber_elementwise(y_pred - y_true, delta), axis=-1)


def log_cosh(y_true, y_pred):
    y_true, y_pred = _f64(y_true, y_pred)
    x = y_pred - y_true
    # log(cosh x) = log((e^x + e^-x) / 2), without overflow for large |x|
    return np.mean(np.logaddexp(x, -x) - math.log(2.0), axis=-1)


def quantile(y_true, y_pred, quantile=0.5):
    y_true, y_pred = _f64(y_true, y_pred)
    r = y_true - y_pred
    return np.mean(np.where(r >= 0, quantile * r, (quantile - 1.0) * r), axis=-1)


# ----------------------------------------------------------------------------- counts / distributions
def poisson(y_true, y_pred, log_input=False):
    y_true, y_pred = _f64(y_true, y_pred)
    if log_input:
        return np.mean(np.exp(y_pred) - y_true * y_pred, axis=-1)
    return np.mean(y_pred - y_true * np.log(y_pred + EPS), axis=-1)


def kl_divergence(y_true, y_pred, log_input=False):
    y_true, y_pred = _f64(y_true, y_pred)
    if log_input:
        # PyTorch's KLDivLoss(log_target=False): target * (log target - input), 0 where target == 0
        safe = np.where(y_true > 0, y_true, 1.0)
        return np.sum(np.where(y_true > 0, y_true * (np.log(safe) - y_pred), 0.0), axis=-1)
    p, q = np.clip(y_true, EPS, 1.0), np.clip(y_pred, EPS, 1.0)
    return np.sum(p * np.log(p / q), axis=-1)


def tweedie(y_true, y_pred, power=1.5, log_input=False):
    """Unit Tweedie deviance (scikit-learn's mean_tweedie_deviance at every power it takes), averaged over the last axis."""
    y, mu = _f64(y_true, y_pred)
    if log_input:
        mu = np.exp(mu)
    if power == 0:
        deviance = (y - mu) ** 2
    elif power == 1:
        y_log_y_over_mu = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
        deviance = 2.0 * (y_log_y_over_mu - y + mu)
    elif power == 2:
        deviance = 2.0 * (np.log(mu / y) + y / mu - 1.0)
    elif power < 0:
        p = power
        deviance = 2.0 * (np.maximum(y, 0) ** (2 - p) / ((1 - p) * (2 - p)) - y * mu ** (1 - p) / (1 - p) + mu ** (2 - p) / (2 - p))
    else:
        p = power
        deviance = 2.0 * (y ** (2 - p) / ((1 - p) * (2 - p)) - y * mu ** (1 - p) / (1 - p) + mu ** (2 - p) / (2 - p))
    return np.mean(deviance, axis=-1)


def gaussian_nll(y_true, y_pred, log_input=False, full=False, epsilon=1e-6):
    """PyTorch's GaussianNLLLoss per element: 0.5 (log var + (y - mean)^2 / var), var clamped at epsilon."""
    y_true, y_pred = _f64(y_true, y_pred)
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    d = y_true.shape[-1]
    mean, spread = y_pred[..., :d], y_pred[..., d:]
    var = np.maximum(np.exp(spread), epsilon) if log_input else np.maximum(spread, epsilon)
    loss = 0.5 * (np.log(var) + (y_true - mean) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2.0 * math.pi)
    return np.mean(loss, axis=-1)


# ----------------------------------------------------------------------------- binary / multi-label
def _binary_log_p(y_pred, from_logits):
    """(log p, log(1 - p)): exact from logits, Keras' clipped probabilities otherwise."""
    if from_logits:
        return _log_sigmoid(y_pred), _log_sigmoid(-y_pred)
    p = np.clip(y_pred, EPS, 1.0 - EPS)
    return np.log(p), np.log(1.0 - p)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None):
    y_true, y_pred = _f64(y_true, y_pred)
    y, x = _last(y_true, axis), _last(y_pred, axis)
    y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing
    log_p, log_not_p = _binary_log_p(x, from_logits)
    w0, w1 = (1.0, 1.0) if class_weight is None else (float(class_weight[0]), float(class_weight[1]))
    return np.mean(-(w1 * y * log_p + w0 * (1.0 - y) * log_not_p), axis=-1)


def binary_focal_crossentropy(
    y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Keras' definition: bce * (1 - p_t)^gamma [* (y alpha + (1 - y)(1 - alpha))]."""
    y_true, y_pred = _f64(y_true, y_pred)
    y, x = _last(y_true, axis), _last(y_pred, axis)
    y = y * (1.0 - label_smoothing) + 0.5 * label_smoothing
    p = 1.0 / (1.0 + np.exp(-x)) if from_logits else x
    log_p, log_not_p = _binary_log_p(x, from_logits)
    bce = -(y * log_p + (1.0 - y) * log_not_p)
    p_t = y * p + (1.0 - y) * (1.0 - p)
    loss = np.maximum(1.0 - p_t, 0.0) ** gamma * bce
    if apply_class_balancing:
        loss = (y * alpha + (1.0 - y) * (1.0 - alpha)) * loss
    return np.mean(loss, axis=-1)


def _signed(y):
    return np.where(y == 0, -1.0, y)


def hinge(y_true, y_pred):
    y_true, y_pred = _f64(y_true, y_pred)
    return np.mean(np.maximum(1.0 - _signed(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    y_true, y_pred = _f64(y_true, y_pred)
    return np.mean(np.maximum(1.0 - _signed(y_true) * y_pred, 0.0) ** 2, axis=-1)


# ----------------------------------------------------------------------------- single-label multi-class
def _class_weighted(terms, class_weight):
    return terms if class_weight is None else terms * np.asarray(class_weight, dtype=np.float64)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None):
    y_true, y_pred = _f64(y_true, y_pred)
    y, x = _last(y_true, axis), _last(y_pred, axis)
    y = y * (1.0 - label_smoothing) + label_smoothing / x.shape[-1]
    terms = _plogq(y, _log_probabilities(x, from_logits))
    return -np.sum(_class_weighted(terms, class_weight), axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1, class_weight=None):
    labels = np.asarray(y_true)
    (x,) = _f64(y_pred)
    x = _last(x, axis)
    if labels.ndim == x.ndim:  # a trailing axis of 1
        labels = labels[..., 0]
    labels = labels.astype(np.int64)
    ignored = np.zeros(labels.shape, bool) if ignore_class is None else labels == ignore_class
    safe = np.where(ignored, 0, labels)
    log_p = np.take_along_axis(_log_probabilities(x, from_logits), safe[..., None], axis=-1)[..., 0]
    weight = 1.0 if class_weight is None else np.asarray(class_weight, dtype=np.float64)[safe]
    return np.where(ignored, 0.0, -weight * log_p)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None
):
    """Keras' definition: -sum(alpha (1 - p)^gamma y log p), p the (clipped) predicted distribution."""
    y_true, y_pred = _f64(y_true, y_pred)
    y, x = _last(y_true, axis), _last(y_pred, axis)
    y = y * (1.0 - label_smoothing) + label_smoothing / x.shape[-1]
    log_p = _log_probabilities(x, from_logits)
    terms = alpha * (1.0 - np.exp(log_p)) ** gamma * _plogq(y, log_p)
    return -np.sum(_class_weighted(terms, class_weight), axis=-1)


def categorical_hinge(y_true, y_pred):
    y_true, y_pred = _f64(y_true, y_pred)
    positive = np.sum(y_true * y_pred, axis=-1)
    negative = np.max((1.0 - y_true) * y_pred, axis=-1)
    return np.maximum(negative - positive + 1.0, 0.0)


# ----------------------------------------------------------------------------- similarity, RL
def cosine_similarity(y_true, y_pred, axis=-1):
    y_true, y_pred = _f64(y_true, y_pred)
    a, b = _last(y_true, axis), _last(y_pred, axis)
    norm_a = np.linalg.norm(a, axis=-1, keepdims=True)  # exact (scaled) norms; a zero vector gives 0
    norm_b = np.linalg.norm(b, axis=-1, keepdims=True)
    return -np.sum((a / np.where(norm_a > 0, norm_a, 1.0)) * (b / np.where(norm_b > 0, norm_b, 1.0)), axis=-1)


def policy_gradient(y_true, y_pred, from_logits=False):
    """REINFORCE: -sum_a advantage_a log pi(a), y_true = one-hot(action) * advantage."""
    y_true, y_pred = _f64(y_true, y_pred)
    return -np.sum(_plogq(y_true, _log_probabilities(y_pred, from_logits)), axis=-1)


def temporal_difference(y_true, y_pred, delta=1.0):
    y_true, y_pred = _f64(y_true, y_pred)
    error = y_true - y_pred
    if delta is None:
        return np.mean(0.5 * error**2, axis=-1)
    return np.mean(_huber_elementwise(error, delta), axis=-1)


REFERENCE = {
    f.__name__: f
    for f in (
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_logarithmic_error,
        huber,
        log_cosh,
        quantile,
        poisson,
        kl_divergence,
        tweedie,
        gaussian_nll,
        binary_crossentropy,
        binary_focal_crossentropy,
        hinge,
        squared_hinge,
        categorical_crossentropy,
        sparse_categorical_crossentropy,
        categorical_focal_crossentropy,
        categorical_hinge,
        cosine_similarity,
        policy_gradient,
        temporal_difference,
    )
}
