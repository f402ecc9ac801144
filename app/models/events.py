"""A tiny evented-model helper: an :class:`Event` is one kind of change a model announces.

Observers connect plain callables; the model calls :meth:`Event.emit` after it changed, and
every callback runs at once, in the order it was connected (as a direct Qt connection
would, without Qt).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    """One kind of change of a model, and the callbacks that follow it."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> None:
        """Call ``callback(*args)`` on every :meth:`emit` from now on."""
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        """Stop calling ``callback`` (ValueError if it was not connected)."""
        self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        # A copy: a callback may connect or disconnect others while the event runs.
        for callback in list(self._callbacks):
            callback(*args)
