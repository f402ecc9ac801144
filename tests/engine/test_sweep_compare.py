"""Sweeps (nncore.sweep) and run comparison (nncore.compare): values parsed from the
command line, settings applied by JSON path, every value and combination validated before
a run, grid and random plans, a sweep equal to single runs and stoppable between runs,
the differences between projects, and the best epoch as early stopping finds it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nncore.compare import Difference, best_epoch, differences
from nncore.events import History, RunControl
from nncore.project import load_project, project_from_dict
from nncore.run import train_project
from nncore.sweep import (
    SweepAxis,
    SweepError,
    apply_settings,
    parse_set,
    plan,
    rows_csv,
    run_sweep,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def xor():
    return load_project(EXAMPLES / "xor.json")


def test_values_are_json_where_they_can_be_and_lists_keep_their_commas():
    assert parse_set("training.learning_rate=0.001,0.01,1e-1") == SweepAxis(
        "training.learning_rate", (0.001, 0.01, 0.1))
    assert parse_set("training.optimizer=adam, sgd").values == ("adam", "sgd")
    assert parse_set("a.b=[3, 3],[5,5],true,null").values == ([3, 3], [5, 5], True, None)
    for bad in ("training.learning_rate", "=1", "training.epochs=", "x.y=1,,2"):
        with pytest.raises(SweepError):
            parse_set(bad)


def test_settings_are_set_by_path_and_a_new_optimizer_drops_the_old_parameters():
    d = xor().to_dict()
    out = apply_settings(d, {"training.optimizer": "momentum",
                             "network.nodes.dense1.params.units": 3,
                             "data.params.noise": 0.3, "training.loss_params.delta": 2.0})
    assert out["training"]["optimizer"] == "momentum"
    assert out["training"]["optimizer_params"] == {}
    assert out["network"]["nodes"][1]["params"]["units"] == 3
    assert out["data"]["params"]["noise"] == 0.3
    assert out["training"]["loss_params"] == {"delta": 2.0}
    assert d["training"]["optimizer"] == "adam"  # the original is untouched
    kept = apply_settings(d, {"training.optimizer": "momentum",
                              "training.optimizer_params.momentum": 0.5})
    assert kept["training"]["optimizer_params"] == {"momentum": 0.5}
    assert project_from_dict(kept).training.optimizer_params == {"momentum": 0.5}


def test_plan_is_the_grid_in_order_or_distinct_random_combinations():
    axes = [parse_set("training.learning_rate=0.1,0.2"),
            parse_set("network.nodes.dense1.params.units=4,8,16")]
    grid = plan(xor(), axes)
    assert grid == [{"training.learning_rate": a, "network.nodes.dense1.params.units": u}
                    for a in (0.1, 0.2) for u in (4, 8, 16)]
    picked = plan(xor(), axes, random=4, seed=7)
    assert len(picked) == 4 and all(c in grid for c in picked)
    assert len({tuple(c.values()) for c in picked}) == 4
    assert picked == plan(xor(), axes, random=4, seed=7)
    assert picked != plan(xor(), axes, random=4, seed=8)


def test_every_value_and_combination_is_checked_before_anything_runs():
    p = xor()
    cases = [([parse_set("training.learning_rate=0.1,-1")],
              "training.learning_rate=-1: "),
             ([parse_set("network.nodes.nope.params.units=3")], "no node is named 'nope'"),
             ([parse_set("training.optimizer=sgd,momentum"),
               parse_set("training.optimizer_params.momentum=0.5")],
              "training.optimizer=sgd, training.optimizer_params.momentum=0.5"),
             ([parse_set("training.epochs=1"), parse_set("training.epochs=2")], "twice"),
             ([], "nothing to sweep")]
    for axes, message in cases:
        with pytest.raises(SweepError, match=message.replace(".", r"\.").replace("'", ".")):
            plan(p, axes)
    with pytest.raises(SweepError, match="the grid has 2"):
        plan(p, [parse_set("training.seed=1,2")], random=3)
    # what only the data can tell is checked, for every combination, before any run
    started = []
    combos = plan(p, [parse_set("network.nodes.dense2.params.units=2,3")])
    with pytest.raises(SweepError, match=r"units=3: .*2 classes"):
        run_sweep(p, combos, EXAMPLES, epochs=1, on_run=lambda i, c: started.append(i))
    assert started == []


def test_a_sweep_equals_single_runs_and_rows_hold_final_and_best_values():
    p = xor()
    combos = plan(p, [parse_set("training.learning_rate=0.01,0.05"),
                      parse_set("network.nodes.dense1.params.units=2,6")])
    rows = run_sweep(p, combos, EXAMPLES, epochs=8, seed=3)
    assert [r.run for r in rows] == [1, 2, 3, 4]
    for row, combo in zip(rows, combos):
        variant = project_from_dict(apply_settings(p.to_dict(), combo))
        single = train_project(variant, EXAMPLES, epochs=8, seed=3).finished
        h = single.history
        assert row.status == "completed" and row.epochs == 8
        assert row.final["val_loss"] == h.val_loss[-1]
        assert row.final["train_accuracy"] == h.train_metrics[-1]["accuracy"]
        assert row.best_epoch == single.best_epoch
        assert row.best["val_accuracy"] == h.val_metrics[row.best_epoch - 1]["accuracy"]
    text = rows_csv(rows, list(combos[0]))
    header = text.splitlines()[0].split(",")
    assert header[:5] == ["run", "training.learning_rate",
                          "network.nodes.dense1.params.units", "status", "epochs"]
    assert "final_val_accuracy" in header and "best_val_loss" in header
    assert len(text.splitlines()) == 5


def test_a_stopped_control_ends_the_sweep_with_the_rows_so_far():
    p = xor()
    combos = plan(p, [parse_set("training.seed=1,2,3")])
    control = RunControl()
    events = []
    rows = run_sweep(p, combos, EXAMPLES, epochs=2, control=control,
                     on_row=lambda row: control.request_stop(), callback=events.append)
    assert len(rows) == 1 and rows[0].status == "completed"
    assert [type(e).__name__ for e in events if type(e).__name__ == "EpochEnd"] == [
        "EpochEnd"] * 2  # the one run's trainer events


def test_a_run_that_fails_or_diverges_is_a_row_and_the_sweep_goes_on(monkeypatch):
    import nncore.run
    from nncore.memory import MemoryLimitError

    p = xor()
    combos = plan(p, [parse_set("training.learning_rate=1e6,0.01"),
                      parse_set("training.optimizer=sgd")])
    rows = run_sweep(p, combos, EXAMPLES, epochs=3)
    assert [r.status for r in rows] == ["diverged", "completed"]
    assert "diverged" in rows[0].message
    real = nncore.run.check_run_memory

    def refuse(project, config, data):
        if project.graph.node("dense1").params["units"] == 7:
            raise MemoryLimitError("too big")  # as a huge layer would
        return real(project, config, data)

    monkeypatch.setattr(nncore.run, "check_run_memory", refuse)
    rows = run_sweep(p, plan(p, [parse_set("network.nodes.dense1.params.units=7,3")]),
                     EXAMPLES, epochs=1)
    assert [(r.status, r.message) for r in rows] == [("error", "too big"),
                                                     ("completed", "")]


# -- compare ----------------------------------------------------------------------------

def test_differences_list_settings_layers_nodes_and_connections():
    a, b, c = xor(), xor(), xor()
    b.training = b.training.replace(learning_rate=0.5, optimizer="momentum")
    b.graph.node("dense1").params["units"] = 12
    b.data.params["noise"] = 0.3
    c.graph.node("dense1").params["activation"] = "tanh"  # written out: its default? no
    c.graph.node("dense1").frozen = True
    got = {d.path: d for d in differences([a, b, c])}
    assert got["training.learning_rate"] == Difference("training.learning_rate", "training",
                                                       [0.03, 0.5, 0.03])
    assert got["training.optimizer"].values == ["adam", "momentum", "adam"]
    assert got["training.optimizer_params.beta1"].values == [0.9, None, 0.9]
    assert got["training.optimizer_params.momentum"].values == [None, 0.9, None]
    assert got["network.nodes.dense1.params.units"].kind == "layer"
    assert got["network.nodes.dense1.frozen"].values == [False, False, True]
    assert got["data.params.noise"].values == [0.1, 0.3, 0.1]
    assert "network.nodes.dense1.params.activation" not in got  # tanh in all three
    assert "training.epochs" not in got and "name" not in got


def test_defaults_written_out_equal_omitted_ones_and_nodes_or_edges_added():
    a = xor().to_dict()
    b = xor().to_dict()
    b["network"]["nodes"][1]["params"]["use_bias"] = True  # Dense's default
    b["network"]["nodes"].append({"id": "extra", "type": "Dense",
                                  "params": {"units": 2, "activation": "softmax"}})
    b["network"]["edges"] = [e for e in b["network"]["edges"] if e["target"] != "dense2"]
    b["network"]["edges"] += [{"source": "dense1", "target": "extra"}]
    got = {d.path: d for d in differences([project_from_dict(a), project_from_dict(b)])}
    assert set(got) == {"network.nodes.extra", "network.edges.dense1->dense2",
                        "network.edges.dense1->extra"}
    assert got["network.nodes.extra"].values == [None, "Dense"]
    assert got["network.edges.dense1->dense2"].kind == "connection"
    with pytest.raises(ValueError):
        differences([project_from_dict(a)])


def test_best_epoch_follows_early_stoppings_rule():
    h = History()
    for e, (v, t) in enumerate([(1.0, 2.0), (0.8, 1.0), (0.79, 1.0), (0.9, 1.0), (0.5, 1.0)],
                               1):
        h.epoch.append(e)
        h.val_loss.append(v)
        h.train_loss.append(t)
    assert best_epoch(h) == 5
    assert best_epoch(h, min_delta=0.05) == 5
    h.val_loss[4] = 0.76
    assert best_epoch(h) == 5 and best_epoch(h, min_delta=0.05) == 2
    no_val = History(epoch=[1, 2, 3], train_loss=[3.0, 1.0, 2.0], val_loss=[None] * 3)
    assert best_epoch(no_val) == 2 and best_epoch(History()) == 0


def test_best_epoch_is_where_early_stopping_restored_the_weights():
    p = xor()
    p.training = p.training.replace(early_stopping=True, patience=3, min_delta=0.002,
                                    learning_rate=0.3)
    fin = train_project(p, EXAMPLES, epochs=200).finished
    assert fin.reason == "early_stopping" and fin.restored_best
    assert best_epoch(fin.history, 0.002) == fin.best_epoch
    assert np.isfinite(fin.best_loss)
