"""``netcanvas data``: load a data file as training would and say what it holds and how it
was read (the format, rows, inputs, task and classes; for a CSV file or a workbook what was
detected: delimiter, decimal mark, header, skipped lines, missing values, each column's
role and kind), as text or as JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from nncore.cli.common import EXIT_OK, UsageError


def add_parser(commands: Any) -> argparse.ArgumentParser:
    s = commands.add_parser("data", help="load a data file and show how it was read")
    s.add_argument("file", help="a data file (.csv, .tsv, .txt, .dat, .xlsx, .npz, IDX) or "
                                "a folder of images")
    s.add_argument("-o", "--option", action="append", default=[], metavar="NAME=VALUE",
                   help="a loading option, as in a project's data.params (repeatable): "
                        "-o target=label -o delimiter=';' -o missing_values='[\"?\"]'; "
                        "VALUE is read as JSON when it is JSON, else as text")
    s.add_argument("--json", action="store_true", help="print the result as JSON")
    return s


def parse_options(items: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` items as options (VALUE as JSON when it parses, else the text)."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"-o {item!r}: expected NAME=VALUE, such as -o target=label")
        try:
            out[name.strip()] = json.loads(value)
        except ValueError:
            out[name.strip()] = value
    return out


def describe(ds: Any, fmt: str) -> dict[str, Any]:
    """What the command prints, as plain data."""
    info: dict[str, Any] = {"format": fmt, "name": ds.name, "rows": ds.n_samples,
                            "input_shape": list(ds.input_shape), "task": ds.task,
                            "feature_names": ds.feature_names}
    if ds.task == "classification":
        info["classes"] = dict(zip(ds.class_names or [],
                                   (int(c) for c in ds.class_counts())))
    if ds.inputs is not None:
        info["inputs"] = {k: [str(v.dtype), list(v.shape[1:])] for k, v in ds.inputs.items()}
    if ds.meta.get("dropped_rows"):
        info["dropped_rows"] = ds.meta["dropped_rows"]
    detected = ds.meta.get("csv") or ds.meta.get("excel")
    if detected is not None:
        info["read"] = detected
    return info


def run(args: argparse.Namespace) -> int:
    from nncore.data import format_for, load_data

    options = parse_options(args.option)
    fmt = format_for(args.file).name
    info = describe(load_data(args.file, **options), fmt)
    if args.json:
        print(json.dumps(info, indent=1, ensure_ascii=False))
        return EXIT_OK
    print_info(info)
    return EXIT_OK


def print_info(info: dict[str, Any]) -> None:
    print(f"{info['name']} ({info['format']}): {info['rows']:,} rows, input shape "
          f"{tuple(info['input_shape'])}, {info['task']}")
    if "classes" in info:
        print("classes: " + ", ".join(f"{k} ({v:,})" for k, v in info["classes"].items()))
    if info.get("dropped_rows"):
        print(f"dropped {info['dropped_rows']:,} incomplete row(s)")
    read = info.get("read")
    if read is None:
        return
    shown = {k: v for k, v in read.items() if k not in ("columns", "detected")}
    for key, value in shown.items():
        mark = "" if not read.get("detected", {}).get(key) else "  (detected)"
        print(f"  {key}: {value!r}{mark}")
    print("columns:")
    for c in read.get("columns", []):
        print(f"  {c['name']}: {c['role']}, {c['kind'] or 'not read'}")
