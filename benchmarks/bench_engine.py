"""Engine benchmark: training speed of nncore against this machine's matmul peak and PyTorch.

Run by hand from the repository root::

    .venv/bin/python benchmarks/bench_engine.py [--quick] [--only A,C] [--profile]
                                                [--wait-quiet SECONDS] [--no-torch]

Workloads (all float32, fixed seeds, synthetic data):

* A: 2-8-8-1 MLP, tanh hidden layers, linear output, batch 10, SGD lr 0.03, MSE.
  Target: a raw training step at least 10x faster than PyTorch's; Trainer.fit at most
  20% over the raw step.
* B: 784-512-256-10 MLP, ReLU, softmax output, batch 128, Adam lr 1e-3, categorical
  cross-entropy on integer labels. Target: no slower than PyTorch (torch ms / ours ms >= 1),
  by the median and by the fastest run of each.
* C: 784-2048-2048-10 MLP, ReLU, softmax output, batch 256, Adam lr 1e-3, categorical
  cross-entropy. Target: no slower than PyTorch; Trainer.fit at most 3% over the raw step.
  The share of the float32 matmul peak (measured in the same rounds) is printed beside it.
* D: memory of training C with the Trainer (fresh subprocess): peak RSS (VmHWM) at most
  250 MB above the RSS after importing numpy and nncore.

Our engine is timed twice: the raw step exactly as a PyTorch loop does it (forward, loss,
backward, optimizer step on one fixed batch) and the full :class:`nncore.trainer.Trainer`
(shuffling, batch gathering, gradient/weight-norm statistics, events, epoch bookkeeping),
whose ms/step is its elapsed time divided by its steps. PyTorch runs the identical workload
(same sizes, initial weights, batch, optimizer and hyperparameters, thread count) with the
idiomatic loop: zero_grad(set_to_none=True), forward, loss, backward, step. The
configurations of a workload are measured in alternating rounds so that a change of the
machine's load hits all of them; see benchmarks/README.md for how busy runs are handled.
Each comparison is judged round by round (``_common.PairedRatio``): it reads PASS or FAIL
only when at least 80% of the rounds fall on that side of the target, else UNDECIDED (the
ratio's spread across rounds is wider than its distance from the target).

``--profile`` adds, for A, B and C, a breakdown of where a step's time goes (phases,
per-layer matmul vs element-wise work, Adam vs chunk size, the Trainer's per-step extras,
cProfile's top functions).
"""

from __future__ import annotations

# isort: off
import nncore  # noqa: F401 (first: the engine's BLAS settings apply before NumPy loads)
# isort: on

import argparse
import cProfile
import json
import math
import os
import pstats
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BUSY_CORES,
    CpuMeter,
    Timing,
    blas_threads,
    calls_for,
    import_torch,
    load_average,
    machine_summary,
    matmul_peak,
    paired_ratio,
    proc_status_mb,
    time_calls,
    wait_until_quiet,
)

from nncore.config import TrainingConfig  # noqa: E402
from nncore.events import BatchEnd  # noqa: E402
from nncore.losses import Loss, get_loss  # noqa: E402
from nncore.metrics import correct_predictions  # noqa: E402
from nncore.network import Network, _take  # noqa: E402
from nncore.optimizers import Optimizer, get_optimizer  # noqa: E402
from nncore.schedules import learning_rate  # noqa: E402
from nncore.spec import GraphSpec  # noqa: E402
from nncore.trainer import Trainer  # noqa: E402

MEMORY_LIMIT_MB = 250.0
#: --wait-quiet: before each measurement, wait up to this many seconds for an idle CPU.
_WAIT_QUIET_S = 0.0
A_SPEEDUP_TARGET = 10.0
B_RATIO_TARGET = 1.0
C_RATIO_TARGET = 1.0
C_PEAK_TARGET = 0.70
#: Trainer.fit's cost over the raw step, at most (A: tiny steps, so per-batch Python shows).
FIT_OVERHEAD_TARGET = {"A": 0.20, "C": 0.03}


# -- workloads -------------------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    name: str
    sizes: tuple[int, ...]
    hidden: str
    output: str
    batch: int
    optimizer: str
    lr: float
    loss: str
    #: Samples in the Trainer's synthetic dataset.
    n_train: int

    @property
    def title(self) -> str:
        opt = {"sgd": "SGD", "adam": "Adam"}[self.optimizer]
        loss = {"mse": "MSE", "categorical_crossentropy":
                "softmax cross-entropy (integer labels)"}[self.loss]
        return (f"{'-'.join(map(str, self.sizes))} MLP, {self.hidden} hidden, {self.output} "
                f"output, batch {self.batch}, {opt} lr {self.lr:g}, {loss}")

    def flops(self) -> float:
        """Matmul FLOPs of one training step (see COUNTING_RULE)."""
        fwd = sum(2.0 * self.batch * a * b for a, b in zip(self.sizes, self.sizes[1:]))
        first_dx = 2.0 * self.batch * self.sizes[0] * self.sizes[1]
        return fwd + 2.0 * fwd - first_dx


COUNTING_RULE = (
    "FLOPs/step = matmul FLOPs only: 2*B*in*out per Dense forward, twice that for its "
    "backward (dW and dX), minus the first layer's dX, which neither engine computes; bias, "
    "activation, loss and optimizer work is not counted.")

