"""Sanity alarms: checks that say a result is impossible or meaningless, on plain arrays.

Every check returns a list of :class:`Alarm` (empty when all is well); ``bench evaluate`` prints
them as warnings and a result record stores them in its ``alarms`` field. The checks:

* ``constant_predictions`` / ``nan_predictions``: a fold whose scores are all equal (its AUROC is
  0.5 by construction) or contain NaN.
* ``missing_ids`` / ``extra_ids``: predictions keyed by sample id that do not cover the fold's test
  samples exactly.
* ``impossible_auroc``: a claimed fold AUROC that no ranking of that fold can produce. With ``n1``
  positives and ``n0`` negatives an AUROC is ``U / (n1 n0)`` where the Mann-Whitney ``U`` moves in
  steps of 1/2 (ties count half), so ``2 n1 n0 AUROC`` must be an integer in ``[0, 2 n1 n0]``.
* ``below_random_floor``: a mean AUROC below the 2.5th percentile of the mean AUROC that uniformly
  random scores reach on the same folds (a seeded simulation): worse than chance, e.g. inverted
  labels or predictions in the wrong row order.
* ``order_dependent``: the score changes when each fold's rows (label and score together) are
  shuffled, i.e. the metric or the predictions depend on row order instead of sample ids.
* ``gene_universe``: predicted genes that are not the data's genes (e.g. symbols against Ensembl
  ids, or another organism).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Sequence

import numpy as np

from bench.metrics.auroc import roc_auc, roc_auc_rows

#: Fold data as ``(fold name, labels, scores)``, the input of :func:`bench.metrics.genelab.lomo.evaluate_folds`.
Fold = tuple[str, np.ndarray, np.ndarray]
RANDOM_FLOOR_DRAWS = 1000
RANDOM_FLOOR_SEED = 0
_PREVIEW = 5


@dataclass(frozen=True)
class Alarm:
    """One alarm: a stable ``id`` (the record field) and a message naming where and what."""

    id: str
    message: str
    fold: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        return f"[{self.id}] {self.message}"


def _preview(ids: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in list(ids)[:_PREVIEW])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > _PREVIEW else "")


def prediction_alarms(folds: Iterable[Fold]) -> list[Alarm]:
    """NaN scores and folds whose scores are all equal (AUROC 0.5 whatever the labels)."""
    out = []
    for name, _, s in folds:
        s = np.asarray(s, dtype=np.float64)
        n_nan = int(np.isnan(s).sum())
        if n_nan:
            out.append(Alarm("nan_predictions", f"fold {name!r}: {n_nan} of {s.size} scores are NaN", name))
        finite = s[~np.isnan(s)]
        if finite.size > 1 and np.all(finite == finite[0]):
            out.append(Alarm("constant_predictions", f"fold {name!r}: all {finite.size} scores equal {float(finite[0])!r}; "
                             "its AUROC is 0.5 by construction and says nothing about the model", name))
    return out


def id_alarms(predicted: dict[str, Iterable[str]], expected: dict[str, Sequence[str]]) -> list[Alarm]:
    """Sample ids missing from or foreign to each fold's predictions (and folds missing or extra)."""
    out = []
    for fold in sorted(set(expected) - set(predicted)):
        out.append(Alarm("missing_ids", f"fold {fold!r} has no predictions (expected {len(expected[fold])} samples)", fold))
    for fold in sorted(set(predicted) - set(expected)):
        out.append(Alarm("extra_ids", f"fold {fold!r} is not a fold of the data", fold))
    for fold in sorted(set(predicted) & set(expected)):
        got, want = list(predicted[fold]), list(expected[fold])
        got_set, want_set = set(got), set(want)
        missing = [i for i in want if i not in got_set]
        extra = [i for i in got if i not in want_set]
        if missing:
            out.append(Alarm("missing_ids", f"fold {fold!r}: {len(missing)} test sample(s) without a prediction: "
                             f"{_preview(missing)}", fold))
        if extra:
            out.append(Alarm("extra_ids", f"fold {fold!r}: {len(extra)} predicted id(s) are not test samples of "
                             f"this fold: {_preview(extra)}", fold))
    return out


def auroc_is_attainable(auroc: float, n_pos: int, n_neg: int, *, tol: float = 1e-9) -> bool:
    """True when some ranking of ``n_pos`` positives and ``n_neg`` negatives has this AUROC."""
    if n_pos <= 0 or n_neg <= 0 or not math.isfinite(auroc) or not -tol <= auroc <= 1 + tol:
        return False
    half_steps = 2 * auroc * n_pos * n_neg
    return abs(half_steps - round(half_steps)) <= tol * max(1.0, 2 * n_pos * n_neg)


