"""The data panel's "Source" box: where the training data comes from.

A combo box chooses the source; below it, one page per source: a built-in generator with
its parameters and "Regenerate", a bundled data set, an imported file
(:class:`~app.panels.data_import.FileSection`), or points stored in the project
(:class:`~app.panels.data_points.PointsSection`, offered only while the project holds them).
"""

from __future__ import annotations

import random
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QComboBox, QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from app.panels.data_editing import DataEditing
from app.panels.data_import import FileSection
from app.panels.data_points import POINTS_SOURCE, PointsSection
from app.panels.forms import SchemaForm, compact_combo
from nncore.data import BUNDLED, GENERATORS
from nncore.project import DataSpec

SOURCES = (("synthetic", "Generated (synthetic)"), ("bundled", "Bundled data set"),
           ("file", "Imported file"))
POINTS_SOURCE_TEXT = "Points in the project"


class SourceBox(QGroupBox):
    """The source combo box above the page of the source chosen."""

    def __init__(self, editing: DataEditing, parent: QWidget | None = None) -> None:
        super().__init__("Source", parent)
        self.editing = editing
        sl = QVBoxLayout(self)
        sl.setContentsMargins(8, 6, 8, 8)
        self.source = compact_combo(QComboBox())
        for key, text in SOURCES:
            self.source.addItem(text, key)
        self.source.setAccessibleName("Data source")
        self.source.setToolTip("Where the training data comes from")
        self.source.currentIndexChanged.connect(self._on_source_changed)
        sl.addWidget(self.source)
        self.pages = _Pages()
        sl.addWidget(self.pages)
        self.generated = GeneratorSection(editing)
        self.bundled = BundledSection(editing)
        self.file = FileSection(editing)
        self.points = PointsSection()
        for page in (self.generated, self.bundled, self.file, self.points):
            self.pages.addWidget(page)

    def show_spec(self, spec: DataSpec) -> None:
        """Set every control from ``spec`` (silently: no edit echoes back); a file that
        failed to load keeps the file page shown."""
        source = "file" if self.file.pending is not None else spec.source
        with QSignalBlocker(self.source):
            # The points source is offered only while the project holds points.
            has_points = self.source.findData(POINTS_SOURCE) >= 0
            if spec.source == POINTS_SOURCE and not has_points:
                self.source.addItem(POINTS_SOURCE_TEXT, POINTS_SOURCE)
            elif spec.source != POINTS_SOURCE and has_points:
                self.source.removeItem(self.source.findData(POINTS_SOURCE))
            self.source.setCurrentIndex(max(0, self.source.findData(source)))
        self.pages.setCurrentIndex(self.source.currentIndex())
        self.generated.show_spec(spec)
        self.bundled.show_spec(spec)
        self.file.show_spec(spec)
        self.points.show_spec(spec)

    def _on_source_changed(self, _index: int) -> None:
        source = self.source.currentData()
        if source != "file" and self.file.pending is not None:
            self.file.clear_problem()  # leaving a file that failed: back to the settings
            if source == self.editing.spec.source:
                self.editing.reset_controls()
                return
        if source == self.editing.spec.source:
            return
        if source == "synthetic":
            name = self.generated.choice.currentData() or "spiral"
            self.editing.change(text="Use generated data", source="synthetic", name=name,
                                path=None, params={})
        elif source == "bundled":
            self.editing.change(text="Use bundled data", source="bundled",
                                name=self.bundled.choice.currentData() or next(iter(BUNDLED)),
                                path=None, params={})
        else:
            # Switching to "file" needs a file: ask for it; keep the settings otherwise.
            if not self.file.choose_file():
                self.editing.reset_controls()


