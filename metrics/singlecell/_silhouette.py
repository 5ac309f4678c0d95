"""scib-metrics ``silhouette_label`` / ``silhouette_batch`` and per-cell silhouettes, chunked and exact."""
from __future__ import annotations

import numpy as np

from bench.errors import BenchError
from bench.metrics.singlecell._checks import (
    _require_groups, _require_no_singletons, check_embedding_or_lazy, check_labels, sample_rows)
from bench.metrics.singlecell._distances import (
    _block_plan, _chunks, _sorted_by, _SquaredDistances, prepared, run_blocks)


def _group_distance_sums(X, codes: np.ndarray, n_groups: int, *, chunk_entries: int | None,
                         precision: str = "float32", n_jobs: int | None = None,
                         chunks_per_block: int | None = None):
    """For every cell, the sum of its distances to the cells of each group: (n, n_groups), cells in
    the order of ``order`` (sorted by group), plus that order and the group sizes.

    Symmetry halves the work: the row chunk [a, b) is compared with cells [a, n) only; its rows
    get their sums over those columns, and the cells [b, n) get the sums over the chunk's rows
    (per group of those rows), which are exactly their missing pairs. Consecutive chunks form
    blocks (:func:`_block_plan`), one task each; the sums depend on the block plan only, never on
    the scheduler. ``X`` may be a dask array (then it is sorted and prepared on a worker).
    """
    order, counts, starts = _sorted_by(codes, n_groups)
    dist2 = prepared(_SquaredDistances.of_input, X[order], precision)
    n = len(order)
    present = np.flatnonzero(counts > 0)
    segments = [(int(starts[g]), int(starts[g] + counts[g])) for g in present]
    found = np.zeros((n, len(present)))  # the present groups' columns, summed with plain slices (7x faster)
    blocks = _block_plan(list(_chunks(n, n, chunk_entries)), chunks_per_block)
    results = run_blocks(_silhouette_block, blocks, n_jobs=n_jobs, desc="silhouette", dist2=dist2,
                         segments=segments, n=n)
    for block, (local, tail) in zip(blocks, results):
        start, stop = block[0].start, block[-1].stop
        found[start:stop] += local
        if stop < n:
            found[stop:] += tail.T
    sums = np.zeros((n, n_groups))
    sums[:, present] = found
    return sums, order, counts


def _silhouette_block(block: list[slice], *, dist2: _SquaredDistances, segments: list[tuple[int, int]],
                      n: int) -> tuple[np.ndarray, np.ndarray]:
    """Distance sums per group for one block of row chunks, in chunk order: ``local`` for the
    block's own cells (its columns and the earlier chunks' rows) and ``tail`` (groups x later
    cells) for the cells after the block."""
    start, stop = block[0].start, block[-1].stop
    local = np.zeros((stop - start, len(segments)))
    tail = np.zeros((len(segments), n - stop))
    for sl in block:
        a, b = sl.start, sl.stop
        dist = dist2.block(sl, first_column=a)
        np.sqrt(dist, out=dist)
        row = np.zeros((b - a, len(segments)))
        for i, (lo, hi) in enumerate(segments):
            if hi > a:  # this group's cells among the columns [a, n)
                row[:, i] = dist[:, max(lo, a) - a:hi - a].sum(axis=1)
            if lo < b and hi > a and b < n:  # this group's cells among the rows [a, b)
                col = dist[max(lo, a) - a:min(hi, b) - a, b - a:].sum(axis=0, dtype=np.float64)
                local[b - start:, i] += col[:stop - b]
                tail[i] += col[stop - b:]
        local[a - start:b - start] += row
    return local, tail


def _sampled_silhouettes(X, codes, n_groups, rows, *, chunk_entries, precision, n_jobs) -> np.ndarray:
    """Exact silhouettes of the cells ``rows`` against all cells (no symmetry: O(len(rows) n d))."""
    dist2 = prepared(_SquaredDistances.of_input, X, precision)
    counts = np.bincount(codes, minlength=n_groups)
    slices = list(_chunks(len(rows), len(codes), chunk_entries))
    sums = np.concatenate(list(run_blocks(_sampled_sums, slices, n_jobs=n_jobs, desc="sampled silhouette",
                                          dist2=dist2, rows=rows, codes=codes, n_groups=n_groups)))
    return _silhouettes_from_sums(sums, codes[rows], counts)


