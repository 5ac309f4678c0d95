"""scib-metrics ``silhouette_label`` / ``silhouette_batch`` and per-cell silhouettes, chunked and exact."""
from __future__ import annotations

import numpy as np

from bench.errors import BenchError
from bench.metrics.singlecell._checks import (
    _require_groups, _require_no_singletons, check_embedding, check_labels)
from bench.metrics.singlecell._distances import _chunks, _map_chunks, _sorted_by, _SquaredDistances


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
