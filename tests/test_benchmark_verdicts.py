"""The benchmarks' round-by-round verdicts (benchmarks/_common.py): a comparison reads PASS
or FAIL only when the rounds agree, UNDECIDED when their spread straddles the target."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from _common import PairedRatio, Timing, paired_ratio  # noqa: E402


def timing(samples: list[float], quiet: list[bool]) -> Timing:
    return Timing(median=0.0, min=min(samples), samples=tuple(samples),
                  others=tuple(0.0 for _ in samples), quiet=sum(quiet), noisy=False,
                  flags=tuple(quiet))


def test_ratios_are_taken_round_by_round_over_rounds_quiet_for_both() -> None:
    num = timing([2.0, 3.0, 4.0, 10.0, 6.0], [True, True, True, True, False])
    den = timing([1.0, 1.0, 2.0, 1.0, 1.0], [True, True, True, False, True])
    assert paired_ratio(num, den).ratios == (2.0, 3.0, 2.0)


def test_all_rounds_are_used_when_fewer_than_three_are_quiet_for_both() -> None:
    num = timing([2.0, 3.0, 4.0], [True, False, True])
    den = timing([1.0, 1.0, 2.0], [False, True, True])
    assert paired_ratio(num, den).ratios == (2.0, 3.0, 2.0)


@pytest.mark.parametrize(("ratios", "goal", "at_most", "word"), [
    ((1.1, 1.2, 1.3, 1.05, 1.01), 1.0, False, "PASS"),
    ((1.1, 1.2, 0.9, 1.3, 1.05), 1.0, False, "PASS"),      # 4 of 5 = 80% agree
    ((1.1, 1.2, 0.9, 0.95, 1.05), 1.0, False, "UNDECIDED"),  # 3 of 5: median 1.05 is noise
    ((0.8, 0.9, 0.95, 0.99, 1.01), 1.0, False, "FAIL"),
    ((1.1, 1.15, 1.3, 1.25), 1.2, True, "UNDECIDED"),
    ((1.1, 1.15, 1.18, 1.25, 1.05), 1.2, True, "PASS"),
    ((1.5, 1.6), 1.0, False, "UNDECIDED"),                  # two rounds never decide
])
def test_verdict_needs_most_rounds_on_one_side(ratios: tuple[float, ...], goal: float,
                                               at_most: bool, word: str) -> None:
    verdict = PairedRatio(ratios).verdict(goal, at_most=at_most)
    assert verdict.split(" ")[0].rstrip(":") == word
    assert f"range {min(ratios):.3g}..{max(ratios):.3g}" in verdict
