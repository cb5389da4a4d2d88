"""The PyTorch path of :func:`losskit.linear_crossentropy`: an ``autograd.Function`` that makes each
chunk's logits in the forward pass (kept: one log-sum-exp per token) and again in the backward pass
(``softmax - target``, turned into the chunk's gradients at once). Imports torch."""

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


def torch_linear_crossentropy(hidden, weight, labels, bias, *, ignore_class, label_smoothing, reduction, chunk):
    dtype = hidden.dtype
    compute = torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
    labels = labels.to(hidden.device)
    valid = torch.ones_like(labels, dtype=torch.bool) if ignore_class is None else labels != ignore_class
    safe_labels = torch.where(valid, labels, torch.zeros_like(labels)).long()
    cast = (lambda t: None if t is None else t.to(compute)) if compute != dtype else (lambda t: t)
    values = _LinearCrossentropy.apply(cast(hidden), cast(weight), cast(bias), safe_labels, valid, label_smoothing, chunk)
    result = _reduce(values, valid, reduction, torch)
    return result.to(dtype) if compute != dtype else result
