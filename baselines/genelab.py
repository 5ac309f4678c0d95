"""GeneLab baselines on the bench configs: ``bench run A5_skin --model lr``.

Categories (``spec.params["category"]``):

- A  leave-one-mission-out Flight vs Ground: per fold fit on the train missions, score the test
     mission, write an upstream-format submission, score it with the lomo statistics, GO/NO-GO.
- B  cross-mission transfer: every ordered pair train i -> test j, heatmap, transfer summary.
- C  cross-tissue transfer (genelab_transfer), D condition prediction and NC negative controls
     (genelab_condition).

Data comes only through ``bench.loaders`` (see genelab_data); every fitted step is fitted on
the training fold only (see genelab_models).
"""
from __future__ import annotations

import datetime as _dt
import sys
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from bench.baselines.genelab_data import FoldData, feature_level, fold_data, list_folds, load_config
from bench.baselines.genelab_models import MODELS, check_model_name, confound_design, fit_predict
from bench.baselines import genelab_report as report
from bench.baselines import genelab_scoring as scoring
from bench import __version__
from bench.errors import BenchError
from bench.io import write_json_atomic
from bench.record import RECORD_FILE, dataset_info, evaluation_alarms, genelab_record, write_record

__all__ = ["MODELS", "run_task", "predict_folds", "run_category_a"]

MODEL_TAGS = {"lr": "LR", "pca_lr": "PCALR", "rf": "RF", "xgboost": "XGB", "constant": "Constant",
              "random": "Random", "confound": "ConfoundOnly"}


def default_out(spec, model: str) -> Path:
    return Path("bench_runs") / f"{spec.name}_{model}"


def predict_folds(dsd, meta: dict, *, model: str, seed: int = 42, level: str = "gene",
                  include_holdout: bool = False, keep_models: bool = False,
                  target: str = "label", progress: bool = True) -> list[dict]:
    """Fit ``model`` per fold (train splits only) and score the test split.

    Returns one dict per fold (evaluator order): fold, test_mission, sample_ids, y, scores
    (probability of label 1 for binary targets), n_features, variance_filter and, with
    ``keep_models``, the fitted pipeline (for inspection, e.g. the leakage tests).
    """
    out = []
    folds = list_folds(dsd, include_holdout=include_holdout)
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
                   progress: bool = True) -> dict:
    """Fit, predict and score every fold of a Category A/B task; returns the results dict."""
    check_model_name(model)
    dsd, meta = load_config(spec.name, data_dir=data_dir)
    level = feature_level(meta, spec)
    rows = predict_folds(dsd, meta, model=model, seed=seed, level=level, progress=progress)
    evaluation = scoring.score_folds(rows, legacy=legacy_stats, category=str(spec.params.get("category", "A")))
    return {
        "task": spec.name, "upstream_id": spec.upstream_id, "category": spec.params.get("category"),
        "model": model, "model_description": MODELS[model], "seed": seed, "feature_level": level,
        "n_features": meta.get("feature_ids") and len(meta["feature_ids"]),
        "synthetic": bool(meta.get("synthetic")), "data_dir": str(data_dir) if data_dir else None,
        "statistics": scoring.statistics_label(legacy_stats),
        "spec_sha256": spec.spec_hash,
        "fold_details": [{k: r[k] for k in ("fold", "test_mission", "train_missions", "n_train",
                                            "n_features", "variance_filter",
                                            "n_features_dropped_incomplete_on_train", "test_imputed")}
                         for r in rows],
        **evaluation,
        "_rows": rows,
    }


