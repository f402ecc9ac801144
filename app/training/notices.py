"""What the run controller tells the person: banner notices and the texts of divergences,
errors and live setting changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.models.runs import RunRecord
from nncore.config import TrainingConfig
from nncore.errors import NetCanvasError
from nncore.events import Diverged
from nncore.graph import GraphAnalysis
from nncore.memory import MemoryLimitError, check_fits_memory, estimate_training_memory


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


def invalid_network_notice(errors: list) -> Notice | None:
    """Why a network with ``errors`` (the analysis's) cannot train: the first problem, and
    how many more there are; None when there are none."""
    if not errors:
        return None
    e = errors[0]
    more = f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" \
        if len(errors) > 1 else ""
    return Notice("error", f"Cannot train: {e}{more}", getattr(e, "node_id", None), "failed")


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


def memory_notice(analysis: GraphAnalysis, config: TrainingConfig,
                  data: Any = None) -> Notice | None:
    """A warning when the run is estimated to need more memory than is available (the
    command line refuses such a run; the window lets the person try), else None."""
    n_train = len(data.train.y) if data is not None else None
    n_val = len(data.val.y) if data is not None and data.val is not None else None
    try:
        check_fits_memory(estimate_training_memory(analysis, config, n_train, n_val))
    except MemoryLimitError as e:
        return Notice("warning", f"This run may run out of memory: {e}.", topic="memory")
    return None
