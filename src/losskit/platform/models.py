"""The model the platform trains: a small multilayer perceptron whose last layer is chosen by
the loss (see :mod:`losskit.platform.output`).

``inputs -> [Linear -> ReLU] * len(hidden) -> Linear -> OutputScale -> FinalActivation``
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

#: The final activations the platform can put on a model, by the names of
#: :mod:`losskit.guidance.activations` (which gives their ranges), as torch functions.
_FUNCTIONS = {
    "linear": lambda z: z,
    "sigmoid": torch.sigmoid,
    "softmax": lambda z: torch.softmax(z, dim=-1),
    "log_softmax": lambda z: torch.log_softmax(z, dim=-1),
    "exponential": torch.exp,
    "softplus": nn.functional.softplus,
    "relu": torch.relu,
    "tanh": torch.tanh,
}
#: Their names, and ``"linear+softplus"`` (means linear, variances through softplus).
ACTIVATIONS = (*_FUNCTIONS, "linear+softplus")


class OutputScale(nn.Module):
    """``shift + scale * z`` per output, fixed (buffers, not parameters): puts the network's
    unit-scale outputs on the scale of the target before the activation."""

    def __init__(self, shift: Sequence[float], scale: Sequence[float]):
        super().__init__()
        self.register_buffer("shift", torch.tensor(list(shift), dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(list(scale), dtype=torch.float32))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.shift + self.scale * z


class FinalActivation(nn.Module):
    """The activation of the last layer, by name (one of :data:`ACTIVATIONS`).

    ``"linear+softplus"`` is for mean-variance outputs: the first half of the outputs (means)
    stays linear, the second half (variances) goes through softplus.
    """

    def __init__(self, name: str):
        super().__init__()
        if name not in ACTIVATIONS:
            raise ValueError(f"FinalActivation: `name` must be one of {', '.join(ACTIVATIONS)}; got {name!r}")
        self.name = name

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.name != "linear+softplus":
            return _FUNCTIONS[self.name](z)
        half = z.shape[-1] // 2
        return torch.cat([z[..., :half], nn.functional.softplus(z[..., half:])], dim=-1)

    def extra_repr(self) -> str:
        return self.name


def build_mlp(
    n_features: int,
    n_outputs: int,
    *,
    hidden: Sequence[int] = (64, 32),
    activation: str = "linear",
    shift: Sequence[float] | None = None,
    scale: Sequence[float] | None = None,
) -> nn.Sequential:
    """A multilayer perceptron with ReLU hidden layers and the given final activation.

    ``shift``/``scale`` (one per output; default 0 and 1) set the fixed :class:`OutputScale`.
    Weights are initialised by PyTorch's defaults from the current torch seed.
    """
    layers: list[nn.Module] = []
    width = n_features
    for units in hidden:
        layers += [nn.Linear(width, int(units)), nn.ReLU()]
        width = int(units)
    layers.append(nn.Linear(width, n_outputs))
    layers.append(OutputScale(shift if shift is not None else [0.0] * n_outputs, scale if scale is not None else [1.0] * n_outputs))
    layers.append(FinalActivation(activation))
    return nn.Sequential(*layers)
