"""``from losskit import sklearn as lks``: any loss as a scikit-learn scorer (see
:mod:`losskit.integrations.sklearn`). Importing it needs only NumPy; ``scorer`` imports
scikit-learn. ``import sklearn`` elsewhere still finds scikit-learn (imports are absolute)."""

from .integrations.sklearn import response_method, scorer

__all__ = ["scorer", "response_method"]
