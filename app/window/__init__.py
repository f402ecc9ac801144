"""The main window's assembly: the context its parts receive, the factory that makes their
actions and docks, and the window's own jobs (files, recovery, diagram export)."""
