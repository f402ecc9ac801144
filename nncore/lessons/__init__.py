"""Lessons: each principle of deep learning as experiments a student runs and sees.

:data:`LESSONS` lists them in teaching order; :func:`lesson` finds one by name. Each is a
:class:`~nncore.lessons.base.Lesson`: a project, a short text and steps whose claims are
checked by training headless (``netcanvas lesson NAME --check``, and the test suite).
"""

from __future__ import annotations

from nncore.errors import ParameterError
from nncore.lessons.architectures import CNN_LESSON
from nncore.lessons.augmentation import AUGMENTATION
from nncore.lessons.base import Figure, Lesson, Step
from nncore.lessons.depth import VANISHING
from nncore.lessons.foundations import (
    ACTIVATIONS,
    EPOCHS_AND_BATCHES,
    LEARNING_RATE,
    NONLINEARITY,
)
from nncore.lessons.generalization import DROPOUT, OVERFITTING, REGULARIZATION
from nncore.lessons.interpretability import INTERPRETABILITY
from nncore.lessons.losses import LOSSES_LESSON
from nncore.lessons.recommender import RECOMMENDER
from nncore.lessons.sequences import SEQUENCES
from nncore.lessons.transfer import TRANSFER

LESSONS: tuple[Lesson, ...] = (NONLINEARITY, ACTIVATIONS, LOSSES_LESSON, LEARNING_RATE,
                               EPOCHS_AND_BATCHES, OVERFITTING, REGULARIZATION, DROPOUT,
                               VANISHING, CNN_LESSON, SEQUENCES, RECOMMENDER, TRANSFER,
                               AUGMENTATION, INTERPRETABILITY)


def lesson(name: str) -> Lesson:
    for item in LESSONS:
        if item.name == name:
            return item
    raise ParameterError(f"no lesson named {name!r} (lessons: "
                         f"{', '.join(x.name for x in LESSONS)})")


__all__ = ["LESSONS", "Figure", "Lesson", "Step", "lesson"]
