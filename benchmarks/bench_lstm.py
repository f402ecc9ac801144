"""LSTM training step: the NumPy engine against PyTorch (CPU) on the identical workload.

Workload: LSTM (input 32, hidden 128, 50 steps, batch 32, last state) + Dense(1), Adam
(lr 1e-3), mean squared error, float32, fixed seeds. A "raw step" is forward, loss, backward
and the optimizer step, as a PyTorch loop does it. Target: our median step time at most
1.0 x PyTorch's with the same number of threads (judged round by round: PASS or FAIL only
when >= 80% of the rounds agree, else UNDECIDED).

    .venv/bin/python benchmarks/bench_lstm.py              # about 30 s
    .venv/bin/python benchmarks/bench_lstm.py --quick      # about 10 s
    .venv/bin/python benchmarks/bench_lstm.py --threads 1  # BLAS and torch on one thread
    .venv/bin/python benchmarks/bench_lstm.py --profile    # where the time goes

Our and PyTorch's runs alternate (ours, torch, ours, ...), so a load change on a shared
machine hits both. Each run's line reports 'others': the CPU cores other processes kept busy
during it; runs with others > 0.25 are left out of the medians while enough quiet ones exist
(otherwise the figure is marked NOISY).
"""

from __future__ import annotations

# isort: off
import nncore  # noqa: F401 (first: the engine's BLAS settings apply before NumPy loads)
# isort: on

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BUSY_CORES,
    CpuMeter,
    Timing,
    blas_threads,
    import_torch,
    machine_summary,
    paired_ratio,
)

B, T, F, H = 32, 50, 32, 128
LR = 1e-3
TARGET = 1.0


def flops() -> float:
    """Matmul FLOPs of one step as our engine computes it (the bias rides in the input
    projection, dX is not computed since the LSTM is fed by the Input)."""
    g = 4 * H
    fwd = 2 * B * T * (F + 1) * g + 2 * B * (T - 1) * H * g + 2 * B * H
    bwd = 2 * B * T * (F + 1) * g + 2 * B * T * H * g + 2 * B * (T - 1) * g * H + 4 * B * H
    return float(fwd + bwd)


def set_threads(n: int | None) -> tuple[int, str]:
    """Limit NumPy's BLAS to ``n`` threads when threadpoolctl is available."""
    have, how = blas_threads()
    if n is None:
        return have, how
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if n != have:
            print(f"  cannot set the BLAS threads without threadpoolctl; set "
                  f"OPENBLAS_NUM_THREADS={n} before starting", file=sys.stderr)
        return have, how
    threadpool_limits(limits=n, user_api="blas")
    return blas_threads()


# ---------------------------------------------------------------------------------------------
# the two implementations
# ---------------------------------------------------------------------------------------------
def build_ours() -> dict[str, Any]:
    import numpy as np

    from nncore.losses import get_loss
    from nncore.network import Network
    from nncore.optimizers import get_optimizer
    from nncore.spec import GraphSpec

    net = Network(GraphSpec.sequential([
        ("Input", {"shape": [T, F]}), ("LSTM", {"units": H}),
        ("Dense", {"units": 1, "activation": "linear"})]), seed=0)
    loss = get_loss("mse")
    opt = get_optimizer("adam")
    opt.bind(net.params_flat[:net.n_trainable], net.grads_flat)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(B, T, F)).astype(np.float32)
    y = rng.normal(size=(B, 1)).astype(np.float32)

    def step() -> float:
        out = net.forward(x, True)
        value = loss.forward(out, y)
        net.backward(loss.backward())
        opt.step(LR)
        return value

    return {"net": net, "loss": loss, "opt": opt, "x": x, "y": y, "step": step}


def build_torch(torch: Any, ours: dict[str, Any]) -> dict[str, Any]:
    """torch.nn.LSTM + Linear with our initial weights (torch's gate order i, f, g, o is
    ours), Adam with default settings, MSELoss."""
    w = ours["net"].get_weights()
    lstm = torch.nn.LSTM(F, H, batch_first=True)
    lin = torch.nn.Linear(H, 1)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(w["lstm1/W"].T.copy()))
        lstm.weight_hh_l0.copy_(torch.from_numpy(w["lstm1/U"].T.copy()))
        lstm.bias_ih_l0.copy_(torch.from_numpy(w["lstm1/b"]))
        lstm.bias_hh_l0.zero_()
        lin.weight.copy_(torch.from_numpy(w["dense1/W"].T.copy()))
        lin.bias.copy_(torch.from_numpy(w["dense1/b"]))
    # Our LSTM has one bias; torch's second one (bias_hh) stays at zero, untrained, so both
    # engines train the same parameters (Adam would move the sum of two biases twice as fast).
    lstm.bias_hh_l0.requires_grad_(False)
    params = [p for p in list(lstm.parameters()) + list(lin.parameters()) if p.requires_grad]
    opt = torch.optim.Adam(params, lr=LR)
    lossf = torch.nn.MSELoss()
    x, y = torch.from_numpy(ours["x"]), torch.from_numpy(ours["y"])

    def forward() -> Any:
        out, _ = lstm(x)
        return lossf(lin(out[:, -1]), y)

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        loss = forward()
        loss.backward()
        opt.step()
        return float(loss.item())

    return {"lstm": lstm, "lin": lin, "opt": opt, "forward": forward, "step": step}


