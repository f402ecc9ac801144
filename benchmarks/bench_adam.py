"""Adam's optimizer step on a large network: the engine's Adam against its previous form.

Run by hand from the repository root::

    .venv/bin/python benchmarks/bench_adam.py [--optimizer adam|adamw] [--reps 21]
                                              [--steps 10] [--chunks 65536,262144]

Times ``opt.step(1e-3)`` on the 5,824,522 float32 parameters of workload C of
bench_engine.py (784-2048-2048-10 MLP), bound exactly as the Trainer binds them (the
trainable slice of ``params_flat`` and ``grads_flat``), with the engine's real chunking and
threads. "old" is the implementation Adam had before its moments were stored scaled (12
NumPy passes per chunk, AdamW 13: m and v updated as m <- b1 m + (1-b1) g and
v <- b2 v + (1-b2) g^2); "new" is ``nncore.optimizers.Adam`` (or AdamW) as it is now
(10 passes, AdamW 11). The configurations run in alternation, ``--steps`` steps per
sample, so that a change of the machine's load hits all of them; medians are over the quiet
samples (other processes used at most 0.25 cores, see benchmarks/README.md) when there are
enough, else over all and marked NOISY. ``--chunks`` adds "new" configurations with other
values of ``nncore.optimizers.CHUNK``.

At the end all have taken the same steps from the same weights and gradients; their
parameters are compared with the same steps in float64 (the old implementation, on the
first ``CHECK`` parameters): the largest error, in units of the learning rate, is float32
rounding, mostly that of the parameters themselves (about ulp(|p|)/2 per step), and should
be the same for all.
"""

from __future__ import annotations

# isort: off
import nncore  # noqa: F401 (first: the engine's BLAS settings apply before NumPy loads)
# isort: on

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import CpuMeter, machine_summary, quiet_runs  # noqa: E402

import nncore.optimizers as optmod  # noqa: E402
from nncore.network import Network  # noqa: E402
from nncore.optimizers import Optimizer, get_optimizer  # noqa: E402
from nncore.spec import GraphSpec  # noqa: E402

SIZES = (784, 2048, 2048, 10)
LR = 1e-3
#: Parameters checked against float64 at the end.
CHECK = 200_000


class OldAdam(Optimizer):
    """Adam as implemented before the scaled moments (the reference of the comparison)."""

    schema = optmod.Adam.schema
    state_names = ("m", "v")

    def _constants(self, lr):
        t = self.iterations
        b1, b2, eps = self.config["beta1"], self.config["beta2"], self.config["epsilon"]
        c2 = math.sqrt(1.0 - b2 ** t)
        return lr * c2 / (1.0 - b1 ** t), eps * c2, lr

    def _update(self, p, g, m, v, tmp, lr_t, eps_t, lr):
        b1, b2 = self.config["beta1"], self.config["beta2"]
        m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += eps_t
        np.divide(m, tmp, out=tmp)
        tmp *= lr_t
        p -= tmp


class OldAdamW(OldAdam):
    schema = optmod.AdamW.schema

    def _update(self, p, g, m, v, tmp, lr_t, eps_t, lr):
        p *= 1.0 - lr * self.config["weight_decay"]
        super()._update(p, g, m, v, tmp, lr_t, eps_t, lr)


OLD = {"adam": OldAdam, "adamw": OldAdamW}


def build(optimizer: str, old: bool, chunk: int) -> tuple[Network, Optimizer]:
    layers = [("Input", {"shape": [SIZES[0]]})]
    layers += [("Dense", {"units": u, "activation": "relu"}) for u in SIZES[1:-1]]
    layers.append(("Dense", {"units": SIZES[-1], "activation": "softmax"}))
    net = Network(GraphSpec.sequential(layers), seed=0)
    net.grads_flat[:] = np.random.default_rng(1).standard_normal(
        net.n_trainable, dtype=np.float32) * 1e-3
    opt = OLD[optimizer]() if old else get_optimizer(optimizer)
    saved, optmod.CHUNK = optmod.CHUNK, chunk  # bind sizes the scratch buffers by CHUNK
    try:
        opt.bind(net.params_flat[:net.n_trainable], net.grads_flat)  # as Trainer does
    finally:
        optmod.CHUNK = saved
    return net, opt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--optimizer", choices=("adam", "adamw"), default="adam")
    ap.add_argument("--reps", type=int, default=21, help="timed samples per configuration")
    ap.add_argument("--steps", type=int, default=10, help="steps per sample")
    ap.add_argument("--chunks", default="", help="extra engine CHUNK values, comma-separated")
    args = ap.parse_args()

    default = optmod.CHUNK
    configs = {"old": (True, default), "new": (False, default)}
    for c in filter(None, args.chunks.split(",")):
        configs[f"new CHUNK={int(c)}"] = (False, int(c))
    built = {k: build(args.optimizer, old, c) for k, (old, c) in configs.items()}
    n = built["new"][0].n_trainable
    print(f"{args.optimizer} opt.step({LR}) on {n:,} float32 parameters, CHUNK={default}, "
          f"{optmod._WORKERS} worker(s) from {optmod.PARALLEL_MIN:,} parameters on")
    for line in machine_summary():
        print(" ", line)

    def steps(name: str, k: int) -> None:
        optmod.CHUNK = configs[name][1]
        opt = built[name][1]
        for _ in range(k):
            opt.step(LR)
        optmod.CHUNK = default

    net0 = built["old"][0]
    start = (net0.params_flat[:CHECK].astype(np.float64),
             net0.grads_flat[:CHECK].astype(np.float64))
    for name in configs:  # warm-up: page in the state arrays, start the pool
        steps(name, 3)
    samples: dict[str, list[float]] = {k: [] for k in configs}
    others: dict[str, list[float | None]] = {k: [] for k in configs}
    own: dict[str, list[float | None]] = {k: [] for k in configs}
    meter = CpuMeter()
    for _ in range(args.reps):
        for name in configs:
            meter.start()
            t0 = time.perf_counter()
            steps(name, args.steps)
            samples[name].append((time.perf_counter() - t0) / args.steps)
            others[name].append(meter.stop())
            own[name].append(meter.own)

    medians = {}
    for name in configs:
        flags = quiet_runs(others[name], own[name])
        quiet = [s for s, q in zip(samples[name], flags) if q]
        noisy = len(quiet) < max(5, args.reps // 2)
        used = samples[name] if noisy else quiet
        medians[name] = statistics.median(used)
        print(f"  {name:22} median {medians[name] * 1e3:7.3f} ms/step  min "
              f"{min(used) * 1e3:7.3f}  [{len(used)}/{len(samples[name])} samples of "
              f"{args.steps} steps]{'  NOISY' if noisy else ''}")
    for name in configs:
        if name != "old":
            print(f"  ratio old/{name}: {medians['old'] / medians[name]:.3f}")

    # The same steps in float64: every configuration should be off by float32 rounding only.
    p64, g64 = start
    ref = OLD[args.optimizer]()
    ref.bind(p64, g64)
    total = 3 + args.reps * args.steps
    for _ in range(total):
        ref.step(LR)
    for name in configs:
        err = np.abs(built[name][0].params_flat[:CHECK] - p64).max()
        print(f"  {name:22} max |p - p_float64| after {total} steps: {err / LR:.2e} lr")


if __name__ == "__main__":
    main()
