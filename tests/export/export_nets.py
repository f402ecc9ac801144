"""Small networks covering every layer type and activation, for the export tests.

Each case builds a network (weights drawn from a fixed seed; BatchNormalization statistics
made non-trivial) and a random batch; the exports must reproduce ``network.predict``.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nncore.activations import ACTIVATION_NAMES
from nncore.config import TrainingConfig
from nncore.layers.base import Layer, WeightSpec
from nncore.network import Network
from nncore.params import Param
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec
from nncore.trainer import Trainer

N = 17  # batch size of the checks (not a multiple of anything in the networks)


def graph(nodes: list[tuple[str, str, dict]], edges: list[tuple[str, str]]) -> GraphSpec:
    return GraphSpec([NodeSpec(i, t, dict(p)) for i, t, p in nodes],
                     [EdgeSpec(a, b) for a, b in edges])


def randomize_bn(net: Network, rng: np.random.Generator) -> None:
    """Give every BatchNormalization random gamma, beta and moving statistics, each within
    its declared range (the moving variance is never negative)."""
    w = net.get_weights()
    for slot in net.slots:
        k, name, shape = slot.key, slot.spec.name, slot.spec.shape
        if name == "gamma":
            w[k] = rng.uniform(0.5, 2.0, shape)
        elif name in ("beta", "moving_mean"):
            w[k] = rng.normal(0, 1.5, shape)
        elif slot.spec.minimum is not None:
            w[k] = slot.spec.minimum + rng.uniform(0.2, 4.0, shape)
    net.set_weights(w)


# ---------------------------------------------------------------------------------------------
# cases: name -> builder(rng) -> (network, batch)
# ---------------------------------------------------------------------------------------------
def _activation_case(act: str) -> Callable[[np.random.Generator], tuple[Network, Any]]:
    def build(rng):
        g = GraphSpec.sequential([
            ("Input", {"shape": [2, 3, 4]}),
            ("Activation", {"activation": act}),  # on a 4-D tensor (softmax: last axis)
            ("Flatten", {}),
            ("Dense", {"units": 5, "activation": act}),
        ])
        net = Network(g, seed=1)
        return net, rng.normal(0, 3, (N, 2, 3, 4))
    return build


def trained_bn_mlp(rng) -> tuple[Network, Any]:
    """Dense -> BatchNorm (flat) -> Dropout -> softmax, trained a few epochs on shifted data
    so the moving statistics move well away from (0, 1)."""
    g = GraphSpec.sequential([
        ("Input", {"shape": [4]}),
        ("Dense", {"units": 16, "activation": "relu"}),
        ("BatchNormalization", {"momentum": 0.8}),
        ("Dropout", {"rate": 0.3}),
        ("Dense", {"units": 3, "activation": "softmax"}),
    ])
    net = Network(g, seed=2)
    x = rng.normal(2.0, 3.0, (96, 4)).astype(np.float32)
    y = (x[:, 0] > 2).astype(np.int64) + (x[:, 1] > 3).astype(np.int64)
    cfg = TrainingConfig(loss="categorical_crossentropy", optimizer="adam", learning_rate=0.01,
                         batch_size=16, epochs=3, seed=0)
    Trainer(net, cfg).fit(x, y)
    return net, rng.normal(2.0, 3.0, (N, 4))


def bn_image(rng):
    g = GraphSpec.sequential([
        ("Input", {"shape": [48]}),
        ("Reshape", {"target_shape": [3, 4, 4]}),
        ("BatchNormalization", {"epsilon": 0.01}),
        ("Activation", {"activation": "relu"}),
        ("Flatten", {}),
        ("Dense", {"units": 2, "activation": "sigmoid"}),
    ])
    net = Network(g, seed=3)
    randomize_bn(net, rng)
    return net, rng.normal(0, 2, (N, 48))


def bn_sequence(rng):
    g = GraphSpec.sequential([
        ("Input", {"shape": [5, 3]}),
        ("BatchNormalization", {}),
        ("Activation", {"activation": "tanh"}),
        ("Flatten", {}),
        ("Dense", {"units": 2, "activation": "linear", "use_bias": False}),
    ])
    net = Network(g, seed=4)
    randomize_bn(net, rng)
    return net, rng.normal(1, 2, (N, 5, 3))


def branching_dag(rng):
    """Add of three branches, Concatenate on axis 0 and -1, Reshape, Flatten."""
    g = graph(
        [("x", "Input", {"shape": [6]}),
         ("d1", "Dense", {"units": 8, "activation": "relu"}),
         ("d2", "Dense", {"units": 8, "activation": "tanh"}),
         ("d3", "Dense", {"units": 8, "activation": "linear"}),
         ("sum", "Add", {}),
         ("r1", "Reshape", {"target_shape": [2, 4]}),
         ("r2", "Reshape", {"target_shape": [2, 4]}),
         ("cat_last", "Concatenate", {"axis": -1}),   # (2, 8)
         ("cat_first", "Concatenate", {"axis": 0}),   # (4, 4)
         ("f1", "Flatten", {}),
         ("f2", "Flatten", {}),
         ("cat_flat", "Concatenate", {}),             # 16 + 16 + 8
         ("out", "Dense", {"units": 3, "activation": "softmax"})],
        [("x", "d1"), ("x", "d2"), ("x", "d3"), ("d1", "sum"), ("d2", "sum"), ("d3", "sum"),
         ("sum", "r1"), ("d1", "r2"), ("r1", "cat_last"), ("r2", "cat_last"),
         ("r2", "cat_first"), ("r1", "cat_first"), ("cat_last", "f1"), ("cat_first", "f2"),
         ("f1", "cat_flat"), ("f2", "cat_flat"), ("d2", "cat_flat"), ("cat_flat", "out")])
    net = Network(g, seed=5)
    return net, rng.normal(0, 1, (N, 6))


def two_inputs(rng):
    g = graph(
        [("a", "Input", {"shape": [3]}),
         ("b", "Input", {"shape": [2, 4]}),
         ("fb", "Flatten", {}),
         ("cat", "Concatenate", {}),
         ("h", "Dense", {"units": 6, "activation": "elu"}),
         ("skip", "Dense", {"units": 6, "activation": "silu"}),
         ("res", "Add", {}),
         ("out", "Dense", {"units": 1, "activation": "sigmoid"})],
        [("b", "fb"), ("a", "cat"), ("fb", "cat"), ("cat", "h"), ("a", "skip"),
         ("h", "res"), ("skip", "res"), ("res", "out")])
    net = Network(g, seed=6)
    return net, {"a": rng.normal(0, 1, (N, 3)), "b": rng.normal(0, 1, (N, 2, 4))}


def image_channels(rng):
    """Concatenate along image channels, then BatchNorm per channel."""
    g = graph(
        [("img", "Input", {"shape": [2, 3, 3]}),
         ("t", "Activation", {"activation": "tanh"}),
         ("s", "Activation", {"activation": "gelu"}),
         ("cat", "Concatenate", {"axis": 0}),     # (4, 3, 3)
         ("bn", "BatchNormalization", {}),
         ("drop", "Dropout", {"rate": 0.5}),
         ("flat", "Flatten", {}),
         ("out", "Dense", {"units": 4, "activation": "leaky_relu"})],
        [("img", "t"), ("img", "s"), ("t", "cat"), ("s", "cat"), ("cat", "bn"),
         ("bn", "drop"), ("drop", "flat"), ("flat", "out")])
    net = Network(g, seed=7)
    randomize_bn(net, rng)
    return net, rng.normal(0, 2, (N, 2, 3, 3))


def passthrough(rng):
    """The output is the input itself (Dropout is the identity at inference)."""
    g = GraphSpec.sequential([("Input", {"shape": [3]}), ("Dropout", {"rate": 0.5})])
    return Network(g, seed=8), rng.normal(0, 1, (N, 3))


CASES: dict[str, Callable[[np.random.Generator], tuple[Network, Any]]] = {
    **{f"act_{a}": _activation_case(a) for a in ACTIVATION_NAMES},
    "trained_bn_mlp": trained_bn_mlp,
    "bn_image": bn_image,
    "bn_sequence": bn_sequence,
    "branching_dag": branching_dag,
    "two_inputs": two_inputs,
    "image_channels": image_channels,
    "passthrough": passthrough,
}


def build(name: str, seed: int = 0) -> tuple[Network, Any]:
    net, x = CASES[name](np.random.default_rng(seed))
    if isinstance(x, dict):
        return net, {k: v.astype(np.float32) for k, v in x.items()}
    return net, x.astype(np.float32)


def layer_types_covered() -> set[str]:
    types = set()
    for name in CASES:
        net, _ = build(name)
        types |= {layer.type_name for layer in net.layers.values()}
    return types


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def import_script(path: Path, name: str = "exported_model") -> Any:
    """Import a generated script from its file."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.pop(name, None)
    return module


