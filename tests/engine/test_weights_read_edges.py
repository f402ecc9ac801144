"""Reading and loading weights files at their edges, word for word: a metadata entry that is
not one JSON text, format versions that are not whole numbers >= 1, arrays never read
(their stand-ins cost no memory when loading), the float32 limit itself, and the default
names in messages. Written against mutation-testing survivors (issue 19)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from nncore.errors import FormatError
from nncore.network import Network
from nncore.project import load_project
from nncore.spec import GraphSpec
from nncore.weights import (
    FORMAT_NAME,
    META_KEY,
    WeightsFile,
    load_into,
    read_weights,
    save_weights,
)


def small_net() -> Network:
    return Network(GraphSpec.sequential([("Input", {"shape": [3]}),
                                         ("Dense", {"units": 2})]), seed=0)


def write_npz(path: Path, meta, **arrays) -> Path:
    np.savez(path, **{META_KEY: meta}, **arrays)
    return path


def meta_text(**fields) -> np.ndarray:
    return np.array(json.dumps({"format": FORMAT_NAME, "version": 1, **fields}))


@pytest.mark.parametrize("meta, words", [
    (np.array(5), "__meta__ is not a text; not a NetCanvas weights file"),
    (np.array(["{}"]), "__meta__ is not a text; not a NetCanvas weights file"),
    (np.array("[1, 2]"), "not a NetCanvas weights file"),
    (np.array(json.dumps({"format": "other", "version": 1})), "not a NetCanvas weights file"),
    (meta_text(version=True), "bad format version True"),
    (meta_text(version="1"), "bad format version '1'"),
    (meta_text(version=0), "bad format version 0"),
    (meta_text(version=1.0), "bad format version 1.0"),
])
def test_metadata_refusals_word_for_word(tmp_path, meta, words) -> None:
    path = write_npz(tmp_path / "w.npz", meta)
    with pytest.raises(FormatError) as err:
        read_weights(path)
    assert str(err.value) == f"{path}: {words}"


def test_metadata_that_is_not_json_is_named_with_the_entry(tmp_path) -> None:
    path = write_npz(tmp_path / "w.npz", np.array("{not json"))
    with pytest.raises(FormatError) as err:
        read_weights(path)
    assert str(err.value).startswith(f"{path}: __meta__: not valid JSON: ")


def test_missing_files_are_named_by_kind(tmp_path) -> None:
    with pytest.raises(FormatError) as err:
        read_weights(tmp_path / "none.npz")
    assert str(err.value) == f"{tmp_path / 'none.npz'}: weights file not found"
    with pytest.raises(FormatError) as err:
        load_project(tmp_path / "none.json")
    assert str(err.value) == f"{tmp_path / 'none.json'}: project file not found"


def huge_declared(tmp_path: Path, net: Network) -> Path:
    """A weights file for ``net`` plus an extra array declaring 64 MB of zeros (compressed
    to almost nothing)."""
    path = tmp_path / "w.npz"
    save_weights(path, net)
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    data["other/W"] = np.zeros((4096, 4096), np.float32)
    np.savez_compressed(path, **data)
    return path


def test_arrays_never_read_cost_no_memory_when_loading(tmp_path) -> None:
    net = small_net()
    w = read_weights(huge_declared(tmp_path, net), net.weight_shapes())
    assert w.unread == {"other/W"} and w.arrays["other/W"].shape == (4096, 4096)
    tracemalloc.start()
    try:
        assert load_into(net, w, partial=True) == ["dense1"]
        with pytest.raises(FormatError, match="other/W"):
            load_into(net, w)  # strict: the extra array is refused by name
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024**2  # the stand-in (64 MB if made real) is never touched


def test_the_float32_limit_itself_loads(tmp_path) -> None:
    net = small_net()
    top = float(np.finfo(np.float32).max)
    arrays = {k: np.full(v.shape, top, np.float64) for k, v in net.get_weights().items()}
    assert load_into(net, WeightsFile(arrays)) == ["dense1"]
    assert net.get_weights()["dense1/W"].max() == np.float32(top)
    arrays["dense1/b"][0] = np.nextafter(top, np.inf)
    with pytest.raises(FormatError) as err:
        load_into(net, WeightsFile(arrays))
    assert str(err.value).startswith("weights: weight 'dense1/b' holds values up to 3.4e+38, "
                                      "beyond what float32 can hold")


def test_no_matching_layer_is_refused_in_words() -> None:
    net = small_net()
    with pytest.raises(FormatError) as err:
        load_into(net, WeightsFile({"x/W": np.zeros((3, 2), np.float32)}), partial=True)
    assert str(err.value) == ("weights: no layer of this network matches the weights by name "
                              "and shape")
