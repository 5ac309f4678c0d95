"""GenoTEX gene-trait association (GTA) scoring: a pure numpy/python core.

Per problem, a predicted ranked gene list is compared with the reference significant genes;
problems are then averaged per category (unconditional one-step / conditional one-step /
two-step) and overall. ``compat`` picks whose rules apply:

``"v2"`` (default)
    ``Liu-Hy/GenoTex@1669c87`` ``eval.py -t analysis`` with ``utils/metrics.py``: precision,
    recall, F1 ×100 (both lists empty → 100), the *approximate* AUROC (≈1 whenever there is a
    hit: unpredicted reference genes are never positives), the GSEA-like ES with its ``Nh``
    bug, failures as NaN (so P/R/F1 average over successful problems only), ``success`` 100/0,
    category means ``round(nanmean, 2)``, capitalised labels, ``Overall`` pooled (micro).
``"legacy"``
    ``Liu-Hy/GenoTEX@d8547df`` ``eval.py`` with ``tools/statistics.py``: precision, recall, F1,
    Jaccard ×100 with *every* empty case → 0, ``precision_at_50``/``jaccard2`` always 0.0
    (upstream never fills them), failures 0, ``success`` 0/1, ``np.mean`` (no NaN skipping),
    lower-case labels.
``"genomas"``
    ``Liu-Hy/GenoMAS@30a7216``: v2 with the GSEA ``Nh`` fix and an approximate AUROC in which
    unpredicted reference genes are positives, and failures counted as 0.0.
``"bench"`` (our recommendation)
    duplicates removed from both lists, failures count as 0 in every set metric (and the
    means over successful problems are reported too, as ``<key>_on_success``), precision@50
    and top-m Jaccard included, GenoMAS AUROC/ES fixes (or the exact ones over ``all_genes``),
    no rounding.

Matching is exact, case-sensitive string equality, as upstream.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np

from bench.errors import BenchError
from bench.metrics.checks import check_bool, check_int, check_strings
from bench.metrics.genotex._problems import (
    CATEGORIES, MAX_N_GENES, N_GENES_APPROX, OVERALL, category_label, check_compat, check_gene_list, dedupe,
    problem_category, round2)

# ------------------------------------------------------------------------------------------
# set metrics


def _pr_f1(n_hit_pred: int, n_pred: int, n_hit_ref: int, n_ref: int, *, empty_is_perfect: bool):
    if n_pred:
        precision = n_hit_pred / n_pred
    else:
        precision = 1.0 if (empty_is_perfect and n_ref == 0) else 0.0
    if n_ref:
        recall = n_hit_ref / n_ref
    else:
        recall = 1.0 if (empty_is_perfect and n_pred == 0) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def precision_recall_f1(pred: Sequence[str], ref: Sequence[str], *, empty_is_perfect: bool = True):
    """Fractions (P, R, F1) with upstream list semantics: duplicated hits count every time.

    ``empty_is_perfect`` is the GenoTEX-v2 rule (P=1 for an empty prediction of an empty
    reference, likewise R); ``False`` is ``tools/statistics.py`` (every empty case → 0).
    """
    ref_set, pred_set = set(ref), set(pred)
    return _pr_f1(sum(g in ref_set for g in pred), len(pred), sum(g in pred_set for g in ref), len(ref),
                  empty_is_perfect=empty_is_perfect)


def jaccard(pred: Iterable[str], ref: Iterable[str]) -> float:
    """|P ∩ R| / |P ∪ R| over sets; 0 when both are empty."""
    p, r = set(pred), set(ref)
    union = p | r
    return len(p & r) / len(union) if union else 0.0


def jaccard_top_m(pred: Sequence[str], ref: Sequence[str]) -> float:
    """GenePrep ``jaccard2``: Jaccard of the top-m of both lists, m = min(|pred|, |ref|)."""
    m = min(len(pred), len(ref))
    return jaccard(pred[:m], ref[:m])


def precision_at_k(pred: Sequence[str], ref: Sequence[str], *, k: int = 50) -> float:
    """GenePrep ``precision_at_50``: hits in ``pred[:k]`` / min(k, |pred|); 0 for an empty pred."""
    if not pred:
        return 0.0
    ref_set = set(ref)
    top = pred[:k]
    return sum(g in ref_set for g in top) / len(top)

# ------------------------------------------------------------------------------------------
# AUROC and GSEA-like ES


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Binary ROC AUC by the rank-sum (Mann–Whitney) formula with mid-ranks; NaN if one class.

    Equal to ``sklearn.metrics.roc_auc_score`` (ties count one half).
    """
    labels = np.asarray(labels, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    n_pos = int(labels.sum())
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(scores.size, dtype=float)
    # mid-ranks over runs of tied scores
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [scores.size]))
    mid = (starts + ends + 1) / 2.0  # 1-based mean rank of each run
    ranks[order] = np.repeat(mid, ends - starts)
    rank_sum = ranks[labels].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def auroc_approx_v2(pred: Sequence[str], ref: Sequence[str], *, n_genes: int = N_GENES_APPROX) -> float:
    """v2 approximate AUROC: only predicted genes can be positives (≈1 whenever there is a hit)."""
    pred = list(pred[:n_genes])
    n_ref = len(set(ref))
    if n_ref in (0, n_genes):
        return float("nan")
    ref_set = set(ref)
    hits = np.fromiter((g in ref_set for g in pred), dtype=bool, count=len(pred))
    if not hits.any() or (hits.all() and len(pred) == n_genes):
        return float("nan")
    labels = np.zeros(n_genes, dtype=bool)
    labels[:len(pred)] = hits
    scores = np.zeros(n_genes)
    scores[:len(pred)] = np.arange(len(pred), 0, -1)
    return roc_auc(labels, scores)


