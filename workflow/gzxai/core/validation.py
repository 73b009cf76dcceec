"""How data contracts are written and checked: columns, table specs, array-file specs, and
the readers and checks every file crossing a stage boundary goes through.

A :class:`TableSpec` names a table's columns, their kinds, units and whether they may be
empty. Readers of the real sources' files and writers of canonical tables both go through
:func:`conform`, so a column that is missing, of the wrong kind or unparseable produces a
message naming the file, row and column (or a quarantine row), never a silent drop. An
:class:`NpzSpec` does the same for the arrays of an ``.npz`` file (names, dtypes, shapes).

The contracts themselves are in :mod:`gzxai.core.contracts`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from gzxai.core.errors import InputError

COLUMN_DTYPES = {
    "int": "int64",
    "float": "float64",
    "float32": "float32",
    "str": "string",
    "bool": "bool",
}

QUARANTINE_COLUMNS = ["file", "row", "id", "column", "value", "reason"]

#: Column that :func:`read_csv` adds to the rows it returns: their line in the file, so that
#: a check made later (a join, a tree sum) can still point at the line.
LINE = "source_line"

_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    unit: str = ""
    nullable: bool = False
    description: str = ""
    #: Numbers a source writes for "not measured" (SDSS: -9999); such a row is quarantined.
    sentinels: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_DTYPES:
            raise ValueError(f"column {self.name}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    key: str | None = None
    description: str = ""
    #: Columns a file may carry beyond these are kept (True) or dropped (False).
    keep_extra: bool = False
    column_index: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_index", {c.name: c for c in self.columns})

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def quarantine_record(
    file: str | Path,
    reason: str,
    *,
    row: int | None = None,
    id: object = None,
    column: str | None = None,
    value: object = None,
) -> dict:
    """One row set aside: which file, line, id, column and value, and why."""
    return {
        "file": str(file),
        "row": None if row is None or pd.isna(row) else int(row),
        "id": None if id is None or (not isinstance(id, str) and pd.isna(id)) else str(id),
        "column": column,
        "value": None if value is None or (not isinstance(value, str) and pd.isna(value))
        else str(value),
        "reason": reason,
    }  # fmt: skip


def quarantine_frame(rows: list[dict] | None = None) -> pd.DataFrame:
    """A quarantine report (rows of :func:`quarantine_record`)."""
    return pd.DataFrame(rows or [], columns=QUARANTINE_COLUMNS).astype(
        {
            "file": "string",
            "row": "Int64",
            "id": "string",
            "column": "string",
            "value": "string",
            "reason": "string",
        }
    )


def missing_columns(header: Sequence[str], spec: TableSpec, source: str | Path) -> None:
    """Raise :class:`InputError` if ``header`` lacks a column of ``spec``, naming for each the
    closest header the file does have (a renamed column is the usual cause)."""
    header = [str(name) for name in header]
    missing = [name for name in spec.names if name not in header]
    if not missing:
        return
    described = []
    for name in missing:
        close = difflib.get_close_matches(name, header, n=1, cutoff=0.6)
        described.append(f"{name} (closest in the file: {close[0]})" if close else name)
    raise InputError(
        f"{source}: missing column(s) {', '.join(described)} required by the {spec.name} "
        f"contract (the file has {len(header)} columns, starting {', '.join(header[:8])})"
    )


def parse_integers(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Integers read exactly from text: (Int64 values, reason per unusable value).

    18-digit SDSS objids do not survive a float64 round trip, so text is never parsed as a
    float. ``587732591714893851.0`` and ``5.87732591714893851e+17`` spell every digit and are
    read exactly; ``5.877325917148938e+17`` does not (its last digits were lost when it was
    written as a float) and is reported, as are fractions, non-numbers and values outside
    the 64-bit range. Empty values are <NA> without a reason (the caller decides).
    """
    text = raw.astype("string").str.strip()
    values = pd.Series(pd.NA, index=raw.index, dtype="Int64")
    reasons = pd.Series(pd.NA, index=raw.index, dtype="string")
    present = text.notna() & (text != "")
    plain = present & text.str.fullmatch(r"[+-]?\d{1,18}").fillna(False)
    values[plain] = text[plain].astype("Int64")
    for i in np.flatnonzero((present & ~plain).to_numpy()):
        value, reason = _exact_integer(text.iloc[i])
        if reason is None:
            values.iloc[i] = value
        else:
            reasons.iloc[i] = reason
    return values, reasons


