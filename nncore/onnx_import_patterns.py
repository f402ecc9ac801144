"""Groups of ONNX operators that are one NetCanvas layer, found before the conversion.

:func:`find_patterns` returns, for the last node of each group found, the function that
converts the whole group, and the other nodes of the group (which the conversion then
skips). A group's inner tensors must be used only inside it. The groups:

* element-wise operators of one tensor and scalar constants that compute one of
  NetCanvas' activations (GELU and SiLU as exporters write them out, in any
  arrangement): found by computing the group on sample values -> Activation;
* ``ReduceSum(a * b, axis 1, keepdims)`` -> Dot; with both vectors divided by
  ``sqrt(max(sum(x^2), eps))``: Dot with ``normalize``;
* ``(x - mean) * inv_std * gamma + beta`` on the last axis -> BatchNormalization (how
  NetCanvas exports it for sequences);
* in models NetCanvas exported (their ``netcanvas.*`` metadata says so): the input
  normalization ``(x - offset) / scale`` after an input and the target scaling
  ``y * std + mean`` before the output; they become the weights file's statistics.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from nncore.onnx_import import Importer, Skip, Value
from nncore.onnx_import_ops import attrs

Handler = Callable[[Importer, Any], None]


class _Match:
    """Matching one group: the nodes it takes (besides its last one)."""

    def __init__(self, imp: Importer) -> None:
        self.imp = imp
        self.taken: list[Any] = []

    def inner(self, name: str, op: str) -> Any | None:
        """The node of type ``op`` producing ``name``, when only the group reads it."""
        node = self.imp.producer.get(name)
        if node is None or node.op_type != op or self.imp.used(name) != 1:
            return None
        self.taken.append(node)
        return node

    def split(self, node: Any, value: float | None = None) -> tuple[str, np.ndarray] | None:
        """(the other input, the constant) of a binary node with one constant input
        (equal to ``value`` when given)."""
        a, b = node.input[0], node.input[1]
        consts = self.imp.consts
        if b in consts and a not in consts:
            x, c = a, consts[b]
        elif a in consts and b not in consts:
            x, c = b, consts[a]
        else:
            return None
        if value is not None and (c.size != 1 or not math.isclose(float(c.reshape(-1)[0]), value,
                                                                  rel_tol=1e-6)):
            return None
        return x, c


def _activation(name: str, x: str) -> Handler:
    def convert(imp: Importer, node: Any) -> None:
        v = imp.value(x)
        node_id = imp.add("Activation", {"activation": name}, [imp.node_of(v)],
                          imp.hint(node))
        imp.values[node.output[0]] = Value(node_id, imp.shapes[node_id])
    return convert


#: Element-wise operators a written-out activation is made of, as NumPy functions.
ELEMENTWISE: dict[str, Callable[..., np.ndarray]] = {
    "Mul": np.multiply, "Add": np.add, "Sub": np.subtract, "Div": np.divide,
    "Pow": np.power, "Tanh": np.tanh, "Sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "Exp": np.exp, "Log": np.log, "Neg": np.negative, "Sqrt": np.sqrt, "Abs": np.abs,
    "Reciprocal": lambda x: 1.0 / x, "Relu": lambda x: np.maximum(x, 0.0),
    "Softplus": lambda x: np.logaddexp(x, 0.0), "Max": np.maximum, "Min": np.minimum,
    "Erf": np.vectorize(math.erf),
}
#: Where a written-out activation is compared with NetCanvas' own.
PROBE = np.linspace(-6.0, 6.0, 121)


def _region(imp: Importer, root: Any) -> tuple[list[Any], list[str]]:
    """The element-wise nodes computing ``root``'s output whose results only they read
    (graph order), and the tensors from outside the region they read (constants aside)."""
    index = {id(n): i for i, n in enumerate(imp.graph.node)}
    nodes, todo = {id(root): root}, [root]
    while todo:
        for name in todo.pop().input:
            p = imp.producer.get(name)
            if p is not None and p.op_type in ELEMENTWISE and id(p) not in nodes:
                nodes[id(p)] = p
                todo.append(p)
    changed = True
    while changed:  # drop nodes whose results are read outside, and what only they fed
        changed = False
        for key, n in list(nodes.items()):
            outside = any(id(u) not in nodes for u in imp.uses.get(n.output[0], [])) or \
                n.output[0] in imp.outputs
            if n is not root and outside:
                del nodes[key]
                changed = True
        reach, todo = {id(root)}, [root]
        while todo:
            for name in todo.pop().input:
                p = imp.producer.get(name)
                if p is not None and id(p) in nodes and id(p) not in reach:
                    reach.add(id(p))
                    todo.append(p)
        changed = changed or len(reach) != len(nodes)
        nodes = {k: v for k, v in nodes.items() if k in reach}
    inside = {n.output[0] for n in nodes.values()}
    external = sorted({i for n in nodes.values() for i in n.input
                       if i not in inside and i not in imp.consts})
    return sorted(nodes.values(), key=lambda n: index[id(n)]), external


def _written_out_activation(m: _Match, node: Any) -> Handler | None:
    """A group of element-wise operators of one tensor and scalar constants computing one
    of NetCanvas' activations (GELU and SiLU as exporters write them out)."""
    from nncore.activations import ACTIVATIONS

    region, external = _region(m.imp, node)
    consts = {i for n in region for i in n.input if i in m.imp.consts}
    if len(region) < 2 or len(external) != 1 or any(m.imp.consts[c].size != 1
                                                    for c in consts):
        return None
    values = {external[0]: PROBE}
    values.update({c: m.imp.consts[c].astype(np.float64).reshape(()) for c in consts})
    with np.errstate(all="ignore"):
        for n in region:
            values[n.output[0]] = ELEMENTWISE[n.op_type](*(values[i] for i in n.input))
    got = values[node.output[0]]
    for name, cls in ACTIVATIONS.items():
        if name not in ("linear", "softmax") and np.allclose(got, cls().forward(PROBE),
                                                             rtol=1e-5, atol=1e-6):
            m.taken.extend(n for n in region if n is not node)
            return _activation(name, external[0])
    return None


