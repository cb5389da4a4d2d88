"""``from losskit import xgboost as lkx``: XGBoost custom objectives, metrics and intercepts for
any loss, and scikit-learn estimators trained with one (see :mod:`losskit.integrations.xgboost`
and docs/gbdt.md). Importing it needs only NumPy (the estimators import XGBoost on first use);
``import xgboost`` elsewhere still finds the XGBoost package (imports are absolute)."""

from .integrations import xgboost as _xgboost
from .integrations.xgboost import base_score, metric, objective

__all__ = ["objective", "metric", "base_score", "XGBClassifier", "XGBRegressor"]


def __getattr__(name: str):
    """The scikit-learn estimators, imported (with XGBoost) on first use."""
    return getattr(_xgboost, name)
