"""Tests of the data format registry: declarations, dispatch by folder, name and magic bytes,
and the validation of loader options against each format's Param schema."""

from __future__ import annotations

import inspect
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nncore.data import FORMATS, format_for, load_data
from nncore.data.formats.data_format import OpenParam
from nncore.data.formats.registry import check_options, data_format
from nncore.errors import DataError
from nncore.params import Param


def _idx_bytes(arr: np.ndarray) -> bytes:
    return bytes([0, 0, 0x08, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape) \
        + arr.astype(np.uint8).tobytes()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """One small valid file (or folder) of each format."""
    csv = tmp_path / "pts.csv"
    csv.write_text("a,b,t\n1,2,x\n3,4,y\n5,6,x\n")
    npz = tmp_path / "d.npz"
    np.savez(npz, X=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]))
    images, labels = tmp_path / "train-images-idx3-ubyte", tmp_path / "train-labels-idx1-ubyte"
    images.write_bytes(_idx_bytes(np.zeros((2, 3, 3))))
    labels.write_bytes(_idx_bytes(np.array([0, 1])))
    folder = tmp_path / "shapes"
    for cls in ("a", "b"):
        (folder / cls).mkdir(parents=True)
        Image.fromarray(np.zeros((4, 4), np.uint8)).save(folder / cls / "0.png")
    return {"csv": csv, "numpy": npz, "idx": images, "idx_labels": labels,
            "image_folder": folder}


def test_every_format_declares_its_options_as_params() -> None:
    assert [f.name for f in FORMATS] == ["image_folder", "csv", "excel", "numpy", "idx"]
    for fmt in FORMATS:
        assert fmt.options, fmt.name
        names = [p.name for p in fmt.options]
        assert len(set(names)) == len(names), fmt.name
        for p in fmt.options:
            assert isinstance(p, Param), (fmt.name, p)
            assert p.help and "\n" not in p.help, (fmt.name, p.name)
            assert p.coerce(p.default) == p.default  # the default is a valid value


def test_option_defaults_are_the_load_functions_defaults() -> None:
    """load_data passes every option, so a schema default must not change what a load
    function does when the option is left out."""
    for fmt in FORMATS:
        signature = inspect.signature(fmt.load).parameters
        for p in fmt.options:
            assert p.name in signature, (fmt.name, p.name)
            assert signature[p.name].default == p.default, (fmt.name, p.name)


def test_each_format_is_picked_by_name_or_folder(files: dict[str, Path], tmp_path: Path) -> None:
    for name in ("csv", "numpy", "idx", "image_folder"):
        assert format_for(files[name]).name == name
    for file_name, expected in (("a.CSV", "csv"), ("a.csv.gz", "csv"), ("a.tsv", "csv"),
                                ("a.tsv.gz", "csv"), ("a.txt", "csv"), ("x.npy", "numpy"),
                                ("t10k-images-idx3-ubyte.gz", "idx"), ("a.idx", "idx"),
                                ("a.idx3.gz", "idx"), ("mnist-idx-images", "idx")):
        path = tmp_path / file_name
        path.write_bytes(b"")
        assert format_for(path).name == expected, file_name


def test_a_file_no_name_claims_is_recognised_by_its_magic_bytes(files: dict[str, Path],
                                                               tmp_path: Path) -> None:
    npz = tmp_path / "arrays.bin"
    npz.write_bytes(files["numpy"].read_bytes())
    assert format_for(npz).name == "numpy"
    assert load_data(npz).n_samples == 4
    idx = tmp_path / "images.raw"
    idx.write_bytes(files["idx"].read_bytes())
    assert format_for(idx).name == "idx"
    ds = load_data(idx, labels_path=files["idx_labels"])
    assert ds.X.shape == (2, 1, 3, 3)
    text = tmp_path / "table.sheet"
    text.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="table.sheet: unsupported data file type"):
        format_for(text)
    with pytest.raises(DataError, match="table.sheet: unsupported data file type"):
        load_data(text)


def test_load_data_refuses_an_unknown_option_naming_it_and_the_allowed_ones(
        files: dict[str, Path]) -> None:
    for name in ("csv", "numpy", "idx", "image_folder"):
        fmt = data_format(name)
        allowed = ", ".join(p.name for p in fmt.options)
        with pytest.raises(DataError) as err:
            load_data(files[name], colour_depth=8)
        assert str(err.value) == (f"option(s) 'colour_depth' do not apply to {fmt.title}; "
                                  f"valid options: {allowed}")
    with pytest.raises(DataError, match="'x_key' do not apply to CSV files; valid options: "
                                        "target, has_header,"):
        load_data(files["csv"], x_key="X")


def test_load_data_validates_option_values_against_the_schema(files: dict[str, Path]) -> None:
    with pytest.raises(DataError, match=r"pts.csv: max_categories must be a positive integer, "
                                        r"received 0"):
        load_data(files["csv"], max_categories=0)
    with pytest.raises(DataError, match="pts.csv: target must be a column name or number, or "
                                        "a list of them, received True"):
        load_data(files["csv"], target=True)
    with pytest.raises(DataError, match="shapes: color must be one of 'grayscale', 'rgb'"):
        load_data(files["image_folder"], color="cmyk")
    # Values are converted as the schema says: a list from a project file is a size.
    assert load_data(files["image_folder"], size=[2, 3]).X.shape == (2, 1, 2, 3)
    assert load_data(files["csv"], target=0, task="regression").feature_names == ["b", "t=x",
                                                                                  "t=y"]


def test_a_format_names_its_options() -> None:
    assert data_format("csv").option("task").choices == ("classification", "regression")
    with pytest.raises(KeyError):
        data_format("csv").option("x_key")
    with pytest.raises(KeyError):
        data_format("parquet")


def test_check_options_fills_in_the_defaults() -> None:
    values = check_options(data_format("numpy"), {"y_key": "labels"}, "d.npz")
    assert values == {"x_key": "X", "y_key": "labels", "task": None}


def test_open_param_takes_only_the_types_it_accepts() -> None:
    p = OpenParam("target", "str", None, "Target column.", optional=True,
                  accepts=(str, int, list), expects="a column name or number")
    assert p.coerce("label") == "label" and p.coerce(2) == 2 and p.coerce(["a"]) == ["a"]
    assert p.coerce(None) is None
    for bad in (True, 1.5, {"a": 1}):
        with pytest.raises(ValueError, match="target must be a column name or number"):
            p.coerce(bad, "f.csv")
