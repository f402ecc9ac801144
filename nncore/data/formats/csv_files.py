"""CSV files as tabular data sets: :func:`load_csv`, :func:`read_csv_column` and the CSV
:class:`~.data_format.DataFormat`.

Rules
    * delimiter sniffed among ``, ; TAB |`` (or given); UTF-8 (with or without BOM), falling
      back to Latin-1; ``.csv.gz`` is read transparently; blank lines are skipped;
    * header auto-detected: the first row is a header when none of its cells is a number and
      either a column below it is numeric or none of its values reappears in its column;
    * missing values are empty cells and ``NA``, ``N/A``, ``nan``, ``null``, ``None``, ``?``
      (case-insensitive);
    * a column is numeric when most of its non-missing cells are numbers; any text in a
      numeric column is an error naming the line and column. A column where text
      dominates is categorical and gets one-hot encoded (``'color=red'``, ...);
    * the target (default: last column) decides the task: text, or whole numbers with at most
      20 distinct values (and at most half as many as rows), means classification, with
      class names sorted; anything else is regression.

:func:`load_csv` runs in stages: sniff the layout from the head (:mod:`.csv_sniff`), choose
the columns' roles; a file whose head holds only numbers is then read by the fast reader
(:mod:`.csv_fast`), which gives the same result as the general reader (:mod:`.csv_table`)
that reads any other file (or one where the fast reader meets something else further
down) and goes on: parse the columns used, decide the task, check the numbers, pick the
complete rows, encode the features and the target, describe the result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nncore.errors import DataError
from nncore.params import Param

from ..dataset import TASKS, Dataset
from .csv_fast import pack_columns, read_numeric
from .csv_roles import ColumnRoles, choose_roles
from .csv_sniff import CsvLayout, CsvOptions, sniff_csv
from .csv_table import (
    Column,
    ColumnRef,
    Table,
    check_finite,
    check_widths,
    column_names,
    first_text_error,
    parse_column,
    read_table,
)
from .data_format import DataFormat, OpenParam
from .files import LoadControl, PathLike, existing_file
from .labels import check_task, encode_labels, format_label, looks_like_classes

SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz", ".dat", ".dat.gz",
            ".data", ".data.gz")


def load_csv(path: PathLike, target: ColumnRef | Sequence[ColumnRef] | None = None,
             has_header: bool | None = None, drop_incomplete: bool = False,
             task: str | None = None, categorical: Sequence[ColumnRef] | None = None,
             ignore: Sequence[ColumnRef] | None = None, delimiter: str | None = None,
             max_categories: int = 100,
             inputs: dict[str, Sequence[ColumnRef]] | None = None,
             skip_rows: int | None = None, decimal: str | None = None,
             comment: str | None = None, missing_values: Sequence[str] | None = None,
             control: LoadControl | None = None) -> Dataset:
    """Load a CSV file as a tabular :class:`Dataset`.

    Args:
        path: the file (``.csv``, ``.tsv``, ``.txt``, ``.dat``, optionally gzip-compressed).
        target: target column name or index (default: the last column). A list of columns
            gives a multi-output regression.
        drop_incomplete: drop rows with a missing value (their count goes to
            ``meta['dropped_rows']`` and the description); otherwise a missing value is a
            :class:`DataError` naming its line and column.
        task: ``'classification'``, ``'regression'`` or ``None`` (auto, see module doc).
        categorical: feature columns to one-hot encode even if they hold numbers. When given,
            every other feature column must be numeric. ``None`` auto-detects text columns.
        ignore: columns to leave out (an id column).
        max_categories: a categorical column with more distinct values is an error.
        inputs: named inputs for a network with several Input layers, ``{name: [columns]}``:
            the listed columns are the only features, all numeric. Each input becomes
            ``Dataset.inputs[name]``: ``int64`` ids of shape ``(n,)`` when it is one column
            of non-negative whole numbers (``meta['vocab_sizes'][name]`` = largest id + 1),
            else ``float32`` ``(n, columns)``. ``X`` is the first input.
        has_header, delimiter, skip_rows, decimal, comment, missing_values: what detection
            would find (see :mod:`.csv_sniff`); ``None`` detects it.
        control: cancel the load from another thread, follow its progress (bytes read).

    ``meta['csv']`` tells what was detected and how each column was read.
    """
    check_task(task)
    p = existing_file(path)
    opts = CsvOptions(has_header, delimiter, skip_rows, decimal, comment,
                      missing_option(missing_values, p.name))
    layout = sniff_csv(p, opts, control)
    head = head_table(layout)
    roles = choose_roles(head, target, task, ignore, categorical, inputs)
    if not (roles.categorical or set()) & set(roles.features):
        arr = read_numeric(p, layout, np.float64 if inputs else np.float32, control)
        ds = None if arr is None else numeric_dataset(head, arr, roles, task,
                                                      str(Path(path)))
        if ds is not None:
            ds.meta["csv"] = dict(layout.to_meta(), reader="fast", missing_found={},
                                  columns=column_kinds(head, roles, [], False))
            return ds
        del arr
    table = read_table(p, layout=layout, control=control)
    ds = table_dataset(table, roles, task, drop_incomplete, max_categories, str(Path(path)))
    ds.meta["csv"] = dict(layout.to_meta(), reader="general", **ds.meta["csv"])
    return ds


def table_dataset(table: Table, roles: ColumnRoles, task: str | None,
                  drop_incomplete: bool, max_categories: int, source: str) -> Dataset:
    """The data set of a table read by the general reader (a CSV file or a workbook)."""
    columns = {j: parse_column(table, j) for j in roles.used}
    cat_idx = categorical_columns(columns, roles)
    tcols = [columns[j] for j in roles.target]
    task = task if task is not None else detect_task(tcols)
    text_target = task == "classification" and any(c.n_text for c in tcols)
    numeric = [columns[j] for j in roles.features if j not in cat_idx]
    check_numbers(table, numeric + ([] if text_target else tcols))
    found = missing_found(table, columns)
    keep, dropped_rows = complete_rows(table, columns, drop_incomplete)
    X, feature_names = encode_features(table, columns, roles.features, cat_idx, keep,
                                       max_categories)
    named, vocab = encode_inputs(columns, roles.inputs, keep)
    y, class_names = encode_target(table, tcols, task, text_target, keep)
    desc, meta = describe(table, roles, task, cat_idx, keep, dropped_rows, X.shape[1], named,
                          source=source)
    meta["csv"] = {"missing_found": found,
                   "columns": column_kinds(table, roles, cat_idx, text_target)}
    if named is not None:
        meta["vocab_sizes"] = vocab
        X = next(iter(named.values()))  # the first input, by convention
    return Dataset(X=X, y=y, task=task, class_names=class_names, feature_names=feature_names,
                   name=_stem(table.file), description=desc, meta=meta, inputs=named)


def missing_option(values: Any, file: str) -> tuple[str, ...] | None:
    if values is None:
        return None
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise DataError(f"{file}: missing_values must be a list of texts, such as "
                        f"['NA', '?'], received {values!r}")
    return tuple(values)


def missing_found(table: Table, columns: dict[int, Column]) -> dict[str, int]:
    """How often each missing-value marker occurs in ``columns`` (as written)."""
    found: Counter[str] = Counter()
    for j, c in columns.items():
        found.update(table.rows[i][j] for i in np.flatnonzero(c.missing))
    return dict(sorted(found.items()))


def column_kinds(table: Table, roles: ColumnRoles, cat_idx: list[int],
                 text_target: bool) -> list[dict[str, Any]]:
    """Each column's name, role (feature, target, ignored, or the input it feeds) and kind
    (number, category, text labels; None for a column not read)."""
    feeds = {j: name for name, cols in (roles.inputs or {}).items() for j in cols}
    out = []
    for j, name in enumerate(table.names):
        if j in roles.target:
            role, kind = "target", "text" if text_target else "number"
        elif j in roles.features:
            role = f"input {feeds[j]}" if j in feeds else "feature"
            kind = "category" if j in cat_idx else "number"
        else:
            role, kind = "ignored", None
        out.append({"name": name, "role": role, "kind": kind})
    return out


def head_table(layout: CsvLayout) -> Table:
    """The head's rows as a :class:`Table` (enough to resolve column names); rows of
    different lengths are reported as the general reader would."""
    if layout.header is not None and layout.header_line is not None:
        check_widths([layout.header, *layout.head_rows],
                     [layout.header_line, *layout.head_lines], layout)
    elif layout.head_rows:
        check_widths(layout.head_rows, layout.head_lines, layout)
    return Table(layout.file, layout.header, column_names(layout.header, layout.width),
                 layout.head_rows, layout.head_lines, layout.delimiter, layout.decimal_comma,
                 layout.missing)


def numeric_dataset(head: Table, arr: np.ndarray, roles: ColumnRoles, task: str | None,
                    source: str) -> Dataset | None:
    """The data set of an all-numeric file read into ``arr`` (which becomes ``X``), or None
    when a float32 target may not hold the file's numbers exactly (whole numbers past
    2**24): the general reader reads targets in float64."""
    n = len(arr)
    tv = arr[:, roles.target]
    if arr.dtype == np.float32 and np.abs(tv).max(initial=0) >= 2**24:
        return None
    if task is None:
        task = ("classification" if len(roles.target) == 1 and looks_like_classes(tv[:, 0])
                else "regression")
    class_names: list[str] | None = None
    if task == "classification":
        if len(roles.target) > 1:
            raise DataError(f"{head.file}: several target columns are only supported for "
                            "regression")
        uniq, y = np.unique(tv[:, 0], return_inverse=True)
        class_names = [format_label(float(v)) for v in uniq]
    else:
        y = tv.astype(np.float32)
    columns = {j: Column(j, arr[:, j], np.zeros(n, bool), np.zeros(n, bool))
               for j in roles.used} if roles.inputs is not None else {}
    named, vocab = encode_inputs(columns, roles.inputs, np.arange(n))
    X = next(iter(named.values())) if named is not None else pack_columns(arr, roles.features)
    feature_names = [head.names[j] for j in roles.features]
    desc, meta = describe(head, roles, task, [], np.arange(n), [], len(roles.features), named,
                          source)
    if named is not None:
        meta["vocab_sizes"] = vocab
    return Dataset(X=X, y=y, task=task, class_names=class_names, feature_names=feature_names,
                   name=_stem(head.file), description=desc, meta=meta, inputs=named)


# -- column kinds and the task -----------------------------------------------------------
def categorical_columns(columns: dict[int, Column], roles: ColumnRoles) -> list[int]:
    """The feature columns to one-hot encode: those forced, else those where text dominates."""
    def is_categorical(c: Column) -> bool:
        if roles.categorical is not None:
            return c.index in roles.categorical
        return c.n_text > 0 and c.n_text > c.n_numbers

    return [j for j in roles.features if is_categorical(columns[j])]


def detect_task(target_columns: list[Column]) -> str:
    """Classification for text labels or a few whole numbers, else regression."""
    if len(target_columns) > 1:
        return "regression"
    tc = target_columns[0]
    if tc.n_text > tc.n_numbers:
        return "classification"          # text labels
    if tc.n_text > 0:
        return "regression"              # numbers with stray text: reported by check_numbers
    return "classification" if looks_like_classes(tc.values[~tc.missing]) else "regression"


def check_numbers(table: Table, numeric: list[Column]) -> None:
    """Columns that must be numbers hold no text and only finite float32 values."""
    err = first_text_error(table, numeric)
    if err is not None:
        raise err
    for c in numeric:
        check_finite(table, c)


def complete_rows(table: Table, columns: dict[int, Column],
                  drop_incomplete: bool) -> tuple[np.ndarray, list[int]]:
    """Indices of the rows to keep and the rows dropped for a missing value in ``columns``
    (a missing value is an error unless ``drop_incomplete``)."""
    missing = np.zeros(len(table.rows), dtype=bool)
    for c in columns.values():
        missing |= c.missing
    if not missing.any():
        return np.arange(len(table.rows)), []
    if not drop_incomplete:
        i = int(np.flatnonzero(missing)[0])
        j = min(j for j, c in columns.items() if c.missing[i])
        raise DataError(f"{table.where(i, j)}: missing value ({table.rows[i][j]!r}); "
                        f"fill it in, or drop incomplete rows (drop_incomplete=True)")
    keep = np.flatnonzero(~missing)
    if keep.size == 0:
        raise DataError(f"{table.file}: every row has a missing value; nothing is left after "
                        f"dropping incomplete rows")
    return keep, [int(i) for i in np.flatnonzero(missing)]


# -- encoding ----------------------------------------------------------------------------
def encode_features(table: Table, columns: dict[int, Column], feature_idx: list[int],
                    cat_idx: list[int], keep: np.ndarray,
                    max_categories: int) -> tuple[np.ndarray, list[str]]:
    """The feature matrix (``float32``), categorical columns one-hot, and its column names."""
    blocks: list[np.ndarray] = []
    feature_names: list[str] = []
    for j in feature_idx:
        name = table.names[j]
        if j in cat_idx:
            onehot, cats = _one_hot(table, j, keep, max_categories)
            blocks.append(onehot)
            feature_names.extend(f"{name}={c}" for c in cats)
        else:
            blocks.append(columns[j].values[keep, None])
            feature_names.append(name)
    return np.concatenate(blocks, axis=1).astype(np.float32), feature_names


def _one_hot(table: Table, j: int, keep: np.ndarray,
             max_categories: int) -> tuple[np.ndarray, list[str]]:
    cells = [table.rows[i][j] for i in keep]
    cats = sorted(set(cells))
    if len(cats) > max_categories:
        raise DataError(f"{table.file}, {table.col(j)}: {len(cats)} distinct text values, "
                        f"too many to one-hot encode (limit {max_categories}); if it "
                        f"is an identifier or free text, leave it out with "
                        f"ignore=[{table.names[j]!r}]")
    pos = {c: k for k, c in enumerate(cats)}
    onehot = np.zeros((len(cells), len(cats)), dtype=np.float32)
    onehot[np.arange(len(cells)), [pos[c] for c in cells]] = 1.0
    return onehot, cats


def encode_inputs(columns: dict[int, Column], input_cols: dict[str, list[int]] | None,
                  keep: np.ndarray) -> tuple[dict[str, np.ndarray] | None, dict[str, int]]:
    """Named inputs: one column of non-negative whole numbers becomes ``int64`` ids (with
    its vocabulary size), anything else ``float32`` of shape ``(n, columns)``."""
    if input_cols is None:
        return None, {}
    named: dict[str, np.ndarray] = {}
    vocab: dict[str, int] = {}
    for name, cols in input_cols.items():
        a = np.stack([columns[j].values[keep] for j in cols], axis=1)
        if len(cols) == 1 and np.all(a >= 0) and np.all(a == np.round(a)):
            named[name] = a[:, 0].astype(np.int64)
            vocab[name] = int(named[name].max()) + 1 if len(a) else 0
        else:
            named[name] = a.astype(np.float32)
    return named, vocab


def encode_target(table: Table, tcols: list[Column], task: str, text_target: bool,
                  keep: np.ndarray) -> tuple[np.ndarray, list[str] | None]:
    """Class indices and sorted class names, or regression targets ``float32 (n, k)``."""
    if task != "classification":
        return np.stack([c.values[keep] for c in tcols], axis=1).astype(np.float32), None
    tc = tcols[0]
    if text_target:
        return encode_labels([table.rows[i][tc.index] for i in keep])
    return encode_labels([float(v) for v in tc.values[keep]])


# -- description -------------------------------------------------------------------------
def describe(table: Table, roles: ColumnRoles, task: str, cat_idx: list[int],
             keep: np.ndarray, dropped_rows: list[int], n_features: int,
             named: dict[str, np.ndarray] | None, source: str) -> tuple[str, dict[str, Any]]:
    """The data set's one-line description and its ``meta``."""
    file = table.file
    target_names = [table.names[j] for j in roles.target]
    targets = ", ".join(repr(t) for t in target_names)
    dropped = len(dropped_rows)
    if named is not None:
        what = f"inputs {', '.join(f'{k} ({named[k].dtype})' for k in named)}"
    else:
        what = f"{n_features} features"
    desc = f"{file}: {len(keep)} rows, {what}, {task} of {targets}"
    if dropped:
        desc += f"; dropped {dropped} incomplete row(s)"
    meta: dict[str, Any] = {"source": source, "dropped_rows": dropped,
                            "target": target_names[0] if len(target_names) == 1
                            else target_names,
                            "categorical": [table.names[j] for j in cat_idx]}
    if dropped:
        meta["dropped_lines"] = [table.lines[i] for i in dropped_rows]
    return desc, meta


