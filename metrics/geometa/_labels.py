"""GEOmeta label checks: 1-D label sequences without missing values and of one label type."""
from __future__ import annotations

import warnings

import numpy as np

from bench.errors import BenchError, BenchTypeError


def _as_labels(values, name: str) -> np.ndarray:
    arr = np.asarray(list(values), dtype=object)
    if arr.ndim != 1:
        raise BenchError(f"{name} must be a 1-D sequence of class labels, got shape {arr.shape}")
    bad = [i for i, v in enumerate(arr) if v is None or (isinstance(v, float) and np.isnan(v))]
    if bad:
        raise BenchError(f"{name} has missing values (None/NaN) at position(s) {bad[:5]}; drop NA targets first")
    kinds = {type(v).__name__ for v in arr}
    if len(kinds) > 1 and not kinds <= {"int", "int64", "int32"}:
        raise BenchError(f"{name} mixes label types {sorted(kinds)}; expected all strings or all integers")
    return arr


def _check_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t, p = _as_labels(y_true, "references (y_true)"), _as_labels(y_pred, "predictions (y_pred)")
    if len(t) != len(p):
        raise BenchError(f"predictions and references differ in length: {len(p)} vs {len(t)}")
    if len(t) == 0:
        raise BenchError("no samples to score: predictions and references are empty")
    if {isinstance(v, str) for v in t} != {isinstance(v, str) for v in p}:
        raise BenchTypeError(f"predictions (y_pred): label type {type(p[0]).__name__} differs from references (y_true) "
                             f"label type {type(t[0]).__name__}; use one label type for both")
    return t, p


def _check_labels_present(labels: np.ndarray, t: np.ndarray, p: np.ndarray) -> None:
    """Refuse ``labels`` none of which occur in the data; warn about the ones that do not occur."""
    seen = set(t.tolist()) | set(p.tolist())
    absent = [c for c in labels.tolist() if c not in seen]
    if len(absent) == len(labels):
        raise BenchError(f"labels: none of {absent[:5]} occur in references or predictions "
                         f"(seen: {sorted(map(str, seen))[:5]}); check the label spelling")
    if absent:
        warnings.warn(f"labels: {absent[:5]} occur in neither references nor predictions; each scores F1 0 "
                      "and lowers macro-F1 (accuracy counts every sample)", stacklevel=3)
