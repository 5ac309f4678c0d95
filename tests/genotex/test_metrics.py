"""GenoTEX gene-set scoring core: every rule of spec §3.1–3.2 on hand-computed cases, AUROC vs sklearn."""
from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from bench.errors import BenchError
from bench.metrics import genotex as g


def test_trait_normalisation_and_categories():
    assert g.normalize_trait("Crohn's Disease") == "Crohns_Disease"
    assert g.normalize_trait("Large  B-cell\tLymphoma") == "Large_B-cell_Lymphoma"
    assert g.normalize_trait("Sjögren's Syndrome") == "Sjögrens_Syndrome"
    assert g.normalize_trait("Autism spectrum disorder (ASD)") == "Autism_spectrum_disorder_(ASD)"
    assert g.problem_category(None) == g.problem_category("None") == g.problem_category("none") == g.UNCONDITIONAL
    assert g.problem_category("AGE") == g.problem_category("Gender") == g.CONDITIONAL
    assert g.problem_category("Type_2_Diabetes") == g.TWO_STEP


@pytest.mark.parametrize("bad", ["a/b", "..", "../x", "a\\b", ".hidden", "x..y", ""])
def test_unsafe_trait_names_are_rejected(bad):
    with pytest.raises(BenchError, match="trait"):
        g.check_trait_name(bad)


def test_precision_recall_f1_v2_hand_computed():
    s = g.score_problem(["A", "B", "C", "D"], ["A", "C", "E"])
    assert s["precision"] == pytest.approx(50.0)
    assert s["recall"] == pytest.approx(200 / 3)
    assert s["f1"] == pytest.approx(100 * 2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert s["success"] == 100.0
    assert set(s) == {"success", "precision", "recall", "f1", "auroc", "gsea_es"}


def test_duplicates_count_every_time_upstream_but_not_in_bench_mode():
    v2 = g.score_problem(["A", "A", "B"], ["A"])
    assert v2["precision"] == pytest.approx(200 / 3) and v2["recall"] == 100.0
    v2r = g.score_problem(["A"], ["A", "A", "B"])  # duplicated ref genes inflate recall
    assert v2r["recall"] == pytest.approx(200 / 3)
    bench = g.score_problem(["A", "A", "B"], ["A"], compat="bench")
    assert bench["precision"] == 50.0
    assert g.score_problem(["A"], ["A", "A", "B"], compat="bench")["recall"] == 50.0


@pytest.mark.parametrize("compat,both_empty,empty_pred", [("v2", 100.0, 0.0), ("genomas", 100.0, 0.0),
                                                          ("legacy", 0.0, 0.0), ("bench", 100.0, 0.0)])
def test_empty_set_policies(compat, both_empty, empty_pred):
    s = g.score_problem([], [], compat=compat)
    assert (s["precision"], s["recall"], s["f1"]) == (both_empty,) * 3
    s = g.score_problem([], ["A"], compat=compat)
    assert (s["precision"], s["recall"], s["f1"]) == (empty_pred, 0.0, 0.0)
    s = g.score_problem(["A"], [], compat=compat)
    assert s["precision"] == 0.0 and s["recall"] == (0.0 if compat == "legacy" else 0.0)


def test_legacy_keys_jaccard_and_unfilled_fields():
    s = g.score_problem(["A", "B", "C"], ["B", "D"], compat="legacy")
    assert list(s) == ["success", "precision", "precision_at_50", "recall", "f1", "jaccard", "jaccard2"]
    assert s["jaccard"] == pytest.approx(25.0)  # {B} / {A,B,C,D}
    assert s["precision_at_50"] == 0.0 and s["jaccard2"] == 0.0  # never filled upstream
    assert s["success"] == 1.0
    assert g.score_problem(None, ["A"], compat="legacy")["precision"] == 0.0


def test_precision_at_50_and_top_m_jaccard():
    pred = [f"G{i}" for i in range(60)]
    assert g.precision_at_k(pred, ["G0", "G55"]) == pytest.approx(1 / 50)
    assert g.precision_at_k(["A", "B"], ["A"]) == 0.5  # denominator is the truncated length
    assert g.precision_at_k([], ["A"]) == 0.0
    assert g.jaccard_top_m(["A", "B", "C"], ["B", "D"]) == pytest.approx(1 / 3)
    assert g.jaccard_top_m([], []) == 0.0
    b = g.score_problem(["A", "B", "C"], ["B", "D"], compat="bench")
    assert b["precision_at_50"] == pytest.approx(100 / 3) and b["jaccard_top_m"] == pytest.approx(100 / 3)


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 300)
    scores = rng.integers(0, 7, 300).astype(float)
    assert g.roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert math.isnan(g.roc_auc(np.ones(4), np.arange(4)))


