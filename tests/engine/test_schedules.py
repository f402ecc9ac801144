"""Learning-rate schedules against their closed forms (see nncore/schedules.py)."""

from __future__ import annotations

import math

import pytest

from nncore.errors import ParameterError
from nncore.schedules import SCHEDULES, check_schedule, learning_rate

BASE = 0.2
SPE = 10  # steps per epoch
TOTAL = 20  # epochs

#: Global steps to check: start, mid-epoch, epoch boundaries (both sides), the end.
STEPS = [0, 1, 5, 9, 10, 11, 29, 30, 31, 99, 100, 150, 199, 200]


def lr(name, params, step, warmup=0.0, spe=SPE, total=TOTAL):
    return learning_rate(BASE, name, check_schedule(name, params), step, spe, total, warmup)


@pytest.mark.parametrize("step", STEPS)
def test_constant(step):
    assert lr("constant", {}, step) == pytest.approx(BASE, rel=1e-15)


@pytest.mark.parametrize("step", STEPS)
def test_step_decay_drops_on_whole_epochs(step):
    size, gamma = 3, 0.5
    whole_epochs = step // SPE  # integer arithmetic, no float rounding
    want = BASE * gamma ** (whole_epochs // size)
    assert lr("step", {"step_size": size, "gamma": gamma}, step) == pytest.approx(want,
                                                                                 rel=1e-12)


def test_step_decay_boundary_values():
    p = {"step_size": 3, "gamma": 0.1}
    assert lr("step", p, 29) == pytest.approx(BASE)  # still epoch 2 (0-based)
    assert lr("step", p, 30) == pytest.approx(BASE * 0.1)  # epoch 3 starts: first drop
    assert lr("step", p, 60) == pytest.approx(BASE * 0.01)
    # An awkward steps-per-epoch where step/spe is not exact in binary.
    assert learning_rate(1.0, "step", check_schedule("step", {"step_size": 1, "gamma": 0.5}),
                         7, 7, 10) == pytest.approx(0.5)


@pytest.mark.parametrize("step", STEPS)
def test_exponential_is_smooth_in_the_fractional_epoch(step):
    gamma = 0.9
    want = BASE * gamma ** (step / SPE)
    assert lr("exponential", {"gamma": gamma}, step) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("min_factor", [0.0, 0.1])
@pytest.mark.parametrize("step", STEPS)
def test_cosine(step, min_factor):
    e = step / SPE
    want = BASE * (min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(math.pi * e / TOTAL)))
    got = lr("cosine", {"min_factor": min_factor}, step)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_cosine_landmarks():
    p = {"min_factor": 0.1}
    assert lr("cosine", p, 0) == pytest.approx(BASE)
    assert lr("cosine", p, TOTAL * SPE // 2) == pytest.approx(BASE * 0.55)  # halfway
    assert lr("cosine", p, TOTAL * SPE) == pytest.approx(BASE * 0.1)
    assert lr("cosine", p, TOTAL * SPE + 50) == pytest.approx(BASE * 0.1)  # clamped after


@pytest.mark.parametrize("name, params", [
    ("constant", {}), ("exponential", {"gamma": 0.9}), ("cosine", {"min_factor": 0.0}),
    ("step", {"step_size": 2, "gamma": 0.5}),
])
@pytest.mark.parametrize("step", STEPS)
def test_warmup_multiplies_any_schedule(name, params, step):
    warmup = 2.5  # epochs -> 25 steps
    factor = min(1.0, (step + 1) / (warmup * SPE))
    assert lr(name, params, step, warmup) == pytest.approx(factor * lr(name, params, step),
                                                            rel=1e-12, abs=1e-15)


def test_warmup_ramp_values():
    # 2 warm-up epochs of 10 steps: lr = base * (step + 1) / 20 until step 19.
    assert lr("constant", {}, 0, 2.0) == pytest.approx(BASE / 20)
    assert lr("constant", {}, 9, 2.0) == pytest.approx(BASE / 2)
    assert lr("constant", {}, 19, 2.0) == pytest.approx(BASE)
    assert lr("constant", {}, 40, 2.0) == pytest.approx(BASE)


def test_every_schedule_is_covered():
    assert set(SCHEDULES) == {"constant", "step", "exponential", "cosine"}


def test_bad_schedule_settings():
    with pytest.raises(ParameterError, match="unknown schedule 'linear'"):
        check_schedule("linear", {})
    with pytest.raises(ParameterError, match=r"gamma .*received 1\.5"):
        check_schedule("exponential", {"gamma": 1.5})
    with pytest.raises(ParameterError, match=r"step_size .*received 0"):
        check_schedule("step", {"step_size": 0})
    assert check_schedule("step", {}) == {"step_size": 10, "gamma": 0.5}
