"""Peer reference values for every losskit loss, written to ``peers.json`` beside this file.

Run by hand when a peer or a loss changes (CI reads the JSON and needs no peer installed)::

    pip install keras optax          # Keras 3 runs on JAX here; torch and scikit-learn are already deps
    python tests/reference/generate.py

Fixed float64 inputs come from a seeded NumPy generator; Keras 3 (JAX backend, float64),
PyTorch, Optax and scikit-learn compute their values on them. This script never imports
losskit: every number in the JSON is a peer's.

Each comparison says how a losskit call maps onto the peer's value::

    expected == scale * Loss(reduction)(y_true, y_pred, sample_weight) + offset

with ``Loss = losskit.get(loss, **options)`` on the named input set (``reduction="none"``
gives the per-sample values). ``call`` is the peer expression and ``relation`` the
convention that links the two (see docs/conventions.md); ``dtypes`` lists the float dtypes
at which the relation holds (edge inputs such as a probability of exactly 1 only in float64,
because ``1 - 1e-7`` is not a float32 number).
"""

from __future__ import annotations

import json
import os
import warnings
import platform
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import sklearn  # noqa: E402
import sklearn.metrics as skm  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

keras.config.set_floatx("float64")

OUT = Path(__file__).with_name("peers.json")
SEED = 20240601
BOTH = ("float32", "float64")
KERAS_REDUCTIONS = ("sum_over_batch_size", "sum", "mean_with_sample_weight")


# ----------------------------------------------------------------------------- the record
class References:
    """Input sets (shared by name) and the comparisons that use them."""

    def __init__(self):
        self.inputs: dict[str, dict] = {}
        self.comparisons: list[dict] = []
        self.skipped: list[str] = []

    def data(self, name: str, y_true, y_pred, note: str = "") -> None:
        """Store an input set: losskit's ``y_true`` and ``y_pred`` (labels stay integers)."""
        if name in self.inputs:
            raise ValueError(f"input set {name!r} defined twice")
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred, dtype=np.float64)
        self.inputs[name] = {"note": note, "y_true": _tolist(y_true), "y_pred": _tolist(y_pred)}

    def arrays(self, name: str):
        """The stored ``(y_true, y_pred)`` of an input set, as the peers get them."""
        entry = self.inputs[name]
        return np.asarray(entry["y_true"]), np.asarray(entry["y_pred"], dtype=np.float64)

    def compare(
        self, peer, call, loss, inputs, expected, *, options=None, reduction="none", sample_weight=None,
        scale=1.0, offset=0.0, dtypes=BOTH, relation="same value",
    ):
        """Record that ``expected`` (the peer's value) equals ``scale * losskit + offset``."""
        expected = _numpy(expected)
        if not np.all(np.isfinite(expected)):
            raise ValueError(f"{peer} {call}: non-finite reference {expected}")
        ident = f"{call} on {inputs} ~ {reduction}"
        if any(c["id"] == ident for c in self.comparisons):
            raise ValueError(f"duplicate comparison id {ident!r}")
        self.comparisons.append(
            {
                "id": ident,
                "peer": peer,
                "call": call,
                "relation": relation,
                "loss": loss,
                "options": dict(options or {}),
                "inputs": inputs,
                "reduction": reduction,
                "sample_weight": None if sample_weight is None else _tolist(np.asarray(sample_weight, dtype=np.float64)),
                "scale": float(scale),
                "offset": float(offset),
                "dtypes": list(dtypes),
                "expected": _tolist(expected),
            }
        )


def _numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().numpy().astype(np.float64)
    return np.asarray(x, dtype=np.float64)


def _tolist(a: np.ndarray):
    return a.tolist() if a.ndim else a.item()


# ----------------------------------------------------------------------------- inputs
def _probs(rng, shape, zeros=0):
    p = rng.uniform(0.05, 1.0, size=shape)
    for k in range(zeros):  # exact zeros in some rows (one per row, in the first rows)
        p[k, k % shape[-1]] = 0.0
    return p / p.sum(axis=-1, keepdims=True)


def _one_hot(labels, width):
    return np.eye(width)[labels]


def build_inputs(ref: References, rng: np.random.Generator) -> None:
    n, c = 6, 4
    y = rng.normal(size=(n, c))
    p = y + rng.normal(scale=1.5, size=(n, c))
    p[0, 0] += 6.0  # a large residual for the linear branch of Huber and log-cosh
    p[1, 2] -= 3.0
    ref.data("regression_2d", y, p, "real targets and predictions, (6, 4), two large residuals")
    ref.data("regression_2d_elementwise", y[..., None], p[..., None], "regression_2d with a unit last axis: one element per sample")
    ref.data("regression_1d", rng.normal(size=5), rng.normal(size=5), "(5,): one sample of width 5, per-sample value is 0-d")
    ref.data("regression_3d", rng.normal(size=(2, 3, 4)), 2 * rng.normal(size=(2, 3, 4)), "(2, 3, 4): per-sample values (2, 3)")
    yc, pc = rng.normal(size=(8, 1)), rng.normal(size=(8, 1))
    ref.data("regression_column", yc, pc, "(8, 1): one output per sample")

    signs = rng.choice([-1.0, 1.0], size=(n, c))
    ref.data("mape_2d", rng.uniform(0.5, 3.0, size=(n, c)) * signs, rng.normal(size=(n, c)), "targets away from 0")
    y0 = rng.uniform(0.5, 3.0, size=(3, c))
    y0[np.arange(3), [0, 1, 3]] = 0.0
    ref.data("mape_zero_target", y0, rng.normal(size=(3, c)), "a target of exactly 0 in every row: divides by 1e-7")

    msle_true = rng.uniform(0.0, 5.0, size=(n, c))
    msle_true[0, 1] = 0.0
    msle_pred = rng.uniform(-0.5, 5.0, size=(n, c))
    ref.data("msle_2d", msle_true, msle_pred, "non-negative targets (one 0), some negative predictions (clipped to 1e-7)")
    ref.data("msle_positive", rng.uniform(0.1, 5.0, size=(n, c)), rng.uniform(0.1, 5.0, size=(n, c)), "positive targets and predictions")

    counts = rng.poisson(2.0, size=(n, c)).astype(float)
    ref.data("counts_rates", counts, rng.uniform(0.2, 4.0, size=(n, c)), "Poisson counts (with zeros), positive rates")
    ref.data("counts_log_rates", counts, rng.normal(0.5, 0.8, size=(n, c)), "Poisson counts, log-rates")
    tc = rng.poisson(1.5, size=(10, 1)).astype(float)
    ref.data("tweedie_column", tc, rng.uniform(0.3, 3.0, size=(10, 1)), "counts (with zeros), positive means, (10, 1)")
    ref.data("tweedie_column_log", tc, rng.normal(0.3, 0.6, size=(10, 1)), "counts (with zeros), log-means, (10, 1)")

    pdist = _probs(rng, (n, c), zeros=2)
    ref.data("distributions", pdist, _probs(rng, (n, c)), "rows of y_true and y_pred are distributions; y_true has exact zeros")
    ref.data("distributions_log", pdist, np.log(_probs(rng, (n, c))), "distributions y_true (exact zeros) and log-probabilities y_pred")

    labels01 = rng.integers(0, 2, size=(n, c)).astype(float)
    ref.data("binary_probs", labels01, rng.uniform(0.02, 0.98, size=(n, c)), "{0, 1} labels, probabilities")
    ref.data("binary_probs_1d", rng.integers(0, 2, size=7).astype(float), rng.uniform(0.02, 0.98, size=7), "(7,): one sample of 7 outputs")
    ref.data("binary_soft", rng.uniform(0, 1, size=(n, c)), rng.uniform(0.02, 0.98, size=(n, c)), "soft targets in [0, 1], probabilities")
    logits = rng.normal(scale=2.5, size=(n, c))
    ref.data("binary_logits", labels01, logits, "{0, 1} labels, moderate logits")
    ref.data("binary_logits_elementwise", labels01[..., None], logits[..., None], "binary_logits with a unit last axis")
    big = rng.normal(scale=2.5, size=(n, c))
    big[0, :2], big[1, :2] = [40.0, -40.0], [-35.0, 35.0]
    ref.data("binary_large_logits", labels01, big, "{0, 1} labels, logits up to +-40 (exact from logits)")
    ref.data("binary_edges", [[1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0, 1.0], [0.5, 0.5, 1e-9, 1 - 1e-9]],
             "probabilities of exactly 0 and 1 (clipped to [1e-7, 1 - 1e-7])")
    ycol = rng.integers(0, 2, size=(8, 1)).astype(float)
    ref.data("binary_column", ycol, rng.uniform(0.05, 0.95, size=(8, 1)), "(8, 1): one {0, 1} label per sample, probabilities")

    scores = rng.normal(scale=1.5, size=(n, c))
    ref.data("signed_scores", rng.choice([-1.0, 1.0], size=(n, c)), scores, "{-1, 1} labels, real scores")
    ref.data("binary_scores", labels01, scores, "{0, 1} labels, real scores")
    ref.data("binary_scores_elementwise", (2 * labels01 - 1)[..., None], scores[..., None], "{-1, 1} labels, scores, unit last axis")
    ref.data("binary_scores_column", rng.integers(0, 2, size=(8, 1)).astype(float), rng.normal(size=(8, 1)), "(8, 1) {0, 1} labels and scores")

    cls = rng.integers(0, c, size=n)
    ref.data("onehot_probs", _one_hot(cls, c), _probs(rng, (n, c)), "one-hot targets, probabilities")
    ref.data("onehot_logits", _one_hot(cls, c), rng.normal(scale=2.0, size=(n, c)), "one-hot targets, logits")
    large = rng.normal(scale=2.0, size=(n, c))
    large[0, 0], large[1, 1], large[2] = 60.0, -60.0, [50.0, -50.0, 0.0, 10.0]
    ref.data("onehot_large_logits", _one_hot(cls, c), large, "one-hot targets, logits up to +-60 (exact from logits)")
    ref.data("onehot_edges", _one_hot([0, 1, 2, 3], c), [[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]],
             "probabilities of exactly 0 and 1 (clipped to [1e-7, 1 - 1e-7])")
    ref.data("sparse_edges", [0, 1, 2, 3], [[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]],
             "class indices, probabilities of exactly 0 and 1")
    ref.data("onehot_unnormalised", _one_hot(cls, c), rng.uniform(0.05, 1.0, size=(n, c)), "rows of y_pred in (0, 1) not summing to 1")
    ref.data("soft_targets_logits", _probs(rng, (n, c)), rng.normal(scale=2.0, size=(n, c)), "probability targets, logits")
    cls3 = rng.integers(0, c, size=(2, 3))
    ref.data("onehot_probs_axis1", np.moveaxis(_one_hot(cls3, c), -1, 1), np.moveaxis(_probs(rng, (2, 3, c)), -1, 1), "(2, 4, 3): classes on axis 1")
    ref.data("onehot_scores", _one_hot(cls, c), rng.normal(scale=1.5, size=(n, c)), "one-hot targets, real scores")
    ref.data("onehot_scores_nonneg", _one_hot(cls, c), rng.uniform(0.0, 3.0, size=(n, c)), "one-hot targets, non-negative scores")
    ref.data("onehot_scores_3d", _one_hot(cls3, c), rng.normal(size=(2, 3, c)), "(2, 3, 4) one-hot targets, scores")

    ref.data("sparse_probs", cls, _probs(rng, (n, c)), "class indices, probabilities")
    sparse_logits = rng.normal(scale=2.0, size=(n, c))
    ref.data("sparse_logits", cls, sparse_logits, "class indices, logits")
    ref.data("onehot_of_sparse_logits", _one_hot(cls, c), sparse_logits, "sparse_logits with one-hot targets")
    ref.data("sparse_log_probs", cls, np.log(_probs(rng, (n, c))), "class indices, log-probabilities")
    ignored = cls.copy()
    ignored[[1, 4]] = -1
    ref.data("sparse_logits_ignore", ignored, rng.normal(scale=2.0, size=(n, c)), "class indices, -1 marks ignored samples; logits")
    ref.data("sparse_logits_ignore_torch", np.where(ignored == -1, -100, ignored), rng.normal(scale=2.0, size=(n, c)), "-100 marks ignored")
    seg = rng.integers(0, c, size=(2, 3))
    seg[0, 1] = seg[1, 2] = 255
    ref.data("sparse_logits_3d", seg, rng.normal(scale=2.0, size=(2, 3, c)), "(2, 3) labels, 255 is void; (2, 3, 4) logits")
    ref.data("sparse_logits_axis1", seg % c, rng.normal(scale=2.0, size=(2, c, 3)), "(2, 3) labels, (2, 4, 3) logits with classes on axis 1")

    u, v = rng.normal(size=(n, c)), rng.normal(size=(n, c))
    v[5] = -0.5 * u[5] + 1e-3 * v[5]  # nearly opposite
    ref.data("vectors", u, v, "real vectors, rows compared along the last axis")
    vz = v.copy()
    vz[2] = 0.0
    ref.data("vectors_with_zero", u, vz, "row 2 of y_pred is the zero vector (cosine 0)")
    ref.data("vectors_axis1", rng.normal(size=(2, c, 3)), rng.normal(size=(2, c, 3)), "(2, 4, 3): vectors along axis 1")

    gy = rng.normal(size=(n, 3))
    mean, var = gy + rng.normal(size=(n, 3)), rng.uniform(0.2, 2.0, size=(n, 3))
    var[0, 0] = 1e-8  # below the 1e-6 clamp
    ref.data("gaussian", gy, np.concatenate([mean, var], axis=-1), "y_pred = means then variances (one below 1e-6)")
    ref.data("gaussian_elementwise", gy[..., None], np.stack([mean, var], axis=-1), "gaussian with one element per sample")
    ref.data("gaussian_log_variance", gy, np.concatenate([mean, np.log(var)], axis=-1), "y_pred = means then log-variances")

    actions, advantage = rng.integers(0, c, size=n), rng.normal(size=n)
    pg_logits = rng.normal(scale=2.0, size=(n, c))
    ref.data("policy_logits", _one_hot(actions, c) * advantage[:, None], pg_logits, "one_hot(action) * advantage, policy logits")
    ref.data("policy_probs", _one_hot(actions, c) * advantage[:, None], _probs(rng, (n, c)), "one_hot(action) * advantage, policy")

    td_target = rng.normal(size=(8, 1)) * 2.0
    q = td_target + rng.normal(scale=1.5, size=(8, 1))
    q[0, 0] += 5.0
    ref.data("td_column", td_target, q, "(8, 1): TD targets r + gamma max Q', Q(s, a); one large error")


