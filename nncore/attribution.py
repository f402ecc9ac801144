"""What every attribution method shares: the explained score, the result, the network set
up for gradients, and passes of rows through it.

The explained *score* of a sample is one number (:class:`ScoreHead`): for a softmax output
a class's logit (its pre-activation, the default) or probability; for one sigmoid unit the
logit of class 1 (``z``) or of class 0 (``-z``), or their probabilities; for several
sigmoid units one unit's; for any other output one output value (``target`` is the unit,
in the units the network was trained on: standardized when the project standardizes its
targets). Gradients are those of the inference function (dropout off, BatchNormalization on
its moving statistics; :meth:`nncore.network.Network.forward_for_gradients`), float64 when
the network is.

Long computations take ``stop``, a callable checked between passes (a
``threading.Event().is_set``, ``lambda: control.stopped``): when it answers True they raise
:class:`Stopped`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from nncore.errors import NetCanvasError, ParameterError
from nncore.network import Network

SCORES = ("logit", "probability")
#: Floats of activations one pass holds at most, and its most rows.
CHUNK_VALUES = 1 << 22
MAX_ROWS = 4096

StopFlag = Callable[[], bool] | None


class Stopped(NetCanvasError):
    """A long computation was asked to stop (its ``stop`` flag answered True)."""


@dataclass
class Attribution:
    """Attributions of ``n`` samples. ``values``: (n, *input shape) for saliency and
    integrated gradients; for Grad-CAM (n, H, W), the map upsampled to the input image
    (the layer's map when the input is not an image)."""

    method: str
    values: np.ndarray
    #: The explained class (or output unit) of each sample, and its score there.
    targets: np.ndarray
    scores: np.ndarray
    score: str = "logit"
    #: Integrated gradients: the baselines, their scores and each sample's intervals.
    baseline: np.ndarray | None = None
    baseline_scores: np.ndarray | None = None
    steps: np.ndarray | None = None
    #: Grad-CAM: the layer and its map at the layer's resolution, (n, h, w).
    layer: str | None = None
    layer_map: np.ndarray | None = None

    @property
    def completeness_error(self) -> np.ndarray | None:
        """Integrated gradients: per sample, the sum of the attributions minus
        (score - baseline score); None for the other methods."""
        if self.baseline_scores is None:
            return None
        total = self.values.reshape(len(self.values), -1).sum(axis=1, dtype=np.float64)
        return total - (self.scores - self.baseline_scores)


class ScoreHead:
    """The explained number of each sample, from the network's output (logits for softmax
    and sigmoid outputs, which :func:`explaining` arranges) and its gradient."""

    def __init__(self, network: Network, score: str = "logit") -> None:
        if score not in SCORES:
            raise ParameterError(f"score must be one of {', '.join(SCORES)}, got {score!r}")
        shape, act = network.output_shape, network.output_activation
        self.kind = ("softmax" if act == "softmax" and len(shape) == 1 and shape[0] >= 2
                     else "binary" if act == "sigmoid" and shape == (1,)
                     else "sigmoid" if act == "sigmoid" else "value")
        if self.kind == "value" and score == "probability":
            raise ParameterError(f"score 'probability' needs a softmax or sigmoid output; "
                                 f"{network.layers[network.output_id].owner} has "
                                 f"{act or 'no'} activation")
        self.score = score
        self.units = 2 if self.kind == "binary" else int(np.prod(shape))
        self.logits = self.kind != "value"

    def default_targets(self, out: np.ndarray) -> np.ndarray:
        """The predicted class of each sample (output unit 0 for plain outputs)."""
        z = out.reshape(len(out), -1)
        if self.kind == "softmax":
            return z.argmax(axis=1)
        if self.kind == "binary":
            return (z[:, 0] > 0).astype(np.int64)
        if self.kind == "sigmoid":
            return z.argmax(axis=1)
        return np.zeros(len(z), np.int64)

    def check_targets(self, targets: Any, n: int) -> np.ndarray:
        t = np.asarray(targets)
        if t.dtype.kind not in "iu" or t.ndim > 1 or (t.ndim == 1 and len(t) != n):
            raise ParameterError(f"target: expected one integer, or one per sample ({n}), "
                                 f"got {targets!r:.60}")
        bad = t[(t < 0) | (t >= self.units)] if t.size else t
        if bad.size:
            what = "class" if self.kind in ("softmax", "binary") else "output unit"
            raise ParameterError(f"target: {what} {int(bad.flat[0])} does not exist; the "
                                 f"output has {self.units} (0 to {self.units - 1})")
        return np.broadcast_to(t.astype(np.int64), (n,)).copy()

    def value_and_grad(self, out: np.ndarray, targets: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """(score of each row (float64), d score / d output of each row)."""
        z = out.reshape(len(out), -1)
        rows = np.arange(len(z))
        grad = np.zeros_like(z)
        if self.kind == "binary":
            sign = np.where(targets == 1, 1.0, -1.0).astype(z.dtype)
            logit = sign * z[:, 0]
            if self.score == "logit":
                grad[:, 0] = sign
                return logit.astype(np.float64), grad.reshape(out.shape)
            p = 0.5 * (1.0 + np.tanh(0.5 * logit))
            grad[:, 0] = sign * p * (1.0 - p)
            return p.astype(np.float64), grad.reshape(out.shape)
        value = z[rows, targets]
        if self.score == "logit" or self.kind == "value":
            grad[rows, targets] = 1.0
            return value.astype(np.float64), grad.reshape(out.shape)
        if self.kind == "sigmoid":
            p = 0.5 * (1.0 + np.tanh(0.5 * value))
            grad[rows, targets] = p * (1.0 - p)
            return p.astype(np.float64), grad.reshape(out.shape)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        pc = probs[rows, targets]
        grad = -pc[:, None] * probs
        grad[rows, targets] += pc
        return pc.astype(np.float64), grad.reshape(out.shape)


@contextmanager
def explaining(network: Network) -> Iterator[None]:
    """The network set up for attributions (gradients tracked, softmax and sigmoid outputs
    giving logits), and back as it was afterwards."""
    fused, tracked = network.fused_output, network.tracking_gradients
    network.set_fused_output(network.output_activation in ("softmax", "sigmoid"))
    network.track_gradients(True)
    try:
        yield
    finally:
        network.track_gradients(tracked)
        network.set_fused_output(fused)


def check_explainable(network: Network) -> None:
    """Refuse networks attributions cannot explain: several Inputs, or Inputs of ids."""
    if len(network.input_ids) != 1:
        raise ParameterError(f"attributions explain networks with one Input; this one has "
                             f"{len(network.input_ids)} ({', '.join(network.input_ids)})")
    (input_id,) = network.input_ids
    takers = [network.layers[n] for n in network.order
              if input_id in network.analysis.inputs[n]]
    if any(t.input_dtype == "int" for t in takers):
        raise ParameterError(f"Input '{input_id}' carries integer ids, which have no "
                             "gradient; attributions need numeric inputs")


def chunk_rows(network: Network) -> int:
    """Rows of one pass: its activations (every node's output, and as much again for
    the layers' buffers and gradients) stay within :data:`CHUNK_VALUES` floats."""
    per_row = 2 * sum(int(np.prod(s)) for s in network.shapes.values())
    return max(1, min(MAX_ROWS, CHUNK_VALUES // max(per_row, 1)))


def score_gradients(network: Network, head: ScoreHead, x: np.ndarray, targets: np.ndarray,
                    layer: str | None = None) -> tuple[np.ndarray, np.ndarray, Any]:
    """One pass over the rows ``x`` (inside :func:`explaining`): their scores, the
    gradients of the scores with respect to ``x`` and, for ``layer``, (its outputs, their
    gradients) (all copies)."""
    out = network.forward_for_gradients(x)
    scores, grad = head.value_and_grad(out, targets)
    network.backward(grad)
    grads = network.gradients()
    g_in = np.array(grads[network.input_ids[0]], dtype=np.float64)
    kept = None
    if layer is not None:
        kept = (np.array(network.activations()[layer], np.float64),
                np.array(grads[layer], np.float64))
    return scores, g_in, kept


class Prepared(NamedTuple):
    """What an attribution method computes with: the network in float64, the inputs, the
    score head and each sample's target."""

    network: Network
    x: np.ndarray
    head: ScoreHead
    targets: np.ndarray


def prepare_inputs(network: Network, x: Any, target: Any, score: str) -> Prepared:
    """The inputs checked against the network (one sample, or a batch), the targets (the
    predicted classes when ``target`` is None) and a float64 twin of the network."""
    check_explainable(network)
    want = network.input_shape
    x = np.asarray(x)
    if x.ndim == len(want):
        x = x[None]
    if tuple(x.shape[1:]) != tuple(want) or len(x) == 0:
        raise ParameterError(f"inputs: expected samples of shape {want}, got an array of "
                             f"shape {x.shape}")
    if x.dtype.kind not in "fiu" or not np.isfinite(x).all():
        raise ParameterError("inputs: expected finite numbers")
    head = ScoreHead(network, score)
    twin = float64_twin(network)
    x = x.astype(np.float64)
    if target is None:
        out = twin.predict(x) if not head.logits else _logits(twin, x)
        targets = head.default_targets(out)
    else:
        targets = head.check_targets(target, len(x))
    return Prepared(twin, x, head, targets)


def float64_twin(network: Network) -> Network:
    """A float64 copy of ``network`` (its weights read once): float32 rounding would blur
    the small differences integrated gradients add up, and the copy leaves the network
    itself untouched for any thread that trains it."""
    twin = Network(network.graph, dtype=np.float64, seed=None)
    twin.set_weights(network.get_weights())
    return twin


def _logits(network: Network, x: np.ndarray) -> np.ndarray:
    fused = network.fused_output
    network.set_fused_output(True)
    try:
        return np.concatenate([network.forward(x[a:a + 1024], training=False).copy()
                               for a in range(0, len(x), 1024)])
    finally:
        network.set_fused_output(fused)


def check_stop(stop: StopFlag) -> None:
    if stop is not None and stop():
        raise Stopped("stopped")


# -- the attributions file -----------------------------------------------------------------

FORMAT_NAME = "netcanvas-attributions"
FORMAT_VERSION = 1


def attribution_bytes(result: Attribution, inputs: np.ndarray,
                      class_names: list[str] | None = None,
                      baseline: np.ndarray | None = None,
                      meta: dict[str, Any] | None = None,
                      extra: dict[str, np.ndarray] | None = None) -> bytes:
    """The ``.npz`` bytes of ``result`` (see docs/file-formats.md, "Attributions"):
    ``inputs`` and ``baseline`` in the data's own units, ``meta`` (JSON values) added to
    ``__meta__``, ``extra`` arrays (the data-set view) added as they are."""
    arrays: dict[str, np.ndarray] = {
        "inputs": np.asarray(inputs), "attributions": result.values,
        "targets": result.targets, "scores": result.scores}
    if class_names:
        arrays["class_names"] = np.array(class_names, dtype=str)
    if result.baseline_scores is not None:
        arrays["baseline"] = np.asarray(baseline if baseline is not None
                                        else result.baseline)
        arrays["baseline_scores"] = result.baseline_scores
        arrays["completeness_error"] = result.completeness_error
        arrays["steps"] = result.steps
    if result.layer_map is not None:
        arrays["layer_map"] = result.layer_map
    arrays.update(extra or {})
    info = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "method": result.method,
            "score": result.score, "layer": result.layer, **(meta or {})}
    arrays["__meta__"] = np.array(json.dumps(info))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()
