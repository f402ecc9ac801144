"""Learning-rate schedules, as multipliers of the base learning rate.

``learning_rate(...)`` is evaluated before every batch from the global step
(:class:`LearningRateSchedule` does it for a run). Epoch-based schedules see the fractional
epoch ``step / steps_per_epoch`` (the step schedule uses whole epochs). A linear warm-up
over ``warmup_epochs`` multiplies whichever schedule is chosen: factor
``min(1, (step + 1) / warmup_steps)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from nncore.errors import ParameterError
from nncore.params import Param, coerce_all

if TYPE_CHECKING:  # (the config module imports this one)
    from nncore.config import TrainingConfig


@dataclass(frozen=True)
class Schedule:
    name: str
    label: str
    help: str
    schema: tuple[Param, ...]
    #: (epoch as a float, total epochs, params) -> multiplier
    fn: Callable[[float, int, dict[str, Any]], float]


def _step(e: float, total: int, p: dict[str, Any]) -> float:
    return p["gamma"] ** math.floor(e / p["step_size"] + 1e-9)


def _exponential(e: float, total: int, p: dict[str, Any]) -> float:
    return p["gamma"] ** e


def _cosine(e: float, total: int, p: dict[str, Any]) -> float:
    lo = p["min_factor"]
    frac = min(e / max(total, 1), 1.0)
    return lo + (1.0 - lo) * 0.5 * (1.0 + math.cos(math.pi * frac))


SCHEDULES: dict[str, Schedule] = {s.name: s for s in (
    Schedule("constant", "Constant", "The same learning rate throughout.", (),
             lambda e, total, p: 1.0),
    Schedule("step", "Step decay", "Multiply by gamma every step_size epochs.", (
        Param("step_size", "int", 10, "Epochs between drops.", min=1),
        Param("gamma", "float", 0.5, "Factor applied at each drop.", min=0.0, max=1.0),
    ), _step),
    Schedule("exponential", "Exponential decay", "Multiply by gamma every epoch, smoothly.", (
        Param("gamma", "float", 0.95, "Factor per epoch.", min=0.0, max=1.0),
    ), _exponential),
    Schedule("cosine", "Cosine annealing", "Half a cosine from the base rate down over the run.", (
        Param("min_factor", "float", 0.0, "Final rate as a fraction of the base rate.",
              min=0.0, max=1.0),
    ), _cosine),
)}


def check_schedule(name: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        sched = SCHEDULES[name]
    except KeyError:
        raise ParameterError(
            f"unknown schedule {name!r} (known: {', '.join(SCHEDULES)})") from None
    return coerce_all(sched.schema, params, f"schedule {name}")


def learning_rate(base_lr: float, name: str, params: dict[str, Any], step: int,
                  steps_per_epoch: int, total_epochs: int, warmup_epochs: float = 0.0) -> float:
    """The learning rate for global step ``step`` (0-based)."""
    epoch = step / max(steps_per_epoch, 1)
    factor = SCHEDULES[name].fn(epoch, total_epochs, params)
    if warmup_epochs > 0:
        warm_steps = warmup_epochs * max(steps_per_epoch, 1)
        factor *= min(1.0, (step + 1) / warm_steps)
    return base_lr * factor


class LearningRateSchedule:
    """The learning rate of each step of a run, from the run's settings (read at every
    step, so a change of the rate, schedule or warm-up during the run applies from the next
    batch)."""

    def __init__(self, config: TrainingConfig, steps_per_epoch: int) -> None:
        self.config = config
        self.steps_per_epoch = steps_per_epoch

    def rate(self, step: int) -> float:
        """The learning rate for global step ``step`` (0-based)."""
        cfg = self.config
        if cfg.schedule == "constant" and not cfg.warmup_epochs:
            return cfg.learning_rate  # the common case, without the arithmetic
        return learning_rate(cfg.learning_rate, cfg.schedule, cfg.schedule_params, step,
                             self.steps_per_epoch, cfg.epochs, cfg.warmup_epochs)
