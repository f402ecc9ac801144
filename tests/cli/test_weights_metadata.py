"""A weights file whose class names or target scaling do not fit the network's output is
refused by predict and by both exports with the same message (one check, shared); a
float64 weight too large for float32 is refused before it becomes infinite."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nncore.cli import main as cli

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _rewrite(src: Path, dst: Path, meta_changes=None, arrays=None) -> Path:
    with np.load(src, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    meta = json.loads(str(data["__meta__"]))
    meta.update(meta_changes or {})
    data["__meta__"] = np.array(json.dumps(meta))
    data.update(arrays or {})
    np.savez(dst, **data)
    return dst


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("trained")
    out = {}
    for name in ("iris", "regression"):
        project = d / f"{name}.json"
        shutil.copy(EXAMPLES / f"{name}.json", project)
        assert cli(["train", str(project), "--epochs", "2", "--quiet", "--out-weights",
                    str(d / f"{name}.npz")]) == 0
        out[name] = (project, d / f"{name}.npz")
    return out


def _all_refuse(capsys, tmp_path, project, weights, *fragments):
    x = tmp_path / "x.csv"
    n_in = 4 if "iris" in project.name else 2
    x.write_text(",".join(["0.5"] * n_in) + "\n")
    runs = {"predict": ["predict", project, "--weights", weights, "--input", x,
                        "--output", tmp_path / "p.csv"],
            "onnx": ["export", project, "--weights", weights, "--onnx", tmp_path / "m.onnx"],
            "python": ["export", project, "--weights", weights, "--python",
                       tmp_path / "m.py"]}
    messages = {}
    for what, args in runs.items():
        assert cli([str(a) for a in args]) == 2, what
        messages[what] = capsys.readouterr().err.strip()
        for f in fragments:
            assert f in messages[what], (what, messages[what])
    assert len(set(messages.values())) == 1  # the same check, the same words
    assert not any(tmp_path.glob("p.csv")) and not any(tmp_path.glob("m.*"))


@pytest.mark.parametrize("names", [["a", "b"], ["a", "b", "c", "d"]])
def test_class_names_that_do_not_fit_the_outputs(trained, tmp_path, capsys, names):
    project, weights = trained["iris"]
    bad = _rewrite(weights, tmp_path / "w.npz", {"class_names": names})
    _all_refuse(capsys, tmp_path, project, bad, "w.npz",
                f"{len(names)} class names given for an output of 3 units")


@pytest.mark.parametrize("key", ["target_mean", "target_std"])
def test_target_scaling_of_the_wrong_length(trained, tmp_path, capsys, key):
    project, weights = trained["regression"]
    bad = _rewrite(weights, tmp_path / "w.npz", {"target_mean": [0.0, 1.0, 2.0],
                                                  "target_std": [1.0, 1.0, 1.0]})
    _all_refuse(capsys, tmp_path, project, bad, "w.npz", "has 3 values, the output has 1")


def test_a_weight_too_large_for_float32_is_refused(trained, tmp_path, capsys):
    project, weights = trained["iris"]
    with np.load(weights) as z:
        key = next(k for k in z.files if k.endswith("/W"))
        w = z[key].astype(np.float64)
    w[0, 0] = 1e300  # finite in float64, inf in float32
    bad = _rewrite(weights, tmp_path / "w.npz", arrays={key: w})
    _all_refuse(capsys, tmp_path, project, bad, "w.npz", repr(key), "float32")


def test_the_archive_written_by_rewrite_is_a_real_npz(trained, tmp_path):
    _, weights = trained["iris"]
    assert zipfile.is_zipfile(_rewrite(weights, tmp_path / "same.npz"))


def _bomb(src: Path, dst: Path, key: str, shape: tuple) -> Path:
    """``src`` with ``key`` replaced by zeros of ``shape``, compressed: a small file that
    declares a huge array."""
    with np.load(src, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    data[key] = np.zeros(shape, np.float32)
    np.savez_compressed(dst, **data)
    return dst


def test_an_array_the_network_does_not_have_is_refused_unread(trained, tmp_path, capsys,
                                                               monkeypatch):
    """A 1 MB file declaring a 256 MB weight: refused from its header (the message names
    the shapes) without decompressing it."""
    import nncore.readers as readers

    project, weights = trained["iris"]
    with np.load(weights) as z:
        key = next(k for k in z.files if k.endswith("/W"))
        expected = z[key].shape
    bomb = _bomb(weights, tmp_path / "bomb.npz", key, (8192, 8192))
    assert bomb.stat().st_size < 1_000_000
    read = []
    real = readers.np.lib.format.read_array
    monkeypatch.setattr(readers.np.lib.format, "read_array",
                        lambda f, **kw: read.append(1) or real(f, **kw))
    x = tmp_path / "x.csv"
    x.write_text("0.5,0.5,0.5,0.5\n")
    assert cli(["predict", str(project), "--weights", str(bomb), "--input", str(x),
                "--output", str(tmp_path / "p.csv")]) == 2
    err = capsys.readouterr().err
    assert f"weight {key!r} has shape (8192, 8192), the network expects {expected}" in err
    with np.load(bomb) as z:
        n_members = len(z.files)
    assert len(read) == n_members - 1  # every array but the huge one was read


def test_transfer_from_a_file_with_an_unrelated_huge_array(trained, tmp_path):
    """Partial loading skips what does not match, without reading it."""
    project, weights = trained["iris"]
    with np.load(weights) as z:
        keys = [k for k in z.files if k.endswith("/W")]
    bomb = _bomb(weights, tmp_path / "bomb.npz", keys[-1], (4096, 4096))
    assert cli(["train", str(project), "--epochs", "1", "--quiet", "--init-weights",
                str(bomb), "--partial"]) == 0


@pytest.mark.parametrize("ndim", [np.zeros(0), np.array(np.nan), np.array(np.inf),
                                  np.array(1e300), np.array([2, 2]), np.array(2.5),
                                  np.array(9)])
def test_a_bad_saved_normalizer_ndim(trained, tmp_path, capsys, ndim):
    project, weights = trained["iris"]
    bad = _rewrite(weights, tmp_path / "w.npz", arrays={"__norm__/ndim": ndim})
    _all_refuse(capsys, tmp_path, project, bad, "w.npz", "bad normalization statistics",
                "'ndim'")
