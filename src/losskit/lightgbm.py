"""``from losskit import lightgbm as lkl``: LightGBM custom objectives, metrics and initial scores
for any loss, and scikit-learn estimators trained with one (see :mod:`losskit.integrations.lightgbm`
and docs/gbdt.md). Importing it needs only NumPy; the estimators import LightGBM on first use.
``import lightgbm`` elsewhere still finds the LightGBM package (imports are absolute)."""

from .integrations import lightgbm as _lightgbm
from .integrations.lightgbm import init_score, metric, objective

__all__ = ["objective", "metric", "init_score", "LGBMClassifier", "LGBMRegressor"]


def __getattr__(name: str):
    """The scikit-learn estimators, imported (with LightGBM) on first use."""
    return getattr(_lightgbm, name)
