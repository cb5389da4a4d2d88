"""Domains of ``y_true`` and ``y_pred``: what values a loss accepts.

A domain is metadata (shown by ``losskit info`` and used by the compatibility
checks) and a value check (run on the data when value checks are on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    """A real interval; ``low_closed``/``high_closed`` say whether the ends belong to it.

    ``Interval(-inf, inf, low_closed=True)`` admits -inf (masked logits) but not +inf or NaN.
    """

    low: float = -math.inf
    high: float = math.inf
    low_closed: bool = False
    high_closed: bool = False

    def __str__(self) -> str:
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"{left}{_fmt(self.low)}, {_fmt(self.high)}{right}"

    def contains(self, x, xp):
        above = x >= self.low if self.low_closed else x > self.low
        below = x <= self.high if self.high_closed else x < self.high
        return xp.logical_and(above, below)

    def contains_interval(self, low: float, high: float, low_closed: bool = True, high_closed: bool = True) -> bool:
        """Whether every value of the interval (low, high) (ends as given) lies in this one."""
        low_ok = low > self.low or (low == self.low and (self.low_closed or not low_closed))
        high_ok = high < self.high or (high == self.high and (self.high_closed or not high_closed))
        return low_ok and high_ok


@dataclass(frozen=True)
class Labels:
    """A finite set of admissible values, e.g. {0, 1} or {-1, 1}."""

    values: tuple[float, ...]

    def __str__(self) -> str:
        return "{" + ", ".join(_fmt(v) for v in self.values) + "}"

    def contains(self, x, xp):
        ok = x == self.values[0]
        for v in self.values[1:]:
            ok = xp.logical_or(ok, x == v)
        return ok


@dataclass(frozen=True)
class ClassIndices:
    """Integer class labels in [0, num_classes), num_classes being ``y_pred``'s class axis."""

    def __str__(self) -> str:
        return "integers in [0, num_classes)"

    def contains(self, x, xp, num_classes: int):
        return xp.logical_and(xp.logical_and(x >= 0, x < num_classes), x == xp.floor(x))


def _fmt(v: float) -> str:
    if v == math.inf:
        return "inf"
    if v == -math.inf:
        return "-inf"
    return f"{v:g}"


REAL = Interval()
REAL_OR_MINUS_INF = Interval(low_closed=True)  # logits; -inf masks a class
NON_NEGATIVE = Interval(0.0, math.inf, low_closed=True)
POSITIVE = Interval(0.0, math.inf)
UNIT = Interval(0.0, 1.0, low_closed=True, high_closed=True)
LOG_PROBABILITY = Interval(-math.inf, 0.0, low_closed=True, high_closed=True)
BINARY = Labels((0.0, 1.0))
SIGNED_BINARY = Labels((-1.0, 0.0, 1.0))  # {-1, 1}, or {0, 1} converted as Keras does
CLASS_INDICES = ClassIndices()
