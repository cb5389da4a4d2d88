"""PyTorch kernels: torch's own fused losses where torch computes the same quantity, and the
Loss object's per-call fast path for tensors.

Two things live here, both registered on or read from the records:

- **Kernels** (``@fast_kernel(loss, accepts=..., objective=...)``): for the losses PyTorch has
  (``F.mse_loss``, ``F.l1_loss``, ``F.huber_loss``, ``F.cross_entropy``, ``F.poisson_nll_loss``,
  ``F.kl_div``), a per-sample kernel (``reduction="none"``, then the mean over the last axis) and
  the fused reduced ``objective``; their autograd is torch's, one fused pass each way. Binary
  crossentropy from logits is ``lerp`` of two ``F.softplus`` (torch's own BCE-with-logits has a
  gradient that rounds to 0 for confident right answers). Each gives the reference kernel's
  values and gradients (``tests/test_fast_torch.py`` compares them) and declines the options
  where torch's convention differs (probability inputs, which losskit clips as Keras does). Every other loss runs its reference kernel through torch's autograd.
- **The plan** (:func:`plan`): what ``Loss.__call__`` runs for tensors, resolved once per Loss:
  the shape rule, float16/bfloat16 computed in float32, the fused objective, and value checks
  that read at most a scalar or two (and only where :func:`~losskit._array.torch_values_readable`:
  CPU tensors outside ``torch.compile``, ``torch.jit`` tracing and ``torch.func`` transforms).
  Whatever it does not cover (sample weights, other shapes, a check that fails, a torch error)
  goes to :meth:`Loss.reference_call`, which words the errors.

Importing this module does not import torch (``import losskit`` never does): each kernel
imports it when it first runs, which is only ever on tensors, so torch is already loaded then.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .. import _array, losses
from .._config import _state as _config_state
from ..losses._domain import Layout

_TORCH: dict[str, Any] = {}


def _torch():
    """``(torch, torch.nn.functional)``, imported on first use."""
    if not _TORCH:
        import torch
        import torch.nn.functional as F

        _TORCH.update(torch=torch, F=F, floats=(torch.float32, torch.float64), halves=(torch.float16, torch.bfloat16), int64=torch.int64)
    return _TORCH["torch"], _TORCH["F"]


def _is_tensor(x) -> bool:
    return type(x).__module__.startswith("torch") and _torch()[0].is_tensor(x)


def fast_kernel(loss: Callable, *, accepts: Callable, objective: Callable | None = None) -> Callable[[Callable], Callable]:
    """Register the decorated function as the PyTorch kernel of ``loss`` (a catalog function) on
    its record: it runs for float32/float64 tensors, not empty, with the class axis last, that
    ``accepts(y_true, y_pred, options)`` covers. ``objective(y_true, y_pred, sum_, **options)`` is
    the fused reduced form: the sum of the per-sample values (``sum_``) or their mean."""

    def covered(y_true, y_pred, options) -> bool:
        return (
            _is_tensor(y_pred)
            and _is_tensor(y_true)
            and y_pred.dtype in _TORCH["floats"]
            and y_pred.ndim > 0
            and y_pred.numel() > 0
            and options.get("axis", -1) in (-1, y_pred.ndim - 1)
            and accepts(y_true, y_pred, options)
        )

    covered.inner = accepts  # what the plan asks, having checked the rest itself
    return loss.fast("torch", accepts=covered, objective=objective)


def _same_shapes(y_true, y_pred, options) -> bool:
    return y_true.dtype == y_pred.dtype and y_true.shape == y_pred.shape


def _per_sample(values, y_pred):
    """Elementwise terms -> per-sample values: the mean over the last axis."""
    return values.mean(-1)


def _elementwise_objective(terms: Callable) -> Callable:
    """The objective of an elementwise loss from ``terms(y_true, y_pred, reduction, **options)``, a
    torch loss with ``reduction="mean"`` or ``"sum"``: the mean over samples of per-sample means
    is the mean over all elements; their sum is the elements' sum over the width."""

    def objective(y_true, y_pred, sum_, **options):
        if sum_:
            return terms(y_true, y_pred, "sum", **options) / y_pred.shape[-1]
        return terms(y_true, y_pred, "mean", **options)

    return objective


