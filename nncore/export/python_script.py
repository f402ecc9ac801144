"""Export a :class:`~nncore.network.Network` as a standalone Python inference script.

The generated ``.py`` file needs only NumPy and the weights ``.npz`` (keys
``"<node id>/<weight name>"``, read with ``allow_pickle=False``). It defines
``predict(x)``, which runs the network in inference mode with the engine's own formulas, in
the network's topological order and dtype, and a command line that reads a CSV or ``.npy``
of inputs and prints or writes the predictions.

Code is generated from per-layer templates: :data:`PY_TEMPLATES` maps a layer ``type_name``
to a function ``(script, node_id, layer, input variables, output variable) -> code lines``;
activations come from :data:`PY_ACTIVATIONS` (function source per activation name). A new
layer type adds one template.
"""

from __future__ import annotations

import io
import keyword
import math
import os
import re
import textwrap
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from nncore.errors import ParameterError
from nncore.export import (
    EXPORT_FORMAT_VERSION,
    InputNormalization,
    UnsupportedLayerError,
    atomic_write_bytes,
    batchnorm_axis,
    check_class_names,
    check_supported,
    concat_axis,
    integer_inputs,
    resolve_normalization,
    resolve_target_scaling,
)
from nncore.layers.base import Layer

# ---------------------------------------------------------------------------------------------
# activations: name -> source of a NumPy function of the same name (as nncore.activations)
# ---------------------------------------------------------------------------------------------
PY_ACTIVATIONS: dict[str, str] = {
    "linear": "",
    "sigmoid": '''def sigmoid(x):
    """Logistic function, written as 0.5 * (1 + tanh(x / 2)) so it never overflows."""
    y = np.tanh(x * 0.5)
    y *= 0.5
    y += 0.5
    return y
''',
    "tanh": '''def tanh(x):
    return np.tanh(x)
''',
    "relu": '''def relu(x):
    return np.maximum(x, 0)
''',
    "leaky_relu": '''def leaky_relu(x):
    return np.where(x > 0, x, x * 0.01)
''',
    "elu": '''def elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
''',
    "gelu": f'''def gelu(x):
    """GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    inner = {math.sqrt(2.0 / math.pi)!r} * (x + 0.044715 * x * x * x)
    return 0.5 * x * (1.0 + np.tanh(inner))
''',
    "softplus": '''def softplus(x):
    """log(1 + e^x), computed stably."""
    return np.logaddexp(x, 0)
''',
    "silu": '''def silu(x):
    """x * sigmoid(x)."""
    return x * (0.5 * (1.0 + np.tanh(x * 0.5)))
''',
    "softmax": '''def softmax(x):
    """Normalised exponentials over the last axis."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e
''',
}


