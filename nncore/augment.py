"""Data augmentation of image training batches: random shifts, flips and Gaussian noise.

The trainer applies an :class:`Augmentation` to every *training* batch (never to validation
or test data, never in ``predict``) when one of the training settings ``augment_shift``,
``augment_flip_horizontal``, ``augment_flip_vertical`` or ``augment_noise`` is on. Every
random draw comes from the generator it is given (the network's), in a fixed order per
batch, so a run stays reproducible from its seed. Augmentation needs image inputs
``(C, H, W)``: a network with another kind of Input is refused with an error naming it.

All operations are vectorised over the batch; the input batch is never modified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nncore.errors import ParameterError, SpecError

#: Training settings that switch augmentation on, with their Augmentation field.
SETTINGS = {"augment_shift": "shift", "augment_flip_horizontal": "flip_horizontal",
            "augment_flip_vertical": "flip_vertical", "augment_noise": "noise"}


@dataclass(frozen=True)
class Augmentation:
    """What to do to each training image.

    ``shift``: move the image by a random whole number of pixels in [-shift, shift] down
    and, independently, right (per image); pixels shifted in are 0 (the mean, for
    standardised data). ``flip_horizontal`` / ``flip_vertical``: mirror each image left to
    right / top to bottom with probability 1/2. ``noise``: add Gaussian noise of this
    standard deviation to every value. Applied in that order.
    """

    shift: int = 0
    flip_horizontal: bool = False
    flip_vertical: bool = False
    noise: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.shift, bool) or not isinstance(self.shift, int) or self.shift < 0:
            raise ParameterError(f"augmentation: shift must be a non-negative integer, "
                                 f"received {self.shift!r}")
        if not np.isfinite(self.noise) or self.noise < 0:
            raise ParameterError(f"augmentation: noise must be a non-negative number, "
                                 f"received {self.noise!r}")

    @classmethod
    def from_config(cls, config: Any) -> Augmentation:
        """The augmentation a :class:`~nncore.config.TrainingConfig` asks for."""
        return cls(**{field: getattr(config, name) for name, field in SETTINGS.items()})

    @property
    def active(self) -> bool:
        return bool(self.shift or self.flip_horizontal or self.flip_vertical or self.noise)

    def describe(self) -> str:
        """The settings that are on, e.g. ``augment_shift=2, augment_noise=0.1``."""
        on = [f"{name}={getattr(self, field)!r}" if not isinstance(getattr(self, field), bool)
              else name for name, field in SETTINGS.items() if getattr(self, field)]
        return ", ".join(on) or "none"

    # -- checks ------------------------------------------------------------------------
    def check_shape(self, shape: tuple[int, ...], input_id: str) -> None:
        """Raise SpecError unless samples of ``shape`` (one Input's) can be augmented."""
        if len(shape) != 3:
            raise SpecError(
                f"Input '{input_id}': data augmentation ({self.describe()}) works on image "
                f"inputs (C, H, W), this Input takes samples of shape {tuple(shape)}; turn "
                "augmentation off in the training settings or feed images",
                node_id=input_id)
        _, h, w = shape
        if self.shift >= min(h, w):
            raise SpecError(
                f"Input '{input_id}': augment_shift {self.shift} is not smaller than its "
                f"{h}x{w} images; use a shift of at most {min(h, w) - 1}", node_id=input_id)

    def check_network(self, network: Any) -> None:
        """Check every Input of ``network`` (see :meth:`check_shape`)."""
        for input_id in network.input_ids:
            self.check_shape(tuple(network.shapes[input_id]), input_id)

    # -- the transformation ------------------------------------------------------------
    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A new, augmented copy of the image batch ``x`` (n, C, H, W)."""
        if x.ndim != 4:
            raise SpecError(f"augmentation expects a batch of images (n, C, H, W), got an "
                            f"array of shape {x.shape}")
        n, _, h, w = x.shape
        out = x
        if self.shift:
            s = self.shift
            dy, dx = rng.integers(-s, s + 1, size=(2, n))
            padded = np.zeros((*x.shape[:2], h + 2 * s, w + 2 * s), x.dtype)
            padded[:, :, s:s + h, s:s + w] = x
            # windows[k, :, r, c] is the h x w crop starting at (r, c); the crop at
            # (s - dy, s - dx) is the image moved dy pixels down and dx right.
            windows = np.lib.stride_tricks.sliding_window_view(padded, (h, w), axis=(2, 3))
            out = windows[np.arange(n), :, s - dy, s - dx]
        if self.flip_horizontal:
            flip = rng.random(n) < 0.5
            out = out.copy() if out is x else out
            out[flip] = out[flip][:, :, :, ::-1]
        if self.flip_vertical:
            flip = rng.random(n) < 0.5
            out = out.copy() if out is x else out
            out[flip] = out[flip][:, :, ::-1, :]
        if self.noise:
            dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
            noise = rng.standard_normal(out.shape, dtype=dtype)
            noise *= dtype.type(self.noise)
            out = out + noise
        return out if out is not x else x.copy()

    def apply_batch(self, xb: Any, rng: np.random.Generator, input_ids: list[str]) -> Any:
        """Augment a training batch: an array, or a dict {input id: array} (each Input in
        ``input_ids`` order, so the random draws are reproducible)."""
        if isinstance(xb, dict):
            out = dict(xb)
            for input_id in input_ids:
                out[input_id] = self.apply(xb[input_id], rng)
            return out
        return self.apply(xb, rng)


def augmentation_for(network: Any, config: Any) -> Augmentation | None:
    """The checked augmentation the training settings ask for, or None when all are off.
    Raises SpecError naming an Input that is not an image."""
    aug = Augmentation.from_config(config)
    if not aug.active:
        return None
    aug.check_network(network)
    return aug
