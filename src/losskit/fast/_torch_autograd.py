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
    """``apply(y_pred, y_true, mean, forward, backward, options)`` -> ``(objective, *saved)``.

    ``forward(y_true, y_pred, **options) -> (total, saved)``: the sum of the per-sample values
    (computed without an autograd graph) and tensors the backward reuses; ``backward(y_true,
    y_pred, saved, scale, create_graph, **options)``: ``scale`` times ``d total / d y_pred``. The
    objective is ``total`` or, for the mean (``mean``), ``total / rows``; ``options`` is a tuple of
    ``(name, value)`` pairs. With ``create_graph`` (double backward, Hessian-vector products) the
    backward must be built from differentiable torch ops, so that autograd differentiates the
    analytic gradient: second order is then the analytic Hessian. ``setup_context`` and
    ``generate_vmap_rule`` make it work under ``torch.func`` (``vmap``, ``grad``) and ``torch.compile``.
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
    def forward(y_pred, y_true, mean, forward, backward, options):
        total, saved = forward(y_true, y_pred, **dict(options))
        return (total / (y_pred.numel() // y_pred.shape[-1]) if mean else total), *saved

    @staticmethod
    def setup_context(ctx, inputs, output):
        y_pred, y_true, mean, _, backward, options = inputs
        ctx.mark_non_differentiable(*output[1:])
        ctx.set_materialize_grads(False)  # no zero tensor for the saved outputs' (absent) gradients
        ctx.save_for_backward(y_pred, y_true, *output[1:])
        ctx.mean, ctx.backward_of, ctx.options = mean, backward, options

    @staticmethod
    def backward(ctx, grad, *_):
        if grad is None:
            return None, None, None, None, None, None
        y_pred, y_true, *saved = ctx.saved_tensors
        scale = grad / (y_pred.numel() // y_pred.shape[-1]) if ctx.mean else grad
        gradient = ctx.backward_of(y_true, y_pred, saved, scale, torch.is_grad_enabled(), **dict(ctx.options))
        return gradient, None, None, None, None, None
