"""Single-cell's leaderboard input (the family table's ``board`` entry, :func:`board_entry`) for the
``sc_*`` records: units = cells, or donors when ``obs.csv`` has a donor column (the cells of a donor
resampled together). Per primary metric: ``silhouette_score`` and ``entropy_per_cell`` are means of
per-cell values (each cell's value computed once on all cells); ``batch_silhouette`` keeps each
cell's ``1 - |batch silhouette|`` (computed once within its label) and recomputes the per-label means
over the drawn cells, then their mean; ``adjusted_rand_index`` / ``normalized_mutual_info`` resample
cells with their Leiden cluster (clustering not rerun) and recompute ARI / NMI from the label x
cluster counts; ``mean_fold_f1`` resamples cells with their out-of-fold predictions (classifiers not
refitted) and recomputes each fold's F1. Generated floor (unless a run of the random model is among
the records): a seeded gaussian embedding (silhouettes, entropy), the label classes permuted as
clusters (ARI, NMI), labels drawn from each fold's training label frequencies (fold F1). No perfect
control is defined; the scale's ceiling is the metric's maximum, 1."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from bench.baselines.singlecell.records import SC_METRICS, embedding_sha256, read_embedding_and_cells
from bench.results.board_units import Records, check_value, shared_value, units_entry
from bench.errors import BenchError
from bench.metrics import leaderboard as lb
from bench.metrics import singlecell as sc

DONOR_COLUMNS = ("donor_id", "donor")
#: The single-cell primary metrics the board resamples, with the evaluate module that defines each.
SC_PRIMARY_MODULE = {"silhouette_score": SC_METRICS["embedding"], "entropy_per_cell": SC_METRICS["integration"],
                     "batch_silhouette": SC_METRICS["integration"], "adjusted_rand_index": SC_METRICS["clustering"],
                     "normalized_mutual_info": SC_METRICS["clustering"], "mean_fold_f1": SC_METRICS["label_prediction"]}
#: Primary metrics whose generated floor is a gaussian embedding / permuted label classes as clusters.
SC_GAUSSIAN_FLOOR = ("silhouette_score", "entropy_per_cell", "batch_silhouette")
SC_CONTINGENCY = {"adjusted_rand_index": ("ARI", lb.ari_finish), "normalized_mutual_info": ("NMI", lb.nmi_finish)}
SC_SUPPORTED = tuple(SC_PRIMARY_MODULE)


def checked_cells(path: Path, record: dict) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """Embedding and cells of a record in their stored order (the order its scores were computed in:
    Leiden and the CV folds depend on it), checked against the record's sha256, and the row order
    that sorts them by cell id (how the records of a task are aligned)."""
    X, cells, emb_path, _ = read_embedding_and_cells(path, record)
    if embedding_sha256(X, cells["cell_id"].tolist()) != record["predictions"].get("sha256"):
        raise BenchError(f"{emb_path}: its sha256 differs from the record's (the embedding changed); "
                         "run `bench verify` on it")
    return np.asarray(X), cells, np.argsort(cells["cell_id"].to_numpy(dtype=str), kind="stable")


def cell_stats(primary: str, X: np.ndarray, labels: np.ndarray, batches, params: dict):
    """``(per-cell statistics, finisher, what is resampled)`` of a single-cell primary metric."""
    seed = int(params.get("random_state", 42))
    if primary == "silhouette_score":
        values = (sc.silhouette_samples(X, labels) + 1.0) / 2.0
        return np.column_stack([values, np.ones(len(values))]), lb.mean_finish, \
            "the mean of per-cell rescaled silhouettes (each computed once on all cells)"
    if primary == "entropy_per_cell":
        _, values = sc.entropy_per_cell(X, batches, n_neighbors=200, return_per_cell=True)
        return np.column_stack([values, np.ones(len(values))]), lb.mean_finish, \
            "the mean of per-cell batch entropies (each cell's 200 neighbours found once on all cells)"
    if primary == "batch_silhouette":
        values, groups, n_groups = batch_silhouette_cells(X, labels, batches)
        return group_mean_stats(values, groups, n_groups), lb.group_mean_finish(n_groups), \
            ("per cell 1 - |silhouette w.r.t. batch among its label's cells| (computed once on all cells, labels "
             "spanning >= 2 batches as scib); per label the mean over its drawn cells, then the mean over labels")
    if primary in SC_CONTINGENCY:
        name, finisher = SC_CONTINGENCY[primary]
        codes, cats = sc.check_labels(labels, len(X))
        clusters = sc.clustering_scores(X, labels, random_state=seed, return_clusters=True)["clusters"]
        n_clusters = int(clusters.max()) + 1
        return lb.onehot_stats(codes * n_clusters + clusters, len(cats) * n_clusters), \
            finisher(len(cats), n_clusters), \
            f"cells with their Leiden cluster (the clustering is not rerun); {name} recomputed on the drawn cells"
    if primary == "mean_fold_f1":
        oof = sc.label_prediction_oof(X, labels, random_state=seed)
        k, n_folds, names = oof["n_classes"], oof["n_folds"], oof["classifiers"]
        rows = np.flatnonzero(oof["kept"])
        codes = np.concatenate([((c * n_folds + oof["fold"]) * k + oof["y"]) * k + oof["pred"][name]
                                for c, name in enumerate(names)])
        stats = sparse.csr_matrix((np.ones(len(codes)), (np.tile(rows, len(names)), codes)),
                                  shape=(len(X), len(names) * n_folds * k * k))
        return stats, lb.fold_f1_finish(len(names), n_folds, k), \
            "cells with their out-of-fold predictions (the classifiers are not refitted); each CV fold's F1 " \
            "recomputed on its drawn cells, mean over folds and classifiers"
    raise BenchError(f"the board cannot resample single-cell metric {primary!r} yet (supported: "
                     f"{', '.join(SC_SUPPORTED)})")


def batch_silhouette_cells(X: np.ndarray, labels: np.ndarray, batches) -> tuple[np.ndarray, np.ndarray, int]:
    """Per cell ``1 - |s|`` (s: scib's float32 silhouette w.r.t. batch among the cells of its label), the
    cell's label group (-1 for labels scib leaves out: one batch, or one cell per batch) and the number of groups."""
    if batches is None:
        raise BenchError("metric.params.batch_key: batch_silhouette needs the batch column of obs.csv; "
                         "the record names none")
    codes, cats = sc.check_labels(labels, len(X))
    bcodes, _ = sc.check_labels(batches, len(X), name="batch")
    values, groups, n_groups = np.zeros(len(X)), np.full(len(X), -1), 0
    for li in range(len(cats)):
        mask = codes == li
        kinds = np.unique(bcodes[mask])
        if len(kinds) == 1 or len(kinds) == int(mask.sum()):
            continue
        values[mask] = 1.0 - np.abs(sc.silhouette_samples(X[mask], bcodes[mask]))
        groups[mask], n_groups = n_groups, n_groups + 1
    if not n_groups:
        raise BenchError("batch: no label has cells from two or more batches, so batch silhouette is undefined")
    return values, groups, n_groups


def group_mean_stats(values: np.ndarray, groups: np.ndarray, n_groups: int) -> sparse.csr_matrix:
    """Rows ``[value in its group's column, 1 in its group's count column]`` (cells of group -1: empty rows)."""
    rows = np.flatnonzero(groups >= 0)
    cols = np.concatenate([groups[rows], groups[rows] + n_groups])
    data = np.concatenate([values[rows], np.ones(len(rows))])
    return sparse.csr_matrix((data, (np.tile(rows, 2), cols)), shape=(len(values), 2 * n_groups))


def board_entry(task: str, records: Records, *, data_dir=None, seed: int = 0) -> dict:
    """Cells (or donors); the primary metric recomputed on the drawn units."""
    params = shared_value(records, "metric parameters", lambda r: (r["metric"].get("primary"), r["metric"].get("params")))[1]
    primary = records[0][1]["metric"]["primary"]
    if primary == "batch_silhouette" and not params.get("batch_key"):
        raise BenchError(f"{records[0][0]}: field metric.params.batch_key is empty; batch_silhouette needs the "
                         "batch column of obs.csv")
    shared_value(records, "cells and labels (labels_sha256)", lambda r: r.get("labels_sha256"))
    loaded = [(path, record, *checked_cells(path, record)) for path, record in records]
    cells = loaded[0][3].iloc[loaded[0][4]].reset_index(drop=True)  # sorted by cell id
    donor = next((c for c in DONOR_COLUMNS if c in cells.columns), None)
    if donor:
        groups = cells[donor].to_numpy(dtype=str)
        units = sorted(set(groups.tolist()))
        position = {u: k for k, u in enumerate(units)}
        members = sparse.csr_matrix((np.ones(len(groups)), ([position[g] for g in groups], np.arange(len(groups)))),
                                    shape=(len(units), len(groups)))
        unit = f"donors (obs.csv column {donor})"
    else:
        units, members, unit = cells["cell_id"].tolist(), None, "cells"
    entry = None
    for path, record, X, obs, order in loaded:
        ordered = obs.iloc[order]
        if ordered["cell_id"].tolist() != cells["cell_id"].tolist():
            raise BenchError(f"{path}: its cells differ from those of {loaded[0][0]}")
        if donor and (donor not in obs or not (ordered[donor].to_numpy(dtype=str) == groups).all()):
            raise BenchError(f"{path}: its obs.csv column {donor} differs from that of {loaded[0][0]}")
        labels = obs[params["label_key"]].to_numpy(dtype=object)
        batches = obs[params["batch_key"]].to_numpy(dtype=object) if params.get("batch_key") else None
        stats, finish, what = cell_stats(primary, X, labels, batches, params)
        stats = per_unit(stats[order], members)  # rows by cell id, then summed per unit
        if entry is None:
            entry = units_entry(unit, units, f"{unit}: {what}", f"{SC_PRIMARY_MODULE[primary]} {primary}",
                           ceiling=1.0, ceiling_note="no perfect control is defined for an embedding; "
                           "the ceiling is the metric's maximum, 1")
        total = np.asarray(stats.sum(axis=0)).reshape(1, -1)
        check_value(path, record["value"].get("value"), float(finish(total)[0]), 1e-6)
        entry["runs"].append((path, record, (stats, finish)))
    stats, finish, rule = sc_random_floor(primary, cells, params, loaded[0][2].shape[1], seed)
    entry["generated"] = {"control:random": (per_unit(stats, members), finish)}
    entry["generated_note"] = f"random = {rule}"
    return entry


def per_unit(stats, members):
    """Per-cell statistics summed per resampling unit (``members``: donors x cells, None = cells are the
    units), as a CSR matrix or a dense array."""
    if members is not None:
        stats = members @ stats
    return stats.tocsr() if sparse.issparse(stats) else np.asarray(stats)


def sc_random_floor(primary: str, cells: pd.DataFrame, params: dict, dim: int, seed: int):
    """``(per-cell statistics, finisher, rule)`` of the seeded random floor of a single-cell metric on
    ``cells`` (sorted by cell id); every primary :func:`cell_stats` accepts has one."""
    rng = np.random.default_rng(seed)
    labels = cells[params["label_key"]].to_numpy(dtype=object)
    batches = cells[params["batch_key"]].to_numpy(dtype=object) if params.get("batch_key") else None
    if primary in SC_GAUSSIAN_FLOOR:
        X = rng.standard_normal((len(cells), dim))
        stats, finish, _ = cell_stats(primary, X, labels, batches, params)
        return stats, finish, (f"a standard gaussian embedding of the same cells and width ({dim}), "
                               "default_rng(seed).standard_normal((cells sorted by id, width)), scored as the runs")
    if primary in SC_CONTINGENCY:
        codes, cats = sc.check_labels(labels, len(cells))
        clusters = rng.permutation(codes)
        k = len(cats)
        return lb.onehot_stats(codes * k + clusters, k * k), SC_CONTINGENCY[primary][1](k, k), \
            ("random clusters with the label classes' sizes: the label codes (classes sorted) of the cells sorted "
             "by id, permuted by default_rng(seed).permutation")
    if primary == "mean_fold_f1":
        return fold_f1_random_floor(labels, params, rng)
    raise BenchError(f"no random floor is defined for {primary!r}")


def fold_f1_random_floor(labels: np.ndarray, params: dict, rng: np.random.Generator):
    """mean_fold_f1's floor: the metric's class filter and StratifiedKFold folds on the cells sorted by id;
    each fold's cells get labels drawn by ``rng.choice`` from the label frequencies of the fold's training
    cells (folds in order); one "classifier"."""
    oof = sc.label_prediction_oof(np.zeros((len(labels), 1)), labels, random_state=int(params.get("random_state", 42)),
                                  classifiers=())
    k, n_folds, fold, y = oof["n_classes"], oof["n_folds"], oof["fold"], oof["y"]
    pred = np.empty(len(y), dtype=np.int64)
    for f in range(n_folds):
        freq = np.bincount(y[fold != f], minlength=k) / np.count_nonzero(fold != f)
        pred[fold == f] = rng.choice(k, np.count_nonzero(fold == f), p=freq)
    rows = np.flatnonzero(oof["kept"])
    stats = sparse.csr_matrix((np.ones(len(rows)), (rows, (fold * k + y) * k + pred)),
                              shape=(len(labels), n_folds * k * k))
    return stats, lb.fold_f1_finish(1, n_folds, k), \
        ("per CV fold (the metric's class filter and StratifiedKFold folds on the cells sorted by id), labels drawn "
         "by default_rng(seed).choice from the fold's training label frequencies, folds in order")