# ----------------------------------------------------------------------------- regression
def _mse(y_true, y_pred, reduction):
    return _torch()[1].mse_loss(y_pred, y_true, reduction=reduction)


def _mae(y_true, y_pred, reduction):
    return _torch()[1].l1_loss(y_pred, y_true, reduction=reduction)


def _huber(y_true, y_pred, reduction, *, delta=1.0):
    return _torch()[1].huber_loss(y_pred, y_true, reduction=reduction, delta=delta)


@fast_kernel(losses.mean_squared_error, accepts=_same_shapes, objective=_elementwise_objective(_mse))
def mean_squared_error(y_true, y_pred):
    """``F.mse_loss(reduction="none")``, mean over the last axis."""
    return _per_sample(_mse(y_true, y_pred, "none"), y_pred)


@fast_kernel(losses.mean_absolute_error, accepts=_same_shapes, objective=_elementwise_objective(_mae))
def mean_absolute_error(y_true, y_pred):
    """``F.l1_loss(reduction="none")``, mean over the last axis (slope 0 at 0, as the reference)."""
    return _per_sample(_mae(y_true, y_pred, "none"), y_pred)


@fast_kernel(losses.huber, accepts=_same_shapes, objective=_elementwise_objective(_huber))
def huber(y_true, y_pred, *, delta=1.0):
    """``F.huber_loss(delta=delta)``: the same value as Keras' Huber (PyTorch's ``HuberLoss``)."""
    return _per_sample(_huber(y_true, y_pred, "none", delta=delta), y_pred)


def _poisson(y_true, y_pred, reduction, *, log_input=False):
    # PyTorch's "x - y log(x + eps)" with losskit's (Keras') eps; log-rates: exp(x) - y x
    return _torch()[1].poisson_nll_loss(y_pred, y_true, log_input=log_input, full=False, eps=_array.EPSILON, reduction=reduction)


@fast_kernel(losses.poisson, accepts=_same_shapes, objective=_elementwise_objective(_poisson))
def poisson(y_true, y_pred, *, log_input=False):
    """``F.poisson_nll_loss(full=False, eps=1e-7)``: Keras' ``poisson`` (``log_input``: log-rates)."""
    return _per_sample(_poisson(y_true, y_pred, "none", log_input=log_input), y_pred)


# ----------------------------------------------------------------------------- binary crossentropy
def _bce(y_true, y_pred, reduction, *, from_logits=True, label_smoothing=0.0, axis=-1, class_weight=None):
    """``lerp(w_0 softplus(x), w_1 softplus(-x), y)`` = ``w_1 y softplus(-x) + w_0 (1 - y) softplus(x)``.

    Not ``F.binary_cross_entropy_with_logits``: its gradient ``sigmoid(x) - y`` rounds to 0 where
    ``y = 1`` and ``x > 17`` (float32), where the reference's is ``-sigmoid(-x)``; autograd of this
    form gives ``(1 - y) w_0 sigmoid(x) - y w_1 sigmoid(-x)``, exact, with finite second
    derivatives. ``lerp`` returns each end exactly for hard labels. ``F.softplus`` is ``x`` beyond
    its threshold, which is chosen so that the difference is below the dtype's rounding.
    """
    torch, F = _torch()
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    threshold = 20.0 if y_pred.dtype == torch.float32 else 40.0
    negative, positive = F.softplus(y_pred, threshold=threshold), F.softplus(-y_pred, threshold=threshold)
    if class_weight is not None:
        w0, w1 = (float(w) for w in class_weight)
        negative, positive = negative * w0, positive * w1
    values = torch.lerp(negative, positive, y_true)
    if reduction == "none":
        return values
    return values.mean() if reduction == "mean" else values.sum()


def _bce_accepts(y_true, y_pred, options) -> bool:
    weights = options.get("class_weight")
    return options.get("from_logits", False) and _same_shapes(y_true, y_pred, options) and (weights is None or len(weights) == 2)


@fast_kernel(losses.binary_crossentropy, accepts=_bce_accepts, objective=_elementwise_objective(_bce))
def binary_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None):
    """From logits: two ``F.softplus`` and a ``lerp`` (:func:`_bce`). Probabilities are declined:
    losskit clips them to [1e-7, 1 - 1e-7] as Keras does, PyTorch clamps the log at -100."""
    values = _bce(y_true, y_pred, "none", from_logits=from_logits, label_smoothing=label_smoothing, class_weight=class_weight)
    return _per_sample(values, y_pred)


