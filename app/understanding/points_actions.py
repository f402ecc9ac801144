"""The window part of the data-points editor: Edit > Edit Data Points…, enabled for
projects whose data can be points in a plane (the "points" source, a plane generator, or
a network with one Input of 2 features), not while a run holds the edit lock. It reads the
project's data, offers to turn a generator's (or a file's) data into editable points, and
opens :class:`~app.understanding.points_dialog.PointsEditor`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from app import dialogs
from app.understanding.points_dialog import PointsEditor
from app.understanding.points_model import PLANE_GENERATORS, PointSet, SetPoints
from app.window.context import WindowContext
from nncore.data.synthetic import GENERATORS
from nncore.errors import NetCanvasError
from nncore.run import load_dataset

Button = QMessageBox.StandardButton


class DataPoints(QObject):
    """Edit > Edit Data Points… and the editor it opens."""

    def __init__(self, context: WindowContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.dialog: PointsEditor | None = None
        self.act_edit = context.parts.action(
            "actionEditDataPoints", "Edit Data &Points…", self.open,
            tip="Place, paint, erase or regenerate the data points of a 2-D project; they "
                "are saved in the project")
        self.menu_actions = [self.act_edit]
        doc = context.document
        for signal in (doc.dataChanged, doc.analysisChanged, doc.projectReset):
            signal.connect(self._update_enabled)
        context.editor.lockChanged.connect(self._update_enabled)
        self._update_enabled()

    def _plane_data(self) -> bool:
        doc = self._context.document
        spec = doc.data
        if spec.source == "points":
            return bool(spec.points) and len((spec.points.get("x") or [[]])[0]) == 2
        if spec.source == "synthetic":
            return spec.name in PLANE_GENERATORS
        inputs = [n for n in doc.graph.nodes if n.type == "Input"]
        return len(inputs) == 1 and list(inputs[0].params.get("shape") or []) == [2]

    def _update_enabled(self, *_args: Any) -> None:
        self.act_edit.setEnabled(self._plane_data() and not self._context.editor.locked)

    def open(self) -> None:
        ctx = self._context
        doc = ctx.document
        spec = doc.data
        try:
            ds = load_dataset(spec, doc.base_dir)
        except NetCanvasError as e:
            ctx.status(f"Edit Data Points: the data cannot be read: {e}", 10000)
            return
        if ds.inputs is not None or ds.X.ndim != 2 or ds.X.shape[1] != 2 \
                or ds.task not in ("classification", "regression"):
            ctx.status("Edit Data Points works on data of 2 features; this data has samples "
                       f"of shape {tuple(ds.X.shape[1:])}", 10000)
            return
        if spec.source != "points" and not self._convert(spec, len(ds.y)):
            return
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        generator = spec.name if spec.source == "synthetic" else next(
            n for n in PLANE_GENERATORS if GENERATORS[n].task == ds.task)
        params = dict(spec.params) if spec.source == "synthetic" else {}
        self.dialog = PointsEditor(PointSet.from_dataset(ds), self._store, generator, params,
                                   ctx.dialog_parent)
        self.dialog.show()
        self.dialog.raise_()

    def _convert(self, spec: Any, n: int) -> bool:
        what = {"synthetic": f"the {spec.name} generator's", "bundled":
                f"the bundled {spec.name}", "file": f"the file {spec.path}'s"}[spec.source]
        answer = dialogs.message_box(
            self._context.dialog_parent, QMessageBox.Icon.Question, "Edit Data Points",
            f"Turn {what} {n} points into points you can edit?", Button.Yes | Button.No,
            Button.Yes, "When you apply your edits, the project holds the points itself "
            "(saved in the project file) instead of its data settings; Undo brings them back.")
        return answer == Button.Yes

    def _store(self, points: dict[str, Any]) -> str | None:
        refusal = self._context.editor.apply_edits([SetPoints(points)])
        if refusal is None:
            self._context.status(f"Data points applied: {len(points['x'])} points", 5000)
        return refusal
