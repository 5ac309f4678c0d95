"""GEOmeta's ``geometa_f1``: the plain scores and the seed leaderboard's "F1 ± std" convention.

Leaderboard convention (``compat="leaderboard"``, spec §3): upstream turns
``sklearn.metrics.classification_report(y_true, y_pred, labels=<test labels>, output_dict=True)``
into a table and reports the mean and the ddof=1 standard deviation of its ``f1-score`` column
over *all* rows: one per label, plus ``accuracy``, ``macro avg`` and ``weighted avg``. When a
prediction falls outside the labels, sklearn writes a ``micro avg`` row (micro F1 over the
labels) instead of ``accuracy``. The "±" is a spread across classes, not across seeds.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from bench.errors import BenchError
from bench.metrics.geometa._f1 import _counts, _safe_div, _sorted_unique, f1_scores
from bench.metrics.geometa._labels import _as_labels, _check_labels_present, _check_pair

COMPAT_MODES = (None, "leaderboard")


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
