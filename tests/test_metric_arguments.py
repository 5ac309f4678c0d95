"""Issue 14, point 2 and 3: metric keyword arguments and raw inputs are checked, never coerced;
semantic gaps (empty input, duplicate traits, labels absent from the data, one fold, an empty
gene universe) give a clear error, a warning, or upstream's value."""
from __future__ import annotations

import json
import math
import re
import warnings
from functools import lru_cache
from pathlib import Path

import evaluate
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from bench.errors import BenchError
from bench.metrics import genotex
from bench.metrics.genelab import lomo

METRICS = Path(__file__).resolve().parents[1] / "metrics"
P = [0.9, 0.2, 0.7, 0.4, 0.8, 0.1, 0.3, 0.6]
R = [1, 0, 1, 0, 1, 0, 1, 0]
F = ["RR-1"] * 4 + ["RR-3"] * 4
FAST = {"n_bootstrap": 20, "n_permutations": 20}


@lru_cache(maxsize=None)
def metric(name: str):
    return evaluate.load(str(METRICS / name))


def _raises(fn, needle: str, exc=ValueError):
    with pytest.raises(exc, match=re.escape(needle)):
        fn()


# --- point 2: lomo_auroc keyword arguments ---------------------------------------------------

@pytest.mark.parametrize("kwargs,needle", [
    ({"thresholds": {"mean_auroc": -1, "mean_ci_lower": -1, "mean_perm_p": 2}}, "thresholds['mean_auroc']"),
    ({"thresholds": {"mean_perm_p": 2}}, "thresholds['mean_perm_p']: expected a number in [0.0, 1.0], got 2.0"),
    ({"thresholds": {"mean_auroc": float("nan")}}, "thresholds['mean_auroc']: expected a finite number"),
    ({"thresholds": {"mean_auroc": "0.7"}}, "thresholds['mean_auroc']: expected a real number"),
    ({"n_bootstrap": -5}, "n_bootstrap: expected an integer in [0, 1,000,000], got -5"),
    ({"n_permutations": -5}, "n_permutations: expected an integer in [0, 1,000,000], got -5"),
    ({"n_bootstrap": 2.7}, "n_bootstrap: expected an integer, got 2.7"),
    ({"n_bootstrap": True}, "n_bootstrap: expected an integer, got True"),
    ({"n_bootstrap": 100_000_000}, "n_bootstrap: expected an integer in [0, 1,000,000]"),
    ({"n_permutations": 10**9}, "n_permutations: expected an integer in [0, 1,000,000]"),
    ({"seed": -3}, "seed: expected an integer in [0, 4,294,967,295], got -3"),
    ({"seed": 99999999999}, "seed: expected an integer in [0, 4,294,967,295]"),
    ({"large_test_min": 0}, "large_test_min: expected an integer in [1, inf]"),
    ({"category": "C"}, "category: expected one of 'A', 'B'"),
    ({"n_boostrap": 10}, "n_boostrap: unknown keyword argument of lomo_auroc"),
])
def test_lomo_auroc_keyword_arguments_are_checked_not_coerced(kwargs, needle):
    _raises(lambda: metric("lomo_auroc").compute(predictions=P, references=R, folds=F, **kwargs), needle)


def test_lomo_core_refuses_the_same_arguments_used_by_cli_and_baselines():
    folds = [("a", np.array(R[:4]), np.array(P[:4])), ("b", np.array(R[4:]), np.array(P[4:]))]
    _raises(lambda: lomo.evaluate_folds(folds, n_bootstrap=-5), "n_bootstrap: expected an integer")
    _raises(lambda: lomo.evaluate_folds(folds, n_permutations=2.0), "n_permutations: expected an integer")
    _raises(lambda: lomo.evaluate_folds(folds, thresholds=lomo.Thresholds(mean_perm_p=2)), "thresholds['mean_perm_p']")
    with pytest.raises(TypeError, match=re.escape("n_bootstrap: expected an integer, got 2.7")):
        lomo.evaluate_folds(folds, n_bootstrap=2.7)


