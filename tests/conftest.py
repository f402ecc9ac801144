"""Session-wide test setup, applied before NumPy or Qt is imported: Qt runs headless, and
each test process uses one BLAS thread (with two xdist workers on two cores, more threads
only oversubscribe the cores: OpenBLAS threads spin, slowing small matrices many times)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_ignore_collect(collection_path, config):
    """Test modules named ``*_torch.py`` import PyTorch at module level and hold only
    ``torch``-marked tests: without PyTorch they are left out (the default run deselects
    their tests anyway), instead of being reported as skipped."""
    import importlib.util

    if collection_path.name.endswith("_torch.py"):
        return importlib.util.find_spec("torch") is None
    return None


def pytest_configure(config):
    """Asking for the PyTorch cross-checks without PyTorch installed is an error, not a run
    that silently tests nothing."""
    import importlib.util

    import pytest

    marks = config.getoption("markexpr", "") or ""
    if "torch" in marks and "not torch" not in marks and importlib.util.find_spec("torch") is None:
        raise pytest.UsageError("the tests marked 'torch' need PyTorch: pip install "
                                "torch==2.13.0 (see README)")


def pytest_collection_modifyitems(config, items):
    """For mutation testing (tools/mutation.py sets ``NETCANVAS_FAST_TESTS_FIRST`` to
    mutmut's statistics file): run the fastest tests first, so a mutant that some quick
    test kills is stopped (``-x``) before the slow ones run. Order only: every test still
    runs for a mutant that survives."""
    path = os.environ.get("NETCANVAS_FAST_TESTS_FIRST")
    if not path or not os.path.exists(path):
        return
    import json

    with open(path, encoding="utf-8") as f:
        durations = json.load(f).get("duration_by_test", {})
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))
