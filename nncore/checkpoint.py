"""Checkpoints: a run saved between epochs, to continue it or fork it with other settings.

One ``.npz`` archive (nothing pickled; docs/file-formats.md, "Checkpoints"):

- ``<node id>/<weight name>``: every weight and state array, as in a weights file;
- ``__optimizer__/<state>/<node id>/<weight name>``: the optimizer's per-weight state for
  each trainable weight (momentum's ``velocity``; Adam's ``m_scaled``, ``v_scaled``, which
  are ``m / (1 - beta1)`` and ``v / (1 - beta2)``; RMSProp's ``square_avg``; Adagrad's
  ``sum_sq``);
- ``__best__/<node id>/<weight name>``: early stopping's best weights, when it keeps them;
- ``__meta__``: JSON with ``format`` (``netcanvas-checkpoint``), ``version``, ``project``
  (the project with the settings the run used), ``epoch`` and ``step`` (epochs and updates
  made), ``optimizer`` (``name``, ``config``, ``iterations``), ``rng`` (the state of the
  network's random generator, which draws shuffles, dropout masks and augmentation),
  ``early_stopping`` (``best_epoch``, ``best_loss``, ``bad_epochs``) and ``history`` (one
  object per epoch: ``epoch``, ``train_loss``, ``val_loss``, ``train_metrics``,
  ``val_metrics``, ``lr``).

A run resumed with the same settings continues exactly: its weights after epoch N equal,
bit for bit, those of a run that never stopped. The learning-rate schedule continues from
the saved step, so a cosine schedule (which depends on the number of epochs) continues
exactly only when ``epochs`` was the same in both runs. Weights must match the network by
name and shape; optimizer state for a weight the checkpoint lacks (a layer unfrozen since)
starts fresh, and another optimizer than the saved one starts fresh altogether.
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nncore.errors import FormatError, NetCanvasError
from nncore.events import History
from nncore.network import Network
from nncore.optimizers import OPTIMIZERS
from nncore.params import coerce_all
from nncore.readers import parse_json, read_npz
from nncore.trainer import ResumePoint, Trainer

FORMAT_NAME = "netcanvas-checkpoint"
FORMAT_VERSION = 1
META_KEY = "__meta__"
OPTIMIZER_PREFIX = "__optimizer__/"
BEST_PREFIX = "__best__/"
#: Largest total of array data a checkpoint may declare (bytes, uncompressed): weights,
#: up to two optimizer states and the best weights.
MAX_ARRAY_BYTES = 16 * 1024**3


def checkpoint_bytes(trainer: Trainer, project: dict[str, Any]) -> bytes:
    """The ``.npz`` bytes of where ``trainer``'s run stands; ``project`` is the project
    as a dict (``Project.to_dict()``) with the settings the run used."""
    return checkpoint_to_bytes(capture(trainer, project))


def capture(trainer: Trainer, project: dict[str, Any]) -> Checkpoint:
    """Where ``trainer``'s run stands, as a :class:`Checkpoint` held in memory (copies of
    every array): what a window keeps of a finished run to save or fork it later."""
    net, point = trainer.net, trainer.resume_point()
    optimizer_state: dict[str, dict[str, np.ndarray]] = {}
    for slot in net.slots:
        if slot.start >= net.n_trainable:
            continue
        for name, state in point.optimizer_state.items():
            optimizer_state.setdefault(name, {})[slot.key] = \
                state[slot.start:slot.stop].reshape(slot.spec.shape)
    best = {} if point.best_weights is None else {
        slot.key: point.best_weights[slot.start:slot.stop].reshape(slot.spec.shape)
        for slot in net.slots}
    meta = {
        "format": FORMAT_NAME, "version": FORMAT_VERSION, "project": project,
        "epoch": point.epoch, "step": point.step,
        "optimizer": {"name": point.optimizer, "config": point.optimizer_config,
                      "iterations": point.iterations},
        "rng": point.rng_state,
        "early_stopping": {"best_epoch": point.best_epoch,
                           "best_loss": _finite_or_none(point.best_loss),
                           "bad_epochs": point.bad_epochs},
        "history": _history_rows(point.history)}
    return Checkpoint(net.get_weights(), optimizer_state, best, meta,
                      _copy_history(point.history), "the run in memory")


def checkpoint_to_bytes(checkpoint: Checkpoint) -> bytes:
    """The ``.npz`` bytes of ``checkpoint`` (the file :func:`read_checkpoint` reads)."""
    arrays: dict[str, np.ndarray] = dict(checkpoint.weights)
    for name, state in checkpoint.optimizer_state.items():
        for key, a in state.items():
            arrays[f"{OPTIMIZER_PREFIX}{name}/{key}"] = a
    for key, a in checkpoint.best.items():
        arrays[BEST_PREFIX + key] = a
    arrays[META_KEY] = np.array(json.dumps(checkpoint.meta, allow_nan=False))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _copy_history(h: History) -> History:
    """A history of its own (a resumed run appends to the one it is given)."""
    return History(list(h.epoch), list(h.train_loss), list(h.val_loss),
                   [dict(m) for m in h.train_metrics], [dict(m) for m in h.val_metrics],
                   list(h.lr))


def _finite_or_none(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _history_rows(h: History) -> list[dict[str, Any]]:
    return [{"epoch": h.epoch[i], "train_loss": h.train_loss[i], "val_loss": h.val_loss[i],
             "train_metrics": h.train_metrics[i], "val_metrics": h.val_metrics[i],
             "lr": h.lr[i]} for i in range(len(h))]


@dataclass
class Checkpoint:
    """A checkpoint read from a file."""

    weights: dict[str, np.ndarray]
    optimizer_state: dict[str, dict[str, np.ndarray]]  # state name -> weight key -> array
    best: dict[str, np.ndarray]
    meta: dict[str, Any]
    history: History
    source: str = "checkpoint"

    @property
    def epoch(self) -> int:
        return int(self.meta["epoch"])

    @property
    def project(self) -> dict[str, Any]:
        return self.meta["project"]

    def resume_point(self, network: Network) -> ResumePoint:
        """The saved state laid out over ``network``'s flat buffers (its trainable weights
        may differ from the saved run's: missing state starts fresh)."""
        opt = self.meta["optimizer"]
        fresh = OPTIMIZERS[opt["name"]](**opt["config"])
        n = network.n_trainable
        state = {}
        for name in fresh.state_names:
            flat = fresh.initial_state(name, np.zeros(n, network.dtype))
            saved = self.optimizer_state.get(name, {})
            for slot in network.slots:
                if slot.start < n and slot.key in saved:
                    flat[slot.start:slot.stop] = saved[slot.key].ravel()
            state[name] = flat
        best = None
        if self.best:
            best = network.params_flat.copy()
            for slot in network.slots:
                if slot.key in self.best:
                    best[slot.start:slot.stop] = self.best[slot.key].ravel()
        es = self.meta["early_stopping"]
        best_loss = math.inf if es["best_loss"] is None else float(es["best_loss"])
        return ResumePoint(self.epoch, int(self.meta["step"]), opt["name"],
                           dict(opt["config"]), int(opt["iterations"]), state,
                           self.meta["rng"], _copy_history(self.history),
                           int(es["best_epoch"]), best_loss,
                           int(es["bad_epochs"]), best)


