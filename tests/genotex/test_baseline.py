"""GenoTEX Lasso baseline (spec §4): numerics vs independent computations, end to end on the
synthetic layout, scored by the metric against the planted genes, and bad input."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from bench.baselines.genotex import models as gb
from bench.cli import main
from bench.errors import BenchError
from bench.baselines.genotex import folders as ev

from genotex_fixtures import PLANTED, build_genotex_root


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return build_genotex_root(tmp_path_factory.mktemp("gtx"))


@pytest.fixture(scope="module")
def solved(root, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    log = gb.run_problems(root, out, progress=False)
    return out, log


def test_standardize_uses_population_std_and_leaves_constant_columns_unscaled():
    x = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    z = gb.standardize(x)
    np.testing.assert_allclose(z[:, 0], (x[:, 0] - 3) / np.std(x[:, 0]))
    np.testing.assert_allclose(z[:, 1], 0.0)
    np.testing.assert_allclose(gb.standardize(np.array([[7.0, 5.0]]), ref=x), [[(7 - 3) / np.std(x[:, 0]), 0.0]])


def test_residualisation_matches_ols():
    rng = np.random.default_rng(0)
    z, x = rng.normal(size=40), rng.normal(size=(40, 5))
    y = 2 * z + x[:, 0] + rng.normal(size=40)
    beta, lasso = gb.fit_residualised(x, y, z, 1e-6)
    ols = LinearRegression().fit(z.reshape(-1, 1), y)
    np.testing.assert_allclose(beta, [ols.intercept_, ols.coef_[0]], atol=1e-10)
    resid = y - ols.predict(z.reshape(-1, 1))
    np.testing.assert_allclose(lasso.coef_, LinearRegression().fit(x, resid).coef_, atol=1e-3)


def test_cv_folds_follow_the_legacy_global_shuffle():
    state = np.random.get_state()
    try:
        np.random.seed(42)
        legacy = np.arange(12)
        np.random.shuffle(legacy)
    finally:
        np.random.set_state(state)
    ours = np.arange(12)
    np.random.RandomState(42).shuffle(ours)
    np.testing.assert_array_equal(ours, legacy)


def test_batch_effect_test():
    rng = np.random.default_rng(1)
    iid = rng.normal(size=(260, 30))
    shifted = iid.copy()
    shifted[:130] += 3.0  # one dominant eigenvalue: normalised gap ~1 > 200/260
    assert not gb.batch_effect_indicated(iid)
    assert gb.batch_effect_indicated(shifted)
    assert not gb.batch_effect_indicated(shifted[:150])  # 200/n >= 1 can never be exceeded when n <= 200


def test_prediction_scores_binary_and_continuous():
    s = gb.prediction_scores(np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.2, 0.7, 0.4, 0.6]), binary=True)
    assert s == {"accuracy": 50.0, "precision": 50.0, "recall": 50.0, "f1": 50.0}
    c = gb.prediction_scores(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]), binary=False)
    assert c["nmse"] == pytest.approx(0.5) and c["r_squared"] == pytest.approx(0.5)


def test_end_to_end_writes_upstream_format_and_recovers_planted_genes(root, solved):
    out, log = solved
    f = out / "regress" / "Breast_Cancer" / "significant_genes_condition_None.json"
    doc = json.loads(f.read_text())
    sig = doc["significant_genes"]
    assert list(sig) == ["Variable", "Coefficient", "Absolute Coefficient"]
    assert sig["Absolute Coefficient"] == sorted(sig["Absolute Coefficient"], reverse=True)
    assert set(doc["cv_performance"]["prediction"]) == {"accuracy", "precision", "recall", "f1"}
    assert set(doc["cv_performance"]["selection"]) == {"precision", "recall", "f1", "jaccard"}
    assert sig["Variable"][0] == PLANTED["Breast_Cancer"][0]  # the strongest planted effect ranks first
    solved_conds = {(s["trait"], s["condition"]): s for s in log["solved"]}
    assert solved_conds[("Breast_Cancer", "None")]["cohorts"] == ["TCGA"]  # largest usable cohort
    assert solved_conds[("Breast_Cancer", "Obesity")]["cohorts"] == ["TCGA", "GSE202001"]
    assert {(s["trait"], s["condition"]) for s in log["skipped"]} >= {("Obesity", "Hypertension"), ("Hypertension", "None")}
    res = ev.evaluate_analysis(out, root / "output", compat="v2")["results"]
    assert res["Unconditional one-step"]["precision"] >= 75.0  # vs the planted truth
    assert res["Overall"]["success"] < 100.0  # the unsolvable Obesity|Hypertension reference counts


def test_same_seed_same_bytes(root, solved, tmp_path):
    out, _ = solved
    gb.run_problems(root, tmp_path, traits=["Obesity"], progress=False)
    name = "Obesity/significant_genes_condition_None.json"
    assert (tmp_path / "regress" / name).read_bytes() == (out / "regress" / name).read_bytes()


def test_bench_run_cli_on_a_trait_pattern_task(root, tmp_path, capsys):
    rc = main(["run", "genotex_Breast_Cancer", "--model", "lasso_predictive", "--data-dir", str(root),
               "--out", str(tmp_path / "run")])
    assert rc == 0
    report = json.loads((tmp_path / "run" / "results.json").read_text())
    overall = {r["group"]: r for r in report["tables"]["analysis_v2"]}["Overall"]
    assert overall["success"] == 100.0  # only Breast_Cancer problems are scored
    assert report["summary"]["metric"] == "f1" and report["summary"]["value"] == overall["f1"]
    assert sorted(p.name for p in (tmp_path / "run" / "regress" / "Breast_Cancer").iterdir()) == [
        "significant_genes_condition_Age.json", "significant_genes_condition_Gender.json",
        "significant_genes_condition_None.json", "significant_genes_condition_Obesity.json"]
    assert "analysis (compat=bench)" in capsys.readouterr().out


def test_bench_run_refuses_to_overwrite_the_reference_regress_folder(tmp_path, capsys):
    root = build_genotex_root(tmp_path / "root")
    ref = root / "output" / "regress"
    before = {p: p.read_bytes() for p in sorted(ref.rglob("*.json"))}
    assert main(["run", "genotex_Obesity", "--model", "lasso", "--data-dir", str(root),
                 "--out", str(root / "output")]) == 2
    assert "was not written by bench" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in sorted(ref.rglob("*.json"))} == before


def test_bench_run_rejects_unknown_model_and_evaluation_only_tasks(capsys):
    assert main(["run", "genotex_problems", "--model", "xgb"]) == 2
    assert "unknown model 'xgb'" in capsys.readouterr().err
    assert main(["run", "genotex_selection", "--model", "lasso"]) == 2
    assert "has no baseline" in capsys.readouterr().err


def test_missing_cohort_file_names_it_and_writes_nothing(root, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(root, broken)
    (broken / "output/preprocess/Breast_Cancer/TCGA.csv").unlink()
    with pytest.raises(BenchError, match=r"linked table not found: .*Breast_Cancer/TCGA.csv"):
        gb.run_problems(broken, tmp_path / "out", traits=["Breast_Cancer"], progress=False)
    assert not (tmp_path / "out" / "regress").exists()


def test_unknown_trait_and_malformed_cohort_info(root, tmp_path):
    with pytest.raises(BenchError, match=r"trait: unknown trait 'Breast_Cancr'.*Did you mean: Breast_Cancer"):
        gb.run_problems(root, tmp_path, traits=["Breast_Cancr"], progress=False)
    with pytest.raises(BenchError, match=r"trait: trait name '\.\./x' would escape the data folder"):
        gb.run_problems(root, tmp_path, traits=["../x"], progress=False)
    broken = tmp_path / "b2"
    shutil.copytree(root, broken)
    (broken / "output/preprocess/Obesity/cohort_info.json").write_text('{"GSE1": {"is_usable": "yes"}}')
    with pytest.raises(BenchError, match=r"cohort_info.json: field GSE1.is_usable must be true/false"):
        gb.run_problems(broken, tmp_path / "o2", traits=["Obesity"], progress=False)


def test_bench_run_without_data_dir_uses_the_synthetic_root(tmp_path, capsys):
    assert main(["run", "genotex_Obesity", "--model", "lasso", "--out", str(tmp_path / "r")]) == 0
    printed = capsys.readouterr().out
    tables = printed.split("analysis (compat=")[1:]
    assert len(tables) == 2 and "SYNTHETIC data" in printed.split("analysis (compat=")[0]
    for table in tables:
        lines = [line for line in table.strip().splitlines() if line.strip()]
        assert "SYNTHETIC data" in lines[0] and lines[1].split()[-1] == "data"
        body = [line for line in lines[3:] if not line.startswith(("report:", "notes", "- "))]
        assert body and all(line.rstrip().endswith("SYNTHETIC") for line in body), body
    report = json.loads((tmp_path / "r" / "results.json").read_text())
    assert report["provenance"]["synthetic"] is True and report["tables"]["solved"]
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        ".bench-run.json", "analysis_bench.tsv", "analysis_v2.tsv", "record.json", "regress", "results.json",
        "skipped.tsv", "solved.tsv"]   # the synthetic source root is scratch, not part of the report
