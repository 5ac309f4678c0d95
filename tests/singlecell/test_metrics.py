"""Single-cell metric core vs independent references (sklearn, scipy, brute force, scanpy, hand values)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_samples

from bench.errors import BenchError
from bench.metrics import singlecell as sc_metrics
from bench.metrics.singlecell import _knn as sc_knn
from bench.metrics.singlecell._distances import _SquaredDistances


def blobs(n=300, d=6, k=4, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 4, (k, d))
    labels = rng.integers(0, k, n)
    return (centers[labels] + rng.normal(size=(n, d))).astype(np.float32), np.array([f"t{i}" for i in labels])


def brute_force_entropy(X, batch, k):
    """Reference: full distance matrix, stable argsort, entropy of neighbour batches / ln(#batches)."""
    D = cdist(X.astype(np.float64), X.astype(np.float64))
    cats, codes = np.unique(batch, return_inverse=True)
    out = []
    for i in range(len(X)):
        nn = np.argsort(D[i], kind="stable")[:k]
        p = np.bincount(codes[nn], minlength=len(cats)) / k
        p = p[p > 0]
        out.append(-(p * np.log(p)).sum() / np.log(len(cats)))
    return float(np.mean(out))


def test_silhouette_equals_sklearn_across_many_chunks():
    X, y = blobs()
    ref = silhouette_samples(X.astype(np.float64), y)
    ours = sc_metrics.silhouette_samples(X, y, precision="float64", chunk_entries=300 * 7)  # 7 rows per chunk
    np.testing.assert_allclose(ours, ref, atol=1e-12)
    assert sc_metrics.silhouette_label(X, y, precision="float64") == pytest.approx((ref.mean() + 1) / 2, abs=1e-12)
    assert sc_metrics.silhouette_label(X, y, rescale=False, precision="float64") == pytest.approx(ref.mean(), abs=1e-12)


def test_float32_silhouette_default_is_within_1e_6_of_sklearn():
    X, y = blobs(n=500, d=20, k=7, seed=9)
    X = X * 30 + 1000  # large offset and scale: centring keeps float32 accurate
    ref = silhouette_samples(X.astype(np.float64), y)
    np.testing.assert_allclose(sc_metrics.silhouette_samples(X, y, chunk_entries=500 * 33), ref, atol=1e-5)
    assert abs(sc_metrics.silhouette_label(X, y, rescale=False) - ref.mean()) < 1e-6


def test_silhouette_hand_computed():
    # a: 0, 0.1; b: 5, 5.2 -> s = 1 - a/b per cell: 0.1/5.1, 0.1/5.0, 0.2/4.95, 0.2/5.15
    s = 1 - np.array([0.1 / 5.1, 0.1 / 5.0, 0.2 / 4.95, 0.2 / 5.15])
    X, y = [[0.0], [0.1], [5.0], [5.2]], ["a", "a", "b", "b"]
    assert sc_metrics.silhouette_label(X, y, rescale=False, precision="float64") == pytest.approx(s.mean(), abs=1e-12)
    assert sc_metrics.silhouette_label(X, y, rescale=False) == pytest.approx(s.mean(), abs=1e-6)  # float32


def test_singletons_score_zero_only_when_allowed():
    X, y = blobs(n=50)
    y = y.astype(object)
    y[0] = "lonely"
    with pytest.raises(BenchError, match=r"labels: label\(s\) \['lonely'\] have a single cell"):
        sc_metrics.silhouette_label(X, y)
    ref = silhouette_samples(X.astype(np.float64), y).mean()
    got = sc_metrics.silhouette_label(X, y, allow_singletons=True, rescale=False, precision="float64")
    assert got == pytest.approx(ref, abs=1e-12)


def test_batch_silhouette_matches_a_per_type_sklearn_reference():
    X, y = blobs(n=240, seed=1)
    batch = np.random.default_rng(1).choice(["b1", "b2", "b3"], len(X))
    per_type = []
    for t in np.unique(y):
        m = y == t
        per_type.append(np.mean(1 - np.abs(silhouette_samples(X[m].astype(np.float64), batch[m]))))
    score, per_label = sc_metrics.silhouette_batch(X, y, batch, precision="float64", return_per_label=True)
    assert score == pytest.approx(np.mean(per_type), abs=1e-12) and len(per_label) == 4


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("k", [1, 10, 57])
def test_entropy_equals_brute_force_even_with_duplicate_cells(k, precision):
    X, _ = blobs(n=180, seed=2)
    X[10:20] = X[10]  # ten identical cells: ties at the k-th distance
    X[30:33] = X[40] + 1e-6  # near-ties below float32 resolution: settled in float64
    batch = np.random.default_rng(2).choice(["a", "b", "c"], len(X))
    got, per_cell = sc_metrics.entropy_per_cell(X, batch, n_neighbors=k, precision=precision,
                                                chunk_entries=180 * 16, return_per_cell=True)
    assert got == pytest.approx(brute_force_entropy(X, batch, k), abs=1e-12)
    assert per_cell.shape == (180,)


def test_entropy_per_cell_values_equal_brute_force_per_cell():
    X, _ = blobs(n=120, d=3, seed=8)
    batch = np.random.default_rng(8).choice(["a", "b"], len(X))
    _, per_cell = sc_metrics.entropy_per_cell(X, batch, n_neighbors=15, return_per_cell=True)
    D = cdist(X.astype(np.float64), X.astype(np.float64))
    for i in (0, 17, 119):
        nn = np.argsort(D[i], kind="stable")[:15]
        p = np.bincount((batch[nn] == "b").astype(int), minlength=2) / 15
        p = p[p > 0]
        assert per_cell[i] == pytest.approx(-(p * np.log(p)).sum() / np.log(2), abs=1e-12)


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_pruned_tiled_entropy_equals_brute_force(monkeypatch, precision):
    monkeypatch.setattr(sc_knn, "CELLS_PER_TILE", 40)  # 15 spatial tiles on 600 cells
    X, _ = blobs(n=600, d=8, k=6, seed=11)
    X[100:140] = X[100]  # a crowd of duplicates: exercises the exact full-row fallback
    batch = np.random.default_rng(11).choice(["a", "b", "c"], len(X))
    got = sc_metrics.entropy_per_cell(X, batch, n_neighbors=30, precision=precision, chunk_entries=600 * 7)
    assert got == pytest.approx(brute_force_entropy(X, batch, 30), abs=1e-12)
    tiles, candidates = sc_knn._knn_plan(_SquaredDistances(X.astype(np.float64), precision), 30)
    assert sorted(np.concatenate(tiles).tolist()) == list(range(600))
    assert np.mean([len(candidates(t)) for t in range(len(tiles))]) < 600  # pruning happened


def test_entropy_caps_k_at_n_and_is_one_when_batches_are_balanced():
    X, _ = blobs(n=40)
    batch = np.array(["x", "y"] * 20)
    assert sc_metrics.entropy_per_cell(X, batch, n_neighbors=200) == pytest.approx(1.0)


def test_knn_exact_matches_full_sort():
    X, _ = blobs(n=150, seed=3)
    idx, dist = sc_metrics.knn_exact(X, 15, chunk_entries=150 * 11)
    D = cdist(X.astype(np.float64), X.astype(np.float64))
    ref = np.argsort(D, axis=1, kind="stable")[:, :15]
    np.testing.assert_array_equal(idx, ref)
    np.testing.assert_allclose(dist, np.take_along_axis(D, ref, axis=1), atol=1e-9)
    assert (idx[:, 0] == np.arange(150)).all()


def test_tiled_knn_exact_matches_full_sort(monkeypatch):
    monkeypatch.setattr(sc_knn, "CELLS_PER_TILE", 50)  # 12 spatial tiles on 600 cells
    X, _ = blobs(n=600, d=8, k=6, seed=12)
    idx, dist = sc_metrics.knn_exact(X, 15, chunk_entries=600 * 9)
    D = cdist(X.astype(np.float64), X.astype(np.float64))
    ref = np.argsort(D, axis=1, kind="stable")[:, :15]
    np.testing.assert_array_equal(idx, ref)
    np.testing.assert_allclose(dist, np.take_along_axis(D, ref, axis=1), atol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_ari_nmi_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, 500).astype(str)
    b = np.where(rng.random(500) < 0.6, a, rng.integers(0, 7, 500).astype(str))
    assert sc_metrics.adjusted_rand_index(a, b) == adjusted_rand_score(a, b)
    assert sc_metrics.normalized_mutual_info(a, b) == normalized_mutual_info_score(a, b)


def test_ari_nmi_edge_cases_follow_sklearn():
    one, ids = ["a"] * 6, list("abcdef")
    for a, b in [(one, one), (one, ids), (ids, ids), (list("aabbcc"), list("abcabc"))]:
        assert sc_metrics.adjusted_rand_index(a, b) == adjusted_rand_score(a, b)
        assert sc_metrics.normalized_mutual_info(a, b) == normalized_mutual_info_score(a, b)


def test_label_prediction_agrees_with_an_independent_cross_val_score():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    X, y = blobs(n=200, d=3, seed=4)
    out = sc_metrics.label_prediction(X, y, classifiers=["rf"])
    ref = cross_val_score(RandomForestClassifier(random_state=42), X.astype(np.float64), np.unique(y, return_inverse=True)[1],
                          cv=StratifiedKFold(5, shuffle=True, random_state=42), scoring="f1_macro")
    assert out["mean_fold_f1_rf"] == pytest.approx(ref.mean(), abs=1e-12) == out["mean_fold_f1"]


def test_label_prediction_drops_small_classes_and_is_perfect_on_separable_data():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (30, 2)), rng.normal(9, 1, (30, 2)), rng.normal(-9, 1, (5, 2))])
    y = ["a"] * 30 + ["b"] * 30 + ["tiny"] * 5
    out = sc_metrics.label_prediction(X, y)
    assert out["dropped_classes"] == ["tiny"] and out["n_classes"] == 2 and out["n_cells"] == 60
    for m in ("accuracy", "f1", "precision", "recall", "auroc"):
        assert out[f"mean_fold_{m}"] == 1.0


