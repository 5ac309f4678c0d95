"""AUROC with ``sklearn.metrics.roc_auc_score`` semantics for many label/score rows at once (numpy only).

Shared by every metric that needs AUROC (GeneLab's leave-one-mission-out statistics, the sanity alarms,
the leaderboard's paired tests). :func:`roc_auc_rows` returns the *same floats* as sklearn: it follows
sklearn's computation (distinct-threshold ROC points, dropping collinear points, ``fps / n0``,
``tps / n1``, trapezoid terms ``dx * (y1 + y0) / 2.0`` summed by numpy). The Mann-Whitney rank formula
gives the same number mathematically but differs from sklearn in the last bit for about a third of
inputs, so it is offered only as :func:`roc_auc_rank` (exact value).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from bench.metrics.checks import InvalidInput


def _left_align(mask: np.ndarray, values: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Move the entries of each row where ``mask`` is True to the left; return them and the counts."""
    counts = mask.sum(axis=1)
    rows, cols = np.nonzero(mask)
    slot = np.cumsum(mask, axis=1)[rows, cols] - 1
    out = []
    for v in values:
        packed = np.zeros(mask.shape, dtype=v.dtype)
        packed[rows, slot] = v[rows, cols]
        out.append(packed)
    return out, counts


def roc_auc_rows(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    """AUROC of every row of ``(B, n)`` label and score matrices, equal to sklearn's floats.

    ``y_score`` may be 1-D (the same scores for every row, e.g. permutation tests). Rows whose
    labels have one class get ``nan``.
    """
    y = np.asarray(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    if y.ndim == 1:
        y = y[None, :]
    shared = s.ndim == 1          # one score vector for every row (permutation tests): sort it once
    if shared:
        s = np.broadcast_to(s, y.shape)
    if y.shape != s.shape:
        raise InvalidInput(f"labels {y.shape} and scores {s.shape} must have the same shape")
    n_rows, n = y.shape
    if n == 0:
        return np.full(n_rows, np.nan)
    y = y.astype(bool)
    n1 = y.sum(axis=1)
    n0 = n - n1
    # sklearn: scores sorted descending; one ROC point at the end of each run of equal scores.
    if shared:
        order1 = np.argsort(-s[0], kind="stable")
        s_sorted = np.broadcast_to(s[0][order1], y.shape)
        y_sorted = y[:, order1]
    else:
        order = np.argsort(-s, axis=1, kind="stable")
        s_sorted = np.take_along_axis(s, order, axis=1)
        y_sorted = np.take_along_axis(y, order, axis=1)
    tps = np.cumsum(y_sorted, axis=1, dtype=np.int64)
    fps = np.arange(1, n + 1, dtype=np.int64) - tps
    run_end = np.ones((n_rows, n), dtype=bool)
    run_end[:, :-1] = s_sorted[:, 1:] != s_sorted[:, :-1]
    (fps, tps), k = _left_align(run_end, (fps, tps))
    # sklearn drop_intermediate: keep the first and last points and every corner (a nonzero
    # second difference of fps or tps); only applies when there are more than 2 points.
    pos = np.arange(n)
    keep = pos < k[:, None]
    if n > 2:
        d2f = np.zeros((n_rows, n), dtype=np.int64)
        d2t = np.zeros((n_rows, n), dtype=np.int64)
        d2f[:, 1:-1] = fps[:, 2:] - 2 * fps[:, 1:-1] + fps[:, :-2]
        d2t[:, 1:-1] = tps[:, 2:] - 2 * tps[:, 1:-1] + tps[:, :-2]
        corner = (d2f != 0) | (d2t != 0) | (pos == 0) | (pos == (k - 1)[:, None])
        keep &= corner
    (fps, tps), m = _left_align(keep, (fps, tps))
    # prepend the (0, 0) point, normalise, trapezoid terms
    zero = np.zeros((n_rows, 1))
    fps = np.concatenate([zero, fps.astype(np.float64)], axis=1)
    tps = np.concatenate([zero, tps.astype(np.float64)], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        fpr = fps / n0[:, None].astype(np.float64)
        tpr = tps / n1[:, None].astype(np.float64)
        terms = (fpr[:, 1:] - fpr[:, :-1]) * (tpr[:, 1:] + tpr[:, :-1]) / 2.0
    out = np.full(n_rows, np.nan)
    defined = (n0 > 0) & (n1 > 0)
    # numpy's sum of a length-m row equals the 1-D sum sklearn does only if the row is exactly
    # m long (pairwise summation depends on the length), so sum rows grouped by length.
    for length in np.unique(m[defined]):
        rows = np.nonzero(defined & (m == length))[0]
        out[rows] = np.ascontiguousarray(terms[rows, :length]).sum(axis=1)
    return out


def roc_auc(y_true, y_score) -> float | None:
    """AUROC of one vector (sklearn ``roc_auc_score`` value); None when ``y_true`` has one class."""
    value = roc_auc_rows(np.asarray(y_true)[None, :], np.asarray(y_score, dtype=np.float64)[None, :])[0]
    return None if math.isnan(value) else float(value)


def roc_auc_rank(y_true, y_score) -> float | None:
    """Exact AUROC from average ranks (Mann-Whitney U / (n0 n1)), correctly rounded once.

    Mathematically equal to sklearn's value; may differ from it in the last bit (see module doc).
    """
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(y_score, dtype=np.float64)
    n1 = int(y.sum())
    n0 = y.size - n1
    if n0 == 0 or n1 == 0:
        return None
    order = np.argsort(s, kind="stable")
    s_sorted = s[order]
    starts = np.r_[0, np.flatnonzero(s_sorted[1:] != s_sorted[:-1]) + 1]
    ends = np.r_[starts[1:], s.size]
    twice_rank = np.empty(s.size, dtype=np.int64)  # 2 x average rank (1-based), an integer
    twice_rank[order] = np.repeat(starts + 1 + ends, ends - starts)
    twice_u = int(twice_rank[y].sum()) - n1 * (n1 + 1)
    return twice_u / (2 * n0 * n1)
