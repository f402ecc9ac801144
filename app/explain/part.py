"""The window part of the explain tools: Run > Explain a Sample…, Run > Evaluate… and the
Hidden Space dock. Built from a :class:`~app.window.context.WindowContext` and the run
controller; exposes ``menu_actions`` (for the Run menu), ``hidden_dock`` (the window's
layout tabs it with Inside the Network), :meth:`show_sample` (a sample picked elsewhere
in the window) and :meth:`shutdown` (the window closes: every computation stops)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction

from app.explain.attributions import AttributionsWindow
from app.explain.evaluate import EvaluateDialog
from app.explain.hidden_space import HiddenSpacePanel
from app.training.controller import RunController
from app.window.context import WindowContext


class ExplainTools(QObject):
    """Explain a Sample (a non-modal window), Evaluate (a non-modal window) and the
    Hidden Space dock."""

    def __init__(self, context: WindowContext, training: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.training = training
        action = context.parts.action
        self.act_explain = action(
            "actionExplain", "E&xplain a Sample…", self.open_explain, [],
            None, "Which inputs a prediction rests on: saliency, integrated gradients or "
                  "Grad-CAM for one sample, and over the validation set")
        self.act_evaluate = action(
            "actionEvaluate", "E&valuate…", self.open_evaluate, [], None,
            "Evaluate the current weights on the validation or test split without "
            "training: metrics, confusion matrix, scores per class")
        self.hidden = HiddenSpacePanel(training)
        self.hidden.setAccessibleName("Hidden space")
        self.hidden_dock = context.parts.dock("Hidden Space", "hiddenSpaceDock", self.hidden,
                                              Qt.DockWidgetArea.BottomDockWidgetArea)
        self.hidden_dock.visibilityChanged.connect(self.hidden.set_active)
        self.explain_window: AttributionsWindow | None = None
        self.evaluate_dialog: EvaluateDialog | None = None

    @property
    def menu_actions(self) -> list[QAction | None]:
        """For the Run menu."""
        return [self.act_explain, self.act_evaluate]

    def open_explain(self) -> AttributionsWindow:
        """Show the Explain window (made at first use)."""
        if self.explain_window is None:
            self.explain_window = AttributionsWindow(self.training,
                                                     self._context.dialog_parent)
        w = self.explain_window
        w.show()
        w.raise_()
        w.activateWindow()
        w.take_network()
        return w

    @Slot(str, int)
    def show_sample(self, split: str, index: int) -> None:
        """Explain row ``index`` (0-based) of ``split`` ("train", "val" or "test")."""
        self.open_explain().show_sample(split, index)

    def open_evaluate(self) -> EvaluateDialog:
        """Show the Evaluate window (made at first use)."""
        if self.evaluate_dialog is None:
            self.evaluate_dialog = EvaluateDialog(self.training, self._context.dialog_parent)
        d = self.evaluate_dialog
        d.show()
        d.raise_()
        d.activateWindow()
        return d

    def shutdown(self) -> None:
        """Stop every computation and wait for its thread (the window closes)."""
        self.hidden.shutdown()
        for w in (self.explain_window, self.evaluate_dialog):
            if w is not None:
                w.shutdown()
                w.close()
