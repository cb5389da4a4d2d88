"""Domains of ``y_true`` and ``y_pred``: what values a loss accepts.

A domain is metadata (shown by ``losskit info`` and used by the compatibility
checks) and a value check (run on the data when value checks are on).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from .._array import extrema


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

    def all_within(self, x, xp) -> bool:
        """True when every value of ``x`` lies in the interval, from its min and max (two
        reductions, no temporaries; a NaN makes both NaN, so it is never within). False means
        "not known": :meth:`contains` decides (and the error message is worded from it)."""
        low, high = extrema(x, xp)
        above = low >= self.low if self.low_closed else low > self.low
        below = high <= self.high if self.high_closed else high < self.high
        return bool(above) and bool(below)

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

    def all_within(self, x, xp) -> bool:
        return False  # no cheaper test than :meth:`contains`


@dataclass(frozen=True)
class ClassIndices:
    """Integer class labels in [0, num_classes), num_classes being ``y_pred``'s class axis."""

    def __str__(self) -> str:
        return "integers in [0, num_classes)"

    def contains(self, x, xp, num_classes: int):
        return xp.logical_and(xp.logical_and(x >= 0, x < num_classes), x == xp.floor(x))

    def all_within(self, x, xp, num_classes: int) -> bool:
        """True for integer labels whose min and max lie in [0, num_classes); False: "not known"."""
        if not xp.isdtype(x.dtype, "integral"):
            return False
        low, high = extrema(x, xp)
        return bool(low >= 0) and bool(high < num_classes)


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


class Target(str, enum.Enum):
    """What ``y_true`` holds: the target layout every consumer reads (``loss.info.target``)."""

    REAL = "real"  # real values (regression, TD targets, vectors to align with)
    NON_NEGATIVE = "non_negative"  # counts, rates, non-negative amounts
    BINARY = "binary"  # 0/1 (or soft) labels, one per output
    SIGNED = "signed"  # -1/1 labels (0 read as -1): margin losses
    ONE_HOT = "one_hot"  # one-hot (or soft) rows over the class axis
    CLASS_INDICES = "class_indices"  # one integer class per row
    DISTRIBUTION = "distribution"  # a probability distribution over the last axis
    ADVANTAGES = "advantages"  # one_hot(action) * advantage (policy gradients)


class Layout(enum.Enum):
    """How ``y_true``'s shape relates to ``y_pred``'s."""

    SAME = "same"  # equal shapes (Keras' squeeze rule for a trailing unit axis)
    LABELS = "labels"  # y_pred's shape without its class axis
    MEAN_VARIANCE = "mean_variance"  # y_pred is y_true's last axis doubled: means, then variances
    ANY = "any"  # a user loss: shapes are its own business


class Intercept(enum.Enum):
    """The closed form of the best constant prediction, in raw (margin) space; Newton refines it."""

    LINK_OF_MEAN = "link of the weighted mean"  # sklearn's default: mean, class shares (identity, logit, log, softmax)
    MEDIAN = "weighted median"
    QUANTILE = "weighted quantile"
    PERCENTAGE_MEDIAN = "median with weights w / |y|"
    LOG1P_MEAN = "expm1 of the mean of log1p(y)"
    MAJORITY_SIGN = "sign of the weighted majority"
    SIGNED_MEAN = "weighted mean of the signed labels"
    MEAN_DIRECTION = "weighted mean unit vector"
    ZERO = "zeros"
