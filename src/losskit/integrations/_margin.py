"""Losses in the margin form that gradient-boosting libraries train in, and the objective and
metric callables both libraries accept.

XGBoost and LightGBM predict raw margins ``F(x)``, any real number, one per row or one per class
(target) per row. A loss meets them in its margin form:

- a loss with a raw-output form gets its link's option (``loss.link.option``): ``from_logits=True``
  for the crossentropies, the focal losses and ``policy_gradient`` (the sigmoid or softmax of the
  margin is the probability), ``log_input=True`` for ``poisson`` and ``tweedie`` (the margin is the
  log of the mean, XGBoost's ``count:poisson``/``reg:tweedie`` link);
- every other loss as it is: regression losses compare the margin with the target, ``hinge`` and
  ``squared_hinge`` read it as a score with labels {0, 1} (0 read as -1) or {-1, 1}.

A loss whose record has two predictions per target (``gaussian_nll``) or a bounded raw form
(``kl_divergence``: normalised log-probabilities) has no margin form and raises ValueError, as does
a ranking loss here (its lists are query groups: :mod:`._ranking`, which the objectives use). A custom loss (a callable, a registered loss) is used as
it is and differentiated by PyTorch.

Rows and labels: one margin per row is a sample of width 1; ``(n, k)`` margins are ``n`` samples
of width ``k``. A multi-class loss (``categorical_*``, ``sparse_categorical_crossentropy``) takes
one class index per row, as both libraries give them, made one-hot where the loss wants one-hot
targets; otherwise labels hold one value per margin (XGBoost's multi-target labels).

The Hessian is always the loss's positive surrogate (``surrogate=True``, see docs/derivatives.md):
a tree's leaf value is ``-sum(g) / (sum(h) + lambda)`` and both libraries prune by
``sum(h) >= min_child_weight``, so a zero or negative Hessian (MAE, quantile, hinge, confidently
wrong focal predictions) would give infinite, backward or no steps. For an exact-kind loss the
surrogate is its exact Hessian floored at 1e-16. A custom loss has no surrogate: its exact
Hessian is floored at 1e-16, so give it a loss that is convex in the margin.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import Loss
from ..derivatives import HESSIAN_FLOOR
from ..losses._domain import Layout, Target
from ..registry import get

#: Why a built-in loss has no margin form, by what its record says.
NO_MARGIN_FORM = {
    "mean_variance": (
        "it predicts two values per target (a mean and a variance), which a boosted model with one "
        "margin per target does not produce"
    ),
    "bounded_raw": (
        "its raw form takes values in a bounded range ({domain}: e.g. normalised log-probabilities), which raw "
        "margins are not; use a loss whose link is a logit or softmax (categorical_crossentropy with the same soft "
        "targets has the KL divergence's gradient from logits)"
    ),
    "ranking": (
        "it scores the documents of each query group as one list, which needs the groups: use "
        "losskit.xgboost.objective or losskit.lightgbm.objective with the data's query groups (docs/gbdt.md)"
    ),
}


def no_margin_form(spec) -> str | None:
    """Why the loss of record ``spec`` cannot meet raw margins, or None when it can."""
    if spec is None or not spec.native:
        return None
    if spec.layout is Layout.MEAN_VARIANCE:
        return NO_MARGIN_FORM["mean_variance"]
    if spec.target is Target.RELEVANCE:
        return NO_MARGIN_FORM["ranking"]
    domain = spec.link.raw_domain if spec.raw_option else None
    if domain is not None and not (domain.low == -math.inf and domain.high == math.inf):
        return NO_MARGIN_FORM["bounded_raw"].format(domain=domain)
    return None


class MarginLoss:
    """A loss in margin form, with the library's labels and margins put in its layout.

    ``loss`` is anything :func:`losskit.get` takes, ``options`` its options; ``caller`` names the
    public function in error messages (``"losskit.xgboost.objective"``).
    """

    def __init__(self, loss, options: dict, *, caller: str):
        self.caller = caller
        self._arguments = (loss, dict(options))  # what pickling rebuilds it from
        loss = get(loss, **options)
        spec = loss.spec
        option = spec.raw_option if spec is not None else None
        if option is not None and options.get(option) is False:
            raise ValueError(
                f"{caller}: {loss.name}: `{option}` must be True (or left out); got False. Gradient "
                f"boosting predicts raw margins, so the loss reads them through its {spec.link.name} link"
            )
        reason = no_margin_form(spec)
        if reason is not None:
            raise ValueError(f"{caller}: {loss.name} cannot be a gradient-boosting objective: {reason}")
        margin_form = {option: True} if option is not None else {}
        self.loss: Loss = get(loss, reduction="mean_with_sample_weight", **margin_form)
        self.name = self.loss.name
        self.spec = spec
        self.sparse = spec is not None and spec.layout is Layout.LABELS
        self.multiclass = spec is not None and spec.target in (Target.ONE_HOT, Target.CLASS_INDICES)
        self.analytic = spec is not None and spec.gradient_hessian is not None

    def __reduce__(self):
        loss, options = self._arguments
        return (_margin_loss, (loss, options, self.caller))

    def arrange(self, labels, margins):
        """``(y_true, y_pred)`` for the loss, in the margins' float dtype (float32 or float64; others
        become float64): margins as ``(n, k)`` samples, labels as
        one class index per row (sparse losses), one-hot rows, or one value per margin."""
        y_pred = np.asarray(margins)
        if y_pred.dtype not in (np.float32, np.float64):
            y_pred = y_pred.astype(np.float64)
        n = y_pred.shape[0] if y_pred.ndim else 1
        y_pred = y_pred.reshape(n, -1)
        k = y_pred.shape[1]
        y_true = np.asarray(labels, dtype=y_pred.dtype)  # float32 margins (XGBoost's) stay float32
        if self.multiclass and k == 1:
            raise ValueError(
                f"{self.caller}: {self.name} needs one margin per class; got one per row. Set `num_class` "
                "(XGBoost's and LightGBM's parameter) to the number of classes, or use binary_crossentropy for two"
            )
        if self.multiclass and y_true.size == n:
            y_true = y_true.reshape(n)
            return (y_true if self.sparse else self._one_hot(y_true, k)), y_pred
        if y_true.size != n * k:
            raise ValueError(
                f"{self.caller}: {self.name}: `labels` must hold one value per margin ({n} rows x {k}); "
                f"got {y_true.size} values for margins of shape {tuple(np.shape(margins))}"
            )
        return y_true.reshape(n, k), y_pred

    def _one_hot(self, labels, k: int):
        if not (np.all(labels == np.floor(labels)) and np.all(labels >= 0) and np.all(labels < k)):
            raise ValueError(
                f"{self.caller}: {self.name}: `labels` must be class indices, integers in [0, {k}); "
                f"got min={labels.min():g}, max={labels.max():g}"
            )
        return np.eye(k)[labels.astype(np.int64)]

    def derivatives(self, y_true, y_pred, weights, *, surrogate: bool = True):
        """Gradient and Hessian diagonal of ``sum(w * values)`` at arranged inputs: the positive
        surrogate Hessian, or with ``surrogate=False`` the exact one (a custom loss has only that)."""
        if self.analytic:
            grad, hess = self.loss.gradient_hessian(y_true, y_pred, weights, surrogate=surrogate)
            return np.asarray(grad), np.asarray(hess)
        return _autodiff(self, y_true, y_pred, weights)

    def gradient_hessian(self, labels, margins, weights):
        """``(grad, hess)`` at the library's arrays, in the margins' shape."""
        grad, hess = self.derivatives(*self.arrange(labels, margins), weights)
        shape = np.shape(margins)
        return grad.reshape(shape), hess.reshape(shape)

    def value(self, labels, margins, weights) -> float:
        """The objective: the (weighted) mean of the per-sample values, ``sum(w * l) / sum(w)``."""
        return float(self.loss(*self.arrange(labels, margins), sample_weight=weights))


def _margin_loss(loss, options: dict, caller: str) -> MarginLoss:
    return MarginLoss(loss, options, caller=caller)


def _autodiff(margin_loss: MarginLoss, y_true, y_pred, weights):
    """A custom loss's gradient and exact Hessian by PyTorch autograd; the Hessian floored at 1e-16."""
    try:
        import torch
    except ImportError:
        raise ValueError(
            f"{margin_loss.caller}: {margin_loss.name} is a custom loss without analytic derivatives; "
            'install PyTorch (pip install "losskit[torch]") to differentiate it automatically'
        ) from None
    as_tensor = torch.from_numpy
    grad, hess = margin_loss.loss.gradient_hessian(
        as_tensor(y_true), as_tensor(y_pred), None if weights is None else as_tensor(weights)
    )
    return grad.numpy(), np.maximum(hess.numpy(), HESSIAN_FLOOR)


