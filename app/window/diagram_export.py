"""The window part that exports the network diagram: File ▸ Export ▸ Network Diagram as
PNG (at twice the size) or SVG, of the canvas without the selection highlight."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QRectF, QSize
from PySide6.QtGui import QImage, QPainter

from app import dialogs
from app.theme import colors
from app.window.context import WindowContext


class DiagramExport(QObject):
    """The two export actions (``act_png``, ``act_svg``) and what they do."""

    def __init__(self, context: WindowContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        a = context.parts.action
        self.act_png = a("actionExportPng", "Network Diagram as &PNG…",
                         lambda: self.export_dialog("png"))
        self.act_svg = a("actionExportSvg", "Network Diagram as &SVG…",
                         lambda: self.export_dialog("svg"))

    def export_dialog(self, fmt: str) -> bool:
        """Ask for a file and write the diagram as ``fmt`` ('png' or 'svg')."""
        doc = self._context.document
        parent = self._context.dialog_parent
        stem = doc.path.stem if doc.path else (doc.project.name or "network")
        folder = doc.path.parent if doc.path else Path.home()
        filt = "PNG images (*.png)" if fmt == "png" else "SVG drawings (*.svg)"
        path = dialogs.get_save_path(parent, "Export network diagram",
                                     str(folder / f"{stem}.{fmt}"), filt)
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(path.name + f".{fmt}")
        try:
            self.export(path)
        except OSError as e:
            dialogs.show_error(parent, "Export failed", f"“{path.name}” could not be written.",
                               e.strerror or str(e))
            return False
        self._context.status(f"Exported {path}", 5000)
        return True

    def export(self, path: Path, scale: float = 2.0) -> None:
        """Write the network as a PNG (at ``scale`` x) or an SVG, by the file suffix."""
        path = Path(path)
        scene = self._context.scene
        selected = [i for i in scene.selectedItems()]
        for item in selected:
            item.setSelected(False)
        try:
            src = scene.nodes_rect()
            if src.isNull():
                src = QRectF(0, 0, 400, 200)
            src = src.adjusted(-24, -24, 24, 24)
            if path.suffix.lower() == ".svg":
                self._export_svg(path, src)
            else:
                self._export_png(path, src, scale)
        finally:
            for item in selected:
                item.setSelected(True)

    def _export_png(self, path: Path, src: QRectF, scale: float) -> None:
        img = QImage(round(src.width() * scale), round(src.height() * scale),
                     QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(colors().canvas)
        p = QPainter(img)
        p.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self._context.scene.render(p, QRectF(0, 0, img.width(), img.height()), src)
        p.end()
        tmp = path.with_name(f".{path.name}.tmp.png")
        if not img.save(str(tmp), "PNG"):
            raise OSError(f"could not write {path}")
        tmp.replace(path)

    def _export_svg(self, path: Path, src: QRectF) -> None:
        from PySide6.QtSvg import QSvgGenerator

        tmp = path.with_name(f".{path.name}.tmp.svg")
        gen = QSvgGenerator()
        gen.setFileName(str(tmp))
        gen.setSize(QSize(round(src.width()), round(src.height())))
        gen.setViewBox(QRectF(0, 0, src.width(), src.height()))
        gen.setTitle(self._context.document.project.name or "network")
        gen.setDescription("Network diagram exported from NetCanvas")
        p = QPainter(gen)
        p.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        p.fillRect(QRectF(0, 0, src.width(), src.height()), colors().canvas)
        self._context.scene.render(p, QRectF(0, 0, src.width(), src.height()), src)
        if not p.end() or not tmp.is_file():
            raise OSError(f"could not write {path}")
        tmp.replace(path)
