"""Session-wide test setup, applied before NumPy or Qt is imported: Qt runs headless, and
each test process uses one BLAS thread (with two xdist workers on two cores, more threads
only oversubscribe the cores: OpenBLAS threads spin, slowing small matrices many times)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