def weights_or_none(weights):
    """Sample weights as float64, or None where the library has none (XGBoost: an empty array)."""
    if weights is None or np.size(weights) == 0:
        return None
    return np.asarray(weights, dtype=np.float64).reshape(-1)


def is_library_data(data) -> bool:
    """An ``xgboost.DMatrix`` or ``lightgbm.Dataset`` (both carry labels and weights)."""
    return hasattr(data, "get_label") and hasattr(data, "get_weight")


def _name_of(loss) -> str:
    return loss if isinstance(loss, str) else getattr(loss, "name", None) or getattr(loss, "__name__", type(loss).__name__)


class Objective:
    """A custom objective: ``(grad, hess)`` of the loss at the current margins.

    Called by the training API as ``objective(margins, data)`` with an ``xgboost.DMatrix`` or a
    ``lightgbm.Dataset`` (labels and weights read from it), or by the scikit-learn API as
    ``objective(y_true, y_pred, sample_weight)``. Both arrays come back in the margins' shape.
    """

    def __init__(self, margin_loss: MarginLoss):
        self.margin_loss = margin_loss
        self.__name__ = margin_loss.name

    def __call__(self, margins_or_y_true, data_or_y_pred, sample_weight=None):
        return self.margin_loss.gradient_hessian(*_labels_margins_weights(margins_or_y_true, data_or_y_pred, sample_weight))

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{type(self).__name__}({self.margin_loss.loss!r})"


class Metric:
    """The loss's objective as an evaluation metric: the (weighted) mean over the rows, at margins.

    :meth:`value` takes ``(margins, data)`` or ``(y_true, y_pred, sample_weight)``; each library's
    module returns it in the form that library expects.
    """

    def __init__(self, margin_loss: MarginLoss):
        self.margin_loss = margin_loss
        self.__name__ = margin_loss.name

    def value(self, margins_or_y_true, data_or_y_pred, sample_weight=None) -> float:
        return self.margin_loss.value(*_labels_margins_weights(margins_or_y_true, data_or_y_pred, sample_weight))

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{type(self).__name__}({self.margin_loss.loss!r})"


def _labels_margins_weights(margins_or_y_true, data_or_y_pred, sample_weight):
    """``(y_true, margins, weights)`` from either call form: ``(margins, DMatrix/Dataset)`` of the
    training APIs or ``(y_true, y_pred, sample_weight)`` of the scikit-learn APIs."""
    if is_library_data(data_or_y_pred):
        data = data_or_y_pred
        return data.get_label(), margins_or_y_true, weights_or_none(data.get_weight())
    return margins_or_y_true, data_or_y_pred, weights_or_none(sample_weight)
