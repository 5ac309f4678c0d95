"""cz-benchmarks ``entropy_per_cell`` (batch mixing among the k nearest cells) with EXACT k-NN."""
from __future__ import annotations

import math

import numpy as np

from bench.metrics.singlecell._checks import (
    _require_groups, check_embedding, check_labels, check_n_neighbors)
from bench.metrics.singlecell._distances import _chunks, _map_chunks, _SquaredDistances
from bench.metrics.singlecell._knn import _knn_batch_counts, _knn_plan


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
