"""The loader options of a data format as a form (:class:`LoaderOptions`): one field per
option of the format's ``Param`` schema (``nncore.data.data_format(name).options``), with
its help text as the tooltip, so every option the loader has is in the window.

A field left empty (or on "Detect"/"Automatic") leaves the option out of the loader's
``params``: detection decides. Texts are read as the option needs: a column name or number,
a list ("id, name"), named inputs ("user: u; item: i"), an image size ("28x28").
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from app.panels.forms import compact_combo
from nncore.data.formats.data_format import DataFormat, OpenParam
from nncore.params import Param

#: How the form names the options (the others: their name in words).
LABELS = {"target": "Target column", "has_header": "Header row", "drop_incomplete":
          "Drop incomplete rows", "task": "Task", "categorical": "Categorical columns",
          "ignore": "Ignored columns", "delimiter": "Delimiter", "max_categories":
          "Most categories", "inputs": "Named inputs", "skip_rows": "Lines to skip",
          "decimal": "Decimal mark", "comment": "Comment mark", "missing_values":
          "Missing markers", "sheet": "Sheet", "x_key": "Inputs array", "y_key":
          "Targets array", "labels_path": "Labels file", "scale": "Scale to 0–1",
          "size": "Resize to", "color": "Colour", "skip_invalid": "Skip unreadable files"}
#: Placeholders of text fields, saying what an empty field means and what to type.
HINTS = {"target": "last column (or a name, a number, a list)", "categorical": "none (names "
         "or numbers, comma separated)", "ignore": "none (names or numbers, comma "
         "separated)", "delimiter": "detect (, ; | tab whitespace)", "inputs":
         "none (input: col, col; input2: col)", "comment": "detect (# or 'none')",
         "missing_values": "NA, N/A, NaN, null, None, ?", "sheet": "first sheet",
         "labels_path": "the labels file", "size": "own size (or 28x28)"}
_DETECT = -1


def label_of(name: str) -> str:
    """The form's name for option ``name``."""
    return LABELS.get(name, name.replace("_", " ").capitalize())


