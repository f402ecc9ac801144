"""SpatialDropout2D: dropout of whole image channels."""

from __future__ import annotations

import numpy as np

from nncore.layers.image import ImageLayer
from nncore.params import Param
from nncore.registry import register


@register
class SpatialDropout2D(ImageLayer):
    type_name = "SpatialDropout2D"
    formula = (
        "training: y[c] = x[c] * m_c / (1 - rate), one m_c (0 or 1) per image channel; "
        "inference: y = x",
        "training: dL/dx[c] = dL/dy[c] * m_c / (1 - rate);  inference: dL/dx = dL/dy",
    )
    description = ("During training zeroes whole channels at random (neighbouring pixels are "
                   "correlated, so dropping single pixels would barely regularise).")
    glyph = "dropout"
    schema = (Param("rate", "float", 0.2, "Fraction of channels dropped during training.",
                    min=0.0, max=0.95, key=True),)
    examples = (({"rate": 0.5}, [(4, 3, 3)]), ({"rate": 0.2}, [(2, 2, 5)]))

    def compute_output_shape(self, input_shapes):
        return self._image_shape(input_shapes)

    def training_floats(self, input_shapes):
        # The output and its gradient; the mask holds one value per channel, not per pixel.
        return 2 * int(np.prod(self.compute_output_shape(input_shapes)))

    def forward(self, x, training):
        rate = self.config["rate"]
        if not training or rate == 0.0:
            self.mask = None
            return x
        keep = 1.0 - rate
        shape = (x.shape[0], x.shape[1], 1, 1)
        self.mask = (self.rng.random(shape, dtype=x.dtype) < keep) * x.dtype.type(1 / keep)
        return x * self.mask

    def backward(self, grad):
        return grad if self.mask is None else grad * self.mask
