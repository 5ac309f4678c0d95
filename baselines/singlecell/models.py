"""Single-cell baselines for ``bench run``: a PCA embedding (cz-benchmarks' compute_baseline) and a
seeded random-embedding floor, scored on every single-cell task of a spec.

``bench run pbmc68k --model pca`` builds the pbmc68k HF config offline (scanpy's wheel), embeds
the cells, runs clustering, embedding silhouette and label prediction (the tasks listed under
``params.tasks``) and writes a report folder::

    <out>/results.json   self-describing results (task, spec hash, model, seed, versions, rows)
    <out>/results.tsv    the same rows as a table
    <out>/scatter.png    first two principal components of the embedding, coloured by label
    <out>/embedding.npy  the embedding (rows = cells of the config, in order)
    <out>/obs.csv        cell ids and the label column (re-score with `bench evaluate-embedding`)

Perturbation tasks (``bench run adamson_perturbation --model control_median --data-dir DIR``)
score the legacy cz-benchmarks baseline, the control cells' per-gene median, per condition.
"""
from __future__ import annotations

import datetime as _dt
import time
from pathlib import Path

import numpy as np

from bench import __version__
from bench.errors import BenchError
from bench.io import atomic_path

MODELS = {
    "pca": "PCA (50 comps, seed) on highly variable genes (seurat flavour, 3000 or all genes) after "
           "normalize_total + log1p unless the config is already log-normalised (scanpy; as cz-benchmarks)",
    "random": "random-embedding floor: i.i.d. standard normal, 50 dims, seeded (no information)",
    "control_median": "perturbation floor (legacy cz-benchmarks baseline): every perturbed cell is predicted "
                      "as the per-gene median of the control cells",
}
EMBEDDING_MODELS = ("pca", "random")
PERTURBATION_MODELS = ("control_median",)
EMBEDDING_KINDS = {"clustering", "embedding", "label_prediction", "integration"}
N_DIMS = 50


def pca_embedding(adata, *, n_top_genes: int = 3000, n_comps: int = N_DIMS, random_state: int = 42,
                  normalised: bool = False) -> np.ndarray:
    """cz-benchmarks' ``compute_baseline``: normalize_total -> log1p -> HVG (seurat) -> PCA.

    ``normalised=True`` skips normalize_total/log1p for configs that already hold log1p values
    (pbmc68k). With fewer genes than ``n_top_genes`` every gene is kept.
    """
    import scanpy as sc

    ad = adata.copy()
    ad.X = ad.X.astype(np.float32)
    if not normalised:
        sc.pp.normalize_total(ad)
        sc.pp.log1p(ad)
    if n_top_genes < ad.n_vars:
        sc.pp.highly_variable_genes(ad, n_top_genes=n_top_genes, flavor="seurat")
        ad = ad[:, ad.var["highly_variable"].to_numpy()].copy()
    n_comps = min(n_comps, min(ad.shape) - 1)
    sc.pp.pca(ad, n_comps=n_comps, random_state=random_state)
    return np.asarray(ad.obsm["X_pca"], dtype=np.float32)


def random_embedding(n_cells: int, *, n_dims: int = N_DIMS, seed: int = 42) -> np.ndarray:
    """The information-free floor: standard normal (n_cells, n_dims), float32, seeded."""
    return np.random.default_rng(seed).standard_normal((n_cells, n_dims)).astype(np.float32)


def embed(adata, *, model: str, seed: int, normalised: bool) -> np.ndarray:
    if model == "pca":
        return pca_embedding(adata, random_state=seed, normalised=normalised)
    if model == "random":
        return random_embedding(adata.n_obs, seed=seed)
    raise BenchError(f"unknown model {model!r}; choices: {', '.join(MODELS)}")


def subtasks(spec) -> list:
    """The task specs a run covers: ``params.tasks`` of an umbrella spec, else the spec itself."""
    from bench.tasks import get_task

    names = spec.params.get("tasks")
    return [get_task(n) for n in names] if names else [spec]