# ----------------------------------------------------------------------------- Keras
KERAS_CLASSES = {
    "mean_squared_error": "MeanSquaredError",
    "mean_absolute_error": "MeanAbsoluteError",
    "mean_absolute_percentage_error": "MeanAbsolutePercentageError",
    "mean_squared_logarithmic_error": "MeanSquaredLogarithmicError",
    "huber": "Huber",
    "log_cosh": "LogCosh",
    "poisson": "Poisson",
    "kl_divergence": "KLDivergence",
    "binary_crossentropy": "BinaryCrossentropy",
    "binary_focal_crossentropy": "BinaryFocalCrossentropy",
    "hinge": "Hinge",
    "squared_hinge": "SquaredHinge",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy",
    "categorical_hinge": "CategoricalHinge",
    "cosine_similarity": "CosineSimilarity",
}

# (losskit/Keras name, input set, options, relation, dtypes)
KERAS_CASES = [
    ("mean_squared_error", "regression_2d", {}, "", BOTH),
    ("mean_squared_error", "regression_1d", {}, "", BOTH),
    ("mean_squared_error", "regression_3d", {}, "", BOTH),
    ("mean_absolute_error", "regression_2d", {}, "", BOTH),
    ("mean_absolute_error", "regression_3d", {}, "", BOTH),
    ("mean_absolute_percentage_error", "mape_2d", {}, "in percent, as Keras", BOTH),
    ("mean_absolute_percentage_error", "mape_zero_target", {}, "a zero target divides by epsilon = 1e-7", BOTH),
    ("mean_squared_logarithmic_error", "msle_2d", {}, "both arguments clipped below at 1e-7", BOTH),
    ("mean_squared_logarithmic_error", "msle_positive", {}, "", BOTH),
    ("huber", "regression_2d", {}, "", BOTH),
    ("huber", "regression_2d", {"delta": 0.5}, "", BOTH),
    ("huber", "regression_2d", {"delta": 2.0}, "", BOTH),
    ("huber", "regression_3d", {"delta": 1.5}, "", BOTH),
    ("log_cosh", "regression_2d", {}, "", BOTH),
    ("log_cosh", "regression_3d", {}, "", BOTH),
    ("poisson", "counts_rates", {}, "y_pred - y_true * log(y_pred + 1e-7)", BOTH),
    ("kl_divergence", "distributions", {}, "both arguments clipped to [1e-7, 1]", BOTH),
    ("binary_crossentropy", "binary_probs", {}, "probabilities clipped to [1e-7, 1 - 1e-7]", BOTH),
    ("binary_crossentropy", "binary_probs_1d", {}, "", BOTH),
    ("binary_crossentropy", "binary_soft", {}, "", BOTH),
    ("binary_crossentropy", "binary_probs", {"label_smoothing": 0.1}, "", BOTH),
    ("binary_crossentropy", "binary_logits", {"from_logits": True}, "", BOTH),
    ("binary_crossentropy", "binary_logits", {"from_logits": True, "label_smoothing": 0.2}, "", BOTH),
    ("binary_crossentropy", "binary_edges", {}, "0 and 1 clipped to 1e-7 and 1 - 1e-7 (not a float32 number: float64 only)", ("float64",)),
    ("binary_crossentropy", "binary_large_logits", {"from_logits": True}, "exact from logits of any size", BOTH),
    ("binary_focal_crossentropy", "binary_probs", {}, "", BOTH),
    ("binary_focal_crossentropy", "binary_probs", {"gamma": 0.5}, "", BOTH),
    ("binary_focal_crossentropy", "binary_probs", {"apply_class_balancing": True, "alpha": 0.25}, "", BOTH),
    ("binary_focal_crossentropy", "binary_probs", {"label_smoothing": 0.1, "gamma": 3.0}, "", BOTH),
    ("binary_focal_crossentropy", "binary_logits", {"from_logits": True}, "", BOTH),
    ("binary_focal_crossentropy", "binary_logits", {"from_logits": True, "apply_class_balancing": True, "alpha": 0.4}, "", BOTH),
    ("binary_focal_crossentropy", "binary_edges", {}, "clipped probabilities (float64 only)", ("float64",)),
    ("hinge", "signed_scores", {}, "", BOTH),
    ("hinge", "binary_scores", {}, "{0, 1} labels read as {-1, 1}", BOTH),
    ("squared_hinge", "signed_scores", {}, "", BOTH),
    ("squared_hinge", "binary_scores", {}, "{0, 1} labels read as {-1, 1}", BOTH),
    ("categorical_crossentropy", "onehot_probs", {}, "", BOTH),
    ("categorical_crossentropy", "onehot_logits", {"from_logits": True}, "", BOTH),
    ("categorical_crossentropy", "onehot_probs", {"label_smoothing": 0.1}, "", BOTH),
    ("categorical_crossentropy", "onehot_logits", {"from_logits": True, "label_smoothing": 0.2}, "", BOTH),
    ("categorical_crossentropy", "onehot_unnormalised", {}, "rows rescaled to sum to 1 before the log", BOTH),
    ("categorical_crossentropy", "onehot_probs_axis1", {"axis": 1}, "", BOTH),
    ("categorical_crossentropy", "soft_targets_logits", {"from_logits": True}, "", BOTH),
    ("categorical_crossentropy", "onehot_large_logits", {"from_logits": True}, "log_softmax: exact for logits of any size", BOTH),
    ("categorical_crossentropy", "onehot_edges", {}, "clipped probabilities (float64 only)", ("float64",)),
    ("sparse_categorical_crossentropy", "sparse_edges", {}, "clipped probabilities (float64 only)", ("float64",)),
    ("categorical_focal_crossentropy", "onehot_edges", {}, "clipped probabilities (float64 only)", ("float64",)),
    ("sparse_categorical_crossentropy", "sparse_probs", {}, "", BOTH),
    ("sparse_categorical_crossentropy", "sparse_logits", {"from_logits": True}, "", BOTH),
    ("sparse_categorical_crossentropy", "sparse_logits_ignore", {"from_logits": True, "ignore_class": -1},
     "ignored samples give 0 and the mean is over the others", BOTH),
    ("sparse_categorical_crossentropy", "sparse_logits_3d", {"from_logits": True, "ignore_class": 255}, "", BOTH),
    ("categorical_focal_crossentropy", "onehot_probs", {}, "", BOTH),
    ("categorical_focal_crossentropy", "onehot_logits", {"from_logits": True}, "", BOTH),
    ("categorical_focal_crossentropy", "onehot_probs", {"alpha": 0.5, "gamma": 1.0}, "", BOTH),
    ("categorical_focal_crossentropy", "onehot_logits", {"from_logits": True, "label_smoothing": 0.1, "gamma": 3.0}, "", BOTH),
    ("categorical_hinge", "onehot_scores", {}, "", BOTH),
    ("categorical_hinge", "onehot_scores_3d", {}, "", BOTH),
    ("kl_divergence", "onehot_edges", {}, "zeros clipped to 1e-7 in both arguments", BOTH),
    ("cosine_similarity", "vectors", {}, "negative cosine", BOTH),
    ("cosine_similarity", "vectors_with_zero", {}, "a zero vector gives 0", BOTH),
    ("cosine_similarity", "vectors_axis1", {"axis": 1}, "", BOTH),
]


