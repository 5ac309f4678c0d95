"""Every applicable metric on one embedding (``bench evaluate-embedding`` and ``bench run``)."""
from __future__ import annotations

from typing import Sequence

from bench.errors import BenchError
from bench.metrics.singlecell._checks import (
    _require_groups, _require_no_singletons, check_embedding, check_labels)
from bench.metrics.singlecell._clustering import clustering_scores
from bench.metrics.singlecell._entropy import entropy_per_cell
from bench.metrics.singlecell._label_prediction import CLASSIFIERS, FOLD_METRICS, label_prediction
from bench.metrics.singlecell._silhouette import silhouette_batch, silhouette_label

EMBEDDING_TASKS = ("clustering", "embedding", "label_prediction", "integration")


def score_embedding(X, labels, *, batches=None, tasks: Sequence[str] | None = None, random_state: int = 42,
                    n_neighbors_entropy: int = 200) -> list[dict]:
    """Score one embedding on every applicable cz-benchmarks task.

    Returns tidy rows ``{"task", "metric", "value", "params"}``. ``integration`` runs only with
    ``batches``. All inputs are validated before any computation starts.
    """
    X = check_embedding(X)
    codes, cats = check_labels(labels, len(X))
    _require_groups(codes, cats, name="labels", what="labels")
    _require_no_singletons(codes, cats, name="labels")
    if batches is not None:
        bcodes, bcats = check_labels(batches, len(X), name="batch")
        _require_groups(bcodes, bcats, name="batch", what="batches")
    tasks = list(tasks or [t for t in EMBEDDING_TASKS if t != "integration" or batches is not None])
    unknown = sorted(set(tasks) - set(EMBEDDING_TASKS))
    if unknown:
        raise BenchError(f"tasks: unknown {unknown}; choose from {list(EMBEDDING_TASKS)}")
    if "integration" in tasks and batches is None:
        raise BenchError("tasks: 'integration' needs batch labels (batch_key)")
    rows: list[dict] = []

    def add(task, metric, value, **params):
        rows.append({"task": task, "metric": metric, "value": float(value), "params": params})

    if "clustering" in tasks:
        res = clustering_scores(X, labels, random_state=random_state)
        add("clustering", "adjusted_rand_index", res["adjusted_rand_index"])
        add("clustering", "normalized_mutual_info", res["normalized_mutual_info"])
    if "embedding" in tasks:
        add("embedding", "silhouette_score", silhouette_label(X, labels))
    if "label_prediction" in tasks:
        res = label_prediction(X, labels, random_state=random_state)
        for m in FOLD_METRICS:
            add("label_prediction", f"mean_fold_{m}", res[f"mean_fold_{m}"], classifier="MEAN(knn,lr,rf)")
        for clf in CLASSIFIERS:
            for m in FOLD_METRICS:
                add("label_prediction", f"mean_fold_{m}", res[f"mean_fold_{m}_{clf}"], classifier=clf)
    if "integration" in tasks:
        add("integration", "entropy_per_cell", entropy_per_cell(X, batches, n_neighbors=n_neighbors_entropy))
        add("integration", "batch_silhouette", silhouette_batch(X, labels, batches))
    return rows
