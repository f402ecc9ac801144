"""Weights files: ``.npz`` archives with documented keys, never pickled.

Keys:
- ``<node id>/<weight name>``: one array per weight, e.g. ``dense1/W`` (in, out),
  ``dense1/b``, ``bn/moving_mean``; see ``docs/file-formats.md`` for every layout.
- ``__meta__``: a 0-d unicode array holding JSON: ``{"format": "netcanvas-weights",
  "version": 1, "task", "class_names", "normalization", "inputs", "project", "shapes",
  "target_mean", "target_std"}``.
- ``__norm__/<stat>``: normalization statistics fitted on the training split
  (``mean``/``std`` or ``min``/``max``, plus ``ndim``), so predictions on new data use the
  same scaling.

Loading uses ``allow_pickle=False``; names and shapes are checked strictly, or, for
transfer learning, node by node (:func:`load_into`, ``partial=True``).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncore.errors import FormatError, NetCanvasError, ParameterError
from nncore.network import Network
from nncore.outputs import check_class_names, resolve_target_scaling
from nncore.project import atomic_write_bytes
from nncore.readers import parse_json, read_npz

FORMAT_NAME = "netcanvas-weights"
FORMAT_VERSION = 1
META_KEY = "__meta__"
NORM_PREFIX = "__norm__/"
#: Largest total of array data a weights file may declare (bytes, uncompressed).
MAX_ARRAY_BYTES = 4 * 1024**3
TASKS = ("classification", "regression")


@dataclass
class WeightsFile:
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)
    #: Normalization mode and arrays (see nncore.data.Normalizer.state_arrays), if saved.
    norm_mode: str | None = None
    norm_arrays: dict[str, np.ndarray] = field(default_factory=dict)
    #: Where the weights were read from (named in error messages).
    source: str = "weights"
    #: Keys of ``arrays`` that were judged from their headers and not read: zero-stride
    #: stand-ins of the declared shape (see :func:`read_weights`).
    unread: frozenset[str] = frozenset()

    @property
    def class_names(self) -> list[str] | None:
        return self.meta.get("class_names")

    def unscale_targets(self, pred: np.ndarray) -> np.ndarray:
        """Undo target standardization (regression trained with standardize_target)."""
        mean, std = self.meta.get("target_mean"), self.meta.get("target_std")
        if mean is None or std is None:
            return pred
        flat = pred.reshape(len(pred), -1) * np.asarray(std) + np.asarray(mean)
        return flat.reshape(pred.shape).astype(pred.dtype)

    def check_outputs(self, network: Network) -> None:
        """Refuse (FormatError naming the file) class names or target scaling that do not
        fit ``network``'s output: one name per output unit (two for one sigmoid unit), one
        mean and one std per output value."""
        mean, std = self.meta.get("target_mean"), self.meta.get("target_std")
        try:
            check_class_names(network, self.class_names)
            resolve_target_scaling(network, None if mean is None else (mean, std))
        except ParameterError as e:
            raise FormatError(f"{self.source}: {e}") from None

    def normalizer(self):
        """The saved :class:`nncore.data.Normalizer`, or None."""
        if self.norm_mode is None:
            return None
        from nncore.data import Normalizer

        try:
            return Normalizer.from_state_arrays(self.norm_mode, self.norm_arrays)
        except NetCanvasError as e:
            raise FormatError(f"{self.source}: bad normalization "
                              f"statistics ({e})") from None


def save_weights(path: str | os.PathLike, network: Network, **meta: Any) -> None:
    """Write the network's weights (and normalization statistics) atomically; ``meta`` as
    for :func:`weights_bytes`."""
    atomic_write_bytes(Path(path), weights_bytes(network, **meta))


def weights_bytes(network: Network, *, normalizer: Any = None,
                  class_names: list[str] | None = None, task: str | None = None,
                  project_name: str = "", target_mean: Any = None,
                  target_std: Any = None) -> bytes:
    """The ``.npz`` bytes of the network's weights with their metadata (see the module
    docstring), for writing alone or as part of an :class:`~nncore.fileio.OutputSet`."""
    arrays: dict[str, np.ndarray] = dict(network.get_weights())
    norm_mode = None
    if normalizer is not None and normalizer.fitted:
        norm_mode = normalizer.mode
        for k, v in normalizer.state_arrays().items():
            arrays[NORM_PREFIX + k] = np.asarray(v)
    meta = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "project": project_name,
        "task": task,
        "class_names": list(class_names) if class_names is not None else None,
        "normalization": norm_mode,
        "inputs": list(network.input_ids),
        "shapes": {k: list(v) for k, v in network.weight_shapes().items()},
        "target_mean": None if target_mean is None else [float(v) for v in target_mean],
        "target_std": None if target_std is None else [float(v) for v in target_std],
    }
    arrays[META_KEY] = np.array(json.dumps(meta))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def read_weights(path: str | os.PathLike,
                 expected: Mapping[str, tuple[int, ...]] | None = None) -> WeightsFile:
    """Read a weights file; raise FormatError naming the file and the problem.

    ``expected``: the weight shapes of the network the file is for
    (``Network.weight_shapes()`` or ``GraphAnalysis.weight_shapes()``). Arrays that this
    network does not have, or has in another shape, are then judged from their headers
    and never read: a small file may hold a huge array that compresses to nothing. They
    stay in ``arrays`` as zero-stride stand-ins of their declared shape, so loading
    reports them exactly as it reports any mismatch (strict) or skips them (partial)."""
    p = Path(path)
    skipped: dict[str, tuple[int, ...]] = {}

    def keep(name: str, shape: tuple, dtype: np.dtype) -> bool:
        if expected is None or name == META_KEY or name.startswith(NORM_PREFIX):
            return True
        if tuple(expected.get(name, ())) == tuple(shape) and name in expected:
            return True
        skipped[name] = tuple(shape)
        return False

    raw = read_npz(p, "weights file", FormatError, MAX_ARRAY_BYTES, keep,
                   format_name="NetCanvas weights file")
    if META_KEY not in raw:
        raise FormatError(f"{p}: no {META_KEY} entry; not a NetCanvas weights file")
    meta_array = raw.pop(META_KEY)
    if meta_array.dtype.kind != "U" or meta_array.ndim != 0:
        raise FormatError(f"{p}: {META_KEY} is not a text; not a NetCanvas weights file")
    meta = parse_json(str(meta_array), f"{p}: {META_KEY}", FormatError)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise FormatError(f"{p}: not a NetCanvas weights file")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise FormatError(f"{p}: bad format version {version!r}")
    if version > FORMAT_VERSION:
        raise FormatError(f"{p}: written by a newer NetCanvas (weights format {version}; this "
                          f"program reads up to {FORMAT_VERSION})")
    _check_meta(meta, p)
    norm = {k[len(NORM_PREFIX):]: v for k, v in raw.items() if k.startswith(NORM_PREFIX)}
    arrays = {k: v for k, v in raw.items() if not k.startswith(NORM_PREFIX)}
    _check_numbers(arrays, norm, p)
    for name, shape in skipped.items():  # never read: stand-ins of the declared shape
        arrays[name] = np.broadcast_to(np.zeros((), np.float32), shape)
    wf = WeightsFile(arrays, meta, meta.get("normalization"), norm, str(p),
                     frozenset(skipped))
    wf.normalizer()  # validates the saved statistics now, naming the file
    return wf


def _check_numbers(arrays: dict[str, np.ndarray], norm: dict[str, np.ndarray],
                   p: Path) -> None:
    for k, v in arrays.items():
        if v.dtype.kind not in "fiu":
            raise FormatError(f"{p}: weight {k!r} has dtype {v.dtype}; expected numbers")
        if v.dtype.kind == "f" and not np.isfinite(v).all():
            raise FormatError(f"{p}: weight {k!r} contains NaN or infinite values")
    for k, v in norm.items():
        if v.dtype.kind not in "fiu":
            raise FormatError(f"{p}: {NORM_PREFIX}{k} has dtype {v.dtype}; expected numbers")


def _check_meta(meta: dict, p: Path) -> None:
    """Type-check the metadata fields later code relies on."""
    def bad(key: str, want: str) -> FormatError:
        return FormatError(f"{p}: {META_KEY}.{key}: expected {want}, got {meta[key]!r:.60}")

    names = meta.get("class_names")
    if names is not None and (not isinstance(names, list)
                              or not all(isinstance(c, str) for c in names)):
        raise bad("class_names", "a list of texts or null")
    if meta.get("task") is not None and meta["task"] not in TASKS:
        raise bad("task", f"one of {', '.join(TASKS)} or null")
    if meta.get("normalization") is not None and not isinstance(meta["normalization"], str):
        raise bad("normalization", "a text or null")
    for key in ("target_mean", "target_std"):
        v = meta.get(key)
        if v is not None and (not isinstance(v, list) or not v or not all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x)
                for x in v)):
            raise bad(key, "a list of finite numbers or null")
    if (meta.get("target_mean") is None) != (meta.get("target_std") is None) or (
            meta.get("target_mean") is not None
            and len(meta["target_mean"]) != len(meta["target_std"])):
        raise FormatError(f"{p}: {META_KEY}: target_mean and target_std must both be given, "
                          "with equal lengths")


def load_into(network: Network, weights: WeightsFile, *, partial: bool = False,
              source: str = "weights") -> list[str]:
    """Copy weights into ``network``. Strict unless ``partial``: then every node whose
    arrays all exist with equal shapes is loaded and the others keep their values.
    Returns the loaded node ids; raises FormatError naming mismatched keys, or a value
    the network's dtype cannot hold (a float64 of 1e300 would become inf in float32)."""
    limit = float(np.finfo(network.dtype).max)
    for key, a in weights.arrays.items():
        if key in weights.unread:
            continue  # a stand-in for an array that was not read (see read_weights)
        if a.dtype.kind == "f" and a.size and float(np.max(np.abs(a))) > limit:
            raise FormatError(f"{source}: weight {key!r} holds values up to "
                              f"{float(np.max(np.abs(a))):.3g}, beyond what "
                              f"{np.dtype(network.dtype).name} can hold ({limit:.3g})")
    try:
        loaded = network.set_weights(weights.arrays, strict=not partial)
    except FormatError as e:
        raise FormatError(f"{source}: {e}") from None
    if partial and not loaded:
        raise FormatError(f"{source}: no layer of this network matches the weights by name "
                          "and shape")
    return loaded
