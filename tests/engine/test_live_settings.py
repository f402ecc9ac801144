"""Which training settings may change during a run: marked once in the schema
(``Param.live``, ``NestedSetting.live``); the set, the refusals and the trainer derive
from the marks, and a live change is validated once."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

import nncore.optimizers as optimizers
from nncore.config import (
    LIVE_SETTINGS,
    NESTED_SETTINGS,
    TRAINING_SCHEMA,
    TrainingConfig,
    fixed_settings_refusal,
    live_settings_text,
    setting_label,
)
from nncore.errors import ParameterError
from nncore.network import Network
from nncore.spec import GraphSpec
from nncore.trainer import Trainer


def _listed(message: str) -> list[str]:
    """The settings a refusal says may change (after its colon, up to the final dot)."""
    return message.split("while it runs or is paused: ", 1)[1].rstrip(".").split(", ")


def test_the_live_settings_are_the_marked_ones():
    marked = {p.name for p in TRAINING_SCHEMA if p.live} | {
        s.name for s in NESTED_SETTINGS if s.live}
    assert LIVE_SETTINGS == marked
    assert LIVE_SETTINGS == {
        "learning_rate", "schedule", "schedule_params", "warmup_epochs", "l1", "l2",
        "clip_norm", "optimizer_params", "early_stopping", "patience", "min_delta"}
    config_fields = {f.name for f in fields(TrainingConfig)}
    choices = {p.name for p in TRAINING_SCHEMA if p.kind == "choice"}
    for nested in NESTED_SETTINGS:
        assert nested.name in config_fields and nested.choice in choices


def test_refusals_list_exactly_the_live_settings():
    assert fixed_settings_refusal({"learning_rate", "optimizer_params"}) is None
    message = fixed_settings_refusal({"batch_size", "learning_rate", "loss_params"})
    assert message.startswith("batch size, loss parameters cannot change during a run")
    assert sorted(_listed(message)) == sorted(setting_label(n) for n in LIVE_SETTINGS)
    assert _listed(message) == live_settings_text().split(", ")
    raw = fixed_settings_refusal({"epochs"}, label=str)
    assert raw.startswith("epochs cannot change") and set(_listed(raw)) == LIVE_SETTINGS


def _trainer(**cfg):
    graph = GraphSpec.sequential([("Input", {"shape": [2]}),
                                  ("Dense", {"units": 3, "activation": "tanh"}),
                                  ("Dense", {"units": 1})])
    return Trainer(Network(graph, seed=0), TrainingConfig(loss="mse", **cfg))


def test_the_trainer_refuses_fixed_settings_listing_the_live_ones():
    trainer = _trainer()
    with pytest.raises(ParameterError) as err:
        trainer.update_settings(batch_size=8, learning_rate=0.1)
    assert str(err.value).startswith("batch_size cannot change during a run")
    assert set(_listed(str(err.value))) == LIVE_SETTINGS
    assert trainer.config.learning_rate == 0.01  # nothing applied
    for name in LIVE_SETTINGS - {"schedule_params", "optimizer_params"}:
        trainer.update_settings(**{name: getattr(trainer.config, name)})  # all accepted


def test_a_live_change_is_validated_once(monkeypatch):
    trainer = _trainer(optimizer="adam")
    trainer.optimizer.state["m_scaled"][:] = 1.0
    trainer.optimizer.state["v_scaled"][:] = 2.0
    before = trainer.optimizer.moments()
    calls = []
    monkeypatch.setattr(optimizers, "coerce_all",
                        lambda *a: calls.append(a) or pytest.fail("validated again"))
    trainer.update_settings(optimizer_params={"beta1": 0.8, "beta2": 0.99})
    assert not calls
    assert trainer.optimizer.config == {"beta1": 0.8, "beta2": 0.99, "epsilon": 1e-8}
    assert trainer.optimizer.config is not trainer.config.optimizer_params
    after = trainer.optimizer.moments()  # the moments keep their meaning
    for k in before:
        np.testing.assert_allclose(after[k], before[k], rtol=1e-6)
    with pytest.raises(ParameterError, match="beta1"):
        trainer.update_settings(optimizer_params={"beta1": 2.0})


def test_a_new_schedule_brings_its_default_parameters():
    trainer = _trainer(schedule="step", schedule_params={"step_size": 3, "gamma": 0.1})
    trainer.update_settings(schedule="cosine")
    assert trainer.config.schedule_params == {"min_factor": 0.0}
