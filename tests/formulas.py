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


# ----------------------------------------------------------------------------- issue 10: the grown catalog
def smooth_l1(y_true, y_pred, beta=1.0):
    """PyTorch's SmoothL1Loss per element: 0.5 e^2 / beta if |e| < beta else |e| - 0.5 beta."""
    y_true, y_pred = _f64(y_true, y_pred)
    a = np.abs(y_pred - y_true)
    if beta == 0:
        return np.mean(a, axis=-1)
    return np.mean(np.where(a < beta, 0.5 * a**2 / beta, a - 0.5 * beta), axis=-1)


def generalized_kl_divergence(y_true, y_pred, log_input=False):
    t, q = _f64(y_true, y_pred)
    if log_input:
        q = np.exp(q)
    t_log_t = np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0)), 0.0)
    return np.sum(t_log_t - t * np.log(q) - t + q, axis=-1)


def jensen_shannon(y_true, y_pred):
    """0.5 KL(p || m) + 0.5 KL(q || m), m the average; q clipped to [1e-7, 1]."""
    p, q = _f64(y_true, y_pred)
    q = np.clip(q, EPS, 1.0)
    m = 0.5 * (p + q)

    def kl(a, b):
        return np.sum(np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0) / b), 0.0), axis=-1)

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def soft_margin(y_true, y_pred):
    y_true, y_pred = _f64(y_true, y_pred)
    return np.mean(np.logaddexp(0.0, -_signed(y_true) * y_pred), axis=-1)


def perceptron(y_true, y_pred):
    y_true, y_pred = _f64(y_true, y_pred)
    return np.mean(np.maximum(-_signed(y_true) * y_pred, 0.0), axis=-1)


def multilabel_soft_margin(y_true, y_pred, class_weight=None):
    y, x = _f64(y_true, y_pred)
    terms = -(y * _log_sigmoid(x) + (1.0 - y) * _log_sigmoid(-x))
    return np.mean(_class_weighted(terms, class_weight), axis=-1)


def _labels(y_true, y_pred):
    labels = np.asarray(y_true)
    (x,) = _f64(y_pred)
    if labels.ndim == x.ndim:
        labels = labels[..., 0]
    return labels.astype(np.int64), x


def _at(x, labels):
    return np.take_along_axis(x, labels[..., None], axis=-1)[..., 0]


def nll(y_true, y_pred, ignore_class=None, class_weight=None):
    labels, x = _labels(y_true, y_pred)
    ignored = np.zeros(labels.shape, bool) if ignore_class is None else labels == ignore_class
    safe = np.where(ignored, 0, labels)
    weight = 1.0 if class_weight is None else np.asarray(class_weight, dtype=np.float64)[safe]
    return np.where(ignored, 0.0, -weight * _at(x, safe))


def multiclass_hinge(y_true, y_pred):
    """Crammer-Singer: max(0, 1 + max over the other classes - the true class's score)."""
    labels, x = _labels(y_true, y_pred)
    others = np.where(np.arange(x.shape[-1]) == labels[..., None], -np.inf, x)
    return np.maximum(0.0, 1.0 + others.max(axis=-1) - _at(x, labels))


def multi_margin(y_true, y_pred, margin=1.0, p=1, class_weight=None):
    """PyTorch's MultiMarginLoss: sum over c != y of max(0, margin - x_y + x_c)^p / C, times w[y]."""
    labels, x = _labels(y_true, y_pred)
    c = x.shape[-1]
    slack = np.maximum(0.0, margin - _at(x, labels)[..., None] + x) ** p
    slack = np.where(np.arange(c) == labels[..., None], 0.0, slack)
    weight = 1.0 if class_weight is None else np.asarray(class_weight, dtype=np.float64)[labels]
    return weight * slack.sum(axis=-1) / c


def _sparsemax(z):
    """Sparsemax by bisection on the threshold (an algorithm independent of the sort losskit uses)."""
    low, high = z.max(axis=-1, keepdims=True) - 1.0, z.max(axis=-1, keepdims=True)
    for _ in range(200):
        tau = 0.5 * (low + high)
        too_much = np.maximum(z - tau, 0.0).sum(axis=-1, keepdims=True) > 1.0
        low, high = np.where(too_much, tau, low), np.where(too_much, high, tau)
    p = np.maximum(z - 0.5 * (low + high), 0.0)
    return p / p.sum(axis=-1, keepdims=True)