def impossible_auroc_alarms(per_fold: Iterable[dict]) -> list[Alarm]:
    """Fold AUROCs (rows with fold, n_flight, n_ground, auroc) that no ranking can produce."""
    out = []
    for row in per_fold:
        auroc = row.get("auroc")
        if auroc is None:
            continue
        n1, n0 = int(row["n_flight"]), int(row["n_ground"])
        if not auroc_is_attainable(float(auroc), n1, n0):
            out.append(Alarm("impossible_auroc", f"fold {row['fold']!r}: AUROC {auroc!r} is impossible with {n1} "
                             f"positives and {n0} negatives (attainable values are multiples of "
                             f"1/{2 * n1 * n0})", row["fold"]))
    return out


def random_floor(folds: Sequence[Fold], *, n_draws: int = RANDOM_FLOOR_DRAWS,
                 seed: int = RANDOM_FLOOR_SEED) -> tuple[float, float] | None:
    """2.5th and 97.5th percentiles of the mean fold AUROC of uniformly random scores on these folds.

    Each draw gives every sample of every fold a ``default_rng(seed).random()`` score (folds in the
    given order); folds with one class are left out as in the evaluator. None when no fold is defined.
    """
    rng = np.random.default_rng(seed)
    per_fold = []
    for _, y, _ in folds:
        y = np.asarray(y).astype(bool)
        scores = rng.random((n_draws, y.size))
        if y.any() and not y.all():
            per_fold.append(roc_auc_rows(np.broadcast_to(y, scores.shape), scores))
    if not per_fold:
        return None
    means = np.mean(per_fold, axis=0)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def below_random_floor_alarm(folds: Sequence[Fold], mean_auroc: float | None, **kwargs) -> list[Alarm]:
    """An alarm when ``mean_auroc`` lies below the random floor's 95% interval on these folds."""
    floor = random_floor(folds, **kwargs)
    if mean_auroc is None or floor is None or mean_auroc >= floor[0]:
        return []
    return [Alarm("below_random_floor", f"mean AUROC {mean_auroc:.3f} is below the random floor's 95% interval "
                  f"[{floor[0]:.3f}, {floor[1]:.3f}] on these folds: worse than chance (inverted labels or "
                  "scores, or predictions matched to the wrong samples?)")]


def order_dependence_alarms(folds: Sequence[Fold], *, metric: Callable = roc_auc, seed: int = 0,
                            tol: float = 1e-12) -> list[Alarm]:
    """Recompute ``metric(y, s)`` after shuffling each fold's rows (pairs kept together); alarm on change."""
    rng = np.random.default_rng(seed)
    out = []
    for name, y, s in folds:
        y, s = np.asarray(y), np.asarray(s, dtype=np.float64)
        perm = rng.permutation(y.size)
        before, after = metric(y, s), metric(y[perm], s[perm])
        if before is None and after is None:
            continue
        if before is None or after is None or abs(before - after) > tol:
            out.append(Alarm("order_dependent", f"fold {name!r}: the score changes from {before!r} to {after!r} "
                             "when the rows are shuffled; results must depend on sample ids, not row order", name))
    return out


def gene_universe_alarm(predicted: Iterable[str], data: Iterable[str], *, what: str = "predicted genes",
                        min_overlap: float = 1.0) -> list[Alarm]:
    """An alarm when fewer than ``min_overlap`` of the predicted genes are genes of the data."""
    pred = list(dict.fromkeys(str(g) for g in predicted))
    universe = set(str(g) for g in data)
    if not pred:
        return [Alarm("gene_universe", f"{what}: no genes given")]
    foreign = [g for g in pred if g not in universe]
    share = 1 - len(foreign) / len(pred)
    if share >= min_overlap:
        return []
    hint = ""
    if foreign and universe:
        a, b = foreign[0], next(iter(sorted(universe)))
        hint = f" (e.g. {a!r} vs the data's {b!r}: different identifier type or organism?)"
    return [Alarm("gene_universe", f"{what}: {len(foreign)} of {len(pred)} are not genes of the data "
                  f"({share:.0%} overlap): {_preview(foreign)}{hint}")]


def lomo_alarms(folds: Sequence[Fold], per_fold: Sequence[dict], mean_auroc: float | None) -> list[Alarm]:
    """Every array-level alarm for a GeneLab lomo_auroc result (folds as scored, per-fold rows, mean)."""
    return (prediction_alarms(folds) + impossible_auroc_alarms(per_fold)
            + below_random_floor_alarm(folds, mean_auroc) + order_dependence_alarms(folds))
