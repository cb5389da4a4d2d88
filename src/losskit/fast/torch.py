"""PyTorch kernels: torch's own fused losses where torch computes the same quantity, analytic
``autograd.Function``s for the others, and the Loss object's per-call fast path for tensors.

Three things live here, all registered on or read from the records:

- **Kernels** (``@fast_kernel(loss, accepts=..., objective=..., options=...)``): for the
  losses PyTorch has (``F.mse_loss``, ``F.l1_loss``, ``F.huber_loss``, ``F.cross_entropy``,
  ``F.poisson_nll_loss``, ``F.kl_div``; called through their ``torch._C._nn`` bindings where
  losskit has checked the shapes ``F``'s Python layer would broadcast), a per-sample kernel
  (``reduction="none"``, then the mean over the last axis) and the fused reduced ``objective``;
  their autograd is torch's, one fused pass each way. Each gives the reference kernel's values
  and gradients (``tests/test_fast_torch.py`` compares them) and declines the options where
  torch's convention differs (probability inputs, which losskit clips as Keras does).
- **Analytic objectives** (:func:`analytic`): one ``torch.autograd.Function``
  (:class:`~losskit.fast._torch_autograd.Objective`) whose forward computes the objective
  without a graph and whose backward is the analytic gradient, differentiable for second
  order: binary crossentropy from logits (a fused form exact for confident right answers, where
  torch's own BCE-with-logits is not), log-cosh, hinge, squared hinge, binary focal. Every other
  loss runs its reference kernel through torch's autograd.
- **The plan** (:func:`plan`): what ``Loss.__call__`` runs for tensors, resolved once per Loss:
  whether the kernel covers its options, the objective bound to them, the shape rule,
  float16/bfloat16 computed in float32, and value checks that read at most a scalar or two (and
  only where :func:`~losskit._array.torch_values_readable`: CPU tensors outside
  ``torch.compile``, ``torch.jit`` tracing and ``torch.func`` transforms). Whatever it does not
  cover (sample weights, other shapes, a check that fails, a torch error) goes to
  :meth:`Loss.reference_call`, which words the errors.

Importing this module does not import torch (``import losskit`` never does): each kernel
imports it when it first runs, which is only ever on tensors, so torch is already loaded then.
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import Any, Callable

from .. import _array, losses
from .._config import _state as _config_state
from ..losses._domain import Layout
from ..losses.probabilistic import _exp_minus_product

_TORCH: dict[str, Any] = {}
#: ``torch._C._nn``: the bindings ``torch.nn.functional`` ends in. Called directly where losskit
#: has already checked what ``F``'s Python layer checks (equal shapes: ``F.mse_loss`` would
#: broadcast them, a few microseconds per call); set by :func:`_torch`.
_NN: Any = None
#: PyTorch's reduction enum (``torch.nn._reduction.get_enum``).
_NONE, _MEAN, _SUM = 0, 1, 2


def _torch():
    """``(torch, torch.nn.functional)``, imported on first use."""
    global _NN
    if not _TORCH:
        import torch
        import torch.nn.functional as F

        from ._torch_autograd import Objective

        _NN = torch._C._nn
        _TORCH.update(readable=_array.torch_readability(), Objective=Objective, bool=torch.bool, torch=torch, F=F, floats=(torch.float32, torch.float64), halves=(torch.float16, torch.bfloat16), int64=torch.int64)
    return _TORCH["torch"], _TORCH["F"]


def _is_tensor(x) -> bool:
    return type(x).__module__.startswith("torch") and _torch()[0].is_tensor(x)


def fast_kernel(loss: Callable, *, accepts: Callable, objective: Callable | None = None, options: Callable | None = None) -> Callable[[Callable], Callable]:
    """Register the decorated function as the PyTorch kernel of ``loss`` (a catalog function) on
    its record: it runs for float32/float64 tensors, not empty, with the class axis last, whose
    options ``options(options) -> bool`` covers (None: all) and arrays ``accepts(y_true, y_pred,
    options)`` covers. ``objective(sum_, **options)`` binds the fused reduced form to a Loss's
    options, once (:func:`plan`): it returns ``total(y_true, y_pred) -> 0-d`` (or None: the
    reference runs), the sum of the per-sample values (``sum_``) or their mean."""

    def covered(y_true, y_pred, options_) -> bool:
        return (
            _is_tensor(y_pred)
            and _is_tensor(y_true)
            and y_pred.dtype in _TORCH["floats"]
            and y_pred.ndim > 0
            and y_pred.numel() > 0
            and options_.get("axis", -1) in (-1, y_pred.ndim - 1)
            and (options is None or options(options_))
            and accepts(y_true, y_pred, options_)
        )

    covered.inner, covered.options = accepts, options  # what the plan asks (once for the options), having checked the rest itself
    return loss.fast("torch", accepts=covered, objective=objective)


def _same_shapes(y_true, y_pred, options) -> bool:
    return y_true.dtype == y_pred.dtype and y_true.shape == y_pred.shape


def _per_sample(values, y_pred):
    """Elementwise terms -> per-sample values: the mean over the last axis."""
    return values.mean(-1)


def _elementwise_objective(terms: Callable) -> Callable:
    """The objective of an elementwise loss from ``terms(y_true, y_pred, reduction, **options)``, a
    torch loss taking PyTorch's reduction enum: the mean over samples of per-sample means is the
    mean over all elements (``_MEAN``); their sum is the elements' sum over the width."""

    def bind(sum_, **options):
        if sum_:
            return lambda y_true, y_pred: terms(y_true, y_pred, _SUM, **options) / y_pred.shape[-1]
        return functools.partial(terms, reduction=_MEAN, **options)

    return bind


