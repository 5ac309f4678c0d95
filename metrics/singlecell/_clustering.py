"""cz-benchmarks ClusteringTask: exact k-NN -> UMAP connectivities -> Leiden (igraph) -> ARI / NMI.

Why :func:`umap_connectivities` is not a call to umap-learn's ``fuzzy_simplicial_set`` (what
``scanpy.pp.neighbors`` calls): ``python benchmarks/bench_umap_wilcoxon.py --only umap`` (50,000
cells, exact 15-NN, fresh process per method) measured the same graph (same stored entries, max
|difference| 2.4e-7, float32 rounding) in 0.39 s vs 8.0 s for umap-learn's first call in a process
(importing umap/numba and compiling its kernels; 22 s on a loaded machine), 20x; warm, umap-learn is
1.6x faster (0.24 s vs 0.39 s). A bench process builds one graph per embedding it scores (a handful), so it
pays the first call; and umap-learn is not a dependency of bench (only scanpy's).
"""
from __future__ import annotations

import math
import random as std_random

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from bench.errors import BenchError
from bench.metrics.singlecell._checks import check_embedding, check_labels
from bench.metrics.singlecell._knn import knn_exact


def umap_connectivities(knn_indices: np.ndarray, knn_distances: np.ndarray, *, n_iter: int = 64,
                        local_connectivity: float = 1.0, bandwidth: float = 1.0):
    """Fuzzy simplicial set of a k-NN graph (UMAP's ``smooth_knn_dist`` + symmetrisation).

    Same arithmetic as umap-learn (float32 distances, 64-step bisection per cell for sigma,
    rho = distance to the nearest non-identical neighbour), vectorised over cells. Column 0
    must be the cell itself (as :func:`knn_exact` returns). Returns a symmetric float32 CSR.
    """
    dist = np.asarray(knn_distances, dtype=np.float32)
    n, k = dist.shape
    target = math.log2(k) * bandwidth
    nonzero = dist > 0
    has_nonzero = nonzero.sum(axis=1) >= local_connectivity
    first_nz = np.where(nonzero.any(axis=1), dist[np.arange(n), nonzero.argmax(axis=1)], 0)
    rho = np.where(has_nonzero, first_nz, np.where(nonzero.any(axis=1), dist.max(axis=1), 0)).astype(np.float32)
    lo, hi, mid = np.zeros(n), np.full(n, np.inf), np.ones(n)
    active = np.ones(n, dtype=bool)
    shifted = (dist[:, 1:] - rho[:, None]).astype(np.float64)
    for _ in range(n_iter):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        d = shifted[idx]
        psum = np.where(d > 0, np.exp(-(d / mid[idx, None])), 1.0).sum(axis=1)
        done = np.abs(psum - target) < 1e-5
        upd, too_big = idx[~done], (psum > target)[~done]
        hi[upd[too_big]] = mid[upd[too_big]]
        lo[upd[~too_big]] = mid[upd[~too_big]]
        grow = upd[~too_big][np.isinf(hi[upd[~too_big]])]
        mid[grow] *= 2
        half = np.setdiff1d(upd, grow, assume_unique=True)
        mid[half] = (lo[half] + hi[half]) / 2.0
        active[idx[done]] = False
    sigma = mid.astype(np.float32)
    floor = np.where(rho > 0, 1e-3 * dist.mean(axis=1), 1e-3 * dist.mean()).astype(np.float32)
    sigma = np.where(sigma < floor, floor, sigma).astype(np.float32)
    shift32 = dist - rho[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):  # entries with shift <= 0 are set to 1 below
        vals = np.exp(-(np.maximum(shift32, 0) / sigma[:, None])).astype(np.float32)
    vals[(shift32 <= 0) | (sigma[:, None] == 0)] = 1.0
    vals[knn_indices == np.arange(n)[:, None]] = 0.0
    rows = np.repeat(np.arange(n), k)
    graph = sp.coo_matrix((vals.ravel(), (rows, np.asarray(knn_indices).ravel())), shape=(n, n)).tocsr()
    graph.eliminate_zeros()
    transpose = graph.T.tocsr()
    sym = (graph + transpose - graph.multiply(transpose)).tocsr()
    sym.eliminate_zeros()
    sym.sort_indices()
    return sym.astype(np.float32)


class _LegacyIgraphRNG:
    """igraph random-number interface backed by numpy's legacy RandomState (as scanpy seeds Leiden)."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.RandomState(seed)

    def getrandbits(self, k: int) -> int:
        return int(self._rng.tomaxint()) & ((1 << k) - 1)

    def randint(self, a: int, b: int) -> int:
        return int(self._rng.randint(a, b + 1))

    def random(self) -> float:
        return float(self._rng.random_sample())

    def gauss(self, mu: float, sigma: float) -> float:
        return float(self._rng.normal(mu, sigma))


def leiden(connectivities, *, resolution: float = 1.0, n_iterations: int = 2, random_state: int = 42,
           beta: float = 0.01) -> np.ndarray:
    """Leiden communities (igraph, modularity objective) of a weighted symmetric graph.

    The graph is built as scanpy's ``flavor="igraph"`` does (one undirected edge per stored
    non-zero, so each pair appears twice) and igraph's RNG is seeded the same way, so the
    partition equals ``sc.tl.leiden(flavor="igraph", n_iterations=2, random_state=42)``.
    """
    try:
        import igraph
    except ImportError:  # pragma: no cover - environment dependent
        raise BenchError("clustering needs igraph: pip install 'bench[singlecell]'") from None

    graph = connectivities.tocsr()
    src, dst = graph.nonzero()
    weights = np.asarray(graph[src, dst]).ravel()
    g = igraph.Graph(n=graph.shape[0], edges=list(zip(src.tolist(), dst.tolist())), directed=False)
    g.es["weight"] = weights
    igraph.set_random_number_generator(_LegacyIgraphRNG(random_state))
    try:
        part = g.community_leiden(objective_function="modularity", weights="weight", resolution=resolution,
                                  beta=beta, n_iterations=n_iterations)
    finally:
        igraph.set_random_number_generator(std_random)
    return np.asarray(part.membership, dtype=np.int64)


def adjusted_rand_index(labels_true, labels_pred) -> float:
    """Adjusted Rand index (sklearn's ``adjusted_rand_score``)."""
    return float(adjusted_rand_score(labels_true, labels_pred))


def normalized_mutual_info(labels_true, labels_pred) -> float:
    """NMI with arithmetic-mean normalisation (sklearn's ``normalized_mutual_info_score``)."""
    return float(normalized_mutual_info_score(labels_true, labels_pred))


def clustering_scores(X, labels, *, n_neighbors: int = 15, resolution: float = 1.0, n_iterations: int = 2,
                      random_state: int = 42, chunk_entries: int | None = None,
                      return_clusters: bool = False) -> dict:
    """cz-benchmarks ClusteringTask: exact k-NN graph -> Leiden -> ARI and NMI against ``labels``."""
    X = check_embedding(X)
    codes, cats = check_labels(labels, len(X))
    idx, dist = knn_exact(X, n_neighbors, chunk_entries=chunk_entries)
    clusters = leiden(umap_connectivities(idx, dist), resolution=resolution, n_iterations=n_iterations,
                      random_state=random_state)
    out = {"adjusted_rand_index": adjusted_rand_index(codes, clusters),
           "normalized_mutual_info": normalized_mutual_info(codes, clusters),
           "n_clusters": int(clusters.max() + 1)}
    if return_clusters:
        out["clusters"] = clusters
    return out
