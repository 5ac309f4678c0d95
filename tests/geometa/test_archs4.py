"""ARCHS4 HDF5 reading, the expression join and the synthetic generator (needs h5py)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="the geometa extra (h5py) is not installed")

from geometa_helpers import make_human_dir  # noqa: E402

from bench.errors import BenchError  # noqa: E402
from bench.io import sha256_file  # noqa: E402
from bench.loaders.geometa import archs4  # noqa: E402
from bench.loaders.geometa import GeometaWarning, build_config, label_features, load_label_tables  # noqa: E402
from bench.tasks import get_task  # noqa: E402

import datasets  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::bench.loaders.geometa.GeometaWarning")  # fixtures lack a training CSV


@pytest.fixture()
def label_dir(tmp_path):
    return make_human_dir(tmp_path / "labels")


@pytest.fixture()
def test_only_dir(tmp_path):
    return make_human_dir(tmp_path / "test_only", train=False)


@pytest.fixture()
def h5_file(tmp_path, label_dir):
    tables, _ = load_label_tables(get_task("geometa_human"), data_dir=label_dir)
    labels = tables["train"]._append(tables["test"], ignore_index=True)
    return archs4.write_synthetic_archs4(tmp_path / "human_gene_v2.2.h5", labels=labels,
                                         targets=["Gender", "Organ", "Disease", "Age_Group"], n_genes=300,
                                         seed=3, marker_log_fold=1.5, progress=False)


def independent_log_cpm(path, gsms):
    """Whole small matrix with plain h5py + numpy (float64): the truth for the chunked reader."""
    with h5py.File(path, "r") as fh:
        ids = [g.decode() for g in fh["meta/samples/geo_accession"][:]]
        counts = fh["data/expression"][:].astype(np.float64)
    cols = [ids.index(g) for g in gsms]
    sub = counts[:, cols]
    return np.log1p(sub / sub.sum(axis=0) * 1e6).T


def test_log1p_cpm_by_hand():
    counts = np.array([[1, 0, 5], [3, 0, 5]], dtype=np.uint32)
    got = archs4.log1p_cpm(counts)
    assert got.dtype == np.float32 and got.shape == (3, 2)
    np.testing.assert_allclose(got[0], [np.log1p(250000.0), np.log1p(750000.0)], rtol=1e-6)
    np.testing.assert_array_equal(got[1], [0.0, 0.0])  # empty library stays zero, no NaN
    np.testing.assert_allclose(got[2], [np.log1p(5e5)] * 2, rtol=1e-6)


def test_synthetic_file_has_the_archs4_layout_and_is_deterministic(tmp_path, h5_file, label_dir):
    with h5py.File(h5_file, "r") as fh:
        expr = fh["data/expression"]
        assert expr.dtype == np.uint32 and expr.shape[0] == 300 and expr.chunks is not None
        assert fh["meta/samples/geo_accession"].dtype.kind == "S" and fh["meta/genes/symbol"].dtype.kind == "S"
        assert fh["meta/genes/ensembl_gene_id"][0].startswith(b"ENSG")
        assert expr.shape[1] == 180 + 18  # 180 labelled GSMs + 10% unlabelled
        ids = [g.decode() for g in fh["meta/samples/geo_accession"][:]]
        assert ids != sorted(ids)  # wanted columns are scattered
    tables, _ = load_label_tables(get_task("geometa_human"), data_dir=label_dir)
    labels = tables["train"]._append(tables["test"], ignore_index=True)
    again = archs4.write_synthetic_archs4(tmp_path / "again.h5", labels=labels,
                                          targets=["Gender", "Organ", "Disease", "Age_Group"], n_genes=300,
                                          seed=3, marker_log_fold=1.5, progress=False)
    with h5py.File(h5_file, "r") as a, h5py.File(again, "r") as b:
        np.testing.assert_array_equal(a["data/expression"][:], b["data/expression"][:])
    other = archs4.write_synthetic_archs4(tmp_path / "other.h5", labels=labels, n_genes=300, seed=4, progress=False)
    with h5py.File(h5_file, "r") as a, h5py.File(other, "r") as b:
        assert not np.array_equal(a["data/expression"][:], b["data/expression"][:])


def test_synthetic_signal_depends_on_the_label(h5_file, label_dir):
    tables, _ = load_label_tables(get_task("geometa_human"), data_dir=label_dir)
    table = tables["train"]
    x, found, _ = archs4.read_log_cpm(h5_file, table["GSM_ID"].tolist(), progress=False)
    assert found.all()
    sex = table["Gender"].to_numpy()
    diff = x[sex == "Male"].mean(axis=0) - x[sex == "Female"].mean(axis=0)
    assert np.sort(np.abs(diff))[-10:].min() > 0.8  # marker genes separate the classes


@pytest.mark.parametrize("cols", [[5, 6, 7, 9], [0, 40, 150], [3]])
def test_slab_and_fancy_reads_equal_plain_indexing(h5_file, cols):
    with h5py.File(h5_file, "r") as fh:
        dset = fh["data/expression"]
        want = dset[:][:, cols]
        np.testing.assert_array_equal(archs4.read_columns(dset, np.array(cols)), want)


def test_chunked_reader_matches_whole_matrix_in_any_chunking(h5_file, label_dir):
    tables, _ = load_label_tables(get_task("geometa_human"), data_dir=label_dir)
    gsms = tables["test"]["GSM_ID"].tolist()
    truth = independent_log_cpm(h5_file, gsms)
    for budget in (300 * 12 * 1, 300 * 12 * 7, 1 << 26):  # 1 column, 7 columns, everything per read
        x, found, missing = archs4.read_log_cpm(h5_file, gsms, max_chunk_bytes=budget, progress=False)
        assert found.all() and missing == []
        np.testing.assert_allclose(x, truth, rtol=1e-5, atol=1e-6)


def test_join_keeps_label_order_and_writes_one_float32_list_column(tmp_path, h5_file, label_dir):
    import datasets

    dsd, meta = build_config(get_task("geometa_human"), data_dir=label_dir, expression=h5_file,
                             repo_dir=tmp_path / "repo", cache_dir=tmp_path / "cache", progress=False)
    tables, _ = load_label_tables(get_task("geometa_human"), data_dir=label_dir)
    for split in ("train", "test"):
        assert dsd[split]["GSM_ID"] == tables[split]["GSM_ID"].tolist()
        feat = dsd[split].features["expression"]
        assert isinstance(feat, datasets.List) and feat.length == 300 and feat.feature.dtype == "float32"
    assert meta["synthetic"] is False and meta["feature_column"] == "expression"
    assert meta["feature_ids"][0].startswith("ENSG9") and len(meta["feature_symbols"]) == 300
    reloaded = datasets.load_dataset(str(tmp_path / "repo"), "geometa_human", split="test").with_format("numpy")
    truth = independent_log_cpm(h5_file, tables["test"]["GSM_ID"].tolist())
    np.testing.assert_allclose(reloaded["expression"], truth, rtol=1e-5, atol=1e-6)
    assert list(reloaded["GSM_ID"]) == tables["test"]["GSM_ID"].tolist()


def test_streamed_expression_parquet_equals_the_dataset_path(tmp_path, h5_file, label_dir, monkeypatch):
    import datasets
    import pyarrow.parquet as pq

    monkeypatch.setattr(datasets.config, "MAX_ROW_GROUP_SIZE", "20KB")  # several row groups per split
    dsd, _ = build_config(get_task("geometa_human_gender"), data_dir=label_dir, expression=h5_file,
                          repo_dir=tmp_path / "repo", cache_dir=tmp_path / "cache", progress=False)
    for split in ("train", "test"):
        ds = dsd[split]
        assert len(ds.cache_files) == 1 and ds.cache_files[0]["filename"].endswith(".arrow")  # no indices file
        streamed = tmp_path / "repo" / "geometa_human_gender" / f"{split}-00000-of-00001.parquet"
        ds.to_parquet(str(tmp_path / f"{split}.parquet"))
        assert pq.ParquetFile(streamed).metadata.num_row_groups > 1
        got, want = pq.read_table(streamed), pq.read_table(tmp_path / f"{split}.parquet")
        assert got.equals(want, check_metadata=True) and b"huggingface" in got.schema.metadata
        assert streamed.read_bytes() == (tmp_path / f"{split}.parquet").read_bytes()


def test_arrow_cache_is_the_plain_label_order_file_however_it_is_filled(tmp_path, h5_file, label_dir, monkeypatch):
    import pyarrow as pa
    from datasets.arrow_writer import ArrowWriter

    table = load_label_tables(get_task("geometa_human"), data_dir=label_dir)[0]["test"]
    budget = 300 * 12 * 9  # 9 file columns per read, 9 rows per record batch

    def cache_bytes(cache):
        splits, _ = archs4.join_expression({"test": table}, h5_file, cache_dir=tmp_path / cache,
                                           max_chunk_bytes=budget, progress=False)
        return open(splits["test"].cache_files[0]["filename"], "rb").read()

    monkeypatch.setattr(archs4, "_write_from_scratch", lambda *a, **k: pytest.fail("fallback used"))
    filled = cache_bytes("holes")
    monkeypatch.undo()
    monkeypatch.setattr(archs4, "_write_skeleton", lambda *a, **k: None)  # as if pyarrow had copied the values
    assert cache_bytes("scratch") == filled
    # reference: a plain ArrowWriter given the in-memory reader's values, 9 label-order rows per batch
    values, found, _ = archs4.read_log_cpm(h5_file, table["GSM_ID"].tolist(), max_chunk_bytes=budget, progress=False)
    assert found.all()
    features = label_features(list(table.columns))
    features["expression"] = datasets.List(datasets.Value("float32"), length=300)
    writer = ArrowWriter(features=features, path=str(tmp_path / "reference.arrow"))
    for start in range(0, len(table), 9):
        rows = table.iloc[start:start + 9]
        arrays = [pa.array(rows[c].tolist(), type=pa.string()) for c in table.columns]
        arrays.append(pa.FixedSizeListArray.from_arrays(pa.array(values[start:start + 9].ravel()), 300))
        writer.write_table(pa.Table.from_arrays(arrays, schema=features.arrow_schema))
    writer.finalize()
    writer.close()
    assert (tmp_path / "reference.arrow").read_bytes() == filled


def test_alternative_gene_key_names_and_gene_subset(tmp_path, test_only_dir):
    tables, _ = load_label_tables(get_task("geometa_human"), data_dir=test_only_dir)
    path = archs4.write_synthetic_archs4(tmp_path / "v2.h5", labels=tables["test"], n_genes=50, seed=1,
                                         gene_keys=("gene_symbol", "ensembl_gene"), progress=False)
    layout = archs4.read_layout(path)
    assert layout.gene_symbols[:2] == ["SYN00000", "SYN00001"] and layout.gene_ensembl_ids[0].startswith("ENSG9")
    dsd, meta = build_config(get_task("geometa_human_gender"), data_dir=test_only_dir, expression=path,
                             genes=["SYN00007", "ENSG90000000003"], cache_dir=tmp_path / "c", progress=False)
    assert meta["feature_ids"] == ["ENSG90000000007", "ENSG90000000003"]
    truth = independent_log_cpm(path, dsd["test"]["GSM_ID"])[:, [7, 3]]
    np.testing.assert_allclose(np.array(dsd["test"]["expression"]), truth, rtol=1e-5, atol=1e-6)
    with pytest.raises(BenchError, match=r"2 requested gene\(s\) not in the file: XIST, ENSG0"):
        build_config(get_task("geometa_human_gender"), data_dir=test_only_dir, expression=path,
                     genes=["XIST", "ENSG0"], cache_dir=tmp_path / "c", progress=False)


# ------------------------------------------------------------------------------- bad input
def test_gsms_missing_from_the_h5_are_named_and_left_out(tmp_path, test_only_dir):
    tables, _ = load_label_tables(get_task("geometa_human"), data_dir=test_only_dir)
    present = tables["test"].iloc[3:]
    path = archs4.write_synthetic_archs4(tmp_path / "part.h5", labels=present, n_genes=40, seed=0, progress=False)
    absent = tables["test"]["GSM_ID"].iloc[:3].tolist()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dsd, meta = build_config(get_task("geometa_human"), data_dir=test_only_dir, expression=path,
                                 cache_dir=tmp_path / "c", progress=False)
    texts = [str(w.message) for w in caught if issubclass(w.category, GeometaWarning)]
    assert any(f"test: 3 of 60 GSM(s) are not in part.h5 and are left out: {', '.join(absent)}" in t for t in texts)
    assert meta["load_report"]["missing_in_expression"]["test"] == absent
    assert dsd["test"].num_rows == 57 and not set(absent) & set(dsd["test"]["GSM_ID"])
    assert any(f"test: 3 GSM(s) not in the expression file, left out: {', '.join(absent)}" in n for n in meta["notes"])


def test_no_gsm_in_the_h5_is_an_error(tmp_path, label_dir):
    path = archs4.write_synthetic_archs4(tmp_path / "mouse.h5", gsm_ids=["GSM1", "GSM2"], n_genes=10, seed=0,
                                         progress=False)
    with pytest.raises(BenchError, match=r"none of the 120 train GSMs is in .*mouse.h5 \(wrong species file"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build_config(get_task("geometa_human"), data_dir=label_dir, expression=path,
                         repo_dir=tmp_path / "repo", cache_dir=tmp_path / "c", progress=False)
    assert not (tmp_path / "repo").exists()


def test_h5_without_the_expected_datasets_is_an_error(tmp_path, label_dir):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as fh:
        fh.create_dataset("data/counts", data=np.zeros((3, 2), dtype=np.uint32))
        fh.create_dataset("meta/genes/symbol", data=np.array([b"A", b"B", b"C"]))
    with pytest.raises(BenchError, match=r"bad.h5: not an ARCHS4-format file, missing dataset\(s\) data/expression, "
                                         r"meta/samples/geo_accession \(found: data/counts, meta/genes/symbol\)"):
        build_config(get_task("geometa_human"), data_dir=label_dir, expression=path, repo_dir=tmp_path / "repo",
                     cache_dir=tmp_path / "c", progress=False)
    assert not (tmp_path / "repo").exists()
    with h5py.File(path, "a") as fh:
        fh.create_dataset("data/expression", data=np.zeros((3, 2), dtype=np.float32))
        fh.create_dataset("meta/samples/geo_accession", data=np.array([b"GSM1", b"GSM2"]))
    with pytest.raises(BenchError, match=r"data/expression must be a 2-D integer count matrix .*float32"):
        archs4.read_layout(path)
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    with pytest.raises(BenchError, match=r"notes.h5: not an HDF5 file"):
        archs4.read_layout(text)
    with pytest.raises(BenchError, match=r"ARCHS4 expression file not found: .*absent.h5"):
        archs4.read_layout(tmp_path / "absent.h5")


def test_gene_id_count_mismatch_is_an_error(tmp_path):
    path = tmp_path / "mismatch.h5"
    with h5py.File(path, "w") as fh:
        fh.create_dataset("data/expression", data=np.zeros((3, 2), dtype=np.uint32))
        fh.create_dataset("meta/samples/geo_accession", data=np.array([b"GSM1", b"GSM2"]))
        fh.create_dataset("meta/genes/gene_symbol", data=np.array([b"A", b"B"]))
    with pytest.raises(BenchError, match=r"meta/genes/gene_symbol has 2 ids but data/expression has 3 gene rows"):
        archs4.read_layout(path)


def test_synthetic_expression_marks_the_config_synthetic(tmp_path, label_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dsd, meta = build_config(get_task("geometa_human_organ"), data_dir=label_dir, expression="synthetic",
                                 synthetic_genes=64, cache_dir=tmp_path / "c", repo_dir=tmp_path / "repo",
                                 progress=False)
    assert meta["synthetic"] is True and meta["n_features"] == 64
    card = (tmp_path / "repo" / "README.md").read_text()
    assert "Synthetic data" in card and "geometa_human_organ" in card
    first = sha256_file(meta["expression_file"])
    dsd2, meta2 = build_config(get_task("geometa_human_organ"), data_dir=label_dir, expression="synthetic",
                               synthetic_genes=64, cache_dir=tmp_path / "c2", progress=False)
    assert sha256_file(meta2["expression_file"]) == first  # same seed, same bytes


def test_repeated_accession_in_the_h5_uses_its_first_column(tmp_path):
    path = tmp_path / "dup.h5"
    with h5py.File(path, "w") as fh:
        fh.create_dataset("data/expression", data=np.array([[1, 5, 2], [3, 5, 2]], dtype=np.uint32))
        fh.create_dataset("meta/samples/geo_accession", data=np.array([b"GSM1", b"GSM2", b"GSM1"]))
        fh.create_dataset("meta/genes/symbol", data=np.array([b"A", b"B"]))
    layout = archs4.read_layout(path)
    cols, missing = layout.column_positions(["GSM1", "GSM9", "GSM2"])
    assert cols.tolist() == [0, -1, 1] and missing == ["GSM9"]


def test_cli_build_labels_and_synthetic_expression(tmp_path, capsys, test_only_dir):
    from bench.cli import main
    from bench.loaders.repo import list_configs, read_config_meta

    repo = tmp_path / "repo"
    assert main(["geometa", "build", "geometa_human", "geometa_human_gender", "--data-dir", str(test_only_dir),
                 "--out", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "geometa_human: test=60; labels only" in out and "split 'train' not built" in out
    assert main(["geometa", "build", "geometa_human_age", "--data-dir", str(test_only_dir), "--out", str(repo),
                 "--expression", "synthetic"]) == 0
    assert "(SYNTHETIC expression)" in capsys.readouterr().out
    assert list_configs(repo) == ["geometa_human", "geometa_human_age", "geometa_human_gender"]
    assert read_config_meta(repo, "geometa_human_age")["synthetic"] is True
    assert main(["geometa", "build", "A5_skin", "--out", str(tmp_path / "r2")]) == 2
    assert "not geometa task(s): A5_skin" in capsys.readouterr().err
    h5 = tmp_path / "s.h5"
    assert main(["geometa", "synth-archs4", "geometa_human", "--data-dir", str(test_only_dir), "--out", str(h5),
                 "--genes", "30"]) == 0
    assert archs4.read_layout(h5).n_genes == 30


def test_reads_follow_the_hdf5_chunk_grid(tmp_path):
    gsms = archs4.synthetic_gsm_ids(200)
    path = archs4.write_synthetic_archs4(tmp_path / "grid.h5", gsm_ids=gsms, n_genes=40, n_extra_samples=0,
                                         chunks=(20, 16), seed=2, progress=False)
    rng = np.random.default_rng(0)
    wanted = [gsms[i] for i in rng.choice(200, 90, replace=False)]
    truth = independent_log_cpm(path, wanted)
    cols = np.sort(archs4.read_layout(path).column_positions(wanted)[0])
    for budget in (40 * 12 * 16, 40 * 12 * 40, 40 * 12 * 5):  # one chunk column, two, less than one
        bounds = archs4.chunk_bounds(cols, 40, chunk_cols=16, max_chunk_bytes=budget)
        assert bounds[0][0] == 0 and bounds[-1][1] == len(cols)
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
        assert all(cols[b - 1] - cols[a] + 1 <= max(1, budget // (40 * 12)) for a, b in bounds)
        if budget >= 40 * 12 * 16:  # every chunk column fits: no chunk is read twice
            chunk_sets = [set(cols[a:b] // 16) for a, b in bounds]
            assert all(not (x & y) for x, y in zip(chunk_sets, chunk_sets[1:]))
        x, _, _ = archs4.read_log_cpm(path, wanted, max_chunk_bytes=budget, progress=False)
        np.testing.assert_allclose(x, truth, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_benchmark_script_runs_at_tiny_scale(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_archs4.py"
    done = subprocess.run([sys.executable, str(script), "--samples", "300", "--genes", "200", "--select", "120",
                           "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ratios vs whole_matrix" in done.stdout and "FAILED" not in done.stdout
    assert "WARNING: methods disagree" not in done.stdout


def test_synthetic_expression_agrees_across_views_of_a_species(tmp_path, label_dir):
    full, meta_full = build_config(get_task("geometa_human"), data_dir=label_dir, expression="synthetic",
                                   synthetic_genes=32, cache_dir=tmp_path / "c", progress=False)
    view, meta_view = build_config(get_task("geometa_human_age"), data_dir=label_dir, expression="synthetic",
                                   synthetic_genes=32, cache_dir=tmp_path / "c", progress=False)
    assert meta_full["expression_file"] == meta_view["expression_file"]
    by_gsm = dict(zip(full["test"]["GSM_ID"], full["test"]["expression"]))
    assert view["test"].num_rows < full["test"].num_rows  # NA ages dropped
    for gsm, vec in zip(view["test"]["GSM_ID"], view["test"]["expression"]):
        assert vec == by_gsm[gsm]


def test_cli_build_is_all_or_nothing(tmp_path, capsys):
    """The human config builds, the mouse one cannot (a human-only .h5): the repo keeps neither."""
    from conftest import shared_path

    from bench.cli import main

    shared_path("geometa", "benchmark", "data", "GEOMeta100K", "GEO_MOUSE_100K_test.csv")
    root = shared_path("geometa")
    tables, _ = load_label_tables(get_task("geometa_human"), data_dir=root)
    h5 = archs4.write_synthetic_archs4(tmp_path / "human.h5", labels=tables["test"], n_genes=8, seed=0,
                                       progress=False)
    repo = tmp_path / "repo"
    args = ["geometa", "build", "geometa_human_gender", "geometa_mouse_gender", "--data-dir", str(root),
            "--out", str(repo), "--expression", str(h5)]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert "geometa_human_gender: test=" in captured.out  # the first config was built ...
    assert "none of the" in captured.err and "human.h5 (wrong species file" in captured.err
    assert not repo.exists()  # ... and not kept
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