# ----------------------------------------------------------------------------- regression
def _mse(y_true, y_pred, reduction):
    return _NN.mse_loss(y_pred, y_true, reduction)  # F.mse_loss without its broadcast (shapes are equal)


def _mae(y_true, y_pred, reduction):
    return _NN.l1_loss(y_pred, y_true, reduction)


def _huber(y_true, y_pred, reduction, *, delta=1.0):
    return _NN.huber_loss(y_pred, y_true, reduction, delta)


@fast_kernel(losses.mean_squared_error, accepts=_same_shapes, objective=_elementwise_objective(_mse))
def mean_squared_error(y_true, y_pred):
    """``F.mse_loss(reduction="none")``, mean over the last axis."""
    return _per_sample(_mse(y_true, y_pred, _NONE), y_pred)


@fast_kernel(losses.mean_absolute_error, accepts=_same_shapes, objective=_elementwise_objective(_mae))
def mean_absolute_error(y_true, y_pred):
    """``F.l1_loss(reduction="none")``, mean over the last axis (slope 0 at 0, as the reference)."""
    return _per_sample(_mae(y_true, y_pred, _NONE), y_pred)


@fast_kernel(losses.huber, accepts=_same_shapes, objective=_elementwise_objective(_huber))
def huber(y_true, y_pred, *, delta=1.0):
    """``F.huber_loss(delta=delta)``: the same value as Keras' Huber (PyTorch's ``HuberLoss``)."""
    return _per_sample(_huber(y_true, y_pred, _NONE, delta=delta), y_pred)


def _poisson(y_true, y_pred, reduction, *, log_input=False):
    """Rates: PyTorch's ``x - y log(x + eps)`` with losskit's (Keras') eps. Log-rates: the
    catalog's ``exp(x) - y x``, which keeps the sign of the difference where both terms overflow
    (``F.poisson_nll_loss`` gives ``inf - inf = NaN`` there)."""
    if not log_input:
        return _torch()[0].poisson_nll_loss(y_pred, y_true, False, False, _array.EPSILON, reduction)
    import array_api_compat.torch as xp

    values = _exp_minus_product(y_true, y_pred, xp)
    if reduction == _NONE:
        return values
    return values.mean() if reduction == _MEAN else values.sum()


@fast_kernel(losses.poisson, accepts=_same_shapes, objective=_elementwise_objective(_poisson))
def poisson(y_true, y_pred, *, log_input=False):
    """``F.poisson_nll_loss(full=False, eps=1e-7)``: Keras' ``poisson``; ``log_input``: log-rates,
    the catalog's overflow-safe ``exp(x) - y x``."""
    return _per_sample(_poisson(y_true, y_pred, _NONE, log_input=log_input), y_pred)


