"""CNN benchmark: one training step of a small convolutional network, nncore against PyTorch.

Run by hand from the repository root::

    .venv/bin/python benchmarks/bench_cnn.py [--threads N] [--quick] [--profile] [--no-torch]
                                             [--wait-quiet S]

Workload (float32, fixed seeds, a synthetic batch): 1x28x28 images, batch 64,
Conv2D(32, 3x3, same, ReLU) - MaxPool(2) - Conv2D(64, 3x3, same, ReLU) - MaxPool(2) -
Flatten - Dense(128, ReLU) - Dense(10, softmax), SGD with momentum 0.9 at lr 0.01,
softmax cross-entropy on integer labels.

Both engines are timed on the raw step, as a PyTorch loop does it, on one fixed batch: ours
``forward(x, True); loss.forward; backward(loss.backward()); opt.step(lr)``, PyTorch's
``zero_grad(set_to_none=True); loss(model(x), y); loss.backward(); opt.step()``, with the same
initial weights and the same number of threads (``--threads``, default: the BLAS thread
count; NumPy's BLAS is limited with threadpoolctl, PyTorch with ``torch.set_num_threads``).
Timed runs of the two alternate, so a change in the machine's load affects both; each run's
``others`` is how many cores other processes kept busy meanwhile.

Target: our step no slower than PyTorch's (ours ms / torch ms <= 1.0), judged round by round
(_common.PairedRatio: PASS or FAIL only when >= 80% of the rounds agree, else UNDECIDED).

``--profile`` adds where our step's time goes: per layer forward/backward (timed inside real
steps), the parts of each Conv2D (im2col copy, the three matrix products alone, col2im), the
GFLOP/s the matrix products reach, and PyTorch's own per-operator profile.
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
from typing import Any

import numpy as np
from _common import (
    BUSY_CORES,
    CpuMeter,
    PairedRatio,
    blas_threads,
    import_torch,
    load_average,
    machine_summary,
    wait_until_quiet,
)

from nncore.layers import halves
from nncore.losses import get_loss
from nncore.network import Network
from nncore.optimizers import get_optimizer
from nncore.spec import GraphSpec

BATCH, LR, MOMENTUM = 64, 0.01, 0.9
TARGET_RATIO = 1.0

LAYERS: list[tuple[str, dict[str, Any]]] = [
    ("Input", {"shape": [1, 28, 28]}),
    ("Conv2D", {"filters": 32, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}),
    ("MaxPool2D", {"pool_size": [2, 2]}),
    ("Conv2D", {"filters": 64, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}),
    ("MaxPool2D", {"pool_size": [2, 2]}),
    ("Flatten", {}),
    ("Dense", {"units": 128, "activation": "relu"}),
    ("Dense", {"units": 10, "activation": "softmax"}),
]


def step_flops() -> float:
    """Matrix-product FLOPs of one step: forward 2*M*K*N per conv/dense layer, backward
    twice that, minus the first conv's input gradient, which neither engine computes."""
    b = BATCH
    conv1 = 2.0 * b * 28 * 28 * 32 * (1 * 9)
    conv2 = 2.0 * b * 14 * 14 * 64 * (32 * 9)
    dense = 2.0 * b * 3136 * 128 + 2.0 * b * 128 * 10
    fwd = conv1 + conv2 + dense
    return 3 * fwd - conv1


# -- the two engines -------------------------------------------------------------------
def batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return (rng.standard_normal((BATCH, 1, 28, 28), dtype=np.float32),
            rng.integers(0, 10, BATCH).astype(np.int64))


class Ours:
    def __init__(self) -> None:
        self.net = Network(GraphSpec.sequential(LAYERS), seed=0)
        self.loss = get_loss("categorical_crossentropy")
        self.net.set_fused_output(True)
        self.opt = get_optimizer("momentum", momentum=MOMENTUM)
        self.opt.bind(self.net.params_flat[:self.net.n_trainable], self.net.grads_flat)

    def step_fn(self, x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
        net, loss, opt = self.net, self.loss, self.opt

        def step() -> float:
            out = net.forward(x, True)
            value = loss.forward(out, y)
            net.backward(loss.backward())
            opt.step(LR)
            return value

        return step


def torch_model(torch: Any, ours: Ours) -> Any:
    """The same network in PyTorch with our initial weights (Conv2D W is (F, C, kh, kw) in
    both; our Dense W is (in, out), the transpose of nn.Linear's)."""
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    w = ours.net.get_weights()
    pairs = [(model[0], "conv2d1", False), (model[3], "conv2d2", False),
             (model[7], "dense1", True), (model[9], "dense2", True)]
    with torch.no_grad():
        for mod, node, transpose in pairs:
            kernel = w[f"{node}/W"].T.copy() if transpose else w[f"{node}/W"]
            mod.weight.copy_(torch.from_numpy(kernel))
            mod.bias.copy_(torch.from_numpy(w[f"{node}/b"]))
    return model


def torch_step_fn(torch: Any, model: Any, x: np.ndarray, y: np.ndarray) -> Callable[[], Any]:
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    lossf = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> Any:
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xt), yt)
        loss.backward()
        opt.step()
        return loss

    return step