def keras_references(ref: References, rng: np.random.Generator) -> None:
    """Per-sample values from the functions; the reduced objective from the Loss classes, for
    every reduction, with and without a sample weight."""
    for name, inputs, options, note, dtypes in KERAS_CASES:
        y_true, y_pred = ref.arrays(inputs)
        shown = ", ".join(f"{k}={v!r}" for k, v in options.items())
        relation = note or "same value"
        values = _numpy(getattr(keras.losses, name)(y_true, y_pred, **options))
        ref.compare("keras", f"keras.losses.{name}(y_true, y_pred{', ' + shown if shown else ''})", name, inputs, values,
                    options=options, dtypes=dtypes, relation=relation)
        cls = getattr(keras.losses, KERAS_CLASSES[name])
        weight = rng.uniform(0.0, 2.0, size=values.shape)
        if weight.size:
            weight.flat[0] = 0.0
        runs = [(r, None) for r in KERAS_REDUCTIONS]
        if values.ndim:  # Keras returns a 0-d per-sample value unreduced, whatever the weight
            runs += [(r, weight) for r in (*KERAS_REDUCTIONS, "none")]
        for reduction, sample_weight in runs:
            loss = cls(**options, reduction=reduction, dtype="float64")
            value = loss(y_true, y_pred, sample_weight=sample_weight)
            call = f"keras.losses.{cls.__name__}({shown + ', ' if shown else ''}reduction={reduction!r})(y_true, y_pred"
            call += ", sample_weight=w)" if sample_weight is not None else ")"
            ref.compare("keras", call, name, inputs, value, options=options, reduction=reduction, sample_weight=sample_weight,
                        dtypes=dtypes, relation=relation)


# ----------------------------------------------------------------------------- PyTorch
def _t(a) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


def torch_references(ref: References) -> None:
    elementwise = "reduction='none' is elementwise: losskit's per-sample values of one-element samples"
    over_elements = "'mean' averages over every element; for equal-width samples that is losskit's mean over samples"

    y, p = map(_t, ref.arrays("regression_2d"))
    d = y.shape[-1]
    for module, lk_name in ((torch.nn.MSELoss, "mean_squared_error"), (torch.nn.L1Loss, "mean_absolute_error")):
        title = module.__name__
        ref.compare("torch", f"torch.nn.{title}(reduction='none')(y_pred, y_true)", lk_name, "regression_2d_elementwise",
                    module(reduction="none")(p, y), relation=elementwise)
        ref.compare("torch", f"torch.nn.{title}(reduction='mean')(y_pred, y_true)", lk_name, "regression_2d",
                    module(reduction="mean")(p, y), reduction="sum_over_batch_size", relation=over_elements)
        ref.compare("torch", f"torch.nn.{title}(reduction='sum')(y_pred, y_true)", lk_name, "regression_2d",
                    module(reduction="sum")(p, y), reduction="sum", scale=d,
                    relation=f"'sum' adds every element: d = {d} times losskit's sum of per-sample means")
    for delta in (1.0, 0.5, 2.0):
        ref.compare("torch", f"torch.nn.HuberLoss(delta={delta}, reduction='none')(y_pred, y_true)", "huber", "regression_2d_elementwise",
                    torch.nn.HuberLoss(delta=delta, reduction="none")(p, y), options={"delta": delta}, relation=elementwise)
        ref.compare("torch", f"torch.nn.HuberLoss(delta={delta})(y_pred, y_true)", "huber", "regression_2d",
                    torch.nn.HuberLoss(delta=delta)(p, y), options={"delta": delta}, reduction="sum_over_batch_size",
                    relation=over_elements)
    for beta in (1.0, 0.5, 2.0):
        ref.compare("torch", f"torch.nn.SmoothL1Loss(beta={beta}, reduction='none')(y_pred, y_true)", "huber", "regression_2d_elementwise",
                    torch.nn.SmoothL1Loss(beta=beta, reduction="none")(p, y), options={"delta": beta}, scale=1 / beta,
                    relation="SmoothL1Loss(beta) = huber(delta=beta) / beta")

    y, p = map(_t, ref.arrays("binary_probs"))
    ref.compare("torch", "torch.nn.BCELoss(reduction='none')(y_pred, y_true)", "binary_crossentropy", "binary_probs",
                F.binary_cross_entropy(p, y, reduction="none").mean(-1), relation="BCELoss's elementwise values, mean over the last axis")
    ref.compare("torch", "torch.nn.BCELoss()(y_pred, y_true)", "binary_crossentropy", "binary_probs",
                F.binary_cross_entropy(p, y), reduction="sum_over_batch_size", relation=over_elements)
    for inputs in ("binary_logits", "binary_large_logits"):
        y, x = map(_t, ref.arrays(inputs))
        ref.compare("torch", "torch.nn.BCEWithLogitsLoss(reduction='none')(logits, y_true).mean(-1)", "binary_crossentropy", inputs,
                    F.binary_cross_entropy_with_logits(x, y, reduction="none").mean(-1), options={"from_logits": True},
                    relation="the elementwise values, mean over the last axis; exact for logits of any size")
    y, x = map(_t, ref.arrays("binary_logits"))
    ref.compare("torch", "torch.nn.BCEWithLogitsLoss(pos_weight=3.0)(logits, y_true)", "binary_crossentropy", "binary_logits",
                F.binary_cross_entropy_with_logits(x, y, pos_weight=torch.tensor(3.0, dtype=torch.float64)),
                options={"from_logits": True, "class_weight": [1.0, 3.0]}, reduction="sum_over_batch_size",
                relation="pos_weight=w is class_weight=(1, w): the positive term times w")

    ce_none = "CrossEntropyLoss(reduction='none'): one value per sample"
    y, x = ref.arrays("sparse_logits")
    ref.compare("torch", "torch.nn.CrossEntropyLoss(reduction='none')(logits, labels)", "sparse_categorical_crossentropy", "sparse_logits",
                F.cross_entropy(_t(x), _t(y), reduction="none"), options={"from_logits": True}, relation=ce_none)
    ref.compare("torch", "torch.nn.CrossEntropyLoss()(logits, labels)", "sparse_categorical_crossentropy", "sparse_logits",
                F.cross_entropy(_t(x), _t(y)), options={"from_logits": True}, reduction="sum_over_batch_size", relation="mean over samples")
    w = np.array([0.5, 2.0, 1.0, 3.0])
    ref.compare("torch", "torch.nn.CrossEntropyLoss(weight=w, reduction='none')(logits, labels)", "sparse_categorical_crossentropy",
                "sparse_logits", F.cross_entropy(_t(x), _t(y), weight=_t(w), reduction="none"),
                options={"from_logits": True, "class_weight": w.tolist()}, relation="each sample times w[label]")
    ref.compare("torch", "torch.nn.CrossEntropyLoss(weight=w)(logits, labels)", "sparse_categorical_crossentropy", "sparse_logits",
                F.cross_entropy(_t(x), _t(y), weight=_t(w)), options={"from_logits": True}, reduction="mean_with_sample_weight",
                sample_weight=w[y], relation="the weighted mean sum(w[y] l) / sum(w[y]): sample_weight=w[labels], 'mean_with_sample_weight'")
    ref.compare("torch", "torch.nn.CrossEntropyLoss(weight=w)(logits, labels)", "sparse_categorical_crossentropy", "sparse_logits",
                F.cross_entropy(_t(x), _t(y), weight=_t(w)), options={"from_logits": True, "class_weight": w.tolist()}, reduction="sum",
                scale=1 / w[y].sum(), relation="class_weight=w with 'sum', divided by sum(w[labels]) (PyTorch's normaliser)")
    for s in (0.1, 0.3):
        ref.compare("torch", f"torch.nn.CrossEntropyLoss(label_smoothing={s}, reduction='none')(logits, labels)", "categorical_crossentropy",
                    "onehot_of_sparse_logits", F.cross_entropy(_t(x), _t(y), label_smoothing=s, reduction="none"),
                    options={"from_logits": True, "label_smoothing": s}, relation="labels as one-hot targets; smoothing y (1 - s) + s / C")
    yp, x2 = ref.arrays("soft_targets_logits")
    ref.compare("torch", "torch.nn.CrossEntropyLoss(reduction='none')(logits, probabilities)", "categorical_crossentropy", "soft_targets_logits",
                F.cross_entropy(_t(x2), _t(yp), reduction="none"), options={"from_logits": True}, relation="probability targets")
    ref.compare("torch", "torch.nn.CrossEntropyLoss(weight=w, reduction='none')(logits, probabilities)", "categorical_crossentropy",
                "soft_targets_logits", F.cross_entropy(_t(x2), _t(yp), weight=_t(w), reduction="none"),
                options={"from_logits": True, "class_weight": w.tolist()}, relation="probability targets: -sum_c w_c y_c log p_c")
    ref.compare("torch", "torch.nn.CrossEntropyLoss(weight=w)(logits, probabilities)", "categorical_crossentropy", "soft_targets_logits",
                F.cross_entropy(_t(x2), _t(yp), weight=_t(w)), options={"from_logits": True, "class_weight": w.tolist()},
                reduction="sum_over_batch_size", relation="with probability targets PyTorch's mean divides by N, not by the weights")
    yi, xi = ref.arrays("sparse_logits_ignore_torch")
    ref.compare("torch", "torch.nn.CrossEntropyLoss(ignore_index=-100, reduction='none')(logits, labels)", "sparse_categorical_crossentropy",
                "sparse_logits_ignore_torch", F.cross_entropy(_t(xi), _t(yi), reduction="none"),
                options={"from_logits": True, "ignore_class": -100}, relation="ignored samples give 0")
    ref.compare("torch", "torch.nn.CrossEntropyLoss(ignore_index=-100)(logits, labels)", "sparse_categorical_crossentropy",
                "sparse_logits_ignore_torch", F.cross_entropy(_t(xi), _t(yi)), options={"from_logits": True, "ignore_class": -100},
                reduction="sum_over_batch_size", relation="the mean over the samples not ignored")
    ya, xa = ref.arrays("sparse_logits_axis1")
    ref.compare("torch", "torch.nn.CrossEntropyLoss(reduction='none')(logits, labels)", "sparse_categorical_crossentropy",
                "sparse_logits_axis1", F.cross_entropy(_t(xa), _t(ya), reduction="none"), options={"from_logits": True, "axis": 1},
                relation="PyTorch's class axis is 1: axis=1")
    yl, lp = ref.arrays("sparse_log_probs")
    ref.compare("torch", "torch.nn.NLLLoss(reduction='none')(log_probs, labels)", "sparse_categorical_crossentropy", "sparse_log_probs",
                F.nll_loss(_t(lp), _t(yl), reduction="none"), options={"from_logits": True},
                relation="-log_probs[label]; log_softmax leaves log-probabilities unchanged")

    p, logq = map(_t, ref.arrays("distributions_log"))
    n, c = p.shape
    kl_rel = "KLDivLoss(input=log q, target=p) = KL(p || q): PyTorch puts the prediction first"
    ref.compare("torch", "torch.nn.KLDivLoss(reduction='none')(log_q, p).sum(-1)", "kl_divergence", "distributions_log",
                F.kl_div(logq, p, reduction="none").sum(-1), options={"log_input": True}, relation=kl_rel + "; elementwise, summed over classes")
    ref.compare("torch", "torch.nn.KLDivLoss(reduction='batchmean')(log_q, p)", "kl_divergence", "distributions_log",
                F.kl_div(logq, p, reduction="batchmean"), options={"log_input": True}, reduction="sum_over_batch_size", relation=kl_rel)
    with warnings.catch_warnings():  # PyTorch warns that 'mean' is not the KL divergence: that is the point here
        warnings.simplefilter("ignore", UserWarning)
        kl_mean = F.kl_div(logq, p, reduction="mean")
    ref.compare("torch", "torch.nn.KLDivLoss(reduction='mean')(log_q, p)", "kl_divergence", "distributions_log", kl_mean, options={"log_input": True}, reduction="sum_over_batch_size", scale=1 / c,
                relation=kl_rel + f"; 'mean' divides by every element, C = {c} times too many")

    y, r = map(_t, ref.arrays("counts_rates"))
    ref.compare("torch", "torch.nn.PoissonNLLLoss(log_input=False, eps=1e-7, reduction='none')(rates, counts).mean(-1)", "poisson",
                "counts_rates", F.poisson_nll_loss(r, y, log_input=False, eps=1e-7, reduction="none").mean(-1),
                relation="rate - y log(rate + eps) with Keras' eps 1e-7 (PyTorch's default eps is 1e-8)")
    y, logr = map(_t, ref.arrays("counts_log_rates"))
    ref.compare("torch", "torch.nn.PoissonNLLLoss(log_input=True, reduction='none')(log_rates, counts).mean(-1)", "poisson",
                "counts_log_rates", F.poisson_nll_loss(logr, y, log_input=True, reduction="none").mean(-1), options={"log_input": True},
                relation="exp(x) - y x; the Poisson NLL without log(y!), not the deviance")
    ref.compare("torch", "torch.nn.PoissonNLLLoss(log_input=True)(log_rates, counts)", "poisson", "counts_log_rates",
                F.poisson_nll_loss(logr, y, log_input=True), options={"log_input": True}, reduction="sum_over_batch_size", relation=over_elements)

    gy, gp = ref.arrays("gaussian")
    k = gy.shape[-1]
    mean, var = _t(gp[:, :k]), _t(gp[:, k:])
    gye, _ = ref.arrays("gaussian_elementwise")
    for full in (False, True):
        ref.compare("torch", f"torch.nn.GaussianNLLLoss(full={full}, reduction='none')(mean, y_true, var)", "gaussian_nll",
                    "gaussian_elementwise", F.gaussian_nll_loss(mean, _t(gy), var, full=full, reduction="none"), options={"full": full},
                    relation=elementwise + "; variances clamped at eps = 1e-6")
        ref.compare("torch", f"torch.nn.GaussianNLLLoss(full={full})(mean, y_true, var)", "gaussian_nll", "gaussian",
                    F.gaussian_nll_loss(mean, _t(gy), var, full=full), options={"full": full}, reduction="sum_over_batch_size",
                    relation=over_elements)
    _, glp = ref.arrays("gaussian_log_variance")
    ref.compare("torch", "torch.nn.GaussianNLLLoss(reduction='none')(mean, y_true, exp(log_var)).mean(-1)", "gaussian_nll",
                "gaussian_log_variance", F.gaussian_nll_loss(_t(glp[:, :k]), _t(gy), torch.exp(_t(glp[:, k:])), reduction="none").mean(-1),
                options={"log_input": True}, relation="log_input=True takes log-variances")

    u, v = map(_t, ref.arrays("vectors"))
    ref.compare("torch", "torch.nn.CosineSimilarity(dim=-1)(y_pred, y_true)", "cosine_similarity", "vectors",
                F.cosine_similarity(v, u, dim=-1), scale=-1.0, relation="losskit (as Keras) returns the negative cosine")

    ypg, xpg = ref.arrays("policy_logits")
    actions, advantage = np.argmax(np.abs(ypg), axis=-1), ypg.sum(axis=-1)
    ref.compare("torch", "torch.nn.CrossEntropyLoss(reduction='none')(logits, actions) * advantage", "policy_gradient", "policy_logits",
                F.cross_entropy(_t(xpg), _t(actions), reduction="none") * _t(advantage), options={"from_logits": True},
                relation="REINFORCE: -log pi(a|s) * A with y_true = one_hot(a) * A")
    ypp, ppg = ref.arrays("policy_probs")
    actions, advantage = np.argmax(np.abs(ypp), axis=-1), ypp.sum(axis=-1)
    ref.compare("torch", "torch.nn.NLLLoss(reduction='none')(log(policy), actions) * advantage", "policy_gradient", "policy_probs",
                F.nll_loss(torch.log(_t(ppg)), _t(actions), reduction="none") * _t(advantage),
                relation="REINFORCE from probabilities: -log pi(a|s) * A")

    target, q = map(_t, ref.arrays("td_column"))
    for delta in (1.0, 2.5):
        ref.compare("torch", f"torch.nn.HuberLoss(delta={delta}, reduction='none')(q, td_target).squeeze(-1)", "temporal_difference",
                    "td_column", torch.nn.HuberLoss(delta=delta, reduction="none")(q, target).squeeze(-1), options={"delta": delta},
                    relation="the TD error under Huber(delta) (DQN)")
    ref.compare("torch", "torch.nn.MSELoss(reduction='none')(q, td_target).squeeze(-1)", "temporal_difference", "td_column",
                torch.nn.MSELoss(reduction="none")(q, target).squeeze(-1), options={"delta": None}, scale=2.0,
                relation="delta=None is 0.5 * squared TD error: MSELoss is twice it")
    ref.skipped.append("torch.nn.HingeEmbeddingLoss: x for y = 1 and max(0, margin - x) for y = -1 is not max(0, 1 - y x)")
    try:
        from torchvision.ops import sigmoid_focal_loss
    except ImportError:
        ref.skipped.append("torchvision.ops.sigmoid_focal_loss: torchvision not importable (Optax's sigmoid_focal_loss is the same formula)")
    else:
        y, x = map(_t, ref.arrays("binary_logits"))
        ref.compare("torch", "torchvision.ops.sigmoid_focal_loss(logits, y_true, alpha=0.25, gamma=2.0, reduction='none').mean(-1)",
                    "binary_focal_crossentropy", "binary_logits", sigmoid_focal_loss(x, y, reduction="none").mean(-1),
                    options={"from_logits": True, "apply_class_balancing": True, "alpha": 0.25, "gamma": 2.0},
                    relation="alpha_t (1 - p_t)^gamma bce, mean over the last axis")


