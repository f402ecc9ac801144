"""The exported script's constants as its reader sees them: the NORMALIZATION of several
inputs applied each with its own statistics, the literals of empty constants, and variable
names that keep the node ids' letters."""

from __future__ import annotations

import numpy as np

from nncore.network import Network
from nncore.spec import GraphSpec

from .export_nets import graph, import_script, write_script


def _two_numeric_inputs():
    g = graph([("Num", "Input", {"shape": [3]}),
               ("raw", "Input", {"shape": [2]}),
               ("cat", "Concatenate", {}),
               ("Out", "Dense", {"units": 2})],
              [("Num", "cat"), ("raw", "cat"), ("cat", "Out")])
    return Network(g, seed=3)


def test_script_normalises_each_of_several_inputs_with_its_own_statistics(tmp_path):
    net = _two_numeric_inputs()
    mean, std = np.array([1.0, -2.0, 10.0]), np.array([0.5, 4.0, 2.0])
    lo, hi = np.array([0.0, 1.0]), np.array([2.0, 5.0])
    state = {"Num": {"mode": "standardize", "mean": mean.tolist(), "std": std.tolist()},
             "raw": {"mode": "minmax", "min": lo.tolist(), "max": hi.tolist()}}
    mod = import_script(write_script(net, tmp_path, normalizer_state=state))
    assert set(mod.NORMALIZATION) == {"Num", "raw"}
    rng = np.random.default_rng(4)
    num, raw = rng.normal(0, 5, (6, 3)), rng.uniform(-1, 6, (6, 2))
    # The formulas written out here, in float64 as the engine does before the cast.
    want = net.predict({"Num": ((num - mean) / std).astype(np.float32),
                        "raw": ((raw - lo) / (hi - lo)).astype(np.float32)})
    np.testing.assert_allclose(mod.predict({"Num": num, "raw": raw}), want,
                               rtol=1e-5, atol=1e-6)


def test_constants_of_a_network_without_normalisation_or_weights_read_as_empty(tmp_path):
    net = Network(GraphSpec.sequential([("Input", {"shape": [3]}), ("Flatten", {})]))
    source = write_script(net, tmp_path).read_text(encoding="utf-8")
    lines = source.splitlines()
    assert "NORMALIZATION = {}" in lines
    assert "WEIGHT_SHAPES = {}" in lines


def test_script_variables_keep_the_node_ids_letters(tmp_path):
    source = write_script(_two_numeric_inputs(), tmp_path).read_text(encoding="utf-8")
    assert "v_Out = " in source and "v_Num" in source
