"""Final activations and their output ranges, by name, callable or model.

Ranges are the mathematical ones. Two choices worth knowing:

* Squashing activations have open ranges: sigmoid and softmax give values in (0, 1), tanh in
  (-1, 1), softplus and exponential in (0, inf). In floating point they saturate to the ends
  (``sigmoid(40.0) == 1.0`` in float32); the probability losses clip their inputs to
  ``[1e-7, 1 - 1e-7]`` for that reason, so the open range is what a loss can rely on.
* log_softmax is given as (-inf, 0], closed at 0: a row with one dominant logit gives exactly 0.

Names are matched case-insensitively ignoring ``_``, ``-`` and spaces, so Keras' names
(``"log_softmax"``), PyTorch's module classes (``"LogSoftmax"``, ``"ReLU"``, ``"Identity"``) and
``"none"``/``"identity"`` (= linear) all resolve. ``"a+b"`` names a two-headed output (the
means through ``a``, the variances through ``b``) for losses like ``gaussian_nll``.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from typing import Any

from ..losses._domain import Interval

INF = math.inf


@dataclass(frozen=True)
class Activation:
    """A final activation: its ``output`` range, whether rows sum to 1 (``normalised``), and
    ``kind``: ``"probability"`` (sigmoid, softmax), ``"log-probability"`` (log_softmax,
    log_sigmoid) or ``"score"`` (anything else)."""

    name: str
    output: Interval
    formula: str
    kind: str = "score"
    normalised: bool = False
    aliases: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name


def _open(low: float, high: float) -> Interval:
    return Interval(low, high)


def _closed_low(low: float, high: float = INF) -> Interval:
    return Interval(low, high, low_closed=True)


ACTIVATIONS: tuple[Activation, ...] = (
    Activation("linear", _open(-INF, INF), "z", aliases=("identity", "none")),
    Activation("sigmoid", _open(0.0, 1.0), "1 / (1 + exp(-z))", kind="probability", aliases=("logistic", "expit")),
    Activation("hard_sigmoid", Interval(0.0, 1.0, True, True), "clip(z / 6 + 1/2, 0, 1)", kind="probability", aliases=("hardsigmoid",)),
    Activation("softmax", _open(0.0, 1.0), "exp(z) / sum(exp(z))", kind="probability", normalised=True, aliases=("softmax2d",)),
    Activation("log_softmax", Interval(-INF, 0.0, high_closed=True), "z - logsumexp(z)", kind="log-probability"),
    Activation("log_sigmoid", _open(-INF, 0.0), "-softplus(-z)", kind="log-probability"),
    Activation("tanh", _open(-1.0, 1.0), "tanh(z)"),
    Activation("softsign", _open(-1.0, 1.0), "z / (1 + |z|)"),
    Activation("hard_tanh", Interval(-1.0, 1.0, True, True), "clip(z, -1, 1)", aliases=("hardtanh",)),
    Activation("relu", _closed_low(0.0), "max(z, 0)"),
    Activation("relu6", Interval(0.0, 6.0, True, True), "clip(z, 0, 6)"),
    Activation("leaky_relu", _open(-INF, INF), "max(z, 0.01 z)", aliases=("prelu", "rrelu")),
    Activation("elu", _open(-1.0, INF), "z if z > 0 else exp(z) - 1", aliases=("celu",)),
    Activation("selu", _open(-1.7581, INF), "1.0507 * (z if z > 0 else 1.6733 (exp(z) - 1))"),
    # Minima rounded outward: gelu -0.16997, silu -0.27846, mish -0.30884.
    Activation("gelu", _closed_low(-0.170), "z Phi(z)"),
    Activation("silu", _closed_low(-0.279), "z sigmoid(z)", aliases=("swish",)),
    Activation("mish", _closed_low(-0.309), "z tanh(softplus(z))"),
    Activation("softplus", _open(0.0, INF), "log(1 + exp(z))"),
    Activation("exponential", _open(0.0, INF), "exp(z)", aliases=("exp",)),
)

#: The activations a model's last layer commonly has: the columns of the compatibility matrix.
COMMON = ("linear", "sigmoid", "softmax", "log_softmax", "tanh", "relu", "softplus", "exponential")


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


_BY_KEY = {_key(n): a for a in ACTIVATIONS for n in (a.name, *a.aliases)}
# Layers that pass their input's range through: look past them for the final activation.
_PASS_THROUGH = {"identity", "dropout", "dropout1d", "dropout2d", "dropout3d", "alphadropout", "featurealphadropout",
                 "flatten", "unflatten", "reshape", "spatialdropout1d", "spatialdropout2d", "spatialdropout3d",
                 "gaussiandropout", "gaussiannoise", "activityregularization", "inputlayer"}  # fmt: skip


def activation(name: str) -> Activation:
    """The activation called ``name`` (any spelling or alias); ValueError if unknown."""
    found = _BY_KEY.get(_key(name))
    if found is None:
        import difflib

        close = difflib.get_close_matches(name.lower(), [a.name for a in ACTIVATIONS], n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "known: " + ", ".join(a.name for a in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; {hint}")
    return found


def resolve(obj: Any) -> tuple[list[Activation], str | None]:
    """The final activation(s) named or used by ``obj``, and where it was read from.

    ``obj`` is a name (``"sigmoid"``, ``"ReLU"``, ``"linear+softplus"`` for two heads), None
    (linear, as Keras' ``activation=None``), an :class:`Activation`, an activation function
    (``torch.sigmoid``, ``keras.activations.relu``), a PyTorch ``nn.Module`` or a Keras model or
    layer. Returns ``([activation, ...], source)``: one activation per head; ``source`` describes
    the layer the activation was read from (None when ``obj`` named it directly).
    """
    if obj is None:
        return [activation("linear")], None
    if isinstance(obj, Activation):
        return [obj], None
    if isinstance(obj, str):
        return [activation(part) for part in obj.split("+")], None
    if _is_keras(obj):  # first: on Keras' PyTorch backend a Keras model is an nn.Module too
        return _from_keras(obj)
    if _is_torch_module(obj):
        return _from_torch(obj)
    if callable(obj):
        name = getattr(obj, "__name__", None) or type(obj).__name__
        return [activation(name)], None
    raise ValueError(f"expected an activation name, function or model; got {type(obj).__name__} {obj!r}")


# ----------------------------------------------------------------------------- models
def _is_torch_module(obj: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def _is_keras(obj: Any) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(obj, keras.layers.Layer)


def _from_torch(model) -> tuple[list[Activation], str]:
    """The last leaf module that changes the range of its input: an activation module, or
    ``linear`` when it is any other layer (Linear, Conv2d, BatchNorm, ...)."""
    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    for module in reversed(leaves):
        cls = type(module).__name__
        if _key(cls) in _PASS_THROUGH:
            continue
        where = f"the last layer of the model, {cls}"
        if _key(cls) in _BY_KEY:
            return [_BY_KEY[_key(cls)]], where
        if type(module).__module__.startswith("torch.nn.modules.activation"):
            activation(cls)  # an activation module losskit does not know: raises with the name
        return [activation("linear")], where + " (no activation after it)"
    return [activation("linear")], "the model (it has no layers: its output is its input)"


def _from_keras(model) -> tuple[list[Activation], str]:
    """The activation of the last Keras layer that has one (Dense(..., activation=...),
    Activation, Softmax, ReLU, ...), looking past Dropout, Flatten and nested models."""
    layers = list(getattr(model, "layers", None) or [model])
    for layer in reversed(layers):
        cls = type(layer).__name__
        if getattr(layer, "layers", None):
            return _from_keras(layer)
        if _key(cls) in _PASS_THROUGH:
            continue
        fn = getattr(layer, "activation", None)
        if fn is not None:
            name = getattr(fn, "__name__", None) or str(fn)
            return [activation(name)], f"the last layer of the model, {cls}(activation={name!r})"
        if _key(cls) in _BY_KEY:
            return [_BY_KEY[_key(cls)]], f"the last layer of the model, {cls}"
        return [activation("linear")], f"the last layer of the model, {cls} (no activation)"
    return [activation("linear")], "the model (it has no layers)"
