"""Run > Evaluate…: the current weights (trained, imported or initial) on a split of the
data, without training: loss and metrics, and for classification the confusion matrix and
per-class precision, recall, F1 and support (with macro and weighted averages); for
regression RMSE, MAE and R² in the targets' units. The engine computes it
(:func:`nncore.evaluation.evaluate_split`) on a copy of the weights, off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.explain.job_bar import JobBar
from app.explain.jobs import BackgroundJob
from app.explain.sources import NetworkSnapshot, take_snapshot
from app.plots.matrix import ConfusionMatrixView
from app.training.controller import RunController
from nncore.errors import NetCanvasError
from nncore.evaluation import Evaluation, evaluate_split

SPLIT_NAMES = {"val": "Validation", "test": "Test", "train": "Training"}
METRIC_NAMES = {"rmse": "RMSE", "mae": "MAE", "r2": "R²"}


def evaluate_snapshot(snapshot: NetworkSnapshot, split: str) -> Evaluation:
    """The engine's evaluation of ``snapshot``'s weights on ``split`` (worker thread)."""
    data = snapshot.prepared()
    loss, params = snapshot.loss
    return evaluate_split(snapshot.network(), data, loss, split, params)


class EvaluateDialog(QDialog):
    """A non-modal window: choose a split, Evaluate, read the results."""

    def __init__(self, training: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("evaluateDialog")
        self.setWindowTitle("Evaluate Weights")
        self.training = training
        self.job = BackgroundJob("evaluation", self)
        self.job.finished.connect(self._show)
        self.evaluation: Evaluation | None = None
        self._origin = ""

        top = QHBoxLayout()
        top.addWidget(QLabel("Split"))
        self.split = QComboBox()
        self.split.setObjectName("evaluateSplit")
        self.split.setAccessibleName("Split to evaluate")
        self.split.setToolTip("The samples to evaluate the weights on")
        for key in ("val", "test", "train"):
            self.split.addItem(SPLIT_NAMES[key], key)
        top.addWidget(self.split)
        self.run_button = QPushButton("Evaluate")
        self.run_button.setObjectName("evaluateButton")
        self.run_button.setAccessibleName("Evaluate")
        self.run_button.setToolTip("Evaluate the window's current weights on this split, "
                                   "without training")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.evaluate)
        top.addWidget(self.run_button)
        top.addStretch(1)
        self.bar = JobBar(self.job, "evaluate")
        self.summary = QLabel("Choose a split and press Evaluate.")
        self.summary.setObjectName("evaluateSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAccessibleName("Evaluation summary")

        self.matrix = ConfusionMatrixView()
        self.matrix.setObjectName("evaluateConfusion")
        self.matrix.setAccessibleName("Confusion matrix")
        self.matrix.setToolTip("Rows: true class; columns: predicted class")
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("evaluateTable")
        self.table.setAccessibleName("Scores per class")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.split_view = QSplitter(Qt.Orientation.Horizontal)
        self.split_view.addWidget(self.matrix)
        self.split_view.addWidget(self.table)
        self.split_view.setSizes([360, 420])

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.bar)
        lay.addWidget(self.summary)
        lay.addWidget(self.split_view, 1)
        self.matrix.hide()
        self.job.runningChanged.connect(lambda running: self.run_button.setEnabled(not running))
        self.resize(820, 520)

    def evaluate(self) -> None:
        """Evaluate the current weights on the chosen split (on a worker thread)."""
        split = self.split.currentData()
        try:
            snapshot = take_snapshot(self.training)
        except NetCanvasError as e:
            self.bar.show_error(str(e))
            return
        self._origin = snapshot.origin
        self.bar.start(f"Evaluating the {snapshot.origin} on the "
                       f"{SPLIT_NAMES[split].lower()} split…")
        self.job.start(lambda stop, progress: evaluate_snapshot(snapshot, split))

    def shutdown(self) -> None:
        self.job.shutdown()

    def _show(self, ev: Evaluation) -> None:
        self.evaluation = ev
        name = SPLIT_NAMES[ev.split]
        metrics = ", ".join(_metric_text(k, v) for k, v in ev.metrics.items())
        self.summary.setText(f"{name} split, {ev.n} samples: loss {ev.loss:.4g}, {metrics}.")
        self.bar.show_message(f"Evaluated the {self._origin}.")
        if ev.task == "classification":
            self._show_classes(ev)
        else:
            self._show_regression(ev)

    def _show_classes(self, ev: Evaluation) -> None:
        assert ev.confusion is not None and ev.per_class is not None
        self.matrix.set_matrix(ev.confusion, ev.class_names)
        right, total = int(ev.confusion.trace()), int(ev.confusion.sum())
        # The view's own caption names the validation split.
        self.matrix.caption = (f"{SPLIT_NAMES[ev.split].lower()}: {right}/{total} right "
                               f"({right / max(total, 1):.1%})")
        self.matrix.update()
        self.matrix.show()
        rows = [(c.name, c.precision, c.recall, c.f1, str(c.support)) for c in ev.per_class]
        support = str(sum(c.support for c in ev.per_class))
        for label, avg in (("macro average", ev.macro), ("weighted average", ev.weighted)):
            if avg:
                rows.append((label, avg["precision"], avg["recall"], avg["f1"], support))
        self._fill(["Class", "Precision", "Recall", "F1", "Support"], rows)

    def _show_regression(self, ev: Evaluation) -> None:
        self.matrix.hide()
        rows = [(METRIC_NAMES.get(k, k), v) for k, v in ev.metrics.items()]
        self._fill(["Metric", "Value"], rows)

    def _fill(self, header: list[str], rows: list[tuple]) -> None:
        t = self.table
        t.clear()
        t.setColumnCount(len(header))
        t.setHorizontalHeaderLabels(header)
        t.setRowCount(len(rows))
        t.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                text = f"{value:.3f}" if isinstance(value, float) else str(value)
                item = QTableWidgetItem(text)
                if j:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                t.setItem(i, j, item)


def _metric_text(name: str, value: float) -> str:
    if name == "accuracy":
        return f"accuracy {value:.2%}"
    return f"{METRIC_NAMES.get(name, name)} {value:.4g}"
