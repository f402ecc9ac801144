"""Data at the size users bring: loading and training on MNIST-sized files, each figure
against its anchor, measured side by side in alternation (each run a fresh process).

    .venv/bin/python benchmarks/bench_data.py [--dir D] [--runs N] [--quick]
        [--only csv,wide,idx,images,train,epoch] [--torch-python PY] [--wait-quiet S]

Files (generated once into ``--dir``, default ``$TMPDIR/netcanvas-bench-data``, reused):
``mnist.csv`` (60,000 rows: a label then 784 pixels 0..255 drawn around a per-class
pattern, a header row, about 170 MB), the same data as an IDX pair and as a folder of
60,000 PNGs (one sub-folder per class), and ``wide.csv`` (1,000,000 x 20: 19 numbers with
4 decimals and a class).

Figures and targets:

* ``csv``: ``load_csv(mnist.csv, target='label')`` against ``np.loadtxt(mnist.csv,
  delimiter=',', skiprows=1, dtype=float32)``: time <= 1.5 x loadtxt's; peak memory of both.
* ``wide``: the same for ``wide.csv`` (target <= 1.5 x loadtxt's).
* ``idx``: ``load_idx`` against reading both files and converting to float32 in NumPy.
* ``images``: ``load_image_folder`` against a plain Pillow loop into a preallocated array.
* ``train``: ``netcanvas train --epochs 1`` of digits_mlp's network with 784 inputs on
  ``mnist.csv``: wall time and peak RSS, target <= 3 x the float32 data (3 x 188 MB).
* ``epoch``: one training epoch, 784-256-10 ReLU, batch 128, Adam lr 1e-3, on the same
  normalised 48,000/12,000 split, end to end (shuffle, batches, steps, the validation
  pass): ``Trainer.fit`` against a PyTorch loop over a ``DataLoader(TensorDataset,
  shuffle=True)``; target ours <= torch. PyTorch runs in ``--torch-python`` (default this
  interpreter) with this checkout on ``PYTHONPATH``.

Each run reports its seconds, peak RSS (VmHWM) and how many cores other processes kept busy
(``_common.CpuMeter``); medians over the quiet runs, NOISY when too few were quiet.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _common import Timing, load_average, machine_summary, wait_until_quiet

ROOT = Path(__file__).resolve().parents[1]
N, SIDE, CLASSES = 60_000, 28, 10
WIDE_ROWS, WIDE_COLS = 1_000_000, 20
DATA_MB = N * SIDE * SIDE * 4 / 1e6
TARGETS = {"csv": 1.5, "wide": 1.5, "train_memory": 3.0, "epoch": 1.0}


# -- the files -------------------------------------------------------------------------
def mnist_like() -> tuple[np.ndarray, np.ndarray]:
    """60,000 labels and 28x28 uint8 images around a smooth per-class pattern."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, CLASSES, N).astype(np.uint8)
    yy, xx = np.mgrid[0:SIDE, 0:SIDE] / SIDE
    patterns = np.stack([np.sin((k + 1) * 3.0 * xx + k) * np.cos((k % 4 + 1) * 2.5 * yy)
                         for k in range(CLASSES)])
    images = np.empty((N, SIDE, SIDE), np.uint8)
    for a in range(0, N, 5000):
        noise = rng.normal(0, 35, (min(5000, N - a), SIDE, SIDE))
        images[a:a + 5000] = np.clip(128 + 100 * patterns[labels[a:a + 5000]] + noise, 0, 255)
    return labels, images


def write_lines(path: Path, header: str, rows: np.ndarray, fmt: str) -> None:
    tmp = path.with_suffix(".part")
    with open(tmp, "w", encoding="ascii") as f:
        f.write(header + "\n")
        for a in range(0, len(rows), 10_000):
            block = rows[a:a + 10_000].tolist()
            f.write("\n".join(",".join(fmt % v for v in r) for r in block) + "\n")
    tmp.rename(path)


