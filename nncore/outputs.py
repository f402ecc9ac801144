"""What a trained network's outputs mean, checked against the network: the names of its
classes and the scaling that turns its outputs back into target units. One check serves
every reader of a weights file (``predict``, the exports, the window), so a file whose
metadata does not fit the network is refused the same way everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nncore.errors import ParameterError


def check_class_names(network: Any, class_names: Sequence[str] | None) -> list[str] | None:
    """Validate class names against the output: one per output unit, or two for a single
    sigmoid unit (negative, positive)."""
    if class_names is None:
        return None
    if isinstance(class_names, str) or not isinstance(class_names, Sequence):
        raise ParameterError(f"class_names must be a list of strings, got "
                             f"{type(class_names).__name__}")
    names = list(class_names)
    for i, c in enumerate(names):
        if not isinstance(c, str):
            raise ParameterError(f"class_names[{i}] must be a string, got {c!r}")
    shape = tuple(network.output_shape)
    units = shape[0] if len(shape) == 1 else None
    if units is None:
        raise ParameterError(f"class names need a flat output, the output has shape {shape}")
    allowed = (1, 2) if units == 1 else (units,)
    if len(names) not in allowed:
        raise ParameterError(f"{len(names)} class names given for an output of {units} "
                             f"unit{'s' if units > 1 else ''} (expected "
                             f"{' or '.join(str(a) for a in allowed)})")
    return names


def resolve_target_scaling(network: Any, target_scaling: Any
                           ) -> tuple[np.ndarray, np.ndarray] | None:
    """``None`` or ``(mean, std)``, each one value or one per output value, as float64
    vectors: exported outputs become ``predict(x) * std + mean`` (per flattened output
    column), undoing target standardisation as ``nncore.weights`` does."""
    if target_scaling is None:
        return None
    if not isinstance(target_scaling, Sequence) or len(target_scaling) != 2:
        raise ParameterError("target_scaling must be a pair (mean, std)")
    width = int(np.prod(network.output_shape))
    out = []
    for what, v in zip(("mean", "std"), target_scaling):
        try:
            a = np.asarray(v, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise ParameterError(f"target_scaling {what} must be numbers") from None
        if a.size not in (1, width):
            raise ParameterError(f"target_scaling {what} has {a.size} values, the output has "
                                 f"{width}")
        if not np.all(np.isfinite(a)):
            raise ParameterError(f"target_scaling {what} contains NaN or Inf")
        out.append(a)
    return out[0], out[1]
