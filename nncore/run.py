"""From a project to a trained network: the one run pipeline, in named stages.

Each stage is a plain function with a plain result, usable alone (a learning-rate finder, a
gradient check or an export calls only the ones it needs):

1. :func:`prepare_data` loads the data a :class:`~nncore.project.DataSpec` names, splits it
   (stratified for classification), fits the normalizer on the training split only and
   applies it to every split -> :class:`PreparedData`.
2. :func:`build_network` compiles the graph, refusing networks of more than
   :data:`MAX_PARAMS` weights (:func:`check_network_size`) -> :class:`~nncore.network.Network`.
3. :func:`set_frozen_nodes` applies per-node frozen flags to a network that is trained
   again; :func:`load_initial_weights` loads (and optionally freezes) starting weights.
4. :func:`check_run` checks that data, network and loss fit together and builds the
   trainer and the arrays that feed it -> :class:`CheckedRun`.
5. :func:`fit` trains -> :class:`~nncore.events.TrainingFinished`.

:func:`run_project` strings them together for one :class:`RunRequest`; the CLI, the
window's worker and :func:`train_project` all go through it and differ only in their
:class:`RunHooks`, so the same project and seed give the same computation everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncore.config import TrainingConfig
from nncore.data import BUNDLED, GENERATORS, Dataset, Normalizer, load_bundled, load_data, split
from nncore.data.formats.files import LoadControl
from nncore.data.subsets import keep_classes, limit_samples
from nncore.errors import DataError, SpecError
from nncore.events import RunControl, TrainingFinished
from nncore.graph import analyze
from nncore.memory import check_fits_memory, estimate_training_memory
from nncore.network import Network
from nncore.one_hot import OneHotTargets
from nncore.points import points_dataset
from nncore.project import DataSpec, Project
from nncore.spec import GraphSpec
from nncore.trainer import Trainer
from nncore.weights import WeightsFile, load_into

#: Largest network :func:`build_network` builds: 50 million weights (200 MB in float32; with
#: gradients, optimizer moments and the best-epoch snapshot training needs about 6 times
#: that). Far above what a NumPy engine trains in reasonable time; it stops a typo such as
#: ``units: 1000000`` from exhausting the memory or hanging the machine.
MAX_PARAMS = 50_000_000


@dataclass
class PreparedData:
    """The data of a run: the full data set and its splits, normalized with statistics of
    the training split."""

    dataset: Dataset
    train: Dataset
    val: Dataset | None
    test: Dataset | None
    normalizer: Normalizer
    #: Regression targets were standardized with these (training-split) statistics.
    target_mean: np.ndarray | None = None
    target_std: np.ndarray | None = None

    @property
    def class_names(self) -> list[str] | None:
        return self.dataset.class_names


def locate_row(data: PreparedData, row: int) -> tuple[str, int] | None:
    """Where row ``row`` of the data set as loaded went: ``("train" | "val" | "test",
    its row in that split)``, or None when no split holds it (a class left out)."""
    for name, part in (("train", data.train), ("val", data.val), ("test", data.test)):
        if part is not None and part.rows is not None:
            hits = np.flatnonzero(part.rows == row)
            if len(hits):
                return name, int(hits[0])
    return None


def resolve_path(path: str, base_dir: str | Path | None) -> Path:
    p = Path(path).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    return p


def load_dataset(spec: DataSpec, base_dir: str | Path | None = None,
                 control: LoadControl | None = None) -> Dataset:
    """The full, raw data set a project's data settings name (only the classes it keeps,
    ``spec.classes``); a data file is read under ``control`` (cancel it from another
    thread, follow its bytes)."""
    ds = _load_source(spec, base_dir, control)
    return ds if spec.classes is None else keep_classes(ds, spec.classes)


def _load_source(spec: DataSpec, base_dir: str | Path | None,
                 control: LoadControl | None = None) -> Dataset:
    if spec.source == "points":
        if spec.points is None:
            raise DataError("data.points: the points source needs its points (none given)")
        return points_dataset(spec.points)
    if spec.source == "synthetic":
        if spec.name not in GENERATORS:
            raise DataError(f"data.name: unknown generator {spec.name!r} (known: "
                            f"{', '.join(GENERATORS)})")
        try:
            return GENERATORS[spec.name].generate(spec.params)
        except DataError as e:
            raise DataError(f"data.params: {e}") from None
    if spec.source == "bundled":
        if spec.name not in BUNDLED:
            raise DataError(f"data.name: unknown bundled data set {spec.name!r} (known: "
                            f"{', '.join(BUNDLED)})")
        extra = set(spec.params) - {"as_images"}
        if extra:
            raise DataError(f"data.params: bundled data sets take only 'as_images', got "
                            f"{sorted(extra)}")
        return load_bundled(spec.name, as_images=bool(spec.params.get("as_images", False)))
    if not spec.path:
        raise DataError("data.path: a file data source needs a path")
    path = resolve_path(spec.path, base_dir)
    if not path.exists():
        raise DataError(f"data.path: {spec.path!r} not found (looked for {path}; a relative "
                        "path is relative to the project file's folder)")
    options = dict(spec.params)
    if isinstance(options.get("labels_path"), str):  # IDX labels: relative to the project too
        labels = resolve_path(options["labels_path"], base_dir)
        if not labels.exists():
            raise DataError(f"data.params.labels_path: {options['labels_path']!r} not found "
                            f"(looked for {labels}; a relative path is relative to the "
                            "project file's folder)")
        options["labels_path"] = labels
    return load_data(path, control=control, **options)


def prepare_data(spec: DataSpec, base_dir: str | Path | None = None,
                 dataset: Dataset | None = None) -> PreparedData:
    """Stage 1: load (or take ``dataset``), split, normalize and scale the targets."""
    ds = dataset if dataset is not None else load_dataset(spec, base_dir)
    if spec.val_fraction > 0 or spec.test_fraction > 0:
        if spec.val_fraction > 0:
            train, val, test = split(ds, spec.val_fraction, spec.test_fraction,
                                     stratify=ds.task == "classification", seed=spec.split_seed)
        else:  # a test split only
            train, test, _ = split(ds, spec.test_fraction, 0.0,
                                   stratify=ds.task == "classification", seed=spec.split_seed)
            val = None
    else:
        train, val, test = ds, None, None
    if spec.train_samples:
        train = limit_samples(train, spec.train_samples, spec.split_seed)
    norm = Normalizer(spec.normalization if ds.inputs is None else "none")
    if ds.inputs is None:
        norm.fit(train.X)
        # The splits are the split's own copies: normalised in place (the whole data set is
        # copied only when there is no split and the training set is the data set itself).
        train = norm.apply(train, copy=train is ds)
        val = norm.apply(val, copy=False) if val is not None else None
        test = norm.apply(test, copy=False) if test is not None else None
    t_mean = t_std = None
    if spec.standardize_target:
        if ds.task != "regression":
            raise DataError("data.standardize_target: only regression targets can be "
                            "standardized; this data holds classes")
        y = train.y.astype(np.float64).reshape(len(train.y), -1)
        t_mean = y.mean(axis=0)
        t_std = y.std(axis=0)
        t_std[t_std == 0] = 1.0
        train, val, test = (_scale_targets(d, t_mean, t_std) for d in (train, val, test))
    return PreparedData(ds, train, val, test, norm, t_mean, t_std)


def _scale_targets(d: Dataset | None, mean: np.ndarray, std: np.ndarray) -> Dataset | None:
    if d is None:
        return None
    out = d.subset(slice(None))
    y = (d.y.astype(np.float64).reshape(len(d.y), -1) - mean) / std
    out.y = y.reshape(d.y.shape).astype(np.float32)
    return out


def _fit_input(network: Network, input_id: str, a: np.ndarray) -> np.ndarray:
    """Adapt one data array to an Input: one value per sample, shape (n,) (such as the ids
    of a multi-input data set), feeds an Input of per-sample shape (1,) as (n, 1); integer
    values feeding layers that take numbers, not ids, become floats of the network's dtype."""
    if a.ndim == 1 and tuple(network.shapes[input_id]) == (1,):
        a = a.reshape(-1, 1)
    if a.dtype.kind in "iub":
        takes_ids = any(network.layers[n].input_dtype == "int"
                        for n in network.order if input_id in network.analysis.inputs[n])
        if not takes_ids:
            a = a.astype(network.dtype)
    return a


