"""Single-cell embedding metrics with cz-benchmarks' definitions: a pure numpy/sklearn core.

One private module per metric (scib-metrics layout); this flat namespace is the public face.
Every function takes an embedding ``X`` of shape (n_cells, n_dims) plus per-cell labels and
keyword-only options with scverse names. Pairwise work is done in row chunks of at most
``chunk_entries`` distances (default 4M), so no n x n matrix is ever held; chunks run in
``n_jobs`` threads (None = all cores) with single-threaded BLAS, so results are bit-identical
for any ``n_jobs``.

* :func:`silhouette_label` -- scib-metrics ``silhouette_label`` (rescaled (s+1)/2).
* :func:`silhouette_batch` -- scib-metrics ``silhouette_batch`` (1-|s| per cell type, averaged).
  Both compute squared distances with one float32 matrix product on centred data (as scib's JAX
  code runs in float32) and accumulate every sum in float64: ~1e-7 from sklearn's float64 value;
  ``precision="float64"`` reproduces sklearn to ~1e-15.
* :func:`entropy_per_cell` -- cz-benchmarks' batch-mixing entropy with EXACT k-NN (cz-benchmarks
  uses approximate HNSW). Candidates come from float32 distances; every cell within the rigorous
  rounding bound of the k-th distance is re-measured in float64, so neighbour sets equal a
  float64 brute-force search (ties by cell index).
* :func:`clustering_scores` -- exact 15-NN (float64), UMAP connectivities (scanpy's
  ``pp.neighbors``), Leiden via igraph (resolution 1, 2 iterations, seed 42) -> ARI and NMI
  (sklearn's ``adjusted_rand_score`` / ``normalized_mutual_info_score``).
* :func:`label_prediction` -- LR / kNN / RF with stratified 5-fold CV (sklearn).
* :func:`perturbation_metrics` -- legacy (<= 0.10) MSE / Pearson-delta / Jaccard on Wilcoxon DE genes.
No step approximates nearest neighbours or subsamples; the only randomness (Leiden, CV folds,
random forest) is seeded.
"""
from bench.metrics.singlecell._checks import check_embedding, check_labels, check_n_neighbors
from bench.metrics.singlecell._clustering import (
    adjusted_rand_index, clustering_scores, leiden, normalized_mutual_info, umap_connectivities)
from bench.metrics.singlecell._distances import CHUNK_ENTRIES, PRECISIONS
from bench.metrics.singlecell._entropy import entropy_per_cell
from bench.metrics.singlecell._integration import integration_scores
from bench.metrics.singlecell._knn import knn_exact
from bench.metrics.singlecell._label_prediction import (
    CLASSIFIERS, FOLD_METRICS, label_prediction, label_prediction_oof)
from bench.metrics.singlecell._perturbation import perturbation_metrics, wilcoxon_scores
from bench.metrics.singlecell._scoring import EMBEDDING_TASKS, score_embedding
from bench.metrics.singlecell._silhouette import silhouette_batch, silhouette_label, silhouette_samples

__all__ = [
    "CHUNK_ENTRIES", "CLASSIFIERS", "EMBEDDING_TASKS", "FOLD_METRICS", "PRECISIONS",
    "adjusted_rand_index", "check_embedding", "check_labels", "check_n_neighbors", "clustering_scores",
    "entropy_per_cell", "integration_scores", "knn_exact", "label_prediction", "label_prediction_oof", "leiden",
    "normalized_mutual_info", "perturbation_metrics", "score_embedding", "silhouette_batch",
    "silhouette_label", "silhouette_samples", "umap_connectivities", "wilcoxon_scores",
]
