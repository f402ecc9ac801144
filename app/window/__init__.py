"""The main window's parts: the context they receive and the factory that makes their
actions and docks (``context``), project files and recent files (``files``), autosave and
recovery (``autosave``), diagram export (``diagram_export``), and the Edit and View actions
(``edit_actions``, ``view_actions``). ``app.mainwindow`` assembles them."""
