"""Reading a data file into typed columns with pyarrow: CSV (multithreaded, the delimiter and a
decimal comma detected from the first 64 KiB) or Parquet (by the suffix ``.parquet``/``.pq``).

Every column is typed once: pyarrow infers the CSV's column types over the whole file, so a
numeric column arrives as float64 and never passes through Python objects. A text column (or
the ``text=`` columns, read as written) is trimmed and its missing cells (:data:`MISSING`, any
case) become null; a text column whose non-missing cells are at least :data:`MOSTLY_NUMERIC`
numbers is a numeric column with bad cells, and :attr:`Column.bad` holds their rows.

Bad files raise :class:`~.data.DataError` with one line: no such file, not UTF-8, a row with more
fields than the header, an unreadable Parquet file, a missing column.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: Cells read as missing in a CSV file (in any case, with surrounding spaces).
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-"})

#: A text column whose non-missing cells are at least this share of numbers is numeric: the
#: other cells are errors in a target, missing values in a feature.
MOSTLY_NUMERIC = 0.9

PARQUET_SUFFIXES = (".parquet", ".pq")

_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_DECIMAL_COMMA = re.compile(r"(^|[;\t])\s*-?[0-9]+,[0-9]+\s*(?=$|[;\t])", re.MULTILINE)
_DECIMAL_POINT = re.compile(r"(^|[;\t])\s*-?[0-9]+\.[0-9]+\s*(?=$|[;\t])", re.MULTILINE)


def _error(message: str):
    from .data import DataError

    return DataError(message)


@dataclass
class Column:
    """One column of a data file.

    ``numeric``: whether the column holds numbers; ``text``: the trimmed cells as written, None
    where missing (a pyarrow array; None for a column the file types as numbers); ``bad``: the
    0-based rows of a numeric column's cells that are not numbers. :meth:`numbers` gives the values.
    """

    name: str
    numeric: bool
    text: object = None
    bad: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    values: object = None  # numbers parsed from text (NumPy), or the file's float64 column (pyarrow)

    def numbers(self) -> np.ndarray:
        """float64 values, NaN where a cell is missing or not a number (a file's numeric column
        is converted on each call, so that only one column at a time is held twice)."""
        if isinstance(self.values, np.ndarray):
            return self.values
        numbers = self.values.to_numpy()  # nulls become NaN
        if not numbers.flags.writeable:
            numbers = numbers.copy()
        numbers[~np.isfinite(numbers)] = np.nan
        return numbers

    def missing(self) -> np.ndarray:
        """Whether each cell is missing (not a bad cell: those hold text)."""
        if self.text is not None:
            return self.text.is_null().to_numpy(zero_copy_only=False)
        return np.isnan(self.numbers())

    def examples(self, limit: int = 3) -> str:
        """The first bad cells, ``row 1,234: 'high'`` (rows counted from 1 after the header)."""
        return ", ".join(f"row {i + 1:,}: {self.text[int(i)].as_py()!r}" for i in self.bad[:limit])


@dataclass
class Table:
    """The columns of a data file, in file order, and how it was read (for the dataset's notes)."""

    name: str
    columns: list[Column]
    n_rows: int
    notes: list[str]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise _error(f"{self.name} has no column {name!r}; its columns are {', '.join(c.name for c in self.columns)}")


def require_pyarrow():
    """The pyarrow module, or ImportError with the install command."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ImportError("reading data files needs pyarrow: pip install pyarrow (or 'losskit[platform]')") from None
    import pyarrow

    return pyarrow


def release_arrow_memory() -> None:
    """Give the memory pyarrow's allocator keeps after reading back to the system."""
    import pyarrow

    pyarrow.default_memory_pool().release_unused()


def read_table(path, *, columns: list[str] | None = None, text: tuple[str, ...] = ()) -> Table:
    """The columns of the CSV or Parquet file ``path`` (only ``columns`` when given); the
    ``text`` columns are read as text, as written, then parsed as numbers where they are numeric."""
    path = Path(path)
    if not path.is_file():
        raise _error(f"no such data file: {path}" if path.suffix.lower() in PARQUET_SUFFIXES else f"no such CSV file: {path}")
    require_pyarrow()
    if path.suffix.lower() in PARQUET_SUFFIXES:
        arrow, notes = _read_parquet(path, columns), []
    else:
        arrow, notes = _read_csv(path, columns, text)
    decimal_comma, n_rows, typed = any("decimal comma" in note for note in notes), arrow.num_rows, []
    while arrow.num_columns:  # column by column, each one's text freed once it is typed
        typed.append(_column(arrow.column_names[0], arrow.column(0), decimal_comma, path.name))
        arrow = arrow.remove_column(0)
    return Table(path.name, typed, n_rows, notes)


def _check_columns(path: Path, header: list[str], columns: list[str] | None) -> None:
    missing = [c for c in columns or () if c not in header]
    if missing:
        raise _error(f"{path.name} has no column {missing[0]!r}; its columns are {', '.join(header)}")


def _read_parquet(path: Path, columns):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        _check_columns(path, pq.read_schema(path).names, columns)
        return pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError) as error:
        raise _error(f"{path.name} is not a readable Parquet file ({' '.join(str(error).split())})") from None