def network_inputs(network: Network, ds: Dataset) -> Any:
    """The array, or {Input id: array}, that feeds ``network`` from ``ds``.

    A data set with named ``inputs`` feeds the Input nodes whose ids are those names (a
    network with Inputs 'user' and 'item' trains from ``inputs={'user': ..., 'item': ...}``);
    extra names are ignored, a missing one is a DataError naming it.
    """
    if ds.inputs is None:
        if len(network.input_ids) != 1:
            raise DataError(f"the network has {len(network.input_ids)} Input layers "
                            f"({', '.join(network.input_ids)}) but the data has one input")
        return _fit_input(network, network.input_ids[0], ds.X)
    missing = [i for i in network.input_ids if i not in ds.inputs]
    if missing:
        raise DataError(f"no data column for Input '{missing[0]}'; name each Input layer "
                        f"after one of the data's inputs: {', '.join(ds.inputs)}")
    return {i: _fit_input(network, i, ds.inputs[i]) for i in network.input_ids}


def check_compatible(network: Network, ds: Dataset, loss_name: str) -> None:
    """Raise a DataError/SpecError when the data cannot feed this network and loss."""
    feeds = network_inputs(network, ds)
    arrays = feeds if isinstance(feeds, dict) else {network.input_ids[0]: feeds}
    for node_id, a in arrays.items():
        want = network.shapes[node_id]
        if tuple(a.shape[1:]) != want:
            raise SpecError(f"Input '{node_id}': expects samples of shape {want}, the data "
                            f"has {tuple(a.shape[1:])}; set the Input shape to "
                            f"{list(a.shape[1:])}", node_id=node_id)
    out = network.output_shape
    owner = network.layers[network.output_id].owner
    if ds.task == "classification" and (ds.n_classes or 0) < 2:
        names = ds.class_names or []
        only = f" ({names[0]!r})" if len(names) == 1 else ""
        raise DataError(f"the data holds a single class{only}; classification needs at "
                        "least two")
    if loss_name == "categorical_crossentropy":
        k = ds.n_classes or 0
        if ds.task != "classification":
            raise DataError("categorical cross-entropy needs class labels; this data is a "
                            "regression task (use mse, mae or huber)")
        if out != (k,):
            raise SpecError(f"{owner}: outputs {out} but the data has {k} classes; give it "
                            f"{k} units", node_id=network.output_id)
    elif loss_name == "binary_crossentropy":
        if ds.task != "classification" or (ds.n_classes or 0) > 2:
            raise DataError("binary cross-entropy needs two classes; use categorical "
                            "cross-entropy for more")
        if out != (1,):
            raise SpecError(f"{owner}: binary cross-entropy needs 1 sigmoid output unit, it "
                            f"has shape {out}", node_id=network.output_id)
    elif ds.task == "classification":
        # A regression loss on classes compares each output unit with one class (one-hot).
        k = ds.n_classes or 0
        if out != (k,):
            raise SpecError(f"{owner}: outputs {out} but the data has {k} classes; {loss_name} "
                            f"on classes compares each output unit with one class: give it "
                            f"{k} units (or use categorical cross-entropy)",
                            node_id=network.output_id)
    else:
        k = int(np.prod(ds.y.shape[1:])) if ds.y.ndim > 1 else 1
        if int(np.prod(out)) != k:
            raise SpecError(f"{owner}: outputs {out} but the data has {k} target value(s) "
                            f"per sample", node_id=network.output_id)


