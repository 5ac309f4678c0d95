"""The resampling units of the GEOmeta, GenoTEX and single-cell boards (``bench leaderboard``): one small
adapter per family turns a task's result records into per-unit sufficient statistics and the finisher
that recomputes the metric from their sum (:func:`bench.metrics.leaderboard.resampled_draws`).

* GEOmeta (``geometa_f1``, macro-F1): units = studies (GSE series of the label tables); a study
  carries its test samples' per-class hit/true/predicted counts per target; a draw's value is the
  mean over targets of the macro-F1 recomputed on the drawn studies' samples. Generated controls:
  the seeded uniform-random label floor and the perfect control (the labels as predictions).
* GenoTEX (``gta_gene_set`` analysis / ``gta_selection``): units = problems (trait/condition); a
  problem carries ``[score, 1]`` (``[0, 0]`` when the model failed it, as the evaluator's NaN-skipping
  mean); a draw's value is the mean over the drawn problems (not rounded). Generated controls: the
  perfect control (the reference scored against itself) and, for the analysis part, a seeded random
  floor (:data:`GTA_RANDOM_RULE`: per problem a random gene list of the reference's size from the
  trait's genes).
* single-cell (``sc_*``): units = cells, or donors when ``obs.csv`` has a donor column (the cells of
  a donor resampled together). Per primary metric: ``silhouette_score`` and ``entropy_per_cell`` are
  means of per-cell values (each cell's value computed once on all cells); ``batch_silhouette`` keeps
  each cell's ``1 - |batch silhouette|`` (computed once within its label) and recomputes the per-label
  means over the drawn cells, then their mean; ``adjusted_rand_index`` / ``normalized_mutual_info``
  resample cells with their Leiden cluster (clustering not rerun) and recompute ARI / NMI from the
  label x cluster counts; ``mean_fold_f1`` resamples cells with their out-of-fold predictions
  (classifiers not refitted) and recomputes each fold's F1. Generated floor (unless a run of the
  random model is among the records): a seeded gaussian embedding (silhouettes, entropy), the label
  classes permuted as clusters (ARI, NMI), labels drawn from each fold's training label frequencies
  (fold F1). No perfect control is defined; the scale's ceiling is the metric's maximum, 1.

Every adapter checks that the records of a task agree (metric, parameters, evaluated ids, labels)
and that the board's full-data value equals each record's value, naming the record that differs.
"""
from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from scipy import sparse

from bench.errors import BenchError
from bench.family_records import (SC_METRICS, canonical_sha256, embedding_sha256, file_beside,
                                  genotex_reference, geometa_labels, geometa_series, read_embedding_and_cells,
                                  reference_files, tree_files)
from bench.metrics import leaderboard as lb

Records = list  # [(path, record)]
DONOR_COLUMNS = ("donor_id", "donor")
#: The single-cell primary metrics the board resamples, with the evaluate module that defines each.
SC_PRIMARY_MODULE = {"silhouette_score": SC_METRICS["embedding"], "entropy_per_cell": SC_METRICS["integration"],
                     "batch_silhouette": SC_METRICS["integration"], "adjusted_rand_index": SC_METRICS["clustering"],
                     "normalized_mutual_info": SC_METRICS["clustering"], "mean_fold_f1": SC_METRICS["label_prediction"]}
#: Primary metrics whose generated floor is a gaussian embedding / permuted label classes as clusters.
SC_GAUSSIAN_FLOOR = ("silhouette_score", "entropy_per_cell", "batch_silhouette")
SC_CONTINGENCY = {"adjusted_rand_index": ("ARI", lb.ari_finish), "normalized_mutual_info": ("NMI", lb.nmi_finish)}
SC_SUPPORTED = tuple(SC_PRIMARY_MODULE)


def _same(records: Records, what: str, get: Callable[[dict], object]) -> object:
    """The value ``get(record)`` shared by every record of a task; BenchError naming the first that differs."""
    first_path, first = records[0]
    want = get(first)
    for path, record in records[1:]:
        if get(record) != want:
            raise BenchError(f"{path}: its {what} ({get(record)!r}) differs from that of {first_path} ({want!r}); "
                             f"records of one task must share it to be ranked together")
    return want


