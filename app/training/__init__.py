"""Training in the window: the worker thread, the session that steers it, run history,
the edit lock, live analysis of the network (probe), exports and the training panels."""
