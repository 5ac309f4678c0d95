"""Parity with cz-benchmarks' definitions on the real pbmc68k_reduced (X_pca as the embedding).

References are independent: sklearn (silhouette, ARI, NMI), a brute-force entropy, scanpy's own
neighbors + leiden. Optional tests against the cz-benchmarks package skip when it is absent.
"""
from __future__ import annotations

import doctest
import importlib.util
from pathlib import Path

import numpy as np
import pytest

sc = pytest.importorskip("scanpy", reason="the singlecell extra (scanpy) is not installed")
pytest.importorskip("anndata", reason="the singlecell extra (anndata) is not installed")
pytest.importorskip("igraph", reason="the singlecell extra (igraph) is not installed")
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_samples  # noqa: E402

from bench.loaders.singlecell import read_source_anndata  # noqa: E402
from bench.metrics import singlecell as sc_metrics  # noqa: E402
from bench.tasks import get_task  # noqa: E402
from .test_metrics import brute_force_entropy  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
METRICS = ["sc_silhouette", "sc_clustering", "sc_label_prediction", "sc_integration", "sc_perturbation"]


@pytest.fixture(scope="module")
def pbmc():
    adata = read_source_anndata(get_task("pbmc68k"))
    return adata.obsm["X_pca"], adata.obs["bulk_labels"].astype(str).to_numpy(), adata


def test_silhouette_within_1e_6_of_sklearn_scib_formula(pbmc):
    X, y, _ = pbmc
    ref = (silhouette_samples(X.astype(np.float64), y).mean() + 1) / 2
    assert abs(sc_metrics.silhouette_label(X, y) - ref) < 1e-6
    assert sc_metrics.silhouette_label(X, y) == pytest.approx(0.5502624, abs=1e-6)


def test_umap_graph_matches_the_graph_stored_in_the_wheel(pbmc):
    """pbmc68k_reduced ships scanpy's UMAP connectivities (10 neighbours on the first 30 PCs)."""
    X, _, adata = pbmc
    assert int(adata.uns["neighbors"]["params"]["n_neighbors"][0]) == 10
    idx, dist = sc_metrics.knn_exact(X[:, :30], 10)
    diff = sc_metrics.umap_connectivities(idx, dist) - adata.obsp["connectivities"]
    assert abs(diff).max() < 1e-4


def test_leiden_partition_equals_scanpy_leiden_igraph_on_the_same_graph(pbmc):
    _, _, adata = pbmc
    ad = adata.copy()
    sc.tl.leiden(ad, flavor="igraph", n_iterations=2, random_state=42)
    theirs = ad.obs["leiden"].astype(int).to_numpy()
    ours = sc_metrics.leiden(adata.obsp["connectivities"], random_state=42)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(sc_metrics.leiden(adata.obsp["connectivities"], random_state=42), ours)


def test_ari_nmi_exact_for_the_same_cluster_labels(pbmc):
    X, y, _ = pbmc
    ours = sc_metrics.clustering_scores(X, y, return_clusters=True)
    assert ours["adjusted_rand_index"] == adjusted_rand_score(y, ours["clusters"])
    assert ours["normalized_mutual_info"] == normalized_mutual_info_score(y, ours["clusters"])
    # the value cz-benchmarks 0.15.1's ClusteringTask reports for X_pca (measured while developing)
    assert ours["adjusted_rand_index"] == pytest.approx(0.4283151, abs=1e-7)


@pytest.mark.slow
def test_clustering_reproduces_scanpy_neighbors_and_leiden_end_to_end(pbmc):
    X, y, _ = pbmc
    ours = sc_metrics.clustering_scores(X, y, return_clusters=True)
    ad = sc.AnnData(X=np.asarray(X))
    sc.pp.neighbors(ad, n_neighbors=15, use_rep="X", random_state=42)  # exact kNN below 8192 cells
    sc.tl.leiden(ad, flavor="igraph", n_iterations=2, random_state=42)
    theirs = ad.obs["leiden"].astype(int).to_numpy()
    assert adjusted_rand_score(theirs, ours["clusters"]) == 1.0  # the same partition
    idx, dist = sc_metrics.knn_exact(X, 15)
    assert abs(sc_metrics.umap_connectivities(idx, dist) - ad.obsp["connectivities"]).max() < 1e-5


