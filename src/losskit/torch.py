"""losskit inside PyTorch training code: :class:`Loss`, an ``nn.Module`` in PyTorch's argument order.

>>> import torch, losskit.torch as lkt
>>> criterion = lkt.Loss("binary_crossentropy", from_logits=True)   # like nn.BCEWithLogitsLoss()
>>> logits, labels = torch.tensor([[2.0], [-1.0]]), torch.tensor([[1.0], [0.0]])
>>> round(float(criterion(logits, labels)), 4)                      # input first, then target
0.22

It wraps a :class:`losskit.Loss` (``criterion.loss``): the same values as the functional API
``losskit.get(name, **options)(target, input)``, through the same PyTorch fast path
(:mod:`losskit.fast.torch`: torch's fused losses where torch has the loss). It pickles
(``torch.save(model)``, DDP's ``mp.spawn``, Lightning checkpoints), deep-copies, compiles with
``torch.compile(..., fullgraph=True)`` and runs under ``torch.func`` transforms and autocast.
Importing this module imports torch; ``import losskit`` does not.
"""

from __future__ import annotations

from typing import Any

import torch

from .core import Loss as _Loss
from .registry import get

__all__ = ["Loss"]


class Loss(torch.nn.Module):
    """A losskit loss as an ``nn.Module``: ``forward(input, target, weight=None)`` -> the objective.

    Parameters
    ----------
    loss : str, callable or losskit.Loss
        Anything :func:`losskit.get` takes: a name (``"huber"``, ``"HuberLoss"``), a loss function,
        a user callable ``f(y_true, y_pred)`` or a :class:`losskit.Loss`.
    **options
        The loss's options (``from_logits=True``, ``delta=2.0``, ``class_weight=[...]``) and
        ``reduction`` (``"sum_over_batch_size"``, the default, ``"sum"``,
        ``"mean_with_sample_weight"``, ``"none"``), as for :func:`losskit.get`.

    ``forward(input, target, weight=None)``: ``input`` is the model's output (``y_pred``),
    ``target`` the labels (``y_true``), ``weight`` per-sample weights (``sample_weight``). The
    result is a 0-d tensor (per-sample values for ``reduction="none"``), float32 under autocast,
    otherwise in ``input``'s dtype.
    """

    def __init__(self, loss: Any, **options: Any):
        super().__init__()
        self.loss: _Loss = get(loss, **options)

    def forward(self, input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        return self.loss(target, input, sample_weight=weight)

    @property
    def reduction(self) -> str:
        return self.loss.reduction

    @property
    def name(self) -> str:
        return self.loss.name

    def extra_repr(self) -> str:
        return repr(self.loss)