WORKLOADS: dict[str, Workload] = {
    w.name: w for w in (
        Workload("A", (2, 8, 8, 1), "tanh", "linear", 10, "sgd", 0.03, "mse", 500),
        Workload("B", (784, 512, 256, 10), "relu", "softmax", 128, "adam", 1e-3,
                 "categorical_crossentropy", 2048),
        Workload("C", (784, 2048, 2048, 10), "relu", "softmax", 256, "adam", 1e-3,
                 "categorical_crossentropy", 2048),
    )
}


def graph_of(w: Workload) -> GraphSpec:
    layers: list[tuple[str, dict[str, Any]]] = [("Input", {"shape": [w.sizes[0]]})]
    for units in w.sizes[1:-1]:
        layers.append(("Dense", {"units": units, "activation": w.hidden}))
    layers.append(("Dense", {"units": w.sizes[-1], "activation": w.output}))
    return GraphSpec.sequential(layers)


def make_data(w: Workload, n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic inputs and learnable targets: float (n, 1) for MSE, int64 labels (n,) from
    a random linear teacher for cross-entropy."""
    rng = np.random.default_rng(seed)
    if w.loss == "mse":
        x = rng.standard_normal((n, w.sizes[0]), dtype=np.float32)
        y = np.tanh(x[:, :1] * x[:, 1:2]) + 0.5 * np.sin(x[:, :1])
        return x, y.astype(np.float32)
    x = rng.random((n, w.sizes[0]), dtype=np.float32)
    teacher = rng.standard_normal((w.sizes[0], w.sizes[-1])).astype(np.float32)
    return x, (x @ teacher).argmax(axis=1).astype(np.int64)


@dataclass
class Ours:
    net: Network
    loss: Loss
    opt: Optimizer

    def step_fn(self, xb: np.ndarray, yb: np.ndarray, lr: float) -> Callable[[], None]:
        net, loss, opt = self.net, self.loss, self.opt

        def step() -> None:
            out = net.forward(xb, True)
            loss.forward(out, yb)
            net.backward(loss.backward())
            opt.step(lr)

        return step


def build_ours(w: Workload) -> Ours:
    net = Network(graph_of(w), seed=0)
    loss = get_loss(w.loss)
    net.set_fused_output(loss.fused_activation is not None)
    opt = get_optimizer(w.optimizer)
    opt.bind(net.params_flat[:net.n_trainable], net.grads_flat)
    return Ours(net, loss, opt)


def settle(log: Callable[[str], None], what: str) -> None:
    """With --wait-quiet, wait for other processes to leave the CPU before measuring."""
    if _WAIT_QUIET_S > 0:
        waited = wait_until_quiet(_WAIT_QUIET_S)
        if waited > 2.5:
            log(f"waited {waited:.0f} s for an idle CPU before {what}")


def gflops(w: Workload, seconds: float) -> float:
    return w.flops() / seconds / 1e9


# -- alternating measurement -----------------------------------------------------------
#: One timed run of a configuration: returns (seconds per step, cores other processes used,
#: cores this process used), the last two from CpuMeter (None where unknown).
Runner = Callable[[], tuple[float, float | None, float | None]]
#: Idle time before each run of an alternation: OpenBLAS's worker threads keep spinning for
#: about 0.1 s after a BLAS call, and would steal a core from the next configuration.
GAP_S = 0.2


def step_runner(step: Callable[[], Any], number: int, warmup: int = 2) -> Runner:
    """Runs ``warmup`` untimed steps, then times ``number`` steps."""
    meter = CpuMeter()

    def run() -> tuple[float, float | None, float | None]:
        for _ in range(warmup):
            step()
        meter.start()
        t0 = time.perf_counter()
        for _ in range(number):
            step()
        elapsed = time.perf_counter() - t0
        others = meter.stop()
        return elapsed / number, others, meter.own

    return run


class TrainerRunner:
    """Trainer.fit on a synthetic dataset; one run = one fit of ``epochs`` epochs on the same
    Trainer (its optimizer state carries over, as in one long run). A first, untimed fit
    warms it up. Seconds per step = the fit's elapsed time / its steps."""

    def __init__(self, w: Workload, epochs: int) -> None:
        self.w, self.epochs = w, epochs
        self.x, self.y = make_data(w, w.n_train)
        self.steps_per_epoch = math.ceil(w.n_train / w.batch)
        net = Network(graph_of(w), seed=0)
        cfg = TrainingConfig(loss=w.loss, optimizer=w.optimizer, learning_rate=w.lr,
                             batch_size=w.batch, epochs=epochs, seed=0)
        self.trainer = Trainer(net, cfg)
        self.meter = CpuMeter()
        self.total_s, self.total_steps, self.last_loss = 0.0, 0, math.nan
        self._fit()

    def _fit(self) -> float:
        fin = self.trainer.fit(self.x, self.y)
        if fin.reason != "completed":
            raise RuntimeError(f"workload {self.w.name}: the Trainer stopped early "
                               f"({fin.reason}: {fin.message})")
        self.last_loss = fin.history.train_loss[-1]
        return fin.elapsed

    def __call__(self) -> tuple[float, float | None, float | None]:
        self.meter.start()
        elapsed = self._fit()
        others = self.meter.stop()
        steps = self.epochs * self.steps_per_epoch
        self.total_s += elapsed
        self.total_steps += steps
        return elapsed / steps, others, self.meter.own


def alternate(runners: dict[str, Runner], repeats: int, log: Callable[[str], None],
              tag: str) -> dict[str, Timing]:
    """Rounds of one run of each runner in turn (after a GAP_S pause each), until each has
    ``repeats`` quiet runs or 3 x repeats rounds were made: a change of the machine's load
    hits all of them alike."""
    samples: dict[str, list[float]] = {k: [] for k in runners}
    others: dict[str, list[float | None]] = {k: [] for k in runners}
    own: dict[str, list[float | None]] = {k: [] for k in runners}

    def timing(k: str) -> Timing:
        return Timing.from_runs(samples[k], others[k], min(3, repeats), own[k])

    for rnd in range(1, 3 * repeats + 1):
        for k, run in runners.items():
            time.sleep(GAP_S)
            sec, o, mine = run()
            samples[k].append(sec)
            others[k].append(o)
            own[k].append(mine)
        log(f"{tag} round {rnd}: " + ", ".join(
            f"{k} {samples[k][-1] * 1e3:.4g} ms (others {fmt_cores(others[k][-1])}, "
            f"own {fmt_cores(own[k][-1])})" for k in runners))
        if min(timing(k).quiet for k in runners) >= repeats:
            break
    return {k: timing(k) for k in runners}


def fmt_cores(c: float | None) -> str:
    return "?" if c is None else f"{c:.2f}"


# -- results ---------------------------------------------------------------------------
@dataclass
class Result:
    workload: Workload
    raw: Timing
    trainer: Timing
    trainer_info: str
    torch: dict[str, Timing] = field(default_factory=dict)
    #: The matmul peak measured in this workload's own rounds (C only), GFLOP/s and timing.
    peak: tuple[float, Timing] | None = None
    check: str = ""

    def best_torch(self) -> tuple[str, Timing] | None:
        if not self.torch:
            return None
        return min(self.torch.items(), key=lambda kv: kv[1].median)


# -- PyTorch ---------------------------------------------------------------------------
def torch_model(torch: Any, w: Workload, ours: Ours) -> tuple[Any, Any]:
    """A torch.nn.Sequential with our network's initial weights, and the loss module."""
    nn = torch.nn
    weights = ours.net.get_weights()
    mods: list[Any] = []
    n_dense = len(w.sizes) - 1
    for i, (a, b) in enumerate(zip(w.sizes, w.sizes[1:])):
        lin = nn.Linear(a, b)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(weights[f"dense{i + 1}/W"].T.copy()))
            lin.bias.copy_(torch.from_numpy(weights[f"dense{i + 1}/b"]))
        mods.append(lin)
        if i < n_dense - 1:
            mods.append({"tanh": nn.Tanh, "relu": nn.ReLU}[w.hidden]())
    lossf = nn.MSELoss() if w.loss == "mse" else nn.CrossEntropyLoss()
    return nn.Sequential(*mods), lossf


