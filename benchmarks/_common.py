"""Helpers shared by the benchmarks: timing with medians, memory (RSS) readings, the BLAS
thread count, optional PyTorch, the machine's float32 matmul peak and a machine summary.

Nothing here imports nncore, so a benchmark can take a memory baseline before the engine is
loaded if it needs to.
"""

from __future__ import annotations

# isort: off
import nncore  # noqa: F401 (first: the engine's BLAS settings apply before NumPy loads)
# isort: on

import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


class CpuMeter:
    """How many CPU cores *other* processes kept busy between ``start()`` and ``stop()``:
    the machine's busy time from /proc/stat minus this process's own (all threads), divided
    by the wall time. A figure well above 0 means the measurement competed for the CPU and
    is slower than on an idle machine. None where /proc is not available. After ``stop()``,
    ``own`` holds the cores this process used in the same interval."""

    def __init__(self) -> None:
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._start: tuple[float, float, float] | None = None
        self.own: float | None = None

    @staticmethod
    def _busy_ticks() -> tuple[float, float] | None:
        try:
            with open("/proc/stat", encoding="ascii") as f:
                fields = f.readline().split()
            with open("/proc/self/stat", encoding="ascii") as f:
                own = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
        # /proc/self/stat after the command name: state is field 3, utime/stime 14/15.
        return float(user + nice + system + irq + softirq + steal), float(own[11]) + float(
            own[12])

    def start(self) -> None:
        ticks = self._busy_ticks()
        self._start = None if ticks is None else (*ticks, time.perf_counter())

    def stop(self) -> float | None:
        self.own = None
        ticks = self._busy_ticks()
        if ticks is None or self._start is None:
            return None
        busy0, own0, t0 = self._start
        wall = time.perf_counter() - t0
        if wall <= 0:
            return None
        self.own = (ticks[1] - own0) / self._tick / wall
        others = (ticks[0] - busy0) - (ticks[1] - own0)
        return max(0.0, others / self._tick / wall)


#: A run is busy when other processes kept more than this many cores busy beyond the
#: cores the measured code leaves idle, or when the measured code got this much less CPU
#: than it takes when it runs alone (see :func:`quiet_runs`).
BUSY_CORES = 0.25
OWN_DROP = 0.2


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def cores_wanted(others: list[float | None], own: list[float | None] | None) -> float:
    """How many cores the measured code uses when it has the machine to itself: the most it
    used in a run during which other processes stayed under BUSY_CORES. All CPUs when no
    such run exists (then nothing is known and every busy run counts as busy)."""
    ncpu = float(available_cpus())
    known = [m for o, m in zip(others, own or []) if m is not None and o is not None
             and o <= BUSY_CORES]
    return min(ncpu, max(known)) if known else ncpu


def busy_limit(others: list[float | None], own: list[float | None] | None) -> float:
    """Cores other processes may use without slowing a run: the CPUs the measured code
    leaves idle (e.g. 1 of 2 for single-threaded code, see :func:`cores_wanted`) plus
    BUSY_CORES."""
    return max(BUSY_CORES, available_cpus() - cores_wanted(others, own) + BUSY_CORES)


def quiet_runs(others: list[float | None], own: list[float | None] | None = None) -> list[bool]:
    """Which runs were quiet: other processes used at most :func:`busy_limit` cores and
    (given ``own``) this process got at least the cores it wants minus OWN_DROP."""
    limit = busy_limit(others, own)
    known = own is not None and any(m is not None for m in own)
    want = cores_wanted(others, own) - OWN_DROP if known else None
    flags = []
    for i, o in enumerate(others):
        mine = own[i] if own is not None and i < len(own) else None
        flags.append((o is None or o <= limit)
                     and (want is None or mine is None or mine >= want))
    return flags


