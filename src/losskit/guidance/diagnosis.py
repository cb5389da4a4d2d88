"""What is wrong with these targets and predictions for this loss? ``diagnose``.

Each check reads the data (as float64 NumPy, whatever library the arrays come from) against the
loss's metadata and options, and returns a :class:`Finding` with a suggested fix:

=========================  ======================================================================
``non-finite``             NaN or inf in ``y_true`` or ``y_pred`` (a -inf logit is allowed)
``probabilities-expected`` ``y_pred`` leaves [0, 1] for a loss that takes probabilities: logits?
``logits-expected``        ``y_pred`` looks like probabilities, but ``from_logits=True``
``rows-not-normalised``    rows of a distribution that do not sum to 1
``integer-labels``         integer class labels given to a one-hot loss
``one-hot-labels``         one-hot rows given to a sparse (integer-label) loss
``labels-out-of-range``    labels outside {0, 1}, {-1, 1} or [0, num_classes)
``negative-counts``        negative targets for a count or log-scale loss
``y-pred-out-of-domain``   other values of ``y_pred`` the loss cannot take (negative rates, variances)
``scores-expected``        never-negative scores for a hinge loss, which reads their sign
``class-imbalance``        a class (or label) rarer than 1 in 10 of the largest
``heavy-tails``            residuals far beyond 5 robust standard deviations, for a non-robust loss
``zero-targets``           targets of 0 for the percentage error
``invalid-input``          anything else the loss itself rejects (shapes, domains)
=========================  ======================================================================

An empty list means nothing was found. Thresholds are heuristics, stated in each message.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array import numpy_namespace, to_numpy
from ..losses._domain import UNIT, Interval, Layout, Target
from ..losses._prepare import move_class_axis
from ..losses._spec import LossSpec
from ..registry import available, get
from .compatibility import predicts_distribution
from .findings import Finding

#: A class rarer than this fraction of the largest one counts as imbalanced.
IMBALANCE_RATIO = 10.0
#: Residuals beyond this many robust standard deviations (1.4826 MAD) count as outliers ...
OUTLIER_SIGMAS = 5.0
#: ... and residuals are heavy-tailed when more than this fraction of them are outliers
#: (a Gaussian has 6e-7 of its mass there; a Student t with 3 degrees of freedom about 1%).
OUTLIER_SHARE = 0.005
ROW_SUM_TOLERANCE = 1e-3


def diagnose(loss: Any, y_true: Any, y_pred: Any) -> list[Finding]:
    """Findings about ``y_true`` and ``y_pred`` as inputs to ``loss``, each with a suggested fix.

    ``loss`` is anything :func:`losskit.get` accepts (its options count: ``from_logits=True``
    changes what ``y_pred`` should look like); the arrays may come from any library.

    Examples
    --------
    >>> import numpy as np, losskit as lk
    >>> [f.code for f in lk.diagnose("categorical_crossentropy", np.array([0, 2, 1]), np.full((3, 3), 1 / 3))]
    ['integer-labels']
    """
    loss = get(loss)
    yt, yp = _numbers(loss.name, "y_true", y_true), _numbers(loss.name, "y_pred", y_pred)
    spec, options = loss.spec, loss.options
    findings = _non_finite(loss.name, spec, options, yt, yp)
    if spec is not None and spec.native and not findings:
        yt, yp = _class_axis_last(spec, options, yt, yp)
        findings += _CHECKS[_layout(spec)](loss, yt, yp)
    if spec is not None and spec.native and not any(f.level == "error" for f in findings):
        try:
            loss.values(y_true, y_pred)
        except ValueError as error:
            info = loss.info
            fix = f"give {loss.name} y_true in {info.y_true_domain} and y_pred in {info.y_pred_domain}, shaped as its docstring says."
            findings.append(Finding("error", str(error).rstrip(".") + ".", fix, "invalid-input"))
    return findings


# ----------------------------------------------------------------------------- reading the data
def _numbers(name: str, arg: str, x: Any) -> np.ndarray:
    a = to_numpy(x)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"diagnose: `{arg}` for {name} must hold numbers; got dtype {a.dtype}")
    return a.astype(np.float64)


def _class_axis_last(spec: LossSpec, options, yt, yp):
    axis = options.get("axis", -1)
    if not -yp.ndim <= axis < yp.ndim:
        return yt, yp  # the loss itself reports the bad axis
    return move_class_axis(yt, yp, axis, spec.layout, numpy_namespace())


#: Which checks read the data of a loss, by its target layout.
_BY_TARGET = {Target.ONE_HOT: "one-hot", Target.BINARY: "binary", Target.SIGNED: "signed"}


def _layout(spec: LossSpec) -> str:
    if spec.layout is Layout.LABELS:
        return "sparse"
    if spec.target in _BY_TARGET:
        return _BY_TARGET[spec.target]
    if spec.layout is Layout.MEAN_VARIANCE:
        return "mean-variance"
    if predicts_distribution(spec):
        return "distribution"
    return "values"


def _is_integer(x: np.ndarray) -> bool:
    return bool(np.all(x == np.floor(x)))


def _range(x: np.ndarray) -> str:
    return f"min={x.min():.4g}, max={x.max():.4g}"


def _non_finite(name: str, spec: LossSpec | None, options, yt, yp) -> list[Finding]:
    findings = []
    bad = ~np.isfinite(yt)
    if bad.any():
        findings.append(Finding("error", f"y_true has {int(bad.sum())} non-finite values (NaN or inf).",
                                "drop or impute those samples before computing the loss.", "non-finite"))  # fmt: skip
    minus_inf_ok = spec is not None and isinstance(spec.y_pred_domain(options), Interval) and spec.y_pred_domain(options).low_closed
    bad = np.isnan(yp) | (yp == math.inf) | ((yp == -math.inf) & (not minus_inf_ok))
    if bad.any():
        findings.append(Finding("error", f"y_pred has {int(bad.sum())} non-finite values (NaN or inf): the model diverged or its input has NaN.",
                                "check the model's inputs and learning rate; the loss cannot be computed.", "non-finite"))  # fmt: skip
    return findings


# ----------------------------------------------------------------------------- checks per layout
def _sparse(loss, yt, yp) -> list[Finding]:
    name, spec, options = loss.name, loss.spec, loss.options
    if yp.ndim == 0:
        return []
    classes = yp.shape[-1]
    if yt.shape == yp.shape and classes > 1 and _one_hot_rows(yt):
        return [Finding(
            "error",
            f"y_true holds one-hot rows (shape {yt.shape}), but {name} expects one integer class label per row.",
            f"use categorical_crossentropy, or pass y_true.argmax(axis=-1) to {name}.",
            "one-hot-labels",
        )]  # fmt: skip
    labels = yt[..., 0] if yt.ndim == yp.ndim and yt.shape[-1] == 1 else yt
    ignore = options.get("ignore_class")
    kept = labels[labels != ignore] if ignore is not None else labels.ravel()
    findings = _class_labels(name, kept, classes)
    if not findings and kept.size:
        findings += _imbalance(name, spec, options, np.bincount(kept.astype(np.int64), minlength=classes))
    if not predicts_distribution(spec):  # scores (margin losses) or log-probabilities (nll): no probability rows to check
        return findings
    return findings + _distribution_pred(name, spec, options, yp)


def _one_hot(loss, yt, yp) -> list[Finding]:
    name, spec, options = loss.name, loss.spec, loss.options
    if yp.ndim == 0:
        return []
    classes = yp.shape[-1]
    sparse_shape = yt.ndim == yp.ndim - 1 or (yt.ndim == yp.ndim and yt.shape[-1] == 1 and classes > 1)
    if sparse_shape and _is_integer(yt):
        sparse = f"sparse_{spec.name}"
        alternative = f"use {sparse} (it takes integer labels), or one-hot encode" if sparse in available() else "one-hot encode"
        return [Finding(
            "error",
            f"y_true holds integer class labels (shape {yt.shape}), but {name} expects one-hot rows shaped like y_pred {yp.shape}.",
            f"{alternative} them: lk.to_categorical(y_true, num_classes={classes}).",
            "integer-labels",
        )]  # fmt: skip
    if yt.shape != yp.shape:
        return []  # the loss's own shape error says the rest
    findings = []
    if yt.min() < 0 or yt.max() > 1:
        findings.append(Finding("error", f"y_true must be one-hot (or soft) rows with values in [0, 1]; got {_range(yt)}.",
                                f"one-hot encode integer labels with lk.to_categorical(labels, num_classes={classes}).", "labels-out-of-range"))  # fmt: skip
    else:
        findings += _rows_sum_to_one(name, "y_true", yt, "normalise the target rows (each is a distribution over the classes).")
        findings += _imbalance(name, spec, options, yt.reshape(-1, classes).sum(axis=0))
    if predicts_distribution(spec):
        findings += _distribution_pred(name, spec, options, yp)
    return findings


def _binary(loss, yt, yp) -> list[Finding]:
    name, spec, options = loss.name, loss.spec, loss.options
    findings = []
    if yt.min() < 0 or yt.max() > 1:
        values = np.unique(yt)
        if set(values.tolist()) <= {-1.0, 1.0}:
            fix = "map the labels {-1, 1} to {0, 1}: (y_true + 1) / 2 (or use hinge, which takes them)."
        elif _is_integer(yt) and values.size > 2:
            fix = "for one of several classes use sparse_categorical_crossentropy with a softmax (or linear, from_logits=True) output."
        else:
            fix = "binary targets are 0 or 1 (or probabilities in between); rescale them."
        findings.append(Finding("error", f"y_true must lie in [0, 1] for {name}; got {_range(yt)} ({values.size} distinct values).", fix, "labels-out-of-range"))
    elif yt.size:
        columns = yt.reshape(-1, yt.shape[-1]) if yt.ndim > 1 else yt.reshape(-1, 1)
        positives = (columns >= 0.5).sum(axis=0)
        counts = np.stack([columns.shape[0] - positives, positives], axis=1)
        column = int(np.argmax(counts.max(axis=1) / np.maximum(counts.min(axis=1), 0.5)))
        findings += _imbalance(name, spec, options, counts[column], column=column if columns.shape[1] > 1 else None)
    return findings + _binary_pred(name, spec, options, yp)


def _signed(loss, yt, yp) -> list[Finding]:
    name, spec, options = loss.name, loss.spec, loss.options
    findings = []
    if not np.isin(yt, (-1.0, 0.0, 1.0)).all():
        findings.append(Finding("error", f"{name} takes labels -1 and 1 (0 is read as -1); got {np.unique(yt).size} distinct values, {_range(yt)}.",
                                "map the two classes to -1 and 1; for several classes use categorical_hinge with one-hot targets.",
                                "labels-out-of-range"))  # fmt: skip
    elif yt.size:
        findings += _imbalance(name, spec, options, np.array([(yt <= 0).sum(), (yt > 0).sum()]))
    if yp.size > 1 and yp.min() >= 0:
        findings.append(Finding(
            "warning",
            f"y_pred is never negative ({_range(yp)}), but {name} reads its sign as the class: every sample is scored as class 1.",
            "feed raw scores (a linear output); for probabilities use binary_crossentropy.",
            "scores-expected",
        ))  # fmt: skip
    return findings


def _mean_variance(loss, yt, yp) -> list[Finding]:
    name, spec, options = loss.name, loss.spec, loss.options
    if yp.ndim == 0 or yp.shape[-1] % 2:
        return []
    d = yp.shape[-1] // 2
    means, spread = yp[..., :d], yp[..., d:]
    findings = []
    if not spec.takes_raw(options) and spread.min() < 0:
        findings.append(Finding(
            "error",
            f"the variances (second half of y_pred) of {name} must be >= 0; got {_range(spread)}: are these log-variances?",
            f"pass log_input=True (lk.get({spec.name!r}, log_input=True)) for log-variances, or put a softplus on the variance head.",
            "y-pred-out-of-domain",
        ))  # fmt: skip
    target = yt if yt.shape == means.shape else (yt[..., None] if yt.shape == means.shape[:-1] else None)
    if target is not None:
        findings += _heavy_tails(loss, target - means)
    return findings


def _distribution(loss, yt, yp) -> list[Finding]:
    name, spec, options = loss.name, loss.spec, loss.options
    findings = []
    if spec.y_true == UNIT and yt.shape == yp.shape and yt.size:
        if yt.min() < 0 or yt.max() > 1:
            findings.append(Finding("error", f"y_true of {name} must be probabilities in [0, 1]; got {_range(yt)}.",
                                    "pass a distribution over the classes (e.g. softmax of scores).", "labels-out-of-range"))  # fmt: skip
        else:
            findings += _rows_sum_to_one(name, "y_true", yt, "normalise each row of y_true to sum to 1.")
    return findings + _distribution_pred(name, spec, options, yp)


def _values(loss, yt, yp) -> list[Finding]:
    name, spec, options = loss.name, loss.spec, loss.options
    findings = []
    if isinstance(spec.y_true, Interval) and spec.y_true.low >= 0 and yt.size and yt.min() < spec.y_true.low:
        counts = "counts" in spec.tasks
        findings.append(Finding(
            "error",
            f"{name} takes {'counts' if counts else 'targets'} >= 0, but y_true has {int((yt < 0).sum())} negative values ({_range(yt)}).",
            "counts cannot be negative: check the target column; for signed targets use mean_squared_error or huber."
            if counts else "shift the targets to be >= 0, or use a loss for signed targets (mean_squared_error, huber).",
            "negative-counts" if counts else "negative-targets",
        ))  # fmt: skip
    domain = spec.y_pred_domain(options)
    if isinstance(domain, Interval) and yp.size and not _inside(yp, domain):
        option = "log_input" if spec.raw_option == "log_input" and not spec.takes_raw(options) else None
        fix = f"pass log_input=True (lk.get({spec.name!r}, log_input=True)) if y_pred is on the log scale" if option else "constrain the model's output"
        findings.append(Finding(
            "error",
            f"{name} takes y_pred in {domain}; got {_range(yp)}" + (": these look like log-scale predictions." if option else "."),
            f"{fix}, or end the model with {' or '.join(spec.final_activations(options))}.",
            "y-pred-out-of-domain",
        ))  # fmt: skip
    if spec.divides_by_target and yt.size:
        zeros = int((np.abs(yt) < 1e-7).sum())
        if zeros:
            findings.append(Finding(
                "warning",
                f"{zeros} targets are 0: the percentage error divides by max(|y_true|, 1e-7), so each of them weighs about 1e9 times its error.",
                "use mean_absolute_error or mean_squared_logarithmic_error, or leave out the zero targets.",
                "zero-targets",
            ))  # fmt: skip
    if yt.shape == yp.shape and set(spec.tasks) & {"regression", "reinforcement"} and "counts" not in spec.tasks:
        findings += _heavy_tails(loss, yt - yp)
    return findings


_CHECKS = {
    "sparse": _sparse,
    "one-hot": _one_hot,
    "binary": _binary,
    "signed": _signed,
    "mean-variance": _mean_variance,
    "distribution": _distribution,
    "values": _values,
}


# ----------------------------------------------------------------------------- shared checks
def _inside(x: np.ndarray, domain: Interval) -> bool:
    above = x >= domain.low if domain.low_closed else x > domain.low
    below = x <= domain.high if domain.high_closed else x < domain.high
    return bool(np.all(above & below))


def _one_hot_rows(x: np.ndarray) -> bool:
    return bool(np.isin(x, (0.0, 1.0)).all() and np.all(x.sum(axis=-1) == 1))


def _rows_sum_to_one(name: str, arg: str, x: np.ndarray, fix: str) -> list[Finding]:
    if x.ndim == 0 or x.shape[-1] < 2 or x.size == 0:
        return []
    sums = x.sum(axis=-1)
    off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
    if not off.any():
        return []
    return [Finding(
        "warning",
        f"{int(off.sum())} of {off.size} rows of {arg} do not sum to 1 (sums from {sums.min():.4g} to {sums.max():.4g}), "
        f"but {name} treats each row as a distribution over the classes.",
        fix,
        "rows-not-normalised",
    )]  # fmt: skip


def _binary_pred(name, spec, options, yp) -> list[Finding]:
    if not yp.size or (not spec.takes_raw(options) and spec.y_pred_domain(options) != UNIT):
        return []  # a loss that takes only logits (multilabel_soft_margin): any real value fits
    if spec.takes_raw(options):
        if yp.size > 1 and yp.min() >= 0 and yp.max() <= 1:
            return [Finding(
                "warning",
                f"every value of y_pred lies in [0, 1] ({_range(yp)}): these look like probabilities, but {name} has "
                "from_logits=True and applies a sigmoid to them again, so the loss is wrong and its gradients small.",
                f"pass from_logits=False (lk.get({spec.name!r})), or feed the logits from before the sigmoid.",
                "logits-expected",
            )]  # fmt: skip
        return []
    if yp.min() < 0 or yp.max() > 1:
        return [Finding(
            "error",
            f"{name} takes probabilities in [0, 1], but y_pred has {_range(yp)}: these look like logits.",
            f"pass from_logits=True (lk.get({spec.name!r}, from_logits=True)), or end the model with a sigmoid.",
            "probabilities-expected",
        )]  # fmt: skip
    return []


def _distribution_pred(name, spec, options, yp) -> list[Finding]:
    if yp.ndim == 0 or not yp.size:
        return []
    option = spec.raw_option or "from_logits"
    looks_normalised = yp.min() >= 0 and yp.max() <= 1 and bool(np.all(np.abs(yp.sum(axis=-1) - 1.0) <= ROW_SUM_TOLERANCE))
    if options.get(option):
        findings = []
        if option == "log_input" and yp.max() > 0:
            findings.append(Finding("error", f"log-probabilities cannot be positive, but y_pred of {name} (log_input=True) has {_range(yp)}.",
                                    "feed log_softmax outputs, or probabilities with log_input=False.", "y-pred-out-of-domain"))  # fmt: skip
        elif looks_normalised and yp.shape[-1] > 1:
            expected = "logits" if option == "from_logits" else "log-probabilities"
            findings.append(Finding(
                "warning",
                f"every row of y_pred is non-negative and sums to 1: these look like probabilities, but {name} has "
                f"{option}=True and expects {expected}, so the loss is wrong.",
                f"pass {option}=False (lk.get({spec.name!r})), or feed the {expected} from before the softmax.",
                "logits-expected",
            ))  # fmt: skip
        return findings
    if yp.min() < 0 or yp.max() > 1:
        return [Finding(
            "error",
            f"{name} takes probabilities in [0, 1], but y_pred has {_range(yp)}: these look like "
            + ("logits." if option == "from_logits" else "log-probabilities."),
            f"pass {option}=True (lk.get({spec.name!r}, {option}=True)), or end the model with a softmax.",
            "probabilities-expected",
        )]  # fmt: skip
    return _rows_sum_to_one(name, "y_pred", yp, f"end the model with a softmax over the class axis, or pass the logits with {option}=True.")


def _superlinear(loss) -> bool:
    """Whether the loss at an error of 20 exceeds 15 times its value at an error of 2 (a linear
    loss gives 10, Huber and log-cosh about 13 to 15, the squared error 100)."""
    target = np.ones((2, 1))
    errors = np.array([[2.0], [20.0]])
    y_pred = np.concatenate([target + errors, np.ones_like(target)], axis=-1) if loss.spec.layout is Layout.MEAN_VARIANCE else target + errors
    small, large = np.asarray(loss.values(target, y_pred), dtype=np.float64)
    return bool(large > 15.0 * small)


def _class_labels(name: str, labels: np.ndarray, classes: int) -> list[Finding]:
    if not labels.size:
        return []
    if not _is_integer(labels):
        return [Finding("error", f"{name} takes integer class labels; y_true has non-integer values ({_range(labels)}).",
                        "pass class indices 0..C-1 (for probabilities over classes use categorical_crossentropy).", "labels-out-of-range")]  # fmt: skip
    low, high = labels.min(), labels.max()
    if low >= 0 and high < classes:
        return []
    if low >= 1 and high == classes:
        fix = f"the labels look 1-based (1..{classes}): subtract 1."
    else:
        fix = (f"map the labels to 0..{classes - 1} (np.unique(y, return_inverse=True)), or give y_pred one column per class "
               f"({int(high) + 1} columns for these labels).")  # fmt: skip
    outside = int(((labels < 0) | (labels >= classes)).sum())
    message = f"{name} takes labels in [0, {classes}) (y_pred has {classes} columns); {outside} labels are outside ({_range(labels)})."
    return [Finding("error", message, fix, "labels-out-of-range")]


def _imbalance(name, spec, options, counts: np.ndarray, column: int | None = None) -> list[Finding]:
    """A warning when the rarest class is below 1/IMBALANCE_RATIO of the largest (or absent)."""
    total = int(counts.sum())
    if total < 2 * IMBALANCE_RATIO:
        return []
    rarest, largest = int(counts.min()), int(counts.max())
    if rarest * IMBALANCE_RATIO > largest:
        return []
    where = f" in output {column}" if column is not None else ""
    which = int(np.argmin(counts))
    share = f"class {which}{where} has {rarest} of {total} samples ({rarest / total:.1%}), the largest class {largest}"
    handled = spec.counters_imbalance or options.get("class_weight") is not None or options.get("apply_class_balancing")
    if handled:
        return [Finding("info", f"The classes are imbalanced: {share}; {name} already counters it (focal term or class weights).",
                        None, "class-imbalance")]  # fmt: skip
    balanced = [round(total / (len(counts) * max(int(c), 1)), 3) for c in counts]
    binary = spec.target is Target.BINARY or (len(counts) == 2 and spec.layout is not Layout.LABELS)
    focal = "binary_focal_crossentropy" if binary else "categorical_focal_crossentropy"
    weights = f"class_weight={balanced}" if "class_weight" in spec.defaults else f"sample weights n / (k * count) per class ({balanced})"
    return [Finding(
        "warning",
        f"The classes are imbalanced: {share}; the loss is dominated by the common class and the model may never predict the rare one.",
        f"use {focal} (apply_class_balancing=True where available), or balanced {weights}.",
        "class-imbalance",
    )]  # fmt: skip


def _heavy_tails(loss, residuals: np.ndarray) -> list[Finding]:
    """A warning when a loss that grows faster than linearly meets residuals with more outliers
    than a Gaussian has."""
    r = residuals.ravel()
    if r.size < 20 or not _superlinear(loss):
        return []
    count, scale = robust_outliers(r)
    if not heavy_tailed(count, r.size):
        return []
    delta = f"{1.345 * scale:.3g}" if scale > 0 else "1.0"
    if "delta" in loss.spec.defaults:
        fix = f"pass delta={delta} (the Huber form, 1.345 robust standard deviations)."
    else:
        fix = f"use huber (delta about {delta}, 1.345 robust standard deviations), log_cosh or mean_absolute_error."
    return [Finding(
        "warning",
        f"The residuals y_true - y_pred are heavy-tailed: {count} of {r.size} ({count / r.size:.1%}) lie beyond "
        f"{OUTLIER_SIGMAS:g} robust standard deviations (1.4826 MAD = {scale:.3g}) of the median, where a Gaussian has almost "
        f"none; {loss.name} grows faster than linearly in the error, so these few samples dominate it.",
        fix,
        "heavy-tails",
    )]  # fmt: skip


def robust_outliers(values: np.ndarray) -> tuple[int, float]:
    """(how many ``values`` lie beyond OUTLIER_SIGMAS robust standard deviations of their median,
    the robust standard deviation 1.4826 MAD). With a MAD of 0, every value off the median counts."""
    center = np.median(values)
    scale = float(1.4826 * np.median(np.abs(values - center)))
    outliers = np.abs(values - center) > OUTLIER_SIGMAS * scale if scale > 0 else values != center
    return int(outliers.sum()), scale


def heavy_tailed(count: int, size: int) -> bool:
    """Whether ``count`` outliers among ``size`` values are more than a Gaussian gives (and not half the data)."""
    return count >= 3 and OUTLIER_SHARE * size < count <= 0.5 * size