def write_report(spec, results: dict, out: Path, *, model: str) -> Path:
    """results.json, submission.json and the PNG plots into ``out`` (replaced atomically per file)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = results["_rows"]
    from bench.metrics.submission import write_submission
    sub = submission_from(spec, model, rows)
    write_submission(out / "submission.json", task_id=sub["task_id"], model_name=sub["model_name"],
                     predictions=sub["predictions"], model_description=sub["model_description"],
                     submission_date=sub["submission_date"])
    public = {k: v for k, v in results.items() if not k.startswith("_")}
    title = f"{spec.name} · {model}" + (" · SYNTHETIC data" if results.get("synthetic") else "")
    report.plot_roc_curves([{"fold": r["fold"], "y": r["y"], "scores": r["scores"],
                             "auroc": f.get("auroc")} for r, f in zip(rows, results["per_fold"])],
                           out / "roc.png", title=title)
    report.plot_forest(results["per_fold"], results["summary"], out / "forest.png", title=title,
                       thresholds=results.get("thresholds"))
    plots = ["roc.png", "forest.png"]
    if results.get("category") == "B":
        labels, matrix = transfer_matrix(results["per_fold"])
        report.plot_heatmap(matrix, labels, out / "heatmap.png", title=f"{title}: train -> test AUROC")
        plots.append("heatmap.png")
    public["files"] = {"submission": "submission.json", "record": RECORD_FILE, "plots": plots}
    results["plots"] = plots
    write_json_atomic(out / "results.json", public)
    write_run_record(spec, results, sub, out, model=model)
    return out


def write_run_record(spec, results: dict, sub: dict, out: Path, *, model: str) -> Path:
    """``record.json`` beside ``submission.json``: the verifiable record of this run (``bench verify``)."""
    rows = results["_rows"]
    labels = {r["fold"]: {str(sid): float(y) for sid, y in zip(r["sample_ids"], r["y"])} for r in rows}
    alarms = [a.to_dict() for a in evaluation_alarms(results, labels, sub["predictions"])]
    record = genelab_record(
        spec, results, predictions=sub["predictions"], labels=labels,
        model={"id": f"bench/{model}", "revision": __version__, "pretraining_corpus": None,
               "description": sub["model_description"]},
        dataset=dataset_info(spec, synthetic=bool(results.get("synthetic"))), alarms=alarms,
        runtime_seconds=results.get("_runtime_seconds"), predictions_file="submission.json")
    return write_record(out, record)


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


def print_results(results: dict, *, out: Path | None = None, stream=None) -> None:
    """The lomo per-fold table with the verdict (or Category B transfer pattern), plus provenance."""
    stream = stream or sys.stdout
    if results.get("synthetic"):
        print("NOTE: running on the embedded SYNTHETIC default (no --data-dir given and the Hub is "
              "unreachable): these numbers say nothing about spaceflight.", file=stream)
    title = (f"{results['task']} · model {results['model']} · {results['feature_level']} level · "
             f"statistics: {results['statistics']}")
    print(scoring.format_results(results, title=title), file=stream)
    if out is not None:
        print(f"report: {out}/ (results.json, submission.json, {', '.join(results.get('plots', []))})", file=stream)


def run_task(spec, *, model: str, data_dir=None, out=None, seed: int = 42) -> int:
    """Entry point of ``bench run`` for the genelab family."""
    check_model_name(model)
    category = str(spec.params.get("category", "A"))
    if model == "confound" and category not in ("A", "B"):
        raise BenchError(f"task {spec.name}: the confound-only control is defined for categories A and B "
                         f"(Flight vs Ground per mission), not {category}")
    if category in ("C", "D", "NC"):
        from bench.baselines import genelab_condition, genelab_transfer
        runner = {"C": genelab_transfer.run_category_c, "D": genelab_condition.run_category_d,
                  "NC": genelab_condition.run_negative_control}[category]
        return runner(spec, model=model, data_dir=data_dir, out=Path(out) if out else default_out(spec, model),
                      seed=seed)
    if category not in ("A", "B"):
        raise BenchError(f"task {spec.name}: params.category must be one of A, B, C, D, NC, got {category!r}")
    started = time.perf_counter()
    results = run_category_a(spec, model=model, data_dir=data_dir, seed=seed)
    results["_runtime_seconds"] = time.perf_counter() - started
    out = Path(out) if out else default_out(spec, model)
    write_report(spec, results, out, model=model)
    print_results(results, out=out)
    return 0
