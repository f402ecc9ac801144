"""Built-in layer types. Importing this package registers them all.

Within a palette category, types appear in the order they register, so the order of the
imports below is the palette's order (kept out of the import sorter's reach).
"""

# isort: off
from nncore.layers import convolution, pooling, spatial_dropout  # noqa: F401
from nncore.layers import core, embedding, merge  # noqa: F401
from nncore.layers import simple_rnn, lstm, gru  # noqa: F401
# isort: on
from nncore.layers.base import Layer, Shape, WeightSpec

__all__ = ["Layer", "Shape", "WeightSpec"]
