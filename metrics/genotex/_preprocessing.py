"""GenoTEX preprocessing similarity (spec §3.4) of two pandas tables (samples × features)."""
from __future__ import annotations

import math
import warnings
from typing import Mapping, Sequence

import numpy as np

from bench.metrics.genotex._problems import round2

#: The per-table similarity keys, in output order.
SIMILARITY_KEYS = ("attributes_jaccard", "samples_jaccard", "feature_correlation", "composite_similarity_correlation")


def _jaccard_names(a, b) -> float:
    a, b = set(map(str, a)), set(map(str, b))
    return len(a & b) / len(a | b) if a | b else 0.0


class IncomparableTable(ValueError):
    """Preprocessed tables whose common cells cannot be compared (non-numeric values, duplicate labels)."""


def _as_float(frame, side: str) -> np.ndarray:
    try:
        return frame.apply(lambda s: s.astype(float)).to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise IncomparableTable(f"{side} table has a non-numeric value in a common column ({exc})") from None


def feature_correlation(pred, ref) -> float:
    """Mean population Pearson r over common columns and common samples (rows).

    NaN is filled with the column mean, then 0; columns constant on either side are skipped;
    0 when nothing is comparable; :class:`IncomparableTable` for non-numeric cells or duplicate labels.
    """
    rows = [r for r in pred.index if r in set(ref.index)]
    cols = [c for c in pred.columns if c in set(ref.columns)]
    if not rows or not cols:
        return 0.0
    p = _as_float(pred.loc[rows, cols], "predicted")
    r = _as_float(ref.loc[rows, cols], "reference")
    if p.shape != r.shape:  # duplicate row or column labels: the common cells do not line up
        raise IncomparableTable(f"duplicate sample or feature labels: {p.shape} predicted vs {r.shape} reference "
                                "values over the common samples and features")
    p = _fill_col_mean(p)
    r = _fill_col_mean(r)
    ok = (np.ptp(p, axis=0) > 0) & (np.ptp(r, axis=0) > 0)
    if not ok.any():
        return 0.0
    pc = p[:, ok] - p[:, ok].mean(axis=0)
    rc = r[:, ok] - r[:, ok].mean(axis=0)
    corr = (pc * rc).sum(axis=0) / np.sqrt((pc ** 2).sum(axis=0) * (rc ** 2).sum(axis=0))
    value = float(np.nanmean(corr)) if np.isfinite(corr).any() else 0.0
    return 0.0 if math.isnan(value) else value


def _fill_col_mean(a: np.ndarray) -> np.ndarray:
    """Replace NaN by the column mean (all-NaN columns become 0)."""
    a = a.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of an all-NaN column
        means = np.nanmean(a, axis=0)
    idx = np.where(np.isnan(a))
    a[idx] = np.take(means, idx[1])
    return np.nan_to_num(a, nan=0.0)


def table_similarity(pred, ref) -> dict:
    """Jaccard of columns (attributes) and of rows (samples), mean Pearson r and their product.

    Both frames must already be samples × features. Fractions, not ×100. Empty → all 0.
    """
    if pred.empty or ref.empty:
        return table_zero()
    out = {"attributes_jaccard": _jaccard_names(pred.columns, ref.columns),
           "samples_jaccard": _jaccard_names(pred.index, ref.index),
           "feature_correlation": feature_correlation(pred, ref)}
    out["composite_similarity_correlation"] = (out["attributes_jaccard"] * out["samples_jaccard"]
                                               * out["feature_correlation"])
    return out


def table_zero() -> dict:
    """The score of a table that is missing or cannot be read: every similarity 0."""
    return dict.fromkeys(SIMILARITY_KEYS, 0.0)


def similarity_means(rows: Sequence[Mapping[str, float]], *, compat: str = "v2") -> dict:
    """nanmean of every similarity key over the scored tables (rounded to 2 except in bench mode), and
    ``n_files``; NaN means when no table was scored."""
    rnd = (lambda x: x) if compat == "bench" else round2
    out = {k: (rnd(float(np.nanmean([r[k] for r in rows]))) if rows else float("nan")) for k in SIMILARITY_KEYS}
    out["n_files"] = len(rows)
    return out
