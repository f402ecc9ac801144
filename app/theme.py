"""Look: Fusion style with a light or dark palette, chosen by the person (View > Theme:
System, Light or Dark) or following the system preference.

``set_theme(app, choice)`` applies a choice; with "system", ``apply_theme(app)`` picks the
palette from ``QStyleHints.colorScheme()`` (Qt >= 6.5) and :func:`follow_system_theme`
re-applies it when the system switches (a chosen Light or Dark stays). ``colors()`` gives
the canvas colours of the current scheme, and ``theme_notifier().changed`` tells every
view to repaint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLabel,
    QStyleFactory,
    QTreeWidget,
)

CATEGORY_LIGHT = {"core": "#3372c4", "convolution": "#17896a", "recurrent": "#8150c8",
                  "merge": "#d0701c"}
CATEGORY_DARK = {"core": "#6ea4f0", "convolution": "#4cc49c", "recurrent": "#b08af0",
                 "merge": "#f0a25a"}


@dataclass(frozen=True)
class Colors:
    dark: bool
    canvas: QColor
    grid: QColor
    node_fill: QColor
    node_border: QColor
    selection: QColor
    text: QColor
    subtext: QColor
    error: QColor
    error_fill: QColor
    link: QColor
    accept: QColor
    refuse: QColor
    tooltip_fill: QColor
    categories: dict[str, QColor] = field(default_factory=dict)

    def category(self, name: str) -> QColor:
        return self.categories.get(name, self.categories["core"])


def _colors(dark: bool) -> Colors:
    c = QColor
    if dark:
        return Colors(True, c("#1f2125"), c("#2b2e33"), c("#2d3036"), c("#4a4f58"),
                      c("#4c9be8"), c("#e8eaed"), c("#a3a9b3"), c("#ff6b6b"), c("#4a2a2c"),
                      c("#8b929c"), c("#46c37b"), c("#ff6b6b"), c("#3a3d44"),
                      {k: c(v) for k, v in CATEGORY_DARK.items()})
    return Colors(False, c("#f6f7f9"), c("#e6e8ec"), c("#ffffff"), c("#b9bec7"),
                  c("#1f6fd1"), c("#1d2127"), c("#5c6470"), c("#d93a3a"), c("#fdecec"),
                  c("#7d8794"), c("#1f9d55"), c("#d93a3a"), c("#fffbe6"),
                  {k: c(v) for k, v in CATEGORY_LIGHT.items()})


class ThemeNotifier(QObject):
    changed = Signal()


_notifier: ThemeNotifier | None = None
_current: Colors | None = None


def theme_notifier() -> ThemeNotifier:
    global _notifier
    if _notifier is None:
        _notifier = ThemeNotifier()
    return _notifier


#: The choices of View > Theme.
THEMES = ("system", "light", "dark")
_choice = "system"
#: The window colour's lightness of the palette the application started with (before a
#: theme replaced it): how the system looks when it does not say.
_platform_lightness: int | None = None


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)  # Qt >= 6.5
    if scheme is not None:
        value = scheme()
        if value == Qt.ColorScheme.Dark:
            return True
        if value == Qt.ColorScheme.Light:
            return False
    # Unknown: judge from the platform palette's window colour.
    lightness = _platform_lightness
    if lightness is None:
        lightness = QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness()
    return lightness < 128


def theme_choice() -> str:
    """The theme chosen: "system", "light" or "dark"."""
    return _choice


def set_theme(app: QApplication, choice: str) -> Colors:
    """Apply a theme choice (one of :data:`THEMES`) to every widget, plot and the canvas."""
    global _choice
    if choice not in THEMES:
        raise ValueError(f"theme must be one of {THEMES}, not {choice!r}")
    _choice = choice
    return apply_theme(app, None if choice == "system" else choice == "dark")


def colors() -> Colors:
    global _current
    if _current is None:
        _current = _colors(False)
    return _current


def dark_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    base = {
        role.Window: "#2a2d32", role.WindowText: "#e8eaed", role.Base: "#1f2125",
        role.AlternateBase: "#272a2f", role.ToolTipBase: "#3a3d44",
        role.ToolTipText: "#e8eaed", role.PlaceholderText: "#8b929c", role.Text: "#e8eaed",
        role.Button: "#33363c", role.ButtonText: "#e8eaed", role.BrightText: "#ff6b6b",
        role.Light: "#43474e", role.Midlight: "#3a3d44", role.Mid: "#26292d",
        role.Dark: "#1b1d20", role.Shadow: "#111214", role.Highlight: "#3b82d6",
        role.HighlightedText: "#ffffff", role.Link: "#6ea4f0", role.LinkVisited: "#b08af0",
    }
    for r, v in base.items():
        p.setColor(r, QColor(v))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#6c727b"))
    p.setColor(group.Disabled, role.Highlight, QColor("#3a3d44"))
    return p


def apply_theme(app: QApplication, dark: bool | None = None) -> Colors:
    """Use Fusion with a palette matching the system (or ``dark`` when given)."""
    global _current, _platform_lightness
    if _platform_lightness is None:
        _platform_lightness = app.palette().color(QPalette.ColorRole.Window).lightness()
    if app.style().name().lower() != "fusion":
        style = QStyleFactory.create("Fusion")
        if style is not None:
            app.setStyle(style)
    if dark is None:
        dark = system_is_dark()
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    _current = _colors(dark)
    theme_notifier().changed.emit()
    return _current


_following = False


def follow_system_theme(app: QApplication) -> None:
    """Apply the theme now and again whenever the system's colour scheme changes (unless
    Light or Dark was chosen)."""
    global _following
    set_theme(app, _choice)
    if _following:
        return
    hints = QGuiApplication.styleHints()
    signal = getattr(hints, "colorSchemeChanged", None)
    if signal is not None:
        signal.connect(_on_system_scheme_changed)
        _following = True


def _on_system_scheme_changed(*_args) -> None:
    if _choice == "system":
        apply_theme(QApplication.instance())


def small_label(text: str = " ", scale: float = 0.85, wrap: bool = False) -> QLabel:
    """A caption, readout or hint: the application font scaled down (never below 7 pt)."""
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(max(7.0, font.pointSizeF() * scale))
    label.setFont(font)
    label.setWordWrap(wrap)
    return label


def make_table(columns: list[str]) -> QTreeWidget:
    """A flat, single-selection table: the other columns fit their contents and the first
    takes the rest of the width, but never less than its own contents (see
    :class:`NamesTable`)."""
    table = NamesTable()
    table.setColumnCount(len(columns))
    table.setHeaderLabels(columns)
    table.setRootIsDecorated(False)
    table.setUniformRowHeights(True)
    table.setAlternatingRowColors(True)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    header = table.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
    for col in range(1, len(columns)):
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
    return table


class NamesTable(QTreeWidget):
    """A table whose first column (the names) gets the width the other columns leave, and
    at least what its contents need: a narrow table scrolls sideways instead of squeezing
    the names to a few pixels. (A ``Stretch`` first column gets only what is left, down to
    the header's minimum: in a narrow dock, as a restored window layout may give, the names
    collapsed.)"""

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_first_column()

    def updateGeometries(self) -> None:  # noqa: N802
        super().updateGeometries()
        self._fit_first_column()

    def _fit_first_column(self) -> None:
        header = self.header()
        if header.count() == 0:
            return
        others = sum(header.sectionSize(c) for c in range(1, header.count())
                     if not header.isSectionHidden(c))
        needed = max(self.sizeHintForColumn(0), header.sectionSizeHint(0))
        width = max(needed, self.viewport().width() - others)
        if header.sectionSize(0) != width:
            header.resizeSection(0, width)