def _silhouettes_from_sums(sums: np.ndarray, own: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Silhouettes of cells from their per-group distance sums (cells, groups), their own group
    ``own`` and the group sizes: (b - a) / max(a, b), with a the mean distance to the other cells
    of the own group and b the smallest mean distance to another group; 0 for singleton groups."""
    i = np.arange(len(own))
    with np.errstate(divide="ignore", invalid="ignore"):
        intra = sums[i, own] / (counts[own] - 1)
        means = sums / counts
    means[i, own] = np.inf
    means[:, counts == 0] = np.inf
    inter = means.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sil = (inter - intra) / np.maximum(intra, inter)
    sil = np.nan_to_num(sil, nan=0.0, posinf=0.0, neginf=0.0)
    sil[counts[own] == 1] = 0.0
    return sil


def _sampled_sums(sl: slice, *, dist2, rows, codes, n_groups) -> np.ndarray:
    """Per-group distance sums (len(sl), n_groups) of the sampled cells ``rows[sl]`` to all cells."""
    r = rows[sl]
    dist = dist2.left[r] @ dist2.right.T
    np.maximum(dist, 0.0, out=dist)
    dist[np.arange(len(r)), r] = 0.0
    np.sqrt(dist, out=dist)
    out = np.zeros((len(r), n_groups))
    for g in range(n_groups):
        out[:, g] = dist[:, codes == g].sum(axis=1, dtype=np.float64)
    return out


def silhouette_samples(X, labels, *, precision: str = "float32", chunk_entries: int | None = None,
                       n_jobs: int | None = None) -> np.ndarray:
    """Per-cell silhouette (euclidean; nearest other label; singleton labels give 0), as sklearn.

    X: (n_cells, n_dims); labels: (n_cells,). Returns (n_cells,) float64 in the input order.
    ``precision="float64"`` reproduces sklearn to ~1e-15; the float32 default to ~1e-7.
    """
    X = check_embedding_or_lazy(X)
    codes, cats = check_labels(labels, len(X))
    _require_groups(codes, cats, name="labels", what="labels")
    return _silhouette_from_codes(X, codes, len(cats), chunk_entries=chunk_entries, precision=precision,
                                  n_jobs=n_jobs)


def _silhouette_from_codes(X, codes, n_groups, *, chunk_entries=None, precision="float32", n_jobs=None,
                           chunks_per_block=None) -> np.ndarray:
    sums, order, counts = _group_distance_sums(X, codes, n_groups, chunk_entries=chunk_entries,
                                               precision=precision, n_jobs=n_jobs,
                                               chunks_per_block=chunks_per_block)
    sil = _silhouettes_from_sums(sums, codes[order], counts)
    out = np.empty_like(sil)
    out[order] = sil
    return out


def silhouette_label(X, labels, *, rescale: bool = True, allow_singletons: bool = False,
                     precision: str = "float32", chunk_entries: int | None = None, n_jobs: int | None = None,
                     chunks_per_block: int | None = None, sample_cells: int | None = None,
                     random_state: int = 0) -> float:
    """Mean silhouette of ``labels`` in ``X``; rescaled to (s+1)/2 (scib-metrics default).

    Raises BenchError for fewer than 2 labels, or a label with a single cell unless
    ``allow_singletons`` (then it scores 0, as sklearn and scib do). ``X`` may be a dask array;
    ``chunks_per_block`` sets the block plan (default: at most 256 blocks); the value depends on
    the plan only, not on the scheduler (:func:`bench.scheduler.scheduler`).

    ``sample_cells=m`` (for 10^8 cells, where the exact O(n^2 d) cost is out of reach): the mean
    silhouette of m cells drawn uniformly without replacement (seeded by ``random_state``), each
    scored EXACTLY against all n cells -- an unbiased estimate of the exact mean at O(m n d) cost
    (standard error ~ sd(s) / sqrt(m); benchmarks/bench_dask.py measures it on 10^5 cells).
    """
    X = check_embedding_or_lazy(X)
    codes, cats = check_labels(labels, len(X))
    _require_groups(codes, cats, name="labels", what="labels")
    if not allow_singletons:
        _require_no_singletons(codes, cats, name="labels")
    if sample_cells is not None:
        asw = float(np.mean(_sampled_silhouettes(X, codes, len(cats), sample_rows(len(codes), sample_cells, random_state),
                                                 chunk_entries=chunk_entries, precision=precision, n_jobs=n_jobs)))
        return (asw + 1.0) / 2.0 if rescale else asw
    asw = float(np.mean(_silhouette_from_codes(X, codes, len(cats), chunk_entries=chunk_entries,
                                               precision=precision, n_jobs=n_jobs,
                                               chunks_per_block=chunks_per_block)))
    return (asw + 1.0) / 2.0 if rescale else asw


def silhouette_batch(X, labels, batch, *, rescale: bool = True, precision: str = "float32",
                     chunk_entries: int | None = None, n_jobs: int | None = None, return_per_label: bool = False,
                     chunks_per_block: int | None = None):
    """scib-metrics ``silhouette_batch``: batch mixing within each cell type, in [0, 1].

    For each label whose cells span >= 2 batches (and not one batch per cell): silhouette of its
    cells w.r.t. batch, ``1 - |s|`` per cell (``|s|`` if not ``rescale``), mean per label; the
    result is the unweighted mean over labels. With ``return_per_label`` also ``{label: score}``.
    """
    X = check_embedding_or_lazy(X)
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
                                            precision=precision, n_jobs=n_jobs, chunks_per_block=chunks_per_block))
        per_label[str(label)] = float(np.mean(1.0 - sil if rescale else sil))
    if not per_label:
        raise BenchError("batch: no label has cells from two or more batches, so batch silhouette is undefined")
    score = float(np.mean(list(per_label.values())))
    return (score, per_label) if return_per_label else score
