"""Loss profiles: what a loss looks like along the one quantity that matters for it.

:func:`profile` computes the curve as data; :func:`plot_profiles` draws one or more losses (value
and gradient side by side) with matplotlib, imported only when called. The x axis depends on the
loss (``kind``):

``"residual"``     prediction - target, at a target of 1 (regression, counts, TD): ``mse`` is x².
``"margin"``       the score of the true class minus the other (hinge losses; logits for
                   ``from_logits=True`` losses): ``hinge`` is max(1 - x, 0).
``"probability"``  the predicted probability of the true class (probability losses):
                   ``binary_crossentropy`` is -log x.
``"angle"``        the angle between target and prediction, in radians (cosine similarity).

Classification losses may be drawn as ``"margin"`` or ``"probability"`` (the other is converted
through the sigmoid/softmax). Values come from losskit's own loss on a two-class (or one-output)
layout, in float64; the gradient is d loss / d x by central finite differences of those values.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..losses._domain import Interval, Labels
from ..registry import get
from .compatibility import predicts_distribution

KINDS = ("residual", "margin", "probability", "angle")
TARGET = 1.0  # the target of residual profiles: inside every regression and count domain
_LABELS = {
    "residual": f"prediction - target (target = {TARGET:g})",
    "margin": "margin (true-class score minus the other)",
    "probability": "predicted probability of the true class",
    "angle": "angle between y_true and y_pred (radians)",
}


def profile(loss: Any, kind: str | None = None, num: int = 201) -> dict[str, Any]:
    """The loss profile of ``loss`` (anything :func:`losskit.get` accepts) as data.

    Returns a dict with ``"name"`` (the loss's name), ``"kind"`` (see the module docstring),
    ``"x"`` (the grid, ``num`` points), ``"loss"`` (the per-sample loss at each x), ``"gradient"``
    (d loss / d x), ``"xlabel"``, and ``"options"`` (the loss's options). All arrays are float64
    NumPy. ``kind=None`` picks the natural one for the loss.

    >>> import losskit as lk
    >>> p = lk.guidance.profiles.profile("mse", num=5)
    >>> p["x"].tolist(), p["loss"].tolist()
    ([-3.0, -1.5, 0.0, 1.5, 3.0], [9.0, 2.25, 0.0, 2.25, 9.0])
    """
    loss = get(loss)
    allowed = kinds(loss)
    kind = allowed[0] if kind is None else kind
    if kind not in allowed:
        raise ValueError(f"profile: `kind` for {loss.name} must be one of {', '.join(allowed)}; got {kind!r}")
    if not isinstance(num, int) or num < 3:
        raise ValueError(f"profile: `num` must be an integer >= 3; got {num!r}")
    layout = _layout(loss, kind)
    x = np.linspace(*_grid(loss, kind), num)
    values = _evaluate(loss, layout, x)
    step = 1e-6 * np.maximum(1.0, np.abs(x))
    gradient = (_evaluate(loss, layout, x + step) - _evaluate(loss, layout, x - step)) / (2 * step)
    return {"name": loss.name, "kind": kind, "x": x, "loss": values, "gradient": gradient,
            "xlabel": _LABELS[kind], "options": dict(loss.options)}  # fmt: skip


def kinds(loss: Any) -> tuple[str, ...]:
    """The profile kinds ``loss`` can be drawn as, the natural one first."""
    loss = get(loss)
    spec = loss.spec
    if spec is None or not spec.native:
        return ("residual",)
    if "similarity" in spec.tasks:
        return ("angle",)
    if "margin-based" in spec.properties:
        return ("margin",)
    if predicts_distribution(spec) or "sigmoid" in spec.activations:
        return ("margin", "probability") if spec.uses_logits(loss.options) else ("probability", "margin")
    return ("residual",)


def plot_profiles(losses: Any, path: str | Path | None = None, *, kind: str | None = None, num: int = 201):
    """Draw the profiles of ``losses`` (one loss or a list: names, Loss objects, callables) and
    return the matplotlib ``Figure``: one row per kind, the loss on the left and its gradient on
    the right. With ``path`` (``.png`` or ``.svg``) the figure is also written there.

    Needs matplotlib (``pip install losskit[plot]``); it draws without pyplot, so no GUI backend
    and no global state are involved.
    """
    if path is not None and Path(path).suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"plot_profiles: `path` must end in .png or .svg; got {str(path)!r}")
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("plot_profiles needs matplotlib: pip install 'losskit[plot]'") from error
    losses = list(losses) if isinstance(losses, list | tuple) else [losses]
    if not losses:
        raise ValueError("plot_profiles: give at least one loss")
    curves = [profile(loss, kind, num) for loss in losses]
    rows = list(dict.fromkeys(c["kind"] for c in curves))
    figure = Figure(figsize=(10, 3.6 * len(rows)), layout="constrained")
    axes = figure.subplots(len(rows), 2, squeeze=False)
    for row, row_kind in enumerate(rows):
        value_axis, gradient_axis = axes[row]
        for curve in (c for c in curves if c["kind"] == row_kind):
            label = _label(curve)
            value_axis.plot(curve["x"], curve["loss"], label=label)
            gradient_axis.plot(curve["x"], curve["gradient"], label=label)
        for axis, title in ((value_axis, "loss"), (gradient_axis, "gradient d loss / d x")):
            axis.set_xlabel(_LABELS[row_kind])
            axis.set_title(title)
            axis.axhline(0.0, color="0.8", linewidth=0.8, zorder=0)
            axis.grid(alpha=0.3)
        value_axis.legend()
    if path is not None:
        figure.savefig(path)
    return figure


def _label(curve: dict[str, Any]) -> str:
    options = curve["options"]
    shown = ", ".join(f"{k}={v}" for k, v in options.items() if k in ("from_logits", "log_input", "delta", "gamma", "quantile", "power"))
    return f"{curve['name']}({shown})" if shown else curve["name"]


# ----------------------------------------------------------------------------- layouts
def _grid(loss, kind: str) -> tuple[float, float]:
    if kind == "probability":
        return 0.01, 0.99
    if kind == "angle":
        return 0.0, math.pi
    if kind == "margin":
        return -3.0, 3.0
    spec = loss.spec
    if spec is None or spec.shapes == "mean_variance":
        return -3.0, 3.0
    # Predictions must stay in the domain (log-scale ones, exp(y_pred), are positive): stay clear of
    # its edge, where log-based losses blow up.
    domain = Interval(0.0, math.inf) if spec.uses_logits(loss.options) else spec.y_pred_domain(loss.options)
    low = domain.low - TARGET + 0.05 if isinstance(domain, Interval) and domain.low > TARGET - 3.0 else -3.0
    return low, 3.0


def _layout(loss, kind: str) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """x -> (y_true, y_pred): one row per grid point, the layout the loss's shapes expect."""
    spec = loss.spec
    if kind == "angle":
        return lambda x: (np.tile([1.0, 0.0], (x.size, 1)), np.stack([np.cos(x), np.sin(x)], axis=1))
    if kind == "residual":
        if spec is not None and spec.shapes == "mean_variance":
            spread = 0.0 if loss.options.get("log_input") else 1.0  # unit variance
            return lambda x: (np.full((x.size, 1), TARGET), np.stack([TARGET + x, np.full_like(x, spread)], axis=1))
        if spec is not None and spec.uses_logits(loss.options):  # y_pred is the log of the prediction
            return lambda x: (np.full((x.size, 1), TARGET), np.log(TARGET + x)[:, None])
        return lambda x: (np.full((x.size, 1), TARGET), (TARGET + x)[:, None])
    logits = spec.uses_logits(loss.options)
    if isinstance(spec.y_true, Labels) and -1.0 in spec.y_true.values:  # signed labels: the margin is y * score
        return lambda x: (np.ones((x.size, 1)), x[:, None])
    if not predicts_distribution(spec) and "sigmoid" in spec.activations:  # one output per label
        to_pred = _binary_logit if logits else _binary_probability
        return lambda x: (np.ones((x.size, 1)), to_pred(x, kind)[:, None])
    to_pred = _two_class_scores
    if predicts_distribution(spec):
        to_pred = _two_class_log_probabilities if loss.options.get("log_input") else _two_class_logits if logits else _two_class_probabilities
    if spec.shapes == "labels":
        return lambda x: (np.zeros(x.size), to_pred(x, kind))
    return lambda x: (np.tile([1.0, 0.0], (x.size, 1)), to_pred(x, kind))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def _binary_probability(x, kind):
    return x if kind == "probability" else _sigmoid(x)


def _binary_logit(x, kind):
    return _logit(x) if kind == "probability" else x


def _two_class_probabilities(x, kind):
    p = _binary_probability(x, kind)
    return np.stack([p, 1.0 - p], axis=1)


def _two_class_logits(x, kind):
    z = _binary_logit(x, kind)
    return np.stack([z, np.zeros_like(z)], axis=1)


def _two_class_log_probabilities(x, kind):
    z = _binary_logit(x, kind)
    return np.stack([-np.logaddexp(0.0, -z), -np.logaddexp(0.0, z)], axis=1)


def _two_class_scores(x, kind):
    return np.stack([x, np.zeros_like(x)], axis=1)


def _evaluate(loss, layout, x: np.ndarray) -> np.ndarray:
    y_true, y_pred = layout(x)
    return np.asarray(loss.values(y_true, y_pred), dtype=np.float64).reshape(x.shape)
