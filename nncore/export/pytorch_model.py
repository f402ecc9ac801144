"""The ``model.py`` of an exported PyTorch project: the network as a ``torch.nn.Module``.

The generated file defines ``Net``, one submodule per node (named after the node id), whose
parameters and buffers are named and shaped as NetCanvas stores them (``dense1.W`` is the
weights file's ``dense1/W``, ``(inputs, units)``), so weights go both ways with
``load_netcanvas_weights`` / ``save_netcanvas_weights``, and ``netcanvas_init`` draws the
initial weights NetCanvas draws for a seed. Its fixed part (the layer modules, the weights
files) is the template ``pytorch_templates/model_runtime.py.tmpl``; the rest is generated
here from :data:`PT_CONVERTERS`, a table keyed by layer ``type_name`` like the ONNX and
Python exports' (a new layer type adds one entry). Nothing here imports torch.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from importlib import resources
from typing import Any

from nncore.export import batchnorm_axis, check_supported, concat_axis
from nncore.layers.base import Layer
from nncore.layers.image import axis_geometry

#: Public attributes of ``torch.nn.Module`` (torch 2.13): a submodule may not take these
#: names (a torch-marked test checks the list against torch itself).
MODULE_ATTRIBUTES = frozenset("""
T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda
double dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter
get_submodule half ipu load_state_dict modules mtia named_buffers named_children
named_modules named_parameters parameters register_backward_hook register_buffer
register_forward_hook register_forward_pre_hook register_full_backward_hook
register_full_backward_pre_hook register_load_state_dict_post_hook
register_load_state_dict_pre_hook register_module register_parameter
register_state_dict_post_hook register_state_dict_pre_hook requires_grad_ set_extra_state
set_submodule share_memory state_dict to to_empty train training type xpu zero_grad
""".split()) | {"self", "logits"}

#: ``converter(node_id, layer) -> the submodule's constructor`` (None: no submodule, an
#: Input).
Converter = Callable[[str, Layer], "str | None"]


def _dense(node_id: str, layer: Layer) -> str:
    c = layer.config
    return (f"Dense(n_in={layer.input_shapes[0][0]}, units={c['units']}, "
            f"activation={c['activation']!r}, use_bias={c['use_bias']})")


def _batchnorm(node_id: str, layer: Layer) -> str:
    shape = layer.input_shapes[0]
    axis = batchnorm_axis(layer)
    c = layer.config
    return (f"BatchNorm(features={shape[axis - 1]}, axis={axis}, ndim={len(shape) + 1}, "
            f"momentum={c['momentum']!r}, epsilon={c['epsilon']!r}, "
            f"frozen={not layer.trainable})")


def _conv2d(node_id: str, layer: Layer) -> str:
    kernel, strides, dilation = layer.window
    c = layer.config
    return (f"Conv2D(in_channels={layer.input_shapes[0][0]}, filters={c['filters']}, "
            f"kernel={kernel}, strides={strides}, dilation={dilation}, pads={layer.pads}, "
            f"activation={c['activation']!r}, use_bias={c['use_bias']})")


def _avgpool(node_id: str, layer: Layer) -> str:
    kernel, strides, _ = layer.window
    count = None
    if any(layer.pads):  # real (non-padded) cells per window, as the engine divides by
        _, h, w = layer.input_shapes[0]
        gh, gw = (axis_geometry(size, k, s, 1, "same")
                  for size, k, s in ((h, kernel[0], strides[0]), (w, kernel[1], strides[1])))
        rows = [sum(1 for i in range(kernel[0]) if _covers(gh, i, r)) for r in range(gh.out)]
        cols = [sum(1 for j in range(kernel[1]) if _covers(gw, j, q)) for q in range(gw.out)]
        count = [[float(a * b) for b in cols] for a in rows]
    return f"AvgPool2D(pool={kernel}, strides={strides}, pads={layer.pads}, count={count})"


def _covers(axis: Any, tap: int, out: int) -> bool:
    """Whether window tap ``tap`` of output ``out`` falls on a real pixel."""
    t = axis.tap(tap)
    return t is not None and t[0].start <= out < t[0].stop


def _recurrent(node_id: str, layer: Layer) -> str:
    c = layer.config
    extra = f", activation={c['activation']!r}" if layer.type_name == "SimpleRNN" else ""
    return (f"{layer.type_name}(n_in={layer.input_shapes[0][1]}, units={c['units']}, "
            f"return_sequences={c['return_sequences']}{extra})")


#: Layer type_name -> converter. New layer types add one entry.
PT_CONVERTERS: dict[str, Converter] = {
    "Input": lambda n, layer: None,
    "Dense": _dense,
    "Activation": lambda n, layer: f"Activation({layer.config['activation']!r})",
    "Dropout": lambda n, layer: f"Dropout(rate={layer.config['rate']!r})",
    "BatchNormalization": _batchnorm,
    "Flatten": lambda n, layer: "Flatten()",
    "Reshape": lambda n, layer: f"Reshape({tuple(layer.config['target_shape'])})",
    "Conv2D": _conv2d,
    "MaxPool2D": lambda n, layer: (f"MaxPool2D(pool={layer.window[0]}, "
                                   f"strides={layer.window[1]}, pads={layer.pads})"),
    "AvgPool2D": _avgpool,
    "GlobalAveragePooling2D": lambda n, layer: "GlobalAveragePooling2D()",
    "SpatialDropout2D": lambda n, layer: (f"Dropout(rate={layer.config['rate']!r}, "
                                          "channels=True)"),
    "SimpleRNN": _recurrent,
    "LSTM": _recurrent,
    "GRU": _recurrent,
    "Add": lambda n, layer: "Add()",
    "Concatenate": lambda n, layer: f"Concatenate(axis={concat_axis(layer)})",
    "Embedding": lambda n, layer: (f"Embedding(input_dim={layer.config['input_dim']}, "
                                   f"output_dim={layer.config['output_dim']})"),
    "Dot": lambda n, layer: f"Dot(normalize={layer.config['normalize']})",
}

#: Layer types whose module takes ``logits=True`` (skip the activation: the loss fuses it).
LOGIT_TYPES = frozenset({"Dense", "Activation", "Conv2D"})

def python_names(network: Any) -> dict[str, str]:
    """A Python identifier per node id, unique, usable as a submodule attribute and as a
    local variable of ``forward``."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for node_id in network.order:
        base = re.sub(r"\W", "_", node_id, flags=re.ASCII)  # ids are never empty
        if base[0].isdigit() or base[0] == "_":
            base = "n" + base
        name = base
        while name in used or name in MODULE_ATTRIBUTES or keyword.iskeyword(name):
            name += "_"
        used.add(name)
        out[node_id] = name
    return out


