"""Data files a careless or hostile user could hand the program: each ends in one DataError
naming the file, never a hang, an unbounded read or another exception."""

from __future__ import annotations

import gzip
import io
import os
import threading
import zipfile

import numpy as np
import pytest

import nncore.readers as readers
from nncore.data import load_array, load_data
from nncore.errors import DataError


def test_an_npz_member_that_is_not_an_array(tmp_path):
    p = tmp_path / "d.npz"
    np.savez(p, X=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]))
    with zipfile.ZipFile(p, "a") as zf:
        zf.writestr("notes.txt", b"hi")
    for load in (lambda: load_data(p), lambda: load_array(p)):
        with pytest.raises(DataError, match="member 'notes.txt' is not a NumPy array"):
            load()


def test_an_npz_with_zero_rows(tmp_path):
    p = tmp_path / "empty.npz"
    np.savez(p, X=np.zeros((0, 3), np.float32), y=np.zeros(0))
    with pytest.raises(DataError, match="'X' has no rows"):
        load_data(p)


def test_an_npy_header_declaring_a_billion_rows(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (10**9, 2)})
    p = tmp_path / "x.npy"
    p.write_bytes(header.getvalue() + b"\0" * 64)
    with pytest.raises(DataError, match=r"declares shape \(1000000000, 2\)"):
        load_array(p)


def test_an_npz_declaring_more_than_memory_allows(tmp_path, monkeypatch):
    p = tmp_path / "d.npz"
    np.savez_compressed(p, X=np.zeros((2000, 100), np.float32), y=np.zeros(2000))
    monkeypatch.setattr(readers, "memory_available", lambda: 1_000_000)
    with pytest.raises(DataError, match="more than 500,000 bytes"):
        load_data(p)


def test_a_csv_that_links_to_a_device(tmp_path):
    link = tmp_path / "data.csv"
    link.symlink_to("/dev/urandom")
    with pytest.raises(DataError, match="character device"):
        load_data(link, target=0)


def test_a_fifo_as_data_does_not_hang(tmp_path):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    caught = {}

    def load():
        try:
            load_data(fifo)
        except DataError as e:
            caught["e"] = str(e)

    t = threading.Thread(target=load, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive() and "FIFO" in caught["e"]


def test_a_gzip_bomb_stops_at_the_limit(tmp_path, monkeypatch):
    p = tmp_path / "bomb.csv.gz"
    with gzip.open(p, "wb") as f:
        for _ in range(64):
            f.write(b"1,2,3\n" * 20_000)  # 7.7 MB of text, a few kB compressed
    assert p.stat().st_size < 100_000
    monkeypatch.setattr(readers, "memory_available", lambda: 2_000_000)
    with pytest.raises(DataError, match="the decompressed text needs"):
        load_data(p, target=0)


def test_a_plain_csv_larger_than_memory_allows(tmp_path, monkeypatch):
    p = tmp_path / "big.csv"
    p.write_text("1,2,3\n" * 100_000)
    monkeypatch.setattr(readers, "memory_available", lambda: 400_000)
    with pytest.raises(DataError, match="big.csv: the text needs"):
        load_data(p, target=0)


@pytest.mark.parametrize("delimiter", [5, ",,", "", '"', "\n"])
def test_a_bad_delimiter(tmp_path, delimiter):
    p = tmp_path / "d.csv"
    p.write_text("a,b\n1,0\n2,1\n3,0\n")
    with pytest.raises(DataError, match="delimiter"):
        load_data(p, target="b", delimiter=delimiter)