@dataclass(frozen=True)
class Timing:
    """Seconds per call over repeated runs.

    ``samples``/``others``: each run's seconds per call and the cores other processes used
    during it (None where unknown). ``median`` is the median over the quiet runs (see
    :func:`quiet_runs`) when there are at least ``need`` of them, else over all runs and
    ``noisy`` is set."""

    median: float
    min: float
    samples: tuple[float, ...]
    others: tuple[float | None, ...]
    quiet: int
    noisy: bool
    limit: float = BUSY_CORES
    #: Per run: quiet or not (empty: decided by others <= limit).
    flags: tuple[bool, ...] = ()

    @property
    def ms(self) -> float:
        return self.median * 1e3

    @property
    def spread(self) -> float:
        """(max - min) / median over the runs used for the median."""
        used = self.used()
        return (max(used) - min(used)) / self.median if self.median else 0.0

    def _quiet_flags(self) -> list[bool]:
        if self.flags:
            return list(self.flags)
        return [o is None or o <= self.limit for o in self.others]

    def used(self) -> list[float]:
        if self.noisy:
            return list(self.samples)
        return [s for s, q in zip(self.samples, self._quiet_flags()) if q]

    @property
    def max_others(self) -> float | None:
        """Most cores other processes used during a run that the median counts."""
        flags = [True] * len(self.others) if self.noisy else self._quiet_flags()
        known = [o for o, q in zip(self.others, flags) if q and o is not None]
        return max(known) if known else None

    @classmethod
    def from_runs(cls, samples: list[float], others: list[float | None], need: int,
                  own: list[float | None] | None = None) -> Timing:
        """``own``: the cores this process used in each run (CpuMeter.own); without it a
        run is quiet when others <= BUSY_CORES."""
        flags = quiet_runs(others, own)
        quiet = [s for s, q in zip(samples, flags) if q]
        noisy = len(quiet) < need
        used = samples if noisy else quiet
        return cls(statistics.median(used), min(used), tuple(samples), tuple(others),
                   len(quiet), noisy, busy_limit(others, own), tuple(flags))


def time_calls(fn: Callable[[], Any], *, number: int, repeats: int, warmup: int,
               max_repeats: int | None = None) -> Timing:
    """Call ``fn`` ``warmup`` times untimed, then time runs of ``number`` calls until
    ``repeats`` runs were quiet (see :func:`busy_limit`) or ``max_repeats`` runs (default
    3 x repeats) were made. See :class:`Timing`."""
    if number < 1 or repeats < 1 or warmup < 0:
        raise ValueError(f"time_calls: need number >= 1, repeats >= 1, warmup >= 0, got "
                         f"{number}, {repeats}, {warmup}")
    limit = max(repeats, max_repeats if max_repeats is not None else 3 * repeats)
    for _ in range(warmup):
        fn()
    clock = time.perf_counter
    samples: list[float] = []
    others: list[float | None] = []
    own: list[float | None] = []
    meter = CpuMeter()
    while len(samples) < limit:
        meter.start()
        t0 = clock()
        for _ in range(number):
            fn()
        samples.append((clock() - t0) / number)
        others.append(meter.stop())
        own.append(meter.own)
        if sum(quiet_runs(others, own)) >= repeats:
            break
    return Timing.from_runs(samples, others, min(3, repeats), own)


def calls_for(fn: Callable[[], Any], seconds: float = 0.15) -> int:
    """How many calls of ``fn`` take about ``seconds`` (after one untimed call): runs that
    short are too coarse for :class:`CpuMeter`, which counts in scheduler ticks."""
    fn()
    clock = time.perf_counter
    n, elapsed = 1, 0.0
    while True:
        t0 = clock()
        for _ in range(n):
            fn()
        elapsed = clock() - t0
        if elapsed >= 0.01 or n >= 1_000_000:
            break
        n *= 10
    return max(1, min(1_000_000, math.ceil(seconds * n / max(elapsed, 1e-9))))


def proc_status_mb(field: str) -> float | None:
    """A memory field of /proc/self/status (``VmRSS``, ``VmHWM``, ...) in MB (2**20 bytes),
    or None where /proc is not available (not Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    value, unit = line.split()[1:3]
                    if unit != "kB":
                        raise ValueError(f"/proc/self/status: unexpected unit {unit!r} "
                                         f"for {field}")
                    return int(value) / 1024.0
    except OSError:
        return None
    raise ValueError(f"/proc/self/status has no field {field!r}")


def blas_threads() -> tuple[int, str]:
    """How many threads NumPy's BLAS uses, and how that was found out."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if blas:
            return int(blas[0]["num_threads"]), f"threadpoolctl: {blas[0]['internal_api']}"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value), f"${var}"
    try:
        return len(os.sched_getaffinity(0)), "CPUs this process may run on"
    except AttributeError:
        return os.cpu_count() or 1, "os.cpu_count()"


