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

from .csv_sniff import (
    MISSING_TOKENS,
    CsvLayout,
    CsvOptions,
    drop_comments,
    sniff_csv,
    split_rows,
    to_float,
)
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
    #: Cells that mean a missing value (lower-case).
    missing: frozenset[str] = MISSING_TOKENS
    #: What messages call a row's place: ``line`` in a text file, ``row`` in a workbook.
    row_word: str = "line"

    def col(self, j: int) -> str:
        """How messages refer to column ``j``."""
        if self.header is not None:
            return f"column '{self.names[j]}'"
        return f"column {j + 1}"

    def where(self, i: int, j: int) -> str:
        """How messages refer to the cell of row ``i``, column ``j``."""
        return f"{self.file} {self.row_word} {self.lines[i]}, {self.col(j)}"

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
def check_widths(rows: list[list[str]], lines: list[int], layout: CsvLayout) -> None:
    """Every row must have as many cells as the first; the message says which option
    would help when a line looks like a comment or the delimiter seems wrong."""
    width = len(rows[0])
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            raise DataError(f"{layout.file} line {line}: {len(row)} fields, expected {width} "
                            f"(as in line {lines[0]}); every row must have the same number "
                            f"of columns{_width_hint(row, line, lines, layout)}")


def _width_hint(row: list[str], line: int, lines: list[int], layout: CsvLayout) -> str:
    mark = (row[0] if row else "").lstrip()[:1]
    if mark and mark in "#%;!/" and mark != layout.comment:
        return f"; if lines starting with {mark!r} are comments, set comment={mark!r}"
    if len(lines) > 1 and line == lines[1]:
        return (f"; if line {lines[0]} is not part of the table, skip it with "
                f"skip_rows={lines[0]}")
    if len(row) == 1 or (layout.header and len(layout.header) == 1):
        return ("; the fields may be separated by another character: set delimiter (such "
                "as ',', ';', '|', '\\t' or 'whitespace')")
    return ""


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


def read_table(path: PathLike, opts: CsvOptions | None = None,
               control: LoadControl | None = None, layout: CsvLayout | None = None) -> Table:
    """Read a CSV file into a :class:`Table` (validates emptiness, raggedness and header),
    following ``layout`` (default: :func:`~.csv_sniff.sniff_csv` with ``opts``)."""
    p = existing_file(path)
    if layout is None:
        layout = sniff_csv(p, opts, control)
    lines, _ = read_lines(p, control, keepends=True)
    lines = drop_comments(lines[layout.skip_rows:], layout.comment)
    rows, starts = split_rows(lines, layout, p.name)
    del lines
    starts = [s + layout.skip_rows for s in starts]
    if not rows:
        raise DataError(f"{p.name} is empty")
    if layout.has_header:
        rows[0] = list(layout.header or rows[0])
    check_widths(rows, starts, layout)
    width = len(rows[0])
    header: list[str] | None = None
    if layout.has_header:
        header = rows[0]
        rows, starts = rows[1:], starts[1:]
        if not rows:
            raise DataError(f"{p.name} has a header row but no data rows")
    return Table(p.name, header, column_names(header, width), rows, starts, layout.delimiter,
                 layout.decimal_comma, layout.missing)


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
        if "_" not in "".join(cells) and table.missing == MISSING_TOKENS:
            return Column(j, values, np.isnan(values), text)
    tokens = table.missing
    missing = np.fromiter((c.lower() in tokens for c in cells), dtype=bool, count=n)
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
    cell = table.rows[i][j]
    return DataError(f"{table.where(i, j)}: expected a number, got {cell!r}"
                     f"{_text_hint(table, i, cell)}")


#: Texts that often mean "no value" in files (besides MISSING_TOKENS).
_MAYBE_MISSING = frozenset({"-", "--", "---", ".", "*", "n.a.", "missing", "#n/a", "nil",
                            "unknown", "#value!", "#div/0!", "x", "empty", "nd", "n.d."})


def _text_hint(table: Table, i: int, cell: str) -> str:
    """Which option would read ``cell`` (row ``i``) as the user meant, when one would."""
    if cell.lower() in _MAYBE_MISSING or cell == "-999":
        return f"; if {cell!r} means a missing value, add it to missing_values"
    if not table.decimal_comma and to_float(cell, True) is not None:
        return "; if ',' is the decimal mark, set decimal=','"
    if i == 0 and table.header is None:
        return (f"; if line {table.lines[0]} is not part of the table, skip it with "
                f"skip_rows={table.lines[0]}")
    return ""


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

