"""The model side of the window: document, undo commands, editor, layout, naming."""

from app.document.document import ProjectDocument
from app.document.editor import GraphEditor

__all__ = ["GraphEditor", "ProjectDocument"]
