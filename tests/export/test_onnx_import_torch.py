"""Models written by ``torch.onnx.export`` (the TorchScript exporter, opset 17) import and
predict as onnxruntime does to 1e-5: an nn.Sequential MLP, a small CNN, and networks with
batch normalization, average pooling, concatenation and recurrent layers."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.network import Network
from nncore.onnx_import import import_onnx

from .export_nets import run_onnx

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
nn = torch.nn


class Branches(nn.Module):
    """Two branches joined by concatenation and a residual sum."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(5, 6), nn.Linear(5, 6), nn.Linear(12, 6)

    def forward(self, x):
        a, b = torch.tanh(self.a(x)), nn.functional.elu(self.b(x))
        return torch.sigmoid(self.c(torch.cat([a, b], dim=1)) + a)


class LastState(nn.Module):
    """LSTM (batch first) -> its last state -> Linear."""

    def __init__(self, kind="LSTM"):
        super().__init__()
        self.rnn = getattr(nn, kind)(3, 7, batch_first=True)
        self.out = nn.Linear(7, 2)

    def forward(self, x):
        _, h = self.rnn(x)
        h = h[0] if isinstance(h, tuple) else h
        return self.out(h[-1])


class Sequences(nn.Module):
    """GRU returning every state (batch first), flattened into a Linear."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(2, 4, batch_first=True)
        self.out = nn.Linear(4 * 6, 1)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.out(y.reshape(y.shape[0], -1))


MODELS = {
    "mlp": (lambda: nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(),
                                  nn.Linear(8, 3), nn.Softmax(dim=-1)), (4,)),
    "cnn": (lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(4, 6, 3), nn.LeakyReLU(0.01), nn.Flatten(),
                                  nn.Linear(6 * 2 * 2, 5)), (1, 8, 8)),
    "bn cnn": (lambda: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3),
                                     nn.SiLU(), nn.AvgPool2d(2), nn.Dropout(0.3),
                                     nn.Flatten(), nn.Linear(3 * 3 * 3, 4),
                                     nn.BatchNorm1d(4), nn.GELU(approximate="tanh"),
                                     nn.Linear(4, 2)), (2, 6, 6)),
    "branches": (Branches, (5,)),
    "lstm": (lambda: LastState("LSTM"), (5, 3)),
    "gru": (lambda: LastState("GRU"), (5, 3)),
    "rnn": (lambda: LastState("RNN"), (5, 3)),
    "sequences": (Sequences, (6, 2)),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_pytorch_export_imports_and_predicts_as_onnxruntime(name, tmp_path):
    make, shape = MODELS[name]
    torch.manual_seed(0)
    module = make()
    for m in module.modules():  # moving statistics away from (0, 1)
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    module.eval()
    x = torch.randn(3, *shape)
    torch.onnx.export(module, (x,), tmp_path / "m.onnx", dynamo=False, opset_version=17,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    imported = import_onnx(tmp_path / "m.onnx")
    net = imported.network
    feed = np.random.default_rng(1).normal(size=(13, *shape)).astype(np.float32)
    want = run_onnx(tmp_path / "m.onnx", {"x": feed})
    np.testing.assert_allclose(net.predict(feed), want, rtol=1e-5, atol=1e-5)
    # the saved files say the same
    imported.save(tmp_path / "p.json", tmp_path / "w.npz")
    from nncore.project import load_project
    from nncore.weights import load_into, read_weights

    again = Network(load_project(tmp_path / "p.json").graph)
    load_into(again, read_weights(tmp_path / "w.npz"))
    np.testing.assert_allclose(again.predict(feed), want, rtol=1e-5, atol=1e-5)
