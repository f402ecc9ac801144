"""model.py of the PyTorch project: every registered layer type computes what the engine
computes (outputs, training-mode outputs and moving statistics, gradients), weights go both
ways through NetCanvas weights files, and netcanvas_init draws NetCanvas' initial weights
and leaves its generator where the engine's is. The tests without the ``torch`` marker
check what needs no PyTorch (the converter table, the generated text, refusals)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nncore import registry
from nncore.errors import ParameterError, SpecError
from nncore.export import UnsupportedLayerError
from nncore.export.pytorch_model import MODULE_ATTRIBUTES, PT_CONVERTERS, generate_model_code
from nncore.network import Network
from nncore.registry import layer_types
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec
from nncore.weights import read_weights, save_weights

from .export_nets import Mystery
from .pytorch_support import export, import_model, spiral_project

CASES = [
    pytest.param(cls, params, shapes, id=f"{cls.type_name}-{i}")
    for cls in layer_types()
    for i, (params, shapes) in enumerate(cls.examples)
    if shapes and all(len(s) > 0 for s in shapes)
]


def _network(cls, params, shapes, dtype=np.float64, ids=None):
    ids = ids or [f"in{k}" for k in range(len(shapes))]
    g = GraphSpec([NodeSpec(i, "Input", {"shape": list(s)}) for i, s in zip(ids, shapes)])
    g.nodes.append(NodeSpec("layer", cls.type_name, dict(params)))
    g.edges = [EdgeSpec(i, "layer") for i in ids]
    net = Network(g, dtype=dtype, seed=1)
    rng = np.random.default_rng(2)
    for slot in net.slots:  # non-trivial weights, each within its declared range
        view = net.params_flat[slot.start:slot.stop]
        low = slot.spec.minimum
        view[...] = (low + rng.uniform(0.5, 2.0, view.shape) if low is not None
                     else rng.normal(0.0, 0.5, view.shape))
    return net


def _feeds(net, n=5):
    rng = np.random.default_rng(3)
    feeds = []
    for node_id in net.input_ids:
        layer = net.layers["layer"]
        shape = (n, *net.shapes[node_id])
        feeds.append(rng.integers(0, layer.input_id_limit, shape) if layer.input_dtype == "int"
                     else rng.normal(0.0, 1.0, shape))
    return feeds


def _write_model(net, folder: Path, name="Case"):
    folder.mkdir(exist_ok=True)
    (folder / "model.py").write_text(generate_model_code(net, name, "test"))
    return import_model(folder)


def _torch_model(net, folder):
    torch = pytest.importorskip("torch")
    m = _write_model(net, folder)
    model = m.Net().double()
    save_weights(folder / "w.npz", net)
    m.load_netcanvas_weights(model, folder / "w.npz")
    return torch, m, model


# -- without torch ------------------------------------------------------------------------

def test_every_registered_layer_type_has_a_pytorch_converter():
    missing = [cls.type_name for cls in layer_types() if cls.type_name not in PT_CONVERTERS]
    assert not missing, f"add a PyTorch converter (nncore/export/pytorch_model.py): {missing}"


@pytest.mark.parametrize("cls,params,shapes", CASES)
def test_generated_model_compiles_and_names_every_weight(cls, params, shapes):
    net = _network(cls, params, shapes)
    code = generate_model_code(net, "Case", "test")
    compile(code, "model.py", "exec")
    for slot in net.slots:
        assert f"{slot.key!r}: {slot.spec.shape!r}," in code


def test_a_layer_type_without_a_converter_is_refused_naming_the_node(monkeypatch, tmp_path):
    monkeypatch.setitem(registry._LAYERS, "Mystery", Mystery)
    g = GraphSpec.sequential([("Input", {"shape": [3]}), ("Mystery", {}),
                              ("Dense", {"units": 2})])
    with pytest.raises(UnsupportedLayerError) as info:
        generate_model_code(Network(g), "x", "test")
    assert info.value.node_id == "mystery1"
    assert "Mystery 'mystery1': cannot export to a PyTorch project" in str(info.value)


def test_node_ids_become_distinct_python_names(tmp_path):
    ids = ["forward", "1st layer", "a.b", "a_b", "training", "self", "class", "_x"]
    g = GraphSpec([NodeSpec("x", "Input", {"shape": [2]})]
                  + [NodeSpec(i, "Dense", {"units": 2}) for i in ids])
    g.edges = [EdgeSpec(a, b) for a, b in zip(["x", *ids], ids)]
    code = generate_model_code(Network(g), "ids", "test")
    names = [line.split(" = ")[0].strip()[len("self."):] for line in code.splitlines()
             if line.startswith("        self.") and "# '" in line]
    assert len(set(names)) == len(ids)
    assert not set(names) & MODULE_ATTRIBUTES
    assert all(n.isidentifier() and not n.startswith("_") for n in names)


def test_generated_files_pass_the_linter(tmp_path):
    """model.py and train.py are meant to be read: no unused names, sorted imports."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.skip("ruff is part of the test extra")
    folder = export(spiral_project(), tmp_path / "proj")
    rules = ["--line-length", "100", "--select", "E,F,W,I,B", "--ignore", "B905,B027"]
    out = subprocess.run([ruff, "check", "--no-cache", "--isolated", *rules,
                          str(folder / "model.py"), str(folder / "train.py")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_export_refuses_a_bad_folder_and_what_training_refuses(tmp_path):
    p = spiral_project()
    with pytest.raises(ParameterError, match="does not exist"):
        export(p, tmp_path / "missing" / "proj")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParameterError, match="not a folder"):
        export(p, tmp_path / "file")
    p.graph.node("dense3").params["activation"] = "linear"  # cross-entropy needs softmax
    with pytest.raises(SpecError, match="softmax") as info:
        export(p, tmp_path / "proj")
    assert info.value.node_id == "dense3"
    assert not (tmp_path / "proj").exists()


# -- against torch -------------------------------------------------------------------------

@pytest.mark.torch
@pytest.mark.parametrize("cls,params,shapes", CASES)
def test_layer_matches_the_engine_in_both_modes_with_gradients(cls, params, shapes, tmp_path):
    """Inference outputs; training-mode outputs, moving statistics and the gradients of
    sum(output * r) of every trainable weight (dropout at rate 0 for determinism)."""
    if "rate" in params:
        params = {**params, "rate": 0.0}
    net = _network(cls, params, shapes)
    torch, m, model = _torch_model(net, tmp_path)
    feeds = _feeds(net)
    x = feeds[0] if len(feeds) == 1 else dict(zip(net.input_ids, feeds))
    tensors = [torch.tensor(f, requires_grad=f.dtype.kind == "f") for f in feeds]
    model.eval()
    np.testing.assert_allclose(model(*tensors).detach().numpy(), net.predict(x),
                               rtol=1e-12, atol=1e-12)
    model.train()
    out = model(*tensors)
    want = net.forward(x, True)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12, atol=1e-12)
    r = np.random.default_rng(4).normal(size=want.shape)
    net.backward(r)
    (out * torch.tensor(r)).sum().backward()
    params_of = m.netcanvas_parameters(model)
    engine = net.get_weights()
    for layer_grad_key, grad in net.layers["layer"].grads.items():
        got = params_of[f"layer/{layer_grad_key}"].grad.numpy()
        np.testing.assert_allclose(got, grad, rtol=1e-10, atol=1e-12, err_msg=layer_grad_key)
    for key, tensor in params_of.items():  # weights and moving statistics after the step
        np.testing.assert_allclose(tensor.detach().numpy(), engine[key], rtol=1e-12,
                                   atol=1e-14, err_msg=key)


