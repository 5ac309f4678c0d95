"""Property-based tests (hypothesis) of every metric core: random shapes, ties, duplicates, huge
values, empty and bad inputs. Invariant: a clear ValueError/TypeError naming the argument, or the
value of an independent reference (sklearn, scipy, or the spec read literally)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume
from hypothesis import strategies as st
from property_helpers import (bad_scalars, clear_error_or_result, exact_silhouette_and_tolerance, fast_and_thorough,
                              finite_scores, same_float)
from sklearn.metrics import (accuracy_score, adjusted_rand_score, classification_report, f1_score,
                             normalized_mutual_info_score, precision_score, recall_score, roc_auc_score)

from bench.metrics import genotex, geometa, singlecell
from bench.metrics.genelab import lomo

labels01 = st.lists(st.integers(0, 1), min_size=0, max_size=40)


# --- lomo (GeneLab) ----------------------------------------------------------------------------

@st.composite
def scored_labels(draw, min_size=0, max_size=40):
    y = draw(st.lists(st.integers(0, 1), min_size=min_size, max_size=max_size))
    pool = draw(st.sampled_from(["free", "ties"]))
    values = finite_scores if pool == "free" else st.sampled_from([0.0, 0.25, 0.5, 1.0])
    s = draw(st.lists(values, min_size=len(y), max_size=len(y)))
    return np.array(y, dtype=np.int64), np.array(s, dtype=np.float64)


def _check_lomo_auroc_equals_sklearn(data):
    y, s = data
    got = lomo.roc_auc(y, s)
    if len(set(y.tolist())) < 2:
        assert got is None
        return
    assert got == roc_auc_score(y, s)  # the same float, not just close
    assert lomo.roc_auc_rank(y, s) == pytest.approx(got, abs=1e-12)


test_lomo_auroc_equals_sklearn, test_lomo_auroc_equals_sklearn_thorough = fast_and_thorough(
    data=scored_labels())(_check_lomo_auroc_equals_sklearn)


@st.composite
def fold_sets(draw):
    n_folds = draw(st.integers(1, 4))
    return [(f"fold_{i}", *draw(scored_labels(min_size=1, max_size=15))) for i in range(n_folds)]


def _check_lomo_folds_summary(folds, n_bootstrap):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the single-fold warning
        out = lomo.evaluate_folds(folds, n_bootstrap=n_bootstrap, n_permutations=n_bootstrap)
    aurocs = []
    for row, (_, y, s) in zip(out["per_fold"], folds):
        want = roc_auc_score(y, s) if len(set(y.tolist())) == 2 else None
        assert same_float(row["auroc"], want)
        if want is not None:
            aurocs.append(want)
            if row["ci_lower"] is not None:
                assert 0.0 <= row["ci_lower"] <= row["ci_upper"] <= 1.0
            if row["perm_p"] is not None:
                assert 1 / (n_bootstrap + 1) <= row["perm_p"] <= 1.0
    summary = out["summary"]
    assert same_float(summary["mean_auroc"], float(np.mean(aurocs)) if aurocs else None)
    assert summary["n_folds_defined"] == len(aurocs)
    if summary["go_nogo"] is not None:
        th = out["thresholds"]
        go = (summary["mean_auroc"] > th["mean_auroc"] and summary["mean_ci_lower"] > th["mean_ci_lower"]
              and summary["mean_perm_p"] < th["mean_perm_p"])
        assert summary["go_nogo"] == ("GO" if go else "NO-GO")


test_lomo_fold_summary_matches_sklearn, test_lomo_fold_summary_matches_sklearn_thorough = fast_and_thorough(
    folds=fold_sets(), n_bootstrap=st.integers(0, 30), fast=15, thorough=200)(_check_lomo_folds_summary)

option_values = st.one_of(st.integers(-10**12, 10**12), st.floats(), bad_scalars)


def _check_lomo_options_contract(name, value):
    options = {"n_bootstrap": 10, "n_permutations": 10, "seed": 0, "large_test_min": 20, name: value}
    _, exc = clear_error_or_result(lambda: lomo.check_statistics_options(**options), [name])
    bounds = {"n_bootstrap": (0, lomo.MAX_N_BOOTSTRAP), "n_permutations": (0, lomo.MAX_N_PERMUTATIONS),
              "seed": (0, 2**32 - 1), "large_test_min": (1, math.inf)}[name]
    valid = type(value) is int and bounds[0] <= value <= bounds[1]
    assert (exc is None) == valid, (name, value, exc)


test_lomo_options_contract, test_lomo_options_contract_thorough = fast_and_thorough(
    name=st.sampled_from(["n_bootstrap", "n_permutations", "seed", "large_test_min"]), value=option_values,
    fast=60, thorough=1000)(_check_lomo_options_contract)


def _check_thresholds_contract(key, value):
    _, exc = clear_error_or_result(lambda: lomo.Thresholds.from_any({key: value}), [f"thresholds[{key!r}]"])
    valid = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
             and 0 <= value <= 1)
    assert (exc is None) == valid, (key, value, exc)


test_thresholds_contract, test_thresholds_contract_thorough = fast_and_thorough(
    key=st.sampled_from(["mean_auroc", "mean_ci_lower", "mean_perm_p"]),
    value=st.one_of(st.floats(-2, 2), st.floats(), bad_scalars), fast=40, thorough=600)(_check_thresholds_contract)


# --- geometa (F1) ------------------------------------------------------------------------------

class_labels = st.sampled_from(["Male", "Female", "liver", "blood", "x"])


@st.composite
def label_pairs(draw):
    n = draw(st.integers(1, 30))
    t = draw(st.lists(class_labels, min_size=n, max_size=n))
    p = draw(st.lists(class_labels, min_size=n, max_size=n))
    return t, p


def _check_geometa_equals_sklearn(pair):
    t, p = pair
    labels = sorted(set(t) | set(p))
    out = geometa.f1_scores(t, p)
    assert out["macro_f1"] == pytest.approx(f1_score(t, p, average="macro", labels=labels, zero_division=0), abs=1e-12)
    assert out["weighted_f1"] == pytest.approx(f1_score(t, p, average="weighted", labels=labels, zero_division=0),
                                               abs=1e-12)
    assert out["accuracy"] == pytest.approx(accuracy_score(t, p), abs=1e-12)
    lb = geometa.leaderboard_f1(t, p)
    report = classification_report(t, p, labels=sorted(set(t)), output_dict=True, zero_division=0)
    want = [row["f1-score"] if isinstance(row, dict) else row for row in report.values()]
    assert lb["leaderboard_f1"] == pytest.approx(float(np.mean(want)), abs=1e-12)


test_geometa_equals_sklearn, test_geometa_equals_sklearn_thorough = fast_and_thorough(
    pair=label_pairs())(_check_geometa_equals_sklearn)


def _check_geometa_bad_labels(t, p):
    _, exc = clear_error_or_result(lambda: geometa.geometa_f1(t, p), ["references (y_true)", "predictions (y_pred)",
                                                                     "predictions and references", "no samples"])
    clean = lambda v: all(isinstance(x, str) for x in v) or all(type(x) is int for x in v)  # noqa: E731
    if len(t) == len(p) and len(t) > 0 and clean(t) and clean(p) and (
            {type(x) for x in t} == {type(x) for x in p}):
        assert exc is None


test_geometa_bad_labels, test_geometa_bad_labels_thorough = fast_and_thorough(
    t=st.lists(st.one_of(class_labels, st.none(), st.just(float("nan")), st.integers(0, 2)), max_size=6),
    p=st.lists(st.one_of(class_labels, st.none(), st.integers(0, 2)), max_size=6))(_check_geometa_bad_labels)


# --- genotex (gene sets, filtering, table similarity) -------------------------------------------

genes = st.sampled_from([f"G{i}" for i in range(12)])
gene_lists = st.lists(genes, max_size=15)  # duplicates happen


def _literal_prf(pred, ref):
    """Spec §3.1(a) read literally (list membership, duplicates count)."""
    p = (1.0 if not ref else 0.0) if not pred else sum(g in ref for g in pred) / len(pred)
    r = (1.0 if not pred else 0.0) if not ref else sum(g in pred for g in ref) / len(ref)
    f = 0.0 if p + r == 0 else 2 * p * r / (p + r)
    return p, r, f


def _check_gene_set_scores(pred, ref, universe):
    got = genotex.score_problem(pred, ref, all_genes=universe)
    p, r, f = _literal_prf(pred, ref)
    assert (got["precision"], got["recall"], got["f1"]) == pytest.approx((100 * p, 100 * r, 100 * f), abs=1e-9)
    if universe is not None:
        score = {g: len(pred) - i for i, g in enumerate(pred)}
        y = [g in set(ref) for g in universe]
        want = roc_auc_score(y, [score.get(g, 0) for g in universe]) if len(set(y)) == 2 else float("nan")
        assert same_float(got["auroc"], want, abs_=1e-12)  # empty universe -> NaN, as upstream


test_gene_set_scores_match_spec_and_sklearn, test_gene_set_scores_match_spec_and_sklearn_thorough = fast_and_thorough(
    pred=gene_lists, ref=gene_lists, universe=st.one_of(st.none(), st.lists(genes, max_size=12, unique=True)),
    fast=40, thorough=800)(_check_gene_set_scores)


def _check_genotex_roc_auc(data):
    y, s = data
    got = genotex.roc_auc(y.astype(bool), s)
    want = roc_auc_score(y, s) if len(set(y.tolist())) == 2 else float("nan")
    assert same_float(got, want, abs_=1e-12)


test_genotex_roc_auc_equals_sklearn, test_genotex_roc_auc_equals_sklearn_thorough = fast_and_thorough(
    data=scored_labels(min_size=1))(_check_genotex_roc_auc)


@st.composite
def gene_set_inputs(draw):
    n = draw(st.integers(0, 4))
    item = st.one_of(gene_lists, st.none(), st.just("G1"), st.lists(st.one_of(genes, st.integers(0, 3)), max_size=3))
    preds = draw(st.lists(item, min_size=n, max_size=n))
    refs = draw(st.lists(st.one_of(gene_lists, st.none()), min_size=n, max_size=draw(st.sampled_from([n, n + 1]))))
    conds = draw(st.one_of(st.none(), st.lists(st.one_of(st.none(), st.sampled_from(["Age", "Gender", "Asthma"]),
                                                         st.integers(0, 2)), min_size=n, max_size=n)))
    n_genes = draw(st.one_of(st.integers(1, 60), st.integers(-5, 0), st.floats(1, 50), st.just(10**9)))
    return preds, refs, conds, n_genes


def _check_evaluate_gene_sets(inputs):
    preds, refs, conds, n_genes = inputs
    out, exc = clear_error_or_result(
        lambda: genotex.evaluate_gene_sets(preds, refs, conditions=conds, n_genes=n_genes, compat="bench"),
        ["predictions", "references", "conditions", "n_genes"])
    if exc is not None:
        return
    # compat="bench" removes duplicates from both lists first (documented in metrics/genotex/_gene_set.py)
    per = [_literal_prf(list(dict.fromkeys(p)), list(dict.fromkeys(r))) for p, r in zip(preds, refs) if p is not None]
    want = float(np.mean([100 * f for _, _, f in per] + [0.0] * sum(p is None for p in preds)))
    assert out["Overall"]["f1"] == pytest.approx(want, abs=1e-9)  # bench mode: failures count 0


test_evaluate_gene_sets_contract, test_evaluate_gene_sets_contract_thorough = fast_and_thorough(
    inputs=gene_set_inputs(), fast=60, thorough=1000)(_check_evaluate_gene_sets)

cohort = st.sampled_from([f"GSE{i}" for i in range(6)])
infos = st.dictionaries(cohort, st.fixed_dictionaries({"is_available": st.booleans()}), max_size=6)


def _check_filtering_equals_sklearn(ref, pred):
    got = genotex.filtering_scores(ref, pred)
    ids = list(dict.fromkeys(list(ref) + list(pred)))
    assume(ids)
    t = [ref.get(c, {}).get("is_available", False) for c in ids]
    p = [pred.get(c, {}).get("is_available", False) for c in ids]
    assert got["precision"] == pytest.approx(100 * precision_score(t, p, zero_division=0))
    assert got["recall"] == pytest.approx(100 * recall_score(t, p, zero_division=0))
    assert got["f1"] == pytest.approx(100 * f1_score(t, p, zero_division=0))
    assert got["accuracy"] == pytest.approx(100 * accuracy_score(t, p))


test_filtering_equals_sklearn, test_filtering_equals_sklearn_thorough = fast_and_thorough(
    ref=infos, pred=infos)(_check_filtering_equals_sklearn)


def _check_table_similarity(n_rows, n_cols, seed, drop_row, drop_col):
    import pandas as pd

    rng = np.random.default_rng(seed)
    ref = pd.DataFrame(rng.normal(size=(n_rows, n_cols)), index=[f"S{i}" for i in range(n_rows)],
                       columns=[f"F{j}" for j in range(n_cols)])
    pred = (ref * 2 + rng.normal(scale=0.5, size=ref.shape)).drop(index=ref.index[:drop_row], columns=ref.columns[:drop_col])
    got = genotex.table_similarity(pred, ref)
    if pred.empty:  # spec: either frame empty -> every score 0
        assert set(got.values()) == {0.0}
        return
    assert got["samples_jaccard"] == pytest.approx((n_rows - drop_row) / n_rows)
    assert got["attributes_jaccard"] == pytest.approx((n_cols - drop_col) / n_cols)
    common = ref.loc[pred.index, pred.columns]
    r = [np.corrcoef(pred[c], common[c])[0, 1] for c in pred.columns] if len(pred) > 1 else []
    assert got["feature_correlation"] == pytest.approx(float(np.mean(r)) if r else 0.0, abs=1e-9)


test_table_similarity_equals_numpy, test_table_similarity_equals_numpy_thorough = fast_and_thorough(
    n_rows=st.integers(3, 12), n_cols=st.integers(1, 6), seed=st.integers(0, 2**16), drop_row=st.integers(0, 1),
    drop_col=st.integers(0, 1), fast=15, thorough=200)(_check_table_similarity)


# --- single cell -------------------------------------------------------------------------------

@st.composite
def embeddings_with_labels(draw):
    n = draw(st.integers(4, 24))
    d = draw(st.integers(1, 4))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3, 1e6]))
    values = st.floats(-1, 1, allow_nan=False).map(lambda v: v * scale)
    X = np.array(draw(st.lists(st.lists(values, min_size=d, max_size=d), min_size=n, max_size=n)))
    labels = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    return X, labels


def _check_silhouette_equals_sklearn(data):
    X, labels = data
    out, exc = clear_error_or_result(
        lambda: singlecell.silhouette_label(X, labels, rescale=False, precision="float64"), ["labels", "embedding"])
    counts = {c: labels.count(c) for c in set(labels)}
    if len(counts) < 2 or min(counts.values()) < 2:
        assert exc is not None  # fewer than 2 labels, or a singleton label: refused, named
        return
    assume(len(np.unique(X, axis=0)) == len(X))  # sklearn's own tie handling is not the point here
    exact, tolerance = exact_silhouette_and_tolerance(X, labels)
    assert out == pytest.approx(exact, abs=tolerance)


test_silhouette_equals_sklearn, test_silhouette_equals_sklearn_thorough = fast_and_thorough(
    data=embeddings_with_labels(), fast=25, thorough=300)(_check_silhouette_equals_sklearn)


def _check_ari_nmi_equal_sklearn(a, b):
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    assert singlecell.adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)
    assert singlecell.normalized_mutual_info(a, b) == pytest.approx(normalized_mutual_info_score(a, b), abs=1e-12)


test_ari_nmi_equal_sklearn, test_ari_nmi_equal_sklearn_thorough = fast_and_thorough(
    a=st.lists(st.integers(0, 4), min_size=2, max_size=40), b=st.lists(st.integers(0, 4), min_size=2, max_size=40)
)(_check_ari_nmi_equal_sklearn)


def _check_embedding_bad_values(rows):
    _, exc = clear_error_or_result(lambda: singlecell.check_embedding(rows), ["embedding"])
    try:
        arr = np.asarray(rows, dtype=np.float64)
        ok = arr.ndim == 2 and arr.shape[0] >= 2 and arr.shape[1] >= 1 and np.isfinite(arr).all()
    except (TypeError, ValueError):
        ok = False
    assert (exc is None) == ok


test_embedding_bad_values_named, test_embedding_bad_values_named_thorough = fast_and_thorough(
    rows=st.lists(st.lists(st.one_of(st.floats(), st.integers(-3, 3)), min_size=0, max_size=3), max_size=5)
)(_check_embedding_bad_values)


def _check_perturbation_mse(seed, n_genes):
    rng = np.random.default_rng(seed)
    ctrl, truth, pred = (rng.normal(size=(4, n_genes)) for _ in range(3))
    out = singlecell.perturbation_metrics(ctrl, truth, pred, top_k=(1,))
    assert out["mse_all"] == pytest.approx(float(np.mean((truth.mean(0) - pred.mean(0)) ** 2)), abs=1e-12)
    want = np.corrcoef(truth.mean(0) - ctrl.mean(0), pred.mean(0) - ctrl.mean(0))[0, 1] if n_genes > 1 else math.nan
    assert same_float(out["pearson_delta_all"], want, abs_=1e-12)


test_perturbation_equals_numpy, test_perturbation_equals_numpy_thorough = fast_and_thorough(
    seed=st.integers(0, 2**16), n_genes=st.integers(1, 8), fast=15, thorough=200)(_check_perturbation_mse)