def save_checkpoint(path: str | os.PathLike, trainer: Trainer,
                    project: dict[str, Any]) -> None:
    from nncore.fileio import atomic_write_bytes

    atomic_write_bytes(path, checkpoint_bytes(trainer, project))


def read_checkpoint(path: str | os.PathLike,
                    expected: dict[str, tuple[int, ...]] | None = None) -> Checkpoint:
    """Read a checkpoint; raise FormatError naming the file and the problem. ``expected``:
    the weight shapes of the network it is for; arrays it does not have are judged from
    their headers and refused unread."""
    p = Path(path)
    unfit: list[tuple[str, tuple]] = []

    def keep(name: str, shape: tuple, dtype: np.dtype) -> bool:
        if expected is None or name == META_KEY:
            return True
        key = name.split("/", 2)[-1] if name.startswith(OPTIMIZER_PREFIX) else \
            name[len(BEST_PREFIX):] if name.startswith(BEST_PREFIX) else name
        if tuple(expected.get(key, (-1,))) != tuple(shape):
            unfit.append((name, tuple(shape)))  # judged from its header, never read
            return False
        return True

    raw = read_npz(p, "checkpoint", FormatError, MAX_ARRAY_BYTES, keep,
                   format_name="NetCanvas checkpoint")
    meta = _read_meta(raw.pop(META_KEY, None), p)
    if unfit:
        raise FormatError(f"{p}: {unfit[0][0]!r} (shape {unfit[0][1]}) does not fit this "
                          "network; a checkpoint resumes the network it was saved from")
    optimizer_state: dict[str, dict[str, np.ndarray]] = {}
    best, weights = {}, {}
    for name, a in raw.items():
        if a.dtype.kind != "f" or not np.isfinite(a).all():
            raise FormatError(f"{p}: {name!r} must hold finite floating-point numbers")
        if name.startswith(OPTIMIZER_PREFIX):
            state, _, key = name[len(OPTIMIZER_PREFIX):].partition("/")
            optimizer_state.setdefault(state, {})[key] = a
        elif name.startswith(BEST_PREFIX):
            best[name[len(BEST_PREFIX):]] = a
        else:
            weights[name] = a
    return Checkpoint(weights, optimizer_state, best, meta, _history(meta, p), str(p))


