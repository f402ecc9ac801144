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
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncore.errors import FormatError
from nncore.network import Network
from nncore.project import atomic_write_bytes

FORMAT_NAME = "netcanvas-weights"
FORMAT_VERSION = 1
META_KEY = "__meta__"
NORM_PREFIX = "__norm__/"


@dataclass
class WeightsFile:
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)
    #: Normalization mode and arrays (see nncore.data.Normalizer.state_arrays), if saved.
    norm_mode: str | None = None
    norm_arrays: dict[str, np.ndarray] = field(default_factory=dict)

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

    def normalizer(self):
        """The saved :class:`nncore.data.Normalizer`, or None."""
        if self.norm_mode is None:
            return None
        from nncore.data import Normalizer

        return Normalizer.from_state_arrays(self.norm_mode, self.norm_arrays)


def save_weights(path: str | os.PathLike, network: Network, *, normalizer: Any = None,
                 class_names: list[str] | None = None, task: str | None = None,
                 project_name: str = "", target_mean: Any = None,
                 target_std: Any = None) -> None:
    """Write the network's weights (and normalization statistics) atomically."""
    arrays: dict[str, np.ndarray] = dict(network.get_weights())
    norm_mode = None
    if normalizer is not None and getattr(normalizer, "fitted", False):
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
    atomic_write_bytes(Path(path), buf.getvalue())


def read_weights(path: str | os.PathLike) -> WeightsFile:
    """Read a weights file; raise FormatError naming the file and the problem."""
    p = Path(path)
    if not p.is_file():
        raise FormatError(f"{p}: weights file not found")
    if not zipfile.is_zipfile(p):
        raise FormatError(f"{p}: not a NetCanvas weights file (expected an .npz archive)")
    try:
        with np.load(p, allow_pickle=False) as npz:
            raw = {k: npz[k] for k in npz.files}
    except ValueError as e:
        raise FormatError(f"{p}: unreadable weights ({e})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise FormatError(f"{p}: damaged weights archive ({e})") from None
    if META_KEY not in raw:
        raise FormatError(f"{p}: no {META_KEY} entry; not a NetCanvas weights file")
    try:
        meta = json.loads(str(raw.pop(META_KEY)))
    except (ValueError, TypeError):
        raise FormatError(f"{p}: {META_KEY} is not valid JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise FormatError(f"{p}: not a NetCanvas weights file")
    version = meta.get("version")
    if not isinstance(version, int) or version < 1:
        raise FormatError(f"{p}: bad format version {version!r}")
    if version > FORMAT_VERSION:
        raise FormatError(f"{p}: written by a newer NetCanvas (weights format {version}; this "
                          f"program reads up to {FORMAT_VERSION})")
    norm = {k[len(NORM_PREFIX):]: v for k, v in raw.items() if k.startswith(NORM_PREFIX)}
    arrays = {k: v for k, v in raw.items() if not k.startswith(NORM_PREFIX)}
    for k, v in arrays.items():
        if v.dtype.kind not in "fiu":
            raise FormatError(f"{p}: weight {k!r} has dtype {v.dtype}; expected numbers")
        if v.dtype.kind == "f" and not np.isfinite(v).all():
            raise FormatError(f"{p}: weight {k!r} contains NaN or infinite values")
    return WeightsFile(arrays, meta, meta.get("normalization"), norm)


def load_into(network: Network, weights: WeightsFile, *, partial: bool = False,
              source: str = "weights") -> list[str]:
    """Copy weights into ``network``. Strict unless ``partial``: then every node whose
    arrays all exist with equal shapes is loaded and the others keep their values.
    Returns the loaded node ids; raises FormatError naming mismatched keys."""
    try:
        loaded = network.set_weights(weights.arrays, strict=not partial)
    except FormatError as e:
        raise FormatError(f"{source}: {e}") from None
    if partial and not loaded:
        raise FormatError(f"{source}: no layer of this network matches the weights by name "
                          "and shape")
    return loaded