def _check_value(path: Path, claimed, recomputed: float, tol: float) -> None:
    if claimed is None or not math.isclose(float(claimed), recomputed, rel_tol=0, abs_tol=tol):
        raise BenchError(f"{path}: the board recomputes {recomputed!r} from its predictions but the record says "
                         f"{claimed!r}; run `bench verify` on it")


def _entry(unit: str, units: list[str], resampled: str, metric: str, *, ceiling: float | None,
           ceiling_note: str) -> dict:
    """A task's board entry; ``runs`` gets ``(path, record, (stats, finisher))`` per record and
    ``generated`` ``{control: (stats, finisher)}``."""
    return {"kind": "units", "unit": unit, "units": units, "folds": units, "runs": [],
            "generated": {}, "resampled": resampled, "metric": metric, "ceiling": ceiling, "ceiling_note": ceiling_note}


# ------------------------------------------------------------------------------------------ GEOmeta

def _geometa_predictions(path: Path, record: dict) -> dict[str, dict[str, str]]:
    pred_path = file_beside(path, record, "file")
    preds = json.loads(pred_path.read_text(encoding="utf-8"))
    if not isinstance(preds, dict) or not all(isinstance(p, dict) for p in preds.values()):
        raise BenchError(f"{pred_path}: expected {{target: {{GSM id: label}}}}")
    if canonical_sha256(preds) != record["predictions"].get("sha256"):
        raise BenchError(f"{pred_path}: its sha256 differs from the record's (the predictions changed); "
                         "run `bench verify` on it")
    return {str(t): {str(i): str(v) for i, v in p.items()} for t, p in preds.items()}


def geometa_units(task: str, records: Records, *, data_dir=None, seed: int = 0) -> dict:
    """Studies (GSE) with their test samples; macro-F1 recomputed per target on the drawn studies."""
    from bench.tasks import get_task

    spec = get_task(task)
    _same(records, "metric", lambda r: (r["metric"].get("id"), r["metric"].get("primary")))
    if records[0][1]["metric"].get("primary") != "macro_f1":
        raise BenchError(f"{records[0][0]}: the board resamples GEOmeta macro_f1; this record's primary is "
                         f"{records[0][1]['metric'].get('primary')!r}")
    _same(records, "evaluated GSM ids (splits.sha256)", lambda r: r["splits"]["sha256"])
    preds = [(path, record, _geometa_predictions(path, record)) for path, record in records]
    targets = list(preds[0][2])
    ids = {t: sorted(preds[0][2][t]) for t in targets}
    all_labels = geometa_labels(spec, targets, data_dir)
    missing = [i for t in targets for i in ids[t] if i not in all_labels[t]]
    if missing:
        raise BenchError(f"{records[0][0]}: {len(missing)} predicted GSM id(s) have no label under the data dir "
                         f"(first {missing[0]}); run `bench verify` on it")
    labels = {t: {i: str(all_labels[t][i]) for i in ids[t]} for t in targets}
    for path, record in records:
        if canonical_sha256(labels) != record.get("labels_sha256"):
            raise BenchError(f"{path}: its labels sha256 differs from the labels of task {task} under the data dir "
                             "(computed on other data); run `bench verify` on it")
    series = geometa_series(spec, data_dir)
    study = {i: series.get(i) or f"(no GSE) {i}" for t in targets for i in ids[t]}
    units = sorted(set(study.values()))
    position = {u: k for k, u in enumerate(units)}
    classes = {t: sorted(set(labels[t].values())) for t in targets}
    finish = lb.macro_f1_finish([len(classes[t]) for t in targets])
    entry = _entry("studies (GSE)", units,
                   "studies (GSE series) with all their test samples; macro-F1 recomputed per target on the drawn "
                   "studies' samples, mean over targets", "geometa_f1 macro_f1", ceiling=None, ceiling_note="")

    def stats(predicted: dict[str, dict[str, str]]) -> np.ndarray:
        blocks = []
        for t in targets:
            code = {c: k for k, c in enumerate(classes[t])}
            y = np.array([code[labels[t][i]] for i in ids[t]])
            p = np.array([code.get(predicted[t][i], -1) for i in ids[t]])
            u = np.array([position[study[i]] for i in ids[t]])
            blocks.append(lb.confusion_stats(u, y, p, len(classes[t]), len(units)))
        return np.hstack(blocks)

    for path, record, predicted in preds:
        s = stats(predicted)
        _check_value(path, record["value"].get("value"), float(finish(s.sum(axis=0, keepdims=True))[0]), 1e-9)
        entry["runs"].append((path, record, (s, finish)))
    rng = np.random.default_rng(seed)
    guesses = {}
    for t in targets:
        picks = rng.integers(0, len(classes[t]), len(ids[t]))
        guesses[t] = {i: classes[t][k] for i, k in zip(ids[t], picks)}
    entry["generated"] = {"control:random": (stats(guesses), finish), "control:perfect": (stats(labels), finish)}
    entry["generated_note"] = ("random = a label drawn uniformly from the target's test classes per sample "
                               "(default_rng(seed + task index), targets in order, samples by GSM id); "
                               "perfect = the labels as predictions")
    return entry