def check_network_size(graph: GraphSpec, limit: int = MAX_PARAMS) -> None:
    """Raise a SpecError naming the largest layer when the network has more than ``limit``
    weights (parameters and state) in total. Invalid graphs pass (building reports them)."""
    a = analyze(graph)
    total = a.total_params
    if total <= limit:
        return
    node = max(a.params, key=lambda n: a.params[n][1])
    raise SpecError(f"{a.layers[node].owner}: has {a.params[node][1]:,} parameters; the "
                    f"network has {total:,} in total, more than the {limit:,} NetCanvas can "
                    f"train (about {total * 4 / 1e9:,.1f} GB for the weights alone); use "
                    "fewer units", node_id=node)


def build_network(project: Project, seed: int | None = None,
                  dtype: Any = np.float32) -> Network:
    """Stage 2: compile the project's graph, its weights drawn from ``seed`` (default: the
    project's training seed). Raises SpecError for an invalid or too large graph."""
    check_network_size(project.graph)
    s = project.training.seed if seed is None else seed
    return Network(project.graph, dtype=dtype, seed=s)


def set_frozen_nodes(network: Network, frozen: Mapping[str, bool]) -> None:
    """Stage 3a: apply node id -> frozen flags to a network trained again (nodes it lacks are
    ignored). Only a real change re-lays out the weight buffer."""
    for node_id, flag in frozen.items():
        if node_id in network.layers and network.layers[node_id].trainable == flag:
            network.set_frozen(node_id, flag)


