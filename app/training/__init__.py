"""Training in the window: the run controller and its worker thread, the frame scheduler,
the edit lock, live analysis of the network (probe), the window parts of training (run
controls, canvas badges, weights dialogs, plot docks) and exports."""
