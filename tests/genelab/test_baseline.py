"""GeneLab baselines end to end through bench.loaders: bench run, reports, leakage guard, bad input,
and the published pathway-level highlights reproduced from the real GSVA scores."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from bench.baselines.genelab.run import predict_folds, run_category_a
from bench.baselines.genelab.data import check_has_features, list_folds, load_config
from bench.cli import main
from bench.errors import BenchError
from bench.loaders.repo import data_file_record
from bench.tasks import get_task, split_name

from genelab.test_baseline_models import fitted_state

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

# Published pathway-level means (seed README) and our tolerance: the GSVA inputs are the published
# files and the models are deterministic, so only solver/BLAS-level differences are expected.
PUBLISHED_TOLERANCE = 0.005


@pytest.fixture(scope="module")
def eye_hallmark(genelab_dir):
    return load_config("A6_eye_hallmark", data_dir=genelab_dir)


def test_bench_run_on_real_pathway_config_writes_report(genelab_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "A6_eye_hallmark", "--model", "pca_lr", "--data-dir", str(genelab_dir),
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "fold_RR-1_test" in printed and "verdict" in printed and "SYNTHETIC" not in printed
    results = json.loads((out / "results.json").read_text())
    assert results["provenance"]["synthetic"] is False and results["settings"]["feature_level"] == "pathway"
    assert results["summary"]["go_nogo"] in ("GO", "NO-GO") and results["summary"]["verdict"] == results["summary"]["go_nogo"]
    for png in ("roc.png", "forest.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # `bench evaluate`'s reader/validator accepts the submission (labels from the upstream files)
    # and finds the same statistics
    from bench.loaders.genelab.labels import task_labels
    from bench.metrics.genelab.submission import evaluate_submission
    spec = get_task("A6_eye_hallmark")
    ev = evaluate_submission(out / "submission.json", spec, labels=task_labels(spec, genelab_dir))
    assert ev["summary"]["mean_auroc"] == results["summary"]["mean_auroc"]
    assert ev["summary"]["mean_perm_p"] == results["summary"]["mean_perm_p"]
    # the submission is upstream-format and its scores give the reported AUROCs (sklearn as truth)
    sub = json.loads((out / "submission.json").read_text())
    assert set(sub) >= {"task_id", "model_name", "predictions"} and sub["task_id"] == "A6"
    task_dir = genelab_dir / "tasks" / "A6_eye_lomo"
    import pandas as pd
    for fold in results["tables"]["per_fold"]:
        y = pd.read_csv(task_dir / fold["fold"] / "test_y.csv", index_col=0).iloc[:, 0]
        preds = sub["predictions"][fold["fold"]]
        assert list(preds) == [str(i) for i in y.index]          # evaluator order, every sample
        assert fold["auroc"] == pytest.approx(roc_auc_score(y.to_numpy(), list(preds.values())), abs=1e-12)


def test_run_and_evaluate_from_a_built_repo_agree_with_the_upstream_labels(genelab_dir, tmp_path, capsys):
    """`bench build` -> `bench run --data-dir REPO` -> `bench evaluate --data-dir REPO`: the labels come from
    the built config and give the same statistics as the upstream test_y.csv files."""
    repo, out = tmp_path / "hub", tmp_path / "run"
    assert main(["build", "A6_eye_hallmark", "--out", str(repo), "--data-dir", str(genelab_dir)]) == 0
    assert main(["run", "A6_eye_hallmark", "--model", "pca_lr", "--data-dir", str(repo), "--out", str(out)]) == 0
    sub = str(out / "submission.json")
    for data_dir, name in ((repo, "repo.json"), (genelab_dir, "upstream.json")):
        assert main(["evaluate", "A6_eye_hallmark", sub, "--data-dir", str(data_dir),
                     "--json", str(tmp_path / name)]) == 0
    capsys.readouterr()
    from_repo, upstream = (json.loads((tmp_path / n).read_text()) for n in ("repo.json", "upstream.json"))
    run = json.loads((out / "results.json").read_text())
    assert from_repo["provenance"]["synthetic"] is False
    assert from_repo["settings"]["folds_evaluated"] == upstream["settings"]["folds_evaluated"]
    assert from_repo["tables"]["per_fold"] == upstream["tables"]["per_fold"] == run["tables"]["per_fold"]
    assert from_repo["summary"] == upstream["summary"] == run["summary"]
    assert main(["evaluate", "A3_kidney_hallmark", sub, "--data-dir", str(repo)]) == 2
    assert "no config 'A3_kidney_hallmark'" in capsys.readouterr().err


def test_published_pathway_highlights_reproduce(genelab_dir):
    """Seed README: A6 eye PCA-LR hallmark 0.915 (CI lower 0.745, p 0.014, GO); A3 kidney LR hallmark
    0.755 (0.481, 0.071, NO-GO). Mean AUROCs within PUBLISHED_TOLERANCE; the legacy statistics
    (RandomState(42), what the upstream pathway script used) give the published p-values."""
    from bench.baselines.genelab.scoring import score_folds
    cases = [("A6_eye_hallmark", "pca_lr", 0.915, 0.014, "GO"), ("A3_kidney_hallmark", "lr", 0.755, 0.071, "NO-GO")]
    for task, model, auroc, p, verdict in cases:
        res = run_category_a(get_task(task), model=model, data_dir=genelab_dir, progress=False)
        assert res["summary"]["mean_auroc"] == pytest.approx(auroc, abs=PUBLISHED_TOLERANCE), task
        legacy = score_folds(res["_rows"], legacy=True)["summary"]
        assert legacy["mean_perm_p"] == pytest.approx(p, abs=0.0015), task
        assert legacy["go_nogo"] == verdict, task


def _perturbed(dsd, split: str, *, rows: list[int], seed: int = 0):
    """Copy of ``dsd`` whose ``split`` has the features of ``rows`` replaced by noise and every label flipped."""
    import datasets
    rng = np.random.default_rng(seed)
    ds = dsd[split]
    p = len(ds[0]["features"])
    noise = {i: rng.normal(scale=25.0, size=p).astype(np.float32).tolist() for i in rows}

    def change(example, idx):
        out = {"label": 1 - int(example["label"])}
        if idx in noise:
            out["features"] = noise[idx]
        return out

    new = ds.map(change, with_indices=True, features=ds.features)
    out = datasets.DatasetDict(dict(dsd))
    out[split] = new
    return out


@pytest.mark.parametrize("model", ["lr", "pca_lr", "rf"])
def test_leakage_guard_test_mission_never_reaches_a_fitted_step(eye_hallmark, model):
    """Perturb the test mission (features of some samples, every label): the fold's fitted
    scaler/PCA/model must be byte-identical and the untouched test samples' predictions unchanged."""
    dsd, meta = eye_hallmark
    fold = list_folds(dsd)[0]
    changed = [0, 1, 2]
    base = predict_folds(dsd, meta, model=model, level="pathway", keep_models=True, progress=False)
    pert = predict_folds(_perturbed(dsd, fold["test_split"], rows=changed), meta, model=model,
                            level="pathway", keep_models=True, progress=False)
    a, b = base[0], pert[0]
    assert a["fold"] == b["fold"] == fold["name"]
    assert fitted_state(a["pipeline"]) == fitted_state(b["pipeline"])
    keep = np.setdiff1d(np.arange(len(a["scores"])), changed)
    assert np.array_equal(a["scores"][keep], b["scores"][keep])
    assert not np.array_equal(a["y"], b["y"])                # the perturbation did reach the test split
    # ... and a mission that IS in training does change the fitted model (the guard can fail)
    other = [f for f in list_folds(dsd) if fold["test_mission"] in f["train_missions"]][0]
    idx = [r["fold"] for r in base].index(other["name"])
    assert fitted_state(base[idx]["pipeline"]) != fitted_state(pert[idx]["pipeline"])