def _stem(file: str) -> str:
    """The data set's name: the file name without ``.gz`` and its extension."""
    stem = file[:-3] if file.lower().endswith(".gz") else file
    return stem.rsplit(".", 1)[0] if "." in stem else stem


def read_csv_column(path: PathLike, column: ColumnRef | None = None,
                    has_header: bool | None = None, delimiter: str | None = None
                    ) -> tuple[np.ndarray, str]:
    """One numeric CSV column (default: the last) as ``float64`` values, and its name.

    Missing or non-numeric cells are errors naming the line and column.
    """
    p = existing_file(path)
    layout = sniff_csv(p, CsvOptions(has_header, delimiter))
    head = head_table(layout)
    j = len(head.names) - 1 if column is None else head.resolve(column)
    fast = read_numeric(p, layout, np.float64)
    if fast is not None:
        return fast[:, j].copy(), head.names[j]
    table = read_table(p, layout=layout)
    col = parse_column(table, j)
    err = first_text_error(table, [col])
    if err is not None:
        raise err
    if col.missing.any():
        i = int(np.flatnonzero(col.missing)[0])
        raise DataError(f"{table.where(i, j)}: missing value ({table.rows[i][j]!r})")
    check_finite(table, col)
    return col.values, table.names[j]


_COLUMNS = (list, tuple)

