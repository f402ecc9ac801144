"""Checked reading of user files (nncore.readers): only regular files, bounded sizes, strict
JSON, NumPy archives vetted from their headers. Each case is one a user reported or could
hand the program; each must end in the caller's error class with the file named, never in
a hang, a memory blow-up or another exception."""

from __future__ import annotations

import io
import json
import os
import threading
import zipfile

import numpy as np
import pytest

from nncore.errors import DataError, FormatError
from nncore.readers import (
    MAX_JSON_DEPTH,
    first_unencodable,
    parse_json,
    read_bounded,
    read_npy,
    read_npz,
    regular_file,
)


def test_regular_file_accepts_files_and_links_to_them(tmp_path):
    f = tmp_path / "a.json"
    f.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(f)
    assert regular_file(f, "project file", FormatError) == f
    assert regular_file(link, "project file", FormatError) == link


@pytest.mark.parametrize("make, words", [
    (lambda d: d / "absent.json", "project file not found"),
    (lambda d: d, "is a folder"),
])
def test_regular_file_refuses_missing_and_folders(tmp_path, make, words):
    with pytest.raises(FormatError, match=words):
        regular_file(make(tmp_path), "project file", FormatError)


def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    result = {}

    def read():  # opening a FIFO for reading blocks until a writer comes: must not happen
        try:
            read_bounded(fifo, "project file", FormatError, 1000)
        except FormatError as e:
            result["error"] = str(e)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "reading a FIFO blocked"
    assert "FIFO" in result["error"] and "pipe.json" in result["error"]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_and_links_to_them_are_refused(tmp_path, device):
    link = tmp_path / "data.csv"
    link.symlink_to(device)
    for path in (device, link):
        with pytest.raises(DataError, match="character device"):
            read_bounded(path, "data file", DataError, 1000)


def test_a_symlink_loop_is_refused(tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(FormatError, match="loop of symbolic links"):
        regular_file(a, "weights file", FormatError)


def test_read_bounded_refuses_large_files_from_their_size(tmp_path):
    f = tmp_path / "big.json"
    f.write_bytes(b" " * 101)
    assert read_bounded(f, "project file", FormatError, 101) == b" " * 101
    with pytest.raises(FormatError, match="101 bytes is too large"):
        read_bounded(f, "project file", FormatError, 100)


# -- JSON -------------------------------------------------------------------------------

def test_parse_json_refuses_deep_nesting_before_parsing():
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(FormatError, match="nested too deeply"):
        parse_json(deep, "W.npz: __meta__", FormatError)
    ok = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json(ok, "x", FormatError) is not None
    one_more = "[" + ok + "]"  # parses fine in Python; refused by the depth limit
    with pytest.raises(FormatError, match=f"more than {MAX_JSON_DEPTH} levels"):
        parse_json(one_more, "x", FormatError)


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = json.dumps({"name": "[" * 1000 + "\\\"{" * 500})
    assert parse_json(text, "x", FormatError)["name"].startswith("[[[")


@pytest.mark.parametrize("text, path", [
    ('{"name": "X\\ud800Y"}', "name"),
    ('{"network": {"nodes": [{"id": "ok"}, {"id": "h\\udc80"}]}}', "network.nodes[1].id"),
    ('{"class_names": ["a", "\\udfff"]}', "class_names[1]"),
    ('{"k\\ud800": 1}', "the keys"),
])
def test_lone_surrogates_are_refused_with_their_path(text, path):
    with pytest.raises(FormatError) as e:
        parse_json(text, "p.json", FormatError)
    assert f"p.json: {path}: holds a lone surrogate" in str(e.value)


def test_paired_surrogates_are_one_character_and_fine():
    assert parse_json('{"s": "\\ud83d\\ude00"}', "x", FormatError) == {"s": "\U0001F600"}
    assert first_unencodable({"a": ["b", {"c": "\U0001F600"}]}) is None


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', '[1, 2', "1" * 5000])
def test_parse_json_refuses_invalid_json(text):
    with pytest.raises(FormatError, match="not valid JSON"):
        parse_json(text, "p.json", FormatError)


# -- NumPy ------------------------------------------------------------------------------

def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_read_npz_reads_arrays(tmp_path):
    p = _npz(tmp_path / "w.npz", a=np.arange(3.0), **{"d/W": np.ones((2, 2), np.float32)})
    out = read_npz(p, "weights file", FormatError, 10**6)
    assert set(out) == {"a", "d/W"} and out["d/W"].dtype == np.float32


def test_an_archive_member_that_is_not_an_array_is_refused(tmp_path):
    p = _npz(tmp_path / "w.npz", a=np.arange(3.0))
    with zipfile.ZipFile(p, "a") as zf:
        zf.writestr("notes.txt", b"hi")
    with pytest.raises(DataError, match="member 'notes.txt' is not a NumPy array"):
        read_npz(p, "data file", DataError, 10**6)


def test_a_header_declaring_more_than_the_archive_holds_is_refused(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**9, 2)})
    p = tmp_path / "lying.npz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("X.npy", header.getvalue() + b"\0" * 16)
    with pytest.raises(DataError, match=r"declares shape \(1000000000, 2\)"):
        read_npz(p, "data file", DataError, 10**12)


def test_the_declared_total_is_bounded(tmp_path):
    p = _npz(tmp_path / "w.npz", a=np.zeros(1000), b=np.zeros(1000))
    with pytest.raises(FormatError, match="more than 10,000 bytes"):
        read_npz(p, "weights file", FormatError, 10_000)


def test_keep_skips_arrays_from_their_headers_without_reading_them(tmp_path):
    p = _npz(tmp_path / "w.npz", small=np.zeros(2), big=np.zeros(5000))
    seen = []

    def keep(name, shape, dtype):
        seen.append((name, shape, dtype.str))
        return name == "small"

    assert list(read_npz(p, "weights file", FormatError, 10**6, keep)) == ["small"]
    assert sorted(seen) == [("big", (5000,), "<f8"), ("small", (2,), "<f8")]


def test_object_arrays_are_never_unpickled(tmp_path):
    p = _npz(tmp_path / "o.npz", a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(FormatError, match="holds Python objects"):
        read_npz(p, "weights file", FormatError, 10**6)


def test_a_file_that_is_not_an_archive(tmp_path):
    p = tmp_path / "w.npz"
    p.write_bytes(b"just text")
    with pytest.raises(FormatError, match="not a NetCanvas weights file"):
        read_npz(p, "weights file", FormatError, 10**6, format_name="NetCanvas weights file")


def test_read_npy_checks_the_header_against_the_file_size(tmp_path):
    good = tmp_path / "x.npy"
    np.save(good, np.arange(6.0).reshape(3, 2))
    assert read_npy(good, "data file", DataError, 10**6).shape == (3, 2)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (10**9, 2)})
    bad = tmp_path / "bad.npy"
    bad.write_bytes(header.getvalue() + b"\0" * 8)
    with pytest.raises(DataError, match="declares shape"):
        read_npy(bad, "data file", DataError, 10**6)
