"""Segmentation losses: soft overlaps between a target mask and predicted probabilities, one value
per sample over every non-batch axis (an image's pixels, and its classes where the last axis holds
them: ``Layout.PER_SAMPLE``); each value kernel with its gradient and Hessian diagonal below it.

Each overlap is a ratio ``T = N / D`` of two sums linear in ``y_pred`` (``N = a I + s``,
``I = sum(y p)``), so with ``n_k = dN/dp_k`` and ``c_k = dD/dp_k``:
``dT/dp_k = (n_k D - N c_k) / D^2`` and ``d^2T/dp_k^2 = -2 c_k (n_k D - N c_k) / D^3``. The loss is
``f(T)`` (``1 - T``, or ``(1 - T)^gamma``): ``g = f'(T) T'``, ``h = f''(T) T'^2 + f'(T) T''``, not
of one sign, so each has the surrogate ``|f''| T'^2 + |f'| |T''|`` (floored).

Probabilities by default, as Keras takes them; ``from_logits=True`` takes raw scores through the
link the record's target layout implies: the sigmoid of each element for the binary masks (dice,
jaccard, tversky, focal_tversky: one channel, or several independent ones) and the softmax over the
class axis for the one-hot ones (generalized_dice, lovasz_softmax). Their derivatives are the chain
rule through that link (:func:`_through_sigmoid`, :func:`_through_softmax`). The ``1e-7`` in every
denominator is Keras' epsilon, so an empty target and an empty prediction give a loss of 1
(0 / 1e-7 = 0), never NaN.
"""

from __future__ import annotations

from .._array import EPSILON, safe_pow, sigmoid, softmax
from ._domain import BINARY, REAL, UNIT, Intercept, Layout, Target
from ._link import LOGIT, SOFTMAX
from ._spec import NON_NEGATIVE_NUMBER, Check, define

_SEGMENTATION = dict(
    tasks=("segmentation",),
    y_true=UNIT,
    y_pred=UNIT,
    target=Target.BINARY,
    layout=Layout.PER_SAMPLE,
    link=LOGIT,
    intercept=Intercept.ZERO,
    activations=("sigmoid", "softmax"),
)
_SURROGATE = "|f''| T'^2 + |f'| |T''|, both terms of the exact Hessian made positive (the overlap ratio is not convex)"


def _flat(x, xp):
    """``x`` as (samples, elements): 1-D and 0-d inputs are one sample."""
    if x.ndim <= 1:
        return xp.reshape(x, (1, -1))
    return xp.reshape(x, (x.shape[0], -1))


def _per_sample(values, like):
    """(samples,) values back to per-sample shape: 0-d for a 1-D (one-sample) input."""
    return values[0] if like.ndim <= 1 else values


def _sums(y, p, xp):
    """Per-sample (I, sum y, sum p) over every non-batch axis, kept as (samples, 1)."""
    return (xp.sum(y * p, axis=-1, keepdims=True), xp.sum(y, axis=-1, keepdims=True), xp.sum(p, axis=-1, keepdims=True))


def _ratio_derivatives(numerator, denominator, dn, dd):
    """(T, T', T'') of ``T = N / D`` with ``N``, ``D`` linear in ``p``: ``dn``, ``dd`` their slopes."""
    ratio = numerator / denominator
    first = (dn * denominator - numerator * dd) / (denominator * denominator)
    return ratio, first, -2.0 * dd * first / denominator


def _probabilities(y_pred, from_logits, xp):
    """The probabilities the overlap measures: ``sigmoid(y_pred)`` from logits."""
    return sigmoid(y_pred, xp) if from_logits else y_pred


