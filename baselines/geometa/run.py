"""``bench run geometa_human_gender --model lr`` (or ``geometa_human`` for all four targets): train per
target on the official (or labelled fallback) split and return one :class:`bench.baselines.report.Result`
with the leaderboard-style table, per-target predictions and a per-class F1 plot."""
from __future__ import annotations

import hashlib
import time
import warnings

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bench.baselines.geometa.models import (MIN_EXPRESSED_FRACTION, MODELS, N_TOP_GENES, SYNTHETIC_GENES,
                                            SYNTHETIC_SEED, find_expression, fit_predict, make_split,
                                            study_majority, synthetic_expression, top_variance_genes)
from bench.baselines.geometa.records import GEOMETA_PREDICTIONS, as_text, geometa_record
from bench.baselines.report import Result, format_table, provenance, summary
from bench.errors import BenchError
from bench.results.family_records import bench_model
from bench.loaders.geometa import archs4
from bench.loaders.geometa import GeometaWarning, load_label_tables, target_column
from bench.metrics.geometa import geometa_f1
from bench.tasks import TaskSpec

HASH_LIMIT = 1 << 30   # input files larger than this (a real ARCHS4 file is ~40 GB) are not hashed


def target_rows(table: pd.DataFrame, column: str, exclude: list[str]) -> np.ndarray:
    """Row mask: target present and not one of ``exclude`` (upstream drops Mixed/Normal organs)."""
    values = table[column]
    return (values.notna() & ~values.isin(exclude)).to_numpy()


def run(spec: TaskSpec, *, model: str, data_dir=None, seed: int = 42, limit_folds: int | None = None,
        n_top: int = N_TOP_GENES, synthetic_genes: int = SYNTHETIC_GENES) -> Result:
    """Train ``model`` per target of ``spec`` (``limit_folds``: the first N targets) and score it."""
    if model not in MODELS:
        raise BenchError(f"unknown model {model!r} for task {spec.name}; choices: {', '.join(MODELS)}")
    started = time.perf_counter()
    targets = ([spec.params["target"]] if spec.params.get("target") else list(spec.params["targets"]))[:limit_folds]
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
        if model == "confound":
            y_pred, from_study = study_majority(train.loc[tr, "GSE_ID"], y_train, test.loc[te, "GSE_ID"])
            notes.append(f"{target}: confound control: {from_study} of {int(te.sum())} test samples predicted from their "
                         "own study's training labels, the rest from the global majority (study absent from training)")
        else:
            y_pred = fit_predict(model, x_train[tr], y_train, x_test[te], seed=seed)
        y_true = test.loc[te, column].to_numpy()
        scores = geometa_f1(y_true.tolist(), y_pred.tolist(), compat="leaderboard")
        scores.update({"n_train": int(tr.sum()), "n_test": int(te.sum()), "column": column, "excluded_values": exclude,
                       "unseen_test_classes": sorted(set(y_true) - set(y_train))})
        results[target] = scores
        predictions[target] = pd.DataFrame({"GSM_ID": test.loc[te, "GSM_ID"].to_numpy(), "GSE_ID": test.loc[te, "GSE_ID"],
                                            "y_true": y_true, "y_pred": y_pred})
    expression = {"synthetic": synthetic, "file": h5_path.name, "n_genes_used": len(genes),
                  "features": f"log1p(CPM), genes expressed in >= {MIN_EXPRESSED_FRACTION:.0%} of train, "
                              "top by train variance, standardised on train"}
    settings = {"model": model, "model_description": MODELS[model], "targets": targets, "split": split,
                "expression": expression, "load_report_missing_splits": load_report["missing_splits"],
                "predictions_sha256": predictions_sha256(predictions)}
    primary = spec.metric.get("primary", "macro_f1")
    values = {t: r[primary] for t, r in results.items()}
    files = {f"predictions_{t}.csv": frame for t, frame in predictions.items()}
    if predictions:
        keyed = {t: dict(zip(f["GSM_ID"].astype(str), f["y_pred"].tolist())) for t, f in predictions.items()}
        files[GEOMETA_PREDICTIONS] = as_text(keyed)
        files["record.json"] = geometa_record(
            spec, predictions=keyed, labels={t: dict(zip(f["GSM_ID"].astype(str), f["y_true"].tolist()))
                                             for t, f in predictions.items()},
            model=bench_model(model, MODELS[model], seed), synthetic=synthetic,
            origin=f"synthetic:geometa-archs4-seed{SYNTHETIC_SEED}" if synthetic else "local",
            runtime_seconds=time.perf_counter() - started)
    if results:
        files["per_class_f1.png"] = plot_per_class_f1(spec.name, model, results, synthetic=synthetic,
                                                      fallback=split["kind"] != "official")
    size = h5_path.stat().st_size
    return Result(
        task=spec.name, family=spec.family,
        summary=summary(primary, float(np.mean(list(values.values()))) if values else None, per_fold=values,
                        **{t: {k: v for k, v in r.items() if k not in ("per_class_f1", "support")}
                           for t, r in results.items()}),
        settings=settings,
        tables={"per_class": [{"target": t, "class": c, "support": r["support"][c], "f1": r["per_class_f1"][c]}
                              for t, r in results.items() for c in r["support"]]},
        files=files, notes=notes,
        text=render_text(spec, model=model, seed=seed, split=split, expression=expression, results=results,
                         targets=targets),
        provenance=provenance(spec, seed=seed, synthetic=synthetic,
                              origin=f"synthetic:geometa-archs4-seed{SYNTHETIC_SEED}" if synthetic else "local",
                              data_dir=data_dir,
                              inputs={"expression": h5_path if size <= HASH_LIMIT else f"not hashed ({size} bytes)"}),
    )


