"""Built repos stream with datasets and read directly with pandas, pyarrow (and DuckDB if installed)."""
from __future__ import annotations

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from _hub_fixtures import build_repo, split_dataset

P = 7


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return build_repo(tmp_path_factory.mktemp("stream"), p=P)


def test_streaming_equals_non_streamed_rows(repo):
    full = datasets.load_dataset(str(repo), "A5_skin")
    streamed = datasets.load_dataset(str(repo), "A5_skin", streaming=True)
    assert isinstance(streamed, datasets.IterableDatasetDict)
    assert sorted(streamed) == sorted(full) == ["mhu_2", "rr_6", "rr_7"]
    for split in full:
        rows = list(streamed[split])
        assert len(rows) == full[split].num_rows
        assert rows == [full[split][i] for i in range(full[split].num_rows)]
        assert streamed[split].features == full[split].features
    assert full["rr_6"].features["features"] == datasets.List(datasets.Value("float32"), length=P)


def test_streamed_values_equal_what_was_written(repo):
    """Independent truth: the datasets the fixture wrote (same seeds), not the reader under test."""
    written = split_dataset(4, P, mission="RR-7", seed=1)  # A5_skin rr_7 = first config, second split
    streamed = datasets.load_dataset(str(repo), "A5_skin", split="rr_7", streaming=True)
    got = np.array([row["features"] for row in streamed], dtype=np.float32)
    np.testing.assert_array_equal(got, np.array(written["features"], dtype=np.float32))
    assert [row["sample_id"] for row in streamed] == written["sample_id"]


def test_streaming_with_numpy_format_batches(repo):
    streamed = datasets.load_dataset(str(repo), "A5_skin_kegg", split="rr_6", streaming=True)
    batch = next(iter(streamed.with_format("numpy").iter(batch_size=5)))
    assert batch["features"].shape == (5, P) and batch["features"].dtype == np.float32


def test_parquet_reads_with_pandas_and_pyarrow(repo):
    import pandas as pd

    path = repo / "A5_skin" / "mhu_2-00000-of-00001.parquet"
    written = split_dataset(6, P, mission="MHU-2", seed=2)
    df = pd.read_parquet(path)
    assert list(df.columns) == ["sample_id", "mission", "label", "age", "features"]
    assert df["sample_id"].tolist() == written["sample_id"] and str(df["label"].dtype) == "int8"
    np.testing.assert_array_equal(np.stack(df["features"].to_numpy()), np.array(written["features"], np.float32))

    table = pq.read_table(path)
    typ = table.schema.field("features").type
    assert pa.types.is_fixed_size_list(typ) and typ.list_size == P and typ.value_type == pa.float32()
    x = table.column("features").combine_chunks().flatten().to_numpy().reshape(-1, P)
    np.testing.assert_array_equal(x, np.array(written["features"], np.float32))
    # the HF feature types travel in the parquet schema metadata
    feats = datasets.Features.from_arrow_schema(pq.read_schema(path))
    assert feats["features"] == datasets.List(datasets.Value("float32"), length=P)


def test_parquet_reads_with_duckdb(repo):
    duckdb = pytest.importorskip("duckdb", reason="duckdb is optional (pip install duckdb)")
    pattern = str(repo / "A5_skin" / "*.parquet")
    rows = duckdb.sql(f"SELECT mission, count(*), min(len(features)), max(len(features)), sum(label) "
                      f"FROM read_parquet('{pattern}') GROUP BY mission ORDER BY mission").fetchall()
    assert rows == [("MHU-2", 6, P, P, 3), ("RR-6", 5, P, P, 2), ("RR-7", 4, P, P, 2)]