def scatter_png(path: Path, X: np.ndarray, labels: np.ndarray, *, title: str) -> None:
    """First two principal components of ``X`` coloured by label (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    centred = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    pcs = centred @ vt[:2].T
    cats = sorted(set(labels))
    cmap = plt.get_cmap("tab10" if len(cats) <= 10 else "tab20")
    fig, ax = plt.subplots(figsize=(8.5, 6), dpi=110)
    for i, cat in enumerate(cats):
        m = labels == cat
        ax.scatter(pcs[m, 0], pcs[m, 1], s=8, color=cmap(i % cmap.N), label=f"{cat} ({int(m.sum())})",
                   linewidths=0, alpha=0.85)
    ax.set_xlabel("PC1 of the embedding")
    ax.set_ylabel("PC2 of the embedding")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, markerscale=2, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def report_dir(spec, model: str, out) -> Path:
    """The report folder (replaced as a whole): new, or a previous report (has results.json); never the cwd."""
    out = Path(out or Path("bench_runs") / f"{spec.name}_{model}")
    if Path.cwd().resolve().is_relative_to(out.resolve()):
        raise BenchError(f"--out {out}: is the current folder or one of its parents; the report folder is "
                         "replaced as a whole, so give a subfolder (e.g. --out ./report)")
    if out.exists() and not out.is_dir():
        raise BenchError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "results.json").is_file():
        raise BenchError(f"--out {out}: folder exists, is not empty and is not a bench report (no results.json); "
                         "refusing to replace it (choose a new folder)")
    return out


def run_task(spec, *, model: str, data_dir=None, out=None, seed: int = 42) -> int:
    """Embed the cells of ``spec``'s config with ``model``, score every sub-task, write a report."""
    from bench.loaders.anndata_io import load_config_anndata
    from bench.metrics.singlecell import format_rows, score_embedding

    if model not in MODELS:
        raise BenchError(f"unknown model {model!r} for task {spec.name}; choices: {', '.join(MODELS)}")
    out = report_dir(spec, model, out)
    tasks = subtasks(spec)
    kinds = [t.params.get("kind") for t in tasks]
    if kinds == ["perturbation"]:
        if model not in PERTURBATION_MODELS:
            raise BenchError(f"task {spec.name} is a perturbation task; models: {', '.join(PERTURBATION_MODELS)}")
        return run_perturbation(spec, model=model, data_dir=data_dir, out=out, seed=seed)
    unsupported = [t.name for t, k in zip(tasks, kinds) if k not in EMBEDDING_KINDS]
    if unsupported:
        raise BenchError(f"task(s) {', '.join(unsupported)}: unknown kind; expected one of {sorted(EMBEDDING_KINDS)}")
    if model not in EMBEDDING_MODELS:
        raise BenchError(f"task {spec.name} scores cell embeddings; models: {', '.join(EMBEDDING_MODELS)}")
    if "integration" in kinds and model == "pca":
        raise BenchError(f"task {spec.name}: no PCA baseline across species (genes differ; cz-benchmarks has "
                         "none either); use --model random or score your model with `bench evaluate-embedding`")
    start = time.perf_counter()
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
    X = embed(adata, model=model, seed=seed, normalised=normalised)
    rows = score_embedding(X, labels, batches=batches, tasks=list(dict.fromkeys(kinds)), random_state=seed)
    by_kind = {t.params.get("kind"): t for t in tasks}
    for row in rows:
        row["task_name"] = by_kind[row["task"]].name
    report = {
        "task": spec.name, "task_version": spec.version, "spec_hash": spec.spec_hash, "family": spec.family,
        "subtasks": {t.name: {"version": t.version, "spec_hash": t.spec_hash, "metric": t.metric["name"],
                              "primary": t.metric["primary"]} for t in tasks},
        "model": model, "model_description": MODELS[model], "seed": seed, "bench_version": __version__,
        "config": meta["task"], "n_cells": int(adata.n_obs), "n_genes": int(adata.n_vars),
        "embedding_dims": int(X.shape[1]), "label_key": label_key, "batch_key": batch_key,
        "results": rows, "seconds": round(time.perf_counter() - start, 3),
        "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    import json

    import pandas as pd

    with atomic_path(out, directory=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "results.json").write_text(json.dumps(report, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        pd.DataFrame([{"task": r["task_name"], "kind": r["task"], "metric": r["metric"],
                       "classifier": r["params"].get("classifier", ""), "value": r["value"]} for r in rows]
                     ).to_csv(tmp / "results.tsv", sep="\t", index=False)
        np.save(tmp / "embedding.npy", X)
        pd.DataFrame({"cell_id": adata.obs_names, label_key: labels}).to_csv(tmp / "obs.csv", index=False)
        headline = "  ".join(f"{r['metric']}={r['value']:.3f}" for r in rows
                             if r["metric"] in ("adjusted_rand_index", "silhouette_score", "entropy_per_cell")
                             or (r["metric"] == "mean_fold_f1" and r["params"].get("classifier", "").startswith("MEAN")))
        scatter_png(tmp / "scatter.png", X, labels,
                    title=f"{spec.name}: {model} embedding ({adata.n_obs} cells), coloured by {label_key}\n{headline}")
    print(format_rows(rows))
    print(f"\nreport: {out}/ (results.json, results.tsv, scatter.png, embedding.npy, obs.csv)")
    return 0


def run_perturbation(spec, *, model: str, data_dir=None, out=None, seed: int = 42) -> int:
    """Legacy cz-benchmarks PerturbationTask with the control-median baseline, per condition."""
    import json

    import pandas as pd

    from bench.loaders.anndata_io import load_config_anndata
    from bench.metrics.singlecell import perturbation_metrics

    start = time.perf_counter()
    adata, meta = load_config_anndata(spec, data_dir=data_dir)
    key, control = spec.label["column"], str(spec.label.get("control", "ctrl"))
    if key not in adata.obs:
        raise BenchError(f"task {spec.name}: obs column {key!r} missing (columns: {', '.join(map(str, adata.obs.columns))})")
    condition = adata.obs[key].astype(str).to_numpy()
    is_control = condition == control
    if is_control.sum() < 2:
        raise BenchError(f"task {spec.name}: needs >= 2 control cells ({key} == {control!r}), found {int(is_control.sum())}")
    X = adata.X
    ctrl = np.asarray(X[is_control].toarray() if hasattr(X, "toarray") else X[is_control], dtype=np.float64)
    baseline = np.median(ctrl, axis=0)
    top_k = tuple(min(int(k), adata.n_vars) for k in spec.metric.get("top_k", (20, 100)))
    rows = []
    conditions = sorted(c for c in set(condition[~is_control]) if (condition == c).sum() >= 2)
    if not conditions:
        raise BenchError(f"task {spec.name}: no perturbation in {key!r} has >= 2 cells")
    for cond in conditions:
        sel = condition == cond
        truth = np.asarray(X[sel].toarray() if hasattr(X, "toarray") else X[sel], dtype=np.float64)
        pred = np.tile(baseline, (len(truth), 1))
        for metric, value in perturbation_metrics(ctrl, truth, pred, top_k=top_k).items():
            rows.append({"task": "perturbation", "metric": metric,
                         "value": float(value) if np.isfinite(value) else None,  # NaN: constant delta
                         "params": {"condition": cond}, "task_name": spec.name})
    table = pd.DataFrame([{"condition": r["params"]["condition"], "metric": r["metric"],
                           "value": np.nan if r["value"] is None else r["value"]} for r in rows])
    means = table.groupby("metric", sort=False)["value"].mean()
    for metric, value in means.items():
        rows.append({"task": "perturbation", "metric": metric, "value": float(value) if np.isfinite(value) else None,
                     "params": {"condition": f"MEAN({len(conditions)} conditions)"}, "task_name": spec.name})
    out = report_dir(spec, model, out)
    report = {
        "task": spec.name, "task_version": spec.version, "spec_hash": spec.spec_hash, "family": spec.family,
        "model": model, "model_description": MODELS[model], "seed": seed, "bench_version": __version__,
        "config": meta["task"], "n_cells": int(adata.n_obs), "n_genes": int(adata.n_vars),
        "n_control_cells": int(is_control.sum()), "conditions": conditions, "top_k": list(top_k),
        "results": rows, "seconds": round(time.perf_counter() - start, 3),
        "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    with atomic_path(out, directory=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "results.json").write_text(json.dumps(report, indent=2, allow_nan=False) + "\n", encoding="utf-8")
        table.to_csv(tmp / "results.tsv", sep="\t", index=False)
    print(means.to_string(float_format=lambda v: f"{v:.4f}"))
    print(f"\nreport: {out}/ (results.json, results.tsv; {len(conditions)} conditions)")
    return 0
