"""Any file a user hands the loaders: a project, a weights file or a data file, valid,
mutated or made of arbitrary bytes, ends in that loader's own error class (a message for
the user) or in a loaded object, never in another exception."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from nncore.data import Dataset, load_data
from nncore.errors import DataError, FormatError, NetCanvasError
from nncore.network import Network
from nncore.project import Project, load_project, project_from_dict
from nncore.weights import load_into, read_weights, weights_bytes

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
EXAMPLE_TEXTS = {p.name: p.read_text() for p in sorted(EXAMPLES.glob("*.json"))}

json_scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
                | st.floats(allow_nan=False, allow_infinity=False, width=32)
                | st.text(max_size=12))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)


def _paths(value, prefix=()):
    """Every (path, value) inside a JSON value."""
    yield prefix, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated_projects(draw):
    """An example project with one value anywhere replaced, or one key removed."""
    data = json.loads(draw(st.sampled_from(sorted(EXAMPLE_TEXTS.values()))))
    paths = [p for p, _ in _paths(data) if p]
    path = draw(st.sampled_from(paths))
    parent = data
    for k in path[:-1]:
        parent = parent[k]
    if draw(st.booleans()) or not isinstance(parent, dict):
        parent[path[-1]] = draw(json_values)
    else:
        del parent[path[-1]]
    return data


@given(mutated_projects())
def test_any_mutated_project_is_loaded_or_refused_with_a_format_error(data):
    try:
        project = project_from_dict(data)
    except FormatError:
        return
    assert isinstance(project, Project)
    assert project_from_dict(project.to_dict()).to_dict() == project.to_dict()


@given(st.sampled_from(sorted(EXAMPLE_TEXTS)), st.integers(0, 10**6), st.binary(max_size=8),
       st.integers(0, 16))
def test_any_byte_edit_of_a_project_file(tmp_path_factory, name, where, insert, delete):
    text = EXAMPLE_TEXTS[name].encode("utf-8")
    i = where % (len(text) + 1)
    path = tmp_path_factory.mktemp("p") / "p.json"
    path.write_bytes(text[:i] + insert + text[i + delete:])
    try:
        assert isinstance(load_project(path), Project)
    except FormatError as e:
        assert str(path) in str(e)


# -- weights files ------------------------------------------------------------------------

_NET_PROJECT = project_from_dict(json.loads(EXAMPLE_TEXTS["iris.json"]))


VALID_WEIGHTS = weights_bytes(Network(_NET_PROJECT.graph, seed=0), class_names=["a", "b", "c"],
                              task="classification")

dtypes = st.sampled_from(["<f4", "<f8", "<i4", "<u1", "<U3", "|b1", "<c8", "<f2"])
shapes = st.lists(st.integers(0, 5), min_size=0, max_size=3).map(tuple)


@st.composite
def mutated_weights(draw):
    """The archive of a real weights file with members replaced, added or corrupted."""
    with np.load(io.BytesIO(VALID_WEIGHTS), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(sorted(arrays) + ["extra/W", "__norm__/mean",
                                                     "__norm__/ndim"]))
        kind = draw(st.sampled_from(["array", "meta", "drop"]))
        if kind == "drop":
            arrays.pop(key, None)
        elif kind == "meta" or key == "__meta__":
            meta = json.loads(str(arrays.get("__meta__", np.array("{}"))))
            if isinstance(meta, dict) and meta and draw(st.booleans()):
                meta[draw(st.sampled_from(sorted(meta)))] = draw(json_values)
            else:
                meta = draw(json_values)
            arrays["__meta__"] = np.array(json.dumps(meta))
        else:
            shape, dtype = draw(shapes), np.dtype(draw(dtypes))
            values = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True),
                                   min_size=int(np.prod(shape)),
                                   max_size=int(np.prod(shape))))
            with np.errstate(over="ignore", invalid="ignore"):
                arrays[key] = (np.array(values, np.float64).astype(dtype).reshape(shape)
                               if dtype.kind != "U" else np.full(shape, "x", dtype))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = bytearray(buf.getvalue())
    if draw(st.booleans()):  # flip some bytes of the archive itself
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
    if draw(st.integers(0, 9)) == 0:
        with zipfile.ZipFile(io.BytesIO(data), "a") if zipfile.is_zipfile(io.BytesIO(data)) \
                else zipfile.ZipFile(io.BytesIO(), "w") as zf:
            zf.writestr("notes.txt", b"hi")
    return bytes(data)


@given(mutated_weights())
def test_any_mutated_weights_file_is_read_and_loaded_or_refused(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("w") / "w.npz"
    path.write_bytes(blob)
    net = Network(_NET_PROJECT.graph, seed=1)
    try:
        weights = read_weights(path, net.weight_shapes())
        load_into(net, weights, source=str(path))
        weights.check_outputs(net)
        weights.normalizer()
    except FormatError as e:
        assert str(path) in str(e)
        return
    assert all(np.isfinite(net.params_flat))


@given(st.binary(max_size=300))
def test_arbitrary_bytes_as_a_weights_file(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("w") / "w.npz"
    path.write_bytes(blob)
    try:
        read_weights(path)
    except FormatError:
        pass


# -- data files ---------------------------------------------------------------------------

cells = st.one_of(st.integers(-1000, 1000).map(str),
                  st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.4g}"),
                  st.sampled_from(["", "NA", "nan", "?", "a", "b", "yes", "1,5", '"q"',
                                   "inf", "-", " 3 ", "é"]))


@st.composite
def csv_texts(draw):
    width = draw(st.integers(1, 5))
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), min_size=0,
                         max_size=12))
    if rows and draw(st.booleans()):
        i = draw(st.integers(0, len(rows) - 1))
        rows[i] = rows[i][: draw(st.integers(0, width))]  # a ragged row
    delimiter = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    header = [f"c{j}" for j in range(width)] if draw(st.booleans()) else []
    lines = [delimiter.join(r) for r in ([header] if header else []) + rows]
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


targets = st.sampled_from([None, 0, -1, 1, 7, "c0", "c1", "missing"])


@given(csv_texts(), targets, st.sampled_from([None, "classification", "regression"]))
def test_any_csv_is_loaded_or_refused_with_a_data_error(tmp_path_factory, text, target,
                                                         task):
    path = tmp_path_factory.mktemp("d") / "d.csv"
    path.write_text(text, encoding="utf-8")
    options = {"target": target} if target is not None else {}
    try:
        ds = load_data(path, task=task, **options)
    except DataError:
        return
    assert isinstance(ds, Dataset) and len(ds.y) > 0
    assert np.isfinite(ds.X).all()


@given(st.sampled_from(["d.csv", "d.npz", "d.npy", "d.csv.gz", "d-idx3-ubyte"]),
       st.binary(max_size=400))
def test_arbitrary_bytes_as_a_data_file(tmp_path_factory, name, blob):
    path = tmp_path_factory.mktemp("d") / name
    path.write_bytes(blob)
    try:
        load_data(path)
    except NetCanvasError as e:
        assert isinstance(e, DataError), type(e)
