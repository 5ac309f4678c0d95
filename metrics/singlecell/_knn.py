"""Single-cell embedding metrics with cz-benchmarks' definitions: a pure numpy/sklearn core.

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
  ``pp.neighbors``), Leiden via igraph (resolution 1, 2 iterations, seed 42) -> ARI and NMI.
* :func:`label_prediction` -- LR / kNN / RF with stratified 5-fold CV (sklearn).
* :func:`perturbation_metrics` -- legacy (<= 0.10) MSE / Pearson-delta / Jaccard on Wilcoxon DE genes.
No step approximates nearest neighbours or subsamples; the only randomness (Leiden, CV folds,
random forest) is seeded.
"""
from __future__ import annotations

import math
import os
from typing import Iterator, Sequence

import numpy as np

from bench.errors import BenchError

CHUNK_ENTRIES = 1 << 22
CELLS_PER_TILE = 1000  # spatial tiles for the pruned exact k-NN of entropy_per_cell (speed only)
CLASSIFIERS = ("lr", "knn", "rf")
FOLD_METRICS = ("accuracy", "f1", "precision", "recall", "auroc")


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------

def check_embedding(X, *, name: str = "embedding") -> np.ndarray:
    """``X`` as a C-contiguous float64 (n_cells, n_dims) array; BenchError naming ``name`` otherwise."""
    try:
        arr = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise BenchError(f"{name}: expected a numeric (n_cells, n_dims) array ({exc})") from None
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 1:
        raise BenchError(f"{name}: expected a 2-D array with >= 2 cells and >= 1 dimension, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise BenchError(f"{name}: contains NaN or inf in {len(rows)} cell(s) (first rows: "
                         f"{rows[:5].tolist()}); embeddings must be finite")
    return np.ascontiguousarray(arr)


def check_labels(labels, n_cells: int, *, name: str = "labels") -> tuple[np.ndarray, np.ndarray]:
    """``(codes, categories)`` of per-cell labels; BenchError on a length mismatch or missing values."""
    values = np.asarray(labels, dtype=object).ravel() if not isinstance(labels, np.ndarray) else labels.ravel()
    if len(values) != n_cells:
        raise BenchError(f"{name}: has {len(values)} entries but the embedding has {n_cells} cells; "
                         "rows must be aligned one to one")
    missing = [i for i, v in enumerate(values) if v is None or (isinstance(v, float) and math.isnan(v))]
    if missing:
        raise BenchError(f"{name}: {len(missing)} cell(s) have no value (first rows: {missing[:5]})")
    categories, codes = np.unique(values.astype(str), return_inverse=True)
    return codes.astype(np.int64), categories


def _require_groups(codes: np.ndarray, categories, *, name: str, what: str, minimum: int = 2) -> None:
    if len(categories) < minimum:
        raise BenchError(f"{name}: needs at least {minimum} distinct {what}, got {len(categories)} "
                         f"({', '.join(map(str, categories[:5]))})")


def _require_no_singletons(codes: np.ndarray, categories, *, name: str) -> None:
    counts = np.bincount(codes, minlength=len(categories))
    single = [str(categories[i]) for i in np.flatnonzero(counts == 1)]
    if single:
        raise BenchError(f"{name}: label(s) {single[:5]} have a single cell; every label needs >= 2 cells "
                         "(drop those cells, or pass allow_singletons=True to score them 0 as scib does)")


# --------------------------------------------------------------------------------------------
# chunked exact distances
# --------------------------------------------------------------------------------------------

def _chunks(n_rows: int, n_cols: int, chunk_entries: int | None) -> Iterator[slice]:
    step = max(1, min(n_rows, (chunk_entries or CHUNK_ENTRIES) // max(n_cols, 1)))
    for start in range(0, n_rows, step):
        yield slice(start, min(n_rows, start + step))


def _map_chunks(fn, slices: list, n_jobs: int | None, *, desc: str = "pairwise chunks"):
    """``fn`` over row chunks, results in order; ``n_jobs`` threads (None = all cores).

    BLAS is held to one thread per chunk, so every chunk is computed by the same kernel and the
    result is bit-identical whatever ``n_jobs`` is (numpy releases the GIL in matrix products,
    partitions and reductions, so threads scale).
    """
    from threadpoolctl import threadpool_limits
    from tqdm.auto import tqdm

    n_jobs = (os.cpu_count() or 1) if n_jobs is None else max(1, int(n_jobs))
    # a progress bar on long runs only, and only on a terminal (tqdm's disable=None)
    bar = tqdm(total=len(slices), desc=desc, unit="chunk", leave=False,
               disable=None if len(slices) >= 200 else True)
    with threadpool_limits(limits=1, user_api="blas"), bar:
        if n_jobs == 1 or len(slices) == 1:
            for item in slices:
                yield fn(item)
                bar.update()
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            pending = []
            for sl in slices:  # bounded look-ahead: at most 2 * n_jobs chunks in memory
                pending.append(pool.submit(fn, sl))
                if len(pending) >= 2 * n_jobs:
                    yield pending.pop(0).result()
                    bar.update()
            for fut in pending:
                yield fut.result()
                bar.update()


def _distance_block(Xc: np.ndarray, Y: np.ndarray, yy: np.ndarray, *, self_offset: int | None) -> np.ndarray:
    """Euclidean distances of the rows ``Xc`` to all rows of ``Y`` (float64, exact 0 on self)."""
    block = Xc @ Y.T
    block *= -2.0
    block += np.einsum("ij,ij->i", Xc, Xc)[:, None]
    block += yy[None, :]
    np.maximum(block, 0.0, out=block)
    if self_offset is not None:
        rows = np.arange(len(Xc))
        block[rows, rows + self_offset] = 0.0
    np.sqrt(block, out=block)
    return block


def _sorted_by(codes: np.ndarray, n_groups: int):
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return order, counts, starts


PRECISIONS = ("float32", "float64")


class _SquaredDistances:
    """Blocks of squared euclidean distances from ONE matrix product per row chunk.

    Rows are centred (distances are translation invariant; centring shrinks rounding) and
    augmented so that ``[x, |x|^2, 1] . [-2y, 1, |y|^2] = |x - y|^2``. ``precision="float32"``
    runs that product in single precision (2-3x faster; as scib/cz-benchmarks' JAX code); every
    sum over distances is still accumulated in float64. :attr:`error_bound` bounds the absolute
    rounding error of each squared distance (standard dot-product bound).
    """

    def __init__(self, X: np.ndarray, precision: str) -> None:
        if precision not in PRECISIONS:
            raise BenchError(f"precision: expected one of {list(PRECISIONS)}, got {precision!r}")
        dtype = np.float32 if precision == "float32" else np.float64
        self.centred = X - X.mean(axis=0)
        self.sq = np.einsum("ij,ij->i", self.centred, self.centred)
        ones = np.ones((len(X), 1))
        self.left = np.hstack([self.centred, self.sq[:, None], ones]).astype(dtype)
        self.right = np.hstack([-2.0 * self.centred, ones, self.sq[:, None]]).astype(dtype)
        eps = float(np.finfo(dtype).eps)
        self.error_factor = 2.0 * (X.shape[1] + 6) * eps  # times (|x|^2 + |y|^2) bounds the error

    def block(self, sl: slice, *, first_column: int = 0) -> np.ndarray:
        """Squared distances of rows ``sl`` to the cells ``first_column:`` (exact 0 on self)."""
        out = self.left[sl] @ self.right[first_column:].T
        np.maximum(out, 0.0, out=out)
        rows = np.arange(out.shape[0])
        out[rows, rows + sl.start - first_column] = 0.0
        return out

    def error_bound(self, sl: slice) -> np.ndarray:
        return self.error_factor * 2.0 * (self.sq[sl] + self.sq.max())


def _group_distance_sums(X: np.ndarray, codes: np.ndarray, n_groups: int, *,
                         chunk_entries: int | None, precision: str = "float32", n_jobs: int | None = None):
    """For every cell, the sum of its distances to the cells of each group: (n, n_groups), cells in
    the order of ``order`` (sorted by group), plus that order and the group sizes.

    Symmetry halves the work: the row chunk [a, b) is compared with cells [a, n) only; its rows
    get their sums over those columns, and the cells [b, n) get the sums over the chunk's rows
    (per group of those rows), which are exactly their missing pairs.
    """
    order, counts, starts = _sorted_by(codes, n_groups)
    dist2 = _SquaredDistances(X[order], precision)
    n = len(order)
    present = np.flatnonzero(counts > 0)
    segments = [(int(starts[g]), int(starts[g] + counts[g])) for g in present]
    sums = np.zeros((n, n_groups))

    def chunk_sums(sl: slice):
        a, b = sl.start, sl.stop
        block = dist2.block(sl, first_column=a)
        np.sqrt(block, out=block)
        row = np.zeros((b - a, len(segments)))
        col_groups, col = [], []
        for i, (lo, hi) in enumerate(segments):
            if hi > a:  # this group's cells among the columns [a, n)
                row[:, i] = block[:, max(lo, a) - a:hi - a].sum(axis=1)
            if lo < b and hi > a and b < n:  # this group's cells among the rows [a, b)
                col_groups.append(i)
                col.append(block[max(lo, a) - a:min(hi, b) - a, b - a:].sum(axis=0, dtype=np.float64))
        return row, col_groups, col

    slices = list(_chunks(n, n, chunk_entries))
    for sl, (row, col_groups, col) in zip(slices, _map_chunks(chunk_sums, slices, n_jobs, desc="silhouette")):
        sums[sl.start:sl.stop, present] += row
        for i, values in zip(col_groups, col):
            sums[sl.stop:, present[i]] += values
    return sums, order, counts


def silhouette_samples(X, labels, *, precision: str = "float32", chunk_entries: int | None = None,
                       n_jobs: int | None = None) -> np.ndarray:
    """Per-cell silhouette (euclidean; nearest other label; singleton labels give 0), as sklearn.

    X: (n_cells, n_dims); labels: (n_cells,). Returns (n_cells,) float64 in the input order.
    ``precision="float64"`` reproduces sklearn to ~1e-15; the float32 default to ~1e-7.
    """
    X = check_embedding(X)
    codes, cats = check_labels(labels, len(X))
    _require_groups(codes, cats, name="labels", what="labels")
    return _silhouette_from_codes(X, codes, len(cats), chunk_entries=chunk_entries, precision=precision,
                                  n_jobs=n_jobs)


def _silhouette_from_codes(X, codes, n_groups, *, chunk_entries=None, precision="float32", n_jobs=None) -> np.ndarray:
    sums, order, counts = _group_distance_sums(X, codes, n_groups, chunk_entries=chunk_entries,
                                               precision=precision, n_jobs=n_jobs)
    own = codes[order]
    rows = np.arange(len(own))
    with np.errstate(divide="ignore", invalid="ignore"):
        intra = sums[rows, own] / (counts[own] - 1)
        means = sums / counts
    means[rows, own] = np.inf
    means[:, counts == 0] = np.inf
    inter = means.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sil = (inter - intra) / np.maximum(intra, inter)
    sil = np.nan_to_num(sil, nan=0.0, posinf=0.0, neginf=0.0)
    sil[counts[own] == 1] = 0.0
    out = np.empty_like(sil)
    out[order] = sil
    return out


def silhouette_label(X, labels, *, rescale: bool = True, allow_singletons: bool = False,
                     precision: str = "float32", chunk_entries: int | None = None, n_jobs: int | None = None) -> float:
    """Mean silhouette of ``labels`` in ``X``; rescaled to (s+1)/2 (scib-metrics default).

    Raises BenchError for fewer than 2 labels, or a label with a single cell unless
    ``allow_singletons`` (then it scores 0, as sklearn and scib do).
    """
    X = check_embedding(X)
    codes, cats = check_labels(labels, len(X))
    _require_groups(codes, cats, name="labels", what="labels")
    if not allow_singletons:
        _require_no_singletons(codes, cats, name="labels")
    asw = float(np.mean(_silhouette_from_codes(X, codes, len(cats), chunk_entries=chunk_entries,
                                               precision=precision, n_jobs=n_jobs)))
    return (asw + 1.0) / 2.0 if rescale else asw


def silhouette_batch(X, labels, batch, *, rescale: bool = True, precision: str = "float32",
                     chunk_entries: int | None = None, n_jobs: int | None = None, return_per_label: bool = False):
    """scib-metrics ``silhouette_batch``: batch mixing within each cell type, in [0, 1].

    For each label whose cells span >= 2 batches (and not one batch per cell): silhouette of its
    cells w.r.t. batch, ``1 - |s|`` per cell (``|s|`` if not ``rescale``), mean per label; the
    result is the unweighted mean over labels. With ``return_per_label`` also ``{label: score}``.
    """
    X = check_embedding(X)
    codes, cats = check_labels(labels, len(X))
    bcodes, bcats = check_labels(batch, len(X), name="batch")
    _require_groups(bcodes, bcats, name="batch", what="batches")
    per_label = {}
    for li, label in enumerate(cats):
        mask = codes == li
        sub_codes, sub_inverse = np.unique(bcodes[mask], return_inverse=True)
        if len(sub_codes) == 1 or len(sub_codes) == int(mask.sum()):
            continue
        sil = np.abs(_silhouette_from_codes(X[mask], sub_inverse, len(sub_codes), chunk_entries=chunk_entries,
                                            precision=precision, n_jobs=n_jobs))
        per_label[str(label)] = float(np.mean(1.0 - sil if rescale else sil))
    if not per_label:
        raise BenchError("batch: no label has cells from two or more batches, so batch silhouette is undefined")
    score = float(np.mean(list(per_label.values())))
    return (score, per_label) if return_per_label else score


# --------------------------------------------------------------------------------------------
# exact k-nearest neighbours
# --------------------------------------------------------------------------------------------

def check_n_neighbors(n_neighbors, *, name: str = "n_neighbors") -> int:
    """A positive integer neighbourhood size (the cell itself counts as its first neighbour)."""
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, (int, np.integer)) or n_neighbors < 1:
        raise BenchError(f"{name}: expected an integer >= 1 (neighbours per cell, itself included), "
                         f"got {n_neighbors!r}")
    return int(n_neighbors)


def knn_exact(X, n_neighbors: int, *, chunk_entries: int | None = None,
              n_jobs: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact euclidean k-NN of every cell among all cells, the cell itself included (scanpy style).

    Returns ``(indices, distances)`` of shape (n_cells, k), sorted by distance (float64, from
    ``|x|^2 + |y|^2 - 2 x.y`` as sklearn). On large data the search is pruned by spatial tiles
    (see :func:`entropy_per_cell`); the result is the same as a full brute-force search.
    """
    X = check_embedding(X)
    n = len(X)
    k = min(check_n_neighbors(n_neighbors), n)
    yy = np.einsum("ij,ij->i", X, X)
    tiles, candidates = _knn_plan(_SquaredDistances(X, "float32"), k) if k < n else ([np.arange(n)], None)
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k))

    def tile_knn(ti: int):
        rows = tiles[ti]
        cols = candidates(ti) if candidates else rows
        parts = []
        for sl in _chunks(len(rows), len(cols), chunk_entries):
            r = rows[sl]
            block = _distance_block(X[r], X[cols], yy[cols], self_offset=None)
            block[np.arange(len(r)), np.searchsorted(cols, r)] = 0.0
            cand = (np.argpartition(block, k - 1, axis=1)[:, :k] if k < len(cols)
                    else np.tile(np.arange(len(cols)), (len(r), 1)))
            cand.sort(axis=1)
            cand_d = np.take_along_axis(block, cand, axis=1)
            pos = np.argsort(cand_d, axis=1, kind="stable")
            parts.append((cols[np.take_along_axis(cand, pos, axis=1)], np.take_along_axis(cand_d, pos, axis=1)))
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    for ti, (idx, dist) in enumerate(_map_chunks(tile_knn, list(range(len(tiles))), n_jobs, desc="k-NN tiles")):
        indices[tiles[ti]] = idx
        distances[tiles[ti]] = dist
    return indices, distances


def entropy_per_cell(X, batch, *, n_neighbors: int = 200, precision: str = "float32",
                     chunk_entries: int | None = None, n_jobs: int | None = None, return_per_cell: bool = False):
    """cz-benchmarks ``entropy_per_cell`` with EXACT k-NN: mixing of batches around each cell.

    For each cell, the batch fractions among its ``n_neighbors`` nearest cells (itself included;
    k capped at n) give a Shannon entropy (natural log) divided by ln(number of batches); the
    mean over cells is returned (1 = perfectly mixed). Ties at the k-th distance are broken by
    cell index, as a stable sort would.

    Exact search, pruned: cells are grouped into spatial tiles (seeded k-means; only speed
    depends on them); a tile's cells are compared only with tiles that the triangle inequality
    cannot rule out. Squared distances are computed in ``precision`` (float32 by default) and
    every cell within the rigorous rounding bound of the k-th distance is re-measured in float64,
    so the neighbour sets equal those of a float64 brute-force search.
    """
    X = check_embedding(X)
    bcodes, bcats = check_labels(batch, len(X), name="batch")
    _require_groups(bcodes, bcats, name="batch", what="batches")
    n, n_batches = len(X), len(bcats)
    k = min(check_n_neighbors(n_neighbors), n)
    dist2 = _SquaredDistances(X, precision)
    counts = np.empty((n, n_batches), dtype=np.int64)
    if k == n:
        counts[:] = np.bincount(bcodes, minlength=n_batches)
    else:
        tiles, candidates = _knn_plan(dist2, k)

        def tile_counts(ti: int) -> np.ndarray:
            rows, cols = tiles[ti], candidates(ti)
            return np.concatenate([_knn_batch_counts(dist2, rows[sl], cols, k, bcodes)
                                   for sl in _chunks(len(rows), len(cols), chunk_entries)])

        for ti, part in enumerate(_map_chunks(tile_counts, list(range(len(tiles))), n_jobs, desc="entropy k-NN tiles")):
            counts[tiles[ti]] = part
    frac = counts / k
    with np.errstate(divide="ignore", invalid="ignore"):
        per_cell = -np.where(frac > 0, frac * np.log(frac), 0.0).sum(axis=1) / math.log(n_batches)
    mean = float(per_cell.mean())
    return (mean, per_cell) if return_per_cell else mean


def _spatial_tiles(points: np.ndarray, *, seed: int = 0) -> list[np.ndarray]:
    """Cell indices grouped into compact tiles (k-means, seeded); one tile for small data."""
    n_tiles = len(points) // CELLS_PER_TILE
    if n_tiles < 4:
        return [np.arange(len(points))]
    from sklearn.cluster import KMeans

    step = max(1, len(points) // (20 * n_tiles))  # fit on ~20 cells per tile, then assign all
    km = KMeans(n_clusters=n_tiles, n_init=1, max_iter=20, random_state=seed).fit(points[::step])
    assigned = km.predict(points)
    return [idx for idx in (np.flatnonzero(assigned == t) for t in range(n_tiles)) if len(idx)]


def _knn_plan(dist2: _SquaredDistances, k: int):
    """Spatial tiles of the cells and ``candidates(tile) -> sorted cell indices`` to search.

    For a tile T: an upper bound U(x) on each row's k-th squared distance comes from its own
    tile (plus the nearest tiles until >= k cells), with the float32 rounding bound added;
    tile V is searched unless (|x - c_V| - r_V)^2 > U(x) + slack for every x in T, i.e. unless
    every cell of V is surely farther than the k-th neighbour (c = centroid, r = radius, float64).
    With < 4 tiles' worth of cells there is one tile and every cell is a candidate.
    """
    pts = dist2.centred
    tiles = _spatial_tiles(pts)
    if len(tiles) == 1:
        return tiles, lambda ti: tiles[0]
    from scipy.spatial.distance import cdist

    centres = np.array([pts[t].mean(axis=0) for t in tiles])
    radii = np.array([np.sqrt(((pts[t] - c) ** 2).sum(axis=1)).max() for t, c in zip(tiles, centres)])
    sizes = np.array([len(t) for t in tiles])
    between = cdist(centres, centres)

    def candidates(ti: int) -> np.ndarray:
        rows = tiles[ti]
        near = np.argsort(between[ti], kind="stable")  # this tile first, then the closest ones
        pool = np.sort(np.concatenate([tiles[t] for t in near[:np.searchsorted(np.cumsum(sizes[near]), k) + 1]]))
        upper = np.partition(np.maximum(dist2.left[rows] @ dist2.right[pool].T, 0), k - 1, axis=1)[:, k - 1]
        upper = upper.astype(np.float64) + 2.0 * dist2.error_bound(rows)  # rounding cannot hide a closer k-th
        slack = 2.0 * dist2.error_bound(rows) + 1e-9 * (1.0 + upper + dist2.sq[rows] + dist2.sq.max())
        gap = np.maximum(cdist(pts[rows], centres) - radii[None, :], 0.0) ** 2
        needed = (gap <= (upper + slack)[:, None]).any(axis=0)
        return np.sort(np.concatenate([tiles[t] for t in np.flatnonzero(needed)]))

    return tiles, candidates


def _knn_batch_counts(dist2: _SquaredDistances, rows: np.ndarray, cols: np.ndarray, k: int,
                      batch: np.ndarray, *, extra: int = 32) -> np.ndarray:
    """Per-batch counts among the exact k nearest cells of ``rows``, searched among ``cols``
    (sorted cell indices that include every row and all cells that could be among its k nearest).

    One ``argpartition`` keeps the k + ``extra`` smallest (rounded) squared distances per row. A
    candidate below the k-th minus twice the rounding bound is surely a neighbour; those within
    the bound are re-measured in float64 and ranked (distance, then cell index). If more than
    ``extra`` cells crowd the k-th distance, the row is redone exactly against all cells.
    """
    n_rows, n_batches, m = len(rows), int(batch.max()) + 1, len(cols)
    block = dist2.left[rows] @ dist2.right[cols].T
    np.maximum(block, 0.0, out=block)
    block[np.arange(n_rows), np.searchsorted(cols, rows)] = 0.0
    kk = min(m, k + extra)
    cand = np.argpartition(block, kk - 1, axis=1)[:, :kk] if kk < m else np.tile(np.arange(m), (n_rows, 1))
    vals = np.take_along_axis(block, cand, axis=1).astype(np.float64)
    del block
    kth = np.partition(vals, k - 1, axis=1)[:, k - 1]
    margin = 2.0 * dist2.error_bound(rows)
    covered = (vals.max(axis=1) > kth + margin) if kk < m else np.ones(n_rows, dtype=bool)
    sure = (vals < (kth - margin)[:, None]) & covered[:, None]
    unsure = ~sure & (vals <= (kth + margin)[:, None]) & covered[:, None]
    counts = np.zeros((n_rows, n_batches), dtype=np.int64)
    r, j = np.nonzero(sure)
    np.add.at(counts, (r, batch[cols[cand[r, j]]]), 1)
    need = k - counts.sum(axis=1)
    r, j = np.nonzero(unsure)
    c = cols[cand[r, j]]
    exact = ((dist2.centred[rows[r]] - dist2.centred[c]) ** 2).sum(axis=1)
    ranked = np.lexsort((c, exact, r))  # by row, then exact distance, then cell index
    r, c = r[ranked], c[ranked]
    first = np.searchsorted(r, np.arange(n_rows))
    take = (np.arange(len(r)) - first[r]) < need[r]
    np.add.at(counts, (r[take], batch[c[take]]), 1)
    for i in np.flatnonzero(~covered):  # crowded k-th distance (many ties): exact against all cells
        exact_row = ((dist2.centred - dist2.centred[rows[i]]) ** 2).sum(axis=1)
        nearest = np.lexsort((np.arange(len(exact_row)), exact_row))[:k]
        counts[i] = np.bincount(batch[nearest], minlength=n_batches)
    return counts


# --------------------------------------------------------------------------------------------
# clustering: UMAP connectivities + Leiden (igraph) -> ARI / NMI
# --------------------------------------------------------------------------------------------

def umap_connectivities(knn_indices: np.ndarray, knn_distances: np.ndarray, *, n_iter: int = 64,
                        local_connectivity: float = 1.0, bandwidth: float = 1.0):
    """Fuzzy simplicial set of a k-NN graph (UMAP's ``smooth_knn_dist`` + symmetrisation).

    Same arithmetic as umap-learn (float32 distances, 64-step bisection per cell for sigma,
    rho = distance to the nearest non-identical neighbour), vectorised over cells. Column 0
    must be the cell itself (as :func:`knn_exact` returns). Returns a symmetric float32 CSR.
    """
    import scipy.sparse as sp

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
    import random as std_random

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


def _contingency(a, b) -> np.ndarray:
    _, ia = np.unique(np.asarray(a).astype(str), return_inverse=True)
    _, ib = np.unique(np.asarray(b).astype(str), return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1), dtype=np.int64)
    np.add.at(table, (ia, ib), 1)
    return table


def adjusted_rand_index(labels_true, labels_pred) -> float:
    """Adjusted Rand index from the pair-counting confusion matrix (exact integer arithmetic)."""
    table = _contingency(labels_true, labels_pred)
    n = int(table.sum())
    sum_sq = int((table.astype(object) ** 2).sum())
    rows_sq = int((table.sum(axis=1).astype(object) ** 2).sum())
    cols_sq = int((table.sum(axis=0).astype(object) ** 2).sum())
    tp = sum_sq - n
    fp = cols_sq - sum_sq
    fn = rows_sq - sum_sq
    tn = n * n - fp - fn - sum_sq
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def _entropy_of_counts(counts: np.ndarray) -> float:
    counts = counts[counts > 0].astype(np.float64)
    total = counts.sum()
    return float(-np.sum(counts / total * (np.log(counts) - math.log(total))))


def normalized_mutual_info(labels_true, labels_pred) -> float:
    """NMI with arithmetic-mean normalisation (sklearn's default)."""
    table = _contingency(labels_true, labels_pred)
    if table.shape[0] == table.shape[1] == 1:
        return 1.0
    if table.shape[0] == 1 or table.shape[1] == 1:
        return 0.0
    n = float(table.sum())
    pi, pj = table.sum(axis=1).astype(np.float64), table.sum(axis=0).astype(np.float64)
    r, c = np.nonzero(table)
    nij = table[r, c].astype(np.float64)
    mi_terms = nij / n * (np.log(nij) - math.log(n) - np.log(pi[r] * pj[c]) + 2 * math.log(n))
    mi_terms = np.where(np.abs(mi_terms) < np.finfo(np.float64).eps, 0.0, mi_terms)
    mi = max(float(mi_terms.sum()), 0.0)
    if mi == 0.0:
        return 0.0
    normaliser = max((_entropy_of_counts(pi) + _entropy_of_counts(pj)) / 2.0, np.finfo(np.float64).eps)
    return float(mi / normaliser)


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


# --------------------------------------------------------------------------------------------
# label prediction
# --------------------------------------------------------------------------------------------

def _classifiers(random_state: int):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "lr": make_pipeline(StandardScaler(with_mean=False), LogisticRegression()),
        "knn": make_pipeline(StandardScaler(with_mean=False), KNeighborsClassifier()),
        "rf": RandomForestClassifier(random_state=random_state),
    }


def label_prediction(X, labels, *, n_folds: int = 5, min_class_size: int = 10, random_state: int = 42,
                     classifiers: Sequence[str] = CLASSIFIERS, n_jobs: int | None = None) -> dict:
    """cz-benchmarks MetadataLabelPredictionTask: CV scores of LR / kNN / RF predicting ``labels``.

    Classes with fewer than ``min_class_size`` cells are dropped; ``StratifiedKFold(n_folds,
    shuffle=True, random_state)``; macro averaging (binary if exactly 2 classes); AUROC is
    one-vs-rest macro on ``predict_proba``. Returns ``mean_fold_<metric>`` (mean over every fold
    of every classifier) and ``mean_fold_<metric>_<classifier>``, plus ``n_cells``/``n_classes``.
    """
    from sklearn.model_selection import StratifiedKFold, cross_validate

    X = check_embedding(X)
    codes, cats = check_labels(labels, len(X))
    counts = np.bincount(codes, minlength=len(cats))
    keep = counts[codes] >= min_class_size
    kept = np.unique(codes[keep])
    if len(kept) < 2:
        raise BenchError(f"labels: needs >= 2 classes with >= {min_class_size} cells each, got {len(kept)}")
    y = np.searchsorted(kept, codes[keep])
    unknown = sorted(set(classifiers) - set(CLASSIFIERS))
    if unknown:
        raise BenchError(f"classifiers: unknown {unknown}; choose from {list(CLASSIFIERS)}")
    from sklearn.metrics import f1_score, make_scorer, precision_score, recall_score

    average = "binary" if len(kept) == 2 else "macro"
    # zero_division=0 is sklearn's value for an empty class; set explicitly to skip the warning spam
    scoring = {"accuracy": "accuracy",
               "f1": make_scorer(f1_score, average=average, zero_division=0),
               "precision": make_scorer(precision_score, average=average, zero_division=0),
               "recall": make_scorer(recall_score, average=average, zero_division=0),
               "auroc": "roc_auc" if average == "binary" else "roc_auc_ovr"}
    cv = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    models = _classifiers(random_state)
    per_classifier: dict = {}
    rows = {m: [] for m in FOLD_METRICS}
    for name in classifiers:
        res = cross_validate(models[name], X[keep], y, cv=cv, scoring=scoring, n_jobs=n_jobs)
        for m in FOLD_METRICS:
            vals = res[f"test_{m}"]
            rows[m].extend(vals.tolist())
            per_classifier[f"mean_fold_{m}_{name}"] = float(np.mean(vals))
    out = {f"mean_fold_{m}": float(np.mean(rows[m])) for m in FOLD_METRICS}
    out.update(per_classifier)
    out["n_cells"] = int(keep.sum())
    out["n_classes"] = int(len(kept))
    out["dropped_classes"] = [str(cats[i]) for i in np.flatnonzero((counts > 0) & (counts < min_class_size))]
    return out


# --------------------------------------------------------------------------------------------
# integration (batch or species)
# --------------------------------------------------------------------------------------------

def integration_scores(X, labels, batch, *, n_neighbors: int = 200, chunk_entries: int | None = None) -> dict:
    """cz-benchmarks BatchIntegration / CrossSpeciesIntegration: entropy_per_cell + batch_silhouette."""
    return {"entropy_per_cell": entropy_per_cell(X, batch, n_neighbors=n_neighbors, chunk_entries=chunk_entries),
            "batch_silhouette": silhouette_batch(X, labels, batch, chunk_entries=chunk_entries)}


# --------------------------------------------------------------------------------------------
# perturbation (legacy cz-benchmarks <= 0.10)
# --------------------------------------------------------------------------------------------

def wilcoxon_scores(group, reference, *, gene_chunk: int = 512) -> np.ndarray:
    """Per-gene Wilcoxon rank-sum z-scores of ``group`` vs ``reference`` (cells x genes).

    As scanpy's ``rank_genes_groups(method="wilcoxon")`` without tie correction: average ranks
    over the pooled cells, z = (R_group - n_g (n_g + n_r + 1) / 2) / sqrt(n_g n_r (n_g + n_r + 1) / 12).
    """
    from scipy.stats import rankdata

    g = check_embedding(group, name="group")
    r = check_embedding(reference, name="reference")
    if g.shape[1] != r.shape[1]:
        raise BenchError(f"group has {g.shape[1]} genes but reference has {r.shape[1]}")
    n_g, n_r = len(g), len(r)
    scores = np.empty(g.shape[1])
    std = math.sqrt(n_g * n_r * (n_g + n_r + 1) / 12.0)
    for start in range(0, g.shape[1], gene_chunk):
        sl = slice(start, start + gene_chunk)
        ranks = rankdata(np.vstack([g[:, sl], r[:, sl]]), axis=0)
        scores[sl] = (ranks[:n_g].sum(axis=0) - n_g * (n_g + n_r + 1) / 2.0) / std
    return scores


def _top_genes(scores: np.ndarray, k: int) -> np.ndarray:
    return np.lexsort((np.arange(len(scores)), -scores))[:k]


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denom = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b / denom) if denom > 0 else float("nan")


def perturbation_metrics(control, truth, prediction, *, top_k: Sequence[int] = (20, 100)) -> dict:
    """Legacy cz-benchmarks PerturbationTask metrics for one perturbation (genes aligned by column).

    ``mse_all`` / ``pearson_delta_all`` compare per-gene means of ``truth`` and ``prediction``
    (Pearson of truth-control vs prediction-control); for each K in ``top_k`` the same on the K
    genes with the largest signed Wilcoxon score of truth vs control (up-regulated genes, as
    upstream), and ``jaccard_topK`` of the truth and prediction top-K DE sets.
    """
    ctrl = check_embedding(control, name="control")
    true = check_embedding(truth, name="truth")
    pred = check_embedding(prediction, name="prediction")
    if not (ctrl.shape[1] == true.shape[1] == pred.shape[1]):
        raise BenchError(f"control, truth and prediction must have the same genes (columns), got "
                         f"{ctrl.shape[1]}, {true.shape[1]}, {pred.shape[1]}")
    m_ctrl, m_true, m_pred = ctrl.mean(axis=0), true.mean(axis=0), pred.mean(axis=0)
    out = {"mse_all": float(np.mean((m_true - m_pred) ** 2)),
           "pearson_delta_all": _pearson(m_true - m_ctrl, m_pred - m_ctrl)}
    s_true, s_pred = wilcoxon_scores(true, ctrl), wilcoxon_scores(pred, ctrl)
    for k in top_k:
        if not 1 <= k <= ctrl.shape[1]:
            raise BenchError(f"top_k: {k} is outside [1, {ctrl.shape[1]}] (the number of genes)")
        top_t, top_p = _top_genes(s_true, k), _top_genes(s_pred, k)
        out[f"mse_top{k}"] = float(np.mean((m_true[top_t] - m_pred[top_t]) ** 2))
        out[f"pearson_delta_top{k}"] = _pearson(m_true[top_t] - m_ctrl[top_t], m_pred[top_t] - m_ctrl[top_t])
        inter = len(np.intersect1d(top_t, top_p))
        out[f"jaccard_top{k}"] = inter / (2 * k - inter)
    return out


# --------------------------------------------------------------------------------------------
# every applicable metric on one embedding (used by `bench evaluate-embedding` and `bench run`)
# --------------------------------------------------------------------------------------------

EMBEDDING_TASKS = ("clustering", "embedding", "label_prediction", "integration")


def score_embedding(X, labels, *, batches=None, tasks: Sequence[str] | None = None, random_state: int = 42,
                    n_neighbors_entropy: int = 200) -> list[dict]:
    """Score one embedding on every applicable cz-benchmarks task.

    Returns tidy rows ``{"task", "metric", "value", "params"}``. ``integration`` runs only with
    ``batches``. All inputs are validated before any computation starts.
    """
    X = check_embedding(X)
    codes, cats = check_labels(labels, len(X))
    _require_groups(codes, cats, name="labels", what="labels")
    _require_no_singletons(codes, cats, name="labels")
    if batches is not None:
        bcodes, bcats = check_labels(batches, len(X), name="batch")
        _require_groups(bcodes, bcats, name="batch", what="batches")
    tasks = list(tasks or [t for t in EMBEDDING_TASKS if t != "integration" or batches is not None])
    unknown = sorted(set(tasks) - set(EMBEDDING_TASKS))
    if unknown:
        raise BenchError(f"tasks: unknown {unknown}; choose from {list(EMBEDDING_TASKS)}")
    if "integration" in tasks and batches is None:
        raise BenchError("tasks: 'integration' needs batch labels (batch_key)")
    rows: list[dict] = []

    def add(task, metric, value, **params):
        rows.append({"task": task, "metric": metric, "value": float(value), "params": params})

    if "clustering" in tasks:
        res = clustering_scores(X, labels, random_state=random_state)
        add("clustering", "adjusted_rand_index", res["adjusted_rand_index"])
        add("clustering", "normalized_mutual_info", res["normalized_mutual_info"])
    if "embedding" in tasks:
        add("embedding", "silhouette_score", silhouette_label(X, labels))
    if "label_prediction" in tasks:
        res = label_prediction(X, labels, random_state=random_state)
        for m in FOLD_METRICS:
            add("label_prediction", f"mean_fold_{m}", res[f"mean_fold_{m}"], classifier="MEAN(knn,lr,rf)")
        for clf in CLASSIFIERS:
            for m in FOLD_METRICS:
                add("label_prediction", f"mean_fold_{m}", res[f"mean_fold_{m}_{clf}"], classifier=clf)
    if "integration" in tasks:
        add("integration", "entropy_per_cell", entropy_per_cell(X, batches, n_neighbors=n_neighbors_entropy))
        add("integration", "batch_silhouette", silhouette_batch(X, labels, batches))
    return rows


def format_rows(rows: list[dict]) -> str:
    """Fixed-width text table of :func:`score_embedding` rows."""
    table = [("task", "metric", "params", "value")]
    for r in rows:
        params = ",".join(f"{k}={v}" for k, v in r["params"].items())
        table.append((r["task"], r["metric"], params, f"{r['value']:.4f}"))
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
