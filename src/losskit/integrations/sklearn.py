"""Any losskit loss as a scikit-learn scorer, for ``cross_val_score``, ``GridSearchCV`` and friends.

>>> from sklearn.model_selection import cross_val_score
>>> from losskit import sklearn as lks
>>> cross_val_score(model, X, y, scoring=lks.scorer("huber", delta=1.0))  # doctest: +SKIP

scikit-learn's conventions: a scorer is greater-is-better, so it returns the *negative* mean loss
(as ``neg_mean_squared_error``); 1-D ``y`` and predictions are N samples of one output each (not
one sample, as the Keras shape rule would read them); ``sample_weight`` gives the weighted mean
``sum(w l) / sum(w)`` (``np.average``, as scikit-learn's metrics), passed to ``score`` directly or
routed with ``scorer.set_score_request(sample_weight=True)``. Which method of the estimator is
called follows the loss's record:

- a loss with a probability link (``binary_crossentropy``, ``categorical_crossentropy``, focal):
  ``predict_proba``, the probability of the positive class for binary ``y`` (scikit-learn's
  ``pos_label``), every class's for multi-class ``y``;
- the same losses with ``from_logits=True``, and margin losses (``hinge``): ``decision_function``;
- every other loss: ``predict`` (for ``poisson``/``tweedie`` the predicted mean).

Class labels meet the loss as indices into the sorted labels (the column order of
``predict_proba``): one-hot rows for a one-hot loss, the indices for ``sparse_*``, 0/1 for binary.
"""

from __future__ import annotations

import numpy as np

from ..losses._domain import Layout, Target
from ..registry import get

__all__ = ["scorer", "response_method"]


def response_method(loss) -> str:
    """The estimator method whose output ``loss`` measures: ``"predict_proba"``, ``"decision_function"``
    or ``"predict"`` (see the module docstring)."""
    loss = get(loss)
    spec = loss.spec
    if spec is None:
        return "predict"
    if spec.margin_based or (spec.takes_raw(loss.options) and spec.link.name in ("logit", "softmax")):
        return "decision_function"
    if spec.link.name in ("logit", "softmax") and spec.target in (Target.BINARY, Target.ONE_HOT, Target.CLASS_INDICES):
        return "predict_proba"
    return "predict"


def scorer(loss, **options):
    """A scikit-learn scorer of ``loss`` (a name, a Loss or a callable) with ``options``:
    ``scorer(estimator, X, y, sample_weight=None) -> -mean loss``."""
    from sklearn.metrics import make_scorer

    loss = get(loss, **options)
    weighted = get(loss, reduction="mean_with_sample_weight")
    method = response_method(loss)

    def score(y_true, y_pred, sample_weight=None):
        y_true, y_pred = _arrange(loss, np.asarray(y_true), np.asarray(y_pred))
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        return float(weighted(y_true, y_pred, sample_weight=weights))

    score.__name__ = loss.name
    return make_scorer(score, greater_is_better=False, response_method=method)


def _arrange(loss, y_true: np.ndarray, y_pred: np.ndarray):
    """``(y_true, y_pred)`` with one row per sample, labels as the loss's record wants them."""
    n = y_true.shape[0]
    spec = loss.spec
    y_pred = np.asarray(y_pred, dtype=np.float64)
    target = spec.target if spec is not None else None
    if target in (Target.ONE_HOT, Target.CLASS_INDICES) and y_true.ndim == 1:
        indices = _class_indices(loss.name, y_true, y_pred.shape[-1])
        if spec.layout is Layout.LABELS:
            return indices, y_pred
        return np.eye(y_pred.shape[-1])[indices], y_pred
    if target in (Target.BINARY, Target.SIGNED) and y_true.ndim == 1:
        y_true = _class_indices(loss.name, y_true, 2).astype(np.float64)
    return y_true.reshape(n, -1) if y_true.ndim == 1 else y_true, y_pred.reshape(n, -1) if y_pred.ndim == 1 else y_pred


def _class_indices(name: str, labels: np.ndarray, k: int) -> np.ndarray:
    """Labels as indices into their sorted values (the column order of ``predict_proba``)."""
    classes = np.unique(labels)
    if classes.shape[0] == k:
        return np.searchsorted(classes, labels)
    if labels.dtype.kind in "iuf" and np.all((labels >= 0) & (labels < k) & (labels == np.floor(labels))):
        return labels.astype(np.int64)  # class indices, some classes absent from these rows
    raise ValueError(
        f"scorer: {name}: y holds {classes.shape[0]} classes ({classes[:5].tolist()}...), but the predictions "
        f"have {k} columns; with a class missing from these rows, give class indices 0..{k - 1}"
    )
