"""Every lesson's claims hold when its experiments run headless (the same runs
``netcanvas lesson NAME --check`` makes), and every lesson is well formed."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from nncore.cli import main as cli
from nncore.graph import analyze
from nncore.lessons import LESSONS, lesson
from nncore.lessons.base import VIEWS


@pytest.mark.parametrize("item", LESSONS, ids=[item.name for item in LESSONS])
def test_every_claim_of_the_lesson_holds(item):
    failed = [f"{step.title}: {figure.line()}" for step, figures in item.check()
              for figure in figures if not figure.holds]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("item", LESSONS, ids=[item.name for item in LESSONS])
def test_the_lesson_is_well_formed(item):
    assert 2 <= len(item.steps) <= 4
    sentences = len(re.findall(r"[.!?](\s|$)", item.text))
    assert 3 <= sentences <= 6, sentences
    assert len({s.title for s in item.steps}) == len(item.steps)
    for i, step in enumerate(item.steps):
        assert step.watch in VIEWS and step.expect.strip()
        assert analyze(item.project(i + 1).graph).ok  # the button gives a valid network


def test_names_are_unique_and_found():
    names = [item.name for item in LESSONS]
    assert len(set(names)) == len(names)
    assert lesson(names[0]) is LESSONS[0]


def test_the_command_line_lists_and_checks(capsys):
    assert cli(["lessons"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == [item.name for item in LESSONS]
    assert all(line.split(None, 1)[1] == item.title for line, item in zip(lines, LESSONS))
    assert cli(["lesson", "learning_rate", "--check"]) == 0
    out = capsys.readouterr().out
    assert "all claims hold" in out and f"3. {lesson('learning_rate').steps[2].title}" in out
    assert cli(["lesson", "nope"]) == 2
    assert "no lesson named 'nope'" in capsys.readouterr().err


def test_a_claim_that_fails_makes_the_check_exit_1(capsys, monkeypatch):
    from nncore.lessons import foundations

    monkeypatch.setattr(foundations, "LINEAR_BEST", 0.1)  # "a straight line reaches 10%"
    assert cli(["lesson", "nonlinearity", "--check"]) == 1
    assert "FAILS" in capsys.readouterr().out


def test_output_into_a_closed_pipe_is_not_an_error():
    r = subprocess.run(f"{sys.executable} -m nncore.cli lesson overfitting | head -1",
                       shell=True, capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "Overfitting" and r.stderr == ""