def test_entropy_within_1e_4_of_brute_force(pbmc):
    X, _, adata = pbmc
    batch = adata.obs["phase"].astype(str).to_numpy()  # 3 groups (G1/S/G2M) as a stand-in batch
    ours = sc_metrics.entropy_per_cell(X, batch, n_neighbors=200)
    assert abs(ours - brute_force_entropy(X, batch, 200)) < 1e-4


def test_wilcoxon_scores_equal_scanpy_rank_genes_groups(pbmc):
    _, _, adata = pbmc
    raw = adata.raw.to_adata()
    groups = ["CD14+ Monocyte", "CD19+ B"]
    sub = raw[raw.obs["bulk_labels"].isin(groups)].copy()
    sc.tl.rank_genes_groups(sub, "bulk_labels", groups=[groups[0]], reference=groups[1], method="wilcoxon",
                            n_genes=sub.n_vars)
    names = sub.uns["rank_genes_groups"]["names"][groups[0]]
    scores = sub.uns["rank_genes_groups"]["scores"][groups[0]].astype(np.float64)
    X = sub.X.toarray()
    ours = sc_metrics.wilcoxon_scores(X[sub.obs["bulk_labels"] == groups[0]], X[sub.obs["bulk_labels"] == groups[1]])
    pos = sub.var_names.get_indexer(names)
    np.testing.assert_allclose(ours[pos], scores, atol=1e-4)  # scanpy stores float32 scores


@pytest.mark.parametrize("name", METRICS)
def test_evaluate_modules_load_by_path_and_their_doc_examples_hold(name, monkeypatch):
    monkeypatch.chdir(REPO)
    spec = importlib.util.spec_from_file_location(name, REPO / "metrics" / name / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    test = doctest.DocTestParser().get_doctest(module._KWARGS_DESCRIPTION, {}, name, None, 0)
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert (REPO / "metrics" / name / "README.md").read_text().startswith("---\ntitle:")


def test_evaluate_silhouette_module_on_pbmc_equals_core(pbmc, monkeypatch):
    import evaluate

    X, y, _ = pbmc
    sil = evaluate.load(str(REPO / "metrics" / "sc_silhouette"))
    assert sil.compute(embeddings=X.tolist(), labels=list(y))["silhouette_score"] == sc_metrics.silhouette_label(X, y)


# ------------------------------------------------------------------ optional: cz-benchmarks itself

def test_optional_czbenchmarks_parity(pbmc):
    czb = pytest.importorskip("czbenchmarks.metrics.implementations", reason="cz-benchmarks is not installed (optional cross-check; not a bench extra)")
    X, y, adata = pbmc
    batch = adata.obs["phase"].astype(str).to_numpy()
    assert abs(float(czb.silhouette_label(X, y)) - sc_metrics.silhouette_label(X, y)) < 1e-6
    assert abs(float(czb.silhouette_batch(X, y, batch)) - sc_metrics.silhouette_batch(X, y, batch)) < 1e-6
    # HNSW is approximate: exact k-NN differs by a few 1e-5 here
    assert abs(float(czb.compute_entropy_per_cell(X, batch)) - sc_metrics.entropy_per_cell(X, batch)) < 1e-4


def test_optional_czbenchmarks_clustering_task_parity(pbmc):
    tasks = pytest.importorskip("czbenchmarks.tasks", reason="cz-benchmarks is not installed (optional cross-check; not a bench extra)")
    X, y, adata = pbmc
    res = tasks.ClusteringTask(random_seed=42).run(
        cell_representation=X, task_input=tasks.ClusteringTaskInput(obs=adata.obs, input_labels=adata.obs["bulk_labels"]))
    theirs = {r.metric_type.value: r.value for r in res}
    ours = sc_metrics.clustering_scores(X, y)
    assert theirs["adjusted_rand_index"] == pytest.approx(ours["adjusted_rand_index"], abs=1e-12)
    assert theirs["normalized_mutual_info"] == pytest.approx(ours["normalized_mutual_info"], abs=1e-12)