def test_gene_level_variance_filter_uses_train_only(genelab_dir):
    """Gene level without the fold's selected_features: the filter is fitted on the train missions,
    so its support is the top-75% variance of the TRAIN rows (hand-computed here)."""
    from bench.baselines.genelab.models import fit_predict
    rng = np.random.default_rng(1)
    X_train = rng.normal(size=(20, 40)) * rng.uniform(0.1, 3, size=40)
    X_test = rng.normal(size=(8, 40)) * 100
    pipe, _ = fit_predict("lr", X_train, np.array([0, 1] * 10), X_test, level="gene", variance_filter=True)
    expected = sorted(np.argsort(X_train.var(axis=0))[10:].tolist())
    assert pipe.named_steps["variance"].support_.tolist() == expected


def test_unknown_model_cli_exit_2(capsys):
    assert main(["run", "A6_eye_hallmark", "--model", "svm"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'svm'" in err and "lr, pca_lr, rf, xgboost, constant, random" in err


def test_single_class_training_fold_is_a_clear_error(eye_hallmark):
    dsd, meta = eye_hallmark
    import datasets
    ones = datasets.DatasetDict({k: v.map(lambda e: {"label": 1}, features=v.features) for k, v in dsd.items()})
    with pytest.raises(BenchError, match=r"fold fold_RR-1_test: the training data has a single class \(\[1\]\)"):
        predict_folds(ones, meta, model="lr", level="pathway", progress=False)


def test_config_without_features_is_a_clear_error(eye_hallmark):
    dsd, meta = eye_hallmark
    with pytest.raises(BenchError, match=r"config 'A6_eye_hallmark' has no features \(no feature_ids"):
        check_has_features(dsd, {**meta, "feature_ids": []}, name="A6_eye_hallmark")
    stripped = type(dsd)({k: v.remove_columns("features") for k, v in dsd.items()})
    with pytest.raises(BenchError, match=r"has no features \(no 'features' column in split\(s\)"):
        check_has_features(stripped, meta, name="A6_eye_hallmark")


def test_cli_bad_input_exits_2_without_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "bench.cli", "run", "A6_eye_hallmark", "--model", "lasso",
                        "--out", str(tmp_path / "x")], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("bench: error: unknown model 'lasso'")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("out", ["afile", "afile/report"])
def test_cli_out_that_is_a_file_exits_2_before_training(tmp_path, capsys, out):
    (tmp_path / "afile").write_text("keep me")
    assert main(["run", "A6_eye_hallmark", "--model", "constant", "--out", str(tmp_path / out)]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and "is a file; expected a report folder" in cap.err
    assert (tmp_path / "afile").read_text() == "keep me"


def test_floors_and_xgboost_on_a_real_config(genelab_dir):
    """constant: every score tied -> AUROC exactly 0.5 and perm p exactly 1 in every fold;
    xgboost (optional extra) runs through the same path."""
    res = run_category_a(get_task("A6_eye_hallmark"), model="constant", data_dir=genelab_dir, progress=False)
    assert [f["auroc"] for f in res["per_fold"]] == [0.5, 0.5, 0.5]
    assert [f["perm_p"] for f in res["per_fold"]] == [1.0, 1.0, 1.0]
    assert res["summary"]["go_nogo"] == "NO-GO"
    pytest.importorskip("xgboost", reason="the xgboost extra is not installed")
    xgb = run_category_a(get_task("A6_eye_hallmark"), model="xgboost", data_dir=genelab_dir, progress=False)
    assert all(0.0 <= f["auroc"] <= 1.0 for f in xgb["per_fold"])


def test_cli_config_without_features_exits_2(genelab_dir, tmp_path, capsys):
    """A built repo whose config lost its feature column: `bench run` refuses with exit 2."""
    import pyarrow.parquet as pq
    repo = tmp_path / "bench"
    assert main(["build", "A6_eye_hallmark", "--out", str(repo), "--data-dir", str(genelab_dir)]) == 0
    meta_path = repo / "A6_eye_hallmark" / "bench_config.json"
    meta = json.loads(meta_path.read_text())
    for parquet in (repo / "A6_eye_hallmark").glob("*.parquet"):
        pq.write_table(pq.read_table(parquet).drop_columns(["features"]), parquet)
        meta["data_files"][parquet.name] = data_file_record(parquet, pq.ParquetFile(parquet).metadata.num_rows)
    meta_path.write_text(json.dumps(meta))   # re-recorded: the reader's checksum check passes, the schema is wrong
    capsys.readouterr()
    assert main(["run", "A6_eye_hallmark", "--model", "lr", "--data-dir", str(repo),
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "bench: error: config 'A6_eye_hallmark' has no features (no 'features' column in split(s)" in err
    assert not (tmp_path / "out").exists()