def test_approximate_auroc_v2_hand_computed_and_vs_sklearn():
    pred, ref = ["A", "B", "C"], ["B", "X"]
    assert g.auroc_approx_v2(pred, ref) == pytest.approx(19998 / 19999)
    labels = np.zeros(20000); labels[1] = 1
    scores = np.zeros(20000); scores[:3] = [3, 2, 1]
    assert g.auroc_approx_v2(pred, ref) == pytest.approx(roc_auc_score(labels, scores))
    assert math.isnan(g.auroc_approx_v2(["A"], ["B"]))  # no hit
    assert math.isnan(g.auroc_approx_v2(["A"], []))  # empty ref
    assert g.auroc_approx_v2(["B"], ["B"]) == 1.0  # "≈1 whenever there is a hit"


def test_approximate_auroc_genomas_counts_unpredicted_ref_genes():
    # ranked [A,B,C,X], labels [0,1,0,1], scores [3,2,1,0] + 19996 (0,0) pads
    assert g.auroc_approx_genomas(["A", "B", "C"], ["B", "X"]) == pytest.approx(29995 / 39996)
    assert math.isnan(g.auroc_approx_genomas(["A"], []))


def test_full_auroc_duplicate_overwrites_earlier_score():
    # A gets 3 then is overwritten by its later score 1; B=2; C=D=0
    val = g.auroc_full(["A", "B", "A"], ["A", "D"], ["A", "B", "C", "D"])
    assert val == pytest.approx(0.375)
    assert val == pytest.approx(roc_auc_score([1, 0, 0, 1], [1, 2, 0, 0]))
    assert math.isnan(g.auroc_full(["A"], ["Z"], ["A", "B"]))  # all labels 0
    assert math.isnan(g.auroc_full(["A"], ["A"], []))


def test_gsea_es_v2_and_genomas_hand_computed():
    # L = [B, A, UNK0, UNK1]; v2 Nh = |{B,X}| = 2 -> .5, 0, -.5, -1
    assert g.gsea_es_approx(["B", "A"], ["B", "X"], n_genes=4) == pytest.approx(0.5)
    # GenoMAS: Nh = 1 hit in the list -> 1, 2/3, 1/3, 0
    assert g.gsea_es_approx(["B", "A"], ["B", "X"], n_genes=4, fixed_nh=True) == pytest.approx(1.0)
    # the starting 0 is not included: a first miss gives ES <= -1/Nm
    assert g.gsea_es_approx(["A"], ["X"], n_genes=3) == pytest.approx(-0.5)
    assert math.isnan(g.gsea_es_approx(["A"] * 5, ["A"], n_genes=4))  # |pred| > n_genes
    assert math.isnan(g.gsea_es_approx(["A"], [], n_genes=4))


def test_gsea_es_nh_larger_than_n_flips_the_miss_step():
    # all_genes [A,B], pred [B] -> L = [B, A]; Nh = 3 > N = 2, Nm = -1: miss adds +1, hit +1/3
    assert g.gsea_es_full(["B"], ["A", "X", "Y"], ["A", "B"]) == pytest.approx(4 / 3)


def test_all_genes_switches_to_full_path_and_empty_universe_gives_nan_auroc_as_upstream():
    full = g.score_problem(["A", "B"], ["B", "C"], all_genes=["A", "B", "C", "D"])
    assert full["auroc"] == pytest.approx(roc_auc_score([0, 1, 1, 0], [2, 1, 0, 0]))
    # upstream utils/metrics.py: AUROC takes the full path for `all_genes is not None` (empty: all
    # labels equal -> NaN); ES falls back to the approximate path when the universe is empty
    empty = g.score_problem(["A", "B"], ["B", "C"], all_genes=[])
    assert math.isnan(empty["auroc"])
    assert empty["gsea_es"] == g.gsea_es_approx(["A", "B"], ["B", "C"])
    assert math.isnan(g.score_problem(["A", "B"], ["B", "C"], all_genes=[], compat="bench")["auroc"])


def test_v2_aggregation_nan_policy_rounding_labels_and_pooled_overall():
    preds = [["A"], None, ["A", "B"], ["A", "B", "C"]]
    refs = [["A"], ["A"], ["Z"], ["A", "Z"]]
    conds = [None, "None", "Age", "Gender"]
    res = g.evaluate_gene_sets(preds, refs, conditions=conds)
    assert list(res) == ["Unconditional one-step", "Conditional one-step", "Overall"]
    unc = res["Unconditional one-step"]
    assert unc["precision"] == 100.0  # the failure is NaN and skipped
    assert unc["success"] == 50.0
    cond = res["Conditional one-step"]
    assert cond["precision"] == round(100 / 6, 2)  # mean(0, 33.33..) = 16.666.. -> 16.67
    ov = res["Overall"]
    assert ov["precision"] == round((100 + 0 + 100 / 3) / 3, 2)  # pooled, not mean of category means
    assert ov["success"] == 75.0


