"""Data for the platform: scikit-learn's bundled datasets and the user's CSV files.

A :class:`Dataset` is a feature matrix (categorical columns one-hot encoded, missing numeric
values left as NaN), a target and a task; :mod:`.resampling` cuts it into splits and fits the
preprocessing on each split's training rows. This module holds the package's one CSV reader:
:func:`read_csv` for ``losskit compare`` and :func:`read_column` for ``losskit recommend``.

Bad data raises :class:`DataError` (a ``ValueError``) with one line that says what was expected
and what was found; the CLI prints it and exits 2.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TASKS = ("regression", "counts", "binary", "multiclass")

#: The datasets that ship inside scikit-learn (no download), with their task.
BUNDLED = {
    "diabetes": "regression",
    "breast_cancer": "binary",
    "wine": "multiclass",
    "iris": "multiclass",
    "digits": "multiclass",
}

#: Cells read as missing in a CSV file.
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})


class DataError(ValueError):
    """Data that cannot be used: the message is one line, fit to show a user as it is."""


@dataclass
class Dataset:
    """Features, target and task of one comparison.

    ``y`` holds floats for regression and counts, and class indices ``0 .. len(classes) - 1``
    for classification (``classes`` holds the original labels, as text).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    feature_names: list[str]
    target_name: str
    classes: list[str] | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """A JSON-ready description (name, task, sizes, classes, notes)."""
        return {
            "name": self.name,
            "task": self.task,
            "target": self.target_name,
            "n_samples": int(self.X.shape[0]),
            "n_features": int(self.X.shape[1]),
            "classes": self.classes,
            "notes": list(self.notes),
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


def encode_target(y, task: str, *, name: str = "target") -> tuple[np.ndarray, list[str] | None]:
    """``(y, classes)``: floats for regression and counts, class indices for classification.

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
    classes, indices = class_labels(y)
    if len(classes) < 2:
        raise DataError(f"the target {name!r} has a single class ({classes[0]}): a classifier needs at least two")
    if task == "binary" and len(classes) > 2:
        raise DataError(f"a binary task needs two classes; the target {name!r} has {len(classes)}")
    return indices.astype(np.int64), classes


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


# ----------------------------------------------------------------------------- CSV files
def read_csv(path, target: str, *, task: str | None = None) -> Dataset:
    """A dataset from a CSV file with a header row; ``target`` names the column to predict.

    Numeric columns are kept (missing cells become NaN, imputed later from the training rows);
    other columns are one-hot encoded, a missing cell being a category of its own; text
    columns whose every value is distinct (identifiers) are dropped. Rows whose target is
    missing are dropped. Each of these steps is recorded in ``Dataset.notes``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such CSV file: {path}")
    header, rows = _read_rows(path)
    if target not in header:
        raise DataError(f"{path.name} has no column {target!r}; its columns are {', '.join(header)}")
    t = header.index(target)
    notes = []
    kept = [r for r in rows if not _missing(r[t])]
    if len(kept) < len(rows):
        notes.append(f"{len(rows) - len(kept)} rows with a missing target dropped")
    if len(kept) < 10:
        raise DataError(f"{path.name} has {len(kept)} rows with a target; at least 10 are needed")
    y_raw = np.array([r[t].strip() for r in kept], dtype=object)
    numbers = _as_numbers(y_raw)
    task = task or infer_task(numbers if numbers is not None else y_raw)
    y, classes = encode_target(numbers if numbers is not None and task in ("regression", "counts") else y_raw, task, name=target)

    columns, names = [], []
    for j, name in enumerate(header):
        if j == t:
            continue
        cells = [r[j] for r in kept]
        block, block_names, note = _encode_column(name, cells)
        if note:
            notes.append(note)
        if block is not None:
            columns.append(block)
            names.extend(block_names)
    if not columns:
        raise DataError(f"{path.name} has no usable feature columns besides the target {target!r}")
    return Dataset(
        name=path.stem, X=np.hstack(columns), y=y, task=task, feature_names=names, target_name=target, classes=classes, notes=notes
    )


def read_column(path, column: str) -> np.ndarray:
    """The non-missing cells of ``column`` in the CSV file ``path``: floats when every cell is a
    number, else text. Raises :class:`DataError` for a missing file or column, or no values."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such CSV file: {path}")
    header, rows = _read_rows(path)
    if column not in header:
        raise DataError(f"{path} has no column {column!r}; its columns: {', '.join(header)}")
    j = header.index(column)
    cells = np.array([r[j].strip() for r in rows if not _missing(r[j])], dtype=object)
    if cells.size == 0:
        raise DataError(f"the column {column!r} of {path} has no values")
    numbers = _as_numbers(cells)
    return numbers if numbers is not None else cells.astype(str)


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            sample = f.read(65536)
            f.seek(0)
            try:
                dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            reader = csv.reader(f, dialect)
            header = [h.strip() for h in next(reader, [])]
            rows = [r for r in reader if any(c.strip() for c in r)]
    except UnicodeDecodeError as e:
        raise DataError(f"{path.name} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    if not header:
        raise DataError(f"{path.name} is empty")
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise DataError(f"{path.name}, line {number}: {len(row)} fields where the header has {len(header)}")
    return header, rows


def _encode_column(name: str, cells: list[str]):
    """``(block, names, note)``: a numeric column as it is, a text column one-hot encoded."""
    values = np.array([math.nan if _missing(c) else _as_number(c) for c in cells], dtype=object)
    numeric = all(v is not None for v in values)
    n_missing = sum(_missing(c) for c in cells)
    if n_missing == len(cells):
        return None, [], f"column {name!r} dropped: every value is missing"
    if numeric:
        note = f"column {name!r}: {n_missing} missing values imputed with the training median" if n_missing else ""
        return values.astype(np.float64)[:, None], [name], note
    labels = [("(missing)" if _missing(c) else c.strip()) for c in cells]
    levels = sorted(set(labels))
    if len(levels) == len(labels):
        return None, [], f"column {name!r} dropped: text with a distinct value on every row (an identifier)"
    block = np.array([[label == level for level in levels] for label in labels], dtype=np.float64)
    note = f"column {name!r}: one-hot encoded ({len(levels)} categories)"
    return block, [f"{name}={level}" for level in levels], note


def _missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING


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
