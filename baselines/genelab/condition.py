"""Category D (condition prediction, macro-F1) and the negative controls NC1 / NC2.

- D: predict ``spec.params["target"]`` (mission, strain, hardware, gravity) from expression with
  stratified k-fold CV over the config's samples (k = spec.split.n_splits, lowered to the
  smallest class size, shuffled with the seed). Out-of-fold macro-F1, and a permutation p-value:
  the out-of-fold predictions are held fixed and the true labels permuted 1,000 times
  (``default_rng(seed)``; +1 pseudocount). Every fitted step sees the training part of a CV fold only.
- NC1: the base Category A task with the TRAINING labels of every fold permuted
  (``default_rng(seed + r)`` for repeat r); test labels stay true, so the AUROC must sit near 0.5.
- NC2: the base task restricted to a fixed housekeeping gene list (``params.genes``, Ensembl ids);
  these genes should carry no Flight signal (AUROC near 0.5). The list's source is in the YAML.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from bench.baselines.genelab import scoring
from bench.baselines.genelab.data import all_samples, feature_level, fold_data, list_folds, load_config
from bench.baselines.genelab.models import fit_predict
from bench.baselines.report import Result, config_provenance, format_table, summary
from bench.errors import BenchError
from bench.loaders.repo import class_names, decode_classes
from bench.tasks import get_task


# ------------------------------------------------------------------------------------------ D

def _samples_with_target(dsd, target: str):
    """Every sample of the config whose ``target`` is known: (X, y as str, obs)."""
    X, _, obs, _ = all_samples(dsd, target=None)
    if target not in obs.columns:
        raise BenchError(f"target column {target!r} is not in the config (columns: {list(obs.columns)})")
    names = class_names(dsd, target)
    values = obs[target] if names is None else decode_classes(obs[target], names)   # ClassLabel -> its names
    keep = values.notna().to_numpy()
    return X[keep], values.to_numpy()[keep].astype(str), obs[keep]


def macro_f1_rows(y_true: np.ndarray, y_pred: np.ndarray, n_labels: int) -> np.ndarray:
    """Macro-F1 (sklearn ``average="macro"`` over the labels present in y_true or y_pred) of every
    row of integer-coded ``y_true`` (B, n) against one ``y_pred`` (n,), vectorised."""
    y_true = np.atleast_2d(y_true)
    pred_count = np.bincount(y_pred, minlength=n_labels).astype(float)
    f1 = np.zeros((y_true.shape[0], n_labels))
    for c in range(n_labels):
        tp = ((y_true == c) & (y_pred == c)).sum(axis=1)
        true_count = (y_true == c).sum(axis=1)
        denom = true_count + pred_count[c]
        f1[:, c] = np.where(denom > 0, 2.0 * tp / np.maximum(denom, 1), 0.0)
    return f1.mean(axis=1)


def condition_cv(X: np.ndarray, y: np.ndarray, *, model: str, level: str, n_splits: int = 5,
                 seed: int = 42, n_permutations: int = 1000) -> dict:
    """Out-of-fold predictions by stratified k-fold CV; macro-F1 and its permutation p."""
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise BenchError(f"condition target has a single class ({classes.tolist()}); need at least two")
    k = int(min(n_splits, counts.min()))
    if k < 2:
        raise BenchError(f"condition target class {str(classes[counts.argmin()])!r} has {counts.min()} sample(s); "
                         "stratified CV needs at least 2 per class")
    oof = np.empty(len(y), dtype=object)
    for train_idx, test_idx in StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(X, y):
        pipe, proba = fit_predict(model, X[train_idx], y[train_idx], X[test_idx], level=level, seed=seed,
                                  variance_filter=(level == "gene"), where="CV fold")
        oof[test_idx] = np.asarray(pipe.classes_)[proba.argmax(axis=1)]
    oof = oof.astype(str)
    observed = f1_score(y, oof, average="macro")
    rng = np.random.default_rng(seed)
    labels = np.union1d(y, oof)
    t = np.searchsorted(labels, y)
    perms = np.stack([rng.permutation(t) for _ in range(n_permutations)])
    null = macro_f1_rows(perms, np.searchsorted(labels, oof), len(labels))
    p = (int(np.count_nonzero(null >= observed)) + 1) / (n_permutations + 1)
    return {"macro_f1": float(observed), "perm_p": float(p), "n": int(len(y)), "n_splits": k,
            "classes": {str(c): int(n) for c, n in zip(classes, counts)},
            "accuracy": float(np.mean(oof == y))}


def run_category_d(spec, *, model: str, data_dir=None, seed: int = 42, limit_folds: int | None = None) -> Result:
    """Category D: out-of-fold macro-F1 of the condition ``params.target`` (``limit_folds`` does not
    apply: the CV folds are needed to predict every sample once)."""
    target = spec.params.get("target")
    if not target:
        raise BenchError(f"task {spec.name}: params.target (the condition column) is required")
    dsd, meta = load_config(spec.name, data_dir=data_dir)
    level = feature_level(meta, spec)
    X, y, obs = _samples_with_target(dsd, target)
    res = condition_cv(X, y, model=model, level=level, n_splits=int(spec.split.get("n_splits", 5)), seed=seed)
    row = {k: res[k] for k in ("n", "macro_f1", "accuracy", "perm_p", "n_splits")}
    text = "\n".join([
        f"{spec.name} · predict {target!r} · model {model} · {level} level · {res['n_splits']}-fold stratified CV",
        format_table([{**row, "data": "SYNTHETIC"} if meta.get("synthetic") else row], rule=False),
        "classes: " + ", ".join(f"{c}={n}" for c, n in res["classes"].items())])
    return Result(
        task=spec.name, family=spec.family,
        summary=summary("macro_f1", res["macro_f1"], perm_p=res["perm_p"], accuracy=res["accuracy"],
                        n=res["n"], n_splits=res["n_splits"], classes=res["classes"]),
        settings={"model": model, "category": "D", "target": target, "feature_level": level,
                  "permutation": "labels permuted against fixed out-of-fold predictions, default_rng(seed), 1000x",
                  "limit_folds": "not applicable (out-of-fold CV)" if limit_folds else None},
        tables={"scores": [row]}, text=text,
        provenance=config_provenance(spec, meta, seed=seed, data_dir=data_dir))


# ------------------------------------------------------------------------------------------ NC

def _nc_rows(spec, base, dsd, meta, *, model: str, seed: int, limit_folds: int | None = None
             ) -> tuple[list[dict], dict]:
    level = feature_level(meta, base)
    control = spec.params.get("control")
    folds = list_folds(dsd)[:limit_folds]
    repeats = []
    if control == "permuted_labels":
        n_repeats = int(spec.params.get("n_repeats", 5))
        for r in range(n_repeats):
            rng = np.random.default_rng(seed + r)
            rows = []
            for fold in folds:
                fd = fold_data(dsd, fold, level=level)
                y_perm = rng.permutation(fd.y_train)
                _, proba = fit_predict(model, fd.X_train, y_perm, fd.X_test, level=level, seed=seed,
                                       variance_filter=fd.needs_variance_filter, impute=fd.needs_imputer,
                                       where=f"fold {fd.name}")
                rows.append({"fold": fd.name, "y": fd.y_test, "scores": proba[:, -1]})
            repeats.append(rows)
        detail = {"control": control, "n_repeats": n_repeats, "train_labels": "permuted per fold, default_rng(seed + repeat)"}
    elif control == "housekeeping_genes":
        genes = [str(g) for g in spec.params.get("genes", {}).values()] if isinstance(spec.params.get("genes"), dict) \
            else [str(g) for g in spec.params.get("genes", [])]
        present = [g for g in genes if g in set(meta.get("feature_ids") or [])]
        if len(present) < 5:
            raise BenchError(f"task {spec.name}: only {len(present)} of the {len(genes)} housekeeping genes "
                             f"(params.genes) are features of {base.name}; need at least 5")
        rows = []
        for fold in folds:
            fold = {**fold, "selected_features": present}
            fd = fold_data(dsd, fold, level="gene")
            _, proba = fit_predict(model, fd.X_train, fd.y_train, fd.X_test, level="gene", seed=seed,
                                   where=f"fold {fd.name}")
            rows.append({"fold": fd.name, "y": fd.y_test, "scores": proba[:, -1]})
        repeats.append(rows)
        detail = {"control": control, "n_genes_listed": len(genes), "n_genes_used": len(present),
                  "genes_used": present}
    else:
        raise BenchError(f"task {spec.name}: params.control must be 'permuted_labels' or "
                         f"'housekeeping_genes', got {control!r}")
    return repeats, detail


def run_negative_control(spec, *, model: str, data_dir=None, seed: int = 42, limit_folds: int | None = None
                         ) -> Result:
    """NC1/NC2: mean AUROC of the control over its repeats; PASS when inside the expected range."""
    base = get_task(spec.params.get("base_task", ""))
    dsd, meta = load_config(base.name, data_dir=data_dir)
    repeats, detail = _nc_rows(spec, base, dsd, meta, model=model, seed=seed, limit_folds=limit_folds)
    evaluations = [scoring.score_folds(rows) for rows in repeats]
    means = [e["summary"]["mean_auroc"] for e in evaluations]
    lo, hi = spec.params.get("expected_auroc_range", [0.4, 0.6])
    mean_auroc = float(np.mean(means))
    verdict = "PASS" if lo <= mean_auroc <= hi else "FAIL"
    text = "\n".join([
        f"{spec.name} · {detail['control']} on {base.name} · model {model}",
        scoring.format_results({**evaluations[0], "synthetic": bool(meta.get("synthetic"))},
                               title="first repeat:" if len(evaluations) > 1 else None),
        f"mean AUROC over {len(means)} repeat(s): {mean_auroc:.3f} (expected in [{lo}, {hi}]) -> {verdict}"
        + (" [SYNTHETIC data]" if meta.get("synthetic") else "")])
    per_repeat = [{"repeat": i, "fold": f["fold"], **{k: v for k, v in f.items() if k != "fold"}}
                  for i, e in enumerate(evaluations) for f in e["per_fold"]]
    return Result(
        task=spec.name, family=spec.family,
        summary=summary("mean_auroc", mean_auroc, verdict=verdict,
                        per_fold={f["fold"]: f["auroc"] for f in evaluations[0]["per_fold"]},
                        mean_auroc_per_repeat=means, std_auroc_over_repeats=float(np.std(means)),
                        expected_auroc_range=[lo, hi], repeats=[e["summary"] for e in evaluations]),
        settings={"model": model, "category": "NC", "base_task": base.name,
                  "statistics": scoring.statistics_label(False), **detail},
        tables={"per_fold": per_repeat}, text=text,
        provenance=config_provenance(spec, meta, seed=seed, data_dir=data_dir))
