"""A network compiled from a :class:`~nncore.spec.GraphSpec`: forward and backward over the DAG.

All weights live in one flat array (``params_flat``) and all gradients in another
(``grads_flat``); each layer's ``weights``/``grads`` entries are views into them. The flat
layout is ordered ``[trainable & regularized | trainable, not regularized | frozen & state]``
so optimizers, L1/L2, clipping, NaN checks and best-weights snapshots each touch one slice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nncore.activations import get_activation
from nncore.errors import FormatError, SpecError
from nncore.graph import GraphAnalysis, check
from nncore.initializers import initialize
from nncore.layers.base import Layer, Shape, WeightSpec
from nncore.spec import GraphSpec


@dataclass(frozen=True)
class WeightSlot:
    node_id: str
    spec: WeightSpec
    start: int

    @property
    def key(self) -> str:
        return f"{self.node_id}/{self.spec.name}"

    @property
    def stop(self) -> int:
        return self.start + self.spec.size


class Network:
    """An executable network. ``seed`` seeds the single generator used for initial weights,
    dropout masks and (through the trainer) shuffling."""

    def __init__(self, graph: GraphSpec, *, dtype: Any = np.float32, seed: int | None = 0,
                 rng: np.random.Generator | None = None) -> None:
        analysis = check(graph)
        self.graph = graph.copy()
        self.analysis: GraphAnalysis = analysis
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise SpecError(f"unsupported dtype {self.dtype} (use float32 or float64)")
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        self.order: list[str] = list(analysis.order)
        self.layers: dict[str, Layer] = analysis.layers
        self.input_ids: list[str] = analysis.input_ids
        self.output_id: str = analysis.output_id  # type: ignore[assignment]
        self.shapes: dict[str, Shape] = analysis.shapes
        index = {n: i for i, n in enumerate(self.order)}
        self._plan: list[tuple[Layer, list[int], bool]] = []
        for n in self.order:
            layer = self.layers[n]
            ins = [index[i] for i in analysis.inputs[n]]
            layer.input_shapes = [self.shapes[i] for i in analysis.inputs[n]]
            layer.output_shape = self.shapes[n]
            layer.dtype = self.dtype.type
            layer.rng = self.rng
            self._plan.append((layer, ins, layer.max_inputs != 1))
        self._input_index = [index[n] for n in self.input_ids]
        self._acts: list[Any] = [None] * len(self.order)
        self._fused = False
        #: Backward also keeps every node's and Input's gradient (track_gradients).
        self._track = False
        self._grads: list[Any] | None = None
        self._allocate(None)

    # -- weights -----------------------------------------------------------------------
    def _allocate(self, values: dict[str, np.ndarray] | None) -> None:
        """Lay out all weights in flat buffers; keep ``values`` or draw initial ones."""
        self._lay_out_weights(values)
        self._plan_backward()
        self._index_layer_slices()

    def _lay_out_weights(self, values: dict[str, np.ndarray] | None) -> None:
        """The flat buffers, their slots, and each layer's weight and gradient views."""
        groups: tuple[list, list, list] = ([], [], [])
        for n in self.order:
            layer = self.layers[n]
            for spec in layer.weight_specs(layer.input_shapes):
                trainable = spec.trainable and layer.trainable
                g = 2 if not trainable else (0 if spec.regularize else 1)
                groups[g].append((n, spec))
        slots, offset = [], 0
        for g in groups:
            for n, spec in g:
                slots.append(WeightSlot(n, spec, offset))
                offset += spec.size
        self.n_regularized = sum(s.size for _, s in groups[0])
        self.n_trainable = self.n_regularized + sum(s.size for _, s in groups[1])
        self.params_flat = np.empty(offset, self.dtype)
        self.grads_flat = np.zeros(self.n_trainable, self.dtype)
        self.slots: list[WeightSlot] = slots
        for layer in self.layers.values():
            layer.weights, layer.grads = {}, {}
        for slot in slots:
            layer, spec = self.layers[slot.node_id], slot.spec
            view = self.params_flat[slot.start:slot.stop].reshape(spec.shape)
            if values is not None and slot.key in values:
                view[...] = values[slot.key]
            else:
                view[...] = initialize(spec.initializer, spec.shape, self.rng, self.dtype)
            layer.weights[spec.name] = view
            if slot.start < self.n_trainable:
                layer.grads[spec.name] = self.grads_flat[slot.start:slot.stop].reshape(spec.shape)

    def _plan_backward(self) -> None:
        """Which nodes need a gradient (those with trainable weights and everything after)
        and the back-propagation plan over them, output first."""
        needs = []
        for layer, ins, _ in self._plan:
            own = bool(layer.grads) or (self._track and not ins)  # (tracked: the Inputs)
            needs.append(own or any(needs[j] for j in ins))
        self._needs_grad = needs
        for (layer, ins, _), _need in zip(self._plan, needs):
            layer.need_input_grad = any(needs[j] for j in ins)
            layer.on_built()
        self._backward_plan = [(i, layer, ins, merge)
                               for i, (layer, ins, merge) in enumerate(self._plan)
                               if ins and needs[i]][::-1]

    def _index_layer_slices(self) -> None:
        """Per-layer views of the flat layout, for norms and statistics."""
        slots = self.slots
        # Per-layer norms of the trainable region in one pass: slot starts, and the index
        # (into ``norm_layers``) of the layer each slot belongs to.
        train_slots = sorted((s for s in slots if s.start < self.n_trainable),
                             key=lambda s: s.start)
        self.norm_layers: list[str] = [n for n in self.order
                                       if any(s.node_id == n for s in train_slots)]
        li = {n: i for i, n in enumerate(self.norm_layers)}
        self._norm_starts = np.array([s.start for s in train_slots], np.intp)
        self._norm_bounds = [(s.start, s.stop) for s in train_slots]
        self._norm_index = np.array([li[s.node_id] for s in train_slots], np.intp)
        # Per-layer slices of the gradient buffer, for gradient-norm statistics.
        self.layer_grad_slices: dict[str, list[slice]] = {}
        self.layer_weight_slices: dict[str, list[slice]] = {}
        for slot in slots:
            if not slot.spec.trainable:
                continue
            self.layer_weight_slices.setdefault(slot.node_id, []).append(
                slice(slot.start, slot.stop))
            if slot.start < self.n_trainable:
                self.layer_grad_slices.setdefault(slot.node_id, []).append(
                    slice(slot.start, slot.stop))

    def layer_norms(self, buf: np.ndarray) -> np.ndarray:
        """L2 norms per layer of ``norm_layers`` over the trainable region of ``buf``
        (``grads_flat`` or ``params_flat``), computed in float64 (NaN/Inf if present)."""
        n_layers = len(self.norm_layers)
        if n_layers == 0:
            return np.zeros(0)
        n = self.n_trainable
        region = buf if buf.size == n else buf[:n]  # (gradients: no slicing needed)
        if n <= 1 << 15:  # small: a few vectorised ops beat a loop of dots
            sq = np.add.reduceat(np.square(region, dtype=np.float64), self._norm_starts)
        else:
            sq = np.empty(len(self._norm_bounds))
            for k, (a, b) in enumerate(self._norm_bounds):
                v = region[a:b]
                s = float(np.dot(v, v))
                if s == np.inf:  # float32 overflow from huge finite values: redo in float64
                    v64 = v.astype(np.float64)
                    s = float(np.dot(v64, v64))
                sq[k] = s
        # (Every layer owns a slot, the last one included: the counts cover n_layers.)
        per_layer = np.bincount(self._norm_index, sq)
        return np.sqrt(per_layer, out=per_layer)

    def layer_norms_rows(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`layer_norms` of each row of ``rows`` (m, n_trainable), e.g. one snapshot
        of ``grads_flat`` per batch, in a few vectorised passes: (m, len(norm_layers)),
        float64. For small networks (a row is held per batch)."""
        per_layer = np.zeros((len(rows), len(self.norm_layers)))
        if per_layer.size == 0:
            return per_layer
        sq = np.add.reduceat(np.square(rows, dtype=np.float64), self._norm_starts, axis=1)
        for slot, layer in enumerate(self._norm_index.tolist()):  # slots in order
            per_layer[:, layer] += sq[:, slot]
        return np.sqrt(per_layer, out=per_layer)

    def set_frozen(self, node_id: str, frozen: bool) -> None:
        """Freeze or unfreeze a node's weights; keeps every current value."""
        self.layers[node_id].trainable = not frozen
        self._allocate(self.get_weights())

    def reinitialize(self) -> None:
        """Draw fresh initial weights from the network's generator."""
        self._allocate(None)

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of every array, keyed ``"<node id>/<weight name>"``."""
        return {s.key: self.params_flat[s.start:s.stop].reshape(s.spec.shape).copy()
                for s in self.slots}

    def weight_shapes(self) -> dict[str, Shape]:
        return {s.key: s.spec.shape for s in self.slots}

    def set_weights(self, values: dict[str, np.ndarray], *, strict: bool = True) -> list[str]:
        """Load arrays by key. ``strict``: names must match exactly. Otherwise only keys
        present in both with equal shapes are loaded, node by node (a node is loaded only
        if all its arrays match). Returns the node ids loaded. Shapes always must match."""
        expected = self.weight_shapes()
        if strict:
            missing = sorted(set(expected) - set(values))
            extra = sorted(set(values) - set(expected))
            if missing:
                raise FormatError(f"weights are missing {', '.join(missing[:5])}"
                                  + (" ..." if len(missing) > 5 else ""))
            if extra:
                raise FormatError(f"weights contain {', '.join(extra[:5])}"
                                  + (" ..." if len(extra) > 5 else "")
                                  + ", which this network does not have")
        by_node: dict[str, list[WeightSlot]] = {}
        for s in self.slots:
            by_node.setdefault(s.node_id, []).append(s)
        loaded = []
        for node, slots in by_node.items():
            if not all(s.key in values for s in slots):
                continue
            for s in slots:
                v = np.asarray(values[s.key])
                if v.shape != s.spec.shape:
                    if strict:
                        raise FormatError(f"weight {s.key!r} has shape {v.shape}, the network "
                                          f"expects {s.spec.shape}")
                    break
            else:
                for s in slots:
                    self.params_flat[s.start:s.stop] = np.asarray(values[s.key]).ravel()
                loaded.append(node)
        return loaded

    def snapshot(self, out: np.ndarray | None = None) -> np.ndarray:
        """A copy of all weights and state (into ``out`` when given)."""
        if out is None:
            return self.params_flat.copy()
        np.copyto(out, self.params_flat)
        return out

    def restore(self, snapshot: np.ndarray) -> None:
        np.copyto(self.params_flat, snapshot)

    # -- sizes -------------------------------------------------------------------------
    @property
    def total_params(self) -> int:
        return int(self.params_flat.size)

    @property
    def trainable_params(self) -> int:
        return int(self.n_trainable)

    @property
    def input_shape(self) -> Shape:
        return self.shapes[self.input_ids[0]]

    @property
    def output_shape(self) -> Shape:
        return self.shapes[self.output_id]

    @property
    def fused_output(self) -> bool:
        """Whether :meth:`forward` returns the output layer's pre-activation."""
        return self._fused

    @property
    def output_activation(self) -> str | None:
        """The activation of the output layer (``None`` if it has none)."""
        return self.layers[self.output_id].activation_name

    # -- computation -------------------------------------------------------------------
    def set_fused_output(self, fused: bool) -> None:
        """When fused, ``forward`` returns the output layer's pre-activation (logits) so a
        loss can combine softmax/sigmoid with cross-entropy stably; ``predict`` still
        returns activated outputs."""
        self.layers[self.output_id].skip_activation = fused
        self._fused = fused

    def _feed(self, x: Any) -> None:
        acts = self._acts
        if isinstance(x, dict):
            for node_id, i in zip(self.input_ids, self._input_index):
                if node_id not in x:
                    raise SpecError(f"no data for Input '{node_id}'", node_id=node_id)
                acts[i] = x[node_id]
        elif len(self._input_index) == 1:
            acts[self._input_index[0]] = x
        else:
            raise SpecError(f"the network has {len(self.input_ids)} inputs "
                            f"({', '.join(self.input_ids)}); pass a dict of arrays")

    def forward(self, x: Any, training: bool = False) -> np.ndarray:
        """Run the network; ``x`` is an array, or a dict {input id: array}."""
        self._feed(x)
        acts = self._acts
        for i, (layer, ins, merge) in enumerate(self._plan):
            if not ins:
                continue
            if merge:
                acts[i] = layer.forward([acts[j] for j in ins], training)
            else:
                acts[i] = layer.forward(acts[ins[0]], training)
        return acts[-1]

    def backward(self, grad: np.ndarray) -> list[Any]:
        """Back-propagate ``grad`` (dLoss/dOutput); fills ``grads_flat``. Returns what
        flowed into each node's output, in execution order (None where nothing did; the
        Inputs' only when :meth:`track_gradients` asked for them)."""
        grads: list[Any] = [None] * len(self._plan)
        grads[-1] = grad
        for i, layer, ins, merge in self._backward_plan:
            g = grads[i]
            if g is None:
                continue
            gin = layer.backward(g)
            if gin is None:
                continue
            if not merge:
                j = ins[0]
                grads[j] = gin if grads[j] is None else grads[j] + gin
                continue
            for j, gj in zip(ins, gin):
                if self._needs_grad[j]:
                    grads[j] = gj if grads[j] is None else grads[j] + gj
        return grads

    # -- gradients for explanations ----------------------------------------------------
    def track_gradients(self, on: bool = True) -> None:
        """Ask :meth:`backward` for more than the weights' gradients: the gradient with
        respect to every node's output and every Input, which :meth:`gradients` returns
        (attributions, Grad-CAM, input-gradient checks). Off by default: training skips
        the first layer's input gradient, its largest matmul. Keeps every weight."""
        if on != self._track:
            self._track = on
            self._grads = None
            # The keeping backward is bound on the instance only while tracking: training
            # calls the class's backward, which pays nothing for this.
            if on:
                self.backward = self._backward_keeping  # type: ignore[method-assign]
            else:
                del self.backward
            self._plan_backward()

    def _backward_keeping(self, grad: np.ndarray) -> list[Any]:
        self._grads = grads = Network.backward(self, grad)
        return grads

    @property
    def tracking_gradients(self) -> bool:
        return self._track

    def gradients(self) -> dict[str, np.ndarray | None]:
        """After :meth:`backward` with :meth:`track_gradients` on: the gradient of what was
        back-propagated with respect to each node's output (an Input's: with respect to the
        data fed to it), keyed by node id in execution order; None where none flows (an
        Input of integer ids). Some arrays are work buffers of the layers that the next
        backward overwrites: copy what you keep."""
        if self._grads is None:
            raise SpecError("no gradients kept: call track_gradients() and then backward()")
        return dict(zip(self.order, self._grads))

    def forward_for_gradients(self, x: Any) -> np.ndarray:
        """The inference function (dropout off, BatchNormalization on its moving
        statistics), keeping what :meth:`backward` needs: a layer that keeps its backward
        buffers only in training mode (max pooling's switches, recurrent states) runs in
        training mode unless training changes what it computes (a random mask, batch
        statistics). Its gradients are those of :meth:`predict`'s function."""
        self._feed(x)
        acts = self._acts
        for i, (layer, ins, merge) in enumerate(self._plan):
            if not ins:
                continue
            training = not _differs_in_training(layer)
            if merge:
                acts[i] = layer.forward([acts[j] for j in ins], training)
            else:
                acts[i] = layer.forward(acts[ins[0]], training)
        return acts[-1]

    def activations(self) -> dict[str, np.ndarray]:
        """Outputs of every node from the last forward pass, in execution order (the
        output node last; None for a node not computed yet)."""
        return {n: a for n, a in zip(self.order, self._acts)}

    def predict(self, x: Any, batch_size: int = 1024) -> np.ndarray:
        """Outputs for ``x`` in inference mode, in batches, activation applied."""
        n = _n_samples(x)
        outs = []
        for start in range(0, n, batch_size):
            xb = _take(x, slice(start, start + batch_size), self.dtype)
            out = self.forward(xb, training=False)
            if self._fused:
                out = get_activation(self.output_activation or "linear").forward(out)
            outs.append(np.array(out, copy=True))
        if not outs:
            return np.zeros((0, *self.output_shape), self.dtype)
        return np.concatenate(outs)

    def summary_rows(self) -> list[tuple[str, str, Shape, int]]:
        """(node id, type, output shape, parameter count) per node in execution order."""
        return [(n, self.layers[n].type_name, self.shapes[n], self.analysis.params[n][1])
                for n in self.order]


def _differs_in_training(layer: Layer) -> bool:
    """Whether training mode makes ``layer`` compute another function: a random mask (a
    dropout ``rate``) or batch statistics (state arrays that training updates)."""
    return "rate" in layer.config or any(
        not s.trainable for s in layer.weight_specs(layer.input_shapes))


def _n_samples(x: Any) -> int:
    if isinstance(x, dict):
        return len(next(iter(x.values())))
    return len(x)


def _take(x: Any, index: Any, dtype: np.dtype) -> Any:
    """Rows ``index`` of ``x``; float inputs cast to ``dtype`` (integer ids stay integers)."""
    if isinstance(x, dict):
        return {k: _take(v, index, dtype) for k, v in x.items()}
    part = x[index]
    if part.dtype.kind == "f" and part.dtype != dtype:
        part = part.astype(dtype)
    return part
