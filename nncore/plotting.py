"""Small line plots as PNG, drawn with Pillow (no plotting library), for the command line.

:class:`LinePlot` draws lines against a linear or logarithmic x axis, with labelled ticks,
a title, axis labels, vertical markers and a legend. It renders at twice the size and
scales down, which smooths the lines (Pillow draws them without anti-aliasing).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np

#: Render at this multiple of the final size, then scale down (anti-aliasing).
SCALE = 2
MARGINS = (78, 40, 24, 58)  # left, top, right, bottom (final pixels)
GRID, FRAME, TEXT = (228, 228, 228), (90, 90, 90), (30, 30, 30)


@dataclass
class _Line:
    xs: np.ndarray
    ys: np.ndarray
    color: tuple[int, int, int]
    label: str
    width: float


@dataclass
class _Marker:
    x: float
    color: tuple[int, int, int]
    label: str


@dataclass
class LinePlot:
    """A plot of lines: add them with :meth:`line` and :meth:`marker`, then :meth:`png`.
    ``ylim`` (low, high) fixes the y range (default: the lines' finite range); parts of
    lines outside it are cut at the frame."""

    title: str
    xlabel: str
    ylabel: str
    log_x: bool = False
    size: tuple[int, int] = (800, 500)
    ylim: tuple[float, float] | None = None
    lines: list[_Line] = field(default_factory=list)
    markers: list[_Marker] = field(default_factory=list)

    def line(self, xs, ys, color: tuple[int, int, int], label: str, width: float = 2
             ) -> None:
        self.lines.append(_Line(np.asarray(xs, float), np.asarray(ys, float), color, label,
                                width))

    def marker(self, x: float, color: tuple[int, int, int], label: str) -> None:
        """A vertical line at ``x`` (labelled in the legend)."""
        self.markers.append(_Marker(float(x), color, label))

    # -- rendering -----------------------------------------------------------------------
    def png(self) -> bytes:
        """The plot as PNG bytes."""
        from PIL import Image, ImageDraw

        w, h = (v * SCALE for v in self.size)
        image = Image.new("RGB", (w, h), "white")
        draw = ImageDraw.Draw(image)
        left, top, right, bottom = (m * SCALE for m in MARGINS)
        box = (left, top, w - right, h - bottom)
        xr, yr = self._x_range(), self._y_range()
        self._axes(draw, box, xr, yr)
        area = Image.new("RGBA", (box[2] - box[0], box[3] - box[1]), (0, 0, 0, 0))
        self._draw_data(ImageDraw.Draw(area), area.size, xr, yr)
        image.paste(area, box[:2], area)
        draw.rectangle(box, outline=FRAME, width=SCALE)
        self._legend(draw, box)
        out = io.BytesIO()
        image.resize(self.size, Image.Resampling.LANCZOS).save(out, "PNG")
        return out.getvalue()

    def _fx(self, x: np.ndarray | float) -> np.ndarray | float:
        return np.log10(x) if self.log_x else x

    def _x_range(self) -> tuple[float, float]:
        xs = np.concatenate([ln.xs for ln in self.lines] + [[m.x for m in self.markers]])
        xs = self._fx(xs[np.isfinite(xs) & ((xs > 0) | (not self.log_x))])
        lo, hi = (float(xs.min()), float(xs.max())) if xs.size else (0.0, 1.0)
        return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)

    def _y_range(self) -> tuple[float, float]:
        if self.ylim is not None:
            lo, hi = self.ylim
        else:
            ys = np.concatenate([ln.ys for ln in self.lines])
            ys = ys[np.isfinite(ys)]
            lo, hi = (float(ys.min()), float(ys.max())) if ys.size else (0.0, 1.0)
        pad = 0.05 * (hi - lo) if hi > lo else 0.5
        return lo - pad, hi + pad

    def _draw_data(self, draw, size, xr, yr) -> None:
        aw, ah = size

        def to_px(x, y):
            return ((self._fx(x) - xr[0]) / (xr[1] - xr[0]) * (aw - 1),
                    (yr[1] - y) / (yr[1] - yr[0]) * (ah - 1))

        for m in self.markers:
            px, _ = to_px(m.x, yr[0])
            for y0 in range(0, ah, 12 * SCALE):  # dashed
                draw.line([(px, y0), (px, y0 + 7 * SCALE)], fill=m.color, width=2 * SCALE)
        for ln in self.lines:
            ok = np.isfinite(ln.ys) & np.isfinite(ln.xs)
            pts = [to_px(x, y) for x, y in zip(ln.xs[ok], ln.ys[ok])]
            # Far outside the area Pillow's coordinates would overflow: hold them near it.
            pts = [(x, min(max(y, -ah), 2 * ah)) for x, y in pts]
            if len(pts) > 1:
                draw.line(pts, fill=ln.color, width=int(ln.width * SCALE), joint="curve")

    def _axes(self, draw, box, xr, yr) -> None:
        font = _font(12 * SCALE)
        x0, y0, x1, y1 = box
        for value, label in _ticks(yr[0], yr[1], log=False):
            py = y1 - (value - yr[0]) / (yr[1] - yr[0]) * (y1 - y0)
            draw.line([(x0, py), (x1, py)], fill=GRID, width=SCALE)
            draw.text((x0 - 6 * SCALE, py), label, fill=TEXT, font=font, anchor="rm")
        for value, label in _ticks(xr[0], xr[1], log=self.log_x):
            px = x0 + (value - xr[0]) / (xr[1] - xr[0]) * (x1 - x0)
            draw.line([(px, y0), (px, y1)], fill=GRID if label else (242, 242, 242),
                      width=SCALE)
            if label:
                draw.text((px, y1 + 6 * SCALE), label, fill=TEXT, font=font, anchor="mt")
        draw.text(((x0 + x1) / 2, y1 + 30 * SCALE), self.xlabel, fill=TEXT, font=font,
                  anchor="mt")
        draw.text(((x0 + x1) / 2, y0 - 12 * SCALE), self.title, fill=TEXT,
                  font=_font(14 * SCALE), anchor="mb")
        draw.text((14 * SCALE, (y0 + y1) / 2), self.ylabel, fill=TEXT, font=font,
                  anchor="lm")

    def _legend(self, draw, box) -> None:
        font = _font(12 * SCALE)
        entries = [(ln.color, ln.label) for ln in self.lines if ln.label]
        entries += [(m.color, m.label) for m in self.markers if m.label]
        if not entries:
            return
        width = max(draw.textlength(label, font=font) for _, label in entries)
        row = 18 * SCALE
        x1, y0 = box[2] - 10 * SCALE, box[1] + 10 * SCALE
        x0 = x1 - width - 40 * SCALE
        draw.rectangle((x0, y0, x1, y0 + row * len(entries) + 6 * SCALE), fill="white",
                       outline=FRAME, width=SCALE)
        for i, (color, label) in enumerate(entries):
            y = y0 + 3 * SCALE + row * i + row / 2
            draw.line([(x0 + 6 * SCALE, y), (x0 + 28 * SCALE, y)], fill=color, width=3 * SCALE)
            draw.text((x0 + 34 * SCALE, y), label, fill=TEXT, font=font, anchor="lm")


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow before 10.1: one bitmap size
        return ImageFont.load_default()


def _ticks(lo: float, hi: float, log: bool) -> list[tuple[float, str]]:
    """Tick positions (in plotted units) with labels ("" for a minor tick). Log axes:
    every decade labelled, 2..9 unlabelled; linear: steps of 1, 2 or 5 times a power of
    ten, about six of them."""
    if log:
        out = []
        for k in range(math.floor(lo), math.ceil(hi) + 1):
            if lo <= k <= hi:
                out.append((float(k), f"{10.0 ** k:g}"))
            for m in range(2, 10):
                v = k + math.log10(m)
                if lo <= v <= hi:
                    out.append((v, ""))
        return out
    raw = (hi - lo) / 6
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(s * mag for s in (1, 2, 5, 10) if s * mag >= raw)
    first = math.ceil(lo / step) * step
    values = np.arange(first, hi + step * 1e-9, step)
    return [(float(v), f"{round(v / step) * step:.6g}") for v in values]
