"""How long the active run has trained, pauses excluded: the clock runs while it trains and
adds each stretch to the run's record when it stops (pause, step, end)."""

from __future__ import annotations

import time

from app.models.runs import RunRecord


class RunClock:
    """Adds the active run's training stretches to its ``active_time``."""

    def __init__(self) -> None:
        #: When the current stretch began (None: the run is not training).
        self._since: float | None = None

    def account(self, run: RunRecord | None, running: bool = False) -> None:
        """Add the time since the run last (re)started to ``run``'s active time;
        ``running`` says whether it trains from now on."""
        now = time.perf_counter()
        if run is not None and self._since is not None:
            run.active_time += now - self._since
        self._since = now if running and run is not None else None

    def elapsed(self, run: RunRecord, active: bool) -> float:
        """Seconds ``run`` has been training (``active``: it is the active run, whose
        current stretch counts too)."""
        t = run.active_time
        if active and self._since is not None:
            t += time.perf_counter() - self._since
        return t
