"""Loaders for user data files: CSV, NumPy ``.npz``/``.npy``, MNIST IDX and image folders.

Every loader returns a :class:`~nncore.data.dataset.Dataset` (or an array for
:func:`load_array`) and raises :class:`~nncore.errors.DataError` with a message that names the
file and, where it applies, the line, column and offending value. Nothing here ever
unpickles: NumPy files are read with ``allow_pickle=False`` and pickles are rejected.

CSV rules (:func:`load_csv`)
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
"""

from __future__ import annotations

import gzip
import inspect
import io
import math
import os
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from nncore.errors import DataError

from .dataset import TASKS, Dataset

PathLike = str | os.PathLike[str]
ColumnRef = str | int

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff",
                              ".webp", ".ppm", ".pgm", ".pbm"})
_JUNK_FILES = frozenset({"thumbs.db", "desktop.ini"})
_MAX_CLASSES_AUTO = 20
_GZIP_MAGIC = b"\x1f\x8b"
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


# =============================================================================================
# small helpers
# =============================================================================================
def _existing_file(path: PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise DataError(f"file not found: {p}")
    if p.is_dir():
        raise DataError(f"{p} is a folder, expected a file")
    return p


def _head(path: Path, n: int = 8) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError as exc:
        raise DataError(f"cannot read {path.name}: {exc.strerror or exc}") from None


def _is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING_TOKENS


def _to_float(cell: str, decimal_comma: bool = False) -> float | None:
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


def _format_label(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _encode_labels(values: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """Map labels (numbers or strings) to indices ``0..K-1`` in sorted order."""
    uniq = sorted(set(values))
    index = {v: i for i, v in enumerate(uniq)}
    y = np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))
    names = [_format_label(v) if isinstance(v, (float, int, np.number)) else str(v)
             for v in uniq]
    return y, names


def _looks_like_classes(values: np.ndarray) -> bool:
    """Whole numbers with few distinct values (auto task detection)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0 or not np.all(np.isfinite(values)):
        return False
    if not np.all(values == np.round(values)):
        return False
    n_unique = len(np.unique(values))
    return n_unique <= _MAX_CLASSES_AUTO and n_unique <= max(2, values.size // 2)


def _check_task(task: str | None) -> None:
    if task is not None and task not in TASKS:
        raise DataError(f"task must be one of {TASKS} or None, got {task!r}")


# =============================================================================================
# CSV
# =============================================================================================
@dataclass
class _Table:
    """The cells of a CSV file, header split off."""

    file: str                 # display name (file name)
    header: list[str] | None
    names: list[str]          # column names (from the header, else 'col1', 'col2', ...)
    rows: list[list[str]]
    lines: list[int]          # physical line number of each row (1-based)
    delimiter: str

    def col(self, j: int) -> str:
        """How messages refer to column ``j``."""
        if self.header is not None:
            return f"column '{self.names[j]}'"
        return f"column {j + 1}"

    def where(self, i: int, j: int) -> str:
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
            if ref in self.names:
                return self.names.index(ref)
            stripped = [c.strip().lower() for c in self.names]
            if ref.strip().lower() in stripped and stripped.count(ref.strip().lower()) == 1:
                return stripped.index(ref.strip().lower())
            shown = ", ".join(repr(c) for c in self.names[:20])
            more = ", ..." if n > 20 else ""
            hint = "" if self.header is not None else " (the file has no header row; " \
                                                      "use a column index)"
            raise DataError(f"{self.file}: no column named {ref!r}{hint}; columns are: "
                            f"{shown}{more}")
        raise DataError(f"{what} must be a column name or index, got {ref!r}")


def _read_text(path: Path) -> str:
    raw: bytes
    try:
        if _head(path, 2) == _GZIP_MAGIC:
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"cannot read {path.name}: {exc}") from None
    if b"\x00" in raw[:4096]:
        raise DataError(f"{path.name} is not a text file (it contains binary data)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _sniff_delimiter(text: str) -> str:
    """Pick the delimiter among , ; TAB | that splits the first lines most consistently."""
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", (-1, -1)
    for cand in (",", ";", "\t", "|"):
        counts = [len(row) for row in _csv_rows(lines, cand)]
        if not counts or max(counts) < 2:
            continue
        consistent = sum(c == counts[0] for c in counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = cand, score
    return best


def _csv_rows(lines: list[str], delimiter: str) -> list[list[str]]:
    import csv

    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return []


def _read_table(path: PathLike, has_header: bool | None = None,
                delimiter: str | None = None) -> _Table:
    """Read a CSV file into a :class:`_Table` (validates emptiness, raggedness and header)."""
    import csv

    p = _existing_file(path)
    text = _read_text(p)
    if not text.strip():
        raise DataError(f"{p.name} is empty")
    if delimiter is None:
        delimiter = "\t" if p.name.lower().endswith((".tsv", ".tsv.gz")) else \
            _sniff_delimiter(text)
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
        raise DataError(f"{p.name} line {reader.line_num}: malformed CSV ({exc})") from None
    if not rows:
        raise DataError(f"{p.name} is empty")

    width = len(rows[0])
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            raise DataError(f"{p.name} line {line}: {len(row)} fields, expected {width} "
                            f"(as in line {lines[0]}); every row must have the same number "
                            f"of columns")

    if has_header is None:
        has_header = _looks_like_header(rows, delimiter == ";")
    header: list[str] | None = None
    if has_header:
        header = rows[0]
        rows, lines = rows[1:], lines[1:]
        if not rows:
            raise DataError(f"{p.name} has a header row but no data rows")
        names = _unique_names([h if h else f"col{j + 1}" for j, h in enumerate(header)])
    else:
        names = [f"col{j + 1}" for j in range(width)]
    return _Table(p.name, header, names, rows, lines, delimiter)


def _unique_names(names: list[str]) -> list[str]:
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


def _looks_like_header(rows: list[list[str]], decimal_comma: bool) -> bool:
    first, rest = rows[0], rows[1:]
    if any(_to_float(c, decimal_comma) is not None for c in first):
        return False
    if all(_is_missing(c) for c in first):
        return False
    if not rest:
        return True
    for j in range(len(first)):
        cells = [r[j] for r in rest if not _is_missing(r[j])]
        n_num = sum(_to_float(c, decimal_comma) is not None for c in cells)
        if cells and n_num * 2 > len(cells):
            return True
    # Only text columns: a header value does not reappear in its own column.
    return all(first[j] not in {r[j] for r in rest} for j in range(len(first)))


@dataclass
class _Column:
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


def _parse_column(table: _Table, j: int) -> _Column:
    n = len(table.rows)
    cells = [row[j] for row in table.rows]           # already stripped by _read_table
    text = np.zeros(n, dtype=bool)
    try:                                   # fast path: a numeric column (NaN only from 'nan')
        values = np.array(cells, dtype=np.float64)
    except ValueError:
        pass
    else:
        if "_" not in "".join(cells):
            return _Column(j, values, np.isnan(values), text)
    missing = np.fromiter((c.lower() in MISSING_TOKENS for c in cells), dtype=bool, count=n)
    values = np.full(n, np.nan)
    dc = table.delimiter == ";"
    for i, cell in enumerate(cells):
        if missing[i]:
            continue
        v = _to_float(cell, dc)
        if v is None:
            text[i] = True
        else:
            values[i] = v
    return _Column(j, values, missing, text)


def _first_text_error(table: _Table, cols: list[_Column]) -> DataError | None:
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


_F32_MAX = float(np.finfo(np.float32).max)


def _check_finite(table: _Table, col: _Column) -> None:
    """Numbers must be finite and fit in float32."""
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~col.missing & ~col.text
                             & ~(np.abs(col.values) <= _F32_MAX))
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{table.where(i, col.index)}: expected a finite number, got "
                        f"{table.rows[i][col.index]!r}")


def load_csv(path: PathLike, target: ColumnRef | Sequence[ColumnRef] | None = None,
             has_header: bool | None = None, drop_incomplete: bool = False,
             task: str | None = None, categorical: Sequence[ColumnRef] | None = None,
             ignore: Sequence[ColumnRef] | None = None, delimiter: str | None = None,
             max_categories: int = 100,
             inputs: dict[str, Sequence[ColumnRef]] | None = None) -> Dataset:
    """Load a CSV file as a tabular :class:`Dataset`.

    Args:
        path: the file (``.csv``, ``.tsv``, ``.txt``, optionally gzip-compressed).
        target: target column name or index (default: the last column). A list of columns
            gives a multi-output regression.
        has_header: whether the first row holds column names; ``None`` auto-detects.
        drop_incomplete: drop rows with a missing value (their count goes to
            ``meta['dropped_rows']`` and the description); otherwise a missing value is a
            :class:`DataError` naming its line and column.
        task: ``'classification'``, ``'regression'`` or ``None`` (auto, see module doc).
        categorical: feature columns to one-hot encode even if they hold numbers. When given,
            every other feature column must be numeric. ``None`` auto-detects text columns.
        ignore: columns to leave out (e.g. an id column).
        delimiter: field separator; ``None`` sniffs it.
        max_categories: a categorical column with more distinct values is an error (it is
            probably an identifier or free text).
        inputs: named inputs for a network with several Input layers, ``{name: [columns]}``
            (for example ``{"user": ["user_id"], "item": ["item_id"]}``): the listed columns
            are the only features, all numeric. Each input becomes ``Dataset.inputs[name]``:
            ``int64`` ids of shape ``(n,)`` when it is one column of non-negative whole
            numbers (``meta['vocab_sizes'][name]`` = largest id + 1), else ``float32`` of
            shape ``(n, columns)``. ``X`` is the first input. Not combined with
            ``categorical``.
    """
    _check_task(task)
    table = _read_table(path, has_header, delimiter)
    file = table.file
    n_cols = len(table.names)

    # ---- which columns play which role ------------------------------------------------------
    if target is None:
        target_idx = [n_cols - 1]
    elif isinstance(target, (str, int, np.integer)) and not isinstance(target, bool):
        target_idx = [table.resolve(target, "target")]
    else:
        target_idx = [table.resolve(t, "target") for t in target]
        if not target_idx:
            raise DataError(f"{file}: target is an empty list")
        if len(set(target_idx)) != len(target_idx):
            raise DataError(f"{file}: the same target column is listed twice")
    multi_target = len(target_idx) > 1
    if multi_target and task == "classification":
        raise DataError(f"{file}: several target columns are only supported for regression")
    ignored = {table.resolve(c, "ignored column") for c in (ignore or [])}
    if ignored & set(target_idx):
        raise DataError(f"{file}: the target column is also listed in 'ignore'")
    feature_idx = [j for j in range(n_cols) if j not in target_idx and j not in ignored]
    input_cols: dict[str, list[int]] | None = None
    if inputs is not None:
        input_cols = _resolve_inputs(table, inputs, target_idx, categorical)
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

    columns = {j: _parse_column(table, j) for j in feature_idx + target_idx}

    # ---- column kinds -----------------------------------------------------------------------
    def is_categorical(c: _Column) -> bool:
        if forced_cat is not None:
            return c.index in forced_cat
        return c.n_text > 0 and c.n_text > c.n_numbers

    cat_idx = [j for j in feature_idx if is_categorical(columns[j])]
    numeric_cols = [columns[j] for j in feature_idx if j not in cat_idx]

    # target kind
    tcols = [columns[j] for j in target_idx]
    if task is None:
        if multi_target:
            task = "regression"
        else:
            tc = tcols[0]
            if tc.n_text > tc.n_numbers:
                task = "classification"          # text labels
            elif tc.n_text > 0:
                task = "regression"              # numbers with stray text: reported below
            else:
                ok = ~tc.missing
                task = ("classification" if _looks_like_classes(tc.values[ok])
                        else "regression")
    text_target = task == "classification" and any(c.n_text for c in tcols)
    checked = numeric_cols + ([] if text_target else tcols)
    err = _first_text_error(table, checked)
    if err is not None:
        raise err
    for c in checked:
        _check_finite(table, c)

    # ---- missing values ---------------------------------------------------------------------
    used = feature_idx + target_idx
    missing = np.zeros(len(table.rows), dtype=bool)
    for j in used:
        missing |= columns[j].missing
    dropped = 0
    keep = np.arange(len(table.rows))
    if missing.any():
        if not drop_incomplete:
            i = int(np.flatnonzero(missing)[0])
            j = next(j for j in range(n_cols) if j in columns and columns[j].missing[i])
            raise DataError(f"{table.where(i, j)}: missing value ({table.rows[i][j]!r}); "
                            f"fill it in, or drop incomplete rows (drop_incomplete=True)")
        keep = np.flatnonzero(~missing)
        dropped = int(missing.sum())
        if keep.size == 0:
            raise DataError(f"{file}: every row has a missing value; nothing is left after "
                            f"dropping incomplete rows")

    # ---- features ---------------------------------------------------------------------------
    named: dict[str, np.ndarray] | None = None
    vocab: dict[str, int] = {}
    if input_cols is not None:
        named = {}
        for name, cols in input_cols.items():
            a = np.stack([columns[j].values[keep] for j in cols], axis=1)
            if len(cols) == 1 and np.all(a >= 0) and np.all(a == np.round(a)):
                named[name] = a[:, 0].astype(np.int64)
                vocab[name] = int(named[name].max()) + 1 if len(a) else 0
            else:
                named[name] = a.astype(np.float32)
    blocks: list[np.ndarray] = []
    feature_names: list[str] = []
    for j in feature_idx:
        name = table.names[j]
        if j in cat_idx:
            cells = [table.rows[i][j] for i in keep]
            cats = sorted(set(cells))
            if len(cats) > max_categories:
                raise DataError(f"{file}, {table.col(j)}: {len(cats)} distinct text values, "
                                f"too many to one-hot encode (limit {max_categories}); if it "
                                f"is an identifier or free text, leave it out with "
                                f"ignore=[{name!r}]")
            pos = {c: k for k, c in enumerate(cats)}
            onehot = np.zeros((len(cells), len(cats)), dtype=np.float32)
            onehot[np.arange(len(cells)), [pos[c] for c in cells]] = 1.0
            blocks.append(onehot)
            feature_names.extend(f"{name}={c}" for c in cats)
        else:
            blocks.append(columns[j].values[keep, None])
            feature_names.append(name)
    X = np.concatenate(blocks, axis=1).astype(np.float32)

    # ---- target -----------------------------------------------------------------------------
    class_names: list[str] | None = None
    if task == "classification":
        tc = tcols[0]
        if text_target:
            y, class_names = _encode_labels([table.rows[i][tc.index] for i in keep])
        else:
            y, class_names = _encode_labels([float(v) for v in tc.values[keep]])
    else:
        y = np.stack([c.values[keep] for c in tcols], axis=1).astype(np.float32)

    target_names = [table.names[j] for j in target_idx]
    stem = file[:-3] if file.lower().endswith(".gz") else file
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    desc = (f"{file}: {len(keep)} rows, {X.shape[1]} features, {task} of "
            f"{', '.join(repr(t) for t in target_names)}")
    if dropped:
        desc += f"; dropped {dropped} incomplete row(s)"
    meta: dict[str, Any] = {"source": str(Path(path)), "dropped_rows": dropped,
                            "target": target_names[0] if not multi_target else target_names,
                            "categorical": [table.names[j] for j in cat_idx]}
    if dropped:
        meta["dropped_lines"] = [table.lines[i] for i in np.flatnonzero(missing)]
    if named is not None:
        meta["vocab_sizes"] = vocab
        desc = (f"{file}: {len(keep)} rows, inputs "
                f"{', '.join(f'{k} ({named[k].dtype})' for k in named)}, {task} of "
                f"{', '.join(repr(t) for t in target_names)}"
                + (f"; dropped {dropped} incomplete row(s)" if dropped else ""))
    if named is not None:
        X = next(iter(named.values()))  # the first input, by convention
    return Dataset(X=X, y=y, task=task, class_names=class_names, feature_names=feature_names,
                   name=stem, description=desc, meta=meta, inputs=named)


def _resolve_inputs(table: Any, inputs: Any, target_idx: list[int],
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


def read_csv_column(path: PathLike, column: ColumnRef | None = None,
                    has_header: bool | None = None, delimiter: str | None = None
                    ) -> tuple[np.ndarray, str]:
    """One numeric CSV column (default: the last) as ``float64`` values, and its name.

    Missing or non-numeric cells are errors naming the line and column.
    """
    table = _read_table(path, has_header, delimiter)
    j = len(table.names) - 1 if column is None else table.resolve(column)
    col = _parse_column(table, j)
    err = _first_text_error(table, [col])
    if err is not None:
        raise err
    if col.missing.any():
        i = int(np.flatnonzero(col.missing)[0])
        raise DataError(f"{table.where(i, j)}: missing value ({table.rows[i][j]!r})")
    _check_finite(table, col)
    return col.values, table.names[j]


# =============================================================================================
# NumPy
# =============================================================================================
def _load_npz_arrays(path: Path) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` archive, loaded without pickle."""
    head = _head(path)
    if not head:
        raise DataError(f"{path.name} is empty")
    if head.startswith(_NPY_MAGIC):
        raise DataError(f"{path.name} is a single .npy array, not an .npz archive; "
                        f"rename it to .npy (and use load_array) or save X and y together "
                        f"with numpy.savez")
    if not head.startswith(_ZIP_MAGICS):
        raise DataError(_not_numpy_message(path, head, ".npz archive"))
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(path, allow_pickle=False) as npz:
            for key in npz.files:
                try:
                    out[key] = npz[key]
                except ValueError as exc:
                    if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                        raise DataError(f"{path.name}: array '{key}' holds Python objects "
                                        f"(dtype=object); only plain numeric or text arrays "
                                        f"are loaded, never pickled data") from None
                    raise DataError(f"{path.name}: array '{key}' cannot be read ({exc})") \
                        from None
    except DataError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as exc:
        raise DataError(f"{path.name} is not a valid .npz archive (corrupt or truncated: "
                        f"{exc})") from None
    return out


def _not_numpy_message(path: Path, head: bytes, expected: str) -> str:
    if head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}"):
        return (f"{path.name} looks like a Python pickle, not a NumPy {expected}; NetCanvas "
                f"never loads pickles (they can run arbitrary code). Re-save the arrays with "
                f"numpy.savez / numpy.save")
    return f"{path.name} is not a NumPy {expected} (unrecognised file content)"


