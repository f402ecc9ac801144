"""Export a :class:`~nncore.network.Network` as a standalone Python inference script.

The generated ``.py`` file needs only NumPy and the weights ``.npz`` (keys
``"<node id>/<weight name>"``, read with ``allow_pickle=False``). It defines
``predict(x)``, which runs the network in inference mode with the engine's own formulas, in
the network's topological order and dtype, and a command line that reads a CSV or ``.npy``
of inputs and prints or writes the predictions.

Code is generated from per-layer templates: :data:`PY_TEMPLATES` maps a layer ``type_name``
to a function ``(script, node_id, layer, input variables, output variable) -> code lines``;
activations come from :data:`~nncore.export.py_runtime.PY_ACTIVATIONS` (function source per
activation name). A new layer type adds one template. The script's fixed part is
:data:`~nncore.export.py_runtime.RUNTIME`.
"""

from __future__ import annotations

import io
import os
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from nncore.errors import ParameterError
from nncore.export import (
    EXPORT_FORMAT_VERSION,
    InputNormalization,
    UnsupportedLayerError,
    batchnorm_axis,
    check_class_names,
    check_supported,
    concat_axis,
    integer_inputs,
    resolve_normalization,
    resolve_target_scaling,
)
from nncore.export.py_runtime import PY_ACTIVATIONS, RUNTIME
from nncore.fileio import OutputSet
from nncore.layers.base import Layer


class ScriptBuilder:
    """State shared by the templates while one script is generated."""

    def __init__(self) -> None:
        self.activations: list[str] = []  # names used, in first-use order
        self._vars: dict[str, str] = {}
        self._used: set[str] = set()

    def var(self, node_id: str) -> str:
        """A valid, unique Python variable name for a node's output."""
        if node_id not in self._vars:
            base = "v_" + re.sub(r"[^0-9a-zA-Z_]", "_", node_id)
            name, k = base, 1
            while name in self._used:  # "v_..." is never a keyword
                name = f"{base}_{k}"
                k += 1
            self._used.add(name)
            self._vars[node_id] = name
        return self._vars[node_id]

    @staticmethod
    def w(node_id: str, key: str) -> str:
        """Expression for a weight array."""
        return f"w[{f'{node_id}/{key}'!r}]"

    def activate(self, node_id: str, layer: Layer, x: str, out: str) -> list[str]:
        """Line(s) setting ``out`` to the layer's activation of ``x``."""
        name = layer.activation_name or "linear"
        if name not in PY_ACTIVATIONS:
            raise UnsupportedLayerError(
                f"{layer.type_name} '{node_id}': cannot export activation {name!r} to a "
                f"Python script (supported: {', '.join(PY_ACTIVATIONS)})", node_id=node_id)
        if name == "linear":
            return [] if x == out else [f"{out} = {x}"]
        if name not in self.activations:
            self.activations.append(name)
        return [f"{out} = {name}({x})"]


Template = Callable[[ScriptBuilder, str, Layer, list[str], str], list[str]]


def _bshape(axis: int, ndim: int) -> str:
    """Literal reshape target putting a vector on ``axis`` of a rank-``ndim`` array."""
    return "(" + ", ".join("-1" if a == axis else "1" for a in range(ndim)) + ")"


# ---------------------------------------------------------------------------------------------
# layer templates
# ---------------------------------------------------------------------------------------------
def _input(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str) -> list[str]:
    return [f"{out} = inputs[{node_id!r}]"]


def _dense(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str) -> list[str]:
    lines = [f"{out} = {ins[0]} @ {s.w(node_id, 'W')}"]
    if layer.config["use_bias"]:
        lines.append(f"{out} += {s.w(node_id, 'b')}")
    return lines + s.activate(node_id, layer, out, out)


def _activation(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
                ) -> list[str]:
    return s.activate(node_id, layer, ins[0], out)


def _dropout(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
             ) -> list[str]:
    return [f"{out} = {ins[0]}  # identity at inference"]


def _batchnorm(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
               ) -> list[str]:
    bs = _bshape(batchnorm_axis(layer), len(layer.input_shapes[0]) + 1)
    eps = float(layer.config["epsilon"])
    return [
        f"gamma, beta = {s.w(node_id, 'gamma')}, {s.w(node_id, 'beta')}",
        f"mean, var = {s.w(node_id, 'moving_mean')}, {s.w(node_id, 'moving_var')}",
        f"inv_std = (1.0 / np.sqrt(var + {eps!r})).astype(DTYPE)",
        f"{out} = ({ins[0]} - mean.reshape{bs}) * inv_std.reshape{bs}",
        f"{out} = {out} * gamma.reshape{bs} + beta.reshape{bs}",
    ]


