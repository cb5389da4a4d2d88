"""The facts of a loss's record that the platform reads: its link and its target layout.

The one place where the platform asks the record; every other platform module calls these.
"""

from __future__ import annotations

import numpy as np

from ..core import Loss


def link_option(loss: Loss) -> str | None:
    """The option that makes the loss take raw outputs (``"from_logits"``, ``"log_input"``), or
    None when it has no raw-output form (or is a custom callable)."""
    link = getattr(loss, "link", None)
    return None if link is None else link.option


def takes_raw_outputs(loss: Loss) -> bool:
    """Whether the loss, as configured, reads raw model outputs (its raw-output option is on)."""
    option = link_option(loss)
    return option is not None and loss.options.get(option) is True


def predictions_from_raw(loss: Loss, raw: np.ndarray) -> np.ndarray:
    """The predictions the loss measures, from raw outputs (the inverse link)."""
    return np.asarray(loss.link.inverse(np.asarray(raw, dtype=np.float64)))


def target(loss: Loss) -> str:
    """What ``y_true`` holds: "real", "non_negative", "binary", "signed", "one_hot",
    "class_indices", "distribution", "advantages" ("real" for a custom callable)."""
    return str(getattr(loss.info, "target", None) or "real")


def layout(loss: Loss) -> str:
    """How ``y_true``'s shape relates to the prediction's: "same", "labels" (class indices) or
    "mean_variance" (two outputs per target)."""
    spec = loss.spec
    if spec is None:
        return "same"
    return str(getattr(spec.layout, "value", spec.layout))


def margin_based(loss: Loss) -> bool:
    """Whether the loss reads its prediction as a score thresholded at 0 (hinge losses)."""
    return bool(loss.spec is not None and loss.spec.margin_based)


# --- Until the record carries its link and target layout (issue 7), the same facts from today's
# --- record. Removed at the merge of the record change; nothing else reads them.
_RAW_OPTIONS = ("from_logits", "log_input")


class _Link:
    def __init__(self, loss: Loss):
        spec = loss.spec
        self.option = next((k for k in _RAW_OPTIONS if k in loss.options), None) if spec is not None and spec.native else None
        tasks = set(loss.info.tasks)
        if self.option == "log_input":
            self.name = "log_variance" if spec.shapes == "mean_variance" else ("log_softmax" if "distribution" in tasks else "log")
        elif self.option == "from_logits":
            self.name = "logit" if tasks & {"binary", "multilabel"} else "softmax"
        else:
            self.name = "identity"

    def inverse(self, raw):
        raw = np.asarray(raw, dtype=np.float64)
        if self.name == "logit":
            return np.exp(-np.logaddexp(0.0, -raw))
        if self.name in ("softmax", "log_softmax"):
            e = np.exp(raw - raw.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        if self.name == "log":
            return np.exp(raw)
        if self.name == "log_variance":
            half = raw.shape[-1] // 2
            return np.concatenate([raw[..., :half], np.exp(raw[..., half:])], axis=-1)
        return raw


def _target_today(loss: Loss) -> str:
    spec, info = loss.spec, loss.info
    if spec is None:
        return "real"
    if spec.shapes == "labels":
        return "class_indices"
    values = getattr(spec.y_true, "values", ())
    if -1.0 in values:
        return "signed"
    if "needs one-hot labels" in info.properties or (set(info.tasks) & {"multiclass"} and "binary" not in info.tasks):
        return "one_hot"
    if set(info.tasks) & {"binary", "multilabel"}:
        return "binary"
    if "distribution" in info.tasks:
        return "distribution"
    if "counts" in info.tasks:
        return "non_negative"
    return "real"


if not hasattr(Loss, "link"):
    _target, _layout, _margin_based = target, layout, margin_based

    def link_option(loss: Loss) -> str | None:  # noqa: F811
        return _Link(loss).option

    def predictions_from_raw(loss: Loss, raw: np.ndarray) -> np.ndarray:  # noqa: F811
        return _Link(loss).inverse(raw)

    def target(loss: Loss) -> str:  # noqa: F811
        return _target_today(loss)

    def layout(loss: Loss) -> str:  # noqa: F811
        return "same" if loss.spec is None else ("same" if loss.spec.shapes == "any" else loss.spec.shapes)

    def margin_based(loss: Loss) -> bool:  # noqa: F811
        return loss.spec is not None and "margin-based" in loss.info.properties