def auroc_approx_genomas(pred: Sequence[str], ref: Sequence[str], *, n_genes: int = N_GENES_APPROX) -> float:
    """GenoMAS approximate AUROC: pred (scores |pred|−i) then the unpredicted reference genes
    (score 0, label 1), padded with (0, 0) to ``n_genes``; NaN if all labels are equal."""
    ref_set = set(ref)
    pred_set = set(pred)
    missing = [g for g in dict.fromkeys(ref) if g not in pred_set]
    ranked = (list(pred) + missing)[:n_genes]
    labels = np.zeros(n_genes, dtype=bool)
    labels[:len(ranked)] = [g in ref_set for g in ranked]
    scores = np.zeros(n_genes)
    k = min(len(pred), n_genes)
    scores[:k] = np.arange(len(pred), len(pred) - k, -1)
    if labels.all() or not labels.any():
        return float("nan")
    return roc_auc(labels, scores)


def _universe_scores(pred: Sequence[str], all_genes: Sequence[str]) -> np.ndarray:
    """Score of each ``all_genes`` entry: |pred| − i for pred[i] (a later duplicate overwrites), else 0."""
    score = {}
    for i, g in enumerate(pred):
        score[g] = len(pred) - i
    return np.array([score.get(g, 0) for g in all_genes], dtype=float)


def auroc_full(pred: Sequence[str], ref: Sequence[str], all_genes: Sequence[str]) -> float:
    """AUROC over the gene universe ``all_genes``: labels ``g ∈ ref``; genes outside are ignored."""
    ref_set = set(ref)
    labels = np.array([g in ref_set for g in all_genes], dtype=bool)
    if labels.size == 0:
        return float("nan")
    return roc_auc(labels, _universe_scores(pred, all_genes))


def _running_sum_max(hits: np.ndarray, n_hit: int) -> float:
    n = hits.size
    n_miss = n - n_hit
    if n_hit == 0 or n_hit == n:
        return float("nan")
    steps = np.where(hits, 1.0 / n_hit, -1.0 / n_miss)
    return float(np.cumsum(steps).max())


