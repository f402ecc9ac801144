"""One sample through the network, forward and backward, with the numbers of every step.

:func:`trace_sample` takes a :class:`~nncore.trainer.Trainer` (its network, settings and
optimizer state) and one sample with its target, and returns a :class:`SampleTrace`: for
every node in execution order its inputs, weights, pre-activation and output; the loss;
then, going back, each node's gradient with respect to its output, pre-activation, inputs
and weights; and the change one training step on this sample would make to each weight.
Each layer type's formula (:attr:`nncore.layers.base.Layer.formula`) comes along, with the
loss's, the activations' and the optimizer's (:data:`LOSS_FORMULAS`,
:data:`ACTIVATION_FORMULAS`, :data:`OPTIMIZER_FORMULAS`).

Everything runs on a copy (:func:`copy_network`, :func:`copy_trainer`): the network's
weights, its random generator and the trainer's optimizer state stay as they were.

The forward pass is in training mode, as the step it explains: dropout draws the masks
the step draws (the copy's generator starts in the network's state), and
BatchNormalization normalizes with the statistics of a batch of one sample. The gradients
are those of the loss alone; ``step_gradients`` are what the optimizer received (with L1/L2
and clipping); ``updates`` are read from one :meth:`~nncore.trainer.Trainer.train_step` on
the copy: weights after minus weights before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nncore.activations import get_activation
from nncore.errors import DataError
from nncore.network import Network
from nncore.trainer import Trainer

#: The loss of a batch of n samples with k outputs each: (forward, backward). y is the
#: network's output, t the target, z the output layer's pre-activation.
LOSS_FORMULAS: dict[str, tuple[str, str]] = {
    "mse": ("L = sum of (y - t)^2 / (n k)", "dL/dy = 2 (y - t) / (n k)"),
    "mae": ("L = sum of |y - t| / (n k)", "dL/dy = sign(y - t) / (n k)"),
    "huber": ("d = y - t;  L = sum of (d^2 / 2 where |d| <= delta, else delta (|d| - "
              "delta / 2)) / (n k)", "dL/dy = clip(d, -delta, delta) / (n k)"),
    "binary_crossentropy": ("p = sigmoid(z);  L = -sum of (t log p + (1 - t) log(1 - p)) "
                            "/ (n k)", "dL/dz = (p - t) / (n k)"),
    "categorical_crossentropy": ("p = softmax(z);  L = -sum over samples of log p[true "
                                 "class] / n  (one-hot t: -sum of t log p / n)",
                                 "dL/dz = (p - t) / n, t one-hot"),
}

#: Each activation y = f(z) and its derivative: (forward, backward).
ACTIVATION_FORMULAS: dict[str, tuple[str, str]] = {
    "linear": ("f(z) = z", "f'(z) = 1"),
    "sigmoid": ("f(z) = 1 / (1 + e^-z)", "f'(z) = y (1 - y)"),
    "tanh": ("f(z) = tanh(z)", "f'(z) = 1 - y^2"),
    "relu": ("f(z) = max(0, z)", "f'(z) = 1 where z > 0, else 0"),
    "leaky_relu": ("f(z) = z where z > 0, else 0.01 z", "f'(z) = 1 where z > 0, else 0.01"),
    "elu": ("f(z) = z where z > 0, else e^z - 1", "f'(z) = 1 where z > 0, else y + 1"),
    "gelu": ("f(z) = z / 2 (1 + tanh(c (z + 0.044715 z^3))), c = sqrt(2 / pi)",
             "f'(z) = (1 + u) / 2 + z / 2 (1 - u^2) c (1 + 3 * 0.044715 z^2), u = tanh(c (z "
             "+ 0.044715 z^3))"),
    "softplus": ("f(z) = log(1 + e^z)", "f'(z) = 1 / (1 + e^-z)"),
    "silu": ("f(z) = z s, s = 1 / (1 + e^-z)", "f'(z) = s (1 + z (1 - s))"),
    "softmax": ("f(z)_i = e^z_i / sum_j e^z_j", "dL/dz = y * (dL/dy - sum_j dL/dy_j y_j)"),
}

#: The update of a weight p with gradient g (after L1/L2 and clipping) at rate lr.
OPTIMIZER_FORMULAS: dict[str, str] = {
    "sgd": "p <- p - lr g",
    "momentum": "v <- momentum v + g;  p <- p - lr v",
    "nesterov": "v <- momentum v + g;  p <- p - lr (g + momentum v)",
    "rmsprop": "s <- rho s + (1 - rho) g^2;  p <- p - lr g / (sqrt(s) + epsilon)",
    "adagrad": "s <- s + g^2;  p <- p - lr g / (sqrt(s) + epsilon)",
    "adam": "m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;  p <- p - lr "
            "m_hat / (sqrt(v_hat) + epsilon), m_hat = m / (1 - beta1^t), v_hat = v / (1 - "
            "beta2^t), t the step number",
    "adamw": "p <- p (1 - lr weight_decay), then the Adam update",
}

#: What the step adds to the loss gradient g of a kernel before the optimizer sees it.
REGULARIZATION_FORMULA = ("kernels only: g <- g + 2 l2 W + l1 sign(W);  then, when the "
                          "norm of all gradients exceeds clip_norm: g <- g clip_norm / norm")


@dataclass
class LayerTrace:
    """One node of the network for one sample (arrays without the batch axis)."""

    node_id: str
    type_name: str
    #: (forward, backward) of the layer type.
    formula: tuple[str, str]
    #: The activation the layer applies to its output (None: none).
    activation: str | None
    frozen: bool
    #: The arrays feeding the node, one per incoming edge (the sample for an Input).
    inputs: list[np.ndarray]
    weights: dict[str, np.ndarray]
    #: z, for a layer that applies an activation (None otherwise).
    pre_activation: np.ndarray | None
    output: np.ndarray
    #: dL/d(output); None for an output layer whose activation the loss fuses (the loss's
    #: gradient is then taken with respect to the pre-activation).
    grad_output: np.ndarray | None = None
    grad_pre_activation: np.ndarray | None = None
    #: dL/d(input) per incoming edge (None where no gradient exists: integer ids).
    grad_inputs: list[np.ndarray | None] = field(default_factory=list)
    #: dL/dW of the loss alone, per trainable weight.
    grad_weights: dict[str, np.ndarray] = field(default_factory=dict)
    #: What the optimizer received for each trainable weight (L1/L2 added, clipped).
    step_gradients: dict[str, np.ndarray] = field(default_factory=dict)
    #: Weights after the step minus before, per weight (state arrays included).
    updates: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class SampleTrace:
    """A sample's way through the network and back (see the module docstring)."""

    layers: list[LayerTrace]
    loss_name: str
    loss_formula: tuple[str, str]
    loss: float
    #: The network's output as ``predict`` gives it (probabilities for cross-entropies).
    prediction: np.ndarray
    #: The target as the loss takes it (a class index, or values).
    target: np.ndarray
    #: dL/d(the network's output as the loss takes it: logits when fused).
    loss_gradient: np.ndarray
    optimizer: str
    optimizer_formula: str
    optimizer_params: dict[str, Any]
    learning_rate: float
    #: The optimizer's step count after the traced update (Adam's t).
    step: int
    l1: float
    l2: float
    clip_norm: float | None
    notes: list[str] = field(default_factory=list)

    def layer(self, node_id: str) -> LayerTrace:
        return next(t for t in self.layers if t.node_id == node_id)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (``docs/file-formats.md``, "Trace files"): numbers as nested
        lists, a non-finite number as the text "NaN", "Infinity" or "-Infinity"."""
        return {
            "loss": {"name": self.loss_name, "formula": _formula(self.loss_formula),
                     "value": plain_data(self.loss), "prediction": plain_data(self.prediction),
                     "target": plain_data(self.target), "gradient": plain_data(self.loss_gradient)},
            "optimizer": {"name": self.optimizer, "formula": self.optimizer_formula,
                          "params": plain_data(self.optimizer_params),
                          "learning_rate": self.learning_rate, "step": self.step,
                          "l1": self.l1, "l2": self.l2, "clip_norm": self.clip_norm,
                          "regularization_formula": REGULARIZATION_FORMULA},
            "layers": [_layer_dict(t) for t in self.layers],
            "notes": list(self.notes),
        }


def _layer_dict(t: LayerTrace) -> dict[str, Any]:
    activation = None if t.activation is None else {
        "name": t.activation, "formula": _formula(ACTIVATION_FORMULAS[t.activation])}
    return {"id": t.node_id, "type": t.type_name, "formula": _formula(t.formula),
            "activation": activation, "frozen": t.frozen,
            "inputs": plain_data(t.inputs), "weights": plain_data(t.weights),
            "pre_activation": plain_data(t.pre_activation), "output": plain_data(t.output),
            "grad_output": plain_data(t.grad_output),
            "grad_pre_activation": plain_data(t.grad_pre_activation),
            "grad_inputs": plain_data(t.grad_inputs), "grad_weights": plain_data(t.grad_weights),
            "step_gradients": plain_data(t.step_gradients), "updates": plain_data(t.updates)}


def _formula(f: tuple[str, str]) -> dict[str, str]:
    return {"forward": f[0], "backward": f[1]}


_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _number(v: Any) -> Any:
    """A float32/float64 scalar as the shortest float that reads back as the same value
    (a non-finite one as text); integers as they are."""
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    text = str(v)  # NumPy's shortest repr for the scalar's own precision
    return _NON_FINITE.get(text) or float(text)


def plain_data(v: Any) -> Any:
    """Arrays, scalars, lists and dicts of them as JSON data."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, dict):
        return {k: plain_data(a) for k, a in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain_data(a) for a in v]
    a = np.asarray(v)
    if a.ndim == 0:
        return _number(a[()])
    flat = np.empty(a.size, dtype=object)
    flat[:] = [_number(x) for x in a.ravel()]
    return flat.reshape(a.shape).tolist()


