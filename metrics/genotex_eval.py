"""GenoTEX evaluation on the upstream directory layout (``eval.py -t selection preprocessing
analysis``), over :mod:`bench.metrics.genotex`.

``pred`` and ``ref`` are output folders holding ``preprocess/`` and ``regress/``. Problems for
selection come from an explicit ``task_info.json`` (upstream hard-codes ``./metadata``).
Upstream printed-and-continued on errors; here they are collected in ``warnings`` (a malformed
*prediction* is reported, never fatal; a malformed *reference* is a BenchError).
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from bench.errors import BenchError
from bench.loaders import genotex as gl
from bench.metrics import genotex as core

TASKS = ("selection", "preprocessing", "analysis")
SUBTASKS = ("gene", "clinical", "linked")


def _check_dir(path, what: str) -> Path:
    path = Path(path)
    if not path.is_dir():
        raise BenchError(f"{what} folder not found: {path}")
    return path

# ------------------------------------------------------------------------------------------
# analysis


def _cv_prediction(doc: dict) -> dict:
    pred = ((doc.get("cv_performance") or {}).get("prediction") or {}) if isinstance(doc, dict) else {}
    return {"trait_pred_accuracy": pred.get("accuracy"), "trait_pred_f1": pred.get("f1")}


def _zeroed(obj):
    if isinstance(obj, dict):
        return {k: _zeroed(v) for k, v in obj.items()}
    return 0.0


def _flatten(obj, prefix=""):
    out = {}
    for k, v in (obj or {}).items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[key] = float(v)
    return out


def evaluate_analysis(pred_dir, ref_dir, *, compat: str = "v2", traits: Iterable[str] | None = None) -> dict:
    """Score ``pred/regress`` against every ``ref/regress/<trait>/significant_genes*.json``
    (only ``traits`` if given)."""
    core.check_compat(compat)
    ref_regress = _check_dir(Path(ref_dir) / "regress", "reference regress")
    pred_regress = Path(pred_dir) / "regress"
    rows, cats, problems, warnings, legacy_cv = [], [], [], [], []
    only = None if traits is None else set(traits)
    for tdir in sorted(p for p in ref_regress.iterdir() if p.is_dir()):
        if only is not None and tdir.name not in only:
            continue
        for ref_file in sorted(tdir.glob("significant_genes*.json")):
            ref_genes = gl.read_significant_genes(ref_file)
            ref_doc = json.loads(ref_file.read_text(encoding="utf-8"))
            cond = gl.condition_from_filename(ref_file.name)
            pred_file = pred_regress / tdir.name / ref_file.name
            pred_genes, pred_doc = None, None
            if pred_file.is_file():
                try:
                    pred_genes = gl.read_significant_genes(pred_file)
                    pred_doc = json.loads(pred_file.read_text(encoding="utf-8"))
                except BenchError as exc:
                    warnings.append(str(exc))
                    if compat == "v2":
                        continue  # upstream: the exception is printed and the problem disappears
                    pred_genes = None
            row = core.score_problem(pred_genes, ref_genes, compat=compat)
            if compat in ("v2", "genomas", "bench"):
                fail = float("nan") if compat in ("v2", "bench") else 0.0
                extra = _cv_prediction(pred_doc) if pred_doc is not None else {}
                for key in ("trait_pred_accuracy", "trait_pred_f1"):
                    value = extra.get(key)
                    row[key] = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else fail
            else:
                cv = _zeroed(ref_doc.get("cv_performance") or {})
                if pred_doc is not None and isinstance(pred_doc.get("cv_performance"), dict):
                    cv = pred_doc["cv_performance"]
                legacy_cv.append(_flatten(cv))
            rows.append(row)
            cats.append(core.problem_category(cond))
            problems.append({"trait": tdir.name, "condition": cond, **row})
    if not rows and warnings:  # v2: every predicted file was unreadable, so every problem was dropped
        raise BenchError(f"{pred_regress}: no problem could be scored, {len(warnings)} predicted file(s) unreadable; "
                         f"first: {warnings[0]}")
    if not rows:
        raise BenchError(f"{ref_regress}: no significant_genes*.json reference files")
    result = core.aggregate(rows, cats, compat=compat)
    if compat == "legacy":
        _add_legacy_cv(result, legacy_cv, cats)
    return {"results": result, "per_problem": problems, "warnings": warnings}


def _add_legacy_cv(result: dict, cvs: list[dict], cats: list[str]) -> None:
    for cat in list(core.CATEGORIES) + [core.OVERALL]:
        idx = [i for i, c in enumerate(cats) if c == cat or cat == core.OVERALL]
        label = core.category_label(cat, "legacy")
        if not idx or label not in result:
            continue
        keys = list(dict.fromkeys(k for i in idx for k in cvs[i]))
        result[label]["cv_performance"] = {k: core.round2(np.mean([cvs[i][k] for i in idx if k in cvs[i]]))
                                           for k in keys}

# ------------------------------------------------------------------------------------------
# selection


def _regressor_pair_ok(pre_dir: Path, trait: str, condition: str, related: list[str]):
    def ok(tc: str, cc: str) -> bool:
        tf, cf = gl.trait_dir(pre_dir, trait) / f"{tc}.csv", gl.trait_dir(pre_dir, condition) / f"{cc}.csv"
        if not (tf.is_file() and cf.is_file()):
            return False
        common = set(gl.gene_columns(gl.read_csv_header(tf), trait, condition)) & \
            set(gl.gene_columns(gl.read_csv_header(cf), condition, trait))
        return any(g in common for g in related)
    return ok


def select_for_problem(pre_dir: Path, task_info: dict, problem: gl.Problem, infos: dict):
    """The upstream selection for one problem from a preprocess folder (cohort_info + CSV headers)."""
    info = infos.get(problem.trait)
    if core.is_one_step(problem.condition):
        return core.select_one_step(info, problem.condition)
    ok = _regressor_pair_ok(pre_dir, problem.trait, problem.condition,
                            task_info[problem.condition]["related_genes"])
    return core.select_two_step(info, infos.get(problem.condition), pair_ok=ok)


def _load_infos(pre_dir: Path, traits: Iterable[str], warnings: list) -> dict:
    infos = {}
    for t in traits:
        f = gl.trait_dir(pre_dir, t) / "cohort_info.json"
        if f.is_file():
            try:
                infos[t] = gl.read_cohort_info(f)
            except BenchError as exc:
                warnings.append(str(exc))
    return infos


def evaluate_selection(pred_dir, ref_dir, task_info: dict, *, compat: str = "v2") -> dict:
    """Filtering (macro over traits) and selection accuracy (per problem, per category)."""
    core.check_compat(compat)
    ref_pre = _check_dir(Path(ref_dir) / "preprocess", "reference preprocess")
    pred_pre = Path(pred_dir) / "preprocess"
    warnings: list[str] = []
    ref_infos = _load_infos(ref_pre, task_info, warnings)
    if warnings:
        raise BenchError(warnings[0])
    pred_infos = _load_infos(pred_pre, task_info, warnings)
    out = score_selection(ref_infos, pred_infos, task_info, ref_pre=ref_pre, pred_pre=pred_pre, compat=compat)
    out["warnings"] = warnings + out["warnings"]
    return out


def score_selection(ref_infos: dict, pred_infos: dict, task_info: dict, *, ref_pre=None, pred_pre=None,
                    compat: str = "v2") -> dict:
    """Filtering and selection from ``{trait: cohort_info}`` dicts.

    Two-step problems need the preprocess folders (linked CSV headers for the regressor check);
    without them they are skipped and counted in ``n_two_step_skipped``.
    """
    core.check_compat(compat)
    pred_infos = dict(pred_infos)
    warnings: list[str] = []
    filt, sel, cats, per_problem, skipped = [], [], [], [], 0
    for trait in sorted(task_info):
        if trait not in ref_infos:
            continue
        if trait not in pred_infos:
            if compat in ("genomas", "bench"):
                pred_infos[trait] = {}
            else:
                warnings.append(f"prediction cohort_info.json of trait {trait} missing; trait skipped")
                continue
        filt.append(core.filtering_scores(ref_infos[trait], pred_infos[trait]))
        for problem in gl.iter_problems(task_info, traits=[trait]):
            if not core.is_one_step(problem.condition) and (ref_pre is None or pred_pre is None):
                skipped += 1
                continue
            want = select_for_problem(Path(ref_pre or "."), task_info, problem, ref_infos)
            got = select_for_problem(Path(pred_pre or "."), task_info, problem, pred_infos)
            acc = 100.0 if want == got else 0.0
            sel.append(acc)
            cats.append(problem.category)
            per_problem.append({"trait": trait, "condition": problem.condition_key, "ref": want, "pred": got,
                                "accuracy": acc})
    rnd = (lambda x: x) if compat == "bench" else core.round2

    def mean(values):
        return rnd(float(np.nanmean(values))) if len(values) else float("nan")
    result = {"filtering": {k: mean([f[k] for f in filt]) for k in ("precision", "recall", "f1", "accuracy")},
              "selection": {"accuracy": mean(sel)}}
    for cat in core.CATEGORIES:
        vals = [a for a, c in zip(sel, cats) if c == cat]
        if vals:
            result["selection"][core.category_label(cat, compat)] = mean(vals)
    result["n_traits"], result["n_problems"], result["n_two_step_skipped"] = len(filt), len(sel), skipped
    return {"results": result, "per_problem": per_problem, "warnings": warnings}

# ------------------------------------------------------------------------------------------
# preprocessing


def _subtask_files(ref_pre: Path, subtask: str) -> list[Path]:
    out = []
    for tdir in sorted(p for p in ref_pre.iterdir() if p.is_dir()):
        folder = {"gene": tdir / "gene_data", "clinical": tdir / "clinical_data", "linked": tdir}[subtask]
        out += sorted(folder.glob("*.csv"))
    return out


def _read_oriented(path: Path, subtask: str, compat: str, trait: str) -> pd.DataFrame:
    if subtask == "clinical" and compat == "bench":
        return gl.read_clinical_table(path, trait)  # orientation detected (TCGA files are samples × features)
    df = pd.read_csv(path, index_col=0)
    df.index = df.index.astype(str)
    df.columns = df.columns.astype(str)
    return df.T if subtask in ("gene", "clinical") else df


def _file_similarity(pred_file: Path, ref_file: Path, subtask: str, compat: str, trait: str) -> tuple[dict, str | None]:
    """Table similarity of one predicted/reference file pair; all-zero and the reason when a file cannot
    be read (upstream scores any read error 0) or its values cannot be compared. Other errors are bugs."""
    try:
        pred = _read_oriented(pred_file, subtask, compat, trait)
        ref = _read_oriented(ref_file, subtask, compat, trait)
    except (ValueError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:  # incl. BenchError
        return table_zero(), f"unreadable ({exc})"
    try:
        return core.table_similarity(pred, ref), None
    except core.IncomparableTable as exc:
        return table_zero(), f"unreadable ({exc})"


def evaluate_preprocessing(pred_dir, ref_dir, *, subtasks: Iterable[str] = SUBTASKS, compat: str = "v2") -> dict:
    """Per-file table similarity and the per-subtask nanmean (rounded to 2 except in bench mode)."""
    core.check_compat(compat)
    ref_pre = _check_dir(Path(ref_dir) / "preprocess", "reference preprocess")
    pred_pre = Path(pred_dir) / "preprocess"
    results, files, warnings = {}, {}, []
    for sub in subtasks:
        if sub not in SUBTASKS:
            raise BenchError(f"subtasks: expected some of {', '.join(SUBTASKS)}, got {sub!r}")
        rows = []
        for ref_file in _subtask_files(ref_pre, sub):
            rel = ref_file.relative_to(ref_pre)
            trait = rel.parts[0]
            pred_file = pred_pre / rel
            if not pred_file.is_file():
                if compat == "v2" or compat == "legacy":
                    continue
                rows.append({"file": str(rel), **table_zero()})
                continue
            sim, problem = _file_similarity(pred_file, ref_file, sub, compat, trait)
            if problem:
                warnings.append(f"{pred_file}: {problem}; scored 0")
            rows.append({"file": str(rel), **sim})
        files[sub] = rows
        keys = list(table_zero())
        rnd = (lambda x: x) if compat == "bench" else core.round2
        results[sub] = {k: (rnd(float(np.nanmean([r[k] for r in rows]))) if rows else float("nan")) for k in keys}
        results[sub]["n_files"] = len(rows)
    return {"results": results, "per_file": files, "warnings": warnings}


def table_zero() -> dict:
    return {"attributes_jaccard": 0.0, "samples_jaccard": 0.0, "feature_correlation": 0.0,
            "composite_similarity_correlation": 0.0}