def _exact_integer(text: str) -> tuple[int | None, str | None]:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, "not a number (int)"
    if not number.is_finite():
        return None, "not a number (int)"
    if number != number.to_integral_value():
        return None, "not an integer"
    if number.as_tuple().exponent > 0:
        return None, ("integer written in floating point with digits lost; write ids as integers")
    value = int(number)
    if not _INT64[0] <= value <= _INT64[1]:
        return None, "integer outside the 64-bit range"
    return value, None


class _Rows:
    """The rows :func:`conform` sets aside, with a quarantine record for each (the first
    problem of a row is the one recorded)."""

    def __init__(self, source: str | Path, lines: np.ndarray, keys: pd.Series | None) -> None:
        self.source, self.lines, self.keys = source, lines, keys
        self.bad = np.zeros(len(lines), dtype=bool)
        self.problems: list[dict] = []

    def flag(self, mask: np.ndarray, column: str, values: pd.Series, reason) -> None:
        for i in np.flatnonzero(mask & ~self.bad):
            self.problems.append(
                quarantine_record(
                    self.source,
                    reason if isinstance(reason, str) else reason.iloc[i],
                    row=self.lines[i],
                    id=None if self.keys is None else self.keys.iloc[i],
                    column=column,
                    value=values.iloc[i],
                )
            )
        self.bad[mask] = True


def _converted(col: Column, raw: pd.Series, rows: _Rows) -> pd.Series:
    """One column parsed as its kind; unparseable, sentinel and missing values flagged."""
    empty = (
        raw.isna().to_numpy() | (raw.astype("string").str.strip() == "").fillna(False).to_numpy()
    )
    if col.kind == "int":
        values, reasons = parse_integers(raw)
        rows.flag(reasons.notna().to_numpy(), col.name, raw, reasons)
    elif col.kind in ("float", "float32"):
        values = pd.to_numeric(raw, errors="coerce")
        unparseable = values.isna().to_numpy() & ~empty
        rows.flag(unparseable, col.name, raw, f"not a number ({col.kind})")
    elif col.kind == "bool":
        values = raw.astype("boolean")
    else:
        values = raw.astype("string")
    for sentinel in col.sentinels:
        hit = (values == sentinel).fillna(False).to_numpy(bool)
        rows.flag(hit, col.name, raw, f"sentinel {sentinel:g}: the source has no measurement")
    if not col.nullable:
        rows.flag(empty, col.name, raw, "empty value in a required column")
    return values


