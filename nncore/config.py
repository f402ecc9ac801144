"""Training settings: one dataclass, one schema, validated on construction from a dict.

The GUI's settings panel, the project file and the CLI all use :data:`TRAINING_SCHEMA`.
Nested settings (:data:`NESTED_SETTINGS`: optimizer, schedule and loss parameters) are
validated against their own schemas in :mod:`nncore.optimizers`, :mod:`nncore.schedules`
and :mod:`nncore.losses`. Which settings may change during a run is marked there too
(``live``); :data:`LIVE_SETTINGS` and the messages that list them derive from the marks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from nncore.errors import ParameterError
from nncore.losses import LOSSES
from nncore.optimizers import OPTIMIZERS
from nncore.params import Param, coerce_all
from nncore.schedules import SCHEDULES, check_schedule

TRAINING_SCHEMA: tuple[Param, ...] = (
    Param("loss", "choice", "categorical_crossentropy", "What training minimises.",
          choices=tuple(LOSSES)),
    Param("optimizer", "choice", "adam", "How weights are updated from gradients.",
          choices=tuple(OPTIMIZERS)),
    Param("learning_rate", "float", 0.01, "Step size of each update.", min=1e-9, max=1e7,
          live=True),
    Param("schedule", "choice", "constant", "How the learning rate changes over the run.",
          choices=tuple(SCHEDULES), live=True),
    Param("warmup_epochs", "float", 0.0, "Ramp the learning rate up linearly over this many "
          "epochs.", min=0.0, max=1e4, live=True),
    Param("batch_size", "int", 32, "Samples per gradient step.", min=1, max=1_000_000),
    Param("epochs", "int", 100, "Passes over the training data.", min=1, max=1_000_000),
    Param("l1", "float", 0.0, "L1 penalty on kernels (pushes weights to exactly zero). Adds "
          "l1 * sign(W) to the gradients of kernels only (not biases), before clipping.",
          min=0.0, max=10.0, live=True),
    Param("l2", "float", 0.0, "L2 penalty on kernels (keeps weights small). Adds 2 * l2 * W to "
          "the gradients of kernels only (not biases), before clipping: Keras' l2(l2); "
          "PyTorch's weight_decay would be 2 * l2 and apply to biases too.",
          min=0.0, max=10.0, live=True),
    Param("clip_norm", "float", None, "Clip the global gradient norm to this value (empty: "
          "off). The norm covers every layer's gradient with the L1/L2 terms added; above "
          "the limit all gradients are scaled by exactly clip_norm / norm.", min=1e-9,
          max=1e9, optional=True, live=True),
    Param("seed", "int", 0, "Seeds initial weights, shuffling and dropout.", min=0,
          max=2**32 - 1),
    Param("shuffle", "bool", True, "Shuffle the training data every epoch."),
    Param("early_stopping", "bool", False, "Stop when the validation loss stops improving.",
          live=True),
    Param("patience", "int", 10, "Epochs without improvement before stopping.", min=1,
          max=100_000, live=True),
    Param("min_delta", "float", 0.0, "Smallest decrease that counts as an improvement.",
          min=0.0, live=True),
    Param("restore_best", "bool", True, "After early stopping, go back to the best weights."),
    # Data augmentation of image training batches (nncore.augment); validation data is
    # never augmented.
    Param("augment_shift", "int", 0, "Images: shift each training image by up to this many "
          "pixels in each direction (random per image; 0: off).", min=0, max=1024),
    Param("augment_flip_horizontal", "bool", False, "Images: mirror half of the training "
          "images left to right (at random)."),
    Param("augment_flip_vertical", "bool", False, "Images: mirror half of the training "
          "images top to bottom (at random)."),
    Param("augment_noise", "float", 0.0, "Add Gaussian noise of this standard deviation to "
          "training inputs (0: off).", min=0.0, max=100.0),
)


@dataclass(frozen=True)
class NestedSetting:
    """A training setting holding the parameters of a choice (``optimizer_params``: those
    of the chosen ``optimizer``), checked against that choice's own schema."""

    name: str
    choice: str
    label: str
    #: May change during a run. Not always the choice's own mark: the optimizer is fixed
    #: for a run (its state is laid out for it) but its parameters may change.
    live: bool