def torch_optimizer(torch: Any, w: Workload, model: Any, variant: str) -> Any:
    if w.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=w.lr)
    kwargs = {"foreach": True} if variant == "foreach=True" else {}
    return torch.optim.Adam(model.parameters(), lr=w.lr, **kwargs)


def torch_variants(w: Workload) -> list[str]:
    return ["default"] if w.optimizer == "sgd" else ["default", "foreach=True"]


def torch_step_fn(model: Any, lossf: Any, opt: Any, xb: Any, yb: Any) -> Callable[[], Any]:
    def step() -> Any:
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    return step


def torch_adam_impl(torch: Any) -> str:
    """Which Adam implementation torch picks by default for CPU tensors."""
    try:
        from torch.optim.optimizer import _default_to_fused_or_foreach
    except ImportError:
        return "unknown"
    fused, foreach = _default_to_fused_or_foreach([torch.zeros(1)], False, False)
    return "fused" if fused else ("foreach" if foreach else "single-tensor for-loop")


def same_workload_check(torch: Any, w: Workload) -> str:
    """Identical initial weights and batch must give the same losses in both engines."""
    x, y = make_data(w, w.batch)
    ours = build_ours(w)
    model, lossf = torch_model(torch, w, ours)
    step = torch_step_fn(model, lossf, torch_optimizer(torch, w, model, "default"),
                         torch.from_numpy(x), torch.from_numpy(y))
    mine, theirs = [], []
    for _ in range(3):
        out = ours.net.forward(x, True)
        mine.append(ours.loss.forward(out, y))
        ours.net.backward(ours.loss.backward())
        ours.opt.step(w.lr)
        theirs.append(float(step().item()))
    rel = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(mine, theirs))
    return (f"same start weights and batch, losses of 3 steps: ours "
            f"{', '.join(f'{v:.6g}' for v in mine)}; torch "
            f"{', '.join(f'{v:.6g}' for v in theirs)} (max rel. diff {rel:.1e})")


