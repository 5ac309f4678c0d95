"""Property-based tests (hypothesis) of every evaluate module: raw inputs of any type, shape or
value reach either a clear ValueError/TypeError naming the input, or the value of an independent
reference (sklearn, or the spec read literally). Checks run before Arrow casting."""
from __future__ import annotations

import json
import math
import warnings
from functools import lru_cache
from pathlib import Path

import evaluate
import numpy as np
import pytest
from hypothesis import strategies as st
from property_helpers import (bad_scalars, clear_error_or_result, exact_silhouette_and_tolerance, fast_and_thorough,
                              finite_scores, same_float)
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

METRICS = Path(__file__).resolve().parents[1] / "metrics"
NO_STATS = {"n_bootstrap": 0, "n_permutations": 0}


@lru_cache(maxsize=None)
def metric(name: str):
    return evaluate.load(str(METRICS / name))


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn()


# --- lomo_auroc: random values of any type -------------------------------------------------------

@st.composite
def lomo_inputs(draw):
    n = draw(st.integers(0, 12))
    score = st.one_of(finite_scores, bad_scalars) if draw(st.booleans()) else finite_scores
    label = st.one_of(st.integers(0, 1), st.sampled_from([0.5, 2, -1, True, "1", None, 1.0]))
    label = label if draw(st.booleans()) else st.integers(0, 1)
    fold = st.one_of(st.sampled_from(["RR-1", "RR-3"]), st.integers(0, 2), st.none())
    fold = fold if draw(st.booleans()) else st.sampled_from(["RR-1", "RR-3"])
    sizes = draw(st.sampled_from([(n, n, n), (n, n + 1, n)]))
    return (draw(st.lists(score, min_size=sizes[0], max_size=sizes[0])),
            draw(st.lists(label, min_size=sizes[1], max_size=sizes[1])),
            draw(st.lists(fold, min_size=sizes[2], max_size=sizes[2])))


def _check_lomo_module(inputs):
    preds, refs, folds = inputs
    out, exc = clear_error_or_result(
        lambda: _quiet(lambda: metric("lomo_auroc").compute(predictions=preds, references=refs, folds=folds,
                                                             **NO_STATS)),
        ["predictions", "references", "folds", "inputs differ in length", "lomo_auroc: no examples"])
    if exc is not None:
        return
    # no error: then every raw value was valid (nothing was truncated or converted on the way)
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in preds)
    assert all(not isinstance(v, str) and v is not None and float(v) in (0.0, 1.0) for v in refs)
    assert all(isinstance(f, str) for f in folds) and len(preds) == len(refs) == len(folds) > 0
    for row in out["per_fold"]:
        idx = [i for i, f in enumerate(folds) if f == row["fold"]]
        y, s = [int(refs[i]) for i in idx], [float(preds[i]) for i in idx]
        assert same_float(row["auroc"], roc_auc_score(y, s) if len(set(y)) == 2 else None)


test_lomo_module_contract, test_lomo_module_contract_thorough = fast_and_thorough(
    inputs=lomo_inputs(), fast=20, thorough=300)(_check_lomo_module)


# --- geometa_f1 --------------------------------------------------------------------------------

label_value = st.one_of(st.sampled_from(["Male", "Female", "liver"]), st.none(), st.integers(0, 2), st.just(1.5))


@st.composite
def geometa_inputs(draw):
    n = draw(st.integers(0, 10))
    clean = st.sampled_from(["Male", "Female", "liver"])
    pick = lambda: label_value if draw(st.booleans()) else clean  # noqa: E731
    return draw(st.lists(pick(), min_size=n, max_size=n)), draw(st.lists(pick(), min_size=n, max_size=n))


def _check_geometa_module(inputs):
    preds, refs = inputs
    out, exc = clear_error_or_result(lambda: metric("geometa_f1").compute(predictions=preds, references=refs),
                                     ["predictions", "references", "no samples"])
    if exc is not None:
        return
    assert all(isinstance(v, str) for v in preds + refs)  # nothing converted to a string on the way
    labels = sorted(set(refs) | set(preds))
    assert out["macro_f1"] == pytest.approx(f1_score(refs, preds, average="macro", labels=labels, zero_division=0))
    assert out["accuracy"] == pytest.approx(accuracy_score(refs, preds))


test_geometa_module_contract, test_geometa_module_contract_thorough = fast_and_thorough(
    inputs=geometa_inputs(), fast=20, thorough=300)(_check_geometa_module)


# --- gta_gene_set --------------------------------------------------------------------------------

