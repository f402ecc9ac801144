"""The NetCanvas data layer: data sets, generators, loaders and preprocessing.

Pure NumPy (plus the standard library; Pillow for image folders and openpyxl for Excel
workbooks, each imported only when such a file is loaded). Never imports Qt or
scikit-learn. See ``docs/data.md``.

"""

from __future__ import annotations

from .bundled import BUNDLED, BundledInfo, data_dir, load_bundled, resources_dir
from .dataset import TASKS, Dataset
from .formats.arrays import load_array
from .formats.csv_files import load_csv, read_csv_column
from .formats.excel import load_excel
from .formats.files import LoadCancelled, LoadControl
from .formats.idx import load_idx, read_idx
from .formats.image_folder import load_image_folder
from .formats.numpy_files import load_numpy
from .formats.registry import FORMATS, DataFormat, data_format, format_for, load_data
from .preprocess import Normalizer, split
from .sequences import csv_column_dataset, series_to_dataset, sine_dataset, sliding_windows
from .synthetic import (
    GENERATORS,
    Generator,
    Param,
    circle,
    gauss,
    moons,
    multi_gaussian,
    plane,
    recommender_ratings,
    sine_series,
    spiral,
    xor,
)

__all__ = [
    "BUNDLED",
    "FORMATS",
    "GENERATORS",
    "LoadCancelled",
    "LoadControl",
    "TASKS",
    "BundledInfo",
    "DataFormat",
    "Dataset",
    "Generator",
    "Normalizer",
    "Param",
    "circle",
    "csv_column_dataset",
    "data_dir",
    "data_format",
    "format_for",
    "gauss",
    "load_array",
    "load_bundled",
    "load_csv",
    "load_excel",
    "load_data",
    "load_idx",
    "load_image_folder",
    "load_numpy",
    "moons",
    "multi_gaussian",
    "plane",
    "read_csv_column",
    "read_idx",
    "recommender_ratings",
    "resources_dir",
    "series_to_dataset",
    "sine_dataset",
    "sine_series",
    "sliding_windows",
    "split",
    "spiral",
    "xor",
]
