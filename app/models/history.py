"""The run history of one window: the ordered runs, their numbering, the run being trained,
the run chosen in the list and the runs overlaid on the shown one.

Plain Python (no Qt): the run controller adds and ends runs; the plots and the history
list observe the :class:`~app.models.events.Event` attributes.
"""

from __future__ import annotations

from app.models.events import Event
from app.models.runs import RUN_COLORS, RunRecord, task_of
from nncore.project import Project


class RunHistory:
    """The runs of the open project, oldest first.

    Events (callbacks run at once, in the order connected):

    - ``runs_changed()``: a run was added or removed, or the history was cleared;
    - ``run_changed(run)``: a run's status, numbers or final weights changed;
    - ``display_changed()``: the run the plots show changed (see :meth:`display_run`);
    - ``overlay_changed()``: runs were overlaid or taken off.
    """

    def __init__(self) -> None:
        self.runs: list[RunRecord] = []
        #: The run being trained (between :meth:`begin` and :meth:`end`).
        self.active_run: RunRecord | None = None
        #: Numbers of the runs whose curves are overlaid on the shown run's.
        self.overlay: set[int] = set()
        self._selected: RunRecord | None = None
        self._next_number = 1
        self.runs_changed = Event()
        self.run_changed = Event()
        self.display_changed = Event()
        self.overlay_changed = Event()

    # -- reading ---------------------------------------------------------------------------
    def display_run(self) -> RunRecord | None:
        """The run the plots show: the active run, else the one chosen, else the latest."""
        if self.active_run is not None:
            return self.active_run
        if self._selected is not None and self._selected in self.runs:
            return self._selected
        return self.runs[-1] if self.runs else None

    def selected_run(self) -> RunRecord | None:
        """The run exports use: the one chosen in the history, else the latest finished."""
        if self._selected is not None and self._selected in self.runs \
                and self._selected.weights is not None:
            return self._selected
        done = [r for r in self.runs if r.weights is not None]
        return done[-1] if done else None

    def overlay_runs(self) -> list[RunRecord]:
        """The overlaid runs, oldest first, without the shown one."""
        shown = self.display_run()
        return [r for r in self.runs if r.number in self.overlay and r is not shown]

    def find(self, number: int) -> RunRecord | None:
        return next((r for r in self.runs if r.number == number), None)

    # -- the run being trained -------------------------------------------------------------
    def next_run(self, project: Project, start_epoch: int, continued: bool,
                 parent: tuple[int, int] | None = None, resumed_from: int = 0) -> RunRecord:
        """The record of the next run of ``project`` (numbered and coloured; ``parent``:
        the run and epoch a fork continues, from its checkpoint's epoch ``resumed_from``);
        it joins the history with :meth:`begin`."""
        number = self._next_number
        cfg = project.training.replace()  # a copy: the run changes the snapshot's in place
        return RunRecord(number, RUN_COLORS[(number - 1) % len(RUN_COLORS)], project, cfg,
                         start_epoch=start_epoch, continued=continued, task=task_of(cfg),
                         epochs_planned=cfg.epochs - resumed_from, parent=parent,
                         resumed_from=resumed_from)

    def next_fork(self, project: Project, parent: RunRecord) -> RunRecord:
        """The record of a run of ``project`` continuing ``parent``'s checkpoint: its curves
        go on from where the parent's ended."""
        start = parent.start_epoch + parent.epochs_done
        return self.next_run(project, start, True, (parent.number, start),
                             parent.checkpoint.epoch)

    def begin(self, run: RunRecord) -> None:
        """Add ``run`` (from :meth:`next_run`) as the active run."""
        self._next_number = run.number + 1
        self.runs.append(run)
        self.active_run = run
        self.runs_changed.emit()
        self.display_changed.emit()

    def end(self, run: RunRecord, keep: bool) -> None:
        """The active ``run`` ended: it stays in the history (``keep``), or it never
        trained and leaves it, its number given to the next run."""
        if run is self.active_run:
            self.active_run = None
        if not keep and run in self.runs:
            self.runs.remove(run)
            self._next_number = run.number
            self.runs_changed.emit()
        self.run_changed.emit(run)
        self.display_changed.emit()

    def run_updated(self, run: RunRecord) -> None:
        """Tell the observers that ``run``'s record changed (status, numbers, weights)."""
        self.run_changed.emit(run)

    # -- choices ---------------------------------------------------------------------------
    def select(self, run: RunRecord | None) -> bool:
        """Show ``run`` (when no run is active) and export it; False if it was already."""
        if run is self._selected:
            return False
        self._selected = run
        self.display_changed.emit()
        return True

    def set_overlay(self, number: int, on: bool) -> None:
        if on:
            self.overlay.add(number)
        else:
            self.overlay.discard(number)
        self.overlay_changed.emit()

    def clear(self) -> None:
        """Forget every run (a new project); numbering starts again at 1."""
        self.runs.clear()
        self.active_run = None
        self.overlay.clear()
        self._selected = None
        self._next_number = 1
        self.runs_changed.emit()
        self.display_changed.emit()
