"""The network canvas: scene mirroring the document, items, view and gestures."""

from app.canvas.scene import CanvasScene
from app.canvas.view import LAYER_MIME, CanvasView

__all__ = ["LAYER_MIME", "CanvasScene", "CanvasView"]
