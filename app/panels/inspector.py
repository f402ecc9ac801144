"""The inspector: a form for the selected layer, built from its registry schema.

Edits go through the editor (one undo command each); what the engine says about the layer
(its output shape, parameter count, errors) is shown right away. With nothing selected it
edits the project's name and description.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.canvas.items import format_count, format_shape
from app.document.editor import GraphEditor
from app.icons import layer_icon
from app.panels.forms import SchemaForm
from app.panels.tab_order import apply_tab_order
from app.theme import colors, theme_notifier
from nncore.errors import SpecError
from nncore.registry import layer_class


class _DescriptionEdit(QPlainTextEdit):
    """A plain text edit that commits when it loses focus; Tab moves on (a description
    needs no tab characters, and a Tab typed here was an undoable edit)."""

    def __init__(self, commit) -> None:
        super().__init__()
        self._commit = commit
        self.setTabChangesFocus(True)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self._commit()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, 90)


class _NameEdit(QLineEdit):
    """The layer's name field: Escape gives back the name the layer has (and, with nothing
    to give back, goes on to the window: back to the canvas)."""

    escaped = Signal()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and \
                event.key() == Qt.Key.Key_Escape and self.isModified():
            event.accept()  # this Escape restores the name; the next one leaves
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class InspectorWidget(QScrollArea):
    """Three pages: the project (nothing selected), several nodes, one node's form."""

    def __init__(self, editor: GraphEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.doc = editor.document
        self.node_id: str | None = None
        self._type: str | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.stack = QStackedWidget()
        self.setWidget(self.stack)
        self.stack.addWidget(self._project_page())  # 0: nothing selected
        self.stack.addWidget(self._multi_page())    # 1: several nodes
        self.stack.addWidget(self._node_page())     # 2: one node

        d = self.doc
        d.nodeChanged.connect(self._on_node_changed)
        d.analysisChanged.connect(self._refresh_analysis)
        d.nodeRenamed.connect(self._on_renamed)
        d.nodeRemoved.connect(self._on_removed)
        d.projectReset.connect(lambda: self.set_selection([]))
        d.infoChanged.connect(self._refresh_project)
        theme_notifier().changed.connect(self._refresh_analysis)
        self.set_selection([])

    # -- pages -------------------------------------------------------------------------------
    def _project_page(self) -> QWidget:
        page = QWidget()
        pl = QVBoxLayout(page)
        pl.setContentsMargins(10, 10, 10, 10)
        title = QLabel("Project")
        title.setObjectName("inspectorTitle")
        self._bold(title, 1.15)
        form = QFormLayout()
        self.project_name = QLineEdit()
        self.project_name.setAccessibleName("Project name")
        self.project_name.editingFinished.connect(self._commit_name)
        self.project_description = _DescriptionEdit(self._commit_description)
        self.project_description.setPlaceholderText("What this network is for")
        self.project_description.setAccessibleName("Project description")
        form.addRow("Name", self.project_name)
        form.addRow("Description", self.project_description)
        hint = QLabel("Select a layer on the canvas to edit it. Drag layers from the "
                      "palette; drag from an output port (right) to an input port (left) "
                      "to connect.")
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        pl.addWidget(title)
        pl.addLayout(form)
        pl.addSpacing(8)
        pl.addWidget(hint)
        pl.addStretch(1)
        return page

    def _multi_page(self) -> QWidget:
        page = QWidget()
        ml = QVBoxLayout(page)
        ml.setContentsMargins(10, 10, 10, 10)
        self.multi_label = QLabel()
        self.multi_label.setWordWrap(True)
        ml.addWidget(self.multi_label)
        ml.addStretch(1)
        return page

    def _node_page(self) -> QWidget:
        page = QWidget()
        nl = QVBoxLayout(page)
        nl.setContentsMargins(10, 10, 10, 10)
        nl.setSpacing(8)
        head = QHBoxLayout()
        self.icon = QLabel()
        self.icon.setFixedSize(28, 28)
        self.type_label = QLabel()
        self._bold(self.type_label, 1.15)
        head.addWidget(self.icon)
        head.addWidget(self.type_label, 1)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("hint")
        idform = QFormLayout()
        idform.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = _NameEdit()
        self.name_edit.setToolTip("The layer's unique name (letters, digits, _ - .)")
        self.name_edit.setAccessibleName("Layer name")
        self.name_edit.setAccessibleDescription("The layer's unique name: letters, digits, "
                                                "underscore, hyphen and dot")
        self.name_edit.editingFinished.connect(self._commit_rename)
        self.name_edit.escaped.connect(self._restore_name)
        # Why a name was refused, under the field, until it is fixed or given up.
        self.name_error = QLabel()
        self.name_error.setObjectName("nameError")
        self.name_error.setWordWrap(True)
        self.name_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        idform.addRow("Name", self.name_edit)
        idform.addRow("", self.name_error)
        self._idform = idform
        idform.setRowVisible(self.name_error, False)
        self.form = SchemaForm()
        self.form.edited.connect(self._on_param_edited)
        self.frozen = QCheckBox("Frozen (weights stay fixed during training)")
        self.frozen.setAccessibleName("Frozen")
        self.frozen.setAccessibleDescription("The layer's weights stay fixed during training")
        self.frozen.toggled.connect(self._on_frozen)
        self.lock_note = QLabel("Training is running: this layer cannot change until the run "
                                "stops.")
        self.lock_note.setWordWrap(True)
        self.lock_note.setObjectName("lockNote")
        self.lock_note.hide()
        nl.addLayout(head)
        nl.addWidget(self.lock_note)
        nl.addWidget(self.description)
        nl.addLayout(idform)
        nl.addWidget(self._rule())
        nl.addWidget(self.form)
        nl.addWidget(self.frozen)
        nl.addWidget(self._rule())
        nl.addLayout(self._analysis_form())
        nl.addWidget(self.error_label)
        nl.addStretch(1)
        return page

    def _analysis_form(self) -> QFormLayout:
        """What the engine says about the node: output shape, parameters (and, below the
        form, its errors)."""
        info = QFormLayout()
        self.shape_label = QLabel()
        self.params_label = QLabel()
        self.shape_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        info.addRow("Output shape", self.shape_label)
        info.addRow("Parameters", self.params_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setObjectName("nodeError")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return info

    def set_locked(self, locked: bool) -> None:
        """During a run the layer's parameters, name and frozen flag are read-only."""
        self.form.setEnabled(not locked)
        self.name_edit.setReadOnly(locked)
        self.frozen.setEnabled(not locked)
        self.lock_note.setStyleSheet(f"color: {colors().subtext.name()}; font-style: italic;")
        self.lock_note.setVisible(locked)

    @staticmethod
    def _bold(label: QLabel, scale: float = 1.0) -> None:
        f = label.font()
        f.setBold(True)
        if f.pointSizeF() > 0:
            f.setPointSizeF(f.pointSizeF() * scale)
        label.setFont(f)

    @staticmethod
    def _rule() -> QFrame:
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        return line

    # -- selection ---------------------------------------------------------------------------
    def set_selection(self, ids: list[str]) -> None:
        ids = [i for i in ids if self.doc.has_node(i)]
        if not ids:
            self.node_id = None
            self._refresh_project()
            self.stack.setCurrentIndex(0)
        elif len(ids) > 1:
            self.node_id = None
            self.multi_label.setText(f"{len(ids)} layers selected: {', '.join(ids[:8])}"
                                     f"{' …' if len(ids) > 8 else ''}.\n\nPress Delete to "
                                     "remove them, Ctrl+D to duplicate, Ctrl+C to copy.")
            self.stack.setCurrentIndex(1)
        else:
            self.show_node(ids[0])

    def show_node(self, node_id: str) -> None:
        spec = self.doc.node(node_id)
        self.node_id = node_id
        try:
            cls = layer_class(spec.type)
        except SpecError:
            cls = None
        if spec.type != self._type:
            self._type = spec.type
            self.form.set_schema(cls.schema if cls else ())
        self.type_label.setText(spec.type)
        self.icon.setPixmap(layer_icon(spec.type).pixmap(QSize(26, 26)))
        self.description.setText(cls.description if cls else "")
        self._restore_name()
        self.form.show_error(None)
        self.form.set_values(spec.params)
        with QSignalBlocker(self.frozen):
            self.frozen.setChecked(spec.frozen)
        self._refresh_analysis()
        self.stack.setCurrentIndex(2)
        # The form was rebuilt for another type: Tab goes name, fields, Frozen.
        apply_tab_order(self)

    def focus_layer(self, rename: bool) -> None:
        """Put the keyboard in the shown layer's form: in its name field, all selected
        (``rename``), or in its first setting."""
        if self.stack.currentIndex() != 2:
            return
        fields = [w for w in (self.form.focus_widgets() if not rename else [])
                  if w.isEnabled()]
        target = fields[0] if fields else self.name_edit
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if hasattr(target, "selectAll"):  # typing replaces the value, as after Tab
            target.selectAll()

    # -- document -> widgets -----------------------------------------------------------------
    def _on_node_changed(self, node_id: str) -> None:
        if node_id == self.node_id:
            spec = self.doc.node(node_id)
            self.form.set_values(spec.params)
            with QSignalBlocker(self.frozen):
                self.frozen.setChecked(spec.frozen)

    def _on_renamed(self, old: str, new: str) -> None:
        if old == self.node_id:
            self.node_id = new
            self._restore_name()

    def _on_removed(self, node_id: str) -> None:
        if node_id == self.node_id:
            self.set_selection([])

    def _refresh_analysis(self) -> None:
        if self.node_id is None or not self.doc.has_node(self.node_id):
            return
        a = self.doc.analysis
        shape = a.shapes.get(self.node_id)
        self.shape_label.setText(format_shape(shape) if shape is not None else "unknown")
        p = a.params.get(self.node_id)
        if p is None:
            self.params_label.setText("unknown")
        else:
            trainable, total = p
            text = format_count(total)
            if total and trainable != total:
                text += f" ({format_count(trainable)} trainable)"
            self.params_label.setText(text)
        errors = a.errors_for(self.node_id)
        if errors:
            self.error_label.setText("⚠ " + "\n⚠ ".join(errors))
            self.error_label.setStyleSheet(f"color: {colors().error.name()};")
            self.error_label.show()
        else:
            self.error_label.clear()
            self.error_label.hide()

    def _refresh_project(self) -> None:
        p = self.doc.project
        if not self.project_name.hasFocus():
            with QSignalBlocker(self.project_name):
                self.project_name.setText(p.name)
        if self.project_description.toPlainText() != p.description:
            with QSignalBlocker(self.project_description):
                self.project_description.setPlainText(p.description)

    # -- widgets -> editor -------------------------------------------------------------------
    def _on_param_edited(self, name: str, value) -> None:
        if self.node_id is None:
            return
        reason = self.editor.set_param(self.node_id, name, value)
        self.form.show_error(reason)
        if reason:
            self.form.set_values(self.doc.node(self.node_id).params)

    def _on_frozen(self, on: bool) -> None:
        if self.node_id is not None:
            self.editor.set_frozen(self.node_id, on)

    def _commit_rename(self) -> None:
        """Rename the layer to what the field says; a refused name stays in the field, with
        the editor's reason under it, until it is corrected or given up (Escape)."""
        if self.node_id is None:
            return
        new = self.name_edit.text().strip()
        reason = None if new == self.node_id else self.editor.rename_node(self.node_id, new)
        if reason:
            self._show_name_error(f"Cannot rename: {reason}. Press Esc to keep the name "
                                  f"“{self.node_id}”.")
        else:
            self._show_name_error(None)

    def _restore_name(self) -> None:
        """The field shows the layer's name again, without an error."""
        if self.node_id is not None:
            with QSignalBlocker(self.name_edit):
                self.name_edit.setText(self.node_id)
        self._show_name_error(None)

    def _show_name_error(self, text: str | None) -> None:
        self.name_error.setText(text or "")
        if text:
            self.name_error.setStyleSheet(f"color: {colors().error.name()};")
        self._idform.setRowVisible(self.name_error, bool(text))

    def name_error_text(self) -> str:
        """The error shown under the name field ("" when none)."""
        return self.name_error.text() if self._idform.isRowVisible(self.name_error) else ""

    def _commit_name(self) -> None:
        name = self.project_name.text().strip()
        if name and name != self.doc.project.name:
            self.editor.set_info(name=name)
        elif not name:
            with QSignalBlocker(self.project_name):
                self.project_name.setText(self.doc.project.name)

    def _commit_description(self) -> None:
        text = self.project_description.toPlainText()
        if text != self.doc.project.description:
            self.editor.set_info(description=text)
