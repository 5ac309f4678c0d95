"""The GenoTEX evaluate modules load by path offline and agree with the numpy core."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.metrics import genotex as g

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def gta_gene_set():
    import evaluate
    return evaluate.load(str(REPO / "metrics" / "gta_gene_set"))


def test_gene_set_module_matches_core_in_every_mode(gta_gene_set):
    preds = [["A", "B", "C"], None, ["X", "A"], []]
    refs = [["A", "Z"], ["A"], ["A"], []]
    conds = [None, "Age", "Obesity", "Gender"]
    for compat in g.COMPAT_MODES:
        got = gta_gene_set.compute(predictions=preds, references=refs, conditions=conds, compat=compat)
        want = g.evaluate_gene_sets(preds, refs, conditions=conds, compat=compat)
        assert got.keys() == want.keys()
        for cat in want:
            for key, value in want[cat].items():
                assert got[cat][key] == pytest.approx(value, nan_ok=True), (compat, cat, key)


def test_gene_set_module_rejects_non_string_genes(gta_gene_set):
    with pytest.raises(BenchError, match=r"predictions\[0\]\[1\]: gene symbols must be strings, got int"):
        gta_gene_set.compute(predictions=[["A", 5]], references=[["A"]])


def csv_headers(pre: Path, traits) -> dict:
    """{trait: {cohort: header minus the index column}} of ``pre/<trait>/*.csv``, read with the csv module."""
    out = {}
    for trait in traits:
        out[trait] = {}
        for path in sorted((pre / trait).glob("*.csv")):
            with open(path, newline="", encoding="utf-8") as fh:
                out[trait][path.stem] = next(csv.reader(fh))[1:]
    return out


@pytest.fixture(scope="module")
def genotex_output(tmp_path_factory):
    from genotex_fixtures import build_genotex_root

    return build_genotex_root(tmp_path_factory.mktemp("genotex") / "r") / "output"


@pytest.fixture(scope="module")
def gta_selection():
    import evaluate
    return evaluate.load(str(REPO / "metrics" / "gta_selection"))


def test_selection_module_matches_directory_evaluator(genotex_output, gta_selection):
    from bench.baselines.genotex import folders as ev
    from genotex_fixtures import TASK_INFO

    pre = genotex_output / "preprocess"
    traits = sorted(TASK_INFO)
    texts = [(pre / t / "cohort_info.json").read_text() for t in traits]
    headers = csv_headers(pre, traits)     # every trait is in a two-step problem (as trait or condition)
    assert ev.linked_headers(pre, TASK_INFO) == headers
    got = gta_selection.compute(predictions=texts, references=texts, traits=traits, task_info=TASK_INFO,
                                pred_linked_columns=headers, ref_linked_columns=headers)
    want = ev.evaluate_selection(genotex_output, genotex_output, TASK_INFO)["results"]
    assert got == want and got["selection"]["accuracy"] == 100.0 and got["n_two_step_skipped"] == 0
    related = {g for problem in TASK_INFO.values() for g in problem["related_genes"]}
    cut = {t: {c: [x for x in cols if x in related] for c, cols in cohorts.items()} for t, cohorts in headers.items()}
    assert gta_selection.compute(predictions=texts, references=texts, traits=traits, task_info=TASK_INFO,
                                 pred_linked_columns=cut, ref_linked_columns=headers) == want  # only related genes matter
    only_filter = gta_selection.compute(predictions=["{}"] * 3, references=texts, traits=traits)
    assert "selection" not in only_filter and only_filter["filtering"]["recall"] == 0.0
    with pytest.raises(BenchError, match=r"predictions\[0\]: expected cohort_info.json text, got malformed JSON"):
        gta_selection.compute(predictions=["{x"], references=[texts[0]], traits=traits[:1])


def test_selection_headers_decide_two_step_problems_as_the_files_do(genotex_output, gta_selection, tmp_path):
    """A prediction folder without Obesity's linked CSVs, scored from its files and from its headers."""
    import shutil

    from bench.baselines.genotex import folders as ev
    from genotex_fixtures import TASK_INFO

    pred = shutil.copytree(genotex_output, tmp_path / "pred")
    for path in (pred / "preprocess" / "Obesity").glob("*.csv"):
        path.unlink()
    traits = sorted(TASK_INFO)
    texts = [(genotex_output / "preprocess" / t / "cohort_info.json").read_text() for t in traits]
    want = ev.evaluate_selection(pred, genotex_output, TASK_INFO)["results"]
    got = gta_selection.compute(predictions=texts, references=texts, traits=traits, task_info=TASK_INFO,
                                pred_linked_columns=csv_headers(pred / "preprocess", traits),
                                ref_linked_columns=csv_headers(genotex_output / "preprocess", traits))
    assert got == want and want["selection"]["Two-step"] < 100.0   # the two problems naming Obesity fail
    with pytest.warns(FutureWarning) as caught:
        old = gta_selection.compute(predictions=texts, references=texts, traits=traits, task_info=TASK_INFO,
                                    pred_preprocess_dir=str(pred / "preprocess"),
                                    ref_preprocess_dir=str(genotex_output / "preprocess"))
    assert old == want
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2
    assert "pred_preprocess_dir is deprecated" in messages[0] and "pass pred_linked_columns=" in messages[0]
    assert "ref_preprocess_dir is deprecated" in messages[1] and "pass ref_linked_columns=" in messages[1]


@pytest.mark.parametrize("kwargs, message", [
    ({"pred_linked_columns": {"Obesity": ["GSE1"]}}, r"pred_linked_columns\['Obesity'\]: expected \{cohort: "),
    ({"ref_linked_columns": {"Obesity": {"GSE1": ["a", 3]}}}, r"ref_linked_columns\['Obesity'\]\['GSE1'\]\[1\]: "
                                                               "expected a string"),
    ({"pred_linked_columns": {}, "pred_preprocess_dir": "p"}, "pred_linked_columns and pred_preprocess_dir: give one"),
])
def test_selection_linked_headers_are_checked(gta_selection, kwargs, message):
    with pytest.raises(BenchError, match=message):
        gta_selection.compute(predictions=["{}"], references=["{}"], traits=["Obesity"], **kwargs)


def test_preprocessing_module_on_csv_files(tmp_path):
    import evaluate
    import numpy as np
    import pandas as pd

    ref = pd.DataFrame({"s1": [1.0, 2.0], "s2": [3.0, 5.0], "s3": [2.0, 9.0]}, index=["G1", "G2"])
    pred = ref.copy()
    pred.loc["G2", "s3"] = 1.0
    ref.to_csv(tmp_path / "ref.csv")
    pred.to_csv(tmp_path / "pred.csv")
    m = evaluate.load(str(REPO / "metrics" / "gta_preprocessing"))
    out = m.compute(predictions=[str(tmp_path / "pred.csv"), ""], references=[str(tmp_path / "ref.csv")] * 2,
                    subtask="gene", compat="bench")
    r2 = np.corrcoef([2.0, 5.0, 1.0], [2.0, 5.0, 9.0])[0, 1]
    assert out["n_files"] == 2  # the missing prediction scores 0 in bench mode
    assert out["feature_correlation"] == pytest.approx((1.0 + r2) / 2 / 2)
    v2 = m.compute(predictions=[str(tmp_path / "pred.csv"), ""], references=[str(tmp_path / "ref.csv")] * 2,
                   subtask="gene")
    assert v2["n_files"] == 1 and v2["feature_correlation"] == round((1.0 + r2) / 2, 2)
