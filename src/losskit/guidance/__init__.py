"""Guidance: whether an activation fits a loss, what is wrong with the data, which loss to use,
and what a loss looks like.

Re-exported by :mod:`losskit`: :func:`check_compatibility`, :func:`is_compatible`,
:func:`diagnose`, :func:`recommend`, :class:`Finding`, :class:`Recommendation` and
:class:`LossCompatibilityWarning`. Also here: :func:`infer_task` (the task target data
suggests), :func:`profile` and :func:`plot_profiles` (the loss-profile curves and figure of
``losskit plot``; matplotlib is imported only to draw) and the README tables in
:mod:`losskit.guidance.tables`.
"""

from .compatibility import check_compatibility, is_compatible
from .diagnosis import diagnose
from .findings import Finding, LossCompatibilityWarning
from .profiles import plot_profiles, profile
from .recommendation import Recommendation, infer_task, recommend

__all__ = [
    "check_compatibility",
    "is_compatible",
    "diagnose",
    "recommend",
    "infer_task",
    "profile",
    "plot_profiles",
    "Finding",
    "Recommendation",
    "LossCompatibilityWarning",
]
