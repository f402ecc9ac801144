"""Where the data of a CSV file starts: preamble lines, the header and the decimal mark,
judged from the head's rows (:func:`find_header`, a stage of :func:`.csv_sniff.sniff_csv`).

* The rows' width is the most common number of fields.
* A column is numeric when most of its cells below the first rows are numbers.
* A row is *data-like* when it has that width and text in fewer than half of the numeric
  columns. Rows above the first data-like one are a preamble (metadata, a title, a count
  line such as ``150,4,setosa,versicolor,virginica``), except the last of them when it
  has no number and the rows' width (or one field less, as R writes row names): the header.
* With no such preamble, the first row is a header when none of its cells is a number and
  either a column below it is mostly numeric or none of its values reappears in its column
  (names that look like numbers, ``2019,2020``, need ``has_header``).
"""

from __future__ import annotations

from collections import Counter

from nncore.errors import DataError

from .csv_sniff import CsvLayout, CsvOptions, has_decimal_comma, is_missing, split_rows, to_float

#: Leading rows searched for the first data-like one.
MAX_PREAMBLE = 20


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


def numeric_profile(rows: list[list[str]], width: int, dc: bool,
                    missing: frozenset[str]) -> list[int]:
    """The columns where most cells of the rows of ``width`` fields (past the first few,
    which may be a header or a preamble) are numbers."""
    full = [r for r in rows if len(r) == width]
    body = full[3:] if len(full) > 6 else full[1:] or full
    out = []
    for j in range(width):
        cells = [r[j] for r in body if not is_missing(r[j], missing)]
        if cells and 2 * sum(to_float(c, dc) is not None for c in cells) > len(cells):
            out.append(j)
    return out


def _first_data_row(rows: list[list[str]], width: int, numeric: list[int], dc: bool,
                    missing: frozenset[str]) -> int:
    """Index of the first data-like row among the first MAX_PREAMBLE (0 if none is)."""
    for i, r in enumerate(rows[:MAX_PREAMBLE]):
        if len(r) != width:
            continue
        text = sum(not is_missing(r[j], missing) and to_float(r[j], dc) is None
                   for j in numeric)
        if 2 * text < len(numeric) or not numeric:
            return i
    return 0


def _header_like(row: list[str], width: int, dc: bool) -> bool:
    return (len(row) in (width, width - 1) and not all(is_missing(c) for c in row)
            and not any(to_float(c, dc) is not None for c in row))


def _choose_header(rows: list[list[str]], s: int, width: int, dc: bool,
                   opts: CsvOptions) -> tuple[int | None, int]:
    """(index of the header row or None, index of the first data row)."""
    if opts.skip_rows is not None:
        s = 0  # the user said where the table starts
    if opts.has_header is False:
        return None, s
    if opts.has_header:
        h = s - 1 if s >= 1 else s
        return h, h + 1
    if s >= 1 and _header_like(rows[s - 1], width, dc):
        return s - 1, s
    if looks_like_header(rows[s:], dc):
        return s, s + 1
    return None, s


def find_header(layout: CsvLayout, lines: list[str], opts: CsvOptions) -> None:
    """Fill in ``layout``'s decimal mark, header, preamble and head rows from the head's
    ``lines`` (comment lines blanked)."""
    skip = opts.skip_rows or 0
    if skip and skip >= len(lines):
        raise DataError(f"{layout.file}: skip_rows={skip} skips every line of the file's "
                        f"first {len(lines)}; lower it")
    rows, starts = split_rows(lines[skip:], layout, layout.file)
    if not rows:
        raise DataError(f"{layout.file} is empty")
    find_header_rows(layout, rows, [s + skip for s in starts], opts)
    if not layout.head_rows:
        layout.data_start = len(lines)


def find_header_rows(layout: CsvLayout, rows: list[list[str]], starts: list[int],
                     opts: CsvOptions) -> None:
    """:func:`find_header` on rows of cells that start on the lines ``starts``."""
    width = Counter(len(r) for r in rows).most_common(1)[0][0]
    if opts.decimal is not None:
        dc = opts.decimal == ","
    else:
        dc = layout.delimiter != "," and has_decimal_comma(
            [c for r in rows[1:] for c in r])
    numeric = numeric_profile(rows, width, dc, layout.missing)
    s = _first_data_row(rows, width, numeric, dc, layout.missing)
    h, first = _choose_header(rows, s, width, dc, opts)
    layout.decimal_comma = dc
    layout.has_header = h is not None
    top = h if h is not None else first
    layout.skip_rows = opts.skip_rows if opts.skip_rows is not None else (
        starts[top] - 1 if top < len(rows) else 0)
    if h is not None:
        header = rows[h]
        layout.header_line = starts[h]
        layout.header = [""] + header if len(header) == width - 1 else header
    layout.head_rows, layout.head_lines = rows[first:], starts[first:]
    layout.data_start = starts[first] - 1 if first < len(rows) else 0