class ScriptBuilder:
    """State shared by the templates while one script is generated."""

    def __init__(self, network: Any) -> None:
        self.network = network
        self.activations: list[str] = []  # names used, in first-use order
        self._vars: dict[str, str] = {}
        self._used: set[str] = set()

    def var(self, node_id: str) -> str:
        """A valid, unique Python variable name for a node's output."""
        if node_id not in self._vars:
            base = "v_" + re.sub(r"[^0-9a-zA-Z_]", "_", node_id)
            name, k = base, 1
            while name in self._used or keyword.iskeyword(name):
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
# the fixed parts of the script
# ---------------------------------------------------------------------------------------------
_RUNTIME = '''
# -- weights ----------------------------------------------------------------------------------
def load_weights(path=WEIGHTS_FILE):
    """Load the weights .npz (never unpickles) and check every array's name and shape."""
    with np.load(path, allow_pickle=False) as f:
        weights = {key: f[key] for key in f.files}
    for key, shape in WEIGHT_SHAPES.items():
        if key not in weights:
            raise ValueError(f"{path}: weight {key!r} is missing")
        if weights[key].shape != shape:
            raise ValueError(f"{path}: weight {key!r} has shape {weights[key].shape}, "
                             f"expected {shape}")
        weights[key] = weights[key].astype(DTYPE, copy=False)
    return weights


_CACHE = {}


def default_weights():
    """The weights next to this script, loaded once."""
    if "weights" not in _CACHE:
        _CACHE["weights"] = load_weights()
    return _CACHE["weights"]


# -- inputs -----------------------------------------------------------------------------------
def prepare_inputs(x):
    """Check and shape the raw inputs: returns {input id: array of shape (n, *shape)}.

    ``x`` is an array (one Input), or a dict {input id: array} / a list in INPUTS order.
    Rows may also be flat (n, prod(shape)), as read from a CSV file.
    """
    ids = [node_id for node_id, _, _ in INPUTS]
    if isinstance(x, dict):
        data = x
    elif isinstance(x, (list, tuple)) and len(INPUTS) > 1:
        if len(x) != len(INPUTS):
            raise ValueError(f"expected {len(INPUTS)} input arrays ({ids}), got {len(x)}")
        data = dict(zip(ids, x))
    elif len(INPUTS) == 1:
        data = {ids[0]: x}
    else:
        raise ValueError(f"the network has {len(INPUTS)} inputs {ids}: pass a dict or a list")
    out, n = {}, None
    for node_id, shape, kind in INPUTS:
        if node_id not in data:
            raise ValueError(f"no data for input {node_id!r}")
        a = np.asarray(data[node_id])
        if a.dtype.kind not in "biuf":
            raise ValueError(f"input {node_id!r}: expected numbers, got dtype {a.dtype}")
        size = int(np.prod(shape))
        if a.ndim == 1 and size == 1:
            a = a.reshape(-1, 1)
        if a.shape[1:] != shape:
            if a.ndim == 2 and a.shape[1] == size:
                a = a.reshape((a.shape[0],) + shape)
            else:
                raise ValueError(f"input {node_id!r}: expected shape (n, "
                                 f"{', '.join(map(str, shape))}), got {a.shape}")
        if n is not None and len(a) != n:
            raise ValueError(f"input {node_id!r} has {len(a)} samples, the others {n}")
        n = len(a)
        if kind == "int":
            if a.dtype.kind == "f":
                if not np.all(np.isfinite(a)) or not np.all(a == np.round(a)):
                    raise ValueError(f"input {node_id!r}: expected integer ids")
            a = a.astype(np.int64)
        elif not np.all(np.isfinite(a)):
            raise ValueError(f"input {node_id!r} contains NaN or Inf")
        out[node_id] = a
    return out


def normalize_inputs(inputs):
    """Apply NORMALIZATION to raw inputs (in float64, then float32, as NetCanvas does)
    and give every float input the network's dtype."""
    out = {}
    for node_id, _shape, kind in INPUTS:
        a = inputs[node_id]
        if kind == "float":
            norm = NORMALIZATION.get(node_id)
            if norm is not None:
                bshape = [1] * a.ndim
                bshape[norm["axis"]] = -1
                offset = np.asarray(norm["offset"], np.float64).reshape(bshape)
                scale = np.asarray(norm["scale"], np.float64).reshape(bshape)
                a = ((a.astype(np.float64) - offset) / scale).astype(np.float32)
            a = a.astype(DTYPE, copy=False)
        out[node_id] = a
    return out


def predict(x, weights=None):
    """Network outputs for a batch of RAW inputs ``x`` (see the module docstring).

    ``weights``: a dict from load_weights(); by default the file next to this script.
    """
    w = default_weights() if weights is None else weights
    y = forward(normalize_inputs(prepare_inputs(x)), w)
    if TARGET_SCALING is not None:  # undo the standardisation of regression targets
        flat = y.reshape(len(y), -1) * np.asarray(TARGET_SCALING["std"]) + np.asarray(
            TARGET_SCALING["mean"])
        y = flat.reshape(y.shape).astype(y.dtype)
    return y


# -- command line -----------------------------------------------------------------------------
def read_array(path):
    """A .npy file (allow_pickle=False) or a CSV / text file of numbers, one sample per row
    (a header row is skipped; comma, semicolon, tab or space separated)."""
    if path.lower().endswith(".npy"):
        return np.load(path, allow_pickle=False)
    with open(path, newline="", encoding="utf-8-sig") as f:
        lines = [(i + 1, line) for i, line in enumerate(f.read().splitlines()) if line.strip()]
    if not lines:
        raise ValueError(f"{path}: the file is empty")
    delim = next((d for d in (",", ";", "\\t") if d in lines[0][1]), None)
    rows = []
    for k, (lineno, line) in enumerate(lines):
        cells = next(csv.reader([line], delimiter=delim)) if delim else line.split()
        try:
            row = [float(c) for c in cells]
        except ValueError:
            if k == 0:
                continue  # header
            raise ValueError(f"{path}, line {lineno}: not all values are numbers") from None
        if rows and len(row) != len(rows[0]):
            raise ValueError(f"{path}, line {lineno}: {len(row)} values, the first row has "
                             f"{len(rows[0])}")
        rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no rows of numbers")
    return np.array(rows, dtype=np.float64)


def _columns(width):
    if CLASS_NAMES is not None and width == len(CLASS_NAMES):
        return list(CLASS_NAMES)
    return [f"y{j}" for j in range(width)]


def _classes(rows):
    if CLASS_NAMES is None:
        return None
    if rows.shape[1] == len(CLASS_NAMES) and rows.shape[1] > 1:
        return [CLASS_NAMES[j] for j in rows.argmax(axis=1)]
    if rows.shape[1] == 1 and len(CLASS_NAMES) == 2:
        return [CLASS_NAMES[int(p > 0.5)] for p in rows[:, 0]]
    return None


def format_csv(y):
    """Predictions as CSV text: one row per sample, a 'class' column when classes are known."""
    rows = np.asarray(y).reshape(len(y), -1)
    classes = _classes(rows)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\\n")
    writer.writerow(_columns(rows.shape[1]) + (["class"] if classes is not None else []))
    for i, row in enumerate(rows):
        cells = [NUMBER_FORMAT % v for v in row]
        writer.writerow(cells + ([classes[i]] if classes is not None else []))
    return buf.getvalue()


def write_output(y, path):
    """Write predictions to .npy or CSV through a temporary file (never half-written)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".predictions.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            if path.lower().endswith(".npy"):
                np.save(f, np.asarray(y), allow_pickle=False)
            else:
                f.write(format_csv(y).encode("utf-8"))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Run the exported network on inputs from CSV or .npy files.")
    names = ", ".join(node_id for node_id, _, _ in INPUTS)
    parser.add_argument("inputs", nargs=len(INPUTS), metavar="INPUT",
                        help=f"CSV or .npy file, one per Input in this order: {names}")
    parser.add_argument("-w", "--weights", default=WEIGHTS_FILE,
                        help="weights .npz (default: %(default)s)")
    parser.add_argument("-o", "--output",
                        help="write predictions to this .npy or .csv file instead of printing")
    args = parser.parse_args(argv)
    try:
        arrays = [read_array(p) for p in args.inputs]
        y = predict(arrays if len(arrays) > 1 else arrays[0], load_weights(args.weights))
        if args.output:
            write_output(y, args.output)
        else:
            sys.stdout.write(format_csv(y))
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


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
    """A list literal of exact floats, wrapped to fit 100 columns."""
    text = "[" + ", ".join(repr(float(v)) for v in values) + "]"
    return textwrap.fill(text, 100 - indent, subsequent_indent=" " * indent,
                         break_long_words=False, break_on_hyphens=False)


def _producer_version() -> str:
    try:
        return metadata.version("netcanvas")
    except metadata.PackageNotFoundError:
        return "0"


def generate_script(network: Any, *, weights_filename: str, normalizer_state: Any = None,
                    class_names: Sequence[str] | None = None, script_name: str = "model",
                    target_scaling: Any = None) -> str:
    """The source text of the inference script (see :func:`export_python`)."""
    check_supported(network, PY_TEMPLATES, "a Python script")
    norms: dict[str, InputNormalization] = resolve_normalization(network, normalizer_state)
    classes = check_class_names(network, class_names)
    scaling = resolve_target_scaling(network, target_scaling)
    ints = integer_inputs(network)
    dtype = np.dtype(network.dtype)

    s = ScriptBuilder(network)
    body: list[str] = []
    for node_id in network.order:
        layer = network.layers[node_id]
        ins = [s.var(src) for src in network.analysis.inputs[node_id]]
        out = s.var(node_id)
        body.append(f"# {node_id!r}: {_describe(layer)} -> "
                    f"{_shape_str(network.shapes[node_id])}")
        body.extend(PY_TEMPLATES[layer.type_name](s, node_id, layer, ins, out))
    body.append(f"return {s.var(network.output_id)}")

    out_act = network.output_activation or "linear"
    module = os.path.splitext(script_name)[0]
    doc = [f"Standalone inference for the NetCanvas network {module!r}.", "",
           f"Generated by NetCanvas {_producer_version()} (export format "
           f"{EXPORT_FORMAT_VERSION}). Needs only Python 3 and NumPy. The weights are read "
           f"from {weights_filename!r} next to this script (NumPy .npz with keys "
           "'<node id>/<weight name>', loaded with allow_pickle=False).", "",
           f"The network runs in inference mode in {dtype.name}: Dropout is the identity and "
           "BatchNormalization uses its moving statistics.", "",
           "Inputs (one array per Input, batch first; rows may also be flat):"]
    for node_id in network.input_ids:
        kind = "integer ids" if node_id in ints else dtype.name
        line = f"  {node_id!r}: shape {_shape_str(network.shapes[node_id])}, {kind}."
        if node_id in norms and not norms[node_id].identity:
            n = norms[node_id]
            line += (f" Expects RAW values: predict() normalises them itself "
                     f"({n.mode}, x -> (x - offset) / scale along axis {n.feature_axis}; "
                     "see NORMALIZATION).")
        elif node_id not in ints:
            line += " Values are used as given (no normalisation)."
        doc.append(line)
    doc.append(f"Output: shape {_shape_str(network.output_shape)}, activation {out_act}"
               + (" (class probabilities)." if out_act == "softmax" else "."))
    if scaling is not None:
        doc.append("predict() returns targets in their original units: the network's output "
                   "times TARGET_SCALING['std'] plus TARGET_SCALING['mean'].")
    if classes is not None:
        doc.append(f"Classes: {', '.join(repr(c) for c in classes)}.")
    script = f"{module}.py"
    doc += ["", "Usage:",
            f"  python {script} INPUT{' INPUT' * (len(network.input_ids) - 1)}"
            "          # print predictions as CSV",
            f"  python {script} inputs.npy -o predictions.npy   # or -o predictions.csv",
            f"  python {script} --weights other.npz inputs.csv",
            "INPUT is a .npy array or a CSV of numbers (one sample per row, header optional).",
            "From Python:",
            f"  import {module}; y = {module}.predict(x)"]
    wrapped = []
    for line in doc:
        indent = " " * (len(line) - len(line.lstrip()))
        wrapped.append(textwrap.fill(line, 92, subsequent_indent=indent + "    " * bool(indent),
                                     break_long_words=False, break_on_hyphens=False))
    docstring = '"""' + _doc_safe("\n".join(wrapped)) + '\n"""'

    inputs_lit = "\n".join(
        f"    ({i!r}, {tuple(int(d) for d in network.shapes[i])!r}, "
        f"{'int' if i in ints else 'float'!r}),"
        for i in network.input_ids)
    norm_lines = []
    for i, n in norms.items():
        if n.identity:
            continue
        norm_lines.append(
            f"    {i!r}: {{'mode': {n.mode!r}, 'axis': {n.feature_axis},\n"
            f"        'offset': {_pylist(n.offset, 19)},\n"
            f"        'scale': {_pylist(n.scale, 18)}}},")
    shapes = network.weight_shapes()
    keys = [f"{n}/{spec.name}" for n in network.order
            for spec in network.layers[n].weight_specs(network.layers[n].input_shapes)]
    keys += [k for k in shapes if k not in keys]
    weight_lines = "\n".join(f"    {k!r}: {tuple(int(d) for d in shapes[k])!r},"
                             for k in keys if k in shapes)
    acts = "\n\n".join(PY_ACTIVATIONS[a] for a in s.activations)
    fwd_doc = ('    """Run the network on prepared, normalised inputs {input id: array}; '
               '`w` maps\n    "<node id>/<weight name>" to arrays."""')
    parts = [
        "#!/usr/bin/env python3",
        docstring,
        "",
        "import argparse\nimport csv\nimport io\nimport os\nimport sys\nimport tempfile\n",
        "import numpy as np",
        "",
        f"DTYPE = np.{dtype.name}",
        f"NUMBER_FORMAT = {'%.9g' if dtype == np.float32 else '%.17g'!r}",
        f"WEIGHTS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "
        f"{weights_filename!r})",
        "",
        "#: (input id, per-sample shape, 'float' or 'int') for each Input, in order.",
        f"INPUTS = [\n{inputs_lit}\n]",
        f"OUTPUT_SHAPE = {tuple(int(d) for d in network.output_shape)!r}",
        f"CLASS_NAMES = {classes!r}",
        "#: Normalisation of raw inputs: (x - offset) / scale along 'axis', in float64.",
        "NORMALIZATION = {" + ("\n" + "\n".join(norm_lines) + "\n" if norm_lines else "") + "}",
        "#: Regression targets were standardised: outputs * std + mean (None: not used).",
        "TARGET_SCALING = " + (
            "None" if scaling is None else
            f"{{\n    'mean': {_pylist(scaling[0], 13)},\n"
            f"    'std': {_pylist(scaling[1], 12)},\n}}"),
        "#: Every weight array the network has, with its shape.",
        f"WEIGHT_SHAPES = {{\n{weight_lines}\n}}" if weight_lines else "WEIGHT_SHAPES = {}",
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
        _RUNTIME.rstrip("\n"),
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
    if write_weights:
        buf = io.BytesIO()
        np.savez(buf, **network.get_weights())
        atomic_write_bytes(path.parent / weights_filename, buf.getvalue())
    atomic_write_bytes(path, text.encode("utf-8"), mode=0o755)