@pytest.mark.torch
def test_weights_go_both_ways_through_netcanvas_files(tmp_path):
    from .export_nets import CASES as NETS
    from .export_nets import build

    for case in NETS:
        net, _ = build(case)
        folder = tmp_path / case
        torch, m, model = _torch_model(net, folder)
        m.save_netcanvas_weights(model, folder / "back.npz", task="classification")
        back = read_weights(folder / "back.npz", net.weight_shapes())
        for key, want in net.get_weights().items():
            assert back.arrays[key].dtype == np.float32
            np.testing.assert_array_equal(back.arrays[key], want.astype(np.float32))
        assert back.meta["inputs"] == net.input_ids


@pytest.mark.torch
@pytest.mark.parametrize("seed", [0, 7, 2**32 - 1])
def test_netcanvas_init_draws_the_engine_initial_weights_and_leaves_its_generator(seed,
                                                                                   tmp_path):
    from .pytorch_support import example

    torch = pytest.importorskip("torch")
    for name, frozen_id in (("digits_cnn", "conv2"), ("sine_lstm", "lstm1"),
                            ("recommender", "user_vector")):
        project = example(name)
        project.graph.node(frozen_id).frozen = True  # a frozen layer moves in the order
        for dtype, tdtype in ((np.float64, torch.float64), (np.float32, torch.float32)):
            net = Network(project.graph, dtype=dtype, seed=seed)
            m = _write_model(net, tmp_path / f"{name}_{dtype.__name__}")
            model = m.Net().to(tdtype)
            rng = m.netcanvas_init(model, seed)
            assert rng.bit_generator.state == net.rng.bit_generator.state
            got = {k: t.detach().numpy() for k, t in m.netcanvas_parameters(model).items()}
            for key, want in net.get_weights().items():
                np.testing.assert_array_equal(got[key], want, err_msg=key)
            frozen = [k for k, t in m.netcanvas_parameters(model).items()
                      if isinstance(t, torch.nn.Parameter) and not t.requires_grad]
            assert frozen and all(k.startswith(frozen_id + "/") for k in frozen)


