"""File ▸ Import ▸ ONNX Model…: an ONNX model onto the canvas, as ``netcanvas import
MODEL.onnx`` converts it (:func:`nncore.onnx_import.import_onnx`).

The model is read and converted off the GUI thread (:class:`FileJob`). A model NetCanvas
can take opens as an untitled, unsaved project (after the unsaved-changes question, as
Open asks it), with the model's weights loaded as the network's weights, as File ▸ Import
Weights loads them; a report says what came in and that the project has no data yet, with
a button to the data panel. A model holding operators NetCanvas has no layer for is
refused with a table of those operators and the nodes where they appear; the window's
project is not touched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app import dialogs
from app.window.context import WindowContext
from app.window.file_job import FileJob
from app.window.report_dialog import ReportDialog
from nncore.errors import NetCanvasError
from nncore.onnx_import import ImportedModel, UnsupportedModelError, import_onnx
from nncore.project import Project, project_from_dict
from nncore.weights import WeightsFile, load_into

if TYPE_CHECKING:  # a type only: app.training imports app.window
    from app.training.controller import RunController

ONNX_FILTER = "ONNX models (*.onnx);;All files (*)"


def refusal_markdown(problems: list[tuple[str, str, str]]) -> str:
    """The unsupported operators as a Markdown table: operator, nodes, why."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for op, node, reason in problems:
        grouped.setdefault((op, reason), []).append(node)
    rows = ["| Operator | Nodes | Why |", "| --- | --- | --- |"]
    for (op, reason), nodes in sorted(grouped.items()):
        rows.append(f"| {_cell(op)} | {_cell(', '.join(nodes))} | {_cell(reason)} |")
    return "\n".join(rows) + (
        "\n\nNetCanvas imports the operators listed in its documentation (docs/exports.md: "
        "Gemm, MatMul, Conv, the pools, the activations, BatchNormalization, Flatten, "
        "Reshape, Concat, Add, LSTM, GRU, RNN, Gather as Embedding, ...). Nothing was "
        "imported.")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class OnnxImport(QObject):
    """File ▸ Import ▸ ONNX Model… (see the module docstring). ``maybe_save`` asks about
    unsaved changes (False: the person cancelled); ``replace_project(project, path,
    base_dir, modified)`` makes a project the window's."""

    #: The person asked to choose the imported project's data (show the data panel).
    dataWanted = Signal()

    def __init__(self, context: WindowContext, training: RunController,
                 maybe_save: Callable[[], bool],
                 replace_project: Callable[..., None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.training = training
        self._maybe_save = maybe_save
        self._replace_project = replace_project
        self.act_import = context.parts.action(
            "actionImportOnnx", "ONNX &Model…", self.import_dialog, [], None,
            "Open an ONNX model as a new project, with its weights")
        self.job = FileJob(context.dialog_parent, self)
        self.job.finished.connect(self._converted)
        self.job.failed.connect(self._failed)
        self.job.cancelled.connect(self._cancelled)
        self.report: ReportDialog | None = None
        self._path = Path()
        training.stateChanged.connect(self.update_action)
        self.update_action()

    def update_action(self) -> None:
        self.act_import.setEnabled(not self.training.active and not self.job.busy)

    def import_dialog(self) -> bool:
        """Ask for an ONNX file and convert it (off the GUI thread)."""
        if self.training.active:
            self._context.status("Not imported: training is running; stop it first", 8000)
            return False
        doc = self._context.document
        folder = str(doc.path.parent) if doc.path else str(Path.home())
        path = dialogs.get_open_path(self._context.dialog_parent, "Import ONNX model",
                                     folder, ONNX_FILTER)
        return self.import_path(Path(path)) if path else False

    def import_path(self, path: Path) -> bool:
        """Convert the model at ``path``; the outcome arrives later (the job's signals)."""
        if self.job.busy:
            return False
        self._path = Path(path)

        def work(_cancel: threading.Event) -> ImportedModel:
            return import_onnx(path)

        started = self.job.start(f"Reading and converting {self._path.name}…", work)
        self.update_action()
        return started

    def _cancelled(self) -> None:
        self.update_action()
        self._context.status("Import cancelled: the project is unchanged", 8000)

    def _failed(self, error: BaseException) -> None:
        self.update_action()
        parent, name = self._context.dialog_parent, self._path.name
        if isinstance(error, UnsupportedModelError):
            ops = sorted({op for op, _n, _r in error.problems})
            self.report = ReportDialog(
                parent, "onnxRefusal", "Cannot import the ONNX model",
                f"“{name}” uses {len(ops)} operator{'s' if len(ops) != 1 else ''} NetCanvas "
                f"has no layer for (or uses them in a way no layer computes): "
                f"{', '.join(ops)}. Nothing was imported; the project is unchanged.",
                refusal_markdown(error.problems))
            self.report.show()
            return
        detail = (getattr(error, "strerror", None) or str(error)) if isinstance(
            error, (NetCanvasError, OSError, ValueError)) else f"{type(error).__name__}: {error}"
        dialogs.show_error(parent, "Cannot import the ONNX model",
                           f"“{name}” could not be imported; the project is unchanged.",
                           detail)

    def _converted(self, imported: ImportedModel) -> None:
        self.update_action()
        if self.training.active or not self._maybe_save():
            return
        # Through the file form, as Open reads the file ``netcanvas import`` writes (the
        # parameters coerced as the loader coerces them).
        project = project_from_dict(imported.project.to_dict())
        self._replace_project(project, None, self._path.parent, True)
        network = self.training.current_network()
        weights = WeightsFile(imported.network.get_weights(), source=self._path.name)
        load_into(network, weights, source=self._path.name)
        self.training.weights_loaded(f"imported from {self._path.name}")
        self._context.status(f"Imported {self._path.name}: its weights are loaded; choose "
                             "its data in the Data panel", 15000)
        self.report = ReportDialog(
            self._context.dialog_parent, "onnxImportReport", "ONNX model imported",
            f"“{self._path.name}” is now an untitled project with its weights loaded. "
            "It has no data yet: choose the data in the Data panel before you train or "
            "look at results, then save the project.",
            imported_markdown(imported.project, imported),
            [("Choose Data…", self.dataWanted.emit, "Show the Data panel to choose the "
              "data this network learns from")])
        self.report.show()

    def shutdown(self) -> None:
        """The window closes: drop a conversion in progress (waits for its thread)."""
        self.job.shutdown()


def imported_markdown(project: Project, imported: ImportedModel) -> str:
    """What came in: the layers, the weights, the input and output, the task and loss."""
    network = imported.network
    inputs = ", ".join(f"`{i}` {tuple(network.shapes[i])}" for i in network.input_ids)
    counts: dict[str, int] = {}
    for node in project.graph.nodes:
        counts[node.type] = counts.get(node.type, 0) + 1
    layers = ", ".join(f"{n} {t}" for t, n in counts.items())
    lines = [
        f"- **Layers**: {len(project.graph.nodes)} ({layers})",
        f"- **Weights**: {network.total_params:,}, loaded as the network's weights "
        "(Run ▸ Train continues from them)",
        f"- **Input**: {inputs}; **output**: {tuple(network.output_shape)}",
        f"- **Loss** chosen from the output: {project.training.loss}",
    ]
    if imported.class_names:
        lines.append(f"- **Classes**: {', '.join(imported.class_names)}")
    if imported.normalizer is not None:
        lines.append("- The model normalized its inputs itself: the project normalizes "
                     f"its data ({project.data.normalization}), fitted on the data you "
                     "choose")
    data = project.data
    lines.append(f"\n**Next**: the project's data settings are a placeholder (the "
                 f"{data.source} data set “{data.name}”). Choose, in the Data panel, a data "
                 "file or a generator whose samples have the input's shape.")
    return "\n".join(lines)