def gsea_es(ranked: Sequence[str], ref: Sequence[str], *, fixed_nh: bool = False) -> float:
    """Unweighted GSEA-like enrichment score: max of the running sum after each step.

    v2 (``fixed_nh=False``) sets ``Nh = |set(ref)|`` even for reference genes absent from the
    ranking (and a negative miss step when ``Nh > N``); GenoMAS (``fixed_nh=True``) counts the
    ranked entries that are in ``ref``.
    """
    ref_set = set(ref)
    hits = np.fromiter((g in ref_set for g in ranked), dtype=bool, count=len(ranked))
    n_hit = int(hits.sum()) if fixed_nh else len(ref_set)
    return _running_sum_max(hits, n_hit)


def gsea_es_approx(pred: Sequence[str], ref: Sequence[str], *, n_genes: int = N_GENES_APPROX,
                   fixed_nh: bool = False) -> float:
    """ES over ``pred`` padded with dummy genes to ``n_genes``; NaN if ``|pred| > n_genes``."""
    if len(pred) > n_genes:
        return float("nan")
    ref_set = set(ref)
    hits = np.zeros(n_genes, dtype=bool)
    hits[:len(pred)] = [g in ref_set for g in pred]
    n_hit = int(hits.sum()) if fixed_nh else len(ref_set)
    return _running_sum_max(hits, n_hit)


def gsea_es_full(pred: Sequence[str], ref: Sequence[str], all_genes: Sequence[str], *,
                 fixed_nh: bool = False) -> float:
    """ES over ``all_genes`` stable-sorted by the prediction score, descending."""
    scores = _universe_scores(pred, all_genes)
    order = np.argsort(-scores, kind="stable")
    ranked = [all_genes[i] for i in order]
    return gsea_es(ranked, ref, fixed_nh=fixed_nh)

# ------------------------------------------------------------------------------------------
# one problem


def score_problem(pred: Sequence[str] | None, ref: Sequence[str], *, compat: str = "v2",
                  all_genes: Sequence[str] | None = None, n_genes: int = N_GENES_APPROX) -> dict:
    """Scores of one problem under ``compat``; ``pred=None`` means no prediction (a failure).

    Keys (v2): success, precision, recall, f1, auroc, gsea_es. Legacy: success, precision,
    precision_at_50, recall, f1, jaccard, jaccard2. GenoMAS: as v2. Bench: success, precision,
    recall, f1, jaccard, precision_at_50, jaccard_top_m, auroc, gsea_es.
    """
    check_compat(compat)
    ref = list(ref)
    if compat == "legacy":
        return _score_legacy(pred, ref)
    if compat == "bench":
        return _score_bench(pred, ref, all_genes=all_genes, n_genes=n_genes)
    fail = float("nan") if compat == "v2" else 0.0
    out = {"success": 0.0, "precision": fail, "recall": fail, "f1": fail, "auroc": fail, "gsea_es": fail}
    if pred is None:
        return out
    pred = list(pred)
    p, r, f = precision_recall_f1(pred, ref, empty_is_perfect=True)
    fixed = compat == "genomas"
    out.update(success=100.0, precision=100 * p, recall=100 * r, f1=100 * f)
    # as upstream: AUROC takes the exact path for any given universe (an empty one gives NaN);
    # ES falls back to the approximate path for an empty universe
    if all_genes is not None:
        out["auroc"] = auroc_full(pred, ref, all_genes)
    else:
        out["auroc"] = (auroc_approx_genomas if fixed else auroc_approx_v2)(pred, ref, n_genes=n_genes)
    if all_genes:
        out["gsea_es"] = gsea_es_full(pred, ref, all_genes, fixed_nh=fixed)
    else:
        out["gsea_es"] = gsea_es_approx(pred, ref, n_genes=n_genes, fixed_nh=fixed)
    return out


def _score_legacy(pred, ref) -> dict:
    out = {"success": 0.0, "precision": 0.0, "precision_at_50": 0.0, "recall": 0.0, "f1": 0.0,
           "jaccard": 0.0, "jaccard2": 0.0}
    if pred is None:
        return out
    pred = list(pred)
    p, r, f = precision_recall_f1(pred, ref, empty_is_perfect=False)
    out.update(success=1.0, precision=100 * p, recall=100 * r, f1=100 * f, jaccard=100 * jaccard(pred, ref))
    return out


