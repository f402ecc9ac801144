"""Forms generated from parameter schemas (``nncore.params.Param``).

One widget per kind: int -> QSpinBox, float -> a spin box that reads and writes scientific
notation, choice -> QComboBox, bool -> QCheckBox, shape -> a line edit ("1, 8, 8"), str ->
a line edit; an optional value gets a check box that turns it on and off. A form emits
``edited(name, value)`` only for changes the person makes; ``set_values`` updates the
widgets silently (no echo back into the document).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QRectF, QSignalBlocker, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QPainter,
    QPixmap,
    QValidator,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QToolTip,
    QWidget,
)

from app.theme import colors
from nncore.errors import NetCanvasError
from nncore.params import Param

INT_LIMIT = 2**31 - 1
FLOAT_LIMIT = 1e15
#: A help text wider than this many average characters wraps into a block this wide: a
#: paragraph read at a glance, not one line across the screen.
TIP_CHARS = 60

_LABELS = {
    "l1": "L1 penalty", "l2": "L2 penalty", "n_samples": "Samples", "n_classes": "Classes",
    "n_points": "Points", "n_users": "Users", "n_items": "Items", "n_ratings": "Ratings",
    "clip_norm": "Clip gradient norm", "warmup_epochs": "Warm-up epochs",
    "beta1": "Beta 1", "beta2": "Beta 2", "min_delta": "Minimum improvement",
    "restore_best": "Restore best weights", "early_stopping": "Stop early",
    "val_fraction": "Validation fraction", "test_fraction": "Test fraction",
    "split_seed": "Split seed", "use_bias": "Use bias", "target_shape": "Target shape",
}


def label_for(name: str) -> str:
    if name in _LABELS:
        return _LABELS[name]
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def format_float(v: float) -> str:
    if v == 0:
        return "0"
    text = f"{v:.6g}"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}e{int(exp)}"
    return text


def help_tooltip(text: str) -> str:
    """A tooltip for ``text`` (a parameter's help: a sentence or three, lines split by
    newlines): rich text, so that Qt wraps it at about :data:`TIP_CHARS` characters; a
    short text stays on one line."""
    if not text:
        return ""
    fm = QFontMetrics(QToolTip.font())
    limit = fm.averageCharWidth() * TIP_CHARS
    lines = text.split("\n")
    body = "<br>".join(html.escape(line, quote=False) for line in lines)
    if max(fm.horizontalAdvance(line) for line in lines) <= limit:
        return f"<nobr>{body}</nobr>"
    return f"<table width='{limit}'><tr><td>{body}</td></tr></table>"


def compact_combo(combo: QComboBox, chars: int = 10) -> QComboBox:
    """Let a combo box shrink below its longest item (long names would widen the panel)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    return combo


class SciSpinBox(QDoubleSpinBox):
    """A float spin box that accepts and shows numbers like 3e-4; arrows step by one unit
    of the leading digit (0.01 -> 0.02, and down 0.01 -> 0.009)."""

    _PARTIAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d*)?([eE][+-]?\d*)?")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(15)
        self.setKeyboardTracking(False)
        self.setRange(-FLOAT_LIMIT, FLOAT_LIMIT)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)

    def textFromValue(self, value: float) -> str:  # noqa: N802
        return format_float(value)

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text.strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        s = text.strip()
        try:
            v = float(s)
        except ValueError:
            state = (QValidator.State.Intermediate if self._PARTIAL.fullmatch(s)
                     else QValidator.State.Invalid)
            return state, text, pos
        if not math.isfinite(v):
            return QValidator.State.Invalid, text, pos
        if self.minimum() <= v <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    def fixup(self, text: str) -> str:
        try:
            v = float(text)
        except ValueError:
            return self.textFromValue(self.value())
        return self.textFromValue(min(max(v, self.minimum()), self.maximum()))

    def stepBy(self, steps: int) -> None:  # noqa: N802
        v = self.value()
        if v == 0:
            step = max(self.singleStep(), self.minimum()) if self.minimum() > 0 else 0.1
        else:
            mag = 10 ** math.floor(math.log10(abs(v)))
            if steps < 0 and abs(abs(v) - mag) <= mag * 1e-9:
                mag /= 10
            step = mag
        new = float(f"{v + steps * step:.12g}")
        self.setValue(min(max(new, self.minimum()), self.maximum()))
        self.editingFinished.emit()


def _warning_pixmap(size: int) -> QPixmap:
    """A round amber "!" (the canvas's lint mark) of ``size`` pixels."""
    ratio = QGuiApplication.primaryScreen().devicePixelRatio() if \
        QGuiApplication.primaryScreen() is not None else 1.0
    pix = QPixmap(round(size * ratio), round(size * ratio))
    pix.setDevicePixelRatio(ratio)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#d08a00"))
    p.drawEllipse(QRectF(0.5, 0.5, size - 1, size - 1))
    font = QFont(p.font())
    font.setBold(True)
    font.setPixelSize(max(8, round(size * 0.72)))
    p.setFont(font)
    p.setPen(QColor("white"))
    p.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, "!")
    p.end()
    return pix


