"""Category C: cross-tissue transfer (train on every sample of tissue X, score every sample of Y).

Three methods, as in the upstream seed:

- ``gene``: the genes both gene-level configs share (source ∩ target feature ids);
- ``deg``: the shared genes that are differentially expressed in the SOURCE tissue (Welch t-test
  Flight vs Ground on source samples only, Benjamini-Hochberg q < 0.05; if fewer than
  ``min_genes`` pass, the ``min_genes`` smallest q). Target labels are never used to choose genes.
  Upstream's exact DEG recipe is not in the public snapshot; this is our documented definition;
- ``pathway``: the GSVA scores of a pathway-level config pair (default collection hallmark),
  pathways intersected.

Every fitted step sees source samples only; the target tissue is scored once, as one fold.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from bench.baselines.genelab import scoring
from bench.baselines.genelab.data import all_samples, load_config
from bench.baselines.genelab.models import fit_predict
from bench.baselines.report import Result, config_provenance, format_table, summary
from bench.errors import BenchError
from bench.tasks import get_task

METHODS = ("gene", "deg", "pathway")


class DataUnavailable(BenchError):
    """A method's configs cannot be loaded from this data source (e.g. no gene-level matrices)."""


def _non_holdout_splits(meta: dict) -> list[str]:
    splits = set()
    for f in meta.get("folds") or []:
        if not f.get("holdout"):
            splits.add(f["test_split"])
            splits.update(f.get("train_splits") or [])
    return sorted(splits)


def _tissue_matrix(task: str, *, data_dir):
    dsd, meta = load_config(task, data_dir=data_dir)
    splits = [s for s in (_non_holdout_splits(meta) or sorted(dsd)) if s in dsd]
    X, y, obs, ids = all_samples(dsd, target="label", splits=splits)
    obs.attrs["meta"] = meta
    return X, y, obs, ids


def _align(X, ids: list[str], keep: list[str]) -> np.ndarray:
    pos = {g: i for i, g in enumerate(ids)}
    return X[:, [pos[g] for g in keep]]


def source_degs(X: np.ndarray, y: np.ndarray, *, q_max: float = 0.05, min_genes: int = 50) -> np.ndarray:
    """Column indices of differentially expressed genes (Welch t, BH q < q_max; else the min_genes best)."""
    y = np.asarray(y).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        t, p = stats.ttest_ind(X[y == 1], X[y == 0], axis=0, equal_var=False)
    p = np.where(np.isnan(p), 1.0, p)
    q = stats.false_discovery_control(p, method="bh")
    chosen = np.flatnonzero(q < q_max)
    if len(chosen) < min_genes:
        chosen = np.sort(np.argsort(q, kind="stable")[:min_genes])
    return chosen


def transfer(method: str, *, source: str, target: str, model: str, data_dir=None, seed: int = 42,
             legacy_stats: bool = False) -> dict:
    """Fit on every source sample, score every target sample; one result row (with the scores)."""
    if method not in METHODS:
        raise BenchError(f"cross-tissue method must be one of {list(METHODS)}, got {method!r}")
    try:
        Xs, ys, _, ids_s = _tissue_matrix(source, data_dir=data_dir)
        Xt, yt, obs_t, ids_t = _tissue_matrix(target, data_dir=data_dir)
    except BenchError as exc:
        raise DataUnavailable(f"method {method!r} needs configs {source} and {target}: {exc}") from None
    target_ids = set(ids_t)
    shared = [g for g in ids_s if g in target_ids]
    if not shared:
        raise BenchError(f"{source} and {target} share no features: cannot transfer by method {method!r}")
    Xs, Xt = _align(Xs, ids_s, shared), _align(Xt, ids_t, shared)
    if method == "deg":
        keep = source_degs(Xs, ys)
        Xs, Xt, shared = Xs[:, keep], Xt[:, keep], [shared[i] for i in keep]
    level = "pathway" if method == "pathway" else "gene"
    _, proba = fit_predict(model, Xs, ys, Xt, level=level, seed=seed, where=f"source {source}")
    stats_row = scoring.single_fold(yt, proba[:, -1], legacy=legacy_stats)
    return {"method": method, "source": source, "target": target, "n_features": len(shared),
            "n_source": int(len(ys)), "n_target": int(len(yt)), "synthetic": bool(obs_t.attrs["meta"].get("synthetic")),
            **stats_row, "target_sample_ids": [str(i) for i in obs_t.index],
            "target_scores": [float(v) for v in proba[:, -1]], "_meta": obs_t.attrs["meta"]}


TABLE_COLUMNS = ["method", "source", "target", "n_features", "n_target", "auroc", "ci_lower", "ci_upper", "perm_p"]


def _table_marked(rows: list[dict]) -> str:
    """The methods table; a ``data`` column says SYNTHETIC/real per row when any row is synthetic."""
    if not any(r.get("synthetic") for r in rows):
        return format_table(rows, TABLE_COLUMNS, rule=False)
    marked = [{**r, "data": "SYNTHETIC" if r.get("synthetic") else "real"} for r in rows]
    return format_table(marked, TABLE_COLUMNS + ["data"], rule=False)


def run_category_c(spec, *, model: str, data_dir=None, seed: int = 42, limit_folds: int | None = None) -> Result:
    """Category C: every method of ``params.methods`` that the data source supports (``limit_folds``
    keeps the first N methods)."""
    params = spec.params
    rows, skipped = [], {}
    for method in list(params.get("methods", METHODS))[:limit_folds]:
        key = "pathway" if method == "pathway" else "gene"
        source, target = params["source_tasks"][key], params["target_tasks"][key]
        get_task(source), get_task(target)   # registry names must resolve
        try:
            rows.append(transfer(method, source=source, target=target, model=model, data_dir=data_dir, seed=seed))
        except DataUnavailable as exc:
            skipped[method] = str(exc)
    if not rows:
        raise BenchError(f"task {spec.name}: no method could run: " + "; ".join(skipped.values()))
    meta = rows[0].pop("_meta")
    for r in rows[1:]:
        r.pop("_meta")
    text = "\n".join([f"{spec.name} · cross-tissue {params['source_tissue']} -> {params['target_tissue']} · model {model}",
                      _table_marked(rows)]
                     + [f"skipped {method}: {why}" for method, why in skipped.items()])
    return Result(
        task=spec.name, family=spec.family,
        summary=summary("auroc", rows[0]["auroc"], per_fold={r["method"]: r["auroc"] for r in rows},
                        skipped=skipped),
        settings={"model": model, "category": "C", "statistics": scoring.statistics_label(False),
                  "methods": [r["method"] for r in rows]},
        tables={"methods": rows}, text=text,
        provenance=config_provenance(spec, {**meta, "synthetic": any(r["synthetic"] for r in rows)},
                                     seed=seed, data_dir=data_dir))