def _unit(m: _Match, name: str) -> str | None:
    """x, when ``name`` is x / sqrt(max(sum(x^2, axis 1), eps))."""
    div = m.inner(name, "Div")
    sqrt = div and m.inner(div.input[1], "Sqrt")
    mx = sqrt and m.inner(sqrt.input[0], "Max")
    s = mx and m.split(mx)
    total = s and m.inner(s[0], "ReduceSum")
    sq = total and m.inner(total.input[0], "Mul")
    if sq and list(sq.input) == [div.input[0]] * 2:
        return div.input[0]
    return None


def _axes(imp: Importer, node: Any) -> list[int]:
    if len(node.input) > 1 and node.input[1] in imp.consts:
        return [int(a) for a in imp.consts[node.input[1]]]
    return list(attrs(node).get("axes", []))


def _dot(m: _Match, node: Any) -> Handler | None:
    if _axes(m.imp, node) not in ([1], [-1]) or not attrs(node).get("keepdims", 1):
        return None
    prod = m.inner(node.input[0], "Mul")
    if prod is None or any(i in m.imp.consts for i in prod.input):
        return None
    a, b = prod.input
    ua, ub = _unit(m, a), _unit(m, b)
    normalize = ua is not None and ub is not None
    if (ua is None) != (ub is None):
        return None
    xs = [ua, ub] if normalize else [a, b]

    def convert(imp: Importer, n: Any) -> None:
        ids = [imp.node_of(imp.value(x)) for x in xs]
        node_id = imp.add("Dot", {"normalize": normalize}, ids, imp.hint(n))
        imp.values[n.output[0]] = Value(node_id, imp.shapes[node_id])
    return convert