# ----------------------------------------------------------------------------- Optax
def optax_references(ref: References) -> None:
    ol = optax.losses
    elementwise = "Optax's elementwise values: losskit's per-sample values of one-element samples"
    y, p = ref.arrays("regression_2d_elementwise")
    y, p = y[..., 0], p[..., 0]
    ref.compare("optax", "optax.losses.squared_error(y_pred, y_true)", "mean_squared_error", "regression_2d_elementwise",
                ol.squared_error(p, y), relation=elementwise)
    ref.compare("optax", "optax.losses.l2_loss(y_pred, y_true)", "mean_squared_error", "regression_2d_elementwise",
                ol.l2_loss(p, y), scale=0.5, relation="l2_loss is half the squared error")
    for delta in (1.0, 0.5, 2.0):
        ref.compare("optax", f"optax.losses.huber_loss(y_pred, y_true, delta={delta})", "huber", "regression_2d_elementwise",
                    ol.huber_loss(p, y, delta=delta), options={"delta": delta}, relation=elementwise)
    ref.compare("optax", "optax.losses.log_cosh(y_pred, y_true)", "log_cosh", "regression_2d_elementwise", ol.log_cosh(p, y),
                relation=elementwise)

    y, x = ref.arrays("binary_logits_elementwise")
    ref.compare("optax", "optax.losses.sigmoid_binary_cross_entropy(logits, y_true)", "binary_crossentropy", "binary_logits_elementwise",
                ol.sigmoid_binary_cross_entropy(x[..., 0], y[..., 0]), options={"from_logits": True}, relation=elementwise)
    y, x = ref.arrays("binary_large_logits")
    ref.compare("optax", "optax.losses.sigmoid_binary_cross_entropy(logits, y_true).mean(-1)", "binary_crossentropy", "binary_large_logits",
                ol.sigmoid_binary_cross_entropy(x, y).mean(-1), options={"from_logits": True}, relation="mean over the last axis")
    y, x = ref.arrays("binary_logits")
    for alpha, gamma in ((None, 2.0), (0.25, 2.0), (0.6, 0.5)):
        options = {"from_logits": True, "gamma": gamma}
        if alpha is not None:
            options.update(apply_class_balancing=True, alpha=alpha)
        ref.compare("optax", f"optax.losses.sigmoid_focal_loss(logits, y_true, alpha={alpha}, gamma={gamma}).mean(-1)",
                    "binary_focal_crossentropy", "binary_logits", ol.sigmoid_focal_loss(x, y, alpha=alpha, gamma=gamma).mean(-1),
                    options=options, relation="alpha=None is apply_class_balancing=False; mean over the last axis")
    y, s = ref.arrays("binary_scores_elementwise")
    ref.compare("optax", "optax.losses.hinge_loss(scores, y_signed)", "hinge", "binary_scores_elementwise", ol.hinge_loss(s[..., 0], y[..., 0]),
                relation=elementwise)

    y, x = ref.arrays("onehot_logits")
    ref.compare("optax", "optax.losses.softmax_cross_entropy(logits, y_true)", "categorical_crossentropy", "onehot_logits",
                ol.softmax_cross_entropy(x, y), options={"from_logits": True})
    ref.compare("optax", "optax.losses.softmax_cross_entropy(logits, optax.smooth_labels(y_true, 0.2))", "categorical_crossentropy",
                "onehot_logits", ol.softmax_cross_entropy(x, optax.smooth_labels(y, 0.2)), options={"from_logits": True, "label_smoothing": 0.2},
                relation="smooth_labels(y, s) = y (1 - s) + s / C")
    y, x = ref.arrays("soft_targets_logits")
    ref.compare("optax", "optax.losses.softmax_cross_entropy(logits, probabilities)", "categorical_crossentropy", "soft_targets_logits",
                ol.softmax_cross_entropy(x, y), options={"from_logits": True})
    y, x = ref.arrays("sparse_logits")
    ref.compare("optax", "optax.losses.softmax_cross_entropy_with_integer_labels(logits, labels)", "sparse_categorical_crossentropy",
                "sparse_logits", ol.softmax_cross_entropy_with_integer_labels(x, y), options={"from_logits": True})
    y, x = ref.arrays("sparse_logits_axis1")
    ref.compare("optax", "optax.losses.softmax_cross_entropy_with_integer_labels(logits, labels, axis=1)", "sparse_categorical_crossentropy",
                "sparse_logits_axis1", ol.softmax_cross_entropy_with_integer_labels(x, y, axis=1), options={"from_logits": True, "axis": 1})
    y, s = ref.arrays("onehot_scores_nonneg")
    ref.compare("optax", "optax.losses.multiclass_hinge_loss(scores, argmax(y_true))", "categorical_hinge", "onehot_scores_nonneg",
                ol.multiclass_hinge_loss(s, np.argmax(y, axis=-1)),
                relation="Crammer-Singer; equal to Keras' form when some non-target score is >= 0 (here all are)")

    p, logq = ref.arrays("distributions_log")
    ref.compare("optax", "optax.losses.kl_divergence(log_q, p)", "kl_divergence", "distributions_log", ol.kl_divergence(logq, p),
                options={"log_input": True}, relation="kl_divergence(log_predictions, targets) = KL(p || q): the prediction comes first")
    u, v = ref.arrays("vectors")
    ref.compare("optax", "optax.losses.cosine_similarity(y_pred, y_true)", "cosine_similarity", "vectors", ol.cosine_similarity(v, u),
                scale=-1.0, relation="losskit returns the negative cosine")
    ref.compare("optax", "optax.losses.cosine_distance(y_pred, y_true)", "cosine_similarity", "vectors", ol.cosine_distance(v, u),
                offset=1.0, relation="cosine_distance = 1 - cosine = 1 + losskit")

    ypg, xpg = ref.arrays("policy_logits")
    actions, advantage = np.argmax(np.abs(ypg), axis=-1), ypg.sum(axis=-1)
    ref.compare("optax", "optax.losses.softmax_cross_entropy_with_integer_labels(logits, actions) * advantage", "policy_gradient",
                "policy_logits", ol.softmax_cross_entropy_with_integer_labels(xpg, actions) * advantage, options={"from_logits": True},
                relation="REINFORCE: -log pi(a|s) * A")
    target, q = ref.arrays("td_column")
    ref.compare("optax", "optax.losses.huber_loss(q, td_target, delta=1.0)[:, 0]", "temporal_difference", "td_column",
                ol.huber_loss(q, target, delta=1.0)[:, 0], options={"delta": 1.0}, relation="the TD error under Huber (rlax/DQN)")
    ref.compare("optax", "optax.losses.l2_loss(q, td_target)[:, 0]", "temporal_difference", "td_column", ol.l2_loss(q, target)[:, 0],
                options={"delta": None}, relation="delta=None is l2_loss = 0.5 * error**2")
    ref.skipped.append("optax: no Poisson NLL (use torch PoissonNLLLoss); no squared hinge")