genes = st.sampled_from([f"G{i}" for i in range(8)])


@st.composite
def gene_set_module_inputs(draw):
    n = draw(st.integers(0, 4))
    pred = st.one_of(st.lists(genes, max_size=8), st.none())
    if draw(st.booleans()):
        pred = st.one_of(pred, st.lists(st.one_of(genes, st.integers(0, 2), st.none()), max_size=3))
    refs = draw(st.lists(st.lists(genes, max_size=6), min_size=n, max_size=n))
    universe = draw(st.one_of(st.none(), st.lists(st.lists(genes, max_size=8, unique=True), min_size=n, max_size=n)))
    return draw(st.lists(pred, min_size=n, max_size=n)), refs, universe


def _literal_precision(pred, ref):
    if not pred:
        return 1.0 if not ref else 0.0
    return sum(g in ref for g in pred) / len(pred)


def _check_gene_set_module(inputs):
    preds, refs, universe = inputs
    out, exc = clear_error_or_result(
        lambda: metric("gta_gene_set").compute(predictions=preds, references=refs, all_genes=universe,
                                               compat="bench", return_per_problem=True),
        ["predictions", "references", "all_genes"])
    if exc is not None:
        return
    for i, row in enumerate(out["per_problem"]):
        if preds[i] is None:
            assert row["success"] == 0.0
            continue
        assert row["precision"] == pytest.approx(100 * _literal_precision(list(dict.fromkeys(preds[i])),
                                                                           list(dict.fromkeys(refs[i]))))
        if universe is not None:
            uni = list(dict.fromkeys(universe[i]))
            pred = list(dict.fromkeys(preds[i]))
            score = {g: len(pred) - k for k, g in enumerate(pred)}
            y = [g in set(refs[i]) for g in uni]
            want = roc_auc_score(y, [score.get(g, 0) for g in uni]) if len(set(y)) == 2 else math.nan
            assert same_float(row["auroc"], want, abs_=1e-12)


test_gene_set_module_contract, test_gene_set_module_contract_thorough = fast_and_thorough(
    inputs=gene_set_module_inputs(), fast=20, thorough=300)(_check_gene_set_module)


# --- gta_selection -----------------------------------------------------------------------------

cohort_text = st.one_of(
    st.dictionaries(st.sampled_from(["GSE1", "GSE2", "GSE3"]),
                    st.fixed_dictionaries({"is_available": st.booleans(), "is_usable": st.booleans(),
                                           "sample_size": st.integers(0, 50)}), max_size=3).map(json.dumps),
    st.sampled_from(["", "{", "[]", "null", "3"]))


@st.composite
def selection_inputs(draw):
    n = draw(st.integers(0, 3))
    traits = draw(st.lists(st.one_of(st.sampled_from(["Asthma", "Obesity", "Lupus"]), st.integers(0, 1)),
                           min_size=n, max_size=n))
    return (draw(st.lists(cohort_text, min_size=n, max_size=n)), draw(st.lists(cohort_text, min_size=n, max_size=n)),
            traits)


def _check_selection_module(inputs):
    preds, refs, traits = inputs
    out, exc = clear_error_or_result(
        lambda: metric("gta_selection").compute(predictions=preds, references=refs, traits=traits, compat="bench"),
        ["predictions", "references", "traits"])
    if exc is not None:
        return
    t, p = [], []
    for ref, pred in zip(refs, preds):
        ref, pred = json.loads(ref), json.loads(pred)
        for c in dict.fromkeys(list(ref) + list(pred)):
            t.append(ref.get(c, {}).get("is_available", False))
            p.append(pred.get(c, {}).get("is_available", False))
    per_trait_acc = []
    for ref, pred in zip(refs, preds):
        ref, pred = json.loads(ref), json.loads(pred)
        ids = list(dict.fromkeys(list(ref) + list(pred)))
        hits = [ref.get(c, {}).get("is_available", False) == pred.get(c, {}).get("is_available", False) for c in ids]
        per_trait_acc.append(100 * float(np.mean(hits)) if ids else 0.0)
    assert out["filtering"]["accuracy"] == pytest.approx(float(np.mean(per_trait_acc)))


test_selection_module_contract, test_selection_module_contract_thorough = fast_and_thorough(
    inputs=selection_inputs(), fast=20, thorough=300)(_check_selection_module)


# --- gta_preprocessing -------------------------------------------------------------------------

def _check_preprocessing_module(preds, refs):
    out, exc = clear_error_or_result(lambda: metric("gta_preprocessing").compute(predictions=preds, references=refs),
                                     ["predictions", "references", "inputs differ in length"])
    if exc is None:
        assert out["n_files"] <= len(refs)