def load_initial_weights(network: Network, weights: WeightsFile, partial: bool = False,
                         freeze_loaded: bool = False) -> list[str]:
    """Stage 3b: start from ``weights`` (strict unless ``partial``: then only the layers
    that match by name and shape); ``freeze_loaded`` keeps the loaded layers fixed. Returns
    the loaded node ids; errors name ``weights.source``."""
    loaded = load_into(network, weights, partial=partial, source=weights.source)
    if freeze_loaded:
        for node_id in loaded:
            network.set_frozen(node_id, True)
    return loaded


@dataclass
class CheckedRun:
    """What :func:`fit` needs once data, network and loss are known to fit together: the
    trainer and the arrays that feed it (an array, or {Input id: array})."""

    trainer: Trainer
    x: Any
    y: np.ndarray
    x_val: Any = None
    y_val: np.ndarray | None = None


def check_run(network: Network, data: PreparedData, config: TrainingConfig,
              control: RunControl | None = None, on_divergence: str = "stop") -> CheckedRun:
    """Stage 4: build the trainer (which checks the loss against the output activation and
    the augmentation against the Inputs), check the data against the network and the loss,
    and adapt the splits to the network's Inputs. Raises SpecError or DataError."""
    trainer = Trainer(network, config, control, on_divergence=on_divergence)
    check_compatible(network, data.dataset, config.loss)
    if data.dataset.task == "classification" and trainer.loss.task == "regression":
        trainer.loss = OneHotTargets(trainer.loss, data.dataset.n_classes or 0)
    val = data.val
    return CheckedRun(trainer, network_inputs(network, data.train), data.train.y,
                      network_inputs(network, val) if val is not None else None,
                      val.y if val is not None else None)


def fit(run: CheckedRun, callback: Callable[[Any], None] | None = None,
        batch_seconds: float = 0.0) -> TrainingFinished:
    """Stage 5: train (see :meth:`nncore.trainer.Trainer.fit` for ``callback`` and
    ``batch_seconds``)."""
    return run.trainer.fit(run.x, run.y, run.x_val, run.y_val, callback=callback,
                           batch_seconds=batch_seconds)


def check_run_memory(project: Project, config: TrainingConfig, data: PreparedData) -> None:
    """Stage 1b: refuse a run whose training would need more memory than is available
    now (the data is loaded already, so only the network and a batch count). The cap on
    parameters (:func:`check_network_size`, which names the largest layer) comes first."""
    check_network_size(project.graph)
    analysis = analyze(project.graph)
    if analysis.ok:
        check_fits_memory(estimate_training_memory(
            analysis, config, len(data.train.y), len(data.val.y) if data.val else None))


# -- the driver -------------------------------------------------------------------------

