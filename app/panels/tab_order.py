"""Tab order in the visual order of a panel.

Qt's default tab order is the order in which widgets were created, so a form rebuilt for
another layer type (or another optimizer) put its fields after everything made before it:
Tab jumped from a layer's name to its Frozen box. :func:`apply_tab_order` chains a panel's
focusable widgets in the order its layouts show them (top to bottom, a form row's label
then field, left to right in a row).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLayout,
    QLayoutItem,
    QScrollArea,
    QTabWidget,
    QWidget,
)

_ROLES = (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole,
          QFormLayout.ItemRole.SpanningRole)


def _takes_tab(w: QWidget) -> bool:
    return bool(w.focusPolicy() & Qt.FocusPolicy.TabFocus)


def visual_focus_chain(root: QWidget) -> list[QWidget]:
    """The widgets under ``root`` that Tab stops at, in the order the layouts show them
    (hidden ones included: Tab skips them while they are hidden)."""
    out: list[QWidget] = []
    seen: set[int] = set()

    def visit_widget(w: QWidget) -> None:
        if id(w) in seen:
            return
        seen.add(id(w))
        if isinstance(w, QScrollArea):
            if w.widget() is not None:
                visit_widget(w.widget())
            return
        container = isinstance(w, (QTabWidget, QGroupBox))
        if _takes_tab(w):
            out.append(w)
            if not container:
                return  # a field: its inner parts (a spin box's line edit) are its own
        if isinstance(w, QTabWidget):
            for i in range(w.count()):
                visit_widget(w.widget(i))
        elif w.layout() is not None:
            visit_layout(w.layout())

    def visit_item(item: QLayoutItem) -> None:
        if item.widget() is not None:
            visit_widget(item.widget())
        elif item.layout() is not None:
            visit_layout(item.layout())

    def visit_layout(lay: QLayout) -> None:
        if isinstance(lay, QFormLayout):
            for row in range(lay.rowCount()):
                for role in _ROLES:
                    item = lay.itemAt(row, role)
                    if item is not None:
                        visit_item(item)
        elif isinstance(lay, QGridLayout):
            cells = []
            for i in range(lay.count()):
                r, c, _rs, _cs = lay.getItemPosition(i)
                cells.append((r, c, i))
            for _r, _c, i in sorted(cells):
                visit_item(lay.itemAt(i))
        else:
            for i in range(lay.count()):
                visit_item(lay.itemAt(i))

    visit_widget(root)
    return out


def apply_tab_order(root: QWidget) -> list[QWidget]:
    """Make Tab go through ``root``'s widgets in visual order; return that order."""
    chain = visual_focus_chain(root)
    for first, second in zip(chain, chain[1:]):
        QWidget.setTabOrder(first, second)
    return chain
