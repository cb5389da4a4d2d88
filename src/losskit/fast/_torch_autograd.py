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
    """``apply(y_pred, y_true, factor, forward, backward, options)`` -> ``(objective, *saved)``.

    ``forward(y_true, y_pred, factor, **options) -> (objective, saved)``: ``factor`` (a float: 1,
    or one over the rows for the mean) times the sum of the per-sample values, computed without an
    autograd graph, and tensors the backward reuses; ``backward(y_true, y_pred, saved, grad,
    factor, create_graph, **options)``: ``grad`` times ``d objective / d y_pred``. ``options`` is
    a tuple of ``(name, value)`` pairs. (The factor travels as a float so that each kernel folds it
    into an operation it runs anyway: a Python number multiplying a tensor costs a copy of its own
    per call.) With ``create_graph`` (double backward, Hessian-vector products) the backward must
    be built from differentiable torch ops, so that autograd differentiates the analytic gradient:
    second order is then the analytic Hessian. ``setup_context`` and ``generate_vmap_rule`` make
    it work under ``torch.func`` (``vmap``, ``grad``) and ``torch.compile``.
    """

    generate_vmap_rule = True

    @classmethod
    def apply(cls, *args):
        """``Function.apply`` without its per-call ``inspect.signature`` binding of ``forward``'s
        defaults (it has none): about half of the call's Python cost at batch 32. Under
        ``torch.func`` transforms and ``torch.compile``, ``Function.apply`` itself."""
        if _transforms_active() or _compiling():
            return super().apply(*args)
        return _FUNCTION_APPLY.__get__(None, cls)(*args)

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
