"""Fitting a line of a node's text into the node.

A layer type's name is the node's title and must be read whole: one too wide for the
header is set narrower (semi-condensed, then condensed: a real condensed face where the
system has one) and then smaller, down to 80 % of the node font, and only a name that
does not fit even so is elided, in the middle, so that its ending ("2D") stays. A warning
is narrowed the same way but never made smaller (it is already in the small font), then
cut at the end. The node's tooltip always has both in full.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF

#: Widths tried, in QFont stretch units (100: normal, 87: semi-condensed, 75: condensed).
STRETCHES = (100, 87, 75)
#: Sizes tried for a title, as shares of the node font; each with every width before a
#: smaller one.
TITLE_SCALES = (1.0, 0.95, 0.9, 0.85, 0.8)

_fitted: dict[tuple, tuple[QFont, str]] = {}


def fit_title(text: str, font: QFont, width: float) -> tuple[QFont, str]:
    """The bold font and the text that show a node title ``text`` in ``width``."""
    return fit_text(text, font, width, True, TITLE_SCALES, Qt.TextElideMode.ElideMiddle)


def fit_warning(text: str, font: QFont, width: float) -> tuple[QFont, str]:
    """The font and the text that show a node's warning ``text`` in ``width``."""
    return fit_text(text, font, width, False, (1.0,), Qt.TextElideMode.ElideRight)


def fit_text(text: str, font: QFont, width: float, bold: bool,
             scales: tuple[float, ...], elide: Qt.TextElideMode) -> tuple[QFont, str]:
    """The first of ``font``'s variants (by size in ``scales``, then by width) in which
    ``text`` fits ``width``, and the whole text; else the narrowest, smallest variant and
    the text elided. Cached: every node's paint asks."""
    key = (text, font.key(), width, bold, scales, elide)
    if key not in _fitted:
        _fitted[key] = _fit(text, font, width, bold, scales, elide)
    return _fitted[key]


def _fit(text: str, font: QFont, width: float, bold: bool, scales: tuple[float, ...],
         elide: Qt.TextElideMode) -> tuple[QFont, str]:
    for scale in scales:
        for stretch in STRETCHES:
            f = _variant(font, bold, scale, stretch)
            if QFontMetricsF(f).horizontalAdvance(text) <= width:
                return f, text
    f = _variant(font, bold, scales[-1], STRETCHES[-1])
    return f, QFontMetricsF(f).elidedText(text, elide, width)


def _variant(font: QFont, bold: bool, scale: float, stretch: int) -> QFont:
    f = QFont(font)
    f.setBold(bold)
    f.setStretch(stretch)
    if scale != 1.0:
        if f.pointSizeF() > 0:
            f.setPointSizeF(f.pointSizeF() * scale)
        else:
            f.setPixelSize(max(1, round(f.pixelSize() * scale)))
    return f