# ----------------------------------------------------------------------------- scikit-learn
def sklearn_references(ref: References, rng: np.random.Generator) -> None:
    def weights(n):
        w = rng.uniform(0.2, 2.0, size=n)
        w[0] = 0.0
        return w

    mean_all = "the mean over every element = losskit's mean over samples of equal width"
    weighted = "np.average over samples with weights: 'mean_with_sample_weight'"
    y, p = ref.arrays("regression_2d")
    w = weights(len(y))
    for fn, lk_name in ((skm.mean_squared_error, "mean_squared_error"), (skm.mean_absolute_error, "mean_absolute_error")):
        ref.compare("sklearn", f"sklearn.metrics.{fn.__name__}(y_true, y_pred)", lk_name, "regression_2d", fn(y, p),
                    reduction="sum_over_batch_size", relation=mean_all)
        ref.compare("sklearn", f"sklearn.metrics.{fn.__name__}(y_true, y_pred, sample_weight=w)", lk_name, "regression_2d",
                    fn(y, p, sample_weight=w), reduction="mean_with_sample_weight", sample_weight=w, relation=weighted)
    y, p = ref.arrays("mape_2d")
    ref.compare("sklearn", "sklearn.metrics.mean_absolute_percentage_error(y_true, y_pred)", "mean_absolute_percentage_error", "mape_2d",
                skm.mean_absolute_percentage_error(y, p), reduction="sum_over_batch_size", scale=0.01,
                relation="scikit-learn returns a fraction, losskit (as Keras) percent")
    ref.compare("sklearn", "sklearn.metrics.mean_absolute_percentage_error(y_true, y_pred, sample_weight=w)", "mean_absolute_percentage_error",
                "mape_2d", skm.mean_absolute_percentage_error(y, p, sample_weight=w), reduction="mean_with_sample_weight", sample_weight=w,
                scale=0.01, relation="a fraction, weighted mean")
    y, p = ref.arrays("msle_positive")
    ref.compare("sklearn", "sklearn.metrics.mean_squared_log_error(y_true, y_pred)", "mean_squared_logarithmic_error", "msle_positive",
                skm.mean_squared_log_error(y, p), reduction="sum_over_batch_size",
                relation="same for arguments >= 1e-7 (scikit-learn does not clip, it accepts values > -1)")

    y, p = ref.arrays("regression_column")
    wc = weights(len(y))
    for q in (0.1, 0.5, 0.9):
        ref.compare("sklearn", f"sklearn.metrics.mean_pinball_loss(y_true, y_pred, alpha={q})", "quantile", "regression_column",
                    skm.mean_pinball_loss(y, p, alpha=q), options={"quantile": q}, reduction="sum_over_batch_size",
                    relation="alpha is the quantile")
    ref.compare("sklearn", "sklearn.metrics.mean_pinball_loss(y_true, y_pred, alpha=0.8, sample_weight=w)", "quantile", "regression_column",
                skm.mean_pinball_loss(y, p, alpha=0.8, sample_weight=wc), options={"quantile": 0.8}, reduction="mean_with_sample_weight",
                sample_weight=wc, relation=weighted)
    y2, p2 = ref.arrays("regression_2d")
    ref.compare("sklearn", "sklearn.metrics.mean_pinball_loss(y_true, y_pred, alpha=0.3)", "quantile", "regression_2d",
                skm.mean_pinball_loss(y2, p2, alpha=0.3), options={"quantile": 0.3}, reduction="sum_over_batch_size", relation=mean_all)

    for inputs, log_input in (("tweedie_column", False), ("tweedie_column_log", True)):
        y, p = ref.arrays(inputs)
        mu = np.exp(p[:, 0]) if log_input else p[:, 0]
        arg = "exp(log_mu)" if log_input else "mu"
        wt = weights(len(y))
        for power in (1, 1.2, 1.5, 1.9):
            options = {"power": power, "log_input": log_input}
            ref.compare("sklearn", f"sklearn.metrics.mean_tweedie_deviance(y_true, {arg}, power={power})", "tweedie", inputs,
                        skm.mean_tweedie_deviance(y[:, 0], mu, power=power), options=options, reduction="sum_over_batch_size",
                        relation="the unit deviance, zero at the target")
        ref.compare("sklearn", f"sklearn.metrics.mean_tweedie_deviance(y_true, {arg}, power=1.5, sample_weight=w)", "tweedie", inputs,
                    skm.mean_tweedie_deviance(y[:, 0], mu, power=1.5, sample_weight=wt), options={"power": 1.5, "log_input": log_input},
                    reduction="mean_with_sample_weight", sample_weight=wt, relation=weighted)
        ref.compare("sklearn", f"sklearn.metrics.mean_poisson_deviance(y_true, {arg})", "tweedie", inputs,
                    skm.mean_poisson_deviance(y[:, 0], mu), options={"power": 1, "log_input": log_input}, reduction="sum_over_batch_size",
                    relation="the Poisson deviance is tweedie with power=1 (not losskit's poisson, the NLL)")

    y, p = ref.arrays("binary_column")
    wb = weights(len(y))
    ref.compare("sklearn", "sklearn.metrics.log_loss(y_true, p)", "binary_crossentropy", "binary_column", skm.log_loss(y[:, 0], p[:, 0]),
                reduction="sum_over_batch_size", relation="binary log loss, mean over samples")
    ref.compare("sklearn", "sklearn.metrics.log_loss(y_true, p, sample_weight=w)", "binary_crossentropy", "binary_column",
                skm.log_loss(y[:, 0], p[:, 0], sample_weight=wb), reduction="mean_with_sample_weight", sample_weight=wb, relation=weighted)
    y, p = ref.arrays("sparse_probs")
    ws = weights(len(y))
    labels = list(range(p.shape[-1]))
    ref.compare("sklearn", "sklearn.metrics.log_loss(labels, probabilities)", "sparse_categorical_crossentropy", "sparse_probs",
                skm.log_loss(y, p, labels=labels), reduction="sum_over_batch_size", relation="multi-class log loss")
    ref.compare("sklearn", "sklearn.metrics.log_loss(labels, probabilities, sample_weight=w)", "sparse_categorical_crossentropy",
                "sparse_probs", skm.log_loss(y, p, labels=labels, sample_weight=ws), reduction="mean_with_sample_weight", sample_weight=ws,
                relation=weighted)
    y, p = ref.arrays("onehot_probs")
    ref.compare("sklearn", "sklearn.metrics.log_loss(argmax(y_true), probabilities)", "categorical_crossentropy", "onehot_probs",
                skm.log_loss(np.argmax(y, axis=-1), p, labels=labels), reduction="sum_over_batch_size", relation="one-hot targets as labels")

    y, s = ref.arrays("binary_scores_column")
    wh = weights(len(y))
    ref.compare("sklearn", "sklearn.metrics.hinge_loss(y_true, scores)", "hinge", "binary_scores_column", skm.hinge_loss(y[:, 0], s[:, 0]),
                reduction="sum_over_batch_size", relation="scikit-learn maps the two labels {0, 1} to {-1, 1}, as losskit does")
    ref.compare("sklearn", "sklearn.metrics.hinge_loss(y_true, scores, sample_weight=w)", "hinge", "binary_scores_column",
                skm.hinge_loss(y[:, 0], s[:, 0], sample_weight=wh), reduction="mean_with_sample_weight", sample_weight=wh, relation=weighted)
    y, s = ref.arrays("onehot_scores_nonneg")
    ref.compare("sklearn", "sklearn.metrics.hinge_loss(argmax(y_true), scores, labels=range(C))", "categorical_hinge", "onehot_scores_nonneg",
                skm.hinge_loss(np.argmax(y, axis=-1), s, labels=labels), reduction="sum_over_batch_size",
                relation="Crammer-Singer; equal to Keras' form when some non-target score is >= 0 (here all are)")


# ----------------------------------------------------------------------------- issue 10: the grown catalog
def build_catalog_inputs(ref: References, rng: np.random.Generator) -> None:
    """Input sets of the losses issue 10 added (their own generator, so the earlier values stay put)."""
    n, c = 6, 4
    y = rng.normal(size=(n, c))
    p = y + rng.normal(scale=1.5, size=(n, c))
    p[0, 0] += 5.0
    ref.data("smooth_l1_elementwise", y[..., None], p[..., None], "real targets and predictions, one element per sample, one large residual")
    ref.data("smooth_l1_2d", y, p, "real targets and predictions (6, 4)")
    signed = rng.choice([-1.0, 1.0], size=(n, c))
    scores = rng.normal(scale=2.0, size=(n, c))
    scores[0, 0], scores[1, 1] = 40.0 * signed[0, 0], -40.0 * signed[1, 1]
    ref.data("signed_scores_large", signed, scores, "{-1, 1} labels, scores up to +-40")
    ref.data("signed_scores_elementwise", signed[..., None], scores[..., None], "{-1, 1} labels and scores, one element per sample")
    ref.data("multilabel_logits", rng.integers(0, 2, size=(n, c)).astype(float), rng.normal(scale=2.5, size=(n, c)), "{0, 1} labels, logits")
    labels = rng.integers(0, c, size=n)
    ref.data("labels_scores", labels, rng.normal(scale=1.5, size=(n, c)), "class indices, real scores")
    ties = rng.normal(scale=1.5, size=(n, c))
    ties[0] = [2.0, 0.5, 0.5, 0.5]
    ref.data("labels_scores_confident", labels, ties + 3.0 * _one_hot(labels, c), "class indices, scores with a clear winner in most rows")
    ref.data("labels_log_probs", labels, np.log(_probs(rng, (n, c))), "class indices, log-probabilities")
    ignored = labels.copy()
    ignored[[1, 4]] = -100
    ref.data("labels_log_probs_ignore", ignored, np.log(_probs(rng, (n, c))), "class indices, -100 ignored; log-probabilities")
    ref.data("labels_probs", labels, _probs(rng, (n, c)), "class indices, probabilities")
    ref.data("labels_logits", labels, rng.normal(scale=2.0, size=(n, c)), "class indices, logits")
    ref.data("onehot_logits_poly", _one_hot(labels, c), rng.normal(scale=2.0, size=(n, c)), "one-hot targets, logits")
    ref.data("soft_logits_poly", _probs(rng, (n, c)), rng.normal(scale=2.0, size=(n, c)), "probability targets, logits")
    ref.data("positive_log_predictions", rng.uniform(0.1, 3.0, size=(n, c)), rng.normal(scale=0.7, size=(n, c)),
             "positive targets (not summing to 1), log-predictions")
    ref.data("js_distributions", _probs(rng, (n, c), zeros=2), _probs(rng, (n, c)), "distributions; y_true has exact zeros")
    ty = rng.normal(loc=1.0, size=(10, 1))
    ref.data("tweedie_real", ty, rng.normal(loc=1.0, size=(10, 1)), "real targets and means (10, 1): the normal deviance")
    ref.data("tweedie_real_positive_mean", ty, rng.uniform(0.3, 3.0, size=(10, 1)), "real targets, positive means: power < 0")
    tp = rng.gamma(2.0, 1.0, size=(10, 1))
    ref.data("tweedie_positive", tp, rng.uniform(0.3, 3.0, size=(10, 1)), "positive targets and means (10, 1): gamma, inverse Gaussian")
    ref.data("tweedie_positive_log", tp, rng.normal(0.3, 0.6, size=(10, 1)), "positive targets, log-means (10, 1)")


