"""What a CSV file looks like, judged from its head (the first :data:`HEAD_LINES` lines):
:func:`sniff_csv` returns a :class:`CsvLayout` that both readers follow, the fast
all-numeric one (:mod:`.csv_fast`) and the general one (:func:`.csv_table.read_table`).

Detected, each unless given as an option (:class:`CsvOptions`):

* the encoding (UTF-8 with or without a byte-order mark, UTF-16 with one, else Latin-1)
  and the line ends (LF, CRLF, CR), in :mod:`.files`;
* comment lines: lines starting with ``#``;
* the delimiter: among ``, ; TAB |`` and runs of spaces, the one that splits the most
  lines into the same number (at least 2) of fields; ties go to ``;``, TAB, ``|``, ``,``,
  then spaces (a European file with decimal commas splits evenly on both ``,`` and ``;``);
* a decimal comma: numbers such as ``3,5`` (or ``1.234,5``) when the delimiter is not a comma;
* preamble lines and the header (:mod:`.csv_head`);
* missing values: empty cells and the :data:`MISSING_TOKENS` (found ones are counted by
  the reader).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nncore.errors import DataError

from .files import LoadControl, head_bytes, read_lines

#: Lines of the head that detection looks at.
HEAD_LINES = 200
#: Cells read as missing values by default (compared lower-case, after stripping).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
#: Candidate delimiters, most preferred first on a tie; WHITESPACE means runs of spaces/tabs.
WHITESPACE = "whitespace"
DELIMITERS = (";", "\t", "|", ",", WHITESPACE)
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+,\d*")


@dataclass
class CsvOptions:
    """What the user said about the file (None: detect)."""

    has_header: bool | None = None
    delimiter: str | None = None
    skip_rows: int | None = None
    decimal: str | None = None
    comment: str | None = None
    missing_values: tuple[str, ...] | None = None


@dataclass
class CsvLayout:
    """How to read one CSV file, as detected from its head or given as options."""

    file: str
    encoding: str
    delimiter: str
    decimal_comma: bool
    has_header: bool
    header: list[str] | None
    #: Physical lines before the first data row (preamble, header, blank and comment lines).
    data_start: int
    #: The data rows of the head (stripped cells) and the line each starts on (1-based).
    head_rows: list[list[str]] = field(default_factory=list)
    head_lines: list[int] = field(default_factory=list)
    comment: str | None = None
    missing: frozenset[str] = MISSING_TOKENS
    #: Physical lines skipped above the header (or the data): a preamble.
    skip_rows: int = 0
    #: The line the header is on (1-based), if there is one.
    header_line: int | None = None
    line_end: str = "LF"
    bom: bool = False
    #: Which of the above were detected rather than given: {'delimiter': True, ...}.
    detected: dict[str, bool] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return len(self.header) if self.header is not None else len(self.head_rows[0])

    def split(self, lines: Any) -> Any:
        """A csv reader over ``lines`` for this layout (spaces: a plain split)."""
        if self.delimiter == WHITESPACE:
            return _WhitespaceReader(lines)
        return csv.reader(lines, delimiter=self.delimiter)

    def to_meta(self) -> dict[str, Any]:
        """What was detected, as plain data (``Dataset.meta['csv']``)."""
        return {"encoding": self.encoding, "bom": self.bom, "line_end": self.line_end,
                "delimiter": self.delimiter, "decimal": "," if self.decimal_comma else ".",
                "comment": self.comment, "skip_rows": self.skip_rows,
                "has_header": self.has_header, "header_line": self.header_line,
                "first_data_line": self.data_start + 1,
                "missing_values": sorted(self.missing), "detected": dict(self.detected)}


class _WhitespaceReader:
    """Lines split on runs of whitespace, with the ``line_num`` of :mod:`csv` readers."""

    def __init__(self, lines: Any):
        self._lines = iter(lines)
        self.line_num = 0

    def __iter__(self) -> _WhitespaceReader:
        return self

    def __next__(self) -> list[str]:
        line = next(self._lines)
        self.line_num += 1
        return line.split()


# -- cells -------------------------------------------------------------------------------
def is_missing(cell: str, missing: frozenset[str] = MISSING_TOKENS) -> bool:
    """Whether ``cell`` is a missing value (compared lower-case after stripping)."""
    return cell.strip().lower() in missing


def to_float(cell: str, decimal_comma: bool = False) -> float | None:
    """``cell`` as a float, or ``None`` if it is not a number (missing cells excluded).
    With ``decimal_comma``, ``3,5`` and ``1.234,5`` are numbers too."""
    s = cell.strip()
    if "_" in s:
        return None
    try:
        return float(s)
    except ValueError:
        pass
    if decimal_comma and s.count(",") == 1:
        if "." in s:
            if not _THOUSANDS.fullmatch(s):
                return None
            s = s.replace(".", "")
        try:
            return float(s.replace(",", "."))
        except ValueError:
            return None
    return None


def has_decimal_comma(cells: list[str]) -> bool:
    """Whether some of ``cells`` are numbers only with a decimal comma."""
    return any(to_float(c) is None and to_float(c, True) is not None for c in cells)


# -- text -> rows ------------------------------------------------------------------------
def drop_comments(lines: list[str], comment: str | None) -> list[str]:
    """``lines`` with comment lines blanked (kept as line ends, so line numbers hold)."""
    if not comment:
        return lines
    return ["\n" if ln.lstrip().startswith(comment) else ln for ln in lines]


def field_counts(lines: list[str], delimiter: str) -> list[int]:
    """How many fields each non-blank line has when split by ``delimiter``."""
    lines = [ln for ln in lines if ln.strip()]
    if delimiter == WHITESPACE:
        return [len(ln.split()) for ln in lines]
    try:
        return [len(r) for r in csv.reader(lines, delimiter=delimiter)]
    except csv.Error:
        return []


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most lines into the same number (>= 2) of fields."""
    best, best_score = ",", (0, 0)
    for rank, cand in enumerate(DELIMITERS):
        counts = field_counts(lines[:50], cand)
        common = Counter(c for c in counts if c >= 2).most_common(1)
        if not common:
            continue
        score = (common[0][1], -rank)
        if score > best_score:
            best, best_score = cand, score
    return best