# -- copies -----------------------------------------------------------------------------

def copy_network(network: Network) -> Network:
    """A network with the same graph, dtype, frozen layers, weights, fused output and
    random-generator state as ``network``, sharing no array with it."""
    twin = Network(network.graph, dtype=network.dtype, seed=0)
    for node_id, layer in network.layers.items():
        if twin.layers[node_id].trainable != layer.trainable:
            twin.set_frozen(node_id, not layer.trainable)
    twin.set_weights(network.get_weights())
    twin.rng.bit_generator.state = network.rng.bit_generator.state
    twin.set_fused_output(network.layers[network.output_id].skip_activation)
    return twin


def copy_trainer(trainer: Trainer, network: Network | None = None) -> Trainer:
    """A trainer for ``network`` (default: a copy of the trainer's) with the same settings,
    step count and optimizer state (moments, accumulators, iteration count)."""
    twin = Trainer(network or copy_network(trainer.net), trainer.config.replace())
    twin.step = trainer.step
    mine, theirs = twin.optimizer, trainer.optimizer
    mine.set_config(theirs.config)
    for name, array in theirs.state.items():
        np.copyto(mine.state[name], array)
    mine.iterations = theirs.iterations
    return twin


# -- the trace --------------------------------------------------------------------------

def trace_sample(trainer: Trainer, x: Any, target: Any, lr: float | None = None
                 ) -> SampleTrace:
    """Trace one sample: ``x`` is a batch of one as the network takes it (an array, or
    {Input id: array}), ``target`` its target (one row); ``lr`` the step's learning rate
    (default: the configured one). Raises DataError for a sample that does not fit."""
    twin = copy_trainer(trainer)
    net = twin.net
    xs, t = twin.prepare(x, target, "the traced sample")
    if len(t) != 1:
        raise DataError(f"the traced sample: expected one sample, got {len(t)}")
    rate = trainer.config.learning_rate if lr is None else float(lr)
    before, rng_state = net.snapshot(), net.rng.bit_generator.state
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        layers, out = _forward(net, xs)
        value = twin.loss.forward(out, t)
        loss_grad = twin.loss.backward()
        _backward(net, layers, loss_grad, twin.loss.fused_activation is not None)
        _take_weight_gradients(net, layers)
        net.restore(before)  # (the traced forward moved BatchNormalization's statistics)
        net.rng.bit_generator.state = rng_state
        twin.train_step(xs, t, rate)
    _take_updates(net, layers, before)
    return SampleTrace(layers, twin.config.loss, LOSS_FORMULAS[twin.config.loss], value,
                       _prediction(net, out)[0], t[0], loss_grad[0], twin.config.optimizer,
                       OPTIMIZER_FORMULAS[twin.config.optimizer],
                       dict(twin.optimizer.config), rate, twin.optimizer.iterations,
                       twin.config.l1, twin.config.l2, twin.config.clip_norm,
                       _notes(net, layers))


