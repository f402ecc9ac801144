"""Python's cyclic garbage collector, run only where Qt holds no lock.

Left automatic, the collector runs inside whatever allocation crosses its threshold. That
can be inside a Qt call that holds one of Qt's internal mutexes (``QObject::disconnect``
asks PySide whether a Python override exists, which allocates): if the collection then
frees a cycle that owns a QObject, ``~QObject`` takes the same non-recursive mutex and the
GUI thread deadlocks (seen in this project's tests, a hang inside
``GraphicsItem._updateView``). The training thread can trigger collections too, freeing
Qt objects on the wrong thread.

:class:`CollectOnTimer` turns automatic collection off and collects from a timer of the
GUI thread's event loop, generation by generation with Python's own thresholds, so the
cost stays what automatic collection would spend. :func:`collect_due` does the same check
once (tests call it between tests).

:func:`freeze_startup`, called once the window is built, moves every object alive then
(modules, the window and its widgets: they live as long as the program) out of the
collector's sight with ``gc.freeze()``. Without it each full collection walks them all
again: 50-110 ms on the GUI thread while a big data set is prepared (measured by the
stack sampler of the data work), a stall the event loop's lateness shows. Python's own
automatic collector avoids most full collections with its long-lived-objects rule, which
:func:`collect_due` cannot read.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: Milliseconds between two checks of the collector's counters.
INTERVAL_MSEC = 500


def collect_due() -> int:
    """Collect as Python's automatic collector would at this point: the oldest generation
    whose counter (and every younger one's) passed its threshold (``gc.get_threshold``),
    with the younger ones. Returns the generation collected, or -1."""
    count, thresholds = gc.get_count(), gc.get_threshold()
    gen = -1
    for g in range(3):
        if count[g] <= thresholds[g]:
            break
        gen = g
    if gen >= 0:
        gc.collect(gen)
    return gen


def freeze_startup() -> None:
    """Collect everything once, then freeze what is left (``gc.freeze``): later full
    collections look only at objects made after this."""
    gc.collect()
    gc.freeze()


class CollectOnTimer(QObject):
    """Disables automatic collection while it lives; collects on a GUI-thread timer."""

    def __init__(self, parent: QObject | None = None, interval_msec: int = INTERVAL_MSEC):
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_msec)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> int:
        return collect_due()

    def uninstall(self) -> None:
        """Stop the timer and give collection back to Python."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()


_guard: CollectOnTimer | None = None


def install(app: QObject) -> CollectOnTimer:
    """Once per process: collect on ``app``'s event loop from now on."""
    global _guard
    if _guard is None:
        _guard = CollectOnTimer(app)
    return _guard