def _through_sigmoid(derivatives, y_pred, from_logits, surrogate, xp):
    """``(g, h)`` in the probabilities ``p = sigmoid(z)`` -> in the logits ``z``: ``g p'`` and
    ``h p'^2 + g p''`` (``p' = p (1 - p)``, ``p'' = p' (1 - 2p)``); the surrogate takes ``|g| |p''|``
    (its ``h`` is already positive). Elementwise: ``z_k`` moves ``p_k`` only."""
    grad, hess = derivatives
    if not from_logits:
        return grad, hess
    p = sigmoid(y_pred, xp)
    slope = p * (1.0 - p)
    bend = slope * (1.0 - 2.0 * p)
    curvature = xp.abs(grad) * xp.abs(bend) if surrogate else grad * bend
    return grad * slope, hess * xp.square(slope) + curvature


def _loss_derivatives(f1, f2, first, second, surrogate, shape, xp):
    grad = f1 * first
    if surrogate:
        size = (lambda f: abs(f) if isinstance(f, float) else xp.abs(f))  # noqa: E731
        hess = size(f2) * xp.square(first) + size(f1) * xp.abs(second)
    else:
        hess = f2 * xp.square(first) + f1 * second
    return xp.reshape(grad, shape), xp.reshape(hess, shape)


# ----------------------------------------------------------------------------- dice and Jaccard
@define(
    name="dice",
    aliases=("dice_loss", "soft_dice"),
    **_SEGMENTATION,
    properties=("overlap-based", "for class imbalance", "per sample over all axes"),
    formula="1 - (2 sum(y p) + smooth) / (sum(y) + sum(p) + smooth + eps), sums over every non-batch axis",
    latex=r"1 - \frac{2\sum_i y_i p_i + s}{\sum_i y_i + \sum_i p_i + s + \epsilon}",
    references=("Milletari et al., V-Net, 2016. https://arxiv.org/abs/1606.04797", "keras.losses.Dice"),
    checks={"smooth": NON_NEGATIVE_NUMBER},
)
def dice(y_true, y_pred, *, smooth=0.0, from_logits=False, xp):
    """Soft Dice loss: one minus the Dice coefficient of the target mask and the predicted
    probabilities, one value per sample over all its pixels (and classes). Keras'
    ``dice(y_true, y_pred, axis=(1, ..., rank - 1))`` for ``smooth=0``; ``smooth`` is added to
    numerator and denominator (Optax's ``smooth`` is half of it). Shapes ``(N, ...) -> (N,)``.
    ``from_logits=True``: the sigmoid of each element first.
    """
    y, p = _flat(y_true, xp), _flat(_probabilities(y_pred, from_logits, xp), xp)
    intersection, total_y, total_p = _sums(y, p, xp)
    coefficient = (2.0 * intersection + smooth) / (total_y + total_p + smooth + EPSILON)
    return _per_sample(1.0 - coefficient[:, 0], y_pred)


@dice.derivatives(surrogate=_SURROGATE)
def _dice_derivatives(y_true, y_pred, *, smooth, from_logits, surrogate, xp):
    """``T = (2I + s) / (sum y + sum p + s + eps)``: ``n_k = 2 y_k``, ``c_k = 1``; ``f = 1 - T``."""
    y, p = _flat(y_true, xp), _flat(_probabilities(y_pred, from_logits, xp), xp)
    intersection, total_y, total_p = _sums(y, p, xp)
    _, first, second = _ratio_derivatives(2.0 * intersection + smooth, total_y + total_p + smooth + EPSILON, 2.0 * y, 1.0)
    in_p = _loss_derivatives(-1.0, 0.0, first, second, surrogate, y_pred.shape, xp)
    return _through_sigmoid(in_p, y_pred, from_logits, surrogate, xp)


