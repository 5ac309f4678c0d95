"""Chunked exact distances: row-chunk plans, the chunk runner, and squared-distance blocks."""
from __future__ import annotations

import functools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from bench.errors import BenchError
from bench.metrics.singlecell._checks import check_embedding
from bench.scheduler import active_runner

CHUNK_ENTRIES = 1 << 22
MAX_BLOCKS = 256  # default block plan: row chunks grouped into at most this many tasks


def _chunks(n_rows: int, n_cols: int, chunk_entries: int | None) -> Iterator[slice]:
    step = max(1, min(n_rows, (chunk_entries or CHUNK_ENTRIES) // max(n_cols, 1)))
    for start in range(0, n_rows, step):
        yield slice(start, min(n_rows, start + step))


def _block_plan(slices: list[slice], chunks_per_block: int | None = None) -> list[list[slice]]:
    """Consecutive row chunks grouped into blocks (one task each). The default depends only on the
    number of chunks (at most :data:`MAX_BLOCKS` blocks), never on where the blocks run, so every
    scheduler gives the same numbers."""
    per = chunks_per_block or max(1, math.ceil(len(slices) / MAX_BLOCKS))
    return [slices[i:i + per] for i in range(0, len(slices), per)]


def run_blocks(fn, items: list, *, n_jobs: int | None, desc: str, **shared) -> Iterator:
    """``fn(item, **shared)`` for every item, results in item order, where the active scheduler says.

    Serial (default): ``n_jobs`` threads in this process (:func:`_map_chunks`). On a Dask cluster
    every item is one task, each ``shared`` value is sent to the workers once (a handle from
    ``runner.build`` stays where it was computed), and BLAS runs single-threaded as in the
    serial path, so each task computes exactly what the serial path computes.
    """
    runner = active_runner()
    if runner.client is None:
        return _map_chunks(functools.partial(fn, **shared), items, n_jobs, desc=desc)
    handles = {k: v if _is_future(v) else runner.share(v) for k, v in shared.items()}
    return runner.map(_single_blas_call, items, fn=fn, **handles)


def prepared(fn, *args):
    """``fn(*args)`` where the work runs: here when serial; on a worker with Dask when an
    argument is a dask array or lives on the cluster (it is never gathered here); else here
    (then :func:`run_blocks` shares it once)."""
    runner = active_runner()
    if runner.client is not None and any(hasattr(a, "__dask_graph__") or _is_future(a) for a in args):
        return runner.build(fn, *args)
    return fn(*[a.compute() if hasattr(a, "__dask_graph__") else a for a in args])


def peek(fn, handle):
    """A small value computed from a :func:`prepared` handle (wherever that object lives)."""
    return active_runner().peek(fn, handle) if _is_future(handle) else fn(handle)


def _is_future(obj) -> bool:
    return type(obj).__name__ == "Future" and hasattr(obj, "key")


def _single_blas_call(item, *, fn, **shared):
    with threadpool_limits(limits=1, user_api="blas"):
        return fn(item, **shared)


def _map_chunks(fn, slices: list, n_jobs: int | None, *, desc: str = "pairwise chunks"):
    """``fn`` over row chunks, results in order; ``n_jobs`` threads (None = all cores).

    BLAS is held to one thread per chunk, so every chunk is computed by the same kernel and the
    result is bit-identical whatever ``n_jobs`` is (numpy releases the GIL in matrix products,
    partitions and reductions, so threads scale).
    """
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

    @classmethod
    def of_input(cls, X, precision: str) -> "_SquaredDistances":
        """Checked ``X`` (see :func:`check_embedding`), prepared; runs where the work runs."""
        return cls(check_embedding(X), precision)

    def block(self, sl: slice, *, first_column: int = 0) -> np.ndarray:
        """Squared distances of rows ``sl`` to the cells ``first_column:`` (exact 0 on self)."""
        out = self.left[sl] @ self.right[first_column:].T
        np.maximum(out, 0.0, out=out)
        rows = np.arange(out.shape[0])
        out[rows, rows + sl.start - first_column] = 0.0
        return out

    def error_bound(self, sl: slice) -> np.ndarray:
        return self.error_factor * 2.0 * (self.sq[sl] + self.sq.max())
