"""GenoTEX evaluation on the upstream directory layout (``eval.py -t selection preprocessing
analysis``): walk and read the output folders with the :mod:`bench.loaders.genotex` readers, score
with the pure cores of :mod:`bench.metrics.genotex`.

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
            row, cv = core.score_analysis_problem(pred_genes, pred_doc, ref_genes, ref_doc, compat=compat)
            if cv is not None:
                legacy_cv.append(cv)
            rows.append(row)
            cats.append(core.problem_category(cond))
            problems.append({"trait": tdir.name, "condition": cond, **row})
    if not rows and warnings:  # v2: every predicted file was unreadable, so every problem was dropped
        raise BenchError(f"{pred_regress}: no problem could be scored, {len(warnings)} predicted file(s) unreadable; "
                         f"first: {warnings[0]}")
    if not rows:
        raise BenchError(f"{ref_regress}: no significant_genes*.json reference files")
    result = core.aggregate_analysis(rows, cats, compat=compat, legacy_cv=legacy_cv)
    return {"results": result, "per_problem": problems, "warnings": warnings}

# ------------------------------------------------------------------------------------------
# selection


def linked_columns(pre_dir: Path) -> core.LinkedColumns:
    """``linked(trait, cohort)``: the header of ``pre_dir/<trait>/<cohort>.csv`` (index column dropped),
    None when that CSV is absent; the core's regressor check sees linked CSVs only through this."""
    def linked(trait: str, cohort: str) -> list[str] | None:
        path = gl.trait_dir(pre_dir, trait) / f"{cohort}.csv"
        return gl.read_csv_header(path) if path.is_file() else None
    return linked


def linked_headers(pre_dir, task_info: dict) -> dict[str, dict[str, list[str]]]:
    """``{trait: {cohort: header}}`` of every linked CSV ``pre_dir/<trait>/<cohort>.csv`` a two-step
    problem of ``task_info`` can look at (its trait's and its condition's): the
    ``pred_linked_columns`` / ``ref_linked_columns`` argument of the ``gta_selection`` metric."""
    traits = sorted({name for trait, problem in task_info.items() for condition in problem["conditions"]
                     if not core.is_one_step(condition) for name in (trait, condition)})
    folders = {t: gl.trait_dir(pre_dir, t) for t in traits}
    return {t: {f.stem: gl.read_csv_header(f) for f in sorted(folder.glob("*.csv"))}
            for t, folder in folders.items() if folder.is_dir()}


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
    out = core.score_selection(ref_infos, pred_infos, task_info, ref_linked=linked_columns(ref_pre),
                               pred_linked=linked_columns(pred_pre), compat=compat)
    out["warnings"] = warnings + out["warnings"]
    return out

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
        return core.table_zero(), f"unreadable ({exc})"
    try:
        return core.table_similarity(pred, ref), None
    except core.IncomparableTable as exc:
        return core.table_zero(), f"unreadable ({exc})"


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
                rows.append({"file": str(rel), **core.table_zero()})
                continue
            sim, problem = _file_similarity(pred_file, ref_file, sub, compat, trait)
            if problem:
                warnings.append(f"{pred_file}: {problem}; scored 0")
            rows.append({"file": str(rel), **sim})
        files[sub] = rows
        results[sub] = core.similarity_means(rows, compat=compat)
    return {"results": results, "per_file": files, "warnings": warnings}


# ------------------------------------------------------------------------------------------
# scored parts (bench evaluate, bench verify, bench leaderboard)


def score_parts(pred: Path, ref: Path, *, parts, task_info_path: Path | None, subtasks, compat: str, traits=None) -> dict:
    """{part: evaluator output} for the requested parts (selection needs task_info.json)."""
    out = {}
    if "selection" in parts:
        if task_info_path is None or not task_info_path.is_file():
            raise BenchError(f"--task-info: task_info.json not found at {task_info_path} (needed for selection)")
        out["selection"] = evaluate_selection(pred, ref, gl.read_task_info(task_info_path), compat=compat)
    if "preprocessing" in parts:
        out["preprocessing"] = evaluate_preprocessing(pred, ref, subtasks=subtasks, compat=compat)
    if "analysis" in parts:
        out["analysis"] = evaluate_analysis(pred, ref, compat=compat, traits=traits)
    return out


def trait_genes(ref_dir: Path, trait: str) -> set[str] | None:
    """The genes of a trait's data: the row ids of the reference's ``preprocess/<trait>/gene_data/*.csv``
    (None when the reference has no gene data for the trait)."""
    folder = Path(ref_dir) / "preprocess" / trait / "gene_data"
    tables = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if not tables:
        return None
    return {str(g) for path in tables for g in pd.read_csv(path, usecols=[0]).iloc[:, 0].dropna()}


def headline(scored: dict, primary: str):
    """The primary value: analysis Overall, selection accuracy, or the preprocessing mean over tables."""
    if "analysis" in scored:
        return scored["analysis"]["results"].get("Overall", {}).get(primary)
    if "selection" in scored:
        return scored["selection"]["results"].get("selection", {}).get("accuracy")
    rows = scored["preprocessing"]["results"].values()
    values = [r[primary] for r in rows if isinstance(r.get(primary), float) and not math.isnan(r[primary])]
    return float(np.mean(values)) if values else None
