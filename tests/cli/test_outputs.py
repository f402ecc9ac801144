"""A run's outputs are written as a set and never over an input; failed writes name the
file; temporaries that a killed write left behind are cleaned by the next write."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nncore.fileio import OutputSet, atomic_write_text, clean_stale_temporaries

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _dead_pid() -> int:
    """The id of a process that has ended (for names a killed writer would have left)."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_set_is_all_new_after_commit(tmp_path):
    a, b = tmp_path / "w.npz", tmp_path / "m.csv"
    a.write_text("old a")
    with OutputSet() as out:
        out.add_text(a, "new a")
        out.add_text(b, "new b")
        assert a.read_text() == "old a" and not b.exists()  # staged only
        out.commit()
    assert (a.read_text(), b.read_text()) == ("new a", "new b")
    assert sorted(os.listdir(tmp_path)) == ["m.csv", "w.npz"]  # no temporaries, no backup


def test_an_empty_set_commits_nothing(tmp_path):
    with OutputSet() as out:
        out.commit()
    assert os.listdir(tmp_path) == []


def test_a_failure_while_staging_leaves_every_target_as_it_was(tmp_path):
    a, b = tmp_path / "w.npz", tmp_path / "m.csv"
    a.write_text("old a")
    b.write_text("old b")
    with pytest.raises(RuntimeError), OutputSet() as out:
        out.add_text(a, "new a")
        raise RuntimeError("the metrics could not be computed")
    assert (a.read_text(), b.read_text()) == ("old a", "old b")
    assert sorted(os.listdir(tmp_path)) == ["m.csv", "w.npz"]


def test_a_failure_during_the_moves_rolls_back_what_moved(tmp_path, monkeypatch):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    a.write_text("old a")
    real = os.replace
    calls = []

    def failing_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    out = OutputSet()
    out.add_text(a, "new a")
    out.add_text(b, "new b")
    out.add_text(c, "new c")
    monkeypatch.setattr(os, "replace", failing_second)
    with pytest.raises(OSError) as e:
        out.commit()
    monkeypatch.setattr(os, "replace", real)
    assert e.value.filename == str(b) and "No space left" in e.value.strerror
    assert a.read_text() == "old a" and not b.exists() and not c.exists()
    assert sorted(os.listdir(tmp_path)) == ["a"]


def test_a_commit_killed_half_way_is_rolled_back_by_the_next_write(tmp_path):
    """A process killed between its moves leaves its journal; the next write into the
    folder puts the old files back (and removes what the dead commit added)."""
    a, b = tmp_path / "w.npz", tmp_path / "m.csv"
    a.write_text("old a")
    pid = _dead_pid()
    backup = tmp_path / f".w.npz.{pid}-0000abcd.old"
    os.link(a, backup)
    (tmp_path / f".m.csv.{pid}-0000abce.tmp").write_text("new b")
    a.unlink()
    a.write_text("new a")  # the first move happened, the second did not
    journal = tmp_path / f".netcanvas-commit.{pid}-0000abcf.json"
    journal.write_text(json.dumps([
        {"target": str(a), "tmp": str(tmp_path / f".w.npz.{pid}-0000abcd.tmp"),
         "backup": str(backup)},
        {"target": str(b), "tmp": str(tmp_path / f".m.csv.{pid}-0000abce.tmp"),
         "backup": None}]))
    atomic_write_text(tmp_path / "other.txt", "unrelated")
    assert a.read_text() == "old a" and not b.exists()
    assert sorted(os.listdir(tmp_path)) == ["other.txt", "w.npz"]


def test_stale_temporaries_of_dead_writers_are_removed_live_ones_kept(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    stale = tmp_path / f".W.npz.{dead}-1234abcd.tmp"
    live = tmp_path / f".W.npz.{alive}-1234abcd.tmp"
    legacy_old = tmp_path / ".W.npz.k2j4h5g6.tmp"  # mkstemp's name, an hour old
    legacy_new = tmp_path / ".W.npz.a1b2c3d4.tmp"
    user = tmp_path / ".notes.tmp"
    for f in (stale, live, legacy_old, legacy_new, user):
        f.write_text("x")
    os.utime(legacy_old, (0, 0))
    removed = clean_stale_temporaries(tmp_path)
    assert sorted(removed) == sorted([stale, legacy_old])
    assert live.exists() and legacy_new.exists() and user.exists()


def test_each_killed_write_no_longer_accumulates(tmp_path):
    """Kill writers mid-write many times: the temporaries do not pile up."""
    code = textwrap.dedent(f"""
        import os, sys
        from nncore.fileio import OutputSet
        out = OutputSet()
        out.add_bytes({str(tmp_path / 'W.npz')!r}, b"x" * 1000)
        os.kill(os.getpid(), 9)  # killed after staging, before the move
    """)
    for _ in range(5):
        p = subprocess.run([sys.executable, "-c", code], capture_output=True)
        assert p.returncode == -signal.SIGKILL
        # each write first removes what the killed one before it left
        assert len([n for n in os.listdir(tmp_path) if n.endswith(".tmp")]) == 1
    atomic_write_text(tmp_path / "W.npz", "final")
    assert os.listdir(tmp_path) == ["W.npz"]


@pytest.fixture
def xor(tmp_path):
    p = tmp_path / "p.json"
    p.write_text((EXAMPLES / "xor.json").read_text())
    return p


def _cli(*args, limit_bytes=None):
    def limit():
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return subprocess.run([sys.executable, "-m", "nncore.cli", *map(str, args)],
                          capture_output=True, text=True, preexec_fn=limit, timeout=120)


def test_a_file_size_limit_leaves_both_outputs_old_and_names_the_file(xor, tmp_path):
    """The weights (3.5 kB) fit under the limit, the metrics of 200 epochs (~20 kB) do
    not: before, the weights were new and the metrics old."""
    w, m = tmp_path / "W.npz", tmp_path / "M.csv"
    w.write_text("old weights")
    m.write_text("old metrics")
    r = _cli("train", xor, "--epochs", "200", "--quiet", "--out-weights", w, "--metrics", m,
             limit_bytes=8 * 1024)
    assert r.returncode == 2, r.stderr
    assert "File too large" in r.stderr and "M.csv" in r.stderr
    assert (w.read_text(), m.read_text()) == ("old weights", "old metrics")
    assert sorted(os.listdir(tmp_path)) == ["M.csv", "W.npz", "p.json"]


def test_an_output_that_is_a_hard_link_of_the_project_is_refused(xor, tmp_path):
    hard = tmp_path / "hard.json"
    os.link(xor, hard)
    before = xor.read_bytes()
    r = _cli("train", hard, "--epochs", "1", "--quiet", "--metrics", xor)
    assert r.returncode == 2 and "is also the project file" in r.stderr
    assert xor.read_bytes() == before


def test_initial_weights_that_are_a_device_are_named_as_such(xor, tmp_path):
    r = _cli("train", xor, "--epochs", "1", "--quiet", "--init-weights", "/dev/zero")
    assert r.returncode == 2
    assert "/dev/zero: is a character device, not a regular file" in r.stderr