NESTED_SETTINGS: tuple[NestedSetting, ...] = (
    NestedSetting("optimizer_params", "optimizer", "optimizer parameters", live=True),
    NestedSetting("schedule_params", "schedule", "schedule parameters", live=True),
    NestedSetting("loss_params", "loss", "loss parameters", live=False),
)

#: The settings that may change during a run (between batches, e.g. while paused), in
#: schema order, nested ones last.
_LIVE_ORDER = tuple([p.name for p in TRAINING_SCHEMA if p.live]
                    + [s.name for s in NESTED_SETTINGS if s.live])
LIVE_SETTINGS: frozenset[str] = frozenset(_LIVE_ORDER)


def setting_label(name: str) -> str:
    """How messages name a training setting: 'batch size', 'optimizer parameters'."""
    nested = next((s for s in NESTED_SETTINGS if s.name == name), None)
    return nested.label if nested else name.replace("_", " ")


def live_settings_text(label: Callable[[str], str] = setting_label) -> str:
    """The live settings listed for a message: 'learning rate, schedule, ...'."""
    return ", ".join(label(n) for n in _LIVE_ORDER)


def fixed_settings_refusal(names: Iterable[str],
                           label: Callable[[str], str] = setting_label) -> str | None:
    """Why changing ``names`` during a run is refused (None: they are all live)."""
    fixed = sorted(set(names) - LIVE_SETTINGS)
    if not fixed:
        return None
    return (f"{', '.join(label(n) for n in fixed)} cannot change during a run; stop it "
            f"first. Only these can change while it runs or is paused: "
            f"{live_settings_text(label)}.")


@dataclass
class TrainingConfig:
    loss: str = "categorical_crossentropy"
    optimizer: str = "adam"
    learning_rate: float = 0.01
    schedule: str = "constant"
    warmup_epochs: float = 0.0
    batch_size: int = 32
    epochs: int = 100
    l1: float = 0.0
    l2: float = 0.0
    clip_norm: float | None = None
    seed: int = 0
    shuffle: bool = True
    early_stopping: bool = False
    patience: int = 10
    min_delta: float = 0.0
    restore_best: bool = True
    augment_shift: int = 0
    augment_flip_horizontal: bool = False
    augment_flip_vertical: bool = False
    augment_noise: float = 0.0
    optimizer_params: dict[str, Any] = field(default_factory=dict)
    schedule_params: dict[str, Any] = field(default_factory=dict)
    loss_params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        flat = {p.name: getattr(self, p.name) for p in TRAINING_SCHEMA}
        for k, v in coerce_all(TRAINING_SCHEMA, flat, "training").items():
            setattr(self, k, v)
        owner = f"optimizer {self.optimizer}"
        self.optimizer_params = coerce_all(OPTIMIZERS[self.optimizer].schema,
                                           dict(self.optimizer_params), owner)
        self.schedule_params = check_schedule(self.schedule, dict(self.schedule_params))
        self.loss_params = coerce_all(LOSSES[self.loss].schema, dict(self.loss_params),
                                      f"loss {self.loss}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingConfig:
        if not isinstance(data, dict):
            raise ParameterError(f"training settings must be an object, got {data!r}")
        known = {p.name for p in TRAINING_SCHEMA} | {s.name for s in NESTED_SETTINGS}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParameterError(f"training: unknown setting {unknown[0]!r}")
        for k in (s.name for s in NESTED_SETTINGS):
            if k in data and not isinstance(data[k], dict):
                raise ParameterError(f"training: {k} must be an object, got {data[k]!r}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def replace(self, **changes: Any) -> TrainingConfig:
        d = self.to_dict()
        # Switching optimizer/schedule/loss drops the old one's parameters.
        for nested in NESTED_SETTINGS:
            key = nested.choice
            if key in changes and changes[key] != d[key] and nested.name not in changes:
                d[nested.name] = {}
        d.update(changes)
        return TrainingConfig.from_dict(d)

    @property
    def task(self) -> str:
        return LOSSES[self.loss].task
