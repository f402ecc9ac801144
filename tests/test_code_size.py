"""The sizes that keep every unit readable by one person (issue 11): no file in app/ or
nncore/ over 500 lines, no class over 400, no function over 80 lines in the window code
and over 60 in the engine. A unit that grows past them is a sign it holds two jobs."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_FILE, MAX_CLASS = 500, 400
MAX_FUNCTION = {"app": 80, "nncore": 60}


def _sources():
    for package in MAX_FUNCTION:
        yield from sorted((ROOT / package).rglob("*.py"))


def test_no_file_over_the_limit():
    long = {str(p.relative_to(ROOT)): n for p in _sources()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE}
    assert not long, f"files over {MAX_FILE} lines: {long}"


def test_no_class_or_function_over_the_limit():
    over = []
    for p in _sources():
        rel = p.relative_to(ROOT)
        limit = MAX_FUNCTION[rel.parts[0]]
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            lines = getattr(node, "end_lineno", 0) - getattr(node, "lineno", 0) + 1
            if isinstance(node, ast.ClassDef) and lines > MAX_CLASS:
                over.append(f"{rel}:{node.lineno} class {node.name}: {lines} lines")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and lines > limit:
                over.append(f"{rel}:{node.lineno} {node.name}: {lines} lines (> {limit})")
    assert not over, "\n".join(over)
