"""Tests of load_csv (and read_csv_column)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from nncore.data import load_csv, load_data, read_csv_column
from nncore.errors import DataError


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


IRIS_LIKE = """sepal_length,sepal_width,species
5.1,3.5,setosa
4.9,3.0,setosa
7.0,3.2,versicolor
6.4,3.2,versicolor
6.3,3.3,virginica
"""


def test_header_detected_and_string_target(tmp_path: Path) -> None:
    ds = load_csv(write(tmp_path, IRIS_LIKE, "flowers.csv"))
    assert ds.feature_names == ["sepal_length", "sepal_width"]
    assert ds.X.dtype == np.float32
    np.testing.assert_allclose(ds.X, [[5.1, 3.5], [4.9, 3.0], [7.0, 3.2], [6.4, 3.2],
                                      [6.3, 3.3]], rtol=1e-6)
    assert ds.task == "classification"
    assert ds.class_names == ["setosa", "versicolor", "virginica"]
    assert ds.y.tolist() == [0, 0, 1, 1, 2]
    assert ds.name == "flowers"


def test_no_header_detected(tmp_path: Path) -> None:
    ds = load_csv(write(tmp_path, "1,2,0\n3,4,1\n5,6,0\n7,8,1\n"))
    assert ds.n_samples == 4 and ds.X.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]
    assert ds.feature_names == ["col1", "col2"]
    assert ds.task == "classification" and ds.class_names == ["0", "1"]


def test_text_only_header_detection(tmp_path: Path) -> None:
    # all-text file: first row values never reappear below -> header
    ds = load_csv(write(tmp_path, "colour,size\nred,S\nblue,M\nred,M\nblue,S\n"))
    assert ds.n_samples == 4 and ds.feature_names == ["colour=blue", "colour=red"]
    # first row repeats below -> data, not a header
    ds2 = load_csv(write(tmp_path, "red,S\nblue,M\nred,M\nblue,S\n", "b.csv"))
    assert ds2.n_samples == 4


def test_forced_header_flag(tmp_path: Path) -> None:
    p = write(tmp_path, "1,2,3\n4,5,6\n7,8,9\n")
    assert load_csv(p, has_header=True, task="regression").n_samples == 2
    assert load_csv(p, has_header=False, task="regression").n_samples == 3


def test_target_by_name_and_index(tmp_path: Path) -> None:
    p = write(tmp_path, "a,label,b\n1,x,2\n3,y,4\n5,x,6\n")
    by_name = load_csv(p, target="label")
    by_index = load_csv(p, target=1)
    for ds in (by_name, by_index):
        assert ds.feature_names == ["a", "b"]
        assert ds.X.tolist() == [[1, 2], [3, 4], [5, 6]]
        assert ds.class_names == ["x", "y"] and ds.y.tolist() == [0, 1, 0]
    neg = load_csv(p, target=-3, task="regression")       # column 'a' as a regression target
    assert neg.y[:, 0].tolist() == [1, 3, 5]
    with pytest.raises(DataError, match="no column named 'lbl'.*'a', 'label', 'b'"):
        load_csv(p, target="lbl")
    with pytest.raises(DataError, match="out of range"):
        load_csv(p, target=5)


def test_regression_auto_and_multi_target(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{i * 0.5},{i * 1.25}" for i in range(10))
    p = write(tmp_path, "x,y1,y2\n" + rows + "\n")
    ds = load_csv(p)
    assert ds.task == "regression" and ds.y.shape == (10, 1) and ds.y.dtype == np.float32
    np.testing.assert_allclose(ds.y[:, 0], np.arange(10) * 1.25)
    multi = load_csv(p, target=["y1", "y2"])
    assert multi.y.shape == (10, 2) and multi.feature_names == ["x"]


def test_integer_target_with_many_values_is_regression(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{i * 3}" for i in range(60))
    assert load_csv(write(tmp_path, "x,t\n" + rows)).task == "regression"


def test_numeric_class_labels_mapped_to_indices(tmp_path: Path) -> None:
    ds = load_csv(write(tmp_path, "x,c\n0.1,3\n0.2,1\n0.3,2\n0.4,1\n0.5,3\n0.6,2\n"))
    assert ds.task == "classification"
    assert ds.class_names == ["1", "2", "3"]
    assert ds.y.tolist() == [2, 0, 1, 0, 2, 1]


def test_one_hot_categoricals(tmp_path: Path) -> None:
    text = "color,weight,size,label\nred,1.5,S,a\ngreen,2.0,M,b\nred,2.5,L,a\nblue,3.0,S,b\n"
    ds = load_csv(write(tmp_path, text))
    assert ds.feature_names == ["color=blue", "color=green", "color=red", "weight",
                                "size=L", "size=M", "size=S"]
    expected = [[0, 0, 1, 1.5, 0, 0, 1],
                [0, 1, 0, 2.0, 0, 1, 0],
                [0, 0, 1, 2.5, 1, 0, 0],
                [1, 0, 0, 3.0, 0, 0, 1]]
    np.testing.assert_allclose(ds.X, expected)
    assert ds.meta["categorical"] == ["color", "size"]


def test_forced_categorical_numbers(tmp_path: Path) -> None:
    ds = load_csv(write(tmp_path, "zip,x,t\n100,1,a\n200,2,b\n100,3,a\n"), categorical=["zip"])
    assert ds.feature_names == ["zip=100", "zip=200", "x"]
    assert ds.X[:, :2].tolist() == [[1, 0], [0, 1], [1, 0]]


def test_ignore_column(tmp_path: Path) -> None:
    ds = load_csv(write(tmp_path, "id,x,t\nA17,1,a\nB22,2,b\nC99,3,a\n"), ignore=["id"])
    assert ds.feature_names == ["x"]


def test_too_many_categories(tmp_path: Path) -> None:
    rows = "\n".join(f"user{i},{i % 2}" for i in range(30))
    with pytest.raises(DataError, match="column 'name': 30 distinct text values"):
        load_csv(write(tmp_path, "name,t\n" + rows), max_categories=10)


MISSING = """a,b,t
1,2,0
3,,1
5,6,0
NA,8,1
9,10,0
11,12,nan
13,14,1
"""


def test_missing_values_error_names_row_and_column(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"data\.csv line 3, column 'b': missing value"):
        load_csv(write(tmp_path, MISSING))


def test_missing_values_dropped(tmp_path: Path) -> None:
    ds = load_csv(write(tmp_path, MISSING), drop_incomplete=True)
    assert ds.X.tolist() == [[1, 2], [5, 6], [9, 10], [13, 14]]
    assert ds.y.tolist() == [0, 0, 0, 1]
    assert ds.meta["dropped_rows"] == 3
    assert ds.meta["dropped_lines"] == [3, 5, 7]
    assert "dropped 3" in ds.description


def test_all_rows_incomplete(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="every row"):
        load_csv(write(tmp_path, "a,t\n,1\nNA,0\n"), has_header=True, drop_incomplete=True)


def test_text_in_numeric_column(tmp_path: Path) -> None:
    rows = [f"{5 + i * 0.1:.1f},{0.2 + i * 0.01:.2f},setosa" for i in range(20)]
    rows[12] = "5.0,abc,setosa"                # file line 14 (header is line 1)
    p = write(tmp_path, "sepal_length,petal_width,species\n" + "\n".join(rows) + "\n",
              "iris.csv")
    with pytest.raises(DataError) as err:
        load_csv(p)
    assert str(err.value) == ("iris.csv line 14, column 'petal_width': expected a number, "
                              "got 'abc'")


def test_text_in_numeric_column_without_header(tmp_path: Path) -> None:
    p = write(tmp_path, "1,2,0\n3,4,1\n5,x7,0\n6,8,1\n")
    with pytest.raises(DataError, match=r"line 3, column 2: expected a number, got 'x7'"):
        load_csv(p)


def test_text_in_regression_target(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{i * 0.37:.2f}" for i in range(10))
    p = write(tmp_path, "x,y\n" + rows + "\n10,oops\n")
    with pytest.raises(DataError, match=r"line 12, column 'y': expected a number, got 'oops'"):
        load_csv(p)


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="empty.csv is empty"):
        load_csv(write(tmp_path, "", "empty.csv"))
    with pytest.raises(DataError, match="is empty"):
        load_csv(write(tmp_path, "\n  \n\n", "blank.csv"))


def test_header_only(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="header row but no data rows"):
        load_csv(write(tmp_path, "a,b,label\n"))


def test_ragged_rows(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"data\.csv line 4: 2 fields, expected 3"):
        load_csv(write(tmp_path, "a,b,c\n1,2,0\n3,4,1\n5,6\n"))


def test_single_column_has_no_features(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no feature columns"):
        load_csv(write(tmp_path, "t\n1\n2\n"))


def test_other_delimiters_blank_lines_bom_and_quotes(tmp_path: Path) -> None:
    p = tmp_path / "semi.csv"
    p.write_bytes("\ufeffa;b;t\n1,5;2;x\n\n3;4,25;y\n".encode())
    ds = load_csv(p)
    assert ds.feature_names == ["a", "b"]          # BOM stripped
    np.testing.assert_allclose(ds.X, [[1.5, 2], [3, 4.25]])   # decimal comma with ';'
    q = write(tmp_path, 'name,x,t\n"Smith, J",1,a\n"Doe, A",2,b\n"Roe, B",3,a\n', "q.csv")
    assert load_csv(q, ignore=["name"]).X[:, 0].tolist() == [1, 2, 3]
    tsv = write(tmp_path, "a\tb\tt\n1\t2\tx\n3\t4\ty\n", "t.tsv")
    assert load_csv(tsv).X.tolist() == [[1, 2], [3, 4]]


def test_gzipped_csv(tmp_path: Path) -> None:
    p = tmp_path / "data.csv.gz"
    with gzip.open(p, "wt") as f:
        f.write(IRIS_LIKE)
    ds = load_data(p)
    assert ds.n_samples == 5 and ds.name == "data"


def test_non_finite_number(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="line 3, column 'a': expected a finite number"):
        load_csv(write(tmp_path, "a,t\n1,0\ninf,1\n2,0\n"))


def test_bad_task_and_classification_with_floats(tmp_path: Path) -> None:
    p = write(tmp_path, "a,t\n1,0.5\n2,1.5\n3,0.5\n")
    with pytest.raises(DataError, match="task must be"):
        load_csv(p, task="cluster")
    ds = load_csv(p, task="classification")
    assert ds.class_names == ["0.5", "1.5"] and ds.y.tolist() == [0, 1, 0]


def test_read_csv_column(tmp_path: Path) -> None:
    p = write(tmp_path, "t,price\n1,10.5\n2,11\n3,12.25\n")
    values, name = read_csv_column(p, "price")
    assert name == "price" and values.tolist() == [10.5, 11.0, 12.25]
    with pytest.raises(DataError, match="line 3, column 'price': missing"):
        read_csv_column(write(tmp_path, "t,price\n1,10\n2,\n", "m.csv"), "price")


def test_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_csv(tmp_path / "nope.csv")