def test_legacy_aggregation_counts_failures_as_zero_and_uses_lower_case():
    res = g.evaluate_gene_sets([["A"], None], [["A"], ["A"]], conditions=[None, None], compat="legacy")
    assert list(res) == ["unconditional one-step", "overall"]
    assert res["overall"]["precision"] == 50.0 and res["overall"]["success"] == 0.5


def test_genomas_failures_are_zero_and_bench_reports_both_means():
    res = g.evaluate_gene_sets([["A"], None], [["A"], ["A"]], compat="genomas")
    assert res["Overall"]["precision"] == 50.0
    b = g.evaluate_gene_sets([["A"], None], [["A"], ["A"]], compat="bench")["Overall"]
    assert b["precision"] == 50.0 and b["precision_on_success"] == 100.0
    assert b["n_problems"] == 2 and b["n_success"] == 1


def test_two_step_category_and_unrounded_bench():
    res = g.evaluate_gene_sets([["A", "B", "C"]], [["A"]], conditions=["Obesity"], compat="bench")
    assert res["Two-step"]["precision"] == pytest.approx(100 / 3)  # not rounded


def test_bad_inputs_name_the_field():
    with pytest.raises(BenchError, match=r"predictions\[0\]\[1\]: gene symbols must be strings"):
        g.evaluate_gene_sets([["A", 5]], [["A"]])
    with pytest.raises(BenchError, match=r"references\[0\]: expected a list"):
        g.evaluate_gene_sets([["A"]], ["A"])
    with pytest.raises(BenchError, match="got 2 gene lists but references has 1"):
        g.evaluate_gene_sets([["A"], ["B"]], [["A"]])
    with pytest.raises(BenchError, match="compat: expected one of v2, legacy, genomas, bench"):
        g.evaluate_gene_sets([["A"]], [["A"]], compat="v3")


# --- parity with a literal, loop-based reading of spec §3.1(a) on random cases ---------------

def _literal_v2(pred, ref, n_genes, all_genes=None):
    """Spec §3.1(a) read literally: python lists, membership tests, sklearn roc_auc_score."""
    if len(pred) == 0:
        p = 1.0 if len(ref) == 0 else 0.0
    else:
        p = len([g for g in pred if g in ref]) / len(pred)
    if len(ref) == 0:
        r = 1.0 if len(pred) == 0 else 0.0
    else:
        r = len([g for g in ref if g in pred]) / len(ref)
    f = 0.0 if p + r == 0 else 2 * p * r / (p + r)
    if all_genes is not None:  # AUROC: full path for any given universe (empty -> NaN)
        score = {}
        for i, gene in enumerate(pred):
            score[gene] = len(pred) - i
        labels = [1 if gene in set(ref) else 0 for gene in all_genes]
        scores = [score.get(gene, 0) for gene in all_genes]
        auroc = float("nan") if len(set(labels)) < 2 else roc_auc_score(labels, scores)
        ranked = [all_genes[i] for i in sorted(range(len(all_genes)), key=lambda i: -scores[i])]
    if not all_genes:  # ES (and AUROC without a universe): the approximate path
        tp = pred[:n_genes]
        labels = [1 if gene in ref else 0 for gene in tp] + [0] * (n_genes - len(tp))
        scores = [len(tp) - i for i in range(len(tp))] + [0] * (n_genes - len(tp))
        if all_genes is None:
            auroc = (float("nan") if len(set(ref)) in (0, n_genes) or len(set(labels)) < 2
                     else roc_auc_score(labels, scores))
        ranked = None if len(pred) > n_genes else list(pred) + [f"UNK_{i}" for i in range(n_genes - len(pred))]
    es = float("nan")
    if ranked is not None:
        nh, n = len(set(ref)), len(ranked)
        if nh not in (0, n):
            running, best = 0.0, None
            for gene in ranked:
                running += 1.0 / nh if gene in set(ref) else -1.0 / (n - nh)
                best = running if best is None else max(best, running)
            es = best
    return {"precision": 100 * p, "recall": 100 * r, "f1": 100 * f, "auroc": auroc, "gsea_es": es}


@pytest.mark.parametrize("seed", range(4))
def test_v2_scores_equal_a_literal_reading_of_the_spec(seed):
    rng = np.random.default_rng(seed)
    vocab = [f"G{i}" for i in range(40)]
    for _ in range(60):
        pred = list(rng.choice(vocab, size=rng.integers(0, 25)))  # duplicates happen
        ref = list(rng.choice(vocab, size=rng.integers(0, 15)))
        universe = list(rng.choice(vocab, size=rng.integers(0, 30), replace=False)) if rng.random() < 0.4 else None
        n_genes = int(rng.integers(10, 60))
        got = g.score_problem(pred, ref, n_genes=n_genes, all_genes=universe)
        want = _literal_v2(pred, ref, n_genes, universe)
        for key, value in want.items():
            assert got[key] == pytest.approx(value, nan_ok=True, abs=1e-12), (key, pred, ref, universe, n_genes)