def parse_shape(text: str) -> list[int]:
    """'1, 8, 8' / '[1, 8, 8]' / '(2,)' / '2' -> [1, 8, 8]; raise ValueError."""
    s = text.strip().strip("[]()").strip()
    parts = [p for p in re.split(r"[\s,x×]+", s) if p]
    if not parts:
        raise ValueError("empty shape")
    return [int(p) for p in parts]


class Field:
    """One parameter's editor widget with uniform get/set/on_change."""

    def __init__(self, param: Param, on_change: Callable[[], None],
                 choice_labels: dict[Any, tuple[str, str]] | None = None) -> None:
        self.param = param
        self._choice_labels = choice_labels or {}
        self._on_change = on_change
        self._last_good: Any = param.default
        self.widget: QWidget = self._build()
        self.widget.setToolTip(help_tooltip(param.help))

    def _build(self) -> QWidget:
        p = self.param
        if p.kind == "int":
            w = QSpinBox()
            lo = -INT_LIMIT if p.min is None else max(-INT_LIMIT, int(math.ceil(p.min)))
            hi = INT_LIMIT if p.max is None else min(INT_LIMIT, int(p.max))
            w.setRange(lo, hi)
            w.setKeyboardTracking(False)
            w.setAccelerated(True)
            w.valueChanged.connect(lambda _v: self._changed())
            self._spin = w
        elif p.kind == "float":
            w = SciSpinBox()
            lo = -FLOAT_LIMIT if p.min is None else p.min
            hi = FLOAT_LIMIT if p.max is None else p.max
            w.setRange(lo, hi)
            w.valueChanged.connect(lambda _v: self._changed())
            self._spin = w
        elif p.kind == "choice":
            w = QComboBox()
            compact_combo(w)
            for i, choice in enumerate(p.choices or ()):
                text, tip = self._choice_labels.get(choice, (str(choice), ""))
                w.addItem(text, choice)
                if tip:
                    w.setItemData(i, help_tooltip(tip), Qt.ItemDataRole.ToolTipRole)
            w.currentIndexChanged.connect(lambda _i: self._changed())
        elif p.kind == "bool":
            w = QCheckBox()
            w.toggled.connect(lambda _b: self._changed())
        else:  # shape, str
            w = QLineEdit()
            if p.kind == "shape":
                w.setPlaceholderText("default" if p.optional else "e.g. 1, 8, 8")
            w.editingFinished.connect(self._text_finished)
        if p.optional and p.kind in ("int", "float"):
            box = QWidget()
            lay = QHBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            self._enabled = QCheckBox()
            self._enabled.setToolTip(f"Turn {label_for(p.name).lower()} on or off")
            self._enabled.setAccessibleName(f"Use {label_for(p.name).lower()}")
            self._enabled.toggled.connect(self._toggle_optional)
            lay.addWidget(self._enabled)
            lay.addWidget(w, 1)
            self._inner = w
            return box
        self._inner = w
        return w

    # -- values -------------------------------------------------------------------------------
    def get(self) -> Any:
        p, w = self.param, self._inner
        if p.optional and p.kind in ("int", "float") and not self._enabled.isChecked():
            return None
        if p.kind in ("int", "float"):
            return w.value()
        if p.kind == "choice":
            return w.currentData()
        if p.kind == "bool":
            return w.isChecked()
        if p.kind == "shape":
            if p.optional and not w.text().strip():
                return None  # an optional shape (pool strides) left empty: its default
            return parse_shape(w.text())
        return w.text()

    def set(self, value: Any) -> None:
        p, w = self.param, self._inner
        blockers = [QSignalBlocker(w)]
        if p.optional and p.kind in ("int", "float"):
            blockers.append(QSignalBlocker(self._enabled))
            self._enabled.setChecked(value is not None)
            w.setEnabled(value is not None)
            if value is None:
                return
        self._last_good = value
        if p.kind in ("int", "float"):
            w.setValue(value)
        elif p.kind == "choice":
            i = w.findData(value)
            w.setCurrentIndex(max(i, 0))
        elif p.kind == "bool":
            w.setChecked(bool(value))
        elif p.kind == "shape":
            w.setText(", ".join(str(v) for v in value) if value is not None else "")
        else:
            w.setText("" if value is None else str(value))
        del blockers

    def revert(self) -> None:
        self.set(self._last_good)

    def _changed(self) -> None:
        self._on_change()

    def _text_finished(self) -> None:
        w = self._inner
        if not w.isModified():
            return
        w.setModified(False)
        self._on_change()

    def _toggle_optional(self, on: bool) -> None:
        self._inner.setEnabled(on)
        if on:
            default = self.param.default
            if default is None:
                default = self.param.min if self.param.min is not None else 1
                default = max(default, 1.0) if self.param.kind == "float" else default
            with QSignalBlocker(self._inner):
                self._inner.setValue(default)
        self._on_change()


