"""Data for the platform: scikit-learn's bundled datasets and the user's CSV or Parquet files.

A :class:`Dataset` is a feature matrix (categorical columns one-hot encoded, missing numeric
values left as NaN), a target and a task; :mod:`.resampling` cuts it into splits and fits the
preprocessing on each split's training rows. This module holds the package's one file reader
(pyarrow, through :mod:`.tables`): :func:`read_csv` for ``losskit compare`` and
:func:`read_column` for ``losskit recommend``.

Bad data raises :class:`DataError` (a ``ValueError``) with one line that says what was expected
and what was found; the CLI prints it and exits 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .tables import Column, read_table, release_arrow_memory

TASKS = ("regression", "counts", "binary", "multiclass")

#: The datasets that ship inside scikit-learn (no download), with their task.
BUNDLED = {
    "diabetes": "regression",
    "breast_cancer": "binary",
    "wine": "multiclass",
    "iris": "multiclass",
    "digits": "multiclass",
}

#: A text feature with more distinct values than this is dropped (one-hot encoding it would
#: take a column per value).
MAX_CATEGORIES = 100


class DataError(ValueError):
    """Data that cannot be used: the message is one line, fit to show a user as it is."""


@dataclass
class Dataset:
    """Features, target and task of one comparison.

    ``y`` holds floats for regression and counts, and class indices ``0 .. len(classes) - 1``
    for classification (``classes`` holds the labels of the whole dataset as the file spells
    them). ``notes`` say how the file was read; ``hints`` suggest a better option (``--task``).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    feature_names: list[str]
    target_name: str
    classes: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """A JSON-ready description (name, task, sizes, classes, notes)."""
        return {
            "name": self.name,
            "task": self.task,
            "target": self.target_name,
            "n_samples": int(self.X.shape[0]),
            "n_features": int(self.X.shape[1]),
            "classes": self.classes,
            "notes": [*self.notes, *self.hints],
        }


