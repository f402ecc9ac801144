"""The fast all-numeric CSV reader against the general one, the streamed text reader and
LoadControl (cancel, progress)."""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import numpy as np
import pytest

from nncore.data import load_csv, load_data
from nncore.data.formats import csv_fast, csv_files, files
from nncore.data.formats.files import LoadCancelled, LoadControl, read_lines
from nncore.errors import DataError


def _load(path: Path, monkeypatch: pytest.MonkeyPatch, fast: bool, **options):
    """load_csv through the fast reader (asserting it was used) or the general one."""
    used = []
    real = csv_fast.read_numeric

    def spy(*args, **kwargs):
        out = real(*args, **kwargs) if fast else None
        used.append(out is not None)
        return out

    with monkeypatch.context() as m:
        m.setattr(csv_files, "read_numeric", spy)
        ds = load_csv(path, **options)
    assert used == [fast], "the fast reader was not used" if fast else used
    return ds


def _same(a, b) -> None:
    assert a.X.dtype == b.X.dtype and a.X.flags.c_contiguous
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.y.dtype == b.y.dtype
    assert (a.task, a.class_names, a.feature_names, a.name, a.description) == \
        (b.task, b.class_names, b.feature_names, b.name, b.description)
    assert a.meta["csv"].pop("reader") == "fast" and b.meta["csv"].pop("reader") == "general"
    assert a.meta == b.meta
    if a.inputs is not None:
        for k in a.inputs:
            np.testing.assert_array_equal(a.inputs[k], b.inputs[k])
            assert a.inputs[k].dtype == b.inputs[k].dtype


def _rows(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.normal(size=(n, 3)).round(4), rng.integers(0, 3, n)])


