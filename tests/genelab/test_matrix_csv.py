"""GeneLab matrix CSVs are read by pyarrow.csv: values equal an independent correctly rounded parse
(pandas' round_trip converter, then float32), malformed rows are errors naming the file and line."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.errors import BenchError
from bench.loaders.genelab.build import read_matrix_csv

HEADER = ",G1,G2,G3\n"


def write(tmp_path, text: str, name: str = "train_X.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def reference(path) -> np.ndarray:
    return pd.read_csv(path, index_col=0, float_precision="round_trip").to_numpy(dtype=np.float64).astype(np.float32)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.floats(min_value=-1e30, max_value=1e30, allow_nan=False), min_size=3, max_size=3),
                min_size=1, max_size=6))
def test_values_equal_a_correctly_rounded_parse(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("csv") / "m.csv"
    path.write_text(HEADER + "".join(f"S{i}," + ",".join(repr(v) for v in row) + "\n" for i, row in enumerate(rows)))
    got = read_matrix_csv(path, what="matrix")
    assert got.dtypes.eq(np.float32).all() and list(got.index) == [f"S{i}" for i in range(len(rows))]
    assert got.index.name == "sample_id" and list(got.columns) == ["G1", "G2", "G3"]
    assert np.array_equal(got.to_numpy().view(np.uint32), reference(path).view(np.uint32))


def test_quoted_header_na_strings_and_integers(tmp_path):
    path = write(tmp_path, '"","G1","G2","G3"\n"S1",1,NA,2.5\nS2,,3,nan\nS3,-4,null,1e-3\n')
    got = read_matrix_csv(path, what="matrix")
    want = np.array([[1, np.nan, 2.5], [np.nan, 3, np.nan], [-4, np.nan, 1e-3]], dtype=np.float32)
    assert np.array_equal(got.to_numpy(), want, equal_nan=True) and list(got.index) == ["S1", "S2", "S3"]


def test_an_all_missing_column_is_nan_not_an_error(tmp_path):
    got = read_matrix_csv(write(tmp_path, HEADER + "S1,1,,2\nS2,3,,4\n"), what="matrix")
    assert np.isnan(got["G2"]).all() and got["G3"].tolist() == [2.0, 4.0]


@pytest.mark.parametrize("row, line, saw", [("S2,1,2", 3, 3), ("S2,1,2,3,4", 3, 5)])
def test_short_or_long_row_names_file_and_line(tmp_path, row, line, saw):
    path = write(tmp_path, HEADER + "S1,1,2,3\n" + row + "\nS3,1,2,3\n")
    with pytest.raises(BenchError, match=rf"train_X\.csv: cannot parse as CSV: line {line}: expected 4 fields, saw {saw}"):
        read_matrix_csv(path, what="matrix")


def test_non_numeric_column_is_named(tmp_path):
    with pytest.raises(BenchError, match=r"train_X\.csv: column\(s\) \['G2'\] are not numeric"):
        read_matrix_csv(write(tmp_path, HEADER + "S1,1,high,3\nS2,1,2,3\n"), what="matrix")


@pytest.mark.parametrize("text, pattern", [
    ("", r"train_X\.csv: cannot parse as CSV: the file is empty"),
    ("sample_id\nS1\n", r"train_X\.csv: no feature columns"),
    (",G1,G1\nS1,1,2\n", r"train_X\.csv: duplicate column\(s\) \['G1'\]"),
])
def test_other_malformed_files_name_the_file(tmp_path, text, pattern):
    with pytest.raises(BenchError, match=pattern):
        read_matrix_csv(write(tmp_path, text), what="matrix")


def test_missing_file_names_what_was_expected(tmp_path):
    with pytest.raises(BenchError, match=r"gene matrix not found: .*nope\.csv"):
        read_matrix_csv(tmp_path / "nope.csv", what="gene matrix")
