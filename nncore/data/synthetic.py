"""Synthetic data sets in the style of TensorFlow Playground.

Coordinates
    The 2-D generators use Playground's coordinate system: points lie roughly in
    ``[-6, 6] x [-6, 6]`` (circle radius 5, XOR and plane in ``[-5, 5]`` / ``[-6, 6]``,
    Gaussian clusters at ``(+-2, +-2)``). They are *not* normalised; use
    :class:`nncore.data.preprocess.Normalizer` when a model needs unit-scale inputs.
    Feature names are ``'x1'`` and ``'x2'``.

Noise
    ``noise`` is a fraction in ``[0, 1]`` (Playground's slider covers ``0 .. 0.5``) with
    Playground's meaning for each generator:

    * ``circle``, ``xor``, ``plane``, ``multi_gaussian``: the *label* is computed at the point
      shifted by a uniform offset of up to ``noise * radius`` per axis, so labels near the
      boundary get flipped; the points themselves are not moved.
    * ``gauss``: the cluster variance is ``0.5 + noise * 3.5``.
    * ``spiral``: points are moved by a uniform offset of up to ``noise`` per axis.
    * ``moons``: Gaussian jitter of standard deviation ``noise`` in unit moon coordinates,
      before scaling to the Playground range.

Classification generators return two balanced classes (``int64`` indices, shuffled);
regression generators return ``float32`` targets of shape ``(n, 1)`` in about ``[-1, 1]``.
Every generator is deterministic for a given integer ``seed``
(``numpy.random.defaultseeded_rng(seed)``); ``seed=None`` draws fresh randomness.

:data:`GENERATORS` describes every generator and its parameters so the GUI can build a form.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nncore.errors import DataError, ParameterError
from nncore.params import Param

from .clues import clues
from .dataset import Dataset
from .generator_checks import check_n, check_noise, seeded_rng
from .long_memory import first_value_sequences

_XY = ["x1", "x2"]
#: How far the plane's outliers lie above it.
OUTLIER_SHIFT = 4.0


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _classes(n_samples: int, n_classes: int) -> list[int]:
    """Sizes of ``n_classes`` balanced classes adding up to ``n_samples``."""
    base, extra = divmod(n_samples, n_classes)
    return [base + (1 if c < extra else 0) for c in range(n_classes)]


def _finish_classification(
    points: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    name: str,
    description: str,
    class_names: list[str],
) -> Dataset:
    order = rng.permutation(len(labels))
    return Dataset(
        X=points[order].astype(np.float32),
        y=labels[order].astype(np.int64),
        task="classification",
        class_names=class_names,
        feature_names=list(_XY),
        name=name,
        description=description,
    )


def _finish_regression(
    points: np.ndarray, target: np.ndarray, name: str, description: str
) -> Dataset:
    return Dataset(
        X=points.astype(np.float32),
        y=target.astype(np.float32).reshape(-1, 1),
        task="regression",
        feature_names=list(_XY),
        name=name,
        description=description,
    )


# ---------------------------------------------------------------------------------------------
# classification
# ---------------------------------------------------------------------------------------------
def circle(n_samples: int = 500, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """A disc of class 1 (radius < 2.5) inside a ring of class 0 (radius 3.5 .. 5)."""
    n = check_n(n_samples)
    noise = check_noise(noise)
    rng = seeded_rng(seed)
    radius = 5.0
    n_in, n_out = _classes(n, 2)[1], _classes(n, 2)[0]
    r = np.concatenate(
        [rng.uniform(0.0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out)]
    )
    angle = rng.uniform(0.0, 2 * math.pi, n)
    pts = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    shifted = pts + rng.uniform(-radius, radius, (n, 2)) * noise
    labels = (np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5).astype(np.int64)
    return _finish_classification(
        pts,
        labels,
        rng,
        "circle",
        "Inner disc (class 'inner') surrounded by a ring.",
        ["outer", "inner"],
    )


def xor(n_samples: int = 500, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Class 1 where x1 and x2 have the same sign (quadrants I and III), else class 0."""
    n = check_n(n_samples)
    noise = check_noise(noise)
    rng = seeded_rng(seed)
    padding = 0.3
    pts = rng.uniform(-5.0, 5.0, (n, 2))
    pts += np.where(pts > 0, padding, -padding)
    shifted = pts + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    labels = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return _finish_classification(
        pts, labels, rng, "xor", "XOR of the signs of x1 and x2.", ["opposite signs", "same sign"]
    )