@pytest.mark.torch
def test_module_attribute_names_cover_torch_nn_module():
    torch = pytest.importorskip("torch")
    public = {n for n in set(dir(torch.nn.Module)) | set(vars(torch.nn.Module()))
              if not n.startswith("_")}
    assert public <= MODULE_ATTRIBUTES, sorted(public - MODULE_ATTRIBUTES)


def test_data_file_holds_the_prepared_splits_and_statistics(tmp_path):
    from nncore.run import prepare_data

    from .pytorch_support import EXAMPLES, example

    project = example("regression")  # standardized inputs and targets
    folder = export(project, tmp_path / "proj")
    data = prepare_data(project.data, EXAMPLES)
    with np.load(folder / "data.npz", allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    info = json.loads(str(arrays.pop("info")))
    for split in ("train", "val"):
        np.testing.assert_array_equal(arrays[f"{split}/x/input1"], getattr(data, split).X)
        np.testing.assert_array_equal(arrays[f"{split}/y"].ravel(),
                                      getattr(data, split).y.ravel())
    assert "test/y" not in arrays
    for k, v in data.normalizer.state_arrays().items():
        np.testing.assert_array_equal(arrays[f"norm/{k}"], v)
    assert info["normalization"] == "standardize" and info["task"] == "regression"
    np.testing.assert_allclose(info["target_mean"], data.target_mean)
    np.testing.assert_allclose(info["target_std"], data.target_std)
    assert info["inputs"] == ["input1"]


def test_given_weights_become_the_default_start(tmp_path):
    from nncore.run import build_network
    from nncore.weights import save_weights

    project = spiral_project()
    net = build_network(project, seed=99)
    save_weights(tmp_path / "w.npz", net)
    folder = export(project, tmp_path / "proj", weights=read_weights(tmp_path / "w.npz"))
    start = read_weights(folder / "init_weights.npz")
    for key, want in net.get_weights().items():
        np.testing.assert_array_equal(start.arrays[key], want)
    assert "INIT_WEIGHTS = 'init_weights.npz'" in (folder / "train.py").read_text()
    assert "INIT_WEIGHTS = None" in (export(project, tmp_path / "p2") / "train.py").read_text()