def run_onnx(path: Path, feeds: dict[str, np.ndarray]) -> np.ndarray:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)[0]


class Mystery(Layer):
    """A layer type no export knows (registered only inside a test)."""

    type_name = "Mystery"
    description = "Doubles its input."

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]

    def forward(self, x, training):
        return x * 2

    def backward(self, grad):
        return grad * 2


class Lookup(Layer):
    """An Embedding-like layer taking integer ids (registered only inside a test)."""

    type_name = "Lookup"
    description = "Looks up a vector per integer id."
    input_dtype = "int"
    schema = (Param("vocab", "int", 10, "Number of ids.", min=1),
              Param("dim", "int", 3, "Vector size.", min=1))

    def compute_output_shape(self, input_shapes):
        return (*input_shapes[0], self.config["dim"])

    def weight_specs(self, input_shapes):
        return [WeightSpec("table", (self.config["vocab"], self.config["dim"]),
                           "glorot_uniform")]

    def forward(self, x, training):
        self.ids = x
        return self.weights["table"][x]

    def backward(self, grad):
        if self.trainable:
            self.grads["table"][...] = 0
            np.add.at(self.grads["table"], self.ids, grad)
        return None


def lookup_network() -> Network:
    """Integer ids feed a Lookup (and, mixed, a Dense), plus a float input."""
    g = graph(
        [("ids", "Input", {"shape": [4]}),
         ("num", "Input", {"shape": [2]}),
         ("emb", "Lookup", {"vocab": 7, "dim": 3}),
         ("flat", "Flatten", {}),
         ("raw", "Dense", {"units": 3, "activation": "tanh"}),
         ("cat", "Concatenate", {}),
         ("out", "Dense", {"units": 2, "activation": "softmax"})],
        [("ids", "emb"), ("emb", "flat"), ("ids", "raw"), ("flat", "cat"), ("raw", "cat"),
         ("num", "cat"), ("cat", "out")])
    return Network(g, seed=9)


def module_constants(source: str, names: tuple[str, ...]) -> dict:
    """The values of the module-level constants ``names`` assigned in ``source`` (read
    with ``ast.literal_eval``, so the file is not run)."""
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in names:
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def write_script(net: Any, tmp_path: Path, **kw: Any) -> Path:
    """Export ``net`` as ``model.py`` with its weights in ``model.npz`` next to it."""
    from nncore.export import export_python

    path = tmp_path / "model.py"
    export_python(net, path, **kw)
    np.savez(tmp_path / "model.npz", **net.get_weights())
    return path