def catalog_references(ref: References, rng: np.random.Generator) -> None:
    ol = optax.losses
    elementwise = "reduction='none' is elementwise: losskit's per-sample values of one-element samples"
    # --- PyTorch
    y, p = map(_t, ref.arrays("smooth_l1_elementwise"))
    for beta in (1.0, 0.5, 2.0, 0.0):
        ref.compare("torch", f"torch.nn.SmoothL1Loss(beta={beta}, reduction='none')(y_pred, y_true)", "smooth_l1", "smooth_l1_elementwise",
                    F.smooth_l1_loss(p, y, beta=beta, reduction="none")[..., 0], options={"beta": beta}, relation=elementwise)
    y, p = map(_t, ref.arrays("smooth_l1_2d"))
    ref.compare("torch", "torch.nn.SmoothL1Loss(beta=0.7)(y_pred, y_true)", "smooth_l1", "smooth_l1_2d", F.smooth_l1_loss(p, y, beta=0.7),
                options={"beta": 0.7}, reduction="sum_over_batch_size", relation="'mean' over every element = the mean over samples of equal width")
    y, s = map(_t, ref.arrays("signed_scores_large"))
    ref.compare("torch", "torch.nn.SoftMarginLoss(reduction='none')(scores, y).mean(-1)", "soft_margin", "signed_scores_large",
                F.soft_margin_loss(s, y, reduction="none").mean(-1), relation="log(1 + exp(-y x)), mean over the last axis; exact at scores of 40")
    ref.compare("torch", "torch.nn.SoftMarginLoss()(scores, y)", "soft_margin", "signed_scores_large", F.soft_margin_loss(s, y),
                reduction="sum_over_batch_size", relation="'mean' over every element")
    y, x = map(_t, ref.arrays("multilabel_logits"))
    ref.compare("torch", "torch.nn.MultiLabelSoftMarginLoss(reduction='none')(logits, y)", "multilabel_soft_margin", "multilabel_logits",
                F.multilabel_soft_margin_loss(x, y, reduction="none"), relation="one value per sample: the mean over the classes")
    w = np.array([0.5, 2.0, 1.0, 3.0])
    ref.compare("torch", "torch.nn.MultiLabelSoftMarginLoss(weight=w, reduction='none')(logits, y)", "multilabel_soft_margin",
                "multilabel_logits", F.multilabel_soft_margin_loss(x, y, weight=_t(w), reduction="none"), options={"class_weight": w.tolist()},
                relation="weight multiplies each class's term before the mean over classes")
    yl, sl = ref.arrays("labels_scores")
    for margin, power in ((1.0, 1), (0.5, 1), (2.0, 2)):
        ref.compare("torch", f"torch.nn.MultiMarginLoss(p={power}, margin={margin}, reduction='none')(scores, labels)", "multi_margin",
                    "labels_scores", F.multi_margin_loss(_t(sl), _t(yl), p=power, margin=margin, reduction="none"),
                    options={"margin": margin, "p": power}, relation="sum over the other classes of the shortfall^p, divided by C")
    ref.compare("torch", "torch.nn.MultiMarginLoss(weight=w, reduction='none')(scores, labels)", "multi_margin", "labels_scores",
                F.multi_margin_loss(_t(sl), _t(yl), weight=_t(w), reduction="none"), options={"class_weight": w.tolist()},
                relation="weight[label] multiplies the sample's value")
    yl, lp = ref.arrays("labels_log_probs")
    ref.compare("torch", "torch.nn.NLLLoss(reduction='none')(log_probs, labels)", "nll", "labels_log_probs",
                F.nll_loss(_t(lp), _t(yl), reduction="none"), relation="-log_probs[label]")
    ref.compare("torch", "torch.nn.NLLLoss(weight=w, reduction='none')(log_probs, labels)", "nll", "labels_log_probs",
                F.nll_loss(_t(lp), _t(yl), weight=_t(w), reduction="none"), options={"class_weight": w.tolist()}, relation="times weight[label]")
    ref.compare("torch", "torch.nn.NLLLoss(weight=w)(log_probs, labels)", "nll", "labels_log_probs",
                F.nll_loss(_t(lp), _t(yl), weight=_t(w)), options={"class_weight": w.tolist()}, reduction="sum", scale=1 / w[yl].sum(),
                relation="PyTorch's 'mean' divides by sum(weight[labels]): class_weight with 'sum', divided by it")
    yi, lpi = ref.arrays("labels_log_probs_ignore")
    ref.compare("torch", "torch.nn.NLLLoss(ignore_index=-100)(log_probs, labels)", "nll", "labels_log_probs_ignore",
                F.nll_loss(_t(lpi), _t(yi)), options={"ignore_class": -100}, reduction="sum_over_batch_size",
                relation="the mean over the samples not ignored")
    ref.compare("torch", "torch.nn.NLLLoss(ignore_index=-100, reduction='none')(log_probs, labels)", "nll", "labels_log_probs_ignore",
                F.nll_loss(_t(lpi), _t(yi), reduction="none"), options={"ignore_class": -100}, relation="ignored samples give 0")

    # --- Optax
    y, s = ref.arrays("signed_scores_elementwise")
    ref.compare("optax", "optax.losses.perceptron_loss(scores, y)", "perceptron", "signed_scores_elementwise",
                ol.perceptron_loss(s[..., 0], y[..., 0]), relation="max(0, -y x), elementwise")
    for inputs in ("labels_scores", "labels_scores_confident"):
        yl, sl = ref.arrays(inputs)
        ref.compare("optax", "optax.losses.multiclass_hinge_loss(scores, labels)", "multiclass_hinge", inputs,
                    ol.multiclass_hinge_loss(sl, yl), relation="Crammer-Singer: max(scores + 1 - one_hot) - score of the label")
        ref.compare("optax", "optax.losses.multiclass_sparsemax_loss(scores, labels)", "sparsemax", inputs,
                    ol.multiclass_sparsemax_loss(sl, yl), relation="Optax's integer-label sparsemax loss (sparsemax_loss is the binary one)")
    for inputs in ("onehot_logits_poly", "soft_logits_poly"):
        yo, xo = ref.arrays(inputs)
        for epsilon in (2.0, -1.0, 0.5):
            ref.compare("optax", f"optax.losses.poly_loss_cross_entropy(logits, y_true, epsilon={epsilon})", "poly1_crossentropy", inputs,
                        ol.poly_loss_cross_entropy(xo, yo, epsilon=epsilon), options={"epsilon": epsilon, "from_logits": True},
                        relation="crossentropy + epsilon (1 - sum(y softmax))")
    t, logq = ref.arrays("positive_log_predictions")
    ref.compare("optax", "optax.losses.generalized_kl_divergence(log_predictions, targets)", "generalized_kl_divergence",
                "positive_log_predictions", ol.generalized_kl_divergence(logq, t), options={"log_input": True},
                relation="KL of unnormalised vectors + sum(q - t); Optax takes the log-predictions first")

    # --- Keras (functions and every reduction of the classes)
    yl, pl = ref.arrays("labels_probs")
    keras_runs(ref, rng, "generalized_crossentropy", "labels_probs", {"q": 0.5}, {"q": 0.5}, keras.losses.categorical_generalized_cross_entropy,
               keras.losses.CategoricalGeneralizedCrossEntropy, yl, pl, relation="(1 - p_y^q) / q of probabilities, as given")
    keras_runs(ref, rng, "generalized_crossentropy", "labels_probs", {"q": 0.8}, {"q": 0.8}, keras.losses.categorical_generalized_cross_entropy,
               keras.losses.CategoricalGeneralizedCrossEntropy, yl, pl, relation="(1 - p_y^q) / q of probabilities, as given")
    c = pl.shape[-1]
    keras_runs(ref, rng, "sparse_categorical_focal_crossentropy", "labels_probs", {}, {}, keras.losses.categorical_focal_crossentropy,
               keras.losses.CategoricalFocalCrossentropy, _one_hot(yl, c), pl,
               relation="Keras' categorical focal crossentropy of one_hot(labels) (Keras has no sparse form)")
    yx, xl = ref.arrays("labels_logits")
    keras_runs(ref, rng, "sparse_categorical_focal_crossentropy", "labels_logits", {"from_logits": True, "gamma": 1.5, "alpha": 0.5},
               {"from_logits": True, "gamma": 1.5, "alpha": 0.5}, keras.losses.categorical_focal_crossentropy,
               keras.losses.CategoricalFocalCrossentropy, _one_hot(yx, c), xl, relation="of one_hot(labels), from logits")

    # --- scikit-learn: tweedie at the powers issue 10 added
    for inputs, powers, log_input in (("tweedie_real", (0,), False), ("tweedie_real_positive_mean", (-1.0, -0.5), False),
                                      ("tweedie_positive", (2, 3, 2.5), False), ("tweedie_positive_log", (2, 3, 0, -1.0), True)):
        y, m = ref.arrays(inputs)
        mu = np.exp(m[:, 0]) if log_input else m[:, 0]
        for power in powers:
            ref.compare("sklearn", f"sklearn.metrics.mean_tweedie_deviance(y_true, {'exp(log_mu)' if log_input else 'mu'}, power={power})",
                        "tweedie", inputs, skm.mean_tweedie_deviance(y[:, 0], mu, power=power), options={"power": power, "log_input": log_input},
                        reduction="sum_over_batch_size", relation="the unit deviance at scikit-learn's powers: 0 normal, 2 gamma, 3 inverse Gaussian")
    y, m = ref.arrays("tweedie_positive")
    ref.compare("sklearn", "sklearn.metrics.mean_gamma_deviance(y_true, mu)", "tweedie", "tweedie_positive", skm.mean_gamma_deviance(y[:, 0], m[:, 0]),
                options={"power": 2}, reduction="sum_over_batch_size", relation="the gamma deviance is tweedie with power=2")

    # --- SciPy: the Jensen-Shannon distance
    from scipy.spatial.distance import jensenshannon

    pj, qj = ref.arrays("js_distributions")
    ref.compare("scipy", "scipy.spatial.distance.jensenshannon(y_true, y_pred, axis=-1) ** 2", "jensen_shannon", "js_distributions",
                jensenshannon(pj, qj, axis=-1) ** 2, relation="SciPy's distance is the square root of the divergence (natural log)")


