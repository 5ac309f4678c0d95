"""cz-benchmarks MetadataLabelPredictionTask: LR / kNN / RF with stratified k-fold CV (sklearn)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from bench.errors import BenchError
from bench.metrics.singlecell._checks import check_embedding, check_labels

CLASSIFIERS = ("lr", "knn", "rf")
FOLD_METRICS = ("accuracy", "f1", "precision", "recall", "auroc")


def _classifiers(random_state: int):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "lr": make_pipeline(StandardScaler(with_mean=False), LogisticRegression()),
        "knn": make_pipeline(StandardScaler(with_mean=False), KNeighborsClassifier()),
        "rf": RandomForestClassifier(random_state=random_state),
    }


def label_prediction(X, labels, *, n_folds: int = 5, min_class_size: int = 10, random_state: int = 42,
                     classifiers: Sequence[str] = CLASSIFIERS, n_jobs: int | None = None) -> dict:
    """cz-benchmarks MetadataLabelPredictionTask: CV scores of LR / kNN / RF predicting ``labels``.

    Classes with fewer than ``min_class_size`` cells are dropped; ``StratifiedKFold(n_folds,
    shuffle=True, random_state)``; macro averaging (binary if exactly 2 classes); AUROC is
    one-vs-rest macro on ``predict_proba``. Returns ``mean_fold_<metric>`` (mean over every fold
    of every classifier) and ``mean_fold_<metric>_<classifier>``, plus ``n_cells``/``n_classes``.
    """
    from sklearn.model_selection import StratifiedKFold, cross_validate

    X = check_embedding(X)
    codes, cats = check_labels(labels, len(X))
    counts = np.bincount(codes, minlength=len(cats))
    keep = counts[codes] >= min_class_size
    kept = np.unique(codes[keep])
    if len(kept) < 2:
        raise BenchError(f"labels: needs >= 2 classes with >= {min_class_size} cells each, got {len(kept)}")
    y = np.searchsorted(kept, codes[keep])
    unknown = sorted(set(classifiers) - set(CLASSIFIERS))
    if unknown:
        raise BenchError(f"classifiers: unknown {unknown}; choose from {list(CLASSIFIERS)}")
    from sklearn.metrics import f1_score, make_scorer, precision_score, recall_score

    average = "binary" if len(kept) == 2 else "macro"
    # zero_division=0 is sklearn's value for an empty class; set explicitly to skip the warning spam
    scoring = {"accuracy": "accuracy",
               "f1": make_scorer(f1_score, average=average, zero_division=0),
               "precision": make_scorer(precision_score, average=average, zero_division=0),
               "recall": make_scorer(recall_score, average=average, zero_division=0),
               "auroc": "roc_auc" if average == "binary" else "roc_auc_ovr"}
    cv = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    models = _classifiers(random_state)
    per_classifier: dict = {}
    rows = {m: [] for m in FOLD_METRICS}
    for name in classifiers:
        res = cross_validate(models[name], X[keep], y, cv=cv, scoring=scoring, n_jobs=n_jobs)
        for m in FOLD_METRICS:
            vals = res[f"test_{m}"]
            rows[m].extend(vals.tolist())
            per_classifier[f"mean_fold_{m}_{name}"] = float(np.mean(vals))
    out = {f"mean_fold_{m}": float(np.mean(rows[m])) for m in FOLD_METRICS}
    out.update(per_classifier)
    out["n_cells"] = int(keep.sum())
    out["n_classes"] = int(len(kept))
    out["dropped_classes"] = [str(cats[i]) for i in np.flatnonzero((counts > 0) & (counts < min_class_size))]
    return out
