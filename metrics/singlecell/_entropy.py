"""cz-benchmarks ``entropy_per_cell`` (batch mixing among the k nearest cells) with EXACT k-NN."""
from __future__ import annotations

import math

import numpy as np

from bench.metrics.singlecell._checks import (
    _require_groups, check_embedding_or_lazy, check_labels, check_n_neighbors, sample_rows)
from bench.metrics.singlecell._distances import _chunks, _SquaredDistances, peek, prepared, run_blocks
from bench.metrics.singlecell._knn import _knn_batch_counts, _KnnPlan


def entropy_per_cell(X, batch, *, n_neighbors: int = 200, precision: str = "float32",
                     chunk_entries: int | None = None, n_jobs: int | None = None, return_per_cell: bool = False,
                     sample_cells: int | None = None, random_state: int = 0):
    """cz-benchmarks ``entropy_per_cell`` with EXACT k-NN: mixing of batches around each cell.

    For each cell, the batch fractions among its ``n_neighbors`` nearest cells (itself included;
    k capped at n) give a Shannon entropy (natural log) divided by ln(number of batches); the
    mean over cells is returned (1 = perfectly mixed). Ties at the k-th distance are broken by
    cell index, as a stable sort would.

    Exact search, pruned: cells are grouped into spatial tiles (seeded k-means; only speed
    depends on them); a tile's cells are compared only with tiles that the triangle inequality
    cannot rule out. Squared distances are computed in ``precision`` (float32 by default) and
    every cell within the rigorous rounding bound of the k-th distance is re-measured in float64,
    so the neighbour sets equal those of a float64 brute-force search. Spatial tiles are the
    tasks of the active scheduler; ``X`` may be a dask array (read on the workers).

    ``sample_cells=m``: the mean over m cells drawn uniformly without replacement (seeded by
    ``random_state``), each with its EXACT k nearest among all n cells -- an unbiased estimate of
    the exact mean at ~m/n of the cost (``return_per_cell`` then gives the sampled cells' values).
    """
    X = check_embedding_or_lazy(X)
    bcodes, bcats = check_labels(batch, len(X), name="batch")
    _require_groups(bcodes, bcats, name="batch", what="batches")
    n, n_batches = len(X), len(bcats)
    k = min(check_n_neighbors(n_neighbors), n)
    chosen = np.ones(n, dtype=bool)
    if sample_cells is not None:
        chosen = np.zeros(n, dtype=bool)
        chosen[sample_rows(n, sample_cells, random_state)] = True
    counts = np.empty((n, n_batches), dtype=np.int64)
    if k == n:
        counts[:] = np.bincount(bcodes, minlength=n_batches)
    else:
        dist2 = prepared(_SquaredDistances.of_input, X, precision)
        plan = prepared(_KnnPlan.of, dist2, k)
        tiles = list(range(peek(_tile_count, plan)))
        parts = run_blocks(_entropy_tile, tiles, n_jobs=n_jobs, desc="entropy k-NN tiles", dist2=dist2,
                           plan=plan, batch=bcodes, chunk_entries=chunk_entries, chosen=chosen)
        for rows, part in parts:
            counts[rows] = part
    frac = counts[chosen] / k
    with np.errstate(divide="ignore", invalid="ignore"):
        per_cell = -np.where(frac > 0, frac * np.log(frac), 0.0).sum(axis=1) / math.log(n_batches)
    mean = float(per_cell.mean())
    return (mean, per_cell) if return_per_cell else mean


def _tile_count(plan: _KnnPlan) -> int:
    return len(plan.tiles)


def _entropy_tile(ti: int, *, dist2, plan, batch, chunk_entries, chosen) -> tuple[np.ndarray, np.ndarray]:
    """(cell indices, per-batch counts among their exact k nearest cells) for the chosen cells of tile ``ti``."""
    rows = plan.tiles[ti][chosen[plan.tiles[ti]]]
    if not len(rows):
        return rows, np.zeros((0, int(batch.max()) + 1), dtype=np.int64)
    cols = plan.candidates(ti, dist2)
    return rows, np.concatenate([_knn_batch_counts(dist2, rows[sl], cols, plan.k, batch)
                                 for sl in _chunks(len(rows), len(cols), chunk_entries)])