def _sequence_batchnorm(m: _Match, node: Any) -> Handler | None:
    add = m.split(node)
    mul2 = add and m.inner(add[0], "Mul")
    g = mul2 and m.split(mul2)
    mul1 = g and m.inner(g[0], "Mul")
    inv = mul1 and m.split(mul1)
    sub = inv and m.inner(inv[0], "Sub")
    mean = sub and m.split(sub)
    if not (mean and sub.input[0] == mean[0]):
        return None
    arrays = [c.astype(np.float64).reshape(-1) for c in (add[1], g[1], inv[1], mean[1])]
    if len({a.size for a in arrays}) != 1 or (arrays[2] <= 0).any():
        return None
    beta, gamma, inv_std, mu = arrays
    var_eps = 1.0 / inv_std ** 2
    eps = max(min(1e-3, 0.5 * float(var_eps.min())), 1e-12)

    def convert(imp: Importer, n: Any) -> None:
        v = imp.value(mean[0])
        if len(v.shape) not in (1, 2) or v.shape[-1] != beta.size:
            raise Skip("a normalization by constants that is not over the last axis of "
                       "a sequence or a flat input")
        weights = {"gamma": gamma, "beta": beta, "moving_mean": mu,
                   "moving_var": np.maximum(var_eps - eps, 0.0)}
        node_id = imp.add("BatchNormalization", {"epsilon": eps}, [imp.node_of(v)],
                          imp.hint(n), weights)
        imp.values[n.output[0]] = Value(node_id, imp.shapes[node_id])
    return convert


def _normalization(m: _Match, node: Any) -> Handler | None:
    """Div((input - offset), scale) after a graph input NetCanvas normalised."""
    norms = json.loads(m.imp.meta.get("normalization", "{}"))
    sub = m.inner(node.input[0], "Sub")
    if sub is None or sub.input[0] not in norms or node.input[1] not in m.imp.consts:
        return None
    name = sub.input[0]

    def convert(imp: Importer, n: Any) -> None:
        if imp.normalization is not None:
            raise Skip("a second normalized input (a weights file holds one input's "
                       "statistics)")
        imp.normalization = norms[name]
        imp.values[n.output[0]] = imp.value(name)
    return convert


def _target_scaling(m: _Match, node: Any) -> Handler | None:
    """Add(Mul(y, std), mean) before the output of a model NetCanvas exported."""
    if "target_scaling" not in m.imp.meta or node.output[0] not in m.imp.outputs:
        return None
    mul = m.inner(m.split(node)[0], "Mul") if m.split(node) else None
    y = mul and m.split(mul)
    if not y:
        return None

    def convert(imp: Importer, n: Any) -> None:
        imp.target_scaling = json.loads(imp.meta["target_scaling"])
        imp.values[n.output[0]] = imp.value(y[0])
    return convert


#: Last operator of a group -> the matchers that may end there, tried in order (a
#: written-out activation may end in any element-wise operator).
MATCHERS: dict[str, list[Callable[[_Match, Any], Handler | None]]] = {
    "ReduceSum": [_dot], "Add": [_target_scaling, _sequence_batchnorm],
    "Div": [_normalization],
}


def find_patterns(imp: Importer) -> tuple[dict[int, Handler], set[int]]:
    """{index of a group's last node: its conversion}, and the indices of the group's
    other nodes."""
    index = {id(n): i for i, n in enumerate(imp.graph.node)}
    handlers: dict[int, Handler] = {}
    taken: set[int] = set()
    for i in range(len(imp.graph.node) - 1, -1, -1):  # from the output: outer groups first
        node = imp.graph.node[i]
        if i in taken:
            continue
        matchers = MATCHERS.get(node.op_type, [])
        if node.op_type in ELEMENTWISE:
            matchers = [*matchers, _written_out_activation]
        for matcher in matchers:
            m = _Match(imp)
            handler = matcher(m, node)
            if handler is not None:
                handlers[i] = handler
                taken.update(index[id(n)] for n in m.taken)
                break
    return handlers, taken
