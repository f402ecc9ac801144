"""The one-line progress bar a training command prints on stderr (epoch, losses, metrics,
ETA): redrawn in place on a terminal, a line every 2 seconds otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
    """Training event callback that prints the progress bar (nothing but the start line
    and a divergence's line break when ``quiet``)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, ev: Any) -> None:
        from nncore.events import Diverged, EpochEnd, TrainingStarted

        if isinstance(ev, TrainingStarted):
            if not self.quiet:
                print(f"training on {ev.n_train} samples, validating on {ev.n_val}, "
                      f"{ev.steps_per_epoch} batches per epoch", file=sys.stderr)
        elif isinstance(ev, EpochEnd) and not self.quiet:
            self._epoch_end(ev)
        elif isinstance(ev, Diverged):
            if self.tty and not self.quiet:
                print(file=sys.stderr)

    def _epoch_end(self, ev: Any) -> None:
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
                + f" ETA {format_duration(eta)}")
        if self.tty:
            print("\r" + line.ljust(110), end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr)

    def close(self) -> None:
        """End the bar's line (on a terminal, once it was drawn)."""
        if self.tty and not self.quiet and self.last:
            print(file=sys.stderr)


def format_duration(s: float) -> str:
    """Whole seconds as ``42s`` or ``3m05s``."""
    s = max(0, int(round(s)))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"
