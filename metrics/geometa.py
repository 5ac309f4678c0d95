"""GEOmeta label-prediction scores: macro/weighted F1, accuracy, per-class F1, and the leaderboard's
"F1 ± std" convention. Pure numpy (no sklearn); tests compare every number with sklearn.

Leaderboard convention (``compat="leaderboard"``, spec §3): upstream turns
``sklearn.metrics.classification_report(y_true, y_pred, labels=<test labels>, output_dict=True)``
into a table and reports the mean and the ddof=1 standard deviation of its ``f1-score`` column
over *all* rows: one per label, plus ``accuracy``, ``macro avg`` and ``weighted avg``. When a
prediction falls outside the labels, sklearn writes a ``micro avg`` row (micro F1 over the
labels) instead of ``accuracy``. The "±" is a spread across classes, not across seeds.
"""
from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from bench.errors import BenchError, BenchTypeError

COMPAT_MODES = (None, "leaderboard")


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


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _counts(t: np.ndarray, p: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = np.array([np.sum((t == c) & (p == c)) for c in labels], dtype=np.int64)
    true_n = np.array([np.sum(t == c) for c in labels], dtype=np.int64)
    pred_n = np.array([np.sum(p == c) for c in labels], dtype=np.int64)
    return tp, true_n, pred_n


def _sorted_unique(*arrays: np.ndarray) -> np.ndarray:
    return np.array(sorted(set().union(*(set(a.tolist()) for a in arrays))), dtype=object)


def f1_scores(y_true: Sequence, y_pred: Sequence, *, labels: Sequence | None = None) -> dict[str, Any]:
    """Plain scores. ``labels`` default: every label in ``y_true`` or ``y_pred`` (as sklearn).

    Returns ``macro_f1``, ``weighted_f1`` (weights = true counts), ``accuracy`` (all samples),
    ``per_class_f1``/``per_class_precision``/``per_class_recall``/``support`` (label -> value),
    ``labels`` and ``n``. Undefined ratios (0/0) count as 0, as sklearn's default.

    >>> r = f1_scores(["a", "a", "b"], ["a", "b", "b"])
    >>> round(r["macro_f1"], 4), round(r["accuracy"], 4), r["per_class_f1"]["a"]
    (0.6667, 0.6667, 0.6666666666666666)
    """
    t, p = _check_pair(y_true, y_pred)
    labs = _sorted_unique(t, p) if labels is None else _as_labels(labels, "labels")
    if len(labs) == 0:
        raise BenchError("labels is empty: nothing to score")
    tp, true_n, pred_n = _counts(t, p, labs)
    precision, recall = _safe_div(tp, pred_n), _safe_div(tp, true_n)
    f1 = _safe_div(2 * tp, true_n + pred_n)
    keys = [str(c) for c in labs]
    return {
        "macro_f1": float(f1.mean()),
        "weighted_f1": float(np.sum(f1 * true_n) / true_n.sum()) if true_n.sum() else 0.0,
        "accuracy": float(np.mean(t == p)),
        "per_class_f1": dict(zip(keys, f1.tolist())),
        "per_class_precision": dict(zip(keys, precision.tolist())),
        "per_class_recall": dict(zip(keys, recall.tolist())),
        "support": dict(zip(keys, true_n.tolist())),
        "labels": keys,
        "n": int(len(t)),
    }


def leaderboard_f1(y_true: Sequence, y_pred: Sequence, *, labels: Sequence | None = None) -> dict[str, Any]:
    """The seed leaderboard's "F1 ± std" (see module docstring). ``labels`` default: the test labels
    (sorted unique ``y_true``).

    Returns ``leaderboard_f1`` (mean), ``leaderboard_f1_std`` (ddof=1), ``leaderboard_rows``
    (row name -> f1-score, in classification_report order), ``leaderboard_micro_row``
    (``"accuracy"`` or ``"micro avg"``) and ``leaderboard_display`` (``"0.840 ± 0.012"``).

    >>> r = leaderboard_f1(["a", "b", "a", "c"], ["a", "b", "b", "d"])
    >>> r["leaderboard_micro_row"], [round(v, 4) for v in r["leaderboard_rows"].values()]
    ('micro avg', [0.6667, 0.6667, 0.0, 0.5714, 0.4444, 0.5])
    """
    t, p = _check_pair(y_true, y_pred)
    labs = _sorted_unique(t) if labels is None else _as_labels(labels, "labels")
    plain = f1_scores(t, p, labels=labs)
    rows = dict(plain["per_class_f1"])
    if set(labs.tolist()) >= set(t.tolist()) | set(p.tolist()):
        micro_name, micro = "accuracy", plain["accuracy"]
    else:
        tp, true_n, pred_n = _counts(t, p, labs)
        micro_name, micro = "micro avg", float(_safe_div(2 * tp.sum(), true_n.sum() + pred_n.sum()))
    rows[micro_name] = micro
    rows["macro avg"] = plain["macro_f1"]
    rows["weighted avg"] = plain["weighted_f1"]
    values = np.array(list(rows.values()), dtype=np.float64)
    mean, std = float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else float("nan")
    return {
        "leaderboard_f1": mean, "leaderboard_f1_std": std, "leaderboard_rows": rows,
        "leaderboard_micro_row": micro_name, "leaderboard_display": format_pm(mean, std),
    }


def format_pm(mean: float, std: float, *, digits: int = 3) -> str:
    """``0.840 ± 0.012`` (display only; returned numbers are never rounded)."""
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def geometa_f1(y_true: Sequence, y_pred: Sequence, *, labels: Sequence | None = None,
               compat: str | None = None) -> dict[str, Any]:
    """Plain scores, plus the leaderboard convention when ``compat="leaderboard"``.

    With ``compat="leaderboard"`` and no ``labels``, the plain scores also use the test labels
    (as upstream's report), so both halves describe the same classes.
    """
    if compat not in COMPAT_MODES:
        raise BenchError(f"unknown compat mode {compat!r}; expected one of {COMPAT_MODES}")
    if labels is not None:
        _check_labels_present(_as_labels(labels, "labels"), *_check_pair(y_true, y_pred))
    if compat == "leaderboard":
        t, p = _check_pair(y_true, y_pred)
        labs = _sorted_unique(t) if labels is None else labels
        out = f1_scores(t, p, labels=labs)
        out.update(leaderboard_f1(t, p, labels=labs))
        return out
    return f1_scores(y_true, y_pred, labels=labels)


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

