"""The two pages of Explain a Sample: one sample (its split and row, what it is and what the
network predicts, its attributions as an image overlay or bars per feature) and the data
set (mean absolute attribution and permutation importance over the validation split,
computed on request with progress and Cancel)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.explain.attribution_compute import SPLIT_TITLES, DataSetResult, SampleResult
from app.explain.attribution_views import AttributionImage, FeatureBars
from app.explain.job_bar import JobBar
from app.explain.jobs import BackgroundJob
from nncore.importance import DEFAULT_REPEATS
from nncore.run import PreparedData

METHOD_TITLES = {"saliency": "Gradient saliency", "integrated-gradients":
                 "Integrated gradients", "gradcam": "Grad-CAM"}


def flat_names(shape: tuple[int, ...], names: list[str] | None) -> list[str]:
    """A name per element of a sample: the data's column names, or x[i, j]."""
    if names is not None:
        return list(names)
    return [f"x[{', '.join(map(str, i))}]" for i in np.ndindex(*shape)]


def is_image(shape: tuple[int, ...]) -> bool:
    return len(shape) == 3 and shape[0] in (1, 3) and min(shape[1:]) > 1


class AttributionView(QStackedWidget):
    """An :class:`AttributionImage` for images, scrolling :class:`FeatureBars` otherwise."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = AttributionImage()
        self.bars = FeatureBars()
        self.image.setAccessibleName(f"{name}: image overlay")
        self.bars.setAccessibleName(f"{name}: bars per feature")
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.bars)
        self.scroll.setAccessibleName(f"{name}: features")
        self.addWidget(self.scroll)
        self.addWidget(self.image)

    def show_image(self, image: np.ndarray, values: np.ndarray,
                   titles: tuple[str, str]) -> None:
        self.image.set_attribution(image, values, titles)
        self.setCurrentWidget(self.image)

    def show_bars(self, names: list[str], values: np.ndarray,
                  errors: np.ndarray | None = None) -> None:
        self.bars.set_values(names, values, errors)
        self.setCurrentWidget(self.scroll)


class SamplePage(QWidget):
    """Split and row choosers, the sample's label and prediction, its attributions."""

    #: The split or row changed (the window recomputes).
    sampleChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout()
        row.addWidget(QLabel("Split"))
        self.split = QComboBox()
        self.split.setObjectName("explainSplit")
        self.split.setAccessibleName("Split of the sample")
        self.split.setToolTip("Which split of the project's data the sample comes from")
        self.split.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        row.addWidget(self.split)
        row.addWidget(QLabel("Sample"))
        self.row = QSpinBox()
        self.row.setObjectName("explainRow")
        self.row.setAccessibleName("Sample number")
        self.row.setToolTip("The sample's number in its split (from 1)")
        self.row.setRange(1, 1)
        row.addWidget(self.row)
        self.sample_text = QLabel()
        self.sample_text.setObjectName("explainSampleText")
        self.sample_text.setAccessibleName("The sample")
        row.addWidget(self.sample_text, 1)
        self.view = AttributionView("Attribution of the sample")
        self.info = QLabel()
        self.info.setObjectName("explainInfo")
        self.info.setAccessibleName("What the attribution explains")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.info)
        self.split.currentIndexChanged.connect(self._on_split)
        self.row.valueChanged.connect(lambda _v: self.sampleChanged.emit())
        self._sizes: dict[str, int] = {}

    def set_data(self, data: PreparedData) -> None:
        """Offer the splits ``data`` has (keeping the chosen one)."""
        keep = self.split.currentData() or "val"
        self._sizes = {k: len(getattr(data, k).y) for k in ("train", "val", "test")
                       if getattr(data, k) is not None and len(getattr(data, k).y)}
        self.split.blockSignals(True)
        self.split.clear()
        for k, n in self._sizes.items():
            self.split.addItem(f"{SPLIT_TITLES[k].capitalize()} ({n})", k)
        self.split.setCurrentIndex(max(0, self.split.findData(keep)))
        self.split.setMinimumWidth(self.split.sizeHint().width())
        self.split.blockSignals(False)
        self._set_range()

    def choose(self, split: str, index: int) -> bool:
        """Show row ``index`` (0-based) of ``split``; False when there is no such sample."""
        i = self.split.findData(split)
        if i < 0 or not 0 <= index < self._sizes.get(split, 0):
            return False
        self.split.blockSignals(True)
        self.row.blockSignals(True)
        self.split.setCurrentIndex(i)
        self._set_range()
        self.row.setValue(index + 1)
        self.split.blockSignals(False)
        self.row.blockSignals(False)
        return True

    def current(self) -> tuple[str, int] | None:
        split = self.split.currentData()
        return None if split is None else (split, self.row.value() - 1)

    def _on_split(self, _i: int) -> None:
        self._set_range()
        self.sampleChanged.emit()

    def _set_range(self) -> None:
        n = self._sizes.get(self.split.currentData(), 1)
        self.row.setRange(1, max(1, n))
        self.row.setSuffix(f" of {n}")

    def show_result(self, r: SampleResult) -> None:
        self.sample_text.setText(sample_text(r))
        a = r.attribution
        shape = tuple(r.raw.shape)
        if is_image(shape):
            self.view.show_image(r.raw, a.values[0], ("Input", METHOD_TITLES[a.method]))
        else:
            names = flat_names(shape, r.feature_names)
            raw = r.raw.ravel()
            if a.method == "gradcam":  # a map of the layer: one bar per cell
                names = flat_names(a.values.shape[1:], None)
            else:
                names = [f"{n} = {value_text(v)}" for n, v in zip(names, raw)]
            self.view.show_bars(names, a.values[0].ravel())
        self.info.setText(attribution_text(r))