class GeneratorSection(QWidget):
    """A built-in generator: which one, its description and parameters, "Regenerate"."""

    def __init__(self, editing: DataEditing, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editing = editing
        self._schema_of = ""  # the generator whose parameters the form shows
        gl = QVBoxLayout(self)
        gl.setContentsMargins(0, 0, 0, 0)
        self.choice = compact_combo(QComboBox())
        for name, gen in GENERATORS.items():
            self.choice.addItem(name.replace("_", " ").capitalize(), name)
            self.choice.setItemData(self.choice.count() - 1, gen.description,
                                    Qt.ItemDataRole.ToolTipRole)
        self.choice.setAccessibleName("Generator")
        self.choice.setToolTip("The built-in generator that draws the data")
        self.choice.currentIndexChanged.connect(self._on_generator_changed)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("hint")
        self.form = SchemaForm()
        self.form.edited.connect(self._on_param)
        self.regenerate = QPushButton("Regenerate")
        self.regenerate.setToolTip("Draw new data with a new random seed")
        self.regenerate.setAccessibleName("Regenerate the data")
        self.regenerate.clicked.connect(self.regenerate_data)
        gl.addWidget(self.choice)
        gl.addWidget(self.description)
        gl.addWidget(self.form)
        gl.addWidget(self.regenerate, 0, Qt.AlignmentFlag.AlignRight)
        gl.addStretch(1)

    def show_spec(self, spec: DataSpec) -> None:
        if spec.source != "synthetic" or spec.name not in GENERATORS:
            return
        gen = GENERATORS[spec.name]
        with QSignalBlocker(self.choice):
            self.choice.setCurrentIndex(self.choice.findData(spec.name))
        if self._schema_of != spec.name:
            self.form.set_schema(tuple(gen.params))
            self._schema_of = spec.name
        self.form.set_values({**gen.defaults(), **spec.params})
        self.description.setText(gen.description)

    def regenerate_data(self) -> None:
        """Draw new data: the same parameters with a new seed (recorded, so reproducible)."""
        spec = self.editing.spec
        if spec.source != "synthetic":
            return
        params = dict(spec.params)
        old_seed = params.get("seed")
        seed = old_seed
        rng = random.Random()
        while seed == old_seed:
            seed = rng.randrange(0, 2**31 - 1)
        params["seed"] = seed
        self.editing.change(text="Regenerate data", merge_key="regenerate", params=params)

    def _on_generator_changed(self, _index: int) -> None:
        name = self.choice.currentData()
        old = self.editing.spec
        if name == old.name and old.source == "synthetic":
            return
        # Parameters the two generators share are kept.
        keep = {p.name for p in GENERATORS[name].params}
        params = {k: v for k, v in old.params.items() if k in keep} \
            if old.source == "synthetic" else {}
        self.editing.change(text=f"Use {name} data", source="synthetic", name=name, path=None,
                            params=params)

    def _on_param(self, name: str, value: Any) -> None:
        params = dict(self.editing.spec.params)
        params[name] = value
        self.editing.change(text=f"Change data {name.replace('_', ' ')}",
                            merge_key=f"params.{name}", params=params)


class BundledSection(QWidget):
    """A bundled data set: which one, its description, and digits as images or a table."""

    def __init__(self, editing: DataEditing, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editing = editing
        bl = QVBoxLayout(self)
        bl.setContentsMargins(0, 0, 0, 0)
        self.choice = compact_combo(QComboBox())
        for name, info in BUNDLED.items():
            self.choice.addItem(info.title, name)
        self.choice.setAccessibleName("Bundled data set")
        self.choice.setToolTip("A data set that comes with NetCanvas")
        self.choice.currentIndexChanged.connect(self._on_bundled_changed)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("hint")
        self.as_images = compact_combo(QComboBox())
        self.as_images.addItem("As a table of features", False)
        self.as_images.addItem("As images", True)
        self.as_images.setAccessibleName("Digits layout")
        self.as_images.setToolTip("Read the digits as 8×8 images or as 64 numbers")
        self.as_images.currentIndexChanged.connect(self._on_as_images)
        bl.addWidget(self.choice)
        bl.addWidget(self.description)
        bl.addWidget(self.as_images)
        bl.addStretch(1)

    def show_spec(self, spec: DataSpec) -> None:
        if spec.source != "bundled" or spec.name not in BUNDLED:
            return
        blockers = [QSignalBlocker(w) for w in (self.choice, self.as_images)]
        self.choice.setCurrentIndex(self.choice.findData(spec.name))
        self.description.setText(BUNDLED[spec.name].description)
        self.as_images.setVisible(spec.name == "digits")
        self.as_images.setCurrentIndex(1 if spec.params.get("as_images") else 0)
        del blockers

    def _on_bundled_changed(self, _index: int) -> None:
        name = self.choice.currentData()
        spec = self.editing.spec
        if name != spec.name or spec.source != "bundled":
            self.editing.change(text=f"Use {name} data", source="bundled", name=name,
                                path=None, params={})

    def _on_as_images(self, _index: int) -> None:
        params = dict(self.editing.spec.params)
        if self.as_images.currentData():
            params["as_images"] = True
        else:
            params.pop("as_images", None)
        self.editing.change(text="Change data layout", params=params)


class _Pages(QWidget):
    """Like a QStackedWidget, but as tall as the page shown, not the tallest page."""

    def __init__(self) -> None:
        super().__init__()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._pages: list[QWidget] = []
        self._current = 0

    def addWidget(self, page: QWidget) -> None:  # noqa: N802
        self._pages.append(page)
        self._layout.addWidget(page)
        page.setVisible(len(self._pages) - 1 == self._current)

    def currentIndex(self) -> int:  # noqa: N802
        return self._current

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802
        self._current = index
        for i, page in enumerate(self._pages):
            page.setVisible(i == index)