# ------------------------------------------------------------------------------------------ GenoTEX

GTA_KEYS = {"analysis": None, "selection": "accuracy"}


def _problem_stats(rows: list[dict], key: str, units: list[str], where: str) -> np.ndarray:
    position = {u: k for k, u in enumerate(units)}
    out = np.zeros((len(units), 2))
    for row in rows:
        unit = f"{row['trait']}/{row['condition']}"
        if unit not in position:
            raise BenchError(f"{where}: problem {unit} is not among the reference's problems")
        value = row.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[position[unit]] = (float(value), 1.0)
    return out


def genotex_units(task: str, records: Records, *, data_dir=None, seed: int = 0) -> dict:
    """Problems (trait/condition); the mean over the drawn problems of the per-problem score."""
    from bench.baselines.genotex.evaluate import score_parts
    from bench.loaders import genotex as gl

    params = _same(records, "metric parameters", lambda r: (r["metric"].get("id"), r["metric"].get("primary"),
                                                              r["metric"].get("params")))[2]
    primary = records[0][1]["metric"]["primary"]
    parts = list(params["parts"])
    if len(parts) != 1 or parts[0] not in GTA_KEYS:
        raise BenchError(f"{records[0][0]}: the board resamples GenoTEX problems of the analysis or selection part; "
                         f"this record scores {parts} (preprocessing has no per-problem scores)")
    part = parts[0]
    key = GTA_KEYS[part] or primary
    _same(records, "data origin", lambda r: r["dataset"].get("origin"))
    entry = None
    with genotex_reference(records[0][1], data_dir) as root:
        ref_dir = gl.root_paths(root)["regress"].parent
        reference = reference_files(ref_dir, part, params.get("traits"))
        for path, record in records:
            if canonical_sha256(reference) != record.get("labels_sha256"):
                raise BenchError(f"{path}: its reference sha256 differs from the reference under the data dir; "
                                 "run `bench verify` on it")

        def score(folder: Path) -> list[dict]:
            scored = score_parts(folder, ref_dir, parts=parts, task_info_path=ref_dir.resolve().parent / "metadata" /
                                 "task_info.json", subtasks=params["subtasks"], compat=params["compat"],
                                 traits=params.get("traits"))
            return scored[part]["per_problem"]

        perfect = score(ref_dir)
        units = sorted({f"{r['trait']}/{r['condition']}" for r in perfect})
        entry = _entry("problems (trait/condition)", units,
                       f"problems (trait/condition pairs); the mean of the per-problem {key} over the drawn problems "
                       "(problems a model failed are left out of its mean, as the evaluator's NaN-skipping mean; "
                       "not rounded)", f"{'/'.join(record_ids(records[0][1]))} {primary}", ceiling=None,
                       ceiling_note="")
        for path, record in records:
            folder = file_beside(path, record, "file")
            if canonical_sha256(tree_files(folder)) != record["predictions"].get("sha256"):
                raise BenchError(f"{folder}: its sha256 differs from the record's (the predictions changed); "
                                 "run `bench verify` on it")
            s = _problem_stats(score(folder.parent), key, units, str(path))
            _check_value(path, record["value"].get("value"), float(lb.mean_finish(s.sum(axis=0, keepdims=True))[0]),
                         0.005 + 1e-9 if params["compat"] != "bench" else 1e-9)
            entry["runs"].append((path, record, (s, lb.mean_finish)))
        entry["generated"] = {"control:perfect": (_problem_stats(perfect, key, units, str(ref_dir)), lb.mean_finish)}
        entry["generated_note"] = "perfect = the reference scored against itself"
        if part == "analysis":
            with tempfile.TemporaryDirectory(prefix="bench-board-genotex-random-") as tmp:
                random_dir = write_random_gene_lists(ref_dir, Path(tmp), seed, params.get("traits"))
                entry["generated"]["control:random"] = (_problem_stats(score(random_dir), key, units, "control:random"),
                                                        lb.mean_finish)
            entry["generated_note"] += "; random = " + GTA_RANDOM_RULE
    return entry


