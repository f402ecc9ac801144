"""Excel workbooks (``.xlsx``) as tabular data sets: :func:`load_excel` and the workbook
:class:`~.data_format.DataFormat`.

The first sheet, or the one named by ``sheet``, is read with openpyxl (imported only when a
workbook loads) in read-only mode, cell values as stored: formulas are never evaluated
(their last computed values are read) and macros never run. The archive is checked before
it is opened: a workbook that would decompress to more than the memory the machine can
spare is refused by name (a "zip bomb" is never unpacked).

Cells become the texts the CSV reader works on (numbers written exactly, empty cells
missing, dates as ISO text), so everything after reading is the CSV loader's: the header
and preamble detection (:mod:`.csv_head`), the columns' roles and kinds, missing values,
one-hot categories, the task. Messages name the sheet and its row numbers.
"""

from __future__ import annotations

import datetime
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nncore.errors import DataError
from nncore.params import Param
from nncore.readers import data_limit, too_large

from ..dataset import Dataset
from .csv_files import OPTIONS as CSV_OPTIONS
from .csv_files import missing_option, table_dataset
from .csv_head import find_header_rows
from .csv_roles import choose_roles
from .csv_sniff import MISSING_TOKENS, CsvLayout, CsvOptions
from .csv_table import ColumnRef, Table, column_names
from .data_format import DataFormat
from .files import LoadControl, PathLike, existing_file
from .labels import check_task

#: Rows read between two checks of the load's control.
_ROWS_PER_CHECK = 1000


def load_excel(path: PathLike, sheet: str | None = None,
               target: ColumnRef | Sequence[ColumnRef] | None = None,
               has_header: bool | None = None, drop_incomplete: bool = False,
               task: str | None = None, categorical: Sequence[ColumnRef] | None = None,
               ignore: Sequence[ColumnRef] | None = None, max_categories: int = 100,
               inputs: dict[str, Sequence[ColumnRef]] | None = None,
               skip_rows: int | None = None, missing_values: Sequence[str] | None = None,
               control: LoadControl | None = None) -> Dataset:
    """Load one sheet of an ``.xlsx`` workbook as a tabular :class:`Dataset`; the options
    are :func:`~.csv_files.load_csv`'s, plus ``sheet`` (default: the first sheet).
    ``meta['excel']`` tells the sheet, what was detected and how each column was read."""
    check_task(task)
    p = existing_file(path)
    opts = CsvOptions(has_header, None, skip_rows, ".", "",
                      missing_option(missing_values, p.name))
    name, sheets, rows, starts = read_sheet(p, sheet, control)
    where = f"{p.name}, sheet {name!r}"
    if not rows:
        raise DataError(f"{where} is empty")
    missing = MISSING_TOKENS if opts.missing_values is None else frozenset(
        {""} | {m.strip().lower() for m in opts.missing_values})
    layout = CsvLayout(where, "xlsx", "cells", False, False, None, 0, missing=missing,
                       detected={"has_header": has_header is None,
                                 "skip_rows": skip_rows is None})
    if skip_rows:
        keep = [k for k, line in enumerate(starts) if line > skip_rows]
        rows, starts = [rows[k] for k in keep], [starts[k] for k in keep]
        if not rows:
            raise DataError(f"{where}: skip_rows={skip_rows} skips every row; lower it")
    find_header_rows(layout, rows, starts, opts)
    if not layout.head_rows:
        raise DataError(f"{where} has a header row but no data rows")
    table = Table(where, layout.header, column_names(layout.header, layout.width),
                  layout.head_rows, layout.head_lines, "cells", False, missing, "row")
    roles = choose_roles(table, target, task, ignore, categorical, inputs)
    ds = table_dataset(table, roles, task, drop_incomplete, max_categories, str(Path(path)))
    info = ds.meta.pop("csv")
    ds.name = Path(p.name).stem
    ds.meta["excel"] = {"sheet": name, "sheets": sheets, "has_header": layout.has_header,
                        "header_row": layout.header_line, "skip_rows": layout.skip_rows,
                        "first_data_row": layout.head_lines[0],
                        "missing_values": sorted(missing), "detected": layout.detected,
                        **info}
    return ds


def check_archive(p: Path) -> None:
    """An ``.xlsx`` file must be a zip archive whose members fit in memory unpacked."""
    if not zipfile.is_zipfile(p):
        raise DataError(f"{p.name}: not an Excel workbook (.xlsx); an older .xls file can "
                        f"be saved as .xlsx or .csv from Excel or LibreOffice")
    limit = data_limit()
    try:
        with zipfile.ZipFile(p) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except (OSError, zipfile.BadZipFile) as e:
        raise DataError(f"{p.name}: damaged workbook ({e})") from None
    if total > limit:
        raise DataError(too_large(p, total, limit, "the unpacked workbook"))


def read_sheet(p: Path, sheet: str | None, control: LoadControl | None
               ) -> tuple[str, list[str], list[list[str]], list[int]]:
    """The sheet's name, every sheet's name, and the sheet's non-empty rows as texts (each
    padded to the widest row) with their row numbers."""
    check_archive(p)
    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True, keep_links=False)
    except Exception as e:  # openpyxl raises many kinds for a damaged archive
        raise DataError(f"{p.name}: cannot read the workbook ({type(e).__name__}: {e})"
                        ) from None
    try:
        sheets = list(wb.sheetnames)
        if sheet is not None and sheet not in sheets:
            raise DataError(f"{p.name} has no sheet named {sheet!r}; its sheets are: "
                            f"{', '.join(repr(s) for s in sheets)}")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows, starts = _cells(ws, p, control)
        return ws.title, sheets, rows, starts
    finally:
        wb.close()


def _cells(ws: Any, p: Path, control: LoadControl | None) -> tuple[list[list[str]], list[int]]:
    rows: list[list[str]] = []
    starts: list[int] = []
    size, total = p.stat().st_size, max(1, ws.max_row or 1)
    for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if control is not None and n % _ROWS_PER_CHECK == 0:
            control.check(p.name)
            control.report(min(size, size * n // total), size)
        cells = [_text(v) for v in values]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            rows.append(cells)
            starts.append(n)
    width = max((len(r) for r in rows), default=0)
    for r in rows:
        r.extend([""] * (width - len(r)))
    if control is not None:
        control.report(size, size)
    return rows, starts


def _text(v: Any) -> str:
    """A cell's value as the text a CSV file would hold."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, datetime.datetime) and v.time() == datetime.time():
        return v.date().isoformat()  # a date (Excel stores every date as a date-time)
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    return str(v).strip()


_NOT_FOR_WORKBOOKS = {"delimiter", "decimal", "comment"}

OPTIONS: tuple[Param, ...] = (
    Param("sheet", "str", None, "The name of the sheet to read (the first sheet when not "
          "set).", optional=True),
    *(p for p in CSV_OPTIONS if p.name not in _NOT_FOR_WORKBOOKS),
)

EXCEL = DataFormat(name="excel", title="Excel workbooks", load=load_excel, options=OPTIONS,
                   suffixes=(".xlsx",))