def make_files(d: Path, parts: set[str]) -> None:
    d.mkdir(parents=True, exist_ok=True)
    labels, images = mnist_like()
    if parts & {"csv", "train", "epoch"} and not (d / "mnist.csv").exists():
        log("writing mnist.csv")
        rows = np.column_stack([labels, images.reshape(N, -1)])
        head = "label," + ",".join(f"{i // SIDE + 1}x{i % SIDE + 1}" for i in range(SIDE**2))
        write_lines(d / "mnist.csv", head, rows, "%d")
    if "idx" in parts and not (d / "train-labels-idx1-ubyte").exists():
        (d / "train-images-idx3-ubyte").write_bytes(
            bytes([0, 0, 8, 3]) + np.array([N, SIDE, SIDE], ">u4").tobytes()
            + images.tobytes())
        (d / "train-labels-idx1-ubyte").write_bytes(
            bytes([0, 0, 8, 1]) + np.array([N], ">u4").tobytes() + labels.tobytes())
    if "images" in parts and not (d / "images.done").exists():
        log("writing 60,000 PNG files")
        from PIL import Image
        for k in range(CLASSES):
            (d / "images" / str(k)).mkdir(parents=True, exist_ok=True)
        for i in range(N):
            Image.fromarray(images[i]).save(d / "images" / str(labels[i]) / f"{i:05d}.png")
        (d / "images.done").write_text("ok")
    if "wide" in parts and not (d / "wide.csv").exists():
        log("writing wide.csv")
        rng = np.random.default_rng(1)
        x = rng.normal(size=(WIDE_ROWS, WIDE_COLS - 1)).round(4)
        rows = np.column_stack([x, (x[:, 0] > 0) + (x[:, 1] > 0)])
        write_lines(d / "wide.csv", ",".join(f"f{j}" for j in range(WIDE_COLS - 1)) + ",c",
                    rows, "%.4f")
    project = json.loads((ROOT / "resources/examples/digits_mlp.json").read_text())
    project["network"]["nodes"][0]["params"]["shape"] = [SIDE * SIDE]
    project["data"].update(source="file", path=str(d / "mnist.csv"), name="mnist",
                           params={"target": "label"})
    (d / "mnist_mlp.json").write_text(json.dumps(project))


# -- the runs (each in a fresh process) ------------------------------------------------
PRELUDE = r"""
import json, os, sys, time
sys.path.insert(0, os.path.join(os.environ["NC_ROOT"], "benchmarks"))
from _common import CpuMeter, proc_status_mb
D = os.environ["NC_DIR"]
def report(fn):
    meter = CpuMeter(); meter.start(); t0 = time.perf_counter(); c0 = time.process_time()
    extra = fn()
    seconds = time.perf_counter() - t0; others = meter.stop()
    print(json.dumps({"s": seconds, "cpu": time.process_time() - c0, "others": others,
                      "own": meter.own,
                      "peak_mb": proc_status_mb("VmHWM"), **(extra or {})}), flush=True)
"""

CHILDREN = {
    "csv/ours": "from nncore.data import load_csv\n"
                "report(lambda: {'shape': load_csv(D + '/mnist.csv', target='label').X.shape})",
    "csv/loadtxt": "import numpy as np\nreport(lambda: {'shape': np.loadtxt(D + '/mnist.csv', "
                   "delimiter=',', skiprows=1, dtype=np.float32).shape})",
    "wide/ours": "from nncore.data import load_csv\n"
                 "report(lambda: {'shape': load_csv(D + '/wide.csv').X.shape})",
    "wide/loadtxt": "import numpy as np\nreport(lambda: {'shape': np.loadtxt(D + '/wide.csv', "
                    "delimiter=',', skiprows=1, dtype=np.float32).shape})",
    "idx/ours": "from nncore.data import load_idx\nreport(lambda: {'shape': load_idx("
                "D + '/train-images-idx3-ubyte', D + '/train-labels-idx1-ubyte').X.shape})",
    "idx/numpy": "import numpy as np\ndef f():\n"
                 "    x = np.fromfile(D + '/train-images-idx3-ubyte', np.uint8, offset=16)\n"
                 "    y = np.fromfile(D + '/train-labels-idx1-ubyte', np.uint8, offset=8)\n"
                 "    return {'shape': (x.reshape(-1, 1, 28, 28).astype(np.float32) / 255)"
                 ".shape}\nreport(f)",
    "images/ours": "from nncore.data import load_image_folder\n"
                   "report(lambda: {'shape': load_image_folder(D + '/images').X.shape})",
    "images/pillow": "import numpy as np\nfrom pathlib import Path\nfrom PIL import Image\n"
                     "def f():\n    files = sorted(Path(D, 'images').rglob('*.png'))\n"
                     "    out = np.empty((len(files), 1, 28, 28), np.float32)\n"
                     "    for i, p in enumerate(files):\n        with Image.open(p) as im:\n"
                     "            out[i, 0] = np.asarray(im.convert('L'), np.float32) / 255\n"
                     "    return {'shape': out.shape}\nreport(f)",
    "train/cli": "from nncore.cli import main\nbase = proc_status_mb('VmRSS')\n"
                 "report(lambda: {'rc': main(['train', D + '/mnist_mlp.json', '--epochs', '1',"
                 " '--quiet']), 'base_mb': base})",
}

