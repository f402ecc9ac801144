"""The training settings panel and the edit lock follow the schema's live marks: during a
run exactly the live settings stay editable, and the refusals and the panel's note list
exactly them."""

from __future__ import annotations

from app.panels.training_settings import NESTED, TrainingSettingsPanel, _in_sentence
from app.training.lock import undo_refusal
from nncore.config import LIVE_SETTINGS, fixed_settings_refusal, live_settings_text


def test_during_a_run_exactly_the_live_settings_stay_editable(window):
    panel = window.training_panel
    assert isinstance(panel, TrainingSettingsPanel)
    window.editor.set_training(early_stopping=True)  # (its details follow it otherwise)
    panel.set_run_active(True)
    for name, form in panel.forms.items():
        assert form.fields[name].widget.isEnabled() == (name in LIVE_SETTINGS), name
    for choice, sub in panel.nested.items():
        assert sub.isEnabled() == (NESTED[choice][1] in LIVE_SETTINGS), choice
    assert panel.run_note.isVisibleTo(panel)
    note = panel.run_note.text()
    listed = note.split("Training is running: the ", 1)[1].split(" apply to the run")[0]
    assert listed.split(", ") == [_in_sentence(n) for n in live_settings_text(str).split(", ")]
    assert "learning rate, " in note and "L1 penalty" in note
    panel.set_run_active(False)
    assert all(form.fields[name].widget.isEnabled() for name, form in panel.forms.items())
    assert all(sub.isEnabled() for sub in panel.nested.values())


def test_the_lock_refuses_fixed_settings_with_the_generated_message(window):
    editor = window.editor
    reasons = []
    editor.refused.connect(reasons.append)
    editor.set_training(batch_size=16)
    fixed_change = window.undo_stack.command(window.undo_stack.index() - 1)
    editor.set_training(learning_rate=0.002)
    live_change = window.undo_stack.command(window.undo_stack.index() - 1)
    editor.set_locked("training is running")
    want = fixed_settings_refusal({"epochs"})
    assert editor.set_training(epochs=3) == want and reasons == [want]
    assert editor.set_training(learning_rate=0.003) is None
    assert undo_refusal(fixed_change) == fixed_settings_refusal({"batch_size"})
    assert undo_refusal(live_change) is None
    editor.set_locked(None)