# -- one workload ----------------------------------------------------------------------
def bench_workload(w: Workload, quick: bool, torch: Any | None,
                   log: Callable[[str], None]) -> Result:
    run_s = 0.1 if quick else 0.2
    repeats = 4 if quick else 7
    x, y = make_data(w, w.batch)
    ours = build_ours(w)
    step = ours.step_fn(x, y, w.lr)
    number = calls_for(step, run_s)
    per_step = run_s / number
    runners: dict[str, Runner] = {"ours raw": step_runner(step, number)}
    spe = math.ceil(w.n_train / w.batch)
    fit_s = 0.25 if quick else 0.5
    epochs = max(1 if quick else 2, round(fit_s / (per_step * spe)))
    log(f"{w.name}: building the Trainer ({epochs} epochs x {spe} steps per run)")
    trainer = TrainerRunner(w, epochs)
    runners["ours Trainer"] = trainer
    check = ""
    if torch is not None:
        check = same_workload_check(torch, w)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        for variant in torch_variants(w):
            model, lossf = torch_model(torch, w, build_ours(w))
            tstep = torch_step_fn(model, lossf, torch_optimizer(torch, w, model, variant),
                                  xt, yt)
            runners[f"torch {variant}"] = step_runner(tstep, calls_for(tstep, run_s))
    n_peak = 4096
    if w.name == "C":
        rng = np.random.default_rng(0)
        a = rng.standard_normal((n_peak, n_peak), dtype=np.float32)
        b = rng.standard_normal((n_peak, n_peak), dtype=np.float32)
        out = np.empty((n_peak, n_peak), np.float32)
        runners["peak"] = step_runner(lambda: np.matmul(a, b, out=out), 1, warmup=1)
    settle(log, f"workload {w.name}")
    t = alternate(runners, repeats, log, w.name)
    info = (f"each run {epochs} epochs x {spe} steps ({w.n_train} samples); all runs: "
            f"{trainer.total_steps} steps in {trainer.total_s:.2f} s = "
            f"{trainer.total_s / trainer.total_steps * 1e3:.4f} ms/step; last train loss "
            f"{trainer.last_loss:.4g}")
    res = Result(w, t.pop("ours raw"), t.pop("ours Trainer"), info, check=check)
    if "peak" in t:
        pt = t.pop("peak")
        res.peak = (2.0 * n_peak ** 3 / pt.median / 1e9, pt)
    res.torch = {k.removeprefix("torch "): v for k, v in t.items()}
    return res


# -- memory (workload D) ----------------------------------------------------------------
def memory_child(mode: str, epochs: int) -> None:
    """Runs in a fresh interpreter: train workload C, print RSS figures as JSON."""
    base_rss, base_hwm = proc_status_mb("VmRSS"), proc_status_mb("VmHWM")
    if base_rss is None:
        print(json.dumps({"error": "/proc/self/status is not available"}))
        return
    w = WORKLOADS["C"]
    x, y = make_data(w, w.n_train)
    if mode == "trainer":
        net = Network(graph_of(w), seed=0)
        cfg = TrainingConfig(loss=w.loss, optimizer=w.optimizer, learning_rate=w.lr,
                             batch_size=w.batch, epochs=epochs, seed=0)
        trainer = Trainer(net, cfg)
        trainer.fit(x, y)
        steps = epochs * math.ceil(w.n_train / w.batch)
        opt_state = sum(a.nbytes for a in trainer.optimizer.state.values())
    else:
        ours = build_ours(w)
        net = ours.net
        steps = 8 * epochs
        step = ours.step_fn(x[:w.batch], y[:w.batch], w.lr)
        for _ in range(steps):
            step()
        opt_state = sum(a.nbytes for a in ours.opt.state.values())
    mb = 2.0 ** 20
    print(json.dumps({
        "base_rss": base_rss, "base_hwm": base_hwm, "peak": proc_status_mb("VmHWM"),
        "end_rss": proc_status_mb("VmRSS"), "steps": steps,
        "params_mb": net.params_flat.nbytes / mb, "grads_mb": net.grads_flat.nbytes / mb,
        "opt_mb": opt_state / mb, "data_mb": (x.nbytes + y.nbytes) / mb,
    }))