def runtime_text() -> str:
    return (resources.files("nncore.export") / "pytorch_templates"
            / "model_runtime.py.tmpl").read_text(encoding="utf-8")


def _weight_constants(network: Any, names: dict[str, str]) -> list[str]:
    """WEIGHT_SHAPES, WEIGHT_NAMES, INITIAL_WEIGHTS, LSTM_BIASES, TRAINABLE, REGULARIZED
    and FROZEN, from the network's flat layout (its slots are in the order NetCanvas draws
    the initial weights: trainable kernels, other trainable weights, frozen weights and
    state)."""
    slots = network.slots
    lines = ["#: NetCanvas weight key -> shape", "WEIGHT_SHAPES = {"]
    lines += [f"    {s.key!r}: {tuple(s.spec.shape)}," for s in slots]
    lines += ["}", "#: NetCanvas weight key -> name of the model's parameter or buffer",
              "WEIGHT_NAMES = {"]
    lines += [f"    {s.key!r}: {names[s.node_id] + '.' + s.spec.name!r}," for s in slots]
    lines += ["}", "#: (key, shape, initializer) in the order NetCanvas draws them from its "
              "generator", "INITIAL_WEIGHTS = ["]
    lines += [f"    ({s.key!r}, {tuple(s.spec.shape)}, {s.spec.initializer!r})," for s in slots]
    lines += ["]"]
    lstm = [(f"{n}/b", network.layers[n].config["units"]) for n in network.order
            if network.layers[n].type_name == "LSTM"]
    lines.append(f"LSTM_BIASES = {lstm!r}")
    trainable = [s.key for s in slots if s.start < network.n_trainable]
    regularized = [s.key for s in slots if s.start < network.n_regularized]
    frozen = [s.key for s in slots if s.start >= network.n_trainable and s.spec.trainable]
    lines += ["#: Weights training updates, the kernels L1/L2 act on, and frozen weights",
              f"TRAINABLE = {trainable!r}", f"REGULARIZED = {regularized!r}",
              f"FROZEN = {frozen!r}"]
    return lines


