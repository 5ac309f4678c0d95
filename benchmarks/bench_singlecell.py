"""Silhouette and batch-entropy on a synthetic embedding: bench vs the obvious alternatives.

    python benchmarks/bench_singlecell.py [--n 50000] [--dims 50] [--jobs 2]

Synthetic, seeded: 10 cell types (Gaussian clusters) x 2 batches, n cells x dims float32.
Each measurement runs in a fresh forked process: wall time and peak resident memory above the
process's baseline (ru_maxrss), so C/C++ allocations (sklearn's Cython, hnswlib) count too.

* silhouette: ``bench.metrics.singlecell.silhouette_label(rescale=False)`` vs
  ``sklearn.metrics.silhouette_score`` (exact, float64, chunked by 1 GB working memory).
* entropy (k = 200, self included): ``entropy_per_cell`` (exact) vs sklearn
  ``NearestNeighbors(algorithm="brute")`` + the same entropy formula (exact), and cz-benchmarks'
  HNSW (hnswlib, M=48, ef=200; approximate) when hnswlib is importable.
Ratios > 1 mean bench is faster / uses less memory. An n x n float64 matrix would need
8 n^2 bytes (20 GB at 50,000 cells); no method here allocates one.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

import numpy as np

K = 200


def synthetic(n: int, dims: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 3.0, (10, dims))
    labels = rng.integers(0, 10, n)
    batch = rng.integers(0, 2, n)
    shift = rng.normal(0.0, 0.5, (2, dims))  # a mild batch effect
    X = centres[labels] + shift[batch] + rng.normal(size=(n, dims))
    return X.astype(np.float32), labels, batch


def entropy_from_neighbours(nn: np.ndarray, batch: np.ndarray) -> float:
    n_b = int(batch.max()) + 1
    counts = np.zeros((len(nn), n_b))
    for b in range(n_b):
        counts[:, b] = (batch[nn] == b).sum(axis=1)
    p = counts / nn.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return float((-np.where(p > 0, p * np.log(p), 0).sum(axis=1) / np.log(n_b)).mean())


def ours_silhouette(X, labels, batch, jobs):
    from bench.metrics.singlecell import silhouette_label
    return silhouette_label(X, labels, rescale=False, n_jobs=jobs)


def sklearn_silhouette(X, labels, batch, jobs):
    from sklearn.metrics import silhouette_score
    return float(silhouette_score(X, labels))


def ours_entropy(X, labels, batch, jobs):
    from bench.metrics.singlecell import entropy_per_cell
    return entropy_per_cell(X, batch, n_neighbors=K, n_jobs=jobs)


def sklearn_entropy(X, labels, batch, jobs):
    from sklearn.neighbors import NearestNeighbors
    nn = NearestNeighbors(n_neighbors=K, algorithm="brute", n_jobs=jobs).fit(X).kneighbors(X, return_distance=False)
    return entropy_from_neighbours(nn, batch)


def hnsw_entropy(X, labels, batch, jobs):
    import hnswlib
    index = hnswlib.Index(space="l2", dim=X.shape[1])
    index.init_index(max_elements=len(X), ef_construction=200, M=48, random_seed=42)
    index.set_num_threads(jobs)
    index.add_items(X, np.arange(len(X)))
    index.set_ef(200)
    nn, _ = index.knn_query(X, k=K)
    return entropy_from_neighbours(nn.astype(np.int64), batch)


def _child(fn_name, n, dims, jobs, queue):
    X, labels, batch = synthetic(n, dims)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    value = globals()[fn_name](X, labels, batch, jobs)
    seconds = time.perf_counter() - start
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    queue.put((value, seconds, peak_mb))


def measure(fn_name: str, n: int, dims: int, jobs: int):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn_name, n, dims, jobs, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def report(title, ours, theirs, name):
    (v1, t1, m1), (v2, t2, m2) = ours, theirs
    print(f"  {'bench':<28} {t1:8.2f} s  {m1:9.1f} MB  value {v1:.9f}")
    print(f"  {name:<28} {t2:8.2f} s  {m2:9.1f} MB  value {v2:.9f}")
    print(f"  -> {title}: {t2 / t1:.1f}x faster, {m2 / max(m1, 1e-9):.1f}x less peak memory, "
          f"|difference| = {abs(v1 - v2):.2e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--dims", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=2, help="threads for every method (default 2)")
    args = ap.parse_args()
    n, d, j = args.n, args.dims, args.jobs
    print(f"{n} cells x {d} dims, 10 labels, 2 batches, {j} threads; an n x n float64 matrix "
          f"would be {8 * n * n / 1e9:.1f} GB\n")
    print("silhouette (exact, euclidean):")
    report("silhouette", measure("ours_silhouette", n, d, j), measure("sklearn_silhouette", n, d, j),
           "sklearn silhouette_score")
    print(f"\nbatch entropy, k = {K} (self included):")
    ours = measure("ours_entropy", n, d, j)
    report("entropy vs exact brute force", ours, measure("sklearn_entropy", n, d, j),
           "sklearn brute kNN + entropy")
    try:
        import hnswlib  # noqa: F401
    except ImportError:
        print("  (hnswlib not installed: cz-benchmarks' HNSW entropy skipped)")
    else:
        report("entropy vs cz-benchmarks HNSW (approximate)", ours, measure("hnsw_entropy", n, d, j),
               "hnswlib HNSW (M=48, ef=200)")


if __name__ == "__main__":
    main()