CASES = {
    "header.csv": ("a,b,c,label\n", ",", "\n", "utf-8", {}),
    "noheader.csv": ("", ",", "\n", "utf-8", {}),
    "semi.csv": ("a;b;c;t\n", ";", "\r\n", "utf-8-sig", {}),
    "tab.tsv": ("a\tb\tc\tt\n", "\t", "\r", "utf-8", {}),
    "pipe.txt": ("a|b|c|t\n", "|", "\n", "latin-1", {"target": 0}),
    "multi.csv": ("a,b,c,t\n", ",", "\n", "utf-8", {"target": ["a", "b"]}),
    "reg.csv": ("a,b,c,t\n", ",", "\n", "utf-8", {"task": "regression", "ignore": ["b"]}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_and_general_readers_agree(tmp_path, monkeypatch, name):
    header, delim, end, encoding, options = CASES[name]
    data = _rows(300)
    lines = [delim.join(f"{v:g}" if j < 3 else str(int(v)) for j, v in enumerate(r))
             for r in data]
    if delim == ";":
        lines = [ln.replace(".", ",") for ln in lines]  # decimal commas
    if name == "header.csv":
        lines.insert(250, "")  # a blank line past the head
        lines[10] = '"' + lines[10].replace(",", '","') + '"'  # quoted numbers
    p = tmp_path / name
    p.write_bytes((header.replace("\n", end) + end.join(lines) + end).encode(encoding))
    fast, general = (_load(p, monkeypatch, f, **options) for f in (True, False))
    _same(fast, general)
    target = options.get("target", -1)
    if isinstance(target, list):
        np.testing.assert_allclose(fast.y, data[:, :2].astype(np.float32))
        return
    col = data[:, target]
    if fast.task == "classification":
        assert fast.y.tolist() == np.unique(col, return_inverse=True)[1].tolist()
    else:
        np.testing.assert_allclose(fast.y[:, 0], col.astype(np.float32))


def test_fast_reader_gzip_and_named_inputs_keep_large_ids(tmp_path, monkeypatch):
    p = tmp_path / "ratings.csv.gz"
    ids = [2**24 + 1, 2**24 + 3, 5, 2**24 + 1]     # not exact in float32
    with gzip.open(p, "wt") as f:
        f.write("user,item,rating\n" + "".join(f"{u},{i},{i % 5 + 0.5}\n"
                                               for i, u in enumerate(ids)))
    options = {"target": "rating", "inputs": {"user": ["user"], "item": ["item"]}}
    fast, general = (_load(p, monkeypatch, f, **options) for f in (True, False))
    _same(fast, general)
    assert fast.inputs["user"].tolist() == ids and fast.meta["vocab_sizes"]["user"] == 2**24 + 4


@pytest.mark.parametrize("bad, message", [
    ("7,x,1", "line 302, column 'b': expected a number, got 'x'"),
    ("7,,1", "line 302, column 'b': missing value"),
    ("7,inf,1", "line 302, column 'b': expected a finite number"),
    ("7,1e39,1", "line 302, column 'b': expected a finite number"),
    ("7,1", "line 302: 2 fields, expected 3"),
    ("7,1,1,1", "line 302: 4 fields, expected 3"),
])
def test_what_the_fast_reader_meets_past_the_head_is_reported_as_before(tmp_path, bad,
                                                                          message):
    rows = [f"{i},{i * 0.5},{i % 2}" for i in range(400)]
    rows[300] = bad
    p = tmp_path / "d.csv"
    p.write_text("a,b,t\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=message):
        load_csv(p)


def test_missing_values_past_the_head_are_dropped_as_before(tmp_path, monkeypatch):
    rows = [f"{i},{i * 0.5},{i % 2}" for i in range(400)]
    rows[300] = "7,NA,1"
    p = tmp_path / "d.csv"
    p.write_text("a,b,t\n" + "\n".join(rows) + "\n")
    ds = load_csv(p, drop_incomplete=True)
    assert ds.n_samples == 399 and ds.meta["dropped_lines"] == [302]


@pytest.mark.parametrize("cols", [[0], [1, 2], [0, 2, 5], [3, 4, 5, 6], [0, 1, 2, 3, 4, 5]])
def test_pack_columns_matches_fancy_indexing(monkeypatch, cols):
    monkeypatch.setattr(csv_fast, "_BLOCK_BYTES", 64)  # blocks of 2 rows
    a = np.arange(7 * 13, dtype=np.float32).reshape(13, 7)
    want = a[:, cols].copy()
    got = csv_fast.pack_columns(a, cols)
    assert got.flags.c_contiguous and np.shares_memory(got, a)
    np.testing.assert_array_equal(got, want)


def test_streamed_lines_across_chunk_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CHUNK_BYTES", 3)
    p = tmp_path / "t.csv"
    p.write_bytes(b"ab\r\nc\r\nd\re\n\r\nf\xc3\xa9\r\n\xef\xbb\xbfg")  # "\r" ends chunk 1
    lines, enc = read_lines(p)
    assert enc == "utf-8" and lines == ["ab", "c", "d", "e", "", "f\u00e9", "\ufeffg"]
    p.write_bytes("\ufeffa\r\nb".encode("utf-8"))
    assert read_lines(p, keepends=True)[0] == ["a\n", "b\n"]
    p.write_bytes("a,b\r\n1,2".encode("utf-16"))
    assert read_lines(p) == (["a,b", "1,2"], "utf-16-le")


def test_latin1_found_after_the_first_chunk_reads_the_file_again(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "CHUNK_BYTES", 16)
    p = tmp_path / "t.csv"
    p.write_bytes(b"name,x,t\n" + b"".join(b"ab,%d,%d\n" % (i, i % 2) for i in range(20))
                  + "caf\u00e9,1,1\n".encode("latin-1"))
    lines, enc = read_lines(p)
    assert enc == "latin-1" and lines[-1] == "caf\u00e9,1,1"
    ds = load_csv(p, ignore=["name"])
    assert ds.n_samples == 21


def _mnist_like(tmp_path: Path, rows: int = 3000) -> Path:
    p = tmp_path / "big.csv"
    body = "\n".join(",".join([str(i % 10)] + ["12"] * 50) for i in range(rows))
    p.write_text("label," + ",".join(f"p{j}" for j in range(50)) + "\n" + body + "\n")
    return p


@pytest.mark.parametrize("fast", [True, False])
def test_progress_reports_bytes_up_to_the_size(tmp_path, monkeypatch, fast):
    monkeypatch.setattr(files, "CHUNK_BYTES", 4096)
    p = _mnist_like(tmp_path)
    seen: list[tuple[int, int]] = []
    control = LoadControl(progress=lambda done, total: seen.append((done, total)))
    if not fast:
        monkeypatch.setattr(csv_files, "read_numeric", lambda *a, **k: None)
    ds = load_data(p, control=control, target="label")
    assert ds.n_samples == 3000
    size = p.stat().st_size
    done = [d for d, t in seen if t == size]
    assert len(done) == len(seen) > 20 and done[-1] == size
    assert done == sorted(done)  # the head read to detect the layout reports nothing


@pytest.mark.parametrize("fast", [True, False])
def test_cancel_stops_a_csv_load_part_way(tmp_path, monkeypatch, fast):
    monkeypatch.setattr(files, "CHUNK_BYTES", 4096)
    if not fast:
        monkeypatch.setattr(csv_files, "read_numeric", lambda *a, **k: None)
    p = _mnist_like(tmp_path)
    control = LoadControl()
    seen = []

    def progress(done, total):
        seen.append(done)
        if done > total // 2:
            control.cancel.set()

    control.progress = progress
    with pytest.raises(LoadCancelled, match="big.csv: loading was cancelled"):
        load_data(p, control=control, target="label")
    assert seen[-1] < p.stat().st_size


def test_cancel_from_another_thread_and_other_formats(tmp_path):
    control = LoadControl()
    control.cancel.set()
    images = tmp_path / "imgs"
    (images / "a").mkdir(parents=True)
    from PIL import Image
    Image.new("L", (4, 4)).save(images / "a" / "x.png")
    np.savez(tmp_path / "d.npz", X=np.zeros((3, 2)), y=np.array([0, 1, 0]))
    idx = tmp_path / "train-images-idx3-ubyte"
    idx.write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]))
    lab = tmp_path / "train-labels-idx1-ubyte"
    lab.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 1, 0]))
    for path, opts in ((images, {}), (tmp_path / "d.npz", {}), (idx, {"labels_path": lab})):
        with pytest.raises(LoadCancelled):
            load_data(path, control=control, **opts)
    done = threading.Event()
    seen = []
    ok = LoadControl(progress=lambda d, t: seen.append((d, t)))
    for path, opts in ((images, {}), (tmp_path / "d.npz", {}), (idx, {"labels_path": lab})):
        seen.clear()
        assert load_data(path, control=ok, **opts).n_samples >= 1
        assert seen and seen[-1][0] == seen[-1][1] > 0
    done.set()


def test_large_whole_number_targets_are_read_exactly(tmp_path, monkeypatch):
    """Targets past 2**24 are not exact in float32: such a file is left to the general
    reader, which reads targets in float64 (class names and values as written)."""
    p = tmp_path / "ids.csv"
    p.write_text("x,t\n" + "".join(f"{i},{16777217 + 2 * (i % 2)}\n" for i in range(30)))
    ds = _load(p, monkeypatch, False)  # the fast reader read it, then handed it over
    assert ds.class_names == ["16777217", "16777219"]
    assert load_csv(p).class_names == ["16777217", "16777219"]
