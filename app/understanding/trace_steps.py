"""The steps the sample-trace window walks through, made from an :class:`nncore.trace.
SampleTrace` (plain data, no Qt): each layer forward, the loss, each layer backward, then
the update the optimizer makes to each layer's weights. A step holds its formulas, the
formulas worked with the sample's own numbers (for Dense and Activation layers and the
loss), and the arrays to show."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nncore.trace import ACTIVATION_FORMULAS, REGULARIZATION_FORMULA, LayerTrace, SampleTrace

#: Most units / entries a worked formula spells out (the arrays show them all).
WORKED_UNITS = 8
#: Most input terms written out in one unit's sum.
WORKED_TERMS = 6


@dataclass
class Shown:
    """One array on a step: what it is and its values (without the batch axis)."""

    label: str
    values: np.ndarray


@dataclass
class TraceStep:
    """One stop of the walk through the pass."""

    title: str
    #: "forward", "loss", "backward" or "update".
    kind: str
    node_id: str | None
    formulas: list[str]
    #: The formulas with the actual numbers.
    worked: list[str] = field(default_factory=list)
    arrays: list[Shown] = field(default_factory=list)


def num(v: float) -> str:
    """A number as the trace shows it (4 significant digits)."""
    v = float(v)
    if not np.isfinite(v):
        return str(v)
    return f"{v:.4g}"


def factor(v: float) -> str:
    """A number as a factor of a product: negative ones in parentheses."""
    text = num(v)
    return f"({text})" if text.startswith("-") else text


def trace_steps(trace: SampleTrace, sources: dict[str, list[str]] | None = None
                ) -> list[TraceStep]:
    """Every step of ``trace`` in the order the walk takes them. ``sources`` names the
    nodes feeding each node (for merge layers' input labels)."""
    sources = sources or {}
    steps = [_forward(t, sources.get(t.node_id, [])) for t in trace.layers]
    steps.append(_loss(trace))
    steps += [_backward(t, sources.get(t.node_id, [])) for t in reversed(trace.layers)
              if t.grad_output is not None or t.grad_pre_activation is not None]
    steps += [_update(t, trace) for t in trace.layers if t.updates]
    for i, s in enumerate(steps, 1):
        s.title = f"{i}. {s.title}"
    return steps


def _input_labels(t: LayerTrace, sources: list[str], prefix: str = "") -> list[str]:
    if len(t.inputs) == 1:
        return [f"{prefix}x (input)"]
    return [f"{prefix}x{i} (from {sources[i] if i < len(sources) else i})"
            for i in range(len(t.inputs))]


def _forward(t: LayerTrace, sources: list[str]) -> TraceStep:
    if t.type_name == "Input":
        return TraceStep(f"Forward: {t.node_id} (Input)", "forward", t.node_id,
                         [t.formula[0]], [], [Shown("x (the sample)", t.output)])
    formulas = [t.formula[0]]
    if t.activation is not None:
        formulas.append(f"{t.activation}: {ACTIVATION_FORMULAS[t.activation][0]}")
    arrays = [Shown(label, x) for label, x in zip(_input_labels(t, sources), t.inputs)]
    arrays += [Shown(name, w) for name, w in t.weights.items()]
    if t.pre_activation is not None:
        arrays.append(Shown("z (pre-activation)", t.pre_activation))
    arrays.append(Shown("y (output)", t.output))
    return TraceStep(f"Forward: {t.node_id} ({t.type_name})", "forward", t.node_id,
                     formulas, _worked_forward(t), arrays)


def _worked_forward(t: LayerTrace) -> list[str]:
    lines = []
    x = t.inputs[0] if len(t.inputs) == 1 else None
    z = t.pre_activation if t.pre_activation is not None else t.output
    if t.type_name == "Dense" and x is not None and x.ndim == 1 and "W" in t.weights:
        W, b = t.weights["W"], t.weights.get("b")
        for j in range(min(len(z), WORKED_UNITS)):
            if len(x) <= WORKED_TERMS:
                terms = " + ".join(f"{factor(x[i])}·{factor(W[i, j])}" for i in range(len(x)))
            else:
                terms = f"(sum of {len(x)} terms x[i]·W[i,{j}])"
            bias = f" + {num(b[j])}" if b is not None else ""
            lines.append(f"z[{j}] = {terms}{bias} = {num(z[j])}")
        _more(lines, len(z))
    if t.activation is not None and t.pre_activation is not None \
            and t.pre_activation.ndim == 1:
        start = len(lines)
        zz, y = t.pre_activation, t.output
        for j in range(min(len(y), WORKED_UNITS)):
            if t.activation == "softmax":
                lines.append(f"y[{j}] = e^{num(zz[j])} / (sum over k of e^z[k]) = "
                             f"{num(y[j])}")
            else:
                lines.append(f"y[{j}] = {t.activation}({num(zz[j])}) = {num(y[j])}")
        _more(lines, len(y), start)
    return lines


def _more(lines: list[str], n: int, start: int = 0) -> None:
    if n > WORKED_UNITS and len(lines) > start:
        lines.append(f"… and {n - WORKED_UNITS} more units (all in the arrays below)")


def _loss(trace: SampleTrace) -> TraceStep:
    p, t = np.atleast_1d(trace.prediction), np.atleast_1d(trace.target)
    arrays = [Shown("prediction", p), Shown("target", t),
              Shown("dL/d(output)" + (" (logits z)" if _fused(trace) else ""),
                    np.atleast_1d(trace.loss_gradient))]
    return TraceStep(f"Loss: {trace.loss_name}", "loss", None,
                     [trace.loss_formula[0], trace.loss_formula[1]],
                     [*_worked_loss(trace, p, t), f"L = {num(trace.loss)}"], arrays)


def _fused(trace: SampleTrace) -> bool:
    return trace.loss_name in ("binary_crossentropy", "categorical_crossentropy")


def _worked_loss(trace: SampleTrace, p: np.ndarray, t: np.ndarray) -> list[str]:
    name = trace.loss_name
    if name == "categorical_crossentropy" and t.size == 1 and p.size > 1:
        k = int(t[0])
        return [f"true class {k}: L = -log p[{k}] = -log({num(p[k])})"]
    if name == "binary_crossentropy" and p.size == 1:
        return [f"L = -({num(t[0])}·log({num(p[0])}) + (1 - {num(t[0])})·log(1 - "
                f"{num(p[0])}))"]
    if name == "mse" and p.size <= WORKED_TERMS:
        terms = " + ".join(f"({num(a)} - {num(b)})^2" for a, b in zip(p.ravel(), t.ravel()))
        return [f"L = ({terms}) / {p.size}"]
    if name == "mae" and p.size <= WORKED_TERMS:
        terms = " + ".join(f"|{num(a)} - {num(b)}|" for a, b in zip(p.ravel(), t.ravel()))
        return [f"L = ({terms}) / {p.size}"]
    return []


def _backward(t: LayerTrace, sources: list[str]) -> TraceStep:
    formulas = [t.formula[1]]
    if t.activation is not None and t.grad_output is not None:
        formulas.insert(0, f"{t.activation}: {ACTIVATION_FORMULAS[t.activation][1]}")
    arrays = []
    if t.grad_output is not None:
        arrays.append(Shown("dL/dy", t.grad_output))
    if t.grad_pre_activation is not None:
        arrays.append(Shown("dL/dz", t.grad_pre_activation))
    arrays += [Shown(f"dL/d{name}", g) for name, g in t.grad_weights.items()]
    for label, g in zip(_input_labels(t, sources, "dL/d"), t.grad_inputs):
        if g is not None:
            arrays.append(Shown(label, g))
    return TraceStep(f"Backward: {t.node_id} ({t.type_name})", "backward", t.node_id,
                     formulas, _worked_backward(t), arrays)


def _worked_backward(t: LayerTrace) -> list[str]:
    lines: list[str] = []
    g_out, g_z = t.grad_output, t.grad_pre_activation
    if t.activation is not None and g_out is not None and g_z is not None and g_z.ndim == 1:
        for j in range(min(len(g_z), WORKED_UNITS)):
            lines.append(f"dL/dz[{j}] = dL/dy[{j}]·f'(z[{j}]) = {factor(g_out[j])}·"
                         f"{factor(_ratio(g_z[j], g_out[j]))} = {num(g_z[j])}")
        _more(lines, len(g_z))
    g = g_z if g_z is not None else g_out
    x = t.inputs[0] if len(t.inputs) == 1 else None
    if t.type_name == "Dense" and g is not None and x is not None and x.ndim == 1 \
            and "W" in t.grad_weights:
        gw = t.grad_weights["W"]
        lines.append(f"dL/dW[0,0] = x[0]·dL/dz[0] = {factor(x[0])}·{factor(g[0])} = "
                     f"{num(gw[0, 0])}  (each dL/dW[i,j] = x[i]·dL/dz[j])")
        if "b" in t.grad_weights:
            lines.append(f"dL/db[0] = dL/dz[0] = {num(t.grad_weights['b'][0])}")
    return lines


def _ratio(a: float, b: float) -> float:
    """f'(z) read back as dL/dz / dL/dy (0 when dL/dy is 0)."""
    return float(a) / float(b) if b != 0 else 0.0


def _update(t: LayerTrace, trace: SampleTrace) -> TraceStep:
    formulas = [f"{trace.optimizer}: {trace.optimizer_formula}"]
    if trace.l1 or trace.l2 or trace.clip_norm:
        formulas.append(REGULARIZATION_FORMULA)
    worked = [f"learning rate lr = {num(trace.learning_rate)}, step t = {trace.step}"]
    arrays = []
    for name, change in t.updates.items():
        g = t.step_gradients.get(name)
        if g is not None:
            arrays.append(Shown(f"g for {name} (what the optimizer received)", g))
            if g.size:
                k = np.unravel_index(int(np.argmax(np.abs(np.nan_to_num(g)))), g.shape)
                at = f"{name}[{', '.join(map(str, k))}]" if g.ndim else name
                how = (f"-lr·g = -{num(trace.learning_rate)}·{factor(g[k])} = "
                       if trace.optimizer == "sgd" else "")
                worked.append(f"{at} (largest |g|): g = {num(g[k])}, so it changes by "
                              f"{how}{num(change[k])}")
        arrays.append(Shown(f"change of {name}", change))
        arrays.append(Shown(f"{name} after the step", t.weights[name] + change))
    return TraceStep(f"Update: {t.node_id} ({t.type_name})", "update", t.node_id, formulas,
                     worked, arrays)
