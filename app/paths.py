"""Where the program's files are: the ``resources`` folder and the bundled examples."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import app


def resources_dir() -> Path:
    """``resources/`` next to the ``app`` package (source checkout or editable install)."""
    return Path(app.__file__).resolve().parents[1] / "resources"


def examples_dir() -> Path:
    return resources_dir() / "examples"


@dataclass(frozen=True)
class ExampleInfo:
    path: Path
    name: str
    description: str


def list_examples() -> list[ExampleInfo]:
    """Every ``resources/examples/*.json``, with the name and description it declares.

    Only the two text fields are read here (cheap, for building a menu); a file that is not
    valid JSON is still listed under its file name, and opening it reports the problem.
    """
    out: list[ExampleInfo] = []
    folder = examples_dir()
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.json")):
        name, description = path.stem, ""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict):
            if isinstance(data.get("name"), str) and data["name"].strip():
                name = data["name"]
            if isinstance(data.get("description"), str):
                description = data["description"]
        out.append(ExampleInfo(path, name, description))
    return out
