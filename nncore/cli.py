"""The headless command line: ``netcanvas train | summary | export | predict``.

Exit codes: 0 success (also when training is stopped with Ctrl+C: the epochs so far are
saved); 2 bad usage or bad input (one clear message, no traceback); 1 a training failure such
as divergence; 130 aborted by a second Ctrl+C. A failed run writes nothing: files named by
--out-weights, --metrics, --output, --onnx or --python keep their old contents. Never
imports Qt.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from nncore.errors import NetCanvasError, TrainingError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ABORTED = 0, 1, 2, 130


class UsageError(NetCanvasError):
    """Bad command-line usage detected after parsing."""


def _parser() -> argparse.ArgumentParser:
    from nncore import __version__

    p = argparse.ArgumentParser(
        prog="netcanvas",
        description="NetCanvas: build, train and understand neural networks. With no "
                    "command (or a project path) it opens the window; these commands run "
                    "headless.")
    p.add_argument("--version", action="version", version=f"netcanvas {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="train a project and save its weights and metrics")
    t.add_argument("project", help="project file (.json)")
    t.add_argument("--epochs", type=int, help="override the project's number of epochs")
    t.add_argument("--seed", type=int, help="override the project's seed")
    t.add_argument("--init-weights", metavar="W.npz", help="start from these weights")
    t.add_argument("--partial", action="store_true",
                   help="with --init-weights: load only the layers that match by name and "
                        "shape (transfer learning)")
    t.add_argument("--freeze-loaded", action="store_true",
                   help="with --partial: keep the loaded layers fixed during training")
    t.add_argument("--out-weights", metavar="W.npz", help="where to save the trained weights")
    t.add_argument("--metrics", metavar="M.csv", help="write one row of metrics per epoch")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    s = sub.add_parser("summary", help="print the layers, output shapes and parameter counts")
    s.add_argument("project")

    e = sub.add_parser("export", help="export trained weights to ONNX or a Python script")
    e.add_argument("project")
    e.add_argument("--weights", required=True, metavar="W.npz")
    g = e.add_mutually_exclusive_group(required=True)
    g.add_argument("--onnx", metavar="OUT.onnx")
    g.add_argument("--python", metavar="OUT.py")

    r = sub.add_parser("predict", help="predict with trained weights on new inputs")
    r.add_argument("project")
    r.add_argument("--weights", required=True, metavar="W.npz")
    r.add_argument("--input", required=True, metavar="DATA.csv",
                   help="inputs: CSV (named or positional feature columns), .npy or .npz")
    r.add_argument("--output", required=True, metavar="PRED.csv")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help/--version (0) or bad usage (2)
        return int(e.code or 0)
    try:
        return {"train": _train, "summary": _summary, "export": _export,
                "predict": _predict}[args.command](args)
    except TrainingError as e:
        _err(str(e))
        return EXIT_FAILED
    except NetCanvasError as e:
        _err(str(e))
        return EXIT_USAGE
    except OSError as e:
        _err(f"{e.filename or ''}: {e.strerror or e}".lstrip(": "))
        return EXIT_USAGE
    except MemoryError:
        _err("not enough memory for this network or data set; make it smaller")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("aborted by Ctrl+C")
        return EXIT_ABORTED


def _err(msg: str) -> None:
    print(f"netcanvas: error: {msg}", file=sys.stderr)


def _load(path: str):
    from nncore.project import load_project

    return load_project(path), Path(path).resolve().parent


class _InProject:
    """Name the project file in errors raised while its data and network are prepared
    (``p.json: Dense 'h1': has no input connected``), unless the message names it already."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, typ: Any, exc: Any, tb: Any) -> bool:
        if (isinstance(exc, NetCanvasError) and not isinstance(exc, TrainingError)
                and not str(exc).startswith(self.path)):
            new = type(exc).__new__(type(exc))
            new.__dict__.update(exc.__dict__)
            new.args = (f"{self.path}: {exc}",)
            raise new from None
        return False


