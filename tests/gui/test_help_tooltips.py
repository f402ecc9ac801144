"""Help tooltips of the forms (issue 12): a parameter's help of two or three sentences
wraps into a paragraph of readable width instead of one line across the screen."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QApplication, QToolTip

from app.panels.forms import TIP_CHARS, help_tooltip
from nncore.optimizers import OPTIMIZERS


def _tooltip_shown(widget, qtbot):
    QToolTip.showText(widget.mapToGlobal(QPoint(4, 4)), widget.toolTip(), widget)
    qtbot.waitUntil(QToolTip.isVisible)
    tip = next(w for w in QApplication.topLevelWidgets()
               if w.metaObject().className() == "QTipLabel" and w.isVisible())
    return tip


def test_long_help_tooltips_wrap_to_a_readable_width(window, qtbot, tmp_path):
    panel = window.training_panel
    combo = panel.form_for("optimizer").widget("optimizer")
    combo.setCurrentIndex(combo.findData("rmsprop"))
    window.scene.select_nodes(["dense1"])
    fields = {"l2": panel.form_for("l2").widget("l2"),
              "clip_norm": panel.form_for("clip_norm").fields["clip_norm"].widget,
              "epsilon": panel.nested["optimizer"].widget("epsilon")}
    editor = window.editor
    node = editor.add_node("BatchNormalization", (0, 400))
    window.scene.select_nodes([node])
    fields["momentum"] = window.inspector.form.widget("momentum")
    limit = QFontMetricsF(QToolTip.font()).averageCharWidth() * TIP_CHARS
    for name, widget in fields.items():
        tip = widget.toolTip()
        # Rich text, which Qt wraps (a plain-text tooltip is one line as wide as the
        # screen allows), holding the whole help.
        assert GuiQt.mightBeRichText(tip), name
        label = _tooltip_shown(widget, qtbot)
        assert label.wordWrap()
        assert label.width() <= limit + 16, name
        assert label.height() >= 2 * QFontMetricsF(label.font()).height(), name
        label.grab().save(str(tmp_path / f"tip_{name}.png"))
        QToolTip.hideText()
    # The choices' own help (an optimizer's, a loss's) is built the same way.
    item_tip = combo.itemData(combo.findData("rmsprop"), Qt.ItemDataRole.ToolTipRole)
    assert item_tip == help_tooltip(OPTIMIZERS["rmsprop"].help)
    # A short help stays on one line.
    units = window.inspector.form
    window.scene.select_nodes(["dense1"])
    label = _tooltip_shown(units.widget("units"), qtbot)
    assert label.height() < 2 * QFontMetricsF(label.font()).height()
    QToolTip.hideText()


def test_help_tooltip_keeps_the_text_and_its_line_breaks():
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setHtml(help_tooltip("Keras' l2(l2) < 1 & more.\n(Fixed while training runs.)"))
    assert doc.toPlainText() == "Keras' l2(l2) < 1 & more.\n(Fixed while training runs.)"
    assert help_tooltip("") == ""