def test_thresholds_in_range_still_decide_go(recwarn):
    out = metric("lomo_auroc").compute(predictions=P, references=R, folds=F, thresholds={"mean_auroc": 0.0,
                                       "mean_ci_lower": 0.0, "mean_perm_p": 1.0}, **FAST)
    assert out["thresholds"] == {"mean_auroc": 0.0, "mean_ci_lower": 0.0, "mean_perm_p": 1.0}
    assert out["go_nogo"] == "GO"  # mean AUROC 0.875 > 0, CI lower > 0, p < 1


def test_huge_work_warns_with_an_estimate_and_shows_progress(monkeypatch, capsys):
    folds = [("a", np.array(R[:4]), np.array(P[:4])), ("b", np.array(R[4:]), np.array(P[4:]))]
    assert lomo.estimated_seconds([4, 4], 1_000_000, 1_000_000) > lomo.WARN_SECONDS
    monkeypatch.setattr(lomo, "WARN_SECONDS", 0.0)  # make a tiny run "slow" to see the warning path
    with pytest.warns(UserWarning, match=r"estimated .* min; showing progress"):
        lomo.evaluate_folds(folds, n_bootstrap=50, n_permutations=50)
    assert "folds" in capsys.readouterr().err  # the tqdm bar


def test_cli_n_bootstrap_bound_is_one_error_line(capsys):
    from bench.cli import main

    code = main(["evaluate", "nothing.json", "--task", "A5_skin", "--n-bootstrap", "100000000"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("bench: error: n_bootstrap: expected an integer in [0, 1,000,000]")


# --- point 2: raw inputs checked before Arrow casting ------------------------------------------

@pytest.mark.parametrize("name,inputs,needle,exc", [
    ("lomo_auroc", {"predictions": P, "references": [0.5] + R[1:], "folds": F},
     "references[0]: expected a 0/1 label, got 0.5", ValueError),
    ("lomo_auroc", {"predictions": ["high"] + P[1:], "references": R, "folds": F},
     "predictions[0]: expected a real number, got 'high'", TypeError),
    ("lomo_auroc", {"predictions": [True] + P[1:], "references": R, "folds": F},
     "predictions[0]: expected a real number, got True", TypeError),
    ("lomo_auroc", {"predictions": P, "references": R, "folds": [7] + F[1:]},
     "folds[0]: expected a string, got 7", TypeError),
    ("lomo_auroc", {"predictions": P[:-1], "references": R, "folds": F},
     "inputs differ in length: predictions 7, references 8, folds 8", ValueError),
    ("lomo_auroc", {"predictions": 0.5, "references": R, "folds": F}, "predictions: expected a list", TypeError),
    ("geometa_f1", {"predictions": [1, "a"], "references": ["a", "a"]}, "predictions[0]: expected a string, got 1",
     TypeError),
    ("geometa_f1", {"predictions": ["a", None], "references": ["a", "a"]},
     "predictions[1]: expected a string, got None", TypeError),
    ("gta_preprocessing", {"predictions": [3], "references": ["x.csv"]}, "predictions[0]: expected a string", TypeError),
    ("gta_selection", {"predictions": [{}], "references": ["{}"], "traits": ["T"]}, "predictions[0]: expected a string", TypeError),
    ("sc_silhouette", {"embeddings": [[0.0], ["1.5"], [5.0], [5.2]], "labels": ["a", "a", "b", "b"]},
     "embeddings[1][0]: expected a real number, got '1.5'", TypeError),
    ("sc_silhouette", {"embeddings": [[0.0], [0.1], [5.0], [5.2]], "labels": ["a", "a", 2, 2]},
     "labels[2]: expected a string, got 2", TypeError),
    ("sc_silhouette", {"embeddings": [[0.0, 1.0], [0.1], [5.0], [5.2]], "labels": ["a", "a", "b", "b"]},
     "embeddings[1]: has 1 values but embeddings[0] has 2", ValueError),
    ("sc_silhouette", {"embeddings": [[0.0], [math.inf], [5.0], [5.2]], "labels": ["a", "a", "b", "b"]},
     "embeddings[1][0]: expected a finite number, got inf", ValueError),
    ("sc_perturbation", {"expression": [[1.0]] * 6, "group": ["control", "truth", "prediction"] * 1 + [1, 2, 3]},
     "group[3]: expected a string, got 1", TypeError),
])
def test_raw_inputs_are_checked_before_arrow_casts_them(name, inputs, needle, exc):
    _raises(lambda: metric(name).compute(**inputs), needle, exc)


def test_add_and_add_batch_check_raw_inputs_too():
    m = metric("lomo_auroc")
    _raises(lambda: m.add_batch(predictions=P[:2], references=[0.5, 1], folds=F[:2]), "references[0]: expected a 0/1")
    _raises(lambda: m.add(prediction="x", reference=1, folds="RR-1"), "predictions[0]: expected a real number")


def test_integer_valued_labels_and_numpy_inputs_still_score_like_sklearn(recwarn):
    m = metric("lomo_auroc")
    out = m.compute(predictions=np.array(P), references=[float(r) for r in R], folds=np.array(F), **FAST)
    assert [row["auroc"] for row in out["per_fold"]] == [roc_auc_score(R[:4], P[:4]), roc_auc_score(R[4:], P[4:])]


# --- point 2: keyword arguments of the other modules --------------------------------------------

EMB = [[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0], [5.1, 5.0], [5.0, 5.1]] * 4
LAB = ["a", "a", "a", "b", "b", "b"] * 4


@pytest.mark.parametrize("name,inputs,kwargs,needle", [
    ("gta_gene_set", {"predictions": [["A"]], "references": [["A"]]}, {"n_genes": -5},
     "n_genes: expected an integer in [1, 1,000,000], got -5"),
    ("gta_gene_set", {"predictions": [["A"]], "references": [["A"]]}, {"n_genes": 2.5}, "n_genes: expected an integer"),
    ("gta_gene_set", {"predictions": [["A"]], "references": [["A"]]}, {"conditions": [3]},
     "conditions[0]: expected a string or None, got 3"),
    ("gta_gene_set", {"predictions": [["A"]], "references": [["A"]]}, {"compat": "v3"}, "compat: expected one of"),
    ("gta_gene_set", {"predictions": [["A"]], "references": [["A"]]}, {"return_per_problem": "yes"},
     "return_per_problem: expected True or False"),
    ("gta_gene_set", {"predictions": [["A"]], "references": [["A"]]}, {"all_genes": [[1]]},
     "all_genes[0][0]: gene symbols must be strings"),
    ("gta_preprocessing", {"predictions": [""], "references": ["x.csv"]}, {"compat": "v3"}, "compat: expected one of"),
    ("gta_preprocessing", {"predictions": [""], "references": ["x.csv"]}, {"subtask": "genes"},
     "subtask: expected one of 'gene', 'clinical', 'linked'"),
    ("gta_selection", {"predictions": ["{}"], "references": ["{}"]}, {"traits": ["T"], "compat": "v3"},
     "compat: expected one of"),
    ("geometa_f1", {"predictions": ["a"], "references": ["a"]}, {"compat": "board"}, "compat: expected one of"),
    ("geometa_f1", {"predictions": ["a"], "references": ["a"]}, {"labels": "a"}, "labels: expected a list"),
    ("sc_clustering", {"embeddings": EMB, "labels": LAB}, {"resolution": -1}, "resolution: expected a number in (0.0, inf]"),
    ("sc_clustering", {"embeddings": EMB, "labels": LAB}, {"resolution": float("nan")}, "resolution: expected a finite"),
    ("sc_clustering", {"embeddings": EMB, "labels": LAB}, {"n_neighbors": 2.5}, "n_neighbors: expected an integer"),
    ("sc_clustering", {"embeddings": EMB, "labels": LAB}, {"random_state": -1}, "random_state: expected an integer in"),
    ("sc_clustering", {"embeddings": EMB, "labels": LAB}, {"n_iterations": 0}, "n_iterations: expected an integer in"),
    ("sc_label_prediction", {"embeddings": EMB, "labels": LAB}, {"n_folds": 1}, "n_folds: expected an integer in [2"),
    ("sc_label_prediction", {"embeddings": EMB, "labels": LAB}, {"classifiers": ["svm"]},
     "classifiers[0]: expected one of 'lr', 'knn', 'rf'"),
    ("sc_label_prediction", {"embeddings": EMB, "labels": LAB}, {"min_class_size": 0.5},
     "min_class_size: expected an integer"),
    ("sc_silhouette", {"embeddings": EMB, "labels": LAB}, {"rescale": "no"}, "rescale: expected True or False"),
    ("sc_silhouette", {"embeddings": EMB, "labels": LAB}, {"precision": "float16"}, "precision: expected one of"),
    ("sc_integration", {"embeddings": EMB, "labels": LAB, "batches": ["x", "y"] * 12}, {"n_neighbors": 0},
     "n_neighbors: expected an integer >= 1"),
    ("sc_perturbation", {"expression": [[1.0, 2.0]] * 6, "group": ["control", "truth", "prediction"] * 2},
     {"top_k": [2.5]}, "top_k[0]: expected an integer"),
    ("sc_perturbation", {"expression": [[1.0, 2.0]] * 6, "group": ["control", "truth", "prediction"] * 2},
     {"top_k": []}, "top_k: is empty"),
])
def test_module_keyword_arguments_are_checked(name, inputs, kwargs, needle):
    _raises(lambda: metric(name).compute(**inputs, **kwargs), needle)


def test_a_failed_option_check_leaves_the_module_usable():
    m = metric("sc_silhouette")
    _raises(lambda: m.compute(embeddings=EMB, labels=LAB, precision="float16"), "precision")
    assert m.compute(embeddings=EMB, labels=LAB)["silhouette_score"] > 0.9


# --- point 3: semantic gaps ------------------------------------------------------------------

def test_gta_gene_set_empty_input_is_an_error_not_an_empty_dict():
    _raises(lambda: metric("gta_gene_set").compute(predictions=[], references=[]), "references: no problems to score")
    _raises(lambda: genotex.evaluate_gene_sets([], []), "references: no problems to score")


def test_gta_gene_set_non_string_condition_is_an_error_in_the_core_too():
    with pytest.raises(TypeError, match=re.escape("conditions[0]: expected a string or None, got 7")):
        genotex.evaluate_gene_sets([["A"]], [["A"]], conditions=[7])


def test_empty_gene_universe_gives_nan_auroc_as_upstream_not_one():
    # upstream GenoTex utils/metrics.py: `if all_genes is not None:` -> full path; an empty
    # universe has all labels equal -> NaN (the ES branch needs len(all_genes) > 0 and falls back)
    out = metric("gta_gene_set").compute(predictions=[["A", "B"]], references=[["A"]], all_genes=[[]])
    assert math.isnan(out["Overall"]["auroc"])
    assert out["Overall"]["gsea_es"] == genotex.round2(genotex.gsea_es_approx(["A", "B"], ["A"]))
    no_universe = metric("gta_gene_set").compute(predictions=[["A", "B"]], references=[["A"]])
    assert no_universe["Overall"]["auroc"] == 1.0  # the approximate path, unchanged


def test_gta_selection_duplicate_trait_is_an_error_not_a_silent_drop():
    info = json.dumps({"GSE1": {"is_usable": True, "is_available": True, "sample_size": 10}})
    _raises(lambda: metric("gta_selection").compute(predictions=[info, "{}"], references=[info, info],
                                                    traits=["Asthma", "Asthma"]),
            "traits[1]: 'Asthma' repeats traits[0]")


def test_gta_selection_and_preprocessing_refuse_empty_input():
    _raises(lambda: metric("gta_selection").compute(predictions=[], references=[], traits=[]),
            "references: no cohort_info pairs to score")
    _raises(lambda: metric("gta_preprocessing").compute(predictions=[], references=[]),
            "references: no tables to compare")


def test_geometa_labels_absent_from_the_data():
    m = metric("geometa_f1")
    _raises(lambda: m.compute(predictions=["a", "a"], references=["a", "a"], labels=["x", "y"]),
            "labels: none of ['x', 'y'] occur in references or predictions")
    with pytest.warns(UserWarning, match=re.escape("labels: ['x'] occur in neither references nor predictions")):
        out = m.compute(predictions=["a", "a"], references=["a", "a"], labels=["a", "x"])
    assert out["macro_f1"] == 0.5 and out["accuracy"] == 1.0  # sklearn's values (f1_score(labels=...))


def test_lomo_single_fold_warns():
    with pytest.warns(UserWarning, match="only one fold \\('all'\\)"):
        out = metric("lomo_auroc").compute(predictions=P, references=R, folds=["all"] * 8, **FAST)
    assert out["n_folds"] == 1 and out["mean_auroc"] == roc_auc_score(R, P)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metric("lomo_auroc").compute(predictions=P, references=R, folds=F, **FAST)  # two folds: no warning