def epoch_child(engine: str) -> str:
    """One epoch of 784-256-10 on the prepared split, ours or PyTorch's."""
    common = (
        "import numpy as np\nfrom nncore.project import DataSpec\nfrom nncore.run import "
        "prepare_data\nspec = DataSpec(source='file', path=D + '/mnist.csv', val_fraction=0.2, "
        "params={'target': 'label'})\ndata = prepare_data(spec)\nx, y = data.train.X, "
        "data.train.y\nxv, yv = data.val.X, data.val.y\n")
    if engine == "ours":
        return common + (
            "from nncore.config import TrainingConfig\nfrom nncore.network import Network\n"
            "from nncore.spec import GraphSpec\nfrom nncore.trainer import Trainer\n"
            "net = Network(GraphSpec.sequential([('Input', {'shape': [784]}), ('Dense', "
            "{'units': 256, 'activation': 'relu'}), ('Dense', {'units': 10, 'activation': "
            "'softmax'})]), seed=0)\n"
            "cfg = TrainingConfig(loss='categorical_crossentropy', optimizer='adam', "
            "learning_rate=1e-3, batch_size=128, epochs=1, seed=0)\n"
            "Trainer(net, cfg).fit(x[:2048], y[:2048])\ntrainer = Trainer(net, cfg)\n"
            "def f():\n    trainer.fit(x, y, xv, yv)\n"
            "    return {'val_accuracy': float(trainer.history.val_metrics[-1]['accuracy'])}\n"
            "report(f)")
    return common + (
        "import torch\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "from _common import blas_threads\ntorch.set_num_threads(blas_threads()[0])\n"
        "torch.manual_seed(0)\nmodel = torch.nn.Sequential(torch.nn.Linear(784, 256), "
        "torch.nn.ReLU(), torch.nn.Linear(256, 10))\nopt = torch.optim.Adam(model.parameters(),"
        " lr=1e-3)\nlossf = torch.nn.CrossEntropyLoss()\n"
        "tx, ty = torch.from_numpy(x), torch.from_numpy(y)\n"
        "vx, vy = torch.from_numpy(xv), torch.from_numpy(yv)\n"
        "def epoch(loader):\n    model.train()\n    for xb, yb in loader:\n"
        "        opt.zero_grad(set_to_none=True)\n        lossf(model(xb), yb).backward()\n"
        "        opt.step()\n    model.eval()\n    right = 0\n    with torch.no_grad():\n"
        "        for a in range(0, len(vx), 1024):\n            out = model(vx[a:a + 1024])\n"
        "            lossf(out, vy[a:a + 1024])\n"
        "            right += int((out.argmax(1) == vy[a:a + 1024]).sum())\n"
        "    return right / len(vx)\n"
        "epoch(DataLoader(TensorDataset(tx[:2048], ty[:2048]), batch_size=128, shuffle=True))\n"
        "report(lambda: {'val_accuracy': epoch(DataLoader(TensorDataset(tx, ty), "
        "batch_size=128, shuffle=True))})")