# ----------------------------------------------------------------------------- multi-class crossentropy
_WEIGHTS: dict[tuple, Any] = {}


def _class_weight_tensor(class_weight, like):
    """``class_weight`` as a tensor of ``like``'s dtype and device, made once per dtype and device
    (copying a list to an accelerator at every call would wait for the device)."""
    if class_weight is None:
        return None
    key = (tuple(float(w) for w in class_weight), like.dtype, like.device)
    weights = _WEIGHTS.get(key)
    if weights is None:
        weights = _torch()[0].tensor(key[0], dtype=like.dtype, device=like.device)
        if not _torch()[0].compiler.is_compiling():
            if len(_WEIGHTS) < 64:  # a bounded cache
                _WEIGHTS[key] = weights
    return weights


def _rows(x):
    """``(..., C)`` -> ``(rows, C)`` for ``F.cross_entropy`` (class axis 1)."""
    return x if x.ndim == 2 else x.reshape(-1, x.shape[-1])


def _cce_accepts(y_true, y_pred, options) -> bool:
    weights = options.get("class_weight")
    return (
        options.get("from_logits", False)
        and _same_shapes(y_true, y_pred, options)
        and (weights is None or len(weights) == y_pred.shape[-1])
    )


def _cce_values(y_true, y_pred, reduction, *, label_smoothing=0.0, class_weight=None):
    F = _torch()[1]
    weight = _class_weight_tensor(class_weight, y_pred)
    return F.cross_entropy(_rows(y_pred), _rows(y_true), weight=weight, label_smoothing=label_smoothing, reduction=reduction)


def _cce_masked(y_true, y_pred, *, label_smoothing=0.0, class_weight=None):
    """The reference's form (``-sum(a log_softmax(x))``, ``log p`` replaced by 0 where the target
    weight ``a`` is 0): for tensors whose values cannot be read to check ``F.cross_entropy``'s
    result, which is NaN for a ``-inf`` logit on a class of target 0 (``0 * -inf``)."""
    torch, F = _torch()
    a = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[-1] if label_smoothing else y_true
    if class_weight is not None:
        a = a * _class_weight_tensor(class_weight, y_pred)
    log_p = torch.where(a == 0, 0.0, F.log_softmax(y_pred, dim=-1))
    return -(a * log_p).sum(-1)


def _cce_objective(y_true, y_pred, sum_, *, from_logits=True, label_smoothing=0.0, axis=-1, class_weight=None):
    if _array.torch_values_readable(y_pred):
        # "mean" with probability targets is the sum over the rows (class weights and all)
        objective = _cce_values(y_true, y_pred, "sum" if sum_ else "mean", label_smoothing=label_smoothing, class_weight=class_weight)
        if not math.isfinite(objective.item()):
            return None  # a masked class (a -inf logit), or a value the reference decides
        return objective
    total = _cce_masked(y_true, y_pred, label_smoothing=label_smoothing, class_weight=class_weight).sum()
    return total if sum_ else total / (y_pred.numel() // y_pred.shape[-1])


@fast_kernel(losses.categorical_crossentropy, accepts=_cce_accepts, objective=_cce_objective)
def categorical_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None):
    """From logits: ``F.cross_entropy`` with probability targets (its ``label_smoothing`` and
    ``weight`` are Keras' and losskit's); where its result is not finite (a ``-inf`` logit on a
    class of target 0), or cannot be read, the reference's masked form."""
    options = dict(label_smoothing=label_smoothing, class_weight=class_weight)
    if _array.torch_values_readable(y_pred):
        values = _cce_values(y_true, y_pred, "none", **options)
        if bool(_torch()[0].isfinite(values).all()):
            return values.reshape(y_pred.shape[:-1])
    return _cce_masked(y_true, y_pred, **options)


#: ``ignore_index`` when no class is ignored: a label no one uses, so that an out-of-range
#: label (-100 included, PyTorch's default) is an error in PyTorch and goes to the reference.
_NO_IGNORED_INDEX = -(2**62)


