"""Every visible interactive widget of the main window has an accessible name, as Qt's
accessibility layer reports it to a screen reader (a name set with ``setAccessibleName``, a
label's buddy, a button's text): over the whole window, each dock raised in turn, with
nothing and with a layer selected. A failure lists the widgets without a name (object
name, class, parents) so that each is quick to find."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QGraphicsView,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

#: The kinds of widgets a person operates (and a screen reader announces by their name).
INTERACTIVE = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QTextEdit,
               QPlainTextEdit, QAbstractItemView, QAbstractSlider, QTabBar, QGraphicsView)


def _is_part_of_another(w: QWidget) -> bool:
    """A spin box's or combo box's own line edit, a scroll bar: announced with (or as part
    of) the widget that owns them."""
    parent = w.parentWidget()
    if isinstance(w, QScrollBar):
        return True
    if isinstance(w, QHeaderView) and isinstance(parent, QAbstractItemView):
        return True  # a table's column headers: part of the table's own interface
    return isinstance(w, QLineEdit) and isinstance(parent, (QAbstractSpinBox, QComboBox))


def interactive_widgets(root: QWidget) -> list[QWidget]:
    """The visible interactive widgets under ``root``."""
    return [w for w in root.findChildren(QWidget)
            if isinstance(w, INTERACTIVE) and w.isVisible() and not _is_part_of_another(w)]


def accessible_name(w: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(w)
    return iface.text(QAccessible.Text.Name).strip() if iface is not None else ""


def describe(w: QWidget) -> str:
    """objectName, class and the chain of parents (by object name where they have one)."""
    chain = []
    p = w.parentWidget()
    while p is not None:
        chain.append(p.objectName() or type(p).__name__)
        p = p.parentWidget()
    return f"{w.objectName() or '(no objectName)'} [{type(w).__name__}] in {' < '.join(chain)}"


def unnamed_widgets(root: QWidget) -> list[str]:
    """Descriptions of the visible interactive widgets without an accessible name."""
    return [describe(w) for w in interactive_widgets(root) if not accessible_name(w)]


def _unnamed_in_every_dock(window) -> list[str]:
    found: dict[str, None] = {}
    for desc in unnamed_widgets(window):
        found[desc] = None
    for dock in window.findChildren(QDockWidget):
        dock.show()
        dock.raise_()
        QApplication.processEvents()
        for desc in unnamed_widgets(window):
            found[desc] = None
    return list(found)


def test_every_interactive_widget_has_an_accessible_name(window, qtbot):
    assert len(interactive_widgets(window)) > 20  # the walk sees the window's widgets
    missing = _unnamed_in_every_dock(window)
    window.scene.select_nodes(["dense1"])  # the inspector's layer form
    missing += _unnamed_in_every_dock(window)
    window.scene.clearSelection()
    assert not missing, "widgets without an accessible name:\n" + "\n".join(
        dict.fromkeys(missing))


def test_form_fields_are_named_by_their_labels(window):
    window.scene.select_nodes(["dense1"])
    units = window.inspector.form.widget("units")
    assert accessible_name(units) == "Units"
    assert QAccessible.queryAccessibleInterface(units).text(
        QAccessible.Text.Description) == "Number of neurons."  # the parameter's help
    assert accessible_name(window.palette_panel.search) == "Search layers"
    assert accessible_name(window.palette_panel.tree) == "Layer types"
    # The palette's entries read with what each layer does.
    dense = window.palette_panel.items["Dense"]
    assert dense.data(0, Qt.ItemDataRole.AccessibleDescriptionRole).startswith(
        "Fully connected layer")


def test_the_canvas_describes_the_selected_layer(window):
    view = window.view
    assert accessible_name(view) == "Network canvas"
    window.scene.select_nodes(["dense1"])
    text = QAccessible.queryAccessibleInterface(view).text(QAccessible.Text.Description)
    shape = window.document.analysis.shapes["dense1"]
    assert text.startswith("Selected layer dense1: Dense")
    assert f"output {shape[0]}" in text
    assert "fed by input1" in text and "feeds dense2" in text
