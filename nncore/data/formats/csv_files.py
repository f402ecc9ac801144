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

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nncore.errors import DataError
from nncore.params import Param

from ..dataset import TASKS, Dataset
from .csv_fast import pack_columns, read_numeric
from .csv_sniff import CsvLayout, sniff_csv
from .csv_table import (
    Column,
    ColumnRef,
    Table,
    check_finite,
    column_names,
    first_text_error,
    parse_column,
    read_table,
)
from .data_format import DataFormat, OpenParam
from .files import LoadControl, PathLike, existing_file
from .labels import check_task, encode_labels, format_label, looks_like_classes

SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")


@dataclass
class ColumnRoles:
    """Which columns of the table are targets, features and named inputs."""

    target: list[int]
    features: list[int]
    #: ``{input name: columns}`` for several named inputs, else ``None``.
    inputs: dict[str, list[int]] | None
    #: Columns forced to be categorical; ``None`` means detect text columns.
    categorical: set[int] | None

    @property
    def used(self) -> list[int]:
        return self.features + self.target


def load_csv(path: PathLike, target: ColumnRef | Sequence[ColumnRef] | None = None,
             has_header: bool | None = None, drop_incomplete: bool = False,
             task: str | None = None, categorical: Sequence[ColumnRef] | None = None,
             ignore: Sequence[ColumnRef] | None = None, delimiter: str | None = None,
             max_categories: int = 100,
             inputs: dict[str, Sequence[ColumnRef]] | None = None,
             control: LoadControl | None = None) -> Dataset:
    """Load a CSV file as a tabular :class:`Dataset`.

    Args:
        path: the file (``.csv``, ``.tsv``, ``.txt``, optionally gzip-compressed).
        target: target column name or index (default: the last column). A list of columns
            gives a multi-output regression.
        has_header: whether the first row holds column names (``None``: detect).
        drop_incomplete: drop rows with a missing value (their count goes to
            ``meta['dropped_rows']`` and the description); otherwise a missing value is a
            :class:`DataError` naming its line and column.
        task: ``'classification'``, ``'regression'`` or ``None`` (auto, see module doc).
        categorical: feature columns to one-hot encode even if they hold numbers. When given,
            every other feature column must be numeric. ``None`` auto-detects text columns.
        ignore: columns to leave out (an id column). delimiter: ``None`` detects it.
        max_categories: a categorical column with more distinct values is an error.
        inputs: named inputs for a network with several Input layers, ``{name: [columns]}``
            (for example ``{"user": ["user_id"], "item": ["item_id"]}``): the listed columns
            are the only features, all numeric. Each input becomes ``Dataset.inputs[name]``:
            ``int64`` ids of shape ``(n,)`` when it is one column of non-negative whole
            numbers (``meta['vocab_sizes'][name]`` = largest id + 1), else ``float32`` of
            shape ``(n, columns)``. ``X`` is the first input. Not combined with
            ``categorical``.
        control: cancel the load from another thread, follow its progress (bytes read).
    """
    check_task(task)
    p = existing_file(path)
    layout = sniff_csv(p, has_header, delimiter, control)
    head = head_table(layout)
    roles = choose_roles(head, target, task, ignore, categorical, inputs)
    if not (roles.categorical or set()) & set(roles.features):
        arr = read_numeric(p, layout, np.float64 if inputs else np.float32, control)
        if arr is not None:
            return numeric_dataset(head, arr, roles, task, str(Path(path)))
    table = read_table(p, layout=layout, control=control)
    columns = {j: parse_column(table, j) for j in roles.used}
    cat_idx = categorical_columns(columns, roles)
    tcols = [columns[j] for j in roles.target]
    task = task if task is not None else detect_task(tcols)
    text_target = task == "classification" and any(c.n_text for c in tcols)
    numeric = [columns[j] for j in roles.features if j not in cat_idx]
    check_numbers(table, numeric + ([] if text_target else tcols))
    keep, dropped_rows = complete_rows(table, columns, drop_incomplete)
    X, feature_names = encode_features(table, columns, roles.features, cat_idx, keep,
                                       max_categories)
    named, vocab = encode_inputs(columns, roles.inputs, keep)
    y, class_names = encode_target(table, tcols, task, text_target, keep)
    desc, meta = describe(table, roles, task, cat_idx, keep, dropped_rows, X.shape[1], named,
                          source=str(Path(path)))
    if named is not None:
        meta["vocab_sizes"] = vocab
        X = next(iter(named.values()))  # the first input, by convention
    return Dataset(X=X, y=y, task=task, class_names=class_names, feature_names=feature_names,
                   name=_stem(table.file), description=desc, meta=meta, inputs=named)


def head_table(layout: CsvLayout) -> Table:
    """The head's rows as a :class:`Table` (enough to resolve column names)."""
    width = len(layout.header) if layout.header is not None else len(layout.head_rows[0])
    return Table(layout.file, layout.header, column_names(layout.header, width),
                 layout.head_rows, layout.head_lines, layout.delimiter, layout.decimal_comma)


def numeric_dataset(head: Table, arr: np.ndarray, roles: ColumnRoles, task: str | None,
                    source: str) -> Dataset:
    """The data set of an all-numeric file read into ``arr`` (which becomes ``X``)."""
    n = len(arr)
    tv = arr[:, roles.target]
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


