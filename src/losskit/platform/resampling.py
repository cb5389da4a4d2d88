"""Repeated, paired resampling: the splits every candidate loss is trained and scored on.

``R`` repeats of ``K``-fold cross-validation (stratified for classification): repeat ``r``
shuffles the rows with seed ``seed + r``, and every one of its ``K`` folds is held out once for
the test metrics. With ``K = 1`` each repeat is one random hold-out split of ``test_size``.
Within the remaining rows, ``val_size`` of them (stratified) are the validation rows that choose
the best epoch and stop training early; the model never learns from them. The initialisation
and batch order of split ``j`` are seeded with ``seed + j``, so both the split and the
initialisation are redrawn per repeat and fold, and every loss sees exactly the same ones.

The preprocessing (median imputation, standardisation) is fitted on each split's training rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .data import DataError, Dataset, Splits


@dataclass(frozen=True)
class Resample:
    """One split: its position (repeat, fold), the seed of its model, and the row indices."""

    index: int
    repeat: int
    fold: int
    seed: int
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def resamples(dataset: Dataset, *, repeats: int, folds: int, seed: int = 0, test_size: float = 0.2, val_size: float = 0.2) -> list[Resample]:
    """The ``repeats x folds`` splits of ``dataset``, in order (repeat-major)."""
    if repeats < 1:
        raise DataError(f"--repeats must be at least 1; got {repeats}")
    if folds < 1:
        raise DataError(f"--folds must be at least 1; got {folds}")
    for label, size in (("test_size", test_size), ("val_size", val_size)):
        if not 0 < size < 1:
            raise DataError(f"{label} must be a fraction in (0, 1); got {size}")
    n = len(dataset.y)
    labels = dataset.y if dataset.task in ("binary", "multiclass") else None
    if folds > 1 and folds > n // 2:
        raise DataError(f"--folds {folds} leaves fewer than 2 rows per fold for {n} rows")
    plans = []
    for repeat in range(repeats):
        rng_seed = seed + repeat
        for fold, (rest, test) in enumerate(_outer(n, labels, folds, test_size, rng_seed)):
            train, val = _cut(rest, labels, val_size, rng_seed + 7919 * (fold + 1))
            index = len(plans)
            plans.append(Resample(index, repeat, fold, seed + index, np.sort(train), np.sort(val), np.sort(test)))
    return plans


def holdout_ratio(plans: list[Resample]) -> float:
    """``n_test / n_train`` of the splits (Nadeau and Bengio's correction; the training rows
    include the validation rows, which the model's selection saw)."""
    test = np.mean([len(p.test) for p in plans])
    seen = np.mean([len(p.train) + len(p.val) for p in plans])
    return float(test / seen)


def prepare(dataset: Dataset, plan: Resample) -> Splits:
    """The preprocessed float32 features and the targets of one split (each part's rows copied
    once and standardised in place: a fit holds about its rows twice, not the data five times)."""
    X = dataset.X
    missing = bool(np.isnan(X).any())
    train = X[plan.train]
    median = np.nanmedian(train, axis=0) if missing else np.zeros(X.shape[1])
    median = np.where(np.isnan(median), 0.0, median)  # a column missing on every training row

    def imputed(rows: np.ndarray) -> np.ndarray:
        if missing:
            np.copyto(rows, median, where=np.isnan(rows), casting="same_kind")
        return rows

    train = imputed(train)
    mean, std = train.mean(axis=0), train.std(axis=0)
    scale = np.where(std > 0, std, 1.0)

    def standardised(rows: np.ndarray) -> np.ndarray:
        rows -= mean
        rows /= scale
        return rows.astype(np.float32)

    y = dataset.y
    X_train = standardised(train)
    del train
    X_val, X_test = (standardised(imputed(X[rows])) for rows in (plan.val, plan.test))
    return Splits(X_train, y[plan.train], X_val, y[plan.val], X_test, y[plan.test])


def _outer(n: int, labels, folds: int, test_size: float, seed: int):
    rows = np.arange(n)
    if folds == 1:
        yield _cut(rows, labels, test_size, seed)
        return
    from sklearn.model_selection import KFold, StratifiedKFold

    if labels is not None and np.unique(labels, return_counts=True)[1].min() >= folds:
        yield from StratifiedKFold(folds, shuffle=True, random_state=seed).split(rows, labels)
    else:
        yield from KFold(folds, shuffle=True, random_state=seed).split(rows)


def _cut(index: np.ndarray, labels, size: float, seed: int):
    """``(kept, cut)``: ``size`` of ``index`` cut off at random, stratified when every class
    has two rows on each side."""
    from sklearn.model_selection import train_test_split

    strata = labels[index] if labels is not None else None
    if strata is not None:
        counts = np.unique(strata, return_counts=True)[1]
        n_cut = math.ceil(size * len(index))
        if counts.min() < 2 or min(n_cut, len(index) - n_cut) < len(counts):
            strata = None
    return train_test_split(index, test_size=size, random_state=seed % (2**32), stratify=strata)
