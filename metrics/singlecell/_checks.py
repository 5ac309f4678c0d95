"""Input checks shared by every single-cell metric: embeddings, labels, neighbourhood sizes."""
from __future__ import annotations

import math

import numpy as np

from bench.errors import BenchError


def check_embedding(X, *, name: str = "embedding") -> np.ndarray:
    """``X`` as a C-contiguous float64 (n_cells, n_dims) array; BenchError naming ``name`` otherwise."""
    try:
        arr = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise BenchError(f"{name}: expected a numeric (n_cells, n_dims) array ({exc})", field=name) from None
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 1:
        raise BenchError(f"{name}: expected a 2-D array with >= 2 cells and >= 1 dimension, got shape {arr.shape}",
                         field=name)
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise BenchError(f"{name}: contains NaN or inf in {len(rows)} cell(s) (first rows: "
                         f"{rows[:5].tolist()}); embeddings must be finite", field=name)
    return np.ascontiguousarray(arr)


def check_labels(labels, n_cells: int, *, name: str = "labels") -> tuple[np.ndarray, np.ndarray]:
    """``(codes, categories)`` of per-cell labels; BenchError on a length mismatch or missing values."""
    values = np.asarray(labels, dtype=object).ravel() if not isinstance(labels, np.ndarray) else labels.ravel()
    if len(values) != n_cells:
        raise BenchError(f"{name}: has {len(values)} entries but the embedding has {n_cells} cells; "
                         "rows must be aligned one to one", field=name)
    missing = [i for i, v in enumerate(values) if v is None or (isinstance(v, float) and math.isnan(v))]
    if missing:
        raise BenchError(f"{name}: {len(missing)} cell(s) have no value (first rows: {missing[:5]})", field=name)
    categories, codes = np.unique(values.astype(str), return_inverse=True)
    return codes.astype(np.int64), categories


def _require_groups(codes: np.ndarray, categories, *, name: str, what: str, minimum: int = 2) -> None:
    if len(categories) < minimum:
        raise BenchError(f"{name}: needs at least {minimum} distinct {what}, got {len(categories)} "
                         f"({', '.join(map(str, categories[:5]))})", field=name)


def _require_no_singletons(codes: np.ndarray, categories, *, name: str) -> None:
    counts = np.bincount(codes, minlength=len(categories))
    single = [str(categories[i]) for i in np.flatnonzero(counts == 1)]
    if single:
        raise BenchError(f"{name}: label(s) {single[:5]} have a single cell; every label needs >= 2 cells "
                         "(drop those cells, or pass allow_singletons=True to score them 0 as scib does)", field=name)


def check_n_neighbors(n_neighbors, *, name: str = "n_neighbors") -> int:
    """A positive integer neighbourhood size (the cell itself counts as its first neighbour)."""
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, (int, np.integer)) or n_neighbors < 1:
        raise BenchError(f"{name}: expected an integer >= 1 (neighbours per cell, itself included), "
                         f"got {n_neighbors!r}", field=name)
    return int(n_neighbors)


def sample_rows(n: int, sample_cells: int, random_state: int) -> np.ndarray:
    """Sorted indices of ``sample_cells`` of ``n`` cells drawn uniformly without replacement (seeded)."""
    if isinstance(sample_cells, bool) or not isinstance(sample_cells, (int, np.integer)) or not 1 <= sample_cells <= n:
        raise BenchError(f"sample_cells: expected an integer in [1, {n}] (cells to score), got {sample_cells!r}")
    return np.sort(np.random.default_rng(random_state).choice(n, size=int(sample_cells), replace=False))


def is_lazy(X) -> bool:
    """True for a dask array: it is read and checked where the work runs (a worker)."""
    return hasattr(X, "__dask_graph__") and hasattr(X, "shape")


def check_embedding_or_lazy(X, *, name: str = "embedding"):
    """A dask array with a known 2-D shape is kept lazy (values are checked where it is read);
    anything else goes through :func:`check_embedding`."""
    if not is_lazy(X):
        return check_embedding(X, name=name)
    if len(X.shape) != 2 or any(math.isnan(s) for s in X.shape) or X.shape[0] < 2 or X.shape[1] < 1:
        raise BenchError(f"{name}: expected a 2-D dask array with known shape, >= 2 cells and >= 1 dimension, "
                         f"got shape {X.shape}")
    return X