def test_wilcoxon_scores_equal_scipy_mannwhitney_z():
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(5)
    g, r = rng.poisson(2.0, (25, 30)).astype(float), rng.poisson(1.5, (40, 30)).astype(float)
    z = sc_metrics.wilcoxon_scores(g, r, gene_chunk=7)
    n_g, n_r = len(g), len(r)
    u = mannwhitneyu(g, r, axis=0).statistic  # U of the group = R_group - n_g (n_g + 1) / 2
    ref = (u - n_g * n_r / 2) / np.sqrt(n_g * n_r * (n_g + n_r + 1) / 12)
    np.testing.assert_allclose(z, ref, atol=1e-12)


def test_perturbation_metrics_hand_case():
    rng = np.random.default_rng(6)
    ctrl = rng.normal(size=(40, 30))
    shift = np.zeros(30)
    shift[:5] = 4.0  # genes 0-4 up-regulated
    truth = ctrl + shift + rng.normal(0, 0.01, (40, 30))
    perfect = sc_metrics.perturbation_metrics(ctrl, truth, truth, top_k=(5,))
    assert perfect["mse_all"] == 0 and perfect["pearson_delta_all"] == pytest.approx(1.0)
    assert perfect["jaccard_top5"] == 1.0
    half = truth.copy()
    half[:, :5] = ctrl[:, :5] + 2.0  # predicts half the effect
    out = sc_metrics.perturbation_metrics(ctrl, truth, half, top_k=(5,))
    m_true, m_half = truth.mean(0), half.mean(0)
    assert out["mse_top5"] == pytest.approx(np.mean((m_true[:5] - m_half[:5]) ** 2))
    assert out["mse_all"] == pytest.approx(np.mean((m_true - m_half) ** 2))


