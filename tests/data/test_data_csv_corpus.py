"""A corpus of the tabular files people actually have, one per convention and per
combination that matters: each loads with default options (or the one option it needs)
and gives exactly these values; what was detected is in ``meta['csv']``."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nncore.data import load_data
from nncore.errors import DataError


@dataclass
class Case:
    name: str
    content: bytes
    X: list[list[float]]
    y: list[Any]                     # class indices, or regression values
    classes: list[str] | None = None
    features: list[str] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    detected: dict[str, Any] = field(default_factory=dict)


def enc(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


CASES = [
    Case("iris.data", enc("5.1,3.5,Iris-setosa\n4.9,3.0,Iris-setosa\n7.0,3.2,Iris-versicolor\n"
                          "6.3,3.3,Iris-virginica\n"),
         [[5.1, 3.5], [4.9, 3.0], [7.0, 3.2], [6.3, 3.3]], [0, 0, 1, 2],
         ["Iris-setosa", "Iris-versicolor", "Iris-virginica"], ["col1", "col2"],
         detected={"has_header": False, "delimiter": ",", "skip_rows": 0}),
    Case("breast-cancer-wisconsin.data",
         enc("1000025,5,1,2\n1002945,5,?,2\n1015425,3,1,4\n1016277,6,8,4\n"),
         [[1000025, 5, 1], [1015425, 3, 1], [1016277, 6, 8]], [0, 1, 1], ["2", "4"],
         options={"drop_incomplete": True}),
    Case("messwerte.csv", enc("Länge;Breite;Klasse\n1,5;2,25;A\n3;4,75;B\n0,5;1;A\n"),
         [[1.5, 2.25], [3, 4.75], [0.5, 1]], [0, 1, 0], ["A", "B"], ["Länge", "Breite"],
         detected={"delimiter": ";", "decimal": ",", "has_header": True}),
    Case("umsatz.csv", enc("Umsatz;Menge;Ziel\n1.234,5;3;1,5\n2.000,25;4;2,5\n"
                           "12,5;1;0,25\n"),
         [[1234.5, 3], [2000.25, 4], [12.5, 1]], [1.5, 2.5, 0.25],
         features=["Umsatz", "Menge"], options={"task": "regression"},
         detected={"decimal": ","}),
    Case("eu_noheader.csv", enc("1,5;2,5;0\n3,25;4;1\n0,75;1,5;0\n2;2,5;1\n"),
         [[1.5, 2.5], [3.25, 4], [0.75, 1.5], [2, 2.5]], [0, 1, 0, 1], ["0", "1"],
         detected={"delimiter": ";", "decimal": ",", "has_header": False}),
    Case("points.txt", enc("  1.0   2.0  0\n  3.5   4.0  1\n -1.25  0.5  0\n"),
         [[1, 2], [3.5, 4], [-1.25, 0.5]], [0, 1, 0], ["0", "1"],
         detected={"delimiter": "whitespace", "has_header": False}),
    Case("survey.dat", enc("x y label\n1 2 a\n3 4 b\n5 6 a\n"),
         [[1, 2], [3, 4], [5, 6]], [0, 1, 0], ["a", "b"], ["x", "y"],
         detected={"delimiter": "whitespace", "has_header": True}),
    Case("export.tsv", enc("\ufeff# exported by LabTool\r\na\tb\tt\r\n1\t2\tx\r\n"
                           "# calibrated\r\n3\t4\ty\r\n"),
         [[1, 2], [3, 4]], [0, 1], ["x", "y"], ["a", "b"],
         detected={"delimiter": "\t", "comment": "#", "line_end": "CRLF", "bom": True,
                   "has_header": True}),
    Case("sensor.csv", enc("Sensor export 2024-01-05\ntemp,hum,label\n20.5,30,ok\n"
                           "25,45.5,hot\n19,31,ok\n"),
         [[20.5, 30], [25, 45.5], [19, 31]], [1, 0, 1], ["hot", "ok"], ["temp", "hum"],
         detected={"skip_rows": 1, "has_header": True, "header_line": 2}),
    Case("iris_sklearn.csv", enc("6,4,setosa,versicolor,virginica\n5.1,3.5,1.4,0.2,0\n"
                                 "7.0,3.2,4.7,1.4,1\n6.3,3.3,6.0,2.5,2\n4.9,3.0,1.4,0.2,0\n"
                                 "6.4,3.2,4.5,1.5,1\n5.8,2.7,5.1,1.9,2\n"),
         [[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5],
          [4.9, 3.0, 1.4, 0.2], [6.4, 3.2, 4.5, 1.5], [5.8, 2.7, 5.1, 1.9]],
         [0, 1, 2, 0, 1, 2], ["0", "1", "2"],
         detected={"skip_rows": 1, "has_header": False, "first_data_line": 2}),
    Case("cancer_sklearn.csv", enc("5,2,malignant,benign\n1.5,2.5,0\n3.5,4.5,1\n0.5,1.5,0\n"
                                   "2.5,3.5,1\n6.5,7.5,0\n"),
         [[1.5, 2.5], [3.5, 4.5], [0.5, 1.5], [2.5, 3.5], [6.5, 7.5]], [0, 1, 0, 1, 0],
         ["0", "1"], detected={"skip_rows": 1, "has_header": False}),
    Case("pipes.csv", enc("a|b|c\n1|2|x\n3|4|y\n"), [[1, 2], [3, 4]], [0, 1], ["x", "y"],
         detected={"delimiter": "|"}),
    Case("semi_point.csv", enc("a;b;t\n1.5;2;x\n3;4.25;y\n"), [[1.5, 2], [3, 4.25]], [0, 1],
         ["x", "y"], detected={"delimiter": ";", "decimal": "."}),
    Case("markers.csv", enc("a,b,t\n1,NA,x\n2,N/A,y\n3,NaN,x\n4,null,y\n5,?,x\n6,,y\n"
                            "7,8,x\n9,10,y\n"),
         [[7, 8], [9, 10]], [0, 1], ["x", "y"], options={"drop_incomplete": True}),
    Case("quoted_empty.csv", enc('a,b,t\n1,"",x\n2,3,y\n4,5,x\n'), [[2, 3], [4, 5]], [1, 0],
         ["x", "y"], options={"drop_incomplete": True}),
    Case("sentinel.csv", enc("a,b,t\n1,-999,x\n2,3,y\n4,5,x\n"), [[2, 3], [4, 5]], [1, 0],
         ["x", "y"], options={"drop_incomplete": True, "missing_values": ["-999"]}),
    Case("oldmac.csv", enc("a,b,t\r1,2,x\r3,4,y\r"), [[1, 2], [3, 4]], [0, 1], ["x", "y"],
         detected={"line_end": "CR"}),
    Case("latin1.csv", enc("nom;valeur;classe\nété;1,5;chaud\nhiver;-2,5;froid\n"
                           "été;2;chaud\n", "latin-1"),
         [[0, 1, 1.5], [1, 0, -2.5], [0, 1, 2]], [0, 1, 0], ["chaud", "froid"],
         ["nom=hiver", "nom=été", "valeur"], detected={"encoding": "latin-1"}),
    Case("unicode_text.txt", "a\tb\tt\r\n1,5\t2\tx\r\n3\t4\ty\r\n".encode("utf-16"),
         [[1.5, 2], [3, 4]], [0, 1], ["x", "y"], ["a", "b"],
         detected={"encoding": "utf-16-le", "bom": True, "delimiter": "\t", "decimal": ","}),
    Case("r_table.csv", enc('"x","y","label"\n"1",1.5,2.5,"a"\n"2",3.5,4.5,"b"\n'
                            '"3",5.5,6.5,"a"\n'),
         [[1.5, 2.5], [3.5, 4.5], [5.5, 6.5]], [0, 1, 0], ["a", "b"], ["x", "y"],
         options={"ignore": ["col1"]}, detected={"has_header": True}),
    Case("percent.csv", enc("% generated\na,b,t\n% note\n1,2,x\n3,4,y\n"), [[1, 2], [3, 4]],
         [0, 1], ["x", "y"], options={"comment": "%"}),
    Case("notes_first.csv", enc("Title: trial 7\nOperator: K\na,b,t\n1,2,x\n3,4,y\n"),
         [[1, 2], [3, 4]], [0, 1], ["x", "y"], ["a", "b"],
         detected={"skip_rows": 2, "has_header": True}),
    Case("years.csv", enc("2019,2020,t\n1,2,x\n3,4,y\n"), [[1, 2], [3, 4]], [0, 1],
         ["x", "y"], ["2019", "2020"], options={"has_header": True}),
    Case("quoted_names.csv", enc('name,x,t\n"Smith, J",1,a\n\n"Doe, A",2,b\n'),
         [[1], [2]], [0, 1], ["a", "b"], ["x"], options={"ignore": ["name"]}),
    Case("science.txt", enc("# x y class\n1e-3 2.5E+2 1\n-4.5e1 3 0\n"),
         [[1e-3, 250], [-45, 3]], [1, 0], ["0", "1"],
         detected={"comment": "#", "delimiter": "whitespace"}),
    Case("eu_missing.csv", enc("a;b;Klasse\n1,5;;gut\nNA;2;schlecht\n2,5;3,5;gut\n"
                               "4;1,25;schlecht\n"),
         [[2.5, 3.5], [4, 1.25]], [0, 1], ["gut", "schlecht"],
         options={"drop_incomplete": True}),
    Case("decimal.tsv", enc("a\tb\n1,5\t0\n2,25\t1\n3\t0\n"), [[1.5], [2.25], [3]],
         [0, 1, 0], ["0", "1"], detected={"decimal": ","}),
    Case("fast_eu.csv", enc("p;q;r\r\n" + "".join(f"{i},5;{i * 2},25;{i % 2}\r\n"
                                                  for i in range(10))),
         [[i + 0.5, i * 2 + 0.25] for i in range(10)], [i % 2 for i in range(10)],
         ["0", "1"], detected={"decimal": ",", "delimiter": ";"}),
    Case("dupes.csv", enc("a,a,,t\n1,2,3,x\n4,5,6,y\n"), [[1, 2, 3], [4, 5, 6]], [0, 1],
         ["x", "y"], ["a", "a.1", "col3"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_file_loads_exactly(tmp_path: Path, case: Case) -> None:
    p = tmp_path / case.name
    p.write_bytes(case.content)
    ds = load_data(p, **case.options)
    np.testing.assert_array_equal(ds.X, np.array(case.X, dtype=np.float32))
    if case.classes is None:
        np.testing.assert_array_equal(ds.y[:, 0], np.array(case.y, dtype=np.float32))
    else:
        assert ds.class_names == case.classes and ds.y.tolist() == case.y
    if case.features is not None:
        assert ds.feature_names == case.features
    meta = ds.meta["csv"]
    for key, value in case.detected.items():
        assert meta[key] == value, (key, meta)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


def test_gzip_semicolon_file(tmp_path: Path) -> None:
    p = tmp_path / "werte.csv.gz"
    with gzip.open(p, "wb") as f:
        f.write(enc("a;b;t\n1,5;2;x\n3;4,5;y\n"))
    ds = load_data(p)
    assert ds.X.tolist() == [[1.5, 2], [3, 4.5]] and ds.meta["csv"]["decimal"] == ","


def test_what_was_detected_is_plain_data(tmp_path: Path) -> None:
    p = tmp_path / "markers.csv"
    p.write_bytes(CASES[13].content)
    ds = load_data(p, drop_incomplete=True)
    meta = ds.meta["csv"]
    assert meta["missing_found"] == {"": 1, "?": 1, "N/A": 1, "NA": 1, "NaN": 1, "null": 1}
    assert meta["columns"] == [{"name": "a", "role": "feature", "kind": "number"},
                               {"name": "b", "role": "feature", "kind": "number"},
                               {"name": "t", "role": "target", "kind": "text"}]
    assert meta["detected"]["delimiter"] and meta["reader"] == "general"
    ds2 = load_data(p, drop_incomplete=True, delimiter=",", has_header=True)
    assert ds2.meta["csv"]["detected"]["delimiter"] is False


@pytest.mark.parametrize("text, options, message", [
    ("a\tb\tt\n1,5\t2\tx\n3\t4\ty\n", {"decimal": "."},
     r"line 2, column 'a': expected a number, got '1,5'; if ',' is the decimal mark, set "
     r"decimal=','"),
    ("a,b,t\n1,2,x\n# note, here\n3,4,y\n", {"comment": ""},
     r"line 3: 2 fields, expected 3 .*set comment='#'"),
    ("My title\na,b,t\n1,2,x\n3,4,y\n", {"skip_rows": 0},
     r"line 2: 3 fields, expected 1 .*skip it with skip_rows=1"),
    ("a,b,t\n1,-,x\n2,3,y\n", {}, r"got '-'; if '-' means a missing value, add it to "
                                  r"missing_values"),
    ("a,b,t\n1,NA,x\n2,3,y\n", {}, r"missing value \('NA'\).*drop_incomplete=True"),
    ("a b c\n1 2 3\n", {"delimiter": "ab"}, r"delimiter must be one character"),
    ("a;b\n1;2\n", {"decimal": ",", "delimiter": ","}, r"decimal comma needs another "
                                                       r"delimiter"),
    ("a,b\n1,2\n", {"skip_rows": 5}, r"skip_rows=5 skips every line"),
    ("a,b\n1,2\n", {"missing_values": "NA"}, r"must be a list of texts"),
])
def test_a_failed_load_names_the_option_that_would_fix_it(tmp_path, text, options, message):
    p = tmp_path / "f.csv"
    p.write_text(text)
    with pytest.raises(DataError, match=message):
        load_data(p, **options)