@define(
    name="jaccard",
    aliases=("soft_iou", "iou", "jaccard_loss"),
    **_SEGMENTATION,
    properties=("overlap-based", "for class imbalance", "per sample over all axes"),
    formula="1 - (sum(y p) + smooth) / (sum(y) + sum(p) - sum(y p) + smooth + eps)",
    latex=r"1 - \frac{\sum_i y_i p_i + s}{\sum_i y_i + \sum_i p_i - \sum_i y_i p_i + s + \epsilon}",
    references=("Rahman & Wang, Optimizing Intersection-Over-Union in Deep Neural Networks for Image Segmentation, 2016.",),
    checks={"smooth": NON_NEGATIVE_NUMBER},
)
def jaccard(y_true, y_pred, *, smooth=0.0, from_logits=False, xp):
    """Soft Jaccard (IoU) loss: one minus the soft intersection over union, one value per sample.
    Tversky with both weights 1 (Optax's ``dice_loss(alpha=1, beta=1)`` of a single class).
    ``from_logits=True``: the sigmoid of each element first.
    """
    y, p = _flat(y_true, xp), _flat(_probabilities(y_pred, from_logits, xp), xp)
    intersection, total_y, total_p = _sums(y, p, xp)
    coefficient = (intersection + smooth) / (total_y + total_p - intersection + smooth + EPSILON)
    return _per_sample(1.0 - coefficient[:, 0], y_pred)


@jaccard.derivatives(surrogate=_SURROGATE)
def _jaccard_derivatives(y_true, y_pred, *, smooth, from_logits, surrogate, xp):
    """``T = (I + s) / (sum y + sum p - I + s + eps)``: ``n_k = y_k``, ``c_k = 1 - y_k``."""
    y, p = _flat(y_true, xp), _flat(_probabilities(y_pred, from_logits, xp), xp)
    intersection, total_y, total_p = _sums(y, p, xp)
    _, first, second = _ratio_derivatives(intersection + smooth, total_y + total_p - intersection + smooth + EPSILON, y, 1.0 - y)
    in_p = _loss_derivatives(-1.0, 0.0, first, second, surrogate, y_pred.shape, xp)
    return _through_sigmoid(in_p, y_pred, from_logits, surrogate, xp)


# ----------------------------------------------------------------------------- Tversky
def _tversky_terms(y_true, y_pred, alpha, beta, smooth, xp):
    """(T, T', T'') of Keras' Tversky index ``I / (I + alpha sum(y (1 - p)) + beta sum((1 - y) p) + eps)``
    (plus ``smooth`` above and below): ``n_k = y_k``, ``c_k = (1 - alpha) y_k + beta (1 - y_k)``."""
    y, p = _flat(y_true, xp), _flat(y_pred, xp)
    intersection = xp.sum(y * p, axis=-1, keepdims=True)
    missed = xp.sum(y * (1.0 - p), axis=-1, keepdims=True)
    spurious = xp.sum((1.0 - y) * p, axis=-1, keepdims=True)
    denominator = intersection + alpha * missed + beta * spurious + smooth + EPSILON
    return _ratio_derivatives(intersection + smooth, denominator, y, (1.0 - alpha) * y + beta * (1.0 - y))


_TVERSKY_CHECKS = {"alpha": NON_NEGATIVE_NUMBER, "beta": NON_NEGATIVE_NUMBER, "smooth": NON_NEGATIVE_NUMBER}


@define(
    name="tversky",
    aliases=("tversky_loss",),
    **_SEGMENTATION,
    properties=("overlap-based", "for class imbalance", "per sample over all axes"),
    formula="1 - (sum(y p) + smooth) / (sum(y p) + alpha sum(y (1 - p)) + beta sum((1 - y) p) + smooth + eps)",
    latex=r"1 - \frac{\sum y p + s}{\sum y p + \alpha\sum y(1-p) + \beta\sum (1-y)p + s + \epsilon}",
    references=("Salehi et al., Tversky loss function for image segmentation, 2017. https://arxiv.org/abs/1706.05721",
                "keras.losses.Tversky"),
    checks=_TVERSKY_CHECKS,
)
def tversky(y_true, y_pred, *, alpha=0.5, beta=0.5, smooth=0.0, from_logits=False, xp):
    """Tversky loss: Dice with the misses and the false alarms weighed apart, one value per sample.
    As Keras' code (``tversky(y_true, y_pred, alpha, beta, axis=(1, ...))``), ``alpha`` weighs
    ``sum(y (1 - p))`` (the target the prediction misses) and ``beta`` ``sum((1 - y) p)``;
    ``alpha = beta = 0.5`` is :func:`dice`, ``alpha = beta = 1`` :func:`jaccard`.
    ``from_logits=True``: the sigmoid of each element first.
    """
    ratio, _, _ = _tversky_terms(y_true, _probabilities(y_pred, from_logits, xp), alpha, beta, smooth, xp)
    return _per_sample(1.0 - ratio[:, 0], y_pred)


