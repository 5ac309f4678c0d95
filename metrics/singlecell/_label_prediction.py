"""cz-benchmarks MetadataLabelPredictionTask: LR / kNN / RF with stratified k-fold CV (sklearn)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, make_scorer, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bench.errors import BenchError
from bench.metrics.singlecell._checks import check_embedding, check_labels
from bench.scheduler import active_runner

CLASSIFIERS = ("lr", "knn", "rf")
FOLD_METRICS = ("accuracy", "f1", "precision", "recall", "auroc")


def _classifiers(random_state: int):
    return {
        "lr": make_pipeline(StandardScaler(with_mean=False), LogisticRegression()),
        "knn": make_pipeline(StandardScaler(with_mean=False), KNeighborsClassifier()),
        "rf": RandomForestClassifier(random_state=random_state),
    }


def _kept_classes(labels, n_cells: int, min_class_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The class filter of :func:`label_prediction`: (mask of the cells kept, kept class codes,
    each kept cell's index among the kept classes, names of the dropped classes); classes under
    ``min_class_size`` cells are dropped."""
    codes, cats = check_labels(labels, n_cells)
    counts = np.bincount(codes, minlength=len(cats))
    keep = counts[codes] >= min_class_size
    kept = np.unique(codes[keep])
    if len(kept) < 2:
        raise BenchError(f"labels: needs >= 2 classes with >= {min_class_size} cells each, got {len(kept)}")
    dropped = [str(cats[i]) for i in np.flatnonzero((counts > 0) & (counts < min_class_size))]
    return keep, kept, np.searchsorted(kept, codes[keep]), dropped


def _cv_setup(X, labels, *, n_folds: int, min_class_size: int, random_state: int, classifiers: Sequence[str]):
    """What :func:`label_prediction` and :func:`label_prediction_oof` share before fitting: the checked
    embedding's kept cells ``Xk``, their class codes ``y``, the class filter (``keep``, ``kept``,
    ``dropped``) and the seeded ``StratifiedKFold`` folds; an unknown classifier is a BenchError."""
    X = check_embedding(X)
    keep, kept, y, dropped = _kept_classes(labels, len(X), min_class_size)
    unknown = sorted(set(classifiers) - set(CLASSIFIERS))
    if unknown:
        raise BenchError(f"classifiers: unknown {unknown}; choose from {list(CLASSIFIERS)}")
    Xk = X[keep]
    folds = list(StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state).split(Xk, y))
    return Xk, y, keep, kept, dropped, folds


def label_prediction(X, labels, *, n_folds: int = 5, min_class_size: int = 10, random_state: int = 42,
                     classifiers: Sequence[str] = CLASSIFIERS, n_jobs: int | None = None) -> dict:
    """cz-benchmarks MetadataLabelPredictionTask: CV scores of LR / kNN / RF predicting ``labels``.

    Classes with fewer than ``min_class_size`` cells are dropped; ``StratifiedKFold(n_folds,
    shuffle=True, random_state)``; macro averaging (binary if exactly 2 classes); AUROC is
    one-vs-rest macro on ``predict_proba``. Returns ``mean_fold_<metric>`` (mean over every fold
    of every classifier) and ``mean_fold_<metric>_<classifier>``, plus ``n_cells``/``n_classes``.
    """
    Xk, y, keep, kept, dropped, folds = _cv_setup(X, labels, n_folds=n_folds, min_class_size=min_class_size,
                                                  random_state=random_state, classifiers=classifiers)
    average = "binary" if len(kept) == 2 else "macro"
    # zero_division=0 is sklearn's value for an empty class; set explicitly to skip the warning spam
    scoring = {"accuracy": "accuracy",
               "f1": make_scorer(f1_score, average=average, zero_division=0),
               "precision": make_scorer(precision_score, average=average, zero_division=0),
               "recall": make_scorer(recall_score, average=average, zero_division=0),
               "auroc": "roc_auc" if average == "binary" else "roc_auc_ovr"}
    jobs = [(name, fold) for name in classifiers for fold in folds]
    scores = _fold_scores(jobs, Xk, y, scoring, random_state, n_jobs)
    per_classifier: dict = {}
    rows = {m: [] for m in FOLD_METRICS}
    for name in classifiers:
        mine = [s for (clf, _), s in zip(jobs, scores) if clf == name]
        for m in FOLD_METRICS:
            vals = np.array([s[m] for s in mine])
            rows[m].extend(vals.tolist())
            per_classifier[f"mean_fold_{m}_{name}"] = float(np.mean(vals))
    out = {f"mean_fold_{m}": float(np.mean(rows[m])) for m in FOLD_METRICS}
    out.update(per_classifier)
    out["n_cells"] = int(keep.sum())
    out["n_classes"] = int(len(kept))
    out["dropped_classes"] = dropped
    return out


def _fold_scores(jobs: list, X: np.ndarray, y: np.ndarray, scoring: dict, random_state: int,
                 n_jobs: int | None) -> list[dict]:
    """Test scores of every (classifier, (train, test)) job, in job order. Serial: sklearn's
    ``cross_validate`` on the folds of each classifier (``n_jobs`` processes); on a Dask cluster
    (:func:`bench.scheduler.scheduler`) one task per fold, ``X`` and ``y`` shared once. A fold
    is the same computation either way, so the scores are identical."""
    runner = active_runner()
    if runner.client is None:
        models, out = _classifiers(random_state), []
        for name in dict.fromkeys(name for name, _ in jobs):
            res = cross_validate(models[name], X, y, cv=[fold for clf, fold in jobs if clf == name],
                                 scoring=scoring, n_jobs=n_jobs)
            out += [{m: float(res[f"test_{m}"][i]) for m in FOLD_METRICS} for i in range(len(res["fit_time"]))]
        return out
    return list(runner.map(_one_fold, jobs, X=runner.share(X), y=runner.share(y), scoring=scoring,
                           random_state=random_state))


def _one_fold(job, *, X, y, scoring, random_state) -> dict:
    """Scores of one classifier on one (train, test) fold (sklearn's ``cross_validate`` on that fold)."""
    name, fold = job
    res = cross_validate(_classifiers(random_state)[name], X, y, cv=[fold], scoring=scoring)
    return {m: float(res[f"test_{m}"][0]) for m in FOLD_METRICS}


def label_prediction_oof(X, labels, *, n_folds: int = 5, min_class_size: int = 10, random_state: int = 42,
                         classifiers: Sequence[str] = CLASSIFIERS) -> dict:
    """The out-of-fold predictions behind :func:`label_prediction`'s F1 (same class filter, the same
    ``StratifiedKFold`` folds, the same seeded classifiers fitted on each fold's training cells):
    ``kept`` (cells scored), per kept cell its ``fold`` and class code ``y``, ``pred[classifier]``
    (predicted codes), ``n_classes``, ``n_folds`` and ``classifiers``. Used by the leaderboard to
    resample cells without refitting."""
    Xk, y, keep, kept, _, folds = _cv_setup(X, labels, n_folds=n_folds, min_class_size=min_class_size,
                                            random_state=random_state, classifiers=classifiers)
    fold = np.empty(len(y), dtype=np.int64)
    pred = {name: np.empty(len(y), dtype=np.int64) for name in classifiers}
    models = _classifiers(random_state)
    for f, (train, test) in enumerate(folds):
        fold[test] = f
        for name in classifiers:
            pred[name][test] = clone(models[name]).fit(Xk[train], y[train]).predict(Xk[test])
    return {"kept": keep, "fold": fold, "y": y, "pred": pred, "n_classes": int(len(kept)), "n_folds": int(n_folds),
            "classifiers": list(classifiers)}