test_preprocessing_module_contract, test_preprocessing_module_contract_thorough = fast_and_thorough(
    preds=st.lists(st.one_of(st.just(""), st.text(max_size=4), st.integers(), st.none()), max_size=3),
    refs=st.lists(st.one_of(st.just(""), st.just("missing.csv"), st.integers()), max_size=3),
    fast=15, thorough=200)(_check_preprocessing_module)


# --- single-cell modules: inject one bad value into a valid input --------------------------------

def _base_embedding(n=12, d=2):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 0.1, (n // 2, d)), rng.normal(3, 0.1, (n - n // 2, d))])
    return X.tolist(), ["a"] * (n // 2) + ["b"] * (n - n // 2)


SC_CASES = {
    "sc_silhouette": lambda X, lab: {"embeddings": X, "labels": lab},
    "sc_clustering": lambda X, lab: {"embeddings": X, "labels": lab, "n_neighbors": 4},
    "sc_integration": lambda X, lab: {"embeddings": X, "labels": lab, "batches": ["x", "y"] * (len(lab) // 2),
                                      "n_neighbors": 4},
    "sc_label_prediction": lambda X, lab: {"embeddings": X, "labels": lab, "n_folds": 2, "min_class_size": 2,
                                           "classifiers": ["lr"]},
    "sc_perturbation": lambda X, lab: {"expression": X, "group": (["control", "truth", "prediction"] * 4)[:len(X)],
                                       "top_k": [1]},
}
bad_cell_value = st.one_of(st.just(float("nan")), st.just(float("inf")), st.just("1.5"), st.none(), st.booleans(),
                           st.just([1.0, 2.0]))
bad_label = st.one_of(st.integers(0, 3), st.none(), st.just(1.5), st.just(["a"]))


def _check_sc_injected(name, row, col, value, in_labels):
    X, lab = _base_embedding()
    inputs = SC_CASES[name](X, lab)
    vec_key = "expression" if name == "sc_perturbation" else "embeddings"
    lab_key = "group" if name == "sc_perturbation" else "labels"
    if in_labels:
        inputs[lab_key] = list(inputs[lab_key])
        inputs[lab_key][row] = value
        expected = lab_key
    else:
        inputs[vec_key] = [list(r) for r in inputs[vec_key]]
        inputs[vec_key][row][col] = value
        expected = vec_key
    _, exc = clear_error_or_result(lambda: metric(name).compute(**inputs), [expected])
    assert exc is not None and str(exc).startswith(f"{expected}[{row}]"), exc


test_sc_modules_name_the_bad_value, test_sc_modules_name_the_bad_value_thorough = fast_and_thorough(
    name=st.sampled_from(sorted(SC_CASES)), row=st.integers(0, 11), col=st.integers(0, 1),
    value=st.one_of(bad_cell_value), in_labels=st.just(False), fast=20, thorough=300)(_check_sc_injected)

test_sc_modules_name_the_bad_label, test_sc_modules_name_the_bad_label_thorough = fast_and_thorough(
    name=st.sampled_from(sorted(SC_CASES)), row=st.integers(0, 11), col=st.just(0), value=bad_label,
    in_labels=st.just(True), fast=20, thorough=300)(_check_sc_injected)


@st.composite
def sc_embeddings(draw):
    n = draw(st.integers(2, 14))
    d = draw(st.integers(0, 3))
    rows = draw(st.lists(st.lists(st.one_of(st.floats(-1e6, 1e6), st.integers(-5, 5)), min_size=d, max_size=d),
                         min_size=n, max_size=n))
    labels = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    return rows, labels


def _check_silhouette_module(data):
    rows, labels = data
    out, exc = clear_error_or_result(
        lambda: metric("sc_silhouette").compute(embeddings=rows, labels=labels, rescale=False, precision="float64"),
        ["embeddings", "embedding", "labels"])
    if exc is not None:
        return
    X = np.asarray(rows, dtype=np.float64)
    if len(np.unique(X, axis=0)) == len(X):
        # sklearn over exact (scipy) distances; sklearn's own euclidean path loses ~1e-8 near coincident points
        exact, tolerance = exact_silhouette_and_tolerance(X, labels)
        assert out["silhouette_score"] == pytest.approx(exact, abs=tolerance)


test_silhouette_module_equals_sklearn, test_silhouette_module_equals_sklearn_thorough = fast_and_thorough(
    data=sc_embeddings(), fast=20, thorough=300)(_check_silhouette_module)
