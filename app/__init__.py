"""The NetCanvas desktop program (PySide6 + pyqtgraph). The only package that imports Qt.

Folders by role, after orange-canvas-core: ``document/`` (the open project as a Qt model,
undo commands, the editor that pushes them), ``canvas/`` (scene, items, view, gestures),
``panels/`` (palette, inspector, summary, training and data settings), ``mainwindow.py``
(menus, files, autosave). ``launcher.py`` is the console entry point and imports no Qt at
module level, so ``netcanvas train ...`` stays a pure command-line program.
"""