# ----------------------------------------------------------------------------- analytic objectives
def _reference_total(spec) -> Callable:
    """The default ``forward`` of :func:`analytic`: the record's value kernel, summed."""

    def forward(y_true, y_pred, factor, **options):
        import array_api_compat.torch as xp

        total = spec.kernel(y_true, y_pred, xp=xp, **options).sum()
        return (total if factor == 1.0 else total * factor), ()

    return forward


def _record_gradient(spec) -> Callable:
    """The default ``backward`` of :func:`analytic`: the record's analytic gradient
    (``@loss.derivatives``, differentiable torch ops through ``array_api_compat``)."""

    def backward(y_true, y_pred, saved, grad, factor, create_graph, **options):
        import array_api_compat.torch as xp

        return _scaled(spec.gradient_hessian(y_true, y_pred, xp=xp, surrogate=False, **options)[0], grad, factor)

    return backward


#: Below this many elements an :func:`analytic` loss with a ``small`` form runs it through
#: autograd instead: the Function's fixed Python cost (tens of microseconds) is more than its
#: fewer passes save (measured for BCE from logits, forward and backward: the crossover lies between
#: 2^11 and 2^12 elements; at 2^12 the Function takes 0.90x the autograd form, at 2^11 1.07x).
SMALL = 2**12


