"""``from losskit import catboost as lkc``: CatBoost custom objectives and metrics for any loss (see
:mod:`losskit.integrations.catboost`). Importing it needs only NumPy; ``import catboost`` elsewhere
still finds CatBoost (imports are absolute)."""

from .integrations.catboost import baseline, metric, objective

__all__ = ["objective", "metric", "baseline"]
