"""The facts of a loss's record that the platform reads: its link and its target layout.

The one place where the platform asks the record; every other platform module calls these.
"""

from __future__ import annotations

import numpy as np

from ..core import Loss


def link_option(loss: Loss) -> str | None:
    """The option that makes the loss take raw outputs (``"from_logits"``, ``"log_input"``), or
    None when it has no raw-output form (or is a custom callable)."""
    return loss.link.option


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
    return str(loss.info.target or "real")


def layout(loss: Loss) -> str:
    """How ``y_true``'s shape relates to the prediction's: "same", "labels" (class indices) or
    "mean_variance" (two outputs per target)."""
    return "same" if loss.spec is None else loss.spec.layout.value


def margin_based(loss: Loss) -> bool:
    """Whether the loss reads its prediction as a score thresholded at 0 (hinge losses)."""
    return bool(loss.spec is not None and loss.spec.margin_based)