def analytic(loss: Callable, *, accepts: Callable, options: Callable | None = None, forward: Callable | None = None, backward: Callable | None = None, small: Callable | None = None):
    """Register on ``loss``'s record a PyTorch objective computed by an ``autograd.Function``
    (:class:`~losskit.fast._torch_autograd.Objective`): ``forward`` (default: the value kernel,
    summed) without a graph, and ``backward`` (default: the record's analytic gradient) in one
    pass; ``small(sum_, **options)``, if given, binds the objective through autograd for tensors
    of fewer than :data:`SMALL` elements (as ``objective`` in :func:`fast_kernel`). Its per-sample
    kernel (``reduction="none"``, sample weights) is the decorated function; a target that
    requires grad goes to the reference (the Function differentiates ``y_pred`` only)."""
    spec = loss.spec
    forward, backward = forward or _reference_total(spec), backward or _record_gradient(spec)

    def bind(sum_, **options_):
        pairs, below = tuple(options_.items()), None if small is None else small(sum_, **options_)

        def total(y_true, y_pred):
            if y_true.requires_grad:
                return None
            if below is not None and y_pred.numel() < SMALL:
                return below(y_true, y_pred)
            factor = 1.0 if sum_ else 1.0 / (y_pred.numel() // y_pred.shape[-1])
            return _TORCH["Objective"].apply(y_pred, y_true, factor, forward, backward, pairs)

        return total

    return fast_kernel(loss, accepts=accepts, objective=bind, options=options)


def _scaled(gradient, grad, factor):
    """``gradient * (grad * factor)`` (``grad``: the incoming 0-d gradient; ``factor``: a float),
    differentiable in both tensors: one pass over ``gradient`` (an ``addcmul`` of a 0-d zero takes
    four times as long per element on CPU)."""
    return gradient * (grad * factor)


def _reference_values(spec) -> Callable:
    """The per-sample kernel of an :func:`analytic` loss without a cheaper one: the value kernel."""

    def kernel(y_true, y_pred, **options):
        import array_api_compat.torch as xp

        return spec.kernel(y_true, y_pred, xp=xp, **options)

    signature = inspect.signature(spec.kernel)
    kernel.__signature__ = signature.replace(parameters=[p for p in signature.parameters.values() if p.name != "xp"])
    kernel.__doc__ = f"The value kernel of ``{spec.name}`` (autograd differentiates it)."
    return kernel


# ----------------------------------------------------------------------------- binary crossentropy
def _bce(y_true, y_pred, *, class_weight=None):
    """Per-element ``lerp(w_0 softplus(x), w_1 softplus(-x), y)`` = ``w_1 y softplus(-x) + w_0 (1 - y)
    softplus(x)``, for autograd (``reduction="none"``, sample weights): its gradient is ``(1 - y) w_0
    sigmoid(x) - y w_1 sigmoid(-x)``, exact, with finite second derivatives. ``lerp`` returns each
    end exactly for hard labels. ``F.softplus`` is ``x`` beyond its threshold, which is chosen so
    that the difference is below the dtype's rounding."""
    torch, F = _torch()
    threshold = 20.0 if y_pred.dtype == torch.float32 else 40.0
    negative, positive = F.softplus(y_pred, threshold=threshold), F.softplus(-y_pred, threshold=threshold)
    if class_weight is not None:
        w0, w1 = (float(w) for w in class_weight)
        negative, positive = negative * w0, positive * w1
    return torch.lerp(negative, positive, y_true)


def _bce_total(y_true, y_pred, factor, *, from_logits=True, label_smoothing=0.0, axis=-1, class_weight=None):
    """The forward of BCE from logits: ``factor (dot(D, x) / 2 + sum(t)) / d`` with ``t =
    log1p(exp(-|x|)) = -log1p(-q)``, ``q = sigmoid(-|x|)``, and ``D = sign(x) + 1 - 2y = 2 (step(x)
    - y)`` (``step(0) = 1/2``), so that ``D x / 2 = relu(x) - y x``: 0 or ``|x|`` exactly for hard
    labels (``F.binary_cross_entropy_with_logits``' ``(1 - y) x - log_sigmoid(x)`` cancels for ``y
    = 0``, ``x << 0``); both sums have non-negative terms. Where ``y_pred`` requires grad, it also
    makes and saves ``2 (sigmoid(x) - y) = D - 2 sign(x) q`` from the same ``D`` (exact for
    confident right answers: ``-2 sigmoid(-x)`` for ``y = 1``, where torch's ``sigmoid(x) - y``
    rounds to 0): the backward is one multiplication. Two tensors allocated (on CPU a fresh
    tensor's first touch costs more than a pass over it), eleven passes in place, two
    transcendental (``sigmoid``, measured cheaper than ``exp`` here, and ``log1p``), and no Python number
    multiplying a tensor (each costs a copy of its own). Class weights: the ``lerp`` of both
    weighted terms."""
    torch = _TORCH["torch"]
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    x = y_pred.detach()
    scale = factor / x.shape[-1]
    if class_weight is not None:
        t = torch.exp(-x.abs()).log1p_()
        w0, w1 = (float(w) for w in class_weight)
        relu = torch.relu(x)
        values = torch.lerp((relu + t).mul_(w0), (relu - x).add_(t).mul_(w1), y_true)
        return values.sum() * scale, ()
    one, minus_one, zero = _constants((1.0, -1.0, 0.0), x)
    q = torch.copysign(x, minus_one).sigmoid_()  # sigmoid(-|x|)
    work = torch.neg(q).log1p_()  # -t
    minus_t = work.sum()
    sign = torch.sign(x, out=work)
    if y_pred.requires_grad:
        q.mul_(sign)
    twice_step = sign.add_(one).sub_(y_true, alpha=2.0)  # 2 (step(x) - y), rounded once
    dot = torch.dot(twice_step.reshape(-1), x.reshape(-1))
    objective = torch.add(torch.add(zero, dot, alpha=0.5 * scale), minus_t, alpha=-scale)
    if not y_pred.requires_grad:
        return objective, ()
    return objective, (twice_step.sub_(q, alpha=2.0),)


def _bce_gradient(y_true, y_pred, saved, grad, factor, create_graph, *, from_logits=True, label_smoothing=0.0, axis=-1, class_weight=None):
    """``sigmoid(x) - y`` (weighted: ``w_0 (1 - y) sigmoid(x) - w_1 y sigmoid(-x)``) over the width,
    exact for confident right answers: ``-sigmoid(-x)`` for ``y = 1``, where ``F.binary_cross_entropy_
    with_logits``' gradient rounds to 0 (``x > 17`` in float32). First order: twice the gradient,
    which :func:`_bce_total` saved, scaled (one pass); second order, class weights, or none saved
    (a ``torch.func`` transform): the ``lerp`` of two sigmoids, differentiable."""
    torch = _TORCH["torch"]
    scale = factor / y_pred.shape[-1]
    if saved and not create_graph:
        return _scaled(saved[0], grad, 0.5 * scale)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    w0, w1 = (1.0, 1.0) if class_weight is None else (float(w) for w in class_weight)
    return _scaled(torch.lerp(torch.sigmoid(y_pred) * w0, torch.sigmoid(-y_pred) * -w1, y_true), grad, scale)


def _bce_options(options) -> bool:
    weights = options.get("class_weight")
    return bool(options.get("from_logits", False)) and (weights is None or len(weights) == 2)


def _bce_small(sum_, *, from_logits=True, label_smoothing=0.0, axis=-1, class_weight=None):
    """The objective through autograd (small tensors), in four graph nodes (each costs more than a
    pass over a small tensor): ``sum_k W_k softplus(s_k x)`` over the pair ``s = (1, -1)``, with
    ``W = c (w_0 (1 - y'), w_1 y')`` (``y'`` the smoothed label) made by one ``addcmul`` of
    constants, ``c`` folding the reduction into the sum (``1/n`` over ``n`` elements for the mean,
    ``1/d`` over the width for the sum of per-sample means). Exact as :func:`_bce`: each softplus
    is computed directly, and a hard label gives one weight exactly 0; double backward is
    softplus' own, finite. The constants are made once per ``n``, dtype and device
    (:func:`_constants`, looked up by the options' pair and ``n``, without building their rows)."""
    w0, w1 = (1.0, 1.0) if class_weight is None else (float(w) for w in class_weight)
    ls = label_smoothing
    base, slope = (w0 * (1.0 - 0.5 * ls), w1 * 0.5 * ls), (-w0 * (1.0 - ls), w1 * (1.0 - ls))

    def pair_rows(n):
        c = 1.0 / n
        return (base[0] * c, base[1] * c), (slope[0] * c, slope[1] * c), (1.0, -1.0)

    def total(y_true, y_pred):
        n = y_pred.shape[-1] if sum_ else y_pred.numel()
        weight_base, weight_slope, signs = _constants(lambda: pair_rows(n), y_pred, key=("bce pair weights", base, slope, n))
        threshold = 20.0 if y_pred.dtype == _TORCH["torch"].float32 else 40.0
        if y_pred.shape[-1] != 1:
            y_true, y_pred = y_true.unsqueeze(-1), y_pred.unsqueeze(-1)
        return (_NN.softplus(y_pred * signs, 1.0, threshold) * _TORCH["torch"].addcmul(weight_base, y_true, weight_slope)).sum()

    return total


@analytic(losses.binary_crossentropy, accepts=_same_shapes, options=_bce_options, forward=_bce_total, backward=_bce_gradient, small=_bce_small)
def binary_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None):
    """From logits: two ``F.softplus`` and a ``lerp`` (:func:`_bce`); the objective is an
    ``autograd.Function`` (:func:`_bce_total`, :func:`_bce_gradient`) from :data:`SMALL` elements
    on, :func:`_bce_small` below. Probabilities are declined:
    losskit clips them to [1e-7, 1 - 1e-7] as Keras does, PyTorch clamps the log at -100."""
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return _per_sample(_bce(y_true, y_pred, class_weight=class_weight), y_pred)


