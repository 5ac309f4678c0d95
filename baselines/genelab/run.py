"""``bench run`` for GeneLab tasks (``bench run A5_skin --model lr``): every category returns a
:class:`bench.baselines.report.Result`.

Categories (``spec.params["category"]``):

- A  leave-one-mission-out Flight vs Ground: per fold fit on the train missions, score the test
     mission, write an upstream-format submission, score it with the lomo statistics, GO/NO-GO.
- B  cross-mission transfer: every ordered pair train i -> test j, heatmap, transfer summary.
- C  cross-tissue transfer (genelab_transfer), D condition prediction and NC negative controls
     (condition.py).

Data comes only through ``bench.loaders`` (see data.py); every fitted step is fitted on
the training fold only (see models.py).
"""
from __future__ import annotations

import datetime as _dt
import time

import numpy as np
from tqdm.auto import tqdm

from bench.baselines.genelab import condition, plots, scoring, transfer
from bench.baselines.genelab.data import FoldData, feature_level, fold_data, list_folds, load_config
from bench.baselines.genelab.models import MODELS, check_model_name, confound_design, fit_predict
from bench.baselines.genelab.records import evaluation_alarms, genelab_record
from bench.baselines.report import Result, config_provenance
from bench import __version__
from bench.errors import BenchError
from bench.metrics.genelab.submission import write_submission
from bench.results.record import dataset_info

__all__ = ["MODELS", "run", "predict_folds", "run_category_a"]

MODEL_TAGS = {"lr": "LR", "pca_lr": "PCALR", "rf": "RF", "xgboost": "XGB", "constant": "Constant",
              "random": "Random", "confound": "ConfoundOnly"}


def predict_folds(dsd, meta: dict, *, model: str, seed: int = 42, level: str = "gene",
                  include_holdout: bool = False, keep_models: bool = False,
                  target: str = "label", progress: bool = True, limit_folds: int | None = None) -> list[dict]:
    """Fit ``model`` per fold (train splits only) and score the test split.

    Returns one dict per fold (evaluator order): fold, test_mission, sample_ids, y, scores
    (probability of label 1 for binary targets), n_features, variance_filter and, with
    ``keep_models``, the fitted pipeline (for inspection, e.g. the leakage tests). ``limit_folds``
    keeps the first N folds (quick smoke runs).
    """
    out = []
    folds = list_folds(dsd, include_holdout=include_holdout)[:limit_folds]
    for fold in tqdm(folds, desc=f"{model} folds", disable=not progress, leave=False):
        fd: FoldData = fold_data(dsd, fold, level=level, target=target)
        if model == "confound":  # the control sees only batch/technical metadata, never the expression
            fd.X_train, fd.X_test, fd.feature_ids = confound_design(fd.obs_train, fd.obs_test)
            fd.needs_variance_filter = fd.needs_imputer = False
        pipe, proba = fit_predict(model, fd.X_train, fd.y_train, fd.X_test, level=level, seed=seed,
                                  variance_filter=fd.needs_variance_filter, impute=fd.needs_imputer,
                                  where=f"fold {fd.name}")
        classes = list(pipe.classes_)
        scores = proba[:, classes.index(1)] if 1 in classes else proba[:, -1]
        row = {"fold": fd.name, "test_mission": fd.test_mission, "train_missions": fd.train_missions,
               "sample_ids": fd.test_ids, "y": fd.y_test.astype(float), "scores": scores.astype(float),
               "n_train": int(fd.X_train.shape[0]), "n_features": int(fd.X_train.shape[1]),
               "variance_filter": "fit on train" if fd.needs_variance_filter else "config selected_features",
               "n_features_dropped_incomplete_on_train": fd.n_dropped_incomplete,
               "test_imputed": fd.needs_imputer}
        if keep_models:
            row["pipeline"] = pipe
        out.append(row)
        del fd
    return out


def submission_from(spec, model: str, fold_rows: list[dict]) -> dict:
    """Upstream submission JSON (spec §2): predictions[fold][sample_id] = Flight probability."""
    return {
        "task_id": spec.upstream_id or spec.name,
        "model_name": f"bench_{MODEL_TAGS.get(model, model)}_{spec.name}"[:50],
        "model_description": f"bench baseline {model}: {MODELS[model]}",
        "submission_date": _dt.date.today().isoformat(),
        "predictions": {r["fold"]: {sid: float(np.clip(s, 0.0, 1.0)) for sid, s in zip(r["sample_ids"], r["scores"])}
                        for r in fold_rows},
    }


def run_category_a(spec, *, model: str, data_dir=None, seed: int = 42, legacy_stats: bool = False,
                   progress: bool = True, limit_folds: int | None = None) -> dict:
    """Fit, predict and score every fold of a Category A/B task; returns the results dict."""
    check_model_name(model)
    dsd, meta = load_config(spec.name, data_dir=data_dir)
    level = feature_level(meta, spec)
    rows = predict_folds(dsd, meta, model=model, seed=seed, level=level, progress=progress, limit_folds=limit_folds)
    evaluation = scoring.score_folds(rows, legacy=legacy_stats, category=str(spec.params.get("category", "A")))
    return {
        "task": spec.name, "upstream_id": spec.upstream_id, "category": spec.params.get("category"),
        "model": model, "model_description": MODELS[model], "seed": seed, "feature_level": level,
        "n_features": meta.get("feature_ids") and len(meta["feature_ids"]),
        "synthetic": bool(meta.get("synthetic")), "_meta": meta,
        "statistics": scoring.statistics_label(legacy_stats),
        "spec_sha256": spec.spec_hash,
        "fold_details": [{k: r[k] for k in ("fold", "test_mission", "train_missions", "n_train",
                                            "n_features", "variance_filter",
                                            "n_features_dropped_incomplete_on_train", "test_imputed")}
                         for r in rows],
        **evaluation,
        "_rows": rows,
    }


