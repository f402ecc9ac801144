"""Image folders, one sub-folder per class, as data sets: :func:`load_image_folder` and the
image folder :class:`~.data_format.DataFormat`. Pillow is imported only when a folder loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncore.errors import DataError
from nncore.params import Param

from ..dataset import Dataset
from .data_format import DataFormat
from .files import LoadControl, PathLike

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff",
                              ".webp", ".ppm", ".pgm", ".pbm"})
#: Largest image side accepted by :func:`load_image_folder` (after resizing).
MAX_IMAGE_SIDE = 1024
COLORS = ("grayscale", "rgb")
_JUNK_FILES = frozenset({"thumbs.db", "desktop.ini"})


@dataclass
class _Collected:
    """The images read so far, and what was left out."""

    #: How many files may hold images: the array for them is made at the first image.
    capacity: int = 0
    X: np.ndarray | None = None
    count: int = 0
    labels: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    #: The first image's name and native size, when all images must share it.
    first: tuple[str, tuple[int, int]] | None = None


def load_image_folder(path: PathLike, size: tuple[int, int] | None = None,
                      color: str = "grayscale", skip_invalid: bool = False,
                      control: LoadControl | None = None) -> Dataset:
    """Load images stored as one sub-folder per class (``root/cat/*.png``, ``root/dog/...``).

    Args:
        path: the root folder; each sub-folder (sorted by name) is a class.
        size: ``(height, width)`` to resize every image to (bilinear, Pillow). ``None`` keeps
            the native size, which must then be the same for all images.
        color: ``'grayscale'`` (1 channel) or ``'rgb'`` (3 channels).
        skip_invalid: skip non-image and unreadable files (listed in ``meta['skipped']``)
            instead of raising a :class:`DataError` naming the file. Hidden files and
            ``Thumbs.db`` / ``desktop.ini`` are always skipped.
        control: cancel the load from another thread, follow its progress (bytes of the
            image files read, of their total).

    Returns a classification :class:`Dataset` with X ``float32 (n, C, H, W)`` in ``[0, 1]``.
    """
    root = Path(path)
    size = _check_options(root, size, color)
    class_dirs = _class_folders(root)
    listed = [[f for f in sorted(p for p in cdir.rglob("*") if p.is_file())
               if not _is_hidden_or_junk(f.relative_to(cdir))] for cdir in class_dirs]
    got = _Collected(capacity=sum(len(files) for files in listed))
    sizes = {f: f.stat().st_size for files in listed for f in files} if control else {}
    total, done = sum(sizes.values()), 0
    for k, (cdir, files) in enumerate(zip(class_dirs, listed)):
        n_before = got.count
        for f in files:
            if control is not None:
                control.check(root.name)
            _add_image(got, f, f.relative_to(root).as_posix(), k, size, color, skip_invalid)
            if control is not None:
                done += sizes[f]
                control.report(done, total)
        if got.count == n_before:
            raise DataError(f"class folder '{cdir.name}' contains no usable images")
    assert got.X is not None
    X = got.X[:got.count]  # the images read into one array made for all the files
    return Dataset(X=X, y=np.array(got.labels, dtype=np.int64), task="classification",
                   class_names=[d.name for d in class_dirs], name=root.name,
                   description=f"{root.name}: {len(X)} {color} images of "
                               f"{X.shape[2]}x{X.shape[3]} in {len(class_dirs)} classes",
                   meta={"source": str(root), "files": got.files, "skipped": got.skipped})


def _check_options(root: Path, size: Any, color: str) -> tuple[int, int] | None:
    """The folder must exist; ``size`` as ``(height, width)`` within bounds, or ``None``."""
    if not root.exists():
        raise DataError(f"folder not found: {root}")
    if not root.is_dir():
        raise DataError(f"{root} is not a folder (an image data set is a folder with one "
                        f"sub-folder per class)")
    if color not in COLORS:
        raise DataError(f"color must be 'grayscale' or 'rgb', got {color!r}")
    if size is None:
        return None
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(s, (int, np.integer)) and s > 0 for s in size)):
        raise DataError(f"size must be (height, width) with positive integers, got {size!r}")
    size = (int(size[0]), int(size[1]))
    if size[0] > MAX_IMAGE_SIDE or size[1] > MAX_IMAGE_SIDE:
        raise DataError(f"size {size} is too large: each side must be at most "
                        f"{MAX_IMAGE_SIDE} pixels")
    return size


def _class_folders(root: Path) -> list[Path]:
    """The visible sub-folders of ``root``, sorted by name: one per class."""
    class_dirs = sorted((d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")),
                        key=lambda d: d.name)
    if not class_dirs:
        raise DataError(f"{root.name} has no sub-folders: put the images of each class in its "
                        f"own sub-folder (e.g. {root.name}/cat/, {root.name}/dog/)")
    return class_dirs


def _is_hidden_or_junk(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts) or rel.name.lower() in _JUNK_FILES


def _add_image(got: _Collected, f: Path, shown: str, label: int,
               size: tuple[int, int] | None, color: str, skip_invalid: bool) -> None:
    """Read the image file ``f`` (``shown`` in messages) into ``got`` as class ``label``, or
    skip it (when ``skip_invalid``), or raise a DataError naming it."""
    if f.suffix.lower() not in IMAGE_EXTENSIONS:
        if skip_invalid:
            got.skipped.append(shown)
            return
        raise DataError(f"{shown}: not an image file (supported: "
                        f"{', '.join(sorted(IMAGE_EXTENSIONS))}); remove it or load "
                        f"with skip_invalid=True")
    read = _read_image(f, shown, size, color, skip_invalid)
    if read is None:
        got.skipped.append(shown)
        return
    arr, native = read
    if size is None:
        if got.first is None:
            got.first = (shown, native)
        elif native != got.first[1]:
            first, first_size = got.first
            raise DataError(f"images have different sizes: {first} is "
                            f"{first_size[0]}x{first_size[1]} but {shown} is "
                            f"{native[0]}x{native[1]} (height x width); give a "
                            f"size [height, width] to resize them all (in a project "
                            f"file: data.params.size)")
    image = arr[None] if arr.ndim == 2 else np.transpose(arr, (2, 0, 1))
    if got.X is None:
        got.X = np.empty((got.capacity, *image.shape), dtype=np.float32)
    got.X[got.count] = image
    got.count += 1
    got.labels.append(label)
    got.files.append(shown)


def _read_image(f: Path, shown: str, size: tuple[int, int] | None, color: str,
                skip_invalid: bool) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The pixels in ``[0, 1]`` (resized to ``size`` if given) and the native size; ``None``
    for an unreadable file when ``skip_invalid``."""
    from PIL import Image, ImageOps

    try:
        with Image.open(f) as im:
            im = ImageOps.exif_transpose(im) or im
            im = im.convert("L" if color == "grayscale" else "RGB")
            native = (im.height, im.width)
            if size is not None and native != size:
                im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            return np.asarray(im, dtype=np.float32) / 255.0, native
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        if skip_invalid:
            return None
        raise DataError(f"{shown}: cannot read the image ({exc})") from None


OPTIONS: tuple[Param, ...] = (
    Param("size", "shape", None, "Height and width to resize every image to (the images' "
          "own size when not set).", optional=True),
    Param("color", "choice", "grayscale", "Read the images in grayscale (1 channel) or in "
          "colour (3 channels).", choices=COLORS),
    Param("skip_invalid", "bool", False, "Leave out files that are not readable images "
          "instead of stopping at the first."),
)

IMAGE_FOLDER = DataFormat(name="image_folder", title="image folders", load=load_image_folder,
                          options=OPTIONS, folder=True)
