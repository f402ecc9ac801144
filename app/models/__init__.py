"""Plain-Python models under the window: plot buffers, run records and the run history.

Nothing here imports Qt or pyqtgraph (an import-linter contract and a test check it), so
the models are tested without a display; Qt widgets observe them through
:class:`app.models.events.Event` callbacks.
"""