def _read_csv(path: Path, columns, text: tuple[str, ...]):
    import pyarrow as pa
    import pyarrow.csv as pv

    delimiter, quote, decimal_comma, header = _sniff(path)
    names = [h.strip() for h in header]
    _check_columns(path, names, columns)
    null_values = sorted({v for m in MISSING for v in (m, m.upper(), m.title(), m.capitalize())} | {"NaN"})
    convert = pv.ConvertOptions(
        null_values=null_values, strings_can_be_null=True, true_values=[], false_values=[],
        column_types={raw: pa.string() for raw, name in zip(header, names) if name in text},
        include_columns=None if columns is None else [raw for raw, name in zip(header, names) if name in columns],
        decimal_point="," if decimal_comma else ".",
    )  # fmt: skip
    invalid = []

    def on_invalid(row):
        invalid.append(row)
        return "error"

    parse = pv.ParseOptions(delimiter=delimiter, quote_char=quote, invalid_row_handler=on_invalid)
    try:
        arrow = pv.read_csv(path, read_options=pv.ReadOptions(use_threads=True), parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as error:
        if invalid:
            row = invalid[0]
            raise _error(f"{path.name}: a row has {row.actual_columns} fields where the header has {row.expected_columns}: {row.text[:80]!r}") from None
        if "UTF8" in str(error) or "UTF-8" in str(error):
            raise _error(f"{path.name} is not UTF-8 text") from None
        raise _error(f"{path.name} cannot be read as CSV ({' '.join(str(error).split())})") from None
    release_arrow_memory()  # the parser's buffers
    arrow = arrow.rename_columns([c.strip() for c in arrow.column_names])
    notes = [f"read with delimiter {delimiter!r} and a decimal comma"] if decimal_comma else []
    return arrow, notes


def _sniff(path: Path) -> tuple[str, str, bool, list[str]]:
    """``(delimiter, quote, decimal_comma, header)`` from the first 64 KiB."""
    with path.open("rb") as f:
        raw = f.read(65536)
    if not raw.strip():
        raise _error(f"{path.name} is empty")
    try:
        sample = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.start < len(raw) - 4:  # not a character cut at the end of the sample
            raise _error(f"{path.name} is not UTF-8 text ({e.reason} at byte {e.start})") from None
        sample = raw[: e.start].decode("utf-8-sig")
    if len(raw) == 65536 and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    header = next(csv.reader(sample.splitlines()[:1], dialect), [])
    if not any(h.strip() for h in header):
        raise _error(f"{path.name} is empty")
    body = "\n".join(sample.splitlines()[1:])
    decimal_comma = dialect.delimiter != "," and bool(_DECIMAL_COMMA.search(body)) and not _DECIMAL_POINT.search(body)
    return dialect.delimiter, dialect.quotechar or '"', decimal_comma, header


def _column(name: str, values, decimal_comma: bool, file: str) -> Column:
    """A typed :class:`Column` from a pyarrow chunked array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = values.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return Column(name, True, values=values.cast(pa.float64()))
    if pa.types.is_null(kind):
        return Column(name, True, values=np.full(len(values), np.nan))
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        raise _error(f"{file}: the column {name!r} is not UTF-8 text")
    if pa.types.is_dictionary(kind):
        values = values.cast(kind.value_type)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        values = values.cast(pa.string())  # booleans, dates, times: categories as text
    values = pc.utf8_trim_whitespace(values.combine_chunks())
    missing = pc.is_in(pc.utf8_lower(values), value_set=pa.array(sorted(MISSING)))
    cells = pc.if_else(pc.fill_null(missing, True), pa.scalar(None, values.type), values)
    spelled = pc.replace_substring(cells, ",", ".") if decimal_comma else cells
    is_number = pc.fill_null(pc.match_substring_regex(spelled, _NUMBER), False)
    n_numbers, n_cells = pc.sum(is_number).as_py() or 0, len(cells) - cells.null_count
    if n_cells == 0 or n_numbers < MOSTLY_NUMERIC * n_cells:
        return Column(name, False, cells)
    numbers = pc.if_else(is_number, spelled, pa.scalar(None, values.type)).cast(pa.float64()).to_numpy(zero_copy_only=False)
    numbers = np.where(np.isfinite(numbers), numbers, np.nan)
    bad = np.flatnonzero(~is_number.to_numpy(zero_copy_only=False) & ~cells.is_null().to_numpy(zero_copy_only=False))
    return Column(name, True, cells, bad, numbers)
