"""The base of the plotting docks: a placeholder while the project has no run, else the
panel's plots (built at the first run, importing pyqtgraph), redrawn only in the panel's
turn of the frame scheduler and only while visible. When the history is cleared (another
project) the placeholder shows again, and the plots, cleared, wait for the next run."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget

from app.theme import colors, theme_notifier
from app.training.controller import RunController


class LazyPanel(QStackedWidget):
    """A placeholder until :meth:`ensure_built` (called when a run starts) and whenever the
    history is empty."""

    def __init__(self, training: RunController, placeholder: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.training = training
        self.history = training.history
        self.placeholder = QLabel(placeholder)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("hint")
        self.placeholder.setMargin(16)
        self.addWidget(self.placeholder)
        self.content: QWidget | None = None
        self.history.runs_changed.connect(self._on_runs_changed)
        theme_notifier().changed.connect(self._on_theme)
        self._on_theme()

    @property
    def built(self) -> bool:
        return self.content is not None

    def _on_runs_changed(self) -> None:
        if self.history.runs:
            self.ensure_built()
        elif self.content is not None:
            self.setCurrentWidget(self.placeholder)

    def ensure_built(self) -> None:
        """Build the plots (once) and show them."""
        if self.content is None:
            self.content = self._build()
            self.addWidget(self.content)
            self.setCurrentWidget(self.content)
            self.training.frames.redraw.connect(self._on_redraw)
            self.history.display_changed.connect(self._on_display)
            self._on_display()
        self.setCurrentWidget(self.content)

    def _build(self) -> QWidget:
        """Create the panel's content; every panel class defines it (Qt's metaclass rules
        out ``abc.abstractmethod`` here)."""
        raise TypeError(f"{type(self).__name__} does not define _build()")

    #: Which of the frame scheduler's redraw slots is this panel's.
    SLOT = -1

    def _on_redraw(self, slot: int) -> None:
        if slot == self.SLOT and self.isVisible():
            self.refresh()

    def _on_display(self) -> None:
        pass

    def refresh(self) -> None:
        pass

    def _on_theme(self) -> None:
        self.placeholder.setStyleSheet(f"color: {colors().subtext.name()};")
