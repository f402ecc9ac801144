"""Exports of a trained network: an ONNX model and a standalone NumPy inference script.

* :func:`export_onnx` writes an ``.onnx`` file (opset :data:`~nncore.export.onnx_export.OPSET`)
  that any ONNX runtime can execute; it returns what ``Network.predict`` returns.
* :func:`export_python` writes a readable ``.py`` file that needs only NumPy and the weights
  ``.npz`` (keys ``"<node id>/<weight name>"``).

Both are built layer by layer from a dispatch table keyed by the layer's ``type_name``
(:data:`~nncore.export.onnx_export.ONNX_CONVERTERS`,
:data:`~nncore.export.python_script.PY_TEMPLATES`): a new layer type adds one entry to each.
A layer type without an entry raises :class:`UnsupportedLayerError` naming the node.

This module also holds what both exports share: checking the normaliser state and class
names, finding the Inputs that carry integer ids (those feeding a layer whose
``input_dtype`` is ``"int"``), and the atomic file write.
See ``docs/exports.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nncore.errors import ParameterError, SpecError
from nncore.fileio import atomic_write_bytes  # noqa: F401 (used by the exporters)
from nncore.outputs import check_class_names, resolve_target_scaling  # noqa: F401 (re-exported)

#: Version of the layout of exported files (metadata keys, script structure).
EXPORT_FORMAT_VERSION = 1

NORMALIZATION_MODES = ("standardize", "minmax", "none")


class UnsupportedLayerError(SpecError):
    """A node's layer type (or activation) has no converter for the requested export."""


# ---------------------------------------------------------------------------------------------
# integer inputs
# ---------------------------------------------------------------------------------------------
def consumers(network: Any, node_id: str) -> list[str]:
    """Node ids that take ``node_id``'s output as an input."""
    return [n for n in network.order if node_id in network.analysis.inputs[n]]


def integer_inputs(network: Any) -> set[str]:
    """Input node ids fed as integer ids: at least one consumer takes ids
    (``input_dtype == "int"``); its converter receives an int64 tensor."""
    return {i for i in network.input_ids
            if any(network.layers[c].input_dtype == "int" for c in consumers(network, i))}


# ---------------------------------------------------------------------------------------------
# normalisation of raw inputs
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InputNormalization:
    """How one Input's raw values are normalised: ``(x - offset) / scale`` along
    ``feature_axis`` of the batched array, computed in float64 as
    :class:`nncore.data.Normalizer` does."""

    input_id: str
    mode: str
    #: The statistics as given (``mean``/``std`` or ``min``/``max``), float64.
    stats: dict[str, np.ndarray]
    offset: np.ndarray
    scale: np.ndarray
    #: Axis of the batched array (batch axis included) that holds features/channels.
    feature_axis: int
    #: Rank of the batched array.
    ndim: int

    @property
    def identity(self) -> bool:
        return self.mode == "none"

    def broadcast_shape(self) -> tuple[int, ...]:
        """Shape of offset/scale broadcasting against a batched input."""
        shape = [1] * self.ndim
        shape[self.feature_axis] = len(self.offset)
        return tuple(shape)

    def apply(self, x: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
        """Reference implementation: normalise a batched raw array."""
        if self.identity:
            return np.asarray(x, dtype=dtype)
        shape = self.broadcast_shape()
        out = (np.asarray(x, np.float64) - self.offset.reshape(shape)) / self.scale.reshape(shape)
        return out.astype(dtype)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"mode": self.mode, "feature_axis": self.feature_axis,
                             "ndim": self.ndim}
        for k, v in self.stats.items():
            d[k] = [float(a) for a in v]
        if not self.identity:
            d["offset"] = [float(a) for a in self.offset]
            d["scale"] = [float(a) for a in self.scale]
        return d


def _normalizer_feature_axis(ndim: int, where: str) -> int:
    if ndim in (2, 4):
        return 1
    if ndim == 3:
        return 2
    raise ParameterError(f"{where}: inputs with per-sample rank {ndim - 1} cannot be "
                         "normalised (expected flat, sequence or image inputs)")


def _state_dict(state: Any, where: str) -> dict[str, Any]:
    if hasattr(state, "to_dict") and callable(state.to_dict):
        if getattr(state, "fitted", True) is False:
            raise ParameterError(f"{where}: the normaliser has not been fitted")
        state = state.to_dict()
    if not isinstance(state, Mapping):
        raise ParameterError(f"{where}: normaliser state must be a Normalizer or a dict "
                             f"with a 'mode' field, got {type(state).__name__}")
    return dict(state)


