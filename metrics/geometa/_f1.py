"""GEOmeta plain label-prediction scores: macro/weighted F1, accuracy, per-class precision/recall/F1.
Pure numpy (no sklearn); tests compare every number with sklearn."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from bench.errors import BenchError
from bench.metrics.geometa._labels import _as_labels, _check_pair


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
