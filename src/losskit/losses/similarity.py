"""Similarity losses: compare directions of vectors along the last axis."""

from __future__ import annotations

from .._array import l2_normalize
from ._domain import REAL
from ._spec import AXIS, define


@define(
    name="cosine_similarity",
    aliases=("cosine_proximity", "cosine"),
    tasks=("similarity",),
    y_true=REAL,
    y_pred=REAL,
    activations=("linear", "tanh"),
    properties=("scale-invariant", "bounded in [-1, 1]"),
    formula="-sum(l2_normalize(y_true) * l2_normalize(y_pred))",
    latex=r"-\frac{y\cdot\hat y}{\lVert y\rVert\,\lVert\hat y\rVert}",
    references=("https://en.wikipedia.org/wiki/Cosine_similarity",),
    checks={"axis": AXIS},
)
def cosine_similarity(y_true, y_pred, *, axis=-1, xp):
    """Negative cosine similarity, as Keras: -1 for vectors pointing the same way, 0 for
    orthogonal ones, 1 for opposite ones; a zero vector gives 0. Minimising it aligns
    ``y_pred`` with ``y_true``. Shapes ``(..., d) -> (...)``.
    """
    return -xp.sum(l2_normalize(y_true, xp) * l2_normalize(y_pred, xp), axis=-1)