def sparsemax(y_true, y_pred):
    """The Fenchel-Young form: p . z - |p|^2 / 2 + 1/2 - z_y with p = sparsemax(z) (Blondel et al.)."""
    labels, z = _labels(y_true, y_pred)
    p = _sparsemax(z)
    return np.sum(p * z, axis=-1) - 0.5 * np.sum(p**2, axis=-1) + 0.5 - _at(z, labels)


def poly1_crossentropy(y_true, y_pred, epsilon=2.0, from_logits=False):
    y, x = _f64(y_true, y_pred)
    log_p = _log_probabilities(x, from_logits)
    return -np.sum(_plogq(y, log_p), axis=-1) + epsilon * (1.0 - np.sum(y * np.exp(log_p), axis=-1))


def generalized_crossentropy(y_true, y_pred, q=0.5, from_logits=False):
    """Keras' CategoricalGeneralizedCrossEntropy: (1 - p_y^q) / q, probabilities used as given."""
    labels, x = _labels(y_true, y_pred)
    p = np.exp(_at(_log_softmax(x), labels)) if from_logits else _at(x, labels)
    return (1.0 - p**q) / q


def sparse_categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, ignore_class=None, class_weight=None):
    labels, x = _labels(y_true, y_pred)
    ignored = np.zeros(labels.shape, bool) if ignore_class is None else labels == ignore_class
    safe = np.where(ignored, 0, labels)
    log_p = _at(_log_probabilities(x, from_logits), safe)
    weight = 1.0 if class_weight is None else np.asarray(class_weight, dtype=np.float64)[safe]
    return np.where(ignored, 0.0, -alpha * weight * (1.0 - np.exp(log_p)) ** gamma * log_p)


# ----------------------------------------------------------------------------- segmentation: one value per sample
def _per_sample_sums(y_true, y_pred):
    y, p = _f64(y_true, y_pred)
    one = y.ndim <= 1
    y, p = y.reshape(1 if one else y.shape[0], -1), p.reshape(1 if one else p.shape[0], -1)
    return y, p, one


def _per_sample_pixels(y_true, y_pred, from_logits):
    """``(y, p, one)``: one-hot targets and probabilities (softmax of logits) as ``(N, pixels, C)``
    in float64; ``one``: a single sample was given (1-D input)."""
    y, p = _f64(y_true, y_pred)
    if from_logits:
        p = np.exp(_log_softmax(p))
    one = y.ndim <= 1
    c = y.shape[-1]
    return y.reshape(1 if one else y.shape[0], -1, c), p.reshape(1 if one else p.shape[0], -1, c), one


def _finish(values, one):
    return values[0] if one else values


def _sigmoid_of(y_pred, from_logits):
    x = np.asarray(y_pred, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-x)) if from_logits else x


def dice(y_true, y_pred, smooth=0.0, from_logits=False):
    """Keras' dice over every non-batch axis: 1 - 2 sum(y p) / (sum y + sum p + 1e-7), smoothed."""
    y, p, one = _per_sample_sums(y_true, _sigmoid_of(y_pred, from_logits))
    return _finish(1.0 - (2.0 * (y * p).sum(-1) + smooth) / (y.sum(-1) + p.sum(-1) + smooth + EPS), one)


def jaccard(y_true, y_pred, smooth=0.0, from_logits=False):
    y, p, one = _per_sample_sums(y_true, _sigmoid_of(y_pred, from_logits))
    inter = (y * p).sum(-1)
    return _finish(1.0 - (inter + smooth) / (y.sum(-1) + p.sum(-1) - inter + smooth + EPS), one)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, smooth=0.0, from_logits=False):
    """Keras' code: alpha weighs sum(y (1 - p)), beta sum((1 - y) p)."""
    y, p, one = _per_sample_sums(y_true, _sigmoid_of(y_pred, from_logits))
    inter = (y * p).sum(-1)
    index = (inter + smooth) / (inter + alpha * (y * (1 - p)).sum(-1) + beta * ((1 - y) * p).sum(-1) + smooth + EPS)
    return _finish(1.0 - index, one)


def focal_tversky(y_true, y_pred, alpha=0.7, beta=0.3, gamma=0.75, smooth=0.0, from_logits=False):
    return np.maximum(tversky(y_true, y_pred, alpha=alpha, beta=beta, smooth=smooth, from_logits=from_logits), 0.0) ** gamma


def generalized_dice(y_true, y_pred, smooth=1.0, from_logits=False):
    """Optax's multiclass_generalized_dice_loss applied to each sample on its own."""
    y, p, one = _per_sample_pixels(y_true, y_pred, from_logits)
    c = y.shape[-1]
    size = y.sum(1)
    weights = 1.0 / (size**2 + EPS)
    weights = weights / weights.sum(-1, keepdims=True) * c
    coefficient = ((y * p).sum(1) + smooth) / (0.5 * (y.sum(1) + p.sum(1)) + smooth)
    return _finish((weights * (1.0 - coefficient)).mean(-1), one)


