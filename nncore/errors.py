"""Typed errors raised by the engine.

Every error a user can cause derives from :class:`NetCanvasError` and carries a message
that says *what* is wrong and *where* (node, field, file, line), so the GUI can show it in
a message box and the CLI can print it and exit with code 2, never with a traceback.
"""

from __future__ import annotations


class NetCanvasError(Exception):
    """Base class of every error the engine raises on purpose."""


class ParameterError(NetCanvasError, ValueError):
    """A layer, optimizer or setting received a bad parameter value."""


class SpecError(NetCanvasError):
    """The network description is invalid (cycle, disconnected node, shape mismatch...).

    ``node_id`` names the node the error is about, when there is one.
    """

    def __init__(self, message: str, node_id: str | None = None):
        super().__init__(message)
        self.node_id = node_id


class CycleError(SpecError):
    """The graph contains a cycle."""


class ShapeError(SpecError):
    """A node receives an input whose shape it cannot take."""


class ConnectionError_(SpecError):
    """A node has the wrong number of inputs, or is not reachable from an input."""


class DataError(NetCanvasError):
    """A data file or data setting is invalid (bad CSV, wrong shapes, NaN, ...)."""


class FormatError(NetCanvasError):
    """A project or weights file is malformed; the message names the bad field."""


class TrainingError(NetCanvasError):
    """Training failed (for example the loss diverged to NaN/Inf)."""


class DivergenceError(TrainingError):
    """A non-finite loss or gradient appeared; ``layer`` names the first layer affected."""

    def __init__(self, message: str, layer: str | None = None, epoch: int | None = None,
                 batch: int | None = None):
        super().__init__(message)
        self.layer = layer
        self.epoch = epoch
        self.batch = batch