# ----------------------------------------------------------------------------- losses torch lacks
def _log_cosh_gradient(y_true, y_pred, saved, grad, factor, create_graph):
    """``tanh(e) / d``: one pass, differentiable (its derivative ``1 - tanh^2`` is finite everywhere)."""
    return _scaled(_TORCH["torch"].tanh(y_pred - y_true), grad, factor / y_pred.shape[-1])


def _hinge_gradient(y_true, y_pred, saved, grad, factor, create_graph):
    """``-y / d`` inside the margin (edge included), 0 beyond it; labels 0 read as -1."""
    torch = _TORCH["torch"]
    y = torch.where(y_true == 0, -1.0, y_true)
    return _scaled(torch.where(torch.addcmul(torch.ones_like(y), y, y_pred, value=-1.0) >= 0, -y, 0.0), grad, factor / y_pred.shape[-1])


def _squared_hinge_gradient(y_true, y_pred, saved, grad, factor, create_graph):
    """``-2 y max(1 - y y_pred, 0) / d``; differentiable (second derivative ``2 / d`` inside)."""
    torch = _TORCH["torch"]
    y = torch.where(y_true == 0, -1.0, y_true)
    slack = torch.relu(1.0 - y * y_pred)
    return _scaled(y * slack, grad, factor * -2.0 / y_pred.shape[-1])


analytic(losses.log_cosh, accepts=_same_shapes, backward=_log_cosh_gradient)(_reference_values(losses.log_cosh.spec))
analytic(losses.hinge, accepts=_same_shapes, backward=_hinge_gradient)(_reference_values(losses.hinge.spec))
analytic(losses.squared_hinge, accepts=_same_shapes, backward=_squared_hinge_gradient)(_reference_values(losses.squared_hinge.spec))
analytic(losses.binary_focal_crossentropy, accepts=_same_shapes)(_reference_values(losses.binary_focal_crossentropy.spec))


