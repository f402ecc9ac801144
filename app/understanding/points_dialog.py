"""Edit > Edit Data Points…: place, paint, erase and regenerate a 2-D data set by hand, and
store it in the project (the "points" data source) as one undo step.

The editor starts from the project's data as it is (a generator's draw is converted into
points, after asking); its points live in a :class:`~app.understanding.points_model.
PointSet` until Apply or OK writes them with :class:`~app.understanding.points_model.
SetPoints` through ``editor.apply_edits``. The data preview and the next run use them, and
they are saved in the project file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.theme import colors
from app.understanding.points_model import PLANE_GENERATORS, PointSet, generated
from app.understanding.points_plot import PointsPlot
from nncore.data.synthetic import GENERATORS
from nncore.errors import NetCanvasError
from nncore.responses import plane_ranges

#: Least distance (pixels) between two points painted by one drag.
PAINT_PIXELS = 12.0
#: Radius (pixels) of the eraser.
ERASE_PIXELS = 10.0


class PointsEditor(QDialog):
    """The editor window. ``apply(points_json) -> refusal or None`` stores the points;
    ``generator`` and ``params`` are what Regenerate starts from."""

    def __init__(self, points: PointSet, apply: Callable[[dict[str, Any]], str | None],
                 generator: str, params: dict[str, Any], parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.setObjectName("pointsEditor")
        self.setWindowTitle("Edit Data Points")
        self.points = points
        self._apply = apply
        self._params = dict(params)
        self._seed = int(params.get("seed", 0))
        self._last_paint: tuple[float, float] | None = None
        self.plot = PointsPlot()
        self.plot.pointer.connect(self._on_pointer)
        lay = QHBoxLayout(self)
        lay.addWidget(self.plot, 1)
        side = QVBoxLayout()
        side.addWidget(self._tools())
        side.addWidget(self._regenerate_box(generator))
        self.info = QLabel()
        self.info.setObjectName("pointsInfo")
        self.info.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("pointsError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {colors().error.name()};")
        side.addWidget(self.info)
        side.addWidget(self.error)
        side.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Apply
                                        | QDialogButtonBox.StandardButton.Cancel)
        for which, name in ((QDialogButtonBox.StandardButton.Ok, "Apply and close"),
                            (QDialogButtonBox.StandardButton.Apply, "Apply to the project"),
                            (QDialogButtonBox.StandardButton.Cancel, "Close without applying")):
            self.buttons.button(which).setAccessibleName(name)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        side.addWidget(self.buttons)
        lay.addLayout(side)
        self.resize(880, 560)
        self._fit_view()
        self._redraw()

    # -- construction ----------------------------------------------------------------------
    def _tools(self) -> QGroupBox:
        box = QGroupBox("Points")
        form = QFormLayout(box)
        self.add_mode = QRadioButton("Add")
        self.add_mode.setAccessibleName("Add points with the left button")
        self.add_mode.setToolTip("The left button adds a point; drag to paint several")
        self.erase_mode = QRadioButton("Erase")
        self.erase_mode.setAccessibleName("Erase points with the left button")
        self.erase_mode.setToolTip("The left button removes the points under it (the right "
                                   "button always does)")
        self.add_mode.setChecked(True)
        group = QButtonGroup(box)
        group.addButton(self.add_mode)
        group.addButton(self.erase_mode)
        modes = QHBoxLayout()
        modes.addWidget(self.add_mode)
        modes.addWidget(self.erase_mode)
        form.addRow("Tool:", modes)
        if self.points.task == "classification":
            self.class_box = QComboBox()
            self.class_box.setObjectName("pointsClass")
            self.class_box.setAccessibleName("Class of new points")
            self.class_box.addItems(self.points.class_names)
            self.add_class = QPushButton("Add Class")
            self.add_class.setObjectName("pointsAddClass")
            self.add_class.setAccessibleName("Add a class")
            self.add_class.setToolTip("A new class for the points you place next (the "
                                      "network's output needs as many units)")
            self.add_class.clicked.connect(self._on_add_class)
            row = QHBoxLayout()
            row.addWidget(self.class_box, 1)
            row.addWidget(self.add_class)
            form.addRow("Class:", row)
        else:
            self.target_box = QDoubleSpinBox()
            self.target_box.setObjectName("pointsTarget")
            self.target_box.setAccessibleName("Target value of new points")
            self.target_box.setRange(-1e6, 1e6)
            self.target_box.setDecimals(3)
            self.target_box.setSingleStep(0.1)
            form.addRow("Target value:", self.target_box)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("pointsClear")
        self.clear_button.setAccessibleName("Remove every point")
        self.clear_button.clicked.connect(self.clear)
        form.addRow(self.clear_button)
        return box

    def _regenerate_box(self, generator: str) -> QGroupBox:
        box = QGroupBox("Regenerate")
        form = QFormLayout(box)
        self.generator_box = QComboBox()
        self.generator_box.setObjectName("pointsGenerator")
        self.generator_box.setAccessibleName("Generator to draw new points from")
        for name in PLANE_GENERATORS:
            if GENERATORS[name].task == self.points.task:
                self.generator_box.addItem(name, name)
        i = self.generator_box.findData(generator)
        self.generator_box.setCurrentIndex(max(0, i))
        self.noise = QSlider()
        self.noise.setOrientation(self.noise.orientation().Horizontal)
        self.noise.setObjectName("pointsNoise")
        self.noise.setAccessibleName("Noise of regenerated points")
        self.noise.setRange(0, 100)
        self.noise.setValue(round(100 * float(self._params.get("noise", 0.1))))
        self.noise_label = QLabel()
        self.noise.valueChanged.connect(self._on_noise)
        self._on_noise(self.noise.value())
        self.count = QSpinBox()
        self.count.setObjectName("pointsCount")
        self.count.setAccessibleName("How many points to draw")
        self.count.setRange(10, 5000)
        self.count.setValue(min(5000, max(10, int(self._params.get("n_samples",
                                                                    len(self.points) or 200)))))
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setObjectName("pointsRegenerate")
        self.regenerate_button.setAccessibleName("Replace the points by a new draw")
        self.regenerate_button.setToolTip("Replace every point by a new random draw of the "
                                          "generator, with this noise")
        self.regenerate_button.clicked.connect(self.regenerate)
        noise = QHBoxLayout()
        noise.addWidget(self.noise, 1)
        noise.addWidget(self.noise_label)
        form.addRow("Generator:", self.generator_box)
        form.addRow("Noise:", noise)
        form.addRow("Points:", self.count)
        form.addRow(self.regenerate_button)
        return box

    # -- editing ---------------------------------------------------------------------------
    def value(self) -> float:
        """The class index or target value of new points."""
        if self.points.task == "classification":
            return float(self.class_box.currentIndex())
        return float(self.target_box.value())

    def _on_pointer(self, kind: str, x: float, y: float) -> None:
        if kind == "end":
            self._last_paint = None
            return
        if kind == "erase" or self.erase_mode.isChecked():
            px, py = self.plot.pixel_size()
            if self.points.erase_near(x, y, ERASE_PIXELS * px, ERASE_PIXELS * py):
                self._redraw()
            return
        if kind == "paint" and self._last_paint is not None:
            px, py = self.plot.pixel_size()
            lx, ly = self._last_paint
            if math.hypot((x - lx) / px, (y - ly) / py) < PAINT_PIXELS:
                return
        if self.points.add(x, y, self.value()):
            self._last_paint = (x, y)
            self._redraw()
        else:
            self.error.setText("The project holds at most 100,000 points.")

    def _on_add_class(self) -> None:
        k = self.points.add_class()
        self.class_box.addItem(self.points.class_names[k])
        self.class_box.setCurrentIndex(k)
        self._redraw()

    def _on_noise(self, v: int) -> None:
        self.noise_label.setText(f"{v / 100:.2f}")

    def clear(self) -> None:
        self.points.clear()
        self._redraw()

    def regenerate(self) -> None:
        """Replace the points by a new draw (a new seed each time) of the generator."""
        self._seed += 1
        name = self.generator_box.currentData()
        try:
            fresh = generated(name, self.count.value(), self.noise.value() / 100, self._seed,
                              self._params)
        except NetCanvasError as e:
            self.error.setText(str(e))
            return
        self.points = fresh  # (with the generator's classes and their names)
        if self.points.task == "classification":
            self.class_box.clear()
            self.class_box.addItems(self.points.class_names)
        self._fit_view()
        self._redraw()

    def _fit_view(self) -> None:
        if len(self.points) >= 1:
            xr, yr = plane_ranges(self.points.x)
        else:
            xr, yr = (-6.0, 6.0), (-6.0, 6.0)
        self.plot.set_view(xr, yr)

    def _redraw(self) -> None:
        self.plot.show_points(self.points)
        n = len(self.points)
        text = f"{n} point{'s' if n != 1 else ''}"
        if self.points.task == "classification" and n:
            text += " · " + ", ".join(f"{name}: {c}" for name, c in
                                      zip(self.points.class_names, self.points.counts()))
        elif n:
            text += (f" · targets from {self.points.y.min():.3g} (blue) to "
                     f"{self.points.y.max():.3g} (orange)")
        self.info.setText(text)
        self.error.setText(self.points.problem() or "")

    # -- storing ---------------------------------------------------------------------------
    def apply(self) -> bool:
        """Store the points in the project (one undo step); False, with the reason shown,
        when they cannot be."""
        problem = self.points.problem()
        try:
            refusal = problem or self._apply(self.points.to_json())
        except NetCanvasError as e:
            refusal = str(e)
        self.error.setText(refusal or "")
        if refusal is None:
            self.info.setText(self.info.text() + " · applied to the project")
        return refusal is None

    def _ok(self) -> None:
        if self.apply():
            self.accept()