def _flatten(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
             ) -> list[str]:
    return [f"{out} = {ins[0]}.reshape({ins[0]}.shape[0], -1)"]


def _reshape(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
             ) -> list[str]:
    target = ", ".join(str(int(d)) for d in layer.config["target_shape"])
    return [f"{out} = {ins[0]}.reshape(({ins[0]}.shape[0], {target}))"]


def _add(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str) -> list[str]:
    return [f"{out} = {ins[0]} + {ins[1]}"] + [f"{out} += {x}" for x in ins[2:]]


def _concatenate(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
                 ) -> list[str]:
    return [f"{out} = np.concatenate([{', '.join(ins)}], axis={concat_axis(layer)})"]


#: Layer type_name -> code template. New layer types add one entry.
PY_TEMPLATES: dict[str, Template] = {
    "Input": _input,
    "Dense": _dense,
    "Activation": _activation,
    "Dropout": _dropout,
    "BatchNormalization": _batchnorm,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Add": _add,
    "Concatenate": _concatenate,
}



# ---------------------------------------------------------------------------------------------
# generation
# ---------------------------------------------------------------------------------------------
def _doc_safe(text: str) -> str:
    """Text that can sit inside a triple-quoted (non-raw) docstring unchanged."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _shape_str(shape: Sequence[int]) -> str:
    return "(n" + "".join(f", {d}" for d in shape) + ")"


def _describe(layer: Layer) -> str:
    cfg = layer.config
    t = layer.type_name
    if t == "Dense":
        return f"Dense, {cfg['units']} units, {cfg['activation']}" + (
            "" if cfg["use_bias"] else ", no bias")
    if t == "Activation":
        return f"Activation {cfg['activation']}"
    if t == "BatchNormalization":
        return f"BatchNormalization, epsilon {cfg['epsilon']!r}, moving statistics"
    if t == "Concatenate":
        return f"Concatenate along batched axis {concat_axis(layer)}"
    if t == "Dropout":
        return f"Dropout (rate {cfg['rate']!r} in training only)"
    if t == "Reshape":
        return f"Reshape to {tuple(cfg['target_shape'])!r} per sample"
    if t == "Add":
        return f"Add of {len(layer.input_shapes)} inputs"
    return t


def _pylist(values: np.ndarray, indent: int) -> str:
    """A list literal of exact floats, wrapped to fill 100 columns: its ``[`` is at column
    ``indent - 1`` of the script, continuation lines start at column ``indent``."""
    text = "[" + ", ".join(repr(float(v)) for v in values) + "]"
    return textwrap.fill(text, 100, initial_indent=" " * (indent - 1),
                         subsequent_indent=" " * indent, break_long_words=False,
                         break_on_hyphens=False)[indent - 1:]


def _producer_version() -> str:
    try:
        return metadata.version("netcanvas")
    except metadata.PackageNotFoundError:
        return "0"


@dataclass(frozen=True)
class _ScriptPlan:
    """What the parts of one script are written from, checked before anything is written."""

    network: Any
    weights_filename: str
    #: The script's module name (its file name without ``.py``).
    module: str
    norms: dict[str, InputNormalization]
    classes: list[str] | None
    scaling: tuple[np.ndarray, np.ndarray] | None
    #: Input ids fed as integer ids.
    ints: set[str]

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.network.dtype)


def _forward_body(s: ScriptBuilder, network: Any) -> list[str]:
    """The lines of ``forward()``'s body: one template per node, in order."""
    body: list[str] = []
    for node_id in network.order:
        layer = network.layers[node_id]
        ins = [s.var(src) for src in network.analysis.inputs[node_id]]
        out = s.var(node_id)
        body.append(f"# {node_id!r}: {_describe(layer)} -> "
                    f"{_shape_str(network.shapes[node_id])}")
        body.extend(PY_TEMPLATES[layer.type_name](s, node_id, layer, ins, out))
    body.append(f"return {s.var(network.output_id)}")
    return body


def _input_lines(plan: _ScriptPlan) -> list[str]:
    """The docstring's description of each Input: shape, kind and normalisation."""
    network, norms, ints = plan.network, plan.norms, plan.ints
    lines = []
    for node_id in network.input_ids:
        kind = "integer ids" if node_id in ints else plan.dtype.name
        line = f"  {node_id!r}: shape {_shape_str(network.shapes[node_id])}, {kind}."
        if node_id in norms and not norms[node_id].identity:
            n = norms[node_id]
            line += (f" Expects RAW values: predict() normalises them itself "
                     f"({n.mode}, x -> (x - offset) / scale along axis {n.feature_axis}; "
                     "see NORMALIZATION).")
        elif node_id not in ints:
            line += " Values are used as given (no normalisation)."
        lines.append(line)
    return lines


def _usage_lines(module: str, n_inputs: int) -> list[str]:
    script = f"{module}.py"
    return ["", "Usage:",
            f"  python {script} INPUT{' INPUT' * (n_inputs - 1)}"
            "          # print predictions as CSV",
            f"  python {script} inputs.npy -o predictions.npy   # or -o predictions.csv",
            f"  python {script} --weights other.npz inputs.csv",
            "INPUT is a .npy array or a CSV of numbers (one sample per row, header optional).",
            "From Python:",
            f"  import {module}; y = {module}.predict(x)"]


def _docstring(plan: _ScriptPlan) -> str:
    """The script's docstring: what it runs, its inputs and output, and how to use it."""
    network = plan.network
    out_act = network.output_activation or "linear"
    doc = [f"Standalone inference for the NetCanvas network {plan.module!r}.", "",
           f"Generated by NetCanvas {_producer_version()} (export format "
           f"{EXPORT_FORMAT_VERSION}). Needs only Python 3 and NumPy. The weights are read "
           f"from {plan.weights_filename!r} next to this script (NumPy .npz with keys "
           "'<node id>/<weight name>', loaded with allow_pickle=False).", "",
           f"The network runs in inference mode in {plan.dtype.name}: Dropout is the identity "
           "and BatchNormalization uses its moving statistics.", "",
           "Inputs (one array per Input, batch first; rows may also be flat):"]
    doc += _input_lines(plan)
    doc.append(f"Output: shape {_shape_str(network.output_shape)}, activation {out_act}"
               + (" (class probabilities)." if out_act == "softmax" else "."))
    if plan.scaling is not None:
        doc.append("predict() returns targets in their original units: the network's output "
                   "times TARGET_SCALING['std'] plus TARGET_SCALING['mean'].")
    if plan.classes is not None:
        doc.append(f"Classes: {', '.join(repr(c) for c in plan.classes)}.")
    doc += _usage_lines(plan.module, len(network.input_ids))
    wrapped = []
    for line in doc:
        indent = " " * (len(line) - len(line.lstrip()))
        wrapped.append(textwrap.fill(line, 92, subsequent_indent=indent + "    " * bool(indent),
                                     break_long_words=False, break_on_hyphens=False))
    return '"""' + _doc_safe("\n".join(wrapped)) + '\n"""'


def _data_constants(plan: _ScriptPlan) -> list[str]:
    """INPUTS, OUTPUT_SHAPE, CLASS_NAMES, NORMALIZATION and TARGET_SCALING."""
    network, scaling = plan.network, plan.scaling
    inputs_lit = "\n".join(
        f"    ({i!r}, {tuple(int(d) for d in network.shapes[i])!r}, "
        f"{'int' if i in plan.ints else 'float'!r}),"
        for i in network.input_ids)
    norm_lines = [
        f"    {i!r}: {{'mode': {n.mode!r}, 'axis': {n.feature_axis},\n"
        f"        'offset': {_pylist(n.offset, 19)},\n"
        f"        'scale': {_pylist(n.scale, 18)}}},"
        for i, n in plan.norms.items() if not n.identity]
    return [
        "#: (input id, per-sample shape, 'float' or 'int') for each Input, in order.",
        f"INPUTS = [\n{inputs_lit}\n]",
        f"OUTPUT_SHAPE = {tuple(int(d) for d in network.output_shape)!r}",
        f"CLASS_NAMES = {plan.classes!r}",
        "#: Normalisation of raw inputs: (x - offset) / scale along 'axis', in float64.",
        "NORMALIZATION = {" + ("\n" + "\n".join(norm_lines) + "\n" if norm_lines else "") + "}",
        "#: Regression targets were standardised: outputs * std + mean (None: not used).",
        "TARGET_SCALING = " + (
            "None" if scaling is None else
            f"{{\n    'mean': {_pylist(scaling[0], 13)},\n"
            f"    'std': {_pylist(scaling[1], 12)},\n}}"),
    ]


def _weight_shapes_constant(network: Any) -> str:
    """WEIGHT_SHAPES: every weight array, in node order then each layer's own order."""
    shapes = network.weight_shapes()
    keys = [f"{n}/{spec.name}" for n in network.order
            for spec in network.layers[n].weight_specs(network.layers[n].input_shapes)]
    weight_lines = "\n".join(f"    {k!r}: {tuple(int(d) for d in shapes[k])!r},"
                             for k in keys)
    return f"WEIGHT_SHAPES = {{\n{weight_lines}\n}}" if weight_lines else "WEIGHT_SHAPES = {}"


def generate_script(network: Any, *, weights_filename: str, normalizer_state: Any = None,
                    class_names: Sequence[str] | None = None, script_name: str = "model",
                    target_scaling: Any = None) -> str:
    """The source text of the inference script (see :func:`export_python`)."""
    check_supported(network, PY_TEMPLATES, "a Python script")
    plan = _ScriptPlan(
        network, weights_filename, os.path.splitext(script_name)[0],
        norms=resolve_normalization(network, normalizer_state),
        classes=check_class_names(network, class_names),
        scaling=resolve_target_scaling(network, target_scaling),
        ints=integer_inputs(network))
    s = ScriptBuilder()
    body = _forward_body(s, network)  # first: it raises for an activation with no template
    dtype = plan.dtype
    acts = "\n\n".join(PY_ACTIVATIONS[a] for a in s.activations)
    fwd_doc = ('    """Run the network on prepared, normalised inputs {input id: array}; '
               '`w` maps\n    "<node id>/<weight name>" to arrays."""')
    parts = [
        "#!/usr/bin/env python3",
        _docstring(plan),
        "",
        "import argparse\nimport csv\nimport io\nimport os\nimport sys\nimport tempfile\n",
        "import numpy as np",
        "",
        f"DTYPE = np.{dtype.name}",
        f"NUMBER_FORMAT = {'%.9g' if dtype == np.float32 else '%.17g'!r}",
        f"WEIGHTS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "
        f"{weights_filename!r})",
        "",
        *_data_constants(plan),
        "#: Every weight array the network has, with its shape.",
        _weight_shapes_constant(network),
        "",
        "",
        "# -- activations (as in NetCanvas) " + "-" * 61,
        acts if acts else "# (none besides linear)",
        "",
        "# -- the network " + "-" * 78,
        "def forward(inputs, w):",
        fwd_doc,
        *("    " + line for line in body),
        "",
        RUNTIME.rstrip("\n"),
        "",
    ]
    return "\n".join(parts)


def export_python(network: Any, path: str | os.PathLike, *, weights_filename: str | None = None,
                  normalizer_state: Any = None, class_names: Sequence[str] | None = None,
                  target_scaling: Any = None, write_weights: bool = False) -> None:
    """Write a standalone NumPy inference script for ``network`` to ``path`` (atomically).

    ``weights_filename``: the weights ``.npz`` the script loads, relative to the script's
    folder (default: the script's name with ``.npz``). ``normalizer_state``: as for
    :func:`~nncore.export.export_onnx`; the script's ``predict`` then takes raw inputs.
    ``target_scaling``: ``(mean, std)`` of standardised regression targets, undone by
    ``predict``. ``write_weights``: also write ``network.get_weights()`` to that file (atomically).
    Raises UnsupportedLayerError naming the node for a layer type without a template.
    """
    path = Path(path)
    if weights_filename is None:
        weights_filename = path.with_suffix(".npz").name
    if not isinstance(weights_filename, str) or not weights_filename:
        raise ParameterError(f"weights_filename must be a non-empty string, got "
                             f"{weights_filename!r}")
    text = generate_script(network, weights_filename=weights_filename,
                           normalizer_state=normalizer_state, class_names=class_names,
                           script_name=path.name, target_scaling=target_scaling)
    compile(text, str(path), "exec")  # a generator bug must not leave a broken file
    with OutputSet() as out:  # the script and its weights: both new, or both as they were
        if write_weights:
            buf = io.BytesIO()
            np.savez(buf, **network.get_weights())
            out.add_bytes(path.parent / weights_filename, buf.getvalue())
        out.add_bytes(path, text.encode("utf-8"), mode=0o755)
        out.commit()
