"""Selection / preprocessing cores (spec §3.3–3.4), the directory evaluator and `bench evaluate-gta`."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from bench.cli import main
from bench.metrics import genotex as g
from bench.baselines.genotex import folders as ev

from genotex_fixtures import TASK_INFO, build_genotex_root


@pytest.fixture(scope="module")
def ref_root(tmp_path_factory):
    return build_genotex_root(tmp_path_factory.mktemp("ref"))


@pytest.fixture()
def pred_root(ref_root, tmp_path):
    dst = tmp_path / "pred"
    shutil.copytree(ref_root, dst)
    return dst


def test_filtering_hand_computed():
    ref = {"A": {"is_available": True}, "B": {"is_available": True}, "C": {"is_available": False}}
    pred = {"A": {"is_available": True}, "C": {"is_available": True}, "D": {"is_available": False}}
    assert g.filtering_scores(ref, pred) == {"precision": 50.0, "recall": 50.0, "f1": 50.0, "accuracy": 50.0}
    none = {"X": {"is_available": False}}
    assert g.filtering_scores(none, {}) == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "accuracy": 100.0}


def test_one_step_selection_rules():
    info = {"A": {"is_usable": True, "sample_size": 50, "has_age": False, "has_gender": True},
            "B": {"is_usable": True, "sample_size": 50, "has_age": True, "has_gender": False},
            "C": {"is_usable": False, "sample_size": 99, "has_age": True, "has_gender": True}}
    assert g.select_one_step(info, None) == "A"  # tie: first in JSON order
    assert g.select_one_step(info, "Age") == "B"
    assert g.select_one_step(info, "age") == "A"  # the has_age check is case-sensitive upstream
    assert g.select_one_step(info, "Gender") == "A"
    assert g.select_one_step({}, None) is None


def test_two_step_pairs_ranked_by_size_product_stably():
    t = {"T1": {"is_usable": True, "sample_size": 10}, "T2": {"is_usable": True, "sample_size": 20},
         "T3": {"is_usable": False, "sample_size": 99}}
    c = {"C1": {"is_usable": True, "sample_size": 4}, "C2": {"is_usable": True, "sample_size": 8}}
    assert g.ranked_cohort_pairs(t, c) == [("T2", "C2"), ("T1", "C2"), ("T2", "C1"), ("T1", "C1")]
    assert g.select_two_step(t, c, pair_ok=lambda a, b: b == "C1") == ("T2", "C1")
    assert g.select_two_step(t, None, pair_ok=lambda a, b: True) is None


def test_table_similarity_hand_computed():
    pred = pd.DataFrame({"g1": [1.0, 2.0, 4.0], "g2": [5.0, 5.0, 5.0], "g3": [0.0, 1.0, 0.0]}, index=["s1", "s2", "s3"])
    ref = pd.DataFrame({"g1": [2.0, 1.0, 3.0, 9.0], "g2": [1.0, 2.0, 3.0, 4.0], "g4": [1.0, 1.0, 1.0, 1.0]},
                       index=["s1", "s2", "s3", "s4"])
    sim = g.table_similarity(pred, ref)
    assert sim["attributes_jaccard"] == 0.5 and sim["samples_jaccard"] == 0.75
    r = np.corrcoef([1.0, 2.0, 4.0], [2.0, 1.0, 3.0])[0, 1]  # g2 is constant in pred: skipped
    assert sim["feature_correlation"] == pytest.approx(r)
    assert sim["composite_similarity_correlation"] == pytest.approx(0.5 * 0.75 * r)
    assert g.table_similarity(pred.iloc[:0], ref)["composite_similarity_correlation"] == 0.0


def test_feature_correlation_fills_nan_with_column_mean():
    pred = pd.DataFrame({"g": [1.0, np.nan, 3.0, 8.0]})
    ref = pd.DataFrame({"g": [2.0, 4.0, 1.0, 7.0]})
    want = np.corrcoef([1.0, 4.0, 3.0, 8.0], [2.0, 4.0, 1.0, 7.0])[0, 1]
    assert g.feature_correlation(pred, ref) == pytest.approx(want)


def test_ground_truth_as_prediction_is_perfect(ref_root):
    out = ref_root / "output"
    ana = ev.evaluate_analysis(out, out)["results"]
    assert ana["Overall"]["f1"] == 100.0 and ana["Overall"]["success"] == 100.0
    sel = ev.evaluate_selection(out, out, TASK_INFO)["results"]
    assert sel["selection"]["accuracy"] == 100.0 and sel["filtering"]["f1"] == 100.0
    pre = ev.evaluate_preprocessing(out, out)["results"]
    assert all(pre[s]["composite_similarity_correlation"] == 1.0 for s in ("gene", "clinical", "linked"))


def test_analysis_missing_and_malformed_predictions_per_mode(ref_root, pred_root):
    reg = pred_root / "output" / "regress" / "Breast_Cancer"
    (reg / "significant_genes_condition_Age.json").unlink()
    (reg / "significant_genes_condition_Gender.json").write_text("{not json")
    doc = json.loads((reg / "significant_genes_condition_None.json").read_text())
    doc["significant_genes"]["Variable"] = doc["significant_genes"]["Variable"][:2] + ["GENE999", "GENE998"]
    (reg / "significant_genes_condition_None.json").write_text(json.dumps(doc))
    n_ref = len(list((ref_root / "output" / "regress").rglob("*.json")))
    v2 = ev.evaluate_analysis(pred_root / "output", ref_root / "output", compat="v2")
    assert len(v2["per_problem"]) == n_ref - 1  # the malformed one disappears (upstream behaviour)
    assert any("malformed JSON" in w for w in v2["warnings"])
    cond = v2["results"]["Conditional one-step"]
    # Breast_Cancer Age failed (NaN), Obesity Gender and Hypertension Age... only successful ones averaged
    assert cond["precision"] == 100.0 and cond["success"] < 100.0
    unc = v2["results"]["Unconditional one-step"]
    assert unc["precision"] == round((50.0 + 100.0) / 2, 2)  # 2/4 hits, and Obesity perfect
    gm = ev.evaluate_analysis(pred_root / "output", ref_root / "output", compat="genomas")
    assert len(gm["per_problem"]) == n_ref and gm["results"]["Conditional one-step"]["precision"] < 100.0
    legacy = ev.evaluate_analysis(pred_root / "output", ref_root / "output", compat="legacy")["results"]
    assert "cv_performance" in legacy["overall"] and legacy["overall"]["success"] < 1.0
    assert legacy["overall"]["cv_performance"]["prediction.accuracy"] < 90.0  # zeroed ref structure for failures


def test_selection_detects_a_different_choice(ref_root, pred_root):
    info_path = pred_root / "output" / "preprocess" / "Breast_Cancer" / "cohort_info.json"
    info = json.loads(info_path.read_text())
    info["GSE101002"]["sample_size"] = 500  # now the largest usable cohort for None and Gender
    info["GSE101003"]["is_available"] = True  # a false positive in filtering
    info_path.write_text(json.dumps(info))
    res = ev.evaluate_selection(pred_root / "output", ref_root / "output", TASK_INFO)
    per = {(p["trait"], p["condition"]): p for p in res["per_problem"]}
    assert per[("Breast_Cancer", "None")]["pred"] == "GSE101002" and per[("Breast_Cancer", "None")]["ref"] == "TCGA"
    assert per[("Breast_Cancer", "Age")]["accuracy"] == 100.0  # GSE101002 has no Age
    assert per[("Breast_Cancer", "Obesity")]["pred"] == ("GSE101002", "GSE202001")
    n = len(res["per_problem"])
    wrong = sum(p["accuracy"] == 0 for p in res["per_problem"])
    assert wrong == 3 and res["results"]["selection"]["accuracy"] == g.round2(100 * (n - 3) / n)
    # filtering macro over traits: Breast_Cancer P=3/4 -> 75, others 100
    assert res["results"]["filtering"]["precision"] == g.round2((75 + 100 + 100) / 3)


def test_cli_prints_tables_and_writes_json(ref_root, pred_root, tmp_path, capsys):
    out_json = tmp_path / "res.json"
    rc = main(["evaluate-gta", "--pred", str(pred_root / "output"), "--ref", str(ref_root / "output"),
               "--json", str(out_json), "--plot", str(tmp_path / "analysis.png")])
    assert rc == 0
    assert (tmp_path / "analysis.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cap = capsys.readouterr()
    text = cap.out
    assert "Statistical analysis (compat=v2)" in text and "Overall" in text and "filtering" in text
    assert "bench: note: `bench evaluate-gta` is an old spelling" in cap.err
    data = json.loads(out_json.read_text())
    assert data["summary"]["analysis"]["Overall"]["f1"] == 100.0 and data["summary"]["value"] == 100.0


def test_new_form_scores_an_output_folder_against_the_data_source(ref_root, pred_root, tmp_path, capsys):
    """`bench evaluate TASK OUTPUT_DIR --data-dir ROOT`: the reference comes from the data source."""
    assert main(["evaluate", "genotex_problems", str(pred_root / "output"), "--data-dir", str(ref_root),
                 "--out", str(tmp_path / "rep")]) == 0
    res = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert res["summary"]["metric"] == "f1" and res["summary"]["value"] == 100.0
    assert res["settings"]["parts"] == ["analysis"] and (tmp_path / "rep" / "analysis.png").is_file()
    assert main(["evaluate", "genotex_selection", str(pred_root / "output"), "--data-dir", str(ref_root)]) == 0
    assert "Dataset filtering and selection" in capsys.readouterr().out


def test_cli_bad_inputs_exit_2_without_partial_output(ref_root, tmp_path, capsys):
    out_json = tmp_path / "res.json"
    assert main(["evaluate-gta", "--pred", str(tmp_path / "nope"), "--ref", str(ref_root / "output"),
                 "--json", str(out_json)]) == 2
    assert "--pred: folder not found" in capsys.readouterr().err and not out_json.exists()
    bad_ref = tmp_path / "badref"
    shutil.copytree(ref_root, bad_ref)
    (bad_ref / "output/regress/Obesity/significant_genes_condition_None.json").write_text('{"significant_genes": {"Variable": [1, 2]}}')
    assert main(["evaluate-gta", "--pred", str(ref_root / "output"), "--ref", str(bad_ref / "output"),
                 "--tasks", "analysis", "--json", str(out_json)]) == 2
    err = capsys.readouterr().err
    assert "significant_genes_condition_None.json: field significant_genes.Variable[0] must be a string" in err
    assert not out_json.exists()
    (bad_ref / "metadata/task_info.json").write_text("{broken")
    assert main(["evaluate-gta", "--pred", str(ref_root / "output"), "--ref", str(bad_ref / "output"),
                 "--tasks", "selection"]) == 2
    assert "task_info.json: malformed JSON at line 1" in capsys.readouterr().err
