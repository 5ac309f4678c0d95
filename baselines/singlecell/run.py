"""``bench run pbmc68k --model pca``: embed the cells of the task's config, score every sub-task
(``params.tasks``) and return one :class:`bench.baselines.report.Result`; the report folder holds::

    results.json, results.tsv   the scores (task, kind, metric, classifier, value)
    scatter.png                 first two principal components of the embedding, coloured by label
    embedding.npy, obs.csv      the embedding and its cell ids + labels (+ batches) (re-score with `bench evaluate`)
    record.json                 the verifiable result record (`bench verify`)

Perturbation tasks (``bench run adamson_perturbation --model control_median --data-dir DIR``)
score the legacy cz-benchmarks baseline, the control cells' per-gene median, per condition.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from bench.baselines.report import Result, config_provenance, format_table, summary
from bench.baselines.singlecell.models import (EMBEDDING_KINDS, EMBEDDING_MODELS, MODELS, PERTURBATION_MODELS,
                                               embed, subtasks)
from bench.baselines.singlecell.records import SC_CELLS, SC_EMBEDDING, cells_table, primary_value, singlecell_record
from bench.errors import BenchError
from bench.results.family_records import bench_model
from bench.loaders.singlecell import load_config_anndata
from bench.metrics.singlecell import perturbation_metrics, score_embedding

HEADLINE_METRICS = ("adjusted_rand_index", "silhouette_score", "entropy_per_cell")


def scatter_figure(X: np.ndarray, labels: np.ndarray, *, title: str) -> Figure:
    """First two principal components of ``X`` coloured by label."""
    centred = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    pcs = centred @ vt[:2].T
    cats = sorted(set(labels))
    cmap = colormaps["tab10" if len(cats) <= 10 else "tab20"]
    fig = Figure(figsize=(8.5, 6), dpi=110)
    ax = fig.subplots()
    for i, cat in enumerate(cats):
        m = labels == cat
        ax.scatter(pcs[m, 0], pcs[m, 1], s=8, color=cmap(i % cmap.N), label=f"{cat} ({int(m.sum())})",
                   linewidths=0, alpha=0.85)
    ax.set_xlabel("PC1 of the embedding")
    ax.set_ylabel("PC2 of the embedding")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, markerscale=2, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def score_rows_table(rows: list[dict]) -> list[dict]:
    """score_embedding rows as the printed/TSV table (params as one text cell)."""
    return [{"task": r["task"], "metric": r["metric"], "params": ",".join(f"{k}={v}" for k, v in r["params"].items()),
             "value": r["value"]} for r in rows]


def rows_text(rows: list[dict]) -> str:
    return format_table(score_rows_table(rows), digits=4)


def check_model(spec, model: str, kinds: list) -> None:
    if model not in MODELS:
        raise BenchError(f"unknown model {model!r} for task {spec.name}; choices: {', '.join(MODELS)}")
    if kinds == ["perturbation"]:
        if model not in PERTURBATION_MODELS:
            raise BenchError(f"task {spec.name} is a perturbation task; models: {', '.join(PERTURBATION_MODELS)}")
        return
    unsupported = [k for k in kinds if k not in EMBEDDING_KINDS]
    if unsupported:
        raise BenchError(f"task {spec.name}: unknown kind(s) {unsupported}; expected one of {sorted(EMBEDDING_KINDS)}")
    if model not in EMBEDDING_MODELS:
        raise BenchError(f"task {spec.name} scores cell embeddings; models: {', '.join(EMBEDDING_MODELS)}")
    if "integration" in kinds and model == "pca":
        raise BenchError(f"task {spec.name}: no PCA baseline across species (genes differ; cz-benchmarks has "
                         "none either); use --model random or score your model with `bench evaluate`")


def run(spec, *, model: str, data_dir=None, seed: int = 42, limit_folds: int | None = None) -> Result:
    """Embed the cells of ``spec``'s config with ``model`` and score every sub-task (``limit_folds``
    does not apply: the label-prediction CV is part of the metric)."""
    tasks = subtasks(spec)
    kinds = [t.params.get("kind") for t in tasks]
    check_model(spec, model, kinds)
    if kinds == ["perturbation"]:
        return run_perturbation(spec, model=model, data_dir=data_dir, seed=seed)
    adata, meta = load_config_anndata(spec, data_dir=data_dir)
    label_key = spec.label["column"]
    batch_key = spec.params.get("batch_key")
    for key in filter(None, (label_key, batch_key)):
        if key not in adata.obs:
            raise BenchError(f"task {spec.name}: obs column {key!r} missing from the config "
                             f"(columns: {', '.join(map(str, adata.obs.columns))})")
    labels = adata.obs[label_key].astype(str).to_numpy()
    batches = adata.obs[batch_key].astype(str).to_numpy() if batch_key else None
    normalised = "log1p" in str(spec.params.get("expression_unit", ""))
    started = time.perf_counter()
    X = embed(adata, model=model, seed=seed, normalised=normalised, batch_key=batch_key)
    kinds_scored = list(dict.fromkeys(kinds))
    rows = score_embedding(X, labels, batches=batches, tasks=kinds_scored, random_state=seed)
    cells = cells_table(adata.obs_names, labels, batches, label_key, batch_key)
    provenance = config_provenance(spec, meta, seed=seed, data_dir=data_dir)
    record = singlecell_record(spec, X=X, cells=cells, rows=rows, tasks=kinds_scored, seed=seed, label_key=label_key,
                               batch_key=batch_key, metric=spec.metric["primary"],
                               model=bench_model(model, MODELS[model], seed), synthetic=provenance["synthetic"],
                               origin=provenance["data_origin"], runtime_seconds=time.perf_counter() - started)
    by_kind = {t.params.get("kind"): t for t in tasks}
    for row in rows:
        row["task_name"] = by_kind[row["task"]].name
    headline = "  ".join(f"{r['metric']}={r['value']:.3f}" for r in rows
                         if r["metric"] in HEADLINE_METRICS
                         or (r["metric"] == "mean_fold_f1" and r["params"].get("classifier", "").startswith("MEAN")))
    sub = {t.name: {"metric": t.metric["primary"], "value": primary_value(
        [r for r in rows if r["task_name"] == t.name], t.metric["primary"]), "version": t.version,
        "spec_sha256": t.spec_hash} for t in tasks}
    return Result(
        task=spec.name, family=spec.family,
        summary=summary(spec.metric["primary"], primary_value(rows, spec.metric["primary"]), subtasks=sub),
        settings={"model": model, "model_description": MODELS[model], "config": meta["task"],
                  "n_cells": int(adata.n_obs), "n_genes": int(adata.n_vars), "embedding_dims": int(X.shape[1]),
                  "label_key": label_key, "batch_key": batch_key,
                  "limit_folds": "not applicable (label-prediction CV is part of the metric)" if limit_folds else None},
        tables={"results": [{"task": r["task_name"], "kind": r["task"], "metric": r["metric"],
                             "classifier": r["params"].get("classifier", ""), "value": r["value"]} for r in rows]},
        files={SC_EMBEDDING: X, SC_CELLS: cells, "record.json": record,
               "scatter.png": scatter_figure(X, labels, title=f"{spec.name}: {model} embedding ({adata.n_obs} cells), "
                                                              f"coloured by {label_key}\n{headline}")},
        text=rows_text(rows),
        provenance=provenance,
    )


def dense_rows(X, mask) -> np.ndarray:
    part = X[mask]
    return np.asarray(part.toarray() if hasattr(part, "toarray") else part, dtype=np.float64)


def run_perturbation(spec, *, model: str, data_dir=None, seed: int = 42) -> Result:
    """Legacy cz-benchmarks PerturbationTask with the control-median baseline, per condition."""
    adata, meta = load_config_anndata(spec, data_dir=data_dir)
    key, control = spec.label["column"], str(spec.label.get("control", "ctrl"))
    if key not in adata.obs:
        raise BenchError(f"task {spec.name}: obs column {key!r} missing (columns: {', '.join(map(str, adata.obs.columns))})")
    condition = adata.obs[key].astype(str).to_numpy()
    is_control = condition == control
    if is_control.sum() < 2:
        raise BenchError(f"task {spec.name}: needs >= 2 control cells ({key} == {control!r}), found {int(is_control.sum())}")
    ctrl = dense_rows(adata.X, is_control)
    baseline = np.median(ctrl, axis=0)
    top_k = tuple(min(int(k), adata.n_vars) for k in spec.metric.get("top_k", (20, 100)))
    conditions = sorted(c for c in set(condition[~is_control]) if (condition == c).sum() >= 2)
    if not conditions:
        raise BenchError(f"task {spec.name}: no perturbation in {key!r} has >= 2 cells")
    rows = []
    for cond in conditions:
        truth = dense_rows(adata.X, condition == cond)
        pred = np.tile(baseline, (len(truth), 1))
        for metric, value in perturbation_metrics(ctrl, truth, pred, top_k=top_k).items():
            rows.append({"condition": cond, "metric": metric, "value": float(value) if np.isfinite(value) else None})
    means = pd.DataFrame(rows).groupby("metric", sort=False)["value"].mean()
    mean_rows = [{"condition": f"MEAN({len(conditions)} conditions)", "metric": metric,
                  "value": float(v) if np.isfinite(v) else None} for metric, v in means.items()]
    primary = spec.metric.get("primary", mean_rows[0]["metric"])
    mean_of = {r["metric"]: r["value"] for r in mean_rows}
    return Result(
        task=spec.name, family=spec.family,
        summary=summary(primary, mean_of.get(primary), means=mean_of),
        settings={"model": model, "model_description": MODELS[model], "config": meta["task"],
                  "n_cells": int(adata.n_obs), "n_genes": int(adata.n_vars), "n_control_cells": int(is_control.sum()),
                  "conditions": conditions, "top_k": list(top_k)},
        tables={"results": rows + mean_rows},
        text=format_table([{"metric": m, "mean": v} for m, v in mean_of.items()], digits=4),
        provenance=config_provenance(spec, meta, seed=seed, data_dir=data_dir),
    )
