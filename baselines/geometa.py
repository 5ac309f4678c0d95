"""GEOmeta baselines: predict sex / organ / disease / age of GEO samples from expression.

``bench run geometa_human_gender --model lr`` (or ``geometa_human`` for all four targets):

1. labels from the GEOMeta100K CSVs (:mod:`bench.loaders.geometa`); the official split is
   train = training CSV, test = test CSV. If only one CSV is available (the training CSVs are
   missing from some copies) a **fallback split** is made instead: that CSV's series (GSE) are
   shuffled with the seed and whole series go to test until it holds >= 20% of the samples.
   It is labelled as such everywhere and is not the leaderboard's split.
2. expression: an ARCHS4 file (``$BENCH_ARCHS4_H5``, or ``<data_dir>/<species>_gene_v2.2.h5``);
   else a seeded synthetic ARCHS4-format file (then every number is about synthetic data).
3. features: log1p(CPM) of genes expressed (> 0) in >= 5% of training samples, the top
   ``N_TOP_GENES`` by training variance, standardised on train.
4. models: ``lr`` logistic regression; ``knn`` k-nearest neighbours on PCA components.
5. scores: :func:`bench.metrics.geometa.geometa_f1` with ``compat="leaderboard"``, printed next
   to the seed's published rows; a results JSON and per-target predictions go to ``out``.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bench import __version__
from bench.errors import BenchError
from bench.io import write_json_atomic, write_text_atomic
from bench.loaders.geometa import GeometaWarning, load_label_tables, resolve_data_dir, target_column
from bench.metrics.geometa import format_results, geometa_f1
from bench.tasks import TaskSpec

MODELS = {
    "lr": "logistic regression (L2, lbfgs) on standardised log1p-CPM of the top-variance genes",
    "knn": "k-nearest neighbours (k=15) on 50 PCA components of the standardised top-variance genes",
}
ARCHS4_ENV = "BENCH_ARCHS4_H5"
N_TOP_GENES = 2000
MIN_EXPRESSED_FRACTION = 0.05
FALLBACK_TEST_FRACTION = 0.2
SYNTHETIC_GENES = 2000
SYNTHETIC_SEED = 0  # the synthetic data are fixed (same as `bench geometa build --expression synthetic`)


# ---------------------------------------------------------------------------------------- split
def fallback_split(table: pd.DataFrame, *, seed: int, test_fraction: float = FALLBACK_TEST_FRACTION,
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split one label table by series: shuffled GSEs go to test until >= ``test_fraction`` of rows."""
    sizes = table.groupby("GSE_ID").size().sort_index()
    if len(sizes) < 2:
        raise BenchError(f"cannot make a series-level fallback split: only {len(sizes)} GSE in the table")
    order = sizes.index.to_numpy()[np.random.default_rng(seed).permutation(len(sizes))]
    cumulative = sizes.loc[order].cumsum().to_numpy()
    n_test = int(np.searchsorted(cumulative, test_fraction * len(table)) + 1)
    test_gse = set(order[:min(n_test, len(order) - 1)])
    in_test = table["GSE_ID"].isin(test_gse)
    return table.loc[~in_test].reset_index(drop=True), table.loc[in_test].reset_index(drop=True)