# -- roles -------------------------------------------------------------------------------
def choose_roles(table: Table, target: Any, task: str | None, ignore: Any, categorical: Any,
                 inputs: Any) -> ColumnRoles:
    """Resolve the target, ignored, categorical and input columns; the rest are features."""
    file, n_cols = table.file, len(table.names)
    target_idx = _target_columns(table, target)
    if len(target_idx) > 1 and task == "classification":
        raise DataError(f"{file}: several target columns are only supported for regression")
    ignored = {table.resolve(c, "ignored column") for c in (ignore or [])}
    if ignored & set(target_idx):
        raise DataError(f"{file}: the target column is also listed in 'ignore'")
    feature_idx = [j for j in range(n_cols) if j not in target_idx and j not in ignored]
    input_cols: dict[str, list[int]] | None = None
    if inputs is not None:
        input_cols = resolve_inputs(table, inputs, target_idx, categorical)
        feature_idx = [j for cols in input_cols.values() for j in cols]
        categorical = []  # every input column is numeric
    if not feature_idx:
        raise DataError(f"{file}: no feature columns left besides the target "
                        f"({n_cols} column(s) in the file)")
    forced_cat: set[int] | None = None
    if categorical is not None:
        forced_cat = {table.resolve(c, "categorical column") for c in categorical}
        if forced_cat & set(target_idx):
            raise DataError(f"{file}: the target column cannot be listed in 'categorical'; "
                            f"use task='classification' instead")
    return ColumnRoles(target_idx, feature_idx, input_cols, forced_cat)


def _target_columns(table: Table, target: Any) -> list[int]:
    if target is None:
        return [len(table.names) - 1]
    if isinstance(target, (str, int, np.integer)) and not isinstance(target, bool):
        return [table.resolve(target, "target")]
    target_idx = [table.resolve(t, "target") for t in target]
    if not target_idx:
        raise DataError(f"{table.file}: target is an empty list")
    if len(set(target_idx)) != len(target_idx):
        raise DataError(f"{table.file}: the same target column is listed twice")
    return target_idx


def resolve_inputs(table: Table, inputs: Any, target_idx: list[int],
                   categorical: Sequence[ColumnRef] | None) -> dict[str, list[int]]:
    """Validate load_csv's ``inputs`` option: {name: column indices}."""
    file = table.file
    if not isinstance(inputs, dict) or not inputs:
        raise DataError(f"{file}: 'inputs' must map input names to lists of columns, e.g. "
                        "{'user': ['user_id'], 'item': ['item_id']}")
    if categorical:
        raise DataError(f"{file}: 'categorical' cannot be combined with 'inputs' (input "
                        "columns must be numeric)")
    out: dict[str, list[int]] = {}
    used: dict[int, str] = {}
    for name, cols in inputs.items():
        if not isinstance(name, str) or not name:
            raise DataError(f"{file}: input names must be non-empty strings, got {name!r}")
        if isinstance(cols, (str, int)) and not isinstance(cols, bool):
            cols = [cols]
        if not isinstance(cols, (list, tuple)) or not cols:
            raise DataError(f"{file}: input {name!r} needs a list of columns, got {cols!r}")
        idx = []
        for c in cols:
            j = table.resolve(c, f"column of input {name!r}")
            if j in target_idx:
                raise DataError(f"{file}: column {table.names[j]!r} is the target and cannot "
                                f"also feed input {name!r}")
            if j in used:
                raise DataError(f"{file}: column {table.names[j]!r} is listed for both "
                                f"{used[j]!r} and {name!r}")
            used[j] = name
            idx.append(j)
        out[name] = idx
    return out


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
    layout = sniff_csv(p, has_header, delimiter)
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

OPTIONS: tuple[Param, ...] = (
    OpenParam("target", "str", None, "Name or number (0-based) of the target column.",
              optional=True, accepts=(str, int, np.integer, list, tuple),
              expects="a column name or number, or a list of them"),
    Param("has_header", "bool", None, "Whether the first row holds column names "
          "(automatic when not set).", optional=True),
    Param("drop_incomplete", "bool", False, "Leave out rows with a missing value instead of "
          "stopping at the first one."),
    Param("task", "choice", None, "Classification or regression (automatic when not set).",
          choices=TASKS, optional=True),
    OpenParam("categorical", "str", None, "Columns to one-hot encode even if they hold "
              "numbers.", optional=True, accepts=_COLUMNS, expects="a list of columns"),
    OpenParam("ignore", "str", None, "Columns to leave out, such as an id column.",
              optional=True, accepts=_COLUMNS, expects="a list of columns"),
    Param("delimiter", "str", None, "The character between fields (detected when not set).",
          optional=True),
    Param("max_categories", "int", 100, "Most distinct values a text column may have to be "
          "one-hot encoded.", min=1),
    OpenParam("inputs", "str", None, "Columns for each named input of a network with "
              "several inputs.", optional=True, accepts=(dict,),
              expects="a mapping of input names to lists of columns"),
)

CSV = DataFormat(name="csv", title="CSV files", load=load_csv, options=OPTIONS,
                 suffixes=SUFFIXES)
