"""Which loss for this task or these targets? ``recommend`` and ``infer_task``.

Recommendations favour the numerically stable form a training loop should use: classification
losses on logits (``from_logits=True`` with a linear final layer; the loss applies the sigmoid or
softmax itself), count losses on the log scale (``log_input=True``). Each one names the final
activation that fits it, and ``losskit.check_compatibility(r.activation, lk.get(r.loss, **r.options))``
finds no error for any of them.

Inferring the task from ``y`` follows scikit-learn's ``type_of_target``, with losskit's names:

* 1-D with at most 2 distinct integers, or non-numeric labels: ``binary``;
* 1-D with 3 to 20 distinct integers, or 3 or more non-numeric labels: ``multiclass``;
* 1-D with more than 20 distinct non-negative integers: ``counts``;
* 1-D with other numbers: ``regression``;
* 2-D of 0 and 1 with one 1 per row (one-hot), or rows of probabilities summing to 1: ``multiclass``
  (even with two columns: the loss takes the one-hot shape);
* 2-D of 0 and 1 with any number of 1s per row: ``multilabel``;
* 2-D with other numbers: ``regression`` (several outputs).

Small non-negative integers are ambiguous (classes or counts): they are read as classes, as
scikit-learn does, and the reason says so; pass ``task="counts"`` to override.
From ``y`` losskit also notices imbalanced classes (the rarest below 1/10 of the largest) and
heavy-tailed regression targets (more values beyond 5 robust standard deviations than a
Gaussian gives), as if ``imbalanced=True`` or ``outliers=True`` had been passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._array import to_numpy
from .diagnosis import IMBALANCE_RATIO, OUTLIER_SIGMAS, heavy_tailed, robust_outliers

TASKS = ("regression", "binary", "multiclass", "multilabel", "counts", "similarity", "reinforcement", "distribution", "segmentation", "ranking", "sequence")
_TASK_ALIASES = {"continuous": "regression", "count": "counts", "multiclassification": "multiclass", "rl": "reinforcement",
                 "multioutput": "regression", "distributions": "distribution", "multilabelindicator": "multilabel"}  # fmt: skip
#: More distinct integer values than this are read as counts (or a regression target), not classes.
MAX_CLASSES = 20


@dataclass(frozen=True)
class Recommendation:
    """A loss to use: ``lk.get(r.loss, **r.options)`` after a ``r.activation`` final layer."""

    loss: str
    options: dict[str, Any] = field(default_factory=dict)
    activation: str = "linear"
    reason: str = ""
    task: str = ""

    def __str__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{self.loss}({options}) after a {self.activation} final layer: {self.reason}"


#: Huber's tuning constant: 95% efficiency under Gaussian errors of unit scale.
HUBER_TUNING = 1.345


@dataclass
class _Target:
    """What ``y`` says: the task, the label format, imbalance and tails, and the words for it."""

    task: str
    note: str
    one_hot: bool | None = None
    class_weight: list[float] | None = None
    imbalance: str | None = None
    heavy_tails: str | None = None
    zero_share: float = 0.0
    orders_of_magnitude: bool = False
    scale: float = 0.0  # robust standard deviation of y (1.4826 MAD), for Huber's delta


def recommend(task: str | None = None, *, y: Any = None, outliers: bool = False, imbalanced: bool = False) -> list[Recommendation]:
    """Losses for ``task`` or for target data ``y``, best first, each with its activation and reason.

    ``task`` is one of ``"regression"``, ``"binary"``, ``"multiclass"``, ``"multilabel"``,
    ``"counts"``, ``"similarity"``, ``"reinforcement"``, ``"segmentation"``, ``"ranking"`` (or ``"distribution"``). Without it, the
    task is inferred from ``y`` (see :func:`infer_task`); with both, ``y`` still tells the label
    format, the class balance and the tails. ``outliers`` favours robust regression losses,
    ``imbalanced`` focal losses and class weights.

    Examples
    --------
    >>> import losskit as lk
    >>> [r.loss for r in lk.recommend("binary")][:2]
    ['binary_crossentropy', 'hinge']
    """
    if task is None and y is None:
        raise ValueError(f"recommend: give a `task` ({', '.join(TASKS)}) or target data `y`; got neither")
    target = _read_target(y) if y is not None else None
    task = _task(task) if task is not None else target.task
    if target is not None and target.task != task:
        classes = {"binary", "multiclass", "multilabel"}
        keeps_classes = task in classes and target.task in classes
        target = _Target(task, f"y read as {task} targets, as asked", target.one_hot, target.class_weight if keeps_classes else None,
                         target.imbalance if keeps_classes else None)  # fmt: skip
        if task == "regression" and _as_numpy(y).dtype.kind in "biuf":
            _describe_values(target, _as_numpy(y).astype(np.float64))
    outliers = outliers or (target is not None and target.heavy_tails is not None)
    imbalanced = imbalanced or (target is not None and target.imbalance is not None)
    recommendations = _RULES[task](target, outliers=outliers, imbalanced=imbalanced)
    facts = "; ".join(t for t in (target.note, target.imbalance, target.heavy_tails) if t) if target is not None else ""
    return [Recommendation(r.loss, r.options, r.activation, f"{r.reason} ({facts})" if facts else r.reason, task) for r in recommendations]


def infer_task(y: Any) -> str:
    """The task that target data ``y`` suggests (see the module docstring for the rules)."""
    return _read_target(y).task


def _task(task: str) -> str:
    key = re.sub(r"[^a-z]", "", str(task).lower())
    key = _TASK_ALIASES.get(key, key)
    if key not in TASKS:
        raise ValueError(f"recommend: `task` must be one of {', '.join(TASKS)}; got {task!r}")
    return key


# ----------------------------------------------------------------------------- reading y
def _as_numpy(y: Any) -> np.ndarray:
    y = to_numpy(y)
    return y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y


def _read_target(y: Any) -> _Target:
    y = _as_numpy(y)
    if y.ndim not in (1, 2) or y.shape[0] == 0:
        raise ValueError(f"recommend: `y` must be a non-empty 1-D or 2-D array of targets; got shape {y.shape}")
    if y.dtype.kind not in "biuf":
        if y.ndim != 1:
            raise ValueError(f"recommend: non-numeric `y` must be 1-D labels; got shape {y.shape}")
        labels, counts = np.unique(y.astype(str), return_counts=True)
        note = f"y holds {labels.size} distinct labels; map them to 0..{labels.size - 1} (np.unique(y, return_inverse=True)) in that order"
        return _classes(labels.size, counts, note, one_hot=False)
    y = y.astype(np.float64)
    if np.isnan(y).any():
        raise ValueError(f"recommend: `y` has {int(np.isnan(y).sum())} missing (NaN) values; drop them first")
    return _read_columns(y) if y.ndim == 2 else _read_vector(y)


def _read_vector(y: np.ndarray) -> _Target:
    values, counts = np.unique(y, return_counts=True)
    integers = bool(np.all(values == np.floor(values)))
    if integers and values.size <= MAX_CLASSES:
        kind = "2 distinct values" if values.size <= 2 else f"{values.size} distinct integers"
        note = f"y holds {kind}: read as class labels"
        if values.size > 2 and values.min() >= 0:
            note += " (pass task='counts' if they are counts)"
        if set(values.tolist()) == {-1.0, 1.0}:
            note += "; map -1/1 to 0/1, (y + 1) / 2, for the crossentropy losses"
        elif not np.array_equal(values, np.arange(values.size)):
            note += f"; map them to 0..{values.size - 1} (np.unique(y, return_inverse=True))"
        return _classes(values.size, counts, note, one_hot=False)
    if integers and values.min() >= 0:
        return _Target("counts", f"y holds {values.size} distinct non-negative integers: read as counts")
    target = _Target("regression", "y holds real values: read as a regression target")
    _describe_values(target, y)
    return target


def _read_columns(y: np.ndarray) -> _Target:
    binary = np.isin(y, (0.0, 1.0)).all()
    sums = y.sum(axis=1)
    if binary and np.all(sums == 1):
        return _classes(y.shape[1], y.sum(axis=0), f"y is one-hot over {y.shape[1]} classes", one_hot=True)
    if binary:
        target = _Target("multilabel", f"y holds {y.shape[1]} binary labels per sample")
        positives = y.sum(axis=0)
        ratios = np.maximum(positives, y.shape[0] - positives) / np.maximum(np.minimum(positives, y.shape[0] - positives), 0.5)
        worst = int(np.argmax(ratios))
        if ratios[worst] >= IMBALANCE_RATIO:
            target.imbalance = f"label {worst} is 1 in {int(positives[worst])} of {y.shape[0]} samples"
        return target
    if y.min() >= 0 and y.max() <= 1 and np.allclose(sums, 1.0, atol=1e-3):
        return _classes(y.shape[1], y.sum(axis=0), f"y rows are distributions over {y.shape[1]} classes (soft labels)", one_hot=True)
    target = _Target("regression", f"y holds {y.shape[1]} real-valued outputs per sample")
    _describe_values(target, y)
    return target


def _classes(k: int, counts: np.ndarray, note: str, *, one_hot: bool) -> _Target:
    target = _Target("binary" if k <= 2 and not one_hot else "multiclass", note, one_hot=one_hot)
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    target.class_weight = [round(float(total / (len(counts) * max(c, 1e-12))), 3) for c in counts]
    if len(counts) >= 2 and counts.max() >= IMBALANCE_RATIO * counts.min():
        target.imbalance = f"the rarest class has {counts.min():g} of {total:g} samples, the largest {counts.max():g}"
    return target


def _describe_values(target: _Target, y: np.ndarray) -> None:
    values = y.ravel()
    count, target.scale = robust_outliers(values)
    if heavy_tailed(count, values.size):
        target.heavy_tails = f"{count} of {values.size} targets lie beyond {OUTLIER_SIGMAS:g} robust standard deviations"
    if values.min() >= 0:
        target.zero_share = float(np.mean(values == 0))
        positive = values[values > 0]
        target.orders_of_magnitude = positive.size > 0 and positive.max() > 100 * np.median(positive)


# ----------------------------------------------------------------------------- the rules
def _regression(target: _Target | None, *, outliers: bool, imbalanced: bool) -> list[Recommendation]:
    mse = Recommendation("mean_squared_error", {}, "linear", "the default for regression: fits the conditional mean; best when errors are roughly Gaussian")
    huber = Recommendation("huber", {"delta": 1.0}, "linear", "squared for errors below delta, linear above: outliers cannot dominate; set delta near the typical error")
    if target is not None and target.scale > 0:
        delta = float(f"{HUBER_TUNING * target.scale:.3g}")
        huber = Recommendation("huber", {"delta": delta}, "linear",
                               f"squared for errors below delta, linear above: outliers cannot dominate; delta = 1.345 x the robust "
                               f"spread of y ({target.scale:.3g}), Huber's 95%-efficiency tuning with y's spread standing in "
                               "for the residuals' (an upper bound: lower delta once the residuals are known)")  # fmt: skip
    log_cosh = Recommendation("log_cosh", {}, "linear", "smooth everywhere, about squared for small errors and absolute for large ones: robust to outliers")
    mae = Recommendation("mean_absolute_error", {}, "linear", "fits the conditional median: the most robust to outliers, but its gradient does not shrink near the optimum")
    nll = Recommendation("gaussian_nll", {"log_input": True}, "linear",
                         "also predicts the uncertainty: a mean and a log-variance per output (y_pred twice as wide as y_true)")  # fmt: skip
    ranked = [huber, log_cosh, mae, mse] if outliers else [mse, huber, log_cosh, mae, nll]
    if outliers:
        ranked[-1] = Recommendation(mse.loss, {}, "linear", "only once the outliers are removed: squaring lets a few extreme targets dominate")
    if target is not None and target.zero_share >= 0.1:
        ranked.insert(1, Recommendation("tweedie", {"power": 1.5, "log_input": True}, "linear",
                                        f"non-negative targets with many zeros ({target.zero_share:.0%}): the compound Poisson-Gamma deviance models them"))  # fmt: skip
    elif target is not None and target.orders_of_magnitude:
        ranked.insert(1, Recommendation("mean_squared_logarithmic_error", {}, "softplus",
                                        "positive targets spanning orders of magnitude: the error on the log scale weighs relative errors"))  # fmt: skip
    return ranked


def _binary(target: _Target | None, *, outliers: bool, imbalanced: bool) -> list[Recommendation]:
    bce = Recommendation("binary_crossentropy", {"from_logits": True}, "linear",
                         "log loss on logits: exact for any logit and gives calibrated probabilities, sigmoid(output)")  # fmt: skip
    hinge = Recommendation("hinge", {}, "linear", "the SVM margin loss on raw scores (labels 0/1 or -1/1): no probabilities, sparse gradients")
    squared = Recommendation("squared_hinge", {}, "linear", "the hinge squared: smooth at the margin, penalises violations more")
    if not imbalanced:
        return [bce, hinge, squared]
    focal = Recommendation("binary_focal_crossentropy", {"from_logits": True, "apply_class_balancing": True, "gamma": 2.0}, "linear",
                           "imbalanced classes: the focal term (1 - p_t)^gamma down-weights the many easy examples")  # fmt: skip
    weights = target.class_weight if target is not None and target.class_weight and len(target.class_weight) == 2 else None
    weighted = Recommendation("binary_crossentropy", {"from_logits": True, **({"class_weight": weights} if weights else {})}, "linear",
                              "imbalanced classes: log loss with balanced class weights n / (2 count)" if weights
                              else "log loss; pass class_weight=[w0, w1] (n / (2 count) per class) to balance the classes")  # fmt: skip
    return [focal, weighted, hinge]


def _multiclass(target: _Target | None, *, outliers: bool, imbalanced: bool) -> list[Recommendation]:
    one_hot = None if target is None else target.one_hot
    weights = target.class_weight if target is not None and imbalanced else None
    extra = {"class_weight": weights} if weights else {}
    cce = Recommendation("categorical_crossentropy", {"from_logits": True, **extra}, "linear",
                         "crossentropy on logits (softmax applied inside, stably) for one-hot targets")  # fmt: skip
    sparse = Recommendation("sparse_categorical_crossentropy", {"from_logits": True, **extra}, "linear",
                            "crossentropy on logits for integer class labels (no one-hot needed)")  # fmt: skip
    focal = Recommendation("categorical_focal_crossentropy", {"from_logits": True, "gamma": 2.0}, "linear",
                           "imbalanced classes: the focal term down-weights easy examples (one-hot targets: lk.to_categorical)")  # fmt: skip
    hinge = Recommendation("categorical_hinge", {}, "linear", "a multi-class margin loss on raw scores (Keras' categorical hinge), one-hot targets")
    ranked = [sparse] if one_hot is False else [cce] if one_hot else [cce, sparse]
    if imbalanced:
        ranked.insert(0, focal)
    return [*ranked, hinge]


def _multilabel(target: _Target | None, *, outliers: bool, imbalanced: bool) -> list[Recommendation]:
    bce = Recommendation("binary_crossentropy", {"from_logits": True}, "linear",
                         "one independent log loss per label on logits (a sigmoid per output, never a softmax)")  # fmt: skip
    focal = Recommendation("binary_focal_crossentropy", {"from_logits": True, "gamma": 2.0}, "linear",
                           "rare labels: the focal term down-weights the many easy negatives")  # fmt: skip
    return [focal, bce] if imbalanced else [bce, focal]


def _counts(target: _Target | None, *, outliers: bool, imbalanced: bool) -> list[Recommendation]:
    return [
        Recommendation("poisson", {"log_input": True}, "linear", "the Poisson likelihood on the log-rate: the standard for counts; exp(output) is the mean"),
        Recommendation("tweedie", {"power": 1.5, "log_input": True}, "linear", "for counts with more zeros or more spread than Poisson (variance ~ mean^1.5)"),
        Recommendation("mean_squared_logarithmic_error", {}, "softplus", "when relative errors matter more than the likelihood"),
    ]


def _similarity(target: _Target | None, *, outliers: bool, imbalanced: bool) -> list[Recommendation]:
    return [Recommendation("cosine_similarity", {}, "linear", "compares directions, not lengths: embeddings and similarity learning")]


def _reinforcement(target: _Target | None, *, outliers: bool, imbalanced: bool) -> list[Recommendation]:
    return [
        Recommendation("policy_gradient", {"from_logits": True}, "linear",
                       "a policy head over actions (logits; -inf masks invalid actions): REINFORCE, y_true = one_hot(action) * advantage"),
        Recommendation("temporal_difference", {"delta": 1.0}, "linear",
                       "a Q-value head: the TD error under a Huber loss, as DQN (y_true = r + gamma max Q')"),
    ]  # fmt: skip


def _distribution(target: _Target | None, *, outliers: bool, imbalanced: bool) -> list[Recommendation]:
    return [
        Recommendation("kl_divergence", {"log_input": True}, "log_softmax", "matches a predicted distribution to a target one, on log-probabilities"),
        Recommendation("categorical_crossentropy", {"from_logits": True}, "linear", "the same gradient as KL for soft targets, on logits"),
    ]


def _segmentation(target: _Target | None, *, outliers: bool, imbalanced: bool) -> list[Recommendation]:
    overlap = [
        Recommendation("dice", {"smooth": 1.0}, "sigmoid", "the soft Dice overlap of each image's mask: insensitive to how small the object is"),
        Recommendation("tversky", {"alpha": 0.7, "beta": 0.3}, "sigmoid", "Dice that weighs the missed target more than false alarms: small, rare structures"),
        Recommendation("generalized_dice", {}, "softmax", "several classes in one mask, each weighed by its inverse squared size"),
        Recommendation("lovasz_softmax", {}, "softmax", "optimises each class's IoU (Jaccard index) directly, through its Lovász extension"),
    ]
    if imbalanced:
        overlap.insert(0, Recommendation("focal_tversky", {}, "sigmoid", "Tversky raised to 0.75: stresses the images whose overlap is still poor"))
    return overlap


def _ranking(target: _Target | None, *, outliers: bool, imbalanced: bool) -> list[Recommendation]:
    return [
        Recommendation("ranking_softmax", {}, "linear", "listwise: the softmax of a list's scores against its graded relevance (ListNet)"),
        Recommendation("pairwise_logistic", {}, "linear", "every pair the relevance orders pays a logistic loss (RankNet; GBDT ranking)"),
        Recommendation("listmle", {}, "linear", "the likelihood of the whole order of decreasing relevance (Plackett-Luce)"),
    ]


def _sequence(target: _Target | None, *, outliers: bool, imbalanced: bool) -> list[Recommendation]:
    return [Recommendation("ctc", {}, "linear", "label sequences without frame alignments (speech, handwriting): logits per frame, class 0 the blank")]


_RULES = {
    "regression": _regression,
    "binary": _binary,
    "multiclass": _multiclass,
    "multilabel": _multilabel,
    "counts": _counts,
    "similarity": _similarity,
    "reinforcement": _reinforcement,
    "distribution": _distribution,
    "segmentation": _segmentation,
    "ranking": _ranking,
    "sequence": _sequence,
}
