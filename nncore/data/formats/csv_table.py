"""The first stages of reading a CSV file: text -> rows of cells -> header -> parsed columns.

Each stage takes and returns plain values (text, lists of cells, arrays), so a faster reader
or new detections (decimal commas, preambles) can replace one stage without touching the
others. :func:`read_table` chains the stages into a :class:`Table`; :func:`parse_column`
turns one column of it into numbers, missing-value and text masks.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from nncore.errors import DataError

from .files import PathLike, existing_file, read_text

ColumnRef = str | int

#: Cells read as missing values (compared lower-case, after stripping).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
#: Candidate delimiters, in the order ties are broken.
DELIMITERS = (",", ";", "\t", "|")

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

    @property
    def decimal_comma(self) -> bool:
        """Numbers may use a decimal comma (only when ';' separates the fields)."""
        return self.delimiter == ";"

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


# -- text -> rows ------------------------------------------------------------------------
def is_missing(cell: str) -> bool:
    """Whether ``cell`` is a missing value (see :data:`MISSING_TOKENS`)."""
    return cell.strip().lower() in MISSING_TOKENS


def to_float(cell: str, decimal_comma: bool = False) -> float | None:
    """``cell`` as a float, or ``None`` if it is not a number (missing cells excluded)."""
    s = cell.strip()
    if "_" in s:
        return None
    try:
        return float(s)
    except ValueError:
        pass
    if decimal_comma and s.count(",") == 1 and "." not in s:
        try:
            return float(s.replace(",", "."))
        except ValueError:
            return None
    return None


def _csv_rows(lines: list[str], delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return []


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter among , ; TAB | that splits the first lines most consistently."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", (-1, -1)
    for cand in DELIMITERS:
        counts = [len(row) for row in _csv_rows(lines, cand)]
        if not counts or max(counts) < 2:
            continue
        consistent = sum(c == counts[0] for c in counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = cand, score
    return best


def choose_delimiter(text: str, file: str) -> str:
    """TAB for ``.tsv`` files, else the sniffed delimiter."""
    if file.lower().endswith((".tsv", ".tsv.gz")):
        return "\t"
    return sniff_delimiter(text)


def split_rows(text: str, delimiter: str, file: str) -> tuple[list[list[str]], list[int]]:
    """The non-blank rows of ``text`` as stripped cells, and the line each starts on."""
    rows: list[list[str]] = []
    lines: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            if row:
                cells = [c.strip() for c in row]
                if any(cells):
                    rows.append(cells)
                    lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"{file} line {reader.line_num}: malformed CSV ({exc})") from None
    if not rows:
        raise DataError(f"{file} is empty")
    return rows, lines


def check_widths(rows: list[list[str]], lines: list[int], file: str) -> None:
    """Every row must have as many cells as the first."""
    width = len(rows[0])
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            raise DataError(f"{file} line {line}: {len(row)} fields, expected {width} "
                            f"(as in line {lines[0]}); every row must have the same number "
                            f"of columns")


# -- header ------------------------------------------------------------------------------
def looks_like_header(rows: list[list[str]], decimal_comma: bool) -> bool:
    """The first row is a header when none of its cells is a number and either a column
    below it is mostly numeric or none of its values reappears in its column."""
    first, rest = rows[0], rows[1:]
    if any(to_float(c, decimal_comma) is not None for c in first):
        return False
    if all(is_missing(c) for c in first):
        return False
    if not rest:
        return True
    for j in range(len(first)):
        cells = [r[j] for r in rest if not is_missing(r[j])]
        n_num = sum(to_float(c, decimal_comma) is not None for c in cells)
        if cells and n_num * 2 > len(cells):
            return True
    # Only text columns: a header value does not reappear in its own column.
    return all(first[j] not in {r[j] for r in rest} for j in range(len(first)))


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
               delimiter: str | None = None) -> Table:
    """Read a CSV file into a :class:`Table` (validates emptiness, raggedness and header)."""
    p = existing_file(path)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or delimiter in '"\r\n'):
        raise DataError(f"{p.name}: delimiter must be one character such as ',' or ';' (not "
                        f"a quote or a line break), received {delimiter!r}")
    text = read_text(p)
    if not text.strip():
        raise DataError(f"{p.name} is empty")
    if delimiter is None:
        delimiter = choose_delimiter(text, p.name)
    rows, lines = split_rows(text, delimiter, p.name)
    check_widths(rows, lines, p.name)
    width = len(rows[0])
    if has_header is None:
        has_header = looks_like_header(rows, delimiter == ";")
    header: list[str] | None = None
    if has_header:
        header = rows[0]
        rows, lines = rows[1:], lines[1:]
        if not rows:
            raise DataError(f"{p.name} has a header row but no data rows")
    return Table(p.name, header, column_names(header, width), rows, lines, delimiter)


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

