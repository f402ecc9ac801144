"""``netcanvas train``: train a project through the run pipeline
(:func:`nncore.run.run_project`), print progress, save the weights and a metrics CSV.

Ctrl+C while training asks the trainer to stop after its current batch (the epochs so far
are saved, exit code 0); a second Ctrl+C aborts.
"""

from __future__ import annotations

import argparse
import csv
import io
import signal
import threading
from typing import TYPE_CHECKING, Any

from nncore.cli.common import (
    EXIT_OK,
    InProject,
    UsageError,
    check_output_path,
    load_project_file,
    notice,
)
from nncore.cli.progress import Progress
from nncore.errors import TrainingError

if TYPE_CHECKING:
    from nncore.events import RunControl, TrainingFinished
    from nncore.project import Project
    from nncore.run import RunRequest, RunResult


def add_parser(commands: Any) -> argparse.ArgumentParser:
    t = commands.add_parser("train", help="train a project and save its weights and metrics")
    t.add_argument("project", help="project file (.json)")
    t.add_argument("--epochs", type=int, help="override the project's number of epochs")
    t.add_argument("--seed", type=int, help="override the project's seed")
    t.add_argument("--init-weights", metavar="W.npz", help="start from these weights")
    t.add_argument("--partial", action="store_true",
                   help="with --init-weights: load only the layers that match by name and "
                        "shape (transfer learning)")
    t.add_argument("--freeze-loaded", action="store_true",
                   help="with --partial: keep the loaded layers fixed during training")
    t.add_argument("--resume", metavar="CKPT.npz",
                   help="continue the run saved in this checkpoint (its weights, optimizer "
                        "state, epoch and step); --epochs counts all epochs, those before "
                        "included; changed settings apply from there on")
    t.add_argument("--checkpoint", metavar="CKPT.npz",
                   help="save a checkpoint at the end, to --resume from later")
    t.add_argument("--out-weights", metavar="W.npz", help="where to save the trained weights")
    t.add_argument("--metrics", metavar="M.csv", help="write one row of metrics per epoch")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    return t


def run(args: argparse.Namespace) -> int:
    from nncore.graph import analyze
    from nncore.run import RunRequest
    from nncore.weights import read_weights

    project, base = load_project_file(args.project)
    _check_usage(args)
    project_file = ("project file", args.project)
    check_output_path(args.out_weights, "--out-weights", project_file)
    check_output_path(args.metrics, "--metrics", project_file,
                      ("--out-weights", args.out_weights), ("--init-weights", args.init_weights))
    check_output_path(args.checkpoint, "--checkpoint", project_file,
                      ("--out-weights", args.out_weights), ("--metrics", args.metrics),
                      ("--init-weights", args.init_weights), ("--resume", args.resume))
    resume = _read_resume(args, project)
    init = None
    if args.init_weights:
        analysis = analyze(project.graph)  # the shapes, to judge the file's arrays unread
        init = read_weights(args.init_weights,
                            analysis.weight_shapes() if analysis.ok else None)
    request = RunRequest(project, base, epochs=args.epochs, seed=args.seed,
                         init_weights=init, partial=args.partial,
                         freeze_loaded=args.freeze_loaded)
    result = _train(args, request, resume)
    # Only Ctrl+C stops the control, and only once training runs: the run reached fit.
    fin = result.finished
    if fin.reason == "diverged":
        outs = [o for o in (args.out_weights, args.metrics, args.checkpoint) if o]
        raise TrainingError(fin.message + (f" Nothing was written to {', '.join(outs)}."
                                           if outs else ""))
    _save(args, project, result)
    _report(args, fin)
    return EXIT_OK


def _check_usage(args: argparse.Namespace) -> None:
    from nncore.config import TRAINING_SCHEMA

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
    if args.resume and args.init_weights:
        raise UsageError("--resume and --init-weights both give the starting weights; use "
                         "one")