def segmentation_references(ref: References, rng: np.random.Generator) -> None:
    """Keras' dice and tversky over every non-batch axis (``axis=(1, 2, 3)``), Optax's generalized
    Dice of each sample on its own, and Optax's dice loss with both weights 1 (Jaccard)."""
    masks = (rng.uniform(size=(3, 4, 5, 2)) < 0.4).astype(float)
    probabilities = np.clip(masks * 0.6 + rng.uniform(0.0, 0.5, size=masks.shape), 0.01, 0.99)
    ref.data("masks", masks, probabilities, "(3, 4, 5, 2) binary masks and probabilities: one value per image")
    labels = rng.integers(0, 3, size=(3, 4, 5))
    labels[0] = 0  # a class absent from an image: its weight is 1 / 1e-7 before normalising
    ref.data("segmentation_onehot", _one_hot(labels, 3), rng.dirichlet(np.ones(3), size=(3, 4, 5)),
             "(3, 4, 5, 3) one-hot masks and softmax probabilities")
    y, p = ref.arrays("masks")
    axis = (1, 2, 3)
    keras_runs(ref, rng, "dice", "masks", {}, {"axis": axis}, keras.losses.dice, keras.losses.Dice, y, p,
               relation="keras.losses.dice with axis=(1, ..., rank - 1): per sample over every non-batch axis")
    for alpha, beta in ((0.5, 0.5), (0.3, 0.7), (1.0, 1.0)):
        keras_runs(ref, rng, "tversky", "masks", {"alpha": alpha, "beta": beta}, {"alpha": alpha, "beta": beta, "axis": axis},
                   keras.losses.tversky, keras.losses.Tversky, y, p,
                   relation="Keras' code: alpha weighs sum(y (1 - p)), beta sum((1 - y) p); per sample")
    keras_runs(ref, rng, "focal_tversky", "masks", {"alpha": 0.7, "beta": 0.3, "gamma": 1.0}, {"alpha": 0.7, "beta": 0.3, "axis": axis},
               keras.losses.tversky, keras.losses.Tversky, y, p, relation="gamma=1 is the Tversky loss")
    ol = optax.losses
    flat_y, flat_p = y.reshape(3, -1, 1), p.reshape(3, -1, 1)
    logit = np.log(flat_p) - np.log1p(-flat_p)
    for smooth in (1.0, 0.0):
        jaccard = np.array([ol.dice_loss(logit[i:i + 1], flat_y[i:i + 1], alpha=1.0, beta=1.0, smooth=smooth, apply_softmax=True)
                            for i in range(3)]).reshape(-1)
        ref.compare("optax", f"optax.losses.dice_loss(logit(p), y, alpha=1, beta=1, smooth={smooth}) of each image as one class",
                    "jaccard", "masks", jaccard, options={"smooth": smooth},
                    relation="Tversky with both weights 1 is the soft IoU; a sigmoid of logit(p) gives back p (one class)")
    yo, po = ref.arrays("segmentation_onehot")
    for smooth in (1.0, 0.1):
        per_image = np.array([ol.multiclass_generalized_dice_loss(po[i:i + 1], yo[i:i + 1], smooth=smooth, apply_softmax=False)
                              for i in range(len(yo))])
        ref.compare("optax", f"optax.losses.multiclass_generalized_dice_loss(p[i:i+1], y[i:i+1], smooth={smooth}, apply_softmax=False)",
                    "generalized_dice", "segmentation_onehot", per_image, options={"smooth": smooth},
                    relation="Optax's class weights come from the batch it is given: one image at a time is losskit's per-sample value")
    ref.compare("optax", "optax.losses.dice_loss(p, y, smooth=2s, apply_softmax=False, reduction='none').mean(-1) of one class",
                "dice", "masks",
                np.array([ol.dice_loss(logit[i:i + 1], flat_y[i:i + 1], smooth=0.5, apply_softmax=True) for i in range(3)]).reshape(-1),
                options={"smooth": 1.0}, relation="Optax's dice coefficient is (I + s) / ((P + T) / 2 + s): losskit's smooth=2s (no 1e-7)")


def ranking_references(ref: References, rng: np.random.Generator) -> None:
    """Optax's softmax ranking loss per list; PyTorch's pair losses summed over each list's pairs;
    ListMLE, which no peer ships, as the Plackett-Luce likelihood in torch (``logcumsumexp``)."""
    relevance = rng.integers(0, 4, size=(5, 6)).astype(float)
    relevance[4] = 0.0  # a list without a relevant item
    scores = rng.normal(scale=1.5, size=(5, 6))
    scores[0, 0] = 30.0
    ref.data("lists", relevance, scores, "(5, 6): graded relevance 0..3 and scores, one list per row; the last list has no relevant item")
    y, s = ref.arrays("lists")
    ref.compare("optax", "optax.losses.ranking_softmax_loss(scores, relevance, reduce_fn=None)", "ranking_softmax", "lists",
                optax.losses.ranking_softmax_loss(s, y, reduce_fn=None), relation="-sum(y log_softmax(s)) per list; relevance not normalised")
    ref.compare("optax", "optax.losses.ranking_softmax_loss(scores, relevance)", "ranking_softmax", "lists",
                optax.losses.ranking_softmax_loss(s, y), reduction="sum_over_batch_size", relation="Optax's default mean over lists")
    yt, st = _t(y), _t(s)
    i, j = torch.meshgrid(torch.arange(6), torch.arange(6), indexing="ij")
    ahead = (yt[:, :, None] > yt[:, None, :]).double()
    first, second = st[:, i], st[:, j]
    ones = torch.ones_like(first)
    for margin in (1.0, 0.5):
        pairs = F.margin_ranking_loss(first, second, ones, margin=margin, reduction="none")
        ref.compare("torch", f"torch.nn.MarginRankingLoss(margin={margin}, reduction='none')(s_i, s_j, 1) summed over pairs y_i > y_j",
                    "pairwise_hinge", "lists", (pairs * ahead).sum((-2, -1)), options={"margin": margin},
                    relation="the list's value is the sum over its ordered pairs")
    pairs = F.binary_cross_entropy_with_logits(first - second, ones, reduction="none")
    ref.compare("torch", "torch.nn.BCEWithLogitsLoss(reduction='none')(s_i - s_j, 1) summed over pairs y_i > y_j", "pairwise_logistic",
                "lists", (pairs * ahead).sum((-2, -1)), relation="RankNet: the logistic loss of each pair's score difference, summed")
    order = torch.argsort(-yt, dim=-1, stable=True)
    ordered = torch.gather(st, -1, order)
    tails = torch.flip(torch.logcumsumexp(torch.flip(ordered, (-1,)), dim=-1), (-1,))
    ref.compare("torch", "sum(flip(logcumsumexp(flip(s[argsort(-y, stable)]))) - s[argsort(-y, stable)]) (no peer ships ListMLE)",
                "listmle", "lists", (tails - ordered).sum(-1),
                relation="Plackett-Luce likelihood of the order of decreasing relevance, ties in position order (TF-Ranking shuffles them)")


def contrastive_references(ref: References, rng: np.random.Generator) -> None:
    """No installed peer ships the contrastive loss of pairs: TensorFlow Addons' formula in torch."""
    similar = rng.integers(0, 2, size=(6, 3)).astype(float)
    distances = rng.uniform(0.0, 2.0, size=(6, 3))
    ref.data("pair_distances", similar, distances, "1 for similar pairs, 0 for dissimilar; distances in [0, 2]")
    y, d = map(_t, ref.arrays("pair_distances"))
    for margin in (1.0, 0.5):
        value = (y * d**2 + (1 - y) * torch.clamp(margin - d, min=0.0) ** 2).mean(-1)
        ref.compare("torch", f"tfa.losses.contrastive_loss(y, d, margin={margin}) in torch: y d^2 + (1 - y) relu(margin - d)^2",
                    "contrastive", "pair_distances", value, options={"margin": margin},
                    relation="TensorFlow Addons' definition (not installable here), mean over the last axis")


def metric_references(ref: References, rng: np.random.Generator) -> None:
    """Optax's NT-Xent and triplet loss, Keras' Circle, and Khosla et al.'s SupConLoss (their
    reference code, transcribed in torch: it is not a package)."""
    labels = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    embeddings = rng.normal(size=(8, 5))
    embeddings /= np.linalg.norm(embeddings, axis=-1, keepdims=True)  # Keras' circle takes L2-normalised embeddings
    ref.data("embeddings", labels, embeddings, "(8,) labels, two samples each (two views), (8, 5) unit embeddings")
    y, x = ref.arrays("embeddings")
    for temperature in (0.07, 0.5):
        ref.compare("optax", f"optax.losses.ntxent(embeddings, labels, temperature={temperature})", "ntxent", "embeddings",
                    optax.losses.ntxent(x, y, temperature=temperature), options={"temperature": temperature}, reduction="sum_over_batch_size",
                    relation="Optax averages over positive pairs: the mean over samples when each has one positive")
    keras_runs(ref, rng, "circle", "embeddings", {}, {}, keras.losses.circle, keras.losses.Circle, y, x,
               relation="remove_diagonal=True; Keras takes unit embeddings (losskit normalises them itself)")
    keras_runs(ref, rng, "circle", "embeddings", {"gamma": 16.0, "margin": 0.25}, {"gamma": 16.0, "margin": 0.25}, keras.losses.circle,
               keras.losses.Circle, y, x, relation="remove_diagonal=True")

    def distance(a, b):
        return np.sqrt(np.sum((a - b) ** 2) + 1e-6)

    ol = optax.losses
    for margin in (1.0, 0.3):
        values = np.zeros(len(y))
        for i in range(len(y)):
            pos = [j for j in range(len(y)) if j != i and y[j] == y[i]]
            neg = [k for k in range(len(y)) if y[k] != y[i]]
            a = np.stack([x[i] for j in pos for k in neg])
            values[i] = np.mean(ol.triplet_margin_loss(a, np.stack([x[j] for j in pos for k in neg]), np.stack([x[k] for j in pos for k in neg]),
                                                         margin=margin))
        ref.compare("optax", f"optax.losses.triplet_margin_loss(anchor, positive, negative, margin={margin}) over every triplet of each anchor",
                    "triplet_margin", "embeddings", values, options={"margin": margin},
                    relation="batch_all: the mean over the anchor's (positive, negative) pairs; Optax's distance sqrt(sum d^2 + 1e-6)")
        values = np.zeros(len(y))
        for i in range(len(y)):
            pos = [j for j in range(len(y)) if j != i and y[j] == y[i]]
            neg = [k for k in range(len(y)) if y[k] != y[i]]
            chosen = []
            for j in pos:
                farther = [k for k in neg if distance(x[i], x[k]) > distance(x[i], x[j])]
                chosen.append(min(farther, key=lambda k: distance(x[i], x[k])) if farther else max(neg, key=lambda k: distance(x[i], x[k])))
            values[i] = np.mean(ol.triplet_margin_loss(np.stack([x[i]] * len(pos)), x[pos], x[chosen], margin=margin))
        ref.compare("optax", f"optax.losses.triplet_margin_loss on FaceNet semi-hard triplets (margin={margin})", "triplet_margin", "embeddings",
                    values, options={"margin": margin, "mining": "semi_hard"},
                    relation="for each positive the closest negative farther than it, else the farthest (TensorFlow Addons' rule)")

    # Khosla et al.'s SupConLoss (github.com/HobbitLong/SupContrast, losses.py), one view per sample
    features, targets = F.normalize(_t(x), dim=-1), _t(y)
    for temperature in (0.07, 0.5):
        mask = (targets[:, None] == targets[None, :]).double()
        logits = features @ features.T / temperature
        logits = logits - logits.max(dim=1, keepdim=True).values.detach()
        logits_mask = 1 - torch.eye(len(targets), dtype=torch.float64)
        mask = mask * logits_mask
        log_prob = logits - torch.log((torch.exp(logits) * logits_mask).sum(1, keepdim=True))
        mean_log_prob_pos = (mask * log_prob).sum(1) / mask.sum(1)
        ref.compare("torch", f"SupConLoss(temperature={temperature}, base_temperature={temperature}) of Khosla et al.'s code, per anchor",
                    "supervised_contrastive", "embeddings", -mean_log_prob_pos, options={"temperature": temperature},
                    relation="L_out: -mean over positives of log softmax over every other sample")


