"""`bench evaluate TASK EMB.npy|cells.h5ad` (and its old spelling `bench evaluate-embedding`) and
`bench run pbmc68k`: outputs, reports and the bad-input contract."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("scanpy", reason="the singlecell extra (scanpy) is not installed")
pytest.importorskip("anndata", reason="the singlecell extra (anndata) is not installed")
pytest.importorskip("igraph", reason="the singlecell extra (igraph) is not installed")
import pandas as pd  # noqa: E402
from sklearn.metrics import silhouette_score  # noqa: E402

from bench.cli import main  # noqa: E402
from bench.loaders.singlecell import read_source_anndata  # noqa: E402
from bench.tasks import get_task  # noqa: E402


@pytest.fixture(scope="module")
def pbmc_files(tmp_path_factory):
    adata = read_source_anndata(get_task("pbmc68k"))
    d = tmp_path_factory.mktemp("emb")
    np.save(d / "emb.npy", adata.obsm["X_pca"])
    adata.obs.to_csv(d / "obs.csv")
    return d, adata


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_evaluate_embedding_prints_a_table_and_writes_json(pbmc_files, tmp_path, capsys):
    d, adata = pbmc_files
    code, out, err = run_cli(["evaluate-embedding", d / "emb.npy", "--obs", d / "obs.csv", "--label-key", "bulk_labels",
                              "--batch-key", "phase", "--tasks", "embedding", "clustering", "integration",
                              "--json", tmp_path / "r.json"], capsys)
    assert code == 0, err
    assert "use: bench evaluate TASK" in err   # the old spelling names the new form
    assert out.splitlines()[0].split() == ["task", "metric", "params", "value"]
    res = json.loads((tmp_path / "r.json").read_text())
    values = {r["metric"]: r["emb"] for r in res["tables"]["results"]}
    X, y = adata.obsm["X_pca"].astype(np.float64), adata.obs["bulk_labels"].astype(str)
    assert values["silhouette_score"] == pytest.approx((silhouette_score(X, y) + 1) / 2, abs=1e-6)
    assert values["adjusted_rand_index"] == pytest.approx(0.4283151, abs=1e-7)
    assert 0 < values["entropy_per_cell"] < 1 and 0 < values["batch_silhouette"] <= 1
    assert res["settings"]["embeddings"] == {"emb": [700, 50]}
    assert len(res["provenance"]["inputs_sha256"]["predictions"]) == 64 and res["provenance"]["inputs_sha256"]["obs"]


def test_h5ad_with_several_obsm_keys_scores_them_side_by_side(pbmc_files, tmp_path, capsys):
    """`bench evaluate pbmc68k cells.h5ad --obsm A B`: one column per embedding, each equal to scoring
    that embedding alone (scib-metrics Benchmarker layout)."""
    d, adata = pbmc_files
    ad = adata.copy()
    ad.obsm["X_half"] = np.ascontiguousarray(ad.obsm["X_pca"][:, :25])
    ad.write_h5ad(tmp_path / "cells.h5ad")
    code, out, err = run_cli(["evaluate", "pbmc68k", tmp_path / "cells.h5ad", "--obsm", "X_pca", "X_half",
                              "--label-key", "bulk_labels", "--tasks", "embedding", "--out", tmp_path / "rep"], capsys)
    assert code == 0, err
    assert out.splitlines()[0].split() == ["task", "metric", "params", "X_pca", "X_half"]
    res = json.loads((tmp_path / "rep" / "results.json").read_text())
    (row,) = res["tables"]["results"]
    for key in ("X_pca", "X_half"):
        X = ad.obsm[key].astype(np.float64)
        assert row[key] == pytest.approx((silhouette_score(X, ad.obs["bulk_labels"].astype(str)) + 1) / 2, abs=1e-6)
    assert res["summary"]["per_fold"] == {"X_pca": row["X_pca"], "X_half": row["X_half"]}
    code, _, err = run_cli(["evaluate", "pbmc68k", tmp_path / "cells.h5ad", "--obsm", "X_pcaa"], capsys)
    assert code == 2 and "--obsm 'X_pcaa' is not in cells.h5ad. Did you mean: X_pca" in err


def write_case(tmp_path, X, obs):
    np.save(tmp_path / "e.npy", X)
    obs.to_csv(tmp_path / "o.csv", index=False)
    return ["evaluate", "pbmc68k_embedding", tmp_path / "e.npy", "--obs", tmp_path / "o.csv"]


def small_case(n=40):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4))
    obs = pd.DataFrame({"cell_type": ["a", "b"] * (n // 2), "batch": ["x"] * (n // 2) + ["y"] * (n // 2)})
    return X, obs


def test_length_mismatch_exits_2(tmp_path, capsys):
    X, obs = small_case()
    code, _, err = run_cli(write_case(tmp_path, X[:-3], obs) + ["--label-key", "cell_type"], capsys)
    assert code == 2 and "EMB.npy has 37 rows but --obs" in err and "has 40 rows" in err


def test_nan_or_inf_in_embedding_exits_2(tmp_path, capsys):
    X, obs = small_case()
    X[5, 2], X[9, 0] = np.nan, np.inf
    code, _, err = run_cli(write_case(tmp_path, X, obs) + ["--label-key", "cell_type"], capsys)
    assert code == 2 and "contains NaN or inf in 2 cell(s) (first rows: [5, 9])" in err
    assert err.startswith("bench: error: PREDICTIONS: embedding 'e': ")   # BenchError.field -> the argument


def test_missing_obs_key_exits_2_with_a_hint(tmp_path, capsys):
    X, obs = small_case()
    code, _, err = run_cli(write_case(tmp_path, X, obs) + ["--label-key", "celltype"], capsys)
    assert code == 2 and "--label-key 'celltype' is not a column of" in err and "Did you mean: cell_type" in err
    code, _, err = run_cli(write_case(tmp_path, X, obs) + ["--label-key", "cell_type", "--batch-key", "donor"], capsys)
    assert code == 2 and "--batch-key 'donor' is not a column" in err


def test_label_with_a_single_cell_exits_2(tmp_path, capsys):
    X, obs = small_case()
    obs.loc[3, "cell_type"] = "rare"
    code, _, err = run_cli(write_case(tmp_path, X, obs) + ["--label-key", "cell_type"], capsys)
    assert code == 2 and "--label-key 'cell_type': label(s) ['rare'] have a single cell" in err


def test_fewer_than_two_batches_exits_2(tmp_path, capsys):
    X, obs = small_case()
    obs["batch"] = "x"
    code, _, err = run_cli(write_case(tmp_path, X, obs) + ["--label-key", "cell_type", "--batch-key", "batch"], capsys)
    assert code == 2 and "--batch-key 'batch': needs at least 2 distinct batches, got 1" in err


def test_pickled_or_non_numeric_npy_is_refused(tmp_path, capsys):
    _, obs = small_case()
    np.save(tmp_path / "e.npy", np.array([{"a": 1}] * 40, dtype=object), allow_pickle=True)
    obs.to_csv(tmp_path / "o.csv", index=False)
    code, _, err = run_cli(["evaluate", "pbmc68k", tmp_path / "e.npy", "--obs", tmp_path / "o.csv",
                            "--label-key", "cell_type"], capsys)
    assert code == 2 and "is not a numeric .npy array" in err
    for dtype in (bool, complex):  # complex would silently lose its imaginary part
        np.save(tmp_path / "e.npy", np.ones((40, 3), dtype=dtype))
        code, _, err = run_cli(["evaluate", "pbmc68k", tmp_path / "e.npy", "--obs", tmp_path / "o.csv",
                                "--label-key", "cell_type"], capsys)
        assert code == 2 and f"holds dtype {np.dtype(dtype)}, expected real numbers" in err


def test_bench_run_pbmc68k_pca_writes_a_report(tmp_path, capsys):
    out = tmp_path / "report"
    code, stdout, err = run_cli(["run", "pbmc68k", "--model", "pca", "--out", out], capsys)
    assert code == 0, err
    report = json.loads((out / "results.json").read_text())
    assert set(report["summary"]["subtasks"]) == {"pbmc68k_clustering", "pbmc68k_embedding", "pbmc68k_label_prediction"}
    settings = report["settings"]
    assert settings["n_cells"] == 700 and settings["embedding_dims"] == 50 and report["provenance"]["seed"] == 42
    values = {(r["metric"], r["classifier"] or None): r["value"] for r in report["tables"]["results"]}
    X = np.load(out / "embedding.npy")
    y = pd.read_csv(out / "obs.csv")["bulk_labels"].to_numpy()
    assert values[("silhouette_score", None)] == pytest.approx((silhouette_score(X.astype(np.float64), y) + 1) / 2, abs=1e-6)
    assert values[("mean_fold_f1", "MEAN(knn,lr,rf)")] > 0.5  # far above the random floor
    png = (out / "scatter.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert "results.tsv" in stdout


def test_random_floor_is_seeded_and_scores_near_chance():
    from bench.baselines.singlecell.models import random_embedding
    from bench.metrics.singlecell import clustering_scores, silhouette_label

    a, b = random_embedding(700, seed=3), random_embedding(700, seed=3)
    assert a.tobytes() == b.tobytes() and a.tobytes() != random_embedding(700, seed=4).tobytes()
    y = read_source_anndata(get_task("pbmc68k")).obs["bulk_labels"].astype(str).to_numpy()
    assert abs(silhouette_label(a, y) - 0.5) < 0.03
    assert abs(clustering_scores(a, y)["adjusted_rand_index"]) < 0.05


def test_run_refuses_pca_for_cross_species_and_unknown_models(capsys):
    code, _, err = run_cli(["run", "spermatogenesis_integration", "--model", "pca"], capsys)
    assert code == 2 and "no PCA baseline across species" in err
    code, _, err = run_cli(["run", "pbmc68k", "--model", "scgpt"], capsys)
    assert code == 2 and "choices: pca, random, confound, control_median" in err
    code, _, err = run_cli(["run", "pbmc68k", "--model", "control_median"], capsys)
    assert code == 2 and "scores cell embeddings; models: pca, random, confound" in err


def test_bench_run_perturbation_with_control_median_on_an_h5ad(tmp_path, capsys):
    """Format test (no real Perturb-seq data ships offline): an h5ad in the expected layout."""
    import anndata
    import scipy.sparse as sp

    from bench.metrics.singlecell import perturbation_metrics

    rng = np.random.default_rng(0)
    n_genes = 120
    ctrl = rng.poisson(2.0, (50, n_genes)).astype(np.float32)
    effects = {"GENE1+ctrl": np.r_[np.full(10, 3.0), np.zeros(n_genes - 10)],
               "GENE2+ctrl": np.r_[np.zeros(30), np.full(25, 2.0), np.zeros(n_genes - 55)]}
    parts, conditions = [ctrl], ["ctrl"] * 50
    for name, eff in effects.items():
        parts.append(rng.poisson(2.0 + eff, (30, n_genes)).astype(np.float32))
        conditions += [name] * 30
    X = np.vstack(parts)
    adata = anndata.AnnData(X=sp.csr_matrix(X), obs=pd.DataFrame({"condition": pd.Categorical(conditions)},
                                                                  index=[f"c{i}" for i in range(len(X))]))
    adata.var_names = [f"g{i}" for i in range(n_genes)]
    adata.write_h5ad(tmp_path / get_task("adamson_perturbation").source["file"])
    code, stdout, err = run_cli(["run", "adamson_perturbation", "--model", "control_median", "--data-dir", tmp_path,
                                 "--out", tmp_path / "rep"], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert report["settings"]["conditions"] == ["GENE1+ctrl", "GENE2+ctrl"]
    got = {(r["condition"], r["metric"]): r["value"] for r in report["tables"]["results"]}
    truth = X[np.array(conditions) == "GENE1+ctrl"].astype(np.float64)
    ref = perturbation_metrics(ctrl, truth, np.tile(np.median(ctrl, axis=0), (30, 1)), top_k=(20, 100))
    for metric, value in ref.items():
        assert got[("GENE1+ctrl", metric)] == pytest.approx(value, abs=1e-12)
    assert got[("MEAN(2 conditions)", "mse_top20")] == pytest.approx(
        (got[("GENE1+ctrl", "mse_top20")] + got[("GENE2+ctrl", "mse_top20")]) / 2)
    code, _, err = run_cli(["run", "adamson_perturbation", "--model", "pca", "--data-dir", tmp_path], capsys)
    assert code == 2 and "perturbation task; models: control_median" in err


def test_bench_run_never_writes_into_a_folder_that_is_not_a_report(tmp_path, capsys, monkeypatch):
    """A user's non-empty folder (or a non-empty cwd) is refused and left untouched; a previous bench run
    of the same task is updated in place, keeping the user's own files."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("precious")
    code, _, err = run_cli(["run", "pbmc68k", "--model", "random", "--out", mine], capsys)
    assert code == 2 and "is not empty and was not written by bench" in err
    assert [p.name for p in mine.iterdir()] == ["keep.txt"]
    monkeypatch.chdir(mine)
    for out in (".", "../mine", str(tmp_path)):
        code, _, err = run_cli(["run", "pbmc68k", "--model", "random", "--out", out], capsys)
        assert code == 2 and "was not written by bench" in err, out
    assert (mine / "keep.txt").read_text() == "precious"
    report = tmp_path / "report"
    assert run_cli(["run", "pbmc68k", "--model", "random", "--out", report], capsys)[0] == 0
    (report / "notes.txt").write_text("mine")
    code, _, err = run_cli(["run", "pbmc68k", "--model", "pca", "--out", report], capsys)
    assert code == 0, err
    assert json.loads((report / "results.json").read_text())["settings"]["model"] == "pca"
    assert (report / "notes.txt").read_text() == "mine"