def _read_meta(array: np.ndarray | None, p: Path) -> dict[str, Any]:
    if array is None or array.dtype.kind != "U" or array.ndim != 0:
        raise FormatError(f"{p}: no {META_KEY} text; not a NetCanvas checkpoint")
    meta = parse_json(str(array), f"{p}: {META_KEY}", FormatError)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise FormatError(f"{p}: not a NetCanvas checkpoint")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise FormatError(f"{p}: bad format version {version!r}")
    if version > FORMAT_VERSION:
        raise FormatError(f"{p}: written by a newer NetCanvas (checkpoint format {version}; "
                          f"this program reads up to {FORMAT_VERSION})")
    _check_meta(meta, p)
    return meta


def _check_meta(meta: dict[str, Any], p: Path) -> None:
    def count(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    opt, es = meta.get("optimizer"), meta.get("early_stopping")
    problems = [
        (not isinstance(meta.get("project"), dict), "project: expected an object"),
        (not count(meta.get("epoch")), "epoch: expected a count"),
        (not count(meta.get("step")), "step: expected a count"),
        (not isinstance(opt, dict) or opt.get("name") not in OPTIMIZERS
         or not isinstance(opt.get("config"), dict) or not count(opt.get("iterations")),
         "optimizer: expected name, config and iterations"),
        (not isinstance(meta.get("rng"), dict), "rng: expected an object"),
        (not isinstance(es, dict) or not count(es.get("best_epoch"))
         or not count(es.get("bad_epochs")) or not _number_or_none(es.get("best_loss")),
         "early_stopping: expected best_epoch, best_loss and bad_epochs"),
        (not isinstance(meta.get("history"), list), "history: expected a list")]
    for bad, message in problems:
        if bad:
            raise FormatError(f"{p}: {META_KEY}.{message}")
    try:
        opt["config"] = coerce_all(OPTIMIZERS[opt["name"]].schema, opt["config"],
                                   f"optimizer {opt['name']}")
        np.random.default_rng().bit_generator.state = meta["rng"]
    except (NetCanvasError, ValueError, TypeError, KeyError) as e:
        raise FormatError(f"{p}: {META_KEY}: {e}") from None


def _number_or_none(v: Any) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)
                         and math.isfinite(v))


def _history(meta: dict[str, Any], p: Path) -> History:
    h = History()
    for i, row in enumerate(meta["history"]):
        try:
            h.epoch.append(int(row["epoch"]))
            h.train_loss.append(float(row["train_loss"]))
            h.val_loss.append(None if row["val_loss"] is None else float(row["val_loss"]))
            h.train_metrics.append({str(k): float(v) for k, v in row["train_metrics"].items()})
            h.val_metrics.append({str(k): float(v) for k, v in row["val_metrics"].items()})
            h.lr.append(float(row["lr"]))
        except (TypeError, KeyError, ValueError, AttributeError):
            raise FormatError(f"{p}: {META_KEY}.history[{i}]: expected epoch, train_loss, "
                              "val_loss, train_metrics, val_metrics and lr") from None
    return h


def resume(trainer: Trainer, checkpoint: Checkpoint) -> None:
    """Put ``checkpoint``'s weights into the trainer's network and continue its run from
    there (:meth:`Trainer.resume`); raises FormatError naming the file when the weights do
    not fit the network."""
    net = trainer.net
    try:
        net.set_weights(checkpoint.weights, strict=True)
    except FormatError as e:
        raise FormatError(f"{checkpoint.source}: {e}") from None
    trainer.resume(checkpoint.resume_point(net))