@dataclass
class Splits:
    """Preprocessed float32 features and targets of the training, validation and test rows
    (made by :func:`losskit.platform.resampling.prepare`)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


# ----------------------------------------------------------------------------- tasks
def infer_task(y) -> str:
    """The task a target calls for, by :func:`losskit.guidance.infer_task`'s rules
    (scikit-learn's ``type_of_target`` with losskit's names: up to 20 distinct integers are
    classes, more non-negative integers are counts, other numbers regression). Pass the task
    explicitly where the guess is wrong; a task the platform cannot train raises DataError."""
    from ..guidance import infer_task as guess

    task = guess(np.asarray(y))
    if task not in TASKS:
        raise DataError(f"the target is read as a {task} task; the platform trains {', '.join(TASKS)} (pass --task)")
    return task


def encode_target(y, task: str, *, name: str = "target", classes: list[str] | None = None) -> tuple[np.ndarray, list[str] | None]:
    """``(y, classes)``: floats for regression and counts, class indices for classification
    (indices into ``classes`` when given: the labels of the whole dataset, of which ``y``, one
    split's rows, may lack some; else the labels of ``y``).

    Raises :class:`DataError` for a non-numeric target of a regression or counts task, negative or
    non-integer counts, fewer than two classes, or a binary task with more than two.
    """
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    y = np.asarray(y)
    if task in ("regression", "counts"):
        values = _as_numbers(y)
        if values is None:
            example = next(v for v in y.ravel() if _as_number(v) is None)
            raise DataError(f"the {task} target {name!r} must be numeric; found the value {example!r}")
        if task == "counts" and (np.any(values < 0) or np.any(values != np.round(values))):
            raise DataError(f"the counts target {name!r} must hold non-negative integers; found min={values.min():g}")
        if len(np.unique(values)) < 2:
            raise DataError(f"the target {name!r} has a single value ({values[0]:g}): there is nothing to learn")
        return values.astype(np.float64), None
    if classes is not None:
        indices = label_indices(y, classes)
    else:
        classes, indices = class_labels(y)
    check_classes(classes, task, name)
    return indices.astype(np.int64), classes


def check_classes(classes: list[str], task: str, name: str) -> None:
    """Raise :class:`DataError` for fewer than two classes, or more than two in a binary task."""
    if len(classes) < 2:
        raise DataError(f"the target {name!r} has a single class ({classes[0]}): a classifier needs at least two")
    if task == "binary" and len(classes) > 2:
        raise DataError(f"a binary task needs two classes; the target {name!r} has {len(classes)}")


def class_labels(y) -> tuple[list[str], np.ndarray]:
    """The sorted distinct labels (as text; integers in numeric order, without ".0") and the
    index of each row's label."""
    y = np.asarray(y)
    numbers = _as_numbers(y)
    if numbers is not None:
        values, indices = np.unique(numbers, return_inverse=True)
        whole = np.all(values == np.round(values))
        return [str(int(v)) if whole else f"{v:g}" for v in values], indices
    values, indices = np.unique(np.array([str(v).strip() for v in y.ravel()]), return_inverse=True)
    return [str(v) for v in values], indices


def label_indices(y, classes: list[str]) -> np.ndarray:
    """The index in ``classes`` (from :func:`encode_target`) of each label of ``y``."""
    labels, indices = class_labels(y)
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise DataError(f"labels {', '.join(unknown)} are not among the training classes {', '.join(classes)}")
    position = np.array([classes.index(label) for label in labels], dtype=np.int64)
    return position[indices]


# ----------------------------------------------------------------------------- bundled datasets
def load_bundled(name: str) -> Dataset:
    """One of scikit-learn's bundled datasets (see :data:`BUNDLED`); nothing is downloaded."""
    if name not in BUNDLED:
        raise DataError(f"unknown dataset {name!r}; the bundled ones are {', '.join(BUNDLED)}")
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    task = BUNDLED[name]
    classes = None
    if task != "regression":
        classes = [str(c) for c in getattr(bunch, "target_names", np.unique(bunch.target))]
    return Dataset(
        name=name,
        X=np.asarray(bunch.data, dtype=np.float64),
        y=np.asarray(bunch.target, dtype=np.float64 if task == "regression" else np.int64),
        task=task,
        feature_names=[str(f) for f in bunch.feature_names],
        target_name="target",
        classes=classes,
    )




# ----------------------------------------------------------------------------- data files
def read_csv(path, target: str, *, task: str | None = None) -> Dataset:
    """A dataset from a CSV file with a header row (or a Parquet file: ``.parquet``, ``.pq``);
    ``target`` names the column to predict.

    Numeric columns are kept (missing cells become NaN, imputed later from the training rows;
    the few non-numeric cells of a mostly numeric feature are read as missing); other columns
    are one-hot encoded, a missing cell being a category of its own; text columns whose every
    value is distinct (identifiers) or with more than :data:`MAX_CATEGORIES` values are
    dropped. Rows whose target is missing are dropped. Each of these steps is recorded in
    ``Dataset.notes``. A mostly numeric target with cells that are not numbers is an error
    naming their rows (unless ``task`` is a classification: then every cell is a label).
    """
    table = read_table(path, text=(target,))
    column = table.column(target)
    keep = ~column.missing()
    notes = list(table.notes)
    if not keep.all():
        notes.append(f"{int((~keep).sum()):,} rows with a missing target dropped")
    if keep.sum() < 10:
        raise DataError(f"{table.name} has {int(keep.sum())} rows with a target; at least 10 are needed")
    y, task, classes, hints = _target(column, keep, task)
    features = [_feature(c, keep) for c in table.columns if c.name != target]
    notes += [note for _, _, note in features if note]
    width = sum(len(names) for _, names, _ in features)
    if width == 0:
        raise DataError(f"{table.name} has no usable feature columns besides the target {target!r}")
    X = np.empty((int(keep.sum()), width), dtype=np.float64)  # filled in place, a column at a time
    start = 0
    for fill, names, _ in features:
        if names:
            fill(X[:, start : start + len(names)])
            start += len(names)
    feature_names = [n for _, names, _ in features for n in names]
    del table, column, features  # the file's columns: give their memory back
    release_arrow_memory()
    return Dataset(
        name=Path(path).stem, X=X, y=y, task=task, feature_names=feature_names,
        target_name=target, classes=classes, notes=notes, hints=hints,
    )  # fmt: skip


def read_column(path, column: str) -> np.ndarray:
    """The non-missing cells of ``column`` in the CSV or Parquet file ``path``: floats when every
    cell is a number, else text. Raises :class:`DataError` for a missing file or column, or no values."""
    cells = read_table(path, columns=[column], text=(column,)).column(column)
    kept = ~cells.missing()
    if not kept.any():
        raise DataError(f"the column {column!r} of {path} has no values")
    if cells.numeric and cells.bad.size == 0:
        return cells.numbers()[kept]
    return np.asarray(cells.text.filter(kept).to_pylist(), dtype=str)


def _target(column: Column, keep: np.ndarray, task: str | None):
    """``(y, task, classes, hints)`` of the target column's kept rows."""
    name = column.name
    if task in ("binary", "multiclass") or not column.numeric:
        if task in ("regression", "counts"):
            cells = column.text.filter(keep).to_pylist()
            row, first = next((i, v) for i, v in enumerate(cells) if _as_number(v) is None)
            row = int(np.flatnonzero(keep)[row]) + 1
            raise DataError(f"the {task} target {name!r} must be numeric; found the value {first!r} in row {row:,}")
        labels = np.asarray(column.text.filter(keep).to_pylist(), dtype=str)
        task = task or infer_task(labels)
        classes, indices = np.unique(labels, return_inverse=True)
        check_classes(list(classes), task, name)
        return indices.astype(np.int64), task, [str(c) for c in classes], []
    if column.bad.size:
        n = int(keep.sum())
        raise DataError(
            f"the target {name!r} is numeric, but {column.bad.size:,} of its {n:,} cells {'is not a number' if column.bad.size == 1 else 'are not numbers'}: "
            f"{column.examples()}; "
            "correct them, or empty them to drop those rows"
        )
    values = column.numbers()[keep]
    inferred = task is None
    task = task or infer_task(values)
    if task in ("regression", "counts"):
        y, _ = encode_target(values, task, name=name)
        return y, task, None, []
    distinct, first, indices = np.unique(values, return_index=True, return_inverse=True)
    spelled = column.text.filter(keep) if column.text is not None else None
    classes = [spelled[int(i)].as_py() if spelled is not None else f"{v:g}" for v, i in zip(distinct, first)]
    check_classes(classes, task, name)
    hints = []
    if inferred and task == "multiclass" and _like_counts(distinct, values):
        hints.append(
            f"hint: the target {name!r} holds {len(distinct)} distinct non-negative integers (0 to {distinct[-1]:g}, mean {values.mean():.3g}), "
            "read as classes; if they are counts, pass --task counts"
        )
    return indices.astype(np.int64), task, classes, hints


def _like_counts(distinct: np.ndarray, values: np.ndarray) -> bool:
    """Integer labels that look like counts: from 0, at least 3 of them, and either many (10 or
    more) or piled up at the low end (a mean under a third of the largest)."""
    integers = bool(np.all(distinct == np.round(distinct)))
    return integers and distinct[0] == 0 and len(distinct) >= 3 and (len(distinct) >= 10 or values.mean() < distinct[-1] / 3)


def _feature(column: Column, keep: np.ndarray):
    """``(fill, names, note)``: ``fill(block)`` writes the column's kept rows into its block of
    the feature matrix (one column, or one per category); no names: the column is dropped."""
    name = column.name
    if column.numeric:
        n_missing = int(np.count_nonzero(np.isnan(column.numbers())[keep]))
        if n_missing == int(keep.sum()):
            return None, [], f"column {name!r} dropped: every value is missing"
        notes = []
        bad = column.bad[keep[column.bad]] if column.bad.size else column.bad
        if bad.size:
            notes.append(f"column {name!r}: {bad.size:,} cells that are not numbers read as missing ({column.examples()})")
        if n_missing:
            notes.append(f"column {name!r}: {n_missing:,} missing values imputed with the training median")

        def fill(block):
            numbers = column.numbers()
            block[:, 0] = numbers if keep.all() else numbers[keep]

        return fill, [name], "; ".join(notes)
    import pyarrow.compute as pc

    cells = column.text.filter(keep)
    if cells.null_count == len(cells):
        return None, [], f"column {name!r} dropped: every value is missing"
    encoded = pc.fill_null(cells, "(missing)").dictionary_encode()
    levels = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    if len(levels) == len(cells):
        return None, [], f"column {name!r} dropped: text with a distinct value on every row (an identifier)"
    if len(levels) > MAX_CATEGORIES:
        return None, [], f"column {name!r} dropped: {len(levels):,} distinct text values, more than the {MAX_CATEGORIES} one-hot encoding takes"
    order = np.argsort(levels.astype(str), kind="stable")
    rank = np.empty(len(levels), dtype=np.int64)
    rank[order] = np.arange(len(levels))
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]

    def fill(block):
        block[:] = codes[:, None] == np.arange(len(levels))

    return fill, [f"{name}={levels[i]}" for i in order], f"column {name!r}: one-hot encoded ({len(levels)} categories)"


def _as_number(value) -> float | None:
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return float(value)
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _as_numbers(values: np.ndarray) -> np.ndarray | None:
    """``values`` as floats, or None when one of them is not a finite number."""
    if values.dtype.kind in "iuf":
        return values.astype(np.float64) if np.all(np.isfinite(values.astype(np.float64))) else None
    numbers = [_as_number(v) for v in values.ravel()]
    return None if any(n is None for n in numbers) else np.array(numbers, dtype=np.float64)