def _scce_accepts(y_true, y_pred, options) -> bool:
    weights = options.get("class_weight")
    return (
        options.get("from_logits", False)
        and not y_true.dtype.is_floating_point
        and y_true.dtype != _torch()[0].bool
        and tuple(y_true.shape) == tuple(y_pred.shape[:-1])
        and (weights is None or len(weights) == y_pred.shape[-1])
    )


def _scce_values(y_true, y_pred, reduction, ignore_class, class_weight):
    F = _torch()[1]
    ignore = _NO_IGNORED_INDEX if ignore_class is None else ignore_class
    weight = _class_weight_tensor(class_weight, y_pred)
    labels = y_true if y_true.ndim == 1 else y_true.reshape(-1)
    if labels.dtype != _TORCH["int64"]:
        labels = labels.long()
    return F.cross_entropy(_rows(y_pred), labels, weight=weight, ignore_index=ignore, reduction=reduction)


def _scce_objective(y_true, y_pred, sum_, *, from_logits=True, ignore_class=None, axis=-1, class_weight=None):
    if not sum_ and ignore_class is None and class_weight is None:
        return _scce_values(y_true, y_pred, "mean", None, None)  # nothing ignored: torch's mean is ours
    total = _scce_values(y_true, y_pred, "sum", ignore_class, class_weight)
    if sum_:
        return total
    if ignore_class is None:
        return total / (y_pred.numel() // y_pred.shape[-1])
    return total / (y_true != ignore_class).sum().clamp(min=1)  # the mean over kept labels; 0 if none


@fast_kernel(losses.sparse_categorical_crossentropy, accepts=_scce_accepts, objective=_scce_objective)
def sparse_categorical_crossentropy(y_true, y_pred, *, from_logits=False, ignore_class=None, axis=-1, class_weight=None):
    """From logits: ``F.cross_entropy`` with class indices (0 for ``ignore_class``). An
    out-of-range label is a PyTorch error here (the reference then runs: a ValueError with value
    checks on, 0 without)."""
    try:
        values = _scce_values(y_true, y_pred, "none", ignore_class, class_weight)
    except (IndexError, RuntimeError):  # an out-of-range label (value checks off): the reference's 0
        import array_api_compat.torch as xp

        kernel = losses.sparse_categorical_crossentropy.spec.kernel
        return kernel(y_true, y_pred, xp=xp, from_logits=True, ignore_class=ignore_class, axis=-1, class_weight=class_weight)
    return values.reshape(y_pred.shape[:-1])


# ----------------------------------------------------------------------------- KL divergence
def _kl_accepts(y_true, y_pred, options) -> bool:
    return options.get("log_input", False) and _same_shapes(y_true, y_pred, options)


def _kl_objective(y_true, y_pred, sum_, *, log_input=True):
    total = _torch()[1].kl_div(y_pred, y_true, reduction="sum")  # xlogy(y, y) - y x: 0 where y == 0
    return total if sum_ else total / (y_pred.numel() // y_pred.shape[-1])


@fast_kernel(losses.kl_divergence, accepts=_kl_accepts, objective=_kl_objective)
def kl_divergence(y_true, y_pred, *, log_input=False):
    """Log-probabilities: ``F.kl_div(y_pred, y_true)`` (PyTorch's ``KLDivLoss``), summed over the
    last axis. Probabilities are declined (losskit clips both to [1e-7, 1] as Keras)."""
    return _torch()[1].kl_div(y_pred, y_true, reduction="none").sum(-1)


# ----------------------------------------------------------------------------- the plan
def _all_real(y_true, y_pred, objective, options) -> bool:
    """Regression losses (non-negative terms of ``y_pred - y_true``): a finite objective means
    finite inputs, so one scalar read is the whole value check."""
    return math.isfinite(objective.item())


def _unit_targets(y_true, y_pred, objective, options) -> bool:
    """Targets in [0, 1] (two scalars) and a finite objective (finite logits and targets)."""
    low, high = _torch()[0].aminmax(y_true)
    return low.item() >= 0.0 and high.item() <= 1.0 and math.isfinite(objective.item())


def _non_negative_targets(y_true, y_pred, objective, options) -> bool:
    """Counts >= 0, rates >= 0 (log-rates: any finite value) and a finite objective."""
    if not options.get("log_input") and not y_pred.min().item() >= 0.0:
        return False
    return y_true.min().item() >= 0.0 and math.isfinite(objective.item())


def _labels_and_finite(y_true, y_pred, objective, options) -> bool:
    """Labels were range-checked by ``F.cross_entropy`` (an error otherwise); logits are finite
    or -inf when the objective is finite, except in ignored rows, which the sum then reads."""
    if not math.isfinite(objective.item()):
        return False
    return options.get("ignore_class") is None or math.isfinite(y_pred.sum().item())


def _distribution_targets(y_true, y_pred, objective, options) -> bool:
    low, high = _torch()[0].aminmax(y_true)
    if not (low.item() >= 0.0 and high.item() <= 1.0 and math.isfinite(objective.item())):
        return False
    return y_pred.max().item() <= 0.0  # log-probabilities; -inf allowed


#: The value check of each loss with a fused objective: True means the reference's checks pass;
#: False sends the call to the reference, which raises (or returns its own value).
_CHECKS = {
    "mean_squared_error": _all_real,
    "mean_absolute_error": _all_real,
    "huber": _all_real,
    "poisson": _non_negative_targets,
    "binary_crossentropy": _unit_targets,
    "categorical_crossentropy": _unit_targets,
    "sparse_categorical_crossentropy": _labels_and_finite,
    "kl_divergence": _distribution_targets,
}


def plan(loss) -> Callable | None:
    """The per-call path of ``loss`` (a :class:`~losskit.core.Loss`) for tensors, or None where it
    has none: ``call(y_true, y_pred) -> objective``, or None to hand the call to
    ``loss.reference_call``. Everything that does not depend on the arrays is resolved here, once."""
    spec = loss.spec
    fast = spec.kernels.get("torch") if spec is not None and spec.native else None
    if fast is None or fast.objective is None or loss.reduction == "none" or spec.name not in _CHECKS:
        return None
    if not fast.option_names.issuperset(loss.options):
        return None
    torch, _ = _torch()
    options, reduction, objective_of, check = dict(loss.options), loss.reduction, fast.objective, _CHECKS[spec.name]
    if options.get("axis", -1) != -1:
        return None
    sum_ = reduction == "sum"
    labels = spec.layout is Layout.LABELS
    floats, halves = _TORCH["floats"], _TORCH["halves"]
    readable = _array.torch_values_readable
    accepts = fast.accepts.inner
    if accepts is _same_shapes:
        accepts = None  # the call below makes dtypes equal and checks the shapes itself
    Tensor = torch.Tensor

    def call(y_true, y_pred):
        if not (isinstance(y_pred, Tensor) and isinstance(y_true, Tensor)):
            return None
        if not y_pred.ndim or not y_pred.numel():
            return None  # a scalar or nothing: the reference's shape rule and its 0 for no values
        dtype = y_pred.dtype
        half = dtype in halves
        if half:
            y_pred = y_pred.float()
        elif dtype not in floats:
            return None
        if not labels:
            if y_true.dtype != y_pred.dtype:
                y_true = y_true.to(y_pred.dtype)
            if y_true.shape != y_pred.shape:
                y_true, y_pred = _squeezed(y_true, y_pred)
                if y_true.shape != y_pred.shape or not y_pred.ndim:
                    return None
        elif y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
            y_true = y_true.squeeze(-1)
        if accepts is not None and not accepts(y_true, y_pred, options):
            return None
        try:
            objective = objective_of(y_true, y_pred, sum_, **options)
        except (IndexError, RuntimeError):  # an out-of-range label, a device mismatch: the reference words it
            return None
        if objective is None:
            return None
        if _config_state["value_checks"] and readable(y_pred) and not check(y_true, y_pred, objective, options):
            return None  # the reference checks again: it raises, or gives its value (an overflow)
        if half and not torch.is_autocast_enabled(y_pred.device.type):
            return objective.to(dtype)
        return objective

    return call


def _squeezed(y_true, y_pred):
    """Keras' rule (one trailing unit axis squeezed when the ranks differ by one); other
    mismatches are left for the reference to word."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return y_true.squeeze(-1), y_pred
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        return y_true, y_pred.squeeze(-1)
    return y_true, y_pred
