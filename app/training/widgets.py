"""Small widgets of the training UI: run-control icons, the notice banner above the canvas
and the progress display in the toolbar."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QColor, QGuiApplication, QIcon, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from app.icons import render_icon
from app.theme import colors

# -- icons (24 x 24 design grid) -----------------------------------------------------------


def _play(p: QPainter, c: QColor, fill: QColor | None) -> None:
    p.setPen(QPen(c, 1.6))
    p.setBrush(fill if fill is not None else c)
    p.drawPolygon([QPointF(7, 4.5), QPointF(19.5, 12), QPointF(7, 19.5)])


def _pause(p: QPainter, c: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(c)
    p.drawRoundedRect(QRectF(6, 5, 4, 14), 1, 1)
    p.drawRoundedRect(QRectF(14, 5, 4, 14), 1, 1)


def _step(p: QPainter, c: QColor) -> None:
    p.setPen(QPen(c, 1.4))
    p.setBrush(c)
    p.drawPolygon([QPointF(5, 5), QPointF(14.5, 12), QPointF(5, 19)])
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(QRectF(16, 5, 3.2, 14), 1, 1)


def _stop(p: QPainter, c: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(c)
    p.drawRoundedRect(QRectF(6, 6, 12, 12), 1.5, 1.5)


def _reset(p: QPainter, c: QColor) -> None:
    pen = QPen(c, 1.8)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(5, 5, 14, 14), 100 * 16, 290 * 16)
    p.setBrush(c)
    p.setPen(Qt.PenStyle.NoPen)
    p.drawPolygon([QPointF(10.5, 1.8), QPointF(10.5, 8.6), QPointF(5.6, 5.2)])
    p.drawEllipse(QPointF(12, 12), 1.6, 1.6)


_GREEN = "#1f9d55"
_RED = "#d93a3a"


def run_icon(name: str) -> QIcon:
    """Icons of the Run actions: train, resume, pause, step, stop, reset."""
    pal = QGuiApplication.palette()
    normal = pal.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)
    disabled = pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)

    def draw(p: QPainter, mode: QIcon.Mode) -> None:
        off = mode == QIcon.Mode.Disabled
        c = disabled if off else normal
        if name in ("train", "resume"):
            _play(p, disabled if off else QColor(_GREEN), None)
        elif name == "pause":
            _pause(p, c)
        elif name == "step":
            _step(p, c)
        elif name == "stop":
            _stop(p, disabled if off else QColor(_RED))
        elif name == "reset":
            _reset(p, c)
    return render_icon(draw)


# -- the Train button ---------------------------------------------------------------------

class TrainButtonAction(QWidgetAction):
    """The toolbar's Train button: a click runs ``train`` (whose text says "Train" or
    "Continue"), its arrow opens a menu with ``train`` and ``scratch`` (Continue Training,
    Train from Scratch)."""

    def __init__(self, train: QAction, scratch: QAction, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("trainButtonAction")
        self.train = train
        self.menu = QMenu(parent)
        self.menu.setObjectName("trainMenu")
        self.menu.addAction(train)
        self.menu.addAction(scratch)

    def createWidget(self, parent: QWidget) -> QWidget:  # noqa: N802
        button = QToolButton(parent)
        button.setObjectName("trainButton")
        button.setDefaultAction(self.train)
        button.setMenu(self.menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        if isinstance(parent, QToolBar):
            button.setIconSize(parent.iconSize())
            parent.iconSizeChanged.connect(button.setIconSize)
        return button


# -- the banner ---------------------------------------------------------------------------

class NoticeBanner(QFrame):
    """A non-modal message strip (above the canvas) with optional action buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBanner")
        self.kind = "info"
        self.icon = QLabel()
        self.icon.setObjectName("noticeIcon")
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text = QLabel()
        self.text.setObjectName("noticeText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.buttons = QHBoxLayout()
        self.buttons.setSpacing(6)
        self.buttons.addStretch(1)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.dismiss)
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.icon)
        top.addWidget(self.text, 1)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        lay.setSpacing(4)
        lay.addLayout(top)
        lay.addLayout(self.buttons)
        self._actions: list[QPushButton] = []
        self._plain = ""
        self.hide()

    def show_message(self, kind: str, text: str,
                     actions: list[tuple[str, Callable[[], None]]] = ()) -> None:
        self.kind = kind
        self._plain = text
        self.text.setText(html.escape(text))
        for b in self._actions:
            self.buttons.removeWidget(b)
            b.deleteLater()
        self._actions = []
        for label, fn in actions:
            b = QPushButton(label)
            b.clicked.connect(lambda _c=False, fn=fn: fn())
            self.buttons.addWidget(b)
            self._actions.append(b)
        self.apply_theme()
        self.show()

    def button_texts(self) -> list[str]:
        return [b.text() for b in self._actions]

    def click(self, label: str) -> None:
        for b in self._actions:
            if b.text() == label:
                b.click()
                return
        raise KeyError(label)

    def message(self) -> str:
        """The text shown (plain), or "" when hidden."""
        return self._plain if self.isVisible() else ""

    def dismiss(self) -> None:
        self.hide()

    def apply_theme(self) -> None:
        c = colors()
        accent = {"error": c.error, "warning": QColor("#d08a00"),
                   "info": c.selection}.get(self.kind, c.selection)
        fill = QColor(accent)
        fill.setAlphaF(0.16 if c.dark else 0.10)
        self.setStyleSheet(
            f"QFrame#noticeBanner {{ background: rgba({fill.red()},{fill.green()},"
            f"{fill.blue()},{fill.alphaF():.2f}); border: none; border-left: 4px solid "
            f"{accent.name()}; }} QLabel#noticeText {{ color: {c.text.name()}; }}")
        self.icon.setText({"error": "⚠", "warning": "⚠", "info": "ℹ"}.get(self.kind, "ℹ"))
        self.icon.setStyleSheet(f"color: {accent.name()}; font-size: 15px;")