def _score_bench(pred, ref, *, all_genes, n_genes) -> dict:
    ref = dedupe(ref)
    out = {"success": 0.0, "precision": 0.0, "recall": 0.0, "f1": 0.0, "jaccard": 0.0,
           "precision_at_50": 0.0, "jaccard_top_m": 0.0, "auroc": float("nan"), "gsea_es": float("nan")}
    if pred is None:
        return out
    pred = dedupe(pred)
    p, r, f = precision_recall_f1(pred, ref, empty_is_perfect=True)
    out.update(success=100.0, precision=100 * p, recall=100 * r, f1=100 * f, jaccard=100 * jaccard(pred, ref),
               precision_at_50=100 * precision_at_k(pred, ref, k=50), jaccard_top_m=100 * jaccard_top_m(pred, ref))
    if all_genes is not None:  # an empty universe: nothing to rank, AUROC and ES NaN
        universe = dedupe(all_genes)
        out["auroc"] = auroc_full(pred, ref, universe)
        out["gsea_es"] = gsea_es_full(pred, ref, universe, fixed_nh=True)
    else:
        out["auroc"] = auroc_approx_genomas(pred, ref, n_genes=n_genes)
        out["gsea_es"] = gsea_es_approx(pred, ref, n_genes=n_genes, fixed_nh=True)
    return out

# ------------------------------------------------------------------------------------------
# aggregation


def _mean(values: list[float], compat: str) -> float:
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return float("nan")
    if compat == "legacy":
        return round2(np.mean(arr))
    if np.isnan(arr).all():
        return float("nan")
    m = float(np.nanmean(arr))
    return m if compat == "bench" else round2(m)


def aggregate(per_problem: Sequence[Mapping[str, float]], categories: Sequence[str], *,
              compat: str = "v2") -> dict:
    """Mean of every numeric key per category and ``Overall`` (pooled over all problems).

    Keys come from the first problem of each group, as upstream. Legacy uses ``np.mean`` (a
    NaN poisons the mean); the others skip NaN. ``bench`` also reports ``<key>_on_success``
    (means over successful problems only) and ``n_problems``/``n_success``; nothing is rounded.
    """
    check_compat(compat)
    if len(per_problem) != len(categories):
        raise BenchError(f"aggregate: {len(per_problem)} problem results but {len(categories)} categories")
    groups: dict[str, list[int]] = {}
    for i, cat in enumerate(categories):
        groups.setdefault(cat, []).append(i)
    ordered = [c for c in CATEGORIES if c in groups] + [c for c in groups if c not in CATEGORIES]
    result = {}
    for cat in ordered + [OVERALL]:
        idx = groups[cat] if cat != OVERALL else list(range(len(per_problem)))
        if not idx:
            continue
        result[category_label(cat, compat)] = _group_means([per_problem[i] for i in idx], compat)
    return result


def _group_means(rows: list[Mapping[str, float]], compat: str) -> dict:
    keys = [k for k, v in rows[0].items() if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool)]
    out = {k: _mean([r.get(k, float("nan")) for r in rows], compat) for k in keys}
    if compat == "bench":
        ok = [r for r in rows if r.get("success", 0) > 0]
        for k in keys:
            if k != "success":
                out[f"{k}_on_success"] = _mean([r[k] for r in ok], compat) if ok else float("nan")
        out["n_problems"] = len(rows)
        out["n_success"] = len(ok)
    return out


