"""The platform: train, evaluate and compare losses on real data (``losskit compare``).

``train(loss, X, y)`` trains a model with any losskit loss and returns its :class:`History`;
``compare(dataset, losses)`` trains one model per loss on the same resampled splits and judges
them (mean, 95% interval, verdict), and ``write_report(comparison, out)`` writes the HTML
report. Datasets come from ``load_bundled(name)`` (scikit-learn's bundled ones) or
``read_csv(path, target)``; learners from ``make_learner(name)`` ("mlp", "linear", "xgboost",
"lightgbm").

Importing this package imports no optional dependency: torch, scikit-learn, matplotlib and rich
load when a function that needs them first runs.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "train": "training",
    "History": "history",
    "make_learner": "learners",
    "Verdict": "statistics",
    "compare": "comparison",
    "Comparison": "comparison",
    "Run": "comparison",
    "write_report": "report",
    "load_bundled": "data",
    "read_csv": "data",
    "Dataset": "data",
    "DataError": "data",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'losskit.platform' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