def run_child(code: str, d: Path, python: str) -> dict:
    env = dict(os.environ, NC_ROOT=str(ROOT), NC_DIR=str(d),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([python, "-c", PRELUDE + code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines or json.loads(lines[-1]).get("rc", 0) != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def alternate(names: list[str], codes: dict[str, str], d: Path, runs: int,
              pythons: dict[str, str], wait: float) -> dict[str, list[dict]]:
    """``runs`` rounds, each running every configuration once in turn."""
    out: dict[str, list[dict]] = {n: [] for n in names}
    for r in range(runs):
        for name in names if r % 2 == 0 else names[::-1]:
            if wait:
                wait_until_quiet(wait)
            out[name].append(run_child(codes[name], d, pythons.get(name, sys.executable)))
            log(f"{name} run {r + 1}: {out[name][-1]['s']:.2f} s, "
                f"{out[name][-1]['peak_mb']:.0f} MB")
    return out


# -- the report ------------------------------------------------------------------------
def timing(results: list[dict], need: int) -> Timing:
    return Timing.from_runs([r["s"] for r in results], [r["others"] for r in results],
                            need, [r["own"] for r in results])


def line(name: str, t: Timing, results: list[dict]) -> str:
    peak = statistics.median(r["peak_mb"] for r in results)
    cpu = statistics.median(r["cpu"] for r in results)
    noisy = "  NOISY" if t.noisy else ""
    return (f"  {name:<16} {t.median:8.2f} s (min {t.min:.2f}, {t.quiet}/{len(t.samples)} "
            f"quiet; CPU {cpu:.2f} s)  peak RSS {peak:6.0f} MB{noisy}")


def verdict(label: str, value: float, target: float, noisy: bool) -> str:
    ok = "PASS" if value <= target else "FAIL"
    return f"  target {label}: {value:.2f} <= {target} -> {ok}" + (
        " (from NOISY figures: unreliable)" if noisy else "")


def compare(title: str, ours: str, anchor: str, res: dict[str, list[dict]], need: int,
            target: float | None) -> list[str]:
    t_ours, t_anchor = timing(res[ours], need), timing(res[anchor], need)
    pairs = [a["s"] / b["s"] for a, b in zip(res[ours], res[anchor])]
    cpu = [a["cpu"] / b["cpu"] for a, b in zip(res[ours], res[anchor])]
    out = [title, line(ours, t_ours, res[ours]), line(anchor, t_anchor, res[anchor]),
           f"  ratio ours / {anchor.split('/')[1]}: {t_ours.median / t_anchor.median:.2f} "
           f"(median of per-round ratios {statistics.median(pairs):.2f}; of CPU seconds "
           f"{statistics.median(cpu):.2f}, which other processes disturb less)"]
    if target is not None:
        out.append(verdict("time ratio", t_ours.median / t_anchor.median, target,
                           t_ours.noisy or t_anchor.noisy))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir(),
                                                     "netcanvas-bench-data"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="3 runs, no image folder")
    ap.add_argument("--only", default="csv,wide,idx,images,train,epoch")
    ap.add_argument("--torch-python", default=sys.executable)
    ap.add_argument("--wait-quiet", type=float, default=0.0)
    args = ap.parse_args()
    parts = set(args.only.split(","))
    runs = 3 if args.quick else args.runs
    if args.quick:
        parts.discard("images")
    make_files(args.dir, parts)
    need = max(2, runs // 2 + 1)
    report = ["bench_data: data at the size users bring", *machine_summary(),
              f"load average {load_average()}; {runs} runs per figure, alternating; float32 "
              f"data of the MNIST set: {DATA_MB:.0f} MB", ""]
    codes = dict(CHILDREN, **{"epoch/ours": epoch_child("ours"),
                              "epoch/torch": epoch_child("torch")})
    pythons = {"epoch/torch": args.torch_python}
    pairs = {"csv": ("csv/ours", "csv/loadtxt"), "wide": ("wide/ours", "wide/loadtxt"),
             "idx": ("idx/ours", "idx/numpy"), "images": ("images/ours", "images/pillow"),
             "epoch": ("epoch/ours", "epoch/torch")}
    for part in ("csv", "wide", "idx", "images", "epoch"):
        if part in parts:
            res = alternate(list(pairs[part]), codes, args.dir, runs, pythons, args.wait_quiet)
            report += compare(f"{part}:", *pairs[part], res, need, TARGETS.get(part)) + [""]
    if "train" in parts:
        res = alternate(["train/cli"], codes, args.dir, runs, {}, args.wait_quiet)
        peak = statistics.median(r["peak_mb"] for r in res["train/cli"]) * 2**20 / 1e6
        report += ["train: netcanvas train --epochs 1 (784-64-10, mnist.csv)",
                   line("train/cli", timing(res["train/cli"], need), res["train/cli"]),
                   f"  peak RSS / float32 data: {peak:.0f} MB / {DATA_MB:.0f} MB "
                   f"= {peak / DATA_MB:.2f} (interpreter and modules: "
                   f"{res['train/cli'][0]['base_mb']:.0f} MB)",
                   verdict("memory ratio", peak / DATA_MB, TARGETS["train_memory"], False), ""]
    print("\n".join(report))
    return 0


def log(msg: str) -> None:
    import time
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
