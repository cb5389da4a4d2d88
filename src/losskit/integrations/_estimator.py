"""What a scikit-learn gradient-boosting estimator needs from a loss's record: how the targets
meet the loss, how many margins a row has, the intercept, and how margins become predictions.

Shared by :mod:`._xgboost_estimators` and :mod:`._lightgbm_estimators`; it imports neither
library. Everything is read from the loss's record (its link, target layout and margin flag),
so predictions come back in prediction space:

- regressors: ``link.inverse(margin)`` (the mean: ``exp`` for ``poisson`` and ``tweedie``);
- classifiers: class labels as the user gave them; ``predict_proba`` by the link (sigmoid or
  softmax) for losses that have probabilities; ``decision_function`` the raw margins. A
  margin-based loss (``hinge``) decides at margin 0 and has no ``predict_proba``.

Where the booster computes the loss itself (its built-in objective, e.g. XGBoost's
``binary:logistic`` for ``binary_crossentropy``), the estimators train with that objective and
the booster's own intercept: the model is the booster's own estimator's, and there is no Python
call per round. Each booster's table of :class:`NativeObjective` sits next to its estimators.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..losses._domain import Target
from ..registry import get
from ._margin import MarginLoss
from .intercept import optimal_constant

#: Targets a classifier can train: one margin per row (binary) or one per class.
_BINARY_TARGETS = (Target.BINARY, Target.SIGNED)
_CLASS_TARGETS = (Target.ONE_HOT, Target.CLASS_INDICES)


@dataclass(frozen=True)
class NativeObjective:
    """A booster's built-in objective that computes a losskit loss.

    ``options`` maps each of the loss's options to the booster parameter that carries it
    (``{"quantile": "quantile_alpha"}``); ``fixed`` holds options the objective computes at one
    value only (``reg:gamma`` is ``tweedie`` at ``power=2``); every other option must be at its
    default, which is the plain loss (no label smoothing, class weights or ignored class).
    ``accepts`` says which values of the translated options the booster takes (``tweedie``:
    ``1 <= power < 2``). A table maps a loss's name to one entry or a tuple of them (the first
    that fits the options is used).
    ``classifier`` is True for the classification objectives: a classifier uses only those and a
    regressor only the others (a regressor's soft labels are not the booster's 0/1 labels).
    """

    objective: str
    options: dict = field(default_factory=dict)
    accepts: Callable[[dict], bool] | None = None
    fixed: dict = field(default_factory=dict)
    classifier: bool = False


def _is_default(value, default) -> bool:
    """Whether an option's value is its default: None and booleans by identity, numbers by value
    (``label_smoothing=0`` is the default 0.0); an array value (class weights) never is."""
    if value is None or default is None or isinstance(value, bool) or isinstance(default, bool):
        return value is default
    return isinstance(value, (int, float, str)) and isinstance(default, (int, float, str)) and value == default


class LossForm:
    """A loss (by name, Loss or callable, with options) as an estimator trains it; ``caller``
    names the estimator in messages."""

    def __init__(self, loss, options: dict | None, *, caller: str):
        self.caller = caller
        self.margin_loss = MarginLoss(loss, dict(options or {}), caller=caller)
        self.loss = self.margin_loss.loss
        self.spec = self.margin_loss.spec

    @property
    def name(self) -> str:
        return self.loss.name

    def native(self, table: dict, *, classifier: bool, wanted) -> tuple[str, dict] | None:
        """``(objective, booster parameters)`` where ``table`` has a built-in objective that computes
        this loss with these options, for this kind of estimator, and the estimator's
        ``native_objective`` (``wanted``: True or False, else a ValueError) asks for it; None where
        only losskit's does."""
        if wanted not in (True, False):
            raise ValueError(f"{self.caller}: `native_objective` must be True or False; got {wanted!r}")
        if not wanted:
            return None
        entries = table.get(self.name, ())
        if self.spec is None or not self.spec.native:
            return None
        defaults = get(self.name).options
        for entry in entries if isinstance(entries, tuple) else (entries,):
            if entry.classifier == classifier and (found := self._translated(entry, defaults)) is not None:
                return entry.objective, found
        return None

    def _translated(self, entry: NativeObjective, defaults: dict) -> dict | None:
        """The booster parameters that carry this loss's options under ``entry``, or None where it does not fit."""
        params = {}
        for option, value in self.loss.options.items():
            if option in entry.options:
                params[entry.options[option]] = value
            elif option in entry.fixed:
                if not _is_default(value, entry.fixed[option]):
                    return None
            elif option != self.spec.raw_option and not _is_default(value, defaults.get(option)):
                return None
        if entry.accepts is not None and not entry.accepts(self.loss.options):
            return None
        return params

    # ------------------------------------------------------------------ classification
    def class_margins(self, n_classes: int) -> int:
        """Margins per row for ``n_classes`` classes: 1 for a binary loss, else one per class."""
        target = self.spec.target if self.spec is not None else None
        if target in _CLASS_TARGETS:
            return n_classes
        if target in _BINARY_TARGETS or self.spec is None:
            if n_classes > 2:
                raise ValueError(
                    f"{self.caller}: {self.name} scores one binary output per row, but y has {n_classes} classes; "
                    "use categorical_crossentropy (or another multi-class loss) for more than two"
                )
            return 1
        raise ValueError(
            f"{self.caller}: {self.name} is not a classification loss (its target is {target.value}); "
            "use a regressor, or binary_crossentropy / categorical_crossentropy"
        )

    def has_probabilities(self) -> bool:
        return self.spec is not None and not self.spec.margin_based and self.loss.link.name in ("logit", "softmax")

    def probabilities(self, margins: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` from margins, by the loss's link."""
        if not self.has_probabilities():
            raise AttributeError(
                f"{self.caller}: {self.name} gives scores, not probabilities (its link is {self.loss.link.name}); "
                "use decision_function for the margins, or a probabilistic loss such as binary_crossentropy"
            )
        p = np.asarray(self.loss.link.inverse(np.asarray(margins, dtype=np.float64)))
        return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p

    def class_indices(self, margins: np.ndarray) -> np.ndarray:
        """The predicted class index of each row: the largest margin, or the sign of one margin
        (margin 0 is probability 0.5 for a logit link, the decision boundary of a margin loss)."""
        margins = np.asarray(margins)
        return (margins > 0).astype(np.int64) if margins.ndim == 1 else np.argmax(margins, axis=1)

    # ------------------------------------------------------------------ regression
    def predictions(self, margins: np.ndarray) -> np.ndarray:
        """Regression predictions from margins: the loss's inverse link (the mean)."""
        return np.asarray(self.loss.link.inverse(np.asarray(margins, dtype=np.float64)))

    # ------------------------------------------------------------------ training
    def intercept(self, y, sample_weight, num_class: int | None) -> np.ndarray:
        """The constant margin that minimises the loss on ``y``: shape ``(k,)``."""
        return optimal_constant(self.margin_loss, y, sample_weight, num_class=num_class)


def encode_classes(caller: str, y) -> tuple[np.ndarray, np.ndarray]:
    """``(classes_, class indices)`` of labels ``y`` (any hashable values, sorted as np.unique sorts)."""
    y = np.asarray(y)
    if y.ndim != 1:
        y = y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
    if y.ndim != 1:
        raise ValueError(f"{caller}: `y` must hold one class label per row; got shape {np.shape(y)}")
    classes, indices = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(f"{caller}: `y` must hold at least two classes; got {classes.tolist()}")
    return classes, indices.astype(np.float64)


def check_objective_unset(caller: str, objective) -> None:
    if objective is not None:
        raise ValueError(
            f"{caller}: `objective` is set by `loss=` (and `loss_options=`); got objective={objective!r}. "
            "Pass the loss by name instead"
        )