def bench_memory(quick: bool, log: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    epochs = 2 if quick else 4
    out = {}
    for mode in ("trainer", "raw"):
        log(f"D: memory, {mode} loop in a fresh interpreter")
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--memory-child", mode,
             "--memory-epochs", str(epochs)],
            capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"memory subprocess ({mode}) failed:\n{proc.stderr}")
        out[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# -- printing --------------------------------------------------------------------------
def noisy_mark(verdict: str, *timings: Timing | None) -> str:
    noisy = any(t is not None and t.noisy for t in timings)
    return verdict + (" (from NOISY figures: unreliable)" if noisy else "")


def fmt_others(others: float | None, limit: float | None = None) -> str:
    text = "others n/a" if others is None else f"others <= {others:.2f} cores"
    return text if limit is None else f"{text} (limit {limit:.2f})"


def line(label: str, ms: float, w: Workload, peak: float, extra: str) -> str:
    g = gflops(w, ms / 1e3)
    return (f"   {label:19} {ms:10.4f} ms/step {g:9.3f} GFLOP/s {g / peak:6.1%} of peak"
            f"   {extra}")


def diag(t: Timing, what: str = "runs") -> str:
    used = len(t.samples) if t.noisy else t.quiet
    flag = " (NOISY: too few quiet)" if t.noisy else ""
    return (f"[median of {used}/{len(t.samples)} {what}{flag}, min {t.min * 1e3:.4f}, "
            f"spread {t.spread:.0%}, {fmt_others(t.max_others, t.limit)}]")


def print_result(res: Result, peak: float) -> list[tuple[str, str, str, str]]:
    w = res.workload
    raw, tr = res.raw, res.trainer
    if res.peak is not None:
        peak, pt = res.peak
    print(f"\n{w.name}  {w.title}")
    print(f"   {w.flops() / 1e9:.6g} GFLOP/step by the counting rule")
    if res.peak is not None:
        print(f"   matmul peak measured in the same rounds: {peak:.1f} GFLOP/s {diag(pt)}")
    print(line("ours, raw step", raw.ms, w, peak, diag(raw)))
    print(line("ours, Trainer.fit", tr.ms, w, peak, diag(tr, "fits")))
    over = tr.ms - raw.ms
    print(f"      Trainer overhead {over:+.4f} ms/step ({over / raw.ms:+.0%} of the raw step); "
          f"{res.trainer_info}")
    for variant, t in res.torch.items():
        print(line(f"torch {variant}", t.ms, w, peak, diag(t)))
        print(f"      ratio torch/ours: {t.median / raw.median:.2f} vs our raw step, "
              f"{t.median / tr.median:.2f} vs our Trainer")
    if res.check:
        print(f"   check: {res.check}")
    return target_rows(res, peak)


def target_rows(res: Result, peak: float) -> list[tuple[str, str, str, str]]:
    """The workload's targets: each comparison is judged round by round (a PairedRatio), so
    a verdict the rounds do not agree on reads UNDECIDED instead of PASS or FAIL."""
    w, raw = res.workload, res.raw
    rows: list[tuple[str, str, str, str]] = []
    best = res.best_torch()
    goal = {"A": A_SPEEDUP_TARGET, "B": B_RATIO_TARGET, "C": C_RATIO_TARGET}[w.name]
    what = f"raw step >= {goal:g}x PyTorch's speed (torch ms / ours ms)"
    if best is None:
        rows.append((w.name, what, "n/a", "SKIP (PyTorch not compared)"))
    else:
        if len(res.torch) > 1:
            what += f", fastest variant {best[0]}"
        ratio = paired_ratio(best[1], raw)
        rows.append((w.name, what, f"{ratio.median:.2f}x", noisy_mark(
            ratio.verdict(goal), raw, best[1])))
        if w.name == "B":
            by_min = best[1].min / raw.min
            rows.append((w.name, f"... and by the fastest run of each (min / min) >= {goal:g}",
                         f"{by_min:.2f}x", "PASS" if by_min >= goal else "FAIL"))
    if w.name in FIT_OVERHEAD_TARGET:
        limit = FIT_OVERHEAD_TARGET[w.name]
        over = paired_ratio(res.trainer, raw)  # fit ms / raw ms per round
        rows.append((w.name, f"Trainer.fit at most +{limit:.0%} over the raw step (fit/raw)",
                     f"{over.median - 1:+.1%}",
                     noisy_mark(over.verdict(1 + limit, at_most=True), raw, res.trainer)))
    if w.name == "C":
        frac = gflops(w, raw.median) / peak
        rows.append(("C", "raw step's share of the matmul peak (informational; was >= 70%)",
                     f"{frac:.1%}", ""))
    for _name, what, value, v in rows:
        print(f"   target: {what}: {value} -> {v}")
    return rows


def print_memory(mem: dict[str, dict[str, Any]]) -> tuple[str, str, str, str]:
    w = WORKLOADS["C"]
    print(f"\nD  memory of training C ({w.title}) in a fresh interpreter")
    what = "Trainer on C: peak RSS <= 250 MB above baseline"
    if "error" in mem["trainer"]:
        print(f"   not measured: {mem['trainer']['error']}")
        return ("D", what, "n/a", "SKIP (no /proc)")
    print("   baseline = VmRSS after importing numpy and nncore, before building the network "
          "and the dataset; peak = VmHWM at the end")
    for mode, label in (("trainer", "Trainer.fit"), ("raw", "raw loop   ")):
        m = mem[mode]
        print(f"   {label}: baseline {m['base_rss']:.1f} MB (VmHWM then {m['base_hwm']:.1f}), "
              f"peak {m['peak']:.1f} MB, end {m['end_rss']:.1f} MB after {m['steps']} steps "
              f"-> peak - baseline = {m['peak'] - m['base_rss']:.1f} MB")
    m = mem["trainer"]
    print(f"   arrays: params {m['params_mb']:.1f} MB, grads {m['grads_mb']:.1f} MB, optimizer "
          f"state {m['opt_mb']:.1f} MB, dataset {m['data_mb']:.1f} MB")
    rise = m["peak"] - m["base_rss"]
    row = ("D", what, f"{rise:.1f} MB", "PASS" if rise <= MEMORY_LIMIT_MB else "FAIL")
    print(f"   target: {row[1]}: {row[2]} -> {row[3]}")
    return row


# -- profile ---------------------------------------------------------------------------
def median_ms(samples: list[float]) -> float:
    return float(np.median(samples)) * 1e3


def profile_phases(w: Workload, steps: int) -> dict[str, float]:
    """Median ms of each phase of the raw step, timed inside the same steps."""
    time.sleep(GAP_S)
    ours = build_ours(w)
    net, loss, opt = ours.net, ours.loss, ours.opt
    x, y = make_data(w, w.batch)
    names = ("net.forward", "loss.forward", "loss.backward", "net.backward", "opt.step")
    acc: dict[str, list[float]] = {n: [] for n in names}
    total: list[float] = []
    clock = time.perf_counter
    meter = CpuMeter()
    meter.start()
    for i in range(steps + 3):
        t0 = clock()
        out = net.forward(x, True)
        t1 = clock()
        loss.forward(out, y)
        t2 = clock()
        g = loss.backward()
        t3 = clock()
        net.backward(g)
        t4 = clock()
        opt.step(w.lr)
        t5 = clock()
        if i >= 3:
            for n, a, b in zip(names, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5)):
                acc[n].append(b - a)
            total.append(t5 - t0)
    res = {n: median_ms(v) for n, v in acc.items()}
    res["whole step"] = median_ms(total)
    others = meter.stop()
    res["others"] = -1.0 if others is None else others
    return res