def _forward(net: Network, x: Any) -> tuple[list[LayerTrace], np.ndarray]:
    """The network's forward pass node by node (as :meth:`Network.forward`, in training
    mode), keeping each node's inputs, pre-activation and output. A layer with its own
    activation runs with it skipped, and it is applied here with the same function (a fused
    output layer keeps its logits for the loss; its trace shows the probabilities)."""
    feeds = x if isinstance(x, dict) else {net.input_ids[0]: x}
    acts: dict[str, np.ndarray] = {}
    layers = []
    for node_id in net.order:
        layer = net.layers[node_id]
        sources = net.analysis.inputs[node_id]
        ins = [acts[s] for s in sources] if sources else [feeds[node_id]]
        name = layer.activation_name
        act = get_activation(name) if name is not None and sources else None
        if not sources:
            y = ins[0]
        else:
            y = _skipping_activation(layer, act is not None,
                                     lambda la=layer, i=ins: la.forward(
                                         i if la.max_inputs != 1 else i[0], True))
        z, shown = (None, y) if act is None else (y, act.forward(y))
        acts[node_id] = y if act is None or layer.skip_activation else shown
        layers.append(LayerTrace(
            node_id, layer.type_name, layer.formula, name if act is not None else None,
            not layer.trainable, [a[0] for a in ins],
            {k: v.copy() for k, v in layer.weights.items()},
            None if z is None else z[0], shown[0]))
    return layers, acts[net.output_id]


