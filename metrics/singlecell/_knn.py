"""Exact euclidean k-NN, pruned by spatial tiles (the same result as a brute-force search)."""
from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans

from bench.metrics.singlecell._checks import check_embedding, check_n_neighbors
from bench.metrics.singlecell._distances import _chunks, _distance_block, _SquaredDistances, run_blocks

CELLS_PER_TILE = 1000  # spatial tiles for the pruned exact k-NN of entropy_per_cell (speed only)


def knn_exact(X, n_neighbors: int, *, chunk_entries: int | None = None,
              n_jobs: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact euclidean k-NN of every cell among all cells, the cell itself included (scanpy style).

    Returns ``(indices, distances)`` of shape (n_cells, k), sorted by distance (float64, from
    ``|x|^2 + |y|^2 - 2 x.y`` as sklearn). On large data the search is pruned by spatial tiles
    (see :func:`entropy_per_cell`); the result is the same as a full brute-force search. Tiles
    are the tasks of the active scheduler (:func:`bench.scheduler.scheduler`).
    """
    X = check_embedding(X)
    n = len(X)
    k = min(check_n_neighbors(n_neighbors), n)
    yy = np.einsum("ij,ij->i", X, X)
    dist2 = _SquaredDistances(X, "float32")
    plan = _KnnPlan.of(dist2, k) if k < n else _KnnPlan.single(n, k)
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k))
    parts = run_blocks(_knn_tile, list(range(len(plan.tiles))), n_jobs=n_jobs, desc="k-NN tiles",
                       X=X, yy=yy, plan=plan, dist2=dist2, chunk_entries=chunk_entries)
    for ti, (idx, dist) in enumerate(parts):
        indices[plan.tiles[ti]] = idx
        distances[plan.tiles[ti]] = dist
    return indices, distances


def _knn_tile(ti: int, *, X, yy, plan, dist2, chunk_entries) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest cells (indices, distances) of the cells of tile ``ti``, in tile order."""
    k, rows = plan.k, plan.tiles[ti]
    cols = plan.candidates(ti, dist2)
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


def _spatial_tiles(points: np.ndarray, *, seed: int = 0) -> list[np.ndarray]:
    """Cell indices grouped into compact tiles (k-means, seeded); one tile for small data."""
    n_tiles = len(points) // CELLS_PER_TILE
    if n_tiles < 4:
        return [np.arange(len(points))]
    step = max(1, len(points) // (20 * n_tiles))  # fit on ~20 cells per tile, then assign all
    km = KMeans(n_clusters=n_tiles, n_init=1, max_iter=20, random_state=seed).fit(points[::step])
    assigned = km.predict(points)
    return [idx for idx in (np.flatnonzero(assigned == t) for t in range(n_tiles)) if len(idx)]


def _knn_plan(dist2: _SquaredDistances, k: int):
    """Spatial tiles of the cells and ``candidates(tile) -> sorted cell indices`` (see :class:`_KnnPlan`)."""
    plan = _KnnPlan.of(dist2, k)
    return plan.tiles, lambda ti: plan.candidates(ti, dist2)


class _KnnPlan:
    """Spatial tiles of the cells (the tasks of a k-NN search) and the cells each must search.

    For a tile T: an upper bound U(x) on each row's k-th squared distance comes from its own
    tile (plus the nearest tiles until >= k cells), with the float32 rounding bound added;
    tile V is searched unless (|x - c_V| - r_V)^2 > U(x) + slack for every x in T, i.e. unless
    every cell of V is surely farther than the k-th neighbour (c = centroid, r = radius, float64).
    With < 4 tiles' worth of cells there is one tile and every cell is a candidate. Picklable, so
    it is built once and shared with every worker.
    """

    def __init__(self, tiles: list[np.ndarray], k: int, centres=None, radii=None) -> None:
        self.tiles, self.k, self.centres, self.radii = tiles, k, centres, radii
        self.sizes = np.array([len(t) for t in tiles])
        if centres is not None:
            self.between = cdist(centres, centres)

    @classmethod
    def single(cls, n: int, k: int) -> "_KnnPlan":
        return cls([np.arange(n)], k)

    @classmethod
    def of(cls, dist2: _SquaredDistances, k: int) -> "_KnnPlan":
        pts = dist2.centred
        tiles = _spatial_tiles(pts)
        if len(tiles) == 1:
            return cls(tiles, k)
        centres = np.array([pts[t].mean(axis=0) for t in tiles])
        radii = np.array([np.sqrt(((pts[t] - c) ** 2).sum(axis=1)).max() for t, c in zip(tiles, centres)])
        return cls(tiles, k, centres, radii)

    def candidates(self, ti: int, dist2: _SquaredDistances) -> np.ndarray:
        """Sorted indices of every cell that may be among the k nearest of a cell of tile ``ti``."""
        if self.centres is None:
            return self.tiles[0]
        tiles, k, rows = self.tiles, self.k, self.tiles[ti]
        near = np.argsort(self.between[ti], kind="stable")  # this tile first, then the closest ones
        pool = np.sort(np.concatenate([tiles[t] for t in near[:np.searchsorted(np.cumsum(self.sizes[near]), k) + 1]]))
        upper = np.partition(np.maximum(dist2.left[rows] @ dist2.right[pool].T, 0), k - 1, axis=1)[:, k - 1]
        upper = upper.astype(np.float64) + 2.0 * dist2.error_bound(rows)  # rounding cannot hide a closer k-th
        slack = 2.0 * dist2.error_bound(rows) + 1e-9 * (1.0 + upper + dist2.sq[rows] + dist2.sq.max())
        gap = np.maximum(cdist(dist2.centred[rows], self.centres) - self.radii[None, :], 0.0) ** 2
        needed = (gap <= (upper + slack)[:, None]).any(axis=0)
        return np.sort(np.concatenate([tiles[t] for t in np.flatnonzero(needed)]))


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
