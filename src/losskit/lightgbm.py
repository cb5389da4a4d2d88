"""``from losskit import lightgbm as lkl``: LightGBM custom objectives, metrics and initial scores
for any loss (see :mod:`losskit.integrations.lightgbm` and docs/gbdt.md). Importing it needs only
NumPy; ``import lightgbm`` elsewhere still finds the LightGBM package (imports are absolute)."""

from .integrations.lightgbm import init_score, metric, objective

__all__ = ["objective", "metric", "init_score"]