def _skipping_activation(layer: Any, skip: bool, run: Any) -> Any:
    """``run()`` with the layer's own activation skipped when ``skip`` (then restored)."""
    if not skip:
        return run()
    kept = layer.skip_activation
    layer.skip_activation = True
    try:
        return run()
    finally:
        layer.skip_activation = kept


def _backward(net: Network, layers: list[LayerTrace], loss_grad: np.ndarray,
              fused: bool) -> None:
    """Back-propagate ``loss_grad`` node by node (as :meth:`Network.backward`, but through
    every node and down to the inputs), filling each trace's gradients."""
    by_id = {t.node_id: t for t in layers}
    grads: dict[str, np.ndarray] = {net.output_id: loss_grad}
    for node_id in reversed(net.order):
        trace, layer = by_id[node_id], net.layers[node_id]
        g = grads.get(node_id)
        if g is None:  # nothing the loss depends on comes from this node
            continue
        if node_id == net.output_id and fused:
            trace.grad_pre_activation = g[0]
        else:
            trace.grad_output = g[0]
            if trace.activation is not None:
                z = np.asarray(trace.pre_activation)[None]
                g = get_activation(trace.activation).backward(g, z, trace.output[None])
                trace.grad_pre_activation = g[0]
        sources = net.analysis.inputs[node_id]
        if not sources:
            continue
        layer.need_input_grad = True
        gin = _skipping_activation(layer, trace.activation is not None,
                                   lambda la=layer, gr=g: la.backward(gr))
        gin_list = gin if layer.max_inputs != 1 else [gin]
        trace.grad_inputs = [None if gi is None else np.array(gi[0]) for gi in gin_list]
        for src, gi in zip(sources, gin_list):
            if gi is not None:
                grads[src] = gi if src not in grads else grads[src] + gi


def _take_weight_gradients(net: Network, layers: list[LayerTrace]) -> None:
    """Copy the loss's weight gradients the backward pass left in the layers."""
    for trace in layers:
        trace.grad_weights = {k: g.copy() for k, g in net.layers[trace.node_id].grads.items()}


def _take_updates(net: Network, layers: list[LayerTrace], before: np.ndarray) -> None:
    """After the step: what the optimizer received, and each weight's change."""
    by_id = {t.node_id: t for t in layers}
    for slot in net.slots:
        trace, shape, name = by_id[slot.node_id], slot.spec.shape, slot.spec.name
        after = net.params_flat[slot.start:slot.stop]
        trace.updates[name] = (after - before[slot.start:slot.stop]).reshape(shape)
        if slot.start < net.n_trainable:
            trace.step_gradients[name] = net.grads_flat[slot.start:slot.stop].reshape(
                shape).copy()


def _prediction(net: Network, out: np.ndarray) -> np.ndarray:
    """The output as ``predict`` gives it (the activation the loss fused applied)."""
    layer = net.layers[net.output_id]
    if layer.skip_activation:
        return get_activation(layer.activation_name or "linear").forward(out)
    return out


def _notes(net: Network, layers: list[LayerTrace]) -> list[str]:
    """What a reader of the numbers should know about this network's trace."""
    notes = []
    for trace in layers:
        owner = net.layers[trace.node_id].owner
        if trace.frozen:
            notes.append(f"{owner} is frozen: it passes gradients on but its weights do not "
                         "change.")
        elif trace.type_name == "BatchNormalization":
            flat = len(net.layers[trace.node_id].input_shapes[0]) == 1
            notes.append(f"{owner} normalizes with the statistics of this one sample, as a "
                         "training step on it does" + (": xhat is 0, so its output is beta."
                                                       if flat else "."))
        elif trace.type_name in ("Dropout", "SpatialDropout2D"):
            notes.append(f"{owner}: the mask is the one this training step draws.")
    return notes