def category_a_result(spec, results: dict, *, data_dir=None) -> Result:
    """The Result of a Category A/B run: lomo summary, per-fold table, submission and plots."""
    rows, model = results["_rows"], results["model"]
    evaluation = {k: results[k] for k in ("per_fold", "summary", "thresholds", "settings", "transfer_pattern")
                  if k in results}
    title = f"{spec.name} · {model}" + (" · SYNTHETIC data" if results.get("synthetic") else "")
    sub = submission_from(spec, model, rows)
    files = {
        "submission.json": lambda path: write_submission(path, **sub),
        "roc.png": plots.plot_roc_curves([{"fold": r["fold"], "y": r["y"], "scores": r["scores"],
                                           "auroc": f.get("auroc")} for r, f in zip(rows, results["per_fold"])],
                                         title=title),
        "forest.png": plots.plot_forest(results["per_fold"], results["summary"], title=title,
                                        thresholds=results.get("thresholds"),
                                        verdict=results.get("category") != "B"),
    }
    record = run_record(spec, results, sub)
    files["record.json"] = record
    if results.get("category") == "B":
        labels, matrix = transfer_matrix(results["per_fold"])
        files["heatmap.png"] = plots.plot_heatmap(matrix, labels, title=f"{title}: train -> test AUROC")
    text_title = (f"{results['task']} · model {model} · {results['feature_level']} level · "
                  f"statistics: {results['statistics']}" + (" · SYNTHETIC data" if results.get("synthetic") else ""))
    return Result(
        task=spec.name, family=spec.family, summary=scoring.lomo_summary(evaluation),
        settings={"model": model, "model_description": results["model_description"],
                  "upstream_id": spec.upstream_id, "category": results["category"],
                  "feature_level": results["feature_level"], "n_features": results["n_features"],
                  "statistics": results["statistics"], "thresholds": results.get("thresholds")},
        tables={"per_fold": results["per_fold"], "fold_details": results["fold_details"]},
        files=files, text=scoring.format_results({**evaluation, "synthetic": results.get("synthetic")},
                                                 title=text_title),
        notes=[f"alarm [{a['id']}] {a['message']}" for a in record["alarms"]],
        provenance=config_provenance(spec, results["_meta"], seed=results["seed"], data_dir=data_dir),
    )


def run_record(spec, results: dict, sub: dict) -> dict:
    """The verifiable record of this run (``bench verify``): it names ``submission.json`` beside it."""
    rows, model = results["_rows"], results["model"]
    labels = {r["fold"]: {str(sid): float(y) for sid, y in zip(r["sample_ids"], r["y"])} for r in rows}
    alarms = [a.to_dict() for a in evaluation_alarms(results, labels, sub["predictions"])]
    return genelab_record(
        spec, results, predictions=sub["predictions"], labels=labels,
        model={"id": f"bench/{model}", "revision": __version__, "pretraining_corpus": None,
               "description": sub["model_description"], "seed": results.get("seed")},
        dataset=dataset_info(spec, synthetic=bool(results.get("synthetic"))), alarms=alarms,
        runtime_seconds=results.get("_runtime_seconds"), predictions_file="submission.json")


def transfer_matrix(folds: list[dict]) -> tuple[list[str], np.ndarray]:
    """Missions and the train x test AUROC matrix from ``pair_<TRAIN>_<TEST>`` fold results."""
    pairs = []
    for f in folds:
        parts = f["fold"].split("_")
        if len(parts) != 3 or parts[0] != "pair":
            raise BenchError(f"fold {f['fold']!r} is not a pair_<TRAIN>_<TEST> fold")
        pairs.append((parts[1], parts[2], f.get("auroc")))
    missions = sorted({m for a, b, _ in pairs for m in (a, b)})
    matrix = np.full((len(missions), len(missions)), np.nan)
    for a, b, auc in pairs:
        if auc is not None:
            matrix[missions.index(a), missions.index(b)] = auc
    return missions, matrix


def run(spec, *, model: str, data_dir=None, seed: int = 42, limit_folds: int | None = None) -> Result:
    """``bench run`` for the genelab and genelab_analysis families: the Result of ``spec``'s category."""
    check_model_name(model)
    category = str(spec.params.get("category", "A"))
    if model == "confound" and category not in ("A", "B"):
        raise BenchError(f"task {spec.name}: the confound-only control is defined for categories A and B "
                         f"(Flight vs Ground per mission), not {category}")
    runners = {"C": transfer.run_category_c, "D": condition.run_category_d, "NC": condition.run_negative_control}
    if category in runners:
        return runners[category](spec, model=model, data_dir=data_dir, seed=seed, limit_folds=limit_folds)
    if category not in ("A", "B"):
        raise BenchError(f"task {spec.name}: params.category must be one of A, B, C, D, NC, got {category!r}")
    started = time.perf_counter()
    results = run_category_a(spec, model=model, data_dir=data_dir, seed=seed, limit_folds=limit_folds)
    results["_runtime_seconds"] = time.perf_counter() - started
    return category_a_result(spec, results, data_dir=data_dir)