class LoaderOptions(QWidget):
    """Every option of one data format, with help; ``edited(name)`` when the person
    changes one, :meth:`params` the options as the loader takes them."""

    edited = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setVerticalSpacing(3)
        self.format: DataFormat | None = None
        self.fields: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self._params: dict[str, Param] = {}
        self._highlighted = ""

    def set_format(self, fmt: DataFormat) -> None:
        """Show the options of ``fmt`` (rebuilt only when the format changes)."""
        if self.format is fmt:
            return
        self.format = fmt
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.fields, self.labels = {}, {}
        self._params = {p.name: p for p in fmt.options}
        for p in fmt.options:
            field = self._make_field(p)
            field.setToolTip(p.help)
            field.setAccessibleName(label_of(p.name))
            field.setAccessibleDescription(p.help)
            label = QLabel(label_of(p.name))
            label.setToolTip(p.help)
            label.setBuddy(field)
            self.fields[p.name], self.labels[p.name] = field, label
            self.layout_.addRow(label, field)

    def _make_field(self, p: Param) -> QWidget:
        if p.kind == "bool" and not p.optional:
            box = QCheckBox()
            box.toggled.connect(lambda _v, n=p.name: self.edited.emit(n))
            return box
        if p.kind in ("bool", "choice"):
            combo = compact_combo(QComboBox())
            if p.optional:
                combo.addItem("Automatic" if p.name == "task" else "Detect", None)
            if p.kind == "bool":
                combo.addItem("Yes", True)
                combo.addItem("No", False)
            else:
                for c in p.choices or ():
                    combo.addItem(c.capitalize() if c.isalpha() else c, c)
            combo.currentIndexChanged.connect(lambda _i, n=p.name: self.edited.emit(n))
            return combo
        if p.kind == "int":
            spin = QSpinBox()
            low = int(p.min) if p.min is not None else 0
            spin.setRange(_DETECT if p.optional else low, int(p.max or 10**6))
            if p.optional:
                spin.setSpecialValueText("Detect")
            spin.editingFinished.connect(lambda n=p.name: self._spin_done(n))
            spin.valueChanged.connect(lambda _v, n=p.name: self._spin_step(n))
            return spin
        edit = QLineEdit()
        edit.setPlaceholderText(HINTS.get(p.name, "" if p.default is None else str(p.default)))
        edit.editingFinished.connect(lambda n=p.name: self._text_done(n))
        return edit

    def _spin_step(self, name: str) -> None:
        # Arrow clicks apply at once; typing applies when the field is left.
        if not self.fields[name].hasFocus():
            self.edited.emit(name)

    def _spin_done(self, name: str) -> None:
        self.edited.emit(name)

    def _text_done(self, name: str) -> None:
        edit = self.fields[name]
        if isinstance(edit, QLineEdit) and edit.isModified():
            edit.setModified(False)
            self.edited.emit(name)

    # -- values ----------------------------------------------------------------------------
    def show_params(self, params: dict[str, Any]) -> None:
        """Set every field from the loader options ``params`` (silently)."""
        for name, field in self.fields.items():
            p = self._params[name]
            value = params.get(name, p.default)
            with QSignalBlocker(field):
                if isinstance(field, QCheckBox):
                    field.setChecked(bool(value))
                elif isinstance(field, QComboBox):
                    field.setCurrentIndex(max(0, field.findData(value)))
                elif isinstance(field, QSpinBox):
                    field.setValue(_DETECT if value is None else int(value))
                elif isinstance(field, QLineEdit):
                    field.setText(format_value(name, value))

    def params(self, old: dict[str, Any]) -> dict[str, Any]:
        """``old`` with every option of this form as its fields say (defaults left out).
        A text that cannot be read raises ValueError naming the field."""
        out = {k: v for k, v in old.items() if k not in self.fields}
        for name, field in self.fields.items():
            p = self._params[name]
            if isinstance(field, QCheckBox):
                value: Any = field.isChecked()
            elif isinstance(field, QComboBox):
                value = field.currentData()
            elif isinstance(field, QSpinBox):
                value = None if field.value() == _DETECT else field.value()
            else:
                value = parse_value(p, field.text())
            if value is not None and value != p.default:
                out[name] = value
        return out

    def set_value(self, name: str, value: Any) -> None:
        """Put ``value`` in the field of ``name`` (a suggested fix), without an edit."""
        p = self._params.get(name)
        if p is None or value is None:
            return
        current = self.params({})
        current[name] = value
        self.show_params(current)

    def highlight(self, name: str) -> None:
        """Mark the field of ``name`` (the option that would fix a failed load); '' clears."""
        if self._highlighted in self.labels:
            self.labels[self._highlighted].setStyleSheet("")
        self._highlighted = name if name in self.labels else ""
        if self._highlighted:
            self.labels[name].setStyleSheet("font-weight: bold; color: #d9822b;")


def format_value(name: str, value: Any) -> str:
    """An option's value as its text field shows it."""
    if value is None:
        return ""
    if name == "delimiter":
        return "tab" if value == "\t" else value
    if name == "comment" and value == "":
        return "none"
    if name == "size" and isinstance(value, (list, tuple)):
        return "x".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {', '.join(str(c) for c in v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _column(text: str) -> str | int:
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else text


def parse_value(p: Param, text: str) -> Any:
    """The value of option ``p`` a field's ``text`` means (None for an empty field)."""
    raw = text.strip() if p.name != "delimiter" else text
    if not raw.strip() and not (p.name == "delimiter" and raw == " "):
        return None
    name = p.name
    if name == "delimiter":
        word = raw.strip().lower()
        if word in ("tab", "\\t"):
            return "\t"
        if word in ("whitespace", "spaces", "space"):
            return "whitespace"
        return raw.strip() or raw
    if name == "comment":
        return "" if raw.lower() == "none" else raw
    if name == "inputs":
        out: dict[str, list[str | int]] = {}
        for part in raw.split(";"):
            key, sep, cols = part.partition(":")
            if not sep or not key.strip():
                raise ValueError(f"{label_of(name)}: write 'input: column, column; "
                                 f"input2: column', got {raw!r}")
            out[key.strip()] = [_column(c) for c in cols.split(",") if c.strip()]
        return out
    if p.kind == "shape":
        parts = [s for s in raw.replace("x", ",").replace("×", ",").split(",") if s.strip()]
        if not all(s.strip().isdigit() for s in parts):
            raise ValueError(f"{label_of(name)}: write the height and width, such as 28x28")
        return [int(s) for s in parts]
    if isinstance(p, OpenParam) and list in p.accepts:
        items = [s.strip() for s in raw.split(",")]
        if name == "missing_values":
            return [s for s in items if s]
        cols = [_column(s) for s in items if s]
        if name == "target" and len(cols) == 1:
            return cols[0]
        return cols
    return raw
