"""What a CSV file looks like, judged from its head (the first :data:`HEAD_LINES` lines):
:func:`sniff_csv` returns a :class:`CsvLayout` (encoding, delimiter, decimal comma, header,
where the data starts) that both readers follow: the fast all-numeric reader
(:mod:`.csv_fast`) and the general one (:func:`.csv_table.read_table`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nncore.errors import DataError

from .files import LoadControl, read_lines

#: Lines of the head that detection looks at.
HEAD_LINES = 200
#: Cells read as missing values (compared lower-case, after stripping).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
#: Candidate delimiters, in the order ties are broken.
DELIMITERS = (",", ";", "\t", "|")


@dataclass
class CsvLayout:
    """How to read one CSV file, as detected from its head or given as options."""

    file: str
    encoding: str
    delimiter: str
    decimal_comma: bool
    has_header: bool
    header: list[str] | None
    #: Physical lines before the first data row (the header and anything above it).
    data_start: int
    #: The data rows of the head (stripped cells) and the line each starts on (1-based).
    head_rows: list[list[str]] = field(default_factory=list)
    head_lines: list[int] = field(default_factory=list)
    #: The head holds the whole file.
    whole_file: bool = False

    def to_meta(self) -> dict[str, Any]:
        """What was detected, as plain data (``Dataset.meta['csv']``)."""
        return {"encoding": self.encoding, "delimiter": self.delimiter,
                "decimal": "," if self.decimal_comma else ".",
                "has_header": self.has_header, "data_start_line": self.data_start + 1}


# -- cells -------------------------------------------------------------------------------
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


# -- text -> rows ------------------------------------------------------------------------
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


def split_rows(lines: Any, delimiter: str, file: str) -> tuple[list[list[str]], list[int]]:
    """The non-blank rows of ``lines`` (an iterable of lines ending in ``"\\n"``) as
    stripped cells, and the line each starts on."""
    rows: list[list[str]] = []
    starts: list[int] = []
    reader = csv.reader(lines, delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            if row:
                cells = [c.strip() for c in row]
                if any(cells):
                    rows.append(cells)
                    starts.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"{file} line {reader.line_num}: malformed CSV ({exc})") from None
    return rows, starts


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
        cells = [r[j] for r in rest if j < len(r) and not is_missing(r[j])]
        n_num = sum(to_float(c, decimal_comma) is not None for c in cells)
        if cells and n_num * 2 > len(cells):
            return True
    # Only text columns: a header value does not reappear in its own column.
    return all(first[j] not in {r[j] for r in rest if j < len(r)} for j in range(len(first)))


def check_delimiter(delimiter: Any, file: str) -> None:
    """A given delimiter must be one character other than a quote or a line break."""
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or delimiter in '"\r\n'):
        raise DataError(f"{file}: delimiter must be one character such as ',' or ';' (not "
                        f"a quote or a line break), received {delimiter!r}")


def sniff_csv(path: Path, has_header: bool | None = None, delimiter: str | None = None,
              control: LoadControl | None = None) -> CsvLayout:
    """The layout of the CSV file ``path`` from its head; ``has_header`` and ``delimiter``
    override what detection would find."""
    check_delimiter(delimiter, path.name)
    lines, encoding = read_lines(path, control, keepends=True, max_lines=HEAD_LINES + 1)
    whole = len(lines) <= HEAD_LINES
    lines = lines[:HEAD_LINES]
    text = "".join(lines)
    if not text.strip():
        raise DataError(f"{path.name} is empty")
    if delimiter is None:
        delimiter = choose_delimiter(text, path.name)
    if not whole:  # the last line may be cut short
        lines = lines[:-1]
    rows, starts = split_rows(lines, delimiter, path.name)
    if not rows:
        raise DataError(f"{path.name} is empty")
    decimal_comma = delimiter == ";"
    if has_header is None:
        has_header = looks_like_header(rows, decimal_comma)
    header = rows[0] if has_header else None
    if has_header:
        rows, starts = rows[1:], starts[1:]
        data_start = _line_after(lines, header_start=1, delimiter=delimiter)
    else:
        data_start = 0
    return CsvLayout(path.name, encoding, delimiter, decimal_comma, bool(has_header), header,
                     data_start, rows, starts, whole)


def _line_after(lines: list[str], header_start: int, delimiter: str) -> int:
    """Physical lines up to the end of the row that starts the head (the header), which a
    quoted field may spread over several lines."""
    reader = csv.reader(lines, delimiter=delimiter)
    for row in reader:
        if row and any(c.strip() for c in row):
            return reader.line_num
    return header_start
