"""Explaining a trained network in the window: attributions of a sample and over a data
set (Run > Explain a Sample…), the Hidden Space dock (a layer's activations projected on
their principal axes, live while training) and Run > Evaluate… (metrics, confusion matrix
and per-class scores of the current weights on a split). The computations are the
engine's (:mod:`nncore.explain`, :mod:`nncore.importance`, :mod:`nncore.projection`,
:mod:`nncore.evaluation`); they run off the GUI thread on a copy of the weights."""
