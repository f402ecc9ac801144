"""model.py of the PyTorch project with layer options away from their defaults (see
test_export_edges.py for the ONNX and script exports): average pooling with 'same'
padding and different strides per axis, whose divisor (the real cells of each window)
differs row by row and column by column; checked against the engine's predict and a
plain loop written here."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.export.pytorch_model import generate_model_code
from nncore.network import Network
from nncore.spec import GraphSpec
from nncore.weights import save_weights

from .pytorch_support import import_model

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


def _avg_pool_loop(x, pool, strides, pads, out_hw):
    """Average over the real (non-padded) cells of each window, one window at a time."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, *out_hw))
    for r in range(out_hw[0]):
        for q in range(out_hw[1]):
            r0, q0 = r * strides[0] - pads[0], q * strides[1] - pads[1]
            rows = range(max(r0, 0), min(r0 + pool[0], h))
            cols = range(max(q0, 0), min(q0 + pool[1], w))
            cells = x[:, :, rows.start:rows.stop, cols.start:cols.stop]
            out[:, :, r, q] = cells.sum(axis=(2, 3)) / (len(rows) * len(cols))
    return out


@pytest.mark.parametrize("strides", [[2, 1], [1, 3]])
def test_avgpool_same_padding_with_unequal_strides(strides, tmp_path):
    g = GraphSpec.sequential([("Input", {"shape": [2, 5, 7]}),
                              ("AvgPool2D", {"pool_size": [3, 4], "strides": strides,
                                             "padding": "same"})])
    net = Network(g, dtype=np.float64, seed=0)
    layer = net.layers[net.order[1]]
    assert any(layer.pads)
    (tmp_path / "model.py").write_text(generate_model_code(net, "pool", "test"))
    m = import_model(tmp_path)
    model = m.Net().double()
    save_weights(tmp_path / "w.npz", net)
    m.load_netcanvas_weights(model, tmp_path / "w.npz")
    model.eval()
    x = np.random.default_rng(0).normal(0, 1, (3, 2, 5, 7))
    got = model(torch.tensor(x)).detach().numpy()
    top, left, _, _ = layer.pads
    want = _avg_pool_loop(x, (3, 4), strides, (top, left), net.output_shape[1:])
    np.testing.assert_allclose(net.predict(x), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