def profile_layers(w: Workload, repeats: int) -> list[str]:
    """Per Dense layer: forward and backward time, and the time of their matmuls alone."""
    ours = build_ours(w)
    net = ours.net
    x, _ = make_data(w, w.batch)
    net.forward(x, True)
    acts = net.activations()
    rows = []
    tot = {"fwd": 0.0, "fwd_mm": 0.0, "bwd": 0.0, "bwd_mm": 0.0}
    noisy = False
    order = net.order
    for i, node in enumerate(order):
        layer = net.layers[node]
        if layer.type_name != "Dense":
            continue
        xin = acts[order[i - 1]]
        wmat = layer.weights["W"]
        gout = np.random.default_rng(0).standard_normal(
            (w.batch, wmat.shape[1]), dtype=np.float32)
        zbuf = np.empty((w.batch, wmat.shape[1]), np.float32)
        dw = np.empty_like(wmat)

        def fwd(layer=layer, xin=xin):
            layer.forward(xin, True)

        def bwd(layer=layer, gout=gout):
            layer.backward(gout)

        def fwd_mm(xin=xin, wmat=wmat, zbuf=zbuf):
            np.matmul(xin, wmat, out=zbuf)

        need_dx = layer.need_input_grad

        def bwd_mm(xin=xin, wmat=wmat, gout=gout, dw=dw, need_dx=need_dx):
            np.matmul(xin.T, gout, out=dw)
            if need_dx:
                np.matmul(gout, wmat.T)

        t = {}
        for k, f in (("fwd", fwd), ("fwd_mm", fwd_mm), ("bwd", bwd), ("bwd_mm", bwd_mm)):
            tk = time_calls(f, number=calls_for(f, 0.2), repeats=repeats, warmup=1)
            t[k] = tk.median * 1e3
            noisy |= tk.noisy
        layer.forward(xin, True)  # leave the layer's state consistent
        for k in tot:
            tot[k] += t[k]
        rows.append(f"      {node} {wmat.shape[0]}x{wmat.shape[1]} ({layer.activation_name}"
                    f"{', fused' if layer.skip_activation else ''}): forward {t['fwd']:.4f} "
                    f"ms (matmul alone {t['fwd_mm']:.4f}); backward {t['bwd']:.4f} ms "
                    f"(matmuls alone {t['bwd_mm']:.4f}{'' if need_dx else ', no dX'})")
    mm = tot["fwd_mm"] + tot["bwd_mm"]
    rows.append(f"      sum: forward {tot['fwd']:.4f} ms, backward {tot['bwd']:.4f} ms; "
                f"matmuls alone {mm:.4f} ms = {gflops(w, mm / 1e3):.2f} GFLOP/s "
                f"(the best this step shape allows with NumPy's BLAS)"
                f"{'; NOISY: measured while the CPU was busy' if noisy else ''}")
    return rows


def profile_trainer_extras(w: Workload) -> list[str]:
    """Time, in isolation, each thing Trainer.fit does per step beyond the raw step.

    This mirrors the Trainer's loop from outside, through its (private) helpers; an item
    whose helper no longer exists prints n/a. cProfile of Trainer.fit is the ground truth."""
    net = Network(graph_of(w), seed=0)
    cfg = TrainingConfig(loss=w.loss, optimizer=w.optimizer, learning_rate=w.lr,
                         batch_size=w.batch, epochs=1, seed=0)
    tr = Trainer(net, cfg)
    x, y = make_data(w, w.n_train)
    x, t = tr.prepare(x, y, "training data")
    n, bs = len(t), w.batch
    steps = math.ceil(n / bs)
    idx = net.rng.permutation(n)[:bs]
    xb, tb = _take(x, idx, net.dtype), t[idx]
    out = net.forward(xb, True)
    tr.loss.forward(out, tb)
    net.backward(tr.loss.backward())
    g_all, p_all = net.grads_flat, net.params_flat
    ctl = tr.control
    good = net.snapshot()

    if hasattr(net, "layer_norms"):
        def norms(buf: np.ndarray) -> Any:
            return net.layer_norms(buf)
        how = "net.layer_norms"
    else:
        def norms(buf: np.ndarray) -> Any:
            slices = net.layer_grad_slices if buf is g_all else net.layer_weight_slices
            return tr._norms(buf, slices)
        how = "Trainer._norms"
    gn = norms(g_all)

    def control_checks() -> None:
        if ctl.requested and ctl.checkpoint(lambda: None):
            raise RuntimeError("stopped")

    def batch_end() -> Any:
        names = list(net.layer_grad_slices)
        g = dict(zip(names, gn.tolist())) if isinstance(gn, np.ndarray) else gn
        return BatchEnd(1, 1, steps, 1, 0.5, 0.01, g, g, 0.0, [0.5])

    items: list[tuple[str, Callable[[], Any], int]] = [
        ("run-control checks", control_checks, 1),
        ("batch gather _take(x, idx) + t[idx]", lambda: (_take(x, idx, net.dtype), t[idx]), 1),
        ("learning_rate(schedule) (if not skipped)", lambda: learning_rate(
            cfg.learning_rate, cfg.schedule, cfg.schedule_params, 5, steps, cfg.epochs,
            cfg.warmup_epochs), 1),
        (f"gradient norms {how}(grads)", lambda: norms(g_all), 1),
        (f"weight norms {how}(params) for BatchEnd", lambda: norms(p_all), 1),
        ("BatchEnd(...) with dicts of norms", batch_end, 1),
        ("accuracy bookkeeping correct_predictions", (lambda: correct_predictions(
            out, tb, tr.loss.fused_activation == "softmax"))
         if tr.loss.task == "classification" else (lambda: None), 1),
        ("per epoch: rng.permutation(n)", lambda: net.rng.permutation(n), steps),
        ("per epoch: net.snapshot(good)", lambda: net.snapshot(good), steps),
        ("per epoch: weight norms for EpochEnd", lambda: norms(p_all), steps),
    ]
    rows, total = [], 0.0
    for label, fn, per in items:
        try:
            tk = time_calls(fn, number=calls_for(fn, 0.2), repeats=5, warmup=1)
        except AttributeError as e:
            rows.append(f"      {label:46} n/a ({e})")
            continue
        ms = tk.median * 1e3 / per
        total += ms
        rows.append(f"      {label:46} {ms * 1e3:9.2f} us/step"
                    f"{'  NOISY (CPU busy)' if tk.noisy else ''}")
    rows.append(f"      {'sum':46} {total * 1e3:9.2f} us/step")
    return rows


