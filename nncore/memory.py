"""How much memory training a network takes, estimated from shapes before anything is
allocated, so that a run that cannot fit is refused (command line) or flagged (window)
with figures instead of ending in the out-of-memory killer.

The estimate adds, in bytes of the network's dtype:

- the weights: parameters and state, their gradients, the optimizer's per-weight state
  (``Optimizer.state_names``: Adam keeps two arrays, momentum one, SGD none), the weights
  of the last good epoch (kept to recover from a divergence) and, with early stopping that
  restores the best epoch, that copy too;
- one batch: what every layer holds between its forward and backward pass
  (``Layer.training_floats``, a fact each layer declares) plus the gathered batch;
  evaluation runs in batches of ``EVAL_BATCH`` samples without those caches and never at
  the same time, so the larger of the two counts;
- the prepared data, when its size is known.

It is an estimate: NumPy's temporaries inside one operation and Python's own objects are
not counted. ``tests/engine/test_memory.py`` checks it against the allocations NumPy makes
while the example networks train (within a factor of two).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nncore.config import TrainingConfig
from nncore.errors import NetCanvasError
from nncore.graph import GraphAnalysis
from nncore.optimizers import CHUNK, OPTIMIZERS, PARALLEL_MIN
from nncore.readers import memory_available

#: Samples per evaluation batch (``Trainer.evaluate``'s default).
EVAL_BATCH = 1024
#: Share of the available memory a training run may be estimated to take before the
#: command line refuses it.
MEMORY_SHARE = 0.9


class MemoryLimitError(NetCanvasError):
    """A run is estimated to need more memory than the machine has available."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a training run is estimated to take at its peak, by what takes them. Training
    and evaluation batches never coexist: the larger of the two counts."""

    weights: int
    training_batch: int
    evaluation_batch: int
    data: int
    batch_size: int
    eval_size: int

    @property
    def total(self) -> int:
        return self.weights + max(self.training_batch, self.evaluation_batch) + self.data

    def describe(self) -> str:
        """One line: ``about 39 MB (weights and optimizer 238 kB, a training batch of 32:
        2.1 MB, an evaluation batch of 1,024: 38.9 MB)``."""
        parts = [f"weights and optimizer {format_bytes(self.weights)}",
                 f"a training batch of {self.batch_size:,}: "
                 f"{format_bytes(self.training_batch)}"]
        if self.evaluation_batch > self.training_batch:
            parts.append(f"an evaluation batch of {self.eval_size:,}: "
                         f"{format_bytes(self.evaluation_batch)}")
        if self.data:
            parts.append(f"data {format_bytes(self.data)}")
        return f"about {format_bytes(self.total)} ({', '.join(parts)})"


def estimate_training_memory(analysis: GraphAnalysis, config: TrainingConfig,
                             n_train: int | None = None, n_val: int | None = None,
                             data_bytes: int = 0, dtype: type = np.float32) -> MemoryEstimate:
    """The estimate for training the analysed graph with ``config`` (batches of
    ``config.batch_size``, or of the whole training split when it is smaller; evaluation
    batches of the validation split, or of the training split when there is none)."""
    item = np.dtype(dtype).itemsize
    total, trainable = analysis.total_params, analysis.trainable_params
    copies = 1 + (1 if config.early_stopping and config.restore_best else 0)
    slots = len(OPTIMIZERS[config.optimizer].state_names)
    scratch = min(CHUNK, trainable) * (2 if trainable >= PARALLEL_MIN else 1)
    weights = item * (total * (1 + copies) + trainable * (1 + slots) + scratch)
    batch = config.batch_size if n_train is None else max(1, min(config.batch_size, n_train))
    per_sample = 0
    for node in analysis.order:
        shapes = [analysis.shapes[i] for i in analysis.inputs[node]]
        per_sample += analysis.layers[node].training_floats(shapes) if shapes else 0
    inputs = sum(int(np.prod(analysis.shapes[i])) for i in analysis.input_ids)
    training = batch * (per_sample + inputs)
    # Inference keeps no caches for a backward pass: about half of what training holds.
    n_eval = min(EVAL_BATCH, n_val or n_train or EVAL_BATCH)
    evaluation = n_eval * (per_sample // 2 + inputs)
    return MemoryEstimate(weights, item * training, item * evaluation, int(data_bytes), batch,
                          n_eval)


def check_fits_memory(estimate: MemoryEstimate, available: int | None = None) -> None:
    """Raise MemoryLimitError when the estimate exceeds MEMORY_SHARE of the memory
    available now (no check when the system does not say how much that is)."""
    available = memory_available() if available is None else available
    if available is None or estimate.total <= MEMORY_SHARE * available:
        return
    raise MemoryLimitError(
        f"training needs {estimate.describe()}, more than the "
        f"{format_bytes(available)} this machine has available; use a smaller batch size "
        "or fewer units or filters")


def format_bytes(n: float) -> str:
    """``512 B``, ``1.5 kB``, ``40 MB``, ``1.21 GB`` (powers of 1000)."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            value = n / size
            return f"{value:.3g} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    return f"{int(n)} B"