def _lovasz_extension(errors, truth, clip=None):
    """Berman et al.'s Lovász extension of the Jaccard loss at ``errors`` (their lovasz_grad:
    the Jaccard index's increments along the errors sorted in decreasing order), dotted with the
    sorted errors (``clip(errors, 0)`` first where given, as lovasz_hinge's ReLU)."""
    order = np.argsort(-errors, kind="stable")
    truth = truth[order]
    gts = truth.sum()
    jaccard = 1.0 - (gts - np.cumsum(truth)) / (gts + np.cumsum(1.0 - truth))
    jaccard[1:] = jaccard[1:] - jaccard[:-1]
    sorted_errors = errors[order] if clip is None else clip(errors[order], 0.0)
    return np.dot(sorted_errors, jaccard)


def lovasz_hinge(y_true, y_pred):
    """Berman et al.'s reference (lovasz_losses.py), per image, in NumPy."""
    y, s, one = _per_sample_sums(y_true, y_pred)
    out = np.zeros(len(y))
    for n in range(len(y)):
        errors = 1.0 - s[n] * (2.0 * y[n] - 1.0)
        out[n] = _lovasz_extension(errors, y[n], np.maximum)
    return _finish(out, one)


def lovasz_softmax(y_true, y_pred, classes="present", from_logits=False):
    """Berman et al.'s lovasz_softmax_flat (lovasz_losses.py) per image, in NumPy, with their
    classes="present" rule (a class absent from the image's labels is left out; none: 0)."""
    y, p, one = _per_sample_pixels(y_true, y_pred, from_logits)
    out = np.zeros(len(y))
    for n in range(len(y)):
        losses = []
        for k in range(y.shape[-1]):
            fg = y[n, :, k]
            if classes == "present" and fg.sum() == 0:
                continue
            losses.append(_lovasz_extension(np.abs(fg - p[n, :, k]), fg))
        out[n] = np.mean(losses) if losses else 0.0
    return _finish(out, one)


# ----------------------------------------------------------------------------- ranking: one list per row
def _lists(y_true, y_pred):
    y, s = _f64(y_true, y_pred)
    return y.reshape(-1, y.shape[-1]), s.reshape(-1, s.shape[-1]), y.shape[:-1]


def ranking_softmax(y_true, y_pred):
    y, s = _f64(y_true, y_pred)
    return -np.sum(y * _log_softmax(s), axis=-1)


def _pairwise(y_true, y_pred, pair_loss):
    y, s, lead = _lists(y_true, y_pred)
    out = np.zeros(len(y))
    for row in range(len(y)):
        for i in range(y.shape[1]):
            for j in range(y.shape[1]):
                if y[row, i] > y[row, j]:
                    out[row] += pair_loss(s[row, i] - s[row, j])
    return out.reshape(lead)


def pairwise_logistic(y_true, y_pred):
    return _pairwise(y_true, y_pred, lambda d: np.logaddexp(0.0, -d))


def pairwise_hinge(y_true, y_pred, margin=1.0):
    return _pairwise(y_true, y_pred, lambda d: max(0.0, margin - d))


def listmle(y_true, y_pred):
    """Plackett-Luce negative log-likelihood of the items sorted by decreasing relevance (stable)."""
    y, s, lead = _lists(y_true, y_pred)
    out = np.zeros(len(y))
    for row in range(len(y)):
        ordered = s[row][np.argsort(-y[row], kind="stable")]
        tails = np.logaddexp.accumulate(ordered[::-1])[::-1]
        out[row] = np.sum(tails - ordered)
    return out.reshape(lead)


def contrastive(y_true, y_pred, margin=1.0):
    """Hadsell et al.: y d^2 + (1 - y) max(margin - d, 0)^2, y = 1 for similar pairs."""
    y, d = _f64(y_true, y_pred)
    return np.mean(y * d**2 + (1 - y) * np.maximum(margin - d, 0.0) ** 2, axis=-1)


# ----------------------------------------------------------------------------- metric learning: the whole batch
def _batch(y_true, y_pred):
    labels = np.asarray(y_true, dtype=np.float64).reshape(-1)
    (x,) = _f64(y_pred)
    unit = x / np.where(np.linalg.norm(x, axis=-1, keepdims=True) > 0, np.linalg.norm(x, axis=-1, keepdims=True), 1.0)
    return labels, x, unit @ unit.T