def _load_npy(path: Path) -> np.ndarray:
    head = _head(path)
    if not head:
        raise DataError(f"{path.name} is empty")
    if head.startswith(_ZIP_MAGICS):
        raise DataError(f"{path.name} is an .npz archive, not a single .npy array; rename it "
                        f"to .npz")
    if not head.startswith(_NPY_MAGIC):
        raise DataError(_not_numpy_message(path, head, ".npy array"))
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise DataError(f"{path.name} holds Python objects (dtype=object); only plain "
                            f"numeric arrays are loaded, never pickled data") from None
        raise DataError(f"{path.name} is not a valid .npy file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path.name} is not a valid .npy file ({exc})") from None


def _numeric_array(a: np.ndarray, where: str) -> np.ndarray:
    if a.dtype.kind not in "biuf":
        raise DataError(f"{where}: expected numbers, got an array of dtype {a.dtype}")
    if a.ndim == 0:
        raise DataError(f"{where}: expected an array with one row per sample, got a scalar")
    out = a.astype(np.float32)
    if not np.all(np.isfinite(out)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        raise DataError(f"{where}: non-finite value {float(a[bad])} at index {bad} "
                        f"(row {bad[0]})")
    return out


def _text_list(arrays: dict[str, np.ndarray], key: str, file: str) -> list[str] | None:
    if key not in arrays:
        return None
    a = arrays[key]
    if a.ndim != 1:
        raise DataError(f"{file}: '{key}' must be a 1-D array of names, got shape {a.shape}")
    return [str(v) for v in a.tolist()]


def load_numpy(path: PathLike, x_key: str = "X", y_key: str = "y",
               task: str | None = None) -> Dataset:
    """Load inputs and targets from an ``.npz`` archive (never unpickles).

    The archive holds ``x_key`` (numeric, one row per sample) and ``y_key`` (class indices,
    class labels as text, or regression targets). Optional 1-D text arrays ``class_names``
    and ``feature_names`` are used when present. ``task=None`` auto-detects as for CSV.
    A ``.npy`` file holds a single array without labels: use :func:`load_array` for it.
    """
    _check_task(task)
    p = _existing_file(path)
    if p.suffix.lower() == ".npy":
        raise DataError(f"{p.name} is a single array without labels; to train, save inputs and "
                        f"targets together with numpy.savez(file, {x_key}=..., {y_key}=...); "
                        f"to predict, load it with load_array")
    arrays = _load_npz_arrays(p)
    for key in (x_key, y_key):
        if key not in arrays:
            raise DataError(f"{p.name} has no array named '{key}'; it holds: "
                            f"{', '.join(repr(k) for k in arrays) or 'nothing'}")
    X = _numeric_array(arrays[x_key], f"{p.name}, array '{x_key}'")
    if X.ndim == 1:
        X = X[:, None]
    y_raw = arrays[y_key]
    if y_raw.ndim == 0 or len(y_raw) != len(X):
        raise DataError(f"{p.name}: '{x_key}' has {len(X)} rows but '{y_key}' has "
                        f"{0 if y_raw.ndim == 0 else len(y_raw)}")
    class_names = _text_list(arrays, "class_names", p.name)
    feature_names = _text_list(arrays, "feature_names", p.name)
    if feature_names is not None and X.ndim == 2 and len(feature_names) != X.shape[1]:
        raise DataError(f"{p.name}: {len(feature_names)} feature names for {X.shape[1]} "
                        f"features")

    if y_raw.dtype.kind in "US":
        if task == "regression":
            raise DataError(f"{p.name}: '{y_key}' holds text labels; regression needs numbers")
        if y_raw.ndim != 1:
            raise DataError(f"{p.name}: text labels '{y_key}' must be 1-D, got {y_raw.shape}")
        y, class_names = _encode_labels([str(v) for v in y_raw.tolist()])
        task = "classification"
    else:
        y_num = _numeric_array(y_raw, f"{p.name}, array '{y_key}'")
        flat = y_num.ravel() if (y_num.ndim == 1 or (y_num.ndim == 2 and y_num.shape[1] == 1)) \
            else None
        if task is None:
            task = ("classification" if flat is not None and (
                class_names is not None or _looks_like_classes(flat)) else "regression")
        if task == "classification":
            if flat is None:
                raise DataError(f"{p.name}: classification needs one label per sample, "
                                f"'{y_key}' has shape {y_raw.shape}")
            if class_names is not None:
                if not np.all(flat == np.round(flat)) or flat.min() < 0:
                    raise DataError(f"{p.name}: with 'class_names' given, '{y_key}' must hold "
                                    f"class indices 0..{len(class_names) - 1}")
                y = flat.astype(np.int64)
            else:
                y, class_names = _encode_labels([float(v) for v in flat])
        else:
            y = y_num.reshape(len(y_num), -1)
            class_names = None
    return Dataset(X=X, y=y, task=task, class_names=class_names, feature_names=feature_names,
                   name=p.stem, description=f"{p.name}: {len(X)} samples, input shape "
                                            f"{tuple(X.shape[1:])}, {task}",
                   meta={"source": str(p)})


def load_array(path: PathLike, key: str | None = None) -> np.ndarray:
    """Load input data without labels (for prediction) as ``float32``.

    ``.npy``: the array. ``.npz``: the array ``key`` (default ``'X'``, or the only array).
    ``.csv``: every column as a numeric feature (header auto-detected).
    """
    p = _existing_file(path)
    name = p.name.lower()
    if name.endswith(".npy"):
        return _numeric_array(_load_npy(p), p.name)
    if name.endswith(".npz"):
        arrays = _load_npz_arrays(p)
        if key is None:
            if "X" in arrays:
                key = "X"
            elif len(arrays) == 1:
                key = next(iter(arrays))
            else:
                raise DataError(f"{p.name} holds several arrays "
                                f"({', '.join(repr(k) for k in arrays)}); say which one to use")
        if key not in arrays:
            raise DataError(f"{p.name} has no array named '{key}'")
        return _numeric_array(arrays[key], f"{p.name}, array '{key}'")
    if name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        table = _read_table(p)
        cols = [_parse_column(table, j) for j in range(len(table.names))]
        err = _first_text_error(table, cols)
        if err is not None:
            raise err
        for c in cols:
            if c.missing.any():
                i = int(np.flatnonzero(c.missing)[0])
                raise DataError(f"{table.where(i, c.index)}: missing value")
            _check_finite(table, c)
        return np.stack([c.values for c in cols], axis=1).astype(np.float32)
    raise DataError(f"{p.name}: unsupported file type for input data (use .npy, .npz or .csv)")


# =============================================================================================
# IDX (MNIST)
# =============================================================================================
_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _read_upto(f: BinaryIO, n: int) -> bytes:
    """Read at most ``n`` bytes in chunks (never allocates ``n`` bytes up front)."""
    buf = bytearray()
    while len(buf) < n:
        chunk = f.read(min(1 << 20, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def read_idx(path: PathLike) -> np.ndarray:
    """Read one IDX file (plain or gzip-compressed) into an array of its native dtype.

    Layout: two zero bytes, a type code (0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, one big-endian uint32 per
    dimension, then the data, big-endian, row-major.
    """
    p = _existing_file(path)
    gz = _head(p, 2) == _GZIP_MAGIC
    try:
        with (gzip.open(p, "rb") if gz else open(p, "rb")) as f:
            head = f.read(4)
            if len(head) < 4:
                raise DataError(f"{p.name} is too short to be an IDX file ({len(head)} bytes)")
            if head[0] != 0 or head[1] != 0:
                raise DataError(f"{p.name}: bad IDX magic number 0x{head.hex().upper()} "
                                f"(an IDX file starts with two zero bytes)")
            code, ndim = head[2], head[3]
            if code not in _IDX_TYPES:
                raise DataError(f"{p.name}: unknown IDX data type code 0x{code:02X} (expected "
                                f"one of 08, 09, 0B, 0C, 0D, 0E)")
            if ndim == 0:
                raise DataError(f"{p.name}: IDX header declares 0 dimensions")
            raw_dims = f.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise DataError(f"{p.name}: truncated IDX header (expected {ndim} dimension "
                                f"sizes)")
            dims = struct.unpack(f">{ndim}I", raw_dims)
            dtype = _IDX_TYPES[code]
            nbytes = math.prod(dims) * dtype.itemsize
            data = _read_upto(f, nbytes + 1)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"cannot read {p.name}: {exc}") from None
    if len(data) < nbytes:
        raise DataError(f"{p.name}: truncated IDX data: the header declares dimensions "
                        f"{dims} ({nbytes} bytes) but only {len(data)} bytes follow")
    if len(data) > nbytes:
        raise DataError(f"{p.name}: unexpected bytes after the IDX data (the header declares "
                        f"dimensions {dims}, {nbytes} bytes)")
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def load_idx(images_path: PathLike, labels_path: PathLike, scale: bool = True) -> Dataset:
    """Load an MNIST-style pair of IDX files (plain or ``.gz``).

    The images file must have 3 dimensions ``(n, H, W)``; images become ``float32``
    ``(n, 1, H, W)``, divided by 255 when stored as unsigned bytes and ``scale`` is true.
    The labels file must be 1-D integers with ``n`` entries; class ``k`` is named ``'k'``.
    """
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    iname, lname = Path(images_path).name, Path(labels_path).name
    if images.ndim != 3:
        raise DataError(f"{iname}: expected 3 dimensions (images, rows, columns), got "
                        f"{images.ndim} with sizes {images.shape}")
    if labels.ndim != 1:
        raise DataError(f"{lname}: expected a 1-D labels file, got {labels.ndim} dimensions "
                        f"with sizes {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise DataError(f"{lname}: labels must be integers, got {labels.dtype}")
    if len(images) != len(labels):
        raise DataError(f"{iname} holds {len(images)} images but {lname} holds "
                        f"{len(labels)} labels")
    if len(labels) == 0:
        raise DataError(f"{iname} holds no images")
    if labels.min() < 0:
        i = int(np.argmin(labels))
        raise DataError(f"{lname}: label {int(labels[i])} at index {i} is negative")
    X = images.astype(np.float32)[:, None, :, :]
    if scale and images.dtype == np.uint8:
        X /= 255.0
    if not np.all(np.isfinite(X)):
        raise DataError(f"{iname}: contains non-finite values")
    n_classes = int(labels.max()) + 1
    name = iname.split(".")[0].split("-")[0]
    return Dataset(X=X, y=labels.astype(np.int64), task="classification",
                   class_names=[str(k) for k in range(n_classes)], name=name,
                   description=f"{iname} / {lname}: {len(X)} images of "
                               f"{images.shape[1]}x{images.shape[2]}",
                   meta={"source": str(images_path), "labels_source": str(labels_path)})


# =============================================================================================
# image folders
# =============================================================================================
def _is_hidden_or_junk(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts) or rel.name.lower() in _JUNK_FILES


#: Largest image side accepted by :func:`load_image_folder` (after resizing).
MAX_IMAGE_SIDE = 1024


def load_image_folder(path: PathLike, size: tuple[int, int] | None = None,
                      color: str = "grayscale", skip_invalid: bool = False) -> Dataset:
    """Load images stored as one sub-folder per class (``root/cat/*.png``, ``root/dog/...``).

    Args:
        path: the root folder; each sub-folder (sorted by name) is a class.
        size: ``(height, width)`` to resize every image to (bilinear, Pillow). ``None`` keeps
            the native size, which must then be the same for all images.
        color: ``'grayscale'`` (1 channel) or ``'rgb'`` (3 channels).
        skip_invalid: skip non-image and unreadable files (listed in ``meta['skipped']``)
            instead of raising a :class:`DataError` naming the file. Hidden files and
            ``Thumbs.db`` / ``desktop.ini`` are always skipped.

    Returns a classification :class:`Dataset` with X ``float32 (n, C, H, W)`` in ``[0, 1]``.
    """
    from PIL import Image, ImageOps

    root = Path(path)
    if not root.exists():
        raise DataError(f"folder not found: {root}")
    if not root.is_dir():
        raise DataError(f"{root} is not a folder (an image data set is a folder with one "
                        f"sub-folder per class)")
    if color not in ("grayscale", "rgb"):
        raise DataError(f"color must be 'grayscale' or 'rgb', got {color!r}")
    if size is not None:
        if (not isinstance(size, (tuple, list)) or len(size) != 2
                or not all(isinstance(s, (int, np.integer)) and s > 0 for s in size)):
            raise DataError(f"size must be (height, width) with positive integers, got {size!r}")
        size = (int(size[0]), int(size[1]))
        if size[0] > MAX_IMAGE_SIDE or size[1] > MAX_IMAGE_SIDE:
            raise DataError(f"size {size} is too large: each side must be at most "
                            f"{MAX_IMAGE_SIDE} pixels")
    mode = "L" if color == "grayscale" else "RGB"

    class_dirs = sorted((d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")),
                        key=lambda d: d.name)
    if not class_dirs:
        raise DataError(f"{root.name} has no sub-folders: put the images of each class in its "
                        f"own sub-folder (e.g. {root.name}/cat/, {root.name}/dog/)")

    images: list[np.ndarray] = []
    labels: list[int] = []
    files: list[str] = []
    skipped: list[str] = []
    first: tuple[str, tuple[int, int]] | None = None
    for k, cdir in enumerate(class_dirs):
        n_before = len(images)
        for f in sorted(p for p in cdir.rglob("*") if p.is_file()):
            rel = f.relative_to(root)
            shown = rel.as_posix()
            if _is_hidden_or_junk(f.relative_to(cdir)):
                continue
            if f.suffix.lower() not in IMAGE_EXTENSIONS:
                if skip_invalid:
                    skipped.append(shown)
                    continue
                raise DataError(f"{shown}: not an image file (supported: "
                                f"{', '.join(sorted(IMAGE_EXTENSIONS))}); remove it or load "
                                f"with skip_invalid=True")
            try:
                with Image.open(f) as im:
                    im = ImageOps.exif_transpose(im) or im
                    im = im.convert(mode)
                    native = (im.height, im.width)
                    if size is not None and native != size:
                        im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
                    arr = np.asarray(im, dtype=np.float32) / 255.0
            except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
                if skip_invalid:
                    skipped.append(shown)
                    continue
                raise DataError(f"{shown}: cannot read the image ({exc})") from None
            if size is None:
                if first is None:
                    first = (shown, native)
                elif native != first[1]:
                    raise DataError(f"images have different sizes: {first[0]} is "
                                    f"{first[1][0]}x{first[1][1]} but {shown} is "
                                    f"{native[0]}x{native[1]} (height x width); give a "
                                    f"size [height, width] to resize them all (in a project "
                                    f"file: data.params.size)")
            images.append(arr[None] if arr.ndim == 2 else np.transpose(arr, (2, 0, 1)))
            labels.append(k)
            files.append(shown)
        if len(images) == n_before:
            raise DataError(f"class folder '{cdir.name}' contains no usable images")

    X = np.stack(images).astype(np.float32, copy=False)
    return Dataset(X=X, y=np.array(labels, dtype=np.int64), task="classification",
                   class_names=[d.name for d in class_dirs], name=root.name,
                   description=f"{root.name}: {len(X)} {color} images of "
                               f"{X.shape[2]}x{X.shape[3]} in {len(class_dirs)} classes",
                   meta={"source": str(root), "files": files, "skipped": skipped})


# =============================================================================================
# dispatch
# =============================================================================================
_CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")


def _is_idx_name(name: str) -> bool:
    name = name.removesuffix(".gz")
    return name.endswith(("-ubyte", ".idx")) or ".idx" in name or "-idx" in name


def _call_with_options(fn: Any, kind: str, *args: Any, **options: Any) -> Any:
    params = inspect.signature(fn).parameters
    unknown = [k for k in options if k not in params]
    if unknown:
        allowed = [k for k in params if k not in ("path", "images_path")]
        raise DataError(f"option(s) {', '.join(repr(k) for k in unknown)} do not apply to "
                        f"{kind}; valid options: {', '.join(allowed)}")
    return fn(*args, **options)


def load_data(path: PathLike, **options: Any) -> Dataset:
    """Load a data set, choosing the loader from the path.

    * a folder: :func:`load_image_folder`;
    * ``.csv``, ``.tsv``, ``.txt`` (optionally ``.gz``): :func:`load_csv`;
    * ``.npz`` (and ``.npy``, which explains it needs labels): :func:`load_numpy`;
    * IDX files (``*-ubyte``, ``*.idx*``, optionally ``.gz``): :func:`load_idx`, with the
      labels file given as ``labels_path=...``.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"file or folder not found: {p}")
    if p.is_dir():
        return _call_with_options(load_image_folder, "image folders", p, **options)
    name = p.name.lower()
    if name.endswith(_CSV_SUFFIXES):
        return _call_with_options(load_csv, "CSV files", p, **options)
    if name.endswith((".npz", ".npy")):
        return _call_with_options(load_numpy, "NumPy files", p, **options)
    if _is_idx_name(name):
        if "labels_path" not in options:
            raise DataError(f"{p.name} is an IDX images file: also give its labels file "
                            f"(labels_path=...)")
        labels = options.pop("labels_path")
        return _call_with_options(load_idx, "IDX files", p, labels, **options)
    raise DataError(f"{p.name}: unsupported data file type; supported: a folder of images, "
                    f".csv/.tsv/.txt (optionally .gz), .npz, MNIST IDX files")