def value_text(v: float) -> str:
    """A feature's value in the data's units, without the float noise of undoing the
    normalization (a 0 pixel comes back as 2e-07)."""
    return f"{float(np.round(v, 5)) + 0.0:.4g}"


def _class_name(names: list[str] | None, k: int) -> str:
    return names[k] if names and 0 <= k < len(names) else str(k)


def predicted(r: SampleResult) -> tuple[int, float] | float:
    """The predicted class and its probability, or the predicted value."""
    out = np.asarray(r.output, np.float64).ravel()
    if r.task != "classification":
        return float(out[0])
    if len(out) == 1:
        return (int(out[0] > 0.5), float(max(out[0], 1 - out[0])))
    k = int(out.argmax())
    return k, float(out[k])


def sample_text(r: SampleResult) -> str:
    what = f"{SPLIT_TITLES[r.split].capitalize()} sample {r.index + 1}"
    p = predicted(r)
    if isinstance(p, tuple):
        right = "right" if p[0] == int(r.label) else "wrong"
        return (f"{what} · label {_class_name(r.class_names, int(r.label))} · predicted "
                f"{_class_name(r.class_names, p[0])} ({p[1]:.0%}, {right})")
    target = float(np.ravel(r.label)[0])
    return f"{what} · target {target:.4g} · predicted {p:.4g}"


def attribution_text(r: SampleResult) -> str:
    """What was explained, its score, and for integrated gradients how the attributions
    add up."""
    a = r.attribution
    t = int(a.targets[0])
    if r.task == "classification":
        which = f"class {_class_name(r.class_names, t)}"
    else:
        which = f"output {t + 1}"
    text = f"{METHOD_TITLES[a.method]} of the {a.score} of {which}: {a.scores[0]:.4g}."
    if a.method == "gradcam":
        text += f" Map of layer {a.layer}, upsampled to the input."
        if not np.any(a.values):
            text += (" The map is zero everywhere: no channel of this layer raises the "
                     "score here (try another layer or class).")
    if a.baseline_scores is not None and a.steps is not None:
        total = float(a.values.sum())
        change = float(a.scores[0] - a.baseline_scores[0])
        text += (f" The attributions add up to {total:.4g}; the score changes by "
                 f"{change:.4g} from the baseline's {a.baseline_scores[0]:.4g} "
                 f"({int(a.steps[0])} intervals).")
    return text + " Red raises the score, blue lowers it."


class DataSetPage(QWidget):
    """Compute (with repeats) and the two views of the data-set result."""

    def __init__(self, job: BackgroundJob, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout()
        row.addWidget(QLabel("Shuffles per feature"))
        self.repeats = QSpinBox()
        self.repeats.setObjectName("explainRepeats")
        self.repeats.setAccessibleName("Shuffles per feature")
        self.repeats.setToolTip("Permutation importance shuffles each feature this many "
                                "times and averages the loss increase")
        self.repeats.setRange(1, 100)
        self.repeats.setValue(DEFAULT_REPEATS)
        row.addWidget(self.repeats)
        self.compute = QPushButton("Compute")
        self.compute.setObjectName("explainComputeDataSet")
        self.compute.setAccessibleName("Compute the data-set view")
        self.compute.setToolTip("Explain every validation sample with the chosen method "
                                "and measure each feature's permutation importance")
        row.addWidget(self.compute)
        row.addStretch(1)
        self.bar = JobBar(job, "explainDataSet")
        views = QHBoxLayout()
        self.mean_title = QLabel("Mean |attribution|")
        self.perm_title = QLabel("Permutation importance (loss increase)")
        self.mean_view = AttributionView("Mean absolute attribution")
        self.perm_view = AttributionView("Permutation importance")
        for title, view in ((self.mean_title, self.mean_view),
                            (self.perm_title, self.perm_view)):
            col = QVBoxLayout()
            col.addWidget(title)
            col.addWidget(view, 1)
            views.addLayout(col, 1)
        self.summary = QLabel("Press Compute for the view over the validation split.")
        self.summary.setObjectName("explainDataSetSummary")
        self.summary.setAccessibleName("Data-set view summary")
        self.summary.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.bar)
        lay.addLayout(views, 1)
        lay.addWidget(self.summary)
        job.runningChanged.connect(lambda running: self.compute.setEnabled(not running))

    def show_result(self, r: DataSetResult, names: list[str] | None) -> None:
        imp = r.importance
        shape = tuple(r.mean_input.shape)
        rise = imp.loss_increase.reshape(shape)
        if is_image(shape):
            self.mean_view.show_image(r.mean_input, r.mean_abs, ("Mean input",
                                                                 "Mean |attribution|"))
            self.perm_view.show_image(r.mean_input, rise, ("Mean input", "Loss increase"))
        else:
            labels = flat_names(r.mean_abs.shape, names if r.mean_abs.shape == shape
                                else None)
            self.mean_view.show_bars(labels, r.mean_abs.ravel())
            self.perm_view.show_bars(flat_names(shape, names), imp.loss_increase,
                                     imp.loss_increase_std)
        metric = "accuracy" if imp.metric == "accuracy" else "R²"
        value = f"{imp.metric_value:.1%}" if imp.metric == "accuracy" \
            else f"{imp.metric_value:.4g}"
        self.summary.setText(
            f"{METHOD_TITLES[r.settings.method]} over {r.samples} "
            f"{SPLIT_TITLES[r.split]} samples. Permutation importance: with no feature "
            f"shuffled the loss is {imp.loss:.4g} ({metric} {value}); each bar is the "
            f"loss's mean rise over {imp.repeats} shuffles of that feature (whiskers: "
            f"± one standard deviation).")
