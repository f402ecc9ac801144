"""What the data panel reads from the loader: the option a failed load's message names as
its fix (:func:`suggested_fix`, pre-filled into the options form) and what a loaded file
was read with (:func:`detected_rows`, the "Detected" box). Plain Python, no Qt."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from nncore.data import Dataset

#: The missing-value markers the CSV loader uses when ``missing_values`` is not set.
DEFAULT_MISSING = ("NA", "N/A", "NaN", "null", "None", "?")
_QUOTED = r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"


@dataclass(frozen=True)
class Fix:
    """An option that would make a failed load work: its name and the value to try
    (``None``: the option is named but its value is for the person to choose)."""

    option: str
    value: Any
    #: How the panel says it ("Set Drop incomplete rows to Yes").
    text: str


def suggested_fix(message: str, params: dict[str, Any]) -> Fix | None:
    """The fix a loader's error ``message`` names, for a file read with ``params``."""
    if "drop_incomplete=True" in message:
        return Fix("drop_incomplete", True, "leave out the rows with a missing value")
    m = re.search(r"set comment=" + _QUOTED, message)
    if m:
        mark = ast.literal_eval(m.group(1))
        return Fix("comment", mark, f"treat lines starting with {mark!r} as comments")
    m = re.search(r"skip it with skip_rows=(\d+)", message)
    if m:
        n = int(m.group(1))
        return Fix("skip_rows", n, f"skip the first {n} line{'s' if n != 1 else ''}")
    m = re.search(r"if " + _QUOTED + r" means a missing value, add it to missing_values",
                  message)
    if m:
        cell = ast.literal_eval(m.group(1))
        old = params.get("missing_values")
        markers = [*(old if old is not None else DEFAULT_MISSING)]
        if cell not in markers:
            markers.append(cell)
        return Fix("missing_values", markers, f"count {cell!r} as a missing value")
    if "set decimal=','" in message:
        return Fix("decimal", ",", "read ',' as the decimal mark")
    if "set delimiter" in message:
        return Fix("delimiter", None, "choose the character between the fields")
    return None


def _char(c: str | None) -> str:
    names = {"\t": "tab", " ": "space", ",": "comma ,", ";": "semicolon ;", "|": "bar |",
             "whitespace": "spaces", ".": "point .", None: "none"}
    return names.get(c, repr(c))


def detected_rows(ds: Dataset) -> list[tuple[str, str, bool]]:
    """What a file was read with: (what, value, detected rather than given) rows, from the
    loader's ``meta['csv']`` or ``meta['excel']`` ([] for other data)."""
    meta = ds.meta.get("csv") or ds.meta.get("excel")
    if not isinstance(meta, dict):
        return []
    found = meta.get("detected", {})
    rows: list[tuple[str, str, bool]] = []
    if "excel" in ds.meta:
        rows.append(("Sheet", str(meta.get("sheet")), "sheet" not in found))
    if "delimiter" in meta:
        rows.append(("Delimiter", _char(meta["delimiter"]), bool(found.get("delimiter"))))
        rows.append(("Decimal mark", _char(meta.get("decimal")), bool(found.get("decimal"))))
    header = meta.get("has_header")
    line = meta.get("header_line") or meta.get("header_row")
    rows.append(("Header", f"yes (line {line})" if header and line else
                 ("yes" if header else "no"), bool(found.get("has_header"))))
    skip = int(meta.get("skip_rows") or 0)
    rows.append(("Lines skipped", str(skip), bool(found.get("skip_rows"))))
    if "comment" in meta:
        rows.append(("Comment mark", _char(meta.get("comment")), bool(found.get("comment"))))
    missing = meta.get("missing_found") or {}
    rows.append(("Missing values", ", ".join(f"{k or 'empty'} ×{v}" for k, v in
                                             missing.items()) or "none found",
                 "missing_values" not in found))
    dropped = ds.meta.get("dropped_rows")
    if dropped:
        rows.append(("Rows dropped", f"{dropped:,} (incomplete)", True))
    rows.append(("Columns", columns_text(meta.get("columns") or []), True))
    if meta.get("encoding"):
        rows.append(("Encoding", f"{meta['encoding']}, {meta.get('line_end', '')} line ends",
                     True))
    return rows


#: Columns listed one by one; more are summed up by kind (a long label is slow to lay out).
MAX_LISTED = 12


def columns_text(columns: list[dict[str, Any]]) -> str:
    """Each column with its kind and role, or for a wide table the counts by kind, the
    target and the first columns."""
    if len(columns) <= MAX_LISTED:
        return "; ".join(_column(c) for c in columns)
    kinds: dict[str, int] = {}
    for c in columns:
        kinds[c.get("kind") or "not read"] = kinds.get(c.get("kind") or "not read", 0) + 1
    special = [_column(c) for c in columns if (c.get("role") or "feature") != "feature"]
    head = ", ".join(str(c.get("name")) for c in columns[:4])
    return (f"{len(columns):,}: " + ", ".join(f"{n:,} {k}" for k, n in kinds.items())
            + "; " + "; ".join(special[:4]) + f"; first: {head}, …")


def _column(c: dict[str, Any]) -> str:
    role = c.get("role") or ""
    kind = c.get("kind")
    text = f"{c.get('name')}: {kind or 'not read'}"
    return f"{text} ({role})" if role and role != "feature" else text
