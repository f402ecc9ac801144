"""Unsupported layers, adding a converter for a new layer type, and atomic writes."""

from __future__ import annotations

import json
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto

from nncore import fileio, registry
from nncore.errors import ParameterError, SpecError
from nncore.export import (
    ONNX_CONVERTERS,
    PY_TEMPLATES,
    UnsupportedLayerError,
    export_onnx,
    export_python,
)
from nncore.export.onnx_export import ONNX_ACTIVATIONS
from nncore.network import Network
from nncore.registry import layer_types
from nncore.spec import GraphSpec

from .export_nets import Lookup, Mystery, N, build, import_script, lookup_network, run_onnx

EXPORTS = {
    "onnx": lambda net, path: export_onnx(net, path),
    "python": lambda net, path: export_python(net, path),
}


@pytest.fixture
def mystery(monkeypatch):
    monkeypatch.setitem(registry._LAYERS, "Mystery", Mystery)
    g = GraphSpec.sequential([("Input", {"shape": [3]}), ("Dense", {"units": 4}),
                              ("Mystery", {}), ("Dense", {"units": 2})])
    return Network(g)


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_unsupported_layer_names_the_node_and_leaves_the_file_alone(kind, mystery, tmp_path):
    path = tmp_path / "model.out"
    path.write_bytes(b"previous export")
    with pytest.raises(UnsupportedLayerError) as info:
        EXPORTS[kind](mystery, path)
    err = info.value
    assert isinstance(err, SpecError) and err.node_id == "mystery1"
    assert "Mystery 'mystery1'" in str(err) and "'Mystery' has no converter" in str(err)
    assert "Dense" in str(err)  # lists what is supported
    assert path.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.out"]


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_unknown_activation_names_the_node(kind, monkeypatch, tmp_path):
    from nncore.export import python_script

    table = ONNX_ACTIVATIONS if kind == "onnx" else python_script.PY_ACTIVATIONS
    monkeypatch.delitem(table, "gelu")
    net, _ = build("act_gelu")
    with pytest.raises(UnsupportedLayerError, match="Activation 'activation1'.*'gelu'"):
        EXPORTS[kind](net, tmp_path / "m")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("kind", sorted(EXPORTS))
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(kind, monkeypatch,
                                                                   tmp_path):
    net, _ = build("branching_dag")
    path = tmp_path / "model.out"
    path.write_bytes(b"previous export")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(fileio.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        EXPORTS[kind](net, path)
    assert path.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.out"]


def test_missing_folder_is_a_clear_error(tmp_path):
    net, _ = build("passthrough")
    with pytest.raises(ParameterError, match="does not exist"):
        export_onnx(net, tmp_path / "nope" / "m.onnx")


# ---------------------------------------------------------------------------------------------
# a new layer type (integer ids, like Embedding) needs one converter and one template
# ---------------------------------------------------------------------------------------------
def _gather(b, node_id, layer, inputs):
    return b.op("Gather", [b.weight(node_id, layer, "table"), inputs[0]], node_id, axis=0)


def _lookup_template(s, node_id, layer, ins, out):
    return [f"{out} = {s.w(node_id, 'table')}[{ins[0]}]"]


@pytest.fixture
def lookup(monkeypatch):
    monkeypatch.setitem(registry._LAYERS, "Lookup", Lookup)
    monkeypatch.setitem(ONNX_CONVERTERS, "Lookup", _gather)
    monkeypatch.setitem(PY_TEMPLATES, "Lookup", _lookup_template)
    return lookup_network()


def _lookup_batch():
    rng = np.random.default_rng(0)
    return {"ids": rng.integers(0, 7, (N, 4)), "num": rng.normal(size=(N, 2)).astype(np.float32)}


def test_new_layer_type_with_integer_ids_exports_to_onnx(lookup, tmp_path):
    net, x = lookup, _lookup_batch()
    path = tmp_path / "m.onnx"
    export_onnx(net, path)
    model = onnx.load(str(path))
    types = {vi.name: vi.type.tensor_type.elem_type for vi in model.graph.input}
    assert types == {"ids": TensorProto.INT64, "num": TensorProto.FLOAT}
    meta = {p.key: p.value for p in model.metadata_props}
    assert [i["dtype"] for i in json.loads(meta["netcanvas.inputs"])] == ["int64", "float32"]
    # The Dense fed with the same ids gets them through a single Cast to float.
    assert [n.op_type for n in model.graph.node].count("Cast") == 1
    np.testing.assert_allclose(run_onnx(path, x), net.predict(x), rtol=1e-5, atol=1e-5)


def test_new_layer_type_with_integer_ids_exports_to_python(lookup, tmp_path):
    net, x = lookup, _lookup_batch()
    path = tmp_path / "m.py"
    export_python(net, path, write_weights=True)
    mod = import_script(path)
    assert mod.INPUTS[0] == ("ids", (4,), "int")
    np.testing.assert_allclose(mod.predict(x), net.predict(x), rtol=1e-6, atol=1e-6)
    # Ids read from a CSV arrive as floats; integral values are accepted, others refused.
    x_float = {"ids": x["ids"].astype(np.float64), "num": x["num"]}
    np.testing.assert_allclose(mod.predict(x_float), net.predict(x), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="integer ids"):
        mod.predict({"ids": x["ids"] + 0.5, "num": x["num"]})


def test_integer_inputs_cannot_be_normalised(lookup, tmp_path):
    with pytest.raises(ParameterError, match="integer ids"):
        export_onnx(lookup, tmp_path / "m.onnx",
                    normalizer_state={"ids": {"mode": "standardize", "mean": [0] * 4,
                                              "std": [1] * 4}})


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_exported_files_are_readable_by_others(tmp_path):
    net, _ = build("passthrough")
    export_onnx(net, tmp_path / "m.onnx")
    export_python(net, tmp_path / "m.py", write_weights=True)
    assert (tmp_path / "m.onnx").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "m.py").stat().st_mode & 0o777 == 0o755


def test_every_registered_layer_type_has_an_onnx_converter_and_a_python_template():
    missing = [(cls.type_name, table) for cls in layer_types()
               for table, known in (("ONNX_CONVERTERS", ONNX_CONVERTERS),
                                    ("PY_TEMPLATES", PY_TEMPLATES))
               if cls.type_name not in known]
    assert not missing, f"add export support (nncore/export) for: {missing}"