def conform(
    table: pd.DataFrame,
    spec: TableSpec,
    source: str | Path,
    first_row: int = 2,
    keep_lines: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check ``table`` against ``spec``; return the conforming rows and a quarantine report.

    Missing columns raise :class:`InputError` (the whole file is unusable). Values that do
    not parse as their column's kind, empty values in non-nullable columns, sentinels and
    duplicate keys send their row to the quarantine report. Rows are located by their
    :data:`LINE` column where the table has one, else as lines from ``first_row`` (2 for a
    CSV with a header line). ``keep_lines`` keeps that column in the result.
    """
    missing_columns(list(table.columns), spec, source)
    table = table.reset_index(drop=True)
    lines = (
        table[LINE].astype("Int64").to_numpy(dtype=object, na_value=None)
        if LINE in table.columns
        else np.arange(first_row, first_row + len(table))
    )
    keys = table[spec.key].astype("string") if spec.key else None
    rows = _Rows(source, lines, keys)
    out = pd.DataFrame({col.name: _converted(col, table[col.name], rows) for col in spec.columns})
    if spec.key:
        rows.flag(keys.duplicated(keep="first").to_numpy(), spec.key, table[spec.key],
                  f"duplicate {spec.key}")  # fmt: skip
    if spec.keep_extra:
        extra = [c for c in table.columns if c not in spec.column_index and c != LINE]
        out = pd.concat([out, table[extra]], axis=1)
    if keep_lines:
        out[LINE] = lines
    out = out.loc[~rows.bad].reset_index(drop=True)
    for col in spec.columns:
        out[col.name] = out[col.name].astype("Int64" if col.kind == "int" and col.nullable
                                              else COLUMN_DTYPES[col.kind])  # fmt: skip
    return out, quarantine_frame(rows.problems)


def read_csv(path: str | Path, spec: TableSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a CSV (optionally .gz) source file and :func:`conform` it to ``spec``.

    Every value is read as text first, so nothing is silently mis-typed; lines with the wrong
    number of fields go to the quarantine report with their line number (pandas' C parser
    would silently cut such a line to the selected columns). The rows returned carry their
    file line in :data:`LINE`.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found (needed for the {spec.name} table)")
    broken: list[dict] = []

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        broken.append(
            quarantine_record(
                path,
                "wrong number of fields",
                row=row.number if row.number > 0 else None,
                id=row.text.split(",", 1)[0],
                value=row.text[:200],
            )
        )
        return "skip"

    header = read_header(path)
    missing_columns(header, spec, path)
    wanted = header if spec.keep_extra else [name for name in header if name in spec.column_index]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid_row),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types={name: pa.string() for name in wanted},
                null_values=[""],
                strings_can_be_null=True,
            ),
        ).to_pandas()
    except (pa.ArrowInvalid, OSError, EOFError) as err:
        raise InputError(f"{path}: cannot be read as CSV ({err})") from err
    skipped = {record["row"] for record in broken if record["row"] is not None}
    table[LINE] = _lines_of_kept_rows(len(table), skipped)
    good, quarantine = conform(table, spec, path, keep_lines=True)
    if broken:
        quarantine = pd.concat([quarantine_frame(broken), quarantine], ignore_index=True)
    return good, quarantine


def read_header(path: str | Path) -> list[str]:
    """The column names of a CSV (optionally .gz) file; unreadable files raise InputError."""
    try:
        reader = pacsv.open_csv(
            path, parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip")
        )
    except (pa.ArrowInvalid, OSError, EOFError) as err:
        raise InputError(f"{path}: cannot be read as CSV ({err})") from err
    return reader.schema.names


def read_integer_column(path: str | Path, column: str, table: str) -> pd.Series:
    """One integer column (an id) of a CSV file, read exactly; a missing column names the
    closest one and values that are not exact integers raise naming their line."""
    spec = TableSpec(name=table, columns=(Column(column, "int"),))
    good, quarantine = read_csv(path, spec)
    unusable = quarantine[~quarantine["reason"].str.startswith("duplicate")]
    if len(unusable):
        first = unusable.iloc[0]
        raise InputError(
            f"{path}: line {first['row']}, column {column}: {first['value']!r} is not usable "
            f"({first['reason']}); {len(unusable)} such line(s)"
        )
    return good[column]


def _lines_of_kept_rows(n_kept: int, skipped: set[int]) -> np.ndarray:
    """File lines (header = line 1) of the rows pyarrow kept, given the lines it skipped."""
    lines = np.arange(2, 2 + n_kept + len(skipped))
    return lines[~np.isin(lines, sorted(skipped))][:n_kept]


@dataclass(frozen=True)
class ArraySpec:
    """One array of an ``.npz`` file: its dtype and shape, with named dimensions (``"n"``)
    that must agree across the file's arrays, or fixed sizes."""

    name: str
    dtype: str
    shape: tuple[str | int, ...]
    description: str = ""


@dataclass(frozen=True)
class NpzSpec:
    name: str
    description: str
    arrays: tuple[ArraySpec, ...]
    #: An array whose values must be distinct (the galaxy ids).
    unique: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.arrays)

    def problem(self, arrays: Mapping[str, np.ndarray]) -> str | None:
        """What breaks the contract in ``arrays`` (those given), or None."""
        sizes: dict[str, int] = {}
        for spec in self.arrays:
            if spec.name not in arrays:
                continue
            value = np.asarray(arrays[spec.name])
            if value.dtype != np.dtype(spec.dtype):
                return f"array {spec.name} is {value.dtype}; the {self.name} contract: {spec.dtype}"
            if value.ndim != len(spec.shape):
                return (
                    f"array {spec.name} has shape {value.shape}, the {self.name} contract says "
                    f"({', '.join(map(str, spec.shape))})"
                )
            for size, dim in zip(value.shape, spec.shape, strict=True):
                expected = dim if isinstance(dim, int) else sizes.setdefault(dim, size)
                if size != expected:
                    return f"array {spec.name} has {dim} = {size}, other arrays {expected}"
        if self.unique in arrays:
            values = np.asarray(arrays[self.unique])
            if len(np.unique(values)) != len(values):
                return f"array {self.unique} repeats values"
        return None