def _parse_normalization(state: Any, input_id: str, shape: tuple[int, ...]) -> InputNormalization:
    where = f"normaliser state for Input '{input_id}'"
    d = _state_dict(state, where)
    mode = d.get("mode")
    if mode not in NORMALIZATION_MODES:
        raise ParameterError(f"{where}: 'mode' must be one of {', '.join(NORMALIZATION_MODES)}, "
                             f"got {mode!r}")
    ndim = len(shape) + 1
    given_ndim = d.get("ndim")
    if given_ndim is not None and given_ndim != ndim:
        raise ParameterError(f"{where}: fitted on {given_ndim}-D data, but the Input takes "
                             f"samples of shape {shape} ({ndim}-D batches)")
    needed = {"standardize": ("mean", "std"), "minmax": ("min", "max"), "none": ()}[mode]
    if not needed:
        empty = np.zeros(0)
        return InputNormalization(input_id, mode, {}, empty, empty, 1, ndim)
    axis = _normalizer_feature_axis(ndim, where)
    n_feat = shape[axis - 1]
    stats: dict[str, np.ndarray] = {}
    for k in needed:
        if k not in d:
            raise ParameterError(f"{where}: mode '{mode}' needs a '{k}' field")
        try:
            a = np.asarray(d[k], dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise ParameterError(f"{where}: '{k}' must be a list of numbers") from None
        if a.shape != (n_feat,):
            what = "channels" if ndim == 4 else "features"
            raise ParameterError(f"{where}: '{k}' has {a.size} values, the Input has {n_feat} "
                                 f"{what} (shape {shape})")
        if not np.all(np.isfinite(a)):
            raise ParameterError(f"{where}: '{k}' contains NaN or Inf")
        stats[k] = a
    if mode == "standardize":
        offset, scale = stats["mean"], stats["std"].copy()
    else:
        offset, scale = stats["min"], stats["max"] - stats["min"]
    # Same rule as nncore.data.Normalizer: a constant feature keeps scale 1.
    scale = np.where(scale > 1e-12 * np.maximum(1.0, np.abs(offset)), scale, 1.0)
    return InputNormalization(input_id, mode, stats, offset.copy(), scale, axis, ndim)


def resolve_normalization(network: Any, normalizer_state: Any) -> dict[str, InputNormalization]:
    """Map each normalised Input id to its :class:`InputNormalization`.

    ``normalizer_state`` is ``None``, a fitted ``nncore.data.Normalizer`` or its
    ``to_dict()`` form (for a single-input network), or a mapping ``{input id: state}``.
    """
    if normalizer_state is None:
        return {}
    per_input: dict[str, Any]
    if isinstance(normalizer_state, Mapping) and "mode" not in normalizer_state:
        per_input = dict(normalizer_state)
        unknown = [k for k in per_input if k not in network.input_ids]
        if unknown:
            raise ParameterError(f"normaliser state given for {unknown[0]!r}, which is not an "
                                 f"Input of the network (inputs: {', '.join(network.input_ids)}"
                                 "); a single state needs a 'mode' field")
    else:
        if len(network.input_ids) != 1:
            raise ParameterError(
                f"the network has {len(network.input_ids)} inputs "
                f"({', '.join(network.input_ids)}); pass the normaliser state as a dict "
                "{input id: state}")
        per_input = {network.input_ids[0]: normalizer_state}
    ints = integer_inputs(network)
    out = {}
    for input_id in network.input_ids:
        if input_id not in per_input or per_input[input_id] is None:
            continue
        norm = _parse_normalization(per_input[input_id], input_id,
                                    tuple(network.shapes[input_id]))
        if input_id in ints:
            if norm.identity:  # mode "none", what train saves for a data set of ids
                continue
            raise ParameterError(f"Input '{input_id}' carries integer ids and cannot be "
                                 f"normalised (the state holds {norm.mode} statistics for it)")
        out[input_id] = norm
    return out


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def check_supported(network: Any, table: Mapping[str, Any], what: str) -> None:
    """Raise UnsupportedLayerError for the first node whose type is not in ``table``."""
    for node_id in network.order:
        t = network.layers[node_id].type_name
        if t not in table:
            raise UnsupportedLayerError(
                f"{t} '{node_id}': cannot export to {what}: layer type {t!r} has no "
                f"converter (supported: {', '.join(sorted(table))})", node_id=node_id)


def concat_axis(layer: Any) -> int:
    """Batched axis a Concatenate layer joins along."""
    return layer.per_sample_axis(len(layer.input_shapes[0])) + 1


def batchnorm_axis(layer: Any) -> int:
    """Batched axis holding BatchNormalization's features."""
    return layer.feature_axis(layer.input_shapes[0]) + 1


from nncore.export import onnx_conv, onnx_recurrent, py_conv, py_recurrent  # noqa: E402, F401
from nncore.export.onnx_export import ONNX_CONVERTERS, OPSET, export_onnx  # noqa: E402
from nncore.export.python_script import PY_TEMPLATES, export_python  # noqa: E402
from nncore.export.pytorch_model import PT_CONVERTERS  # noqa: E402
from nncore.export.pytorch_project import export_pytorch_project  # noqa: E402

__all__ = [
    "EXPORT_FORMAT_VERSION",
    "ONNX_CONVERTERS",
    "OPSET",
    "PY_TEMPLATES",
    "PT_CONVERTERS",
    "InputNormalization",
    "UnsupportedLayerError",
    "export_onnx",
    "export_python",
    "export_pytorch_project",
    "resolve_normalization",
    "resolve_target_scaling",
]
