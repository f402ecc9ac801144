"""Trained weights a lesson step keeps (transfer learning): taken from the network the
last run trained before the step changes it, and loaded into the changed network after.

A changed network normally starts from new weights; a step with ``keeps`` (see
:class:`nncore.lessons.base.Step`) carries the named layers' trained weights over, as File
> Import > Weights for Transfer Learning does from a file. The next Train continues from
them (the Train button offers to Continue); Train from Scratch would drop them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.training.controller import RunController
from nncore.weights import WeightsFile, load_into


@dataclass
class KeptWeights:
    """The arrays of the kept layers and the run that trained them."""

    arrays: dict[str, np.ndarray]
    run_name: str

    @property
    def origin(self) -> str:
        """What the window says the weights are ("kept from Run 1")."""
        return f"kept from {self.run_name}"


def take_kept(training: RunController, layers: tuple[str, ...]) -> KeptWeights | None:
    """Copies of the trained weights of ``layers`` in the current network; None when
    there are none to keep (never trained, the network changed since, or a run is on)."""
    if training.active or training.continue_from() is None:
        return None
    arrays = {k: v.copy() for k, v in training.current_network().get_weights().items()
              if k.split("/", 1)[0] in layers}
    if not arrays:
        return None
    last = training.history.runs[-1].name if training.history.runs else "the last run"
    return KeptWeights(arrays, last)


def put_kept(training: RunController, kept: KeptWeights) -> list[str]:
    """Load ``kept`` into the current network (the layers that match by name and shape;
    the others keep their new weights); returns the loaded layers."""
    network = training.current_network()
    loaded = load_into(network, WeightsFile(kept.arrays, source=kept.origin), partial=True,
                       source=kept.origin)
    training.weights_loaded(kept.origin)
    return loaded