@dataclass
class RunRequest:
    """What one run trains: a project, the settings a caller overrides, and what it brings
    along from an earlier run (prepared data, a network to train further)."""

    project: Project
    #: Folder that relative data paths are relative to (the project file's).
    base_dir: str | Path | None = None
    #: Override the project's number of epochs / seed.
    epochs: int | None = None
    seed: int | None = None
    #: Start from these weights (:func:`load_initial_weights`).
    init_weights: WeightsFile | None = None
    partial: bool = False
    freeze_loaded: bool = False
    #: Prepared data to reuse (None: prepare the project's data).
    data: PreparedData | None = None
    #: The network to train further (None: build a fresh one from the project).
    network: Network | None = None
    #: node id -> frozen, applied to the network before training.
    frozen: dict[str, bool] = field(default_factory=dict)
    #: "stop" or "pause" (wait for new settings) on a non-finite loss or gradient.
    on_divergence: str = "stop"
    #: Report batches in bulk at most this often (seconds; 0: after every batch).
    batch_seconds: float = 0.0
    #: Refuse (MemoryLimitError) a run estimated to need more memory than is available
    #: (the command line); the window shows the estimate and warns instead.
    check_memory: bool = True

    def config(self) -> TrainingConfig:
        """The project's training settings with this request's overrides."""
        changes = {k: v for k, v in (("epochs", self.epochs), ("seed", self.seed))
                   if v is not None}
        training = self.project.training
        return training.replace(**changes) if changes else training


@dataclass
class RunHooks:
    """What a caller does between two stages, on the thread that runs them. A hook may
    block (the window waits for its data to be drawn); a run whose control is stopped
    meanwhile ends before training."""

    #: The data is prepared (or reused); the network is not built yet.
    data_ready: Callable[[PreparedData], None] | None = None
    #: The network is built (or reused), its frozen flags and initial weights applied.
    network_ready: Callable[[Network], None] | None = None
    #: Checked; training starts right after this returns.
    fit_starting: Callable[[CheckedRun], None] | None = None


@dataclass
class RunResult:
    """How a run ended. ``finished`` (and ``trainer``) are None when the control stopped the
    run before training began; ``network`` is then None unless one was built or given."""

    network: Network | None
    finished: TrainingFinished | None
    data: PreparedData
    trainer: Trainer | None
    loaded_nodes: list[str]


def run_project(request: RunRequest, control: RunControl | None = None,
                callback: Callable[[Any], None] | None = None,
                hooks: RunHooks | None = None) -> RunResult:
    """Run every stage for ``request``: prepare the data, build the network, load initial
    weights, check, fit. ``callback`` receives the trainer's events."""
    hooks = hooks or RunHooks()
    config = request.config()
    data = request.data if request.data is not None else prepare_data(
        request.project.data, request.base_dir)
    if hooks.data_ready is not None:
        hooks.data_ready(data)
    if control is not None and control.stopped:
        return RunResult(request.network, None, data, None, [])
    if request.check_memory:
        check_run_memory(request.project, config, data)
    network = request.network if request.network is not None else build_network(
        request.project, config.seed)
    set_frozen_nodes(network, request.frozen)
    loaded: list[str] = []
    if request.init_weights is not None:
        loaded = load_initial_weights(network, request.init_weights, request.partial,
                                      request.freeze_loaded)
    if hooks.network_ready is not None:
        hooks.network_ready(network)
    run = check_run(network, data, config, control, request.on_divergence)
    if control is not None and control.stopped:
        return RunResult(network, None, data, None, loaded)
    if hooks.fit_starting is not None:
        hooks.fit_starting(run)
    finished = fit(run, callback, request.batch_seconds)
    return RunResult(network, finished, data, run.trainer, loaded)


def train_project(project: Project, base_dir: str | Path | None = None, *,
                  epochs: int | None = None, seed: int | None = None,
                  init_weights: WeightsFile | None = None, partial: bool = False,
                  callback: Callable[[Any], None] | None = None,
                  control: RunControl | None = None, on_divergence: str = "stop",
                  data: PreparedData | None = None,
                  network: Network | None = None) -> RunResult:
    """:func:`run_project` in one call, for scripts and tests: load the data, build (or
    reuse) the network, optionally load initial weights, train."""
    request = RunRequest(project, base_dir, epochs, seed, init_weights, partial, data=data,
                         network=network, on_divergence=on_divergence)
    return run_project(request, control, callback)