def ntxent(y_true, y_pred, temperature=0.07):
    labels, _, cos = _batch(y_true, y_pred)
    n, out = len(labels), np.zeros(len(labels))
    for i in range(n):
        negatives = [k for k in range(n) if labels[k] != labels[i]]
        terms = []
        for j in range(n):
            if j != i and labels[j] == labels[i]:
                logits = np.array([cos[i, j]] + [cos[i, k] for k in negatives]) / temperature
                terms.append(np.logaddexp.reduce(logits) - logits[0])
        out[i] = np.mean(terms) if terms else 0.0
    return out


def supervised_contrastive(y_true, y_pred, temperature=0.07):
    labels, _, cos = _batch(y_true, y_pred)
    n, out = len(labels), np.zeros(len(labels))
    for i in range(n):
        others = np.array([cos[i, a] for a in range(n) if a != i]) / temperature
        positives = [cos[i, j] / temperature for j in range(n) if j != i and labels[j] == labels[i]]
        out[i] = np.logaddexp.reduce(others) - np.mean(positives) if positives else 0.0
    return out


def triplet_margin(y_true, y_pred, margin=1.0, p=2.0, mining="batch_all"):
    labels, x, _ = _batch(y_true, y_pred)
    n, out = len(labels), np.zeros(len(labels))

    def dist(a, b):
        return (np.sum(np.abs(x[a] - x[b]) ** p) + 1e-6) ** (1.0 / p)

    for i in range(n):
        positives = [j for j in range(n) if j != i and labels[j] == labels[i]]
        negatives = [k for k in range(n) if labels[k] != labels[i]]
        if not positives or not negatives:
            continue
        if mining == "batch_all":
            out[i] = np.mean([max(0.0, dist(i, j) - dist(i, k) + margin) for j in positives for k in negatives])
        else:
            terms = []
            for j in positives:
                farther = [dist(i, k) for k in negatives if dist(i, k) > dist(i, j)]
                chosen = min(farther) if farther else max(dist(i, k) for k in negatives)
                terms.append(max(0.0, dist(i, j) - chosen + margin))
            out[i] = np.mean(terms)
    return out


def circle(y_true, y_pred, gamma=80.0, margin=0.4):
    """Keras 3's circle (remove_diagonal=True) on L2-normalised embeddings."""
    labels, _, cos = _batch(y_true, y_pred)
    n, out = len(labels), np.zeros(len(labels))
    d = np.maximum(1.0 - cos, 0.0)
    for i in range(n):
        pos = [-gamma * max(margin + d[i, j], 0.0) * (margin - d[i, j]) for j in range(n) if j != i and labels[j] == labels[i]]
        neg = [gamma * max(1.0 + margin - d[i, k], 0.0) * (1.0 - margin - d[i, k]) for k in range(n) if labels[k] != labels[i]]
        if pos and neg:
            out[i] = np.logaddexp(0.0, np.logaddexp.reduce(pos) + np.logaddexp.reduce(neg))
    return out


# ----------------------------------------------------------------------------- sequences
def ctc(y_true, y_pred, blank=0, zero_infinity=False):
    """-log of the sum over every alignment (all C^T paths, enumerated) that collapses to the labels."""
    import itertools

    labels = np.asarray(y_true)
    (x,) = _f64(y_pred)
    log_p = _log_softmax(x)
    out = np.zeros(len(labels))
    for n in range(len(labels)):
        target = [int(v) for v in labels[n] if v >= 0]
        total = -np.inf
        for path in itertools.product(range(x.shape[-1]), repeat=x.shape[1]):
            collapsed = [c for i, c in enumerate(path) if (i == 0 or c != path[i - 1])]
            if [c for c in collapsed if c != blank] == target:
                total = np.logaddexp(total, sum(log_p[n, t, c] for t, c in enumerate(path)))
        out[n] = 0.0 if (zero_infinity and total == -np.inf) else -total
    return out


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
        smooth_l1,
        generalized_kl_divergence,
        jensen_shannon,
        soft_margin,
        perceptron,
        multilabel_soft_margin,
        nll,
        multiclass_hinge,
        multi_margin,
        sparsemax,
        poly1_crossentropy,
        generalized_crossentropy,
        sparse_categorical_focal_crossentropy,
        dice,
        jaccard,
        tversky,
        focal_tversky,
        generalized_dice,
        ranking_softmax,
        pairwise_logistic,
        pairwise_hinge,
        listmle,
        contrastive,
        ntxent,
        supervised_contrastive,
        triplet_margin,
        circle,
        ctc,
        lovasz_hinge,
        lovasz_softmax,
    )
}
