"""Which columns of a CSV table are the target, the features, the named inputs and the
forced categorical ones, resolved from the names and numbers the user gives
(:func:`choose_roles`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nncore.errors import DataError

from .csv_table import ColumnRef, Table


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