# -- progress -----------------------------------------------------------------------------

class RunProgress(QWidget):
    """Epoch x/N of the run as a bar, beside it the elapsed time and the estimated time
    left (and, on a second line, the epoch a continued run started from)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setObjectName("runProgress")
        self.bar.setTextVisible(True)
        self.bar.setFormat("")
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.label = QLabel("")
        self.label.setObjectName("runProgressLabel")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        font = self.label.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.88))
        self.label.setFont(font)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 0, 6, 0)
        lay.setSpacing(6)
        lay.addWidget(self.bar)
        lay.addWidget(self.label)
        lay.addStretch(1)
        # With no run there is nothing to show: the bar is hidden (an empty bar looks like
        # a text field) and keeps its place, so the toolbar does not move.
        keep = self.bar.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.bar.setSizePolicy(keep)
        self._fix_sizes()
        self.clear()

    #: The longest lines the label shows (its width fits them; it has room for two).
    WIDEST = ("88:88:88 · ETA 88:88:88 · stopping", "stopped early in 88:88:88",
              "preparing data…", "continued from epoch 8888888")

    def _fix_sizes(self) -> None:
        # Fixed sizes: a widget whose text (and so size hint) changes 4 times a second
        # would otherwise ask the toolbar and the whole main window to lay out again.
        fm = self.label.fontMetrics()
        self.bar.setFixedSize(150, self.bar.sizeHint().height())
        self.label.setFixedSize(max(fm.horizontalAdvance(t) for t in self.WIDEST) + 8,
                                2 * fm.lineSpacing() + 2)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fix_sizes()

    def set_progress(self, done: int, total: int, text: str, bar_text: str,
                     note: str = "") -> None:
        """``done`` of ``total`` (the bar, saying ``bar_text``), ``text`` beside it and
        ``note`` below that."""
        total = max(1, total)
        # One repaint for the three changes (QProgressBar.setValue would repaint the bar
        # at once, then the format and the label would ask for another).
        self.setUpdatesEnabled(False)
        try:
            if self.bar.maximum() != total:
                self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
            self.bar.setFormat(bar_text)
            self.bar.setVisible(True)
            self._set_text(text, note)
        finally:
            self.setUpdatesEnabled(True)

    def clear(self) -> None:
        """No run: nothing shown (the space stays reserved)."""
        self.bar.setFormat("")
        self.bar.setValue(0)
        self.bar.setVisible(False)
        self._set_text("", "")

    def _set_text(self, text: str, note: str) -> None:
        """The label's lines, each cut with "…" where it does not fit (the whole in the
        tooltip then)."""
        fm, width = self.label.fontMetrics(), self.label.contentsRect().width()
        lines = [t for t in (text, note) if t]
        shown = [fm.elidedText(t, Qt.TextElideMode.ElideRight, width) for t in lines]
        self.label.setText("\n".join(shown))
        self.label.setToolTip("\n".join(lines) if shown != lines else "")