# ----------------------------------------------------------------------------- multi-class crossentropy
_CONSTANTS: dict[tuple, Any] = {}


def _constants(rows: tuple | Callable, like, *, key=None) -> tuple:
    """Each of ``rows`` (tuples of floats, or floats) as a 1-d (0-d) tensor of ``like``'s dtype and
    device, made once per dtype and device (copying a list to an accelerator at every call would
    wait for it; a Python number in an operation with a tensor is copied into one at every call).
    ``rows`` may be a function returning them, cached under ``key``: for rows that take arithmetic
    to build, looked up without it."""
    key = (rows if key is None else key, like.dtype, like.device)
    constants = _CONSTANTS.get(key)
    if constants is None:
        torch = _torch()[0]
        constants = tuple(torch.tensor(row, dtype=like.dtype, device=like.device) for row in (rows() if callable(rows) else rows))
        if not torch.compiler.is_compiling() and len(_CONSTANTS) < 64:  # a bounded cache, not filled under tracing
            _CONSTANTS[key] = constants
    return constants


def _class_weight_tensor(class_weight, like):
    """``class_weight`` as a tensor of ``like``'s dtype and device (:func:`_constants`), or None."""
    return None if class_weight is None else _constants((tuple(float(w) for w in class_weight),), like)[0]


def _rows(x):
    """``(..., C)`` -> ``(rows, C)`` for ``F.cross_entropy`` (class axis 1)."""
    return x if x.ndim == 2 else x.reshape(-1, x.shape[-1])


def _from_logits(options) -> bool:
    return bool(options.get("from_logits", False))


def _cce_accepts(y_true, y_pred, options) -> bool:
    weights = options.get("class_weight")
    return _same_shapes(y_true, y_pred, options) and (weights is None or len(weights) == y_pred.shape[-1])


def _cce_values(y_true, y_pred, reduction, *, label_smoothing=0.0, class_weight=None):
    """``F.cross_entropy`` with probability targets (``reduction``: PyTorch's enum)."""
    weight = _class_weight_tensor(class_weight, y_pred)
    return _NN.cross_entropy_loss(_rows(y_pred), _rows(y_true), weight, reduction, -100, label_smoothing)


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


