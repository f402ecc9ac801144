"""The first stages of reading a CSV file: text -> rows of cells -> header -> parsed columns.

Each stage takes and returns plain values (text, lists of cells, arrays), so a faster reader
or new detections (decimal commas, preambles) can replace one stage without touching the
others. :func:`read_table` chains the stages into a :class:`Table`; :func:`parse_column`
turns one column of it into numbers, missing-value and text masks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nncore.errors import DataError

from .csv_sniff import MISSING_TOKENS, CsvLayout, sniff_csv, split_rows, to_float
from .files import LoadControl, PathLike, existing_file, read_lines

ColumnRef = str | int

_F32_MAX = float(np.finfo(np.float32).max)


@dataclass
class Table:
    """The cells of a CSV file, header split off."""

    file: str                 # display name (file name)
    header: list[str] | None
    names: list[str]          # column names (from the header, else 'col1', 'col2', ...)
    rows: list[list[str]]
    lines: list[int]          # physical line number of each row (1-based)
    delimiter: str
    #: Numbers may use a decimal comma.
    decimal_comma: bool = False

    def col(self, j: int) -> str:
        """How messages refer to column ``j``."""
        if self.header is not None:
            return f"column '{self.names[j]}'"
        return f"column {j + 1}"

    def where(self, i: int, j: int) -> str:
        """How messages refer to the cell of row ``i``, column ``j``."""
        return f"{self.file} line {self.lines[i]}, {self.col(j)}"

    def resolve(self, ref: ColumnRef, what: str = "column") -> int:
        """Index of the column named or numbered ``ref`` (negative indices count from the end)."""
        n = len(self.names)
        if isinstance(ref, (bool, np.bool_)):
            raise DataError(f"{what} must be a column name or index, got {ref!r}")
        if isinstance(ref, (int, np.integer)):
            j = int(ref)
            if not -n <= j < n:
                raise DataError(f"{self.file}: {what} index {j} is out of range "
                                f"(the file has {n} columns)")
            return j % n
        if isinstance(ref, str):
            return self._resolve_name(ref)
        raise DataError(f"{what} must be a column name or index, got {ref!r}")

    def _resolve_name(self, ref: str) -> int:
        if ref in self.names:
            return self.names.index(ref)
        # Then ignoring case and surrounding spaces, when that is unambiguous.
        stripped = [c.strip().lower() for c in self.names]
        key = ref.strip().lower()
        if stripped.count(key) == 1:
            return stripped.index(key)
        n = len(self.names)
        shown = ", ".join(repr(c) for c in self.names[:20])
        more = ", ..." if n > 20 else ""
        hint = "" if self.header is not None else " (the file has no header row; " \
                                                  "use a column index)"
        raise DataError(f"{self.file}: no column named {ref!r}{hint}; columns are: "
                        f"{shown}{more}")


# -- rows ------------------------------------------------------------------------------
def check_widths(rows: list[list[str]], lines: list[int], file: str) -> None:
    """Every row must have as many cells as the first."""
    width = len(rows[0])
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            raise DataError(f"{file} line {line}: {len(row)} fields, expected {width} "
                            f"(as in line {lines[0]}); every row must have the same number "
                            f"of columns")


# -- header ------------------------------------------------------------------------------
def unique_names(names: list[str]) -> list[str]:
    """``names`` with repeats renamed ``name.1``, ``name.2``, ..."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            candidate = f"{name}.{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}.{seen[name]}"
            out.append(candidate)
            seen[candidate] = 0
        else:
            seen[name] = 0
            out.append(name)
    return out


def column_names(header: list[str] | None, width: int) -> list[str]:
    """Names from the header (blank cells and repeats made unique), else ``col1``, ..."""
    if header is None:
        return [f"col{j + 1}" for j in range(width)]
    return unique_names([h if h else f"col{j + 1}" for j, h in enumerate(header)])


def read_table(path: PathLike, has_header: bool | None = None,
               delimiter: str | None = None, control: LoadControl | None = None,
               layout: CsvLayout | None = None) -> Table:
    """Read a CSV file into a :class:`Table` (validates emptiness, raggedness and header),
    following ``layout`` (default: :func:`~.csv_sniff.sniff_csv` with ``has_header`` and
    ``delimiter``)."""
    p = existing_file(path)
    if layout is None:
        layout = sniff_csv(p, has_header, delimiter, control)
    lines, _ = read_lines(p, control, keepends=True)
    rows, starts = split_rows(lines, layout.delimiter, p.name)
    del lines
    if not rows:
        raise DataError(f"{p.name} is empty")
    check_widths(rows, starts, p.name)
    width = len(rows[0])
    header: list[str] | None = None
    if layout.has_header:
        header = rows[0]
        rows, starts = rows[1:], starts[1:]
        if not rows:
            raise DataError(f"{p.name} has a header row but no data rows")
    return Table(p.name, header, column_names(header, width), rows, starts, layout.delimiter,
                 layout.decimal_comma)


# -- columns -----------------------------------------------------------------------------
@dataclass
class Column:
    """Parsed cells of one CSV column."""

    index: int
    values: np.ndarray        # float64, NaN where missing or text
    missing: np.ndarray       # bool
    text: np.ndarray          # bool: non-missing cell that is not a number

    @property
    def n_text(self) -> int:
        return int(self.text.sum())

    @property
    def n_numbers(self) -> int:
        return int((~self.missing & ~self.text).sum())


def parse_column(table: Table, j: int) -> Column:
    """Column ``j`` of ``table`` as numbers, with masks of its missing and text cells."""
    n = len(table.rows)
    cells = [row[j] for row in table.rows]           # already stripped by split_rows
    text = np.zeros(n, dtype=bool)
    try:                                   # fast path: a numeric column (NaN only from 'nan')
        values = np.array(cells, dtype=np.float64)
    except ValueError:
        pass
    else:
        if "_" not in "".join(cells):
            return Column(j, values, np.isnan(values), text)
    missing = np.fromiter((c.lower() in MISSING_TOKENS for c in cells), dtype=bool, count=n)
    values = np.full(n, np.nan)
    dc = table.decimal_comma
    for i, cell in enumerate(cells):
        if missing[i]:
            continue
        v = to_float(cell, dc)
        if v is None:
            text[i] = True
        else:
            values[i] = v
    return Column(j, values, missing, text)


def first_text_error(table: Table, cols: list[Column]) -> DataError | None:
    """Error for the earliest text cell (in file order) among numeric columns ``cols``."""
    best: tuple[int, int] | None = None
    for c in cols:
        hits = np.flatnonzero(c.text)
        if hits.size and (best is None or (hits[0], c.index) < best):
            best = (int(hits[0]), c.index)
    if best is None:
        return None
    i, j = best
    return DataError(f"{table.where(i, j)}: expected a number, got {table.rows[i][j]!r}")


def check_finite(table: Table, col: Column) -> None:
    """Numbers must be finite and fit in float32."""
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~col.missing & ~col.text
                             & ~(np.abs(col.values) <= _F32_MAX))
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{table.where(i, col.index)}: expected a finite number, got "
                        f"{table.rows[i][col.index]!r}")


def numeric_columns(table: Table) -> list[Column]:
    """Every column of ``table``, which must all be numbers with no missing value."""
    cols = [parse_column(table, j) for j in range(len(table.names))]
    err = first_text_error(table, cols)
    if err is not None:
        raise err
    for c in cols:
        if c.missing.any():
            i = int(np.flatnonzero(c.missing)[0])
            raise DataError(f"{table.where(i, c.index)}: missing value")
        check_finite(table, c)
    return cols

