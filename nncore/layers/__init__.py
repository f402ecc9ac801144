"""Built-in layer types. Importing this package registers them all."""

from nncore.layers import conv, core, embedding, merge, recurrent  # noqa: F401
from nncore.layers.base import Layer, Shape, WeightSpec

__all__ = ["Layer", "Shape", "WeightSpec"]