@tversky.derivatives(surrogate=_SURROGATE)
def _tversky_derivatives(y_true, y_pred, *, alpha, beta, smooth, from_logits, surrogate, xp):
    """``f = 1 - T`` of the Tversky index (module docstring)."""
    _, first, second = _tversky_terms(y_true, _probabilities(y_pred, from_logits, xp), alpha, beta, smooth, xp)
    in_p = _loss_derivatives(-1.0, 0.0, first, second, surrogate, y_pred.shape, xp)
    return _through_sigmoid(in_p, y_pred, from_logits, surrogate, xp)


@define(
    name="focal_tversky",
    aliases=("focal_tversky_loss",),
    **_SEGMENTATION,
    properties=("overlap-based", "for class imbalance", "down-weights easy examples", "per sample over all axes"),
    formula="(1 - T)^gamma, T the Tversky index of tversky(alpha, beta, smooth)",
    latex=r"\Big(1 - \frac{\sum y p + s}{\sum y p + \alpha\sum y(1-p) + \beta\sum (1-y)p + s + \epsilon}\Big)^\gamma",
    references=("Abraham & Khan, A Novel Focal Tversky loss function, 2019. https://arxiv.org/abs/1810.07842",),
    checks={**_TVERSKY_CHECKS, "gamma": NON_NEGATIVE_NUMBER},
)
def focal_tversky(y_true, y_pred, *, alpha=0.7, beta=0.3, gamma=0.75, smooth=0.0, from_logits=False, xp):
    """Focal Tversky loss (Abraham & Khan): the Tversky loss raised to ``gamma`` (their ``1/gamma``
    with gamma 4/3 is 0.75 here), so that ``gamma < 1`` stresses samples whose overlap is already
    good. ``alpha = 0.7`` weighs the missed target (their false negatives). ``gamma = 1`` is
    :func:`tversky`. Finite, with a finite gradient (0), at a perfect overlap. ``from_logits=True``:
    the sigmoid of each element first.
    """
    ratio, _, _ = _tversky_terms(y_true, _probabilities(y_pred, from_logits, xp), alpha, beta, smooth, xp)
    u = xp.clip(1.0 - ratio[:, 0], min=0.0)
    perfect = u == 0  # u^gamma with a flat (0) gradient there; a NaN stays NaN
    return _per_sample(xp.where(perfect, xp.zeros_like(u), xp.where(perfect, xp.ones_like(u), u) ** gamma), y_pred)


@focal_tversky.derivatives(surrogate=_SURROGATE)
def _focal_tversky_derivatives(y_true, y_pred, *, alpha, beta, gamma, smooth, from_logits, surrogate, xp):
    """``f = u^gamma``, ``u = 1 - T``: ``f' = -gamma u^(gamma-1)``, ``f'' = gamma (gamma - 1) u^(gamma-2)``
    (0 where ``u = 0``, where the value is flat)."""
    ratio, first, second = _tversky_terms(y_true, _probabilities(y_pred, from_logits, xp), alpha, beta, smooth, xp)
    u = xp.clip(1.0 - ratio, min=0.0)
    f1 = -gamma * safe_pow(u, gamma - 1.0, xp)
    f2 = gamma * (gamma - 1.0) * safe_pow(u, gamma - 2.0, xp)
    in_p = _loss_derivatives(f1, f2, first, second, surrogate, y_pred.shape, xp)
    return _through_sigmoid(in_p, y_pred, from_logits, surrogate, xp)


