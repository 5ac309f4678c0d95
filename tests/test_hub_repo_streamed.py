"""write_config with StreamedSplit (record batches streamed into parquet) vs the Dataset path."""
from __future__ import annotations

import json

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets.arrow_writer import ArrowWriter

from bench.errors import BenchError
from bench.loaders.repo import StreamedSplit, read_readme, write_config

P = 7


def features() -> datasets.Features:
    return datasets.Features({"GSM_ID": datasets.Value("string"), "Gender": datasets.Value("string"),
                              "expression": datasets.List(datasets.Value("float32"), length=P)})


def batch(start: int, n: int, rng) -> pa.RecordBatch:
    gender = [None if i % 5 == 0 else ["Female", "Male"][i % 2] for i in range(start, start + n)]
    values = rng.normal(size=n * P).astype(np.float32)
    return pa.RecordBatch.from_arrays(
        [pa.array([f"GSM{i}" for i in range(start, start + n)], pa.string()), pa.array(gender, pa.string()),
         pa.FixedSizeListArray.from_arrays(pa.array(values), P)], schema=features().arrow_schema)


def arrow_file(path, sizes=(13, 40, 7, 25)) -> str:
    """A datasets Arrow file of several record batches of uneven size."""
    rng = np.random.default_rng(0)
    writer = ArrowWriter(features=features(), path=str(path), writer_batch_size=1000)
    start = 0
    for n in sizes:
        writer.write_table(pa.Table.from_batches([batch(start, n, rng)]))
        start += n
    writer.finalize()
    writer.close()
    return str(path)


META = {"task": "t", "family": "test", "description": "streamed vs Dataset", "license_id": "mit",
        "synthetic": True, "feature_column": "expression", "feature_ids": [f"G{i}" for i in range(P)]}


@pytest.fixture(params=["100MB", "1KB"], ids=["one_row_group", "row_groups_across_batches"])
def row_group_limit(request, monkeypatch):
    if hasattr(datasets.config, "MAX_ROW_GROUP_SIZE"):  # datasets >= 4.1 sizes row groups in bytes
        monkeypatch.setattr(datasets.config, "MAX_ROW_GROUP_SIZE", request.param)
    else:  # datasets 4.0: in rows
        monkeypatch.setattr(datasets.config, "DEFAULT_MAX_BATCH_SIZE", 1000 if request.param == "100MB" else 10)
    return request.param


def test_streamed_split_writes_the_same_parquet_as_the_dataset(tmp_path, row_group_limit):
    ds = datasets.Dataset.from_file(arrow_file(tmp_path / "data.arrow"))
    assert len(ds.data.to_batches()) == 4
    write_config(tmp_path / "via_dataset", "cfg", {"test": ds}, meta=META)
    write_config(tmp_path / "via_stream", "cfg", {"test": StreamedSplit.from_dataset(ds)}, meta=META)
    a, b = (tmp_path / r / "cfg" / "test-00000-of-00001.parquet" for r in ("via_dataset", "via_stream"))
    ta, tb = pq.read_table(a), pq.read_table(b)
    assert ta.schema.metadata[b"huggingface"] == tb.schema.metadata[b"huggingface"]
    assert json.loads(tb.schema.metadata[b"huggingface"])["info"]["features"]["expression"]["length"] == P
    assert ta.equals(tb, check_metadata=True) and tb.num_rows == 85 and tb.column("Gender").null_count == 17
    ma, mb = pq.ParquetFile(a).metadata, pq.ParquetFile(b).metadata
    groups = [mb.row_group(i).num_rows for i in range(mb.num_row_groups)]
    assert groups == [ma.row_group(i).num_rows for i in range(ma.num_row_groups)]
    assert (len(groups) > 1) == (row_group_limit == "1KB")
    assert a.read_bytes() == b.read_bytes()
    for name in ("bench_config.json",):
        assert (a.parent / name).read_text() == (b.parent / name).read_text()
    assert read_readme(tmp_path / "via_dataset") == read_readme(tmp_path / "via_stream")
    loaded = datasets.load_dataset(str(tmp_path / "via_stream"), "cfg", split="test")
    assert loaded.features == ds.features and loaded.to_dict() == ds.to_dict()


def test_a_record_batch_iterator_is_a_split(tmp_path):
    rng = np.random.default_rng(1)
    batches = [batch(0, 10, rng), batch(10, 5, rng)]
    truth = pa.Table.from_batches(batches)
    split = StreamedSplit(features(), truth.num_rows, truth.nbytes, lambda: iter(batches))
    write_config(tmp_path / "repo", "cfg", {"test": split, "train": datasets.Dataset(truth)}, meta=META)
    got = pq.read_table(tmp_path / "repo" / "cfg" / "test-00000-of-00001.parquet")
    assert got.equals(pq.read_table(tmp_path / "repo" / "cfg" / "train-00000-of-00001.parquet"))
    # num_bytes: the Arrow size push_to_hub reports (the stream's announced size = the Dataset's estimate)
    assert json.loads((tmp_path / "repo" / "cfg" / "bench_config.json").read_text())["splits"] == {
        "test": {"num_rows": 15, "num_bytes": truth.nbytes}, "train": {"num_rows": 15, "num_bytes": truth.nbytes}}


def test_a_stream_shorter_than_announced_is_an_error_and_nothing_is_written(tmp_path):
    rng = np.random.default_rng(2)
    split = StreamedSplit(features(), 20, 1000, lambda: iter([batch(0, 10, rng)]))
    with pytest.raises(BenchError, match=r"test-00000-of-00001.parquet: the stream gave 10 rows, 20 were announced"):
        write_config(tmp_path / "repo", "cfg", {"test": split}, meta=META)
    assert not (tmp_path / "repo" / "cfg").exists()


def test_a_batch_of_the_wrong_type_is_an_error(tmp_path):
    wrong = pa.RecordBatch.from_pydict({"GSM_ID": ["GSM1"], "Gender": ["Male"], "expression": [[1.0] * P]})
    split = StreamedSplit(features(), 1, 100, lambda: iter([wrong]))
    with pytest.raises(BenchError, match=r"a streamed batch has schema \(GSM_ID: string, Gender: string, "
                                         r"expression: list<item: double>\), expected the features' \(GSM_ID: "
                                         r"string, Gender: string, expression: fixed_size_list<item: float>\[7\]\)"):
        write_config(tmp_path / "repo", "cfg", {"test": split}, meta=META)
    assert not (tmp_path / "repo" / "cfg").exists()


def test_only_a_plain_view_of_one_arrow_file_streams(tmp_path):
    ds = datasets.Dataset.from_file(arrow_file(tmp_path / "data.arrow"))
    for changed in (ds.select([2, 0, 1]), ds.rename_column("Gender", "Sex"), datasets.Dataset.from_dict({"a": [1]})):
        with pytest.raises(BenchError, match="not a plain view of one Arrow file"):
            StreamedSplit.from_dataset(changed)
    (tmp_path / "bad.arrow").write_bytes(b"not arrow at all")
    with pytest.raises(BenchError, match=r"bad.arrow: not an Arrow IPC stream file"):
        StreamedSplit.from_arrow_file(tmp_path / "bad.arrow")
    with pytest.raises(BenchError, match=r"Arrow file not found: .*absent.arrow"):
        StreamedSplit.from_arrow_file(tmp_path / "absent.arrow")