# ---------------------------------------------------------------------------- bad input

def test_length_mismatch_names_the_argument():
    X, y = blobs(n=20)
    with pytest.raises(BenchError, match="labels: has 19 entries but the embedding has 20 cells"):
        sc_metrics.silhouette_label(X, y[:19])
    with pytest.raises(BenchError, match="batch: has 5 entries"):
        sc_metrics.entropy_per_cell(X, ["a", "b"] * 2 + ["a"])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_embedding_is_refused(bad):
    X, y = blobs(n=20)
    X[3, 1] = bad
    with pytest.raises(BenchError, match=r"embedding: contains NaN or inf in 1 cell\(s\) \(first rows: \[3\]\)"):
        sc_metrics.silhouette_label(X, y)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "15"])
def test_bad_neighbourhood_size_is_refused(bad):
    X, y = blobs(n=20)
    with pytest.raises(BenchError, match=r"n_neighbors: expected an integer >= 1"):
        sc_metrics.entropy_per_cell(X, ["a", "b"] * 10, n_neighbors=bad)
    with pytest.raises(BenchError, match=r"n_neighbors: expected an integer >= 1"):
        sc_metrics.knn_exact(X, bad)
    assert sc_metrics.entropy_per_cell(X, ["a", "b"] * 10, n_neighbors=np.int64(5)) == pytest.approx(
        brute_force_entropy(X, np.array(["a", "b"] * 10), 5))


def test_fewer_than_two_batches_is_refused():
    X, y = blobs(n=20)
    with pytest.raises(BenchError, match="batch: needs at least 2 distinct batches, got 1"):
        sc_metrics.entropy_per_cell(X, ["only"] * 20)
    with pytest.raises(BenchError, match="batch: needs at least 2 distinct batches"):
        sc_metrics.silhouette_batch(X, y, ["only"] * 20)


def test_missing_label_values_are_refused():
    X, y = blobs(n=20)
    labels = list(y)
    labels[4] = None
    with pytest.raises(BenchError, match=r"labels: 1 cell\(s\) have no value \(first rows: \[4\]\)"):
        sc_metrics.silhouette_label(X, labels)


@pytest.mark.slow
def test_clustering_runs_above_scanpys_8192_cell_switch_with_exact_knn():
    # scanpy switches to approximate PyNNDescent at 8192 cells (and crashes there with current scipy)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 6, 9000)
    X = (rng.normal(0, 4, (6, 20))[labels] + rng.normal(size=(9000, 20))).astype(np.float32)
    out = sc_metrics.clustering_scores(X, labels)
    assert out["adjusted_rand_index"] == pytest.approx(1.0) and out["n_clusters"] == 6
