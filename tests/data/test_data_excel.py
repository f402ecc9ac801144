"""Excel workbooks: a sheet loads like the same table as CSV, with the sheet's own rows in
messages; damaged, huge or unexpected workbooks are refused by name."""

from __future__ import annotations

import datetime
import zipfile
from pathlib import Path

import numpy as np
import pytest

openpyxl = pytest.importorskip("openpyxl")

import nncore.readers as readers  # noqa: E402
from nncore.data import LoadControl, format_for, load_csv, load_data  # noqa: E402
from nncore.errors import DataError  # noqa: E402


def book(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


IRIS = [["sepal", "width", "species"], [5.1, 3.5, "setosa"], [4.9, 3.0, "setosa"],
        [7.0, 3.2, "versicolor"], [6.3, 0.1, "virginica"]]


def test_first_sheet_loads_exactly_like_the_csv(tmp_path):
    p = book(tmp_path / "flowers.xlsx", {"Data": IRIS, "Notes": [["hello"]]})
    assert format_for(p).name == "excel"
    ds = load_data(p)
    csv = tmp_path / "flowers.csv"
    csv.write_text("\n".join(",".join(str(c) for c in r) for r in IRIS) + "\n")
    ref = load_csv(csv)
    np.testing.assert_array_equal(ds.X, ref.X)
    np.testing.assert_array_equal(ds.X, np.float32([[5.1, 3.5], [4.9, 3.0], [7.0, 3.2],
                                                    [6.3, 0.1]]))
    assert ds.y.tolist() == [0, 0, 1, 2] and ds.class_names == ["setosa", "versicolor",
                                                                 "virginica"]
    assert ds.feature_names == ["sepal", "width"] and ds.name == "flowers"
    meta = ds.meta["excel"]
    assert (meta["sheet"], meta["sheets"], meta["has_header"], meta["header_row"],
            meta["first_data_row"]) == ("Data", ["Data", "Notes"], True, 1, 2)
    assert meta["columns"][2] == {"name": "species", "role": "target", "kind": "text"}


def test_named_sheet_title_rows_blank_cells_and_dates(tmp_path):
    rows = [["Measurements, March"], [], ["x", "day", "hot"], [1, datetime.date(2024, 3, 1),
                                                                "yes"],
            [2.5, datetime.date(2024, 3, 2), "no"], [None, datetime.date(2024, 3, 3), "no"],
            [4, datetime.date(2024, 3, 1), "yes"]]
    p = book(tmp_path / "m.xlsx", {"Front": [["see next sheet"]], "Runs": rows})
    ds = load_data(p, sheet="Runs", drop_incomplete=True)
    assert ds.meta["excel"]["skip_rows"] == 2 and ds.meta["excel"]["header_row"] == 3
    assert ds.feature_names == ["x", "day=2024-03-01", "day=2024-03-02"]
    np.testing.assert_array_equal(ds.X, np.float32([[1, 1, 0], [2.5, 0, 1], [4, 1, 0]]))
    assert ds.class_names == ["no", "yes"] and ds.y.tolist() == [1, 0, 1]
    assert ds.meta["dropped_lines"] == [6] and ds.meta["excel"]["missing_found"] == {"": 1}
    with pytest.raises(DataError, match=r"m.xlsx, sheet 'Runs' row 6, column 'x': missing "
                                        r"value.*drop_incomplete"):
        load_data(p, sheet="Runs")


def test_messages_name_the_sheet_and_row(tmp_path):
    p = book(tmp_path / "b.xlsx", {"S": [["a", "b", "t"], [1, 2, 0], [3, "abc", 1],
                                         [5, 6, 0]]})
    with pytest.raises(DataError, match=r"^b.xlsx, sheet 'S' row 3, column 'b': expected a "
                                        r"number, got 'abc'$"):
        load_data(p)
    with pytest.raises(DataError, match=r"no sheet named 'T'; its sheets are: 'S'"):
        load_data(p, sheet="T")
    with pytest.raises(DataError, match="do not apply to Excel workbooks"):
        load_data(p, delimiter=";")


def test_options_and_missing_markers(tmp_path):
    p = book(tmp_path / "c.xlsx", {"S": [["id", "a", "t"], ["u1", 1, 0.5], ["u2", -999, 1.5],
                                         ["u3", 3, 2.5], ["u4", "?", 3.5]]})
    ds = load_data(p, ignore=["id"], missing_values=["-999", "?"], drop_incomplete=True,
                   task="regression")
    assert ds.X.tolist() == [[1], [3]] and ds.y[:, 0].tolist() == [0.5, 2.5]
    found = ds.meta["excel"]["missing_found"]
    assert found == {"-999": 1, "?": 1}
    ds2 = load_data(p, target=1, ignore=[0], skip_rows=1, has_header=False,
                    drop_incomplete=True)
    assert ds2.y[:, 0].tolist() == [1, -999, 3]   # '-999' is a number here; '?' is not


def test_progress_cancel_and_bounds(tmp_path, monkeypatch):
    rows = [["a", "t"]] + [[i, i % 2] for i in range(2500)]
    p = book(tmp_path / "big.xlsx", {"S": rows})
    seen = []
    ds = load_data(p, control=LoadControl(progress=lambda d, t: seen.append((d, t))))
    assert ds.n_samples == 2500 and len(seen) >= 3 and seen[-1][0] == seen[-1][1]
    stop = LoadControl()
    stop.progress = lambda d, t: stop.cancel.set()
    with pytest.raises(DataError, match="cancelled"):
        load_data(p, control=stop)
    monkeypatch.setattr(readers, "memory_available", lambda: 20_000)
    with pytest.raises(DataError, match="the unpacked workbook needs"):
        load_data(p)


def test_not_a_workbook_and_a_damaged_one(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="not an Excel workbook"):
        load_data(fake)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    with pytest.raises(DataError, match="broken.xlsx: cannot read the workbook"):
        load_data(broken)
