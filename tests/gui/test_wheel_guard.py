"""The mouse wheel over a form: a field takes it only when it has the keyboard focus;
otherwise the wheel scrolls the panel the field is in (issue 12)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtTest import QTest


def _wheel_at(qtbot, widget, notches: int = -1) -> None:
    """Turn the wheel by ``notches`` over the centre of ``widget``, as the window system
    delivers it (a spontaneous event to the window, routed to the widget under the
    pointer)."""
    window = widget.window()
    pos = widget.mapTo(window, widget.rect().center())
    QTest.wheelEvent(window.windowHandle(), QPointF(pos), QPoint(0, 120 * notches))
    qtbot.wait(10)


def _data_panel_field(window, qtbot, name: str):
    window.resize(1024, 700)
    window.data_dock.show()
    window.data_dock.raise_()
    panel = window.data_panel
    qtbot.waitUntil(lambda: panel.isVisible() and panel.verticalScrollBar().maximum() > 0)
    spin = panel.sources.generated.form.widget(name)
    panel.ensureWidgetVisible(spin, 0, 60)
    window.view.setFocus()
    qtbot.waitUntil(lambda: not spin.hasFocus())
    return panel, spin


def test_wheel_over_an_unfocused_field_scrolls_the_panel(window, qtbot):
    panel, spin = _data_panel_field(window, qtbot, "noise")
    value, count = spin.value(), window.undo_stack.count()
    bar = panel.verticalScrollBar()
    bar.setValue(0)
    panel.ensureWidgetVisible(spin, 0, 60)
    before = bar.value()
    _wheel_at(qtbot, spin, -1)
    assert spin.value() == value
    assert window.document.data.params.get("noise", value) == value
    assert window.undo_stack.count() == count
    assert not spin.hasFocus()
    assert bar.value() > before


def test_wheel_over_the_focused_field_still_changes_it(window, qtbot):
    panel, spin = _data_panel_field(window, qtbot, "noise")
    value, count = spin.value(), window.undo_stack.count()
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    bar = panel.verticalScrollBar()
    before = bar.value()
    _wheel_at(qtbot, spin, 1)
    assert spin.value() > value
    assert window.document.data.params["noise"] == spin.value()
    assert window.undo_stack.count() == count + 1
    assert bar.value() == before


def test_every_field_kind_is_guarded_and_never_focused_by_the_wheel(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import (
        QComboBox,
        QDoubleSpinBox,
        QScrollArea,
        QSlider,
        QSpinBox,
        QVBoxLayout,
        QWidget,
    )

    area = QScrollArea()
    qtbot.addWidget(area)
    body = QWidget()
    lay = QVBoxLayout(body)
    combo = QComboBox()
    combo.addItems(["a", "b", "c"])
    fields = [QSpinBox(), QDoubleSpinBox(), combo, QSlider(Qt.Orientation.Horizontal)]
    fields[0].setRange(0, 10)
    fields[3].setRange(0, 10)
    fields[0].setValue(5)
    fields[1].setValue(5.0)
    combo.setCurrentIndex(1)
    fields[3].setValue(5)
    for f in fields:
        lay.addSpacing(300)
        lay.addWidget(f)
    lay.addSpacing(300)
    area.setWidget(body)
    area.resize(300, 400)
    area.show()
    qtbot.waitExposed(area)
    bar = area.verticalScrollBar()
    for f in fields:
        assert f.focusPolicy() == Qt.FocusPolicy.StrongFocus
        area.ensureWidgetVisible(f, 0, 100)
        area.setFocus()
        before, value = bar.value(), _value(f)
        _wheel_at(qtbot, f, -1)
        assert (_value(f), f.hasFocus()) == (value, False)
        assert bar.value() > before, type(f).__name__
        f.setFocus()
        qtbot.waitUntil(f.hasFocus)
        area.ensureWidgetVisible(f, 0, 100)
        before = bar.value()
        _wheel_at(qtbot, f, -1)
        assert _value(f) != value, type(f).__name__
        assert bar.value() == before


def _value(field):
    return field.currentIndex() if hasattr(field, "currentIndex") else field.value()