def ctc_references(ref: References, rng: np.random.Generator) -> None:
    """PyTorch's F.ctc_loss of log_softmax(logits), every frame used; Keras' CTC pads with the blank 0."""
    labels = np.array([[1, 2, 2, 3], [3, 1, -1, -1], [2, -1, -1, -1], [1, 1, 1, -1]])
    logits = rng.normal(scale=1.5, size=(4, 9, 5))
    ref.data("sequences", labels, logits, "(4, 4) label sequences padded with -1 (repeats need a blank between), (4, 9, 5) logits")
    y, x = ref.arrays("sequences")
    log_probs = torch.log_softmax(_t(x), dim=-1).transpose(0, 1)
    lengths = torch.as_tensor((y >= 0).sum(-1))
    targets = torch.as_tensor(np.where(y >= 0, y, 0))
    frames = torch.full((len(y),), x.shape[1])
    ref.compare("torch", "F.ctc_loss(log_softmax(logits).transpose(0, 1), labels, T, lengths, blank=0, reduction='none')", "ctc", "sequences",
                F.ctc_loss(log_probs, targets, frames, lengths, blank=0, reduction="none"),
                relation="every frame used; target lengths: the labels before the -1 padding")
    ref.compare("torch", "F.ctc_loss(..., reduction='sum')", "ctc", "sequences", F.ctc_loss(log_probs, targets, frames, lengths, reduction="sum"),
                reduction="sum", relation="the sum over sequences")
    keras_runs(ref, rng, "ctc", "sequences", {}, {}, keras.losses.ctc, keras.losses.CTC, np.where(y >= 0, y, 0), x,
               relation="Keras pads y_true with 0, its blank and mask index; losskit pads with -1")


def _berman_lovasz_grad(gt_sorted, dtype):
    """Berman et al.'s ``lovasz_grad`` (lovasz_losses.py), transcribed in torch: the Jaccard loss's
    increments along the sorted ground truth, its cumulative sums in ``dtype`` (their ``.float()``;
    float64 for the softmax references)."""
    p = len(gt_sorted)
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.to(dtype).cumsum(0)
    union = gts + (1 - gt_sorted).to(dtype).cumsum(0)
    jaccard = 1.0 - intersection / union
    if p > 1:
        jaccard[1:p] = jaccard[1:p] - jaccard[0:-1]
    return jaccard


def lovasz_references(ref: References, rng: np.random.Generator) -> None:
    """Berman et al.'s reference lovasz_hinge (github.com/bermanmaxim/LovaszSoftmax, lovasz_losses.py),
    transcribed in torch: it is not a package."""
    masks = (rng.uniform(size=(3, 4, 5)) < 0.4).astype(float)
    masks[2] = 0.0  # an image without the object
    logits = rng.normal(scale=2.0, size=(3, 4, 5))
    ref.data("lovasz_masks", masks, logits, "(3, 4, 5) binary masks (the last one empty) and logits")
    y, x = ref.arrays("lovasz_masks")

    def lovasz_hinge_flat(logits, labels):
        signs = 2.0 * labels.float() - 1.0
        errors = 1.0 - logits * signs
        errors_sorted, perm = torch.sort(errors, dim=0, descending=True)
        grad = _berman_lovasz_grad(labels[perm], torch.float32)
        return torch.dot(F.relu(errors_sorted), grad.double())

    values = torch.stack([lovasz_hinge_flat(_t(x[i]).reshape(-1), _t(y[i]).reshape(-1)) for i in range(len(y))])
    ref.compare("torch", "lovasz_hinge_flat(logits[i].flatten(), labels[i].flatten()) of Berman et al.'s code, per image", "lovasz_hinge",
                "lovasz_masks", values, relation="lovasz_hinge(per_image=True) before its mean over images")


def lovasz_softmax_references(ref: References, rng: np.random.Generator) -> None:
    """Berman et al.'s reference lovasz_softmax (github.com/bermanmaxim/LovaszSoftmax,
    pytorch/lovasz_losses.py: ``lovasz_grad``, ``flatten_probas``, ``lovasz_softmax_flat`` with
    ``per_image=True``), transcribed in torch (in float64: ``.float()`` made ``.double()``): it is not a package. It takes (B, C, H, W)
    probabilities and (B, H, W) class labels; losskit one-hot labels with the classes last."""
    labels = rng.integers(0, 3, size=(3, 4, 5))
    labels[1] = np.where(labels[1] == 2, 0, labels[1])  # class 2 absent from image 1
    labels[2] = 1  # one class only in image 2
    logits = rng.normal(scale=2.0, size=(3, 4, 5, 3))
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    ref.data("lovasz_softmax_masks", np.eye(3)[labels], probabilities,
             "(3, 4, 5) images of 3 classes, one-hot (class 2 absent from image 1, image 2 all class 1) and softmax probabilities")
    ref.data("lovasz_softmax_logits", np.eye(3)[labels], logits, "the same labels and the logits of those probabilities")

    def lovasz_softmax_flat(probas, labels, classes="present"):
        C = probas.size(1)
        losses = []
        for c in range(C):
            fg = (labels == c).double()
            if classes == "present" and fg.sum() == 0:
                continue
            errors = (fg - probas[:, c]).abs()
            errors_sorted, perm = torch.sort(errors, 0, descending=True)
            losses.append(torch.dot(errors_sorted, _berman_lovasz_grad(fg[perm], torch.float64)))
        return torch.stack(losses).mean() if losses else torch.zeros((), dtype=torch.float64)

    def flatten_probas(probas, labels):
        C = probas.size(1)
        return probas.permute(0, 2, 3, 1).contiguous().view(-1, C), labels.view(-1)

    def per_image(probas, classes):
        return torch.stack([lovasz_softmax_flat(*flatten_probas(prob.unsqueeze(0), lab.unsqueeze(0)), classes=classes)
                            for prob, lab in zip(probas, torch.as_tensor(labels))])

    for inputs, options, probas, note in (
        ("lovasz_softmax_masks", {}, _t(probabilities).permute(0, 3, 1, 2), "probabilities"),
        ("lovasz_softmax_logits", {"from_logits": True}, torch.softmax(_t(logits), dim=-1).permute(0, 3, 1, 2), "softmax(logits)"),
    ):
        for classes in ("present", "all"):
            opts = {**options, **({"classes": classes} if classes != "present" else {})}
            ref.compare("torch", f"lovasz_softmax_flat(*flatten_probas({note}[i], labels[i]), classes={classes!r}) of Berman et al.'s code, per image",
                        "lovasz_softmax", inputs, per_image(probas, classes), options=opts,
                        relation="lovasz_softmax(per_image=True) before its mean over images; labels one-hot, classes last")


def keras_runs(ref, rng, name, inputs, options, keras_options, function, cls, keras_y_true, y_pred, *, relation):
    """A Keras function's per-sample values and its class at every reduction, with and without a
    sample weight (the rule of test_every_keras_loss_has_every_reduction_with_and_without_weights)."""
    shown = ", ".join(f"{k}={v!r}" for k, v in keras_options.items())
    values = _numpy(function(keras_y_true, y_pred, **keras_options))
    ref.compare("keras", f"keras.losses.{function.__name__}(y_true, y_pred{', ' + shown if shown else ''})", name, inputs, values,
                options=options, relation=relation)
    weight = rng.uniform(0.0, 2.0, size=values.shape)
    weight.flat[0] = 0.0
    for reduction, sample_weight in [(r, None) for r in KERAS_REDUCTIONS] + [(r, weight) for r in (*KERAS_REDUCTIONS, "none")]:
        value = cls(**keras_options, reduction=reduction, dtype="float64")(keras_y_true, y_pred, sample_weight=sample_weight)
        call = f"keras.losses.{cls.__name__}({shown + ', ' if shown else ''}reduction={reduction!r})(y_true, y_pred"
        call += ", sample_weight=w)" if sample_weight is not None else ")"
        ref.compare("keras", call, name, inputs, value, options=options, reduction=reduction, sample_weight=sample_weight, relation=relation)


# ----------------------------------------------------------------------------- main
def main() -> None:
    rng = np.random.default_rng(SEED)
    ref = References()
    build_inputs(ref, rng)
    keras_references(ref, rng)
    torch_references(ref)
    optax_references(ref)
    sklearn_references(ref, rng)
    catalog_rng = np.random.default_rng(SEED + 10)
    build_catalog_inputs(ref, catalog_rng)
    catalog_references(ref, catalog_rng)
    segmentation_references(ref, np.random.default_rng(SEED + 11))
    ranking_references(ref, np.random.default_rng(SEED + 12))
    contrastive_references(ref, np.random.default_rng(SEED + 13))
    metric_references(ref, np.random.default_rng(SEED + 14))
    ctc_references(ref, np.random.default_rng(SEED + 15))
    lovasz_references(ref, np.random.default_rng(SEED + 16))
    lovasz_softmax_references(ref, np.random.default_rng(SEED + 17))
    import scipy

    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "keras": f"{keras.__version__} (backend {keras.backend.backend()}, floatx {keras.config.floatx()})",
        "jax": jax.__version__,
        "optax": optax.__version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "scipy": scipy.__version__,
    }
    header = {
        "about": (
            "Peer values for losskit's reference test, written by tests/reference/generate.py (seed "
            f"{SEED}). Each comparison: expected == scale * losskit.get(loss, **options, reduction=reduction)"
            "(y_true, y_pred, sample_weight) + offset, for the named input set, at the listed dtypes."
        ),
        "versions": versions,
        "skipped": ref.skipped,
    }
    lines = ["{"]
    for key, value in header.items():
        lines.append(f"{json.dumps(key)}: {json.dumps(value)},")
    lines.append('"inputs": {')
    lines.append(",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in ref.inputs.items()))
    lines.append("},")
    lines.append('"comparisons": [')
    lines.append(",\n".join(json.dumps(c) for c in ref.comparisons))
    lines.append("]")
    lines.append("}")
    OUT.write_text("\n".join(lines) + "\n")
    json.loads(OUT.read_text())  # well-formed
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB): {len(ref.comparisons)} comparisons, {len(ref.inputs)} input sets", file=sys.stderr)


if __name__ == "__main__":
    main()
