"""Layer glyphs come from what each layer type declares (``Layer.glyph``), not from its
name: every registered type names a glyph that exists, and one naming none shows its
initial."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from app.icons import GLYPHS, layer_glyph, layer_icon, paint_layer_glyph
from nncore import registry
from nncore.layers.base import Layer
from nncore.registry import layer_types


class Plain(Layer):
    """A layer type that declares no glyph (registered only inside a test)."""

    type_name = "Plain"

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]

    def forward(self, x, training):
        return x

    def backward(self, grad):
        return grad


def _render(type_name: str) -> QImage:
    image = QImage(48, 48, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    paint_layer_glyph(painter, QRectF(0, 0, 48, 48), type_name, QColor("#204080"))
    painter.end()
    return image


def test_every_registered_layer_type_names_a_glyph_that_exists(qapp):
    missing = [(c.type_name, c.glyph) for c in layer_types() if c.glyph not in GLYPHS]
    assert not missing, f"add these glyphs to app.icons.GLYPHS or fix the names: {missing}"
    for c in layer_types():
        assert layer_glyph(c.type_name) is GLYPHS[c.glyph]
        assert not layer_icon(c.type_name).isNull()


def test_layer_types_sharing_a_glyph_draw_the_same_picture(qapp):
    assert _render("MaxPool2D") == _render("GlobalAveragePooling2D")
    assert _render("SimpleRNN") == _render("GRU")
    assert _render("Dropout") == _render("SpatialDropout2D")
    assert _render("Dense") != _render("Conv2D")


def test_a_type_declaring_no_glyph_shows_its_initial(qapp, monkeypatch):
    monkeypatch.setitem(registry._LAYERS, "Plain", Plain)
    assert layer_glyph("Plain") not in GLYPHS.values()
    # The same picture as an unknown type with the same initial, unlike any named glyph.
    plain = _render("Plain")
    assert plain == _render("Pnot-registered")
    assert all(plain != _render(c.type_name) for c in layer_types() if c is not Plain)
