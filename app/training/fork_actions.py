"""The window part that saves and forks runs: "Save Checkpoint…" writes where the chosen
run ended (weights, optimizer state, epoch and step counts, the random generator, early
stopping's state, the history and the settings: :mod:`nncore.checkpoint`'s format, which
``netcanvas train --resume`` reads) and "Fork from Here…" starts a new run from it with the
project's current settings, as ``netcanvas train --resume`` would: the fork joins the Runs
table with its parent ("Run 3 ← Run 1 @ epoch 5") and its curves go on from that epoch.

Built from a :class:`~app.window.context.WindowContext`, the run controller and the Runs
panel (the chosen run); exposes ``actions`` for the Runs dock's menu and the Run menu.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from app import dialogs
from app.models.comparison import run_project, show_value
from app.models.runs import RunRecord
from app.training.controller import RunController
from app.training.runs_dock import RunsPanel
from app.window.context import WindowContext
from nncore.checkpoint import checkpoint_to_bytes
from nncore.compare import differences
from nncore.fileio import atomic_write_bytes
from nncore.graph import analyze
from nncore.project import Project


def fork_problem(run: RunRecord, project: Project) -> str | None:
    """Why ``project`` cannot continue ``run``'s checkpoint (None: it can)."""
    checkpoint = run.checkpoint
    analysis = analyze(project.graph)
    if not analysis.ok:
        return f"the network has a problem: {analysis.errors[0]}"
    shapes = {k: tuple(v) for k, v in analysis.weight_shapes().items()}
    saved = {k: tuple(a.shape) for k, a in checkpoint.weights.items()}
    if shapes != saved:
        changed = sorted({k.split("/")[0] for k in set(shapes) ^ set(saved)}
                         | {k.split("/")[0] for k in shapes.keys() & saved.keys()
                            if shapes[k] != saved[k]})
        return (f"the network's layers changed since {run.name} ({', '.join(changed)}); a "
                "fork continues the same layers with other settings")
    epochs = project.training.epochs
    if checkpoint.epoch >= epochs:
        return (f"{run.name}'s checkpoint is at epoch {checkpoint.epoch} of its run and "
                f"Epochs is {epochs} (the epochs in all, as for netcanvas train --resume): "
                f"set Epochs above {checkpoint.epoch} in the Training panel")
    return None


class ForkActions(QObject):
    """Save Checkpoint… and Fork from Here… for the run chosen in the Runs table."""

    def __init__(self, context: WindowContext, training: RunController, panel: RunsPanel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.training = training
        self.panel = panel
        a = context.parts.action
        self.act_save = a("actionSaveCheckpoint", "Save &Checkpoint…", self.save_dialog, [],
                          None, "Save where the chosen run ended (weights, optimizer state, "
                          "epoch) to continue it later (netcanvas train --resume)")
        self.act_fork = a("actionForkRun", "&Fork from Here…", self.fork_dialog, [], None,
                          "Start a new run from where the chosen run ended, with the "
                          "current settings")
        panel.selectionChanged.connect(self.update_actions)
        training.stateChanged.connect(self.update_actions)
        training.history.run_changed.connect(self.update_actions)
        self.update_actions()

    @property
    def actions(self) -> list[QAction]:
        return [self.act_save, self.act_fork]

    def chosen(self) -> RunRecord | None:
        """The one run chosen in the table, if it has a checkpoint."""
        runs = self.panel.selected_runs()
        if len(runs) != 1 or runs[0].checkpoint is None:
            return None
        return runs[0]

    def update_actions(self, *_args: object) -> None:
        run = self.chosen()
        self.act_save.setEnabled(run is not None)
        self.act_fork.setEnabled(run is not None and not self.training.active)

    def _status(self, text: str) -> None:
        self._context.status(text, 10000)

    def save_dialog(self) -> bool:
        run = self.chosen()
        if run is None:
            self._status("Save Checkpoint: choose one finished run in the Runs table")
            return False
        doc = self._context.document
        folder = doc.path.parent if doc.path else Path.home()
        stem = (doc.path.stem if doc.path else (doc.project.name or "run")).replace(" ", "_")
        path = dialogs.get_save_path(
            self._context.dialog_parent, f"Save checkpoint of {run.name}",
            str(folder / f"{stem}_run{run.number}_epoch{run.checkpoint.epoch}.npz"),
            "NetCanvas checkpoints (*.npz)")
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() != ".npz":
            path = path.with_name(path.name + ".npz")
        try:
            atomic_write_bytes(path, checkpoint_to_bytes(run.checkpoint))
        except OSError as e:
            dialogs.show_error(self._context.dialog_parent, "Checkpoint not saved",
                               f"“{path.name}” could not be written.", e.strerror or str(e))
            return False
        self._status(f"Saved {run.name} at epoch {run.checkpoint.epoch} to {path}")
        return True

    def fork_dialog(self, confirm: bool = True) -> RunRecord | None:
        """Fork the chosen run with the current settings, after saying what changed."""
        run = self.chosen()
        if run is None or self.training.active:
            self._status("Fork: choose one finished run in the Runs table (while no run "
                         "trains)")
            return None
        project = self._context.document.snapshot()
        problem = fork_problem(run, project)
        if problem is not None:
            dialogs.show_error(self._context.dialog_parent, "Cannot fork",
                               f"{run.name} cannot be forked now.", problem[0].upper()
                               + problem[1:] + ".")
            return None
        start = run.start_epoch + run.epochs_done
        changed = [f"{d.path}: {show_value(d.values[0])} → {show_value(d.values[1])}"
                   for d in differences([run_project(run), project])]
        more = project.training.epochs - run.checkpoint.epoch
        text = (f"Continue {run.name} from epoch {start} for {more} more epoch"
                f"{'s' if more != 1 else ''} with the current settings?")
        detail = ("Changed since the run:\n" + "\n".join(changed[:12])) if changed else \
            "No setting changed: the fork continues the run as it was."
        if confirm and not dialogs.ask_yes_no(self._context.dialog_parent,
                                              f"Fork {run.name}", text, detail):
            return None
        fork = self.training.start_run(project, parent=run)
        if fork is not None:
            self._status(f"{fork.lineage}: training on with the current settings")
        return fork