def _header(network: Any, project_name: str, version: str) -> list[str]:
    from nncore.export import integer_inputs

    ints = integer_inputs(network)
    inputs = [(i, tuple(network.shapes[i]), "int" if i in ints else "float")
              for i in network.input_ids]
    return [
        f'"""The NetCanvas network {project_name!r} as a PyTorch module (generated by '
        f"NetCanvas {version}).",
        "",
        "Net() computes what NetCanvas computes: forward(<one tensor per Input>) returns the",
        "activated outputs (logits=True: the output layer's pre-activation, for a loss that",
        "fuses softmax/sigmoid). Parameters are named and shaped as in NetCanvas weights",
        "files, so load_netcanvas_weights / save_netcanvas_weights move weights both ways;",
        "netcanvas_init draws the initial weights NetCanvas draws for a seed.",
        '"""',
        "",
        "import io",
        "import json",
        "import math",
        "import os",
        "",
        "import numpy as np",
        "import torch",
        "import torch.distributed as dist",
        "import torch.nn as nn",
        "import torch.nn.functional as F",
        "",
        f"PROJECT_NAME = {project_name!r}",
        "#: (Input id, per-sample shape, 'float' or 'int' ids), in the order forward takes "
        "them",
        f"INPUTS = {inputs!r}",
        f"OUTPUT_SHAPE = {tuple(network.output_shape)!r}",
        f"OUTPUT_ACTIVATION = {network.output_activation!r}",
        *_weight_constants(network, python_names(network)),
        "",
        "",
    ]


def _net_class(network: Any) -> list[str]:
    names = python_names(network)
    lines = ["class Net(nn.Module):",
             '    """The network, one submodule per NetCanvas node."""', "",
             "    def __init__(self):", "        super().__init__()"]
    for node_id in network.order:
        layer = network.layers[node_id]
        made = PT_CONVERTERS[layer.type_name](node_id, layer)
        if made is not None:
            lines.append(f"        self.{names[node_id]} = {made}  # {node_id!r}")
    lines += ["        own = dict(self.named_parameters())",
              "        for key in FROZEN:",
              "            own[WEIGHT_NAMES[key]].requires_grad_(False)", ""]
    args = ", ".join(names[i] for i in network.input_ids)
    lines.append(f"    def forward(self, {args}, logits=False):")
    for node_id in network.order:
        layer = network.layers[node_id]
        if not network.analysis.inputs[node_id]:
            continue
        ins = [names[i] for i in network.analysis.inputs[node_id]]
        arg = f"[{', '.join(ins)}]" if layer.max_inputs != 1 else ins[0]
        if node_id == network.output_id and layer.type_name in LOGIT_TYPES:
            arg += ", logits=logits"
        lines.append(f"        {names[node_id]} = self.{names[node_id]}({arg})")
    lines.append(f"        return {names[network.output_id]}")
    return lines


def generate_model_code(network: Any, project_name: str, version: str) -> str:
    """The text of ``model.py`` for ``network``. Raises UnsupportedLayerError naming a
    node whose type has no converter."""
    check_supported(network, PT_CONVERTERS, "a PyTorch project")
    text = "\n".join(_header(network, project_name, version)) + runtime_text()
    return text + "\n\n" + "\n".join(_net_class(network)) + "\n"
