"""The run pipeline (nncore.run): each stage works alone, the stages called by hand equal
``run_project``, hooks come in order between the stages, and a stop requested in a hook
ends the run before training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nncore.errors import FormatError, SpecError
from nncore.events import RunControl, TrainingFinished
from nncore.project import load_project
from nncore.run import (
    CheckedRun,
    PreparedData,
    RunHooks,
    RunRequest,
    build_network,
    check_run,
    fit,
    load_initial_weights,
    prepare_data,
    run_project,
    set_frozen_nodes,
    train_project,
)
from nncore.weights import WeightsFile

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _project(name: str = "xor", **training):
    p = load_project(EXAMPLES / f"{name}.json")
    p.training = p.training.replace(**{"epochs": 3, **training})
    return p


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_stages_called_one_by_one_equal_run_project():
    project = _project("digits_mlp", epochs=2)  # Dropout: the generator's order matters
    data = prepare_data(project.data)
    assert isinstance(data, PreparedData)
    net = build_network(project, 5)
    run = check_run(net, data, project.training)
    assert isinstance(run, CheckedRun) and run.trainer.net is net
    assert len(run.y) == len(data.train.y) and len(run.y_val) == len(data.val.y)
    fin = fit(run)
    assert isinstance(fin, TrainingFinished) and fin.epochs_run == 2

    result = run_project(RunRequest(project, seed=5))
    assert result.finished.epochs_run == 2 and result.trainer is not None
    assert _same(net.get_weights(), result.network.get_weights())
    assert _same(net.get_weights(), train_project(project, seed=5).network.get_weights())


def test_request_overrides_epochs_and_seed_only_when_given():
    project = _project()
    assert RunRequest(project).config() is project.training
    cfg = RunRequest(project, epochs=7, seed=9).config()
    assert (cfg.epochs, cfg.seed) == (7, 9)
    assert cfg.replace(epochs=3, seed=0) == project.training


def test_hooks_come_in_order_between_the_stages():
    project = _project()
    calls = []
    hooks = RunHooks(data_ready=lambda d: calls.append(("data", d)),
                     network_ready=lambda n: calls.append(("network", n)),
                     fit_starting=lambda r: calls.append(("fit", r)))
    events = []
    result = run_project(RunRequest(project), callback=events.append, hooks=hooks)
    assert [c[0] for c in calls] == ["data", "network", "fit"]
    assert calls[0][1] is result.data and calls[1][1] is result.network
    assert calls[2][1].trainer is result.trainer
    assert isinstance(events[-1], TrainingFinished) and events[-1] is result.finished


@pytest.mark.parametrize("stop_in", ["data_ready", "network_ready"])
def test_a_stop_requested_in_a_hook_ends_the_run_before_training(stop_in):
    control = RunControl()
    reached = []
    hooks = RunHooks(**{stop_in: lambda _: control.request_stop()},
                     fit_starting=lambda r: reached.append(r))
    result = run_project(RunRequest(_project()), control, hooks=hooks)
    assert result.finished is None and result.trainer is None and not reached
    assert (result.network is None) == (stop_in == "data_ready")
    assert result.data is not None


def test_reused_data_and_network_are_trained_further():
    project = _project()
    first = run_project(RunRequest(project))
    before = first.network.get_weights()
    again = run_project(RunRequest(project, data=first.data, network=first.network))
    assert again.data is first.data and again.network is first.network
    assert not _same(before, again.network.get_weights())


def test_set_frozen_nodes_changes_only_what_differs_and_ignores_unknown_nodes():
    net = build_network(_project())
    layout = [(s.key, s.start) for s in net.slots]
    set_frozen_nodes(net, {"dense1": False, "gone": True})
    assert [(s.key, s.start) for s in net.slots] == layout
    set_frozen_nodes(net, {"dense1": True})
    assert not net.layers["dense1"].trainable and net.layers["dense2"].trainable


def test_initial_weights_load_strictly_or_partially_and_can_be_frozen():
    project = _project()
    source = build_network(project, seed=3).get_weights()
    net = build_network(project, seed=4)
    assert load_initial_weights(net, WeightsFile(source)) == ["dense1", "dense2"]
    assert _same(net.get_weights(), source)

    only_first = {k: v for k, v in source.items() if k.startswith("dense1/")}
    net = build_network(project, seed=4)
    with pytest.raises(FormatError, match="^my.npz: "):
        load_initial_weights(net, WeightsFile(only_first, source="my.npz"))
    loaded = load_initial_weights(net, WeightsFile(only_first), partial=True,
                                  freeze_loaded=True)
    assert loaded == ["dense1"]
    assert not net.layers["dense1"].trainable and net.layers["dense2"].trainable
    result = run_project(RunRequest(project, network=net))
    assert all(np.array_equal(result.network.get_weights()[k], v)
               for k, v in only_first.items())


def test_check_run_refuses_data_the_network_cannot_take():
    project = _project()
    data = prepare_data(project.data)
    wide = _project("iris")  # 4 inputs, 3 classes: xor's data has 2 features
    with pytest.raises(SpecError, match="Input"):
        check_run(build_network(wide), data, wide.training)
    # A regression loss on classes compares one output unit with each class (one-hot).
    run = check_run(build_network(project), data, project.training.replace(loss="mse"))
    assert run.trainer.loss.one_hot and run.trainer.loss.name == "mse"
