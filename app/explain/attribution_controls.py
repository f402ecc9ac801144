"""The choices of Explain a Sample: the method (saliency, integrated gradients with its
baseline and steps, Grad-CAM with its layer, offered only for networks with image
layers) and the explained class (the predicted one by default)."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QSpinBox, QWidget

from app.explain.attribution_compute import Settings
from nncore.graph import GraphAnalysis

METHODS = (("saliency", "Gradient saliency"),
           ("integrated-gradients", "Integrated gradients"),
           ("gradcam", "Grad-CAM"))
BASELINES = (("zeros", "Zeros"), ("mean", "Training mean"))


def image_layers(analysis: GraphAnalysis) -> list[str]:
    """Layers whose outputs are images (Grad-CAM's choices), in order."""
    return [n for n in analysis.order if n in analysis.layers
            and analysis.layers[n].max_inputs != 0 and len(analysis.shapes.get(n, ())) == 3]


def default_cam_layer(analysis: GraphAnalysis, layers: list[str]) -> str | None:
    """The last Conv2D (the engine's default), else the last image layer."""
    convs = [n for n in layers if analysis.layers[n].type_name == "Conv2D"]
    return (convs or layers or [None])[-1]


class MethodControls(QWidget):
    """Method, baseline, steps, layer and target; ``changed`` when any changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.method = _combo("explainMethod", "Attribution method",
                             "Saliency: the gradient of the score. Integrated gradients: "
                             "the score's change from a baseline, shared among the "
                             "inputs. Grad-CAM: where a convolutional layer looks.")
        for key, text in METHODS:
            self.method.addItem(text, key)
        self.baseline = _combo("explainBaseline", "Integrated gradients baseline",
                               "Where the path to the sample starts: a zero input, or "
                               "the mean sample of the training split")
        for key, text in BASELINES:
            self.baseline.addItem(text, key)
        self.steps = QSpinBox()
        self.steps.setObjectName("explainSteps")
        self.steps.setAccessibleName("Integrated gradients steps")
        self.steps.setToolTip("Equal intervals of the path to start with; intervals where "
                              "the attributions do not add up yet are halved")
        self.steps.setRange(1, 4096)
        self.steps.setValue(64)
        self.layer = _combo("explainLayer", "Grad-CAM layer",
                            "The convolutional layer whose maps Grad-CAM weighs")
        self.target = _combo("explainTarget", "Explained class",
                             "The class (or output) whose score is explained; by default "
                             "each sample's predicted class")
        form.addRow("Method", self.method)
        form.addRow("Baseline", self.baseline)
        form.addRow("Steps", self.steps)
        form.addRow("Layer", self.layer)
        form.addRow("Explain", self.target)
        self._form = form
        for box in (self.method, self.baseline, self.layer, self.target):
            box.currentIndexChanged.connect(self._on_change)
        self.steps.valueChanged.connect(self._on_change)
        self._update_rows()

    def configure(self, analysis: GraphAnalysis, class_names: list[str] | None,
                  outputs: int, classification: bool) -> None:
        """Offer Grad-CAM's layers and the classes of this network (keeps choices that
        still exist)."""
        with QSignalBlocker(self.method), QSignalBlocker(self.layer), \
                QSignalBlocker(self.target):
            layers = image_layers(analysis)
            keep = self.layer.currentData()
            self.layer.clear()
            for n in layers:
                self.layer.addItem(f"{n} ({analysis.layers[n].type_name})", n)
            i = self.layer.findData(keep if keep in layers
                                    else default_cam_layer(analysis, layers))
            self.layer.setCurrentIndex(max(0, i))
            # Grad-CAM is offered only for networks with image layers.
            cam = self.method.findData("gradcam")
            if layers and cam < 0:
                self.method.addItem(METHODS[-1][1], METHODS[-1][0])
            elif not layers and cam >= 0:
                self.method.removeItem(cam)
            keep_target = self.target.currentData()
            self.target.clear()
            if classification:
                self.target.addItem("Predicted class", None)
                names = class_names if class_names and len(class_names) == outputs \
                    else [str(i) for i in range(outputs)]
                for i, name in enumerate(names):
                    self.target.addItem(f"Class {name}", i)
            else:
                for i in range(outputs):
                    self.target.addItem(f"Output {i + 1}" if outputs > 1 else "Output", i)
            j = self.target.findData(keep_target)
            self.target.setCurrentIndex(max(0, j))
        self._update_rows()

    def settings(self) -> Settings:
        method = self.method.currentData()
        return Settings(method, self.baseline.currentData(), self.steps.value(),
                        self.layer.currentData() if method == "gradcam" else None,
                        self.target.currentData())

    def _on_change(self, *_args) -> None:
        self._update_rows()
        self.changed.emit()

    def _update_rows(self) -> None:
        method = self.method.currentData()
        ig = method == "integrated-gradients"
        for widget, shown in ((self.baseline, ig), (self.steps, ig),
                              (self.layer, method == "gradcam")):
            self._form.setRowVisible(widget, shown)


def _combo(name: str, accessible: str, tip: str) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    box.setAccessibleName(accessible)
    box.setToolTip(tip)
    return box