# ----------------------------------------------------------------------------- generalized Dice
@define(
    name="generalized_dice",
    aliases=("generalized_dice_loss", "multiclass_generalized_dice"),
    tasks=("segmentation",),
    y_true=UNIT,
    y_pred=UNIT,
    target=Target.ONE_HOT,
    layout=Layout.PER_SAMPLE,
    link=SOFTMAX,
    intercept=Intercept.ZERO,
    activations=("softmax",),
    properties=("overlap-based", "for class imbalance", "per sample over all axes", "needs one-hot labels"),
    formula="mean_c w_c (1 - (I_c + smooth) / ((sum y_c + sum p_c) / 2 + smooth)), w ~ 1 / (sum y_c)^2 normalised to sum to C",
    latex=r"\frac{1}{C}\sum_c w_c\Big(1 - \frac{I_c + s}{\tfrac12(\sum_i y_{ic} + \sum_i p_{ic}) + s}\Big),\ w_c \propto \frac{1}{(\sum_i y_{ic})^2}",
    references=("Sudre et al., Generalised Dice overlap as a deep learning loss function for highly unbalanced segmentations, 2017.",
                "Optax multiclass_generalized_dice_loss"),
    checks={"smooth": NON_NEGATIVE_NUMBER},
)
def generalized_dice(y_true, y_pred, *, smooth=1.0, from_logits=False, xp):
    """Generalized Dice loss (Sudre et al.) as Optax's ``multiclass_generalized_dice_loss`` computes
    it, per sample: a Dice loss per class (the last axis; sums over the pixels), weighed by the
    inverse squared size of that class in the sample's target (``1 / (size^2 + 1e-7)``, normalised
    to sum to C) and averaged over the classes, so a rare class counts as much as a large one.
    Shapes ``(N, ..., C) -> (N,)``; a 2-D input is N samples of one pixel. ``from_logits=True``:
    the softmax over the class (last) axis first.
    """
    classes = y_pred.shape[-1]
    weights, coefficient = _generalized_dice_terms(y_true, softmax(y_pred, xp) if from_logits else y_pred, smooth, xp)
    return _per_sample(xp.sum(weights * (1.0 - coefficient[0]), axis=-1) / classes, y_pred)


def _generalized_dice_terms(y_true, y_pred, smooth, xp):
    """(class weights (N, C), (coefficient, d coefficient / dp, d^2 / dp^2) per class)."""
    y, p = _pixels(y_true, xp), _pixels(y_pred, xp)  # (N, pixels, C)
    size = xp.sum(y, axis=1)
    inverse = 1.0 / (xp.square(size) + EPSILON)
    weights = inverse / xp.sum(inverse, axis=-1, keepdims=True) * y_pred.shape[-1]
    intersection = xp.sum(y * p, axis=1, keepdims=True)
    half_total = 0.5 * (xp.sum(y, axis=1, keepdims=True) + xp.sum(p, axis=1, keepdims=True))
    ratio, first, second = _ratio_derivatives(intersection + smooth, half_total + smooth, y, 0.5)
    return weights, (ratio[:, 0, :], first, second)


def _pixels(x, xp):
    """``x`` as (samples, pixels, classes): a 1-D input is one sample of one pixel."""
    if x.ndim <= 1:
        return xp.reshape(x, (1, 1, -1))
    return xp.reshape(x, (x.shape[0], -1, x.shape[-1]))


@generalized_dice.derivatives(surrogate=_SURROGATE)
def _generalized_dice_derivatives(y_true, y_pred, *, smooth, from_logits, surrogate, xp):
    """The weights depend on ``y_true`` only: ``g = -(w_c / C) T_c'``, ``h = -(w_c / C) T_c''`` per class."""
    classes = y_pred.shape[-1]
    p = softmax(y_pred, xp) if from_logits else y_pred
    weights, (_, first, second) = _generalized_dice_terms(y_true, p, smooth, xp)
    scale = -weights[:, None, :] / classes
    grad, hess = scale * first, scale * second
    if surrogate:
        hess = xp.abs(hess)
    grad, hess = xp.reshape(grad, y_pred.shape), xp.reshape(hess, y_pred.shape)
    return _through_softmax(grad, hess, p, surrogate, xp) if from_logits else (grad, hess)


