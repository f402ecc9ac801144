"""The window reads a project's data as the command line does: a data file's classes
option applies in the window too (it once loaded files by its own copy of the steps)."""

from __future__ import annotations

import numpy as np

from app.data_source import load_spec
from nncore.data.formats.files import LoadControl
from nncore.project import DataSpec
from nncore.run import load_dataset


def test_a_file_with_a_classes_option_loads_as_the_engine_loads_it(tmp_path):
    rows = "\n".join(f"{i},{i % 7},{['a', 'b', 'c'][i % 3]}" for i in range(30))
    (tmp_path / "d.csv").write_text("x1,x2,label\n" + rows + "\n", encoding="utf-8")
    spec = DataSpec(source="file", path="d.csv", classes=["c", "a"],
                    params={"target": "label"})
    mine = load_spec(spec, tmp_path, LoadControl())
    engine = load_dataset(spec, tmp_path)
    assert mine.class_names == engine.class_names == ["c", "a"]
    np.testing.assert_array_equal(mine.X, engine.X)
    np.testing.assert_array_equal(mine.y, engine.y)
    assert len(mine.y) == 20