def _read_resume(args: argparse.Namespace, project: Project) -> Any:
    """The checkpoint of ``--resume`` (None without it), checked against the network and
    the number of epochs."""
    if not args.resume:
        return None
    from nncore.checkpoint import read_checkpoint
    from nncore.graph import analyze

    analysis = analyze(project.graph)
    ckpt = read_checkpoint(args.resume, analysis.weight_shapes() if analysis.ok else None)
    epochs = args.epochs if args.epochs is not None else project.training.epochs
    if ckpt.epoch >= epochs:
        raise UsageError(f"--resume: {args.resume} is at epoch {ckpt.epoch} and the run has "
                         f"{epochs} epochs in all: nothing to train (raise --epochs)")
    return ckpt


class _CtrlCStops:
    """From :meth:`install` (when training starts) to :meth:`restore`: the first Ctrl+C asks
    the run to stop after this batch, the next one aborts (KeyboardInterrupt). Signal
    handlers exist only on the main thread; elsewhere Ctrl+C is left alone."""

    def __init__(self, control: RunControl) -> None:
        self.control = control
        self.installed = False
        self.previous: Any = None

    def install(self, _run: Any = None) -> None:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._on_sigint)
            self.installed = True

    def _on_sigint(self, signum: int, frame: Any) -> None:
        self.control.request_stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        notice("\nstopping after this batch (press Ctrl+C again to abort)...\n")

    def restore(self) -> None:
        if self.installed:
            signal.signal(signal.SIGINT, self.previous if self.previous is not None
                          else signal.default_int_handler)
            self.installed = False


def _train(args: argparse.Namespace, request: RunRequest, resume: Any = None) -> RunResult:
    """Run the pipeline, printing progress; Ctrl+C stops it gracefully once training runs.
    ``resume``: a checkpoint the run continues."""
    from nncore.events import RunControl
    from nncore.run import RunHooks, run_project

    control = RunControl()
    progress = Progress(args.quiet)
    ctrl_c = _CtrlCStops(control)
    init = request.init_weights

    def fit_starting(run: Any) -> None:
        if resume is not None:
            from nncore.checkpoint import resume as resume_run

            resume_run(run.trainer, resume)
        ctrl_c.install()

    try:
        with InProject(args.project, init.source if init is not None else None,
                       resume.source if resume is not None else None):
            return run_project(request, control, progress, RunHooks(fit_starting=fit_starting))
    finally:
        ctrl_c.restore()
        progress.close()


def _save(args: argparse.Namespace, project: Project, result: RunResult) -> None:
    """Write the run's outputs as one set: all new, or (on any error) all as they were."""
    from nncore.fileio import OutputSet
    from nncore.weights import weights_bytes

    data = result.data
    with OutputSet() as out:
        if args.out_weights:
            out.add_bytes(args.out_weights, weights_bytes(
                result.network, normalizer=data.normalizer, class_names=data.class_names,
                task=data.dataset.task, project_name=project.name,
                target_mean=data.target_mean, target_std=data.target_std))
        if args.metrics:
            out.add_text(args.metrics, metrics_csv(result.finished.history,
                                                   data.dataset.task))
        if args.checkpoint:
            from nncore.checkpoint import checkpoint_bytes

            settings = {**project.to_dict(), "training": result.trainer.config.to_dict()}
            out.add_bytes(args.checkpoint, checkpoint_bytes(result.trainer, settings))
        out.commit()


def _report(args: argparse.Namespace, fin: TrainingFinished) -> None:
    """The final metrics, how the run ended and what was written, on stdout."""
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
    if args.checkpoint:
        print(f"checkpoint written to {args.checkpoint}")


def metrics_csv(history: Any, task: str) -> str:
    """One CSV row per epoch: losses, and accuracy (classification) or RMSE and R2 of
    both splits; an empty cell where a value does not exist."""
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
    return buf.getvalue()


def _num(v: float | None) -> str:
    return "" if v is None else repr(float(v))
