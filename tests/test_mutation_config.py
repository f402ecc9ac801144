"""The mutation-testing script's scopes (tools/mutation.py) name files that exist, and its
mutmut table mutates exactly them (a renamed module would silently drop out otherwise)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("mutation", ROOT / "tools" / "mutation.py")
mutation = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mutation)


def table(scope: str) -> dict:
    """The table's ``key = value`` lines (every value is a JSON-compatible TOML list)."""
    text = mutation.mutmut_table(scope, ROOT)
    assert text.lstrip().startswith("[tool.mutmut]\n")
    return {k.strip(): json.loads(v) for k, v in
            (line.split(" = ", 1) for line in text.strip().splitlines()[1:])}


@pytest.mark.parametrize("scope", ["engine", "model", "files", "exports"])
def test_each_engine_scope_mutates_exactly_its_modules(scope: str) -> None:
    t = table(scope)
    every = {p.relative_to(ROOT).as_posix() for p in (ROOT / "nncore").rglob("*.py")}
    modules = set(mutation.SCOPES[scope]["mutate"])
    assert modules and modules <= every
    assert every - set(t["do_not_mutate"]) == modules
    assert all((ROOT / p).exists() for p in t["pytest_add_cli_args_test_selection"])


def test_the_engine_scopes_do_not_overlap() -> None:
    seen: set[str] = set()
    for scope in ("engine", "model", "files", "exports"):
        modules = set(mutation.SCOPES[scope]["mutate"])
        assert not modules & seen, scope
        seen |= modules


def test_the_document_scope_mutates_app_document_only() -> None:
    t = table("document")
    every = {p.relative_to(ROOT).as_posix() for p in (ROOT / "app").rglob("*.py")}
    mutated = every - set(t["do_not_mutate"])
    assert mutated == {p for p in every if p.startswith("app/document/")} and mutated
    assert all((ROOT / p).exists() for p in t["pytest_add_cli_args_test_selection"])


def test_mutation_runs_take_the_fastest_tests_first(tmp_path, monkeypatch) -> None:
    spec = importlib.util.spec_from_file_location("tests_conftest", ROOT / "tests" /
                                                  "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)

    class Item:
        def __init__(self, nodeid: str) -> None:
            self.nodeid = nodeid

    stats = tmp_path / "mutmut-stats.json"
    stats.write_text(json.dumps({"duration_by_test": {"a": 3.0, "b": 0.5, "c": 1.0}}))
    items = [Item(n) for n in ("a", "b", "c", "new")]
    monkeypatch.delenv("NETCANVAS_FAST_TESTS_FIRST", raising=False)
    conftest.pytest_collection_modifyitems(None, items)
    assert [i.nodeid for i in items] == ["a", "b", "c", "new"]  # unset: order kept
    monkeypatch.setenv("NETCANVAS_FAST_TESTS_FIRST", str(stats))
    conftest.pytest_collection_modifyitems(None, items)
    assert [i.nodeid for i in items] == ["new", "b", "c", "a"]  # no timing yet: first
