"""GenoTEX dataset filtering and selection (spec §3.3) from parsed ``cohort_info`` records.

Two-step problems also need the column names of the linked CSVs (the regressor check); they come
in as a lookup ``linked(trait, cohort) -> list[str] | None`` (None: no such CSV), so this core
never opens a file. :func:`linked_lookup` makes one from the headers given as data.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

import numpy as np

from bench.errors import BenchTypeError
from bench.metrics.checks import check_strings
from bench.metrics.genotex._problems import (
    CATEGORIES, COVARIATES, category_label, check_compat, problem_category, round2)

#: ``linked(trait, cohort)``: column names of ``<trait>/<cohort>.csv`` (index column dropped), None if absent.
LinkedColumns = Callable[[str, str], "list[str] | None"]


def linked_lookup(headers: Mapping[str, Mapping[str, Iterable[str]]], name: str = "linked_columns") -> LinkedColumns:
    """``linked(trait, cohort)`` over the headers given as data, ``{trait: {cohort: [column names]}}``
    (a cohort not listed has no linked CSV); checked, naming ``name`` and the keys on a bad entry."""
    if not isinstance(headers, Mapping):
        raise BenchTypeError(f"{name}: expected {{trait: {{cohort: [column names]}}}}, got {type(headers).__name__}")
    table = {}
    for trait, cohorts in headers.items():
        if not isinstance(cohorts, Mapping):
            raise BenchTypeError(f"{name}[{trait!r}]: expected {{cohort: [column names]}}, got {type(cohorts).__name__}")
        table[trait] = {cohort: check_strings(columns, f"{name}[{trait!r}][{cohort!r}]")
                        for cohort, columns in cohorts.items()}
    return lambda trait, cohort: table.get(trait, {}).get(cohort)


def _pct(num: float, den: float) -> float:
    return 100.0 * num / den if den else 0.0


def filtering_scores(ref_info: Mapping[str, Mapping], pred_info: Mapping[str, Mapping]) -> dict:
    """Filtering P/R/F1/accuracy (×100) of ``is_available`` over the union of cohort IDs.

    A cohort missing on one side counts as not available there; a 0 denominator gives 0, so a
    trait with no available cohort anywhere scores P=R=F1=0 and accuracy 100.
    """
    tp = fp = tn = fn = 0
    for cohort in dict.fromkeys(list(ref_info) + list(pred_info)):
        truth = bool((ref_info.get(cohort) or {}).get("is_available", False))
        guess = bool((pred_info.get(cohort) or {}).get("is_available", False))
        tp += truth and guess
        fp += guess and not truth
        fn += truth and not guess
        tn += not truth and not guess
    precision, recall = _pct(tp, tp + fp), _pct(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "accuracy": _pct(tp + tn, tp + tn + fp + fn)}


def is_one_step(condition: str | None) -> bool:
    return condition is None or str(condition).lower() in ("none", "age", "gender")


def select_one_step(info: Mapping[str, Mapping], condition: str | None) -> str | None:
    """Usable cohort with the largest ``sample_size`` (first in JSON order on ties); for a
    condition exactly 'Age'/'Gender' it must also have ``has_age``/``has_gender``."""
    best, best_size = None, None
    need = {"Age": "has_age", "Gender": "has_gender"}.get(condition)
    for cohort, rec in info.items():
        if not rec.get("is_usable") or (need and not rec.get(need)):
            continue
        size = rec.get("sample_size") or 0
        if best_size is None or size > best_size:
            best, best_size = cohort, size
    return best


def ranked_cohort_pairs(trait_info: Mapping[str, Mapping], cond_info: Mapping[str, Mapping]) -> list[tuple[str, str]]:
    """usable(trait) × usable(condition) pairs by ``size_t · size_c`` descending (stable)."""
    pairs = [(t, c, (tr.get("sample_size") or 0) * (cr.get("sample_size") or 0))
             for t, tr in trait_info.items() if tr.get("is_usable")
             for c, cr in cond_info.items() if cr.get("is_usable")]
    pairs.sort(key=lambda p: -p[2])
    return [(t, c) for t, c, _ in pairs]


def select_two_step(trait_info, cond_info, *, pair_ok) -> tuple[str, str] | None:
    """First ranked pair for which ``pair_ok(trait_cohort, cond_cohort)`` (CSVs exist and share a
    gene regressor); None if the condition has no cohort_info or nothing qualifies."""
    if cond_info is None:
        return None
    for t, c in ranked_cohort_pairs(trait_info, cond_info):
        if pair_ok(t, c):
            return (t, c)
    return None


def gene_columns(columns: Iterable[str], trait: str, condition: str | None = None) -> list[str]:
    """Columns of a linked table that are genes: all but the trait, the condition and the covariates."""
    drop = {trait, *COVARIATES} | ({condition} if condition else set())
    return [c for c in columns if c not in drop]


def regressor_pair_check(linked: LinkedColumns, trait: str, condition: str, related: list[str]):
    """``pair_ok(trait_cohort, cond_cohort)``: both linked CSVs exist and share a related gene."""
    def ok(tc: str, cc: str) -> bool:
        t_cols, c_cols = linked(trait, tc), linked(condition, cc)
        if t_cols is None or c_cols is None:
            return False
        common = set(gene_columns(t_cols, trait, condition)) & set(gene_columns(c_cols, condition, trait))
        return any(g in common for g in related)
    return ok


def select_for_problem(infos: Mapping[str, Mapping], task_info: Mapping, trait: str, condition: str | None,
                       linked: LinkedColumns | None):
    """The upstream selection for one problem from ``{trait: cohort_info}`` (+ linked CSV columns)."""
    info = infos.get(trait)
    if is_one_step(condition):
        return select_one_step(info, condition)
    ok = regressor_pair_check(linked, trait, condition, task_info[condition]["related_genes"])
    return select_two_step(info, infos.get(condition), pair_ok=ok)


def _problem_conditions(task_info: Mapping, trait: str) -> list[str | None]:
    """Upstream problem order of one trait: ``None`` then each listed condition."""
    return [None, *task_info[trait]["conditions"]]


def score_selection(ref_infos: dict, pred_infos: dict, task_info: dict, *, ref_linked: LinkedColumns | None = None,
                    pred_linked: LinkedColumns | None = None, compat: str = "v2") -> dict:
    """Filtering and selection from ``{trait: cohort_info}`` dicts.

    Two-step problems need both ``*_linked`` lookups (linked CSV columns for the regressor check);
    without them they are skipped and counted in ``n_two_step_skipped``.
    """
    check_compat(compat)
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
        filt.append(filtering_scores(ref_infos[trait], pred_infos[trait]))
        for condition in _problem_conditions(task_info, trait):
            if not is_one_step(condition) and (ref_linked is None or pred_linked is None):
                skipped += 1
                continue
            want = select_for_problem(ref_infos, task_info, trait, condition, ref_linked)
            got = select_for_problem(pred_infos, task_info, trait, condition, pred_linked)
            acc = 100.0 if want == got else 0.0
            sel.append(acc)
            cats.append(problem_category(condition))
            per_problem.append({"trait": trait, "condition": "None" if condition is None else condition,
                                "ref": want, "pred": got, "accuracy": acc})
    rnd = (lambda x: x) if compat == "bench" else round2

    def mean(values):
        return rnd(float(np.nanmean(values))) if len(values) else float("nan")
    result = {"filtering": {k: mean([f[k] for f in filt]) for k in ("precision", "recall", "f1", "accuracy")},
              "selection": {"accuracy": mean(sel)}}
    for cat in CATEGORIES:
        vals = [a for a, c in zip(sel, cats) if c == cat]
        if vals:
            result["selection"][category_label(cat, compat)] = mean(vals)
    result["n_traits"], result["n_problems"], result["n_two_step_skipped"] = len(filt), len(sel), skipped
    return {"results": result, "per_problem": per_problem, "warnings": warnings}