def _cce_objective(sum_, *, from_logits=True, label_smoothing=0.0, axis=-1, class_weight=None):
    """Where values are readable, ``F.cross_entropy``'s objective and its value check in one:
    None (the reference then decides) when it is not finite (a masked class: a ``-inf`` logit) or,
    with value checks on, a target lies outside [0, 1] (the plan runs no check of its own:
    :data:`_CHECKS`). Elsewhere the reference's masked form."""
    # torch's "mean" with probability targets is the sum over the rows over their count (class weights and all)
    readable, reduction = _TORCH["readable"], _SUM if sum_ else _MEAN

    def total(y_true, y_pred):
        if readable(y_pred):
            weight = None if class_weight is None else _class_weight_tensor(class_weight, y_pred)
            objective = _NN.cross_entropy_loss(_rows(y_pred), _rows(y_true), weight, reduction, -100, label_smoothing)
            if not math.isfinite(objective.item()) or (_config_state["value_checks"] and not _unit_interval(y_true)):
                return None
            return objective
        masked = _cce_masked(y_true, y_pred, label_smoothing=label_smoothing, class_weight=class_weight).sum()
        return masked if sum_ else masked / (y_pred.numel() // y_pred.shape[-1])

    return total


@fast_kernel(losses.categorical_crossentropy, accepts=_cce_accepts, objective=_cce_objective, options=_from_logits)
def categorical_crossentropy(y_true, y_pred, *, from_logits=False, label_smoothing=0.0, axis=-1, class_weight=None):
    """From logits: ``F.cross_entropy`` with probability targets (its ``label_smoothing`` and
    ``weight`` are Keras' and losskit's); where its result is not finite (a ``-inf`` logit on a
    class of target 0), or cannot be read, the reference's masked form."""
    options = dict(label_smoothing=label_smoothing, class_weight=class_weight)
    if _array.torch_values_readable(y_pred):
        values = _cce_values(y_true, y_pred, _NONE, **options)
        if bool(_torch()[0].isfinite(values).all()):
            return values.reshape(y_pred.shape[:-1])
    return _cce_masked(y_true, y_pred, **options)


#: ``ignore_index`` when no class is ignored: a label no one uses, so that an out-of-range
#: label (-100 included, PyTorch's default) is an error in PyTorch and goes to the reference.
_NO_IGNORED_INDEX = -(2**62)


def _scce_accepts(y_true, y_pred, options) -> bool:
    weights = options.get("class_weight")
    return (
        not y_true.dtype.is_floating_point
        and y_true.dtype is not _TORCH["bool"]
        and y_true.shape == y_pred.shape[:-1]
        and (weights is None or len(weights) == y_pred.shape[-1])
    )


def _scce_values(y_true, y_pred, reduction, ignore_class, class_weight):
    """``F.cross_entropy`` with class indices (``reduction``: PyTorch's enum)."""
    ignore = _NO_IGNORED_INDEX if ignore_class is None else ignore_class
    weight = _class_weight_tensor(class_weight, y_pred)
    labels = y_true if y_true.ndim == 1 else y_true.reshape(-1)
    if labels.dtype != _TORCH["int64"]:
        labels = labels.long()
    return _NN.cross_entropy_loss(_rows(y_pred), labels, weight, reduction, ignore, 0.0)


def _scce_objective(sum_, *, from_logits=True, ignore_class=None, axis=-1, class_weight=None):
    if not sum_ and ignore_class is None and class_weight is None:  # nothing ignored: torch's mean is ours
        int64 = _TORCH["int64"]

        def mean(y_true, y_pred):
            if y_pred.ndim == 2 and y_true.dtype is int64:  # the training loop's call, without reshapes
                return _NN.cross_entropy_loss(y_pred, y_true, None, _MEAN, _NO_IGNORED_INDEX, 0.0)
            return _scce_values(y_true, y_pred, _MEAN, None, None)

        return mean

    def total(y_true, y_pred):
        summed = _scce_values(y_true, y_pred, _SUM, ignore_class, class_weight)
        if sum_:
            return summed
        if ignore_class is None:
            return summed / (y_pred.numel() // y_pred.shape[-1])
        return summed / (y_true != ignore_class).sum().clamp(min=1)  # the mean over kept labels; 0 if none

    return total


@fast_kernel(losses.sparse_categorical_crossentropy, accepts=_scce_accepts, objective=_scce_objective, options=_from_logits)
def sparse_categorical_crossentropy(y_true, y_pred, *, from_logits=False, ignore_class=None, axis=-1, class_weight=None):
    """From logits: ``F.cross_entropy`` with class indices (0 for ``ignore_class``). An
    out-of-range label is a PyTorch error here (the reference then runs: a ValueError with value
    checks on, 0 without)."""
    try:
        values = _scce_values(y_true, y_pred, _NONE, ignore_class, class_weight)
    except (IndexError, RuntimeError):  # an out-of-range label (value checks off): the reference's 0
        import array_api_compat.torch as xp

        kernel = losses.sparse_categorical_crossentropy.spec.kernel
        return kernel(y_true, y_pred, xp=xp, from_logits=True, ignore_class=ignore_class, axis=-1, class_weight=class_weight)
    return values.reshape(y_pred.shape[:-1])


# ----------------------------------------------------------------------------- KL divergence
def _log_input(options) -> bool:
    return bool(options.get("log_input", False))


def _kl_objective(sum_, *, log_input=True):
    kl_div = _TORCH["F"].kl_div

    def total(y_true, y_pred):
        summed = kl_div(y_pred, y_true, reduction="sum")  # xlogy(y, y) - y x: 0 where y == 0
        return summed if sum_ else summed / (y_pred.numel() // y_pred.shape[-1])

    return total


@fast_kernel(losses.kl_divergence, accepts=_same_shapes, objective=_kl_objective, options=_log_input)
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


def _focal_inputs(y_true, y_pred, objective, options) -> bool:
    """Binary focal: targets in [0, 1], probabilities in [0, 1] (logits: any finite value) and a
    finite objective."""
    if not options.get("from_logits") and not _unit_interval(y_pred):
        return False
    return _unit_targets(y_true, y_pred, objective, options)


def _unit_interval(x) -> bool:
    low, high = _torch()[0].aminmax(x)
    return low.item() >= 0.0 and high.item() <= 1.0


#: The value check of each loss with a fused objective: True means the reference's checks pass;
#: False sends the call to the reference, which raises (or returns its own value). None: the
#: objective checks its own values (it returns None where a check fails). A loss not listed runs
#: the reference's own checks (:func:`_record_checks`).
_CHECKS = {
    "mean_squared_error": _all_real,
    "mean_absolute_error": _all_real,
    "huber": _all_real,
    "log_cosh": _all_real,
    "poisson": _non_negative_targets,
    "binary_crossentropy": _unit_targets,
    "binary_focal_crossentropy": _focal_inputs,
    "categorical_crossentropy": None,  # checked by its objective (:func:`_cce_objective`)
    "sparse_categorical_crossentropy": _labels_and_finite,
    "kl_divergence": _distribution_targets,
}


def _record_checks(spec) -> Callable:
    """The reference's value checks (``prepare``'s), for a loss without a cheaper one."""
    from ..losses._prepare import _check_values

    def check(y_true, y_pred, objective, options) -> bool:
        import array_api_compat.torch as xp

        try:
            _check_values(spec, y_true, y_pred, options, xp)
        except ValueError:
            return False
        return True

    return check


def plan(loss) -> Callable | None:
    """The per-call path of ``loss`` (a :class:`~losskit.core.Loss`) for tensors, or None where it
    has none: ``call(y_true, y_pred) -> objective``, or None to hand the call to
    ``loss.reference_call``. Everything that does not depend on the arrays is resolved here, once:
    the kernel with its options bound, the value check, the dtype and shape rules."""
    spec = loss.spec
    fast = spec.kernels.get("torch") if spec is not None and spec.native else None
    if fast is None or fast.objective is None or loss.reduction == "none":
        return None
    if not fast.option_names.issuperset(loss.options) or loss.options.get("axis", -1) != -1:
        return None
    if fast.accepts.options is not None and not fast.accepts.options(loss.options):
        return None
    torch = _torch()[0]
    options = dict(loss.options)
    check = _CHECKS[spec.name] if spec.name in _CHECKS else _record_checks(spec)
    objective = fast.objective(loss.reduction == "sum", **options)
    labels = spec.layout is Layout.LABELS
    floats, halves = _TORCH["floats"], _TORCH["halves"]
    readable, autocast = _array.torch_readability(), torch.is_autocast_enabled
    accepts = fast.accepts.inner
    if accepts is _same_shapes:
        accepts = None  # the call below makes dtypes equal and checks the shapes itself
    Tensor = torch.Tensor

    def call(y_true, y_pred):
        if not (isinstance(y_pred, Tensor) and isinstance(y_true, Tensor)):
            return None
        dtype = y_pred.dtype
        if dtype not in floats:
            if dtype not in halves:
                return None
            y_pred = y_pred.float()
        shape = y_pred.shape
        if not shape or not y_pred.numel():
            return None  # a scalar or nothing: the reference's shape rule and its 0 for no values
        if not labels:
            if y_true.dtype != y_pred.dtype:
                y_true = y_true.to(y_pred.dtype)
            if y_true.shape != shape:
                y_true, y_pred = _squeezed(y_true, y_pred)
                if y_true.shape != y_pred.shape or not y_pred.ndim:
                    return None
        elif len(y_true.shape) == len(shape) and y_true.shape[-1] == 1:
            y_true = y_true.squeeze(-1)
        if accepts is not None and not accepts(y_true, y_pred, options):
            return None
        try:
            value = objective(y_true, y_pred)
        except (IndexError, RuntimeError):  # an out-of-range label, a device mismatch: the reference words it
            return None
        if value is None:
            return None
        if check is not None and _config_state["value_checks"] and readable(y_pred) and not check(y_true, y_pred, value, options):
            return None  # the reference checks again: it raises, or gives its value (an overflow)
        if dtype is not y_pred.dtype and not autocast(y_pred.device.type):
            return value.to(dtype)
        return value

    return call


def _squeezed(y_true, y_pred):
    """Keras' rule (one trailing unit axis squeezed when the ranks differ by one); other
    mismatches are left for the reference to word."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return y_true.squeeze(-1), y_pred
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        return y_true, y_pred.squeeze(-1)
    return y_true, y_pred