def profile_optimizer_chunks(w: Workload, repeats: int) -> list[str]:
    """opt.step time for several values of nncore.optimizers.CHUNK (the engine's chunk size
    for element-wise optimizer updates; set here only for the measurement, then restored)."""
    import nncore.optimizers as optmod

    saved = optmod.CHUNK
    rows = []
    try:
        for chunk in (1 << 12, 1 << 14, 1 << 15, 1 << 16, 1 << 18, 1 << 20, 1 << 24):
            optmod.CHUNK = chunk
            ours = build_ours(w)
            ours.net.grads_flat[:] = np.random.default_rng(0).standard_normal(
                ours.net.n_trainable, dtype=np.float32) * 1e-3
            fn = lambda ours=ours: ours.opt.step(w.lr)  # noqa: E731
            t = time_calls(fn, number=calls_for(fn, 0.2), repeats=repeats, warmup=1)
            mark = "  <- current" if chunk == saved else ""
            rows.append(f"      CHUNK {chunk:>9} ({chunk * 4 // 1024:>6} KiB per array): "
                        f"{t.ms:8.3f} ms {diag(t)}{mark}")
    finally:
        optmod.CHUNK = saved
    return rows


def profile_cprofile(fn: Callable[[], Any], steps: int, top: int) -> list[str]:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    stats = pstats.Stats(prof)
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore
    rows = [f"      {'tottime us/step':>15} {'cumtime us/step':>15} {'calls/step':>10}  function"]
    for (file, line, func), (_cc, nc, tt, ct, _callers) in entries[:top]:
        where = func if file == "~" else f"{os.path.basename(file)}:{line} {func}"
        rows.append(f"      {tt / steps * 1e6:15.2f} {ct / steps * 1e6:15.2f} "
                    f"{nc / steps:10.1f}  {where}")
    return rows


def profile_torch_phases(torch: Any, w: Workload, steps: int) -> dict[str, float]:
    time.sleep(GAP_S)
    ours = build_ours(w)
    model, lossf = torch_model(torch, w, ours)
    opt = torch_optimizer(torch, w, model, "default")
    x, y = make_data(w, w.batch)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    names = ("zero_grad", "model(x)", "loss", "loss.backward", "opt.step")
    acc: dict[str, list[float]] = {n: [] for n in names}
    clock = time.perf_counter
    meter = CpuMeter()
    meter.start()
    for i in range(steps + 3):
        t0 = clock()
        opt.zero_grad(set_to_none=True)
        t1 = clock()
        out = model(xt)
        t2 = clock()
        loss = lossf(out, yt)
        t3 = clock()
        loss.backward()
        t4 = clock()
        opt.step()
        t5 = clock()
        if i >= 3:
            for n, a, b in zip(names, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5)):
                acc[n].append(b - a)
    res = {n: median_ms(v) for n, v in acc.items()}
    others = meter.stop()
    res["others"] = -1.0 if others is None else others
    return res