GTA_RANDOM_RULE = ("per problem (trait/condition, in name order) as many genes as the reference lists, drawn without "
                   "replacement by default_rng(seed) from the trait's gene universe (the row ids of the reference's "
                   "preprocess/<trait>/gene_data/*.csv, sorted; the union of the trait's reference genes when it "
                   "has no gene data), scored by the same per-problem scoring")


def trait_universe(ref_dir: Path, trait: str) -> list[str]:
    """The sorted genes a random gene list of ``trait`` is drawn from (see :data:`GTA_RANDOM_RULE`)."""
    from bench.baselines.genotex.evaluate import trait_genes
    from bench.loaders import genotex as gl

    genes = trait_genes(ref_dir, trait)
    if genes is None:
        genes = {g for f in sorted((ref_dir / "regress" / trait).glob("significant_genes*.json"))
                 for g in gl.read_significant_genes(f)}
    return sorted(genes)


def random_gene_lists(ref_dir: Path, seed: int, traits=None) -> dict[str, list[str]]:
    """``{relative regress path: random gene list}``, one per reference problem (:data:`GTA_RANDOM_RULE`)."""
    from bench.loaders import genotex as gl

    rng = np.random.default_rng(seed)
    out, universes = {}, {}
    for ref_file in sorted((ref_dir / "regress").glob("*/significant_genes*.json")):
        trait = ref_file.parent.name
        if traits and trait not in traits:
            continue
        universe = universes.setdefault(trait, trait_universe(ref_dir, trait))
        size = len(gl.read_significant_genes(ref_file))
        if size > len(universe):
            raise BenchError(f"{ref_file}: lists {size} genes but trait {trait}'s gene universe has only "
                             f"{len(universe)}; no random floor can be drawn")
        out[f"{trait}/{ref_file.name}"] = [universe[k] for k in rng.choice(len(universe), size, replace=False)]
    return out


def write_random_gene_lists(ref_dir: Path, tmp: Path, seed: int, traits=None) -> Path:
    """A prediction folder (``regress/<trait>/significant_genes_condition_<c>.json``) of the random floor."""
    for rel, genes in random_gene_lists(ref_dir, seed, traits).items():
        target = tmp / "regress" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps({"significant_genes": {"Variable": genes}}), encoding="utf-8")
    return tmp


def record_ids(record: dict) -> list[str]:
    ids = record["metric"].get("id")
    return [str(i) for i in ids] if isinstance(ids, list) else [str(ids)]


# ------------------------------------------------------------------------------------------ single-cell

def _read_cells(path: Path, record: dict) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
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
    from bench.metrics import singlecell as sc

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
    from bench.metrics import singlecell as sc

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