def gauss(n_samples: int = 500, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Two Gaussian clusters centred at (-2, -2) (class 0) and (2, 2) (class 1)."""
    n = check_n(n_samples)
    noise = check_noise(noise)
    rng = seeded_rng(seed)
    std = math.sqrt(0.5 + noise * (4.0 - 0.5))
    sizes = _classes(n, 2)
    pts = np.concatenate(
        [rng.normal(-2.0, std, (sizes[0], 2)), rng.normal(2.0, std, (sizes[1], 2))]
    )
    labels = np.repeat([0, 1], sizes)
    return _finish_classification(
        pts,
        labels,
        rng,
        "gauss",
        "Two Gaussian clusters at (-2, -2) and (2, 2).",
        ["cluster (-2,-2)", "cluster (2,2)"],
    )


def spiral(
    n_samples: int = 500, noise: float = 0.1, seed: int | None = 0, n_classes: int = 2
) -> Dataset:
    """Interleaved spiral arms, one per class (Playground's spiral for ``n_classes=2``).

    Each arm grows from radius 0 to 5 over 1.75 turns; arm ``k`` is rotated by
    ``2 pi k / n_classes``. With the default noise the arms are well separated (a 2-16-16-2
    MLP reaches more than 97 % accuracy).
    """
    n = check_n(n_samples)
    noise = check_noise(noise)
    n_classes = check_n(n_classes, 2, "n_classes")
    if n < n_classes:
        raise DataError(f"n_samples ({n}) must be at least n_classes ({n_classes})")
    rng = seeded_rng(seed)
    parts, labels = [], []
    for k, size in enumerate(_classes(n, n_classes)):
        i = np.arange(size) / size
        r = i * 5.0
        t = 1.75 * i * 2 * math.pi + 2 * math.pi * k / n_classes
        arm = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        arm += rng.uniform(-1.0, 1.0, (size, 2)) * noise
        parts.append(arm)
        labels.append(np.full(size, k))
    return _finish_classification(
        np.concatenate(parts),
        np.concatenate(labels),
        rng,
        "spiral",
        f"{n_classes} interleaved spiral arms.",
        [f"arm {k}" for k in range(n_classes)],
    )


def moons(n_samples: int = 500, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Two interleaving half circles (upper moon class 0, lower moon class 1), scaled by 3
    and centred: the points lie in ``[-4.5, 4.5] x [-2.25, 2.25]`` before noise."""
    n = check_n(n_samples)
    noise = check_noise(noise)
    rng = seeded_rng(seed)
    sizes = _classes(n, 2)
    t0 = rng.uniform(0.0, math.pi, sizes[0])
    t1 = rng.uniform(0.0, math.pi, sizes[1])
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    pts = np.concatenate([upper, lower])
    pts += rng.normal(0.0, 1.0, pts.shape) * noise
    pts = (pts - np.array([0.5, 0.25])) * 3.0
    labels = np.repeat([0, 1], sizes)
    return _finish_classification(
        pts, labels, rng, "moons", "Two interleaving half circles.", ["upper moon", "lower moon"]
    )


# ---------------------------------------------------------------------------------------------
# regression
# ---------------------------------------------------------------------------------------------
def plane(n_samples: int = 500, noise: float = 0.1, seed: int | None = 0,
          outliers: float = 0.0) -> Dataset:
    """Target ``(x1 + x2) / 10`` on points uniform in ``[-6, 6]^2`` (about ``[-1.2, 1.2]``);
    a share ``outliers`` of the targets is pushed 4 higher (drawn after the rest, so the
    other values are those without outliers)."""
    n = check_n(n_samples)
    noise = check_noise(noise)
    rng = seeded_rng(seed)
    radius = 6.0
    pts = rng.uniform(-radius, radius, (n, 2))
    shifted = pts + rng.uniform(-radius, radius, (n, 2)) * noise
    target = (shifted[:, 0] + shifted[:, 1]) / 10.0
    if outliers > 0:
        target[rng.permutation(n)[:round(n * outliers)]] += OUTLIER_SHIFT
    return _finish_regression(pts, target, "plane", "Linear ramp: y = (x1 + x2) / 10.")


_GAUSSIANS = [
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
]


def multi_gaussian(n_samples: int = 500, noise: float = 0.1, seed: int | None = 0) -> Dataset:
    """Six bumps of alternating sign on a 3x2 grid; the target is the strongest bump's value
    ``sign * max(0, 1 - distance / 2)``, in ``[-1, 1]``; points uniform in ``[-6, 6]^2``."""
    n = check_n(n_samples)
    noise = check_noise(noise)
    rng = seeded_rng(seed)
    radius = 6.0
    pts = rng.uniform(-radius, radius, (n, 2))
    shifted = pts + rng.uniform(-radius, radius, (n, 2)) * noise
    centres = np.array([(cx, cy) for cx, cy, _ in _GAUSSIANS])
    signs = np.array([s for _, _, s in _GAUSSIANS])
    dist = np.linalg.norm(shifted[:, None, :] - centres[None, :, :], axis=2)  # (n, 6)
    values = signs[None, :] * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
    best = np.argmax(np.abs(values), axis=1)
    target = values[np.arange(n), best]
    return _finish_regression(
        pts, target, "multi_gaussian", "Six Gaussian-like bumps of alternating sign."
    )


# ---------------------------------------------------------------------------------------------
# sequences and recommender
# ---------------------------------------------------------------------------------------------
def sine_series(
    n_points: int = 1000, noise: float = 0.05, seed: int | None = 0, period: float = 50.0
) -> np.ndarray:
    """A noisy sine wave ``sin(2 pi t / period) + N(0, noise)``, ``float32`` of shape
    ``(n_points,)``, for sequence tasks (see :mod:`nncore.data.sequences`)."""
    n = check_n(n_points)
    noise = check_noise(noise)
    if not period > 0:
        raise DataError(f"period must be positive, got {period!r}")
    rng = seeded_rng(seed)
    t = np.arange(n, dtype=np.float64)
    return (np.sin(2 * math.pi * t / period) + rng.normal(0.0, noise, n)).astype(np.float32)


def sine_windows(
    n_points: int = 1000,
    noise: float = 0.05,
    seed: int | None = 0,
    window: int = 20,
    horizon: int = 1,
    period: float = 50.0,
) -> Dataset:
    """:func:`sine_series` cut into sliding windows: X ``(n, window, 1)``, y ``(n, 1)``."""
    from .sequences import sine_dataset  # local import: sequences imports this module

    return sine_dataset(
        n_points=n_points, window=window, horizon=horizon, noise=noise, seed=seed, period=period
    )


def recommender_ratings(
    n_users: int = 100,
    n_items: int = 80,
    rank: int = 3,
    n_ratings: int = 3000,
    noise: float = 0.1,
    seed: int | None = 0,
) -> Dataset:
    """Ratings from a low-rank model: ``3 + b_u + b_i + <p_u, q_i> + N(0, noise)``, clipped
    to ``[1, 5]``, for ``n_ratings`` distinct (user, item) pairs.

    Returns a multi-input regression data set with ``inputs={'user': ids, 'item': ids}``
    (``int64``, shape ``(n,)``), ``X`` = the user ids, ``y`` = ratings ``float32 (n, 1)``,
    and ``meta['vocab_sizes'] = {'user': n_users, 'item': n_items}``.
    """
    n_users = check_n(n_users, 1, "n_users")
    n_items = check_n(n_items, 1, "n_items")
    rank = check_n(rank, 1, "rank")
    n_ratings = check_n(n_ratings, 2, "n_ratings")
    noise = check_noise(noise, maximum=5.0)
    if n_ratings > n_users * n_items:
        raise DataError(
            f"n_ratings ({n_ratings}) cannot exceed n_users * n_items ({n_users * n_items})"
        )
    rng = seeded_rng(seed)
    p = rng.normal(0.0, 1.0 / math.sqrt(rank), (n_users, rank))
    q = rng.normal(0.0, 1.0, (n_items, rank))
    b_user = rng.normal(0.0, 0.3, n_users)
    b_item = rng.normal(0.0, 0.3, n_items)
    pairs = rng.choice(n_users * n_items, size=n_ratings, replace=False)
    users, items = np.divmod(pairs, n_items)
    users = users.astype(np.int64)
    items = items.astype(np.int64)
    rating = (
        3.0
        + b_user[users]
        + b_item[items]
        + np.sum(p[users] * q[items], axis=1)
        + rng.normal(0.0, noise, n_ratings)
    )
    rating = np.clip(rating, 1.0, 5.0)
    return Dataset(
        X=users,
        y=rating.astype(np.float32).reshape(-1, 1),
        task="regression",
        feature_names=["user", "item"],
        name="recommender",
        description=f"Synthetic ratings of {n_items} items by {n_users} users from "
        f"a rank-{rank} model.",
        inputs={"user": users, "item": items},
        meta={"vocab_sizes": {"user": n_users, "item": n_items}},
    )


# ---------------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Generator:
    """A registered generator: callable like the function itself, plus a description of its
    parameters (``params``) and of the data it produces (``task``, ``description``)."""

    name: str
    fn: Callable[..., Dataset]
    task: str
    description: str
    params: tuple[Param, ...] = field(default_factory=tuple)

    def __call__(self, **kwargs: Any) -> Dataset:
        return self.fn(**kwargs)

    def defaults(self) -> dict[str, int | float]:
        """Default value of every parameter."""
        return {p.name: p.default for p in self.params}

    def generate(self, values: dict[str, Any] | None = None) -> Dataset:
        """Validate ``values`` (missing ones take their default) and call the generator."""
        values = dict(values or {})
        unknown = set(values) - {p.name for p in self.params}
        if unknown:
            raise DataError(f"generator '{self.name}' has no parameter(s) {sorted(unknown)}")
        owner = f"generator '{self.name}'"
        try:
            kwargs = {p.name: p.coerce(values.get(p.name, p.default), owner) for p in self.params}
        except ParameterError as e:
            raise DataError(str(e)) from None
        return self.fn(**kwargs)


_N = Param("n_samples", "int", 500, "How many points to draw.", min=10, max=100_000)
_SEED = Param("seed", "int", 0, "Which random draw: the same number always gives the same data.",
              min=0, max=2**31 - 1)


def _noise(default: float = 0.1,
           help_: str = "How much the points are scattered at random (0: not at all).",
           maximum: float = 1.0) -> Param:
    return Param("noise", "float", default, help_, min=0.0, max=maximum)


#: Each generator's name, function, task and description (what the data is and what the
#: window shows of it, in the words of the person using it) and parameters.
GENERATORS: dict[str, Generator] = {
    "circle": Generator(
        "circle", circle, "classification",
        "Points in a plane in 2 classes: a disc of one inside a ring of the other. No "
        "straight line separates them; the Results plot shows the round boundary the network "
        "learns.",
        (_N, _noise(), _SEED)),
    "xor": Generator(
        "xor", xor, "classification",
        "Points in a plane in 2 classes by the signs of their two coordinates (alike or "
        "not): the XOR problem, which one neuron alone cannot solve. The Results plot shows "
        "the boundary the network learns.",
        (_N, _noise(), _SEED)),
    "gauss": Generator(
        "gauss", gauss, "classification",
        "Points in a plane in 2 classes: two round clouds, almost apart. An easy first "
        "problem; the Results plot shows the boundary the network draws between them.",
        (_N, _noise(help_="How wide the two clouds are (0: tight, 1: overlapping)."), _SEED)),
    "spiral": Generator(
        "spiral", spiral, "classification",
        "Points in a plane on interleaved spiral arms, one class per arm: a hard problem "
        "whose boundary winds around the centre. The Results plot shows it forming while "
        "the network trains.",
        (_N, _noise(help_="How far each point moves off its arm at random."), _SEED,
         Param("n_classes", "int", 2, "How many arms, one class each.", min=2, max=8))),
    "moons": Generator(
        "moons", moons, "classification",
        "Points in a plane in 2 classes: two interleaving half circles (moons). The boundary "
        "must curve between them; the Results plot shows it.",
        (_N, _noise(help_="How far points scatter from their moon (in moon radii)."), _SEED)),
    "plane": Generator(
        "plane", plane, "regression",
        "Points in a plane with a number to predict that rises evenly across it (a tilted "
        "plane): the simplest regression, which one layer without activation fits. The "
        "Results plot shows the predicted number over the plane.",
        (_N, _noise(), _SEED, Param("outliers", "float", 0.0, "What share of the numbers "
                                    "are pushed far above the plane (outliers).", min=0.0,
                                    max=0.5))),
    "clues": Generator(
        "clues", clues, "classification",
        "Rows of several numbers of which only the first two decide the class (whether x1 + "
        "x2 is above 0); the rest mean nothing. For seeing which inputs a network relies on "
        "(Run > Explain).",
        (_N, _noise(), _SEED, Param("n_inputs", "int", 6, "How many numbers each row has "
                                    "(the first two decide the class).", min=3, max=20))),
    "multi_gaussian": Generator(
        "multi_gaussian", multi_gaussian, "regression",
        "Points in a plane with a number to predict: a surface of six bumps, three up and "
        "three down. A regression that needs hidden layers; the Results plot shows the "
        "surface the network predicts.",
        (_N, _noise(), _SEED)),
    "sine": Generator(
        "sine", sine_windows, "regression",
        "A noisy sine wave cut into windows of consecutive values; from each window the "
        "network predicts a value further along the wave. For recurrent layers (LSTM, GRU, "
        "SimpleRNN) or a Dense network on the flattened window.",
        (Param("n_points", "int", 1000, "How many values the wave has.", min=50, max=100_000),
         _noise(0.05, "How much random noise is added to each value."),
         _SEED,
         Param("window", "int", 20, "How many consecutive values the network sees.", min=1,
               max=1000),
         Param("horizon", "int", 1, "How many steps ahead to predict.", min=1, max=1000),
         Param("period", "float", 50.0, "How many steps one full wave takes.", min=2.0,
               max=10_000.0))),
    "recommender": Generator(
        "recommender", recommender_ratings, "regression",
        "Ratings from 1 to 5 that users gave items, made up from a few hidden tastes. The "
        "network gets a user and an item (two numbers naming them, for Embedding layers) "
        "and predicts the rating.",
        (Param("n_users", "int", 100, "How many users there are.", min=1, max=100_000),
         Param("n_items", "int", 80, "How many items there are.", min=1, max=100_000),
         Param("rank", "int", 3, "How many hidden tastes make up a rating.", min=1, max=100),
         Param("n_ratings", "int", 3000, "How many ratings there are.", min=2,
               max=1_000_000),
         _noise(0.1, "How much random noise is added to each rating.", 5.0),
         _SEED)),
    "first_value": Generator(
        "first_value", first_value_sequences, "regression",
        "Sequences of values whose first value is the number to predict; the rest is noise "
        "(a second input marks the first step). The network must remember the first value "
        "to the end: a long dependency for recurrent layers (SimpleRNN forgets it, LSTM and "
        "GRU keep it).",
        (_N, Param("length", "int", 30, "How many values each sequence has.", min=2,
                   max=1000), _noise(1.0, "How large the noise values are.", 10.0), _SEED)),
}