def evaluate_gene_sets(predictions: Sequence[Sequence[str] | None], references: Sequence[Sequence[str]], *,
                       conditions: Sequence[str | None] | None = None,
                       all_genes: Sequence[Sequence[str] | None] | None = None,
                       compat: str = "v2", n_genes: int = N_GENES_APPROX, return_per_problem: bool = False) -> dict:
    """Score every problem and aggregate per category and overall.

    ``predictions[i]`` is a ranked gene list or ``None`` (no prediction file: a failure);
    ``conditions[i]`` is None/'None'/'Age'/'Gender'/a trait (default: all unconditional);
    ``all_genes[i]`` an optional gene universe switching AUROC/ES to the exact path.
    """
    check_compat(compat)
    check_int(n_genes, "n_genes", minimum=1, maximum=MAX_N_GENES, hint=" (size of the approximate gene universe)")
    check_bool(return_per_problem, "return_per_problem")
    n = len(references)
    if n == 0:
        raise BenchError("references: no problems to score; expected one reference gene list per problem")
    if conditions is not None:
        check_strings(conditions, "conditions", allow_none=True)
    if len(predictions) != n:
        raise BenchError(f"predictions: got {len(predictions)} gene lists but references has {n}")
    if conditions is not None and len(conditions) != n:
        raise BenchError(f"conditions: got {len(conditions)} values but references has {n}")
    if all_genes is not None and len(all_genes) != n:
        raise BenchError(f"all_genes: got {len(all_genes)} lists but references has {n}")
    rows = []
    for i in range(n):
        ref = check_gene_list(references[i], field=f"references[{i}]")
        pred = None if predictions[i] is None else check_gene_list(predictions[i], field=f"predictions[{i}]")
        universe = None
        if all_genes is not None and all_genes[i] is not None:
            universe = check_gene_list(all_genes[i], field=f"all_genes[{i}]")
        rows.append(score_problem(pred, ref, compat=compat, all_genes=universe, n_genes=n_genes))
    cats = [problem_category(c) for c in (conditions if conditions is not None else [None] * n)]
    result = aggregate(rows, cats, compat=compat)
    if return_per_problem:
        result["per_problem"] = rows
    return result


# ------------------------------------------------------------------------------------------
# analysis problems from parsed significant_genes*.json documents (eval.py -t analysis)


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


def score_analysis_problem(pred_genes: Sequence[str] | None, pred_doc: dict | None, ref_genes: Sequence[str],
                           ref_doc: dict, *, compat: str = "v2") -> tuple[dict, dict | None]:
    """One analysis problem: ``(row, legacy_cv)``.

    ``row`` is :func:`score_problem` plus, except in legacy mode, the prediction's
    ``cv_performance.prediction`` accuracy/F1 (``trait_pred_accuracy``/``trait_pred_f1``; NaN in
    v2/bench and 0 in GenoMAS when absent). Legacy returns the flattened ``cv_performance`` of the
    prediction (else the reference's, zeroed) as ``legacy_cv``; the others return None.
    """
    row = score_problem(pred_genes, ref_genes, compat=compat)
    if compat == "legacy":
        cv = _zeroed(ref_doc.get("cv_performance") or {})
        if pred_doc is not None and isinstance(pred_doc.get("cv_performance"), dict):
            cv = pred_doc["cv_performance"]
        return row, _flatten(cv)
    fail = float("nan") if compat in ("v2", "bench") else 0.0
    extra = _cv_prediction(pred_doc) if pred_doc is not None else {}
    for key in ("trait_pred_accuracy", "trait_pred_f1"):
        value = extra.get(key)
        row[key] = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else fail
    return row, None


def aggregate_analysis(rows: Sequence[Mapping[str, float]], categories: Sequence[str], *, compat: str = "v2",
                       legacy_cv: Sequence[Mapping[str, float]] | None = None) -> dict:
    """:func:`aggregate`, plus in legacy mode each group's mean ``cv_performance`` (rounded to 2)."""
    result = aggregate(rows, categories, compat=compat)
    if compat == "legacy":
        _add_legacy_cv(result, list(legacy_cv or []), list(categories))
    return result


def _add_legacy_cv(result: dict, cvs: list[dict], cats: list[str]) -> None:
    for cat in list(CATEGORIES) + [OVERALL]:
        idx = [i for i, c in enumerate(cats) if c == cat or cat == OVERALL]
        label = category_label(cat, "legacy")
        if not idx or label not in result:
            continue
        keys = list(dict.fromkeys(k for i in idx for k in cvs[i]))
        result[label]["cv_performance"] = {k: round2(np.mean([cvs[i][k] for i in idx if k in cvs[i]]))
                                           for k in keys}
