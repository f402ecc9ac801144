"""Python-script templates for the recurrent and embedding layers (entries of PY_TEMPLATES).

The generated code follows the engine's formulas and operation order: the input projection
of all time steps is one matmul on the time-major input, then one loop over the steps
(see :mod:`nncore.layers.recurrent`). Gate blocks are sliced in the stored (Keras) order:
LSTM i, f, c, o; GRU z, r, h ("reset after").
"""

from __future__ import annotations

from nncore.export.python_script import PY_TEMPLATES, ScriptBuilder
from nncore.layers.base import Layer


def _use(s: ScriptBuilder, name: str) -> None:
    """Make the script define activation function ``name``."""
    if name not in s.activations:
        s.activations.append(name)


def _projection(s: ScriptBuilder, node_id: str, x: str) -> list[str]:
    """Lines setting xs (T, n, F) and xp = xs W + b (T, n, gates * units)."""
    return [
        f"xs = np.ascontiguousarray({x}.transpose(1, 0, 2))  # time-major (T, n, F)",
        f"W, U, b = {s.w(node_id, 'W')}, {s.w(node_id, 'U')}, {s.w(node_id, 'b')}",
        "xp = (xs.reshape(-1, xs.shape[2]) @ W).reshape(xs.shape[0], xs.shape[1], -1)",
        "xp += b",
    ]


def _finish(layer: Layer, out: str) -> list[str]:
    if layer.config["return_sequences"]:
        return [f"{out} = np.stack(seq, axis=1)  # (n, T, units)"]
    return [f"{out} = h"]


def _simple_rnn(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
                ) -> list[str]:
    u = layer.config["units"]
    act = layer.config["activation"]
    if act == "tanh":
        expr = "np.tanh(z)"
    elif act == "relu":
        expr = "np.maximum(z, 0)"
    elif act == "sigmoid":
        _use(s, "sigmoid")
        expr = "sigmoid(z)"
    else:
        expr = "z"
    return _projection(s, node_id, ins[0]) + [
        f"h = np.zeros((xs.shape[1], {u}), DTYPE)",
        "seq = []",
        "for t in range(xs.shape[0]):",
        "    z = h @ U",
        "    z += xp[t]",
        f"    h = {expr}",
        "    seq.append(h)",
    ] + _finish(layer, out)


def _lstm(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
          ) -> list[str]:
    u = layer.config["units"]
    _use(s, "sigmoid")
    return _projection(s, node_id, ins[0]) + [
        f"h = np.zeros((xs.shape[1], {u}), DTYPE)",
        f"c = np.zeros((xs.shape[1], {u}), DTYPE)",
        "seq = []",
        "for t in range(xs.shape[0]):",
        "    z = h @ U",
        "    z += xp[t]  # gate blocks i, f, c, o",
        f"    i, f = sigmoid(z[:, :{u}]), sigmoid(z[:, {u}:{2 * u}])",
        f"    g, o = np.tanh(z[:, {2 * u}:{3 * u}]), sigmoid(z[:, {3 * u}:])",
        "    c = f * c",
        "    c += i * g",
        "    h = o * np.tanh(c)",
        "    seq.append(h)",
    ] + _finish(layer, out)


def _gru(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
         ) -> list[str]:
    u = layer.config["units"]
    _use(s, "sigmoid")
    return _projection(s, node_id, ins[0]) + [
        f"rb = {s.w(node_id, 'rb')}",
        f"h = np.zeros((xs.shape[1], {u}), DTYPE)",
        "seq = []",
        "for t in range(xs.shape[0]):",
        "    q = h @ U",
        "    q += rb  # gate blocks z, r, h; the reset gate scales h U + rb ('reset after')",
        f"    z = sigmoid(xp[t][:, :{u}] + q[:, :{u}])",
        f"    r = sigmoid(xp[t][:, {u}:{2 * u}] + q[:, {u}:{2 * u}])",
        f"    n = np.tanh(xp[t][:, {2 * u}:] + r * q[:, {2 * u}:])",
        "    h = n + (h - n) * z  # = z * h + (1 - z) * n",
        "    seq.append(h)",
    ] + _finish(layer, out)


def _embedding(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
               ) -> list[str]:
    n = layer.config["input_dim"]
    x = ins[0]
    head = f"Embedding {node_id!r}: id "
    tail = f" is out of range (ids must be 0 to {n - 1})"
    return [
        f"if {x}.size and ({x}.min() < 0 or {x}.max() >= {n}):",
        f"    bad = int({x}.min()) if {x}.min() < 0 else int({x}.max())",
        f"    raise ValueError({head!r} + str(bad) + {tail!r})",
        f"{out} = {s.w(node_id, 'embeddings')}[{x}]",
    ]


def _dot(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
         ) -> list[str]:
    a, b = ins
    lines = []
    if layer.config["normalize"]:
        eps = repr(float(layer.EPS))
        lines = [
            f"a = {a} / np.sqrt(np.maximum(np.sum({a} * {a}, axis=1, keepdims=True), {eps}))",
            f"b = {b} / np.sqrt(np.maximum(np.sum({b} * {b}, axis=1, keepdims=True), {eps}))",
        ]
        a, b = "a", "b"
    return lines + [f"{out} = np.sum({a} * {b}, axis=1, keepdims=True)"]


PY_TEMPLATES.update({
    "SimpleRNN": _simple_rnn,
    "LSTM": _lstm,
    "GRU": _gru,
    "Embedding": _embedding,
    "Dot": _dot,
})