def import_torch() -> Any | None:
    """The ``torch`` module, or None when PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def matmul_peak(n: int = 4096, repeats: int = 5) -> tuple[float, Timing]:
    """This machine's float32 matmul rate in GFLOP/s: median time of ``a @ b`` for two
    n x n matrices (2 n^3 FLOPs), written into a preallocated result."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    timing = time_calls(lambda: np.matmul(a, b, out=out), number=1, repeats=repeats, warmup=1)
    return 2.0 * n ** 3 / timing.median / 1e9, timing


def wait_until_quiet(max_s: float, window_s: float = 2.0, threshold: float = 0.1) -> float:
    """Sleep until other processes use at most ``threshold`` cores over ``window_s``, or
    ``max_s`` seconds have passed; return the seconds waited (0 if /proc is unavailable)."""
    t0 = time.perf_counter()
    meter = CpuMeter()
    while time.perf_counter() - t0 < max_s:
        meter.start()
        time.sleep(window_s)
        others = meter.stop()
        if others is None or others <= threshold:
            break
    return time.perf_counter() - t0


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def machine_summary() -> list[str]:
    """Lines describing the interpreter, NumPy/BLAS and the CPU."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    threads, how = blas_threads()
    return [
        f"python {platform.python_version()} ({sys.executable})",
        f"numpy {np.__version__}; BLAS threads: {threads} ({how}); "
        f"os.cpu_count() = {os.cpu_count()}",
        f"cpu: {cpu}; load average (1/5/15 min): {load_average()}",
    ]


#: Share of the paired rounds that must fall on one side of a target for the comparison to
#: count as decided by its runs.
DECIDED_SHARE = 0.8


@dataclass(frozen=True)
class PairedRatio:
    """``num / den`` of two timings measured in the same alternating rounds, round by round.

    ``median`` is the median of the per-round ratios, ``lo``/``hi`` their range. Against a
    target, the comparison is *decided* when at least :data:`DECIDED_SHARE` of the rounds
    (and at least 3) fall on one side of it; otherwise the runs do not say which side the
    truth is on, and the verdict is UNDECIDED whatever the median says."""

    ratios: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    @property
    def lo(self) -> float:
        return min(self.ratios)

    @property
    def hi(self) -> float:
        return max(self.ratios)

    def verdict(self, goal: float, *, at_most: bool = False) -> str:
        """PASS, FAIL or UNDECIDED against ``ratio >= goal`` (``ratio <= goal`` with
        ``at_most``), with how many rounds say so and the ratios' range."""
        n = len(self.ratios)
        ok = sum((r <= goal) if at_most else (r >= goal) for r in self.ratios)
        side = (f"{ok} of {n} rounds {'<=' if at_most else '>='} {goal:.3g}, "
                f"range {self.lo:.3g}..{self.hi:.3g}")
        if n >= 3 and ok >= DECIDED_SHARE * n:
            return f"PASS ({side})"
        if n >= 3 and n - ok >= DECIDED_SHARE * n:
            return f"FAIL ({side})"
        return f"UNDECIDED: the rounds disagree ({side})"


def paired_ratio(num: Timing, den: Timing) -> PairedRatio:
    """Per-round ``num / den`` of two timings from the same alternating rounds, over the
    rounds that were quiet for both (all rounds if fewer than 3 were)."""
    n = min(len(num.samples), len(den.samples))
    qn, qd = num._quiet_flags(), den._quiet_flags()
    both = [i for i in range(n) if qn[i] and qd[i]]
    rounds = both if len(both) >= 3 else list(range(n))
    return PairedRatio(tuple(num.samples[i] / den.samples[i] for i in rounds))