def predictions_sha256(predictions: dict[str, pd.DataFrame]) -> str:
    digest = hashlib.sha256()
    for target in sorted(predictions):
        digest.update(predictions[target].to_csv(index=False).encode())
    return digest.hexdigest()


def plot_per_class_f1(task: str, model: str, results: dict, *, synthetic: bool, fallback: bool,
                      max_classes: int = 30) -> Figure:
    """One horizontal bar panel per target: F1 of the largest classes (by test support)."""
    targets = list(results)
    heights = [min(max_classes, len(results[t]["support"])) for t in targets]
    fig = Figure(figsize=(7, 1.2 + 0.22 * sum(heights) + 0.6 * len(targets)), layout="constrained")
    axes = fig.subplots(len(targets), 1, gridspec_kw={"height_ratios": [max(h, 2) for h in heights]}, squeeze=False)
    for ax, target in zip(axes[:, 0], targets):
        res = results[target]
        classes = sorted(res["support"], key=lambda k: (-res["support"][k], k))[:max_classes][::-1]
        ax.barh([f"{c} (n={res['support'][c]})" for c in classes], [res["per_class_f1"][c] for c in classes],
                color="#4c78a8")
        ax.axvline(res["macro_f1"], color="#e45756", ls="--", lw=1)
        ax.set_xlim(0, 1)
        ax.set_title(f"{target}: per-class F1 (dashed: macro-F1 {res['macro_f1']:.3f})", fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
    fig.suptitle(f"{task} · {model}{' (SYNTHETIC expression)' if synthetic else ''}"
                 f"{' (fallback split)' if fallback else ''}", fontsize=10)
    return fig


def render_text(spec: TaskSpec, *, model, seed, split, expression, results, targets) -> str:
    """The leaderboard-style table (published rows + this run) plus the plain scores."""
    rows = [{"model": name, **{t.capitalize(): vals.get(t, "") for t in targets}}
            for name, vals in spec.params.get("leaderboard", {}).items()]
    rows.append({"model": f"bench {model} (this run)",
                 **{t.capitalize(): results[t]["leaderboard_display"] if t in results else "skipped" for t in targets}})
    marks = (["SYNTHETIC expression"] if expression["synthetic"] else []) + \
        (["fallback split"] if split["kind"] != "official" else [])
    if marks:   # this run is not comparable with the published rows: say so on its row
        rows = [{**r, "data": "published"} for r in rows[:-1]] + [{**rows[-1], "data": ", ".join(marks)}]
    lines = [f"{spec.name}: model {model}, seed {seed}",
             f"split: {split['description']}",
             "expression: " + ("SYNTHETIC (seeded ARCHS4-format file from bench's generator; not real measurements, "
                               "not comparable with published numbers)" if expression["synthetic"]
                               else f"ARCHS4 file {expression['file']}"),
             f"features: {expression['n_genes_used']} genes, {expression['features']}", "",
             "F1 (leaderboard convention: mean ± ddof=1 std of classification_report's f1-score column)",
             format_table(rows, rule=False)]
    for target in targets:
        if target in results:
            res = results[target]
            dropped = f", {'/'.join(res['excluded_values'])} dropped as upstream" if res["excluded_values"] else ""
            if res["unseen_test_classes"]:
                dropped += f"; {len(res['unseen_test_classes'])} test class(es) absent from train (F1 0)"
            mark = " · SYNTHETIC expression" if expression["synthetic"] else ""
            lines += ["", plain_scores_text(res, title=f"[{target}] plain scores (primary: macro-F1), "
                                                    f"n_train={res['n_train']} n_test={res['n_test']}{dropped}{mark}")]
    return "\n".join(lines)


def plain_scores_text(result: dict, *, title: str = "") -> str:
    """Overall scores, then per-class F1 sorted by support (largest first)."""
    lines = [title] if title else []
    lines.append(f"macro-F1 {result['macro_f1']:.4f}   weighted-F1 {result['weighted_f1']:.4f}   "
                 f"accuracy {result['accuracy']:.4f}   n={result['n']}")
    if "leaderboard_f1" in result:
        lines.append(f"leaderboard F1 ± std ({result['leaderboard_micro_row']} row): {result['leaderboard_display']}")
    support = result["support"]
    rows = [{"class": label, "support": support[label], "F1": result["per_class_f1"][label]}
            for label in sorted(support, key=lambda k: (-support[k], k))]
    lines.append(format_table(rows, rule=False, digits=4))
    return "\n".join(lines)