class SchemaForm(QWidget):
    """A form for a tuple of Params; ``edited(name, value)`` on every user change."""

    edited = Signal(str, object)

    def __init__(self, schema: Iterable[Param] = (), parent: QWidget | None = None,
                 choice_labels: dict[str, dict[Any, tuple[str, str]]] | None = None) -> None:
        super().__init__(parent)
        self.choice_labels = choice_labels or {}
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layout_.setLabelAlignment(Qt.AlignmentFlag.AlignLeft
                                       | Qt.AlignmentFlag.AlignVCenter)
        self.fields: dict[str, Field] = {}
        self._error = QLabel()
        self._error.setWordWrap(True)
        self._error.setObjectName("formError")
        self._error.hide()
        self.set_schema(schema)

    def set_schema(self, schema: Iterable[Param]) -> None:
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.fields = {}
        self._error = QLabel()
        self._error.setWordWrap(True)
        self._error.setObjectName("formError")
        self._error.hide()
        for p in schema:
            f = Field(p, lambda name=p.name: self._emit(name), self.choice_labels.get(p.name))
            f.widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            label = QLabel(label_for(p.name))
            label.setToolTip(help_tooltip(p.help))
            label.setBuddy(f._inner)
            # Screen readers announce the label, and the help as the description.
            for w in {f.widget, f._inner}:
                w.setAccessibleName(label_for(p.name))
                w.setAccessibleDescription(p.help.replace("\n", " "))
            self.layout_.addRow(label, f.widget)
            # Made without a parent, a new row is shown only once the event loop runs again
            # (Qt queues it): shown now, so that a Tab pressed first does not skip it.
            label.setHidden(False)
            f.widget.setHidden(False)
            self.fields[p.name] = f
        self.layout_.addRow(self._error)

    def set_values(self, values: dict[str, Any]) -> None:
        for name, f in self.fields.items():
            if name in values:
                f.set(values[name])
            else:
                f.set(f.param.default)

    def value(self, name: str) -> Any:
        return self.fields[name].get()

    def widget(self, name: str) -> QWidget:
        return self.fields[name]._inner

    def focus_widgets(self) -> list[QWidget]:
        """The form's fields in the order shown (an optional value's check box first)."""
        out: list[QWidget] = []
        for f in self.fields.values():
            if f.param.optional and f.param.kind in ("int", "float"):
                out.append(f._enabled)
            out.append(f._inner)
        return out

    def show_error(self, text: str | None) -> None:
        if text:
            self._error.setText(text)
            self._error.setStyleSheet(f"color: {colors().error.name()};")
            self._error.show()
        else:
            self._error.clear()
            self._error.hide()

    def error_text(self) -> str:
        return "" if self._error.isHidden() else self._error.text()

    def set_warning(self, name: str, text: str) -> None:
        """Show a warning icon beside field ``name`` with ``text`` as its tooltip (what is
        wrong, why, the fix); an empty ``text`` removes it. The first warning moves the
        field into a row with room for the icon."""
        f = self.fields[name]
        icon: QLabel | None = getattr(f, "warning_icon", None)
        if icon is None:
            if not text:
                return
            row, _role = self.layout_.getWidgetPosition(f.widget)
            self.layout_.removeWidget(f.widget)
            box = QWidget()
            lay = QHBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setSpacing(4)
            lay.addWidget(f.widget, 1)
            icon = QLabel()
            icon.setObjectName(f"warning_{name}")
            icon.setAccessibleName(f"Warning about {label_for(name).lower()}")
            lay.addWidget(icon)
            self.layout_.setWidget(row, QFormLayout.ItemRole.FieldRole, box)
            f.warning_icon = icon
        icon.setPixmap(_warning_pixmap(icon.fontMetrics().height()))
        icon.setToolTip(help_tooltip(text))
        icon.setAccessibleDescription(text)
        icon.setVisible(bool(text))

    def warning(self, name: str) -> str:
        """The warning shown beside field ``name`` ("" when none)."""
        icon = getattr(self.fields[name], "warning_icon", None)
        return icon.accessibleDescription() if icon is not None and not icon.isHidden() \
            else ""

    def _emit(self, name: str) -> None:
        f = self.fields[name]
        try:
            value = f.get()
            if f.param.kind != "str":
                value = f.param.coerce(value)
        except (ValueError, NetCanvasError) as e:
            msg = str(e) if isinstance(e, NetCanvasError) else (
                f"{label_for(name)} must be {f.param.describe_range()}")
            self.show_error(msg)
            f.revert()
            return
        self.show_error(None)
        self.edited.emit(name, value)
