"""What the run controller tells the person: banner notices and the texts of divergences,
errors and live setting changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.models.runs import RunRecord
from nncore.errors import NetCanvasError
from nncore.events import Diverged


@dataclass
class Notice:
    """A message for the banner above the canvas."""

    kind: str  # "error", "warning", "info"
    text: str
    node_id: str | None = None
    #: "diverged", "failed", "early_stopping", "settings", ...
    topic: str = ""
    run: RunRecord | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def divergence_text(run: RunRecord, ev: Diverged) -> str:
    msg = ev.message
    prefix = "training diverged: "
    if msg.startswith(prefix):
        msg = msg[len(prefix):]
    return f"{run.name} paused: {msg[:1].upper()}{msg[1:]} Then press Resume (F5)."


def error_text(e: BaseException) -> str:
    if isinstance(e, NetCanvasError) or isinstance(e, MemoryError):
        return str(e)
    return f"an unexpected error ({type(e).__name__}: {e}); please report it"


def changes_text(changes: dict[str, Any]) -> str:
    """Live setting changes as the status bar lists them ("learning rate 0.01, ...")."""
    return ", ".join(f"{k.replace('_', ' ')} {_fmt(v)}" for k, v in changes.items())


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if v is None:
        return "off"
    return str(v)
