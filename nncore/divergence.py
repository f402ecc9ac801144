"""Keeping divergence away from the weights, and saying where it started.

:class:`DivergenceGuard` is consulted by :meth:`nncore.trainer.Trainer.train_step` before
each update: a non-finite loss or gradient norm, or a finite loss exploding far beyond the
run's first one, is refused before it reaches the weights. At each epoch's end it checks the
weights and the monitored loss, and it keeps the weights of the last good epoch to go back
to. Its messages name the first layer whose outputs, gradients or weights went non-finite.
"""

from __future__ import annotations

import math

import numpy as np

from nncore.errors import DivergenceError
from nncore.network import Network
from nncore.training_parts import sum_of_squares

_SUGGESTION = ("Try a lower learning rate, enable gradient clipping, or normalise the data.")


class DivergenceGuard:
    """Divergence checks of one run, and the weights of its last good epoch.

    ``explode_factor``: a finite batch loss above this many times max(1, the run's first
    batch loss) counts as divergence. ``buffer``: an array to keep the last good weights
    in (used when its shape and dtype fit the network's weights)."""

    def __init__(self, network: Network, explode_factor: float,
                 buffer: np.ndarray | None = None) -> None:
        self.net = network
        self.explode_factor = explode_factor
        self.first_loss: float | None = None
        self._limit = math.inf
        # The start's weights, into ``buffer`` when it fits them (a trainer passes the
        # previous run's: a fresh copy of a large network costs its page faults per fit).
        fits = (buffer is not None and buffer.shape == network.params_flat.shape
                and buffer.dtype == network.params_flat.dtype)
        self.good = network.snapshot(buffer if fits else None)
        self.good_epoch = 0

    # -- before each update ------------------------------------------------------------
    # (A non-finite loss the step refuses itself, before back-propagating it.)
    def check_gradients(self, loss: float, grad_sq: float) -> str | None:
        """``"gradient"`` when the squared gradient norm is not finite, ``"exploded"`` when
        the loss exploded; None: the update may go ahead (the first one sets the scale)."""
        if not math.isfinite(grad_sq):
            return "gradient"
        if loss > self._limit:
            return "exploded"
        if self.first_loss is None:
            self.first_loss = loss
            self._limit = self.explode_factor * max(loss, 1.0)
        return None

    def error(self, what: str, epoch: int, batch: int, loss: float,
              grad_norms: np.ndarray | None) -> DivergenceError:
        """The error for a refused update (``what``: "loss", "gradient" or "exploded",
        ``StepResult.divergence``), naming the first layer that went wrong; call it right
        after the step, while the network still holds that step's values."""
        if what == "exploded":
            return self._explosion(epoch, batch, loss, grad_norms)
        return self._nonfinite(what, epoch, batch, loss)

    # -- at each epoch's end -----------------------------------------------------------
    def check_epoch(self, epoch: int, monitored: float, what: str) -> DivergenceError | None:
        """Non-finite weights, or a non-finite monitored loss (``what`` names it)."""
        # (One dot product: infinite exactly when a weight is NaN/Inf; cheaper than an
        # isfinite pass, which also allocates a mask of the weights' size.)
        if not math.isfinite(sum_of_squares(self.net.params_flat)):
            return self._nonfinite("weights", epoch, 0, math.nan)
        if not math.isfinite(monitored):
            return self._nonfinite(what, epoch, 0, monitored)
        return None

    def epoch_good(self, epoch: int) -> None:
        """Remember the weights after ``epoch`` as the last good ones."""
        self.net.snapshot(self.good)
        self.good_epoch = epoch

    def restore(self) -> int:
        """Put the last good epoch's weights back; returns that epoch (0: the start)."""
        self.net.restore(self.good)
        return self.good_epoch

    # -- messages ----------------------------------------------------------------------
    def _explosion(self, epoch: int, batch: int, value: float,
                   grad_norms: np.ndarray | None) -> DivergenceError:
        """A finite loss that grew far beyond its value at the start of the run."""
        names = self.net.norm_layers
        node = (names[int(np.argmax(grad_norms))]
                if len(names) and grad_norms is not None else None)
        worst = (f"; the largest gradients are in {self.net.layers[node].owner}"
                 if node else "")
        return DivergenceError(
            f"training diverged: the loss exploded to {value:.3g} at epoch {epoch}, batch "
            f"{batch}, more than {self.explode_factor:,.0f} times its value at the start of "
            f"the run ({self.first_loss:.3g}){worst}. The weights from the last good epoch "
            "were restored. " + _SUGGESTION, layer=node, epoch=epoch, batch=batch)

    def _nonfinite(self, what: str, epoch: int, batch: int, value: float) -> DivergenceError:
        net = self.net
        layer = (first_nonfinite_weights(net) if what == "weights"
                 else first_nonfinite_layer(net))
        where = f"epoch {epoch}" + (f", batch {batch}" if batch else "")
        at = f"; the first non-finite values appeared in {layer}" if layer else ""
        if layer is None and what == "loss":
            # Every output is finite but too large for the loss (its square overflows).
            out = net.activations()[net.output_id]
            peak = float(np.max(np.abs(out))) if out is not None and out.size else math.nan
            owner = net.layers[net.output_id].owner
            layer = f"{owner} (its output)"
            at = f"; the outputs of {owner} grew too large for the loss (up to {peak:.3g})"
        node = next((n for n in net.order  # (ids may contain quotes: match owners)
                     if layer and layer.startswith(net.layers[n].owner + " (")), None)
        became = "NaN/Inf" if what in ("gradient", "weights") else value
        return DivergenceError(
            f"training diverged: the {what} became {became}"
            f" at {where}{at}. The weights from the last good epoch were restored. "
            + _SUGGESTION, layer=node, epoch=epoch, batch=batch)


def first_nonfinite_layer(net: Network) -> str | None:
    """Name (``Dense 'h2'``) of the first layer whose output, or failing that whose
    gradients, hold NaN/Inf after the last forward/backward pass."""
    for node_id, act in net.activations().items():
        if act is not None and act.dtype.kind == "f" and not np.isfinite(act).all():
            if net.layers[node_id].max_inputs == 0:
                continue
            return f"{net.layers[node_id].owner} (its output)"
    for node_id in reversed(net.order):
        for sl in net.layer_grad_slices.get(node_id, []):
            if not np.isfinite(net.grads_flat[sl]).all():
                return f"{net.layers[node_id].owner} (its gradient)"
    return None


def first_nonfinite_weights(net: Network) -> str | None:
    """Name (``Dense 'h2' (its weights)``) of the first layer, in execution order, that holds
    NaN/Inf weights or state."""
    rank = {n: i for i, n in enumerate(net.order)}
    bad = [s.node_id for s in net.slots
           if not np.isfinite(net.params_flat[s.start:s.stop]).all()]
    if not bad:
        return None
    return f"{net.layers[min(bad, key=rank.__getitem__)].owner} (its weights)"