def _through_softmax(grad, hess, p, surrogate, xp):
    """``(g, h)`` in the probabilities ``p = softmax(z)`` (class axis last) -> in the logits.

    ``z_c`` of a pixel moves only that pixel's ``p``, and the Hessian in ``p`` has no term between
    two classes of one pixel (each class has its own ratio), so with ``dp_a/dz_c = p_a (d_ac - p_c)``
    and ``d^2 p_a/dz_c^2 = p_a (d_ac - p_c)^2 - p_a p_c (1 - p_c)``:
    ``g_z = p (g - S_g)``, ``h_z = A (1 - 2p) + p^2 S_A - p (1 - p) S_g`` with ``A = h p^2 + g p``,
    ``S_g = sum_a g_a p_a``, ``S_A = sum_a A_a``. The surrogate sums the terms' sizes:
    ``B (1 - 2p) + p^2 S_B + |1 - 2p| p (|g| (1 - p) + S_|g| - |g| p)``, ``B = |h| p^2``,
    ``S_|g| = sum_a |g_a| p_a`` (the exact terms made positive one by one)."""
    weighted = xp.sum(grad * p, axis=-1, keepdims=True)
    if surrogate:
        size, positive = xp.abs(grad), hess * xp.square(p)
        spread = xp.sum(size * p, axis=-1, keepdims=True)
        second = positive * (1.0 - 2.0 * p) + xp.square(p) * xp.sum(positive, axis=-1, keepdims=True)
        return p * (grad - weighted), second + xp.abs(1.0 - 2.0 * p) * p * (size * (1.0 - p) + spread - size * p)
    a = hess * xp.square(p) + grad * p
    second = a * (1.0 - 2.0 * p) + xp.square(p) * xp.sum(a, axis=-1, keepdims=True) - p * (1.0 - p) * weighted
    return p * (grad - weighted), second


# ----------------------------------------------------------------------------- Lovász
def _lovasz_gradient(sorted_truth, xp):
    """Berman et al.'s ``lovasz_grad``: the increments of the Jaccard loss along ``sorted_truth`` (per row)."""
    positives = xp.sum(sorted_truth, axis=-1, keepdims=True)
    intersection = positives - xp.cumulative_sum(sorted_truth, axis=-1)
    union = positives + xp.cumulative_sum(1.0 - sorted_truth, axis=-1)  # >= 1 from the first element on
    jaccard = 1.0 - intersection / union
    return xp.concat([jaccard[:, :1], jaccard[:, 1:] - jaccard[:, :-1]], axis=-1)


@define(
    name="lovasz_hinge",
    aliases=("lovasz", "lovasz_hinge_loss"),
    tasks=("segmentation",),
    y_true=BINARY,
    y_pred=REAL,
    target=Target.BINARY,
    layout=Layout.PER_SAMPLE,
    intercept=Intercept.ZERO,
    margin_based=True,
    activations=("linear",),
    derivative_source="autodiff",
    properties=("overlap-based", "margin-based", "per sample over all axes", "takes logits"),
    formula="sum_k relu(e_(k)) * dJ_k, e = 1 - (2y - 1) y_pred sorted decreasingly, dJ the Jaccard increments",
    latex=r"\sum_{k} \max(e_{(k)}, 0)\,\big(J_k - J_{k-1}\big),\ e = 1 - (2y-1)\hat y",
    references=("Berman et al., The Lovász-Softmax loss, 2018. https://arxiv.org/abs/1705.08790",),
)
def lovasz_hinge(y_true, y_pred, *, xp):
    """Lovász hinge (Berman et al., ``lovasz_hinge(per_image=True)``): the Lovász extension of the
    Jaccard loss applied to the hinge errors of logits against a binary mask, one value per image. It
    optimises the IoU directly. Its gradient is exact by PyTorch or JAX autodiff (the sort is piecewise
    constant; the Jaccard increments are held fixed, as in the reference code).
    """
    truth, scores = _flat(y_true, xp), _flat(y_pred, xp)
    errors = 1.0 - scores * (2.0 * truth - 1.0)
    order = xp.argsort(errors, axis=-1, descending=True, stable=True)
    sorted_errors = xp.take_along_axis(errors, order, axis=-1)
    increments = _lovasz_gradient(xp.take_along_axis(truth, order, axis=-1), xp)
    return _per_sample(xp.sum(xp.clip(sorted_errors, min=0.0) * increments, axis=-1), y_pred)