# -- timing ----------------------------------------------------------------------------
def timed_run(fn: Callable[[], Any], number: int) -> tuple[float, float | None]:
    meter = CpuMeter()
    meter.start()
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    sec = (time.perf_counter() - t0) / number
    return sec, meter.stop()


def alternate(fns: dict[str, Callable[[], Any]], number: int, repeats: int, warmup: int,
              log: Callable[[str], None]) -> dict[str, list[tuple[float, float | None]]]:
    """Runs of ``number`` calls of each function in turn, ``repeats`` rounds."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    runs: dict[str, list[tuple[float, float | None]]] = {k: [] for k in fns}
    for r in range(repeats):
        for name, fn in fns.items():
            runs[name].append(timed_run(fn, number))
        log(f"round {r + 1}/{repeats}: " + ", ".join(
            f"{k} {v[-1][0] * 1e3:.1f} ms" for k, v in runs.items()))
    return runs


def summarize(runs: list[tuple[float, float | None]]) -> dict[str, Any]:
    """Median over the quiet runs (other processes used at most BUSY_CORES cores) when
    there are at least 3, else over all runs (then ``noisy``)."""
    quiet = [(s, o) for s, o in runs if o is None or o <= BUSY_CORES]
    used = quiet if len(quiet) >= 3 else runs
    secs = [s for s, _ in used]
    others = [o for _, o in used if o is not None]
    return {"median": statistics.median(secs), "min": min(secs), "max": max(secs),
            "quiet": len(quiet), "n": len(runs), "noisy": len(quiet) < 3,
            "others": max(others) if others else None}


def fmt_timing(label: str, s: dict[str, Any]) -> str:
    ms = s["median"] * 1e3
    spread = (s["max"] - s["min"]) / s["median"]
    others = "n/a" if s["others"] is None else f"{s['others']:.2f}"
    return (f"  {label:<24}{ms:8.2f} ms/step  {step_flops() / s['median'] / 1e9:6.1f} GFLOP/s"
            f"  [min {s['min'] * 1e3:.2f}, spread {spread:.0%}, quiet runs {s['quiet']}/"
            f"{s['n']}, others <= {others} cores{', NOISY' if s['noisy'] else ''}]")


# -- profile ---------------------------------------------------------------------------
def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def profile_layers(ours: Ours, x: np.ndarray, y: np.ndarray, steps: int) -> list[str]:
    """Forward and backward time of each layer, timed inside real steps."""
    net = ours.net
    times: dict[tuple[str, str], list[float]] = {}
    originals = {}
    for node_id, layer in net.layers.items():
        originals[node_id] = (layer.forward, layer.backward)

        def wrap(fn: Callable, key: tuple[str, str]) -> Callable:
            def timed(*a: Any) -> Any:
                t0 = time.perf_counter()
                out = fn(*a)
                times.setdefault(key, []).append(time.perf_counter() - t0)
                return out
            return timed

        layer.forward = wrap(layer.forward, (node_id, "forward"))
        layer.backward = wrap(layer.backward, (node_id, "backward"))
    phases: dict[str, list[float]] = {k: [] for k in ("forward", "loss", "backward", "step")}
    try:
        for _ in range(steps):
            t0 = time.perf_counter()
            out = net.forward(x, True)
            t1 = time.perf_counter()
            ours.loss.forward(out, y)
            g = ours.loss.backward()
            t2 = time.perf_counter()
            net.backward(g)
            t3 = time.perf_counter()
            ours.opt.step(LR)
            t4 = time.perf_counter()
            for k, v in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                phases[k].append(v)
    finally:
        for node_id, layer in net.layers.items():
            layer.forward, layer.backward = originals[node_id]
    lines = ["our step by phase (median ms): " + ", ".join(
        f"{k} {median_ms(v):.2f}" for k, v in phases.items())]
    lines.append(f"  {'layer':<14}{'type':<12}{'forward':>9}{'backward':>10}")
    for node_id in net.order[1:]:
        f = median_ms(times[(node_id, "forward")])
        b = median_ms(times[(node_id, "backward")]) if (node_id, "backward") in times else 0.0
        lines.append(f"  {node_id:<14}{net.layers[node_id].type_name:<12}{f:9.2f}{b:10.2f}")
    return lines


def _median_call_ms(fn: Callable[[], Any], repeats: int) -> float:
    fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return median_ms(samples)


def _conv_parts(layer: Any, xin: np.ndarray, repeats: int) -> list[float]:
    """ms of: im2col, forward product, dW product, column-gradient product, col2im."""
    xc = xin.transpose(1, 2, 3, 0)
    cols = layer._im2col(xc)
    f = layer.config["filters"]
    g = np.random.default_rng(0).standard_normal((f, cols.shape[1]), dtype=np.float32)
    wb = layer._working_weights()
    wm = wb[:, :layer._k]
    dw = np.empty((cols.shape[0], f), np.float32)
    dcols = np.matmul(wm.T, g)
    return [_median_call_ms(fn, repeats) for fn in (
        lambda: layer._im2col(xc),
        lambda: np.matmul(wb, cols),
        lambda: np.matmul(cols, g.T, out=dw),
        lambda: np.matmul(wm.T, g),
        lambda: layer._col2im(dcols, xin.shape[0]))]


def profile_convs(ours: Ours, x: np.ndarray, repeats: int) -> list[str]:
    """The parts of each Conv2D on the step's real shapes: the im2col copy, the three
    matrix products alone (forward, dW, column gradient), col2im."""
    net = ours.net
    net.forward(x, True)
    acts = net.activations()
    lines = [f"  {'conv':<10}{'im2col':>8}{'fwd mm':>9}{'dW mm':>9}{'dcols mm':>10}"
             f"{'col2im':>9}   matmul GFLOP/s (fwd, dW, dcols)"]
    floor = _dense_products_ms(ours, acts, repeats)
    for node_id in net.order:
        layer = net.layers[node_id]
        if layer.type_name != "Conv2D":
            continue
        times = _conv_parts(layer, acts[net.analysis.inputs[node_id][0]], repeats)
        floor += sum(times[1:3]) + (times[3] if layer.need_input_grad else 0.0)
        c, _, _ = layer.input_shapes[0]
        f, oh, ow = layer.output_shape
        kh, kw = layer.window[0]
        flops = 2.0 * f * c * kh * kw * BATCH * oh * ow
        rates = ", ".join(f"{flops / ms / 1e6:.1f}" for ms in times[1:4])
        lines.append(f"  {node_id:<10}" + "".join(f"{v:>{w}.2f}" for v, w in zip(
            times, (8, 9, 9, 10, 9))) + f"   {rates}")
    lines.append(f"  the step's matrix products alone (convs and denses, as the step computes "
                 f"them): {floor:.2f} ms, the floor of this design with NumPy's BLAS")
    return lines


def _dense_products_ms(ours: Ours, acts: dict[str, np.ndarray], repeats: int) -> float:
    """ms of the Dense layers' three products (forward, dW, dx when needed) on the step's
    shapes."""
    net, total = ours.net, 0.0
    for node_id in net.order:
        layer = net.layers[node_id]
        if layer.type_name != "Dense":
            continue
        xin = np.ascontiguousarray(acts[net.analysis.inputs[node_id][0]])
        w = layer.weights["W"]
        g = np.ones((xin.shape[0], w.shape[1]), np.float32)
        products = [(xin, w), (xin.T, g)] + ([(g, w.T)] if layer.need_input_grad else [])
        total += sum(_median_call_ms(lambda a=a, b=b: a @ b, repeats) for a, b in products)
    return total


def profile_torch(torch: Any, step: Callable[[], Any], steps: int, top: int) -> list[str]:
    from torch.profiler import ProfilerActivity, profile

    step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top)
    return [f"PyTorch operators over {steps} steps (self CPU time):", *table.splitlines()]


# -- main ------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=None,
                   help="threads for NumPy's BLAS and PyTorch (default: the BLAS default)")
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--profile", action="store_true", help="where the time goes")
    p.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    p.add_argument("--wait-quiet", type=float, default=0.0, metavar="S",
                   help="wait up to S seconds for other processes to leave the CPU first")
    args = p.parse_args(argv)

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    threads = args.threads or blas_threads()[0]
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
        log("threadpoolctl is not installed: NumPy's BLAS keeps its own thread count")
    limiter = threadpool_limits(limits=threads, user_api="blas") if threadpool_limits else None
    halves.set_enabled(threads > 1)  # the image layers' element-wise work in two threads
    torch = None if args.no_torch else import_torch()
    if torch is not None:
        torch.set_num_threads(threads)

    print("CNN training step: nncore vs PyTorch (CPU)")
    for line in machine_summary():
        print(line)
    print(f"threads: {threads} for NumPy's BLAS"
          + (" (threadpoolctl)" if limiter is not None else "")
          + (f" and PyTorch {torch.__version__} (torch.get_num_threads() = "
             f"{torch.get_num_threads()}, mkldnn {torch.backends.mkldnn.is_available()})"
             if torch is not None else "; PyTorch not used"))
    print("workload: 1x28x28, batch 64, Conv(32, 3x3, same)-ReLU-MaxPool(2)-Conv(64, 3x3, "
          "same)-ReLU-MaxPool(2)-Flatten-Dense(128, ReLU)-Dense(10), SGD momentum 0.9 lr 0.01, "
          "softmax cross-entropy")
    print(f"FLOPs/step (matrix products only, forward x3 minus conv1's input gradient): "
          f"{step_flops() / 1e9:.3f} GFLOP")

    x, y = batch()
    ours = Ours()
    fns: dict[str, Callable[[], Any]] = {"ours (nncore)": ours.step_fn(x, y)}
    if torch is not None:
        # Same start, three steps: the losses agree to float32 rounding.
        a, b = Ours(), Ours()
        mine = [a.step_fn(x, y)() for _ in range(3)]
        tstep = torch_step_fn(torch, torch_model(torch, b), x, y)
        theirs = [tstep().item() for _ in range(3)]
        print("check, losses of 3 steps from the same weights: ours "
              + ", ".join(f"{v:.6f}" for v in mine) + "; torch "
              + ", ".join(f"{v:.6f}" for v in theirs))
        fns["torch"] = torch_step_fn(torch, torch_model(torch, Ours()), x, y)

    if args.wait_quiet > 0:
        waited = wait_until_quiet(args.wait_quiet)
        log(f"waited {waited:.0f} s for a quiet CPU")
    number, repeats, warmup = (5, 5, 3) if args.quick else (10, 9, 5)
    log(f"timing: {repeats} rounds of {number} steps each, engines alternating")
    runs = alternate(fns, number, repeats, warmup, log)
    print(f"load average before timing: {load_average()}")
    stats = {k: summarize(v) for k, v in runs.items()}
    for k, s in stats.items():
        print(fmt_timing(k, s))
    ok = None
    if torch is not None:
        ratio = stats["ours (nncore)"]["median"] / stats["torch"]["median"]
        pair = statistics.median(o[0] / t[0] for o, t in zip(runs["ours (nncore)"],
                                                             runs["torch"]))
        rounds = PairedRatio(tuple(o[0] / t[0] for o, t in zip(runs["ours (nncore)"],
                                                              runs["torch"])))
        verdict = rounds.verdict(TARGET_RATIO, at_most=True)
        ok = verdict.startswith("PASS")
        print(f"  ratio ours / torch: {ratio:.2f} (medians); {pair:.2f} (median of the "
              f"per-round ratios)")
        print(f"TARGET ours <= {TARGET_RATIO}x torch: {pair:.2f}x -> {verdict}")
        if stats["ours (nncore)"]["noisy"] or stats["torch"]["noisy"]:
            print(f"WARNING: other processes kept more than {BUSY_CORES} cores busy during "
                  "most runs; the figures are inflated (try --wait-quiet 120)")

    if args.profile:
        print()
        print("\n".join(profile_layers(ours, x, y, 10 if args.quick else 20)))
        print("Conv2D parts (median ms):")
        print("\n".join(profile_convs(ours, x, 5 if args.quick else 11)))
        if torch is not None:
            print("\n".join(profile_torch(torch, fns["torch"], 5, 15)))
    if limiter is not None:
        limiter.restore_original_limits()
    return 0 if ok in (None, True) else 1


if __name__ == "__main__":
    sys.exit(main())