def split_rows(lines: Any, layout_or_delimiter: Any, file: str
               ) -> tuple[list[list[str]], list[int]]:
    """The non-blank rows of ``lines`` (lines ending in ``"\\n"``) as stripped cells, and
    the line each starts on."""
    if isinstance(layout_or_delimiter, CsvLayout):
        reader = layout_or_delimiter.split(lines)
    elif layout_or_delimiter == WHITESPACE:
        reader = _WhitespaceReader(lines)
    else:
        reader = csv.reader(lines, delimiter=layout_or_delimiter)
    rows: list[list[str]] = []
    starts: list[int] = []
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


# -- options -----------------------------------------------------------------------------
def check_options(opts: CsvOptions, file: str) -> None:
    """Options that cannot be right whatever the file holds."""
    d = opts.delimiter
    if d is not None and d != WHITESPACE and (not isinstance(d, str) or len(d) != 1
                                             or d in '"\r\n'):
        raise DataError(f"{file}: delimiter must be one character such as ',' or ';' (not "
                        f"a quote or a line break), or 'whitespace', received {d!r}")
    if opts.decimal is not None and opts.decimal not in (".", ","):
        raise DataError(f"{file}: decimal must be '.' or ',', received {opts.decimal!r}")
    if opts.decimal == "," and d == ",":
        raise DataError(f"{file}: a decimal comma needs another delimiter than ',' (such as "
                        f"';'); set delimiter")
    c = opts.comment
    if c is not None and (not isinstance(c, str) or c.strip() != c or len(c) > 3
                          or (c and c in (d or ""))):
        raise DataError(f"{file}: comment must be a short text that starts a comment line, "
                        f"such as '#', received {c!r}")


def sniff_csv(path: Path, opts: CsvOptions | None = None,
              control: LoadControl | None = None) -> CsvLayout:
    """The layout of the CSV file ``path`` from its head; ``opts`` override detection."""
    from .csv_head import find_header  # the header and preamble stage

    opts = opts or CsvOptions()
    check_options(opts, path.name)
    quiet = None if control is None else LoadControl(cancel=control.cancel)  # no progress
    lines, encoding = read_lines(path, quiet, keepends=True, max_lines=HEAD_LINES + 1)
    whole = len(lines) <= HEAD_LINES
    lines = lines[:HEAD_LINES] if whole else lines[:HEAD_LINES - 1]  # last may be cut short
    if not "".join(lines).strip():
        raise DataError(f"{path.name} is empty")
    detected = {k: getattr(opts, k) is None for k in
                ("has_header", "delimiter", "skip_rows", "decimal", "comment")}
    comment = opts.comment if opts.comment is not None else _sniff_comment(lines)
    body = drop_comments(lines, comment or None)
    delimiter = opts.delimiter or ("\t" if path.name.lower().endswith((".tsv", ".tsv.gz"))
                                   else sniff_delimiter(body[opts.skip_rows or 0:]))
    missing = MISSING_TOKENS if opts.missing_values is None else frozenset(
        {""} | {m.strip().lower() for m in opts.missing_values})
    layout = CsvLayout(path.name, encoding, delimiter, False, False, None, 0,
                       comment=comment or None, missing=missing, detected=detected)
    find_header(layout, body, opts)
    layout.line_end, layout.bom = _line_end_and_bom(head_bytes(path))
    return layout


def _sniff_comment(lines: list[str]) -> str:
    return "#" if any(ln.lstrip().startswith("#") for ln in lines) else ""


def _line_end_and_bom(head: bytes) -> tuple[str, bool]:
    crlf = head.count(b"\r\n")
    cr, lf = head.count(b"\r") - crlf, head.count(b"\n") - crlf
    kinds = [name for name, n in (("CRLF", crlf), ("LF", lf), ("CR", cr)) if n]
    return ("+".join(kinds) or "none"), head.startswith(b"\xef\xbb\xbf") or head[:2] in (
        b"\xff\xfe", b"\xfe\xff")