def run_profile(names: list[str], quick: bool, torch: Any | None,
                log: Callable[[str], None]) -> None:
    print("\n" + "=" * 100)
    print("PROFILE (--profile): where a step's time goes")
    for name in names:
        if name not in ("A", "B", "C"):
            continue
        w = WORKLOADS[name]
        settle(log, f"profile {name}")
        log(f"profile {name}")
        steps = {"A": 3000, "B": 200, "C": 15}[name] // (3 if quick else 1)
        print(f"\n{name}  {w.title}")
        ph = profile_phases(w, steps)
        whole, others = ph.pop("whole step"), ph.pop("others")
        print(f"   raw step phases (median of {steps} steps; whole step {whole:.4f} ms; "
              f"{fmt_others(None if others < 0 else others)}):")
        for k, v in ph.items():
            print(f"      {k:15} {v:9.4f} ms  {v / whole:6.1%}")
        if torch is not None:
            tph = profile_torch_phases(torch, w, steps)
            others = tph.pop("others")
            tot = sum(tph.values())
            print(f"   torch default, same phases (sum {tot:.4f} ms; "
                  f"{fmt_others(None if others < 0 else others)}):")
            for k, v in tph.items():
                print(f"      {k:15} {v:9.4f} ms  {v / tot:6.1%}")
        print("   per Dense layer (median):")
        for row in profile_layers(w, 5 if quick else 9):
            print(row)
        if w.optimizer != "sgd":
            n = build_ours(w).net.n_trainable
            print(f"   {w.optimizer} opt.step over {n} parameters vs the chunk size:")
            for row in profile_optimizer_chunks(w, 5 if quick else 7):
                print(row)
        print("   Trainer.fit per-step extras, each timed alone (per-epoch items divided by "
              "steps/epoch):")
        for row in profile_trainer_extras(w):
            print(row)
        ours = build_ours(w)
        x, y = make_data(w, w.batch)
        step = ours.step_fn(x, y, w.lr)
        for _ in range(3):
            step()

        def loop(step=step, steps=steps):
            for _ in range(steps):
                step()

        print(f"   cProfile of {steps} raw steps, top functions by own time (profiler "
              "overhead inflates small calls):")
        for row in profile_cprofile(loop, steps, 12):
            print(row)
        x, y = make_data(w, w.n_train)
        spe = math.ceil(w.n_train / w.batch)
        epochs = max(1, steps // spe)
        net = Network(graph_of(w), seed=0)
        tr = Trainer(net, TrainingConfig(loss=w.loss, optimizer=w.optimizer,
                                         learning_rate=w.lr, batch_size=w.batch,
                                         epochs=epochs, seed=0))
        print(f"   cProfile of Trainer.fit ({epochs} epochs x {spe} steps), top functions by "
              "own time:")
        for row in profile_cprofile(lambda tr=tr, x=x, y=y: tr.fit(x, y), epochs * spe, 14):
            print(row)


# -- main ------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="fewer steps and repeats (noisier; for a fast check)")
    ap.add_argument("--only", default="",
                    help="comma-separated workloads to run, from A,B,C,D (default: all)")
    ap.add_argument("--profile", action="store_true",
                    help="also print where time goes for A, B and C")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                    help="before each measurement wait up to SECONDS for other processes to "
                         "leave the CPU (for shared machines)")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    ap.add_argument("--memory-child", choices=("trainer", "raw"), help=argparse.SUPPRESS)
    ap.add_argument("--memory-epochs", type=int, default=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    global _WAIT_QUIET_S
    _WAIT_QUIET_S = max(0.0, args.wait_quiet)
    if args.memory_child:
        memory_child(args.memory_child, args.memory_epochs)
        return 0
    names = [s.strip().upper() for s in args.only.split(",") if s.strip()] or list("ABCD")
    bad = [s for s in names if s not in ("A", "B", "C", "D")]
    if bad:
        ap.error(f"--only: unknown workload {bad[0]!r} (choose from A, B, C, D)")

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    t_start = time.perf_counter()
    threads, how = blas_threads()
    print(f"nncore engine benchmark{' (--quick)' if args.quick else ''}")
    for text in machine_summary():
        print("  " + text)
    print(f"  {COUNTING_RULE}")
    print("  Times: median over runs of N steps after warm-up. 'others' = CPU cores other "
          "processes used during a run; a run is busy when others exceed the limit (the cores "
          f"the measured code leaves idle + {BUSY_CORES}); busy runs are retried and left out "
          "of the median while enough quiet ones exist (else the line says NOISY). "
          "Trainer.fit: one run = one fit of whole epochs, its elapsed time / its steps.")

    settle(log, "the matmul peak")
    log("matmul peak")
    n_peak = 4096
    peak, pt = matmul_peak(n_peak, repeats=3 if args.quick else 5)
    print(f"  float32 matmul peak: {peak:.1f} GFLOP/s ({n_peak}x{n_peak} @ {n_peak}x{n_peak}, "
          f"median {pt.ms:.1f} ms) {diag(pt)}; C's target uses the peak measured in C's own "
          "rounds")

    torch = None if args.no_torch else import_torch()
    if torch is None:
        print("  PyTorch: not compared (" + ("--no-torch" if args.no_torch
                                             else "not importable") + ")")
    else:
        torch.set_num_threads(threads)
        print(f"  PyTorch {torch.__version__}: torch.set_num_threads({threads}) -> "
              f"{torch.get_num_threads()} threads; loop: zero_grad(set_to_none=True), forward, "
              f"loss, backward, step; initial weights copied from ours")
        print(f"  torch.optim.Adam with no arguments uses the {torch_adam_impl(torch)} "
              "implementation on CPU, so B and C also time foreach=True; B's target uses "
              "the faster torch variant")
    print("  Each workload alternates its configurations run by run (ours raw, ours Trainer, "
          "torch..., C: the peak) so that a change in machine load hits all of them.")

    results = [bench_workload(WORKLOADS[n], args.quick, torch, log)
               for n in "ABC" if n in names]
    mem = bench_memory(args.quick, log) if "D" in names else None

    rows = []
    for res in results:
        rows += print_result(res, peak)
    if mem is not None:
        rows.append(print_memory(mem))

    print(f"\nTARGETS (load average now {load_average()}; "
          f"benchmark took {time.perf_counter() - t_start:.0f} s)")
    for name, what, value, v in rows:
        print(f"  {name}  {what:66} {value:>9}  {v}")
    timings = [pt]
    for r in results:
        timings += [r.raw, r.trainer, *r.torch.values()]
        if r.peak is not None:
            timings.append(r.peak[1])
    noisy = sum(t.noisy for t in timings)
    if noisy:
        print(f"  WARNING: {noisy} measurement(s) marked NOISY ran while other processes "
              "used more cores than the limit; they read slower than on an idle machine: "
              "rerun when it is quiet (--wait-quiet helps)")

    if args.profile:
        run_profile(names, args.quick, torch, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
