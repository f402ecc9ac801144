"""Parameter schemas: the single description of every configurable value.

A :class:`Param` says what a value is called, what kind it is, its default, its range or
choices and one line of help. Layer types, optimizers, schedules and losses declare their
parameters with it; the GUI builds its forms from these schemas, the project loader and the
CLI validate with them. ``Param.coerce`` turns a raw value (from JSON, a form or the CLI)
into the typed value or raises :class:`~nncore.errors.ParameterError` quoting what it got.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from nncore.errors import ParameterError

KINDS = ("int", "float", "choice", "bool", "shape", "str")


@dataclass(frozen=True)
class Param:
    """Schema of one parameter."""

    name: str
    kind: str
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    #: ``None`` is an accepted value (for example "no clipping").
    optional: bool = False
    #: Shown on the node on the canvas (units, activation, ...).
    key: bool = False
    #: A training setting that may change while a run lasts (it reaches the running
    #: trainer between batches); the others are fixed until the run ends.
    live: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"choice parameter {self.name!r} needs choices")

    # -- description -------------------------------------------------------------------
    def describe_range(self, value: Any = None) -> str:
        """A phrase such as 'a positive integer' or 'a number between 0 and 1'.

        Given the offending ``value`` of an integer parameter with a large upper bound, the
        phrase names only the bound that was broken ('a positive integer', 'at most 4096').
        """
        if self.kind == "int":
            too_big = (self.max is not None and _is_num(value) and value > self.max)
            if too_big and (self.min is None or self.min >= 0):
                return f"an integer of at most {_fmt(self.max)}"
            if self.min == 1 and (self.max is None or self.max >= 1000 or _is_num(value)):
                return "a positive integer"
            if self.min == 0 and (self.max is None or _is_num(value) and value < 0):
                return "a non-negative integer"
            return "an integer" + _bounds(self.min, self.max)
        if self.kind == "float":
            if self.min == 0 and self.max is None:
                return "a non-negative number"
            return "a number" + _bounds(self.min, self.max)
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices or ())
        if self.kind == "bool":
            return "true or false"
        if self.kind == "shape":
            return "a list of positive integers"
        return "a text"

    # -- validation --------------------------------------------------------------------
    def coerce(self, value: Any, owner: str = "") -> Any:
        """Return ``value`` converted to this parameter's kind, or raise ParameterError."""
        if value is None:
            if self.optional:
                return None
            self._fail(value, owner)
        kind = self.kind
        if kind == "int":
            if isinstance(value, bool):
                self._fail(value, owner)
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if not isinstance(value, int):
                self._fail(value, owner)
            self._check_bounds(value, owner)
            return int(value)
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self._fail(value, owner)
            value = float(value)
            if not math.isfinite(value):
                self._fail(value, owner)
            self._check_bounds(value, owner)
            return value
        if kind == "choice":
            if value not in (self.choices or ()):
                self._fail(value, owner)
            return value
        if kind == "bool":
            if not isinstance(value, bool):
                self._fail(value, owner)
            return value
        if kind == "shape":
            if isinstance(value, int) and not isinstance(value, bool):
                value = (value,)
            if not isinstance(value, (list, tuple)) or not value:
                self._fail(value, owner)
            out = []
            for v in value:
                if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                    self._fail(value, owner)
                out.append(int(v))
            return tuple(out)
        if not isinstance(value, str):
            self._fail(value, owner)
        return value

    def _check_bounds(self, value: float, owner: str) -> None:
        if (self.min is not None and value < self.min) or (
            self.max is not None and value > self.max
        ):
            self._fail(value, owner)

    def _fail(self, value: Any, owner: str) -> None:
        prefix = f"{owner}: " if owner else ""
        raise ParameterError(
            f"{prefix}{self.name} must be {self.describe_range(value)}, received {value!r}"
        )


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _bounds(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f" between {_fmt(lo)} and {_fmt(hi)}"
    if lo is not None:
        return f" >= {_fmt(lo)}"
    if hi is not None:
        return f" <= {_fmt(hi)}"
    return ""


def coerce_all(schema: tuple[Param, ...], values: dict[str, Any], owner: str) -> dict[str, Any]:
    """Validate ``values`` against ``schema``: unknown names are errors, missing ones default."""
    known = {p.name for p in schema}
    for name in values:
        if name not in known:
            allowed = ", ".join(sorted(known)) or "none"
            raise ParameterError(f"{owner}: unknown parameter {name!r} (allowed: {allowed})")
    out: dict[str, Any] = {}
    for p in schema:
        out[p.name] = p.coerce(values[p.name], owner) if p.name in values else p.default
    return out
