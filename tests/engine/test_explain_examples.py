"""Integrated gradients satisfy completeness on every shipped example with a flat or image
input: for validation samples, the attributions add up to score(x) - score(baseline)
within 1% of that difference, at the default settings, from every baseline (zeros, the
training mean, and for images a blurred input). Each example is trained for a few epochs
(enough for ReLU kinks and saturated units along the paths; the full runs take minutes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nncore.explain import integrated_gradients, make_baseline
from nncore.project import load_project
from nncore.run import train_project

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
#: example -> epochs trained before explaining
CASES = {"xor": 30, "spiral": 60, "iris": 40, "digits_mlp": 5, "regression": 40,
         "digits_cnn": 2, "digits_transfer": 2}
SAMPLES = 12


def test_every_example_with_a_flat_or_image_input_is_covered():
    flat_or_image = set()
    for path in EXAMPLES.glob("*.json"):
        p = load_project(path)
        inputs = [n for n in p.graph.nodes if n.type == "Input"]
        shape = inputs[0].params["shape"]
        takes_ids = any(n.type == "Embedding" for n in p.graph.nodes)
        if len(inputs) == 1 and len(shape) in (1, 3) and not takes_ids:
            flat_or_image.add(path.stem)
    assert flat_or_image == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_integrated_gradients_are_complete_within_one_percent(name):
    project = load_project(EXAMPLES / f"{name}.json")
    result = train_project(project, EXAMPLES, epochs=CASES[name])
    data, net = result.data, result.network
    x = data.val.X[:SAMPLES]
    kinds = ["zeros", "mean"] + (["blur"] if x.ndim == 4 else [])
    for kind in kinds:
        base = make_baseline(kind, x, data.normalizer, data.train.X.mean(axis=0))
        a = integrated_gradients(net, x, base)
        delta = a.scores - a.baseline_scores
        rel = np.abs(a.completeness_error) / np.abs(delta)
        assert rel.max() <= 0.01, f"{name}, {kind} baseline: {rel.max():.4f}"
