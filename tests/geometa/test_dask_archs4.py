"""The ARCHS4 expression build on a Dask LocalCluster (2 worker processes) writes the same files,
byte for byte, as the serial build; sharded splits read back to the independent log1p(CPM) truth.

Needs the dask and geometa extras; skipped otherwise.
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="the geometa extra (h5py) is not installed")
distributed = pytest.importorskip("distributed", reason="the dask extra is not installed (pip install 'bench[dask]')")

from geometa_helpers import make_human_dir  # noqa: E402
from .test_archs4 import independent_log_cpm  # noqa: E402

from bench.io import sha256_file  # noqa: E402
from bench.loaders.geometa import archs4, build_config, load_label_tables  # noqa: E402
from bench.loaders.repo import read_built  # noqa: E402
from bench.scheduler import scheduler  # noqa: E402
from bench.tasks import get_task  # noqa: E402

pytestmark = [pytest.mark.dask, pytest.mark.filterwarnings("ignore::bench.loaders.geometa.GeometaWarning")]

N_GENES = 300
SMALL = dict(max_shard_bytes=4 * N_GENES * 25, max_chunk_bytes=12 * N_GENES * 40)  # 25 rows/shard, 40 cols/read


@pytest.fixture(scope="module")
def fixture_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("archs4_dask")
    labels_dir = make_human_dir(root / "labels", n_train=120, n_test=60)
    tables, _ = load_label_tables(get_task("geometa_human"), data_dir=labels_dir)
    labels = tables["train"]._append(tables["test"], ignore_index=True)
    h5 = archs4.write_synthetic_archs4(root / "human_gene_v2.2.h5", labels=labels, targets=["Gender"],
                                       n_genes=N_GENES, seed=5, chunks=(100, 16), progress=False)
    return labels_dir, h5, tables


@pytest.fixture(scope="module")
def cluster_address():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as cluster:
        yield cluster.scheduler_address


def build(root, labels_dir, h5, **opts):
    build_config(get_task("geometa_human_gender"), data_dir=labels_dir, expression=h5, repo_dir=root / "repo",
                 cache_dir=root / "cache", progress=False, **opts)
    return {str(f.relative_to(root / "repo")): sha256_file(f) for f in sorted((root / "repo").rglob("*")) if f.is_file()}


def test_parallel_build_writes_the_serial_files_byte_for_byte(tmp_path, fixture_files, cluster_address):
    labels_dir, h5, tables = fixture_files
    serial = build(tmp_path / "serial", labels_dir, h5, **SMALL)
    with scheduler(cluster_address, quiet=True) as runner, distributed.get_task_stream(runner.client) as stream:
        parallel = build(tmp_path / "parallel", labels_dir, h5, **SMALL)
    assert parallel == serial  # same file names, same bytes
    shards = [name for name in serial if name.endswith(".parquet")]
    assert "geometa_human_gender/test-00001-of-00003.parquet" in shards and len(shards) > 4
    ran = {t["key"].split("-")[0] for t in stream.data}
    assert {"fill_rows", "_write_shard"} <= ran  # sample chunks and parquet shards ran on the workers
    dsd = read_built(tmp_path / "parallel" / "repo", "geometa_human_gender")
    for split, ds in dsd.items():
        table = tables[split].loc[tables[split]["Gender"].notna()]
        assert ds["GSM_ID"] == table["GSM_ID"].tolist()  # label order across shards
        np.testing.assert_allclose(np.asarray(ds["expression"]), independent_log_cpm(h5, ds["GSM_ID"]),
                                   rtol=1e-5, atol=1e-6)


def test_sharded_rows_equal_the_one_file_rows_and_load_with_datasets(tmp_path, fixture_files):
    import datasets

    labels_dir, h5, _ = fixture_files
    build(tmp_path / "one", labels_dir, h5)
    build(tmp_path / "sharded", labels_dir, h5, **SMALL)
    one = read_built(tmp_path / "one" / "repo", "geometa_human_gender")
    sharded = datasets.load_dataset(str(tmp_path / "sharded" / "repo"), "geometa_human_gender")
    for split in one:
        assert sharded[split].data.table.equals(one[split].data.table)


def test_a_sample_chunk_task_carries_paths_not_data(fixture_files, tmp_path):
    _, h5, _ = fixture_files
    cols = np.arange(0, 180, 2)
    offsets = np.arange(len(cols), dtype=np.int64) * 4 * N_GENES
    tasks = archs4.fill_plan(h5, cols[::-1].copy(), [tmp_path / "a.f32"], np.zeros(len(cols), int), offsets,
                             chunk_cols=16, n_genes=N_GENES, gene_index=None, max_chunk_bytes=12 * N_GENES * 40)
    assert len(tasks) > 1 and all(isinstance(t.h5_path, str) and t.files == (str(tmp_path / "a.f32"),) for t in tasks)
    assert all(len(pickle.dumps(t)) < 2000 for t in tasks)  # ids and offsets only: workers read the file
    (tmp_path / "a.f32").write_bytes(b"\0" * len(cols) * 4 * N_GENES)
    assert sum(archs4.fill_rows(t) for t in tasks) == len(cols)
    got = np.fromfile(tmp_path / "a.f32", dtype=np.float32).reshape(len(cols), N_GENES)
    gsms = archs4.read_layout(h5).gsm_ids
    np.testing.assert_allclose(got, independent_log_cpm(h5, [gsms[c] for c in cols[::-1]]), rtol=1e-5, atol=1e-6)


def test_scratch_fallback_writes_the_same_shards(tmp_path, fixture_files, monkeypatch):
    labels_dir, h5, _ = fixture_files
    holes = build(tmp_path / "holes", labels_dir, h5, **SMALL)
    monkeypatch.setattr(archs4, "_write_skeleton", lambda *a, **k: None)  # as if pyarrow had copied the values
    assert build(tmp_path / "scratch", labels_dir, h5, **SMALL) == holes


def test_cli_build_on_a_cluster_equals_serial_and_needs_the_extra(tmp_path, fixture_files, cluster_address,
                                                                  monkeypatch, capsys):
    import sys

    from bench.cli import main

    labels_dir, h5, _ = fixture_files
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf"))
    args = ["build", "geometa_human_gender", "--data-dir", str(labels_dir), "--expression", str(h5)]
    assert main(args + ["--out", str(tmp_path / "serial")]) == 0
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf2"))  # no cached Arrow: the cluster does the join
    assert main(args + ["--out", str(tmp_path / "cluster"), "--scheduler", cluster_address]) == 0
    files = sorted(f.relative_to(tmp_path / "serial") for f in (tmp_path / "serial").rglob("*") if f.is_file())
    assert all(sha256_file(tmp_path / "serial" / f) == sha256_file(tmp_path / "cluster" / f) for f in files)
    assert "dashboard" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    assert main(args + ["--out", str(tmp_path / "none"), "--scheduler", "local:2"]) != 0
    assert 'pip install "bench[dask]"' in capsys.readouterr().err and not (tmp_path / "none").exists()


def test_cli_max_shard_size_sets_the_rows_per_shard_and_refuses_a_bad_size(tmp_path, fixture_files, monkeypatch,
                                                                            capsys):
    import math

    import pyarrow.parquet as pq

    from bench.cli import main

    labels_dir, h5, _ = fixture_files
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf"))
    args = ["build", "geometa_human_gender", "--data-dir", str(labels_dir), "--expression", str(h5)]
    assert main(args + ["--out", str(tmp_path / "kb"), "--max-shard-size", "30KB"]) == 0  # 30,000 bytes: 25 rows
    assert main(args + ["--out", str(tmp_path / "bytes"), "--max-shard-size", "30000"]) == 0
    for out in ("kb", "bytes"):
        shards = sorted((tmp_path / out / "geometa_human_gender").glob("train-*-of-*.parquet"))
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in shards)
        per_shard = 30_000 // (4 * N_GENES)
        assert len(shards) == math.ceil(rows / per_shard) > 1
        assert all(pq.ParquetFile(f).metadata.num_rows == per_shard for f in shards[:-1])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(args + ["--out", str(tmp_path / "bad"), "--max-shard-size", "12 parsecs"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--max-shard-size" in err and "500MB" in err and not (tmp_path / "bad").exists()
