"""The status bar: a long temporary message stops before the permanent readouts."""

from __future__ import annotations

from PySide6.QtGui import QImage

LONG = ("Run 1: tanh · adam 0.03: completed · best validation loss 0.0745 at epoch 189 · "
        "300 epochs in 2.1 s · val accuracy 98.0% · and a little more text to be sure")


def _image(widget) -> QImage:
    return widget.grab().toImage()


def _same(a: QImage, b: QImage, x0: int, x1: int) -> bool:
    dpr = a.devicePixelRatio()
    return all(a.pixel(round(x * dpr), round(y * dpr)) == b.pixel(round(x * dpr), round(y * dpr))
               for x in range(x0, x1) for y in range(0, a.height() // round(dpr), 2))


def test_long_message_does_not_run_over_the_readouts(window, qtbot):
    window.resize(1024, 700)
    sb = window.statusBar()
    readouts = window.problems_label
    qtbot.waitUntil(lambda: readouts.x() > 0 and sb.width() <= 1024)
    assert readouts.text() == "✓ network is valid"
    left = readouts.x() - 8  # a gap before the readouts stays clear too
    before = _image(sb)
    window.context.status(LONG, 0)
    after = _image(sb)
    # The readouts (and the gap before them) look exactly as without the message...
    assert _same(before, after, left, sb.width())
    # ...and the message is drawn, shortened with "…", its whole text in the tooltip.
    assert not _same(before, after, 6, 200)
    assert sb.currentMessage() == LONG
    shown = sb.shown_message()
    assert shown.endswith("…") and LONG.startswith(shown[:-1])
    assert sb.fontMetrics().horizontalAdvance(shown) <= left - 6
    assert sb.toolTip() == LONG


def test_short_message_is_shown_whole(window):
    window.context.status("Saved", 0)
    sb = window.statusBar()
    assert sb.shown_message() == "Saved"
    assert sb.toolTip() == ""