_CLASSES = Check(lambda v: isinstance(v, str) and v in ("present", "all"), "'present' or 'all'")


@define(
    name="lovasz_softmax",
    aliases=("lovasz_softmax_loss",),
    tasks=("segmentation",),
    y_true=BINARY,
    y_pred=UNIT,
    target=Target.ONE_HOT,
    layout=Layout.PER_SAMPLE,
    intercept=Intercept.ZERO,
    link=SOFTMAX,
    activations=("softmax",),
    derivative_source="autodiff",
    properties=("overlap-based", "for class imbalance", "per sample over all axes", "needs one-hot labels"),
    formula="mean over classes c (present in the sample's target) of sum_k e_c(k) * dJ_c,k, "
            "e_c = |y_c - p_c| over the pixels sorted decreasingly, dJ_c the Jaccard increments of y_c in that order",
    latex=r"\frac{1}{|\mathcal{C}|}\sum_{c \in \mathcal{C}} \sum_{k} e_{c,(k)}\,\big(J_{c,k} - J_{c,k-1}\big),\ "
          r"e_c = |y_c - p_c|",
    references=("Berman et al., The Lovász-Softmax loss, 2018. https://arxiv.org/abs/1705.08790",
                "github.com/bermanmaxim/LovaszSoftmax lovasz_softmax(per_image=True)"),
    checks={"classes": _CLASSES},
)
def lovasz_softmax(y_true, y_pred, *, classes="present", from_logits=False, xp):
    """Lovász-Softmax loss (Berman et al., ``lovasz_softmax(probas, labels, per_image=True)``): per
    class, the Lovász extension of the Jaccard loss applied to the errors ``|y_c - p_c|`` of the
    class probabilities over the sample's pixels; averaged over the classes present in the sample's
    target (``classes="present"``, the reference default; 0 for a sample with none) or over all of
    them (``classes="all"``). One-hot targets and probabilities with the class axis last, shapes
    ``(N, ..., C) -> (N,)``; a 2-D input is N samples of one pixel. ``from_logits=True`` takes the
    softmax over the last axis first. The value does not depend on how ties in the errors are
    ordered (a property of the Lovász extension); its gradient is exact by PyTorch or JAX autodiff
    (piecewise linear: the sort is held fixed, as in the reference code).
    """
    probabilities = softmax(y_pred, xp) if from_logits else y_pred
    y, p = _pixels(y_true, xp), _pixels(probabilities, xp)  # (N, pixels, C)
    samples, pixels, width = p.shape
    errors = xp.reshape(xp.permute_dims(xp.abs(y - p), (0, 2, 1)), (samples * width, pixels))
    truth = xp.reshape(xp.permute_dims(y, (0, 2, 1)), (samples * width, pixels))
    order = xp.argsort(errors, axis=-1, descending=True, stable=True)
    increments = _lovasz_gradient(xp.take_along_axis(truth, order, axis=-1), xp)
    per_class = xp.reshape(xp.sum(xp.take_along_axis(errors, order, axis=-1) * increments, axis=-1), (samples, width))
    if classes == "all":
        return _per_sample(xp.mean(per_class, axis=-1), y_pred)
    present = xp.astype(xp.sum(y, axis=1) > 0, per_class.dtype)
    count = xp.clip(xp.sum(present, axis=-1), min=1.0)  # no class present: 0 / 1, the reference's empty mean
    return _per_sample(xp.sum(per_class * present, axis=-1) / count, y_pred)