# ---------------------------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------------------------
def alternate(fns: dict[str, Callable[[], Any]], number: int, repeats: int, warmup: int,
              log: Callable[[str], None]) -> dict[str, Timing]:
    """Time runs of ``number`` calls of each function in turn until each has ``repeats``
    quiet runs (or 3 x repeats runs); see _common.Timing."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {k: [] for k in fns}
    others: dict[str, list[float | None]] = {k: [] for k in fns}
    meter = CpuMeter()
    limit = 3 * repeats
    while True:
        for name, fn in fns.items():
            meter.start()
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            samples[name].append((time.perf_counter() - t0) / number)
            others[name].append(meter.stop())
        quiet = min(sum(o is None or o <= BUSY_CORES for o in others[k]) for k in fns)
        done = len(samples[next(iter(fns))])
        log(f"run {done}: " + ", ".join(
            f"{k} {samples[k][-1] * 1e3:.2f} ms (others {fmt(others[k][-1])})" for k in fns))
        if quiet >= repeats or done >= limit:
            break
    return {k: Timing.from_runs(samples[k], others[k], min(3, repeats)) for k in fns}


def fmt(o: float | None) -> str:
    return "n/a" if o is None else f"{o:.2f}"


def describe(t: Timing) -> str:
    flag = " NOISY" if t.noisy else ""
    return (f"{t.ms:8.2f} ms/step  {flops() / t.median / 1e9:6.1f} GFLOP/s  [min "
            f"{t.min * 1e3:.2f}, spread {t.spread:.0%}, runs {len(t.samples)} ({t.quiet} quiet),"
            f" others <= {fmt(t.max_others)}{flag}]")


def best_ms(fn: Callable[[], Any], n: int) -> float:
    """Fastest of ``n`` calls, in ms (the least disturbed by other processes)."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out) * 1e3


# ---------------------------------------------------------------------------------------------
# profile
# ---------------------------------------------------------------------------------------------
def profile(ours: dict[str, Any], theirs: dict[str, Any] | None, torch: Any, n: int) -> None:
    import numpy as np

    net, loss, opt, x, y = (ours[k] for k in ("net", "loss", "opt", "x", "y"))
    lstm = net.layers["lstm1"]
    phases: dict[str, list[float]] = {k: [] for k in ("forward", "loss", "backward", "opt")}
    for _ in range(n):
        t0 = time.perf_counter()
        out = net.forward(x, True)
        t1 = time.perf_counter()
        loss.forward(out, y)
        gr = loss.backward()
        t2 = time.perf_counter()
        net.backward(gr)
        t3 = time.perf_counter()
        opt.step(LR)
        t4 = time.perf_counter()
        for k, a, b in (("forward", t0, t1), ("loss", t1, t2), ("backward", t2, t3),
                        ("opt", t3, t4)):
            phases[k].append(b - a)
    print("  ours, raw step phases (median ms): " + ", ".join(
        f"{k} {statistics.median(v) * 1e3:.2f}" for k, v in phases.items()))
    net.forward(x, True)
    lstm_f = best_ms(lambda: lstm.forward(x, True), n)
    dense_g = np.ones((B, H), np.float32)
    lstm.forward(x, True)
    lstm_b = best_ms(lambda: lstm.backward(dense_g), n)

    # The same matmuls alone, on arrays of the same shapes (the layer's feature-major
    # layout, see nncore/layers/recurrent.py): the floor of this design.
    rng = np.random.default_rng(0)
    k = 4 * H
    wbt = rng.normal(size=(k, F + 1)).astype(np.float32)
    xt = rng.normal(size=(T, F + 1, B)).astype(np.float32)
    ut = rng.normal(size=(k, H)).astype(np.float32) * 0.1
    uq = np.ascontiguousarray(ut.T)
    hs = rng.normal(size=(T, H, B)).astype(np.float32) * 0.1
    gbuf = np.empty((T, k, B), np.float32)
    tmpk = np.empty((k, B), np.float32)
    dh = np.empty((H, B), np.float32)
    dz = rng.normal(size=(T, k, B)).astype(np.float32) * 0.1
    a = rng.normal(size=(k, T * B)).astype(np.float32)
    xm = rng.normal(size=(T * B, F + 1)).astype(np.float32)
    hm = rng.normal(size=(T * B, H)).astype(np.float32)

    def mm_forward():
        np.matmul(wbt, xt, out=gbuf)
        for t in range(1, T):
            np.dot(ut, hs[t], out=tmpk)

    def mm_backward():
        for t in range(T - 1, 0, -1):
            np.dot(uq, dz[t], out=dh)
        _ = a @ xm
        _ = a @ hm

    mf, mb = best_ms(mm_forward, n), best_ms(mm_backward, n)
    print(f"  ours, LSTM layer alone (best of {n}): forward {lstm_f:.2f} ms, backward "
          f"{lstm_b:.2f} ms; "
          f"its matmuls alone: forward {mf:.2f} ms, backward {mb:.2f} ms "
          f"(element-wise work and Python: {lstm_f + lstm_b - mf - mb:.2f} ms)")
    if theirs is not None:
        fwd = theirs["forward"]
        topt = theirs["opt"]
        tp: dict[str, list[float]] = {k: [] for k in ("zero_grad", "forward+loss",
                                                       "backward", "opt")}
        for _ in range(n):
            t0 = time.perf_counter()
            topt.zero_grad(set_to_none=True)
            t1 = time.perf_counter()
            lv = fwd()
            t2 = time.perf_counter()
            lv.backward()
            t3 = time.perf_counter()
            topt.step()
            t4 = time.perf_counter()
            for key, a, b in (("zero_grad", t0, t1), ("forward+loss", t1, t2),
                              ("backward", t2, t3), ("opt", t3, t4)):
                tp[key].append(b - a)
        print("  torch, step phases (median ms): " + ", ".join(
            f"{k} {statistics.median(v) * 1e3:.2f}" for k, v in tp.items()))
        print(f"  torch.backends.mkldnn.is_available() = "
              f"{torch.backends.mkldnn.is_available()}")


# ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    ap.add_argument("--threads", type=int, help="BLAS and torch threads (default: the BLAS "
                    "library's own count)")
    ap.add_argument("--profile", action="store_true", help="print where the time goes")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    args = ap.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        ap.error("--threads must be at least 1")

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    threads, how = set_threads(args.threads)
    from nncore.layers import halves
    halves.set_enabled(threads > 1)  # the layers' element-wise work in two threads
    print(f"LSTM training step benchmark{' (--quick)' if args.quick else ''}")
    for line in machine_summary():
        print("  " + line)
    print(f"  workload: LSTM(input {F}, hidden {H}, {T} steps, last state) + Dense(1), batch "
          f"{B}, Adam lr {LR:g}, MSE, float32; {flops() / 1e6:.0f} MFLOP of matmuls per step "
          "(ours)")
    print(f"  BLAS threads: {threads} ({how})")
    torch = None if args.no_torch else import_torch()
    ours = build_ours()
    fns: dict[str, Callable[[], Any]] = {"ours": ours["step"]}
    theirs = None
    if torch is not None:
        torch.set_num_threads(threads)
        print(f"  PyTorch {torch.__version__}: torch.set_num_threads({threads}) -> "
              f"{torch.get_num_threads()} threads; torch.nn.LSTM(batch_first=True) + "
              "nn.Linear, initial weights copied from ours")
        # Same computation: from the same weights and batch, the same three losses.
        check_ours = build_ours()
        check_torch = build_torch(torch, check_ours)
        mine = [check_ours["step"]() for _ in range(3)]
        other = [check_torch["step"]() for _ in range(3)]
        rel = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(mine, other))
        print(f"  check: losses of 3 steps: ours {', '.join(f'{v:.6g}' for v in mine)}; torch "
              f"{', '.join(f'{v:.6g}' for v in other)} (max rel. diff {rel:.1e})")
        theirs = build_torch(torch, ours)
        fns["torch"] = theirs["step"]
    else:
        print("  PyTorch: not compared (" + ("--no-torch" if args.no_torch
                                             else "not importable") + ")")

    number, repeats, warmup = (10, 5, 3) if args.quick else (20, 9, 5)
    log(f"timing {repeats} quiet runs of {number} steps each, alternating")
    timings = alternate(fns, number, repeats, warmup, log)
    print("  times: median over runs of the seconds per step (quiet runs only, if enough)")
    for name, t in timings.items():
        print(f"  {name:5s} raw step {describe(t)}")
    status = 0
    if "torch" in timings:
        ratio = timings["ours"].median / timings["torch"].median
        verdict = paired_ratio(timings["ours"], timings["torch"]).verdict(TARGET,
                                                                          at_most=True)
        ok = verdict.startswith("PASS")
        print(f"  ratio ours / torch = {ratio:.2f} (target <= {TARGET}) -> {verdict}")
        status = 0 if ok else 1
    noisy = any(t.noisy for t in timings.values())
    if noisy:
        print(f"  WARNING: other processes used more than {BUSY_CORES} cores during most runs; "
              "the figures are inflated and the ratio is less reliable")
    if args.profile:
        profile(ours, theirs, torch, 10 if args.quick else 30)
    return status


if __name__ == "__main__":
    sys.exit(main())
