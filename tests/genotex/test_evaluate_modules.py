"""The GenoTEX evaluate modules load by path offline and agree with the numpy core."""
from __future__ import annotations

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


def test_selection_module_matches_directory_evaluator(tmp_path):
    import evaluate

    from bench.baselines.genotex import folders as ev
    from genotex_fixtures import TASK_INFO, build_genotex_root

    root = build_genotex_root(tmp_path / "r")
    pre = root / "output" / "preprocess"
    traits = sorted(TASK_INFO)
    texts = [(pre / t / "cohort_info.json").read_text() for t in traits]
    m = evaluate.load(str(REPO / "metrics" / "gta_selection"))
    got = m.compute(predictions=texts, references=texts, traits=traits, task_info=TASK_INFO,
                    pred_preprocess_dir=str(pre), ref_preprocess_dir=str(pre))
    want = ev.evaluate_selection(root / "output", root / "output", TASK_INFO)["results"]
    assert got == want and got["selection"]["accuracy"] == 100.0 and got["n_two_step_skipped"] == 0
    only_filter = m.compute(predictions=["{}"] * 3, references=texts, traits=traits)
    assert "selection" not in only_filter and only_filter["filtering"]["recall"] == 0.0
    with pytest.raises(BenchError, match=r"predictions\[0\]: expected cohort_info.json text, got malformed JSON"):
        m.compute(predictions=["{x"], references=[texts[0]], traits=traits[:1])


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
