"""The pyqtgraph plots of the training docks: curves, inside the network, results. They
draw from the run buffers (:mod:`app.models`) and the probe's results."""
