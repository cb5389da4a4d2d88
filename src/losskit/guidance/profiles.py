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

from ..losses._domain import Interval, Layout, Target
from ..losses._link import LOGIT
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
    if spec.margin_based:
        return ("margin",)
    if predicts_distribution(spec) or spec.link.name == "logit":
        return ("margin", "probability") if spec.takes_raw(loss.options) else ("probability", "margin")
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
    if spec is None or spec.layout is Layout.MEAN_VARIANCE:
        return -3.0, 3.0
    # Predictions must stay in the domain (log-scale ones, exp(y_pred), are positive): stay clear of
    # its edge, where log-based losses blow up.
    domain = Interval(0.0, math.inf) if spec.takes_raw(loss.options) else spec.y_pred_domain(loss.options)
    low = domain.low - TARGET + 0.05 if isinstance(domain, Interval) and domain.low > TARGET - 3.0 else -3.0
    return low, 3.0


def _layout(loss, kind: str) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """x -> (y_true, y_pred): one row per grid point, in the layout the loss's record declares;
    a loss that takes raw outputs gets the prediction through its link (``loss.link``)."""
    spec = loss.spec
    if kind == "angle":
        return lambda x: (np.tile([1.0, 0.0], (x.size, 1)), np.stack([np.cos(x), np.sin(x)], axis=1))
    raw = spec is not None and spec.takes_raw(loss.options)
    to_raw = (lambda prediction: np.asarray(loss.link(prediction))) if raw else (lambda prediction: prediction)
    if kind == "residual":
        if spec is not None and spec.layout is Layout.MEAN_VARIANCE:  # unit variance
            return lambda x: (np.full((x.size, 1), TARGET), to_raw(np.stack([TARGET + x, np.ones_like(x)], axis=1)))
        return lambda x: (np.full((x.size, 1), TARGET), to_raw((TARGET + x)[:, None]))
    if spec.target is Target.SIGNED:  # signed labels: the margin is y * score
        return lambda x: (np.ones((x.size, 1)), x[:, None])
    if not predicts_distribution(spec) and spec.link.name == "logit":  # one output per label
        return lambda x: (np.ones((x.size, 1)), to_raw(_true_class_probability(x, kind)[:, None]))
    if predicts_distribution(spec):
        to_pred = lambda x: to_raw(_two_class_probabilities(x, kind))  # noqa: E731
    else:
        to_pred = _two_class_scores
    if spec.layout is Layout.LABELS:
        return lambda x: (np.zeros(x.size), to_pred(x))
    return lambda x: (np.tile([1.0, 0.0], (x.size, 1)), to_pred(x))


def _true_class_probability(x, kind):
    """The probability of the true class at grid point ``x``: ``x`` itself, or the sigmoid of the margin."""
    return x if kind == "probability" else np.asarray(LOGIT.inverse(x))


def _two_class_probabilities(x, kind):
    p = _true_class_probability(x, kind)
    return np.stack([p, 1.0 - p], axis=1)


def _two_class_scores(x):
    return np.stack([x, np.zeros_like(x)], axis=1)


def _evaluate(loss, layout, x: np.ndarray) -> np.ndarray:
    y_true, y_pred = layout(x)
    return np.asarray(loss.values(y_true, y_pred), dtype=np.float64).reshape(x.shape)