def singlecell_units(task: str, records: Records, *, data_dir=None, seed: int = 0) -> dict:
    """Cells (or donors); the primary metric recomputed on the drawn units."""
    params = _same(records, "metric parameters", lambda r: (r["metric"].get("primary"), r["metric"].get("params")))[1]
    primary = records[0][1]["metric"]["primary"]
    if primary == "batch_silhouette" and not params.get("batch_key"):
        raise BenchError(f"{records[0][0]}: field metric.params.batch_key is empty; batch_silhouette needs the "
                         "batch column of obs.csv")
    _same(records, "cells and labels (labels_sha256)", lambda r: r.get("labels_sha256"))
    loaded = [(path, record, *_read_cells(path, record)) for path, record in records]
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
        stats = stats[order]  # rows by cell id, as the units
        if members is not None:
            stats = members @ stats
        stats = stats.tocsr() if sparse.issparse(stats) else np.asarray(stats)
        if entry is None:
            entry = _entry(unit, units, f"{unit}: {what}", f"{SC_PRIMARY_MODULE[primary]} {primary}",
                           ceiling=1.0, ceiling_note="no perfect control is defined for an embedding; "
                           "the ceiling is the metric's maximum, 1")
        total = np.asarray(stats.sum(axis=0)).reshape(1, -1)
        _check_value(path, record["value"].get("value"), float(finish(total)[0]), 1e-6)
        entry["runs"].append((path, record, (stats, finish)))
    floor = sc_random_floor(primary, cells, params, loaded[0][2].shape[1], seed)
    entry["generated"], entry["generated_note"] = {}, f"no random floor is generated for {primary}"
    if floor is not None:
        stats, finish, rule = floor
        if members is not None:
            stats = members @ stats
        entry["generated"]["control:random"] = (stats.tocsr() if sparse.issparse(stats) else np.asarray(stats), finish)
        entry["generated_note"] = f"random = {rule}"
    return entry


def sc_random_floor(primary: str, cells: pd.DataFrame, params: dict, dim: int, seed: int):
    """``(per-cell statistics, finisher, rule)`` of the seeded random floor of a single-cell metric on
    ``cells`` (sorted by cell id), or None when none is defined (mean_fold_f1: a run of the random model)."""
    rng = np.random.default_rng(seed)
    labels = cells[params["label_key"]].to_numpy(dtype=object)
    batches = cells[params["batch_key"]].to_numpy(dtype=object) if params.get("batch_key") else None
    if primary in SC_GAUSSIAN_FLOOR:
        X = rng.standard_normal((len(cells), dim))
        stats, finish, _ = cell_stats(primary, X, labels, batches, params)
        return stats, finish, (f"a standard gaussian embedding of the same cells and width ({dim}), "
                               "default_rng(seed).standard_normal((cells sorted by id, width)), scored as the runs")
    if primary in SC_CONTINGENCY:
        from bench.metrics import singlecell as sc

        codes, cats = sc.check_labels(labels, len(cells))
        clusters = rng.permutation(codes)
        k = len(cats)
        return lb.onehot_stats(codes * k + clusters, k * k), SC_CONTINGENCY[primary][1](k, k), \
            ("random clusters with the label classes' sizes: the label codes (classes sorted) of the cells sorted "
             "by id, permuted by default_rng(seed).permutation")
    if primary == "mean_fold_f1":
        return fold_f1_random_floor(labels, params, rng)
    return None


def fold_f1_random_floor(labels: np.ndarray, params: dict, rng: np.random.Generator):
    """mean_fold_f1's floor: the metric's class filter and StratifiedKFold folds on the cells sorted by id;
    each fold's cells get labels drawn by ``rng.choice`` from the label frequencies of the fold's training
    cells (folds in order); one "classifier"."""
    from bench.metrics import singlecell as sc

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


ADAPTERS = {"geometa": geometa_units, "genotex": genotex_units, "singlecell": singlecell_units}


def family_units(family: str, task: str, records: Records, *, data_dir=None, seed: int = 0) -> dict:
    """The board entry of one non-GeneLab task (see the module docstring)."""
    if family not in ADAPTERS:
        raise BenchError(f"{records[0][0]}: bench leaderboard has no resampling units for family {family!r} "
                         f"(families: genelab, {', '.join(ADAPTERS)})")
    return ADAPTERS[family](task, records, data_dir=data_dir, seed=seed)
