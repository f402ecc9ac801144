"""Which rule of the learning-rate finder suggests rates that train? For every shipped
example (digits_transfer needs trained weights and is left out) and each training seed:
sweep the rate (``nncore.lr_finder.lr_range_test``, for each smoothing and number of steps
asked for), read each rule's suggestion off the curve, train the example with that rate
(its own epochs and settings otherwise, the same seed) and check the example's bar
(README's table). The example's own rate, trained with the same seeds, is the reference.

    .venv/bin/python benchmarks/bench_lr_finder.py                        # the defaults, seed 0
    .venv/bin/python benchmarks/bench_lr_finder.py --seeds 5 --betas 0.98,0.95,0.9 \\
        --steps 100,200 --skip digits_cnn                                  # ~15 minutes

Prints one line per example and configuration (the suggested rates and how many seeds
reached the bar), then the totals per configuration."""

from __future__ import annotations

# isort: off
import _common  # noqa: F401 (first: the engine's BLAS settings)
# isort: on

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from nncore.lr_finder import DEFAULT_STEPS, RULES, SMOOTHING, lr_range_test, suggest
from nncore.project import load_project
from nncore.run import build_network, network_inputs, prepare_data, train_project

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"
NAMES = ["xor", "spiral", "iris", "digits_mlp", "regression", "digits_cnn", "sine_lstm",
         "recommender"]
ACCURACY_BARS = {"xor": 0.97, "spiral": 0.95, "iris": 0.93, "digits_mlp": 0.96,
                 "digits_cnn": 0.98}


def reaches_bar(name: str, finished, data) -> bool:
    """The example's bar (README's table) on the last epoch's validation metrics (a run
    that diverged does not reach it)."""
    history = finished.history
    if finished.reason == "diverged" or not len(history):
        return False
    if name in ("regression", "sine_lstm"):
        return history.val_loss[-1] <= (0.05 if name == "regression" else 0.01)
    if name == "recommender":
        y = data.val.y.astype(np.float64)
        base = float(np.sqrt(np.mean((y - float(data.train.y.mean())) ** 2)))
        return history.val_metrics[-1]["rmse"] <= 0.7 * base
    return history.val_metrics[-1]["accuracy"] >= ACCURACY_BARS[name]


class Trainings:
    """Trains an example with a rate and a seed once, remembering whether it reached the
    bar (several rules often suggest the same rate)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.project = load_project(EXAMPLES / f"{name}.json")
        self.data = prepare_data(self.project.data, EXAMPLES)
        self.done: dict[tuple[float, int], bool] = {}

    def ok(self, rate: float, seed: int) -> bool:
        key = (round(rate, 12), seed)
        if key not in self.done:
            p = self.project.copy()
            p.training = p.training.replace(learning_rate=rate, seed=seed)
            fin = train_project(p, EXAMPLES, data=self.data).finished
            self.done[key] = reaches_bar(self.name, fin, self.data)
            print(f"{time.strftime('%H:%M:%S')} {self.name} seed {seed} lr {rate:.3g}: "
                  f"{self.done[key]}", file=sys.stderr)
        return self.done[key]

    def sweep(self, seed: int, beta: float, steps: int):
        p = self.project
        net = build_network(p, seed)
        t0 = time.perf_counter()
        result = lr_range_test(net, p.training.replace(seed=seed),
                               network_inputs(net, self.data.train), self.data.train.y,
                               smoothing=beta, steps=steps)
        return result, time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help="comma-separated example names")
    p.add_argument("--skip", help="comma-separated example names left out")
    p.add_argument("--seeds", type=int, default=1, help="training seeds 0..N-1")
    p.add_argument("--betas", default=str(SMOOTHING), help="smoothing values to compare")
    p.add_argument("--steps", default=str(DEFAULT_STEPS), help="sweep lengths to compare")
    args = p.parse_args()
    names = args.only.split(",") if args.only else NAMES
    names = [n for n in names if n not in (args.skip or "").split(",")]
    configs = [(float(b), int(s)) for b in args.betas.split(",")
               for s in args.steps.split(",")]
    seeds = range(args.seeds)
    totals: dict[str, int] = defaultdict(int)
    for name in names:
        runs = Trainings(name)
        own = sum(runs.ok(runs.project.training.learning_rate, s) for s in seeds)
        totals["own rate"] += own
        print(f"{name}: own rate {runs.project.training.learning_rate:g} reached the bar "
              f"{own}/{len(seeds)}")
        for beta, steps in configs:
            cells = defaultdict(list)
            times = []
            for seed in seeds:
                result, seconds = runs.sweep(seed, beta, steps)
                times.append(seconds)
                for rule in RULES:
                    rate = suggest(result.rates, result.smoothed, rule)
                    ok = rate is not None and runs.ok(rate, seed)
                    cells[rule].append((rate, ok))
                    totals[f"beta {beta} steps {steps} {rule}"] += ok
            text = "  ".join(
                f"{rule} {sum(ok for _, ok in c)}/{len(c)} ("
                + ", ".join("-" if r is None else f"{r:.2g}" for r, _ in c) + ")"
                for rule, c in cells.items())
            print(f"  beta {beta} steps {steps} (sweep {np.median(times):.2f} s): {text}",
                  flush=True)
    print(f"reached the bar, of {len(names) * len(seeds)}:")
    for key, value in totals.items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
