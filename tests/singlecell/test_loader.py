"""AnnData <-> HF config round trip on the real pbmc68k_reduced shipped in scanpy's wheel."""
from __future__ import annotations

import numpy as np
import pytest

anndata = pytest.importorskip("anndata", reason="the singlecell extra (anndata) is not installed")
pytest.importorskip("scanpy", reason="the singlecell extra (scanpy) is not installed")
import pandas as pd  # noqa: E402

from bench.errors import BenchError  # noqa: E402
from bench.loaders import singlecell as anndata_io  # noqa: E402
from bench.loaders.repo import read_config_meta, write_config  # noqa: E402
from bench.tasks import get_task  # noqa: E402


@pytest.fixture(scope="module")
def pbmc():
    return anndata_io.read_source_anndata(get_task("pbmc68k"))


def assert_same_anndata(a, b, *, obsm_keys):
    assert list(a.obs_names) == list(b.obs_names)
    assert list(a.var_names) == list(b.var_names)
    xa = a.X.toarray() if hasattr(a.X, "toarray") else np.asarray(a.X)
    xb = b.X.toarray() if hasattr(b.X, "toarray") else np.asarray(b.X)
    assert xa.dtype == xb.dtype == np.float32
    np.testing.assert_array_equal(xa, xb)
    pd.testing.assert_frame_equal(a.obs, b.obs, check_index_type=False)
    for key in obsm_keys:
        np.testing.assert_array_equal(a.obsm[key], b.obsm[key])


def test_real_pbmc68k_is_what_the_spec_says(pbmc):
    assert pbmc.shape == (700, 765)
    counts = pbmc.obs["bulk_labels"].value_counts()
    assert len(counts) == 10 and counts["Dendritic"] == 240 and counts["CD4+/CD45RA+/CD25- Naive T"] == 8
    assert pbmc.obsm["X_pca"].shape == (700, 50)


def test_round_trip_is_exact_for_sparse_raw_and_dense_x(pbmc):
    ds, meta = anndata_io.from_anndata(pbmc, obsm_keys=["X_pca"])  # dense z-scored X
    back = anndata_io.to_anndata(ds, meta=meta)
    assert_same_anndata(pbmc, back, obsm_keys=["X_pca"])
    raw = pbmc.raw.to_adata()
    raw.obsm["X_pca"] = pbmc.obsm["X_pca"]
    ds, meta = anndata_io.from_anndata(pbmc, layer="raw", obsm_keys=["X_pca"])
    assert meta["nnz"] == raw.X.nnz
    assert_same_anndata(raw, anndata_io.to_anndata(ds, meta=meta), obsm_keys=["X_pca"])


def test_schema_is_sparse_lists_and_categories_are_kept(pbmc):
    import datasets

    ds, meta = anndata_io.from_anndata(pbmc, layer="raw", obsm_keys=["X_pca"])
    assert ds.features["gene_index"] == datasets.List(datasets.Value("int32"))
    assert ds.features["expression"] == datasets.List(datasets.Value("float32"))
    assert ds.features["obsm_X_pca"] == datasets.List(datasets.Value("float32"), length=50)
    assert ds.features["bulk_labels"].names == list(pbmc.obs["bulk_labels"].cat.categories)
    row = ds[3]
    dense = pbmc.raw.X[3].toarray().ravel()
    assert np.array_equal(np.flatnonzero(dense), row["gene_index"])
    assert meta["feature_ids"][:3] == ["HES4", "TNFRSF4", "SSU72"]


def test_build_config_writes_a_repo_that_load_dataset_reads_offline(tmp_path):
    import datasets

    dsd, meta = anndata_io.build_config(get_task("pbmc68k"))
    write_config(tmp_path, "pbmc68k", dict(dsd), meta=meta)
    loaded = datasets.load_dataset(str(tmp_path), "pbmc68k")
    assert loaded["test"].num_rows == 700
    back = anndata_io.to_anndata(loaded, meta=read_config_meta(tmp_path, "pbmc68k"))
    assert_same_anndata(anndata_io.to_anndata(dsd, meta=meta), back, obsm_keys=["X_pca", "X_umap"])
    assert back.obs["bulk_labels"].value_counts()["CD14+ Monocyte"] == 129


def test_built_sparse_config_validates_and_its_card_says_sparse(tmp_path):
    """bench validate and the dataset card understand the sparse (gene_index, expression) encoding."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from bench.loaders.validate import validate_repo

    dsd, meta = anndata_io.build_config(get_task("pbmc68k"))
    write_config(tmp_path, "pbmc68k", dict(dsd), meta=meta)
    assert validate_repo(tmp_path) == []
    card = (tmp_path / "README.md").read_text()
    assert "sparse, 765 features; per row the indices in `gene_index` and the values in `expression`" in card
    assert "765 float32 values per row" not in card
    # corrupt one cell: an index past the last gene, and an extra value without an index
    path = next((tmp_path / "pbmc68k").glob("test-*.parquet"))
    table = pq.read_table(path)
    index = table.column("gene_index").to_pylist()
    values = table.column("expression").to_pylist()
    index[0] = index[0][:-1] + [765]
    values[1] = values[1] + [1.0]
    table = table.set_column(table.schema.get_field_index("gene_index"), "gene_index",
                             pa.array(index, type=table.schema.field("gene_index").type))
    table = table.set_column(table.schema.get_field_index("expression"), "expression",
                             pa.array(values, type=table.schema.field("expression").type))
    pq.write_table(table, path)
    problems = validate_repo(tmp_path)
    assert any("'gene_index' holds indices outside [0, 765)" in p for p in problems), problems
    assert any("rows where 'gene_index' and 'expression' have different lengths" in p for p in problems), problems


def test_to_anndata_needs_gene_ids(pbmc):
    ds, _ = anndata_io.from_anndata(pbmc[:5].copy())
    with pytest.raises(BenchError, match="needs the gene ids"):
        anndata_io.to_anndata(ds)


def test_missing_layer_and_obsm_key_are_named(pbmc):
    with pytest.raises(BenchError, match="layer 'counts' not found"):
        anndata_io.from_anndata(pbmc, layer="counts")
    with pytest.raises(BenchError, match="obsm key 'X_scvi' not found"):
        anndata_io.from_anndata(pbmc, obsm_keys=["X_scvi"])


def test_h5ad_task_without_data_dir_names_the_file():
    with pytest.raises(BenchError, match="--data-dir is required.*human_spermatogenesis.h5ad"):
        anndata_io.build_config(get_task("spermatogenesis_integration"))