def make_split(tables: dict[str, pd.DataFrame], *, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(train, test, info): the official CSV split when both exist, else the labelled fallback."""
    if "train" in tables and "test" in tables:
        train, test = tables["train"], tables["test"]
        shared = train["GSM_ID"].isin(set(test["GSM_ID"]))
        info = {"kind": "official", "description": "official GEOMeta100K split (training CSV -> train, test CSV -> test)"}
        if shared.any():
            info["description"] += f"; {int(shared.sum())} GSM(s) listed in both CSVs removed from train"
            train = train.loc[~shared].reset_index(drop=True)
        return train, test, info
    (source, table), = tables.items()
    train, test = fallback_split(table, seed=seed)
    return train, test, {
        "kind": "fallback_gse_split", "source_split": source, "seed": seed, "test_fraction": FALLBACK_TEST_FRACTION,
        "description": (f"FALLBACK split, NOT the official one: the {source} CSV alone was split by series "
                        f"(GSE, seed {seed}, >= {FALLBACK_TEST_FRACTION:.0%} of samples to test) because the "
                        f"other CSV is absent; numbers are not comparable with the leaderboard"),
        "train_gse": int(train["GSE_ID"].nunique()), "test_gse": int(test["GSE_ID"].nunique()),
    }


# ----------------------------------------------------------------------------------- expression
def find_expression(spec: TaskSpec, data_dir) -> Path | None:
    """The real ARCHS4 file if one is configured or sits in the data folder, else None."""
    if os.environ.get(ARCHS4_ENV):
        path = Path(os.environ[ARCHS4_ENV])
        if not path.is_file():
            raise BenchError(f"${ARCHS4_ENV} points to {path}, which does not exist (expected an ARCHS4 .h5)")
        return path
    candidate = resolve_data_dir(data_dir) / spec.params["archs4_file"]
    return candidate if candidate.is_file() else None


def synthetic_expression(spec: TaskSpec, labels: pd.DataFrame, *, seed: int = SYNTHETIC_SEED,
                         n_genes: int = SYNTHETIC_GENES) -> Path:
    """The seeded synthetic ARCHS4-format file for these labels (cached)."""
    from bench.loaders import archs4

    return archs4.cached_synthetic_archs4(labels.drop_duplicates("GSM_ID"), species=spec.params["species"],
                                          targets=list(spec.params["targets"].values()), seed=seed, n_genes=n_genes)


def top_variance_genes(h5_path: Path, train_gsms: list[str], *, n_top: int = N_TOP_GENES,
                       min_fraction: float = MIN_EXPRESSED_FRACTION) -> np.ndarray:
    """Genes expressed in >= ``min_fraction`` of the training samples, the ``n_top`` most variable
    (log1p-CPM, training samples only), in file order. One streamed pass over the columns."""
    from bench.loaders import archs4

    layout = archs4.read_layout(h5_path)
    cols, _ = layout.column_positions(train_gsms)
    cols = cols[cols >= 0]
    n, total, total_sq = 0, np.zeros(layout.n_genes), np.zeros(layout.n_genes)
    nonzero = np.zeros(layout.n_genes, dtype=np.int64)
    for _, block in archs4.iter_log_cpm(h5_path, cols, desc="gene statistics (train)"):
        n += len(block)
        total += block.sum(axis=0, dtype=np.float64)
        total_sq += np.square(block, dtype=np.float64).sum(axis=0)
        nonzero += (block > 0).sum(axis=0)
    variance = total_sq / n - (total / n) ** 2
    expressed = np.flatnonzero(nonzero >= max(1, min_fraction * n))
    if len(expressed) == 0:
        raise BenchError(f"{h5_path}: no gene is expressed in >= {min_fraction:.0%} of the training samples")
    keep = expressed[np.argsort(-variance[expressed], kind="stable")[:n_top]]
    return np.sort(keep)


# --------------------------------------------------------------------------------------- models
def make_model(model: str, *, seed: int, n_train: int, n_features: int):
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if model == "lr":
        return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000, random_state=seed))
    if model == "knn":
        n_comp = max(1, min(50, n_train - 1, n_features))
        return make_pipeline(StandardScaler(), PCA(n_components=n_comp, random_state=seed),
                             KNeighborsClassifier(n_neighbors=min(15, n_train)))
    raise BenchError(f"unknown model {model!r}; choices: {', '.join(MODELS)}")


def fit_predict(model: str, x_train, y_train, x_test, *, seed: int) -> np.ndarray:
    est = make_model(model, seed=seed, n_train=len(x_train), n_features=x_train.shape[1])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*lbfgs failed to converge.*")
        est.fit(x_train, y_train)
    return est.predict(x_test)


# ------------------------------------------------------------------------------------------ run
def target_rows(table: pd.DataFrame, column: str, exclude: list[str]) -> np.ndarray:
    """Row mask: target present and not one of ``exclude`` (upstream drops Mixed/Normal organs)."""
    values = table[column]
    return (values.notna() & ~values.isin(exclude)).to_numpy()


def run_task(spec: TaskSpec, *, model: str, data_dir=None, out=None, seed: int = 42, n_top: int = N_TOP_GENES,
             synthetic_genes: int = SYNTHETIC_GENES) -> int:
    """Train ``model`` per target of ``spec``, print the leaderboard-style table, write results."""
    from bench.loaders import archs4

    if model not in MODELS:
        raise BenchError(f"unknown model {model!r} for task {spec.name}; choices: {', '.join(MODELS)}")
    targets = [spec.params["target"]] if spec.params.get("target") else list(spec.params["targets"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GeometaWarning)
        tables, load_report = load_label_tables(spec, data_dir=data_dir)
    notes = [str(w.message) for w in caught if issubclass(w.category, GeometaWarning)]
    train, test, split = make_split(tables, seed=seed)
    h5_path = find_expression(spec, data_dir)
    synthetic = h5_path is None
    if synthetic:
        h5_path = synthetic_expression(spec, pd.concat(list(tables.values()), ignore_index=True),
                                       n_genes=synthetic_genes)
    genes = top_variance_genes(h5_path, train["GSM_ID"].tolist(), n_top=n_top)
    x_train, found_train, miss_train = archs4.read_log_cpm(h5_path, train["GSM_ID"].tolist(), gene_index=genes,
                                                           desc="train expression")
    x_test, found_test, miss_test = archs4.read_log_cpm(h5_path, test["GSM_ID"].tolist(), gene_index=genes,
                                                        desc="test expression")
    for split_name, missing in (("train", miss_train), ("test", miss_test)):
        if missing:
            notes.append(f"{split_name}: {len(missing)} GSM(s) not in {h5_path.name}, left out: "
                         f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}")
    train, test = train.loc[found_train].reset_index(drop=True), test.loc[found_test].reset_index(drop=True)
    results, predictions = {}, {}
    for target in targets:
        column = target_column(spec, target)
        exclude = list(spec.params.get("baseline_exclude_values", [])) if column == "Organ" else []
        tr, te = target_rows(train, column, exclude), target_rows(test, column, exclude)
        y_train = train.loc[tr, column].to_numpy()
        if len(set(y_train)) < 2 or te.sum() == 0:
            notes.append(f"{target}: skipped, {len(set(y_train))} training class(es) and {int(te.sum())} test rows")
            continue
        y_pred = fit_predict(model, x_train[tr], y_train, x_test[te], seed=seed)
        y_true = test.loc[te, column].to_numpy()
        scores = geometa_f1(y_true.tolist(), y_pred.tolist(), compat="leaderboard")
        scores.update({"n_train": int(tr.sum()), "n_test": int(te.sum()), "column": column, "excluded_values": exclude,
                       "unseen_test_classes": sorted(set(y_true) - set(y_train))})
        results[target] = scores
        predictions[target] = pd.DataFrame({"GSM_ID": test.loc[te, "GSM_ID"].to_numpy(), "GSE_ID": test.loc[te, "GSE_ID"],
                                            "y_true": y_true, "y_pred": y_pred})
    report = _report(spec, model=model, seed=seed, split=split, synthetic=synthetic, h5_path=h5_path,
                     n_genes=len(genes), results=results, predictions=predictions, notes=notes, load_report=load_report)
    out_dir = Path(out) if out else Path("bench_runs") / f"{spec.name}_{model}"
    _write_outputs(out_dir, report, predictions)
    print(render_report(spec, report, targets))
    print(f"\nresults: {out_dir / 'results.json'}")
    return 0


def _report(spec, *, model, seed, split, synthetic, h5_path, n_genes, results, predictions, notes, load_report) -> dict:
    pred_hash = hashlib.sha256()
    for target in sorted(predictions):
        pred_hash.update(predictions[target].to_csv(index=False).encode())
    return {
        "task": spec.name, "task_version": spec.version, "spec_sha256": spec.spec_hash, "family": spec.family,
        "synthetic": bool(synthetic),
        "metric_name": spec.metric["name"], "primary": spec.metric["primary"], "package_version": __version__,
        "model": model, "model_description": MODELS[model], "seed": seed, "split": split,
        "expression": {"synthetic": synthetic, "file": str(h5_path), "n_genes_used": n_genes,
                       "features": f"log1p(CPM), genes expressed in >= {MIN_EXPRESSED_FRACTION:.0%} of train, "
                                   "top by train variance, standardised on train"},
        "results": results, "notes": notes, "load_report_missing_splits": load_report["missing_splits"],
        "predictions_sha256": pred_hash.hexdigest(),
        "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _write_outputs(out_dir: Path, report: dict, predictions: dict[str, pd.DataFrame]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for target, frame in predictions.items():
        write_text_atomic(out_dir / f"predictions_{target}.csv", frame.to_csv(index=False))
    if report["results"]:
        plot_per_class_f1(report, out_dir / "per_class_f1.png")
    write_json_atomic(out_dir / "results.json", json.loads(json.dumps(report, default=str)))


def plot_per_class_f1(report: dict, path: Path, *, max_classes: int = 30) -> Path:
    """One horizontal bar panel per target: F1 of the largest classes (by test support)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bench.io import atomic_path

    targets = list(report["results"])
    heights = [min(max_classes, len(report["results"][t]["support"])) for t in targets]
    fig, axes = plt.subplots(len(targets), 1, figsize=(7, 1.2 + 0.22 * sum(heights) + 0.6 * len(targets)),
                             gridspec_kw={"height_ratios": [max(h, 2) for h in heights]}, squeeze=False,
                             layout="constrained")
    for ax, target in zip(axes[:, 0], targets):
        res = report["results"][target]
        classes = sorted(res["support"], key=lambda k: (-res["support"][k], k))[:max_classes][::-1]
        ax.barh([f"{c} (n={res['support'][c]})" for c in classes], [res["per_class_f1"][c] for c in classes],
                color="#4c78a8")
        ax.axvline(res["macro_f1"], color="#e45756", ls="--", lw=1)
        ax.set_xlim(0, 1)
        ax.set_title(f"{target}: per-class F1 (dashed: macro-F1 {res['macro_f1']:.3f})", fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
    synthetic = " (SYNTHETIC expression)" if report["expression"]["synthetic"] else ""
    fallback = " (fallback split)" if report["split"]["kind"] != "official" else ""
    fig.suptitle(f"{report['task']} · {report['model']}{synthetic}{fallback}", fontsize=10)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path


def render_report(spec: TaskSpec, report: dict, targets: list[str]) -> str:
    """The leaderboard-style table (published rows + this run) plus the plain scores."""
    label = f"bench {report['model']} (this run)"
    marks = (["SYNTHETIC expression"] if report["expression"]["synthetic"] else []) + \
        (["fallback split"] if report["split"]["kind"] != "official" else [])
    rows = [(name, [vals.get(t, "") for t in targets]) for name, vals in spec.params.get("leaderboard", {}).items()]
    mine = [report["results"][t]["leaderboard_display"] if t in report["results"] else "skipped" for t in targets]
    rows.append((label, mine))
    width = max(len(r[0]) for r in rows)
    cols = [max(len(t), 13) for t in targets]
    lines = [f"{spec.name}: model {report['model']}, seed {report['seed']}",
             f"split: {report['split']['description']}",
             "expression: " + ("SYNTHETIC (seeded ARCHS4-format file from bench's generator; not real measurements, "
                               "not comparable with published numbers)" if report["expression"]["synthetic"]
                               else f"ARCHS4 file {report['expression']['file']}"),
             f"features: {report['expression']['n_genes_used']} genes, {report['expression']['features']}", "",
             "F1 (leaderboard convention: mean ± ddof=1 std of classification_report's f1-score column)",
             " " * width + "  " + "  ".join(t.capitalize().ljust(c) for t, c in zip(targets, cols))]
    for name, vals in rows:
        mark = f"  [{', '.join(marks)}]" if name == label and marks else ""     # not comparable with the rows above
        lines.append(name.ljust(width) + "  " + "  ".join(str(v).ljust(c) for v, c in zip(vals, cols)) + mark)
    for target in targets:
        if target in report["results"]:
            res = report["results"][target]
            dropped = f", {'/'.join(res['excluded_values'])} dropped as upstream" if res["excluded_values"] else ""
            if res["unseen_test_classes"]:
                dropped += f"; {len(res['unseen_test_classes'])} test class(es) absent from train (F1 0)"
            mark = " · SYNTHETIC expression" if report["expression"]["synthetic"] else ""
            lines += ["", format_results(res, title=f"[{target}] plain scores (primary: macro-F1), "
                                                    f"n_train={res['n_train']} n_test={res['n_test']}{dropped}{mark}")]
    if report["notes"]:
        lines += ["", "notes:"] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines)
