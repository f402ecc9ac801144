"""The layer API every layer type implements.

A layer is created from validated hyperparameters only (``__init__`` stores them; errors
quote the bad value). The network then asks it for its output shape and the shapes of its
weights, allocates those weights itself (as views into one flat buffer, so optimizers,
clipping and snapshots work on a single array), and calls ``forward``/``backward``.

Shapes are per sample (no batch axis). Images are (C, H, W); sequences (T, F).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from nncore.errors import ShapeError
from nncore.params import Param, coerce_all

Shape = tuple[int, ...]


@dataclass(frozen=True)
class WeightSpec:
    """One array a layer owns: its name, shape and initializer.

    ``trainable=False`` marks a state buffer (BatchNorm's moving statistics): saved with the
    weights, never touched by optimizers. ``regularize`` marks kernels that L1/L2 apply to.
    ``minimum`` is the smallest value an element may hold (None: any value), such as
    BatchNorm's moving variance, which is never negative; the test harnesses draw and
    perturb weights within it.
    """

    name: str
    shape: Shape
    initializer: str
    trainable: bool = True
    regularize: bool = False
    minimum: float | None = None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


class Layer(ABC):
    """Base class of all layer types; subclasses register with ``@register``.

    Besides its computation a layer type declares what the rest of the program needs to know
    about it, as class attributes (a layer type sets only those that differ):

    * ``type_name``, ``category`` (palette group), ``description``, ``schema``;
    * ``min_inputs``, ``max_inputs``: how many connections it takes (0, 0: an Input);
    * ``input_dtype``: ``"int"`` when its inputs are integer ids (then
      :attr:`input_id_limit` bounds them); an Input feeding such a layer carries ids, the
      data pipeline keeps integer arrays as they are and the exports declare it int64;
    * ``glyph``: the name of the picture the GUI draws for the type (``app/icons.py`` maps
      names to painters; empty: the type's initial in a box);
    * ``examples``: configurations the registry-wide test harnesses run;
    * ``formula``: what it computes forward and backward, as text;

    and, per weight, its valid range (:attr:`WeightSpec.minimum`).
    """

    type_name: ClassVar[str] = ""
    category: ClassVar[str] = "core"
    description: ClassVar[str] = ""
    schema: ClassVar[tuple[Param, ...]] = ()
    min_inputs: ClassVar[int] = 1
    #: ``None`` means any number.
    max_inputs: ClassVar[int | None] = 1
    #: One of :data:`nncore.registry.INPUT_DTYPES`: ``"int"`` for a layer whose inputs
    #: are integer ids.
    input_dtype: ClassVar[str] = "float"
    #: Name of the glyph the GUI draws for this type (empty: its initial).
    glyph: ClassVar[str] = ""
    #: Example configurations ``(params, input_shapes)`` that the registry-wide test
    #: harness runs (shapes, gradient checks, config round trip) and the docs show.
    examples: ClassVar[tuple[tuple[dict[str, Any], list[Shape]], ...]] = ()
    #: What the layer computes, as text: (forward, backward). Names: x the input, y the
    #: output, z the pre-activation, f the activation, W/b/... the weights, dL/dv the
    #: gradient of the loss with respect to v. The single-sample trace shows it
    #: (:mod:`nncore.trace`); every registered type fills it.
    formula: ClassVar[tuple[str, str]] = ("", "")

    def __init__(self, name: str = "", /, **params: Any) -> None:
        self.name = name or self.type_name.lower()
        self.config: dict[str, Any] = coerce_all(self.schema, params, self.owner)
        self.trainable = True
        self.weights: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.dtype: type = np.float32
        self.rng: np.random.Generator | None = None
        #: The network clears this when no upstream layer needs the input gradient.
        self.need_input_grad = True
        #: Set by the network when the loss fuses this (output) layer's activation.
        self.skip_activation = False
        self.input_shapes: list[Shape] = []
        self.output_shape: Shape = ()

    # -- description -------------------------------------------------------------------
    @property
    def owner(self) -> str:
        """How messages name this layer: ``Dense 'hidden2'``."""
        return f"{self.type_name} '{self.name}'"

    @property
    def input_id_limit(self) -> int | None:
        """For a layer whose inputs are ids (``input_dtype == "int"``): ids must be below
        this. None for layers that take numbers."""
        return None

    @property
    def activation_name(self) -> str | None:
        """The activation this layer applies to its output, if it has one."""
        return self.config.get("activation")

    def shape_error(self, reason: str) -> ShapeError:
        return ShapeError(f"{self.owner}: {reason}", node_id=self.name)

    # -- shapes and weights ------------------------------------------------------------
    @abstractmethod
    def compute_output_shape(self, input_shapes: list[Shape]) -> Shape:
        """Return the per-sample output shape, or raise ShapeError naming the reason."""

    def weight_specs(self, input_shapes: list[Shape]) -> list[WeightSpec]:
        """The arrays this layer owns for these input shapes (none by default)."""
        return []

    def count_params(self, input_shapes: list[Shape]) -> tuple[int, int]:
        """(trainable, total) parameter counts, computed without allocating anything."""
        specs = self.weight_specs(input_shapes)
        trainable = sum(s.size for s in specs if s.trainable) if self.trainable else 0
        return trainable, sum(s.size for s in specs)

    def training_floats(self, input_shapes: list[Shape]) -> int:
        """Floats per sample that training this layer holds at its peak: what it keeps from
        the forward pass for the backward pass and its work buffers. Read by the memory
        estimate (:mod:`nncore.memory`). The default fits layers that keep their output
        and one array of its size (the activation's derivative, a mask) and take the
        output's gradient: three times the output; layers with larger buffers override."""
        return 3 * int(np.prod(self.compute_output_shape(input_shapes)))

    def on_built(self) -> None:
        """Called once the network has assigned weights; layers cache what they need."""

    # -- computation -------------------------------------------------------------------
    @abstractmethod
    def forward(self, x: Any, training: bool) -> np.ndarray:
        """Compute the output. ``x`` is an array, or a list of arrays for merge layers."""

    @abstractmethod
    def backward(self, grad: np.ndarray) -> Any:
        """Write parameter gradients into ``self.grads`` (when trainable) and return the
        gradient with respect to the input (a list for merge layers; None when
        ``need_input_grad`` is False)."""

    def __repr__(self) -> str:
        return f"<{self.owner}>"


def is_flat(shape: Shape) -> bool:
    return len(shape) == 1
