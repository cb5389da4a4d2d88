"""The PyTorch path of :func:`losskit.linear_crossentropy`. Imports torch.

- Reduced (``"mean"``, ``"sum"``): :class:`_ReducedLinearCrossentropy` makes each chunk's logits
  once; the gradient of the objective with respect to them is known then (``(softmax - target) /
  count``), so the chunk's gradients of ``hidden``, ``weight`` and ``bias`` are accumulated in the
  forward pass and the backward pass only scales them by the incoming gradient: three matrix
  products per chunk, as the unfused ``F.linear`` + ``F.cross_entropy`` make in total.
- Per token (``"none"``): :class:`_LinearCrossentropy` keeps one log-sum-exp per token and makes
  each chunk's logits again in the backward pass, where the per-token weights are known.
"""

from __future__ import annotations

import torch

from .linear_crossentropy import _reduce


def _logits(hidden, weight, bias, start, stop):
    logits = hidden[start:stop] @ weight.T
    return logits if bias is None else logits + bias


class _LinearCrossentropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden, weight, bias, labels, valid, label_smoothing, chunk):
        values = torch.empty(hidden.shape[0], dtype=hidden.dtype, device=hidden.device)
        lse = torch.empty_like(values)
        with torch.no_grad():
            for start in range(0, hidden.shape[0], chunk):
                stop = min(start + chunk, hidden.shape[0])
                logits = _logits(hidden, weight, bias, start, stop)
                chunk_lse = lse[start:stop] = torch.logsumexp(logits, dim=1)
                picked = logits.gather(1, labels[start:stop, None])[:, 0]
                chunk_values = chunk_lse - picked
                if label_smoothing:  # lse - (1 - s) z_y - s mean(z)
                    chunk_values = (1.0 - label_smoothing) * chunk_values + label_smoothing * (chunk_lse - logits.mean(dim=1))
                values[start:stop] = chunk_values
        ctx.save_for_backward(hidden, weight, bias, labels, valid, lse)
        ctx.label_smoothing, ctx.chunk = label_smoothing, chunk
        return torch.where(valid, values, torch.zeros_like(values))

    @staticmethod
    def backward(ctx, grad_values):
        hidden, weight, bias, labels, valid, lse = ctx.saved_tensors
        s, chunk = ctx.label_smoothing, ctx.chunk
        scale = torch.where(valid, grad_values, torch.zeros_like(grad_values))
        grad_hidden = torch.empty_like(hidden) if ctx.needs_input_grad[0] else None
        grad_weight = torch.zeros_like(weight) if ctx.needs_input_grad[1] else None
        grad_bias = torch.zeros_like(bias) if bias is not None and ctx.needs_input_grad[2] else None
        vocabulary = weight.shape[0]
        for start in range(0, hidden.shape[0], chunk):
            stop = min(start + chunk, hidden.shape[0])
            g = _logits(hidden, weight, bias, start, stop)
            g.sub_(lse[start:stop, None]).exp_()  # softmax
            if s:
                g.sub_(s / vocabulary)
            g[torch.arange(stop - start, device=g.device), labels[start:stop]] -= 1.0 - s
            g.mul_(scale[start:stop, None])
            if grad_hidden is not None:
                grad_hidden[start:stop] = g @ weight
            if grad_weight is not None:
                grad_weight.addmm_(g.T, hidden[start:stop])
            if grad_bias is not None:
                grad_bias += g.sum(dim=0)
        return grad_hidden, grad_weight, grad_bias, None, None, None, None


def _target_gradient(logits, lse, labels, s: float, vocabulary: int):
    """``softmax(logits) - ((1 - s) one_hot + s / V)``, in place of ``logits``."""
    g = logits.sub_(lse[:, None]).exp_()
    if s:
        g.sub_(s / vocabulary)
    g[torch.arange(g.shape[0], device=g.device), labels] -= 1.0 - s
    return g


class _ReducedLinearCrossentropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden, weight, bias, labels, valid, label_smoothing, chunk, divisor):
        total = torch.zeros((), dtype=hidden.dtype, device=hidden.device)
        wants = ctx.needs_input_grad
        grad_hidden = torch.empty_like(hidden) if wants[0] else None
        grad_weight = torch.zeros_like(weight) if wants[1] else None
        grad_bias = torch.zeros_like(bias) if bias is not None and wants[2] else None
        keep = valid.to(hidden.dtype) / divisor
        vocabulary = weight.shape[0]
        with torch.no_grad():
            for start in range(0, hidden.shape[0], chunk):
                stop = min(start + chunk, hidden.shape[0])
                logits = _logits(hidden, weight, bias, start, stop)
                lse = torch.logsumexp(logits, dim=1)
                values = lse - logits.gather(1, labels[start:stop, None])[:, 0]
                if label_smoothing:
                    values = (1.0 - label_smoothing) * values + label_smoothing * (lse - logits.mean(dim=1))
                total += (values * keep[start:stop]).sum()
                if any(wants[:3]):
                    g = _target_gradient(logits, lse, labels[start:stop], label_smoothing, vocabulary).mul_(keep[start:stop, None])
                    if grad_hidden is not None:
                        torch.mm(g, weight, out=grad_hidden[start:stop])
                    if grad_weight is not None:
                        grad_weight.addmm_(g.T, hidden[start:stop])
                    if grad_bias is not None:
                        grad_bias += g.sum(dim=0)
        ctx.save_for_backward(*(t for t in (grad_hidden, grad_weight, grad_bias) if t is not None))
        ctx.present = tuple(t is not None for t in (grad_hidden, grad_weight, grad_bias))
        return total

    @staticmethod
    def backward(ctx, grad_total):
        saved = iter(ctx.saved_tensors)
        # ``loss.backward()`` passes 1: the gradients go out as they are, with no copy (a copy of the
        # weight's gradient would double the memory this function exists to save); any other scale
        # multiplies out of place, so a second backward pass (retain_graph) finds them unchanged
        unit = bool(grad_total == 1)
        grads = []
        for present in ctx.present:
            grad = next(saved) if present else None
            grads.append(grad if grad is None or unit else grad * grad_total)
        return (*grads, None, None, None, None, None)


def torch_linear_crossentropy(hidden, weight, labels, bias, *, ignore_class, label_smoothing, reduction, chunk):
    dtype = hidden.dtype
    compute = torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
    labels = labels.to(hidden.device)
    valid = torch.ones_like(labels, dtype=torch.bool) if ignore_class is None else labels != ignore_class
    safe_labels = torch.where(valid, labels, torch.zeros_like(labels)).long()
    cast = (lambda t: None if t is None else t.to(compute)) if compute != dtype else (lambda t: t)
    if reduction == "none":
        values = _LinearCrossentropy.apply(cast(hidden), cast(weight), cast(bias), safe_labels, valid, label_smoothing, chunk)
        result = _reduce(values, valid, reduction, torch)
    else:
        count = int(valid.sum()) if reduction in ("sum_over_batch_size", "mean") else 1
        result = _ReducedLinearCrossentropy.apply(cast(hidden), cast(weight), cast(bias), safe_labels, valid, label_smoothing, chunk, max(count, 1))
    return result.to(dtype) if compute != dtype else result