_HAS_HEADER = Param(
    "has_header", "bool", None, "Whether the first row (after any skipped lines) holds the "
    "column names. Detected when not set: a first row without numbers above numeric "
    "columns is a header.", optional=True)
_SKIP_ROWS = Param(
    "skip_rows", "int", None, "How many lines at the top of the file to skip before the "
    "header or the data, such as a title or notes. Detected when not set (lines that "
    "differ from the table below in number or kind of fields).", optional=True, min=0)
_MISSING_VALUES = OpenParam(
    "missing_values", "str", None, "The texts that mean a value is missing, such as "
    "['NA', '?', '-999']. Empty cells always are. Default: NA, N/A, NaN, null, None and ?.",
    optional=True, accepts=(list, tuple), expects="a list of texts")

OPTIONS: tuple[Param, ...] = (
    OpenParam("target", "str", None, "Name or number (0-based) of the target column: what "
              "the network learns to predict (the last column when not set).",
              optional=True, accepts=(str, int, np.integer, list, tuple),
              expects="a column name or number, or a list of them"),
    _HAS_HEADER,
    Param("drop_incomplete", "bool", False, "Leave out rows with a missing value instead of "
          "stopping at the first one."),
    Param("task", "choice", None, "Classification or regression (automatic when not set).",
          choices=TASKS, optional=True),
    OpenParam("categorical", "str", None, "Columns to one-hot encode even if they hold "
              "numbers.", optional=True, accepts=_COLUMNS, expects="a list of columns"),
    OpenParam("ignore", "str", None, "Columns to leave out, such as an id column.",
              optional=True, accepts=_COLUMNS, expects="a list of columns"),
    Param("delimiter", "str", None, "The character between the fields of a row, such as "
          "',' ';' '|' or '\\t' for a tab, or 'whitespace' for columns separated by runs of "
          "spaces. Detected when not set.", optional=True),
    Param("max_categories", "int", 100, "Most distinct values a text column may have to be "
          "one-hot encoded.", min=1),
    OpenParam("inputs", "str", None, "Columns for each named input of a network with "
              "several inputs.", optional=True, accepts=(dict,),
              expects="a mapping of input names to lists of columns"),
    _SKIP_ROWS,
    Param("decimal", "choice", None, "The decimal mark of the numbers: '.' as in 3.5, or "
          "',' as in 3,5 (common with ';' between fields). Detected when not set.",
          choices=(".", ","), optional=True),
    Param("comment", "str", None, "Lines starting with this text are notes and skipped, "
          "such as '#'. Detected for '#' when not set; '' for none.", optional=True),
    _MISSING_VALUES,
)

CSV = DataFormat(name="csv", title="CSV files", load=load_csv, options=OPTIONS,
                 suffixes=SUFFIXES)