def _check_out(path: str | None, what: str, *avoid: tuple[str, str | None]) -> None:
    """Refuse, before any work, an output path that cannot be written or that would
    overwrite one of the run's inputs (``avoid``: (option, path) pairs)."""
    if path is None:
        return
    target = Path(path).expanduser().resolve()
    parent = target.parent
    if not parent.is_dir():
        raise UsageError(f"{what}: folder {parent} does not exist")
    if target.is_dir():
        raise UsageError(f"{what}: {path} is a folder; give a file name")
    try:  # the real test: the atomic write will create a temporary file there
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UsageError(f"{what}: cannot write to the folder {parent} "
                         f"({e.strerror or e})") from None
    for option, other in avoid:
        if other is not None and Path(other).expanduser().resolve() == target:
            raise UsageError(f"{what}: {path} is also the {option}; it would be overwritten")


# -- train ------------------------------------------------------------------------------

class _Progress:
    """One-line progress bar on stderr (epoch, losses, metrics, ETA)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.epochs = 0

    def __call__(self, ev: Any) -> None:
        from nncore.events import Diverged, EpochEnd, TrainingStarted

        if isinstance(ev, TrainingStarted):
            self.epochs = ev.epochs
            if not self.quiet:
                print(f"training on {ev.n_train} samples, validating on {ev.n_val}, "
                      f"{ev.steps_per_epoch} batches per epoch", file=sys.stderr)
        elif isinstance(ev, EpochEnd) and not self.quiet:
            now = time.monotonic()
            final = ev.epoch == ev.epochs
            if not final and now - self.last < (0.1 if self.tty else 2.0):
                return
            self.last = now
            eta = ev.elapsed / ev.epoch * (ev.epochs - ev.epoch)
            width = 24
            filled = int(width * ev.epoch / ev.epochs)
            bar = "#" * filled + "." * (width - filled)
            line = (f"epoch {ev.epoch}/{ev.epochs} [{bar}] loss {ev.train_loss:.4f}"
                    + (f" val_loss {ev.val_loss:.4f}" if ev.val_loss is not None else "")
                    + "".join(f" val_{k} {v:.4f}" for k, v in ev.val_metrics.items())
                    + f" ETA {_fmt_time(eta)}")
            if self.tty:
                print("\r" + line.ljust(110), end="", file=sys.stderr, flush=True)
            else:
                print(line, file=sys.stderr)
        elif isinstance(ev, Diverged):
            if self.tty and not self.quiet:
                print(file=sys.stderr)

    def close(self) -> None:
        if self.tty and not self.quiet and self.last:
            print(file=sys.stderr)


def _fmt_time(s: float) -> str:
    s = max(0, int(round(s)))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def _train(args: argparse.Namespace) -> int:
    from nncore.config import TRAINING_SCHEMA
    from nncore.events import RunControl
    from nncore.run import build_network, prepare_data, train_project
    from nncore.weights import read_weights, save_weights

    project, base = _load(args.project)
    max_epochs = int(next(p.max for p in TRAINING_SCHEMA if p.name == "epochs") or 2**31)
    if args.epochs is not None and not 1 <= args.epochs <= max_epochs:
        raise UsageError(f"--epochs must be an integer from 1 to {max_epochs:,}, got "
                         f"{args.epochs}")
    if args.seed is not None and not 0 <= args.seed < 2**32:
        raise UsageError(f"--seed must be between 0 and 2^32-1, got {args.seed}")
    if (args.partial or args.freeze_loaded) and not args.init_weights:
        raise UsageError("--partial and --freeze-loaded need --init-weights")
    if args.freeze_loaded and not args.partial:
        raise UsageError("--freeze-loaded needs --partial (a strict load would freeze every "
                         "layer, leaving nothing to train)")
    project_file = ("project file", args.project)
    _check_out(args.out_weights, "--out-weights", project_file)
    _check_out(args.metrics, "--metrics", project_file, ("--out-weights", args.out_weights),
               ("--init-weights", args.init_weights))
    init = read_weights(args.init_weights) if args.init_weights else None
    with _InProject(args.project):
        data = prepare_data(project.data, base)
        net = build_network(project, args.seed)
    if init is not None:
        from nncore.weights import load_into

        loaded = load_into(net, init, partial=args.partial, source=args.init_weights)
        if args.freeze_loaded:
            for node_id in loaded:
                net.set_frozen(node_id, True)
    control = RunControl()
    progress = _Progress(args.quiet)

    def on_sigint(signum, frame):
        control.request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _notice("\nstopping after this batch (press Ctrl+C again to abort)...\n")

    main_thread = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, on_sigint) if main_thread else None
    try:
        with _InProject(args.project):
            result = train_project(project, base, epochs=args.epochs, seed=args.seed,
                                   callback=progress, control=control, data=data, network=net)
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, old if old is not None else signal.default_int_handler)
        progress.close()
    fin = result.finished
    if fin.reason == "diverged":
        outs = [o for o in (args.out_weights, args.metrics) if o]
        raise TrainingError(fin.message + (f" Nothing was written to {', '.join(outs)}."
                                           if outs else ""))
    if args.out_weights:
        save_weights(args.out_weights, result.network, normalizer=data.normalizer,
                     class_names=data.class_names, task=data.dataset.task,
                     project_name=project.name, target_mean=data.target_mean,
                     target_std=data.target_std)
    if args.metrics:
        _write_metrics(args.metrics, fin.history, data.dataset.task)
    h = fin.history
    if len(h):
        parts = [f"epochs {fin.epochs_run}", f"train_loss {h.train_loss[-1]:.4f}"]
        if h.val_loss[-1] is not None:
            parts.append(f"val_loss {h.val_loss[-1]:.4f}")
        parts += [f"val_{k} {v:.4f}" for k, v in h.val_metrics[-1].items()]
        parts += [f"train_{k} {v:.4f}" for k, v in h.train_metrics[-1].items()]
        print("final: " + ", ".join(parts))
    if fin.reason == "early_stopping":
        print(f"early stopping: {fin.message}")
    elif fin.reason == "stopped":
        n = fin.epochs_run
        print(f"stopped by the user after {n} complete epoch{'s' if n != 1 else ''}")
    if args.out_weights:
        print(f"weights written to {args.out_weights}")
    if args.metrics:
        print(f"metrics written to {args.metrics}")
    return EXIT_OK


def _notice(text: str) -> None:
    """Write to stderr from a signal handler: one unbuffered system call, so it cannot
    re-enter a ``print`` the handler interrupted."""
    try:
        os.write(sys.stderr.fileno(), text.encode("utf-8", "replace"))
    except (AttributeError, OSError, ValueError):  # stderr replaced by an in-memory stream
        pass


def _write_metrics(path: str, history: Any, task: str) -> None:
    from nncore.project import atomic_write_text

    cols = ["epoch", "train_loss", "val_loss"]
    keys = ["accuracy"] if task == "classification" else ["rmse", "r2"]
    for k in keys:
        cols += [f"train_{k}", f"val_{k}"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for i, epoch in enumerate(history.epoch):
        row: list[Any] = [epoch, _num(history.train_loss[i]), _num(history.val_loss[i])]
        for k in keys:
            row += [_num(history.train_metrics[i].get(k)), _num(history.val_metrics[i].get(k))]
        w.writerow(row)
    atomic_write_text(Path(path), buf.getvalue())


def _num(v: float | None) -> str:
    return "" if v is None else repr(float(v))


# -- summary ----------------------------------------------------------------------------

def _summary(args: argparse.Namespace) -> int:
    from nncore.graph import analyze

    project, _ = _load(args.project)
    a = analyze(project.graph)
    if a.errors:
        raise UsageError(f"{args.project}: the network is not valid:\n  "
                         + "\n  ".join(str(e) for e in a.errors))
    rows = [("Layer", "Type", "Output shape", "Params")]
    for n in a.order:
        shape = str(tuple(a.shapes[n]))
        rows.append((n, a.layers[n].type_name, shape, f"{a.params[n][1]:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    line = "-" * (sum(widths) + 6)
    print(f"Model: {project.name}")
    print(line)
    for j, r in enumerate(rows):
        print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
              f"{r[3]:>{widths[3]}}")
        if j == 0:
            print(line)
    print(line)
    print(f"Total params: {a.total_params:,}")
    print(f"Trainable params: {a.trainable_params:,}")
    print(f"Non-trainable params: {a.total_params - a.trainable_params:,}")
    return EXIT_OK


# -- export and predict ------------------------------------------------------------------

def _trained(args: argparse.Namespace):
    from nncore.run import build_network
    from nncore.weights import load_into, read_weights

    project, base = _load(args.project)
    with _InProject(args.project):
        net = build_network(project)
    weights = read_weights(args.weights)
    load_into(net, weights, source=args.weights)
    return project, net, weights


def _export(args: argparse.Namespace) -> int:
    from nncore import export

    _check_out(args.onnx or args.python, "--onnx" if args.onnx else "--python",
               ("project file", args.project), ("--weights", args.weights))
    project, net, weights = _trained(args)
    norm = weights.normalizer()
    if args.onnx:
        export.export_onnx(net, args.onnx, normalizer_state=_norm_state(norm),
                           class_names=weights.class_names, model_name=project.name,
                           target_scaling=_target_scaling(weights))
        print(f"ONNX model written to {args.onnx}")
    else:
        # The script reads its weights from its own folder: copy them there if needed.
        here = Path(args.weights).resolve().parent == Path(args.python).resolve().parent
        copy = Path(args.python).resolve().parent / Path(args.weights).name
        if not here and copy.exists():
            raise UsageError(f"--python: {copy} already exists; the script needs its weights "
                             f"beside it under that name: remove it or export next to "
                             f"{args.weights}")
        export.export_python(net, args.python, weights_filename=Path(args.weights).name,
                             normalizer_state=_norm_state(norm),
                             class_names=weights.class_names,
                             target_scaling=_target_scaling(weights), write_weights=not here)
        print(f"Python script written to {args.python} (it reads {Path(args.weights).name} "
              "from its own folder)")
    return EXIT_OK


def _target_scaling(weights: Any) -> tuple | None:
    mean, std = weights.meta.get("target_mean"), weights.meta.get("target_std")
    return None if mean is None or std is None else (mean, std)


def _norm_state(norm: Any) -> dict | None:
    return None if norm is None else norm.to_dict()


def _predict(args: argparse.Namespace) -> int:
    from nncore.data import load_array
    from nncore.errors import DataError
    from nncore.project import atomic_write_text

    _check_out(args.output, "--output", ("project file", args.project),
               ("--weights", args.weights), ("--input", args.input))
    project, net, weights = _trained(args)
    if len(net.input_ids) != 1:
        raise UsageError("predict reads one input array; this network has several Inputs")
    x = load_array(args.input)
    want = net.input_shape
    if x.ndim == 2 and len(want) > 1 and x.shape[1] == int(np.prod(want)):
        x = x.reshape(len(x), *want)
    if tuple(x.shape[1:]) != want:
        raise DataError(f"{args.input}: each row must have {int(np.prod(want))} feature "
                        f"value(s) for input shape {want}, got {x.shape[1:]}")
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x.reshape(len(x), -1)))[0]
        raise DataError(f"{args.input}: row {bad[0] + 1} has a missing or non-numeric value")
    norm = weights.normalizer()
    if norm is not None:
        x = norm.transform(x)
    from nncore.losses import LOSSES

    net.set_fused_output(LOSSES[project.training.loss].fused_activation is not None)
    pred = net.predict(x)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    task = weights.meta.get("task") or project.training.task
    if task == "classification":
        names = weights.class_names
        if pred.shape[1] == 1:  # one sigmoid unit: P(class 1)
            probs = np.concatenate([1 - pred, pred], axis=1)
        else:
            probs = pred
        names = names or [str(i) for i in range(probs.shape[1])]
        w.writerow(["predicted_class"] + [f"p_{n}" for n in names])
        for row in probs:
            w.writerow([names[int(row.argmax())]] + [f"{v:.6g}" for v in row])
    else:
        flat = weights.unscale_targets(pred).reshape(len(pred), -1)
        w.writerow([f"prediction_{i}" for i in range(flat.shape[1])] if flat.shape[1] > 1
                   else ["prediction"])
        for row in flat:
            w.writerow([f"{v:.8g}" for v in row])
    atomic_write_text(Path(args.output), buf.getvalue())
    print(f"{len(pred)} predictions written to {args.output}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
