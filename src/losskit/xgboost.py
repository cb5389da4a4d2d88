"""``from losskit import xgboost as lkx``: XGBoost custom objectives, metrics and intercepts for
any loss (see :mod:`losskit.integrations.xgboost` and docs/gbdt.md). Importing it needs only NumPy;
``import xgboost`` elsewhere still finds the XGBoost package (imports are absolute)."""

from .integrations.xgboost import base_score, metric, objective

__all__ = ["objective", "metric", "base_score"]
