"""The ``torch.autograd.Function`` of :func:`losskit.fast.torch.analytic`: a loss's objective
whose backward is its analytic gradient. Imported (with torch) when losskit first meets a
tensor, so that no class is defined inside a ``torch.compile`` trace (Dynamo cannot trace a
class statement)."""

from __future__ import annotations

import torch

#: ``torch._C._FunctionBase.apply``, which ``Function.apply`` ends in outside transforms.
_FUNCTION_APPLY = torch._C._FunctionBase.__dict__["apply"]
_transforms_active, _compiling = torch._C._are_functorch_transforms_active, torch.compiler.is_compiling


class Objective(torch.autograd.Function):
    """``apply(y_pred, y_true, factor, forward, backward, options)`` -> the objective (0-d).

    ``forward(y_true, y_pred, factor, **options) -> (objective, saved)``: ``factor`` (a float: 1,
    or one over the rows for the mean) times the sum of the per-sample values, computed without an
    autograd graph, and tensors the backward may reuse; ``backward(y_true, y_pred, saved, grad,
    factor, create_graph, **options)``: ``grad`` times ``d objective / d y_pred``, from ``saved``
    or, where it is empty, from the inputs. ``options`` is a tuple of ``(name, value)`` pairs.
    (The factor travels as a float so that each kernel folds it into an operation it runs anyway:
    a Python number multiplying a tensor costs a copy of its own per call.) With ``create_graph``
    (double backward, Hessian-vector products) the backward must be built from differentiable
    torch ops, so that autograd differentiates the analytic gradient: second order is then the
    analytic Hessian.

    Eagerly this class runs: ``saved`` is kept on ``ctx`` (the intermediate has no graph of its
    own) and handed to the first backward only, which drops it, so that it is freed as
    ``save_for_backward``'s tensors are; a second backward (``retain_graph=True``) recomputes.
    That costs fewer Python calls than returning ``saved`` as outputs (measured 10-12% of the
    step at 4,096-65,536 elements). Under ``torch.func`` transforms and ``torch.compile``,
    :class:`_Traced` runs instead (``setup_context``, ``generate_vmap_rule``, ``saved`` returned as
    non-differentiable outputs, which transforms can carry).
    """

    @classmethod
    def apply(cls, *args):
        """``Function.apply`` without its per-call ``inspect.signature`` binding of ``forward``'s
        defaults (it has none): about half of the call's Python cost at batch 32. Under
        ``torch.func`` transforms and ``torch.compile``, :class:`_Traced`'s ``Function.apply``."""
        if _transforms_active() or _compiling():
            return _Traced.apply(*args)[0]
        return _FUNCTION_APPLY.__get__(None, cls)(*args)

    @staticmethod
    def forward(ctx, y_pred, y_true, factor, forward, backward, options):
        objective, saved = forward(y_true, y_pred, factor, **dict(options))
        ctx.save_for_backward(y_pred, y_true)
        ctx.saved, ctx.factor, ctx.backward_of, ctx.options = saved, factor, backward, options
        return objective

    @staticmethod
    def backward(ctx, grad):
        y_pred, y_true = ctx.saved_tensors
        saved, ctx.saved = ctx.saved, ()  # the first backward takes it; a second one recomputes
        gradient = ctx.backward_of(y_true, y_pred, saved, grad, ctx.factor, torch.is_grad_enabled(), **dict(ctx.options))
        return gradient, None, None, None, None, None


class _Traced(torch.autograd.Function):
    """:class:`Objective` under ``torch.func`` transforms and ``torch.compile``:
    ``apply(...)`` -> ``(objective, *saved)``, ``saved`` as non-differentiable outputs."""

    generate_vmap_rule = True

    @staticmethod
    def forward(y_pred, y_true, factor, forward, backward, options):
        objective, saved = forward(y_true, y_pred, factor, **dict(options))
        return objective, *saved

    @staticmethod
    def setup_context(ctx, inputs, output):
        y_pred, y_true, factor, _, backward, options = inputs
        ctx.mark_non_differentiable(*output[1:])
        ctx.set_materialize_grads(False)  # no zero tensor for the saved outputs' (absent) gradients
        ctx.save_for_backward(y_pred, y_true, *output[1:])
        ctx.factor, ctx.backward_of, ctx.options = factor, backward, options

    @staticmethod
    def backward(ctx, grad, *_):
        if grad is None:
            return None, None, None, None, None, None
        y_pred, y_true, *saved = ctx.saved_tensors
        gradient = ctx.backward_of(y_true, y_pred, saved, grad, ctx.factor, torch.is_grad_enabled(), **dict(ctx.options))
        return gradient, None, None, None, None, None
