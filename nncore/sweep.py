"""Sweeps: which of a project's settings made the difference, one run per combination.

A sweep varies settings named by their JSON path in the project file: any training setting
(``training.learning_rate``, ``training.optimizer_params.momentum``), any layer parameter
(``network.nodes.<node id>.params.units``, or a node's ``frozen``) and any data setting
(``data.val_fraction``, ``data.params.noise``). :func:`plan` lays out the grid, or
``random`` combinations drawn from it (without repetition, from ``seed``), after checking
every value and every combination as the project loader and the graph check would (a bad
one raises a :class:`SweepError` naming the settings and values). :func:`run_sweep` first
prepares the data of every combination and checks it against the network and loss
(:func:`check_data`), then trains the combinations one after another through the run
pipeline (:func:`nncore.run.run_project`), each exactly as ``netcanvas train`` would with
the same settings and seed, reusing prepared data between runs with the same data
settings; a run's error (a network too large for the memory) or divergence is recorded in
its row and the sweep goes on; a stopped control ends it after the current run's batch,
with the rows so far. Rows are plain data (:class:`SweepRow`);
:func:`rows_csv` writes them.

Changing ``training.optimizer`` (``schedule``, ``loss``) drops the old choice's parameters
unless the combination sets them too, as a change in the settings panel does.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncore.config import NESTED_SETTINGS
from nncore.errors import NetCanvasError, ParameterError
from nncore.graph import analyze
from nncore.project import Project, project_from_dict

#: Most runs one sweep may plan.
MAX_RUNS = 10_000
SECTIONS = ("training", "network", "data")


class SweepError(ParameterError):
    """A setting or value a sweep cannot take; the message names it."""


@dataclass(frozen=True)
class SweepAxis:
    """One swept setting: its JSON path and the values it takes."""

    path: str
    values: tuple[Any, ...]


def parse_set(text: str) -> SweepAxis:
    """``PATH=V1,V2,...`` as an axis: each value read as JSON when it is JSON (numbers,
    true/false, null, [lists]), else as text (``optimizer=adam,sgd``)."""
    path, sep, rest = text.partition("=")
    path = path.strip()
    if not sep or not path or not rest.strip():
        raise SweepError(f"{text!r}: expected PATH=VALUE1,VALUE2,... such as "
                         "training.learning_rate=0.001,0.01")
    values = tuple(_value(v.strip()) for v in _split_values(rest))
    if any(v == "" for v in values):
        raise SweepError(f"{text!r}: an empty value")
    return SweepAxis(path, values)


def _split_values(text: str) -> list[str]:
    """Split at commas outside brackets and quotes (``[3, 3],[5, 5]`` is two values)."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "[{":
            depth += 1
        elif not quoted and ch in "]}":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def apply_settings(project: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of the project dict with each ``path: value`` set; raises SweepError for a
    path that names nothing."""
    d = json.loads(json.dumps(project))
    training = d.setdefault("training", {})
    for nested in NESTED_SETTINGS:  # a new optimizer (schedule, loss) drops the old's
        new = settings.get(f"training.{nested.choice}", training.get(nested.choice))
        if new != training.get(nested.choice):
            training[nested.name] = {}
    for path, value in settings.items():
        parent, key = _parent(d, path)
        parent[key] = value
    return d


def _parent(d: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    parts = path.split(".")
    if parts[0] not in SECTIONS or len(parts) < 2:
        raise SweepError("a setting's path starts with training., network.nodes.<id>. or "
                         "data. (training.learning_rate, network.nodes.dense1.params.units)")
    if parts[0] == "network":
        if len(parts) < 4 or parts[1] != "nodes":
            raise SweepError("a layer parameter is network.nodes.<node id>.params.<name>")
        nodes = d["network"]["nodes"]
        node = next((n for n in nodes if n.get("id") == parts[2]), None)
        if node is None:
            raise SweepError(f"no node is named {parts[2]!r} (nodes: "
                             f"{', '.join(n.get('id', '?') for n in nodes)})")
        obj, rest = node, parts[3:]
    else:
        obj, rest = d.setdefault(parts[0], {}), parts[1:]
    for part in rest[:-1]:
        nxt = obj.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise SweepError(f"{part} is not a group of settings")
        obj = nxt
    return obj, rest[-1]


def build_variant(project: dict[str, Any], settings: dict[str, Any]) -> Project:
    """The project with ``settings`` applied, validated as the loader validates a file and
    its graph checked; raises SweepError naming the settings."""
    label = ", ".join(f"{p}={_show(v)}" for p, v in settings.items())
    try:
        variant = project_from_dict(apply_settings(project, settings))
    except NetCanvasError as e:
        message = str(e)
        for path in settings:  # said by the label already
            message = message.removeprefix(f"{path}: ")
        raise SweepError(f"{label}: {message}") from None
    graph = analyze(variant.graph)
    if not graph.ok:
        raise SweepError(f"{label}: {graph.errors[0]}")
    return variant


def _show(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def plan(project: Project, axes: list[SweepAxis], random: int | None = None,
         seed: int = 0) -> list[dict[str, Any]]:
    """The combinations to run, each ``{path: value}``: the grid, or ``random`` of its
    combinations (drawn without repetition). Every value is checked (with the other
    settings' first values), then every combination to run, before anything runs."""
    if not axes:
        raise SweepError("nothing to sweep: give at least one setting and its values")
    paths = [a.path for a in axes]
    if len(set(paths)) != len(paths):
        raise SweepError(f"{next(p for p in paths if paths.count(p) > 1)} is given twice")
    base = project.to_dict()
    first = {a.path: a.values[0] for a in axes}
    for axis in axes:  # each value, with the others' first values (a value that only
        for v in axis.values:  # works with another setting's value needs that one first)
            build_variant(base, {**first, axis.path: v})
    size = int(np.prod([len(a.values) for a in axes]))
    if random is not None:
        if not 1 <= random <= size:
            raise SweepError(f"random: {random} combinations asked for; the grid has "
                             f"{size}")
        picks = sorted(np.random.default_rng(seed).choice(size, random, replace=False))
    else:
        picks = range(size)
    if len(picks) > MAX_RUNS:
        raise SweepError(f"the sweep would make {len(picks):,} runs, more than "
                         f"{MAX_RUNS:,}; sweep fewer values or use random combinations")
    grid = list(itertools.product(*(a.values for a in axes)))
    combos = [dict(zip(paths, grid[i])) for i in picks]
    for combo in combos:
        build_variant(base, combo)
    return combos


@dataclass
class SweepRow:
    """One run of a sweep: its settings, how it ended, its final and best metrics."""

    run: int
    settings: dict[str, Any]
    status: str
    epochs: int = 0
    #: The last epoch's losses and metrics: train_loss, val_loss, train_<m>, val_<m>.
    final: dict[str, float | None] = field(default_factory=dict)
    #: The best epoch (lowest validation loss, else training loss) and its values.
    best_epoch: int = 0
    best: dict[str, float | None] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""


def epoch_values(history: Any, i: int) -> dict[str, float | None]:
    """Losses and metrics of epoch index ``i`` of a history."""
    out: dict[str, float | None] = {"train_loss": history.train_loss[i],
                                    "val_loss": history.val_loss[i]}
    out.update({f"train_{k}": v for k, v in history.train_metrics[i].items()})
    out.update({f"val_{k}": v for k, v in history.val_metrics[i].items()})
    return out


def run_sweep(project: Project, combos: list[dict[str, Any]],
              base_dir: str | Path | None = None, *, epochs: int | None = None,
              seed: int | None = None, control: Any = None,
              callback: Callable[[Any], None] | None = None,
              on_row: Callable[[SweepRow], None] | None = None,
              on_run: Callable[[int, dict[str, Any]], None] | None = None) -> list[SweepRow]:
    """Train each combination in turn (``epochs``/``seed`` override every run's). A
    stopped ``control`` (:class:`nncore.events.RunControl`, shared by the runs) ends the
    current run after its batch and the sweep with it. ``callback`` gets each run's
    trainer events; ``on_run(index, settings)`` comes before each run, ``on_row(row)``
    after it."""
    from nncore.run import RunRequest, run_project

    base, rows = project.to_dict(), []
    prepared = check_data(project, combos, base_dir)
    for i, combo in enumerate(combos, 1):
        if control is not None and control.stopped:
            break
        if on_run is not None:
            on_run(i, combo)
        variant = build_variant(base, combo)
        start = time.perf_counter()
        try:
            data = prepared[_data_key(variant)]
            result = run_project(RunRequest(variant, base_dir, epochs, seed, data=data),
                                 control, callback)
        except (NetCanvasError, MemoryError) as e:
            row = SweepRow(i, combo, "error", seconds=time.perf_counter() - start,
                           message=str(e) or "not enough memory")
        else:
            row = _row(i, combo, result, variant, time.perf_counter() - start)
        rows.append(row)
        if on_row is not None:
            on_row(row)
    return rows


def check_data(project: Project, combos: list[dict[str, Any]],
               base_dir: str | Path | None = None) -> dict[str, Any]:
    """Prepare the data of every combination (once per distinct data settings) and check
    that it fits the combination's network and loss, before anything trains; returns the
    prepared data by data settings. Raises SweepError naming the combination."""
    from nncore.run import build_network, check_compatible, prepare_data

    base, prepared = project.to_dict(), {}
    for combo in combos:
        variant = build_variant(base, combo)
        label = ", ".join(f"{p}={_show(v)}" for p, v in combo.items())
        key = _data_key(variant)
        try:
            if key not in prepared:
                prepared[key] = prepare_data(variant.data, base_dir)
            check_compatible(build_network(variant), prepared[key].dataset,
                             variant.training.loss)
        except NetCanvasError as e:
            raise SweepError(f"{label}: {e}") from None
    return prepared


def _data_key(project: Project) -> str:
    return json.dumps(project.data.to_dict(), sort_keys=True)


def _row(i: int, combo: dict[str, Any], result: Any, variant: Project,
         seconds: float) -> SweepRow:
    from nncore.compare import best_epoch

    fin = result.finished
    if fin is None:  # stopped before training began
        return SweepRow(i, combo, "stopped", seconds=seconds)
    h = fin.history
    best = best_epoch(h, variant.training.min_delta)
    return SweepRow(i, combo, fin.reason, fin.epochs_run,
                    epoch_values(h, len(h) - 1) if len(h) else {}, best,
                    epoch_values(h, best - 1) if best else {}, seconds, fin.message)


def rows_csv(rows: list[SweepRow], paths: list[str]) -> str:
    """One CSV row per run: ``run``, each swept setting (by its path), ``status``,
    ``epochs``, ``final_<value>`` and ``best_epoch``, ``best_<value>`` for the losses and
    metrics, ``seconds``, ``message``; an empty cell where a value does not exist."""
    names: list[str] = []
    for r in rows:
        names += [k for k in r.final if k not in names]
    cols = (["run", *paths, "status", "epochs"] + [f"final_{n}" for n in names]
            + ["best_epoch"] + [f"best_{n}" for n in names] + ["seconds", "message"])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([r.run, *(_show(r.settings.get(p)) for p in paths), r.status, r.epochs,
                    *(_cell(r.final.get(n)) for n in names), r.best_epoch,
                    *(_cell(r.best.get(n)) for n in names), f"{r.seconds:.3f}", r.message])
    return buf.getvalue()


def _cell(v: float | None) -> str:
    return "" if v is None else repr(float(v))
